import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BackupsArgs } from "../lib/backups/plan";
import {
    backupLabels,
    backupClaimSpec,
    backupNetworkPolicySpec,
    postgresBackupCronJob,
    PostgresConnection,
    postgresRestoreCronJob,
    postgresVerifyCronJob,
    POSTGRES_BACKUP_APP,
    redisSnapshotCronJob,
    REDIS_BACKUP_APP,
    RedisSnapshotSource,
    restoreCronJobName,
    Retention,
} from "../lib/backups/jobs";
import { POSTGRES_IMAGE_UID, redisSnapshotTimeoutSeconds, VALKEY_IMAGE_UID } from "../lib/backups/defaults";
import {
    OBJECT_STORE_SECRET_KEYS,
    OBJECT_STORE_SUBPREFIX,
    s3SyncContainer,
    withObjectStoreEgress,
} from "../lib/backups/object-store";
import { readBackupScripts } from "../lib/backups/scripts";
import { CNPG_API_VERSION, scheduledBackupSpec } from "../lib/postgres/specs";
import { databaseKubeName } from "../lib/postgres/roles";
import { BACKUP_CRONJOBS } from "../lib/topology";
import { withFormerTypes } from "../lib/aliases";

/**
 * Backups of the data stores: logical PostgreSQL dumps (pg_dump per database) and Redis RDB snapshots to backup
 * PersistentVolumeClaims, with GFS retention, a weekly restore verification, per-database restore templates, and
 * (with object storage) CloudNativePG base backups between the daily full ones. The logic is scripts/backup,
 * mounted from a ConfigMap. Success and failure are visible through kube-state-metrics' CronJob/Job metrics, which
 * the backup alerts watch by the CronJob names in lib/topology BACKUP_CRONJOBS.
 */
export class Backups extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:backups:Backups";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:data:Backups"];

    /** PVC holding the PostgreSQL dumps (undefined without PostgreSQL). */
    public readonly postgresClaimName?: pulumi.Output<string>;
    /** PVC holding the Redis snapshots (undefined without Redis). */
    public readonly redisClaimName?: pulumi.Output<string>;
    /** Restore template (suspended CronJob) of each database: `kubectl create job --from=cronjob/<name> ...`. */
    public readonly restoreCronJobNames: Readonly<Record<string, string>>;

    constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Backups.TYPE, name, {}, withFormerTypes(opts, Backups.FORMER_TYPES));
        const namespace = args.namespace;
        const timeZone = args.timeZone;
        const retention: Retention = {
            daily: args.retentionDaily,
            weekly: args.retentionWeekly,
            monthly: args.retentionMonthly,
        };
        const backupDeadlineSeconds = args.backupDeadlineSeconds;
        const restoreDeadlineSeconds = args.restoreDeadlineSeconds;
        const meshEnabled = args.meshEnabled;
        // Backups outlive the stack: `pulumi destroy` or a replaced claim leaves the volume (and its dumps) behind.
        const claimOpts = { parent: this, retainOnDelete: true };

        const scripts = new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            {
                metadata: { namespace, labels: backupLabels("backup-scripts", name) },
                // Read from scripts/backup now: what the tests exercised is what runs. A change creates a new ConfigMap.
                data: readBackupScripts(),
                immutable: true,
            },
            { parent: this },
        );
        const scriptsConfigMapName = scripts.metadata.name;

        const store = args.objectStore;
        const storeSecret =
            store === undefined
                ? undefined
                : new k8s.core.v1.Secret(
                      `${name}-object-store`,
                      {
                          metadata: { namespace, labels: backupLabels("backup-object-store", name) },
                          type: "Opaque",
                          stringData: {
                              [OBJECT_STORE_SECRET_KEYS.accessKeyId]: pulumi.secret(store.accessKeyId),
                              [OBJECT_STORE_SECRET_KEYS.secretAccessKey]: pulumi.secret(store.secretAccessKey),
                          },
                      },
                      { parent: this },
                  );
        /** The upload container of a backup volume's pods, when there is an object store. */
        const upload = (subPrefix: string) =>
            store === undefined || storeSecret === undefined
                ? undefined
                : s3SyncContainer({
                      store,
                      credentialsSecretName: storeSecret.metadata.name,
                      subPrefix,
                      resources: args.resources,
                  });
        const withStoreEgress = (spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            store === undefined ? spec : withObjectStoreEgress(spec, store.endpointUrl);

        const restoreCronJobNames: Record<string, string> = {};
        if (args.postgresDatabases.length > 0) {
            if (args.postgresSuperuserSecretName === undefined)
                throw new Error("Backups: postgresSuperuserSecretName is required with postgresDatabases");
            const claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-postgres`,
                {
                    metadata: { namespace, labels: backupLabels(POSTGRES_BACKUP_APP, name) },
                    spec: backupClaimSpec({ storageSize: args.storageSize, storageClassName: args.storageClassName }),
                },
                claimOpts,
            );
            this.postgresClaimName = claim.metadata.name;
            const policy = new k8s.networking.v1.NetworkPolicy(
                `${name}-postgres`,
                {
                    metadata: { namespace, labels: backupLabels(POSTGRES_BACKUP_APP, name) },
                    spec: withStoreEgress(
                        backupNetworkPolicySpec(POSTGRES_BACKUP_APP, [
                            { peers: args.postgresPods, port: args.postgresPort },
                        ]),
                    ),
                },
                { parent: this },
            );

            const connection: PostgresConnection = {
                host: args.postgresHost,
                port: args.postgresPort,
                superuserSecretName: args.postgresSuperuserSecretName,
                caSecretName: args.postgresCaSecretName,
            };
            const job = {
                scriptsConfigMapName,
                claimName: claim.metadata.name,
                image: args.postgresImage,
                resources: args.resources,
                // CloudNativePG images run as postgres (26); fsGroup 26 makes the volume writable for it.
                identity: {
                    runAsUser: POSTGRES_IMAGE_UID,
                    runAsGroup: POSTGRES_IMAGE_UID,
                    fsGroup: POSTGRES_IMAGE_UID,
                },
                meshEnabled,
                timeZone,
                connection,
            };
            // Pods start only once their NetworkPolicy exists (the namespace denies everything else).
            const cronJob = (resourceName: string, cronJobName: string, spec: k8s.types.input.batch.v1.CronJobSpec) =>
                new k8s.batch.v1.CronJob(
                    resourceName,
                    {
                        metadata: {
                            name: cronJobName,
                            namespace,
                            labels: backupLabels(POSTGRES_BACKUP_APP, cronJobName, args.postgresImage),
                        },
                        spec,
                    },
                    { parent: this, dependsOn: [policy] },
                );
            // Alert rules and dashboards find these CronJobs by name (lib/topology BACKUP_CRONJOBS).
            cronJob(
                BACKUP_CRONJOBS.postgres,
                BACKUP_CRONJOBS.postgres,
                postgresBackupCronJob({
                    ...job,
                    uploadContainer: upload(OBJECT_STORE_SUBPREFIX.postgres),
                    cronJobName: BACKUP_CRONJOBS.postgres,
                    schedule: args.postgresSchedule,
                    databases: args.postgresDatabases,
                    retention,
                    activeDeadlineSeconds: backupDeadlineSeconds,
                }),
            );
            cronJob(
                BACKUP_CRONJOBS.postgresVerify,
                BACKUP_CRONJOBS.postgresVerify,
                postgresVerifyCronJob({
                    ...job,
                    cronJobName: BACKUP_CRONJOBS.postgresVerify,
                    schedule: args.verifySchedule,
                    databases: args.postgresDatabases,
                    maxBackupAgeHours: args.postgresMaxBackupAgeHours,
                    activeDeadlineSeconds: restoreDeadlineSeconds,
                }),
            );
            for (const database of args.postgresDatabases) {
                // Operators type this name in `kubectl create job --from=cronjob/<name>`: it must be predictable.
                const cronJobName = restoreCronJobName(database);
                cronJob(
                    `${name}-restore-${databaseKubeName(database)}`,
                    cronJobName,
                    postgresRestoreCronJob({
                        ...job,
                        cronJobName,
                        database,
                        activeDeadlineSeconds: restoreDeadlineSeconds,
                    }),
                );
                restoreCronJobNames[database] = cronJobName;
            }

            if (args.physicalBackupSchedule !== undefined) {
                // Base backups between the daily full one the Postgres component schedules: WAL replay after a
                // restore starts from a base backup at most this old (RTO).
                new k8s.apiextensions.CustomResource(
                    `${name}-incremental`,
                    {
                        apiVersion: CNPG_API_VERSION,
                        kind: "ScheduledBackup",
                        metadata: { namespace, labels: backupLabels("postgres-base-backup", name) },
                        spec: {
                            ...scheduledBackupSpec(args.postgresClusterName, args.physicalBackupSchedule),
                            immediate: false,
                        },
                    },
                    { parent: this, dependsOn: args.dataStoresDependsOn ?? [] },
                );
            }
        }

        if (args.redisImage !== undefined) {
            if (args.redisPasswordSecretName === undefined)
                throw new Error("Backups: redisPasswordSecretName is required with redisImage");
            const sentinel =
                args.redisSentinelPeers && args.redisSentinel
                    ? { ...args.redisSentinel, ...args.redisSentinelPeers }
                    : undefined;
            let source: RedisSnapshotSource;
            if (sentinel !== undefined) source = { sentinels: sentinel.addresses, masterName: sentinel.masterName };
            else if (args.redisHost !== undefined) source = { host: args.redisHost, port: args.redisPort };
            else throw new Error("Backups: redisHost or redisSentinel is required with redisImage");
            const claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-redis`,
                {
                    metadata: { namespace, labels: backupLabels(REDIS_BACKUP_APP, name) },
                    spec: backupClaimSpec({
                        storageSize: args.redisStorageSize,
                        storageClassName: args.storageClassName,
                    }),
                },
                claimOpts,
            );
            this.redisClaimName = claim.metadata.name;
            const policy = new k8s.networking.v1.NetworkPolicy(
                `${name}-redis`,
                {
                    metadata: { namespace, labels: backupLabels(REDIS_BACKUP_APP, name) },
                    spec: withStoreEgress(
                        backupNetworkPolicySpec(REDIS_BACKUP_APP, [
                            { peers: args.redisPods, port: args.redisPort },
                            // The Sentinels name the node to snapshot (their policy admits backup pods).
                            ...(sentinel !== undefined ? [{ peers: sentinel.pods, port: sentinel.port }] : []),
                        ]),
                    ),
                },
                { parent: this },
            );
            new k8s.batch.v1.CronJob(
                BACKUP_CRONJOBS.redis,
                {
                    metadata: {
                        name: BACKUP_CRONJOBS.redis,
                        namespace,
                        labels: backupLabels(REDIS_BACKUP_APP, BACKUP_CRONJOBS.redis, args.redisImage),
                    },
                    spec: redisSnapshotCronJob({
                        scriptsConfigMapName,
                        claimName: claim.metadata.name,
                        image: args.redisImage,
                        resources: args.resources,
                        // The Debian Valkey image runs as valkey (999).
                        identity: {
                            runAsUser: VALKEY_IMAGE_UID,
                            runAsGroup: VALKEY_IMAGE_UID,
                            fsGroup: VALKEY_IMAGE_UID,
                        },
                        meshEnabled,
                        uploadContainer: upload(OBJECT_STORE_SUBPREFIX.redis),
                        cronJobName: BACKUP_CRONJOBS.redis,
                        schedule: args.redisSchedule,
                        timeZone,
                        source,
                        passwordSecretName: args.redisPasswordSecretName,
                        passwordSecretKey: args.redisPasswordSecretKey,
                        retention,
                        activeDeadlineSeconds: backupDeadlineSeconds,
                        snapshotTimeoutSeconds: redisSnapshotTimeoutSeconds(backupDeadlineSeconds),
                    }),
                },
                { parent: this, dependsOn: [policy] },
            );
        }

        this.restoreCronJobNames = restoreCronJobNames;
        this.registerOutputs({
            postgresClaimName: this.postgresClaimName,
            redisClaimName: this.redisClaimName,
            restoreCronJobNames,
        });
    }
}
