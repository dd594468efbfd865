// Runs shell commands at once and fails if any fails: `npm test`'s checks that do not depend on each other
// (type-check, lint, format, the policy pack's tests) share the two cores instead of waiting in line. Each
// command's output is printed whole when it ends, so logs stay readable.
// Usage: node scripts/run-parallel.js '<command>' '<command>' ...
/* global process, require, console, Buffer */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, run by node directly */
"use strict";
const { spawn } = require("child_process");

const commands = process.argv.slice(2);
let failed = 0;
let running = commands.length;
for (const command of commands) {
    const child = spawn(command, { shell: true, stdio: ["ignore", "pipe", "pipe"] });
    const output = [];
    child.stdout.on("data", (d) => output.push(d));
    child.stderr.on("data", (d) => output.push(d));
    child.on("close", (code, signal) => {
        const status = code === 0 ? "ok" : `FAILED (${signal ?? `exit ${code}`})`;
        process.stdout.write(`\n==> ${command}: ${status}\n${Buffer.concat(output).toString()}`);
        if (code !== 0) failed++;
        if (--running === 0) {
            if (failed > 0) console.error(`${failed} of ${commands.length} commands failed`);
            process.exit(failed > 0 ? 1 : 0);
        }
    });
}
