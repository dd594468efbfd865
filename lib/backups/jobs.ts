/**
 * Kubernetes specs of the backup jobs, as pure functions: CronJobs running the scripts of scripts/backup, the
 * backup PersistentVolumeClaims and the NetworkPolicies of the job pods.
 *
 * Every job pod: hardened (lib/pod-security), labelled `app.kubernetes.io/component: backup` (the data-store
 * NetworkPolicies let that label in), scripts mounted read-only from one ConfigMap, credentials by Secret
 * reference only, `restartPolicy: Never` so a failed attempt keeps its pod and logs.
 */
import * as crypto from "crypto";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ResourceSpec, toKubeResources } from "../defaults";
import { imageVersion, recommendedLabels } from "../labels";
import { DNS_EGRESS_RULE } from "../namespace-specs";
import { databaseKubeName } from "../postgres/roles";
import { hardenedPodSpec, RunAsIdentity } from "../pod-security";
import { BACKUP_COMPONENT, meshOptOutLabels, networkPolicyPeer, PeerSelector } from "../topology";
import {
    BACKUP_MOUNT_PATH,
    FAILED_JOBS_HISTORY_LIMIT,
    NEVER_SCHEDULE,
    POSTGRES_CA_MOUNT_PATH,
    SCRIPTS_MOUNT_PATH,
    STARTING_DEADLINE_SECONDS,
    SUCCESSFUL_JOBS_HISTORY_LIMIT,
} from "./defaults";
import { BACKUP_SCRIPTS } from "./scripts";

type CronJobSpec = k8s.types.input.batch.v1.CronJobSpec;
type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** `app.kubernetes.io/name` of the PostgreSQL job pods (backup, verification, restore) and of the Redis job pods. */
export const POSTGRES_BACKUP_APP = "postgres-backup";
export const REDIS_BACKUP_APP = "redis-backup";
/** Label on each restore template naming the database it restores. */
export const DATABASE_LABEL = "stackwright.io/database";
/** Set name (directory under the backup PVC) of the Redis snapshots. */
export const REDIS_BACKUP_SET = "redis";

/** Script exit codes that no retry can fix: bad configuration, integrity failure, restore refused. */
const PERMANENT_EXIT_CODES = [2, 3, 4];

/** Pod selector of a family of backup pods (what their NetworkPolicy and the data stores' policies match). */
export function backupPodSelector(app: string): Record<string, string> {
    return { "app.kubernetes.io/name": app, "app.kubernetes.io/component": BACKUP_COMPONENT };
}

export function backupLabels(app: string, instance: string, image?: string): Record<string, string> {
    return recommendedLabels({
        name: app,
        instance,
        component: BACKUP_COMPONENT,
        version: image ? imageVersion(image) : undefined,
    });
}

export interface Retention {
    readonly daily: number;
    readonly weekly: number;
    readonly monthly: number;
}

export function retentionEnv(r: Retention): EnvVar[] {
    return [
        { name: "RETAIN_DAILY", value: String(r.daily) },
        { name: "RETAIN_WEEKLY", value: String(r.weekly) },
        { name: "RETAIN_MONTHLY", value: String(r.monthly) },
    ];
}

/** How the PostgreSQL jobs reach the cluster: the -rw service, superuser credentials, TLS verified against its CA. */
export interface PostgresConnection {
    /** `<cluster>-rw.<namespace>.svc`: a name on the server certificate CloudNativePG issues. */
    readonly host: string;
    readonly port: number;
    /** kubernetes.io/basic-auth Secret (keys `username`, `password`) of the superuser. */
    readonly superuserSecretName: pulumi.Input<string>;
    /** Secret holding the cluster's CA certificate under `ca.crt` (CloudNativePG: `<cluster>-ca`). */
    readonly caSecretName: pulumi.Input<string>;
}

export function postgresEnv(c: PostgresConnection, applicationName: string): EnvVar[] {
    return [
        { name: "PGHOST", value: c.host },
        { name: "PGPORT", value: String(c.port) },
        { name: "PGUSER", valueFrom: { secretKeyRef: { name: c.superuserSecretName, key: "username" } } },
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: c.superuserSecretName, key: "password" } } },
        // Encrypted and the server's identity checked: the superuser password never goes to an impostor.
        { name: "PGSSLMODE", value: "verify-full" },
        { name: "PGSSLROOTCERT", value: `${POSTGRES_CA_MOUNT_PATH}/ca.crt` },
        { name: "PGAPPNAME", value: applicationName },
    ];
}

/** What every backup job pod shares. */
export interface JobPodArgs {
    /** ConfigMap holding scripts/backup/*.sh. */
    readonly scriptsConfigMapName: pulumi.Input<string>;
    /** PVC the artifacts live on, mounted at BACKUP_DIR. */
    readonly claimName: pulumi.Input<string>;
    readonly image: string;
    readonly resources: ResourceSpec;
    readonly identity: RunAsIdentity;
    /**
     * The stack runs Istio: the pods then opt out of sidecar injection explicitly (a Job never completes next to a
     * sidecar). Without the mesh they carry no Istio label at all.
     */
    readonly meshEnabled: boolean;
    /**
     * Runs after the script, on the same volume (lib/backups/object-store s3SyncContainer): the script then runs as
     * an init container and this as the main one. @default none
     */
    readonly uploadContainer?: Container;
}

interface JobTemplateArgs extends JobPodArgs {
    readonly labels: Record<string, string>;
    readonly containerName: string;
    readonly script: string;
    readonly env: EnvVar[];
    readonly backoffLimit: number;
    readonly activeDeadlineSeconds: number;
    /** Mount the backup volume read-only (restores never write there). @default false */
    readonly readOnlyBackups?: boolean;
    /** Secret with the PostgreSQL CA (`ca.crt`), mounted for verify-full TLS. */
    readonly postgresCaSecretName?: pulumi.Input<string>;
}

function jobTemplate(a: JobTemplateArgs): k8s.types.input.batch.v1.JobTemplateSpec {
    const volumes: Volume[] = [
        { name: "scripts", configMap: { name: a.scriptsConfigMapName, defaultMode: 0o444 } },
        { name: "backups", persistentVolumeClaim: { claimName: a.claimName, readOnly: a.readOnlyBackups ?? false } },
    ];
    const mounts: VolumeMount[] = [
        { name: "scripts", mountPath: SCRIPTS_MOUNT_PATH, readOnly: true },
        { name: "backups", mountPath: BACKUP_MOUNT_PATH, readOnly: a.readOnlyBackups ?? false },
    ];
    if (a.postgresCaSecretName !== undefined) {
        // Only the certificate: the CA Secret also holds the CA's private key.
        volumes.push({
            name: "postgres-ca",
            secret: {
                secretName: a.postgresCaSecretName,
                items: [{ key: "ca.crt", path: "ca.crt" }],
                defaultMode: 0o440,
            },
        });
        mounts.push({ name: "postgres-ca", mountPath: POSTGRES_CA_MOUNT_PATH, readOnly: true });
    }
    const container: Container = {
        name: a.containerName,
        image: a.image,
        // bash + the script from the read-only ConfigMap mount: no exec bit, no writable copy needed.
        command: ["bash", `${SCRIPTS_MOUNT_PATH}/${a.script}`],
        env: [{ name: "BACKUP_DIR", value: BACKUP_MOUNT_PATH }, ...a.env],
        resources: toKubeResources(a.resources),
        volumeMounts: mounts,
    };
    return {
        metadata: { labels: a.labels },
        spec: {
            backoffLimit: a.backoffLimit,
            activeDeadlineSeconds: a.activeDeadlineSeconds,
            podFailurePolicy: {
                rules: [
                    // A node drain or preemption is not the job's fault: retry without counting it.
                    { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
                    {
                        action: "FailJob",
                        onExitCodes: { containerName: a.containerName, operator: "In", values: PERMANENT_EXIT_CODES },
                    },
                    ...(a.uploadContainer
                        ? [
                              {
                                  action: "FailJob",
                                  onExitCodes: {
                                      containerName: a.uploadContainer.name,
                                      operator: "In",
                                      values: PERMANENT_EXIT_CODES,
                                  },
                              },
                          ]
                        : []),
                ],
            },
            template: {
                // Jobs never finish with a sidecar next to them (the data namespace is outside the mesh anyway); a
                // stack without the mesh renders no Istio labels.
                metadata: { labels: { ...a.labels, ...meshOptOutLabels(a.meshEnabled) } },
                spec: {
                    ...hardenedPodSpec(
                        a.uploadContainer
                            ? {
                                  initContainers: [container],
                                  containers: [a.uploadContainer],
                                  identity: a.identity,
                                  volumes,
                              }
                            : { containers: [container], identity: a.identity, volumes },
                    ),
                    restartPolicy: "Never",
                },
            },
        },
    };
}

interface CronJobArgs {
    readonly schedule: string;
    /** IANA zone the schedule is read in. */
    readonly timeZone: string;
    readonly suspend?: boolean;
    readonly jobTemplate: k8s.types.input.batch.v1.JobTemplateSpec;
}

function cronJobSpec(a: CronJobArgs): CronJobSpec {
    return {
        schedule: a.schedule,
        timeZone: a.timeZone,
        // Two runs writing the same backup set at once would race on retention.
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
        successfulJobsHistoryLimit: SUCCESSFUL_JOBS_HISTORY_LIMIT,
        failedJobsHistoryLimit: FAILED_JOBS_HISTORY_LIMIT,
        suspend: a.suspend ?? false,
        jobTemplate: a.jobTemplate,
    };
}

/** What every PostgreSQL job (backup, verification, restore) shares. */
export interface PostgresJobArgs extends JobPodArgs {
    readonly cronJobName: string;
    readonly timeZone: string;
    readonly connection: PostgresConnection;
    readonly activeDeadlineSeconds: number;
}

interface PostgresJobTemplateArgs {
    readonly containerName: string;
    readonly script: string;
    /** Appended to the connection settings. */
    readonly env: EnvVar[];
    readonly backoffLimit: number;
    /** Added to the backup labels. */
    readonly extraLabels?: Record<string, string>;
    readonly readOnlyBackups?: boolean;
}

/** Job template of a PostgreSQL job: the family's labels, the connection env and the cluster's CA mounted. */
function postgresJobTemplate(
    a: PostgresJobArgs,
    job: PostgresJobTemplateArgs,
): k8s.types.input.batch.v1.JobTemplateSpec {
    return jobTemplate({
        ...a,
        labels: { ...backupLabels(POSTGRES_BACKUP_APP, a.cronJobName, a.image), ...job.extraLabels },
        containerName: job.containerName,
        script: job.script,
        env: [...postgresEnv(a.connection, a.cronJobName), ...job.env],
        backoffLimit: job.backoffLimit,
        readOnlyBackups: job.readOnlyBackups,
        postgresCaSecretName: a.connection.caSecretName,
    });
}

export interface PostgresBackupArgs extends PostgresJobArgs {
    readonly schedule: string;
    /** Every database of the stack (pg_dump, one set each). */
    readonly databases: readonly string[];
    readonly retention: Retention;
}

/** Daily logical backup: pg_dump -Fc of each database + checksum + manifest, then GFS retention. */
export function postgresBackupCronJob(a: PostgresBackupArgs): CronJobSpec {
    if (a.databases.length === 0) throw new Error("backups: the PostgreSQL backup needs at least one database");
    return cronJobSpec({
        schedule: a.schedule,
        timeZone: a.timeZone,
        jobTemplate: postgresJobTemplate(a, {
            containerName: "pg-backup",
            script: BACKUP_SCRIPTS.postgresBackup,
            env: [
                // Explicit list: a configured database that is missing makes the run fail instead of being skipped.
                { name: "DATABASES", value: a.databases.join(" ") },
                ...retentionEnv(a.retention),
            ],
            // One retry for transient failures (failover of the primary during the dump).
            backoffLimit: 1,
        }),
    });
}

export interface PostgresVerifyArgs extends PostgresJobArgs {
    readonly schedule: string;
    readonly databases: readonly string[];
    /** The newest backup of each database must be younger than this (0 = no age check). */
    readonly maxBackupAgeHours: number;
}

/** Weekly proof that the backups restore: newest dump of each database into a scratch database, row counts compared. */
export function postgresVerifyCronJob(a: PostgresVerifyArgs): CronJobSpec {
    if (a.databases.length === 0) throw new Error("backups: the restore verification needs at least one database");
    return cronJobSpec({
        schedule: a.schedule,
        timeZone: a.timeZone,
        jobTemplate: postgresJobTemplate(a, {
            containerName: "pg-verify",
            script: BACKUP_SCRIPTS.postgresVerify,
            env: [
                { name: "DATABASES", value: a.databases.join(" ") },
                { name: "MAX_BACKUP_AGE_HOURS", value: String(a.maxBackupAgeHours) },
            ],
            backoffLimit: 1,
        }),
    });
}

export interface PostgresRestoreArgs extends PostgresJobArgs {
    /** Database whose newest complete backup is restored, in place, owned by its role of the same name. */
    readonly database: string;
}

/**
 * Restore template: a suspended CronJob that never fires; `kubectl create job --from=cronjob/<name>` runs it.
 * Defaults restore the newest complete backup of the database in place (FORCE=1: restored into a staging database
 * first, swapped in only when that succeeded); env overrides pick another artifact or target.
 */
export function postgresRestoreCronJob(a: PostgresRestoreArgs): CronJobSpec {
    return cronJobSpec({
        schedule: NEVER_SCHEDULE,
        timeZone: a.timeZone,
        suspend: true,
        jobTemplate: postgresJobTemplate(a, {
            extraLabels: { [DATABASE_LABEL]: a.database },
            containerName: "pg-restore",
            script: BACKUP_SCRIPTS.postgresRestore,
            env: [
                { name: "SOURCE_DATABASE", value: a.database },
                { name: "TARGET_DATABASE", value: a.database },
                { name: "TARGET_OWNER", value: a.database },
                { name: "FORCE", value: "1" },
            ],
            // A restore is run by a person watching it: fail once, loudly, instead of retrying.
            backoffLimit: 0,
            readOnlyBackups: true,
        }),
    });
}

/**
 * Which Valkey node the snapshot reads: the one node (standalone), or the node the Sentinels name when the job runs
 * (a healthy replica, else the primary; failovers move the primary, so no address is fixed here).
 */
export type RedisSnapshotSource =
    | { readonly host: string; readonly port: number }
    | { readonly sentinels: readonly string[]; readonly masterName: string };

export interface RedisSnapshotArgs extends JobPodArgs {
    readonly cronJobName: string;
    readonly schedule: string;
    readonly timeZone: string;
    readonly source: RedisSnapshotSource;
    readonly passwordSecretName: pulumi.Input<string>;
    readonly passwordSecretKey: string;
    readonly retention: Retention;
    readonly activeDeadlineSeconds: number;
    readonly snapshotTimeoutSeconds: number;
}

function redisSourceEnv(source: RedisSnapshotSource): EnvVar[] {
    return "sentinels" in source
        ? [
              { name: "REDIS_SENTINELS", value: source.sentinels.join(" ") },
              { name: "REDIS_MASTER_NAME", value: source.masterName },
          ]
        : [
              { name: "REDIS_HOST", value: source.host },
              { name: "REDIS_PORT", value: String(source.port) },
          ];
}

/**
 * RDB snapshot streamed off the server (valkey-cli --rdb), checked with valkey-check-rdb, checksummed.
 *
 * Why `--rdb` and not BGSAVE + copy: BGSAVE writes the dump onto the server's own PVC, which this pod cannot mount
 * (ReadWriteOnce, another pod). `--rdb` makes the server fork and serialize a point-in-time RDB as BGSAVE does (the
 * same consistency: one fork, one instant) and stream it to this pod as for a replica's full sync; here it is
 * checked and checksummed. redis-snapshot.sh keeps the BGSAVE mode for setups where the dump file is local.
 */
export function redisSnapshotCronJob(a: RedisSnapshotArgs): CronJobSpec {
    return cronJobSpec({
        schedule: a.schedule,
        timeZone: a.timeZone,
        jobTemplate: jobTemplate({
            ...a,
            labels: backupLabels(REDIS_BACKUP_APP, a.cronJobName, a.image),
            containerName: "redis-snapshot",
            script: BACKUP_SCRIPTS.redisSnapshot,
            env: [
                ...redisSourceEnv(a.source),
                {
                    name: "REDIS_PASSWORD",
                    valueFrom: { secretKeyRef: { name: a.passwordSecretName, key: a.passwordSecretKey } },
                },
                { name: "REDIS_CLI", value: "valkey-cli" },
                // Not BGSAVE: its dump lands on the server's PVC, out of this pod's reach (see above).
                { name: "REDIS_SNAPSHOT_MODE", value: "rdb" },
                { name: "REDIS_BACKUP_NAME", value: REDIS_BACKUP_SET },
                { name: "REDIS_SNAPSHOT_TIMEOUT_SECONDS", value: String(a.snapshotTimeoutSeconds) },
                ...retentionEnv(a.retention),
            ],
            backoffLimit: 1,
        }),
    });
}

/** A backup PersistentVolumeClaim. */
export function backupClaimSpec(a: {
    storageSize: string;
    storageClassName: string;
}): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
    return {
        accessModes: ["ReadWriteOnce"],
        storageClassName: a.storageClassName,
        resources: { requests: { storage: a.storageSize } },
    };
}

/** Pods a backup job talks to, on one port. */
export interface BackupEgressTarget {
    readonly peers: readonly PeerSelector[];
    readonly port: number;
}

/**
 * NetworkPolicy of a family of backup pods: no ingress at all; egress only to the data store's pods on their ports
 * (e.g. Valkey and its Sentinels), and DNS. The backup target is a volume, so it needs no network rule.
 */
export function backupNetworkPolicySpec(
    app: string,
    targets: readonly BackupEgressTarget[],
): k8s.types.input.networking.v1.NetworkPolicySpec {
    return {
        podSelector: { matchLabels: backupPodSelector(app) },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [
            ...targets.map((t) => ({ to: t.peers.map(networkPolicyPeer), ports: [{ protocol: "TCP", port: t.port }] })),
            DNS_EGRESS_RULE,
        ],
    };
}

/** CronJob names are limited to 52 characters (the controller appends an 11-character suffix to Job names). */
const MAX_CRONJOB_NAME = 52;

/**
 * Name of the restore template of a database: `postgres-restore-<db>`, '_' as '-' (shortened with a hash when too
 * long).
 */
export function restoreCronJobName(database: string): string {
    const name = `postgres-restore-${databaseKubeName(database)}`;
    if (name.length <= MAX_CRONJOB_NAME) return name;
    const hash = crypto.createHash("sha256").update(database).digest("hex").slice(0, 6);
    return `${name.slice(0, MAX_CRONJOB_NAME - 7).replace(/-+$/, "")}-${hash}`;
}
