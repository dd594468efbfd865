/**
 * Prometheus alerting and recording rules for the stack, as plain data (the shape of a PrometheusRule's
 * `spec.groups`). Pure: thresholds, namespaces and targets come in as arguments; nothing reads config.
 *
 * Label conventions the expressions rely on (see metrics-catalog.ts for the metric names):
 * - app series are scraped through a ServiceMonitor, so they carry `namespace` and `service` (the Service name);
 * - kube-state-metrics, kubelet and cAdvisor series keep their own `namespace` (honorLabels, as kube-prometheus-stack
 *   configures them); every expression aggregates `by (...)` so scrape-target labels never leak into alerts;
 * - CloudNativePG exporters are scraped through a PodMonitor: `namespace` and `pod`, and `cnpg_collector_up` has
 *   the native `cluster` label. The WAL-archiving and base-backup alerts pick a cluster's instances by pod name
 *   (`<cluster>-<serial>`) and add `cluster` themselves.
 */
import { RECORDING_RULE_NAMES, SERVICE_METRIC_CONTRACT } from "./metrics-catalog";

export type Severity = "critical" | "warning";

export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly labels: { readonly severity: Severity };
    readonly annotations: {
        readonly summary: string;
        readonly description: string;
        readonly runbook_url?: string;
    };
}

export interface RuleGroup {
    readonly name: string;
    readonly rules: readonly AlertRule[];
}

export interface RecordingRule {
    readonly record: string;
    readonly expr: string;
}

export interface RecordingRuleGroup {
    readonly name: string;
    readonly rules: readonly RecordingRule[];
}

/** An app service whose availability and latency are alerted on. */
export interface ServiceAlertTarget {
    /** Kubernetes Service name: the `service` label Prometheus Operator puts on series scraped via ServiceMonitor. */
    readonly name: string;
    readonly namespace: string;
    /** p95 latency target. @default 200 */
    readonly latencyP95TargetMs?: number;
}

/** A backup CronJob whose failures and staleness are alerted on. */
export interface BackupCronJobTarget {
    /** The CronJob's metadata.name (kube-state-metrics `cronjob` label). */
    readonly name: string;
    readonly namespace: string;
    /** Oldest acceptable last success: schedule interval + grace. See `backupMaxAgeSeconds`. */
    readonly maxAgeSeconds: number;
}

/** A CloudNativePG Cluster (its `cnpg_collector_up{cluster=...}` must exist, else PostgresInstanceDown fires). */
export interface PostgresClusterTarget {
    readonly name: string;
    readonly namespace: string;
    /**
     * Set when the cluster archives WAL and takes base backups to object storage (Barman Cloud plugin): adds the
     * WAL-archiving and base-backup alerts. @default undefined (no such alerts)
     */
    readonly objectStore?: {
        /** Oldest acceptable base backup: the backup schedules' longest interval + grace. See `scheduledBackupMaxAgeSeconds`. */
        readonly baseBackupMaxAgeSeconds: number;
    };
}

export interface AlertRulesArgs {
    /** Namespaces whose workloads the Kubernetes alerts (CPU, memory, crash loop, replicas, PVC) and the error-rate alert cover. */
    readonly namespaces: readonly string[];
    /** @default [] */
    readonly services?: readonly ServiceAlertTarget[];
    /** @default [] */
    readonly backupCronJobs?: readonly BackupCronJobTarget[];
    /** PostgreSQL alerts are emitted only when this is non-empty. @default [] */
    readonly postgresClusters?: readonly PostgresClusterTarget[];
    /** Namespaces running Redis/Valkey with redis_exporter; Redis alerts only when non-empty. @default [] */
    readonly redisNamespaces?: readonly string[];
    /** Adds the mesh (istio_requests_total) error-rate alert. @default false */
    readonly istioEnabled?: boolean;
    /** When set, every alert gets `runbook_url: <base>#<alertname in lower case>`. */
    readonly runbookBaseUrl?: string;
    /**
     * Namespace of the log collector (Grafana Alloy, scraped through its ServiceMonitor): adds the alert for log
     * lines no longer reaching Loki. @default undefined (no such alert)
     */
    readonly logCollectorNamespace?: string;

    /** @default 1 */
    readonly serviceDownForMinutes?: number;
    /** Share of 5xx responses. @default 5 */
    readonly errorRatePercent?: number;
    /** @default 5 */
    readonly errorRateForMinutes?: number;
    /** How long p95 must exceed a service's target. @default 5 */
    readonly latencyForMinutes?: number;
    /** Container CPU use as a share of its limit. @default 80 */
    readonly cpuLimitPercent?: number;
    /** @default 10 */
    readonly cpuForMinutes?: number;
    /** Container working-set memory as a share of its limit. @default 90 */
    readonly memoryLimitPercent?: number;
    /** @default 5 */
    readonly memoryForMinutes?: number;
    /** Restarts within 15 minutes that count as crash looping. @default 3 */
    readonly crashLoopRestartsIn15Minutes?: number;
    /** @default 5 */
    readonly crashLoopForMinutes?: number;
    /** @default 15 */
    readonly replicasMismatchForMinutes?: number;
    /** PVC use that warns. @default 85 */
    readonly pvcFullPercent?: number;
    /** PVC use that is critical. @default 95 */
    readonly pvcCriticalPercent?: number;
    /** @default 5 */
    readonly pvcForMinutes?: number;
    /** @default 30 */
    readonly postgresReplicationLagSeconds?: number;
    /** @default 5 */
    readonly postgresReplicationLagForMinutes?: number;
    /** Backends as a share of max_connections. @default 80 */
    readonly postgresConnectionsPercent?: number;
    /** @default 5 */
    readonly postgresConnectionsForMinutes?: number;
    /** PgBouncer: oldest waiting client has waited this long for a server connection. @default 5 */
    readonly connectionPoolMaxWaitSeconds?: number;
    /** @default 2 */
    readonly connectionPoolExhaustedForMinutes?: number;
    /** used_memory as a share of maxmemory (instances with maxmemory 0 are skipped). @default 90 */
    readonly redisMemoryPercent?: number;
    /** @default 5 */
    readonly redisMemoryForMinutes?: number;
    /** @default 1 */
    readonly redisDownForMinutes?: number;
    /** @default 1 */
    readonly postgresDownForMinutes?: number;
    /** Oldest acceptable WAL archival while segments wait to be archived (requirements: WAL every 15 min). @default 900 */
    readonly walArchiveMaxAgeSeconds?: number;
    /** How long WAL archiving must be stalled, or keep failing, before alerting. @default 5 */
    readonly walArchiveForMinutes?: number;
    /** How long no log line may reach Loki before alerting. @default 10 */
    readonly logCollectionStoppedForMinutes?: number;
}

export const DEFAULT_LATENCY_P95_TARGET_MS = 200;

/** Recording rules the dashboards use (cheap per-service RED series). */
export function recordingRuleGroups(): RecordingRuleGroup[] {
    const requests = SERVICE_METRIC_CONTRACT.requestsTotal.name;
    const buckets = `${SERVICE_METRIC_CONTRACT.requestDurationSeconds.name}_bucket`;
    return [
        {
            name: "stackwright.service.recording",
            rules: [
                {
                    record: RECORDING_RULE_NAMES.requestRate,
                    expr: `sum by (namespace, service) (rate(${requests}[5m]))`,
                },
                {
                    record: RECORDING_RULE_NAMES.errorRatio,
                    expr:
                        `sum by (namespace, service) (rate(${requests}{status=~"5.."}[5m]))\n` +
                        `/\nsum by (namespace, service) (rate(${requests}[5m]))`,
                },
                {
                    record: RECORDING_RULE_NAMES.latencyP95,
                    expr: `histogram_quantile(0.95, sum by (namespace, service, le) (rate(${buckets}[5m])))`,
                },
            ],
        },
    ];
}

/** Alerting rule groups; empty groups are left out. */
export function alertRuleGroups(args: AlertRulesArgs): RuleGroup[] {
    const a = resolveArgs(args);
    const groups: RuleGroup[] = [
        { name: "stackwright.services", rules: serviceRules(a) },
        { name: "stackwright.workloads", rules: workloadRules(a) },
        { name: "stackwright.storage", rules: storageRules(a) },
        { name: "stackwright.postgresql", rules: postgresRules(a) },
        { name: "stackwright.redis", rules: redisRules(a) },
        { name: "stackwright.backups", rules: backupRules(a) },
        { name: "stackwright.logging", rules: loggingRules(a) },
    ];
    return groups.filter((g) => g.rules.length > 0);
}

/** Recording groups first: what a PrometheusRule's spec.groups should hold. */
export function prometheusRuleGroups(args: AlertRulesArgs): (RuleGroup | RecordingRuleGroup)[] {
    return [...recordingRuleGroups(), ...alertRuleGroups(args)];
}

// ---------------------------------------------------------------------------------------------------------------

type Resolved = Required<Omit<AlertRulesArgs, "runbookBaseUrl" | "logCollectorNamespace">> & {
    readonly runbookBaseUrl?: string;
    readonly logCollectorNamespace?: string;
};

function resolveArgs(args: AlertRulesArgs): Resolved {
    const r: Resolved = {
        namespaces: args.namespaces,
        services: args.services ?? [],
        backupCronJobs: args.backupCronJobs ?? [],
        postgresClusters: args.postgresClusters ?? [],
        redisNamespaces: args.redisNamespaces ?? [],
        istioEnabled: args.istioEnabled ?? false,
        runbookBaseUrl: args.runbookBaseUrl,
        logCollectorNamespace: args.logCollectorNamespace,
        serviceDownForMinutes: args.serviceDownForMinutes ?? 1,
        errorRatePercent: args.errorRatePercent ?? 5,
        errorRateForMinutes: args.errorRateForMinutes ?? 5,
        latencyForMinutes: args.latencyForMinutes ?? 5,
        cpuLimitPercent: args.cpuLimitPercent ?? 80,
        cpuForMinutes: args.cpuForMinutes ?? 10,
        memoryLimitPercent: args.memoryLimitPercent ?? 90,
        memoryForMinutes: args.memoryForMinutes ?? 5,
        crashLoopRestartsIn15Minutes: args.crashLoopRestartsIn15Minutes ?? 3,
        crashLoopForMinutes: args.crashLoopForMinutes ?? 5,
        replicasMismatchForMinutes: args.replicasMismatchForMinutes ?? 15,
        pvcFullPercent: args.pvcFullPercent ?? 85,
        pvcCriticalPercent: args.pvcCriticalPercent ?? 95,
        pvcForMinutes: args.pvcForMinutes ?? 5,
        postgresReplicationLagSeconds: args.postgresReplicationLagSeconds ?? 30,
        postgresReplicationLagForMinutes: args.postgresReplicationLagForMinutes ?? 5,
        postgresConnectionsPercent: args.postgresConnectionsPercent ?? 80,
        postgresConnectionsForMinutes: args.postgresConnectionsForMinutes ?? 5,
        connectionPoolMaxWaitSeconds: args.connectionPoolMaxWaitSeconds ?? 5,
        connectionPoolExhaustedForMinutes: args.connectionPoolExhaustedForMinutes ?? 2,
        redisMemoryPercent: args.redisMemoryPercent ?? 90,
        redisMemoryForMinutes: args.redisMemoryForMinutes ?? 5,
        redisDownForMinutes: args.redisDownForMinutes ?? 1,
        postgresDownForMinutes: args.postgresDownForMinutes ?? 1,
        walArchiveMaxAgeSeconds: args.walArchiveMaxAgeSeconds ?? 900,
        walArchiveForMinutes: args.walArchiveForMinutes ?? 5,
        logCollectionStoppedForMinutes: args.logCollectionStoppedForMinutes ?? 10,
    };
    validate(r);
    return r;
}

// Kubernetes object names (DNS-1123). Validating them also keeps quotes and regex metacharacters out of PromQL.
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function validate(r: Resolved): void {
    if (r.namespaces.length === 0) throw new Error("alert rules: namespaces must not be empty");
    const names: [string, string][] = [
        ...r.namespaces.map((n): [string, string] => ["namespace", n]),
        ...r.redisNamespaces.map((n): [string, string] => ["redisNamespaces", n]),
        ...(r.logCollectorNamespace !== undefined
            ? [["logCollectorNamespace", r.logCollectorNamespace] as [string, string]]
            : []),
        ...r.services.flatMap((s): [string, string][] => [
            ["service", s.name],
            ["service namespace", s.namespace],
        ]),
        ...r.backupCronJobs.flatMap((c): [string, string][] => [
            ["CronJob", c.name],
            ["CronJob namespace", c.namespace],
        ]),
        ...r.postgresClusters.flatMap((c): [string, string][] => [
            ["Postgres cluster", c.name],
            ["Postgres namespace", c.namespace],
        ]),
    ];
    for (const [what, value] of names) {
        if (!K8S_NAME.test(value)) throw new Error(`alert rules: ${what} "${value}" is not a valid Kubernetes name`);
    }
    const percents: [string, number][] = [
        ["errorRatePercent", r.errorRatePercent],
        ["cpuLimitPercent", r.cpuLimitPercent],
        ["memoryLimitPercent", r.memoryLimitPercent],
        ["pvcFullPercent", r.pvcFullPercent],
        ["pvcCriticalPercent", r.pvcCriticalPercent],
        ["postgresConnectionsPercent", r.postgresConnectionsPercent],
        ["redisMemoryPercent", r.redisMemoryPercent],
    ];
    for (const [what, value] of percents) {
        if (!(value > 0 && value <= 100)) throw new Error(`alert rules: ${what} must be in (0, 100], got ${value}`);
    }
    if (r.pvcCriticalPercent <= r.pvcFullPercent) {
        throw new Error("alert rules: pvcCriticalPercent must be above pvcFullPercent");
    }
    for (const [key, value] of Object.entries(r)) {
        if (typeof value === "number" && !(Number.isFinite(value) && value >= 0)) {
            throw new Error(`alert rules: ${key} must be a finite non-negative number, got ${value}`);
        }
    }
    for (const s of r.services) {
        const t = s.latencyP95TargetMs ?? DEFAULT_LATENCY_P95_TARGET_MS;
        if (!(t > 0)) throw new Error(`alert rules: latencyP95TargetMs of ${s.name} must be positive`);
    }
    for (const c of r.backupCronJobs) {
        if (!(c.maxAgeSeconds > 0)) throw new Error(`alert rules: maxAgeSeconds of CronJob ${c.name} must be positive`);
    }
    for (const c of r.postgresClusters) {
        const maxAge = c.objectStore?.baseBackupMaxAgeSeconds;
        if (maxAge !== undefined && !(Number.isFinite(maxAge) && maxAge > 0)) {
            throw new Error(`alert rules: baseBackupMaxAgeSeconds of Postgres cluster ${c.name} must be positive`);
        }
    }
    if (!(r.walArchiveMaxAgeSeconds > 0)) throw new Error("alert rules: walArchiveMaxAgeSeconds must be positive");
    const dup = (keys: string[]) => keys.find((k, i) => keys.indexOf(k) !== i);
    const dupService = dup(r.services.map((s) => `${s.namespace}/${s.name}`));
    if (dupService) throw new Error(`alert rules: service ${dupService} listed twice`);
    const dupCronJob = dup(r.backupCronJobs.map((c) => `${c.namespace}/${c.name}`));
    if (dupCronJob) throw new Error(`alert rules: CronJob ${dupCronJob} listed twice`);
}

function minutes(value: number): string {
    return `${value}m`;
}

/** `label=~"a|b"` for a set of exact values (names are validated, only dots need escaping). */
function oneOf(label: string, values: readonly string[]): string {
    const unique = [...new Set(values)].sort();
    return `${label}=~"${unique.map((v) => v.replace(/\./g, "\\\\.")).join("|")}"`;
}

function alert(
    r: Resolved,
    name: string,
    severity: Severity,
    forDuration: string,
    expr: string,
    summary: string,
    description: string,
): AlertRule {
    const runbook = r.runbookBaseUrl
        ? { runbook_url: `${r.runbookBaseUrl.replace(/#.*$/, "")}#${name.toLowerCase()}` }
        : {};
    return {
        alert: name,
        expr,
        for: forDuration,
        labels: { severity },
        annotations: { summary, description, ...runbook },
    };
}

/** Groups items by a key, keeping first-seen order (deterministic rule text). */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
    const groups = new Map<string, T[]>();
    for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
    return [...groups.values()];
}

function serviceRules(r: Resolved): AlertRule[] {
    const requests = SERVICE_METRIC_CONTRACT.requestsTotal.name;
    const buckets = `${SERVICE_METRIC_CONTRACT.requestDurationSeconds.name}_bucket`;
    const ns = oneOf("namespace", r.namespaces);
    const rules: AlertRule[] = [];
    // One rule per alert name (OR of per-target clauses): rules sharing name and labels would trip promtool's
    // duplicate-rules lint and make `for` state ambiguous.
    const byNamespace = groupBy(r.services, (s) => s.namespace);

    if (r.services.length > 0) {
        const allDown = byNamespace.map(
            (group) =>
                `(sum by (namespace, service) (up{namespace="${group[0].namespace}", ${oneOf(
                    "service",
                    group.map((s) => s.name),
                )}}) == 0)`,
        );
        // absent(): with no scrape target at all (no ready endpoints, deleted Service) `up` has no series.
        const noTarget = r.services.map((s) => `absent(up{namespace="${s.namespace}", service="${s.name}"})`);
        rules.push(
            alert(
                r,
                "ServiceDown",
                "critical",
                minutes(r.serviceDownForMinutes),
                [...allDown, ...noTarget].join("\nor\n"),
                "Service {{ $labels.namespace }}/{{ $labels.service }} is down",
                `No instance of {{ $labels.namespace }}/{{ $labels.service }} has answered a metrics scrape for ` +
                    `${r.serviceDownForMinutes} minute(s) (every target down, or no target at all).`,
            ),
        );
    }

    rules.push(
        alert(
            r,
            "ServiceHighErrorRate",
            "critical",
            minutes(r.errorRateForMinutes),
            `(\n  sum by (namespace, service) (rate(${requests}{${ns}, status=~"5.."}[5m]))\n  /\n` +
                `  sum by (namespace, service) (rate(${requests}{${ns}}[5m]))\n) * 100 > ${r.errorRatePercent}`,
            'Service {{ $labels.namespace }}/{{ $labels.service }} answers {{ $value | printf "%.1f" }}% 5xx',
            `More than ${r.errorRatePercent}% of requests to {{ $labels.namespace }}/{{ $labels.service }} failed with a 5xx ` +
                `status for ${r.errorRateForMinutes} minutes.`,
        ),
    );

    if (r.services.length > 0) {
        const targetOf = (s: ServiceAlertTarget) => s.latencyP95TargetMs ?? DEFAULT_LATENCY_P95_TARGET_MS;
        const clauses = groupBy(r.services, (s) => `${s.namespace}/${targetOf(s)}`).map(
            (group) =>
                `(\n  histogram_quantile(0.95, sum by (namespace, service, le) (rate(${buckets}{namespace="${group[0].namespace}", ` +
                `${oneOf(
                    "service",
                    group.map((s) => s.name),
                )}}[5m])))\n  > ${targetOf(group[0]) / 1000}\n)`,
        );
        const targets = r.services.map((s) => `${s.namespace}/${s.name} ${targetOf(s)} ms`).join(", ");
        rules.push(
            alert(
                r,
                "ServiceHighLatencyP95",
                "warning",
                minutes(r.latencyForMinutes),
                clauses.join("\nor\n"),
                "Service {{ $labels.namespace }}/{{ $labels.service }} p95 latency is {{ $value | humanizeDuration }}",
                `The 95th percentile request latency of {{ $labels.namespace }}/{{ $labels.service }} has been above its ` +
                    `target for ${r.latencyForMinutes} minutes (targets: ${targets}).`,
            ),
        );
    }

    if (r.istioEnabled) {
        const meshNs = oneOf("destination_service_namespace", r.namespaces);
        const ratio =
            `sum by (destination_service_namespace, destination_service_name) ` +
            `(rate(istio_requests_total{reporter="destination", ${meshNs}, response_code=~"5.."}[5m]))\n  /\n  ` +
            `sum by (destination_service_namespace, destination_service_name) ` +
            `(rate(istio_requests_total{reporter="destination", ${meshNs}}[5m]))`;
        // Renamed to namespace/service so routing, grouping and inhibition treat it like the app's own alert.
        const renamed =
            `label_replace(label_replace(\n  ${ratio},\n` +
            `  "namespace", "$1", "destination_service_namespace", "(.*)"), "service", "$1", "destination_service_name", "(.*)")`;
        rules.push(
            alert(
                r,
                "MeshServiceHighErrorRate",
                "critical",
                minutes(r.errorRateForMinutes),
                `max by (namespace, service) (\n${renamed}\n) * 100 > ${r.errorRatePercent}`,
                'Mesh sees {{ $value | printf "%.1f" }}% 5xx for {{ $labels.namespace }}/{{ $labels.service }}',
                `Istio sidecars report more than ${r.errorRatePercent}% 5xx responses from {{ $labels.namespace }}/{{ $labels.service }} ` +
                    `for ${r.errorRateForMinutes} minutes (includes failures the application never saw, such as 503 from an empty pool).`,
            ),
        );
    }
    return rules;
}

function workloadRules(r: Resolved): AlertRule[] {
    const ns = oneOf("namespace", r.namespaces);
    // container!="" drops pod-level cgroup rows; image!="" drops the pause container.
    const containers = `${ns}, container!="", image!=""`;
    return [
        alert(
            r,
            "ContainerCpuNearLimit",
            "warning",
            minutes(r.cpuForMinutes),
            `(\n  sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{${containers}}[5m]))\n  /\n` +
                `  sum by (namespace, pod, container) (kube_pod_container_resource_limits{${ns}, resource="cpu"})\n) * 100 > ${r.cpuLimitPercent}`,
            'Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} uses {{ $value | printf "%.0f" }}% of its CPU limit',
            `CPU use has been above ${r.cpuLimitPercent}% of the container's limit for ${r.cpuForMinutes} minutes; ` +
                "it is being throttled or about to be. Raise the limit or scale out.",
        ),
        alert(
            r,
            "ContainerMemoryNearLimit",
            "warning",
            minutes(r.memoryForMinutes),
            `(\n  sum by (namespace, pod, container) (container_memory_working_set_bytes{${containers}})\n  /\n` +
                `  sum by (namespace, pod, container) (kube_pod_container_resource_limits{${ns}, resource="memory"})\n) * 100 > ${r.memoryLimitPercent}`,
            'Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} uses {{ $value | printf "%.0f" }}% of its memory limit',
            `Working-set memory has been above ${r.memoryLimitPercent}% of the container's limit for ${r.memoryForMinutes} minutes; ` +
                "the kernel OOM-kills it at 100%.",
        ),
        alert(
            r,
            "PodCrashLooping",
            "critical",
            minutes(r.crashLoopForMinutes),
            `max by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${ns}}[15m]))\n>= ${r.crashLoopRestartsIn15Minutes}`,
            "Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} is crash looping",
            `The container restarted {{ $value | printf "%.0f" }} times in 15 minutes (threshold ${r.crashLoopRestartsIn15Minutes}). ` +
                "Check `kubectl logs --previous` and the pod's events.",
        ),
        alert(
            r,
            "DeploymentReplicasMismatch",
            "warning",
            minutes(r.replicasMismatchForMinutes),
            `max by (namespace, deployment) (kube_deployment_spec_replicas{${ns}})\n!=\n` +
                `max by (namespace, deployment) (kube_deployment_status_replicas_available{${ns}})`,
            "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} does not have its desired replicas",
            `Available replicas have differed from the desired count for ${r.replicasMismatchForMinutes} minutes ` +
                "(unschedulable pods, failing readiness, or a stuck rollout).",
        ),
    ];
}

function storageRules(r: Resolved): AlertRule[] {
    const ns = oneOf("namespace", r.namespaces);
    const usedPercent =
        `(\n  1 - max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_available_bytes{${ns}})\n  /\n` +
        `  max by (namespace, persistentvolumeclaim) (kubelet_volume_stats_capacity_bytes{${ns}})\n) * 100`;
    const description = (p: number) =>
        `Volume claim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is more than ${p}% full ` +
        `({{ $value | printf "%.1f" }}%) for ${r.pvcForMinutes} minutes. Expand the claim or free space.`;
    // Same alert name at two severities: Alertmanager's inhibition silences the warning while the critical fires.
    return [
        alert(
            r,
            "PersistentVolumeFillingUp",
            "warning",
            minutes(r.pvcForMinutes),
            `${usedPercent} > ${r.pvcFullPercent}`,
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is filling up",
            description(r.pvcFullPercent),
        ),
        alert(
            r,
            "PersistentVolumeFillingUp",
            "critical",
            minutes(r.pvcForMinutes),
            `${usedPercent} > ${r.pvcCriticalPercent}`,
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is almost full",
            description(r.pvcCriticalPercent),
        ),
    ];
}

function postgresRules(r: Resolved): AlertRule[] {
    if (r.postgresClusters.length === 0) return [];
    const ns = oneOf(
        "namespace",
        r.postgresClusters.map((c) => c.namespace),
    );
    const absentClusters = r.postgresClusters
        .map((c) => `absent(cnpg_collector_up{namespace="${c.namespace}", cluster="${c.name}"})`)
        .join("\nor\n");
    const backends = `sum by (namespace, pod) (cnpg_backends_total{${ns}})`;
    const setting = (name: string) => `max by (namespace, pod) (cnpg_pg_settings_setting{${ns}, name="${name}"})`;
    const rules = [
        alert(
            r,
            "PostgresInstanceDown",
            "critical",
            minutes(r.postgresDownForMinutes),
            `(max by (namespace, cluster, pod) (cnpg_collector_up{${ns}}) == 0)\nor\n${absentClusters}`,
            "PostgreSQL {{ $labels.namespace }}/{{ $labels.cluster }} {{ $labels.pod }} is down",
            "The CloudNativePG exporter reports PostgreSQL down, or no instance of the cluster reports at all " +
                `for ${r.postgresDownForMinutes} minute(s).`,
        ),
        alert(
            r,
            "PostgresReplicationLagHigh",
            "warning",
            minutes(r.postgresReplicationLagForMinutes),
            `max by (namespace, pod) (cnpg_pg_replication_lag{${ns}}) > ${r.postgresReplicationLagSeconds}`,
            "PostgreSQL replica {{ $labels.namespace }}/{{ $labels.pod }} lags {{ $value | humanizeDuration }}",
            `The standby has been more than ${r.postgresReplicationLagSeconds} s behind the primary for ` +
                `${r.postgresReplicationLagForMinutes} minutes; a failover now would lose those transactions.`,
        ),
        alert(
            r,
            "PostgresConnectionsNearMax",
            "warning",
            minutes(r.postgresConnectionsForMinutes),
            `${backends}\n/\n${setting("max_connections")}\n* 100 > ${r.postgresConnectionsPercent}`,
            'PostgreSQL {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | printf "%.0f" }}% of max_connections',
            `Client backends have been above ${r.postgresConnectionsPercent}% of max_connections for ` +
                `${r.postgresConnectionsForMinutes} minutes. Put a pooler in front or shrink application pools.`,
        ),
        alert(
            r,
            "DatabaseConnectionPoolExhausted",
            "critical",
            minutes(r.connectionPoolExhaustedForMinutes),
            // Either the server has no slot left for ordinary roles, or PgBouncer keeps clients queueing.
            `(\n  ${backends}\n  >=\n  ${setting("max_connections")} - ${setting("superuser_reserved_connections")}\n)\nor\n` +
                `max by (namespace, pod, database) (cnpg_pgbouncer_pools_maxwait{${ns}, database!="pgbouncer"})\n>= ${r.connectionPoolMaxWaitSeconds}`,
            "Database connections exhausted at {{ $labels.namespace }}/{{ $labels.pod }}",
            "PostgreSQL has no connection slot left for application roles, or PgBouncer clients have waited more than " +
                `${r.connectionPoolMaxWaitSeconds} s for a server connection, for ${r.connectionPoolExhaustedForMinutes} minutes. ` +
                "New requests fail or hang.",
        ),
    ];
    return [...rules, ...walArchivingRules(r)];
}

/** Instances of one CloudNativePG cluster: pods are named `<cluster>-<serial>` (poolers never match). */
function instancesOf(c: PostgresClusterTarget): string {
    return `namespace="${c.namespace}", pod=~"${c.name.replace(/\./g, "\\\\.")}-[0-9]+"`;
}

/** Adds the `cluster` label (the instance metrics of the PodMonitor carry only namespace and pod). */
function withCluster(c: PostgresClusterTarget, expr: string): string {
    return `label_replace(\n${expr},\n"cluster", "${c.name}", "", "")`;
}

function walArchivingRules(r: Resolved): AlertRule[] {
    const archiving = r.postgresClusters.filter((c) => c.objectStore !== undefined);
    if (archiving.length === 0) return [];
    // pg_stat_archiver is exported by the primary only (CloudNativePG's predicate: not in recovery).
    const stat = (c: PostgresClusterTarget, column: string) =>
        `max by (namespace, pod) (cnpg_pg_stat_archiver_${column}{${instancesOf(c)}})`;
    const stalled = archiving.map((c) =>
        withCluster(
            c,
            // -1: nothing archived since the statistics were reset. Only while segments wait in archive_status/*.ready:
            // an idle server switches no segment (archive_timeout needs activity) and has nothing to archive.
            `(\n  ${stat(c, "seconds_since_last_archival")} > ${r.walArchiveMaxAgeSeconds}\n  or\n` +
                `  ${stat(c, "seconds_since_last_archival")} < 0\n)\nand on (namespace, pod)\n` +
                `(max by (namespace, pod) (cnpg_collector_pg_wal_archive_status{${instancesOf(c)}, value="ready"}) > 0)`,
        ),
    );
    const failing = archiving.map((c) =>
        withCluster(
            c,
            // Failures that a retry has not yet made good: one transient upload error is not an alert.
            `max by (namespace, pod) (increase(cnpg_pg_stat_archiver_failed_count{${instancesOf(c)}}[10m])) > 0\n` +
                `and on (namespace, pod)\n(${stat(c, "last_failed_time")} > ${stat(c, "last_archived_time")})`,
        ),
    );
    return [
        alert(
            r,
            "PostgresWalArchivingStalled",
            "critical",
            minutes(r.walArchiveForMinutes),
            stalled.join("\nor\n"),
            "WAL archiving of {{ $labels.namespace }}/{{ $labels.cluster }} is stalled on {{ $labels.pod }}",
            `WAL segments are waiting to be archived and none has reached the object store for more than ` +
                `${r.walArchiveMaxAgeSeconds} s (requirement: WAL every 15 minutes), for ${r.walArchiveForMinutes} minutes. ` +
                "Point-in-time recovery loses everything since the last archived segment, and pg_wal keeps growing.",
        ),
        alert(
            r,
            "PostgresWalArchivingFailing",
            "warning",
            minutes(r.walArchiveForMinutes),
            failing.join("\nor\n"),
            "WAL archiving of {{ $labels.namespace }}/{{ $labels.cluster }} fails on {{ $labels.pod }}",
            "archive_command (the Barman Cloud plugin) has kept failing for " +
                `${r.walArchiveForMinutes} minutes and no segment has been archived since the last failure. ` +
                "Check the plugin sidecar's logs, the object-store credentials and the bucket.",
        ),
    ];
}

function redisRules(r: Resolved): AlertRule[] {
    if (r.redisNamespaces.length === 0) return [];
    const ns = oneOf("namespace", r.redisNamespaces);
    const absentNs = r.redisNamespaces.map((n) => `absent(redis_up{namespace="${n}"})`).join("\nor\n");
    return [
        alert(
            r,
            "RedisDown",
            "critical",
            minutes(r.redisDownForMinutes),
            `(max by (namespace, pod) (redis_up{${ns}}) == 0)\nor\n${absentNs}`,
            "Redis {{ $labels.namespace }}/{{ $labels.pod }} is down",
            "redis_exporter cannot reach its Redis/Valkey server, or no exporter reports in the namespace, " +
                `for ${r.redisDownForMinutes} minute(s).`,
        ),
        alert(
            r,
            "RedisMemoryNearMax",
            "warning",
            minutes(r.redisMemoryForMinutes),
            // maxmemory 0 means unlimited: those instances are left to ContainerMemoryNearLimit.
            `max by (namespace, pod) (redis_memory_used_bytes{${ns}})\n/\n` +
                `max by (namespace, pod) (redis_memory_max_bytes{${ns}} > 0)\n* 100 > ${r.redisMemoryPercent}`,
            'Redis {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | printf "%.0f" }}% of maxmemory',
            `used_memory has been above ${r.redisMemoryPercent}% of maxmemory for ${r.redisMemoryForMinutes} minutes; ` +
                "the eviction policy starts dropping keys or writes fail.",
        ),
    ];
}

function backupRules(r: Resolved): AlertRule[] {
    return [...cronJobBackupRules(r), ...baseBackupRules(r)];
}

function loggingRules(r: Resolved): AlertRule[] {
    if (r.logCollectorNamespace === undefined) return [];
    // Alloy's loki.write counts the entries Loki accepted. No series (collector down or not scraped) counts as zero:
    // a live cluster always logs something (Loki and Prometheus themselves, at least).
    const sent = `sum(rate(loki_write_sent_entries_total{namespace="${r.logCollectorNamespace}"}[5m]))`;
    return [
        alert(
            r,
            "LogCollectionStopped",
            "warning",
            minutes(r.logCollectionStoppedForMinutes),
            `(${sent} or vector(0)) == 0`,
            "No log lines reach Loki",
            `The log collector (Grafana Alloy in ${r.logCollectorNamespace}) has delivered nothing to Loki for ` +
                `${r.logCollectionStoppedForMinutes} minutes: it is down or not scraped, or Loki refuses its pushes. ` +
                "Logs of this period may be missing; check the alloy and loki pods.",
        ),
    ];
}

function baseBackupRules(r: Resolved): AlertRule[] {
    const archiving = r.postgresClusters.filter((c) => c.objectStore !== undefined);
    if (archiving.length === 0) return [];
    // The Barman Cloud plugin's metric: CloudNativePG's own cnpg_collector_last_available_backup_timestamp is not set
    // for plugin backups. The plugin reports 0 before the first backup, which reads as very old.
    const metric = "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";
    const stale = archiving.map((c) =>
        withCluster(
            c,
            `(time() - max by (namespace) (${metric}{${instancesOf(c)}}) > ${c.objectStore!.baseBackupMaxAgeSeconds})\n` +
                // No series at all: the plugin does not report, so staleness would go unnoticed.
                `or\nabsent(${metric}{${instancesOf(c)}})`,
        ),
    );
    const maxAges = archiving
        .map((c) => `${c.namespace}/${c.name} ${c.objectStore!.baseBackupMaxAgeSeconds} s`)
        .join(", ");
    return [
        alert(
            r,
            "PostgresBaseBackupTooOld",
            "critical",
            "5m",
            stale.join("\nor\n"),
            "Base backup of {{ $labels.namespace }}/{{ $labels.cluster }} is too old",
            "The newest base backup in the object store is older than the ScheduledBackups allow (interval + grace; " +
                `${maxAges}), or the Barman Cloud plugin reports no backup metric. Point-in-time recovery needs a recent base ` +
                "backup plus every WAL segment since: restores get slower and the recovery window is at risk.",
        ),
    ];
}

function cronJobBackupRules(r: Resolved): AlertRule[] {
    if (r.backupCronJobs.length === 0) return [];
    const cronSel = (group: readonly BackupCronJobTarget[]) =>
        `namespace="${group[0].namespace}", ${oneOf(
            "cronjob",
            group.map((c) => c.name),
        )}`;
    const lastSuccess = (group: readonly BackupCronJobTarget[]) =>
        `max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${cronSel(group)}})`;

    const failed = groupBy(r.backupCronJobs, (c) => c.namespace).map((group) => {
        const jobs = `namespace="${group[0].namespace}"`;
        // Start time of the most recent failed Job owned by each CronJob, labelled with the CronJob name.
        const lastFailedStart =
            `max by (namespace, cronjob) (label_replace(\n` +
            `  (\n    kube_job_status_start_time{${jobs}}\n` +
            `    * on (namespace, job_name) group_left (owner_name)\n` +
            `    max by (namespace, job_name, owner_name) (kube_job_owner{${jobs}, owner_kind="CronJob", ` +
            `${oneOf(
                "owner_name",
                group.map((c) => c.name),
            )}})\n  )\n` +
            `  and on (namespace, job_name)\n` +
            `  (max by (namespace, job_name) (kube_job_failed{${jobs}, condition="true"}) == 1),\n` +
            `  "cronjob", "$1", "owner_name", "(.+)"\n))`;
        // Only while the failure is newer than the last success: a later good run clears it.
        return `(${lastFailedStart}\n> ${lastSuccess(group)})\nor\n(${lastFailedStart}\nunless ${lastSuccess(group)})`;
    });

    const stale = groupBy(r.backupCronJobs, (c) => `${c.namespace}/${c.maxAgeSeconds}`).map((group) => {
        const maxAge = group[0].maxAgeSeconds;
        return (
            `(time() - ${lastSuccess(group)} > ${maxAge})\nor\n` +
            `((time() - max by (namespace, cronjob) (kube_cronjob_created{${cronSel(group)}}) > ${maxAge})\n` +
            ` unless ${lastSuccess(group)})`
        );
    });
    // A missing or renamed CronJob must not silently switch the staleness alert off.
    const missing = r.backupCronJobs.map(
        (c) => `absent(kube_cronjob_created{namespace="${c.namespace}", cronjob="${c.name}"})`,
    );
    const maxAges = r.backupCronJobs.map((c) => `${c.namespace}/${c.name} ${c.maxAgeSeconds} s`).join(", ");

    return [
        alert(
            r,
            "BackupJobFailed",
            "warning",
            "1m",
            failed.join("\nor\n"),
            "Backup CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} failed",
            "The latest run of {{ $labels.namespace }}/{{ $labels.cronjob }} failed (backoff limit or deadline reached) " +
                "and no run has succeeded since. Check the Job's pod logs; the backup is not being taken.",
        ),
        alert(
            r,
            "BackupTooOld",
            "critical",
            "5m",
            [...stale, ...missing].join("\nor\n"),
            "Backup {{ $labels.namespace }}/{{ $labels.cronjob }} has not succeeded within its schedule",
            "{{ $labels.namespace }}/{{ $labels.cronjob }} has no successful run within its schedule interval + grace, " +
                `or the CronJob does not exist (max ages: ${maxAges}). The recovery point objective is at risk.`,
        ),
    ];
}
