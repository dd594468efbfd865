/**
 * Whole-stack test harness: runs the real index.ts under Pulumi's mocks with the config of a real
 * Pulumi.<stack>.yaml and records every registered resource with its resolved inputs, parent, dependencies and
 * provider. Mocks answer @pulumi/random and @pulumi/tls resources with realistic values and emulate Kubernetes
 * auto-naming (a random suffix appended to the resource name).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { credentialSections } from "../../config";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const STACKS = ["dev", "staging", "prod"] as const;
export type StackName = (typeof STACKS)[number];
const PROJECT = "stackwright";
/** A config key as Pulumi holds it: ours without a namespace get the project's. */
const fullConfigKey = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);

export interface RecordedResource {
    readonly urn: string;
    /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
    readonly type: string;
    /** Pulumi resource name. */
    readonly name: string;
    readonly custom: boolean;
    /** Resolved inputs; values unknown during a preview are the engine's unknown sentinel string (`unknownValue`). */
    readonly inputs: Record<string, any>;
    /** State the mock returned (inputs plus emulated outputs such as metadata.name). */
    readonly state: Record<string, any>;
    readonly parent?: string;
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
    /** Provider reference `urn::id`, when one was given. */
    readonly provider?: string;
}

export interface RenderedOutput {
    readonly value: unknown;
    readonly secret: boolean;
}

export interface RenderedStack {
    readonly stack: string;
    readonly resources: RecordedResource[];
    readonly outputs: Record<string, RenderedOutput>;
    /** Values the mocks generated for secrets (random passwords, private keys). */
    readonly generatedSecrets: string[];
    /** Provider functions the program called (e.g. `kubernetes:helm:template` for helm.v3.Chart in render mode). */
    readonly invokes: { readonly token: string; readonly inputs: Record<string, any> }[];
}

export interface RenderOptions {
    /** Replaces whole top-level keys of the stack's config (`services`, `postgres`, ...), as plain objects. */
    readonly overrides?: Record<string, unknown>;
    /** Uses this config instead of a stack file (keys without namespace). */
    readonly rawConfig?: Record<string, unknown>;
    /** Treat the run as a preview (pulumi.runtime.isDryRun() true). @default false */
    readonly preview?: boolean;
    /**
     * Top-level keys (without namespace) supplied as Pulumi secrets, as `pulumi config set --secret --path` marks them.
     * @default every key that holds a credential (config/load.ts credentialSections), as a correct stack file has them
     */
    readonly secretKeys?: readonly string[];
    /** Stack depth during the render. @default the `--stack-trace-limit` of Pulumi.yaml's nodeargs */
    readonly stackTraceLimit?: number;
}

/**
 * Project-level defaults from Pulumi.yaml plus the stack file's `stackwright:*` keys, without the namespace. Keys of
 * other namespaces keep theirs and are passed on, as Pulumi does (the program rejects unknown namespaces).
 */
export function readStackConfig(stack: string): Record<string, unknown> {
    const project = yaml.load(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as any;
    const raw: Record<string, unknown> = {};
    for (const [key, decl] of Object.entries<any>(project.config ?? {})) {
        if (!key.includes(":") && decl && typeof decl === "object" && "default" in decl) raw[key] = decl.default;
    }
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as any;
    for (const [key, value] of Object.entries<any>(doc?.config ?? {})) {
        const [ns, name] = key.split(":", 2);
        raw[ns === PROJECT && name !== undefined ? name : key] = value;
    }
    return raw;
}

/**
 * The stack's config as the engine hands it to a program's process: PULUMI_CONFIG (every value a string) and
 * PULUMI_CONFIG_SECRET_KEYS (the credential sections, as a correct stack file marks them).
 */
export function pulumiConfigEnv(raw: Record<string, unknown>): Record<string, string> {
    return {
        PULUMI_CONFIG: JSON.stringify(toPulumiConfig(raw)),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(credentialSections(raw).map(fullConfigKey)),
    };
}

/** The Node.js arguments Pulumi runs the program with (`runtime.options.nodeargs` in Pulumi.yaml). */
export function projectNodeArgs(projectFile = path.join(REPO_ROOT, "Pulumi.yaml")): string[] {
    const project = yaml.load(fs.readFileSync(projectFile, "utf8")) as {
        runtime?: { options?: { nodeargs?: string } };
    };
    const nodeargs = project.runtime?.options?.nodeargs ?? "";
    return nodeargs.split(/\s+/).filter((arg) => arg !== "");
}

/** `--stack-trace-limit` of the project's nodeargs: renders run with the stack depth `pulumi up` gives the program. */
const PROGRAM_STACK_TRACE_LIMIT = (() => {
    const flag = projectNodeArgs().find((arg) => arg.startsWith("--stack-trace-limit="));
    return flag === undefined ? undefined : Number(flag.split("=")[1]);
})();

function toPulumiConfig(raw: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
        out[fullConfigKey(key)] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

/** Deterministic pseudo-random text, so renders are stable across runs (blast-radius diffs). */
function fakeRandom(
    seed: string,
    length: number,
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789",
): string {
    let out = "";
    let counter = 0;
    while (out.length < length) {
        const block = crypto.createHash("sha256").update(`${seed}:${counter++}`).digest();
        for (const byte of block) if (out.length < length) out += alphabet[byte % alphabet.length];
    }
    return out;
}

function fakePem(label: string, seed: string): string {
    const body = Buffer.from(fakeRandom(seed, 300))
        .toString("base64")
        .match(/.{1,64}/g)!
        .join("\n");
    return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function mockState(type: string, name: string, inputs: Record<string, any>, generated: string[]): Record<string, any> {
    const seed = `${type}::${name}::${JSON.stringify(inputs.keepers ?? {})}`;
    switch (type) {
        case "random:index/randomPassword:RandomPassword": {
            const result = fakeRandom(seed, inputs.length ?? 32);
            generated.push(result);
            return { ...inputs, result, bcryptHash: `$2a$10$${fakeRandom(seed + "bcrypt", 53)}` };
        }
        case "random:index/randomBytes:RandomBytes": {
            const bytes = crypto
                .createHash("sha512")
                .update(seed)
                .digest()
                .subarray(0, inputs.length ?? 32);
            generated.push(bytes.toString("base64"), bytes.toString("hex"));
            return { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex") };
        }
        case "random:index/randomId:RandomId":
            return { ...inputs, hex: fakeRandom(seed, (inputs.byteLength ?? 8) * 2, "0123456789abcdef") };
        case "tls:index/privateKey:PrivateKey": {
            const privateKeyPem = fakePem("EC PRIVATE KEY", seed);
            generated.push(privateKeyPem);
            return {
                ...inputs,
                privateKeyPem,
                privateKeyPemPkcs8: privateKeyPem,
                publicKeyPem: fakePem("PUBLIC KEY", seed + "pub"),
                publicKeyOpenssh: `ecdsa-sha2-nistp256 ${fakeRandom(seed, 40)}`,
            };
        }
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return {
                ...inputs,
                certPem: fakePem("CERTIFICATE", seed),
                validityStartTime: "2026-01-01T00:00:00Z",
                validityEndTime: "2027-01-01T00:00:00Z",
                readyForRenewal: false,
            };
        case "tls:index/certRequest:CertRequest":
            return { ...inputs, certRequestPem: fakePem("CERTIFICATE REQUEST", seed) };
        default:
            break;
    }
    if (type.startsWith("kubernetes:") && inputs.metadata !== undefined && inputs.metadata.name === undefined) {
        // The Kubernetes provider auto-names objects: the Pulumi name plus a random 8-character suffix.
        return {
            ...inputs,
            metadata: { ...inputs.metadata, name: `${name}-${fakeRandom(seed, 8, "0123456789abcdef")}` },
        };
    }
    return { ...inputs };
}

/**
 * Secret values arrive wrapped ({ <sig>: <secret sig>, value }); tests look at the plain values. Unknowns (previews)
 * are recorded as the sentinel the engine sends analyzers (policy packs) in their place.
 */
function unwrapSecrets(value: any): any {
    if (pulumi.isUnknown(value)) return unknownValue;
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value === null || typeof value !== "object" || value.constructor !== Object) return value;
    if (value[specialSigKey] === specialSecretSig) return unwrapSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
}

function clearProjectModules(): void {
    for (const id of Object.keys(require.cache)) {
        if (
            id.startsWith(REPO_ROOT) &&
            !id.includes(`${path.sep}node_modules${path.sep}`) &&
            !id.includes(`${path.sep}test${path.sep}`)
        ) {
            delete require.cache[id];
        }
    }
}

/** A resource registration as the mock monitor receives it (`req` is the RegisterResourceRequest). */
export interface Registration {
    readonly req: any;
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Parent URN; "" for none. */
    readonly parent: string;
}

/**
 * Wraps the current mock monitor (call after pulumi.runtime.setMocks) so that `onRegister` sees every resource
 * registration before the mocks answer it.
 */
export function interceptRegistrations(onRegister: (registration: Registration) => void): void {
    const monitor = (pulumi.runtime as any).getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent();
        onRegister({ req, urn: monitor.newUrn(parent, type, name), type, name, parent });
        return original(req, callback);
    };
}

let renderQueue: Promise<unknown> = Promise.resolve();

/**
 * Renders a stack under the mocks. Throws what the program throws (e.g. a ConfigError), with
 * `error.recorded` holding whatever was registered before the error (so tests can assert nothing was).
 * Renders are serialised: Pulumi's runtime state is global.
 */
export function renderStack(stack: string, opts: RenderOptions = {}): Promise<RenderedStack> {
    // An unmodified stack file renders the same every time: once per process, shared read-only (frozen, so a test
    // that changed it would fail instead of leaking into the next).
    const unmodified =
        opts.overrides === undefined &&
        opts.rawConfig === undefined &&
        opts.secretKeys === undefined &&
        opts.stackTraceLimit === undefined;
    const key = `${stack}:${opts.preview === true}`;
    if (unmodified && memo.has(key)) return memo.get(key)!;
    const run = renderQueue.then(() => renderNow(stack, opts));
    renderQueue = run.catch(() => undefined);
    if (unmodified) memo.set(key, run.then(deepFreeze));
    return unmodified ? memo.get(key)! : run;
}

const memo = new Map<string, Promise<RenderedStack>>();

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

async function renderNow(stack: string, opts: RenderOptions): Promise<RenderedStack> {
    // @pulumi/pulumi reads `new Error().stack` for every promise it makes (promise-leak diagnostics): the depth
    // `pulumi up` runs with decides much of the render's cost, so the tests run with the same one.
    const testStackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = opts.stackTraceLimit ?? PROGRAM_STACK_TRACE_LIMIT ?? testStackTraceLimit;
    try {
        return await renderWithMocks(stack, opts);
    } finally {
        Error.stackTraceLimit = testStackTraceLimit;
    }
}

async function renderWithMocks(stack: string, opts: RenderOptions): Promise<RenderedStack> {
    const raw = opts.rawConfig ?? { ...readStackConfig(stack), ...(opts.overrides ?? {}) };
    const records = new Map<string, RecordedResource>();
    const generatedSecrets: string[] = [];
    const invokes: RenderedStack["invokes"] = [];

    const secretKeys = opts.secretKeys ?? credentialSections(raw);
    pulumi.runtime.setAllConfig(toPulumiConfig(raw), secretKeys.map(fullConfigKey));
    // The record being registered: the mock monitor calls newResource synchronously from registerResource, so
    // inputs and state are taken from the mock call instead of deserialising the request and response again.
    let registering: { inputs: Record<string, any>; state: Record<string, any> } | undefined;
    await pulumi.runtime.setMocks(
        {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                const computed = mockState(args.type, args.name, args.inputs, generatedSecrets);
                // In a preview the engine does not know what a provider computes on create (random results, keys,
                // certificates); Kubernetes auto-names are assigned in Check, so they stay known.
                const state =
                    opts.preview && !args.type.startsWith("kubernetes:")
                        ? Object.fromEntries(
                              Object.entries(computed).map(([k, v]) => [k, k in args.inputs ? v : pulumi.unknown]),
                          )
                        : computed;
                if (registering) {
                    registering.inputs = unwrapSecrets(args.inputs);
                    registering.state = unwrapSecrets(state);
                    registering = undefined;
                }
                return { id: args.custom ? `${args.name}-id` : undefined, state };
            },
            call: (args: pulumi.runtime.MockCallArgs) => {
                invokes.push({ token: args.token, inputs: args.inputs });
                // helm.v3.Chart (render mode) renders through this function; the chart tests render for real.
                return args.token === "kubernetes:helm:template" ? { result: [] } : args.inputs;
            },
        },
        PROJECT,
        stack,
        opts.preview ?? false,
    );

    // Wrap the mock monitor to see what the engine sees: parent, dependencies, provider.
    interceptRegistrations(({ req, urn, type, name, parent }) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        const record: RecordedResource = {
            urn,
            type,
            name,
            custom: req.getCustom(),
            inputs: {},
            state: {},
            parent: parent || undefined,
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            provider: req.getProvider() || undefined,
        };
        records.set(urn, record);
        registering = record as { inputs: Record<string, any>; state: Record<string, any> };
    });

    clearProjectModules();
    let program: Record<string, unknown>;
    try {
        // A fresh require (not import) on purpose: the program must run again for every render.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require(path.join(REPO_ROOT, "index.ts"));
    } catch (err) {
        (err as any).recorded = [...records.values()];
        throw err;
    }
    await (pulumi.runtime as any).waitForRPCs();

    const outputs: Record<string, RenderedOutput> = {};
    for (const [key, value] of Object.entries(program)) {
        if (pulumi.Output.isInstance(value)) {
            const out = value as pulumi.Output<unknown>;
            outputs[key] = { value: await (out as any).promise(), secret: await (out as any).isSecret };
        } else {
            outputs[key] = { value, secret: false };
        }
    }
    await (pulumi.runtime as any).waitForRPCs();
    return { stack, resources: [...records.values()], outputs, generatedSecrets, invokes };
}

// ---------------------------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------------------------

/** `kubernetes:apps/v1:Deployment` -> { apiVersion: "apps/v1", kind: "Deployment" }; undefined for non-objects. */
export function kubeKind(type: string): { apiVersion: string; kind: string } | undefined {
    const match = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(type);
    if (!match) return undefined;
    const [, groupVersion, kind] = match;
    if (["helm.sh/v3", "helm.sh/v4", "yaml/v2", "kustomize/v2", "yaml"].includes(groupVersion)) return undefined;
    if (kind.endsWith("List") || kind.endsWith("Patch")) return undefined;
    const apiVersion = groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion;
    return { apiVersion, kind };
}

/** The Kubernetes object a resource creates, as the API server would receive it (auto-name applied). */
export interface KubeManifest {
    apiVersion: string;
    kind: string;
    metadata: Record<string, any>;
    [field: string]: any;
}

export function manifestOf(r: RecordedResource): KubeManifest | undefined {
    const kind = kubeKind(r.type);
    if (!kind) return undefined;
    const rest: Record<string, any> = { ...r.inputs };
    delete rest.apiVersion;
    delete rest.kind;
    const name = r.state?.metadata?.name ?? r.inputs.metadata?.name;
    return { apiVersion: kind.apiVersion, kind: kind.kind, ...rest, metadata: { ...(r.inputs.metadata ?? {}), name } };
}

export function kubeObjects(resources: readonly RecordedResource[]): KubeManifest[] {
    return resources.map(manifestOf).filter((m): m is KubeManifest => m !== undefined);
}

/** Resources of a kind (`Deployment`, `NetworkPolicy`, ...), optionally in a namespace. */
export function ofKind(resources: readonly RecordedResource[], kind: string, namespace?: string): RecordedResource[] {
    return resources.filter(
        (r) =>
            kubeKind(r.type)?.kind === kind && (namespace === undefined || r.inputs.metadata?.namespace === namespace),
    );
}

export function byName(resources: readonly RecordedResource[], name: string): RecordedResource {
    const found = resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected exactly one resource named ${name}, found ${found.length}`);
    return found[0];
}

export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
    return resources.filter((r) => r.type === type);
}

/** Children (direct and transitive) of a component resource. */
export function descendantsOf(resources: readonly RecordedResource[], urn: string): RecordedResource[] {
    const result: RecordedResource[] = [];
    const frontier = [urn];
    while (frontier.length > 0) {
        const parent = frontier.pop()!;
        for (const r of resources)
            if (r.parent === parent) {
                result.push(r);
                frontier.push(r.urn);
            }
    }
    return result;
}

/** Every pod spec in a workload object (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). */
export function podSpecOf(object: Record<string, any>): Record<string, any> | undefined {
    switch (object.kind) {
        case "Pod":
            return object.spec;
        case "CronJob":
            return object.spec?.jobTemplate?.spec?.template?.spec;
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return object.spec?.template?.spec;
        default:
            return undefined;
    }
}
