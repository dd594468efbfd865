/**
 * Defaults of the backup jobs. The jobs are clients (pg_dump/pg_restore, valkey-cli): the database server does the
 * heavy lifting, so they need little CPU and memory; /tmp is the only scratch space (the dumps go to the PVC).
 */
import type { ResourceSpec } from "../defaults";

export const BACKUP_JOB_RESOURCES: ResourceSpec = {
    requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "64Mi" },
    limits: { cpu: "1", memory: "1Gi", ephemeralStorage: "256Mi" },
};

/** Where the jobs mount things (the scripts' BACKUP_DIR default is /backups). */
export const SCRIPTS_MOUNT_PATH = "/opt/backup";
export const BACKUP_MOUNT_PATH = "/backups";
export const POSTGRES_CA_MOUNT_PATH = "/etc/postgres-ca";

/** Image users: CloudNativePG operand images run as postgres (26), the Debian Valkey image as valkey (999). */
export const POSTGRES_IMAGE_UID = 26;
export const VALKEY_IMAGE_UID = 999;

/** A missed schedule (controller down, cluster upgrade) still starts the run within this window. */
export const STARTING_DEADLINE_SECONDS = 3600;
/** Finished Jobs kept per CronJob: failed ones must survive for kube_job_failed (BackupJobFailed) and their logs. */
export const SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const FAILED_JOBS_HISTORY_LIMIT = 3;

/** Schedule of the suspended restore templates: February 31st never comes, so they only run when created by hand. */
export const NEVER_SCHEDULE = "0 0 31 2 *";

/** Redis snapshot transfer limit: at most an hour, and the script fails by itself (and cleans up) before the Job deadline kills it. */
export function redisSnapshotTimeoutSeconds(deadlineSeconds: number): number {
    return Math.max(60, Math.min(3600, deadlineSeconds - 300));
}
