/**
 * An existing PostgreSQL (`postgres.external`, e.g. a managed service) in place of the in-cluster cluster: what the
 * ExternalPostgres component needs, and the client Secret data it writes (the same keys as the in-cluster one, so
 * services receive the same env vars). Pure.
 */
import type { StackConfig } from "../../config/schema";
import { databaseRoles } from "./roles";
import { clientSecretData, Endpoint } from "./specs";

export interface ExternalDatabase {
    readonly name: string;
    readonly username: string;
    /** From config secrets. */
    readonly password: string;
}

export interface ExternalPostgresPlan {
    /** The services' namespace: the client Secrets live there. */
    readonly clientNamespace: string;
    readonly endpoint: Endpoint;
    /** Reads that tolerate lag (databaseReadReplicas): the replica endpoint, else the server itself. */
    readonly readOnlyEndpoint: Endpoint;
    readonly sslMode: string;
    /** Every database the services use, with its credentials (the config rules check each one is given). */
    readonly databases: readonly ExternalDatabase[];
}

/** The external server of a config, or undefined when PostgreSQL is off or runs in the cluster. */
export function externalPostgresPlan(cfg: StackConfig): ExternalPostgresPlan | undefined {
    const external = cfg.postgres.external;
    if (!cfg.postgres.enabled || external === undefined) return undefined;
    return {
        clientNamespace: cfg.namespaces.apps,
        endpoint: { host: external.host, port: external.port },
        readOnlyEndpoint: { host: external.readOnlyHost ?? external.host, port: external.port },
        sslMode: external.sslMode,
        databases: databaseRoles(cfg).map((name) => {
            const credentials = external.databases[name];
            if (credentials === undefined) throw new Error(`postgres.external: no credentials for database ${name}`);
            return { name, username: credentials.username ?? name, password: credentials.password };
        }),
    };
}

/** A database's client Secret data (keys per DATABASE_SECRET_ENV and DATABASE_READ_ONLY_ENV). */
export function externalClientSecretData(plan: ExternalPostgresPlan, db: ExternalDatabase): Record<string, string> {
    return clientSecretData(plan.endpoint, plan.readOnlyEndpoint, db.name, db.username, db.password, plan.sslMode);
}
