import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withFormerTypes } from "../lib/aliases";
import { databaseKubeName } from "../lib/postgres/roles";
import { externalClientSecretData, ExternalPostgresPlan } from "../lib/postgres/external";
import { recommendedLabels } from "../lib/labels";

export type ExternalPostgresArgs = ExternalPostgresPlan;

/**
 * An existing PostgreSQL in place of the in-cluster one: one client Secret per database in the services' namespace,
 * with the same keys as the in-cluster ones, so services receive the same env vars (PGHOST ... DATABASE_URL).
 * Nothing runs in the cluster for it; its backups, failover and alerts are the provider's.
 */
export class ExternalPostgres extends pulumi.ComponentResource {
    /** Type token (permanent; a former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:external-postgres:ExternalPostgres";
    /** Tokens this component had before: none yet. */
    public static readonly FORMER_TYPES: readonly string[] = [];

    /** Client connection Secret (keys per DATABASE_SECRET_ENV) in the client namespace, by database. */
    public readonly databaseSecretNames: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: ExternalPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super(ExternalPostgres.TYPE, name, {}, withFormerTypes(opts, ExternalPostgres.FORMER_TYPES));
        const names: Record<string, pulumi.Output<string>> = {};
        for (const db of args.databases) {
            const secret = new k8s.core.v1.Secret(
                `${name}-client-${databaseKubeName(db.name)}`,
                {
                    metadata: {
                        namespace: args.clientNamespace,
                        labels: recommendedLabels({
                            name: "postgres",
                            instance: name,
                            component: "client-credentials",
                        }),
                    },
                    type: "kubernetes.io/basic-auth",
                    stringData: pulumi.secret(externalClientSecretData(args, db)),
                },
                { parent: this },
            );
            names[db.name] = secret.metadata.name;
        }
        this.databaseSecretNames = names;
        this.registerOutputs({ databaseSecretNames: this.databaseSecretNames });
    }
}
