// Strict schema validation of rendered Kubernetes objects for the whole-stack tests.
//
// Sources, chosen by API group:
// - built-in Kubernetes groups (core, apps, batch, ...): `kubernetes-models`;
// - groups defined by a CRD in the CRD directory (Gateway API, CloudNativePG, NGINX Gateway Fabric, ...):
//   the CRD's own openAPIV3Schema for the served version, compiled with ajv. The CRDs match the versions we
//   install, so for a group they define they are authoritative (no fallback to a package);
// - other groups with a model package: Istio (`@kubernetes-models/istio`), Prometheus Operator
//   (`@kubernetes-models/prometheus-operator`), cert-manager (`@kubernetes-models/cert-manager`);
// - anything else: a violation "no schema for ...", unless the group is allow-listed by the caller.
//
// Strictness: the kubernetes-models validators are precompiled ajv code (no JSON schemas ship with them) and
// accept unknown fields. We run them on a Proxy of the object that records which properties each validator
// reads: a schema with `properties` reads every declared property, a map/additionalProperties schema
// enumerates the keys with for-in, a free-form object reads nothing. So a key of an object that the
// validator read from, did not enumerate, and never read itself is undeclared: an unknown field.
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import * as yaml from "js-yaml";

/** A rendered Kubernetes object as plain data (Pulumi inputs may still hold `undefined` values). */
export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata?: { name?: string; namespace?: string; [key: string]: unknown };
    [key: string]: unknown;
}

export interface SchemaViolation {
    /** "Kind namespace/name" (or "Kind name" without namespace). */
    object: string;
    /** What is wrong, starting with the field path, e.g. `spec.replicas: must be integer`. */
    message: string;
}

export interface SchemaValidationOptions {
    /**
     * API groups for which no schema is available and which may pass unvalidated (e.g. "barmancloud.cnpg.io").
     * Objects of these groups are still validated when a schema exists.
     * @default []
     */
    readonly unvalidatedGroups?: readonly string[];
    /**
     * Directory holding the upstream CRD files (searched recursively).
     * @default env STACKWRIGHT_CRDS_DIR, else `<repo>/../shared/crds`
     */
    readonly crdsDir?: string;
}

// ts-node (module: commonjs) rewrites `import()` into `require()`, which cannot load ESM-only packages.
const dynamicImport = new Function("s", "return import(s)") as (specifier: string) => Promise<any>;

const DEFAULT_CRDS_DIR = path.resolve(__dirname, "../../../shared/crds");

/** Model packages for API groups that are not built into Kubernetes, used when no CRD defines the group. */
const MODEL_PACKAGES: Readonly<Record<string, string>> = {
    "networking.istio.io": "@kubernetes-models/istio",
    "security.istio.io": "@kubernetes-models/istio",
    "telemetry.istio.io": "@kubernetes-models/istio",
    "extensions.istio.io": "@kubernetes-models/istio",
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
    "cert-manager.io": "@kubernetes-models/cert-manager",
    "acme.cert-manager.io": "@kubernetes-models/cert-manager",
};

/** The CRD directory to use: option, else env STACKWRIGHT_CRDS_DIR, else `<repo>/../shared/crds`. */
export function resolveCrdsDir(explicit?: string): string {
    return path.resolve(explicit ?? process.env.STACKWRIGHT_CRDS_DIR ?? DEFAULT_CRDS_DIR);
}

/** Validates every object strictly; returns all violations (empty when everything is valid). */
export async function validateAgainstSchemas(
    objects: readonly KubeObject[],
    options: SchemaValidationOptions = {},
): Promise<SchemaViolation[]> {
    const unvalidated = new Set(options.unvalidatedGroups ?? []);
    const crdsDir = resolveCrdsDir(options.crdsDir);
    const violations: SchemaViolation[] = [];
    for (const object of objects) {
        const label = objectLabel(object);
        const report = (message: string) => violations.push({ object: label, message });
        const problems: string[] = [];
        const data = toPlainJson(object, [], problems);
        problems.forEach(report);
        if (!isPlainObject(data)) {
            report("object is not a JSON object");
            continue;
        }
        const { apiVersion, kind } = data;
        if (typeof apiVersion !== "string" || apiVersion === "" || typeof kind !== "string" || kind === "") {
            report("apiVersion and kind must be non-empty strings");
            continue;
        }
        const validator = await findValidator(apiVersion, kind, crdsDir);
        if (!validator) {
            if (!unvalidated.has(groupOf(apiVersion))) report(`no schema for ${apiVersion} ${kind}`);
            continue;
        }
        validator(data, kind !== "Secret").forEach(report);
    }
    return violations;
}

/** Throws one error listing every violation; resolves when all objects are valid. */
export async function assertValidObjects(
    objects: readonly KubeObject[],
    options: SchemaValidationOptions = {},
): Promise<void> {
    const violations = await validateAgainstSchemas(objects, options);
    if (violations.length === 0) return;
    const lines = violations.map((v) => `  ${v.object}: ${v.message}`);
    throw new Error(`${violations.length} schema violation(s):\n${lines.join("\n")}`);
}

// ---------------------------------------------------------------------------------------------------------
// Validators

/** Validates one plain object; returns messages. `showValues` is false for Secrets (values are secret). */
type ObjectValidator = (data: Record<string, unknown>, showValues: boolean) => string[];

const validatorCache = new Map<string, Promise<ObjectValidator | undefined>>();

function findValidator(apiVersion: string, kind: string, crdsDir: string): Promise<ObjectValidator | undefined> {
    const key = `${crdsDir}\n${apiVersion}\n${kind}`;
    let found = validatorCache.get(key);
    if (!found) {
        found = createValidator(apiVersion, kind, crdsDir);
        validatorCache.set(key, found);
        // A failure (e.g. missing CRD dir) must not be cached: the next call should report it again.
        found.catch(() => validatorCache.delete(key));
    }
    return found;
}

async function createValidator(
    apiVersion: string,
    kind: string,
    crdsDir: string,
): Promise<ObjectValidator | undefined> {
    const group = groupOf(apiVersion);
    const version = apiVersion.includes("/") ? apiVersion.slice(apiVersion.indexOf("/") + 1) : apiVersion;
    if (!/^v\d+((alpha|beta)\d+)?$/.test(version) || !/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) return undefined;
    if (builtinGroups().has(group)) {
        const modulePath =
            group === "" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
        return modelValidator(modulePath, apiVersion, kind);
    }
    const crds = loadCrdIndex(crdsDir);
    if (crds.has(group)) {
        const entry = crds.get(group)?.get(`${version}/${kind}`);
        return entry ? crdValidator(entry) : undefined;
    }
    const derive = DERIVED_SCHEMAS[`${apiVersion} ${kind}`];
    if (derive) return crdValidator(derive(crds));
    const pkg = MODEL_PACKAGES[group];
    return pkg ? modelValidator(`${pkg}/${group}/${version}/${kind}`, apiVersion, kind) : undefined;
}

/**
 * Custom resources whose CRD is not in the directory but whose spec is made of types that a CRD there declares.
 * The Barman Cloud plugin's ObjectStore: its `spec.configuration` is barman-cloud's BarmanObjectStoreConfiguration,
 * the same Go type as the CloudNativePG Cluster's in-tree `spec.backup.barmanObjectStore` (the plugin's docs say
 * so), and `retentionPolicy` has the Cluster's format. `instanceSidecarConfiguration` allows only the fields the
 * plugin's API reference documents that we can check here (env, resources, retentionPolicyIntervalSeconds).
 */
const DERIVED_SCHEMAS: Readonly<
    Record<string, (crds: Map<string, Map<string, CrdVersionSchema>>) => CrdVersionSchema>
> = {
    "barmancloud.cnpg.io/v1 ObjectStore": (crds) => {
        const cluster = crds.get("postgresql.cnpg.io")?.get("v1/Cluster");
        if (!cluster)
            throw new Error(
                "the ObjectStore schema is derived from the CloudNativePG Cluster CRD, which is not in the CRD directory",
            );
        const clusterSpec = (cluster.schema.properties as any).spec.properties;
        const backup = clusterSpec.backup.properties;
        return {
            source: `${cluster.source} (spec.backup.barmanObjectStore, as barmancloud.cnpg.io/v1 ObjectStore)`,
            schema: {
                type: "object",
                required: ["spec"],
                properties: {
                    apiVersion: { type: "string" },
                    kind: { type: "string" },
                    metadata: { type: "object" },
                    spec: {
                        type: "object",
                        required: ["configuration"],
                        properties: {
                            configuration: backup.barmanObjectStore,
                            retentionPolicy: backup.retentionPolicy,
                            instanceSidecarConfiguration: {
                                type: "object",
                                properties: {
                                    env: clusterSpec.env,
                                    resources: clusterSpec.resources,
                                    retentionPolicyIntervalSeconds: { type: "integer" },
                                },
                            },
                        },
                    },
                },
            },
        };
    },
};

let builtinGroupsCache: Set<string> | undefined;

/** API groups modelled by `kubernetes-models` (its top-level folders; "" is the core group). */
function builtinGroups(): Set<string> {
    if (!builtinGroupsCache) {
        const dir = packageDir("kubernetes-models");
        const groups = fs
            .readdirSync(dir, { withFileTypes: true })
            .filter((e) => e.isDirectory() && !e.name.startsWith("_") && e.name !== "v1")
            .map((e) => e.name);
        builtinGroupsCache = new Set(["", ...groups]);
    }
    return builtinGroupsCache;
}

function packageDir(name: string): string {
    // require.resolve cannot see ESM-only packages (their exports have no "require" condition).
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const candidate = path.join(dir, "node_modules", name);
        if (fs.existsSync(path.join(candidate, "package.json"))) return candidate;
        if (path.dirname(dir) === dir) throw new Error(`package ${name} is not installed`);
    }
}

interface ModelClass {
    apiVersion?: string;
    kind?: string;
    prototype: { validate(this: unknown): void };
}

async function importModel(modulePath: string, exportName: string): Promise<ModelClass | undefined> {
    let mod: Record<string, unknown>;
    try {
        mod = await dynamicImport(modulePath);
    } catch (error) {
        // No such kind/version in the package -> no schema; a missing package is a broken setup -> throw.
        const { code, message } = error as { code?: string; message?: string };
        const missingPackage = message?.startsWith("Cannot find package") ?? false;
        if (code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || (code === "ERR_MODULE_NOT_FOUND" && !missingPackage))
            return undefined;
        throw error;
    }
    const cls = mod[exportName] as unknown;
    if (typeof cls !== "function") return undefined;
    const model = cls as unknown as ModelClass;
    return typeof model.prototype?.validate === "function" ? model : undefined;
}

/** Validator from a kubernetes-models model class, made strict by tracing the properties it reads. */
async function modelValidator(
    modulePath: string,
    apiVersion: string,
    kind: string,
): Promise<ObjectValidator | undefined> {
    const model = await importModel(modulePath, kind);
    // Only top-level resources: `v1/PodSpec` exists as a model but has no apiVersion/kind.
    if (!model || model.apiVersion !== apiVersion || model.kind !== kind) return undefined;
    return (data, showValues) => runModelValidation(model, data, [], data, showValues);
}

let objectMetaModel: Promise<ModelClass | undefined> | undefined;

/** ObjectMeta from kubernetes-models, so that metadata of custom resources is as strict as built-in ones. */
function objectMeta(): Promise<ModelClass | undefined> {
    objectMetaModel ??= importModel("@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta", "ObjectMeta");
    return objectMetaModel;
}

function runModelValidation(
    model: ModelClass,
    data: unknown,
    prefix: readonly string[],
    root: unknown,
    showValues: boolean,
): string[] {
    const tracer = new ReadTracer();
    let errors: ErrorObject[] = [];
    try {
        model.prototype.validate.call(tracer.wrap(data));
    } catch (error) {
        const ajvErrors = (error as { errors?: ErrorObject[] }).errors;
        if (!Array.isArray(ajvErrors)) throw error;
        errors = ajvErrors;
    }
    const messages = formatAjvErrors(errors, prefix, root, showValues);
    for (const unknown of tracer.unknownFields(data))
        messages.push(`${formatPath([...prefix, ...unknown])}: unknown field`);
    return messages;
}

/**
 * The kubernetes-models generator strips every `description` and `x-kubernetes-*` key from its schemas, including
 * properties of those names (JSONSchemaProps.description, PagerDuty's description, ...): the validators never read
 * them, so we cannot tell declared from unknown and let them pass.
 */
const UNVERIFIABLE_FIELD = /^(description|x-kubernetes-.*)$/;

interface Trace {
    /** Property names the validator read (`data.x`, `"x" in data`). */
    readonly read: Set<string>;
    /** The validator enumerated the keys with for-in (maps, patternProperties, additionalProperties). */
    enumerated: boolean;
}

/** Wraps plain data in Proxies that record how a validator looks at each object. */
class ReadTracer {
    private readonly traces = new Map<object, Trace>();
    private readonly proxies = new WeakMap<object, object>();

    wrap<T>(value: T): T {
        if (value === null || typeof value !== "object") return value;
        const target = value as object;
        let proxy = this.proxies.get(target);
        if (!proxy) {
            const trace: Trace = { read: new Set(), enumerated: false };
            if (!Array.isArray(target)) this.traces.set(target, trace);
            proxy = new Proxy(target, {
                get: (t, key) => {
                    if (typeof key === "string") trace.read.add(key);
                    return this.wrap(Reflect.get(t, key));
                },
                has: (t, key) => {
                    if (typeof key === "string") trace.read.add(key);
                    return Reflect.has(t, key);
                },
                // for-in asks for the prototype after the own keys; Object.keys (minProperties,
                // maxProperties) does not, so a size check does not open a closed object.
                getPrototypeOf: (t) => {
                    trace.enumerated = true;
                    return Reflect.getPrototypeOf(t);
                },
            });
            this.proxies.set(target, proxy);
        }
        return proxy as T;
    }

    /** Paths (relative to `data`) of keys the validator never read in objects it checked property by property. */
    unknownFields(data: unknown): string[][] {
        const found: string[][] = [];
        const visit = (value: unknown, at: string[]) => {
            if (Array.isArray(value)) {
                value.forEach((item, i) => visit(item, [...at, String(i)]));
                return;
            }
            if (value === null || typeof value !== "object") return;
            const trace = this.traces.get(value);
            // Untraced: the validator never looked inside (free-form parent). No reads: free-form object.
            const closed = trace !== undefined && !trace.enumerated && trace.read.size > 0;
            for (const [key, child] of Object.entries(value)) {
                if (closed && !trace.read.has(key) && !UNVERIFIABLE_FIELD.test(key)) found.push([...at, key]);
                else visit(child, [...at, key]);
            }
        };
        visit(data, []);
        return found;
    }
}

// ---------------------------------------------------------------------------------------------------------
// CRDs

interface CrdVersionSchema {
    readonly source: string;
    readonly schema: Record<string, unknown>;
}

const crdIndexCache = new Map<string, Map<string, Map<string, CrdVersionSchema>>>();

/** group -> "version/kind" -> schema, for every served version of every CRD under `dir`. */
function loadCrdIndex(dir: string): Map<string, Map<string, CrdVersionSchema>> {
    const cached = crdIndexCache.get(dir);
    if (cached) return cached;
    const hint =
        `Set STACKWRIGHT_CRDS_DIR to the folder holding the upstream CRD folders ` +
        `(cloudnative-pg-*, gateway-api-*, nginx-gateway-fabric-*), or place them at ${DEFAULT_CRDS_DIR}.`;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new Error(`CRD directory not found: looked in ${dir}. ${hint}`);
    }
    const index = new Map<string, Map<string, CrdVersionSchema>>();
    for (const file of listFiles(dir).filter((f) => /\.(ya?ml|json)$/.test(f))) {
        for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
            if (!isPlainObject(doc) || doc.kind !== "CustomResourceDefinition") continue;
            if (doc.apiVersion !== "apiextensions.k8s.io/v1") continue;
            const spec = doc.spec as { group: string; names: { kind: string }; versions?: any[] };
            for (const version of spec.versions ?? []) {
                const schema = version?.schema?.openAPIV3Schema;
                if (!version.served || !isPlainObject(schema)) continue;
                const key = `${version.name}/${spec.names.kind}`;
                const byKind = index.get(spec.group) ?? new Map<string, CrdVersionSchema>();
                index.set(spec.group, byKind);
                const existing = byKind.get(key);
                if (existing) {
                    throw new Error(`${spec.group}/${key} is defined twice: in ${existing.source} and ${file}`);
                }
                byKind.set(key, { source: path.relative(dir, file), schema });
            }
        }
    }
    if (index.size === 0) throw new Error(`CRD directory ${dir} holds no CustomResourceDefinitions. ${hint}`);
    crdIndexCache.set(dir, index);
    return index;
}

function listFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]))
        .sort();
}

let crdAjv: Ajv | undefined;

function ajvForCrds(): Ajv {
    crdAjv ??= new Ajv({
        allErrors: true,
        strict: false,
        // Kubernetes patterns are RE2; the "u" flag would reject harmless escapes such as `\-`.
        unicodeRegExp: false,
        logger: false,
        formats: CRD_FORMATS,
    });
    return crdAjv;
}

const INT32 = 2 ** 31;

/** The formats Kubernetes CRDs use; any other format is registered as "anything goes" when seen. */
const CRD_FORMATS = {
    int32: { type: "number" as const, validate: (n: number) => Number.isInteger(n) && n >= -INT32 && n < INT32 },
    int64: { type: "number" as const, validate: (n: number) => Number.isInteger(n) },
    float: { type: "number" as const, validate: () => true },
    double: { type: "number" as const, validate: () => true },
    "date-time": /^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/,
    date: /^\d{4}-\d\d-\d\d$/,
    byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
    ipv4: (s: string) => net.isIPv4(s),
    ipv6: (s: string) => net.isIPv6(s),
};

async function crdValidator(entry: CrdVersionSchema): Promise<ObjectValidator> {
    const metadataModel = await objectMeta();
    if (!metadataModel) throw new Error("kubernetes-models ObjectMeta model not found");
    const ajv = ajvForCrds();
    const schema = strictCrdSchema(entry.schema);
    for (const format of collectFormats(schema)) {
        if (!ajv.formats[format]) ajv.addFormat(format, true);
    }
    let validate: ValidateFunction;
    try {
        validate = ajv.compile(schema);
    } catch (error) {
        throw new Error(`cannot compile the schema from ${entry.source}: ${(error as Error).message}`);
    }
    return (data, showValues) => {
        // The API server prunes nulls of non-nullable fields.
        const pruned = withoutNulls(data) as Record<string, unknown>;
        const messages = validate(pruned) ? [] : formatAjvErrors(validate.errors ?? [], [], pruned, showValues);
        if (pruned.metadata !== undefined) {
            messages.push(...runModelValidation(metadataModel, pruned.metadata, ["metadata"], pruned, showValues));
        }
        return messages;
    };
}

/** CRD openAPIV3Schema -> JSON schema where undeclared fields are errors, as the API server prunes them. */
function strictCrdSchema(root: Record<string, unknown>): Record<string, unknown> {
    const schema = strictify(root, false);
    const properties = { ...(schema.properties as Record<string, unknown>) };
    // Root metadata is validated by kubernetes-models' ObjectMeta, as strictly as for built-in kinds.
    properties.metadata = { type: "object" };
    return { ...schema, properties };
}

function strictify(node: Record<string, unknown>, inJunctor: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
        if (key === "description" || key === "example" || key.startsWith("x-kubernetes-")) continue;
        if (key === "properties" && isPlainObject(value)) {
            out.properties = Object.fromEntries(
                Object.entries(value).map(([name, child]) => [
                    name,
                    strictify(child as Record<string, unknown>, inJunctor),
                ]),
            );
        } else if ((key === "items" || key === "additionalProperties") && isPlainObject(value)) {
            out[key] = strictify(value, inJunctor);
        } else if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
            out[key] = value.map((branch) => strictify(branch, true));
        } else if (key === "not" && isPlainObject(value)) {
            out.not = strictify(value, true);
        } else {
            out[key] = value;
        }
    }
    if (node["x-kubernetes-int-or-string"] === true) {
        delete out.type;
        if (!out.anyOf && !out.oneOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
    }
    if (out.nullable !== undefined && out.type === undefined) delete out.nullable;
    if (node["x-kubernetes-embedded-resource"] === true) {
        out.properties = {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            ...(out.properties as Record<string, unknown> | undefined),
        };
    }
    // Structural schemas: only the main tree (not junctor branches) declares fields.
    const open = node["x-kubernetes-preserve-unknown-fields"] === true || out.additionalProperties !== undefined;
    if (!inJunctor && out.type === "object" && !open) out.additionalProperties = false;
    return out;
}

function collectFormats(node: unknown, found = new Set<string>()): Set<string> {
    if (Array.isArray(node)) node.forEach((n) => collectFormats(n, found));
    else if (isPlainObject(node)) {
        if (typeof node.format === "string") found.add(node.format);
        Object.values(node).forEach((n) => collectFormats(n, found));
    }
    return found;
}

function withoutNulls(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(withoutNulls);
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) if (child !== null) out[key] = withoutNulls(child);
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// Data and messages

/** Deep copy as JSON: drops `undefined` keys (Pulumi inputs), reports values JSON cannot hold. */
function toPlainJson(value: unknown, at: string[], problems: string[]): unknown {
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") {
        if (!Number.isFinite(value)) problems.push(`${formatPath(at)}: ${value} is not a JSON number`);
        return value;
    }
    if (Array.isArray(value))
        return value.map((item, i) => (item === undefined ? null : toPlainJson(item, [...at, String(i)], problems)));
    if (isPlainObject(value)) {
        const out: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(value)) {
            if (child === undefined) continue;
            const copy = toPlainJson(child, [...at, key], problems);
            if (copy !== undefined) out[key] = copy;
        }
        return out;
    }
    const what = typeof value === "object" ? `${value?.constructor?.name ?? "non-plain"} instance` : typeof value;
    problems.push(`${formatPath(at)}: not plain JSON: ${what} (unresolved Pulumi Output?)`);
    return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
}

function formatAjvErrors(
    errors: readonly ErrorObject[],
    prefix: readonly string[],
    root: unknown,
    showValues: boolean,
): string[] {
    const byPath = new Map<string, { segments: string[]; messages: string[]; showValue: boolean }>();
    for (const error of errors) {
        let segments = [...prefix, ...pointerSegments(error.instancePath)];
        let message = error.message ?? error.keyword;
        let showValue = showValues;
        if (error.keyword === "additionalProperties") {
            segments = [...segments, String(error.params.additionalProperty)];
            message = "unknown field";
            showValue = false;
        } else if (error.keyword === "required") {
            // Same wording whichever localisation produced the error.
            message = `must have required property '${String(error.params.missingProperty)}'`;
        } else if (error.keyword === "enum") {
            message += `: ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
        }
        const key = formatPath(segments);
        const entry = byPath.get(key) ?? { segments, messages: [], showValue };
        if (!entry.messages.includes(message)) entry.messages.push(message);
        byPath.set(key, entry);
    }
    return [...byPath].map(([at, { segments, messages, showValue }]) => {
        const value = showValue ? describeValue(root, segments) : "";
        return `${at}: ${messages.join("; ")}${value}`;
    });
}

/** ` (got "2 cores")` for a scalar at `segments`, "" otherwise. */
function describeValue(root: unknown, segments: readonly string[]): string {
    let value = root;
    for (const segment of segments) {
        if (value === null || typeof value !== "object") return "";
        value = (value as Record<string, unknown>)[segment];
    }
    if (value === undefined || (value !== null && typeof value === "object")) return "";
    const text = JSON.stringify(value);
    return ` (got ${text.length > 80 ? `${text.slice(0, 77)}...` : text})`;
}

function pointerSegments(pointer: string): string[] {
    if (pointer === "") return [];
    return pointer
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** `["spec", "containers", "0", "name"]` -> `spec.containers[0].name`. */
function formatPath(segments: readonly string[]): string {
    if (segments.length === 0) return "(root)";
    let out = "";
    for (const segment of segments) {
        if (/^\d+$/.test(segment)) out += `[${segment}]`;
        else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
        else out += `[${JSON.stringify(segment)}]`;
    }
    return out;
}

function groupOf(apiVersion: string): string {
    return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

function objectLabel(object: KubeObject): string {
    const kind = typeof object?.kind === "string" ? object.kind : "<no kind>";
    const metadata = isPlainObject(object?.metadata) ? object.metadata : {};
    const name =
        typeof metadata.name === "string"
            ? metadata.name
            : typeof metadata.generateName === "string"
              ? `${metadata.generateName}*`
              : "<unnamed>";
    return typeof metadata.namespace === "string" && metadata.namespace !== ""
        ? `${kind} ${metadata.namespace}/${name}`
        : `${kind} ${name}`;
}
