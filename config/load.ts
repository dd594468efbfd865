/**
 * Reading the stack's config and reporting problems: `loadConfig()` validates everything once, before any resource
 * is registered, and throws one ConfigError listing every problem (schema errors, then the rules over whatever
 * parsed). Components never read `pulumi.Config`; they receive the typed values parsed here.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { credentialPaths, isCredentialPath } from "./credentials";
import { valueAt } from "./raw";
import { crossFieldProblems, inertSettings, RuleContext } from "./rules";
import { CONFIG_NAMESPACE, service, ServiceConfig, StackConfig, stackConfigSchema } from "./schema";

// ---------------------------------------------------------------------------------------------------------------
// Loading and error reporting
// ---------------------------------------------------------------------------------------------------------------

export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(
            `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
        );
        this.name = "ConfigError";
    }
}

function formatKey(path: (string | number)[]): string {
    const [top, ...rest] = path;
    return `${CONFIG_NAMESPACE}:${[String(top ?? ""), ...rest.map((p) => (typeof p === "number" ? `[${p}]` : String(p)))].join(".").replace(/\.\[/g, "[")}`;
}

function show(value: unknown): string {
    if (value === undefined) return "(missing)";
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Top-level keys (without the namespace) that hold a credential, so must be supplied as Pulumi secrets. */
export function credentialSections(raw: Record<string, unknown>): string[] {
    return [...new Set(credentialPaths(raw).map((path) => String(path[0])))];
}

function describeIssue(issue: z.ZodIssue, raw: unknown): string {
    const secret = isCredentialPath(issue.path);
    const value = secret ? "(secret value hidden)" : valueAt(raw, issue.path);
    const key = formatKey(issue.path);
    switch (issue.code) {
        case z.ZodIssueCode.unrecognized_keys: {
            const allowed = allowedKeysAt(issue.path);
            const where = issue.path.length === 0 ? "top-level keys" : `keys at ${key}`;
            return issue.keys
                .map(
                    (k) =>
                        `${formatKey([...issue.path, k])}: unknown key${allowed ? ` (allowed ${where}: ${allowed.join(", ")})` : ""}`,
                )
                .join("\n  - ");
        }
        case z.ZodIssueCode.invalid_enum_value:
            return `${key}: ${show(value)} is not allowed (allowed: ${issue.options.join(", ")})`;
        case z.ZodIssueCode.invalid_type:
            return value === undefined
                ? `${key}: is required (${issue.expected})`
                : `${key}: ${show(value)} must be ${issue.expected}, not ${issue.received}`;
        case z.ZodIssueCode.invalid_union: {
            // Report the branch of the value's own type (a number for `cpu: -1`), not zod's bare "Invalid input".
            const relevant = issue.unionErrors
                .flatMap((e) => e.issues)
                .find((i) => i.code !== z.ZodIssueCode.invalid_type);
            if (relevant) return describeIssue(relevant, raw);
            const expected = issue.unionErrors
                .flatMap((e) => e.issues)
                .map((i) => (i.code === z.ZodIssueCode.invalid_type ? i.expected : undefined))
                .filter(Boolean);
            return `${key}: ${show(value)} must be ${[...new Set(expected)].join(" or ")}`;
        }
        case z.ZodIssueCode.too_small:
        case z.ZodIssueCode.too_big:
            return `${key}: ${show(value)} ${issue.message.replace(/^Number must be |^String must contain |^Array must contain /, "must be ")}`;
        default:
            return `${key}: ${show(value)} ${issue.message}`;
    }
}

/** Keys allowed at a path of the schema, for "unknown key" messages. */
function allowedKeysAt(path: (string | number)[]): string[] | undefined {
    let schema: z.ZodTypeAny = stackConfigSchema;
    for (const key of path) {
        schema = unwrap(schema);
        if (schema instanceof z.ZodObject) schema = schema.shape[key as string];
        else if (schema instanceof z.ZodRecord) schema = schema.valueSchema;
        else if (schema instanceof z.ZodArray) schema = schema.element;
        else return undefined;
        if (!schema) return undefined;
    }
    schema = unwrap(schema);
    return schema instanceof z.ZodObject ? Object.keys(schema.shape) : undefined;
}

export function unwrap(schema: z.ZodTypeAny): z.ZodTypeAny {
    let s = schema;
    for (;;) {
        if (s instanceof z.ZodDefault) s = s._def.innerType;
        else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
        else if (s instanceof z.ZodEffects) s = s.innerType();
        else return s;
    }
}

/** Config namespaces a stack file may use besides `stackwright`: Pulumi itself and the providers the program uses. */
export const OTHER_CONFIG_NAMESPACES = ["pulumi", "kubernetes", "random", "tls"] as const;

/** Keys of another namespace: allowed ones are not ours to check, any other is a typo that would be ignored. */
function namespaceProblems(raw: Record<string, unknown>): string[] {
    const allowed: readonly string[] = [CONFIG_NAMESPACE, ...OTHER_CONFIG_NAMESPACES];
    return Object.keys(raw)
        .filter((key) => key.includes(":") && !allowed.includes(key.slice(0, key.indexOf(":"))))
        .map((key) => {
            const namespace = key.slice(0, key.indexOf(":"));
            return `${key}: unknown config namespace "${namespace}", so the key would be ignored (allowed namespaces: ${allowed.join(", ")}; settings of this program are "${CONFIG_NAMESPACE}:${key.slice(namespace.length + 1)}")`;
        });
}

/**
 * Credentials set as plain config values. Pulumi marks secret-ness per top-level key (`pulumi config set --secret
 * --path` makes all of `stackwright:postgres` secret), so that is the granularity checked here.
 */
function plainCredentialProblems(raw: Record<string, unknown>, isSecret: (topLevelKey: string) => boolean): string[] {
    return credentialPaths(raw)
        .filter((path) => !isSecret(String(path[0])))
        .map((path) => {
            const key = formatKey([...path]);
            return `${key}: is a plain config value, but it is a credential (allowed: a secret; set it with \`pulumi config set --secret --path '${key}' <value>\`)`;
        });
}

/** The sections of a config that parse on their own, for running the cross-field rules when the whole does not. */
function parseSections(raw: Record<string, unknown>): { cfg: StackConfig; failed: Set<string> } {
    const shape = stackConfigSchema.shape;
    const out: Record<string, unknown> = {};
    const failed = new Set<string>();
    for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
        if (key === "services") continue;
        const result = (shape[key] as z.ZodTypeAny).safeParse(raw[key]);
        if (result.success) {
            out[key] = result.data;
        } else {
            failed.add(key);
            // A stand-in only: every rule reading this key is skipped (RuleContext.parsed).
            const fallback = (shape[key] as z.ZodTypeAny).safeParse(undefined);
            out[key] = fallback.success ? fallback.data : key === "environment" ? "dev" : "invalid.example";
        }
    }
    const services: Record<string, ServiceConfig> = {};
    const rawServices = raw.services ?? {};
    if (rawServices === null || typeof rawServices !== "object" || Array.isArray(rawServices)) {
        failed.add("services");
    } else {
        for (const [name, value] of Object.entries(rawServices)) {
            const result = service.safeParse(value);
            if (result.success) services[name] = result.data;
            else failed.add("services");
        }
    }
    out.services = services;
    return { cfg: out as StackConfig, failed };
}

function serviceNamesOf(raw: Record<string, unknown>): string[] {
    const services = raw.services;
    return services !== null && typeof services === "object" && !Array.isArray(services) ? Object.keys(services) : [];
}

export interface ParseOptions {
    /**
     * Whether a top-level key (without the namespace) was supplied as a Pulumi secret; when given, every credential
     * (CREDENTIAL_KEYS) must be a secret. @default no secret-ness check
     */
    readonly isSecret?: (topLevelKey: string) => boolean;
    /** Receives each warning (a setting that does nothing because its feature is off). @default ignored */
    readonly onWarning?: (message: string) => void;
}

/**
 * Validates a raw config object (top-level keys without the namespace; keys of other namespaces keep theirs).
 * Throws one ConfigError listing every problem: schema errors, and the cross-field rules over whatever parsed.
 */
export function parseConfig(raw: Record<string, unknown>, opts: ParseOptions = {}): StackConfig {
    const prefix = `${CONFIG_NAMESPACE}:`;
    const own = Object.fromEntries(
        Object.entries(raw)
            .filter(([key]) => !key.includes(":") || key.startsWith(prefix))
            .map(([key, value]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key, value]),
    );
    const problems = namespaceProblems(raw);
    if (opts.isSecret) problems.push(...plainCredentialProblems(own, opts.isSecret));
    const result = stackConfigSchema.safeParse(own);
    const { cfg, failed } = result.success ? { cfg: result.data, failed: new Set<string>() } : parseSections(own);
    if (!result.success) problems.push(...result.error.issues.map((i) => describeIssue(i, own)));
    const context: RuleContext = {
        parsed: (...keys) => keys.every((k) => !failed.has(k)),
        serviceNames: serviceNamesOf(own),
    };
    const inert = inertSettings(own, cfg, context.parsed);
    problems.push(
        ...[...crossFieldProblems(cfg, context), ...inert.problems].map((p) => `${formatKey(p.path)}: ${p.message}`),
    );
    if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
    for (const w of inert.warnings) opts.onWarning?.(`${formatKey(w.path)}: ${w.message}`);
    return cfg;
}

/** Reads every key of the current stack: `stackwright:*` without the namespace, others in full (JSON values parsed). */
export function readRawConfig(): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":", 2);
        const name = namespace === CONFIG_NAMESPACE && key !== undefined ? key : fullKey;
        raw[name] = /^\s*[[{]/.test(text) ? JSON.parse(text) : text;
    }
    return raw;
}

/**
 * Whether a config key is a secret. `isConfigSecret` is exported by @pulumi/pulumi's runtime but missing from its
 * type declarations; without it the check cannot be made, so every key counts as secret (no false alarms).
 */
function isSecretKey(topLevelKey: string): boolean {
    const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    return typeof isConfigSecret === "function" ? isConfigSecret(`${CONFIG_NAMESPACE}:${topLevelKey}`) : true;
}

/** Loads and validates the stack configuration. Called once at start-up, before any resource is registered. */
export function loadConfig(): StackConfig {
    // Warnings show in `pulumi preview` and `up` output; they never stop a deployment.
    return parseConfig(readRawConfig(), {
        isSecret: isSecretKey,
        onWarning: (message) => void pulumi.log.warn(message),
    });
}
