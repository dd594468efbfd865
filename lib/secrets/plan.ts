/** From the validated stack config to the GeneratedSecrets component's args (pure; index.ts only wires). */
import type { StackConfig } from "../../config/schema";
import { databaseRoles, inClusterPostgres } from "../postgres/roles";
import { publicHosts } from "../plan";

/** Everything GeneratedSecrets needs; all from config (it takes nothing from other components). */
export interface GeneratedSecretsArgs {
    readonly environment: string;
    /** Rotation counters by credential id; bumping one regenerates only that credential. */
    readonly rotation: Readonly<Record<string, number>>;
    /** Length of generated passwords. */
    readonly passwordLength: number;
    /** PostgreSQL roles that need a password (credential id `db-<role>`). */
    readonly databaseRoles: readonly string[];
    /** Public host names that get a server certificate from the generated CA. */
    readonly publicHosts: readonly string[];
    /** Namespace of the shared application credentials Secret. */
    readonly appNamespace: string;
    /** Namespace where the edge reads its TLS Secrets; no TLS Secrets are created when unset. */
    readonly tlsNamespace?: string;
    /** Validity of the generated CA. */
    readonly caValidityHours: number;
    /** Validity of generated server certificates. */
    readonly certificateValidityHours: number;
    /** Renew server certificates this long before expiry. */
    readonly certificateEarlyRenewalHours: number;
}

export function secretsPlan(cfg: StackConfig): GeneratedSecretsArgs {
    return {
        environment: cfg.environment,
        rotation: cfg.secrets.rotation,
        passwordLength: cfg.secrets.passwordLength,
        // Passwords of an external PostgreSQL come from config (postgres.external.databases), not from here.
        databaseRoles: inClusterPostgres(cfg) ? databaseRoles(cfg) : [],
        publicHosts: publicHosts(cfg),
        appNamespace: cfg.namespaces.apps,
        // Certificates you bring replace the generated ones.
        tlsNamespace: cfg.edge.enabled && cfg.edge.tls !== "provided" ? cfg.namespaces.edge : undefined,
        caValidityHours: cfg.secrets.caValidityHours,
        certificateValidityHours: cfg.secrets.certificateValidityHours,
        certificateEarlyRenewalHours: cfg.secrets.certificateEarlyRenewalHours,
    };
}
