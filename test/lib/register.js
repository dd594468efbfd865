// mocha's TypeScript loader: ts-node with swc as its transpiler, the way `pulumi up` runs the program
// (tsconfig.pulumi.json), and about ten times faster than TypeScript's own transpiler on the many fresh renders of
// index.ts the suites make. Transpile only: `npm test` type-checks separately (tsc --noEmit).
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS, loaded before any TypeScript loader */
"use strict";
require("ts-node").register({ transpileOnly: true, swc: true });
