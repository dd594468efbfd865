#!/usr/bin/env node
/* global process, require, module */
// Helm post-renderer for the stack's charts (helm.v4.Chart `postRenderer`; the Kubernetes provider runs it with
// the program's own node). Reads the rendered multi-document YAML on stdin, writes it back:
//   --trim-crds              CustomResourceDefinitions without the descriptions in their schemas (written as
//                            JSON, which is YAML); see stripCrdDescriptions below for why.
//   --drop <apiVersion>/<Kind>  leaves out documents of that kind (e.g. "cert-manager.io/v1/Issuer":
//                            plugin-barman-cloud 0.7.0 renders one unconditionally although we supply its certificates).
// Every other document passes through byte for byte. Also a module: lib/helm.ts uses stripCrdDescriptions.
"use strict";

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/** One OpenAPI v3 schema node without its `description`s; property *names* (even "description") are kept. */
function stripSchema(schema) {
    if (!isObject(schema)) return schema;
    const out = {};
    for (const [key, value] of Object.entries(schema)) {
        if (key === "description") continue;
        if ((key === "properties" || key === "patternProperties" || key === "definitions") && isObject(value)) {
            out[key] = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, stripSchema(s)]));
        } else if (key === "items" || key === "additionalProperties" || key === "not") {
            out[key] = Array.isArray(value) ? value.map(stripSchema) : stripSchema(value);
        } else if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
            out[key] = value.map(stripSchema);
        } else {
            out[key] = value;
        }
    }
    return out;
}

/**
 * A CustomResourceDefinition without the descriptions in its schemas. The engine keeps every resource's inputs
 * and outputs in the state and rewrites the whole state after each step; prometheus-operator's CRDs alone are
 * 2.5 MB of JSON, three quarters of it field documentation. Validation, defaulting, pruning and CEL rules are
 * untouched; what is lost is `kubectl explain` text for those kinds (the upstream API docs have it).
 */
function stripCrdDescriptions(crd) {
    if (!isObject(crd) || !isObject(crd.spec) || !Array.isArray(crd.spec.versions)) return crd;
    const versions = crd.spec.versions.map((v) => {
        if (!isObject(v) || !isObject(v.schema)) return v;
        return { ...v, schema: { ...v.schema, openAPIV3Schema: stripSchema(v.schema.openAPIV3Schema) } };
    });
    return { ...crd, spec: { ...crd.spec, versions } };
}

/** Top-level scalar `key: value` of a YAML document (indentation 0), quotes removed. */
function topLevel(doc, key) {
    const match = new RegExp(`^${key}:[ \\t]*["']?([^"'\\s#]+)["']?[ \\t]*(#.*)?$`, "m").exec(doc);
    return match ? match[1] : undefined;
}

function postRender(input, { trimCrds, dropped }) {
    const docs = input.split(/^---[ \t]*$/m);
    const out = [];
    for (const doc of docs) {
        const apiVersion = topLevel(doc, "apiVersion");
        const kind = topLevel(doc, "kind");
        if (apiVersion && kind && dropped.has(`${apiVersion}/${kind}`)) continue;
        if (trimCrds && apiVersion === "apiextensions.k8s.io/v1" && kind === "CustomResourceDefinition") {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const crd = require("js-yaml").load(doc);
            out.push(`\n${JSON.stringify(stripCrdDescriptions(crd))}\n`);
        } else {
            out.push(doc);
        }
    }
    return out.join("---");
}

function parseArgs(argv) {
    const dropped = new Set();
    let trimCrds = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--trim-crds") trimCrds = true;
        else if (argv[i] === "--drop" && /^[^\s/]+(\/[^\s/]+)?\/[A-Za-z]+$/.test(argv[i + 1] ?? ""))
            dropped.add(argv[++i]);
        else return undefined;
    }
    return trimCrds || dropped.size > 0 ? { trimCrds, dropped } : undefined;
}

if (require.main === module) {
    const options = parseArgs(process.argv.slice(2));
    if (!options) {
        process.stderr.write("usage: post-render.js [--trim-crds] [--drop <apiVersion>/<Kind>]...\n");
        process.exit(2);
    }
    let input = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => {
        input += chunk;
    });
    process.stdin.on("end", () => {
        process.stdout.write(postRender(input, options));
    });
}

module.exports = { stripCrdDescriptions, postRender };
