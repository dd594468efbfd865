/**
 * The backup, restore and verification logic lives in real, tested bash scripts (scripts/backup, covered by
 * test/backup-scripts.spec.ts against real PostgreSQL and Redis). They reach the pods as one ConfigMap, read from
 * the repository when the program runs, so what is tested is exactly what runs.
 */
import * as fs from "fs";
import * as path from "path";

/** scripts/backup in the repository. */
export const BACKUP_SCRIPTS_DIR = path.resolve(__dirname, "../../scripts/backup");

/** Entry points run by the jobs (`bash <mount>/<script>`, s3-sync.sh with `sh`); lib.sh and retention.sh are sourced by them. */
export const BACKUP_SCRIPTS = {
    postgresBackup: "pg-backup.sh",
    postgresVerify: "pg-verify.sh",
    postgresRestore: "pg-restore.sh",
    redisSnapshot: "redis-snapshot.sh",
    /** POSIX sh, run by the rclone image's busybox sh (`sh <mount>/s3-sync.sh`). */
    objectStoreSync: "s3-sync.sh",
} as const;

/** Every `*.sh` of the directory by file name (the ConfigMap's data), sorted; fails if an entry point is missing. */
export function readBackupScripts(dir: string = BACKUP_SCRIPTS_DIR): Record<string, string> {
    const names = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".sh"))
        .sort();
    const data: Record<string, string> = {};
    for (const name of names) data[name] = fs.readFileSync(path.join(dir, name), "utf8");
    for (const required of [...Object.values(BACKUP_SCRIPTS), "lib.sh", "retention.sh"]) {
        if (data[required] === undefined) throw new Error(`backups: ${path.join(dir, required)} is missing`);
    }
    return data;
}
