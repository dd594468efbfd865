/**
 * From the validated stack config to the Backups component's args (pure; index.ts only wires). The alert rules
 * find the CronJobs by their names (lib/topology BACKUP_CRONJOBS, lib/monitoring/plan backupCronJobTargets).
 */
import type * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/schema";
import { databaseRoles } from "../postgres/roles";
import { resolveResources, ResourceSpec } from "../defaults";
import { backupMaxAgeSeconds } from "../cron";
import {
    PeerSelector,
    POSTGRES_CLUSTER_NAME,
    POSTGRES_PORT,
    postgresPods,
    REDIS_NAME,
    REDIS_PORT,
    REDIS_SENTINEL_PORT,
    redisPods,
    redisSentinelPods,
} from "../topology";
import { storageClassFor } from "../storage-class";
import { podHostname } from "../redis/conf";
import { PASSWORD_KEY } from "../redis/workload";
import { BACKUP_JOB_RESOURCES } from "./defaults";
import { BackupObjectStoreArgs, objectStorePrefix } from "./object-store";
import { inClusterPostgres } from "../postgres/roles";

/** What the Backups component takes from the data-store components. */
export interface BackupsWiring {
    /** Postgres.superuserSecretName: basic-auth Secret of the superuser in the data namespace; required with PostgreSQL. */
    readonly postgresSuperuserSecretName?: pulumi.Input<string>;
    /** Redis.passwordSecretName: the Redis password Secret in the data namespace; required with Redis. */
    readonly redisPasswordSecretName?: pulumi.Input<string>;
    /**
     * Redis.sentinelAddresses and Redis.masterName (Sentinel mode): each run asks these Sentinels for a healthy
     * replica (the primary only when none is), so a failover never makes the snapshot fork the primary.
     */
    readonly redisSentinel?: { readonly addresses: readonly string[]; readonly masterName: string };
    /** The data-store components: jobs and the ScheduledBackup are created after them. @default [] */
    readonly dataStoresDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Whether the stack takes any backup: backups on and at least one data store to back up. */
export function backupsWanted(cfg: StackConfig): boolean {
    // An external PostgreSQL is backed up by its provider, not by this stack.
    return cfg.backups.enabled && (inClusterPostgres(cfg) || cfg.redis.enabled);
}

/** `<cluster>-rw.<ns>.svc`: always the primary, and a name on every server certificate CloudNativePG issues. */
export function postgresBackupHost(cfg: StackConfig): string {
    return `${POSTGRES_CLUSTER_NAME}-rw.${cfg.namespaces.data}.svc`;
}

/** Standalone: the one Valkey node to snapshot. Sentinel mode: none (the Sentinels name it at run time). */
export function redisSnapshotHost(cfg: StackConfig): string | undefined {
    if (cfg.redis.mode === "sentinel") return undefined;
    return podHostname(REDIS_NAME, 0, REDIS_NAME, cfg.namespaces.data, cfg.kubernetes.clusterDomain);
}

/** Everything the Backups component needs from config, every default resolved (built before registration). */
export function backupsPlan(cfg: StackConfig): BackupsPlan {
    const b = cfg.backups;
    const postgres = inClusterPostgres(cfg);
    const redis = cfg.redis.enabled;
    return {
        namespace: cfg.namespaces.data,
        timeZone: b.timeZone,
        storageClassName: storageClassFor(cfg, b.storageClass),
        storageSize: b.storageSize,
        redisStorageSize: b.redisStorageSize,
        retentionDaily: b.retentionDaily,
        retentionWeekly: b.retentionWeekly,
        retentionMonthly: b.retentionMonthly,
        resources: resolveResources(b.resources, BACKUP_JOB_RESOURCES),
        backupDeadlineSeconds: b.backupDeadlineSeconds,
        restoreDeadlineSeconds: b.restoreDeadlineSeconds,
        meshEnabled: cfg.mesh.enabled,

        postgresDatabases: postgres ? databaseRoles(cfg) : [],
        postgresImage: cfg.postgres.imageName,
        postgresHost: postgresBackupHost(cfg),
        postgresPort: POSTGRES_PORT,
        postgresCaSecretName: `${POSTGRES_CLUSTER_NAME}-ca`,
        postgresPods: [postgresPods(cfg)],
        postgresSchedule: b.postgresSchedule,
        verifySchedule: b.verifySchedule,
        // The verification fails when the newest dump is older than one backup interval + grace.
        postgresMaxBackupAgeHours: Math.ceil(backupMaxAgeSeconds(b.postgresSchedule) / 3600),
        postgresClusterName: POSTGRES_CLUSTER_NAME,
        physicalBackupSchedule: postgres && cfg.postgres.objectStore ? b.incrementalSchedule : undefined,

        redisImage: redis ? cfg.redis.image : undefined,
        redisHost: redisSnapshotHost(cfg),
        redisPort: REDIS_PORT,
        // Sentinel mode: the job pods may reach the Sentinels (their addresses come from the Redis component).
        redisSentinelPeers:
            redis && cfg.redis.mode === "sentinel"
                ? { pods: [redisSentinelPods(cfg)], port: REDIS_SENTINEL_PORT }
                : undefined,
        redisPasswordSecretKey: PASSWORD_KEY,
        redisPods: [redisPods(cfg)],
        redisSchedule: b.redisSchedule,

        objectStore: backupObjectStore(cfg),
    };
}

/** backups.objectStore with the prefix resolved (`stackwright/<environment>` by default); undefined when unset. */
export function backupObjectStore(cfg: StackConfig): BackupObjectStoreArgs | undefined {
    const o = cfg.backups.objectStore;
    if (o === undefined) return undefined;
    return {
        endpointUrl: o.endpointUrl,
        bucket: o.bucket,
        prefix: objectStorePrefix(o.prefix, cfg.environment),
        region: o.region,
        forcePathStyle: o.forcePathStyle,
        image: o.image,
        accessKeyId: o.accessKeyId,
        secretAccessKey: o.secretAccessKey,
    };
}

export interface BackupsPlan {
    /** Namespace of the jobs, volumes and policies: the data namespace, next to the data stores. */
    readonly namespace: pulumi.Input<string>;
    /** IANA time zone the schedules are read in. */
    readonly timeZone: string;
    readonly storageClassName: string;
    /** Size of the PostgreSQL dump volume (quantity, e.g. "20Gi"). */
    readonly storageSize: string;
    /** Size of the Redis snapshot volume (quantity). */
    readonly redisStorageSize: string;
    /** GFS retention passed to the scripts. */
    readonly retentionDaily: number;
    readonly retentionWeekly: number;
    readonly retentionMonthly: number;
    /** Container requests and limits of every job. */
    readonly resources: ResourceSpec;
    /** activeDeadlineSeconds of backup runs. */
    readonly backupDeadlineSeconds: number;
    /** activeDeadlineSeconds of restores and restore verifications. */
    readonly restoreDeadlineSeconds: number;
    /** The stack runs Istio: job pods opt out of injection by label; without it they carry no Istio label. */
    readonly meshEnabled: boolean;

    /** Databases to dump, verify and offer restores for; no PostgreSQL jobs when empty. */
    readonly postgresDatabases: readonly string[];
    /** The cluster's operand image: pg_dump of the server's major version. */
    readonly postgresImage: string;
    /** The primary's `-rw` Service, as named on the server certificate. */
    readonly postgresHost: string;
    /** PostgreSQL port on postgresHost. */
    readonly postgresPort: number;
    /** Secret holding the cluster CA under `ca.crt` (CloudNativePG: `<cluster>-ca`). */
    readonly postgresCaSecretName: pulumi.Input<string>;
    /** PostgreSQL instance pods (NetworkPolicy egress). */
    readonly postgresPods: readonly PeerSelector[];
    /** pg_dump schedule (CronJob, five fields, in timeZone). */
    readonly postgresSchedule: string;
    /** Restore verification schedule (CronJob, five fields). */
    readonly verifySchedule: string;
    /** The verification fails when the newest dump is older (hours). */
    readonly postgresMaxBackupAgeHours: number;
    /** CloudNativePG Cluster the ScheduledBackup targets. */
    readonly postgresClusterName: string;
    /** Base backups through the Barman Cloud plugin at this six-field cadence; no ScheduledBackup when unset. */
    readonly physicalBackupSchedule?: string;

    /** Valkey image (Debian variant) with valkey-cli; no Redis job when unset. */
    readonly redisImage?: string;
    /** The one node to snapshot when there is no Sentinel; required with redisImage unless redisSentinel is set. */
    readonly redisHost?: string;
    /** Valkey port on redisHost. */
    readonly redisPort: number;
    /** Sentinel mode: the Sentinel pods and port the job pods may reach; no Sentinel otherwise. */
    readonly redisSentinelPeers?: { readonly pods: readonly PeerSelector[]; readonly port: number };
    /** Key of the password in redisPasswordSecretName. */
    readonly redisPasswordSecretKey: string;
    /** Valkey pods (NetworkPolicy egress). */
    readonly redisPods: readonly PeerSelector[];
    /** RDB snapshot schedule (CronJob, five fields). */
    readonly redisSchedule: string;

    /**
     * S3-compatible object storage the backup and snapshot runs mirror their volume to (rclone container after the
     * backup script, egress on 443 and the endpoint's port); the keys go only into a Secret. @default volume only
     */
    readonly objectStore?: BackupObjectStoreArgs;
}

/** The Backups component's args: its plan plus its wiring. */
export interface BackupsArgs extends BackupsPlan, BackupsWiring {}
