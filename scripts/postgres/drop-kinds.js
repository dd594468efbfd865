#!/usr/bin/env node
/* global process */
// Helm post-renderer: reads the rendered multi-document YAML on stdin and writes it back without the documents
// whose top-level `apiVersion` and `kind` match one of the arguments ("<apiVersion>/<kind>", e.g.
// "cert-manager.io/v1/Issuer"). Used for plugin-barman-cloud 0.7.0, which renders a cert-manager Issuer
// unconditionally although we supply its certificates (see lib/postgres/values.ts). No dependencies: the
// Kubernetes provider runs it with the same node binary as the program.
"use strict";

const dropped = new Set(process.argv.slice(2));
if (dropped.size === 0 || [...dropped].some((k) => !/^[^\s/]+(\/[^\s/]+)?\/[A-Za-z]+$/.test(k))) {
    process.stderr.write("usage: drop-kinds.js <apiVersion>/<Kind> ...\n");
    process.exit(2);
}

/** Top-level scalar `key: value` of a YAML document (indentation 0), quotes removed. */
function topLevel(doc, key) {
    const match = new RegExp(`^${key}:[ \\t]*["']?([^"'\\s#]+)["']?[ \\t]*(#.*)?$`, "m").exec(doc);
    return match ? match[1] : undefined;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
    const docs = input.split(/^---[ \t]*$/m);
    const kept = docs.filter((doc) => {
        const apiVersion = topLevel(doc, "apiVersion");
        const kind = topLevel(doc, "kind");
        return !(apiVersion && kind && dropped.has(`${apiVersion}/${kind}`));
    });
    const removed = docs.length - kept.length;
    if (removed > 0) process.stderr.write(`drop-kinds: removed ${removed} document(s)\n`);
    process.stdout.write(kept.join("---"));
});
