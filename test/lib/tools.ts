/**
 * Real command-line tools for tests (promtool, amtool, ...): a missing tool skips its test locally and fails in CI.
 */
import { spawnSync } from "child_process";

/** Absolute path of a command on PATH, or undefined. */
export function findTool(name: string): string | undefined {
    const r = spawnSync("sh", ["-c", 'command -v "$1"', "sh", name], { encoding: "utf8" });
    return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** The tool's path; when it is missing, skips the test (or throws when CI=true), naming the Debian package. */
export function needTool(ctx: Mocha.Context, name: string, debianPackage: string): string {
    const found = findTool(name);
    if (found) return found;
    if (process.env.CI === "true") throw new Error(`${name} is required in CI: apt-get install -y ${debianPackage}`);
    console.log(`      skipped: ${name} not installed (apt-get install -y ${debianPackage})`);
    ctx.skip();
}

/** Runs a tool (30 s bound); `output` is stdout followed by stderr. */
export function run(tool: string, args: string[], cwd?: string): { status: number; output: string; stdout: string } {
    const r = spawnSync(tool, args, { cwd, encoding: "utf8", timeout: 30_000 });
    return { status: r.status ?? -1, output: `${r.stdout ?? ""}${r.stderr ?? ""}`, stdout: r.stdout ?? "" };
}
