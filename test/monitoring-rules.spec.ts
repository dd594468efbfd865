/**
 * Alert rules, Alertmanager config and Grafana dashboards, checked with the real Prometheus tools:
 * `promtool check rules` / `promtool test rules` (Debian package prometheus) and `amtool check-config` /
 * `amtool config routes test` (prometheus-alertmanager). A missing tool skips its tests locally, fails in CI.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import {
    AlertRule,
    AlertRulesArgs,
    alertRuleGroups,
    backupMaxAgeSeconds,
    cronMaxIntervalSeconds,
    prometheusRuleGroups,
    recordingRuleGroups,
} from "../lib/monitoring/alert-rules";
import {
    alertmanagerConfig,
    CRITICAL_RECEIVER,
    NULL_RECEIVER,
    toYaml,
    WARNING_RECEIVER,
} from "../lib/monitoring/alertmanager";
import { knownMetricNames, METRICS_CATALOG, RECORDING_RULE_NAMES } from "../lib/monitoring/metrics-catalog";
import { metricNamesInPromql, metricNamesInVariableQuery } from "../lib/monitoring/promql-metrics";
import { needTool, run } from "./lib/tools";

const DASHBOARD_DIR = path.resolve(__dirname, "..", "dashboards");
const DASHBOARD_FILES = ["service-overview.json", "postgresql.json", "redis.json", "backups.json"];
// Grafana 12.0 writes schemaVersion 41; later 12.x migrate it forward on load, so 41 loads everywhere in 12.x.
const GRAFANA_SCHEMA_VERSION = 41;

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
// A realistic stack: two app services, one CloudNativePG cluster, Valkey, two backup CronJobs, Istio on.

const ARGS: AlertRulesArgs = {
    namespaces: ["app", "data"],
    services: [
        { name: "backend", namespace: "app", latencyP95TargetMs: 300 },
        { name: "frontend", namespace: "app" },
    ],
    backupCronJobs: [
        { name: "postgres-backup", namespace: "data", maxAgeSeconds: backupMaxAgeSeconds("0 2 * * *") },
        { name: "redis-snapshot", namespace: "data", maxAgeSeconds: backupMaxAgeSeconds("0 */6 * * *") },
    ],
    postgresClusters: [{ name: "pg", namespace: "data" }],
    redisNamespaces: ["data"],
    istioEnabled: true,
    runbookBaseUrl: "https://runbooks.invalid/stackwright",
};

function allAlertRules(args: AlertRulesArgs = ARGS): AlertRule[] {
    return alertRuleGroups(args).flatMap((g) => g.rules);
}

// ---------------------------------------------------------------------------------------------------------------
// Synthetic series. Keys are PromQL series notations built by `S`, so scenarios can replace or drop them.

type SeriesSet = Map<string, string>;

function S(metric: string, labels: Record<string, string>): string {
    return `${metric}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(", ")}}`;
}

const SAMPLES = 40; // one per minute; scenarios are evaluated at 30m
const flat = (v: number) => `${v}x${SAMPLES}`;
const growing = (perMinute: number) => `0+${perMinute}x${SAMPLES}`;

const backendPod = { namespace: "app", pod: "backend-1", container: "backend" };
const frontendPod = { namespace: "app", pod: "frontend-1", container: "frontend" };
const K = {
    up: (service: string) => S("up", { namespace: "app", service, pod: `${service}-1`, job: service }),
    requests: (service: string, status: string) =>
        S("http_requests_total", { namespace: "app", service, pod: `${service}-1`, status }),
    bucket: (service: string, le: string) =>
        S("http_request_duration_seconds_bucket", {
            namespace: "app",
            service,
            pod: `${service}-1`,
            method: "GET",
            path: "api_v1_items",
            status: "200",
            le,
        }),
    mesh: (code: string) =>
        S("istio_requests_total", {
            namespace: "app",
            pod: "backend-1",
            reporter: "destination",
            destination_service_namespace: "app",
            destination_service_name: "backend",
            response_code: code,
        }),
    cpu: S("container_cpu_usage_seconds_total", { ...backendPod, image: "ghcr.io/stefanprodan/podinfo:6.9.2" }),
    cpuLimit: S("kube_pod_container_resource_limits", { ...backendPod, resource: "cpu", unit: "core" }),
    memory: S("container_memory_working_set_bytes", { ...backendPod, image: "ghcr.io/stefanprodan/podinfo:6.9.2" }),
    memoryLimit: S("kube_pod_container_resource_limits", { ...backendPod, resource: "memory", unit: "byte" }),
    restarts: S("kube_pod_container_status_restarts_total", backendPod),
    frontendRestarts: S("kube_pod_container_status_restarts_total", frontendPod),
    specReplicas: S("kube_deployment_spec_replicas", { namespace: "app", deployment: "backend" }),
    availableReplicas: S("kube_deployment_status_replicas_available", { namespace: "app", deployment: "backend" }),
    pvcAvailable: S("kubelet_volume_stats_available_bytes", { namespace: "data", persistentvolumeclaim: "pg-1" }),
    pvcCapacity: S("kubelet_volume_stats_capacity_bytes", { namespace: "data", persistentvolumeclaim: "pg-1" }),
    pgUp: S("cnpg_collector_up", { namespace: "data", cluster: "pg", pod: "pg-1" }),
    pgLag: S("cnpg_pg_replication_lag", { namespace: "data", pod: "pg-2" }),
    pgBackends: S("cnpg_backends_total", {
        namespace: "data",
        pod: "pg-1",
        datname: "app",
        usename: "app",
        application_name: "backend",
        state: "active",
    }),
    pgMaxConnections: S("cnpg_pg_settings_setting", { namespace: "data", pod: "pg-1", name: "max_connections" }),
    pgReserved: S("cnpg_pg_settings_setting", { namespace: "data", pod: "pg-1", name: "superuser_reserved_connections" }),
    poolerMaxWait: S("cnpg_pgbouncer_pools_maxwait", { namespace: "data", pod: "pg-pooler-rw-1", database: "app", user: "app" }),
    redisUp: S("redis_up", { namespace: "data", pod: "valkey-0" }),
    redisUsed: S("redis_memory_used_bytes", { namespace: "data", pod: "valkey-0" }),
    redisMax: S("redis_memory_max_bytes", { namespace: "data", pod: "valkey-0" }),
    cronCreated: (cronjob: string) => S("kube_cronjob_created", { namespace: "data", cronjob }),
    cronLastSuccess: (cronjob: string) => S("kube_cronjob_status_last_successful_time", { namespace: "data", cronjob }),
    jobOwner: (job: string, owner: string) =>
        S("kube_job_owner", { namespace: "data", job_name: job, owner_kind: "CronJob", owner_name: owner, owner_is_controller: "true" }),
    jobStart: (job: string) => S("kube_job_status_start_time", { namespace: "data", job_name: job }),
    jobFailed: (job: string) => S("kube_job_failed", { namespace: "data", job_name: job, condition: "true" }),
};

/** Every alert quiet: all targets up, 1 req/s without errors, fast responses, low resource use, recent backups. */
function healthy(): SeriesSet {
    const s: SeriesSet = new Map();
    for (const service of ["backend", "frontend"]) {
        s.set(K.up(service), flat(1));
        s.set(K.requests(service, "200"), growing(60));
        s.set(K.requests(service, "500"), flat(0));
        for (const le of ["0.1", "0.25", "0.5", "+Inf"]) s.set(K.bucket(service, le), growing(60));
    }
    s.set(K.mesh("200"), growing(60));
    s.set(K.mesh("503"), flat(0));
    s.set(K.cpu, growing(6)); // 0.1 core
    s.set(K.cpuLimit, flat(1));
    s.set(K.memory, flat(100));
    s.set(K.memoryLimit, flat(1000));
    s.set(K.restarts, flat(0));
    s.set(K.frontendRestarts, flat(0));
    s.set(K.specReplicas, flat(3));
    s.set(K.availableReplicas, flat(3));
    s.set(K.pvcAvailable, flat(500));
    s.set(K.pvcCapacity, flat(1000));
    s.set(K.pgUp, flat(1));
    s.set(K.pgLag, flat(0));
    s.set(K.pgBackends, flat(10));
    s.set(K.pgMaxConnections, flat(100));
    s.set(K.pgReserved, flat(3));
    s.set(K.poolerMaxWait, flat(0));
    s.set(K.redisUp, flat(1));
    s.set(K.redisUsed, flat(100));
    s.set(K.redisMax, flat(1000));
    for (const cronjob of ["postgres-backup", "redis-snapshot"]) {
        s.set(K.cronCreated(cronjob), flat(-200_000));
        s.set(K.cronLastSuccess(cronjob), flat(0)); // succeeded at t=0; evaluated at t=1800 s
    }
    // An old failure, followed by the success at t=0: must not alert.
    s.set(K.jobOwner("postgres-backup-100", "postgres-backup"), flat(1));
    s.set(K.jobStart("postgres-backup-100"), flat(-5000));
    s.set(K.jobFailed("postgres-backup-100"), flat(1));
    return s;
}

interface Scenario {
    readonly name: string;
    readonly change: (s: SeriesSet) => void;
    /** Alerts expected at 30m (labels other than alertname); [] = must not fire. */
    readonly expect: readonly Record<string, string>[];
}

interface AlertCase {
    readonly alertname: string;
    readonly fire: readonly Scenario[];
    readonly quiet: readonly Scenario[];
}

const unchanged = () => undefined;
const app = (service: string) => ({ namespace: "app", service });

const CASES: readonly AlertCase[] = [
    {
        alertname: "ServiceDown",
        fire: [
            {
                name: "every target fails its scrape",
                change: (s) => s.set(K.up("backend"), flat(0)),
                expect: [{ severity: "critical", ...app("backend") }],
            },
            {
                name: "no scrape target at all",
                change: (s) => s.delete(K.up("frontend")),
                expect: [{ severity: "critical", ...app("frontend") }],
            },
        ],
        quiet: [
            { name: "all targets up", change: unchanged, expect: [] },
            { name: "down for only 30 s", change: (s) => s.set(K.up("backend"), `1x29 0 1x10`), expect: [] },
        ],
    },
    {
        alertname: "ServiceHighErrorRate",
        fire: [
            {
                name: "20 % 5xx",
                change: (s) => s.set(K.requests("backend", "500"), growing(15)),
                expect: [{ severity: "critical", ...app("backend") }],
            },
        ],
        quiet: [{ name: "4.8 % 5xx", change: (s) => s.set(K.requests("backend", "500"), growing(3)), expect: [] }],
    },
    {
        alertname: "ServiceHighLatencyP95",
        fire: [
            {
                name: "p95 ~ 490 ms",
                change: (s) => {
                    s.set(K.bucket("backend", "0.1"), flat(0));
                    s.set(K.bucket("backend", "0.25"), flat(0));
                },
                expect: [{ severity: "warning", ...app("backend") }],
            },
            {
                // p95 ~ 243 ms: over frontend's default 200 ms target, under backend's 300 ms.
                name: "per-service targets",
                change: (s) => {
                    for (const service of ["backend", "frontend"]) s.set(K.bucket(service, "0.1"), flat(0));
                },
                expect: [{ severity: "warning", ...app("frontend") }],
            },
        ],
        quiet: [{ name: "p95 ~ 95 ms", change: unchanged, expect: [] }],
    },
    {
        alertname: "MeshServiceHighErrorRate",
        fire: [
            {
                name: "sidecars see 25 % 503",
                change: (s) => s.set(K.mesh("503"), growing(20)),
                expect: [{ severity: "critical", ...app("backend") }],
            },
        ],
        quiet: [{ name: "no 5xx in the mesh", change: unchanged, expect: [] }],
    },
    {
        alertname: "ContainerCpuNearLimit",
        fire: [
            {
                name: "90 % of the CPU limit",
                change: (s) => s.set(K.cpu, growing(54)),
                expect: [{ severity: "warning", ...backendPod }],
            },
        ],
        quiet: [{ name: "70 % of the CPU limit", change: (s) => s.set(K.cpu, growing(42)), expect: [] }],
    },
    {
        alertname: "ContainerMemoryNearLimit",
        fire: [
            {
                name: "95 % of the memory limit",
                change: (s) => s.set(K.memory, flat(950)),
                expect: [{ severity: "warning", ...backendPod }],
            },
        ],
        quiet: [{ name: "85 % of the memory limit", change: (s) => s.set(K.memory, flat(850)), expect: [] }],
    },
    {
        alertname: "PodCrashLooping",
        fire: [
            {
                name: "a restart every minute",
                change: (s) => s.set(K.restarts, growing(1)),
                expect: [{ severity: "critical", ...backendPod }],
            },
        ],
        quiet: [{ name: "one restart", change: (s) => s.set(K.restarts, "0x20 1x20"), expect: [] }],
    },
    {
        alertname: "DeploymentReplicasMismatch",
        fire: [
            {
                name: "2 of 3 available for 30 min",
                change: (s) => s.set(K.availableReplicas, flat(2)),
                expect: [{ severity: "warning", namespace: "app", deployment: "backend" }],
            },
        ],
        quiet: [
            { name: "2 of 3 available for 10 min", change: (s) => s.set(K.availableReplicas, "3x20 2x10 3x10"), expect: [] },
        ],
    },
    {
        alertname: "PersistentVolumeFillingUp",
        fire: [
            {
                name: "90 % full: warning only",
                change: (s) => s.set(K.pvcAvailable, flat(100)),
                expect: [{ severity: "warning", namespace: "data", persistentvolumeclaim: "pg-1" }],
            },
            {
                name: "98 % full: warning and critical",
                change: (s) => s.set(K.pvcAvailable, flat(20)),
                expect: [
                    { severity: "warning", namespace: "data", persistentvolumeclaim: "pg-1" },
                    { severity: "critical", namespace: "data", persistentvolumeclaim: "pg-1" },
                ],
            },
        ],
        quiet: [{ name: "50 % full", change: unchanged, expect: [] }],
    },
    {
        alertname: "PostgresInstanceDown",
        fire: [
            {
                name: "exporter reports PostgreSQL down",
                change: (s) => s.set(K.pgUp, flat(0)),
                expect: [{ severity: "critical", namespace: "data", cluster: "pg", pod: "pg-1" }],
            },
            {
                name: "no instance of the cluster reports",
                change: (s) => s.delete(K.pgUp),
                expect: [{ severity: "critical", namespace: "data", cluster: "pg" }],
            },
        ],
        quiet: [{ name: "instance up", change: unchanged, expect: [] }],
    },
    {
        alertname: "PostgresReplicationLagHigh",
        fire: [
            {
                name: "replica 2 min behind",
                change: (s) => s.set(K.pgLag, flat(120)),
                expect: [{ severity: "warning", namespace: "data", pod: "pg-2" }],
            },
        ],
        quiet: [{ name: "replica 10 s behind", change: (s) => s.set(K.pgLag, flat(10)), expect: [] }],
    },
    {
        alertname: "PostgresConnectionsNearMax",
        fire: [
            {
                name: "85 of 100 connections",
                change: (s) => s.set(K.pgBackends, flat(85)),
                expect: [{ severity: "warning", namespace: "data", pod: "pg-1" }],
            },
        ],
        quiet: [{ name: "70 of 100 connections", change: (s) => s.set(K.pgBackends, flat(70)), expect: [] }],
    },
    {
        alertname: "DatabaseConnectionPoolExhausted",
        fire: [
            {
                name: "no slot left below superuser_reserved_connections",
                change: (s) => s.set(K.pgBackends, flat(97)),
                expect: [{ severity: "critical", namespace: "data", pod: "pg-1" }],
            },
            {
                name: "PgBouncer clients wait 10 s",
                change: (s) => s.set(K.poolerMaxWait, flat(10)),
                expect: [{ severity: "critical", namespace: "data", pod: "pg-pooler-rw-1", database: "app" }],
            },
        ],
        quiet: [
            {
                name: "one slot left, short waits",
                change: (s) => {
                    s.set(K.pgBackends, flat(96));
                    s.set(K.poolerMaxWait, flat(2));
                },
                expect: [],
            },
        ],
    },
    {
        alertname: "RedisDown",
        fire: [
            {
                name: "exporter cannot reach the server",
                change: (s) => s.set(K.redisUp, flat(0)),
                expect: [{ severity: "critical", namespace: "data", pod: "valkey-0" }],
            },
            {
                name: "no exporter in the namespace",
                change: (s) => s.delete(K.redisUp),
                expect: [{ severity: "critical", namespace: "data" }],
            },
        ],
        quiet: [{ name: "server up", change: unchanged, expect: [] }],
    },
    {
        alertname: "RedisMemoryNearMax",
        fire: [
            {
                name: "95 % of maxmemory",
                change: (s) => s.set(K.redisUsed, flat(950)),
                expect: [{ severity: "warning", namespace: "data", pod: "valkey-0" }],
            },
        ],
        quiet: [
            { name: "80 % of maxmemory", change: (s) => s.set(K.redisUsed, flat(800)), expect: [] },
            {
                name: "maxmemory 0 (unlimited)",
                change: (s) => {
                    s.set(K.redisMax, flat(0));
                    s.set(K.redisUsed, flat(5000));
                },
                expect: [],
            },
        ],
    },
    {
        alertname: "BackupJobFailed",
        fire: [
            {
                name: "latest run failed after the last success",
                change: (s) => {
                    s.set(K.jobOwner("postgres-backup-200", "postgres-backup"), flat(1));
                    s.set(K.jobStart("postgres-backup-200"), flat(600));
                    s.set(K.jobFailed("postgres-backup-200"), flat(1));
                },
                expect: [{ severity: "warning", namespace: "data", cronjob: "postgres-backup" }],
            },
            {
                name: "failed and never succeeded",
                change: (s) => {
                    s.delete(K.cronLastSuccess("redis-snapshot"));
                    s.set(K.jobOwner("redis-snapshot-1", "redis-snapshot"), flat(1));
                    s.set(K.jobStart("redis-snapshot-1"), flat(600));
                    s.set(K.jobFailed("redis-snapshot-1"), flat(1));
                },
                expect: [{ severity: "warning", namespace: "data", cronjob: "redis-snapshot" }],
            },
        ],
        quiet: [
            { name: "old failure, later success", change: unchanged, expect: [] },
            {
                name: "failed job of a CronJob that is not a backup",
                change: (s) => {
                    s.set(K.jobOwner("report-1", "report"), flat(1));
                    s.set(K.jobStart("report-1"), flat(600));
                    s.set(K.jobFailed("report-1"), flat(1));
                },
                expect: [],
            },
        ],
    },
    {
        alertname: "BackupTooOld",
        fire: [
            {
                name: "last success older than interval + grace",
                change: (s) => s.set(K.cronLastSuccess("postgres-backup"), flat(-100_000)),
                expect: [{ severity: "critical", namespace: "data", cronjob: "postgres-backup" }],
            },
            {
                name: "never succeeded since creation long ago",
                change: (s) => s.delete(K.cronLastSuccess("redis-snapshot")),
                expect: [{ severity: "critical", namespace: "data", cronjob: "redis-snapshot" }],
            },
            {
                name: "CronJob missing",
                change: (s) => {
                    s.delete(K.cronCreated("redis-snapshot"));
                    s.delete(K.cronLastSuccess("redis-snapshot"));
                },
                expect: [{ severity: "critical", namespace: "data", cronjob: "redis-snapshot" }],
            },
        ],
        quiet: [
            { name: "recent success", change: unchanged, expect: [] },
            {
                name: "new CronJob, first run not due yet",
                change: (s) => {
                    s.set(K.cronCreated("redis-snapshot"), flat(0));
                    s.delete(K.cronLastSuccess("redis-snapshot"));
                },
                expect: [],
            },
        ],
    },
];

function unitTestFile(ruleFile: string): unknown {
    const tests: Record<string, unknown>[] = CASES.flatMap((c) =>
        [...c.fire.map((s) => ({ s, kind: "fires" })), ...c.quiet.map((s) => ({ s, kind: "stays quiet" }))].map(
            ({ s, kind }) => {
                const series = healthy();
                s.change(series);
                return {
                    name: `${c.alertname} ${kind}: ${s.name}`,
                    interval: "1m",
                    input_series: [...series].map(([key, values]) => ({ series: key, values })),
                    alert_rule_test: [
                        {
                            eval_time: "30m",
                            alertname: c.alertname,
                            exp_alerts: s.expect.map((labels) => ({ exp_labels: labels })),
                        },
                    ],
                };
            },
        ),
    );
    const series = healthy();
    // Recording rules: rounded so float noise from rate() extrapolation does not matter.
    tests.push({
        name: "recording rules",
        interval: "1m",
        input_series: [...series].map(([key, values]) => ({ series: key, values })),
        alert_rule_test: [],
        promql_expr_test: [
            {
                expr: `round(${RECORDING_RULE_NAMES.requestRate}{service="backend"}, 0.001)`,
                eval_time: "30m",
                exp_samples: [{ labels: '{namespace="app", service="backend"}', value: 1 }],
            },
            {
                expr: `round(${RECORDING_RULE_NAMES.errorRatio}{service="backend"}, 0.001)`,
                eval_time: "30m",
                exp_samples: [{ labels: '{namespace="app", service="backend"}', value: 0 }],
            },
            {
                expr: `round(${RECORDING_RULE_NAMES.latencyP95}{service="backend"}, 0.001)`,
                eval_time: "30m",
                exp_samples: [{ labels: '{namespace="app", service="backend"}', value: 0.095 }],
            },
        ],
    });
    return { rule_files: [ruleFile], evaluation_interval: "1m", tests };
}

/** The rule file for `promtool test rules`: annotations dropped, since promtool compares rendered annotations too. */
function rulesWithoutAnnotations(args: AlertRulesArgs): unknown {
    return {
        groups: prometheusRuleGroups(args).map((g) => ({
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
        (p.targets ?? []).filter((t) => t.expr).map((t) => ({ where: `${d.uid} / ${p.title}`, expr: t.expr as string, variable: false })),
    );
    const varExprs = d.templating.list
        .map((v) => ({ v, q: variableQuery(v) }))
        .filter((x): x is { v: TemplateVar; q: string } => x.q !== undefined)
        .map(({ v, q }) => ({ where: `${d.uid} / $${v.name}`, expr: q, variable: true }));
    return [...panelExprs, ...varExprs];
}

describe("monitoring", () => {
    before(() => {
        tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-monitoring-"));
    });
    after(() => {
        if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    });

    describe("alert rules", () => {
        it("cover every required alert, each with severity, summary and description", () => {
            const rules = allAlertRules();
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
                expect(names, required).to.include(required);
            }
            for (const r of rules) {
                expect(["critical", "warning"], r.alert).to.include(r.labels.severity);
                expect(r.annotations.summary, r.alert).to.be.a("string").with.length.greaterThan(0);
                expect(r.annotations.description, r.alert).to.be.a("string").with.length.greaterThan(0);
                expect(r.annotations.runbook_url).to.equal(`https://runbooks.invalid/stackwright#${r.alert.toLowerCase()}`);
                expect(r.for, r.alert).to.match(/^\d+m$/);
            }
        });

        it("use the required severities and durations by default", () => {
            const byName = (name: string) => allAlertRules().filter((r) => r.alert === name);
            const one = (name: string) => byName(name)[0];
            expect(one("ServiceDown")).to.include({ for: "1m" });
            expect(one("ServiceDown").labels.severity).to.equal("critical");
            expect(one("ServiceHighErrorRate")).to.include({ for: "5m" });
            expect(one("ServiceHighErrorRate").expr).to.match(/\* 100 > 5$/);
            expect(one("ServiceHighErrorRate").labels.severity).to.equal("critical");
            expect(one("ContainerCpuNearLimit")).to.include({ for: "10m" });
            expect(one("ContainerCpuNearLimit").expr).to.match(/> 80$/);
            expect(one("ContainerMemoryNearLimit")).to.include({ for: "5m" });
            expect(one("ContainerMemoryNearLimit").expr).to.match(/> 90$/);
            expect(one("PodCrashLooping")).to.include({ for: "5m" });
            expect(one("PodCrashLooping").expr).to.contain("[15m]");
            expect(one("PodCrashLooping").labels.severity).to.equal("critical");
            expect(one("DeploymentReplicasMismatch")).to.include({ for: "15m" });
            expect(one("DeploymentReplicasMismatch").labels.severity).to.equal("warning");
            // One rule per alert name; latency clauses carry each service's own target.
            for (const r of allAlertRules()) expect(byName(r.alert).length, r.alert).to.equal(r.alert === "PersistentVolumeFillingUp" ? 2 : 1);
            const latency = one("ServiceHighLatencyP95").expr;
            expect(latency).to.match(/service=~"backend"[^\n]*\n\s*> 0\.3\n/);
            expect(latency).to.match(/service=~"frontend"[^\n]*\n\s*> 0\.2\n/);
        });

        it("take thresholds from the arguments", () => {
            const rules = allAlertRules({ ...ARGS, cpuLimitPercent: 70, cpuForMinutes: 20, serviceDownForMinutes: 3 });
            const cpu = rules.find((r) => r.alert === "ContainerCpuNearLimit");
            expect(cpu?.expr).to.match(/> 70$/);
            expect(cpu?.for).to.equal("20m");
            expect(rules.find((r) => r.alert === "ServiceDown")?.for).to.equal("3m");
        });

        it("leave out data-store groups that have nothing to watch", () => {
            const groups = alertRuleGroups({ namespaces: ["app"] }).map((g) => g.name);
            expect(groups).to.deep.equal(["stackwright.services", "stackwright.workloads", "stackwright.storage"]);
            expect(allAlertRules({ namespaces: ["app"] }).map((r) => r.alert)).to.not.include("MeshServiceHighErrorRate");
        });

        it("reject names that would break PromQL and nonsense thresholds", () => {
            expect(() => alertRuleGroups({ namespaces: [] })).to.throw(/namespaces must not be empty/);
            expect(() => alertRuleGroups({ namespaces: ['app"} or vector(1) #'] })).to.throw(/not a valid Kubernetes name/);
            expect(() => alertRuleGroups({ namespaces: ["app"], services: [{ name: "Bad_Name", namespace: "app" }] })).to.throw(
                /not a valid Kubernetes name/,
            );
            expect(() => alertRuleGroups({ namespaces: ["app"], errorRatePercent: 0 })).to.throw(/errorRatePercent/);
            expect(() => alertRuleGroups({ namespaces: ["app"], pvcFullPercent: 96 })).to.throw(/pvcCriticalPercent/);
            expect(() => alertRuleGroups({ namespaces: ["app"], cpuForMinutes: -1 })).to.throw(/cpuForMinutes/);
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

        it("compute backup staleness from the CronJob schedule", () => {
            expect(cronMaxIntervalSeconds("0 2 * * *")).to.equal(86_400);
            expect(cronMaxIntervalSeconds("*/15 * * * *")).to.equal(900);
            expect(cronMaxIntervalSeconds("0 */6 * * *")).to.equal(21_600);
            expect(cronMaxIntervalSeconds("0 3,15 * * *")).to.equal(43_200);
            expect(cronMaxIntervalSeconds("30 1 * * 1-5")).to.equal(3 * 86_400); // Friday to Monday
            expect(cronMaxIntervalSeconds("0 3 * * sun")).to.equal(7 * 86_400);
            expect(cronMaxIntervalSeconds("0 0 1 * *")).to.equal(31 * 86_400);
            expect(cronMaxIntervalSeconds("@hourly")).to.equal(3600);
            expect(backupMaxAgeSeconds("0 2 * * *")).to.equal(90_000);
            expect(backupMaxAgeSeconds("0 2 * * *", 600)).to.equal(87_000);
            expect(() => cronMaxIntervalSeconds("61 * * * *")).to.throw(/outside/);
            expect(() => cronMaxIntervalSeconds("0 2 * *")).to.throw(/5 fields/);
        });
    });

    describe("promtool", function () {
        this.timeout(60_000);

        it("checks the rendered rule file (syntax, templates, durations)", function () {
            const promtool = needTool(this, "promtool", "prometheus");
            const file = writeYaml("rules.yaml", { groups: prometheusRuleGroups(ARGS) });
            // --lint-fatal: duplicate rules (same name and labels) fail too.
            const result = run(promtool, ["check", "rules", "--lint-fatal", file], tmpDir);
            expect(result.status, result.output).to.equal(0);
            const count = prometheusRuleGroups(ARGS).reduce((n, g) => n + g.rules.length, 0);
            expect(result.output).to.contain(`SUCCESS: ${count} rules found`);
        });

        it("rejects a broken rule file (the check is not vacuous)", function () {
            const promtool = needTool(this, "promtool", "prometheus");
            const broken = alertRuleGroups(ARGS).map((g, i) =>
                i === 0 ? { ...g, rules: [{ ...g.rules[0], expr: "sum(up" }] } : g,
            );
            const file = writeYaml("broken-rules.yaml", { groups: broken });
            expect(run(promtool, ["check", "rules", file], tmpDir).status).to.not.equal(0);
        });

        it("unit tests cover every alert the rules define, firing and quiet", () => {
            const defined = new Set(allAlertRules().map((r) => r.alert));
            const fires = new Set(CASES.filter((c) => c.fire.length > 0 && c.fire.every((s) => s.expect.length > 0)).map((c) => c.alertname));
            const quiet = new Set(CASES.filter((c) => c.quiet.length > 0 && c.quiet.every((s) => s.expect.length === 0)).map((c) => c.alertname));
            for (const name of defined) {
                expect(fires, `a scenario that fires ${name}`).to.include(name);
                expect(quiet, `a scenario where ${name} stays quiet`).to.include(name);
            }
            expect([...new Set(CASES.map((c) => c.alertname))].sort()).to.deep.equal([...defined].sort());
        });

        it("every alert fires on its synthetic series and stays quiet on healthy ones (promtool test rules)", function () {
            const promtool = needTool(this, "promtool", "prometheus");
            writeYaml("rules-for-tests.yaml", rulesWithoutAnnotations(ARGS));
            const testFile = writeYaml("rules.test.yaml", unitTestFile("rules-for-tests.yaml"));
            const result = run(promtool, ["test", "rules", testFile], tmpDir);
            expect(result.status, result.output).to.equal(0);
            expect(result.output).to.contain("SUCCESS");
        });

        it("the unit-test harness catches a wrong expectation", function () {
            const promtool = needTool(this, "promtool", "prometheus");
            writeYaml("rules-for-tests-2.yaml", rulesWithoutAnnotations(ARGS));
            const series = healthy();
            const file = writeYaml("wrong.test.yaml", {
                rule_files: ["rules-for-tests-2.yaml"],
                evaluation_interval: "1m",
                tests: [
                    {
                        interval: "1m",
                        input_series: [...series].map(([key, values]) => ({ series: key, values })),
                        alert_rule_test: [
                            { eval_time: "30m", alertname: "ServiceDown", exp_alerts: [{ exp_labels: { severity: "critical", ...app("backend") } }] },
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
                expect(r?.webhook_configs?.[0]).to.deep.equal({ url: withEndpoints.webhookUrl, send_resolved: true, max_alerts: 0 });
                expect(r?.slack_configs?.[0]).to.include({ api_url: withEndpoints.slackWebhookUrl, channel: "#ops-alerts" });
                expect(r?.slack_configs?.[0].title).to.match(/^\[prod\] /);
            }
            expect(config.receivers.find((x) => x.name === NULL_RECEIVER)).to.deep.equal({ name: NULL_RECEIVER });
            expect(alertmanagerConfig({ webhookUrl: "", slackWebhookUrl: " " }).receivers.every((r) => !r.webhook_configs && !r.slack_configs)).to.equal(true);
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
                expect(route("alertname=ServiceDown", "severity=critical", "namespace=app")).to.equal(CRITICAL_RECEIVER);
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
        it("parse, have unique uids, refresh every 30s and target Grafana 12's schema", () => {
            const all = loadDashboards();
            expect(fs.readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith(".json")).sort()).to.deep.equal([...DASHBOARD_FILES].sort());
            const uids = all.map((x) => x.dashboard.uid);
            expect(new Set(uids).size).to.equal(uids.length);
            for (const { file, dashboard } of all) {
                expect(dashboard.uid, file).to.match(/^[a-zA-Z0-9_-]{1,40}$/);
                expect(dashboard.title, file).to.be.a("string").with.length.greaterThan(0);
                expect(dashboard.refresh, file).to.equal("30s");
                expect(dashboard.schemaVersion, file).to.equal(GRAFANA_SCHEMA_VERSION);
            }
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
                    expect(p.datasource, `${file} / ${p.title}`).to.deep.equal({ type: "prometheus", uid: "${datasource}" });
                    expect(p.targets ?? [], `${file} / ${p.title}`).to.have.length.greaterThan(0);
                    for (const t of p.targets ?? []) expect(t.datasource, `${file} / ${p.title}`).to.deep.equal({ type: "prometheus", uid: "${datasource}" });
                }
                for (const v of dashboard.templating.list.filter((x) => x.type === "query")) {
                    expect(v.datasource, `${file} / $${v.name}`).to.deep.equal({ type: "prometheus", uid: "${datasource}" });
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
                    expr = expr.replace(/\$__(rate_interval|interval|range)\b/g, "5m").replace(/\$\{?\w+(:\w+)?\}?/g, ".*");
                    return expr;
                }),
            );
            const file = writeYaml("dashboard-queries.yaml", {
                groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
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
            expect(metricNamesInPromql("histogram_quantile(0.95, sum(rate(x_bucket[5m])) by (le))")).to.deep.equal(["x_bucket"]);
            expect(metricNamesInVariableQuery('label_values(kube_pod_info{namespace=~"$namespace"}, pod)')).to.deep.equal(["kube_pod_info"]);
            expect(metricNamesInVariableQuery("label_values(namespace)")).to.deep.equal([]);
            expect(metricNamesInVariableQuery("query_result(topk(5, foo))")).to.deep.equal(["foo"]);
        });

        it("has no duplicate names and lists the recording rules the rules define", () => {
            const all = Object.values(METRICS_CATALOG).flat();
            expect(new Set(all).size).to.equal(all.length);
            const recorded = recordingRuleGroups().flatMap((g) => g.rules.map((r) => r.record));
            expect([...recorded].sort()).to.deep.equal([...METRICS_CATALOG.stackwrightRecordingRules].sort());
        });

        it("knows every metric the rule expressions use", () => {
            const unknown = prometheusRuleGroups(ARGS)
                .flatMap((g) => g.rules.map((r) => ({ where: "alert" in r ? r.alert : r.record, expr: r.expr })))
                .flatMap(({ where, expr }) => metricNamesInPromql(expr).filter((m) => !known.has(m)).map((m) => `${where}: ${m}`));
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
