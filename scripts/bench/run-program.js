// Evaluates a Pulumi program under the mocks the way `pulumi preview`/`up` start it: a fresh Node.js process with
// the project's `nodeargs`, ts-node registered as @pulumi/pulumi's language host registers it (cmd/run/run.js: the
// `runtime.options.tsconfig` file, transpile-only when its compilerOptions say `noCheck`, that file's `ts-node`
// options such as `swc`), the stack's config in PULUMI_CONFIG. Plain JavaScript on purpose: nothing may register a
// TypeScript loader before the one being measured.
//
// Usage (from scripts/bench.ts): PULUMI_CONFIG=<json> node <nodeargs> run-program.js <program> <stack> [typescript]
// The optional `typescript` forces ts-node's TypeScript transpiler instead of the tsconfig's `swc` (the "before").
// Prints one JSON line: { resources }.
/* global process, require, __dirname, console */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, loaded before any TypeScript loader */
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");

const root = path.resolve(__dirname, "..", "..");
const [program, stack, transpiler] = process.argv.slice(2);
const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const tsconfig = path.join(root, project.runtime.options.tsconfig ?? "tsconfig.json");
const fileOptions = JSON.parse(fs.readFileSync(tsconfig, "utf8")).compilerOptions ?? {};

process.chdir(root);
require("ts-node").register({
    compiler: "typescript",
    transpileOnly: fileOptions.noCheck === true,
    project: tsconfig,
    skipProject: false,
    compilerOptions: {
        target: "ES2020",
        module: "nodenext",
        moduleResolution: "nodenext",
        sourceMap: "true",
        ...fileOptions,
    },
    ...(transpiler === "typescript" ? { swc: false } : {}),
});

const pulumi = require("@pulumi/pulumi");
let resources = 0;
pulumi.runtime
    .setMocks(
        {
            newResource: (args) => {
                resources++;
                return { id: args.custom ? `${args.name}-id` : undefined, state: args.inputs };
            },
            // helm.v3.Chart's render function; nothing in the prod stack calls it.
            call: (args) => (args.token === "kubernetes:helm:template" ? { result: [] } : args.inputs),
        },
        project.name,
        stack,
        false,
    )
    .then(async () => {
        require(path.resolve(root, program));
        await pulumi.runtime.waitForRPCs();
        console.log(JSON.stringify({ resources }));
    })
    .catch((err) => {
        console.error(err);
        process.exit(1);
    });
