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
