/**
 * The stack configuration schema (zod) and the types inferred from it: the leaf of the config layer. Each top-level
 * key is one Pulumi config key in the `stackwright` namespace (`stackwright:services`, ...). Field descriptions
 * (`.describe`) feed the generated config reference (docs/config-reference.md). Rules that relate several fields
 * live in rules.ts; reading and error reporting in load.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { isQuantity, parseQuantity } from "../lib/quantity";
import { APP_CREDENTIALS } from "./credentials";

export const CONFIG_NAMESPACE = "stackwright";

// ---------------------------------------------------------------------------------------------------------------
// Primitive types
// ---------------------------------------------------------------------------------------------------------------

export const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
// At most 253 characters in all and 63 per label (RFC 1123; the API server checks both).
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** IANA service name (RFC 6335), as Kubernetes checks port names: 1-15 characters, a letter, no "--". */
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An HTTP path: starts with "/", no whitespace or control characters (they would reach probes, routes, Envoy). */
const HTTP_PATH = /^\/[^\s\p{Cc}]*$/u;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** registry/repo[:tag][@sha256:digest]; the tag or digest is checked separately. */
const IMAGE_REF =
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

const dnsLabel = z
    .string()
    .regex(
        DNS_LABEL,
        "must be a DNS-1123 label (lower-case letters, digits and '-', starting with a letter, at most 63 characters)",
    );
const dnsName = z
    .string()
    .regex(DNS_SUBDOMAIN, "must be a DNS name (lower-case letters, digits, '-' and '.', e.g. \"example.com\")");
/** Database names PostgreSQL or CloudNativePG already own: creating them (or a role of the same name) fails. */
export const RESERVED_DATABASE_NAMES = ["postgres", "template0", "template1"] as const;

/**
 * A PostgreSQL database (and owner role) name: lower-case letters, digits, '_' and '-', as unquoted identifiers
 * are spelled plus the '-' earlier versions allowed. Kubernetes names derived from it turn '_' into '-'
 * (lib/postgres/roles.ts databaseKubeName), so it starts with a letter and ends with a letter or digit.
 */
export const DATABASE_NAME = /^[a-z]([a-z0-9_-]{0,61}[a-z0-9])?$/;

const databaseName = z
    .string()
    .regex(
        DATABASE_NAME,
        "must be a PostgreSQL database name: lower-case letters, digits, '_' and '-', starting with a letter, ending with a letter or digit, at most 63 characters",
    )
    .refine(
        (v) => !(RESERVED_DATABASE_NAMES as readonly string[]).includes(v),
        `is a database PostgreSQL or CloudNativePG already owns (not allowed: ${RESERVED_DATABASE_NAMES.join(", ")})`,
    );
const portName = z
    .string()
    .regex(
        PORT_NAME,
        "must be an IANA service name (lower-case letters, digits and '-', at most 15 characters, at least one letter, no \"--\")",
    );
const httpPath = z
    .string()
    .regex(
        HTTP_PATH,
        "must be an HTTP path starting with '/' without spaces or control characters (e.g. \"/healthz\")",
    );
const quantity = z
    .string()
    .refine(isQuantity, { message: 'is not a Kubernetes quantity (e.g. "500m", "2", "512Mi")' })
    .refine((v) => !v.startsWith("-"), { message: "must not be negative (Kubernetes rejects negative quantities)" });
/** Bytes: "128m" is a valid quantity but means 0.128 bytes, always a slip for "128Mi". */
const bytes = quantity.refine((v) => !/^\+?[\d.]+m$/.test(v), {
    message: 'is in milli-units ("128m" is 0.128 bytes): use Mi or Gi, e.g. "128Mi"',
});
/** CPU as Kubernetes takes it: a quantity ("500m") or a plain number of cores (0.5), kept as a quantity string. */
const cpu = z
    .union([
        quantity,
        z
            .number()
            .nonnegative()
            .transform((n) => String(n)),
    ])
    .describe('CPU quantity or cores, e.g. "500m" or 0.5');
// A plain number is bytes, as in Kubernetes; a fraction of a byte is the same mistake as "128m".
const memory = z
    .union([
        bytes,
        z
            .number()
            .int('must be a whole number of bytes (or a quantity such as "512Mi")')
            .nonnegative()
            .transform((n) => String(n)),
    ])
    .describe('memory quantity or bytes, e.g. "512Mi" or 536870912');
const positiveInt = z.number().int().positive();
const percent = z.number().int().min(1).max(100);
/** Highest volume-use warning: the critical PVC alert is fixed at 95 % and must stay above the warning. */
export const PVC_WARNING_MAX_PERCENT = 94;
const absolutePath = z
    .string()
    .regex(/^\/[^\s\p{Cc}]*$/u, 'must be an absolute path without spaces or control characters, e.g. "/var/cache"');

/** A container image pinned by tag or digest; "latest" and untagged references are rejected. */
export function imageProblem(image: string): string | undefined {
    if (!IMAGE_REF.test(image)) return 'is not a valid image reference (e.g. "ghcr.io/org/app:1.2.3")';
    const lastSegment = image.split("/").pop() ?? image;
    const hasDigest = image.includes("@sha256:");
    const tag = lastSegment.split("@")[0].split(":")[1];
    if (!hasDigest && tag === undefined) return 'has no tag: pin a version tag or digest (e.g. "nginx:1.27.3")';
    if (!hasDigest && tag === "latest") return 'uses the "latest" tag: pin a version tag or digest';
    return undefined;
}
const image = z
    .string()
    .superRefine((value, ctx) => {
        const problem = imageProblem(value);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    })
    .describe("container image pinned by tag or digest");

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

/** Namespaces a stack must never take over (Kubernetes' own). */
export const RESERVED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

function strict<T extends z.ZodRawShape>(shape: T) {
    return z.object(shape).strict();
}

const chartSource = (defaults: { repository: string; chart: string; version: string }) =>
    strict({
        repository: z
            .string()
            .regex(/^(https?|oci):\/\/\S+$/, "must be an https:// or oci:// URL")
            .default(defaults.repository)
            .describe("Helm repository URL or OCI registry reference (mirrors, air-gapped clusters)"),
        chart: z
            .string()
            .regex(
                /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/,
                "must be a Helm chart name (lower-case letters, digits, '-', '_' and '.')",
            )
            .default(defaults.chart)
            .describe("chart name"),
        version: z
            .string()
            .regex(/^v?\d+\.\d+\.\d+([-+][\w.]+)?$/, 'must be an exact version (e.g. "1.2.3")')
            .default(defaults.version)
            .describe("exact chart version (pinned)"),
        path: z
            .string()
            .min(1)
            .optional()
            .describe("local chart directory or .tgz; overrides repository/chart when set"),
    }).default({});

const manifestSource = (defaultUrl: string) =>
    strict({
        url: z
            .string()
            .regex(/^https?:\/\/\S+$/, "must be an http(s) URL")
            .default(defaultUrl)
            .describe("URL of the manifest bundle (pinned version)"),
        path: z.string().min(1).optional().describe("local file; overrides url when set"),
    }).default({});

const resourceList = (required: boolean) => {
    const shape = {
        cpu,
        memory,
        ephemeralStorage: bytes.optional().describe('ephemeral storage quantity, e.g. "1Gi"'),
    };
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
export type Environment = (typeof ENVIRONMENTS)[number];

const kubernetes = strict({
    context: z
        .string()
        .min(1)
        .optional()
        .describe("kubeconfig context to deploy to; unset uses the kubeconfig's current context"),
    kubeconfig: z
        .string()
        .min(1)
        .optional()
        .describe("path to a kubeconfig file; unset uses $KUBECONFIG / ~/.kube/config"),
    renderYamlToDirectory: z
        .string()
        .min(1)
        .optional()
        .describe(
            "write manifests to this directory instead of applying them (GitOps); Secrets are written in plain text there. No cluster is contacted: context and kubeconfig are not used, charts are rendered against kubeVersion",
        ),
    kubeVersion: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, 'must be a Kubernetes version <major>.<minor>.<patch> (e.g. "1.34.2")')
        .refine((v) => {
            const [major, minor] = v.split(".").map(Number);
            return major > 1 || (major === 1 && minor >= 32);
        }, "must be at least 1.32.0 (the pinned charts' kubeVersion constraints)")
        .default("1.37.2")
        .describe(
            "Kubernetes version of the target cluster; render mode renders the charts against it (there is no cluster to ask)",
        ),
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
    metricsServer: dnsLabel.default("metrics-server").describe("metrics-server (when metricsServer.enabled)"),
    tracing: dnsLabel.default("tracing").describe("OpenTelemetry Collector and Tempo (when tracing.enabled)"),
    logging: dnsLabel.default("logging").describe("Loki and Grafana Alloy (when logging.enabled)"),
}).default({});

const quota = strict({
    requestsCpu: cpu.optional(),
    requestsMemory: memory.optional(),
    limitsCpu: cpu.optional(),
    limitsMemory: memory.optional(),
    pods: positiveInt.optional().describe("maximum pods in the namespace"),
    persistentVolumeClaims: positiveInt.optional().describe("maximum PersistentVolumeClaims in the namespace"),
})
    .default({})
    .describe(
        "ResourceQuota of the apps and data namespaces; unset values take the environment defaults; must admit every service at its autoscaler maximum plus a rollout surge, migration Jobs and sidecars, and the data stores with their backup jobs and volume claims (checked)",
    );

const limitRange = strict({
    defaultRequestCpu: cpu.optional(),
    defaultRequestMemory: memory.optional(),
    defaultLimitCpu: cpu.optional(),
    defaultLimitMemory: memory.optional(),
    maxCpu: cpu.optional(),
    maxMemory: memory.optional(),
})
    .default({})
    .describe(
        "LimitRange of the apps and data namespaces; unset values take the environment defaults; defaults within the maximum, and every container of the stack within it (checked)",
    );

const secrets = strict({
    rotation: z
        .record(z.string(), z.number().int().min(0))
        .default({})
        .describe(
            "credential id -> rotation counter; bump a counter to regenerate that credential only (ids: jwtSecret, apiKey, encryptionKey, redisPassword, grafanaAdminPassword, postgresSuperuserPassword, db-<role>)",
        ),
    passwordLength: z.number().int().min(24).max(128).default(32).describe("length of generated passwords"),
    caValidityHours: positiveInt.default(87600).describe("validity of the generated CA (10 years)"),
    certificateValidityHours: positiveInt.default(2160).describe("validity of generated server certificates (90 days)"),
    certificateEarlyRenewalHours: positiveInt
        .default(720)
        .describe("renew server certificates this long before expiry (30 days)"),
}).default({});

const httpProbe = strict({
    type: z.enum(["http", "tcp", "exec"]).default("http").describe("probe handler"),
    path: httpPath.optional().describe("HTTP path (http probes)"),
    port: z
        .union([portName, z.number().int().min(1).max(65535)])
        .optional()
        .describe("port name or number; default: the first port"),
    command: z.array(z.string()).min(1).optional().describe("command (exec probes)"),
    initialDelaySeconds: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe("seconds before the first probe (liveness default 30, readiness 5, startup 0)"),
    periodSeconds: positiveInt.optional().describe("seconds between probes (liveness 10, readiness 5, startup 10)"),
    timeoutSeconds: positiveInt.optional().describe("probe timeout in seconds (liveness 5, readiness 3, startup 5)"),
    failureThreshold: positiveInt
        .optional()
        .describe("failures before acting (liveness 3, readiness 2, startup 30: 30 x 10 s = 300 s to start)"),
});
export type ProbeConfig = z.infer<typeof httpProbe>;

const route = strict({
    host: z.string().min(1).describe('host label under the stack domain ("api") or a full host name inside it'),
    pathPrefix: httpPath.default("/").describe("path prefix routed to the service"),
    port: portName.optional().describe("service port name; default: the first port"),
    timeoutSeconds: positiveInt.default(30).describe("request timeout at the edge"),
    websocket: z.boolean().default(false).describe("long-lived upgraded connections (websocket): no request timeout"),
    rateLimitRequestsPerSecond: positiveInt
        .optional()
        .describe("per-client rate limit at the edge (requests/s), e.g. 100"),
    rateLimitBurst: positiveInt.optional().describe("burst allowed above the rate limit"),
    clientMaxBodySize: z
        .string()
        .regex(/^\d+[kKmMgG]?$/, 'must be an NGINX size such as "50m"')
        .default("50m")
        .describe("request body limit"),
});
export type RouteConfig = z.infer<typeof route>;

/** A path of a mounted file: segments of letters, digits, '.', '_' and '-' (its ConfigMap key derives from it). */
const FILE_PATH = /^(\/[-._a-zA-Z0-9]+)+$/;
/** A repository file: relative to the project directory, inside it. */
const REPOSITORY_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\s\p{Cc}]+$/u;

/**
 * A file mounted read-only into a service's containers. `source` is read here, from the project directory (where
 * `pulumi` runs the program), so everything downstream sees the text only and a missing file is a config error.
 */
const mountedFile = strict({
    path: z
        .string()
        .regex(FILE_PATH, "must be an absolute file path of letters, digits, '.', '_', '-' and '/'")
        .describe("where the file appears in the container, read-only, e.g. /etc/app/config.yaml"),
    content: z.string().optional().describe("the file's text (exactly one of content and source)"),
    source: z
        .string()
        .regex(REPOSITORY_PATH, "must be a path relative to the project directory, inside it")
        .optional()
        .describe("a file in the repository, relative to the project directory, e.g. config/app.yaml"),
}).transform((file, ctx) => {
    if ((file.content === undefined) === (file.source === undefined)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: "needs exactly one of content and source" });
        return z.NEVER;
    }
    if (file.content !== undefined) return { path: file.path, content: file.content };
    const where = path.resolve(file.source!);
    if (!fs.existsSync(where) || !fs.statSync(where).isFile()) {
        ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ["source"],
            message: `is not a file in the project directory (${process.cwd()})`,
        });
        return z.NEVER;
    }
    return { path: file.path, content: fs.readFileSync(where, "utf8") };
});
export type MountedFile = z.infer<typeof mountedFile>;

export const service = strict({
    image,
    component: dnsLabel.default("service").describe("app.kubernetes.io/component, e.g. frontend, api, worker"),
    replicas: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe("fixed replica count when autoscaling is off; default per environment (dev 1, staging 2, prod 3)"),
    autoscaling: strict({
        enabled: z.boolean().optional().describe("default: off in dev, on in staging and prod"),
        minReplicas: z.number().int().min(1).optional().describe("default per environment (dev 1, staging 2, prod 3)"),
        maxReplicas: z
            .number()
            .int()
            .min(1)
            .optional()
            .describe("default per environment (dev 2, staging 10, prod 20)"),
        cpuUtilizationPercent: percent
            .optional()
            .describe(
                "target average CPU utilisation of requests; default 70 when no metric is set (the HPA scales on the metrics set, any combination)",
            ),
        memoryUtilizationPercent: percent
            .optional()
            .describe("target average memory utilisation of requests, e.g. 80; not scaled on unless set"),
        requestsPerSecond: positiveInt
            .optional()
            .describe(
                "target requests per second per pod (a custom Pods metric served by the Prometheus Adapter, which the stack then installs): the rate of metrics.requestsTotalMetric, or with the mesh on of Istio's request counter; needs monitoring",
            ),
        scaleDownStabilizationSeconds: z
            .number()
            .int()
            .min(0)
            .max(3600)
            .default(300)
            .describe("scale down only after this long below target (scale-up is immediate)"),
    }).default({}),
    ports: z
        .array(
            strict({
                name: portName.describe("port name (IANA service name), also the Service port name"),
                containerPort: z.number().int().min(1).max(65535).describe("port the container listens on"),
                servicePort: z
                    .number()
                    .int()
                    .min(1)
                    .max(65535)
                    .optional()
                    .describe(
                        "port callers and routes use on the Service (e.g. 80 in front of containerPort 8080); default: containerPort",
                    ),
                protocol: z.enum(["TCP", "UDP"]).default("TCP"),
            }),
        )
        .default([])
        .describe(
            "container ports; each becomes a named Service port (probes, metrics and routes name them; NetworkPolicies and mesh rules use the container port)",
        ),
    command: z.array(z.string()).optional().describe("container command (entrypoint override)"),
    args: z.array(z.string()).optional().describe("container arguments"),
    env: z
        .record(z.string().regex(ENV_NAME, "must be an environment variable name"), z.string())
        .default({})
        .describe("plain settings; delivered through the service's ConfigMap (a change rolls the pods)"),
    secretEnv: z
        .record(z.string().regex(ENV_NAME, "must be an environment variable name"), z.enum(APP_CREDENTIALS))
        .default({})
        .describe("env var -> generated credential (jwtSecret, apiKey, encryptionKey), injected by Secret reference"),
    secretValues: z
        .record(
            z.string().regex(ENV_NAME, "must be an environment variable name"),
            z.string().min(1, "must not be empty"),
        )
        .default({})
        .describe(
            "env var -> a value you supply as a config secret (third-party API keys, tokens): `pulumi config set --secret --path 'stackwright:services.<name>.secretValues.<ENV>' <value>`; delivered from this service's own Kubernetes Secret, and a change rolls only this service's pods",
        ),
    resources: resources.optional(),
    probes: strict({ liveness: httpProbe.optional(), readiness: httpProbe.optional(), startup: httpProbe.optional() })
        .default({})
        .describe(
            "probe overrides; defaults: liveness /health (30s/10s/5s/3), readiness /ready (5s/5s/3s/2), startup on the liveness check",
        ),
    files: z
        .array(mountedFile)
        .default([])
        .describe(
            "config files mounted read-only from the service's own ConfigMap; a change of any rolls the pods (checksum on the pod template)",
        ),
    writablePaths: z
        .array(absolutePath)
        .default([])
        .describe("paths mounted as emptyDir (the root filesystem is read-only; /tmp is always writable)"),
    runAsUser: z.number().int().min(1).default(65532).describe("non-zero uid the container runs as"),
    runAsGroup: z.number().int().min(1).optional().describe("default: runAsUser"),
    fsGroup: z.number().int().min(1).optional().describe("default: runAsGroup"),
    kubernetesApiAccess: z
        .boolean()
        .default(false)
        .describe("mount the ServiceAccount token (only for services calling the Kubernetes API)"),
    metrics: strict({
        port: portName.describe("name of the port serving metrics"),
        path: httpPath.default("/metrics").describe("metrics path"),
        intervalSeconds: positiveInt.default(30).describe("scrape interval"),
        requestsTotalMetric: z
            .string()
            .regex(
                /^[a-zA-Z_:][a-zA-Z0-9_:]*_total$/,
                'must be a Prometheus counter name ending in "_total", e.g. "http_requests_total"',
            )
            .optional()
            .describe(
                "the counter of requests the service exposes here; autoscaling.requestsPerSecond scales on its per-pod rate (default with the mesh on: Istio's istio_requests_total)",
            ),
    })
        .optional()
        .describe("Prometheus scrape endpoint (ServiceMonitor)"),
    calls: z
        .array(dnsLabel)
        .default([])
        .describe("services this service calls (NetworkPolicy egress/ingress and mesh authorization)"),
    database: databaseName
        .optional()
        .describe(
            "PostgreSQL database the service uses: postgres.appDatabase, or its own database (created with its own owner)",
        ),
    databaseReadReplicas: z
        .boolean()
        .default(false)
        .describe(
            "also receive DATABASE_RO_URL and PGHOST_RO: the CloudNativePG read-only Service (`-ro`, replicas only; with a single instance, `-r`, which then is the primary), for reads that tolerate replication lag",
        ),
    redis: z.boolean().default(false).describe("service connects to Redis"),
    routes: z.array(route).default([]).describe("public HTTP routes at the edge"),
    priorityClassName: dnsLabel.optional().describe("PriorityClass of the pods (must exist in the cluster)"),
    latencyTargetMilliseconds: positiveInt.default(200).describe("p95 latency target (alerting)"),
    migration: strict({
        command: z.array(z.string()).min(1).describe("migration command, run with the service image, env and secrets"),
        args: z.array(z.string()).optional().describe("migration arguments"),
        backoffLimit: z
            .number()
            .int()
            .min(0)
            .default(2)
            .describe("retries before the migration (and the rollout) fails"),
        activeDeadlineSeconds: positiveInt.default(600).describe("migration time limit"),
        ttlSecondsAfterFinished: positiveInt
            .default(3600)
            .describe("delete the finished Job after this long (migrations must be idempotent)"),
    })
        .optional()
        .describe("database migration Job run with the new image before the Deployment rolls"),
    mesh: strict({
        timeoutSeconds: positiveInt
            .default(15)
            .describe(
                "in-mesh request timeout, retries included (VirtualService); with retries, at least retryPerTryTimeoutSeconds x (retryAttempts + 1)",
            ),
        retryAttempts: z
            .number()
            .int()
            .min(0)
            .max(10)
            .default(2)
            .describe("retries after the first try (0: no retries); the defaults, 3 tries x 5 s, fit the 15 s timeout"),
        retryPerTryTimeoutSeconds: positiveInt.default(5).describe("timeout of each try"),
        retryOn: z
            .string()
            .regex(
                /^[a-z0-9-]+(,[a-z0-9-]+)*$/,
                'must be a comma-separated list of Envoy retry conditions, e.g. "5xx,reset"',
            )
            .default("5xx,reset,connect-failure,refused-stream")
            .describe("Envoy retry conditions"),
        retryPathPrefix: httpPath
            .optional()
            .describe("retries only for this path prefix (e.g. /api/v1/); default all paths"),
        maxConnections: positiveInt
            .default(100)
            .describe("connection pool: TCP connections per caller proxy (DestinationRule)"),
        http1MaxPendingRequests: positiveInt.default(100).describe("connection pool: queued HTTP requests"),
        http2MaxRequests: positiveInt.default(1000).describe("connection pool: concurrent HTTP/2 requests"),
        consecutive5xxErrors: positiveInt
            .default(5)
            .describe("outlier detection: 5xx responses in a row that eject an endpoint"),
        outlierIntervalSeconds: positiveInt.default(10).describe("outlier detection: analysis interval"),
        baseEjectionSeconds: positiveInt.default(30).describe("outlier detection: minimum ejection time"),
        maxEjectionPercent: percent.default(50).describe("outlier detection: most endpoints ejected at once"),
        permissiveReason: z
            .string()
            .min(10)
            .optional()
            .describe("allow plaintext to this service (PERMISSIVE mTLS); must say why"),
    })
        .default({})
        .describe("in-mesh traffic policy (used when mesh.enabled)"),
});
export type ServiceConfig = z.infer<typeof service>;

const postgres = strict({
    enabled: z.boolean().default(true).describe("PostgreSQL (CloudNativePG operator and Cluster)"),
    external: strict({
        host: dnsName.describe("the server's host name, e.g. the managed service's endpoint"),
        port: z.number().int().min(1).max(65535).default(5432),
        readOnlyHost: dnsName
            .optional()
            .describe("a read replica's endpoint, for services with databaseReadReplicas (default: host)"),
        sslMode: z
            .enum(["require", "verify-full", "disable"])
            .default("require")
            .describe(
                "libpq sslmode of every connection (verify-full: the client must trust the server's CA, e.g. libpq 16+ with sslrootcert=system)",
            ),
        egressCidrs: z
            .array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR, e.g. "10.0.0.0/16"'))
            .min(1)
            .default(["0.0.0.0/0"])
            .describe(
                "where the server's addresses are: services' NetworkPolicies allow the port only to these (a host name cannot be selected); narrow it to the VPC or subnet",
            ),
        databases: z
            .record(
                z.string(),
                strict({
                    username: z.string().min(1).optional().describe("default: the database name"),
                    password: z.string().min(1, "must not be empty").describe("as a config secret"),
                }),
            )
            .describe(
                "credentials per database the services use (postgres.appDatabase and each services.<name>.database): `pulumi config set --secret --path 'stackwright:postgres.external.databases.app.password' <password>`",
            ),
    })
        .optional()
        .describe(
            "use an existing PostgreSQL (a managed service) instead of the in-cluster CloudNativePG cluster: services get the same env vars; the stack neither runs, backs up nor alerts on it",
        ),
    instances: z
        .number()
        .int()
        .min(1)
        .max(9)
        .optional()
        .describe("PostgreSQL instances (1 primary + replicas); default per environment: dev 1, staging 2, prod 3"),
    imageName: image
        .default("ghcr.io/cloudnative-pg/postgresql:18.4-standard-trixie")
        .describe(
            'CloudNativePG operand image ("standard": no in-image Barman, the Barman Cloud plugin brings its own); also used by backup jobs (matching client version)',
        ),
    storageSize: bytes.default("10Gi").describe("data volume per instance"),
    walStorageSize: bytes.optional().describe("separate WAL volume"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    resources: resources
        .optional()
        .describe("PostgreSQL container; defaults per environment (prod: 500m/1Gi requests, 2000m/4Gi limits)"),
    appDatabase: databaseName.default("app").describe("bootstrap database (owner of the same name)"),
    maxConnections: positiveInt.default(200).describe("max_connections of the server"),
    zoneAntiAffinity: z.boolean().optional().describe("spread instances across zones (default: prod)"),
    pooler: strict({
        enabled: z
            .boolean()
            .default(false)
            .describe("PgBouncer Pooler in front of the primary; services then connect through it"),
        instances: positiveInt.default(2).describe("PgBouncer pods"),
        poolMode: z.enum(["session", "transaction"]).default("transaction"),
        maxClientConnections: positiveInt.default(1000).describe("PgBouncer max_client_conn"),
        defaultPoolSize: positiveInt.default(25).describe("PgBouncer default_pool_size (below maxConnections)"),
        resources: resources.optional().describe("PgBouncer container; default 50m/64Mi requests, 500m/256Mi limits"),
    }).default({}),
    objectStore: strict({
        destinationPath: z
            .string()
            .regex(/^s3:\/\/\S+$/, "must be an s3:// URL")
            .describe("bucket and prefix, e.g. s3://backups/stackwright-prod"),
        endpointUrl: z
            .string()
            .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL, e.g. "http://minio.storage.svc:9000"')
            .optional()
            .describe("S3-compatible endpoint (MinIO, Ceph, ...); unset for AWS S3"),
        accessKeyId: z.string().min(1).describe("secret config value"),
        secretAccessKey: z.string().min(1).describe("secret config value"),
        region: z
            .string()
            .regex(/^[a-z0-9-]+$/, 'must be a region name such as "us-east-1"')
            .optional()
            .describe("bucket region"),
        retentionPolicy: z
            .string()
            .regex(/^[1-9]\d*[dwm]$/, 'must be a positive Barman retention like "30d", "4w" or "6m"')
            .default("30d")
            .describe("how long base backups and WAL are kept in the bucket"),
        fullBackupSchedule: z
            .string()
            .default("0 0 2 * * *")
            .describe("ScheduledBackup schedule: six-field cron, seconds first (CloudNativePG's dialect)"),
        archiveTimeoutSeconds: z
            .number()
            .int()
            .min(60)
            .max(900)
            .default(300)
            .describe(
                "force a WAL segment switch (and so an archive) at least this often: bounds data loss to it (RPO)",
            ),
    })
        .optional()
        .describe(
            "S3-compatible object storage for WAL archiving, base backups and point-in-time recovery (Barman Cloud plugin)",
        ),
    operatorChart: chartSource({
        repository: "https://cloudnative-pg.github.io/charts",
        chart: "cloudnative-pg",
        version: "0.29.0",
    }).describe("CloudNativePG operator chart (0.29.0 ships operator 1.30.0)"),
    operatorReplicas: z
        .number()
        .int()
        .min(1)
        .max(5)
        .optional()
        .describe("operator replicas (leader election); default: 1 in dev, 2 in staging and prod"),
    barmanCloudPluginChart: chartSource({
        repository: "https://cloudnative-pg.github.io/charts",
        chart: "plugin-barman-cloud",
        version: "0.7.0",
    }).describe(
        "Barman Cloud CNPG-I plugin chart (WAL archiving and base backups; installed only with postgres.objectStore)",
    ),
}).default({});

const redis = strict({
    enabled: z.boolean().default(true).describe("Valkey (Redis protocol)"),
    mode: z
        .enum(["standalone", "sentinel"])
        .default("standalone")
        .describe("standalone (1 node) or replicated with Sentinel failover"),
    image: image
        .default("valkey/valkey:8.1.11-trixie")
        .describe(
            "Valkey image, Debian variant (the start scripts need bash; BSD-3, see README for the license choice)",
        ),
    exporterImage: image.default("oliver006/redis_exporter:v1.90.0"),
    replicas: z.number().int().min(1).max(9).default(3).describe("data nodes in sentinel mode (1 primary + replicas)"),
    sentinels: z
        .number()
        .int()
        .min(3)
        .max(9)
        .default(3)
        .describe("Sentinel pods in sentinel mode (quorum: a majority)"),
    masterName: dnsLabel.default("primary").describe("Sentinel master name given to clients"),
    storageSize: bytes.default("2Gi").describe("data volume per node (AOF + RDB)"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    maxmemory: bytes
        .optional()
        .describe(
            "Valkey maxmemory: whole bytes, at least 1Mi (0 would mean no limit), below the memory limit; default: 75% of the memory limit",
        ),
    maxmemoryPolicy: z
        .enum(["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu"])
        .default("noeviction"),
    resources: resources
        .optional()
        .describe("Valkey container; defaults per environment (prod: 100m/256Mi requests, 500m/1Gi limits)"),
    sentinelResources: resources
        .optional()
        .describe("Sentinel container; default 25m/32Mi requests, 200m/128Mi limits"),
}).default({});

const edge = strict({
    enabled: z
        .boolean()
        .default(true)
        .describe(
            "NGINX Gateway Fabric, the Gateway and its routes; needs a host to serve (a service route, Grafana with monitoring, or edge.extraHosts)",
        ),
    controllerReplicas: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe("NGINX Gateway Fabric control-plane replicas (leader-elected; prod needs at least 2)"),
    controllerMaxReplicas: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe("enable control-plane autoscaling up to this many replicas"),
    dataPlaneReplicas: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe("NGINX data plane replicas (min when autoscaling; prod needs at least 2)"),
    dataPlaneMaxReplicas: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe("enable data-plane autoscaling up to this many replicas"),
    serviceType: z
        .enum(["LoadBalancer", "NodePort"])
        .default("LoadBalancer")
        .describe("Service type of the NGINX data plane"),
    nodePorts: strict({
        http: z.number().int().min(30000).max(32767).describe("NodePort of the HTTP (redirect) listener"),
        https: z.number().int().min(30000).max(32767).describe("NodePort of the HTTPS listeners"),
    })
        .optional()
        .describe("fixed NodePorts (serviceType NodePort), e.g. for kind extraPortMappings; unset: Kubernetes picks"),
    tls: z
        .enum(["generated-ca", "acme", "provided"])
        .default("generated-ca")
        .describe(
            "server certificates: generated CA, cert-manager ACME (Let's Encrypt), or your own (edge.certificates)",
        ),
    certificates: z
        .array(
            strict({
                hosts: z
                    .array(z.string().min(1))
                    .min(1)
                    .describe(
                        'public hosts the certificate serves: full names or one leading wildcard label ("*.example.com")',
                    ),
                secretName: dnsName
                    .optional()
                    .describe(
                        "an existing kubernetes.io/tls Secret in the edge namespace (e.g. kept by External Secrets); the stack references it and creates nothing",
                    ),
                certificatePem: z
                    .string()
                    .optional()
                    .describe("PEM certificate chain, leaf first (with privateKeyPem; instead of secretName)"),
                privateKeyPem: z
                    .string()
                    .optional()
                    .describe(
                        "PEM private key of the leaf, as a config secret: `pulumi config set --secret --path 'stackwright:edge.certificates[0].privateKeyPem' < key.pem`",
                    ),
            }),
        )
        .default([])
        .describe(
            'with tls "provided": the certificates of the public hosts, each an existing Secret or PEM from config secrets; every public host must be covered',
        ),
    acme: strict({
        email: z.string().email().describe("ACME account e-mail (expiry notices)"),
        server: z
            .string()
            .regex(/^https:\/\/\S+$/, "must be an https URL of an ACME directory")
            .default("https://acme-v02.api.letsencrypt.org/directory")
            .describe("ACME directory URL (use the Let's Encrypt staging URL while testing)"),
    }).optional(),
    certManagerIssuer: z
        .enum(["acme", "generated-ca"])
        .default("acme")
        .describe(
            'with tls "acme": the ClusterIssuer that signs the host certificates; "generated-ca" is the fallback while ACME cannot issue (rate limits, hosts not yet public)',
        ),
    hstsMaxAgeSeconds: positiveInt
        .default(31536000)
        .describe("Strict-Transport-Security max-age on every HTTPS response"),
    extraHosts: z.array(z.string()).default([]).describe('additional public host labels (e.g. "dev" in dev)'),
    chart: chartSource({ repository: "oci://ghcr.io/nginx/charts", chart: "nginx-gateway-fabric", version: "2.6.7" }),
    gatewayApiCrds: manifestSource(
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
    ),
    certManagerChart: chartSource({
        repository: "https://charts.jetstack.io",
        chart: "cert-manager",
        version: "v1.21.1",
    }),
    resources: resources
        .optional()
        .describe("NGINX Gateway Fabric control-plane container; unset values take the environment defaults"),
    dataPlaneResources: resources
        .optional()
        .describe("NGINX data-plane container; unset values take the environment defaults"),
}).default({});

const mesh = strict({
    enabled: z
        .boolean()
        .default(true)
        .describe("Istio sidecar mesh with strict mutual TLS (off: no Istio objects, no injection labels)"),
    // Istio 1.31.1 (2026-09-21) is the newest stable release; base, istiod and cni are released together.
    chart: chartSource({
        repository: "https://istio-release.storage.googleapis.com/charts",
        chart: "istiod",
        version: "1.31.1",
    }).describe(
        "Istio charts source: repository and version shared by base, istiod and cni (chart name is ignored); path: a directory holding the unpacked charts base/, istiod/ and cni/",
    ),
    imageHub: z
        .string()
        .regex(
            /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/,
            'must be an image registry path such as "docker.io/istio" or "registry.example.com:5000/istio" (no scheme, no tag)',
        )
        .default("docker.io/istio")
        .describe(
            "registry path of the Istio images (istiod, proxyv2, install-cni); their tag is mesh.chart.version, so images always match the charts",
        ),
    proxyRequestsCpu: cpu.default("50m").describe("istio-proxy sidecar CPU request (mesh-wide)"),
    proxyRequestsMemory: memory.default("64Mi").describe("istio-proxy sidecar memory request (mesh-wide)"),
    proxyLimitsCpu: cpu.default("500m").describe("istio-proxy sidecar CPU limit (mesh-wide)"),
    proxyLimitsMemory: memory.default("256Mi").describe("istio-proxy sidecar memory limit (mesh-wide)"),
    istiodReplicas: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe("istiod replicas (a PodDisruptionBudget is added above 1)"),
    istiodResources: computeResources
        .optional()
        .describe("istiod container; unset values: requests 250m/512Mi, limits 2/2Gi"),
    cniResources: computeResources
        .optional()
        .describe("Istio CNI node agent container; unset values: requests 100m/100Mi, limits 500m/256Mi"),
}).default({});

const tracing = strict({
    enabled: z
        .boolean()
        .default(false)
        .describe(
            "OpenTelemetry Collector and Tempo: services get the OTLP endpoint, Istio's sidecars report spans, Grafana gets the Tempo data source",
        ),
    samplingPercent: z
        .number()
        .min(0)
        .max(100)
        .optional()
        .describe("share of new traces recorded (Istio and the services' SDKs); default dev 100, staging 10, prod 1"),
    retentionHours: positiveInt
        .optional()
        .describe("how long Tempo keeps traces; default dev 24, staging 72, prod 168"),
    storageSize: bytes.default("10Gi").describe("Tempo's volume"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    collectorChart: chartSource({
        repository: "https://open-telemetry.github.io/opentelemetry-helm-charts",
        chart: "opentelemetry-collector",
        version: "0.170.0",
    }).describe("OpenTelemetry Collector chart"),
    tempoChart: chartSource({
        repository: "https://grafana-community.github.io/helm-charts",
        chart: "tempo",
        version: "2.2.4",
    }).describe("Tempo chart (single binary)"),
    collectorResources: computeResources
        .optional()
        .describe("collector container; unset values: requests 100m/128Mi, limits 500m/512Mi"),
    tempoResources: computeResources
        .optional()
        .describe("Tempo container; unset values: requests 100m/256Mi, limits 1000m/2Gi"),
}).default({});

const logging = strict({
    enabled: z
        .boolean()
        .default(false)
        .describe(
            "Loki and Grafana Alloy: every pod's logs collected through the Kubernetes API into Loki, Grafana gets the Loki data source, an alert when collection stops",
        ),
    retentionDays: positiveInt
        .optional()
        .describe("how long Loki keeps logs, in whole days (Loki deletes by day); default dev 3, staging 7, prod 30"),
    storageSize: bytes.default("20Gi").describe("Loki's volume (chunks and index of the retention period)"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    collectorReplicas: z
        .number()
        .int()
        .min(1)
        .max(5)
        .default(1)
        .describe(
            "Alloy replicas; from 2 they share the pods to tail (Alloy clustering) and get a PodDisruptionBudget",
        ),
    lokiChart: chartSource({
        repository: "https://grafana-community.github.io/helm-charts",
        chart: "loki",
        version: "18.11.0",
    }).describe("Loki chart (monolithic, filesystem storage)"),
    alloyChart: chartSource({
        repository: "https://grafana.github.io/helm-charts",
        chart: "alloy",
        version: "1.11.1",
    }).describe("Grafana Alloy chart (the log collector)"),
    lokiResources: computeResources
        .optional()
        .describe("Loki container; unset values: requests 250m/512Mi, limits 1/2Gi"),
    collectorResources: computeResources
        .optional()
        .describe("Alloy container; unset values: requests 100m/256Mi, limits 500m/1Gi"),
}).default({});

const metricsServer = strict({
    enabled: z
        .boolean()
        .default(false)
        .describe(
            "install metrics-server, the resource metrics API the autoscalers read CPU and memory from; only for clusters without one (kind; EKS without the add-on): GKE, AKS, k3s and most managed clusters ship it",
        ),
    chart: chartSource({
        repository: "https://kubernetes-sigs.github.io/metrics-server/",
        chart: "metrics-server",
        version: "3.13.1",
    }).describe("metrics-server chart"),
    replicas: z
        .number()
        .int()
        .min(1)
        .max(5)
        .default(1)
        .describe("metrics-server replicas (2 or more: a PodDisruptionBudget keeps one through drains)"),
    kubeletInsecureTls: z
        .boolean()
        .default(false)
        .describe(
            "skip verifying the kubelets' serving certificates (kind and other clusters whose kubelets serve self-signed ones); leave off where kubelet certificates are signed by the cluster CA",
        ),
    resources: computeResources
        .optional()
        .describe("metrics-server container; unset values: requests 100m/200Mi, limits 1000m/400Mi"),
}).default({});

const monitoring = strict({
    enabled: z
        .boolean()
        .default(true)
        .describe("Prometheus Operator stack: Prometheus, Alertmanager, Grafana, kube-state-metrics, node-exporter"),
    // kube-prometheus-stack 88.5.3 (prometheus-operator v0.93.1, Grafana 13.2.0): the newest release whose templates
    // our values were rendered against with `helm template`; newer majors change Grafana's chart and token handling.
    chart: chartSource({
        repository: "https://prometheus-community.github.io/helm-charts",
        chart: "kube-prometheus-stack",
        version: "88.5.3",
    }).describe("kube-prometheus-stack chart (installed without its CRDs: see crdsChart)"),
    // The CRDs are their own resource so every ServiceMonitor/PodMonitor/PrometheusRule can be ordered after them;
    // keep the version in step with the operator version of `chart` (prometheus-operator-crds 31.x = operator v0.93).
    crdsChart: chartSource({
        repository: "https://prometheus-community.github.io/helm-charts",
        chart: "prometheus-operator-crds",
        version: "31.0.1",
    }).describe("prometheus-operator CRDs chart, installed before anything that creates monitoring.coreos.com objects"),
    adapterChart: chartSource({
        repository: "https://prometheus-community.github.io/helm-charts",
        chart: "prometheus-adapter",
        version: "5.3.0",
    }).describe(
        "Prometheus Adapter chart: serves the custom metrics of autoscaling.requestsPerSecond (installed only when a service sets it)",
    ),
    adapterReplicas: z
        .number()
        .int()
        .min(1)
        .max(5)
        .optional()
        .describe("Prometheus Adapter replicas; default per environment (dev 1, staging 1, prod 2)"),
    adapterResources: computeResources
        .optional()
        .describe("Prometheus Adapter container; unset values: requests 50m/128Mi, limits 500m/512Mi"),
    retention: z
        .string()
        .regex(
            /^[1-9]\d*[hdwy]$/,
            'must be a positive Prometheus duration like "15d" (0 would mean the built-in default)',
        )
        .default("15d")
        .describe("Prometheus retention time"),
    storageSize: bytes
        .refine(
            (v) => parseQuantity(v) >= 2 ** 30,
            "must be at least 1Gi (size-based retention keeps 85 % of it, and the write-ahead log alone takes several 128 MiB segments)",
        )
        .default("20Gi")
        .describe("Prometheus volume per replica, at least 1Gi; size-based retention keeps 85 % of it"),
    storageClass: dnsName
        .optional()
        .describe("Prometheus and Alertmanager volumes; default: top-level storageClass, else the environment default"),
    alertmanagerStorageSize: bytes
        .default("1Gi")
        .describe("Alertmanager volume per replica (silences, notification log)"),
    prometheusReplicas: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe("Prometheus replicas (each scrapes everything; a PodDisruptionBudget is added above 1)"),
    alertmanagerReplicas: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe("Alertmanager replicas (clustered; a PodDisruptionBudget is added above 1)"),
    resources: resources.optional().describe("Prometheus container; unset values: requests 500m/1Gi, limits 2/4Gi"),
    scrapeIntervalSeconds: positiveInt.default(30).describe("default scrape and rule evaluation interval"),
    grafanaHost: z.string().default("monitoring").describe("Grafana host label under the domain"),
    alertWebhookUrl: z
        .string()
        .regex(/^https?:\/\/\S+$/, "must be an http(s) URL")
        .refine(parsesAsUrl, 'must be a valid URL (e.g. "https://alerts.example.com/hook")')
        .optional()
        .describe("Alertmanager webhook receiver (secret config value)"),
    slackWebhookUrl: z
        .string()
        .regex(/^https:\/\/\S+$/, "must be an https URL")
        .refine(parsesAsUrl, 'must be a valid URL (e.g. "https://hooks.slack.com/services/...")')
        .optional()
        .describe("Slack incoming-webhook URL (secret config value)"),
    slackChannel: z
        .string()
        .regex(/^#?[a-z0-9][a-z0-9._-]{0,79}$/, 'must be a Slack channel name such as "#alerts"')
        .optional()
        .describe('Slack channel for alerts (default "#alerts"); needs slackWebhookUrl'),
    thresholds: strict({
        cpuLimitPercent: percent
            .default(80)
            .describe("container CPU use as a share of its limit (warning after 10 min)"),
        memoryLimitPercent: percent
            .default(90)
            .describe("container memory use as a share of its limit (warning after 5 min)"),
        errorRatePercent: z
            .number()
            .min(0.01)
            .max(100)
            .default(5)
            .describe("share of 5xx responses (critical after 5 min)"),
        // The critical volume alert is fixed at 95 % (lib/monitoring/alert-rules.ts), and the warning must sit below it.
        pvcFullPercent: z
            .number()
            .int()
            .min(1)
            .max(
                PVC_WARNING_MAX_PERCENT,
                `must be at most ${PVC_WARNING_MAX_PERCENT} (the critical volume alert fires at 95 %, the warning must come first)`,
            )
            .default(85)
            .describe(
                `volume use that warns (1-${PVC_WARNING_MAX_PERCENT}: the critical alert fires at 95 %, so the warning must be below it)`,
            ),
        postgresReplicationLagSeconds: positiveInt.default(30).describe("replication lag alert threshold"),
        postgresConnectionsPercent: percent.default(80).describe("PostgreSQL backends as a share of max_connections"),
        redisMemoryPercent: percent.default(90).describe("Redis used_memory as a share of maxmemory"),
    })
        .default({})
        .describe("alert thresholds (per environment: set them in the stack file)"),
}).default({});

const backups = strict({
    enabled: z
        .boolean()
        .default(true)
        .describe(
            "logical PostgreSQL dumps, Redis snapshots and restore verification to a backup PVC (see README, Backups)",
        ),
    postgresSchedule: z
        .string()
        .default("0 2 * * *")
        .describe(
            "logical backup (pg_dump of every database) schedule in backups.timeZone: five-field cron as the CronJob controller reads it (day of week 0-6, no TZ=), or @daily/@weekly",
        ),
    redisSchedule: z
        .string()
        .default("30 2 * * *")
        .describe("Redis RDB snapshot schedule, five-field cron (as postgresSchedule)"),
    verifySchedule: z
        .string()
        .default("0 4 * * 0")
        .describe(
            "weekly restore verification (restores the newest dumps into scratch databases), five-field cron (as postgresSchedule)",
        ),
    timeZone: z
        .string()
        .regex(
            /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/,
            'must be an IANA time zone such as "Etc/UTC" or "Europe/Berlin"',
        )
        .refine(timeZoneExists, 'is not a time zone of the IANA database (e.g. "Etc/UTC", "Europe/Berlin")')
        .default("Etc/UTC")
        .describe("IANA time zone the backup schedules are read in (CronJob timeZone)"),
    retentionDaily: z
        .number()
        .int()
        .min(1)
        .default(7)
        .describe("GFS retention: newest backup of each of this many days"),
    retentionWeekly: z
        .number()
        .int()
        .min(0)
        .default(4)
        .describe("GFS retention: newest backup of each of this many ISO weeks"),
    retentionMonthly: z
        .number()
        .int()
        .min(0)
        .default(12)
        .describe("GFS retention: newest backup of each of this many months"),
    storageSize: bytes.default("20Gi").describe("size of the PostgreSQL dump PersistentVolumeClaim"),
    redisStorageSize: bytes.default("5Gi").describe("size of the Redis snapshot PersistentVolumeClaim"),
    storageClass: dnsName.optional().describe("default: top-level storageClass, else the environment default"),
    backupDeadlineSeconds: z
        .number()
        .int()
        .min(300)
        .default(14400)
        .describe("a backup run is stopped (and fails) after this long"),
    restoreDeadlineSeconds: z
        .number()
        .int()
        .min(300)
        .default(14400)
        .describe("a restore or restore verification is stopped after this long (RTO: 4 h)"),
    resources: resources.optional().describe("backup job container; default 100m/256Mi requests, 1/1Gi limits"),
    incrementalSchedule: z
        .string()
        .default("0 0 */6 * * *")
        .describe(
            "extra CloudNativePG ScheduledBackup cadence (six-field cron, seconds first) between the daily ones, when postgres.objectStore is configured; Barman Cloud has no incremental backups, so each run is a full base backup, and continuous WAL archiving covers the time in between",
        ),
    objectStore: strict({
        endpointUrl: z
            .string()
            .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be an http(s) URL without query")
            .optional()
            .describe("S3-compatible endpoint (MinIO, Ceph RGW, ...); unset for AWS S3"),
        bucket: z
            .string()
            .regex(
                /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)(?!.*\.-)(?!.*-\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
                "must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens; starts and ends with a letter or digit; not an IP address)",
            )
            .describe("existing bucket the backups are mirrored to (the jobs never create it)"),
        prefix: z
            .string()
            .regex(
                /^([A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)?$/,
                'must be key segments of letters, digits, "_", ".", "-" joined by "/" (no leading or trailing "/")',
            )
            .default("")
            .describe(
                'key prefix inside the bucket; default "stackwright/<environment>"; PostgreSQL sets go to <prefix>/postgres/<db>/, Redis to <prefix>/redis/redis/',
            ),
        region: z
            .string()
            .regex(/^[a-z0-9-]+$/, 'must be a region name such as "us-east-1"')
            .default("us-east-1")
            .describe("bucket region (most S3-compatible servers accept the default)"),
        accessKeyId: z.string().min(1).describe("secret config value"),
        secretAccessKey: z.string().min(1).describe("secret config value"),
        forcePathStyle: z
            .boolean()
            .default(true)
            .describe(
                "path-style URLs (<endpoint>/<bucket>/<key>), as MinIO and Ceph need; false for virtual-hosted style",
            ),
        image: image
            .default("rclone/rclone:1.75.0")
            .describe("rclone image the upload container runs (Alpine: the sync script is POSIX sh)"),
    })
        .optional()
        .describe(
            "S3-compatible object storage the PostgreSQL dumps and Redis snapshots are mirrored to after each run (same GFS set as the volume); volume only when unset",
        ),
}).default({});

/** A written reason: what the waiver accepts and why (shown on the waived objects and in policy reports). */
const waiverReason = z
    .string()
    .trim()
    .min(20, "must be a written reason of at least 20 characters (what is accepted, and why)");

const waivers = strict({
    singleReplicaServices: z
        .record(z.string(), waiverReason)
        .default({})
        .describe("service -> reason: run it with one replica (or an autoscaler minimum of 1) in prod"),
    singlePostgresInstance: waiverReason
        .optional()
        .describe("reason to run one PostgreSQL instance in prod (no failover)"),
    standaloneRedis: waiverReason.optional().describe("reason to run Redis standalone in prod (no Sentinel failover)"),
    singleEdgeReplica: waiverReason
        .optional()
        .describe("reason to run one edge control-plane or data-plane replica in prod"),
    meshDisabled: waiverReason
        .optional()
        .describe("reason to run prod without the mesh (no mutual TLS between services)"),
})
    .default({})
    .describe(
        "prod only: single points of failure accepted on purpose, each with a written reason; the reason is set on the waived objects as the policy pack's exemption annotation, so `pulumi preview --policy-pack` agrees",
    );
export type WaiversConfig = z.infer<typeof waivers>;

export const stackConfigSchema = strict({
    environment: z.enum(ENVIRONMENTS).describe("dev, staging or prod; selects the environment defaults"),
    domain: dnsName.describe("public DNS domain; hosts are app.<domain>, api.<domain>, ..."),
    storageClass: dnsName
        .optional()
        .describe('default StorageClass for persistent volumes (e.g. "standard", "fast-ssd")'),
    kubernetes,
    namespaces,
    quota,
    limitRange,
    secrets,
    services: z
        .record(z.string(), service)
        .default({})
        .describe(
            "application services by name (DNS-1123 labels of at most 54 characters, 44 with a migration: the auto-named Deployment and Job add suffixes)",
        ),
    postgres,
    redis,
    edge,
    mesh,
    monitoring,
    metricsServer,
    tracing,
    logging,
    backups,
    waivers,
});

export type StackConfig = z.infer<typeof stackConfigSchema>;
