/**
 * From the validated stack config to the Postgres component's args (pure; index.ts only wires). Also the
 * NetworkPolicy peers that may open SQL connections: the pods of services that declare a database.
 */
import { helmRendering } from "../helm";
import type * as pulumi from "@pulumi/pulumi";
import { databaseRoles, StackConfig } from "../../config";
import type { PostgresArgs } from "../../components/postgres";
import { environmentDefaults, resolveResources } from "../defaults";
import { selectorLabels } from "../labels";
import { storageClassFor } from "../storage-class";

// Re-exported: other components import it from here.
export { storageClassFor };
import { migrationName } from "../service/workload";
import { backupPods, PeerSelector, prometheusPods } from "../topology";
import { BARMAN_PLUGIN_RESOURCES, BARMAN_SIDECAR_RESOURCES, OPERATOR_RESOURCES, operatorReplicaDefault, POOLER_RESOURCES, POSTGRES_INSTANCE_DEFAULTS, postgresResourceDefaults } from "./defaults";

/**
 * Pods that connect to PostgreSQL: every service with `database` set (selector labels as the services component
 * sets them), and its migration Job's pods (their own name, see lib/service/workload.ts).
 */
export function postgresClientPeers(cfg: StackConfig): PeerSelector[] {
    const peers: PeerSelector[] = [];
    for (const name of Object.keys(cfg.services).sort()) {
        const svc = cfg.services[name];
        if (svc.database === undefined) continue;
        peers.push({ namespace: cfg.namespaces.apps, podLabels: selectorLabels({ name }) });
        if (svc.migration) peers.push({ namespace: cfg.namespaces.apps, podLabels: selectorLabels({ name: migrationName(name) }) });
    }
    return peers;
}

export interface PostgresWiring {
    /** GeneratedSecrets.credentials (`db-<role>`, `postgresSuperuserPassword`). */
    readonly credentials: Readonly<Record<string, pulumi.Output<string>>>;
    /** What installs the Prometheus Operator CRDs. */
    readonly monitoringDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export function postgresArgs(cfg: StackConfig, wiring: PostgresWiring): PostgresArgs {
    const pg = cfg.postgres;
    const roles = databaseRoles(cfg);
    const rolePasswords: Record<string, pulumi.Output<string>> = {};
    for (const role of roles) {
        const password = wiring.credentials[`db-${role}`];
        if (password === undefined) throw new Error(`postgres: no generated credential "db-${role}"`);
        rolePasswords[role] = password;
    }
    const superuserPassword = wiring.credentials.postgresSuperuserPassword;
    if (superuserPassword === undefined) throw new Error("postgres: no generated credential \"postgresSuperuserPassword\"");
    const os = pg.objectStore;
    return {
        helm: helmRendering(cfg),
        namespace: cfg.namespaces.data,
        operatorNamespace: cfg.namespaces.postgresOperator,
        clientNamespace: cfg.namespaces.apps,
        clusterDomain: cfg.kubernetes.clusterDomain,
        operatorChart: pg.operatorChart,
        operatorReplicas: pg.operatorReplicas ?? operatorReplicaDefault(cfg.environment),
        operatorResources: OPERATOR_RESOURCES,
        instances: pg.instances ?? POSTGRES_INSTANCE_DEFAULTS[cfg.environment],
        imageName: pg.imageName,
        storageSize: pg.storageSize,
        walStorageSize: pg.walStorageSize,
        storageClass: storageClassFor(cfg, pg.storageClass),
        resources: resolveResources(pg.resources, postgresResourceDefaults(cfg.environment)),
        maxConnections: pg.maxConnections,
        singleInstanceWaiver: cfg.waivers.singlePostgresInstance,
        zoneSpread: pg.zoneAntiAffinity ?? environmentDefaults(cfg.environment).zoneSpreadRequired,
        appDatabase: pg.appDatabase,
        // One database per role, owned by the role of the same name (config.ts databaseRoles).
        databases: roles,
        rolePasswords,
        superuserPassword,
        pooler: pg.pooler.enabled ? {
            instances: pg.pooler.instances,
            poolMode: pg.pooler.poolMode,
            maxClientConnections: pg.pooler.maxClientConnections,
            defaultPoolSize: pg.pooler.defaultPoolSize,
            resources: resolveResources(pg.pooler.resources, POOLER_RESOURCES),
        } : undefined,
        objectStore: os ? {
            destinationPath: os.destinationPath,
            endpointUrl: os.endpointUrl,
            region: os.region,
            accessKeyId: os.accessKeyId,
            secretAccessKey: os.secretAccessKey,
            retentionPolicy: os.retentionPolicy,
            fullBackupSchedule: os.fullBackupSchedule,
            archiveTimeoutSeconds: os.archiveTimeoutSeconds,
            pluginChart: pg.barmanCloudPluginChart,
            pluginResources: BARMAN_PLUGIN_RESOURCES,
            sidecarResources: BARMAN_SIDECAR_RESOURCES,
        } : undefined,
        clientPods: postgresClientPeers(cfg),
        backupPods: [backupPods(cfg)],
        prometheusPods: cfg.monitoring.enabled ? prometheusPods(cfg) : undefined,
        monitoringEnabled: cfg.monitoring.enabled,
        monitoringDependsOn: wiring.monitoringDependsOn,
    };
}
