/**
 * Renders the stack's Helm charts with real Helm (built by scripts/tools/build.sh) from the upstream charts
 * unpacked in ../shared/charts, with exactly the release name, namespace, values and CRD switch each chart resource
 * was given (taken from the recorded inputs of a mock render), and turns every rendered object into a resource
 * record as the real engine would register it (helm.v4.Chart: one resource per object, hooks dropped).
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { StackConfig } from "../../config";
import { installedApiVersions } from "../../lib/helm";
import { RecordedResource, REPO_ROOT } from "./harness";
import { resolveCrdsDir } from "./schemas";
import { missingTool, spawnProblem, TOOL_TIMEOUT_MS } from "./tools";

/** The charts directory: env STACKWRIGHT_CHARTS_DIR, else `<repo>/../shared/charts`. */
export function sharedChartsDir(): string {
    return path.resolve(process.env.STACKWRIGHT_CHARTS_DIR ?? path.join(REPO_ROOT, "..", "shared", "charts"));
}

/** Where scripts/tools/build.sh puts (or has put) kube-apiserver, etcd and helm. */
export function builtToolsDir(): string {
    const r = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "tools", "build.sh"), "--where"], {
        encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`scripts/tools/build.sh --where failed: ${r.stderr}`);
    return r.stdout.trim();
}

/** A built tool's path; missing: skips locally, fails in CI (like the other real-tool tests). */
export function needBuiltTool(ctx: Mocha.Context, name: "helm" | "kube-apiserver" | "etcd"): string {
    const file = path.join(builtToolsDir(), name);
    if (fs.existsSync(file)) return file;
    const hint = `${name} not built: run scripts/tools/build.sh (first build 25-40 minutes on 2 cores)`;
    return missingTool(ctx, `${hint}; CI must run it before the tests`, hint);
}

export function needSharedCharts(ctx: Mocha.Context): string {
    const dir = sharedChartsDir();
    if (fs.existsSync(dir)) return dir;
    const hint = `upstream charts not found at ${dir} (set STACKWRIGHT_CHARTS_DIR)`;
    return missingTool(ctx, hint, hint);
}

/**
 * Directory under the shared charts of a chart name at a pinned version. Istio: the charts at 1.31.0-rc.0, the
 * nearest tag there to the pinned 1.31.1 (shared/charts/README.md); their templates are the ones 1.31.1 ships.
 */
const CHART_DIRS: Readonly<Record<string, readonly string[]>> = {
    "cloudnative-pg@0.29.0": ["cloudnative-pg-0.29.0"],
    "plugin-barman-cloud@0.7.0": ["plugin-barman-cloud-0.7.0"],
    "nginx-gateway-fabric@2.6.7": ["nginx-gateway-fabric-2.6.7"],
    "kube-prometheus-stack@88.5.3": ["kube-prometheus-stack-88.5.3"],
    "prometheus-operator-crds@31.0.1": ["prometheus-operator-crds-31.0.1"],
    "cert-manager@v1.21.1": ["cert-manager-v1.21.1"],
    "metrics-server@3.13.1": ["metrics-server-3.13.1"],
    "prometheus-adapter@5.3.0": ["prometheus-adapter-5.3.0"],
    "opentelemetry-collector@0.170.0": ["opentelemetry-collector-0.170.0"],
    "tempo@2.2.4": ["tempo-2.2.4"],
    "loki@18.11.0": ["loki-18.11.0"],
    "alloy@1.11.1": ["alloy-1.11.1"],
    "base@1.31.1": ["istio-1.31.1/base", "istio-1.31.0-rc.0/base"],
    "istiod@1.31.1": ["istio-1.31.1/istiod", "istio-1.31.0-rc.0/istiod"],
    "cni@1.31.1": ["istio-1.31.1/cni", "istio-1.31.0-rc.0/cni"],
};

export const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";

/** Kinds without a namespace among those the pinned charts render. */
const CLUSTER_SCOPED = new Set([
    "Namespace",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "PriorityClass",
    "StorageClass",
    "GatewayClass",
    "ClusterIssuer",
    "APIService",
    "IngressClass",
    "PersistentVolume",
    "CSIDriver",
    "RuntimeClass",
]);

/** The local directory of a recorded helm.v4.Chart (its `chart` is a path, a name, or an oci:// reference). */
export function chartDirectory(inputs: Record<string, any>, chartsDir = sharedChartsDir()): string {
    const ref: string = inputs.chart;
    if (fs.existsSync(ref)) return ref;
    const name = ref.replace(/\/+$/, "").split("/").pop()!;
    const candidates = (CHART_DIRS[`${name}@${inputs.version}`] ?? []).map((d) => path.join(chartsDir, d));
    const dir = candidates.find((d) => fs.existsSync(d));
    if (!dir)
        throw new Error(
            `no unpacked chart for ${ref}@${inputs.version} under ${chartsDir} (looked for ${candidates.join(", ") || "nothing: add it to CHART_DIRS"})`,
        );
    return dir;
}

export interface ChartObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: Record<string, any>;
    readonly [field: string]: any;
}

export interface RenderedChart {
    /** The recorded chart resource. */
    readonly chart: RecordedResource;
    readonly objects: ChartObject[];
    /** Objects Helm rendered as hooks (dropped by helm.v4.Chart, listed for the record). */
    readonly hooks: ChartObject[];
    /**
     * Subcharts the chart depends on that are not unpacked under the shared charts: rendered switched off (their
     * `condition` set false), so their objects are NOT judged here. Printed by the suites; named in the issue note.
     */
    readonly missingSubcharts: string[];
}

/** Dependencies of an unpacked chart that are missing from its charts/ directory, with their conditions. */
function missingDependencies(dir: string): { name: string; version: string; condition?: string }[] {
    const chartYaml = yaml.load(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as {
        dependencies?: { name: string; version: string; condition?: string }[];
    };
    // Unpacked (charts/<name>/) or, as `helm pull --untar` leaves them, packaged (charts/<name>-<version>.tgz).
    const present = fs.existsSync(path.join(dir, "charts")) ? fs.readdirSync(path.join(dir, "charts")) : [];
    return (chartYaml.dependencies ?? []).filter(
        (d) => !present.some((f) => f === d.name || (f.startsWith(`${d.name}-`) && f.endsWith(".tgz"))),
    );
}

/** `values` with each dotted `condition` set to false. */
function withConditionsOff(values: Record<string, any>, conditions: string[]): Record<string, any> {
    const out = JSON.parse(JSON.stringify(values ?? {}));
    for (const condition of conditions) {
        const keys = condition.split(",")[0].trim().split(".");
        let node = out;
        for (const key of keys.slice(0, -1))
            node = node[key] = typeof node[key] === "object" && node[key] !== null ? node[key] : {};
        node[keys[keys.length - 1]] = false;
    }
    return out;
}

/** sha256 of everything under a directory (relative paths and contents), once per directory per process. */
const directoryDigests = new Map<string, string>();
function directoryDigest(dir: string): string {
    const known = directoryDigests.get(dir);
    if (known !== undefined) return known;
    const hash = crypto.createHash("sha256");
    const walk = (rel: string) => {
        const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
        for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
            const child = path.join(rel, e.name);
            if (e.isDirectory()) walk(child);
            else
                hash.update(`${child}\0`)
                    .update(fs.readFileSync(path.join(dir, child)))
                    .update("\0");
        }
    };
    walk("");
    const digest = hash.digest("hex");
    directoryDigests.set(dir, digest);
    return digest;
}

/**
 * Where rendered manifests are kept, by the digest of everything that decides them (helm binary, chart files,
 * values, flags): suites render the same charts with the same values many times, and mocha's workers are separate
 * processes. STACKWRIGHT_HELM_CACHE overrides the directory; "off" renders every time.
 */
function helmCacheDir(): string | undefined {
    const setting = process.env.STACKWRIGHT_HELM_CACHE;
    if (setting === "off") return undefined;
    return setting ?? path.join(os.tmpdir(), "stackwright-helm-cache");
}

/** `render()` once per key: from the cache directory when there, else rendered and stored (atomically). */
function cachedManifest(key: unknown, render: () => string): string {
    const dir = helmCacheDir();
    if (dir === undefined) return render();
    const file = path.join(dir, `${crypto.createHash("sha256").update(JSON.stringify(key)).digest("hex")}.yaml`);
    if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
    const manifest = render();
    fs.mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, manifest);
    fs.renameSync(temp, file);
    return manifest;
}

/** `helm template` of one recorded chart resource, against the given Kubernetes version. */
export function helmTemplate(
    helm: string,
    chart: RecordedResource,
    cfg: StackConfig,
    kubeVersion: string,
): RenderedChart {
    const inputs = chart.inputs;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-helm-"));
    try {
        const sourceDir = chartDirectory(inputs);
        let dir = sourceDir;
        const missing = missingDependencies(dir);
        const unswitchable = missing.filter((d) => !d.condition);
        if (unswitchable.length > 0)
            throw new Error(`${dir}: subcharts missing from charts/: ${unswitchable.map((d) => d.name).join(", ")}`);
        // NGINX Gateway Fabric's crds/ is a symlink in its repository (to config/crd/bases), unpacked as a file
        // holding the link; the packaged chart has the CRDs there. They are in the shared CRDs at the same version.
        const crdsLink = path.join(dir, "crds");
        const linkedCrds = fs.existsSync(crdsLink) && fs.statSync(crdsLink).isFile();
        const values = withConditionsOff(
            inputs.values ?? {},
            missing.map((d) => d.condition!),
        );
        const flags = [
            "--namespace",
            inputs.namespace,
            "--kube-version",
            kubeVersion,
            ...installedApiVersions(cfg).flatMap((v) => ["--api-versions", v]),
            ...(inputs.skipCrds ? ["--skip-crds"] : ["--include-crds"]),
        ];
        const run = (what: string, command: string, argv: string[], input?: string): string => {
            const r = spawnSync(command, argv, {
                input,
                encoding: "utf8",
                maxBuffer: 256 * 1024 * 1024,
                timeout: TOOL_TIMEOUT_MS,
            });
            const problem = spawnProblem(`${what} of ${chart.name}`, r);
            if (problem) throw new Error(problem);
            if (r.status !== 0) throw new Error(`${what} of ${chart.name} failed:\n${r.stderr}`);
            return r.stdout;
        };
        const helmStat = fs.statSync(helm);
        const key = {
            helm: [helm, helmStat.size, helmStat.mtimeMs],
            chart: directoryDigest(sourceDir),
            crds: linkedCrds ? directoryDigest(linkedCrdsSource(sourceDir)) : undefined,
            release: inputs.name,
            values,
            flags,
        };
        let manifest = cachedManifest(key, () => {
            if (missing.length > 0 || linkedCrds) dir = chartCopy(sourceDir, work, missing, linkedCrds);
            const valuesFile = path.join(work, "values.json");
            fs.writeFileSync(valuesFile, JSON.stringify(values));
            return run("helm template", helm, ["template", inputs.name, dir, "--values", valuesFile, ...flags]);
        });
        if (inputs.postRenderer) {
            // The post-renderer the program gives helm.v4.Chart (Helm 4 runs post-renderers only as plugins).
            manifest = run("post-renderer", inputs.postRenderer.command, inputs.postRenderer.args ?? [], manifest);
        }
        const all: ChartObject[] = [];
        for (const doc of yaml.loadAll(manifest)) {
            if (!doc || typeof doc !== "object") continue;
            const o = doc as ChartObject;
            if (o.kind?.endsWith("List") && Array.isArray(o.items)) all.push(...o.items);
            else all.push(o);
        }
        const isHook = (o: ChartObject) => o.metadata?.annotations?.["helm.sh/hook"] !== undefined;
        // As the provider does: a namespaced object without a namespace lands in the release namespace.
        const objects = all
            .filter((o) => !isHook(o))
            .map((o) =>
                CLUSTER_SCOPED.has(o.kind) || o.metadata.namespace
                    ? o
                    : { ...o, metadata: { ...o.metadata, namespace: inputs.namespace } },
            );
        return {
            chart,
            objects,
            hooks: all.filter(isHook),
            missingSubcharts: missing.map((d) => `${d.name} ${d.version}`),
        };
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** The shared CRDs that stand in for a chart's crds/ link (same chart name and version). */
function linkedCrdsSource(dir: string): string {
    const chartYaml = yaml.load(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")) as {
        name: string;
        version: string;
    };
    const source = path.join(resolveCrdsDir(), `${chartYaml.name}-${chartYaml.version}`);
    if (!fs.existsSync(source))
        throw new Error(`${dir}/crds is a link the unpacked chart lost, and ${source} does not exist`);
    return source;
}

/**
 * Helm refuses a chart whose dependencies are absent even when switched off: a temporary copy whose Chart.yaml
 * lists only the ones present (and whose crds/ holds the CRDs the link pointed at).
 */
function chartCopy(dir: string, work: string, missing: readonly { name: string }[], linkedCrds: boolean): string {
    const copy = path.join(work, path.basename(dir));
    fs.cpSync(dir, copy, { recursive: true });
    if (missing.length > 0) {
        const chartYaml = yaml.load(fs.readFileSync(path.join(copy, "Chart.yaml"), "utf8")) as {
            dependencies?: { name: string }[];
        };
        chartYaml.dependencies = (chartYaml.dependencies ?? []).filter((d) => !missing.some((m) => m.name === d.name));
        fs.rmSync(path.join(copy, "Chart.lock"), { force: true });
        fs.writeFileSync(path.join(copy, "Chart.yaml"), yaml.dump(chartYaml));
    }
    if (linkedCrds) {
        fs.rmSync(path.join(copy, "crds"));
        fs.cpSync(linkedCrdsSource(dir), path.join(copy, "crds"), { recursive: true });
    }
    return copy;
}

/** The Pulumi type token of an object: `kubernetes:<group>/<version>:<Kind>`, core objects as `core/v1`. */
export function pulumiType(o: { apiVersion: string; kind: string }): string {
    const gv = o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`;
    return `kubernetes:${gv}:${o.kind}`;
}

/** A chart object as the engine registers it under helm.v4.Chart: a child resource of the chart. */
export function asRecorded(rendered: RenderedChart, o: ChartObject): RecordedResource {
    const ns = o.metadata.namespace ?? "";
    const name = `${ns ? `${ns}/` : ""}${o.metadata.name}`;
    const type = pulumiType(o);
    return {
        urn: `${rendered.chart.urn}$${type}::${rendered.chart.name}:${name}`,
        type,
        name,
        custom: true,
        inputs: o,
        state: o,
        parent: rendered.chart.urn,
        dependencies: [],
        propertyDependencies: {},
    };
}
