/** The PostgreSQL roles (and databases) the stack creates. Pure. */
import type { StackConfig } from "../../config/schema";

/** PostgreSQL roles the stack creates: the app database owner plus one owner per service-owned database. */
export function databaseRoles(cfg: StackConfig): string[] {
    if (!cfg.postgres.enabled) return [];
    const owned = Object.values(cfg.services)
        .map((s) => s.database)
        .filter((d): d is string => d !== undefined);
    return Array.from(new Set([cfg.postgres.appDatabase, ...owned])).sort();
}

/**
 * The part of Kubernetes (and Pulumi) names that stands for a database: Kubernetes names allow no '_', so each
 * becomes '-' (`todo_db` -> `todo-db`). The config rules refuse two databases that would share one.
 */
export function databaseKubeName(database: string): string {
    return database.replace(/_/g, "-");
}

/** PostgreSQL runs in the cluster (CloudNativePG): on, and no `postgres.external` server configured. */
export function inClusterPostgres(cfg: StackConfig): boolean {
    return cfg.postgres.enabled && cfg.postgres.external === undefined;
}
