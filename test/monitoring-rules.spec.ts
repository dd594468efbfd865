/**
 * Alert rules, Alertmanager config and Grafana dashboards, checked with the real Prometheus tools:
 * `promtool check rules` / `promtool test rules` (Debian package prometheus) and `amtool check-config` /
 * `amtool config routes test` (prometheus-alertmanager). A missing tool skips its tests locally, fails in CI.
 *
 * The rule tests run on what each stack really deploys: the groups of the PrometheusRule(s) rendered by the program
 * (test/lib/harness.ts) for dev, staging and prod, plus prod with `postgres.objectStore` (the stack files set none:
 * its keys are secrets). Their synthetic series come from that stack's config and rendered objects: namespaces,
 * services and latency targets, the CloudNativePG cluster, the backup CronJobs and ScheduledBackups, thresholds.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseConfig, StackConfig } from "../config";
import {
    AlertRule,
    alertRuleGroups,
    DEFAULT_LATENCY_P95_TARGET_MS,
    RecordingRuleGroup,
    recordingRuleGroups,
    RuleGroup,
} from "../lib/monitoring/alert-rules";
import { backupMaxAgeSeconds, scheduledBackupMaxAgeSeconds } from "../lib/cron";
import {
    alertmanagerConfig,
    CRITICAL_RECEIVER,
    NULL_RECEIVER,
    toYaml,
    WARNING_RECEIVER,
} from "../lib/monitoring/alertmanager";
import {
    GRAFANA_CORE_PANEL_TYPES,
    GRAFANA_NEWEST_DASHBOARD_SCHEMA,
    grafanaMajor,
    grafanaVersionOfChart,
    KPS_GRAFANA_VERSIONS,
} from "../lib/monitoring/grafana";
import { knownMetricNames, METRICS_CATALOG, RECORDING_RULE_NAMES } from "../lib/monitoring/metrics-catalog";
import { metricNamesInPromql, metricNamesInVariableQuery } from "../lib/monitoring/promql-metrics";
import { REDIS_NAME } from "../lib/topology";
import {
    KubeManifest,
    kubeObjects,
    readStackConfig,
    renderStack,
    RenderedStack,
    STACKS,
    StackName,
} from "./lib/harness";
import { needTool, run } from "./lib/tools";

const DASHBOARD_DIR = path.resolve(__dirname, "..", "dashboards");
const DASHBOARD_FILES = ["service-overview.json", "postgresql.json", "redis.json", "backups.json"];

// ---------------------------------------------------------------------------------------------------------------
// Files

// Set by the top-level describe's before() hook; removed in its after().
let tmpDir: string;

function writeYaml(name: string, value: unknown): string {
    const file = path.join(tmpDir, name);
    fs.writeFileSync(file, yaml.dump(value, { noRefs: true, lineWidth: -1 }));
    return file;
}

// ---------------------------------------------------------------------------------------------------------------
// The rendered stacks and the values their synthetic series are built from

interface Variant {
    readonly name: string;
    readonly stack: StackName;
    readonly overrides: Record<string, unknown>;
}

/** Object storage for WAL archiving and base backups (set with `pulumi config set --secret` in a real stack). */
const TEST_OBJECT_STORE = {
    destinationPath: "s3://stackwright-test/postgres",
    accessKeyId: "test-key-id",
    secretAccessKey: "test-secret",
};

const VARIANTS: readonly Variant[] = [
    ...STACKS.map((stack) => ({ name: stack, stack, overrides: {} })),
    {
        name: "prod+objectStore",
        stack: "prod",
        overrides: { postgres: { ...(readStackConfig("prod").postgres as object), objectStore: TEST_OBJECT_STORE } },
    },
];

/** The product's recovery point: transaction log (WAL) archived every 15 minutes. */
const WAL_REQUIREMENT_SECONDS = 15 * 60;
/** Alert defaults that are requirements rather than config (lib/monitoring/alert-rules.ts). */
const CRASH_LOOP_RESTARTS = 3;
const PVC_CRITICAL_PERCENT = 95;
const POOL_MAX_WAIT_SECONDS = 5;
const SUPERUSER_RESERVED_CONNECTIONS = 3;

/** What a stack's series are built from: its config and the objects it renders. */
interface StackValues {
    readonly variant: string;
    readonly apps: string;
    /** Data namespace, when the stack has one. */
    readonly data?: string;
    /** Services with a metrics endpoint (at least two), with their p95 target in seconds. */
    readonly services: readonly { readonly name: string; readonly latencyTarget: number }[];
    readonly mesh: boolean;
    readonly postgres?: {
        readonly cluster: string;
        readonly maxConnections: number;
        /** The PgBouncer Pooler, when configured. */
        readonly pooler?: string;
        /** Oldest acceptable base backup, from the rendered ScheduledBackups; only with object storage. */
        readonly baseBackupMaxAgeSeconds?: number;
    };
    readonly redis: boolean;
    /** The log collector's namespace, when logging is on. */
    readonly logging?: string;
    /** Scheduled (not suspended) backup CronJobs with their staleness limit. */
    readonly cronJobs: readonly { readonly name: string; readonly maxAgeSeconds: number }[];
    readonly thresholds: StackConfig["monitoring"]["thresholds"];
}

function stackValues(variant: Variant, cfg: StackConfig, rendered: RenderedStack): StackValues {
    const objects = kubeObjects(rendered.resources);
    const inData = (kind: string) =>
        objects.filter((o) => o.kind === kind && o.metadata?.namespace === cfg.namespaces.data);
    const clusters = inData("Cluster").filter((o) => o.apiVersion === "postgresql.cnpg.io/v1");
    const pooler = inData("Pooler")[0];
    const scheduledBackups = inData("ScheduledBackup");
    const services = Object.entries(cfg.services)
        .filter(([, svc]) => svc.metrics !== undefined)
        .map(([name, svc]) => ({
            name,
            latencyTarget: (svc.latencyTargetMilliseconds ?? DEFAULT_LATENCY_P95_TARGET_MS) / 1000,
        }));
    expect(services.length, `${variant.name}: services with metrics`).to.be.at.least(2);
    expect(clusters.length, `${variant.name}: CloudNativePG clusters`).to.be.at.most(1);
    return {
        variant: variant.name,
        apps: cfg.namespaces.apps,
        data: cfg.postgres.enabled || cfg.redis.enabled || cfg.backups.enabled ? cfg.namespaces.data : undefined,
        services,
        mesh: cfg.mesh.enabled,
        postgres: clusters[0] && {
            cluster: clusters[0].metadata.name,
            maxConnections: cfg.postgres.maxConnections,
            pooler: pooler?.metadata.name,
            baseBackupMaxAgeSeconds:
                scheduledBackups.length > 0
                    ? scheduledBackupMaxAgeSeconds(scheduledBackups.map((o: KubeManifest) => o.spec.schedule))
                    : undefined,
        },
        redis: cfg.redis.enabled,
        logging: cfg.logging.enabled ? cfg.namespaces.logging : undefined,
        cronJobs: inData("CronJob")
            .filter((o) => !o.spec.suspend)
            .map((o) => ({ name: o.metadata.name, maxAgeSeconds: backupMaxAgeSeconds(o.spec.schedule) })),
        thresholds: cfg.monitoring.thresholds,
    };
}

/** spec.groups of every PrometheusRule the stack renders. */
function renderedRuleGroups(rendered: RenderedStack): (RuleGroup | RecordingRuleGroup)[] {
    const rules = kubeObjects(rendered.resources).filter(
        (o) => o.apiVersion === "monitoring.coreos.com/v1" && o.kind === "PrometheusRule",
    );
    expect(rules.length, `${rendered.stack}: PrometheusRules`).to.be.greaterThan(0);
    return rules.flatMap((r) => r.spec.groups as (RuleGroup | RecordingRuleGroup)[]);
}

function alertRulesOf(groups: readonly (RuleGroup | RecordingRuleGroup)[]): AlertRule[] {
    return groups.flatMap((g) => g.rules.filter((r): r is AlertRule => "alert" in r));
}

// ---------------------------------------------------------------------------------------------------------------
// Synthetic series. Keys are PromQL series notations built by `S`, so scenarios can replace or drop them.

type SeriesSet = Map<string, string>;
type Labels = Record<string, string>;

function S(metric: string, labels: Labels): string {
    return `${metric}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(", ")}}`;
}

const SAMPLES = 40; // one per minute; scenarios are evaluated at 30m (time() = 1800)
const EVAL_SECONDS = 1800;
const num = (v: number) => String(Math.round(v * 1000) / 1000);
const flat = (v: number) => `${num(v)}x${SAMPLES}`;
const growing = (perMinute: number) => `0+${num(perMinute)}x${SAMPLES}`;
/** Requests per minute of every service (counter increase). */
const RPM = 600;

/** A value clearly above / below a percentage threshold (staying within 0-100). */
const over = (percent: number) => Math.min(percent * 1.5, (percent + 100) / 2);
const under = (percent: number) => percent * 0.8;
/** 5xx per minute next to RPM successes, for a 5xx share of `percent`. */
const errorsPerMinute = (percent: number) => (RPM * percent) / (100 - percent);

/** The series keys of a stack, named after its own namespaces, services, cluster and CronJobs. */
function seriesKeys(v: StackValues) {
    const first = v.services[0].name;
    const container = (service: string) => ({ namespace: v.apps, pod: `${service}-1`, container: service });
    const data = v.data ?? v.apps;
    const cluster = v.postgres?.cluster ?? "none";
    const instance = (n: number) => ({ namespace: data, pod: `${cluster}-${n}` });
    const image = { image: "ghcr.io/stefanprodan/podinfo:6.9.2" };
    return {
        first,
        last: v.services[v.services.length - 1].name,
        container,
        pvcNamespace: data,
        instance,
        up: (service: string) => S("up", { namespace: v.apps, service, pod: `${service}-1`, job: service }),
        requests: (service: string, status: string) =>
            S("http_requests_total", { namespace: v.apps, service, pod: `${service}-1`, status }),
        bucket: (service: string, le: string) =>
            S("http_request_duration_seconds_bucket", {
                namespace: v.apps,
                service,
                pod: `${service}-1`,
                method: "GET",
                path: "api_v1_items",
                status: "200",
                le,
            }),
        mesh: (code: string) =>
            S("istio_requests_total", {
                namespace: v.apps,
                pod: `${first}-1`,
                reporter: "destination",
                destination_service_namespace: v.apps,
                destination_service_name: first,
                response_code: code,
            }),
        cpu: S("container_cpu_usage_seconds_total", { ...container(first), ...image }),
        cpuLimit: S("kube_pod_container_resource_limits", { ...container(first), resource: "cpu", unit: "core" }),
        memory: S("container_memory_working_set_bytes", { ...container(first), ...image }),
        memoryLimit: S("kube_pod_container_resource_limits", { ...container(first), resource: "memory", unit: "byte" }),
        restarts: (service: string) => S("kube_pod_container_status_restarts_total", container(service)),
        specReplicas: S("kube_deployment_spec_replicas", { namespace: v.apps, deployment: first }),
        availableReplicas: S("kube_deployment_status_replicas_available", { namespace: v.apps, deployment: first }),
        pvcAvailable: S("kubelet_volume_stats_available_bytes", { namespace: data, persistentvolumeclaim: "data-1" }),
        pvcCapacity: S("kubelet_volume_stats_capacity_bytes", { namespace: data, persistentvolumeclaim: "data-1" }),
        pgUp: S("cnpg_collector_up", { ...instance(1), cluster }),
        pgLag: S("cnpg_pg_replication_lag", instance(2)),
        pgBackends: S("cnpg_backends_total", {
            ...instance(1),
            datname: "app",
            usename: "app",
            application_name: first,
            state: "active",
        }),
        pgMaxConnections: S("cnpg_pg_settings_setting", { ...instance(1), name: "max_connections" }),
        pgReserved: S("cnpg_pg_settings_setting", { ...instance(1), name: "superuser_reserved_connections" }),
        poolerMaxWait: S("cnpg_pgbouncer_pools_maxwait", {
            namespace: data,
            pod: `${v.postgres?.pooler ?? "pooler"}-1`,
            database: "app",
            user: "app",
        }),
        walSinceArchival: S("cnpg_pg_stat_archiver_seconds_since_last_archival", instance(1)),
        walReady: S("cnpg_collector_pg_wal_archive_status", { ...instance(1), value: "ready" }),
        walFailed: S("cnpg_pg_stat_archiver_failed_count", instance(1)),
        walLastFailed: S("cnpg_pg_stat_archiver_last_failed_time", instance(1)),
        walLastArchived: S("cnpg_pg_stat_archiver_last_archived_time", instance(1)),
        lastBaseBackup: S("barman_cloud_cloudnative_pg_io_last_available_backup_timestamp", instance(1)),
        logSent: S("loki_write_sent_entries_total", {
            namespace: v.logging ?? "none",
            pod: "alloy-1",
            job: "alloy",
            host: "loki:3100",
        }),
        redisUp: S("redis_up", { namespace: data, pod: `${REDIS_NAME}-0` }),
        redisUsed: S("redis_memory_used_bytes", { namespace: data, pod: `${REDIS_NAME}-0` }),
        redisMax: S("redis_memory_max_bytes", { namespace: data, pod: `${REDIS_NAME}-0` }),
        cronCreated: (cronjob: string) => S("kube_cronjob_created", { namespace: data, cronjob }),
        cronLastSuccess: (cronjob: string) =>
            S("kube_cronjob_status_last_successful_time", { namespace: data, cronjob }),
        jobOwner: (job: string, owner: string) =>
            S("kube_job_owner", {
                namespace: data,
                job_name: job,
                owner_kind: "CronJob",
                owner_name: owner,
                owner_is_controller: "true",
            }),
        jobStart: (job: string) => S("kube_job_status_start_time", { namespace: data, job_name: job }),
        jobFailed: (job: string) => S("kube_job_failed", { namespace: data, job_name: job, condition: "true" }),
    };
}
type Keys = ReturnType<typeof seriesKeys>;

/** A run `job` of `cronjob` that started at `startSeconds` and failed (kube-state-metrics job series). */
function setFailedRun(s: SeriesSet, k: Keys, cronjob: string, job: string, startSeconds = 600): void {
    s.set(k.jobOwner(job, cronjob), flat(1));
    s.set(k.jobStart(job), flat(startSeconds));
    s.set(k.jobFailed(job), flat(1));
}

/** Histogram bounds around a service's target: half of it, the target, twice it. */
function latencyBounds(target: number): string[] {
    return [num(target / 2), num(target), num(target * 2), "+Inf"];
}

/** Every alert quiet: all targets up, no errors, fast responses, low resource use, recent backups and WAL. */
function healthy(v: StackValues, k: Keys): SeriesSet {
    const s: SeriesSet = new Map();
    for (const { name, latencyTarget } of v.services) {
        s.set(k.up(name), flat(1));
        s.set(k.requests(name, "200"), growing(RPM));
        s.set(k.requests(name, "500"), flat(0));
        // Every request under half the target: p95 = 0.475 × target.
        for (const le of latencyBounds(latencyTarget)) s.set(k.bucket(name, le), growing(RPM));
        s.set(k.restarts(name), flat(0));
    }
    if (v.mesh) {
        s.set(k.mesh("200"), growing(RPM));
        s.set(k.mesh("503"), flat(0));
    }
    s.set(k.cpu, growing(6)); // 0.1 core of 1
    s.set(k.cpuLimit, flat(1));
    s.set(k.memory, flat(100));
    s.set(k.memoryLimit, flat(1000));
    s.set(k.specReplicas, flat(3));
    s.set(k.availableReplicas, flat(3));
    s.set(k.pvcAvailable, flat(500));
    s.set(k.pvcCapacity, flat(1000));
    if (v.postgres) {
        s.set(k.pgUp, flat(1));
        s.set(k.pgLag, flat(0));
        s.set(k.pgBackends, flat(10));
        s.set(k.pgMaxConnections, flat(v.postgres.maxConnections));
        s.set(k.pgReserved, flat(SUPERUSER_RESERVED_CONNECTIONS));
        if (v.postgres.pooler) s.set(k.poolerMaxWait, flat(0));
        if (v.postgres.baseBackupMaxAgeSeconds !== undefined) {
            // A segment archived every minute, nothing waiting, no failure since the statistics reset (-1).
            s.set(k.walSinceArchival, flat(30));
            s.set(k.walReady, flat(0));
            s.set(k.walFailed, flat(0));
            s.set(k.walLastFailed, flat(-1));
            s.set(k.walLastArchived, growing(60));
            s.set(k.lastBaseBackup, flat(EVAL_SECONDS - 3600)); // an hour before the evaluation
        }
    }
    if (v.logging) s.set(k.logSent, growing(100));
    if (v.redis) {
        s.set(k.redisUp, flat(1));
        s.set(k.redisUsed, flat(100));
        s.set(k.redisMax, flat(1000));
    }
    for (const { name } of v.cronJobs) {
        s.set(k.cronCreated(name), flat(-200_000));
        s.set(k.cronLastSuccess(name), flat(0)); // succeeded at t=0, half an hour before the evaluation
    }
    if (v.cronJobs.length > 0) {
        // An old failure, followed by the success at t=0: must not alert.
        const c = v.cronJobs[0].name;
        setFailedRun(s, k, c, `${c}-100`, -5000);
    }
    return s;
}

// ---------------------------------------------------------------------------------------------------------------
// The table: for every alert, series that must fire it and series that must not, from the stack's values.

interface Scenario {
    readonly name: string;
    readonly change: (s: SeriesSet) => void;
    /** Alerts expected at 30m (labels other than alertname); [] = must not fire. */
    readonly expect: readonly Labels[];
}

interface AlertCase {
    readonly alertname: string;
    /** Whether the stack defines the alert. @default always */
    readonly when?: (v: StackValues) => boolean;
    readonly fire: (v: StackValues, k: Keys) => Scenario[];
    readonly quiet: (v: StackValues, k: Keys) => Scenario[];
}

const unchanged = () => undefined;
const pg = (v: StackValues) => v.postgres!;
const archiving = (v: StackValues) => v.postgres?.baseBackupMaxAgeSeconds !== undefined;
const fires = (severity: string, labels: Labels) => [{ severity, ...labels }];

const CASES: readonly AlertCase[] = [
    {
        alertname: "ServiceDown",
        fire: (v, k) => [
            {
                name: "every target fails its scrape",
                change: (s) => s.set(k.up(k.first), flat(0)),
                expect: fires("critical", { namespace: v.apps, service: k.first }),
            },
            {
                name: "no scrape target at all",
                change: (s) => s.delete(k.up(k.last)),
                expect: fires("critical", { namespace: v.apps, service: k.last }),
            },
        ],
        quiet: (_v, k) => [
            { name: "all targets up", change: unchanged, expect: [] },
            { name: "down for only 30 s", change: (s) => s.set(k.up(k.first), "1x29 0 1x10"), expect: [] },
        ],
    },
    {
        alertname: "ServiceHighErrorRate",
        fire: (v, k) => [
            {
                name: `5xx share above ${v.thresholds.errorRatePercent} %`,
                change: (s) =>
                    s.set(k.requests(k.first, "500"), growing(errorsPerMinute(over(v.thresholds.errorRatePercent)))),
                expect: fires("critical", { namespace: v.apps, service: k.first }),
            },
        ],
        quiet: (v, k) => [
            {
                name: `5xx share just under ${v.thresholds.errorRatePercent} %`,
                change: (s) =>
                    s.set(k.requests(k.first, "500"), growing(errorsPerMinute(under(v.thresholds.errorRatePercent)))),
                expect: [],
            },
        ],
    },
    {
        alertname: "ServiceHighLatencyP95",
        fire: (v, k) => [
            {
                // Every request between the target and twice it: p95 = 1.95 × target.
                name: "p95 above the service's target",
                change: (s) => {
                    const [half, target] = latencyBounds(v.services[0].latencyTarget);
                    s.set(k.bucket(k.first, half), flat(0));
                    s.set(k.bucket(k.first, target), flat(0));
                },
                expect: fires("warning", { namespace: v.apps, service: k.first }),
            },
        ],
        quiet: (v, k) => [
            { name: "p95 at half the target", change: unchanged, expect: [] },
            {
                // Every request between half the target and the target: p95 = 0.975 × target.
                name: "p95 just under the target",
                change: (s) => s.set(k.bucket(k.first, latencyBounds(v.services[0].latencyTarget)[0]), flat(0)),
                expect: [],
            },
        ],
    },
    {
        alertname: "MeshServiceHighErrorRate",
        when: (v) => v.mesh,
        fire: (v, k) => [
            {
                name: `sidecars see more than ${v.thresholds.errorRatePercent} % 503`,
                change: (s) => s.set(k.mesh("503"), growing(errorsPerMinute(over(v.thresholds.errorRatePercent)))),
                expect: fires("critical", { namespace: v.apps, service: k.first }),
            },
        ],
        quiet: (v, k) => [
            {
                name: `sidecars see just under ${v.thresholds.errorRatePercent} % 503`,
                change: (s) => s.set(k.mesh("503"), growing(errorsPerMinute(under(v.thresholds.errorRatePercent)))),
                expect: [],
            },
        ],
    },
    {
        alertname: "ContainerCpuNearLimit",
        fire: (v, k) => [
            {
                name: `above ${v.thresholds.cpuLimitPercent} % of the CPU limit`,
                change: (s) => s.set(k.cpu, growing((60 * over(v.thresholds.cpuLimitPercent)) / 100)),
                expect: fires("warning", k.container(k.first)),
            },
        ],
        quiet: (v, k) => [
            {
                name: `under ${v.thresholds.cpuLimitPercent} % of the CPU limit`,
                change: (s) => s.set(k.cpu, growing((60 * under(v.thresholds.cpuLimitPercent)) / 100)),
                expect: [],
            },
        ],
    },
    {
        alertname: "ContainerMemoryNearLimit",
        fire: (v, k) => [
            {
                name: `above ${v.thresholds.memoryLimitPercent} % of the memory limit`,
                change: (s) => s.set(k.memory, flat(10 * over(v.thresholds.memoryLimitPercent))),
                expect: fires("warning", k.container(k.first)),
            },
        ],
        quiet: (v, k) => [
            {
                name: `under ${v.thresholds.memoryLimitPercent} % of the memory limit`,
                change: (s) => s.set(k.memory, flat(10 * under(v.thresholds.memoryLimitPercent))),
                expect: [],
            },
        ],
    },
    {
        alertname: "PodCrashLooping",
        fire: (_v, k) => [
            {
                name: "a restart every minute",
                change: (s) => s.set(k.restarts(k.first), growing(1)),
                expect: fires("critical", k.container(k.first)),
            },
        ],
        quiet: (_v, k) => [
            {
                name: `${CRASH_LOOP_RESTARTS - 1} restarts in 15 minutes`,
                change: (s) => s.set(k.restarts(k.first), `0x20 1x5 ${CRASH_LOOP_RESTARTS - 1}x15`),
                expect: [],
            },
        ],
    },
    {
        alertname: "DeploymentReplicasMismatch",
        fire: (v, k) => [
            {
                name: "2 of 3 available for 30 min",
                change: (s) => s.set(k.availableReplicas, flat(2)),
                expect: fires("warning", { namespace: v.apps, deployment: k.first }),
            },
        ],
        quiet: (_v, k) => [
            {
                name: "2 of 3 available for 10 min",
                change: (s) => s.set(k.availableReplicas, "3x20 2x10 3x10"),
                expect: [],
            },
        ],
    },
    {
        alertname: "PersistentVolumeFillingUp",
        fire: (v, k) => {
            const pvc = { namespace: k.pvcNamespace, persistentvolumeclaim: "data-1" };
            const used = (percent: number) => (s: SeriesSet) => s.set(k.pvcAvailable, flat(1000 - 10 * percent));
            return [
                {
                    name: `between ${v.thresholds.pvcFullPercent} % and ${PVC_CRITICAL_PERCENT} % full: warning only`,
                    change: used((v.thresholds.pvcFullPercent + PVC_CRITICAL_PERCENT) / 2),
                    expect: fires("warning", pvc),
                },
                {
                    name: `above ${PVC_CRITICAL_PERCENT} % full: warning and critical`,
                    change: used((PVC_CRITICAL_PERCENT + 100) / 2),
                    expect: [
                        { severity: "warning", ...pvc },
                        { severity: "critical", ...pvc },
                    ],
                },
            ];
        },
        quiet: (v, k) => [
            {
                name: `under ${v.thresholds.pvcFullPercent} % full`,
                change: (s) => s.set(k.pvcAvailable, flat(1000 - 10 * under(v.thresholds.pvcFullPercent))),
                expect: [],
            },
        ],
    },
    {
        alertname: "PostgresInstanceDown",
        when: (v) => v.postgres !== undefined,
        fire: (v, k) => [
            {
                name: "exporter reports PostgreSQL down",
                change: (s) => s.set(k.pgUp, flat(0)),
                expect: fires("critical", { ...k.instance(1), cluster: pg(v).cluster }),
            },
            {
                name: "no instance of the cluster reports",
                change: (s) => s.delete(k.pgUp),
                expect: fires("critical", { namespace: k.instance(1).namespace, cluster: pg(v).cluster }),
            },
        ],
        quiet: () => [{ name: "instance up", change: unchanged, expect: [] }],
    },
    {
        alertname: "PostgresReplicationLagHigh",
        when: (v) => v.postgres !== undefined,
        fire: (v, k) => [
            {
                name: `replica ${v.thresholds.postgresReplicationLagSeconds * 4} s behind`,
                change: (s) => s.set(k.pgLag, flat(v.thresholds.postgresReplicationLagSeconds * 4)),
                expect: fires("warning", k.instance(2)),
            },
        ],
        quiet: (v, k) => [
            {
                name: `replica ${Math.floor(v.thresholds.postgresReplicationLagSeconds / 3)} s behind`,
                change: (s) => s.set(k.pgLag, flat(Math.floor(v.thresholds.postgresReplicationLagSeconds / 3))),
                expect: [],
            },
        ],
    },
    {
        alertname: "PostgresConnectionsNearMax",
        when: (v) => v.postgres !== undefined,
        fire: (v, k) => [
            {
                name: `above ${v.thresholds.postgresConnectionsPercent} % of ${pg(v).maxConnections} connections`,
                change: (s) =>
                    s.set(
                        k.pgBackends,
                        flat(Math.ceil((pg(v).maxConnections * over(v.thresholds.postgresConnectionsPercent)) / 100)),
                    ),
                expect: fires("warning", k.instance(1)),
            },
        ],
        quiet: (v, k) => [
            {
                name: `under ${v.thresholds.postgresConnectionsPercent} % of ${pg(v).maxConnections} connections`,
                change: (s) =>
                    s.set(
                        k.pgBackends,
                        flat(Math.floor((pg(v).maxConnections * under(v.thresholds.postgresConnectionsPercent)) / 100)),
                    ),
                expect: [],
            },
        ],
    },
    {
        alertname: "DatabaseConnectionPoolExhausted",
        when: (v) => v.postgres !== undefined,
        fire: (v, k) => [
            {
                name: "no slot left below superuser_reserved_connections",
                change: (s) => s.set(k.pgBackends, flat(pg(v).maxConnections - SUPERUSER_RESERVED_CONNECTIONS)),
                expect: fires("critical", k.instance(1)),
            },
            ...(pg(v).pooler
                ? [
                      {
                          name: `PgBouncer clients wait ${POOL_MAX_WAIT_SECONDS * 2} s`,
                          change: (s: SeriesSet) => s.set(k.poolerMaxWait, flat(POOL_MAX_WAIT_SECONDS * 2)),
                          expect: fires("critical", {
                              namespace: k.instance(1).namespace,
                              pod: `${pg(v).pooler}-1`,
                              database: "app",
                          }),
                      },
                  ]
                : []),
        ],
        quiet: (v, k) => [
            {
                name: "one slot left, short waits",
                change: (s) => {
                    s.set(k.pgBackends, flat(pg(v).maxConnections - SUPERUSER_RESERVED_CONNECTIONS - 1));
                    if (pg(v).pooler) s.set(k.poolerMaxWait, flat(POOL_MAX_WAIT_SECONDS / 2));
                },
                expect: [],
            },
        ],
    },
    {
        alertname: "PostgresWalArchivingStalled",
        when: archiving,
        fire: (v, k) => [
            {
                name: `segments waiting, last archival ${WAL_REQUIREMENT_SECONDS * 2} s ago`,
                change: (s) => {
                    s.set(k.walSinceArchival, flat(WAL_REQUIREMENT_SECONDS * 2));
                    s.set(k.walReady, flat(3));
                },
                expect: fires("critical", { ...k.instance(1), cluster: pg(v).cluster }),
            },
            {
                name: "segments waiting, nothing ever archived",
                change: (s) => {
                    s.set(k.walSinceArchival, flat(-1));
                    s.set(k.walReady, flat(2));
                },
                expect: fires("critical", { ...k.instance(1), cluster: pg(v).cluster }),
            },
        ],
        quiet: (_v, k) => [
            { name: "archived a minute ago", change: unchanged, expect: [] },
            {
                name: "idle server: nothing to archive for an hour",
                change: (s) => s.set(k.walSinceArchival, flat(3600)),
                expect: [],
            },
            {
                name: `a segment waiting, last archival within ${WAL_REQUIREMENT_SECONDS} s`,
                change: (s) => {
                    s.set(k.walSinceArchival, flat(WAL_REQUIREMENT_SECONDS - 60));
                    s.set(k.walReady, flat(1));
                },
                expect: [],
            },
        ],
    },
    {
        alertname: "PostgresWalArchivingFailing",
        when: archiving,
        fire: (v, k) => [
            {
                name: "archive_command fails every minute, nothing archived since",
                change: (s) => {
                    s.set(k.walFailed, growing(1));
                    s.set(k.walLastFailed, growing(60));
                    s.set(k.walLastArchived, flat(-600));
                },
                expect: fires("warning", { ...k.instance(1), cluster: pg(v).cluster }),
            },
        ],
        quiet: (_v, k) => [
            { name: "no failure", change: unchanged, expect: [] },
            {
                // Failed at minute 22: still in the 10-minute failure window, but archived every minute since.
                name: "one failure, the retry archived it",
                change: (s) => {
                    s.set(k.walFailed, "0x21 1x18");
                    s.set(k.walLastFailed, "-1x21 1320x18");
                },
                expect: [],
            },
        ],
    },
    {
        alertname: "PostgresBaseBackupTooOld",
        when: archiving,
        fire: (v, k) => {
            const maxAge = pg(v).baseBackupMaxAgeSeconds!;
            const cluster = { namespace: k.instance(1).namespace, cluster: pg(v).cluster };
            return [
                {
                    name: `newest base backup older than ${maxAge} s`,
                    change: (s) => s.set(k.lastBaseBackup, flat(EVAL_SECONDS - maxAge - 3600)),
                    expect: fires("critical", cluster),
                },
                {
                    name: "the plugin reports no backup metric",
                    change: (s) => s.delete(k.lastBaseBackup),
                    expect: fires("critical", cluster),
                },
            ];
        },
        quiet: (v, k) => [
            { name: "base backup an hour old", change: unchanged, expect: [] },
            {
                name: "older than the schedule interval, within its grace",
                change: (s) => s.set(k.lastBaseBackup, flat(EVAL_SECONDS - pg(v).baseBackupMaxAgeSeconds! + 1800)),
                expect: [],
            },
        ],
    },
    {
        alertname: "LogCollectionStopped",
        when: (v) => v.logging !== undefined,
        fire: (_v, k) => [
            {
                name: "the collector delivers nothing (Loki refuses its pushes)",
                change: (s) => s.set(k.logSent, flat(5000)),
                expect: fires("warning", {}),
            },
            {
                name: "no collector series at all (down, or not scraped)",
                change: (s) => s.delete(k.logSent),
                expect: fires("warning", {}),
            },
        ],
        quiet: (_v, k) => [
            { name: "lines delivered", change: unchanged, expect: [] },
            {
                name: "stopped 6 minutes before the evaluation (under the alert's 10)",
                change: (s) => s.set(k.logSent, "0+100x24 2400x15"),
                expect: [],
            },
        ],
    },
    {
        alertname: "RedisDown",
        when: (v) => v.redis,
        fire: (_v, k) => [
            {
                name: "exporter cannot reach the server",
                change: (s) => s.set(k.redisUp, flat(0)),
                expect: fires("critical", { namespace: k.pvcNamespace, pod: `${REDIS_NAME}-0` }),
            },
            {
                name: "no exporter in the namespace",
                change: (s) => s.delete(k.redisUp),
                expect: fires("critical", { namespace: k.pvcNamespace }),
            },
        ],
        quiet: () => [{ name: "server up", change: unchanged, expect: [] }],
    },
    {
        alertname: "RedisMemoryNearMax",
        when: (v) => v.redis,
        fire: (v, k) => [
            {
                name: `above ${v.thresholds.redisMemoryPercent} % of maxmemory`,
                change: (s) => s.set(k.redisUsed, flat(10 * over(v.thresholds.redisMemoryPercent))),
                expect: fires("warning", { namespace: k.pvcNamespace, pod: `${REDIS_NAME}-0` }),
            },
        ],
        quiet: (v, k) => [
            {
                name: `under ${v.thresholds.redisMemoryPercent} % of maxmemory`,
                change: (s) => s.set(k.redisUsed, flat(10 * under(v.thresholds.redisMemoryPercent))),
                expect: [],
            },
            {
                name: "maxmemory 0 (unlimited)",
                change: (s) => {
                    s.set(k.redisMax, flat(0));
                    s.set(k.redisUsed, flat(5000));
                },
                expect: [],
            },
        ],
    },
    {
        alertname: "BackupJobFailed",
        when: (v) => v.cronJobs.length > 0,
        fire: (v, k) => {
            const [c0, cLast] = [v.cronJobs[0].name, v.cronJobs[v.cronJobs.length - 1].name];
            return [
                {
                    name: `latest run of ${c0} failed after the last success`,
                    change: (s) => setFailedRun(s, k, c0, `${c0}-200`),
                    expect: fires("warning", { namespace: k.pvcNamespace, cronjob: c0 }),
                },
                {
                    name: `${cLast} failed and never succeeded`,
                    change: (s) => {
                        s.delete(k.cronLastSuccess(cLast));
                        setFailedRun(s, k, cLast, `${cLast}-1`);
                    },
                    expect: fires("warning", { namespace: k.pvcNamespace, cronjob: cLast }),
                },
            ];
        },
        quiet: (_v, k) => [
            { name: "old failure, later success", change: unchanged, expect: [] },
            {
                name: "failed job of a CronJob that is not a backup",
                change: (s) => setFailedRun(s, k, "report", "report-1"),
                expect: [],
            },
        ],
    },
    {
        alertname: "BackupTooOld",
        when: (v) => v.cronJobs.length > 0,
        fire: (v, k) => {
            const [c0, cLast] = [v.cronJobs[0], v.cronJobs[v.cronJobs.length - 1].name];
            const at = (cronjob: string) => ({ namespace: k.pvcNamespace, cronjob });
            return [
                {
                    name: `last success of ${c0.name} older than ${c0.maxAgeSeconds} s`,
                    change: (s) => s.set(k.cronLastSuccess(c0.name), flat(EVAL_SECONDS - c0.maxAgeSeconds - 3600)),
                    expect: fires("critical", at(c0.name)),
                },
                {
                    name: `${cLast} never succeeded since creation long ago`,
                    change: (s) => s.delete(k.cronLastSuccess(cLast)),
                    expect: fires("critical", at(cLast)),
                },
                {
                    name: `CronJob ${cLast} missing`,
                    change: (s) => {
                        s.delete(k.cronCreated(cLast));
                        s.delete(k.cronLastSuccess(cLast));
                    },
                    expect: fires("critical", at(cLast)),
                },
            ];
        },
        quiet: (v, k) => {
            const [c0, cLast] = [v.cronJobs[0], v.cronJobs[v.cronJobs.length - 1].name];
            return [
                { name: "recent success", change: unchanged, expect: [] },
                {
                    name: `${c0.name} older than its interval, within the grace`,
                    change: (s) => s.set(k.cronLastSuccess(c0.name), flat(EVAL_SECONDS - c0.maxAgeSeconds + 1800)),
                    expect: [],
                },
                {
                    name: `new CronJob ${cLast}, first run not due yet`,
                    change: (s) => {
                        s.set(k.cronCreated(cLast), flat(0));
                        s.delete(k.cronLastSuccess(cLast));
                    },
                    expect: [],
                },
            ];
        },
    },
];

function casesFor(v: StackValues): AlertCase[] {
    return CASES.filter((c) => (c.when ?? (() => true))(v));
}

function inputSeries(series: SeriesSet): { series: string; values: string }[] {
    return [...series].map(([key, values]) => ({ series: key, values }));
}

/** A `promtool test rules` file: one test group per scenario, plus the recording rules on healthy series. */
function unitTestFile(v: StackValues, ruleFile: string): unknown {
    const k = seriesKeys(v);
    const tests: Record<string, unknown>[] = casesFor(v).flatMap((c) =>
        [
            ...c.fire(v, k).map((s) => ({ s, kind: "fires" })),
            ...c.quiet(v, k).map((s) => ({ s, kind: "stays quiet" })),
        ].map(({ s, kind }) => {
            const series = healthy(v, k);
            s.change(series);
            return {
                name: `${v.variant}: ${c.alertname} ${kind}: ${s.name}`,
                interval: "1m",
                input_series: inputSeries(series),
                alert_rule_test: [
                    {
                        eval_time: "30m",
                        alertname: c.alertname,
                        exp_alerts: s.expect.map((labels) => ({ exp_labels: labels })),
                    },
                ],
            };
        }),
    );
    // Recording rules: rounded so float noise from rate() extrapolation does not matter.
    const service = { namespace: v.apps, service: k.first };
    const labels = `{namespace="${v.apps}", service="${k.first}"}`;
    tests.push({
        name: `${v.variant}: recording rules`,
        interval: "1m",
        input_series: inputSeries(healthy(v, k)),
        alert_rule_test: [],
        promql_expr_test: [
            {
                expr: `round(${RECORDING_RULE_NAMES.requestRate}{service="${service.service}"}, 0.001)`,
                eval_time: "30m",
                exp_samples: [{ labels, value: RPM / 60 }],
            },
            {
                expr: `round(${RECORDING_RULE_NAMES.errorRatio}{service="${service.service}"}, 0.001)`,
                eval_time: "30m",
                exp_samples: [{ labels, value: 0 }],
            },
            {
                expr: `round(${RECORDING_RULE_NAMES.latencyP95}{service="${service.service}"}, 0.001)`,
                eval_time: "30m",
                exp_samples: [{ labels, value: Number(num(0.475 * v.services[0].latencyTarget)) }],
            },
        ],
    });
    return { rule_files: [ruleFile], evaluation_interval: "1m", tests };
}

/** The rule file for `promtool test rules`: annotations dropped, since promtool compares rendered annotations too. */
function withoutAnnotations(groups: readonly (RuleGroup | RecordingRuleGroup)[]): unknown {
    return {
        groups: groups.map((g) => ({
            ...g,
            rules: g.rules.map((r) => {
                if (!("alert" in r)) return r;
                // eslint-disable-next-line @typescript-eslint/no-unused-vars
                const { annotations, ...rest } = r;
                return rest;
            }),
        })),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------------------------
// Dashboards

interface PanelTarget {
    expr?: string;
    datasource?: { type?: string; uid?: string };
}
interface Panel {
    id: number;
    type: string;
    title: string;
    gridPos?: { h: number; w: number; x: number; y: number };
    datasource?: { type?: string; uid?: string };
    targets?: PanelTarget[];
    panels?: Panel[];
}
interface TemplateVar {
    name: string;
    type: string;
    query?: string | { query?: string };
    definition?: string;
    datasource?: { type?: string; uid?: string };
}
interface Dashboard {
    uid: string;
    title: string;
    refresh: string;
    schemaVersion: number;
    panels: Panel[];
    templating: { list: TemplateVar[] };
}

function loadDashboards(): { file: string; dashboard: Dashboard }[] {
    return DASHBOARD_FILES.map((file) => ({
        file,
        dashboard: JSON.parse(fs.readFileSync(path.join(DASHBOARD_DIR, file), "utf8")) as Dashboard,
    }));
}

function flattenPanels(panels: Panel[]): Panel[] {
    return panels.flatMap((p) => [p, ...flattenPanels(p.panels ?? [])]);
}

function variableQuery(v: TemplateVar): string | undefined {
    if (v.type !== "query") return undefined;
    return typeof v.query === "string" ? v.query : (v.query?.query ?? v.definition);
}

/** Every PromQL text in a dashboard: panel targets and query variables. */
function dashboardQueries(d: Dashboard): { where: string; expr: string; variable: boolean }[] {
    const panelExprs = flattenPanels(d.panels).flatMap((p) =>
        (p.targets ?? [])
            .filter((t) => t.expr)
            .map((t) => ({ where: `${d.uid} / ${p.title}`, expr: t.expr as string, variable: false })),
    );
    const varExprs = d.templating.list
        .map((v) => ({ v, q: variableQuery(v) }))
        .filter((x): x is { v: TemplateVar; q: string } => x.q !== undefined)
        .map(({ v, q }) => ({ where: `${d.uid} / $${v.name}`, expr: q, variable: true }));
    return [...panelExprs, ...varExprs];
}

/** The Grafana versions the stacks deploy: the one shipped by each stack's kube-prometheus-stack chart. */
function deployedGrafanaVersions(): { stack: StackName; version: string }[] {
    return STACKS.map((stack) => ({
        stack,
        version: grafanaVersionOfChart(parseConfig(readStackConfig(stack)).monitoring.chart),
    }));
}

interface RenderedVariant {
    readonly variant: Variant;
    readonly values: StackValues;
    readonly groups: (RuleGroup | RecordingRuleGroup)[];
}

describe("monitoring", function () {
    this.timeout(300_000);
    const variants: RenderedVariant[] = [];
    const variant = (name: string) => variants.find((x) => x.variant.name === name)!;

    before(async () => {
        tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-monitoring-"));
        for (const v of VARIANTS) {
            const rendered = await renderStack(v.stack, { overrides: v.overrides });
            const cfg = parseConfig({ ...readStackConfig(v.stack), ...v.overrides });
            variants.push({ variant: v, values: stackValues(v, cfg, rendered), groups: renderedRuleGroups(rendered) });
        }
    });
    after(() => {
        if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    });

    describe("alert rules", () => {
        it("every stack renders the required alerts, each with severity, summary and description", () => {
            for (const { variant: v, groups } of variants) {
                const rules = alertRulesOf(groups);
                const names = new Set(rules.map((r) => r.alert));
                for (const required of [
                    "ServiceDown",
                    "ServiceHighErrorRate",
                    "ServiceHighLatencyP95",
                    "ContainerCpuNearLimit",
                    "ContainerMemoryNearLimit",
                    "PodCrashLooping",
                    "DeploymentReplicasMismatch",
                    "PersistentVolumeFillingUp",
                    "PostgresInstanceDown",
                    "PostgresReplicationLagHigh",
                    "PostgresConnectionsNearMax",
                    "DatabaseConnectionPoolExhausted",
                    "RedisDown",
                    "RedisMemoryNearMax",
                    "BackupJobFailed",
                    "BackupTooOld",
                ]) {
                    expect(names, `${v.name}: ${required}`).to.include(required);
                }
                for (const r of rules) {
                    expect(["critical", "warning"], r.alert).to.include(r.labels.severity);
                    expect(r.annotations.summary, r.alert).to.be.a("string").with.length.greaterThan(0);
                    expect(r.annotations.description, r.alert).to.be.a("string").with.length.greaterThan(0);
                    expect(r.for, r.alert).to.match(/^\d+m$/);
                }
            }
        });

        it("render WAL-archiving and base-backup alerts only with postgres.objectStore", () => {
            const walAlerts = [
                "PostgresWalArchivingStalled",
                "PostgresWalArchivingFailing",
                "PostgresBaseBackupTooOld",
            ];
            for (const { variant: v, groups } of variants) {
                const names = alertRulesOf(groups).map((r) => r.alert);
                if (v.name === "prod+objectStore") expect(names, v.name).to.include.members(walAlerts);
                else for (const name of walAlerts) expect(names, v.name).to.not.include(name);
            }
            const rules = alertRulesOf(variant("prod+objectStore").groups);
            const one = (name: string) => rules.find((r) => r.alert === name)!;
            expect(one("PostgresWalArchivingStalled").labels.severity).to.equal("critical");
            expect(one("PostgresWalArchivingStalled").expr).to.contain(`> ${WAL_REQUIREMENT_SECONDS}\n`);
            expect(one("PostgresBaseBackupTooOld").expr).to.contain(
                "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp",
            );
            // prod: daily full + incremental every 6 h: the newest base backup may be 6 h + 1 h grace old.
            expect(variant("prod+objectStore").values.postgres?.baseBackupMaxAgeSeconds).to.equal(7 * 3600);
            expect(one("PostgresBaseBackupTooOld").expr).to.contain(`> ${7 * 3600})`);
        });

        it("use the required severities and durations, with each environment's thresholds", () => {
            for (const { variant: v, values, groups } of variants) {
                const rules = alertRulesOf(groups);
                const byName = (name: string) => rules.filter((r) => r.alert === name);
                const one = (name: string) => byName(name)[0];
                expect(one("ServiceDown"), v.name).to.deep.include({ for: "1m", labels: { severity: "critical" } });
                expect(one("ServiceHighErrorRate"), v.name).to.deep.include({
                    for: "5m",
                    labels: { severity: "critical" },
                });
                expect(one("ServiceHighErrorRate").expr).to.match(
                    new RegExp(`\\* 100 > ${values.thresholds.errorRatePercent}$`),
                );
                expect(one("ContainerCpuNearLimit")).to.include({ for: "10m" });
                expect(one("ContainerCpuNearLimit").expr).to.match(
                    new RegExp(`> ${values.thresholds.cpuLimitPercent}$`),
                );
                expect(one("ContainerMemoryNearLimit")).to.include({ for: "5m" });
                expect(one("ContainerMemoryNearLimit").expr).to.match(
                    new RegExp(`> ${values.thresholds.memoryLimitPercent}$`),
                );
                expect(one("PodCrashLooping")).to.deep.include({ for: "5m", labels: { severity: "critical" } });
                expect(one("PodCrashLooping").expr).to.contain("[15m]");
                expect(one("DeploymentReplicasMismatch")).to.deep.include({
                    for: "15m",
                    labels: { severity: "warning" },
                });
                // One rule per alert name (PersistentVolumeFillingUp: one per severity).
                for (const r of rules)
                    expect(byName(r.alert).length, `${v.name}: ${r.alert}`).to.equal(
                        r.alert === "PersistentVolumeFillingUp" ? 2 : 1,
                    );
            }
            // The product: prod alerts stricter; its stack file sets a 1 % error rate.
            expect(variant("prod").values.thresholds.errorRatePercent).to.equal(1);
        });

        it("take thresholds and per-service latency targets from the arguments", () => {
            const rules = alertRuleGroups({
                namespaces: ["app"],
                services: [
                    { name: "backend", namespace: "app", latencyP95TargetMs: 300 },
                    { name: "frontend", namespace: "app" },
                ],
                cpuLimitPercent: 70,
                cpuForMinutes: 20,
                serviceDownForMinutes: 3,
                runbookBaseUrl: "https://runbooks.invalid/stackwright",
            }).flatMap((g) => g.rules);
            const cpu = rules.find((r) => r.alert === "ContainerCpuNearLimit");
            expect(cpu?.expr).to.match(/> 70$/);
            expect(cpu?.for).to.equal("20m");
            expect(rules.find((r) => r.alert === "ServiceDown")?.for).to.equal("3m");
            const latency = rules.find((r) => r.alert === "ServiceHighLatencyP95")!.expr;
            expect(latency).to.match(/service=~"backend"[^\n]*\n\s*> 0\.3\n/);
            expect(latency).to.match(/service=~"frontend"[^\n]*\n\s*> 0\.2\n/);
            for (const r of rules)
                expect(r.annotations.runbook_url).to.equal(
                    `https://runbooks.invalid/stackwright#${r.alert.toLowerCase()}`,
                );
        });

        it("leave out data-store groups that have nothing to watch", () => {
            const groups = alertRuleGroups({ namespaces: ["app"] }).map((g) => g.name);
            expect(groups).to.deep.equal(["stackwright.services", "stackwright.workloads", "stackwright.storage"]);
            expect(
                alertRuleGroups({ namespaces: ["app"] })
                    .flatMap((g) => g.rules)
                    .map((r) => r.alert),
            ).to.not.include("MeshServiceHighErrorRate");
        });

        it("reject names that would break PromQL and nonsense thresholds", () => {
            expect(() => alertRuleGroups({ namespaces: [] })).to.throw(/namespaces must not be empty/);
            expect(() => alertRuleGroups({ namespaces: ['app"} or vector(1) #'] })).to.throw(
                /not a valid Kubernetes name/,
            );
            expect(() =>
                alertRuleGroups({ namespaces: ["app"], services: [{ name: "Bad_Name", namespace: "app" }] }),
            ).to.throw(/not a valid Kubernetes name/);
            expect(() => alertRuleGroups({ namespaces: ["app"], errorRatePercent: 0 })).to.throw(/errorRatePercent/);
            expect(() => alertRuleGroups({ namespaces: ["app"], pvcFullPercent: 96 })).to.throw(/pvcCriticalPercent/);
            expect(() => alertRuleGroups({ namespaces: ["app"], cpuForMinutes: -1 })).to.throw(/cpuForMinutes/);
            expect(() => alertRuleGroups({ namespaces: ["app"], walArchiveMaxAgeSeconds: 0 })).to.throw(
                /walArchiveMaxAgeSeconds/,
            );
            expect(() =>
                alertRuleGroups({
                    namespaces: ["app"],
                    postgresClusters: [{ name: "pg", namespace: "app", objectStore: { baseBackupMaxAgeSeconds: 0 } }],
                }),
            ).to.throw(/baseBackupMaxAgeSeconds/);
            expect(() =>
                alertRuleGroups({
                    namespaces: ["app"],
                    services: [
                        { name: "a", namespace: "app" },
                        { name: "a", namespace: "app" },
                    ],
                }),
            ).to.throw(/listed twice/);
        });
    });

    describe("promtool", function () {
        this.timeout(120_000);

        for (const name of VARIANTS.map((v) => v.name)) {
            it(`${name}: the rendered rule groups pass \`promtool check rules --lint-fatal\``, function () {
                const promtool = needTool(this, "promtool", "prometheus");
                const { groups } = variant(name);
                const file = writeYaml(`${name}-rules.yaml`, { groups });
                // --lint-fatal: duplicate rules (same name and labels) fail too.
                const result = run(promtool, ["check", "rules", "--lint-fatal", file], tmpDir);
                expect(result.status, result.output).to.equal(0);
                expect(result.output).to.contain(
                    `SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`,
                );
            });

            it(`${name}: the unit tests cover every alert the stack renders, firing and quiet`, () => {
                const { values, groups } = variant(name);
                const k = seriesKeys(values);
                const cases = casesFor(values);
                for (const c of cases) {
                    const fire = c.fire(values, k);
                    const quiet = c.quiet(values, k);
                    expect(fire.length, `${c.alertname}: a scenario that fires it`).to.be.greaterThan(0);
                    expect(
                        fire.every((s) => s.expect.length > 0),
                        `${c.alertname}: firing scenarios expect alerts`,
                    ).to.equal(true);
                    expect(quiet.length, `${c.alertname}: a scenario where it stays quiet`).to.be.greaterThan(0);
                    expect(
                        quiet.every((s) => s.expect.length === 0),
                        `${c.alertname}: quiet scenarios expect none`,
                    ).to.equal(true);
                }
                const defined = [...new Set(alertRulesOf(groups).map((r) => r.alert))].sort();
                expect(cases.map((c) => c.alertname).sort()).to.deep.equal(defined);
            });

            it(`${name}: every alert fires on its synthetic series and stays quiet on healthy ones (promtool test rules)`, function () {
                const promtool = needTool(this, "promtool", "prometheus");
                const { values, groups } = variant(name);
                writeYaml(`${name}-rules-for-tests.yaml`, withoutAnnotations(groups));
                const testFile = writeYaml(
                    `${name}-rules.test.yaml`,
                    unitTestFile(values, `${name}-rules-for-tests.yaml`),
                );
                const result = run(promtool, ["test", "rules", testFile], tmpDir);
                expect(result.status, result.output).to.equal(0);
                expect(result.output).to.contain("SUCCESS");
            });
        }

        it("rejects a broken rule file (the check is not vacuous)", function () {
            const promtool = needTool(this, "promtool", "prometheus");
            const broken = variant("prod").groups.map((g, i) =>
                i === 0 ? { ...g, rules: [{ ...g.rules[0], expr: "sum(up" }] } : g,
            );
            const file = writeYaml("broken-rules.yaml", { groups: broken });
            expect(run(promtool, ["check", "rules", file], tmpDir).status).to.not.equal(0);
        });

        it("the unit-test harness catches a wrong expectation", function () {
            const promtool = needTool(this, "promtool", "prometheus");
            const { values, groups } = variant("prod+objectStore");
            const k = seriesKeys(values);
            writeYaml("rules-for-tests-2.yaml", withoutAnnotations(groups));
            const file = writeYaml("wrong.test.yaml", {
                rule_files: ["rules-for-tests-2.yaml"],
                evaluation_interval: "1m",
                tests: [
                    {
                        interval: "1m",
                        input_series: inputSeries(healthy(values, k)),
                        alert_rule_test: [
                            {
                                eval_time: "30m",
                                alertname: "PostgresWalArchivingStalled",
                                exp_alerts: [
                                    {
                                        exp_labels: {
                                            severity: "critical",
                                            ...k.instance(1),
                                            cluster: pg(values).cluster,
                                        },
                                    },
                                ],
                            },
                        ],
                    },
                ],
            });
            expect(run(promtool, ["test", "rules", file], tmpDir).status).to.not.equal(0);
        });
    });

    describe("Alertmanager config", function () {
        this.timeout(60_000);
        const withEndpoints = {
            webhookUrl: "https://hooks.invalid/alertmanager",
            slackWebhookUrl: "https://hooks.slack.invalid/services/T000/B000/XXXX",
            slackChannel: "ops-alerts",
            environment: "prod",
        };

        it("routes by severity under a null root and inhibits warnings under a matching critical", () => {
            const config = alertmanagerConfig();
            expect(config.route.receiver).to.equal(NULL_RECEIVER);
            expect(config.route.group_by).to.deep.equal(["alertname", "namespace", "service"]);
            expect(config.route).to.include({ group_wait: "30s", group_interval: "5m", repeat_interval: "12h" });
            const routes = config.route.routes ?? [];
            expect(routes.map((r) => r.receiver)).to.deep.equal([NULL_RECEIVER, CRITICAL_RECEIVER, WARNING_RECEIVER]);
            expect(routes[1]).to.include({ repeat_interval: "1h", group_wait: "10s" });
            const inhibit = config.inhibit_rules[0];
            expect(inhibit.source_matchers).to.deep.equal(['severity="critical"']);
            expect(inhibit.target_matchers).to.deep.equal(['severity="warning"']);
            expect(inhibit.equal).to.include.members(["alertname", "namespace", "service"]);
            // No endpoint: no receiver sends anything.
            for (const r of config.receivers) expect(Object.keys(r)).to.deep.equal(["name"]);
        });

        it("puts webhook and Slack on the critical and warning receivers", () => {
            const config = alertmanagerConfig(withEndpoints);
            for (const name of [CRITICAL_RECEIVER, WARNING_RECEIVER]) {
                const r = config.receivers.find((x) => x.name === name);
                expect(r?.webhook_configs?.[0]).to.deep.equal({
                    url: withEndpoints.webhookUrl,
                    send_resolved: true,
                    max_alerts: 0,
                });
                expect(r?.slack_configs?.[0]).to.include({
                    api_url: withEndpoints.slackWebhookUrl,
                    channel: "#ops-alerts",
                });
                expect(r?.slack_configs?.[0].title).to.match(/^\[prod\] /);
            }
            expect(config.receivers.find((x) => x.name === NULL_RECEIVER)).to.deep.equal({ name: NULL_RECEIVER });
            expect(
                alertmanagerConfig({ webhookUrl: "", slackWebhookUrl: " " }).receivers.every(
                    (r) => !r.webhook_configs && !r.slack_configs,
                ),
            ).to.equal(true);
        });

        it("rejects malformed endpoints without echoing the secret", () => {
            let message = "";
            try {
                alertmanagerConfig({ webhookUrl: "not a url s3cr3t" });
            } catch (e) {
                message = (e as Error).message;
            }
            expect(message).to.match(/webhookUrl is not a valid URL/);
            expect(message).to.not.contain("s3cr3t");
            expect(() => alertmanagerConfig({ slackWebhookUrl: "ftp://x.invalid/" })).to.throw(/http\(s\)/);
            expect(() => alertmanagerConfig({ slackChannel: "#Bad Channel" })).to.throw(/Slack channel/);
            expect(() => alertmanagerConfig({ groupWaitSeconds: 0 })).to.throw(/groupWaitSeconds/);
        });

        for (const [label, args] of [
            ["no external endpoint", {}],
            ["webhook and Slack", withEndpoints],
        ] as const) {
            it(`passes amtool check-config and routes correctly (${label})`, function () {
                const amtool = needTool(this, "amtool", "prometheus-alertmanager");
                const file = path.join(tmpDir, `alertmanager-${label.replace(/\W+/g, "-")}.yaml`);
                fs.writeFileSync(file, toYaml(alertmanagerConfig(args)));
                const check = run(amtool, ["check-config", file], tmpDir);
                expect(check.status, check.output).to.equal(0);
                expect(check.output).to.contain("SUCCESS");
                const route = (...labels: string[]) => {
                    const r = run(amtool, ["config", "routes", "test", `--config.file=${file}`, ...labels], tmpDir);
                    expect(r.status, r.output).to.equal(0);
                    return r.stdout.trim();
                };
                expect(route("alertname=ServiceDown", "severity=critical", "namespace=app")).to.equal(
                    CRITICAL_RECEIVER,
                );
                expect(route("alertname=ContainerCpuNearLimit", "severity=warning")).to.equal(WARNING_RECEIVER);
                expect(route("alertname=Watchdog", "severity=none")).to.equal(NULL_RECEIVER);
                expect(route("alertname=CPUThrottlingHigh", "severity=info")).to.equal(NULL_RECEIVER);
            });
        }

        it("amtool rejects a config routing to an undefined receiver (the check is not vacuous)", function () {
            const amtool = needTool(this, "amtool", "prometheus-alertmanager");
            const config = alertmanagerConfig();
            const broken = { ...config, receivers: config.receivers.filter((r) => r.name !== WARNING_RECEIVER) };
            const file = path.join(tmpDir, "alertmanager-broken.yaml");
            fs.writeFileSync(file, toYaml(broken));
            expect(run(amtool, ["check-config", file], tmpDir).status).to.not.equal(0);
        });
    });

    describe("dashboards", () => {
        it("parse, have unique uids and refresh every 30s", () => {
            const all = loadDashboards();
            expect(
                fs
                    .readdirSync(DASHBOARD_DIR)
                    .filter((f) => f.endsWith(".json"))
                    .sort(),
            ).to.deep.equal([...DASHBOARD_FILES].sort());
            const uids = all.map((x) => x.dashboard.uid);
            expect(new Set(uids).size).to.equal(uids.length);
            for (const { file, dashboard } of all) {
                expect(dashboard.uid, file).to.match(/^[a-zA-Z0-9_-]{1,40}$/);
                expect(dashboard.title, file).to.be.a("string").with.length.greaterThan(0);
                expect(dashboard.refresh, file).to.equal("30s");
            }
        });

        it("load in the Grafana the stacks deploy: schemaVersion no newer than it knows, only its panel types", () => {
            const deployed = deployedGrafanaVersions();
            expect(deployed.length).to.equal(STACKS.length);
            for (const { stack, version } of deployed) {
                const major = grafanaMajor(version);
                const newestSchema = GRAFANA_NEWEST_DASHBOARD_SCHEMA[major];
                const panelTypes = GRAFANA_CORE_PANEL_TYPES[major];
                expect(newestSchema, `${stack}: dashboard schema of Grafana ${major}`).to.be.a("number");
                expect(panelTypes, `${stack}: panel types of Grafana ${major}`).to.be.an("array");
                for (const { file, dashboard } of loadDashboards()) {
                    // Grafana migrates older schema versions forward on load; a newer one it cannot read.
                    expect(dashboard.schemaVersion, `${file} in Grafana ${version} (${stack})`)
                        .to.be.a("number")
                        .at.most(newestSchema);
                    for (const p of flattenPanels(dashboard.panels))
                        expect(panelTypes, `${file} / ${p.title} in Grafana ${version}`).to.include(p.type);
                }
            }
        });

        it("know the Grafana of the configured kube-prometheus-stack chart, and no other", () => {
            // The stacks use the config default; README and config/schema.ts name the same Grafana.
            expect(deployedGrafanaVersions().map((d) => d.version)).to.deep.equal(STACKS.map(() => "13.2.0"));
            expect(
                Object.values(KPS_GRAFANA_VERSIONS).every(
                    (v) => GRAFANA_NEWEST_DASHBOARD_SCHEMA[grafanaMajor(v)] !== undefined,
                ),
            ).to.equal(true);
            const chart = parseConfig(readStackConfig("dev")).monitoring.chart;
            expect(() => grafanaVersionOfChart({ ...chart, version: "99.0.0" })).to.throw(
                /no known Grafana version.*99\.0\.0/,
            );
            expect(() => grafanaVersionOfChart({ ...chart, path: "./charts/kube-prometheus-stack" })).to.throw(
                /no known Grafana version/,
            );
            // A schemaVersion newer than the deployed Grafana knows fails the rule above.
            expect(GRAFANA_NEWEST_DASHBOARD_SCHEMA[13]).to.be.below(99);
        });

        it("query Prometheus only through the ${datasource} variable", () => {
            for (const { file, dashboard } of loadDashboards()) {
                const dsVar = dashboard.templating.list.find((v) => v.name === "datasource");
                expect(dsVar, file).to.include({ type: "datasource", query: "prometheus" });
                const ids = flattenPanels(dashboard.panels).map((p) => p.id);
                expect(new Set(ids).size, `${file}: panel ids`).to.equal(ids.length);
                for (const p of flattenPanels(dashboard.panels)) {
                    if (p.type === "row") continue;
                    expect(p.gridPos, `${file} / ${p.title}`).to.not.equal(undefined);
                    expect(p.datasource, `${file} / ${p.title}`).to.deep.equal({
                        type: "prometheus",
                        uid: "${datasource}",
                    });
                    expect(p.targets ?? [], `${file} / ${p.title}`).to.have.length.greaterThan(0);
                    for (const t of p.targets ?? [])
                        expect(t.datasource, `${file} / ${p.title}`).to.deep.equal({
                            type: "prometheus",
                            uid: "${datasource}",
                        });
                }
                for (const v of dashboard.templating.list.filter((x) => x.type === "query")) {
                    expect(v.datasource, `${file} / $${v.name}`).to.deep.equal({
                        type: "prometheus",
                        uid: "${datasource}",
                    });
                }
            }
            const overview = loadDashboards().find((x) => x.file === "service-overview.json")?.dashboard;
            expect(overview?.templating.list.map((v) => v.name)).to.include.members(["namespace", "service"]);
        });

        it("every dashboard query is valid PromQL (promtool check rules)", function () {
            this.timeout(60_000);
            const promtool = needTool(this, "promtool", "prometheus");
            const exprs = loadDashboards().flatMap(({ dashboard }) =>
                dashboardQueries(dashboard).map((q) => {
                    let expr = q.expr;
                    if (q.variable) expr = /^label_values\(\s*([\s\S]*?)\s*,\s*\w+\s*\)$/.exec(expr)?.[1] ?? expr;
                    // Grafana interpolation: intervals become durations, other variables regexes.
                    expr = expr
                        .replace(/\$__(rate_interval|interval|range)\b/g, "5m")
                        .replace(/\$\{?\w+(:\w+)?\}?/g, ".*");
                    return expr;
                }),
            );
            const file = writeYaml("dashboard-queries.yaml", {
                groups: [
                    { name: "dashboards", rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) },
                ],
            });
            const result = run(promtool, ["check", "rules", file], tmpDir);
            expect(result.status, result.output).to.equal(0);
            expect(result.output).to.contain(`SUCCESS: ${exprs.length} rules found`);
        });
    });

    describe("metrics catalog", () => {
        const known = knownMetricNames();

        it("extracts metric names, ignoring functions, keywords, label names and Grafana variables", () => {
            expect(
                metricNamesInPromql(
                    'sum by (namespace, le) (rate(foo_bucket{job="a{b}", le=~"0.1"}[$__rate_interval] offset 5m)) / on (x) group_left (owner_name) ' +
                        "bar:recorded:ratio > bool 1e3 and baz unless max(qux) without (pod) or vector(0) # comment mentions not_a_metric",
                ),
            ).to.deep.equal(["bar:recorded:ratio", "baz", "foo_bucket", "qux"]);
            expect(metricNamesInPromql("histogram_quantile(0.95, sum(rate(x_bucket[5m])) by (le))")).to.deep.equal([
                "x_bucket",
            ]);
            expect(
                metricNamesInVariableQuery('label_values(kube_pod_info{namespace=~"$namespace"}, pod)'),
            ).to.deep.equal(["kube_pod_info"]);
            expect(metricNamesInVariableQuery("label_values(namespace)")).to.deep.equal([]);
            expect(metricNamesInVariableQuery("query_result(topk(5, foo))")).to.deep.equal(["foo"]);
        });

        it("has no duplicate names and lists the recording rules the rules define", () => {
            const all = Object.values(METRICS_CATALOG).flat();
            expect(new Set(all).size).to.equal(all.length);
            const recorded = recordingRuleGroups().flatMap((g) => g.rules.map((r) => r.record));
            expect([...recorded].sort()).to.deep.equal([...METRICS_CATALOG.stackwrightRecordingRules].sort());
        });

        it("knows every metric the rendered rule expressions use", () => {
            const unknown = variants
                .flatMap(({ groups }) =>
                    groups.flatMap((g) =>
                        g.rules.map((r) => ({ where: "alert" in r ? r.alert : r.record, expr: r.expr })),
                    ),
                )
                .flatMap(({ where, expr }) =>
                    metricNamesInPromql(expr)
                        .filter((m) => !known.has(m))
                        .map((m) => `${where}: ${m}`),
                );
            expect(unknown).to.deep.equal([]);
        });

        it("knows every metric the dashboards query", () => {
            let checked = 0;
            const unknown = loadDashboards()
                .flatMap(({ dashboard }) => dashboardQueries(dashboard))
                .flatMap(({ where, expr, variable }) => {
                    const names = variable ? metricNamesInVariableQuery(expr) : metricNamesInPromql(expr);
                    checked += names.length;
                    return names.filter((m) => !known.has(m)).map((m) => `${where}: ${m}`);
                });
            expect(unknown).to.deep.equal([]);
            expect(checked).to.be.greaterThan(50);
        });

        it("would catch a misspelled metric", () => {
            const names = metricNamesInPromql('sum(rate(http_request_total{namespace="app"}[5m]))');
            expect(names.filter((m) => !known.has(m))).to.deep.equal(["http_request_total"]);
        });
    });
});
