/**
 * Generates the config reference (docs/config-reference.md) from the zod schema in config/schema.ts, so the reference
 * can never drift from what the program accepts. Examples come from the real stack files.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { z } from "zod";
import { stackConfigSchema } from "../config/schema";

export interface ReferenceRow {
    readonly key: string;
    readonly type: string;
    readonly defaultValue: string;
    readonly description: string;
    readonly example: string;
}

const ROOT = path.resolve(__dirname, "..");

function typeName(schema: z.ZodTypeAny): string {
    const s = peel(schema);
    if (s instanceof z.ZodString) return "string";
    if (s instanceof z.ZodNumber) return s.isInt ? "integer" : "number";
    if (s instanceof z.ZodBoolean) return "boolean";
    if (s instanceof z.ZodEnum) return (s.options as string[]).map((o) => `"${o}"`).join(" \\| ");
    if (s instanceof z.ZodArray) return `list of ${typeName(s.element)}`;
    if (s instanceof z.ZodRecord) return `map of ${typeName(s.valueSchema)}`;
    if (s instanceof z.ZodObject) return "object";
    if (s instanceof z.ZodUnion) return (s.options as z.ZodTypeAny[]).map(typeName).join(" \\| ");
    return "value";
}

/** Strips optional/default/effects wrappers, keeping the first description and default found on the way. */
function peel(schema: z.ZodTypeAny): z.ZodTypeAny {
    let s = schema;
    for (;;) {
        if (s instanceof z.ZodDefault) s = s._def.innerType;
        else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
        else if (s instanceof z.ZodEffects) s = s.innerType();
        else return s;
    }
}

function meta(schema: z.ZodTypeAny): { description?: string; defaultValue?: unknown; required: boolean } {
    let s = schema;
    let description: string | undefined;
    let defaultValue: unknown;
    let required = true;
    for (;;) {
        description = description ?? s.description;
        if (s instanceof z.ZodDefault) {
            defaultValue = defaultValue ?? s._def.defaultValue();
            required = false;
            s = s._def.innerType;
        } else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
            required = false;
            s = s.unwrap();
        } else if (s instanceof z.ZodEffects) s = s.innerType();
        else return { description: description ?? s.description, defaultValue, required };
    }
}

function exampleValues(): Record<string, unknown>[] {
    return ["prod", "staging", "dev"].map((stack) => {
        const doc = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as any;
        return Object.fromEntries(
            Object.entries<any>(doc.config ?? {})
                .filter(([k]) => k.startsWith("stackwright:"))
                .map(([k, v]) => [k.slice("stackwright:".length), v]),
        );
    });
}

function lookup(root: unknown, keyPath: string[]): unknown {
    let nodes: unknown[] = [root];
    for (const key of keyPath) {
        const next: unknown[] = [];
        for (const node of nodes) {
            if (node === null || typeof node !== "object") continue;
            if (key === "<name>") next.push(...Object.values(node as object));
            else if (key === "[]") {
                if (Array.isArray(node)) next.push(...node);
            } else next.push((node as Record<string, unknown>)[key]);
        }
        nodes = next.filter((n) => n !== undefined);
    }
    return nodes[0];
}

function format(value: unknown): string {
    if (value === undefined) return "";
    const text = JSON.stringify(value);
    return `\`${text.length > 70 ? `${text.slice(0, 67)}...` : text}\``.replace(/\|/g, "\\|");
}

export function referenceRows(): ReferenceRow[] {
    const rows: ReferenceRow[] = [];
    const examples = exampleValues();
    const walk = (schema: z.ZodTypeAny, keyPath: string[]) => {
        const inner = peel(schema);
        const info = meta(schema);
        const key = keyPath.join(".").replace(/\.\[\]/g, "[]");
        const example = examples
            .map((e) => lookup(e, keyPath))
            .find((v) => v !== undefined && (typeof v !== "object" || v === null));
        if (inner instanceof z.ZodObject) {
            if (keyPath.length > 0 && info.description)
                rows.push({ key, type: "object", defaultValue: "", description: info.description, example: "" });
            for (const [child, childSchema] of Object.entries(inner.shape as Record<string, z.ZodTypeAny>))
                walk(childSchema, [...keyPath, child]);
            return;
        }
        if (inner instanceof z.ZodRecord && peel(inner.valueSchema) instanceof z.ZodObject) {
            rows.push({
                key,
                type: "map of object",
                defaultValue: format(info.defaultValue),
                description: info.description ?? "",
                example: "",
            });
            walk(inner.valueSchema, [...keyPath, "<name>"]);
            return;
        }
        if (inner instanceof z.ZodArray && peel(inner.element) instanceof z.ZodObject) {
            rows.push({
                key,
                type: "list of object",
                defaultValue: format(info.defaultValue),
                description: info.description ?? "",
                example: "",
            });
            walk(inner.element, [...keyPath, "[]"]);
            return;
        }
        rows.push({
            key,
            type: typeName(schema),
            defaultValue:
                info.defaultValue !== undefined ? format(info.defaultValue) : info.required ? "**required**" : "",
            description: info.description ?? "",
            example: format(example),
        });
    };
    walk(stackConfigSchema, []);
    return rows;
}

export function renderConfigReference(): string {
    const lines = [
        "# Stackwright config reference",
        "",
        "<!-- Generated from config/schema.ts by `npm run docs`; a test fails when this file and the schema disagree. -->",
        "",
        "Every key lives in the `stackwright` namespace of a stack file (`stackwright:services`, `stackwright:postgres`, ...).",
        "Unknown keys are errors. `<name>` stands for a map key (e.g. a service name), `[]` for a list element.",
        "Secret values (object-store keys, webhook URLs) should be set with `pulumi config set --secret --path`.",
        "",
        "| key | type | default | description | example |",
        "|---|---|---|---|---|",
        ...referenceRows().map(
            (r) =>
                `| \`${r.key}\` | ${r.type} | ${r.defaultValue} | ${r.description.replace(/\|/g, "\\|")} | ${r.example} |`,
        ),
        "",
    ];
    return lines.join("\n");
}
