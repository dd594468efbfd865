/**
 * The stack configuration schema: everything the program reads, validated once by `loadConfig()` before any
 * resource is registered. Components never read `pulumi.Config`; they receive the typed values parsed here.
 *
 * Each top-level key is one Pulumi config key in the `stackwright` namespace (`stackwright:services`, ...).
 * Field descriptions (`.describe`) feed the generated config reference (docs/config-reference.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { environmentDefaults, resolveResources } from "./lib/defaults";
import { isQuantity, parseQuantity } from "./lib/quantity";

export const CONFIG_NAMESPACE = "stackwright";

// ---------------------------------------------------------------------------------------------------------------
// Primitive types
// ---------------------------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PORT_NAME = /^(?=.{1,15}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** registry/repo[:tag][@sha256:digest]; the tag or digest is checked separately. */
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

const dnsLabel = z.string().regex(DNS_LABEL, "must be a DNS-1123 label (lower-case letters, digits and '-', starting with a letter, at most 63 characters)");
const dnsName = z.string().regex(DNS_SUBDOMAIN, "must be a DNS name (lower-case letters, digits, '-' and '.', e.g. \"example.com\")");
const portName = z.string().regex(PORT_NAME, "must be an IANA service name (lower-case letters, digits and '-', at most 15 characters)");
const quantity = z.string().refine(isQuantity, { message: "is not a Kubernetes quantity (e.g. \"500m\", \"2\", \"512Mi\")" });
const cpu = quantity.describe("CPU quantity, e.g. \"500m\"");
const memory = quantity.describe("memory quantity, e.g. \"512Mi\"");
const positiveInt = z.number().int().positive();
const percent = z.number().int().min(1).max(100);
const absolutePath = z.string().regex(/^\/[^\0]*$/, "must be an absolute path, e.g. \"/var/cache\"");

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

function strict<T extends z.ZodRawShape>(shape: T) {
    return z.object(shape).strict();
}

const chartSource = (defaults: { repository: string; chart: string; version: string }) => strict({
    repository: z.string().regex(/^(https?|oci):\/\/\S+$/, "must be an https:// or oci:// URL").default(defaults.repository)
        .describe("Helm repository URL or OCI registry reference (mirrors, air-gapped clusters)"),
    chart: z.string().min(1).default(defaults.chart).describe("chart name"),
    version: z.string().regex(/^v?\d+\.\d+\.\d+([-+][\w.]+)?$/, "must be an exact version (e.g. \"1.2.3\")").default(defaults.version)
        .describe("exact chart version (pinned)"),
    path: z.string().min(1).optional().describe("local chart directory or .tgz; overrides repository/chart when set"),
}).default({});

const manifestSource = (defaultUrl: string) => strict({
    url: z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL").default(defaultUrl).describe("URL of the manifest bundle (pinned version)"),
    path: z.string().min(1).optional().describe("local file; overrides url when set"),
}).default({});

const resourceList = (required: boolean) => {
    const shape = { cpu, memory, ephemeralStorage: quantity.optional().describe("ephemeral storage quantity, e.g. \"1Gi\"") };
    return required ? strict(shape) : strict(shape).partial();
};
const resources = strict({
    requests: resourceList(false).optional(),
    limits: resourceList(false).optional(),
}).describe("container requests and limits; unset values take the environment defaults");
export type ResourcesConfig = z.infer<typeof resources>;

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
        .describe("write manifests to this directory instead of applying them (GitOps); Secrets are written in plain text there"),
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
    pods: positiveInt.optional(), persistentVolumeClaims: positiveInt.optional(),
}).default({}).describe("ResourceQuota of each application namespace; unset values take the environment defaults");

const limitRange = strict({
    defaultRequestCpu: cpu.optional(), defaultRequestMemory: memory.optional(),
    defaultLimitCpu: cpu.optional(), defaultLimitMemory: memory.optional(),
    maxCpu: cpu.optional(), maxMemory: memory.optional(),
}).default({}).describe("LimitRange of each application namespace; unset values take the environment defaults");

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
    path: z.string().regex(/^\//, "must start with '/'").optional().describe("HTTP path (http probes)"),
    port: z.union([portName, z.number().int().min(1).max(65535)]).optional().describe("port name or number; default: the first port"),
    command: z.array(z.string()).min(1).optional().describe("command (exec probes)"),
    initialDelaySeconds: z.number().int().min(0).optional(),
    periodSeconds: positiveInt.optional(),
    timeoutSeconds: positiveInt.optional(),
    failureThreshold: positiveInt.optional(),
});
export type ProbeConfig = z.infer<typeof httpProbe>;

const route = strict({
    host: z.string().min(1).describe("host label under the stack domain (\"api\") or a full host name inside it"),
    pathPrefix: z.string().regex(/^\//, "must start with '/'").default("/").describe("path prefix routed to the service"),
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
        cpuUtilizationPercent: percent.default(70),
        memoryUtilizationPercent: percent.default(80),
        requestsPerSecond: positiveInt.optional().describe("optional custom Pods metric target: http_requests_per_second per pod"),
        scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(300),
    }).default({}),
    ports: z.array(strict({
        name: portName,
        containerPort: z.number().int().min(1).max(65535),
        protocol: z.enum(["TCP", "UDP"]).default("TCP"),
    })).default([]).describe("container ports; each becomes a named Service port"),
    command: z.array(z.string()).optional(),
    args: z.array(z.string()).optional(),
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
        port: portName,
        path: z.string().regex(/^\//).default("/metrics"),
        intervalSeconds: positiveInt.default(30),
    }).optional().describe("Prometheus scrape endpoint (ServiceMonitor)"),
    calls: z.array(dnsLabel).default([]).describe("services this service calls (NetworkPolicy egress/ingress and mesh authorization)"),
    database: dnsLabel.optional().describe("PostgreSQL database the service uses: postgres.appDatabase, or its own database (created with its own owner)"),
    redis: z.boolean().default(false).describe("service connects to Redis"),
    routes: z.array(route).default([]).describe("public HTTP routes at the edge"),
    priorityClassName: dnsLabel.optional(),
    latencyTargetMilliseconds: positiveInt.default(200).describe("p95 latency target (alerting)"),
    migration: strict({
        command: z.array(z.string()).min(1),
        args: z.array(z.string()).optional(),
        backoffLimit: z.number().int().min(0).default(2),
        activeDeadlineSeconds: positiveInt.default(600),
        ttlSecondsAfterFinished: positiveInt.default(3600),
    }).optional().describe("database migration Job run with the new image before the Deployment rolls"),
    mesh: strict({
        timeoutSeconds: positiveInt.default(15),
        retryAttempts: z.number().int().min(0).max(10).default(3),
        retryPerTryTimeoutSeconds: positiveInt.default(10),
        retryOn: z.string().default("5xx,reset,connect-failure,refused-stream"),
        retryPathPrefix: z.string().regex(/^\//).optional().describe("retries only for this path prefix (e.g. /api/v1/); default all paths"),
        maxConnections: positiveInt.default(100),
        http1MaxPendingRequests: positiveInt.default(100),
        http2MaxRequests: positiveInt.default(1000),
        consecutive5xxErrors: positiveInt.default(5),
        outlierIntervalSeconds: positiveInt.default(10),
        baseEjectionSeconds: positiveInt.default(30),
        maxEjectionPercent: percent.default(50),
        permissiveReason: z.string().min(10).optional().describe("allow plaintext to this service (PERMISSIVE mTLS); must say why"),
    }).default({}),
});
export type ServiceConfig = z.infer<typeof service>;

const postgres = strict({
    enabled: z.boolean().default(true),
    instances: z.number().int().min(1).max(9).default(1).describe("PostgreSQL instances (1 primary + replicas)"),
    imageName: image.default("ghcr.io/cloudnative-pg/postgresql:17.6").describe("CloudNativePG operand image; also used by backup jobs (matching client version)"),
    storageSize: quantity.default("10Gi"),
    walStorageSize: quantity.optional().describe("separate WAL volume"),
    storageClass: dnsName.optional().describe("default: top-level storageClass"),
    resources: resources.optional(),
    appDatabase: dnsLabel.default("app").describe("bootstrap database (owner of the same name)"),
    maxConnections: positiveInt.default(200),
    zoneAntiAffinity: z.boolean().optional().describe("spread instances across zones (default: prod)"),
    pooler: strict({
        enabled: z.boolean().default(false),
        instances: positiveInt.default(2),
        poolMode: z.enum(["session", "transaction"]).default("transaction"),
        maxClientConnections: positiveInt.default(1000),
        defaultPoolSize: positiveInt.default(25),
    }).default({}),
    objectStore: strict({
        destinationPath: z.string().regex(/^s3:\/\/\S+$/, "must be an s3:// URL"),
        endpointUrl: z.string().regex(/^https?:\/\/\S+$/).optional(),
        accessKeyId: z.string().min(1).describe("secret config value"),
        secretAccessKey: z.string().min(1).describe("secret config value"),
        region: z.string().optional(),
        retentionPolicy: z.string().regex(/^\d+[dwm]$/, "must be like \"30d\"").default("30d"),
        fullBackupSchedule: z.string().default("0 0 2 * * *").describe("ScheduledBackup (six-field cron, seconds first)"),
    }).optional().describe("S3-compatible object storage for WAL archiving, base backups and point-in-time recovery"),
    operatorChart: chartSource({ repository: "https://cloudnative-pg.github.io/charts", chart: "cloudnative-pg", version: "0.27.0" }),
}).default({});

const redis = strict({
    enabled: z.boolean().default(true),
    mode: z.enum(["standalone", "sentinel"]).default("standalone").describe("standalone (1 node) or replicated with Sentinel failover"),
    image: image.default("valkey/valkey:8.1.4").describe("Valkey image (BSD-3; see README for the license choice)"),
    exporterImage: image.default("oliver006/redis_exporter:v1.80.0"),
    replicas: z.number().int().min(1).max(9).default(3).describe("data nodes in sentinel mode (1 primary + replicas)"),
    sentinels: z.number().int().min(3).max(9).default(3),
    masterName: dnsLabel.default("primary"),
    storageSize: quantity.default("2Gi"),
    storageClass: dnsName.optional(),
    maxmemory: quantity.optional().describe("default: 75% of the memory limit"),
    maxmemoryPolicy: z.enum(["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"]).default("noeviction"),
    resources: resources.optional(),
}).default({});

const edge = strict({
    enabled: z.boolean().default(true),
    controllerReplicas: z.number().int().min(1).default(1),
    dataPlaneReplicas: z.number().int().min(1).default(1).describe("NGINX data plane replicas (min when autoscaling)"),
    dataPlaneMaxReplicas: z.number().int().min(1).optional().describe("enable data-plane autoscaling up to this many replicas"),
    serviceType: z.enum(["LoadBalancer", "NodePort"]).default("LoadBalancer"),
    tls: z.enum(["generated-ca", "acme"]).default("generated-ca").describe("server certificates: generated CA, or cert-manager ACME (Let's Encrypt)"),
    acme: strict({
        email: z.string().email(),
        server: z.string().regex(/^https:\/\/\S+$/).default("https://acme-v02.api.letsencrypt.org/directory"),
    }).optional(),
    hstsMaxAgeSeconds: positiveInt.default(31536000),
    extraHosts: z.array(z.string()).default([]).describe("additional public host labels (e.g. \"dev\" in dev)"),
    chart: chartSource({ repository: "oci://ghcr.io/nginx/charts", chart: "nginx-gateway-fabric", version: "2.6.7" }),
    gatewayApiCrds: manifestSource("https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml"),
    certManagerChart: chartSource({ repository: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.19.1" }),
    resources: resources.optional(),
}).default({});

const mesh = strict({
    enabled: z.boolean().default(true),
    chart: chartSource({ repository: "https://istio-release.storage.googleapis.com/charts", chart: "istiod", version: "1.28.0" })
        .describe("Istio charts source: repository and version shared by base, istiod and cni (chart name is ignored)"),
    proxyRequestsCpu: cpu.default("50m"), proxyRequestsMemory: memory.default("64Mi"),
    proxyLimitsCpu: cpu.default("500m"), proxyLimitsMemory: memory.default("256Mi"),
    istiodReplicas: z.number().int().min(1).default(1),
}).default({});

const monitoring = strict({
    enabled: z.boolean().default(true),
    chart: chartSource({ repository: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "80.0.0" }),
    retention: z.string().regex(/^\d+[hdwy]$/, "must be a Prometheus duration like \"15d\"").default("15d"),
    storageSize: quantity.default("20Gi"),
    storageClass: dnsName.optional(),
    prometheusReplicas: z.number().int().min(1).default(1),
    alertmanagerReplicas: z.number().int().min(1).default(1),
    resources: resources.optional().describe("Prometheus container"),
    grafanaHost: z.string().default("monitoring").describe("Grafana host label under the domain"),
    alertWebhookUrl: z.string().regex(/^https?:\/\/\S+$/).optional().describe("Alertmanager webhook receiver (secret config value)"),
    slackWebhookUrl: z.string().regex(/^https:\/\/\S+$/).optional().describe("Slack incoming-webhook URL (secret config value)"),
    slackChannel: z.string().optional(),
    thresholds: strict({
        cpuLimitPercent: percent.default(80),
        memoryLimitPercent: percent.default(90),
        errorRatePercent: z.number().min(0.01).max(100).default(5),
        pvcFullPercent: percent.default(85),
        postgresReplicationLagSeconds: positiveInt.default(30),
        postgresConnectionsPercent: percent.default(80),
        redisMemoryPercent: percent.default(90),
    }).default({}),
}).default({});

const backups = strict({
    enabled: z.boolean().default(true),
    postgresSchedule: z.string().default("0 2 * * *").describe("logical backup (pg_dump) schedule"),
    redisSchedule: z.string().default("30 2 * * *"),
    verifySchedule: z.string().default("0 4 * * 0").describe("weekly restore verification"),
    retentionDaily: z.number().int().min(1).default(7),
    retentionWeekly: z.number().int().min(0).default(4),
    retentionMonthly: z.number().int().min(0).default(12),
    storageSize: quantity.default("20Gi").describe("backup PersistentVolumeClaim size"),
    storageClass: dnsName.optional(),
    incrementalSchedule: z.string().default("0 0 */6 * * *").describe("CloudNativePG ScheduledBackup cadence when object storage is configured (six-field cron)"),
}).default({});

export const stackConfigSchema = strict({
    environment: z.enum(ENVIRONMENTS).describe("dev, staging or prod; selects the environment defaults"),
    domain: dnsName.describe("public DNS domain; hosts are app.<domain>, api.<domain>, ..."),
    storageClass: dnsName.optional().describe("default StorageClass for persistent volumes (e.g. \"standard\", \"fast-ssd\")"),
    kubernetes,
    namespaces,
    quota,
    limitRange,
    secrets,
    services: z.record(z.string(), service).default({}).describe("application services by name (DNS-1123 labels)"),
    postgres,
    redis,
    edge,
    mesh,
    monitoring,
    backups,
});

export type StackConfig = z.infer<typeof stackConfigSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------------------------

function crossFieldProblems(cfg: StackConfig): { path: (string | number)[]; message: string }[] {
    const problems: { path: (string | number)[]; message: string }[] = [];
    const serviceNames = Object.keys(cfg.services);
    const seenRoutes = new Map<string, string>();
    const ownDatabases = new Map<string, string>();

    for (const [name, svc] of Object.entries(cfg.services)) {
        const at = (...path: (string | number)[]) => ["services", name, ...path];
        if (!DNS_LABEL.test(name)) problems.push({ path: at(), message: `service name "${name}" must be a DNS-1123 label (lower-case letters, digits and '-', starting with a letter)` });

        const portNames = svc.ports.map((p) => p.name);
        const portNumbers = svc.ports.map((p) => p.containerPort);
        svc.ports.forEach((p, i) => {
            if (portNames.indexOf(p.name) !== i) problems.push({ path: at("ports", i, "name"), message: `duplicate port name "${p.name}"` });
            if (portNumbers.indexOf(p.containerPort) !== i) problems.push({ path: at("ports", i, "containerPort"), message: `duplicate container port ${p.containerPort}` });
        });
        const exposes = (port: string | number | undefined) => port === undefined
            ? svc.ports.length > 0
            : typeof port === "number" ? portNumbers.includes(port) : portNames.includes(port);

        for (const kind of ["liveness", "readiness", "startup"] as const) {
            const probe = svc.probes[kind];
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
        }
        // Compared after the environment defaults fill the gaps: a request alone can exceed the default limit.
        const resolved = resolveResources(svc.resources, environmentDefaults(cfg.environment).serviceResources);
        for (const key of ["cpu", "memory", "ephemeralStorage"] as const) {
            const request = resolved.requests[key];
            const limit = resolved.limits[key];
            if (parseQuantity(request) > parseQuantity(limit)) {
                const origin = svc.resources?.limits?.[key] === undefined ? " (the environment default)" : "";
                problems.push({ path: at("resources", "requests", key), message: `request "${request}" exceeds limit "${limit}"${origin}` });
            }
        }
        svc.calls.forEach((callee, i) => {
            if (!serviceNames.includes(callee)) problems.push({ path: at("calls", i), message: `"${callee}" is not a configured service (allowed: ${serviceNames.join(", ")})` });
            else if (callee === name) problems.push({ path: at("calls", i), message: "a service cannot declare a call to itself" });
            else if (cfg.services[callee].ports.length === 0) problems.push({ path: at("calls", i), message: `"${callee}" exposes no ports, so it cannot be called` });
        });
        if (svc.database !== undefined) {
            if (!cfg.postgres.enabled) problems.push({ path: at("database"), message: "postgres.enabled is false, so no database can be used" });
            if (svc.database !== cfg.postgres.appDatabase) {
                const owner = ownDatabases.get(svc.database);
                if (owner) problems.push({ path: at("database"), message: `database "${svc.database}" is already owned by service "${owner}" (each service owns its database; share postgres.appDatabase instead)` });
                ownDatabases.set(svc.database, name);
            }
        }
        if (svc.redis && !cfg.redis.enabled) problems.push({ path: at("redis"), message: "redis.enabled is false, so the service cannot use Redis" });
        if (svc.replicas !== undefined && (as.enabled ?? cfg.environment !== "dev")) {
            problems.push({ path: at("replicas"), message: "replicas is set but autoscaling owns the replica count (set autoscaling.enabled: false, or use autoscaling.minReplicas)" });
        }
        svc.routes.forEach((r, i) => {
            const host = publicHost(r.host, cfg.domain);
            if (host === undefined) {
                problems.push({ path: at("routes", i, "host"), message: `"${r.host}" is outside the stack domain "${cfg.domain}" (allowed: a label such as "api", or a name ending in ".${cfg.domain}")` });
                return;
            }
            if (!exposes(r.port)) problems.push({ path: at("routes", i, "port"), message: `route port ${JSON.stringify(r.port ?? "(first port)")} is not a port of this service (allowed: ${portNames.join(", ") || "none"})` });
            const key = `${host}${r.pathPrefix}`;
            const other = seenRoutes.get(key);
            if (other) problems.push({ path: at("routes", i), message: `host/path "${key}" is already routed to ${other}` });
            seenRoutes.set(key, `service "${name}"`);
        });
        if (svc.migration && svc.database === undefined) problems.push({ path: at("migration"), message: "a migration Job needs the service to declare a database" });
    }

    const grafanaHost = publicHost(cfg.monitoring.grafanaHost, cfg.domain);
    if (cfg.monitoring.enabled && cfg.edge.enabled) {
        if (grafanaHost === undefined) problems.push({ path: ["monitoring", "grafanaHost"], message: `"${cfg.monitoring.grafanaHost}" is outside the stack domain "${cfg.domain}"` });
        else if ([...seenRoutes.keys()].some((k) => k.startsWith(`${grafanaHost}/`))) {
            problems.push({ path: ["monitoring", "grafanaHost"], message: `host "${grafanaHost}" is already used by a service route` });
        }
    }
    cfg.edge.extraHosts.forEach((h, i) => {
        if (publicHost(h, cfg.domain) === undefined) problems.push({ path: ["edge", "extraHosts", i], message: `"${h}" is outside the stack domain "${cfg.domain}"` });
    });
    if (cfg.edge.tls === "acme" && !cfg.edge.acme) problems.push({ path: ["edge", "acme"], message: "edge.tls is \"acme\" but edge.acme (email) is not set" });
    if (cfg.edge.dataPlaneMaxReplicas !== undefined && cfg.edge.dataPlaneMaxReplicas < cfg.edge.dataPlaneReplicas) {
        problems.push({ path: ["edge", "dataPlaneMaxReplicas"], message: `must be >= edge.dataPlaneReplicas (${cfg.edge.dataPlaneReplicas})` });
    }
    if (cfg.redis.mode === "sentinel" && cfg.redis.replicas < 2) problems.push({ path: ["redis", "replicas"], message: "sentinel mode needs at least 2 data nodes (1 primary + 1 replica)" });

    const credentialIds = new Set<string>([...APP_CREDENTIALS, ...PLATFORM_CREDENTIALS, ...databaseRoles(cfg).map((r) => `db-${r}`)]);
    for (const id of Object.keys(cfg.secrets.rotation)) {
        if (!credentialIds.has(id)) problems.push({ path: ["secrets", "rotation", id], message: `"${id}" is not a generated credential (allowed: ${[...credentialIds].join(", ")})` });
    }
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

function describeIssue(issue: z.ZodIssue, raw: unknown): string {
    const value = valueAt(raw, issue.path);
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

/** Validates a raw config object (top-level keys without the namespace). Throws ConfigError listing every problem. */
export function parseConfig(raw: Record<string, unknown>): StackConfig {
    const result = stackConfigSchema.safeParse(raw);
    if (!result.success) {
        throw new ConfigError(result.error.issues.map((i) => describeIssue(i, raw)));
    }
    const problems = crossFieldProblems(result.data);
    if (problems.length > 0) {
        throw new ConfigError(problems.map((p) => `${formatKey(p.path)}: ${p.message}`));
    }
    return result.data;
}

/** Reads every `stackwright:*` key of the current stack (structured values arrive as JSON text). */
export function readRawConfig(): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":", 2);
        if (namespace !== CONFIG_NAMESPACE || key === undefined) continue;
        raw[key] = /^\s*[[{]/.test(text) ? JSON.parse(text) : text;
    }
    return raw;
}

/** Loads and validates the stack configuration. Called once at start-up, before any resource is registered. */
export function loadConfig(): StackConfig {
    return parseConfig(readRawConfig());
}
