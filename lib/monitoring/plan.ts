/**
 * What the monitoring component deploys, derived from the validated stack config (pure): chart sources, chart
 * settings, the stack's alert rules with this environment's thresholds, the Alertmanager routing, the receivers
 * (secret config values, kept secret by the component) and the NetworkPolicies.
 */
import { HelmRendering, helmRendering } from "../helm";
import * as fs from "fs";
import * as path from "path";
import { StackConfig } from "../../config/schema";
import { publicHost } from "../hosts";
import { computeResources, environmentDefaults, resolveResources } from "../defaults";
import { hasDataNamespace } from "../plan";
import { BACKUP_CRONJOBS, POSTGRES_CLUSTER_NAME } from "../topology";
import { backupsWanted } from "../backups/plan";
import { backupMaxAgeSeconds, scheduledBackupMaxAgeSeconds } from "../cron";
import {
    AlertRulesArgs,
    BackupCronJobTarget,
    PostgresClusterTarget,
    prometheusRuleGroups,
    RecordingRuleGroup,
    RuleGroup,
} from "./alert-rules";
import type { AlertmanagerConfigArgs } from "./alertmanager";
import { PROMETHEUS_DEFAULT_RESOURCES } from "./defaults";
import { MonitoringNetworkPolicy, monitoringNetworkPolicies } from "./network-policies";
import type { KubePrometheusStackValuesArgs } from "./values";
import { ChartSource } from "../chart-source";
import { ADAPTER_DEFAULT_RESOURCES, adapterRules, prometheusAdapterValues } from "./adapter";
import { tempoDataSource } from "../tracing/plan";
import { lokiDataSource } from "../logging/plan";
import { inClusterPostgres } from "../postgres/roles";

/** The Grafana dashboards of the repository (one ConfigMap per *.json file). */
export const DASHBOARDS_DIR = path.resolve(__dirname, "..", "..", "dashboards");

/** Alert receivers: secret config values. */
export interface AlertReceivers {
    readonly webhookUrl?: string;
    readonly slackWebhookUrl?: string;
    readonly slackChannel?: string;
}

/** Chart settings known from config; the component adds what only exists once it has created it. */
export type MonitoringChartSettings = Omit<
    KubePrometheusStackValuesArgs,
    | "namespace"
    | "nodeMonitoringNamespace"
    | "grafanaAdminSecretName"
    | "grafanaAdminPasswordRotation"
    | "alertmanagerConfigSecretName"
>;

export interface MonitoringPlan {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    /** The monitoring namespace (index.ts passes the Namespace's output in its place, for ordering). */
    readonly namespace: string;
    readonly nodeMonitoringNamespace: string;
    readonly chart: ChartSource;
    readonly crdsChart: ChartSource;
    readonly settings: MonitoringChartSettings;
    readonly ruleGroups: (RuleGroup | RecordingRuleGroup)[];
    /** Routing without endpoints (those are `receivers`). */
    readonly alertmanager: Omit<AlertmanagerConfigArgs, "webhookUrl" | "slackWebhookUrl" | "slackChannel">;
    readonly receivers: AlertReceivers;
    readonly networkPolicies: MonitoringNetworkPolicy[];
    /** The repository's Grafana dashboards, read and checked here (before registration). */
    readonly dashboards: readonly GrafanaDashboard[];
    /** The Prometheus Adapter, when a service scales on requests per second (lib/monitoring/adapter.ts). */
    readonly adapter?: { readonly chart: ChartSource; readonly values: ReturnType<typeof prometheusAdapterValues> };
}

/** The Prometheus Adapter of a stack: only when an HPA asks for a metric it serves. */
function adapterPlan(cfg: StackConfig): MonitoringPlan["adapter"] {
    const rules = adapterRules(cfg);
    if (rules.length === 0) return undefined;
    const m = cfg.monitoring;
    return {
        chart: m.adapterChart,
        values: prometheusAdapterValues({
            namespace: cfg.namespaces.monitoring,
            // Two in prod: scale-up decisions must not wait for one pod's restart.
            replicas: m.adapterReplicas ?? (cfg.environment === "prod" ? 2 : 1),
            resources: computeResources(m.adapterResources, ADAPTER_DEFAULT_RESOURCES),
            rules,
        }),
    };
}

/** Backup CronJobs the backups component creates (names from lib/topology), with their staleness limit. */
export function backupCronJobTargets(cfg: StackConfig): BackupCronJobTarget[] {
    if (!cfg.backups.enabled) return [];
    const ns = cfg.namespaces.data;
    const targets: BackupCronJobTarget[] = [];
    if (inClusterPostgres(cfg)) {
        targets.push({
            name: BACKUP_CRONJOBS.postgres,
            namespace: ns,
            maxAgeSeconds: backupMaxAgeSeconds(cfg.backups.postgresSchedule),
        });
        targets.push({
            name: BACKUP_CRONJOBS.postgresVerify,
            namespace: ns,
            maxAgeSeconds: backupMaxAgeSeconds(cfg.backups.verifySchedule),
        });
    }
    if (cfg.redis.enabled)
        targets.push({
            name: BACKUP_CRONJOBS.redis,
            namespace: ns,
            maxAgeSeconds: backupMaxAgeSeconds(cfg.backups.redisSchedule),
        });
    return targets;
}

/**
 * The stack's CloudNativePG cluster. With `postgres.objectStore` it archives WAL and takes base backups: the daily
 * full ScheduledBackup (components/postgres.ts) and, when the backups component runs, the incremental one
 * (lib/backups/args.ts physicalBackupSchedule).
 */
export function postgresClusterTargets(cfg: StackConfig): PostgresClusterTarget[] {
    // An external PostgreSQL is watched by its provider: no CloudNativePG metrics to alert on.
    if (!inClusterPostgres(cfg)) return [];
    const store = cfg.postgres.objectStore;
    const schedules = store
        ? [store.fullBackupSchedule, ...(backupsWanted(cfg) ? [cfg.backups.incrementalSchedule] : [])]
        : [];
    return [
        {
            name: POSTGRES_CLUSTER_NAME,
            namespace: cfg.namespaces.data,
            ...(store ? { objectStore: { baseBackupMaxAgeSeconds: scheduledBackupMaxAgeSeconds(schedules) } } : {}),
        },
    ];
}

/** Arguments of the stack's alert rules: its namespaces, scraped services, data stores, backups and thresholds. */
export function alertRulesArgs(cfg: StackConfig): AlertRulesArgs {
    const t = cfg.monitoring.thresholds;
    const data = hasDataNamespace(cfg);
    return {
        // With the trace and log stores: their volumes fill up and their pods crash like any other.
        namespaces: [
            cfg.namespaces.apps,
            ...(data ? [cfg.namespaces.data] : []),
            ...(cfg.tracing.enabled ? [cfg.namespaces.tracing] : []),
            ...(cfg.logging.enabled ? [cfg.namespaces.logging] : []),
        ],
        // Only services with a metrics endpoint have `up` series; the others would always look down.
        services: Object.entries(cfg.services)
            .filter(([, svc]) => svc.metrics !== undefined)
            .map(([name, svc]) => ({
                name,
                namespace: cfg.namespaces.apps,
                latencyP95TargetMs: svc.latencyTargetMilliseconds,
            })),
        backupCronJobs: backupCronJobTargets(cfg),
        postgresClusters: postgresClusterTargets(cfg),
        redisNamespaces: cfg.redis.enabled ? [cfg.namespaces.data] : [],
        istioEnabled: cfg.mesh.enabled,
        logCollectorNamespace: cfg.logging.enabled ? cfg.namespaces.logging : undefined,
        cpuLimitPercent: t.cpuLimitPercent,
        memoryLimitPercent: t.memoryLimitPercent,
        errorRatePercent: t.errorRatePercent,
        pvcFullPercent: t.pvcFullPercent,
        postgresReplicationLagSeconds: t.postgresReplicationLagSeconds,
        postgresConnectionsPercent: t.postgresConnectionsPercent,
        redisMemoryPercent: t.redisMemoryPercent,
    };
}

export function alertReceivers(cfg: StackConfig): AlertReceivers {
    return {
        webhookUrl: cfg.monitoring.alertWebhookUrl,
        slackWebhookUrl: cfg.monitoring.slackWebhookUrl,
        slackChannel: cfg.monitoring.slackChannel,
    };
}

/** The monitoring stack of a config, or undefined when monitoring is off. */
export function monitoringPlan(cfg: StackConfig): MonitoringPlan | undefined {
    const m = cfg.monitoring;
    if (!m.enabled) return undefined;
    return {
        helm: helmRendering(cfg),
        namespace: cfg.namespaces.monitoring,
        nodeMonitoringNamespace: cfg.namespaces.nodeMonitoring,
        chart: m.chart,
        crdsChart: m.crdsChart,
        settings: {
            retention: m.retention,
            storageSize: m.storageSize,
            storageClass: m.storageClass ?? cfg.storageClass ?? environmentDefaults(cfg.environment).storageClass,
            alertmanagerStorageSize: m.alertmanagerStorageSize,
            prometheusReplicas: m.prometheusReplicas,
            alertmanagerReplicas: m.alertmanagerReplicas,
            prometheusResources: resolveResources(m.resources, PROMETHEUS_DEFAULT_RESOURCES),
            scrapeIntervalSeconds: m.scrapeIntervalSeconds,
            meshEnabled: cfg.mesh.enabled,
            // Config validation guarantees a host inside the domain (never the raw value: it lands in grafana.ini).
            grafanaHost: publicHost(m.grafanaHost, cfg.domain)!,
            additionalDataSources: [
                ...(cfg.tracing.enabled ? [tempoDataSource(cfg)] : []),
                ...(cfg.logging.enabled ? [lokiDataSource(cfg)] : []),
            ],
        },
        ruleGroups: prometheusRuleGroups(alertRulesArgs(cfg)),
        alertmanager: { environment: cfg.environment },
        receivers: alertReceivers(cfg),
        networkPolicies: monitoringNetworkPolicies(cfg),
        dashboards: readDashboards(DASHBOARDS_DIR),
        adapter: adapterPlan(cfg),
    };
}

/** A Grafana dashboard file of the repository. */
export interface GrafanaDashboard {
    readonly file: string;
    readonly json: string;
}

/** The dashboards of a directory, sorted by file name. Fails loudly on invalid JSON (a broken dashboard never ships). */
export function readDashboards(dir: string): GrafanaDashboard[] {
    const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort();
    if (files.length === 0) throw new Error(`monitoring: no dashboards (*.json) in ${dir}`);
    return files.map((file) => {
        const json = fs.readFileSync(path.join(dir, file), "utf8");
        try {
            JSON.parse(json);
        } catch (err) {
            throw new Error(`monitoring: dashboard ${file} is not valid JSON: ${(err as Error).message}`);
        }
        return { file, json };
    });
}
