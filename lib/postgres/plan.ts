/**
 * From the validated stack config to the Postgres component's args (pure; index.ts only wires). Also the
 * NetworkPolicy peers that may open SQL connections: the pods of services that declare a database.
 */
import { HelmRendering, helmRendering } from "../helm";
import { ChartSource } from "../chart-source";
import type * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/schema";
import { databaseRoles } from "./roles";
import { environmentDefaults, resolveResources, ResourceSpec } from "../defaults";
import { selectorLabels } from "../labels";
import { storageClassFor } from "../storage-class";

// Re-exported: other components import it from here.
export { storageClassFor };
import { migrationName } from "../service/workload";
import { backupPods, MonitoringCapability, PeerSelector } from "../topology";
import {
    BARMAN_PLUGIN_RESOURCES,
    BARMAN_SIDECAR_RESOURCES,
    OPERATOR_RESOURCES,
    operatorReplicaDefault,
    POOLER_RESOURCES,
    POSTGRES_INSTANCE_DEFAULTS,
    postgresResourceDefaults,
} from "./defaults";

/**
 * Pods that connect to PostgreSQL: every service with `database` set (selector labels as the services component
 * sets them), and its migration Job's pods (their own name, see lib/service/workload.ts).
 */
export function postgresClientPeers(cfg: StackConfig): PeerSelector[] {
    const peers: PeerSelector[] = [];
    for (const name of Object.keys(cfg.services).sort()) {
        const svc = cfg.services[name];
        if (svc.database === undefined) continue;
        peers.push({ namespace: cfg.namespaces.apps, podLabels: selectorLabels({ name }) });
        if (svc.migration)
            peers.push({ namespace: cfg.namespaces.apps, podLabels: selectorLabels({ name: migrationName(name) }) });
    }
    return peers;
}

/** What the Postgres component takes from other components. */
export interface PostgresWiring {
    /** GeneratedSecrets.credentials: the password of each role (`db-<role>`) and `postgresSuperuserPassword`. */
    readonly credentials: Readonly<Record<string, pulumi.Output<string>>>;
    /** The stack's monitoring (lib/topology monitoringCapability); absent when monitoring is off. */
    readonly monitoring?: MonitoringCapability;
}

/** Everything the Postgres component needs from config, every default resolved (built before registration). */
export function postgresPlan(cfg: StackConfig): PostgresPlan {
    const pg = cfg.postgres;
    const roles = databaseRoles(cfg);
    const os = pg.objectStore;
    return {
        helm: helmRendering(cfg),
        namespace: cfg.namespaces.data,
        operatorNamespace: cfg.namespaces.postgresOperator,
        clientNamespace: cfg.namespaces.apps,
        clusterDomain: cfg.kubernetes.clusterDomain,
        operatorChart: pg.operatorChart,
        operatorReplicas: pg.operatorReplicas ?? operatorReplicaDefault(cfg.environment),
        operatorResources: OPERATOR_RESOURCES,
        instances: pg.instances ?? POSTGRES_INSTANCE_DEFAULTS[cfg.environment],
        imageName: pg.imageName,
        storageSize: pg.storageSize,
        walStorageSize: pg.walStorageSize,
        storageClass: storageClassFor(cfg, pg.storageClass),
        resources: resolveResources(pg.resources, postgresResourceDefaults(cfg.environment)),
        maxConnections: pg.maxConnections,
        singleInstanceWaiver: cfg.waivers.singlePostgresInstance,
        zoneSpread: pg.zoneAntiAffinity ?? environmentDefaults(cfg.environment).zoneSpreadRequired,
        appDatabase: pg.appDatabase,
        // One database per role, owned by the role of the same name (lib/postgres/roles.ts databaseRoles).
        databases: roles,
        pooler: pg.pooler.enabled
            ? {
                  instances: pg.pooler.instances,
                  poolMode: pg.pooler.poolMode,
                  maxClientConnections: pg.pooler.maxClientConnections,
                  defaultPoolSize: pg.pooler.defaultPoolSize,
                  resources: resolveResources(pg.pooler.resources, POOLER_RESOURCES),
              }
            : undefined,
        objectStore: os
            ? {
                  destinationPath: os.destinationPath,
                  endpointUrl: os.endpointUrl,
                  region: os.region,
                  accessKeyId: os.accessKeyId,
                  secretAccessKey: os.secretAccessKey,
                  retentionPolicy: os.retentionPolicy,
                  fullBackupSchedule: os.fullBackupSchedule,
                  archiveTimeoutSeconds: os.archiveTimeoutSeconds,
                  pluginChart: pg.barmanCloudPluginChart,
                  pluginResources: BARMAN_PLUGIN_RESOURCES,
                  sidecarResources: BARMAN_SIDECAR_RESOURCES,
              }
            : undefined,
        clientPods: postgresClientPeers(cfg),
        backupPods: [backupPods(cfg)],
    };
}

export interface PostgresPoolerArgs {
    /** PgBouncer pods. */
    readonly instances: number;
    /** PgBouncer pool mode. */
    readonly poolMode: "session" | "transaction";
    /** PgBouncer max_client_conn. */
    readonly maxClientConnections: number;
    /** PgBouncer default_pool_size (below maxConnections). */
    readonly defaultPoolSize: number;
    readonly resources: ResourceSpec;
}

export interface PostgresObjectStoreArgs {
    /** s3:// URL (bucket and prefix). */
    readonly destinationPath: string;
    /** S3-compatible endpoint; AWS when unset. */
    readonly endpointUrl?: string;
    readonly region?: string;
    readonly accessKeyId: pulumi.Input<string>;
    readonly secretAccessKey: pulumi.Input<string>;
    /** How long base backups and WAL are kept in the bucket (Barman, e.g. "30d"). */
    readonly retentionPolicy: string;
    /** Full base backup schedule, six-field cron (seconds first). */
    readonly fullBackupSchedule: string;
    /** archive_timeout: WAL reaches the object store at least this often. @default 300 */
    readonly archiveTimeoutSeconds?: number;
    /** Barman Cloud plugin chart (pinned). */
    readonly pluginChart: ChartSource;
    readonly pluginResources: ResourceSpec;
    /** The plugin's sidecar in every instance pod. */
    readonly sidecarResources: ResourceSpec;
}

export interface PostgresPlan {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    /** Namespace of the Cluster, its Secrets and NetworkPolicies (must exist). */
    readonly namespace: string;
    /** Namespace of the CloudNativePG operator (must exist). */
    readonly operatorNamespace: string;
    /** Namespace of the services: the per-database client Secrets go there. */
    readonly clientNamespace: string;
    /** The cluster's DNS domain (service host names). */
    readonly clusterDomain: string;
    readonly operatorChart: ChartSource;
    /** CloudNativePG operator replicas (leader election). */
    readonly operatorReplicas: number;
    readonly operatorResources: ResourceSpec;
    readonly instances: number;
    /** Prod waiver for one instance: its written reason, set on the Cluster (lib/waivers.ts). @default none */
    readonly singleInstanceWaiver?: string;
    readonly imageName: string;
    /** PGDATA volume size (quantity, e.g. "10Gi"). */
    readonly storageSize: string;
    /** Separate WAL volume size (quantity); WAL lives on the data volume when unset. */
    readonly walStorageSize?: string;
    readonly storageClass: string;
    readonly resources: ResourceSpec;
    /** max_connections of the server. */
    readonly maxConnections: number;
    /** Spread instances across zones (hard rule). */
    readonly zoneSpread: boolean;
    /** Bootstrap database, owned by the role of the same name. */
    readonly appDatabase: string;
    /** Every database (including appDatabase); each is owned by the role of the same name. */
    readonly databases: readonly string[];
    /** PgBouncer Pooler in front of the primary; clients connect through it when set. */
    readonly pooler?: PostgresPoolerArgs;
    /** WAL archiving and base backups (Barman Cloud plugin); none when unset. */
    readonly objectStore?: PostgresObjectStoreArgs;
    /** Pods allowed to open SQL connections (services that declare a database, their migration Jobs). */
    readonly clientPods: readonly PeerSelector[];
    /** Backup job pods (SQL access). @default [] */
    readonly backupPods?: readonly PeerSelector[];
}

/** The Postgres component's args: its plan plus its wiring. */
export interface PostgresArgs extends PostgresPlan, PostgresWiring {}
