/**
 * The stack configuration schema: everything the program reads, validated once by `loadConfig()` before any
 * resource is registered. Components never read `pulumi.Config`; they receive the typed values parsed here.
 *
 * Each top-level key is one Pulumi config key in the `stackwright` namespace (`stackwright:services`, ...).
 * Field descriptions (`.describe`) feed the generated config reference (docs/config-reference.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { definedOnly, environmentDefaults, resolveResources, ResourceSpec } from "./lib/defaults";
import { resolveScaling } from "./lib/service/settings";
import { appsNamespaceBudget, dataNamespaceBudget, NamespaceBudget } from "./lib/namespace-budget";
import { edgeResourceDefaults } from "./lib/edge/values";
import { CNI_DEFAULT_RESOURCES, ISTIOD_DEFAULT_RESOURCES } from "./lib/mesh/values";
import { POOLER_RESOURCES, POSTGRES_INSTANCE_DEFAULTS, postgresResourceDefaults } from "./lib/postgres/defaults";
import { redisResourceDefaults, SENTINEL_RESOURCES } from "./lib/redis/defaults";
import { maxmemoryBytesForLimit } from "./lib/redis/conf";
import { isQuantity, parseQuantity } from "./lib/quantity";
import { PROMETHEUS_DEFAULT_RESOURCES } from "./lib/monitoring/defaults";
import { cronJobScheduleProblem, scheduledBackupScheduleProblem } from "./lib/cron";
import { BACKUP_JOB_RESOURCES } from "./lib/backups/defaults";
import { DATABASE_SECRET_ENV, REDIS_SECRET_ENV } from "./lib/topology";
import { writableVolumeName } from "./lib/pod-security";

export const CONFIG_NAMESPACE = "stackwright";

// ---------------------------------------------------------------------------------------------------------------
// Primitive types
// ---------------------------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
// At most 253 characters in all and 63 per label (RFC 1123; the API server checks both).
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** IANA service name (RFC 6335), as Kubernetes checks port names: 1-15 characters, a letter, no "--". */
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An HTTP path: starts with "/", no whitespace or control characters (they would reach probes, routes, Envoy). */
const HTTP_PATH = /^\/[^\s\p{Cc}]*$/u;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** registry/repo[:tag][@sha256:digest]; the tag or digest is checked separately. */
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

const dnsLabel = z.string().regex(DNS_LABEL, "must be a DNS-1123 label (lower-case letters, digits and '-', starting with a letter, at most 63 characters)");
const dnsName = z.string().regex(DNS_SUBDOMAIN, "must be a DNS name (lower-case letters, digits, '-' and '.', e.g. \"example.com\")");
/** Database names PostgreSQL or CloudNativePG already own: creating them (or a role of the same name) fails. */
export const RESERVED_DATABASE_NAMES = ["postgres", "template0", "template1"] as const;

const databaseName = dnsLabel.refine((v) => !(RESERVED_DATABASE_NAMES as readonly string[]).includes(v),
    `is a database PostgreSQL or CloudNativePG already owns (not allowed: ${RESERVED_DATABASE_NAMES.join(", ")})`);
const portName = z.string().regex(PORT_NAME, "must be an IANA service name (lower-case letters, digits and '-', at most 15 characters, at least one letter, no \"--\")");
const httpPath = z.string().regex(HTTP_PATH, "must be an HTTP path starting with '/' without spaces or control characters (e.g. \"/healthz\")");
const quantity = z.string()
    .refine(isQuantity, { message: "is not a Kubernetes quantity (e.g. \"500m\", \"2\", \"512Mi\")" })
    .refine((v) => !v.startsWith("-"), { message: "must not be negative (Kubernetes rejects negative quantities)" });
/** Bytes: "128m" is a valid quantity but means 0.128 bytes, always a slip for "128Mi". */
const bytes = quantity.refine((v) => !/^\+?[\d.]+m$/.test(v), { message: "is in milli-units (\"128m\" is 0.128 bytes): use Mi or Gi, e.g. \"128Mi\"" });
/** CPU as Kubernetes takes it: a quantity ("500m") or a plain number of cores (0.5), kept as a quantity string. */
const cpu = z.union([quantity, z.number().nonnegative().transform((n) => String(n))]).describe("CPU quantity or cores, e.g. \"500m\" or 0.5");
// A plain number is bytes, as in Kubernetes; a fraction of a byte is the same mistake as "128m".
const memory = z.union([bytes, z.number().int("must be a whole number of bytes (or a quantity such as \"512Mi\")").nonnegative().transform((n) => String(n))])
    .describe("memory quantity or bytes, e.g. \"512Mi\" or 536870912");
const positiveInt = z.number().int().positive();
const percent = z.number().int().min(1).max(100);
/** Highest volume-use warning: the critical PVC alert is fixed at 95 % and must stay above the warning. */
export const PVC_WARNING_MAX_PERCENT = 94;
const absolutePath = z.string().regex(/^\/[^\s\p{Cc}]*$/u, "must be an absolute path without spaces or control characters, e.g. \"/var/cache\"");

/** A container image pinned by tag or digest; "latest" and untagged references are rejected. */
export function imageProblem(image: string): string | undefined {
    if (!IMAGE_REF.test(image)) return "is not a valid image reference (e.g. \"ghcr.io/org/app:1.2.3\")";
    const lastSegment = image.split("/").pop() ?? image;
    const hasDigest = image.includes("@sha256:");
    const tag = lastSegment.split("@")[0].split(":")[1];
    if (!hasDigest && tag === undefined) return "has no tag: pin a version tag or digest (e.g. \"nginx:1.27.3\")";
    if (!hasDigest && tag === "latest") return "uses the \"latest\" tag: pin a version tag or digest";
    return undefined;
}
const image = z.string().superRefine((value, ctx) => {
    const problem = imageProblem(value);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
}).describe("container image pinned by tag or digest");

/** Whether the IANA time-zone database (Node's ICU copy of it) knows the zone, as the CronJob controller must. */
function timeZoneExists(zone: string): boolean {
    try {
        new Intl.DateTimeFormat("en", { timeZone: zone });
        return true;
    } catch {
        return false;
    }
}

/** Whether the WHATWG URL parser (which Alertmanager's config builder uses) accepts the value. */
function parsesAsUrl(value: string): boolean {
    try {
        new URL(value);
        return true;
    } catch {
        return false;
    }
}

/** Env var names that say they hold a credential (DB_PASSWORD, JWT_SECRET, GITHUB_TOKEN, STRIPE_API_KEY, ...). */
const CREDENTIAL_ENV_NAME = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)$/i;

/** Requests and limits with ephemeral storage optional (the mesh's charts set none). */
interface ComputeResourceSpec {
    readonly requests: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage?: string };
    readonly limits: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage?: string };
}

type Quota = ReturnType<typeof environmentDefaults>["quota"];
type Limits = ReturnType<typeof environmentDefaults>["limitRange"];

/** What runs in each namespace that has the quota and LimitRange (lib/namespace-budget.ts). */
function guardedNamespaceBudgets(cfg: StackConfig): [string, NamespaceBudget][] {
    const budgets: [string, NamespaceBudget][] = [[cfg.namespaces.apps, appsNamespaceBudget(cfg)]];
    if (cfg.postgres.enabled || cfg.redis.enabled) budgets.push([cfg.namespaces.data, dataNamespaceBudget(cfg)]);
    return budgets;
}

/**
 * Each guarded namespace's ResourceQuota must admit what runs there at its most (lib/namespace-budget.ts): in
 * apps, every service at its autoscaler maximum plus a rollout surge, migration Jobs and sidecars; in data, the
 * PostgreSQL instances, PgBouncer, Valkey, Sentinels and the backup jobs. A quota that falls short does not fail
 * the deployment: it silently stops the autoscaler, a rollout or a backup on a busy day.
 */
function quotaProblems(cfg: StackConfig, quota: Quota): Problem[] {
    const budgets = guardedNamespaceBudgets(cfg);
    const problems: Problem[] = [];
    for (const [namespace, budget] of budgets) {
        const need = { requestsCpu: 0, requestsMemory: 0, limitsCpu: 0, limitsMemory: 0, pods: 0, persistentVolumeClaims: budget.persistentVolumeClaims };
        for (const group of budget.pods) {
            need.pods += group.pods;
            for (const c of group.containers) {
                need.requestsCpu += group.pods * parseQuantity(c.resources.requests.cpu);
                need.requestsMemory += group.pods * parseQuantity(c.resources.requests.memory);
                need.limitsCpu += group.pods * parseQuantity(c.resources.limits.cpu);
                need.limitsMemory += group.pods * parseQuantity(c.resources.limits.memory);
            }
        }
        // Whole milli-cores and MiB, rounded up (a float sum such as 0.56 - 0.2 must not show as 361m).
        const units = (key: keyof typeof need, value: number) => key === "pods" || key === "persistentVolumeClaims" ? value
            : Math.ceil((key.endsWith("Cpu") ? value * 1000 : value / 2 ** 20) - 1e-9);
        const show = (key: keyof typeof need, n: number) => key === "pods" || key === "persistentVolumeClaims" ? String(n) : key.endsWith("Cpu") ? `${n}m` : `${n}Mi`;
        for (const key of Object.keys(need) as (keyof typeof need)[]) {
            const have = parseQuantity(quota[key]);
            if (need[key] > have) {
                const needed = units(key, need[key]);
                const missing = needed - Math.floor((key.endsWith("Cpu") ? have * 1000 : key.endsWith("Memory") ? have / 2 ** 20 : have) + 1e-9);
                problems.push({ path: ["quota", key], message: `${JSON.stringify(quota[key])}${cfg.quota[key] === undefined ? " (the environment default)" : ""} does not admit ${budget.summary} in namespace "${namespace}": they need ${show(key, needed)}, ${show(key, missing)} more (allowed: at least ${show(key, needed)})` });
            }
        }
    }
    return problems;
}

/**
 * The LimitRange of the apps and data namespaces: its defaults within its own maximum (the API server refuses the
 * LimitRange otherwise), and every container of the stack within the maximum (admission refuses the pod otherwise).
 */
function limitRangeProblems(cfg: StackConfig, limits: Limits): Problem[] {
    const problems: Problem[] = [];
    const origin = (key: keyof Limits) => cfg.limitRange[key] === undefined ? " (the environment default)" : "";
    for (const q of ["Cpu", "Memory"] as const) {
        const request = `defaultRequest${q}` as const, limit = `defaultLimit${q}` as const, max = `max${q}` as const;
        if (parseQuantity(limits[request]) > parseQuantity(limits[limit])) {
            problems.push({ path: ["limitRange", request], message: `"${limits[request]}" exceeds limitRange.${limit} "${limits[limit]}"${origin(limit)} (allowed: at most the default limit)` });
        }
        if (parseQuantity(limits[limit]) > parseQuantity(limits[max])) {
            problems.push({ path: ["limitRange", limit], message: `"${limits[limit]}" exceeds limitRange.${max} "${limits[max]}"${origin(max)} (allowed: at most the maximum)` });
        }
    }
    const budgets = guardedNamespaceBudgets(cfg);
    const reported = new Set<string>();
    for (const [namespace, budget] of budgets) {
        for (const c of budget.pods.flatMap((g) => g.containers)) {
            for (const q of ["cpu", "memory"] as const) {
                const max = q === "cpu" ? "maxCpu" : "maxMemory";
                const value = c.resources.limits[q];
                if (parseQuantity(value) <= parseQuantity(limits[max])) continue;
                const path = c.limitKeys ? [...c.limitKeys[q]] : c.key ? [...c.key, "limits", q] : ["limitRange", max];
                if (reported.has(path.join("."))) continue;
                reported.add(path.join("."));
                problems.push({ path, message: c.key || c.limitKeys
                    ? `limit "${value}" exceeds limitRange.${max} "${limits[max]}"${origin(max)} in namespace "${namespace}", so the pod would be refused (allowed: at most ${limits[max]}, or raise limitRange.${max})`
                    : `"${limits[max]}"${origin(max)} is below the ${q} limit "${value}" of ${c.what} in namespace "${namespace}", so the pod would be refused (allowed: at least ${value})` });
            }
        }
    }
    return problems;
}

/** Requests within limits once the defaults fill the gaps (a request alone can exceed the default limit). */
function resourceBlockProblems(path: (string | number)[], config: ResourcesConfig | undefined, fallback: ComputeResourceSpec, defaultName = "the default"): Problem[] {
    const problems: Problem[] = [];
    for (const key of ["cpu", "memory", "ephemeralStorage"] as const) {
        const request = config?.requests?.[key] ?? (fallback.requests as Partial<Record<string, string>>)[key];
        const limit = config?.limits?.[key] ?? (fallback.limits as Partial<Record<string, string>>)[key];
        if (request === undefined || limit === undefined) continue;
        if (parseQuantity(request) > parseQuantity(limit)) {
            const origin = config?.limits?.[key] === undefined ? ` (${defaultName})` : "";
            problems.push({ path: [...path, "requests", key], message: `request "${request}" exceeds limit "${limit}"${origin} (allowed: at most the limit)` });
        }
    }
    return problems;
}

/** The smallest maxmemory Valkey is given: it needs about that much to start, and 0 means "no limit". */
const MIN_REDIS_MAXMEMORY_BYTES = 2 ** 20;

/** Namespaces a stack must never take over (Kubernetes' own). */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

function strict<T extends z.ZodRawShape>(shape: T) {
    return z.object(shape).strict();
}

const chartSource = (defaults: { repository: string; chart: string; version: string }) => strict({
    repository: z.string().regex(/^(https?|oci):\/\/\S+$/, "must be an https:// or oci:// URL").default(defaults.repository)
        .describe("Helm repository URL or OCI registry reference (mirrors, air-gapped clusters)"),
    chart: z.string().regex(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/, "must be a Helm chart name (lower-case letters, digits, '-', '_' and '.')").default(defaults.chart).describe("chart name"),
    version: z.string().regex(/^v?\d+\.\d+\.\d+([-+][\w.]+)?$/, "must be an exact version (e.g. \"1.2.3\")").default(defaults.version)
        .describe("exact chart version (pinned)"),
    path: z.string().min(1).optional().describe("local chart directory or .tgz; overrides repository/chart when set"),
}).default({});

const manifestSource = (defaultUrl: string) => strict({
    url: z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL").default(defaultUrl).describe("URL of the manifest bundle (pinned version)"),
    path: z.string().min(1).optional().describe("local file; overrides url when set"),
}).default({});

const resourceList = (required: boolean) => {
    const shape = { cpu, memory, ephemeralStorage: bytes.optional().describe("ephemeral storage quantity, e.g. \"1Gi\"") };
    return required ? strict(shape) : strict(shape).partial();
};
const resources = strict({
    requests: resourceList(false).optional(),
    limits: resourceList(false).optional(),
}).describe("container requests and limits; unset values take the environment defaults");
export type ResourcesConfig = z.infer<typeof resources>;
/** Resources of a chart container whose values take cpu and memory only (Istio): no key that would be ignored. */
const computeResources = strict({
    requests: strict({ cpu, memory }).partial().optional(),
    limits: strict({ cpu, memory }).partial().optional(),
}).describe("container requests and limits (cpu and memory); unset values take the defaults");

// ---------------------------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------------------------

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = typeof ENVIRONMENTS[number];

/** Credentials generated by the program; rotation keys name one of these (or `db-<role>`). */
export const APP_CREDENTIALS = ["jwtSecret", "apiKey", "encryptionKey"] as const;
export const PLATFORM_CREDENTIALS = ["redisPassword", "grafanaAdminPassword", "postgresSuperuserPassword"] as const;
export type AppCredential = typeof APP_CREDENTIALS[number];

const kubernetes = strict({
    context: z.string().min(1).optional().describe("kubeconfig context to deploy to; unset uses the kubeconfig's current context"),
    kubeconfig: z.string().min(1).optional().describe("path to a kubeconfig file; unset uses $KUBECONFIG / ~/.kube/config"),
    renderYamlToDirectory: z.string().min(1).optional()
        .describe("write manifests to this directory instead of applying them (GitOps); Secrets are written in plain text there. No cluster is contacted: context and kubeconfig are not used, charts are rendered against kubeVersion"),
    kubeVersion: z.string()
        .regex(/^\d+\.\d+\.\d+$/, "must be a Kubernetes version <major>.<minor>.<patch> (e.g. \"1.34.2\")")
        .refine((v) => { const [major, minor] = v.split(".").map(Number); return major > 1 || (major === 1 && minor >= 32); },
            "must be at least 1.32.0 (the pinned charts' kubeVersion constraints)")
        .default("1.37.2")
        .describe("Kubernetes version of the target cluster; render mode renders the charts against it (there is no cluster to ask)"),
    clusterDomain: dnsName.default("cluster.local").describe("the cluster's DNS domain"),
}).default({});

const namespaces = strict({
    apps: dnsLabel.default("apps").describe("application services"),
    data: dnsLabel.default("data").describe("PostgreSQL cluster, Redis and backups"),
    edge: dnsLabel.default("edge").describe("NGINX Gateway Fabric and the Gateway"),
    monitoring: dnsLabel.default("monitoring").describe("Prometheus, Alertmanager, Grafana"),
    nodeMonitoring: dnsLabel.default("monitoring-node").describe("node-exporter (privileged namespace: host access)"),
    postgresOperator: dnsLabel.default("cnpg-system").describe("CloudNativePG operator"),
    istio: dnsLabel.default("istio-system").describe("istiod (mesh root namespace)"),
    istioCni: dnsLabel.default("istio-cni").describe("Istio CNI node agent (privileged namespace)"),
    certManager: dnsLabel.default("cert-manager").describe("cert-manager (ACME certificates)"),
}).default({});

const quota = strict({
    requestsCpu: cpu.optional(), requestsMemory: memory.optional(),
    limitsCpu: cpu.optional(), limitsMemory: memory.optional(),
    pods: positiveInt.optional().describe("maximum pods in the namespace"), persistentVolumeClaims: positiveInt.optional().describe("maximum PersistentVolumeClaims in the namespace"),
}).default({}).describe("ResourceQuota of the apps and data namespaces; unset values take the environment defaults; must admit every service at its autoscaler maximum plus a rollout surge, migration Jobs and sidecars, and the data stores with their backup jobs and volume claims (checked)");

const limitRange = strict({
    defaultRequestCpu: cpu.optional(), defaultRequestMemory: memory.optional(),
    defaultLimitCpu: cpu.optional(), defaultLimitMemory: memory.optional(),
    maxCpu: cpu.optional(), maxMemory: memory.optional(),
}).default({}).describe("LimitRange of the apps and data namespaces; unset values take the environment defaults; defaults within the maximum, and every container of the stack within it (checked)");

const secrets = strict({
    rotation: z.record(z.string(), z.number().int().min(0)).default({})
        .describe("credential id -> rotation counter; bump a counter to regenerate that credential only (ids: jwtSecret, apiKey, encryptionKey, redisPassword, grafanaAdminPassword, postgresSuperuserPassword, db-<role>)"),
    passwordLength: z.number().int().min(24).max(128).default(32).describe("length of generated passwords"),
    caValidityHours: positiveInt.default(87600).describe("validity of the generated CA (10 years)"),
    certificateValidityHours: positiveInt.default(2160).describe("validity of generated server certificates (90 days)"),
    certificateEarlyRenewalHours: positiveInt.default(720).describe("renew server certificates this long before expiry (30 days)"),
}).default({});

const httpProbe = strict({
    type: z.enum(["http", "tcp", "exec"]).default("http").describe("probe handler"),
    path: httpPath.optional().describe("HTTP path (http probes)"),
    port: z.union([portName, z.number().int().min(1).max(65535)]).optional().describe("port name or number; default: the first port"),
    command: z.array(z.string()).min(1).optional().describe("command (exec probes)"),
    initialDelaySeconds: z.number().int().min(0).optional().describe("seconds before the first probe (liveness default 30, readiness 5, startup 0)"),
    periodSeconds: positiveInt.optional().describe("seconds between probes (liveness 10, readiness 5, startup 10)"),
    timeoutSeconds: positiveInt.optional().describe("probe timeout in seconds (liveness 5, readiness 3, startup 5)"),
    failureThreshold: positiveInt.optional().describe("failures before acting (liveness 3, readiness 2, startup 30: 30 x 10 s = 300 s to start)"),
});
export type ProbeConfig = z.infer<typeof httpProbe>;

const route = strict({
    host: z.string().min(1).describe("host label under the stack domain (\"api\") or a full host name inside it"),
    pathPrefix: httpPath.default("/").describe("path prefix routed to the service"),
    port: portName.optional().describe("service port name; default: the first port"),
    timeoutSeconds: positiveInt.default(30).describe("request timeout at the edge"),
    websocket: z.boolean().default(false).describe("long-lived upgraded connections (websocket): no request timeout"),
    rateLimitRequestsPerSecond: positiveInt.optional().describe("per-client rate limit at the edge (requests/s), e.g. 100"),
    rateLimitBurst: positiveInt.optional().describe("burst allowed above the rate limit"),
    clientMaxBodySize: z.string().regex(/^\d+[kKmMgG]?$/, "must be an NGINX size such as \"50m\"").default("50m").describe("request body limit"),
});
export type RouteConfig = z.infer<typeof route>;

const service = strict({
    image,
    component: dnsLabel.default("service").describe("app.kubernetes.io/component, e.g. frontend, api, worker"),
    replicas: z.number().int().min(1).max(1000).optional().describe("fixed replica count when autoscaling is off; default per environment (dev 1, staging 2, prod 3)"),
    autoscaling: strict({
        enabled: z.boolean().optional().describe("default: off in dev, on in staging and prod"),
        minReplicas: z.number().int().min(1).optional().describe("default per environment (dev 1, staging 2, prod 3)"),
        maxReplicas: z.number().int().min(1).optional().describe("default per environment (dev 2, staging 10, prod 20)"),
        cpuUtilizationPercent: percent.default(70).describe("target average CPU utilisation of requests"),
        memoryUtilizationPercent: percent.default(80).describe("target average memory utilisation of requests"),
        requestsPerSecond: positiveInt.optional().describe("optional custom Pods metric target: http_requests_per_second per pod"),
        scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(300).describe("scale down only after this long below target (scale-up is immediate)"),
    }).default({}),
    ports: z.array(strict({
        name: portName.describe("port name (IANA service name), also the Service port name"),
        containerPort: z.number().int().min(1).max(65535).describe("container port; the Service exposes the same number"),
        protocol: z.enum(["TCP", "UDP"]).default("TCP"),
    })).default([]).describe("container ports; each becomes a named Service port"),
    command: z.array(z.string()).optional().describe("container command (entrypoint override)"),
    args: z.array(z.string()).optional().describe("container arguments"),
    env: z.record(z.string().regex(ENV_NAME, "must be an environment variable name"), z.string()).default({})
        .describe("plain settings; delivered through the service's ConfigMap (a change rolls the pods)"),
    secretEnv: z.record(z.string().regex(ENV_NAME, "must be an environment variable name"), z.enum(APP_CREDENTIALS)).default({})
        .describe("env var -> generated credential (jwtSecret, apiKey, encryptionKey), injected by Secret reference"),
    resources: resources.optional(),
    probes: strict({ liveness: httpProbe.optional(), readiness: httpProbe.optional(), startup: httpProbe.optional() }).default({})
        .describe("probe overrides; defaults: liveness /health (30s/10s/5s/3), readiness /ready (5s/5s/3s/2), startup on the liveness check"),
    writablePaths: z.array(absolutePath).default([]).describe("paths mounted as emptyDir (the root filesystem is read-only; /tmp is always writable)"),
    runAsUser: z.number().int().min(1).default(65532).describe("non-zero uid the container runs as"),
    runAsGroup: z.number().int().min(1).optional().describe("default: runAsUser"),
    fsGroup: z.number().int().min(1).optional().describe("default: runAsGroup"),
    kubernetesApiAccess: z.boolean().default(false).describe("mount the ServiceAccount token (only for services calling the Kubernetes API)"),
    metrics: strict({
        port: portName.describe("name of the port serving metrics"),
        path: httpPath.default("/metrics").describe("metrics path"),
        intervalSeconds: positiveInt.default(30).describe("scrape interval"),
    }).optional().describe("Prometheus scrape endpoint (ServiceMonitor)"),
    calls: z.array(dnsLabel).default([]).describe("services this service calls (NetworkPolicy egress/ingress and mesh authorization)"),
    database: databaseName.optional().describe("PostgreSQL database the service uses: postgres.appDatabase, or its own database (created with its own owner)"),
    redis: z.boolean().default(false).describe("service connects to Redis"),
    routes: z.array(route).default([]).describe("public HTTP routes at the edge"),
    priorityClassName: dnsLabel.optional().describe("PriorityClass of the pods (must exist in the cluster)"),
    latencyTargetMilliseconds: positiveInt.default(200).describe("p95 latency target (alerting)"),
    migration: strict({
        command: z.array(z.string()).min(1).describe("migration command, run with the service image, env and secrets"),
        args: z.array(z.string()).optional().describe("migration arguments"),
        backoffLimit: z.number().int().min(0).default(2).describe("retries before the migration (and the rollout) fails"),
        activeDeadlineSeconds: positiveInt.default(600).describe("migration time limit"),
        ttlSecondsAfterFinished: positiveInt.default(3600).describe("delete the finished Job after this long (migrations must be idempotent)"),
    }).optional().describe("database migration Job run with the new image before the Deployment rolls"),
    mesh: strict({
        timeoutSeconds: positiveInt.default(15)
            .describe("in-mesh request timeout, retries included (VirtualService); with retries, at least retryPerTryTimeoutSeconds x (retryAttempts + 1)"),
        retryAttempts: z.number().int().min(0).max(10).default(2).describe("retries after the first try (0: no retries); the defaults, 3 tries x 5 s, fit the 15 s timeout"),
        retryPerTryTimeoutSeconds: positiveInt.default(5).describe("timeout of each try"),
        retryOn: z.string().regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, "must be a comma-separated list of Envoy retry conditions, e.g. \"5xx,reset\"")
            .default("5xx,reset,connect-failure,refused-stream").describe("Envoy retry conditions"),
        retryPathPrefix: httpPath.optional().describe("retries only for this path prefix (e.g. /api/v1/); default all paths"),
        maxConnections: positiveInt.default(100).describe("connection pool: TCP connections per caller proxy (DestinationRule)"),
        http1MaxPendingRequests: positiveInt.default(100).describe("connection pool: queued HTTP requests"),
        http2MaxRequests: positiveInt.default(1000).describe("connection pool: concurrent HTTP/2 requests"),
        consecutive5xxErrors: positiveInt.default(5).describe("outlier detection: 5xx responses in a row that eject an endpoint"),
        outlierIntervalSeconds: positiveInt.default(10).describe("outlier detection: analysis interval"),
        baseEjectionSeconds: positiveInt.default(30).describe("outlier detection: minimum ejection time"),
        maxEjectionPercent: percent.default(50).describe("outlier detection: most endpoints ejected at once"),
        permissiveReason: z.string().min(10).optional().describe("allow plaintext to this service (PERMISSIVE mTLS); must say why"),
    }).default({}).describe("in-mesh traffic policy (used when mesh.enabled)"),
});
export type ServiceConfig = z.infer<typeof service>;

const postgres = strict({
    enabled: z.boolean().default(true).describe("PostgreSQL (CloudNativePG operator and Cluster)"),
    instances: z.number().int().min(1).max(9).optional().describe("PostgreSQL instances (1 primary + replicas); default per environment: dev 1, staging 2, prod 3"),
    imageName: image.default("ghcr.io/cloudnative-pg/postgresql:18.4-standard-trixie")
        .describe("CloudNativePG operand image (\"standard\": no in-image Barman, the Barman Cloud plugin brings its own); also used by backup jobs (matching client version)"),
    storageSize: bytes.default("10Gi").describe("data volume per instance"),
    walStorageSize: bytes.optional().describe("separate WAL volume"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    resources: resources.optional().describe("PostgreSQL container; defaults per environment (prod: 500m/1Gi requests, 2000m/4Gi limits)"),
    appDatabase: databaseName.default("app").describe("bootstrap database (owner of the same name)"),
    maxConnections: positiveInt.default(200).describe("max_connections of the server"),
    zoneAntiAffinity: z.boolean().optional().describe("spread instances across zones (default: prod)"),
    pooler: strict({
        enabled: z.boolean().default(false).describe("PgBouncer Pooler in front of the primary; services then connect through it"),
        instances: positiveInt.default(2).describe("PgBouncer pods"),
        poolMode: z.enum(["session", "transaction"]).default("transaction"),
        maxClientConnections: positiveInt.default(1000).describe("PgBouncer max_client_conn"),
        defaultPoolSize: positiveInt.default(25).describe("PgBouncer default_pool_size (below maxConnections)"),
        resources: resources.optional().describe("PgBouncer container; default 50m/64Mi requests, 500m/256Mi limits"),
    }).default({}),
    objectStore: strict({
        destinationPath: z.string().regex(/^s3:\/\/\S+$/, "must be an s3:// URL").describe("bucket and prefix, e.g. s3://backups/stackwright-prod"),
        endpointUrl: z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL, e.g. \"http://minio.storage.svc:9000\"").optional().describe("S3-compatible endpoint (MinIO, Ceph, ...); unset for AWS S3"),
        accessKeyId: z.string().min(1).describe("secret config value"),
        secretAccessKey: z.string().min(1).describe("secret config value"),
        region: z.string().regex(/^[a-z0-9-]+$/, "must be a region name such as \"us-east-1\"").optional().describe("bucket region"),
        retentionPolicy: z.string().regex(/^[1-9]\d*[dwm]$/, "must be a positive Barman retention like \"30d\", \"4w\" or \"6m\"").default("30d").describe("how long base backups and WAL are kept in the bucket"),
        fullBackupSchedule: z.string().default("0 0 2 * * *").describe("ScheduledBackup (six-field cron, seconds first)"),
        archiveTimeoutSeconds: z.number().int().min(60).max(900).default(300)
            .describe("force a WAL segment switch (and so an archive) at least this often: bounds data loss to it (RPO)"),
    }).optional().describe("S3-compatible object storage for WAL archiving, base backups and point-in-time recovery (Barman Cloud plugin)"),
    operatorChart: chartSource({ repository: "https://cloudnative-pg.github.io/charts", chart: "cloudnative-pg", version: "0.29.0" })
        .describe("CloudNativePG operator chart (0.29.0 ships operator 1.30.0)"),
    operatorReplicas: z.number().int().min(1).max(5).optional().describe("operator replicas (leader election); default: 1 in dev, 2 in staging and prod"),
    barmanCloudPluginChart: chartSource({ repository: "https://cloudnative-pg.github.io/charts", chart: "plugin-barman-cloud", version: "0.7.0" })
        .describe("Barman Cloud CNPG-I plugin chart (WAL archiving and base backups; installed only with postgres.objectStore)"),
}).default({});

const redis = strict({
    enabled: z.boolean().default(true).describe("Valkey (Redis protocol)"),
    mode: z.enum(["standalone", "sentinel"]).default("standalone").describe("standalone (1 node) or replicated with Sentinel failover"),
    image: image.default("valkey/valkey:8.1.11-trixie").describe("Valkey image, Debian variant (the start scripts need bash; BSD-3, see README for the license choice)"),
    exporterImage: image.default("oliver006/redis_exporter:v1.90.0"),
    replicas: z.number().int().min(1).max(9).default(3).describe("data nodes in sentinel mode (1 primary + replicas)"),
    sentinels: z.number().int().min(3).max(9).default(3).describe("Sentinel pods in sentinel mode (quorum: a majority)"),
    masterName: dnsLabel.default("primary").describe("Sentinel master name given to clients"),
    storageSize: bytes.default("2Gi").describe("data volume per node (AOF + RDB)"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    maxmemory: bytes.optional().describe("default: 75% of the memory limit"),
    maxmemoryPolicy: z.enum(["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"]).default("noeviction"),
    resources: resources.optional().describe("Valkey container; defaults per environment (prod: 100m/256Mi requests, 500m/1Gi limits)"),
    sentinelResources: resources.optional().describe("Sentinel container; default 25m/32Mi requests, 200m/128Mi limits"),
}).default({});

const edge = strict({
    enabled: z.boolean().default(true).describe("NGINX Gateway Fabric, the Gateway and its routes; needs a host to serve (a service route, Grafana with monitoring, or edge.extraHosts)"),
    controllerReplicas: z.number().int().min(1).default(1)
        .describe("NGINX Gateway Fabric control-plane replicas (leader-elected; prod needs at least 2)"),
    controllerMaxReplicas: z.number().int().min(1).optional().describe("enable control-plane autoscaling up to this many replicas"),
    dataPlaneReplicas: z.number().int().min(1).default(1).describe("NGINX data plane replicas (min when autoscaling; prod needs at least 2)"),
    dataPlaneMaxReplicas: z.number().int().min(1).optional().describe("enable data-plane autoscaling up to this many replicas"),
    serviceType: z.enum(["LoadBalancer", "NodePort"]).default("LoadBalancer").describe("Service type of the NGINX data plane"),
    nodePorts: strict({
        http: z.number().int().min(30000).max(32767).describe("NodePort of the HTTP (redirect) listener"),
        https: z.number().int().min(30000).max(32767).describe("NodePort of the HTTPS listeners"),
    }).optional().describe("fixed NodePorts (serviceType NodePort), e.g. for kind extraPortMappings; unset: Kubernetes picks"),
    tls: z.enum(["generated-ca", "acme"]).default("generated-ca").describe("server certificates: generated CA, or cert-manager ACME (Let's Encrypt)"),
    acme: strict({
        email: z.string().email().describe("ACME account e-mail (expiry notices)"),
        server: z.string().regex(/^https:\/\/\S+$/, "must be an https URL of an ACME directory").default("https://acme-v02.api.letsencrypt.org/directory")
            .describe("ACME directory URL (use the Let's Encrypt staging URL while testing)"),
    }).optional(),
    certManagerIssuer: z.enum(["acme", "generated-ca"]).default("acme")
        .describe("with tls \"acme\": the ClusterIssuer that signs the host certificates; \"generated-ca\" is the fallback while ACME cannot issue (rate limits, hosts not yet public)"),
    hstsMaxAgeSeconds: positiveInt.default(31536000).describe("Strict-Transport-Security max-age on every HTTPS response"),
    extraHosts: z.array(z.string()).default([]).describe("additional public host labels (e.g. \"dev\" in dev)"),
    chart: chartSource({ repository: "oci://ghcr.io/nginx/charts", chart: "nginx-gateway-fabric", version: "2.6.7" }),
    gatewayApiCrds: manifestSource("https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml"),
    certManagerChart: chartSource({ repository: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.1" }),
    resources: resources.optional().describe("NGINX Gateway Fabric control-plane container; unset values take the environment defaults"),
    dataPlaneResources: resources.optional().describe("NGINX data-plane container; unset values take the environment defaults"),
}).default({});

const mesh = strict({
    enabled: z.boolean().default(true).describe("Istio sidecar mesh with strict mutual TLS (off: no Istio objects, no injection labels)"),
    // Istio 1.31.1 (2026-09-21) is the newest stable release; base, istiod and cni are released together.
    chart: chartSource({ repository: "https://istio-release.storage.googleapis.com/charts", chart: "istiod", version: "1.31.1" })
        .describe("Istio charts source: repository and version shared by base, istiod and cni (chart name is ignored); path: a directory holding the unpacked charts base/, istiod/ and cni/"),
    imageHub: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/, "must be an image registry path such as \"docker.io/istio\" or \"registry.example.com:5000/istio\" (no scheme, no tag)")
        .default("docker.io/istio")
        .describe("registry path of the Istio images (istiod, proxyv2, install-cni); their tag is mesh.chart.version, so images always match the charts"),
    proxyRequestsCpu: cpu.default("50m").describe("istio-proxy sidecar CPU request (mesh-wide)"),
    proxyRequestsMemory: memory.default("64Mi").describe("istio-proxy sidecar memory request (mesh-wide)"),
    proxyLimitsCpu: cpu.default("500m").describe("istio-proxy sidecar CPU limit (mesh-wide)"),
    proxyLimitsMemory: memory.default("256Mi").describe("istio-proxy sidecar memory limit (mesh-wide)"),
    istiodReplicas: z.number().int().min(1).default(1).describe("istiod replicas (a PodDisruptionBudget is added above 1)"),
    istiodResources: computeResources.optional().describe("istiod container; unset values: requests 250m/512Mi, limits 2/2Gi"),
    cniResources: computeResources.optional().describe("Istio CNI node agent container; unset values: requests 100m/100Mi, limits 500m/256Mi"),
}).default({});

const monitoring = strict({
    enabled: z.boolean().default(true).describe("Prometheus Operator stack: Prometheus, Alertmanager, Grafana, kube-state-metrics, node-exporter"),
    // kube-prometheus-stack 88.5.3 (prometheus-operator v0.93.1, Grafana 13.2.0): the newest release whose templates
    // our values were rendered against with `helm template`; newer majors change Grafana's chart and token handling.
    chart: chartSource({ repository: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "88.5.3" })
        .describe("kube-prometheus-stack chart (installed without its CRDs: see crdsChart)"),
    // The CRDs are their own resource so every ServiceMonitor/PodMonitor/PrometheusRule can be ordered after them;
    // keep the version in step with the operator version of `chart` (prometheus-operator-crds 31.x = operator v0.93).
    crdsChart: chartSource({ repository: "https://prometheus-community.github.io/helm-charts", chart: "prometheus-operator-crds", version: "31.0.1" })
        .describe("prometheus-operator CRDs chart, installed before anything that creates monitoring.coreos.com objects"),
    retention: z.string().regex(/^[1-9]\d*[hdwy]$/, "must be a positive Prometheus duration like \"15d\" (0 would mean the built-in default)").default("15d").describe("Prometheus retention time"),
    storageSize: bytes.refine((v) => parseQuantity(v) >= 2 ** 30, "must be at least 1Gi (size-based retention keeps 85 % of it, and the write-ahead log alone takes several 128 MiB segments)")
        .default("20Gi").describe("Prometheus volume per replica, at least 1Gi; size-based retention keeps 85 % of it"),
    storageClass: dnsName.optional().describe("Prometheus and Alertmanager volumes; default: top-level storageClass, else the environment default"),
    alertmanagerStorageSize: bytes.default("1Gi").describe("Alertmanager volume per replica (silences, notification log)"),
    prometheusReplicas: z.number().int().min(1).default(1).describe("Prometheus replicas (each scrapes everything; a PodDisruptionBudget is added above 1)"),
    alertmanagerReplicas: z.number().int().min(1).default(1).describe("Alertmanager replicas (clustered; a PodDisruptionBudget is added above 1)"),
    resources: resources.optional().describe("Prometheus container; unset values: requests 500m/1Gi, limits 2/4Gi"),
    scrapeIntervalSeconds: positiveInt.default(30).describe("default scrape and rule evaluation interval"),
    grafanaHost: z.string().default("monitoring").describe("Grafana host label under the domain"),
    alertWebhookUrl: z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL").refine(parsesAsUrl, "must be a valid URL (e.g. \"https://alerts.example.com/hook\")").optional().describe("Alertmanager webhook receiver (secret config value)"),
    slackWebhookUrl: z.string().regex(/^https:\/\/\S+$/, "must be an https URL").refine(parsesAsUrl, "must be a valid URL (e.g. \"https://hooks.slack.com/services/...\")").optional().describe("Slack incoming-webhook URL (secret config value)"),
    slackChannel: z.string().regex(/^#?[a-z0-9][a-z0-9._-]{0,79}$/, "must be a Slack channel name such as \"#alerts\"").optional()
        .describe("Slack channel for alerts (default \"#alerts\"); needs slackWebhookUrl"),
    thresholds: strict({
        cpuLimitPercent: percent.default(80).describe("container CPU use as a share of its limit (warning after 10 min)"),
        memoryLimitPercent: percent.default(90).describe("container memory use as a share of its limit (warning after 5 min)"),
        errorRatePercent: z.number().min(0.01).max(100).default(5).describe("share of 5xx responses (critical after 5 min)"),
        // The critical volume alert is fixed at 95 % (lib/monitoring/alert-rules.ts), and the warning must sit below it.
        pvcFullPercent: z.number().int().min(1).max(PVC_WARNING_MAX_PERCENT, `must be at most ${PVC_WARNING_MAX_PERCENT} (the critical volume alert fires at 95 %, the warning must come first)`).default(85)
            .describe(`volume use that warns (1-${PVC_WARNING_MAX_PERCENT}: the critical alert fires at 95 %, so the warning must be below it)`),
        postgresReplicationLagSeconds: positiveInt.default(30).describe("replication lag alert threshold"),
        postgresConnectionsPercent: percent.default(80).describe("PostgreSQL backends as a share of max_connections"),
        redisMemoryPercent: percent.default(90).describe("Redis used_memory as a share of maxmemory"),
    }).default({}).describe("alert thresholds (per environment: set them in the stack file)"),
}).default({});

const backups = strict({
    enabled: z.boolean().default(true).describe("logical PostgreSQL dumps, Redis snapshots and restore verification to a backup PVC (see README, Backups)"),
    postgresSchedule: z.string().default("0 2 * * *").describe("logical backup (pg_dump of every database) schedule, five-field cron in backups.timeZone"),
    redisSchedule: z.string().default("30 2 * * *").describe("Redis RDB snapshot schedule, five-field cron"),
    verifySchedule: z.string().default("0 4 * * 0").describe("weekly restore verification (restores the newest dumps into scratch databases), five-field cron"),
    timeZone: z.string().regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, "must be an IANA time zone such as \"Etc/UTC\" or \"Europe/Berlin\"")
        .refine(timeZoneExists, "is not a time zone of the IANA database (e.g. \"Etc/UTC\", \"Europe/Berlin\")").default("Etc/UTC")
        .describe("IANA time zone the backup schedules are read in (CronJob timeZone)"),
    retentionDaily: z.number().int().min(1).default(7).describe("GFS retention: newest backup of each of this many days"),
    retentionWeekly: z.number().int().min(0).default(4).describe("GFS retention: newest backup of each of this many ISO weeks"),
    retentionMonthly: z.number().int().min(0).default(12).describe("GFS retention: newest backup of each of this many months"),
    storageSize: bytes.default("20Gi").describe("size of the PostgreSQL dump PersistentVolumeClaim"),
    redisStorageSize: bytes.default("5Gi").describe("size of the Redis snapshot PersistentVolumeClaim"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    backupDeadlineSeconds: z.number().int().min(300).default(14400).describe("a backup run is stopped (and fails) after this long"),
    restoreDeadlineSeconds: z.number().int().min(300).default(14400).describe("a restore or restore verification is stopped after this long (RTO: 4 h)"),
    resources: resources.optional().describe("backup job container; default 100m/256Mi requests, 1/1Gi limits"),
    incrementalSchedule: z.string().default("0 0 */6 * * *")
        .describe("extra CloudNativePG ScheduledBackup cadence (six-field cron, seconds first) between the daily ones, when postgres.objectStore is configured; Barman Cloud has no incremental backups, so each run is a full base backup, and continuous WAL archiving covers the time in between"),
    objectStore: strict({
        endpointUrl: z.string().regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be an http(s) URL without query").optional()
            .describe("S3-compatible endpoint (MinIO, Ceph RGW, ...); unset for AWS S3"),
        bucket: z.string()
            .regex(/^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)(?!.*\.-)(?!.*-\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
                "must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens; starts and ends with a letter or digit; not an IP address)")
            .describe("existing bucket the backups are mirrored to (the jobs never create it)"),
        prefix: z.string().regex(/^([A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)?$/, "must be key segments of letters, digits, \"_\", \".\", \"-\" joined by \"/\" (no leading or trailing \"/\")")
            .default("").describe("key prefix inside the bucket; default \"stackwright/<environment>\"; PostgreSQL sets go to <prefix>/postgres/<db>/, Redis to <prefix>/redis/redis/"),
        region: z.string().regex(/^[a-z0-9-]+$/, "must be a region name such as \"us-east-1\"").default("us-east-1").describe("bucket region (most S3-compatible servers accept the default)"),
        accessKeyId: z.string().min(1).describe("secret config value"),
        secretAccessKey: z.string().min(1).describe("secret config value"),
        forcePathStyle: z.boolean().default(true).describe("path-style URLs (<endpoint>/<bucket>/<key>), as MinIO and Ceph need; false for virtual-hosted style"),
        image: image.default("rclone/rclone:1.75.0").describe("rclone image the upload container runs (Alpine: the sync script is POSIX sh)"),
    }).optional().describe("S3-compatible object storage the PostgreSQL dumps and Redis snapshots are mirrored to after each run (same GFS set as the volume); volume only when unset"),
}).default({});

/** A written reason: what the waiver accepts and why (shown on the waived objects and in policy reports). */
const waiverReason = z.string().trim().min(20, "must be a written reason of at least 20 characters (what is accepted, and why)");

const waivers = strict({
    singleReplicaServices: z.record(z.string(), waiverReason).default({})
        .describe("service -> reason: run it with one replica (or an autoscaler minimum of 1) in prod"),
    singlePostgresInstance: waiverReason.optional().describe("reason to run one PostgreSQL instance in prod (no failover)"),
    standaloneRedis: waiverReason.optional().describe("reason to run Redis standalone in prod (no Sentinel failover)"),
    singleEdgeReplica: waiverReason.optional().describe("reason to run one edge control-plane or data-plane replica in prod"),
    meshDisabled: waiverReason.optional().describe("reason to run prod without the mesh (no mutual TLS between services)"),
}).default({}).describe("prod only: single points of failure accepted on purpose, each with a written reason; the reason is set on the waived objects as the policy pack's exemption annotation, so `pulumi preview --policy-pack` agrees");
export type WaiversConfig = z.infer<typeof waivers>;

export const stackConfigSchema = strict({
    environment: z.enum(ENVIRONMENTS).describe("dev, staging or prod; selects the environment defaults"),
    domain: dnsName.describe("public DNS domain; hosts are app.<domain>, api.<domain>, ..."),
    storageClass: dnsName.optional().describe("default StorageClass for persistent volumes (e.g. \"standard\", \"fast-ssd\")"),
    kubernetes,
    namespaces,
    quota,
    limitRange,
    secrets,
    services: z.record(z.string(), service).default({}).describe("application services by name (DNS-1123 labels of at most 54 characters, 44 with a migration: the auto-named Deployment and Job add suffixes)"),
    postgres,
    redis,
    edge,
    mesh,
    monitoring,
    backups,
    waivers,
});

export type StackConfig = z.infer<typeof stackConfigSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------------------------

interface Problem { path: (string | number)[]; message: string }

/**
 * What the cross-field rules may rely on. When the schema fails, the rules still run over the parts that parsed
 * (so one run reports everything); a rule whose inputs did not parse is skipped rather than guessed at.
 */
interface RuleContext {
    /** True when every named top-level key (and, for "services", every service) parsed. */
    readonly parsed: (...keys: (keyof StackConfig)[]) => boolean;
    /** Every service name in the config, parsed or not (a call to a broken service is still a known callee). */
    readonly serviceNames: string[];
}

/** Why a host is unusable: not a DNS name at all, or outside the stack domain (undefined when `domain` is unknown). */
function hostProblem(host: string, domain: string | undefined): string | undefined {
    if (!DNS_SUBDOMAIN.test(host)) return `${JSON.stringify(host)} is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')`;
    if (domain !== undefined && publicHost(host, domain) === undefined) {
        return `"${host}" is outside the stack domain "${domain}" (allowed: a label such as "api", or a name ending in ".${domain}")`;
    }
    // A label becomes "<label>.<domain>", which must still be a host name (Gateway listeners, certificates).
    const full = domain === undefined ? undefined : publicHost(host, domain);
    if (full !== undefined && !DNS_SUBDOMAIN.test(full)) {
        return `"${host}" makes the host "${full}" of ${full.length} characters (allowed: at most 253 in all with the domain)`;
    }
    return undefined;
}

/** Auto-named objects get "-" and an 8-character suffix; pod names, hostnames and label values stop at 63. */
const AUTO_NAME_SUFFIX = 9;
const MAX_SERVICE_NAME = 63 - AUTO_NAME_SUFFIX;
const MAX_MIGRATING_SERVICE_NAME = 63 - "-migration".length - AUTO_NAME_SUFFIX;

function crossFieldProblems(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const { parsed, serviceNames } = ctx;
    const domain = parsed("domain") ? cfg.domain : undefined;
    const seenRoutes = new Map<string, string>();
    const ownDatabases = new Map<string, string>();

    for (const name of serviceNames) {
        if (!DNS_LABEL.test(name)) problems.push({ path: ["services", name], message: `service name "${name}" must be a DNS-1123 label (lower-case letters, digits and '-', starting with a letter)` });
        // Names built from it must stay DNS labels too: the Deployment "<service>-<8-character suffix>" names its
        // pods and their hostnames, and the migration Job "<service>-migration-<suffix>" is a label value.
        else if (name.length > MAX_SERVICE_NAME) problems.push({ path: ["services", name], message: `service name is ${name.length} characters; at most ${MAX_SERVICE_NAME} (its Deployment is named "<service>-<8-character suffix>", which pod names and hostnames must keep within 63)` });
        else if (name.length > MAX_MIGRATING_SERVICE_NAME && parsed("services") && cfg.services[name]?.migration) {
            problems.push({ path: ["services", name], message: `service name is ${name.length} characters; at most ${MAX_MIGRATING_SERVICE_NAME} with a migration (its Job is named "<service>-migration-<8-character suffix>", a label value of at most 63)` });
        }
    }
    for (const [name, svc] of Object.entries(cfg.services)) {
        const at = (...path: (string | number)[]) => ["services", name, ...path];
        const envDefaults = environmentDefaults(cfg.environment);

        // A plain env value lands in a ConfigMap and in the stack file in clear text; credentials go by reference.
        for (const key of Object.keys(svc.env)) {
            if (CREDENTIAL_ENV_NAME.test(key)) {
                problems.push({ path: at("env", key), message: `"${key}" names a credential, and plain env values are stored in clear text (ConfigMap, stack file): deliver it from a Secret with services.${name}.secretEnv instead` });
            }
        }

        // Each writable path becomes an emptyDir volume named after it: two spellings of one directory ("/data",
        // "/data/") or paths that slug alike ("/var/cache", "/var-cache") would collide in the pod spec.
        const volumeOwner = new Map<string, string>([[writableVolumeName("/tmp"), "/tmp"]]);
        svc.writablePaths.forEach((p, i) => {
            const volume = writableVolumeName(p);
            const other = volumeOwner.get(volume);
            if (other !== undefined && other !== p) {
                problems.push({ path: at("writablePaths", i), message: `"${p}" would share the volume "${volume}" with "${other}"${other === "/tmp" ? " (always mounted)" : ""}: list each directory once, in one spelling` });
            } else {
                volumeOwner.set(volume, p);
            }
        });

        const portNames = svc.ports.map((p) => p.name);
        // As in Kubernetes, one number may serve two protocols (DNS: 53/TCP and 53/UDP), never one protocol twice.
        const portKeys = svc.ports.map((p) => `${p.containerPort}/${p.protocol}`);
        const portNumbers = svc.ports.map((p) => p.containerPort);
        svc.ports.forEach((p, i) => {
            if (portNames.indexOf(p.name) !== i) problems.push({ path: at("ports", i, "name"), message: `duplicate port name "${p.name}"` });
            if (portKeys.indexOf(portKeys[i]) !== i) problems.push({ path: at("ports", i, "containerPort"), message: `duplicate container port ${portKeys[i]}` });
        });
        const exposes = (port: string | number | undefined) => port === undefined
            ? svc.ports.length > 0
            : typeof port === "number" ? portNumbers.includes(port) : portNames.includes(port);

        for (const kind of ["liveness", "readiness", "startup"] as const) {
            const probe = svc.probes[kind];
            // An unset startup probe checks what the liveness probe checks (lib/service/settings.ts).
            if (kind === "startup" && probe === undefined) continue;
            if ((probe?.type ?? "http") !== "exec" && !exposes(probe?.port)) {
                problems.push({ path: at("probes", kind, "port"), message: probe?.port === undefined
                    ? `${kind} probe needs a port but the service exposes none (allowed: declare ports, or use type "exec")`
                    : `${kind} probe uses port ${JSON.stringify(probe.port)}, which the container does not expose (allowed: ${portNames.join(", ") || "none"})` });
            }
            if (probe?.type === "exec" && !probe.command) problems.push({ path: at("probes", kind, "command"), message: "exec probes need a command" });
        }
        if (svc.metrics && !portNames.includes(svc.metrics.port)) {
            problems.push({ path: at("metrics", "port"), message: `"${svc.metrics.port}" is not a port of this service (allowed: ${portNames.join(", ") || "none"})` });
        }

        const as = svc.autoscaling;
        if (as.minReplicas !== undefined && as.maxReplicas !== undefined && as.minReplicas > as.maxReplicas) {
            problems.push({ path: at("autoscaling", "minReplicas"), message: `minReplicas (${as.minReplicas}) must be <= maxReplicas (${as.maxReplicas})` });
        } else if (parsed("environment") && (as.enabled ?? envDefaults.autoscalingEnabled)) {
            // One bound set, the other from the environment defaults.
            const min = as.minReplicas ?? envDefaults.minReplicas;
            const max = as.maxReplicas ?? envDefaults.maxReplicas;
            if (min > max) {
                const key = as.minReplicas !== undefined ? "minReplicas" : "maxReplicas";
                problems.push({ path: at("autoscaling", key), message: `minReplicas (${min}${as.minReplicas === undefined ? ", the environment default" : ""}) must be <= maxReplicas (${max}${as.maxReplicas === undefined ? ", the environment default" : ""})` });
            }
        }
        // Each env var has one source: plain settings, generated credentials, or the data-store connection Secrets.
        const envSources = new Map<string, string>();
        const addEnv = (names: string[], source: string, key: "env" | "secretEnv" | "database" | "redis") => {
            for (const envName of names) {
                const other = envSources.get(envName);
                if (other) problems.push({ path: key === "env" || key === "secretEnv" ? at(key, envName) : at(key), message: `env var "${envName}" is set by both ${other} and ${source} (allowed: one source per variable)` });
                else envSources.set(envName, source);
            }
        };
        if (svc.database !== undefined) addEnv(Object.keys(DATABASE_SECRET_ENV), "the database connection Secret", "database");
        if (svc.redis) addEnv(Object.keys(REDIS_SECRET_ENV), "the Redis connection Secret", "redis");
        addEnv(Object.keys(svc.secretEnv), "secretEnv", "secretEnv");
        addEnv(Object.keys(svc.env), "env", "env");
        const resolved = resolveResources(svc.resources, envDefaults.serviceResources);
        if (parsed("environment")) problems.push(...resourceBlockProblems(at("resources"), svc.resources, envDefaults.serviceResources, "the environment default"));
        // The HPA targets utilisation of the requests: a request of zero divides by zero, and the HPA never scales.
        if (parsed("environment") && (as.enabled ?? envDefaults.autoscalingEnabled)) {
            for (const key of ["cpu", "memory"] as const) {
                if (parseQuantity(resolved.requests[key]) === 0) {
                    problems.push({ path: at("resources", "requests", key), message: `request "${resolved.requests[key]}" is zero, but the autoscaler targets ${key} utilisation of the request (allowed: above zero, or autoscaling.enabled false)` });
                }
            }
        }
        svc.calls.forEach((callee, i) => {
            if (!serviceNames.includes(callee)) problems.push({ path: at("calls", i), message: `"${callee}" is not a configured service (allowed: ${serviceNames.join(", ")})` });
            else if (callee === name) problems.push({ path: at("calls", i), message: "a service cannot declare a call to itself" });
            else if (cfg.services[callee]?.ports.length === 0) problems.push({ path: at("calls", i), message: `"${callee}" exposes no ports, so it cannot be called` });
        });
        if (svc.database !== undefined && parsed("postgres")) {
            if (!cfg.postgres.enabled) problems.push({ path: at("database"), message: "postgres.enabled is false, so no database can be used" });
            if (svc.database !== cfg.postgres.appDatabase) {
                const owner = ownDatabases.get(svc.database);
                if (owner) problems.push({ path: at("database"), message: `database "${svc.database}" is already owned by service "${owner}" (each service owns its database; share postgres.appDatabase instead)` });
                ownDatabases.set(svc.database, name);
            }
        }
        if (svc.redis && parsed("redis") && !cfg.redis.enabled) problems.push({ path: at("redis"), message: "redis.enabled is false, so the service cannot use Redis" });
        if (svc.replicas !== undefined && parsed("environment") && (as.enabled ?? cfg.environment !== "dev")) {
            problems.push({ path: at("replicas"), message: "replicas is set but autoscaling owns the replica count (set autoscaling.enabled: false, or use autoscaling.minReplicas)" });
        }
        svc.routes.forEach((r, i) => {
            if (!exposes(r.port)) problems.push({ path: at("routes", i, "port"), message: `route port ${JSON.stringify(r.port ?? "(first port)")} is not a port of this service (allowed: ${portNames.join(", ") || "none"})` });
            const problem = hostProblem(r.host, domain);
            if (problem) problems.push({ path: at("routes", i, "host"), message: problem });
            const host = domain === undefined ? undefined : publicHost(r.host, domain);
            if (host === undefined) return;
            // Gateway API prefixes match whole path segments: "/api/v1" and "/api/v1/" are the same route.
            const key = `${host}${r.pathPrefix.length > 1 ? r.pathPrefix.replace(/\/+$/, "") : r.pathPrefix}`;
            const other = seenRoutes.get(key);
            if (other) problems.push({ path: at("routes", i), message: `host/path "${host}${r.pathPrefix}" is already routed to ${other}` });
            seenRoutes.set(key, `service "${name}"`);
        });
        if (svc.migration && svc.database === undefined) problems.push({ path: at("migration"), message: "a migration Job needs the service to declare a database" });
        const m = svc.mesh;
        // The route timeout covers every try (Envoy): below this budget the last retries can never run.
        const minimum = m.retryAttempts > 0 ? m.retryPerTryTimeoutSeconds * (m.retryAttempts + 1) : 0;
        if (m.timeoutSeconds < minimum) {
            problems.push({ path: at("mesh", "timeoutSeconds"), message: `${m.timeoutSeconds} is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = ${m.retryPerTryTimeoutSeconds} x (${m.retryAttempts} + 1) = ${minimum}, so the retries cannot all run (allowed: at least ${minimum}, or fewer/shorter retries)` });
        }
    }

    if (parsed("monitoring")) {
        // Checked even with monitoring or the edge off: the host also lands in grafana.ini, which the chart passes
        // through Helm's tpl, and a setting must not turn valid by being switched on later.
        const problem = hostProblem(cfg.monitoring.grafanaHost, domain);
        const grafanaHost = domain === undefined ? undefined : publicHost(cfg.monitoring.grafanaHost, domain);
        if (problem) problems.push({ path: ["monitoring", "grafanaHost"], message: problem });
        else if (parsed("edge") && cfg.monitoring.enabled && cfg.edge.enabled && grafanaHost !== undefined
            && [...seenRoutes.keys()].some((k) => k.startsWith(`${grafanaHost}/`))) {
            problems.push({ path: ["monitoring", "grafanaHost"], message: `host "${grafanaHost}" is already used by a service route` });
        }
    }
    if (parsed("monitoring")) problems.push(...monitoringProblems(cfg));
    if (parsed("edge")) {
        cfg.edge.extraHosts.forEach((h, i) => {
            const problem = hostProblem(h, domain);
            if (problem) problems.push({ path: ["edge", "extraHosts", i], message: problem });
        });
        if (cfg.edge.tls === "acme" && !cfg.edge.acme) problems.push({ path: ["edge", "acme"], message: "edge.tls is \"acme\" but edge.acme (email) is not set" });
        // A Gateway needs at least one listener (the API server rejects an empty list): the edge must serve a host.
        const served = Object.values(cfg.services).some((svc) => svc.routes.length > 0) || cfg.edge.extraHosts.length > 0
            || (parsed("monitoring") && cfg.monitoring.enabled);
        if (cfg.edge.enabled && parsed("services") && served === false) {
            problems.push({ path: ["edge", "enabled"], message: "the edge has no host to serve: add services.<name>.routes (or monitoring with its Grafana host, or edge.extraHosts), or set edge.enabled to false" });
        }
        if (cfg.edge.dataPlaneMaxReplicas !== undefined && cfg.edge.dataPlaneMaxReplicas < cfg.edge.dataPlaneReplicas) {
            problems.push({ path: ["edge", "dataPlaneMaxReplicas"], message: `must be >= edge.dataPlaneReplicas (${cfg.edge.dataPlaneReplicas})` });
        }
        problems.push(...edgeProblems(cfg, ctx));
    }
    if (parsed("mesh") && cfg.mesh.enabled) {
        for (const [request, limit] of [["proxyRequestsCpu", "proxyLimitsCpu"], ["proxyRequestsMemory", "proxyLimitsMemory"]] as const) {
            if (parseQuantity(cfg.mesh[request]) > parseQuantity(cfg.mesh[limit])) {
                problems.push({ path: ["mesh", request], message: `"${cfg.mesh[request]}" exceeds mesh.${limit} "${cfg.mesh[limit]}" (allowed: at most the limit)` });
            }
        }
        problems.push(...resourceBlockProblems(["mesh", "istiodResources"], cfg.mesh.istiodResources, ISTIOD_DEFAULT_RESOURCES));
        problems.push(...resourceBlockProblems(["mesh", "cniResources"], cfg.mesh.cniResources, CNI_DEFAULT_RESOURCES));
    }
    // The guard rails of the apps and data namespaces, merged as index.ts merges them for the Namespaces component.
    if (parsed("environment", "services", "quota", "limitRange", "namespaces", "mesh", "postgres", "redis", "backups")) {
        const env = environmentDefaults(cfg.environment);
        problems.push(...quotaProblems(cfg, { ...env.quota, ...definedOnly(cfg.quota) }));
        problems.push(...limitRangeProblems(cfg, { ...env.limitRange, ...definedOnly(cfg.limitRange) }));
    }
    if (parsed("namespaces")) {
        // Each part of the stack has its namespace, with its own Pod Security level, quota and NetworkPolicies.
        const owner = new Map<string, string>();
        for (const [key, ns] of Object.entries(cfg.namespaces)) {
            if ((RESERVED_NAMESPACES as readonly string[]).includes(ns)) {
                problems.push({ path: ["namespaces", key], message: `"${ns}" belongs to Kubernetes (not allowed: ${RESERVED_NAMESPACES.join(", ")})` });
            } else if (owner.has(ns)) {
                problems.push({ path: ["namespaces", key], message: `"${ns}" is already namespaces.${owner.get(ns)} (each part of the stack needs a namespace of its own)` });
            } else {
                owner.set(ns, key);
            }
        }
    }
    if (parsed("redis") && cfg.redis.mode === "sentinel" && cfg.redis.replicas < 2) problems.push({ path: ["redis", "replicas"], message: "sentinel mode needs at least 2 data nodes (1 primary + 1 replica)" });
    problems.push(...dataStoreProblems(cfg, ctx));
    if (parsed("environment", "services", "postgres", "redis", "edge", "mesh", "waivers")) problems.push(...singlePointProblems(cfg));
    if (parsed("backups")) problems.push(...backupProblems(cfg, ctx));

    // Database roles come from every service and the postgres section: without all of them the ids are unknown.
    if (parsed("secrets", "postgres", "services")) {
        const credentialIds = new Set<string>([...APP_CREDENTIALS, ...PLATFORM_CREDENTIALS, ...databaseRoles(cfg).map((r) => `db-${r}`)]);
        for (const id of Object.keys(cfg.secrets.rotation)) {
            if (!credentialIds.has(id)) problems.push({ path: ["secrets", "rotation", id], message: `"${id}" is not a generated credential (allowed: ${[...credentialIds].join(", ")})` });
        }
    }
    return problems;
}

/**
 * Production has no single point of failure unless a waiver with a written reason accepts it: one replica of a
 * service, one PostgreSQL instance, standalone Redis, one edge replica, the mesh off. A waiver that waives nothing
 * (another environment, or nothing to waive) is an error too: it would silently do nothing.
 */
function singlePointProblems(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    const w = cfg.waivers;
    const prod = cfg.environment === "prod";
    const used = new Set<string>();
    const refuse = (path: (string | number)[], problem: string, allowed: string, waiver: string, waived: string | undefined) => {
        if (!prod) return;
        if (waived !== undefined) {
            used.add(waiver);
            return;
        }
        problems.push({ path, message: `${problem} in prod (allowed: ${allowed}, or waivers.${waiver} with a written reason)` });
    };
    const env = environmentDefaults(cfg.environment);
    for (const [name, svc] of Object.entries(cfg.services)) {
        const scaling = resolveScaling(svc, env);
        const min = scaling.autoscaling?.minReplicas ?? scaling.replicas ?? 1;
        if (min < 2) {
            const key = scaling.autoscaling ? ["autoscaling", "minReplicas"] : ["replicas"];
            refuse(["services", name, ...key], `${min} replica is a single point of failure`, "at least 2", `singleReplicaServices.${name}`, w.singleReplicaServices[name]);
        }
    }
    const instances = cfg.postgres.instances ?? POSTGRES_INSTANCE_DEFAULTS[cfg.environment];
    if (cfg.postgres.enabled && instances < 2) {
        refuse(["postgres", "instances"], "1 PostgreSQL instance is a single point of failure (no failover)", "at least 2", "singlePostgresInstance", w.singlePostgresInstance);
    }
    if (cfg.redis.enabled && cfg.redis.mode === "standalone") {
        refuse(["redis", "mode"], "standalone Redis is a single point of failure (no failover)", "\"sentinel\"", "standaloneRedis", w.standaloneRedis);
    }
    if (cfg.edge.enabled) {
        for (const key of ["controllerReplicas", "dataPlaneReplicas"] as const) {
            if (cfg.edge[key] < 2) refuse(["edge", key], `${cfg.edge[key]} replica is a single point of failure (a node drain or rollout takes the edge down)`, "at least 2", "singleEdgeReplica", w.singleEdgeReplica);
        }
    }
    if (!cfg.mesh.enabled) refuse(["mesh", "enabled"], "false leaves service-to-service traffic without mutual TLS", "true", "meshDisabled", w.meshDisabled);

    const set: [string, unknown][] = [
        ...Object.keys(w.singleReplicaServices).map((name): [string, unknown] => [`singleReplicaServices.${name}`, w.singleReplicaServices[name]]),
        ["singlePostgresInstance", w.singlePostgresInstance], ["standaloneRedis", w.standaloneRedis],
        ["singleEdgeReplica", w.singleEdgeReplica], ["meshDisabled", w.meshDisabled],
    ];
    for (const [key, value] of set) {
        if (value === undefined || used.has(key)) continue;
        problems.push({ path: ["waivers", ...key.split(".")], message: prod
            ? "waives nothing: the setting it would accept is not in this stack (remove the waiver)"
            : `waives nothing outside prod (environment is "${cfg.environment}"; remove the waiver)` });
    }
    return problems;
}

/** Whether a raw (pre-default) config object sets a key. */
function sets(raw: unknown, ...path: string[]): boolean {
    let value = raw;
    for (const key of path) {
        if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
        value = (value as Record<string, unknown>)[key];
    }
    return value !== undefined;
}

/**
 * Settings that would do nothing in the combination the stack file chose, read from the raw file (defaults fill
 * every key). Settings of a feature switched off (a section's `enabled: false`, per-service mesh settings without
 * the mesh, a metrics endpoint without monitoring) are warnings: switching a feature off for one environment must
 * not mean deleting its tuning, but the stack file must not seem to say more than the stack does. Settings that
 * contradict the chosen mode within a feature that is on are errors.
 */
function inertSettings(raw: Record<string, unknown>, cfg: StackConfig, parsed: RuleContext["parsed"]): { problems: Problem[]; warnings: Problem[] } {
    const problems: Problem[] = [];
    const warnings: Problem[] = [];
    const inert = (into: Problem[], path: string[], because: string, fix: string) => {
        if (sets(raw, ...path)) into.push({ path, message: `has no effect: ${because} (remove it, or ${fix})` });
    };
    for (const section of ["postgres", "redis", "edge", "mesh", "monitoring", "backups"] as const) {
        if (!parsed(section) || cfg[section].enabled) continue;
        for (const key of Object.keys((raw[section] ?? {}) as object)) {
            if (key !== "enabled") inert(warnings, [section, key], `${section}.enabled is false`, `set ${section}.enabled to true`);
        }
    }
    if (parsed("redis") && cfg.redis.enabled && cfg.redis.mode === "standalone") {
        for (const key of ["replicas", "sentinels", "sentinelResources", "masterName"]) inert(problems, ["redis", key], "redis.mode is \"standalone\"", "set redis.mode to \"sentinel\"");
    }
    if (parsed("postgres") && cfg.postgres.enabled) {
        if (!cfg.postgres.pooler.enabled) {
            for (const key of Object.keys((sets(raw, "postgres", "pooler") ? (raw.postgres as Record<string, object>).pooler : {}))) {
                if (key !== "enabled") inert(problems, ["postgres", "pooler", key], "postgres.pooler.enabled is false", "set postgres.pooler.enabled to true");
            }
        }
        if (cfg.postgres.objectStore === undefined) {
            inert(problems, ["postgres", "barmanCloudPluginChart"], "postgres.objectStore is not set (the plugin is installed only with it)", "configure postgres.objectStore");
            if (parsed("backups") && cfg.backups.enabled) {
                inert(problems, ["backups", "incrementalSchedule"], "postgres.objectStore is not set (the extra base backups go to object storage)", "configure postgres.objectStore");
            }
        }
    }
    if (parsed("edge") && cfg.edge.enabled && cfg.edge.tls !== "acme") {
        for (const key of ["acme", "certManagerIssuer", "certManagerChart"]) inert(problems, ["edge", key], `edge.tls is "${cfg.edge.tls}"`, "set edge.tls to \"acme\"");
    }
    if (parsed("environment", "mesh", "monitoring")) {
        const env = environmentDefaults(cfg.environment);
        for (const [name, svc] of Object.entries(cfg.services)) {
            const at = (...path: string[]) => ["services", name, ...path];
            if (!cfg.mesh.enabled) inert(warnings, at("mesh"), "mesh.enabled is false", "set mesh.enabled to true");
            if (!cfg.monitoring.enabled) inert(warnings, at("metrics"), "monitoring.enabled is false (nothing scrapes it)", "set monitoring.enabled to true");
            if (!(svc.autoscaling.enabled ?? env.autoscalingEnabled)) {
                for (const key of ["minReplicas", "maxReplicas", "cpuUtilizationPercent", "memoryUtilizationPercent", "requestsPerSecond", "scaleDownStabilizationSeconds"]) {
                    inert(problems, at("autoscaling", key), `autoscaling is off${svc.autoscaling.enabled === undefined ? ` (the ${cfg.environment} default)` : ""}`, `set services.${name}.autoscaling.enabled to true, or use services.${name}.replicas`);
                }
            }
        }
    }
    return { problems, warnings };
}

/** Monitoring rules that need nothing outside the monitoring section. */
function monitoringProblems(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    if (cfg.monitoring.slackChannel !== undefined && cfg.monitoring.slackWebhookUrl === undefined) {
        problems.push({ path: ["monitoring", "slackChannel"], message: "a Slack channel needs monitoring.slackWebhookUrl (set both, or remove slackChannel)" });
    }
    problems.push(...resourceBlockProblems(["monitoring", "resources"], cfg.monitoring.resources, PROMETHEUS_DEFAULT_RESOURCES));
    return problems;
}

/** Longest request timeout the edge accepts (NGINX proxy timeouts; longer calls belong on a websocket route). */
export const MAX_ROUTE_TIMEOUT_SECONDS = 3600;
/** A Gateway has at most 64 listeners and the edge uses two per host (HTTPS and the HTTP redirect). */
export const MAX_PUBLIC_HOSTS = 32;
/** Characters a Gateway API path may contain (HTTPPathMatch.value). */
const GATEWAY_PATH = /^\/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})*$/;

/** Rules for the edge section and the routes it serves (NGINX Gateway Fabric and Gateway API limits). */
function edgeProblems(cfg: StackConfig, { parsed }: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const hosts = new Set<string>();
    for (const [name, svc] of Object.entries(cfg.services)) {
        svc.routes.forEach((r, i) => {
            const at = (...path: (string | number)[]) => ["services", name, "routes", i, ...path];
            if (!cfg.edge.enabled) {
                problems.push({ path: at(), message: "edge.enabled is false, so no public route can be served (remove the route or enable the edge)" });
                return;
            }
            const host = parsed("domain") ? publicHost(r.host, cfg.domain) : undefined;
            if (host !== undefined) hosts.add(host);
            const p = r.pathPrefix;
            if (!GATEWAY_PATH.test(p) || /\/\/|\/\.\.?(\/|$)|%2f|%2F|#/.test(p)) {
                problems.push({ path: at("pathPrefix"), message: `"${p}" is not a valid Gateway API path (allowed: "/" followed by URL path characters, without "//", "/./", "/../" or "%2f")` });
            }
            if (r.rateLimitBurst !== undefined && r.rateLimitRequestsPerSecond === undefined) {
                problems.push({ path: at("rateLimitBurst"), message: "a burst needs rateLimitRequestsPerSecond" });
            }
            if (!/^\d{1,4}[kmg]?$/i.test(r.clientMaxBodySize)) {
                problems.push({ path: at("clientMaxBodySize"), message: `"${r.clientMaxBodySize}" has more than 4 digits (allowed: up to 4 digits with k, m or g, e.g. "50m")` });
            }
            if (!r.websocket && r.timeoutSeconds > MAX_ROUTE_TIMEOUT_SECONDS) {
                problems.push({ path: at("timeoutSeconds"), message: `${r.timeoutSeconds} exceeds ${MAX_ROUTE_TIMEOUT_SECONDS} (allowed: 1-${MAX_ROUTE_TIMEOUT_SECONDS}; use websocket: true for long-lived connections)` });
            }
        });
    }
    if (!cfg.edge.enabled) return problems;
    if (parsed("monitoring", "domain") && cfg.monitoring.enabled) {
        const grafana = publicHost(cfg.monitoring.grafanaHost, cfg.domain);
        if (grafana !== undefined) hosts.add(grafana);
    }
    for (const h of parsed("domain") ? cfg.edge.extraHosts : []) {
        const host = publicHost(h, cfg.domain);
        if (host !== undefined) hosts.add(host);
    }
    // Counting needs every host: a service or section that did not parse may add more.
    if (parsed("domain", "services", "monitoring") && hosts.size > MAX_PUBLIC_HOSTS) {
        problems.push({ path: ["edge"], message: `${hosts.size} public hosts exceed the ${MAX_PUBLIC_HOSTS} one Gateway can serve (64 listeners, HTTPS + HTTP redirect per host)` });
    }
    if (cfg.edge.nodePorts !== undefined) {
        if (cfg.edge.serviceType !== "NodePort") problems.push({ path: ["edge", "nodePorts"], message: `needs edge.serviceType "NodePort" (is "${cfg.edge.serviceType}")` });
        if (cfg.edge.nodePorts.http === cfg.edge.nodePorts.https) problems.push({ path: ["edge", "nodePorts", "https"], message: `${cfg.edge.nodePorts.https} is already the http NodePort` });
    }
    if (cfg.edge.controllerMaxReplicas !== undefined && cfg.edge.controllerMaxReplicas < cfg.edge.controllerReplicas) {
        problems.push({ path: ["edge", "controllerMaxReplicas"], message: `must be >= edge.controllerReplicas (${cfg.edge.controllerReplicas})` });
    }
    if (parsed("environment")) {
        const defaults = edgeResourceDefaults(cfg.environment);
        problems.push(...resourceBlockProblems(["edge", "resources"], cfg.edge.resources, defaults.controlPlane, "the environment default"));
        problems.push(...resourceBlockProblems(["edge", "dataPlaneResources"], cfg.edge.dataPlaneResources, defaults.dataPlane, "the environment default"));
    }
    return problems;
}

/** Data-store rules: requests within limits (after the environment defaults), Redis maxmemory below its limit. */
function dataStoreProblems(cfg: StackConfig, { parsed }: RuleContext): Problem[] {
    const problems: Problem[] = [];
    // The resource defaults depend on the environment.
    if (!parsed("environment")) return problems;
    const checkResources = (path: string[], config: ResourcesConfig | undefined, fallback: ResourceSpec) => {
        problems.push(...resourceBlockProblems(path, config, fallback));
        return resolveResources(config, fallback);
    };
    if (parsed("postgres") && cfg.postgres.enabled) {
        checkResources(["postgres", "resources"], cfg.postgres.resources, postgresResourceDefaults(cfg.environment));
        checkResources(["postgres", "pooler", "resources"], cfg.postgres.pooler.resources, POOLER_RESOURCES);
        if (cfg.postgres.pooler.defaultPoolSize >= cfg.postgres.maxConnections) {
            problems.push({ path: ["postgres", "pooler", "defaultPoolSize"], message: `must be below postgres.maxConnections (${cfg.postgres.maxConnections})` });
        }
    }
    const fullBackupSchedule = parsed("postgres") ? cfg.postgres.objectStore?.fullBackupSchedule : undefined;
    const scheduleProblem = fullBackupSchedule === undefined ? undefined : scheduledBackupScheduleProblem(fullBackupSchedule);
    if (scheduleProblem) {
        problems.push({ path: ["postgres", "objectStore", "fullBackupSchedule"], message: `"${fullBackupSchedule}" is not a six-field cron schedule (${scheduleProblem}; allowed: seconds first, e.g. "0 0 2 * * *")` });
    }
    if (parsed("redis") && cfg.redis.enabled) {
        const resolved = checkResources(["redis", "resources"], cfg.redis.resources, redisResourceDefaults(cfg.environment));
        checkResources(["redis", "sentinelResources"], cfg.redis.sentinelResources, SENTINEL_RESOURCES);
        // valkey.conf takes whole bytes, and 0 there means "no limit": the conversion is exact or refused.
        const maxmemory = cfg.redis.maxmemory;
        const defaultMaxmemory = maxmemoryBytesForLimit(Math.max(parseQuantity(resolved.limits.memory), 1));
        if (maxmemory !== undefined && !Number.isInteger(parseQuantity(maxmemory))) {
            problems.push({ path: ["redis", "maxmemory"], message: `"${maxmemory}" is ${parseQuantity(maxmemory)} bytes, not a whole number (valkey.conf takes bytes; allowed: e.g. "768Mi")` });
        } else if (maxmemory !== undefined && parseQuantity(maxmemory) < MIN_REDIS_MAXMEMORY_BYTES) {
            problems.push({ path: ["redis", "maxmemory"], message: `"${maxmemory}" is below 1Mi (Valkey needs that much to run, and 0 would mean no limit at all; allowed: at least 1Mi)` });
        } else if (maxmemory === undefined && defaultMaxmemory < MIN_REDIS_MAXMEMORY_BYTES) {
            problems.push({ path: ["redis", "resources", "limits", "memory"], message: `limit "${resolved.limits.memory}" leaves Valkey a maxmemory (75 % of it) below 1Mi (0 would mean no limit at all; allowed: at least 2Mi)` });
        }
        if (cfg.redis.maxmemory !== undefined && parseQuantity(cfg.redis.maxmemory) >= parseQuantity(resolved.limits.memory)) {
            problems.push({ path: ["redis", "maxmemory"], message: `"${cfg.redis.maxmemory}" must stay below the memory limit "${resolved.limits.memory}" (forks for RDB/AOF need headroom; unset = 75% of the limit)` });
        }
    }
    return problems;
}

/** Backup rules: schedules the CronJob controller and CloudNativePG accept, an image the Redis backup can run in. */
function backupProblems(cfg: StackConfig, { parsed }: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const b = cfg.backups;
    for (const key of ["postgresSchedule", "redisSchedule", "verifySchedule"] as const) {
        const problem = cronJobScheduleProblem(b[key]);
        if (problem) problems.push({ path: ["backups", key], message: `"${b[key]}" is not a usable schedule (${problem}; allowed: five-field cron such as "0 2 * * *", or @daily/@weekly)` });
    }
    const problem = scheduledBackupScheduleProblem(b.incrementalSchedule);
    if (problem) problems.push({ path: ["backups", "incrementalSchedule"], message: `"${b.incrementalSchedule}" is not a six-field cron schedule (${problem}; allowed: seconds first, e.g. "0 0 */6 * * *")` });
    if (b.enabled && parsed("redis") && cfg.redis.enabled && /(^|[^a-z])alpine/i.test(cfg.redis.image.split("/").pop() ?? "")) {
        problems.push({ path: ["redis", "image"], message: `"${cfg.redis.image}" is an Alpine image, but the Redis backup job runs in it and needs GNU coreutils (allowed: the Debian variant, e.g. "valkey/valkey:8.1.11-trixie", or backups.enabled: false)` });
    }
    problems.push(...resourceBlockProblems(["backups", "resources"], b.resources, BACKUP_JOB_RESOURCES));
    return problems;
}

/** Resolves a route host ("api" or "api.example.com") to a full name inside the domain, or undefined if outside. */
export function publicHost(host: string, domain: string): string | undefined {
    if (DNS_LABEL.test(host)) return `${host}.${domain}`;
    if (DNS_SUBDOMAIN.test(host) && host.endsWith(`.${domain}`)) return host;
    return undefined;
}

/** PostgreSQL roles the stack creates: the app database owner plus one owner per service-owned database. */
export function databaseRoles(cfg: StackConfig): string[] {
    if (!cfg.postgres.enabled) return [];
    const owned = Object.values(cfg.services).map((s) => s.database).filter((d): d is string => d !== undefined);
    return Array.from(new Set([cfg.postgres.appDatabase, ...owned])).sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Loading and error reporting
// ---------------------------------------------------------------------------------------------------------------

export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
    return path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[key] : undefined), root);
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

/**
 * Credentials from config (object-store keys; alert webhook URLs, which carry their token in the URL): each must
 * reach the program as a Pulumi secret (encrypted in the stack file), and error messages never echo their values.
 */
const CREDENTIAL_KEYS = [
    ["postgres", "objectStore", "accessKeyId"], ["postgres", "objectStore", "secretAccessKey"],
    ["backups", "objectStore", "accessKeyId"], ["backups", "objectStore", "secretAccessKey"],
    ["monitoring", "alertWebhookUrl"], ["monitoring", "slackWebhookUrl"],
] as const;
const SECRET_KEYS = new Set<string>(CREDENTIAL_KEYS.map((path) => path[path.length - 1]));

function credentialPathsIn(raw: Record<string, unknown>): (typeof CREDENTIAL_KEYS)[number][] {
    return CREDENTIAL_KEYS.filter((path) => valueAt(raw, [...path]) !== undefined);
}

/** Top-level keys (without the namespace) that hold a credential, so must be supplied as Pulumi secrets. */
export function credentialSections(raw: Record<string, unknown>): string[] {
    return [...new Set(credentialPathsIn(raw).map((path) => path[0]))];
}

function describeIssue(issue: z.ZodIssue, raw: unknown): string {
    const secret = SECRET_KEYS.has(String(issue.path[issue.path.length - 1]));
    const value = secret ? "(secret value hidden)" : valueAt(raw, issue.path);
    const key = formatKey(issue.path);
    switch (issue.code) {
        case z.ZodIssueCode.unrecognized_keys: {
            const allowed = allowedKeysAt(issue.path);
            const where = issue.path.length === 0 ? "top-level keys" : `keys at ${key}`;
            return issue.keys.map((k) => `${formatKey([...issue.path, k])}: unknown key${allowed ? ` (allowed ${where}: ${allowed.join(", ")})` : ""}`).join("\n  - ");
        }
        case z.ZodIssueCode.invalid_enum_value:
            return `${key}: ${show(value)} is not allowed (allowed: ${issue.options.join(", ")})`;
        case z.ZodIssueCode.invalid_type:
            return value === undefined ? `${key}: is required (${issue.expected})` : `${key}: ${show(value)} must be ${issue.expected}, not ${issue.received}`;
        case z.ZodIssueCode.invalid_union: {
            // Report the branch of the value's own type (a number for `cpu: -1`), not zod's bare "Invalid input".
            const relevant = issue.unionErrors.flatMap((e) => e.issues).find((i) => i.code !== z.ZodIssueCode.invalid_type);
            if (relevant) return describeIssue(relevant, raw);
            const expected = issue.unionErrors.flatMap((e) => e.issues).map((i) => i.code === z.ZodIssueCode.invalid_type ? i.expected : undefined).filter(Boolean);
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
    return Object.keys(raw).filter((key) => key.includes(":") && !allowed.includes(key.slice(0, key.indexOf(":")))).map((key) => {
        const namespace = key.slice(0, key.indexOf(":"));
        return `${key}: unknown config namespace "${namespace}", so the key would be ignored (allowed namespaces: ${allowed.join(", ")}; settings of this program are "${CONFIG_NAMESPACE}:${key.slice(namespace.length + 1)}")`;
    });
}

/**
 * Credentials set as plain config values. Pulumi marks secret-ness per top-level key (`pulumi config set --secret
 * --path` makes all of `stackwright:postgres` secret), so that is the granularity checked here.
 */
function plainCredentialProblems(raw: Record<string, unknown>, isSecret: (topLevelKey: string) => boolean): string[] {
    return credentialPathsIn(raw).filter((path) => !isSecret(path[0])).map((path) => {
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
    const own = Object.fromEntries(Object.entries(raw)
        .filter(([key]) => !key.includes(":") || key.startsWith(prefix))
        .map(([key, value]) => [key.startsWith(prefix) ? key.slice(prefix.length) : key, value]));
    const problems = namespaceProblems(raw);
    if (opts.isSecret) problems.push(...plainCredentialProblems(own, opts.isSecret));
    const result = stackConfigSchema.safeParse(own);
    const { cfg, failed } = result.success ? { cfg: result.data, failed: new Set<string>() } : parseSections(own);
    if (!result.success) problems.push(...result.error.issues.map((i) => describeIssue(i, own)));
    const context: RuleContext = { parsed: (...keys) => keys.every((k) => !failed.has(k)), serviceNames: serviceNamesOf(own) };
    const inert = inertSettings(own, cfg, context.parsed);
    problems.push(...[...crossFieldProblems(cfg, context), ...inert.problems].map((p) => `${formatKey(p.path)}: ${p.message}`));
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
    return parseConfig(readRawConfig(), { isSecret: isSecretKey, onWarning: (message) => void pulumi.log.warn(message) });
}
