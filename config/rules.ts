/**
 * Rules across fields, checked after the schema over the effective values (defaults merged): every value is
 * valid where it lands. Each rule returns problems (a key path and a message); load.ts formats and reports them.
 */
import { definedOnly, environmentDefaults, resolveResources, ResourceSpec } from "../lib/defaults";
import { resolveScaling } from "../lib/service/settings";
import { fileKey, FILES_MAX_BYTES } from "../lib/service/files";
import { publicHosts } from "../lib/plan";
import { ADAPTER_DEFAULT_RESOURCES, requestRateSource } from "../lib/monitoring/adapter";
import { METRICS_SERVER_DEFAULT_RESOURCES } from "../lib/metrics-server/values";
import { COLLECTOR_DEFAULT_RESOURCES, TEMPO_DEFAULT_RESOURCES, tracingEnv } from "../lib/tracing/plan";
import { ALLOY_DEFAULT_RESOURCES, LOKI_DEFAULT_RESOURCES } from "../lib/logging/plan";
import { certificateFor, pemProblems } from "../lib/edge/provided-certificates";
import { appsNamespaceBudget, dataNamespaceBudget, NamespaceBudget } from "../lib/namespace-budget";
import { edgeResourceDefaults } from "../lib/edge/values";
import { CNI_DEFAULT_RESOURCES, ISTIOD_DEFAULT_RESOURCES } from "../lib/mesh/values";
import { POOLER_RESOURCES, POSTGRES_INSTANCE_DEFAULTS, postgresResourceDefaults } from "../lib/postgres/defaults";
import { redisResourceDefaults, SENTINEL_RESOURCES } from "../lib/redis/defaults";
import { maxmemoryBytesForLimit } from "../lib/redis/conf";
import { parseQuantity } from "../lib/quantity";
import { PROMETHEUS_DEFAULT_RESOURCES } from "../lib/monitoring/defaults";
import { cronJobScheduleProblem, scheduledBackupScheduleProblem } from "../lib/cron";
import { BACKUP_JOB_RESOURCES } from "../lib/backups/defaults";
import { REDIS_SECRET_ENV } from "../lib/topology";
import { databaseEnv } from "../lib/service/env";
import { writableVolumeName } from "../lib/pod-security";
import { publicHost } from "../lib/hosts";
import { databaseKubeName, databaseRoles, inClusterPostgres } from "../lib/postgres/roles";
import { APP_CREDENTIALS, CREDENTIAL_ENV_NAME, PLATFORM_CREDENTIALS } from "./credentials";
import { valueAt } from "./raw";
import { DNS_LABEL, DNS_SUBDOMAIN, RESERVED_NAMESPACES, ResourcesConfig, StackConfig } from "./schema";

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
    if (inClusterPostgres(cfg) || cfg.redis.enabled) budgets.push([cfg.namespaces.data, dataNamespaceBudget(cfg)]);
    return budgets;
}

/**
 * Each guarded namespace's ResourceQuota must admit what runs there at its most (lib/namespace-budget.ts): in
 * apps, every service at its autoscaler maximum plus a rollout surge, migration Jobs and sidecars; in data, the
 * PostgreSQL instances, PgBouncer, Valkey, Sentinels and the backup jobs. A quota that falls short does not fail
 * the deployment: it silently stops the autoscaler, a rollout or a backup on a busy day.
 */
function quotaProblems(cfg: StackConfig, budgets: readonly [string, NamespaceBudget][], quota: Quota): Problem[] {
    const problems: Problem[] = [];
    for (const [namespace, budget] of budgets) {
        const need = {
            requestsCpu: 0,
            requestsMemory: 0,
            limitsCpu: 0,
            limitsMemory: 0,
            pods: 0,
            persistentVolumeClaims: budget.persistentVolumeClaims,
        };
        for (const group of budget.pods) {
            need.pods += group.pods;
            for (const c of group.containers) {
                need.requestsCpu += group.pods * parseQuantity(c.resources.requests.cpu);
                need.requestsMemory += group.pods * parseQuantity(c.resources.requests.memory);
                need.limitsCpu += group.pods * parseQuantity(c.resources.limits.cpu);
                need.limitsMemory += group.pods * parseQuantity(c.resources.limits.memory);
            }
        }
        // Shown in whole milli-cores, MiB and counts: what is needed rounded up, what the quota has rounded down
        // (with a tolerance, so a float sum such as 0.56 - 0.2 does not show as 361m).
        const inUnits = (key: keyof typeof need, value: number) =>
            key.endsWith("Cpu") ? value * 1000 : key.endsWith("Memory") ? value / 2 ** 20 : value;
        const show = (key: keyof typeof need, n: number) =>
            key === "pods" || key === "persistentVolumeClaims" ? String(n) : key.endsWith("Cpu") ? `${n}m` : `${n}Mi`;
        for (const key of Object.keys(need) as (keyof typeof need)[]) {
            const have = parseQuantity(quota[key]);
            if (need[key] > have) {
                const needed = Math.ceil(inUnits(key, need[key]) - 1e-9);
                const missing = needed - Math.floor(inUnits(key, have) + 1e-9);
                problems.push({
                    path: ["quota", key],
                    message: `${JSON.stringify(quota[key])}${cfg.quota[key] === undefined ? " (the environment default)" : ""} does not admit ${budget.summary} in namespace "${namespace}": they need ${show(key, needed)}, ${show(key, missing)} more (allowed: at least ${show(key, needed)})`,
                });
            }
        }
    }
    return problems;
}

/**
 * The LimitRange of the apps and data namespaces: its defaults within its own maximum (the API server refuses the
 * LimitRange otherwise), and every container of the stack within the maximum (admission refuses the pod otherwise).
 */
function limitRangeProblems(
    cfg: StackConfig,
    budgets: readonly [string, NamespaceBudget][],
    limits: Limits,
): Problem[] {
    const problems: Problem[] = [];
    const origin = (key: keyof Limits) => (cfg.limitRange[key] === undefined ? " (the environment default)" : "");
    for (const q of ["Cpu", "Memory"] as const) {
        const request = `defaultRequest${q}` as const,
            limit = `defaultLimit${q}` as const,
            max = `max${q}` as const;
        if (parseQuantity(limits[request]) > parseQuantity(limits[limit])) {
            problems.push({
                path: ["limitRange", request],
                message: `"${limits[request]}" exceeds limitRange.${limit} "${limits[limit]}"${origin(limit)} (allowed: at most the default limit)`,
            });
        }
        if (parseQuantity(limits[limit]) > parseQuantity(limits[max])) {
            problems.push({
                path: ["limitRange", limit],
                message: `"${limits[limit]}" exceeds limitRange.${max} "${limits[max]}"${origin(max)} (allowed: at most the maximum)`,
            });
        }
    }
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
                problems.push({
                    path,
                    message:
                        c.key || c.limitKeys
                            ? `limit "${value}" exceeds limitRange.${max} "${limits[max]}"${origin(max)} in namespace "${namespace}", so the pod would be refused (allowed: at most ${limits[max]}, or raise limitRange.${max})`
                            : `"${limits[max]}"${origin(max)} is below the ${q} limit "${value}" of ${c.what} in namespace "${namespace}", so the pod would be refused (allowed: at least ${value})`,
                });
            }
        }
    }
    return problems;
}

/** Requests within limits once the defaults fill the gaps (a request alone can exceed the default limit). */
function resourceBlockProblems(
    path: (string | number)[],
    config: ResourcesConfig | undefined,
    fallback: ComputeResourceSpec,
    defaultName = "the default",
): Problem[] {
    const problems: Problem[] = [];
    for (const key of ["cpu", "memory", "ephemeralStorage"] as const) {
        const request = config?.requests?.[key] ?? (fallback.requests as Partial<Record<string, string>>)[key];
        const limit = config?.limits?.[key] ?? (fallback.limits as Partial<Record<string, string>>)[key];
        if (request === undefined || limit === undefined) continue;
        if (parseQuantity(request) > parseQuantity(limit)) {
            const origin = config?.limits?.[key] === undefined ? ` (${defaultName})` : "";
            problems.push({
                path: [...path, "requests", key],
                message: `request "${request}" exceeds limit "${limit}"${origin} (allowed: at most the limit)`,
            });
        }
    }
    return problems;
}

/** The smallest maxmemory Valkey is given: it needs about that much to start, and 0 means "no limit". */
const MIN_REDIS_MAXMEMORY_BYTES = 2 ** 20;

// ---------------------------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------------------------

export interface Problem {
    path: (string | number)[];
    message: string;
}

/**
 * What the cross-field rules may rely on. When the schema fails, the rules still run over the parts that parsed
 * (so one run reports everything); a rule whose inputs did not parse is skipped rather than guessed at.
 */
export interface RuleContext {
    /** True when every named top-level key (and, for "services", every service) parsed. */
    readonly parsed: (...keys: (keyof StackConfig)[]) => boolean;
    /** Every service name in the config, parsed or not (a call to a broken service is still a known callee). */
    readonly serviceNames: string[];
}

/** Why a host is unusable: not a DNS name at all, or outside the stack domain (undefined when `domain` is unknown). */
function hostProblem(host: string, domain: string | undefined): string | undefined {
    if (!DNS_SUBDOMAIN.test(host))
        return `${JSON.stringify(host)} is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')`;
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

export function crossFieldProblems(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const { parsed, serviceNames } = ctx;
    const domain = parsed("domain") ? cfg.domain : undefined;
    const seenRoutes = new Map<string, string>();
    const ownDatabases = new Map<string, string>();
    // Kubernetes names spell '_' as '-': two databases spelled apart only by those would share their objects.
    const databasesByKubeName = new Map<string, string>(
        parsed("postgres") ? [[databaseKubeName(cfg.postgres.appDatabase), cfg.postgres.appDatabase]] : [],
    );

    for (const name of serviceNames) {
        if (!DNS_LABEL.test(name))
            problems.push({
                path: ["services", name],
                message: `service name "${name}" must be a DNS-1123 label (lower-case letters, digits and '-', starting with a letter)`,
            });
        // Names built from it must stay DNS labels too: the Deployment "<service>-<8-character suffix>" names its
        // pods and their hostnames, and the migration Job "<service>-migration-<suffix>" is a label value.
        else if (name.length > MAX_SERVICE_NAME)
            problems.push({
                path: ["services", name],
                message: `service name is ${name.length} characters; at most ${MAX_SERVICE_NAME} (its Deployment is named "<service>-<8-character suffix>", which pod names and hostnames must keep within 63)`,
            });
        else if (name.length > MAX_MIGRATING_SERVICE_NAME && parsed("services") && cfg.services[name]?.migration) {
            problems.push({
                path: ["services", name],
                message: `service name is ${name.length} characters; at most ${MAX_MIGRATING_SERVICE_NAME} with a migration (its Job is named "<service>-migration-<8-character suffix>", a label value of at most 63)`,
            });
        }
    }
    for (const [name, svc] of Object.entries(cfg.services)) {
        const at = (...path: (string | number)[]) => ["services", name, ...path];
        const envDefaults = environmentDefaults(cfg.environment);

        // A plain env value lands in a ConfigMap and in the stack file in clear text; credentials go by reference.
        for (const key of Object.keys(svc.env)) {
            if (CREDENTIAL_ENV_NAME.test(key)) {
                problems.push({
                    path: at("env", key),
                    message: `"${key}" names a credential, and plain env values are stored in clear text (ConfigMap, stack file): deliver it from a Secret: services.${name}.secretValues (a value you supply, as a config secret) or services.${name}.secretEnv (a generated credential)`,
                });
            }
        }

        // Each writable path becomes an emptyDir volume named after it: two spellings of one directory ("/data",
        // "/data/") or paths that slug alike ("/var/cache", "/var-cache") would collide in the pod spec.
        const volumeOwner = new Map<string, string>([[writableVolumeName("/tmp"), "/tmp"]]);
        svc.writablePaths.forEach((p, i) => {
            const volume = writableVolumeName(p);
            const other = volumeOwner.get(volume);
            if (other !== undefined && other !== p) {
                problems.push({
                    path: at("writablePaths", i),
                    message: `"${p}" would share the volume "${volume}" with "${other}"${other === "/tmp" ? " (always mounted)" : ""}: list each directory once, in one spelling`,
                });
            } else {
                volumeOwner.set(volume, p);
            }
        });

        // Config files: one ConfigMap key each, never over a writable directory, within a ConfigMap's size.
        const fileKeys = new Map<string, string>();
        svc.files.forEach((f, i) => {
            const other = fileKeys.get(fileKey(f.path));
            if (other !== undefined)
                problems.push({
                    path: at("files", i, "path"),
                    message:
                        other === f.path
                            ? `"${f.path}" is mounted twice (allowed: each path once)`
                            : `"${f.path}" and "${other}" would share the ConfigMap key "${fileKey(f.path)}" (allowed: paths that differ in more than '/' and "__")`,
                });
            else fileKeys.set(fileKey(f.path), f.path);
            if ([...svc.writablePaths, "/tmp"].includes(f.path))
                problems.push({
                    path: at("files", i, "path"),
                    message: `"${f.path}" is a writable directory (writablePaths, or /tmp) (allowed: a file path, e.g. inside it)`,
                });
        });
        const filesBytes = svc.files.reduce(
            (sum, f) => sum + Buffer.byteLength(f.content, "utf8") + fileKey(f.path).length,
            0,
        );
        if (filesBytes > FILES_MAX_BYTES)
            problems.push({
                path: at("files"),
                message: `the files hold ${filesBytes} bytes, and a ConfigMap holds at most ${FILES_MAX_BYTES} (1 MiB less room for its metadata) (allowed: smaller files, or bake them into the image)`,
            });

        const portNames = svc.ports.map((p) => p.name);
        // As in Kubernetes, one number may serve two protocols (DNS: 53/TCP and 53/UDP), never one protocol twice.
        const portKeys = svc.ports.map((p) => `${p.containerPort}/${p.protocol}`);
        const portNumbers = svc.ports.map((p) => p.containerPort);
        const servicePortKeys = svc.ports.map((p) => `${p.servicePort ?? p.containerPort}/${p.protocol}`);
        svc.ports.forEach((p, i) => {
            if (portNames.indexOf(p.name) !== i)
                problems.push({ path: at("ports", i, "name"), message: `duplicate port name "${p.name}"` });
            if (portKeys.indexOf(portKeys[i]) !== i)
                problems.push({
                    path: at("ports", i, "containerPort"),
                    message: `duplicate container port ${portKeys[i]}`,
                });
            else if (servicePortKeys.indexOf(servicePortKeys[i]) !== i)
                problems.push({
                    path: at("ports", i, p.servicePort === undefined ? "containerPort" : "servicePort"),
                    message: `Service port ${servicePortKeys[i]} is already used by port "${svc.ports[servicePortKeys.indexOf(servicePortKeys[i])].name}" (allowed: one Service port number per protocol; set servicePort to tell them apart)`,
                });
        });
        const exposes = (port: string | number | undefined) =>
            port === undefined
                ? svc.ports.length > 0
                : typeof port === "number"
                  ? portNumbers.includes(port)
                  : portNames.includes(port);

        for (const kind of ["liveness", "readiness", "startup"] as const) {
            const probe = svc.probes[kind];
            // An unset startup probe checks what the liveness probe checks (lib/service/settings.ts).
            if (kind === "startup" && probe === undefined) continue;
            if ((probe?.type ?? "http") !== "exec" && !exposes(probe?.port)) {
                problems.push({
                    path: at("probes", kind, "port"),
                    message:
                        probe?.port === undefined
                            ? `${kind} probe needs a port but the service exposes none (allowed: declare ports, or use type "exec")`
                            : `${kind} probe uses port ${JSON.stringify(probe.port)}, which the container does not expose (allowed: ${portNames.join(", ") || "none"})`,
                });
            }
            if (probe?.type === "exec" && !probe.command)
                problems.push({ path: at("probes", kind, "command"), message: "exec probes need a command" });
        }
        if (svc.metrics && !portNames.includes(svc.metrics.port)) {
            problems.push({
                path: at("metrics", "port"),
                message: `"${svc.metrics.port}" is not a port of this service (allowed: ${portNames.join(", ") || "none"})`,
            });
        }

        const as = svc.autoscaling;
        if (as.minReplicas !== undefined && as.maxReplicas !== undefined && as.minReplicas > as.maxReplicas) {
            problems.push({
                path: at("autoscaling", "minReplicas"),
                message: `minReplicas (${as.minReplicas}) must be <= maxReplicas (${as.maxReplicas})`,
            });
        } else if (parsed("environment") && (as.enabled ?? envDefaults.autoscalingEnabled)) {
            // One bound set, the other from the environment defaults.
            const min = as.minReplicas ?? envDefaults.minReplicas;
            const max = as.maxReplicas ?? envDefaults.maxReplicas;
            if (min > max) {
                const key = as.minReplicas !== undefined ? "minReplicas" : "maxReplicas";
                problems.push({
                    path: at("autoscaling", key),
                    message: `minReplicas (${min}${as.minReplicas === undefined ? ", the environment default" : ""}) must be <= maxReplicas (${max}${as.maxReplicas === undefined ? ", the environment default" : ""})`,
                });
            }
        }
        // Each env var has one source: plain settings, generated credentials, or the data-store connection Secrets.
        const envSources = new Map<string, string>();
        const addEnv = (
            names: string[],
            source: string,
            key: "env" | "secretEnv" | "secretValues" | "database" | "redis",
        ) => {
            for (const envName of names) {
                const other = envSources.get(envName);
                if (other)
                    problems.push({
                        path: key === "database" || key === "redis" ? at(key) : at(key, envName),
                        message: `env var "${envName}" is set by both ${other} and ${source} (allowed: one source per variable)`,
                    });
                else envSources.set(envName, source);
            }
        };
        if (svc.database !== undefined)
            addEnv(Object.keys(databaseEnv(svc)), "the database connection Secret", "database");
        if (svc.redis) addEnv(Object.keys(REDIS_SECRET_ENV), "the Redis connection Secret", "redis");
        if (parsed("tracing") && cfg.tracing.enabled)
            addEnv(Object.keys(tracingEnv(cfg, name)), "tracing (the OpenTelemetry SDK settings)", "env");
        addEnv(Object.keys(svc.secretEnv), "secretEnv", "secretEnv");
        addEnv(Object.keys(svc.secretValues), "secretValues", "secretValues");
        addEnv(Object.keys(svc.env), "env", "env");
        const resolved = resolveResources(svc.resources, envDefaults.serviceResources);
        if (parsed("environment"))
            problems.push(
                ...resourceBlockProblems(
                    at("resources"),
                    svc.resources,
                    envDefaults.serviceResources,
                    "the environment default",
                ),
            );
        // A custom metric nothing serves leaves the HPA unable to compute a recommendation: it then never scales
        // down. The Prometheus Adapter serves the rate of a counter Prometheus scrapes, so both must exist.
        if (as.requestsPerSecond !== undefined && parsed("monitoring", "mesh")) {
            if (!cfg.monitoring.enabled)
                problems.push({
                    path: at("autoscaling", "requestsPerSecond"),
                    message:
                        "the request rate is served from Prometheus, and monitoring.enabled is false; an HPA metric that nothing serves stops the service from scaling down (allowed: unset, or monitoring on)",
                });
            else if (requestRateSource(svc, cfg.mesh.enabled) === undefined)
                problems.push({
                    path: at("autoscaling", "requestsPerSecond"),
                    message:
                        "nothing counts this service's requests: set metrics.requestsTotalMetric to the request counter it exposes (e.g. http_requests_total), or turn the mesh on (Istio counts them) (allowed: one of those, or unset)",
                });
        }
        if (svc.metrics?.requestsTotalMetric !== undefined && as.requestsPerSecond === undefined)
            problems.push({
                path: at("metrics", "requestsTotalMetric"),
                message:
                    "has no effect: autoscaling.requestsPerSecond is not set (remove it, or set autoscaling.requestsPerSecond)",
            });
        // The HPA targets utilisation of the requests: a request of zero divides by zero, and the HPA never scales.
        const autoscaling = parsed("environment") ? resolveScaling(svc, envDefaults).autoscaling : undefined;
        if (autoscaling !== undefined) {
            const targeted = {
                cpu: autoscaling.cpuUtilizationPercent !== undefined,
                memory: autoscaling.memoryUtilizationPercent !== undefined,
            };
            for (const key of ["cpu", "memory"] as const) {
                if (targeted[key] && parseQuantity(resolved.requests[key]) === 0) {
                    problems.push({
                        path: at("resources", "requests", key),
                        message: `request "${resolved.requests[key]}" is zero, but the autoscaler targets ${key} utilisation of the request (allowed: above zero, autoscaling on ${key === "cpu" ? "memory" : "cpu"}UtilizationPercent alone, or autoscaling.enabled false)`,
                    });
                }
            }
        }
        svc.calls.forEach((callee, i) => {
            if (!serviceNames.includes(callee))
                problems.push({
                    path: at("calls", i),
                    message: `"${callee}" is not a configured service (allowed: ${serviceNames.join(", ")})`,
                });
            else if (callee === name)
                problems.push({ path: at("calls", i), message: "a service cannot declare a call to itself" });
            else if (cfg.services[callee]?.ports.length === 0)
                problems.push({
                    path: at("calls", i),
                    message: `"${callee}" exposes no ports, so it cannot be called`,
                });
        });
        if (svc.database !== undefined && parsed("postgres")) {
            if (!cfg.postgres.enabled)
                problems.push({
                    path: at("database"),
                    message: "postgres.enabled is false, so no database can be used",
                });
            if (svc.database !== cfg.postgres.appDatabase) {
                const owner = ownDatabases.get(svc.database);
                if (owner)
                    problems.push({
                        path: at("database"),
                        message: `database "${svc.database}" is already owned by service "${owner}" (each service owns its database; share postgres.appDatabase instead)`,
                    });
                ownDatabases.set(svc.database, name);
            }
            const kubeName = databaseKubeName(svc.database);
            const sibling = databasesByKubeName.get(kubeName);
            if (sibling !== undefined && sibling !== svc.database)
                problems.push({
                    path: at("database"),
                    message: `database "${svc.database}" and database "${sibling}" differ only in '_' and '-', and Kubernetes names (which allow no '_') would make them one: "${kubeName}" (allowed: names that differ otherwise)`,
                });
            else databasesByKubeName.set(kubeName, svc.database);
        }
        if (svc.databaseReadReplicas && svc.database === undefined)
            problems.push({
                path: at("databaseReadReplicas"),
                message:
                    "read replicas are of the service's database, and it declares none (allowed: set database, or false)",
            });
        if (svc.redis && parsed("redis") && !cfg.redis.enabled)
            problems.push({ path: at("redis"), message: "redis.enabled is false, so the service cannot use Redis" });
        if (svc.replicas !== undefined && parsed("environment") && (as.enabled ?? cfg.environment !== "dev")) {
            problems.push({
                path: at("replicas"),
                message:
                    "replicas is set but autoscaling owns the replica count (set autoscaling.enabled: false, or use autoscaling.minReplicas)",
            });
        }
        svc.routes.forEach((r, i) => {
            if (!exposes(r.port))
                problems.push({
                    path: at("routes", i, "port"),
                    message: `route port ${JSON.stringify(r.port ?? "(first port)")} is not a port of this service (allowed: ${portNames.join(", ") || "none"})`,
                });
            const problem = hostProblem(r.host, domain);
            if (problem) problems.push({ path: at("routes", i, "host"), message: problem });
            const host = domain === undefined ? undefined : publicHost(r.host, domain);
            if (host === undefined) return;
            // Gateway API prefixes match whole path segments: "/api/v1" and "/api/v1/" are the same route.
            const key = `${host}${r.pathPrefix.length > 1 ? r.pathPrefix.replace(/\/+$/, "") : r.pathPrefix}`;
            const other = seenRoutes.get(key);
            if (other)
                problems.push({
                    path: at("routes", i),
                    message: `host/path "${host}${r.pathPrefix}" is already routed to ${other}`,
                });
            seenRoutes.set(key, `service "${name}"`);
        });
        if (svc.migration && svc.database === undefined)
            problems.push({
                path: at("migration"),
                message: "a migration Job needs the service to declare a database",
            });
        const m = svc.mesh;
        // The route timeout covers every try (Envoy): below this budget the last retries can never run.
        const minimum = m.retryAttempts > 0 ? m.retryPerTryTimeoutSeconds * (m.retryAttempts + 1) : 0;
        if (m.timeoutSeconds < minimum) {
            problems.push({
                path: at("mesh", "timeoutSeconds"),
                message: `${m.timeoutSeconds} is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = ${m.retryPerTryTimeoutSeconds} x (${m.retryAttempts} + 1) = ${minimum}, so the retries cannot all run (allowed: at least ${minimum}, or fewer/shorter retries)`,
            });
        }
    }

    if (parsed("monitoring")) {
        // Checked even with monitoring or the edge off: the host also lands in grafana.ini, which the chart passes
        // through Helm's tpl, and a setting must not turn valid by being switched on later.
        const problem = hostProblem(cfg.monitoring.grafanaHost, domain);
        const grafanaHost = domain === undefined ? undefined : publicHost(cfg.monitoring.grafanaHost, domain);
        if (problem) problems.push({ path: ["monitoring", "grafanaHost"], message: problem });
        else if (
            parsed("edge") &&
            cfg.monitoring.enabled &&
            cfg.edge.enabled &&
            grafanaHost !== undefined &&
            [...seenRoutes.keys()].some((k) => k.startsWith(`${grafanaHost}/`))
        ) {
            problems.push({
                path: ["monitoring", "grafanaHost"],
                message: `host "${grafanaHost}" is already used by a service route`,
            });
        }
    }
    if (parsed("monitoring")) problems.push(...monitoringProblems(cfg));
    if (parsed("edge")) {
        cfg.edge.extraHosts.forEach((h, i) => {
            const problem = hostProblem(h, domain);
            if (problem) problems.push({ path: ["edge", "extraHosts", i], message: problem });
        });
        if (cfg.edge.tls === "acme" && !cfg.edge.acme)
            problems.push({ path: ["edge", "acme"], message: 'edge.tls is "acme" but edge.acme (email) is not set' });
        if (cfg.edge.tls === "provided") problems.push(...providedCertificateProblems(cfg, ctx));
        // A Gateway needs at least one listener (the API server rejects an empty list): the edge must serve a host.
        const served =
            Object.values(cfg.services).some((svc) => svc.routes.length > 0) ||
            cfg.edge.extraHosts.length > 0 ||
            (parsed("monitoring") && cfg.monitoring.enabled);
        if (cfg.edge.enabled && parsed("services") && served === false) {
            problems.push({
                path: ["edge", "enabled"],
                message:
                    "the edge has no host to serve: add services.<name>.routes (or monitoring with its Grafana host, or edge.extraHosts), or set edge.enabled to false",
            });
        }
        if (cfg.edge.dataPlaneMaxReplicas !== undefined && cfg.edge.dataPlaneMaxReplicas < cfg.edge.dataPlaneReplicas) {
            problems.push({
                path: ["edge", "dataPlaneMaxReplicas"],
                message: `must be >= edge.dataPlaneReplicas (${cfg.edge.dataPlaneReplicas})`,
            });
        }
        problems.push(...edgeProblems(cfg, ctx));
    }
    if (parsed("mesh") && cfg.mesh.enabled) {
        for (const [request, limit] of [
            ["proxyRequestsCpu", "proxyLimitsCpu"],
            ["proxyRequestsMemory", "proxyLimitsMemory"],
        ] as const) {
            if (parseQuantity(cfg.mesh[request]) > parseQuantity(cfg.mesh[limit])) {
                problems.push({
                    path: ["mesh", request],
                    message: `"${cfg.mesh[request]}" exceeds mesh.${limit} "${cfg.mesh[limit]}" (allowed: at most the limit)`,
                });
            }
        }
        problems.push(
            ...resourceBlockProblems(["mesh", "istiodResources"], cfg.mesh.istiodResources, ISTIOD_DEFAULT_RESOURCES),
        );
        problems.push(...resourceBlockProblems(["mesh", "cniResources"], cfg.mesh.cniResources, CNI_DEFAULT_RESOURCES));
    }
    if (parsed("monitoring") && cfg.monitoring.enabled)
        problems.push(
            ...resourceBlockProblems(
                ["monitoring", "adapterResources"],
                cfg.monitoring.adapterResources,
                ADAPTER_DEFAULT_RESOURCES,
            ),
        );
    if (parsed("tracing") && cfg.tracing.enabled) {
        problems.push(
            ...resourceBlockProblems(
                ["tracing", "collectorResources"],
                cfg.tracing.collectorResources,
                COLLECTOR_DEFAULT_RESOURCES,
            ),
        );
        problems.push(
            ...resourceBlockProblems(
                ["tracing", "tempoResources"],
                cfg.tracing.tempoResources,
                TEMPO_DEFAULT_RESOURCES,
            ),
        );
    }
    if (parsed("logging") && cfg.logging.enabled) {
        problems.push(
            ...resourceBlockProblems(["logging", "lokiResources"], cfg.logging.lokiResources, LOKI_DEFAULT_RESOURCES),
        );
        problems.push(
            ...resourceBlockProblems(
                ["logging", "collectorResources"],
                cfg.logging.collectorResources,
                ALLOY_DEFAULT_RESOURCES,
            ),
        );
    }
    if (parsed("metricsServer") && cfg.metricsServer.enabled)
        problems.push(
            ...resourceBlockProblems(
                ["metricsServer", "resources"],
                cfg.metricsServer.resources,
                METRICS_SERVER_DEFAULT_RESOURCES,
            ),
        );
    // The guard rails of the apps and data namespaces, merged as index.ts merges them for the Namespaces component.
    if (
        parsed("environment", "services", "quota", "limitRange", "namespaces", "mesh", "postgres", "redis", "backups")
    ) {
        const env = environmentDefaults(cfg.environment);
        const budgets = guardedNamespaceBudgets(cfg);
        problems.push(...quotaProblems(cfg, budgets, { ...env.quota, ...definedOnly(cfg.quota) }));
        problems.push(...limitRangeProblems(cfg, budgets, { ...env.limitRange, ...definedOnly(cfg.limitRange) }));
    }
    if (parsed("namespaces")) {
        // Each part of the stack has its namespace, with its own Pod Security level, quota and NetworkPolicies.
        const owner = new Map<string, string>();
        for (const [key, ns] of Object.entries(cfg.namespaces)) {
            if ((RESERVED_NAMESPACES as readonly string[]).includes(ns)) {
                problems.push({
                    path: ["namespaces", key],
                    message: `"${ns}" belongs to Kubernetes (not allowed: ${RESERVED_NAMESPACES.join(", ")})`,
                });
            } else if (owner.has(ns)) {
                problems.push({
                    path: ["namespaces", key],
                    message: `"${ns}" is already namespaces.${owner.get(ns)} (each part of the stack needs a namespace of its own)`,
                });
            } else {
                owner.set(ns, key);
            }
        }
    }
    if (parsed("redis") && cfg.redis.mode === "sentinel" && cfg.redis.replicas < 2)
        problems.push({
            path: ["redis", "replicas"],
            message: "sentinel mode needs at least 2 data nodes (1 primary + 1 replica)",
        });
    problems.push(...dataStoreProblems(cfg, ctx));
    if (parsed("environment", "services", "postgres", "redis", "edge", "mesh", "waivers"))
        problems.push(...singlePointProblems(cfg));
    if (parsed("backups")) problems.push(...backupProblems(cfg, ctx));

    // An external server: credentials for exactly the databases the services use.
    const external = parsed("postgres") && cfg.postgres.enabled ? cfg.postgres.external : undefined;
    if (external !== undefined && parsed("services")) {
        const used = databaseRoles(cfg);
        for (const db of used.filter((d) => external.databases[d] === undefined))
            problems.push({
                path: ["postgres", "external", "databases"],
                message: `database "${db}" is used (${db === cfg.postgres.appDatabase ? "postgres.appDatabase" : "by a service"}) but has no credentials (allowed: postgres.external.databases.${db}.password, as a secret)`,
            });
        for (const db of Object.keys(external.databases).filter((d) => !used.includes(d)))
            problems.push({
                path: ["postgres", "external", "databases", db],
                message: `no service uses database "${db}" (allowed: ${used.join(", ")})`,
            });
    }

    // Database roles come from every service and the postgres section: without all of them the ids are unknown.
    if (parsed("secrets", "postgres", "services")) {
        const credentialIds = new Set<string>([
            ...APP_CREDENTIALS,
            ...PLATFORM_CREDENTIALS,
            ...(inClusterPostgres(cfg) ? databaseRoles(cfg).map((r) => `db-${r}`) : []),
        ]);
        for (const id of Object.keys(cfg.secrets.rotation)) {
            if (!credentialIds.has(id))
                problems.push({
                    path: ["secrets", "rotation", id],
                    message: `"${id}" is not a generated credential (allowed: ${[...credentialIds].join(", ")})`,
                });
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
    const refuse = (
        path: (string | number)[],
        problem: string,
        allowed: string,
        waiver: string,
        waived: string | undefined,
    ) => {
        if (!prod) return;
        if (waived !== undefined) {
            used.add(waiver);
            return;
        }
        problems.push({
            path,
            message: `${problem} in prod (allowed: ${allowed}, or waivers.${waiver} with a written reason)`,
        });
    };
    const env = environmentDefaults(cfg.environment);
    for (const [name, svc] of Object.entries(cfg.services)) {
        const scaling = resolveScaling(svc, env);
        const min = scaling.autoscaling?.minReplicas ?? scaling.replicas ?? 1;
        if (min < 2) {
            const key = scaling.autoscaling ? ["autoscaling", "minReplicas"] : ["replicas"];
            refuse(
                ["services", name, ...key],
                `${min} replica is a single point of failure`,
                "at least 2",
                `singleReplicaServices.${name}`,
                w.singleReplicaServices[name],
            );
        }
    }
    const instances = cfg.postgres.instances ?? POSTGRES_INSTANCE_DEFAULTS[cfg.environment];
    if (inClusterPostgres(cfg) && instances < 2) {
        refuse(
            ["postgres", "instances"],
            "1 PostgreSQL instance is a single point of failure (no failover)",
            "at least 2",
            "singlePostgresInstance",
            w.singlePostgresInstance,
        );
    }
    if (cfg.redis.enabled && cfg.redis.mode === "standalone") {
        refuse(
            ["redis", "mode"],
            "standalone Redis is a single point of failure (no failover)",
            '"sentinel"',
            "standaloneRedis",
            w.standaloneRedis,
        );
    }
    if (cfg.edge.enabled) {
        for (const key of ["controllerReplicas", "dataPlaneReplicas"] as const) {
            if (cfg.edge[key] < 2)
                refuse(
                    ["edge", key],
                    `${cfg.edge[key]} replica is a single point of failure (a node drain or rollout takes the edge down)`,
                    "at least 2",
                    "singleEdgeReplica",
                    w.singleEdgeReplica,
                );
        }
    }
    if (!cfg.mesh.enabled)
        refuse(
            ["mesh", "enabled"],
            "false leaves service-to-service traffic without mutual TLS",
            "true",
            "meshDisabled",
            w.meshDisabled,
        );

    const set: [string, unknown][] = [
        ...Object.keys(w.singleReplicaServices).map((name): [string, unknown] => [
            `singleReplicaServices.${name}`,
            w.singleReplicaServices[name],
        ]),
        ["singlePostgresInstance", w.singlePostgresInstance],
        ["standaloneRedis", w.standaloneRedis],
        ["singleEdgeReplica", w.singleEdgeReplica],
        ["meshDisabled", w.meshDisabled],
    ];
    for (const [key, value] of set) {
        if (value === undefined || used.has(key)) continue;
        problems.push({
            path: ["waivers", ...key.split(".")],
            message: prod
                ? "waives nothing: the setting it would accept is not in this stack (remove the waiver)"
                : `waives nothing outside prod (environment is "${cfg.environment}"; remove the waiver)`,
        });
    }
    return problems;
}

/**
 * Settings that would do nothing in the combination the stack file chose, read from the raw file (defaults fill
 * every key). Settings of a feature switched off (a section's `enabled: false`, per-service mesh settings without
 * the mesh, a metrics endpoint without monitoring) are warnings: switching a feature off for one environment must
 * not mean deleting its tuning, but the stack file must not seem to say more than the stack does. Settings that
 * contradict the chosen mode within a feature that is on are errors.
 */
export function inertSettings(
    raw: Record<string, unknown>,
    cfg: StackConfig,
    parsed: RuleContext["parsed"],
): { problems: Problem[]; warnings: Problem[] } {
    const problems: Problem[] = [];
    const warnings: Problem[] = [];
    const inert = (into: Problem[], path: string[], because: string, fix: string) => {
        if (valueAt(raw, path) !== undefined)
            into.push({ path, message: `has no effect: ${because} (remove it, or ${fix})` });
    };
    for (const section of [
        "postgres",
        "redis",
        "edge",
        "mesh",
        "monitoring",
        "metricsServer",
        "tracing",
        "logging",
        "backups",
    ] as const) {
        if (!parsed(section) || cfg[section].enabled) continue;
        for (const key of Object.keys((raw[section] ?? {}) as object)) {
            if (key !== "enabled")
                inert(warnings, [section, key], `${section}.enabled is false`, `set ${section}.enabled to true`);
        }
    }
    if (parsed("redis") && cfg.redis.enabled && cfg.redis.mode === "standalone") {
        for (const key of ["replicas", "sentinels", "sentinelResources", "masterName"])
            inert(problems, ["redis", key], 'redis.mode is "standalone"', 'set redis.mode to "sentinel"');
    }
    if (parsed("postgres") && cfg.postgres.enabled && cfg.postgres.external !== undefined) {
        // Everything about the in-cluster server does nothing while an external one is used.
        for (const key of Object.keys((raw.postgres ?? {}) as object)) {
            if (!["enabled", "external", "appDatabase"].includes(key))
                inert(
                    problems,
                    ["postgres", key],
                    "postgres.external is set (no in-cluster PostgreSQL is deployed)",
                    "remove postgres.external",
                );
        }
    }
    if (parsed("postgres") && inClusterPostgres(cfg)) {
        if (!cfg.postgres.pooler.enabled) {
            for (const key of Object.keys((valueAt(raw, ["postgres", "pooler"]) ?? {}) as object)) {
                if (key !== "enabled")
                    inert(
                        problems,
                        ["postgres", "pooler", key],
                        "postgres.pooler.enabled is false",
                        "set postgres.pooler.enabled to true",
                    );
            }
        }
        if (cfg.postgres.objectStore === undefined) {
            inert(
                problems,
                ["postgres", "barmanCloudPluginChart"],
                "postgres.objectStore is not set (the plugin is installed only with it)",
                "configure postgres.objectStore",
            );
            if (parsed("backups") && cfg.backups.enabled) {
                inert(
                    problems,
                    ["backups", "incrementalSchedule"],
                    "postgres.objectStore is not set (the extra base backups go to object storage)",
                    "configure postgres.objectStore",
                );
            }
        }
    }
    if (parsed("edge") && cfg.edge.enabled && cfg.edge.tls !== "provided")
        inert(problems, ["edge", "certificates"], `edge.tls is "${cfg.edge.tls}"`, 'set edge.tls to "provided"');
    if (parsed("edge") && cfg.edge.enabled && cfg.edge.tls !== "acme") {
        for (const key of ["acme", "certManagerIssuer", "certManagerChart"])
            inert(problems, ["edge", key], `edge.tls is "${cfg.edge.tls}"`, 'set edge.tls to "acme"');
    }
    if (parsed("environment", "mesh", "monitoring")) {
        const env = environmentDefaults(cfg.environment);
        for (const [name, svc] of Object.entries(cfg.services)) {
            const at = (...path: string[]) => ["services", name, ...path];
            if (!cfg.mesh.enabled) inert(warnings, at("mesh"), "mesh.enabled is false", "set mesh.enabled to true");
            if (!cfg.monitoring.enabled)
                inert(
                    warnings,
                    at("metrics"),
                    "monitoring.enabled is false (nothing scrapes it)",
                    "set monitoring.enabled to true",
                );
            if (!(svc.autoscaling.enabled ?? env.autoscalingEnabled)) {
                for (const key of [
                    "minReplicas",
                    "maxReplicas",
                    "cpuUtilizationPercent",
                    "memoryUtilizationPercent",
                    "requestsPerSecond",
                    "scaleDownStabilizationSeconds",
                ]) {
                    inert(
                        problems,
                        at("autoscaling", key),
                        `autoscaling is off${svc.autoscaling.enabled === undefined ? ` (the ${cfg.environment} default)` : ""}`,
                        `set services.${name}.autoscaling.enabled to true, or use services.${name}.replicas`,
                    );
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
        problems.push({
            path: ["monitoring", "slackChannel"],
            message: "a Slack channel needs monitoring.slackWebhookUrl (set both, or remove slackChannel)",
        });
    }
    problems.push(
        ...resourceBlockProblems(["monitoring", "resources"], cfg.monitoring.resources, PROMETHEUS_DEFAULT_RESOURCES),
    );
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
                problems.push({
                    path: at(),
                    message:
                        "edge.enabled is false, so no public route can be served (remove the route or enable the edge)",
                });
                return;
            }
            const host = parsed("domain") ? publicHost(r.host, cfg.domain) : undefined;
            if (host !== undefined) hosts.add(host);
            const p = r.pathPrefix;
            if (!GATEWAY_PATH.test(p) || /\/\/|\/\.\.?(\/|$)|%2f|%2F|#/.test(p)) {
                problems.push({
                    path: at("pathPrefix"),
                    message: `"${p}" is not a valid Gateway API path (allowed: "/" followed by URL path characters, without "//", "/./", "/../" or "%2f")`,
                });
            }
            if (r.rateLimitBurst !== undefined && r.rateLimitRequestsPerSecond === undefined) {
                problems.push({ path: at("rateLimitBurst"), message: "a burst needs rateLimitRequestsPerSecond" });
            }
            if (!/^\d{1,4}[kmg]?$/i.test(r.clientMaxBodySize)) {
                problems.push({
                    path: at("clientMaxBodySize"),
                    message: `"${r.clientMaxBodySize}" has more than 4 digits (allowed: up to 4 digits with k, m or g, e.g. "50m")`,
                });
            }
            if (!r.websocket && r.timeoutSeconds > MAX_ROUTE_TIMEOUT_SECONDS) {
                problems.push({
                    path: at("timeoutSeconds"),
                    message: `${r.timeoutSeconds} exceeds ${MAX_ROUTE_TIMEOUT_SECONDS} (allowed: 1-${MAX_ROUTE_TIMEOUT_SECONDS}; use websocket: true for long-lived connections)`,
                });
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
        problems.push({
            path: ["edge"],
            message: `${hosts.size} public hosts exceed the ${MAX_PUBLIC_HOSTS} one Gateway can serve (64 listeners, HTTPS + HTTP redirect per host)`,
        });
    }
    if (cfg.edge.nodePorts !== undefined) {
        if (cfg.edge.serviceType !== "NodePort")
            problems.push({
                path: ["edge", "nodePorts"],
                message: `needs edge.serviceType "NodePort" (is "${cfg.edge.serviceType}")`,
            });
        if (cfg.edge.nodePorts.http === cfg.edge.nodePorts.https)
            problems.push({
                path: ["edge", "nodePorts", "https"],
                message: `${cfg.edge.nodePorts.https} is already the http NodePort`,
            });
    }
    if (cfg.edge.controllerMaxReplicas !== undefined && cfg.edge.controllerMaxReplicas < cfg.edge.controllerReplicas) {
        problems.push({
            path: ["edge", "controllerMaxReplicas"],
            message: `must be >= edge.controllerReplicas (${cfg.edge.controllerReplicas})`,
        });
    }
    if (parsed("environment")) {
        const defaults = edgeResourceDefaults(cfg.environment);
        problems.push(
            ...resourceBlockProblems(
                ["edge", "resources"],
                cfg.edge.resources,
                defaults.controlPlane,
                "the environment default",
            ),
        );
        problems.push(
            ...resourceBlockProblems(
                ["edge", "dataPlaneResources"],
                cfg.edge.dataPlaneResources,
                defaults.dataPlane,
                "the environment default",
            ),
        );
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
            problems.push({
                path: ["postgres", "pooler", "defaultPoolSize"],
                message: `must be below postgres.maxConnections (${cfg.postgres.maxConnections})`,
            });
        }
    }
    const fullBackupSchedule = parsed("postgres") ? cfg.postgres.objectStore?.fullBackupSchedule : undefined;
    const scheduleProblem =
        fullBackupSchedule === undefined ? undefined : scheduledBackupScheduleProblem(fullBackupSchedule);
    if (scheduleProblem) {
        problems.push({
            path: ["postgres", "objectStore", "fullBackupSchedule"],
            message: `"${fullBackupSchedule}" is not a six-field cron schedule (${scheduleProblem}; allowed: seconds first, e.g. "0 0 2 * * *")`,
        });
    }
    if (parsed("redis") && cfg.redis.enabled) {
        const resolved = checkResources(
            ["redis", "resources"],
            cfg.redis.resources,
            redisResourceDefaults(cfg.environment),
        );
        checkResources(["redis", "sentinelResources"], cfg.redis.sentinelResources, SENTINEL_RESOURCES);
        // valkey.conf takes whole bytes, and 0 there means "no limit": the conversion is exact or refused.
        const maxmemory = cfg.redis.maxmemory;
        const defaultMaxmemory = maxmemoryBytesForLimit(Math.max(parseQuantity(resolved.limits.memory), 1));
        if (maxmemory !== undefined && !Number.isInteger(parseQuantity(maxmemory))) {
            problems.push({
                path: ["redis", "maxmemory"],
                message: `"${maxmemory}" is ${parseQuantity(maxmemory)} bytes, not a whole number (valkey.conf takes bytes; allowed: e.g. "768Mi")`,
            });
        } else if (maxmemory !== undefined && parseQuantity(maxmemory) < MIN_REDIS_MAXMEMORY_BYTES) {
            problems.push({
                path: ["redis", "maxmemory"],
                message: `"${maxmemory}" is below 1Mi (Valkey needs that much to run, and 0 would mean no limit at all; allowed: at least 1Mi)`,
            });
        } else if (maxmemory === undefined && defaultMaxmemory < MIN_REDIS_MAXMEMORY_BYTES) {
            problems.push({
                path: ["redis", "resources", "limits", "memory"],
                message: `limit "${resolved.limits.memory}" leaves Valkey a maxmemory (75 % of it) below 1Mi (0 would mean no limit at all; allowed: at least 2Mi)`,
            });
        }
        if (
            cfg.redis.maxmemory !== undefined &&
            parseQuantity(cfg.redis.maxmemory) >= parseQuantity(resolved.limits.memory)
        ) {
            problems.push({
                path: ["redis", "maxmemory"],
                message: `"${cfg.redis.maxmemory}" must stay below the memory limit "${resolved.limits.memory}" (forks for RDB/AOF need headroom; unset = 75% of the limit)`,
            });
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
        if (problem)
            problems.push({
                path: ["backups", key],
                message: `"${b[key]}" is not a usable schedule (${problem}; allowed: five-field cron such as "0 2 * * *", or @daily/@weekly)`,
            });
    }
    const problem = scheduledBackupScheduleProblem(b.incrementalSchedule);
    if (problem)
        problems.push({
            path: ["backups", "incrementalSchedule"],
            message: `"${b.incrementalSchedule}" is not a six-field cron schedule (${problem}; allowed: seconds first, e.g. "0 0 */6 * * *")`,
        });
    if (
        b.enabled &&
        parsed("redis") &&
        cfg.redis.enabled &&
        /(^|[^a-z])alpine/i.test(cfg.redis.image.split("/").pop() ?? "")
    ) {
        problems.push({
            path: ["redis", "image"],
            message: `"${cfg.redis.image}" is an Alpine image, but the Redis backup job runs in it and needs GNU coreutils (allowed: the Debian variant, e.g. "valkey/valkey:8.1.11-trixie", or backups.enabled: false)`,
        });
    }
    problems.push(...resourceBlockProblems(["backups", "resources"], b.resources, BACKUP_JOB_RESOURCES));
    return problems;
}

/** `edge.tls: provided`: each entry one source, PEM that can serve its hosts, and every public host covered. */
function providedCertificateProblems(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const certificates = cfg.edge.certificates;
    certificates.forEach((c, i) => {
        const at = (...path: string[]) => ["edge", "certificates", i, ...path];
        const pem = c.certificatePem !== undefined || c.privateKeyPem !== undefined;
        if (
            (c.secretName !== undefined) === pem ||
            (pem && (c.certificatePem === undefined || c.privateKeyPem === undefined))
        )
            problems.push({
                path: at(),
                message:
                    "needs exactly one source: secretName (an existing kubernetes.io/tls Secret), or certificatePem with privateKeyPem",
            });
        for (const message of pemProblems(c)) problems.push({ path: at(), message });
    });
    if (!ctx.parsed("domain", "services", "monitoring")) return problems;
    if (certificates.length === 0)
        problems.push({
            path: ["edge", "certificates"],
            message:
                'edge.tls is "provided" but no certificate is given (allowed: one or more entries with hosts and a secretName or PEM)',
        });
    else
        for (const host of publicHosts(cfg))
            if (certificateFor(certificates, host) === undefined)
                problems.push({
                    path: ["edge", "certificates"],
                    message: `no certificate serves the public host "${host}" (allowed: list it, or a wildcard "*.${host.slice(host.indexOf(".") + 1)}", in the hosts of an entry)`,
                });
    return problems;
}
