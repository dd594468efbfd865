/**
 * From the validated stack config to the Backups component's args (pure; index.ts only wires). The alert rules
 * find the CronJobs by their names (lib/topology BACKUP_CRONJOBS, lib/monitoring/plan backupCronJobTargets).
 */
import type * as pulumi from "@pulumi/pulumi";
import { databaseRoles, StackConfig } from "../../config";
import type { BackupsArgs, RedisSentinelTarget } from "../../components/backups";
import { resolveResources } from "../defaults";
import { backupMaxAgeSeconds } from "../cron";
import {
    POSTGRES_CLUSTER_NAME, POSTGRES_PORT, postgresPods, REDIS_NAME, REDIS_PORT, REDIS_SENTINEL_PORT, redisPods, redisSentinelPods,
} from "../topology";
import { storageClassFor } from "../storage-class";
import { podHostname } from "../redis/conf";
import { PASSWORD_KEY } from "../redis/workload";
import { BACKUP_JOB_RESOURCES } from "./defaults";
import { BackupObjectStoreArgs, objectStorePrefix } from "./object-store";

/** Outputs of the data-store components the backup jobs refer to. */
export interface BackupsWiring {
    /** Postgres.superuserSecretName: basic-auth Secret of the superuser in the data namespace. */
    readonly postgresSuperuserSecretName?: pulumi.Input<string>;
    /** Redis password Secret in the data namespace and its key (@default lib/redis/workload PASSWORD_KEY). */
    readonly redisPasswordSecretName?: pulumi.Input<string>;
    readonly redisPasswordSecretKey?: string;
    /**
     * Redis.sentinelAddresses and Redis.masterName (Sentinel mode): the Sentinels the snapshot job asks for a
     * healthy replica at run time (no pod is a replica by convention: after a failover any node may be the primary).
     */
    readonly redisSentinel?: { readonly addresses: readonly string[]; readonly masterName: string };
    /** The data-store components: jobs and the ScheduledBackup are created after them. @default [] */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Whether the stack takes any backup: backups on and at least one data store to back up. */
export function backupsWanted(cfg: StackConfig): boolean {
    return cfg.backups.enabled && (cfg.postgres.enabled || cfg.redis.enabled);
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

/** Sentinel mode: the Sentinels (from the Redis component) the snapshot job asks, and the pods it may reach. */
function redisSnapshotSentinel(cfg: StackConfig, wiring: BackupsWiring): RedisSentinelTarget | undefined {
    if (cfg.redis.mode !== "sentinel" || wiring.redisSentinel === undefined) return undefined;
    return { ...wiring.redisSentinel, pods: [redisSentinelPods(cfg)], port: REDIS_SENTINEL_PORT };
}

export function backupsArgs(cfg: StackConfig, wiring: BackupsWiring): BackupsArgs {
    const b = cfg.backups;
    const postgres = cfg.postgres.enabled;
    const redis = cfg.redis.enabled;
    if (postgres && wiring.postgresSuperuserSecretName === undefined) throw new Error("backups: PostgreSQL is enabled but no superuser Secret was given");
    if (redis && wiring.redisPasswordSecretName === undefined) throw new Error("backups: Redis is enabled but no Redis password Secret was given");
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
        postgresSuperuserSecretName: wiring.postgresSuperuserSecretName,
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
        redisSentinel: redis ? redisSnapshotSentinel(cfg, wiring) : undefined,
        redisPasswordSecretName: wiring.redisPasswordSecretName,
        redisPasswordSecretKey: wiring.redisPasswordSecretKey ?? PASSWORD_KEY,
        redisPods: [redisPods(cfg)],
        redisSchedule: b.redisSchedule,

        objectStore: backupObjectStore(cfg),

        dataStoresDependsOn: wiring.dependsOn ?? [],
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
