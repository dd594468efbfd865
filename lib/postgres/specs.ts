/**
 * CloudNativePG objects as pure functions: the `Cluster`, per-service `Database`s, the PgBouncer `Pooler`, the
 * Barman Cloud `ObjectStore` and `ScheduledBackup`, the PodMonitors and the NetworkPolicies of the data namespace.
 * Field names follow the CRDs of CloudNativePG 1.30 (checked by test/postgres.spec.ts against shared/crds).
 *
 * Decisions taken against the 1.30 documentation:
 * - WAL archiving / PITR goes through the Barman Cloud plugin (`spec.plugins`, an `ObjectStore`): the in-tree
 *   `spec.backup.barmanObjectStore` is deprecated since 1.26 and is removed in 1.31.
 * - Monitoring: `spec.monitoring.enablePodMonitor` is deprecated ("create a PodMonitor manually"), so we create the
 *   PodMonitors ourselves (the exporter itself always runs on port 9187).
 * - PodDisruptionBudgets (`enablePDB`) only for 2+ instances: on a single instance the primary's PDB blocks every
 *   node drain (upstream advice for development clusters).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { objectStoreEgressRules } from "../backups/object-store";
import { toKubeResources, ResourceSpec } from "../defaults";
import { API_SERVER_EGRESS_RULE, DNS_EGRESS_RULE, tcpPort } from "../namespace-specs";
import { networkPolicyPeer, PeerSelector, POSTGRES_PORT } from "../topology";
import { BARMAN_PLUGIN_NAME } from "./values";

export const CNPG_API_VERSION = "postgresql.cnpg.io/v1";
export const BARMAN_API_VERSION = "barmancloud.cnpg.io/v1";
/** Instance manager status API (the operator and peers call it). */
export const CNPG_STATUS_PORT = 8000;
/** PostgreSQL exporter of every instance. */
export const CNPG_METRICS_PORT = 9187;
/** PgBouncer exporter of every pooler pod. */
export const PGBOUNCER_METRICS_PORT = 9127;
export const SUPERUSER = "postgres";

const CLUSTER_LABEL = "cnpg.io/cluster";
const POD_ROLE_LABEL = "cnpg.io/podRole";
const POOLER_LABEL = "cnpg.io/poolerName";

/** Connection details a client needs. */
export interface Endpoint {
    readonly host: string;
    readonly port: number;
}

/** `<cluster>-rw` (always the primary) as a fully qualified service name. */
export function primaryEndpoint(clusterName: string, namespace: string, clusterDomain: string): Endpoint {
    return { host: `${clusterName}-rw.${namespace}.svc.${clusterDomain}`, port: POSTGRES_PORT };
}

/**
 * Reads from replicas: `<cluster>-ro` (replicas only). A single instance has no replica, and `-ro` no endpoint:
 * then `<cluster>-r` (any instance, so the primary), and the same code works in every environment.
 */
export function readOnlyEndpoint(
    clusterName: string,
    namespace: string,
    clusterDomain: string,
    instances: number,
): Endpoint {
    const suffix = instances > 1 ? "ro" : "r";
    return { host: `${clusterName}-${suffix}.${namespace}.svc.${clusterDomain}`, port: POSTGRES_PORT };
}

/** The Pooler's Service (named after the Pooler). */
export function poolerEndpoint(poolerName: string, namespace: string, clusterDomain: string): Endpoint {
    return { host: `${poolerName}.${namespace}.svc.${clusterDomain}`, port: POSTGRES_PORT };
}

/**
 * postgresql:// URI; user and password are percent-encoded (generated passwords are alphanumeric anyway). `sslMode`
 * (an external server's) is appended as a query parameter.
 */
export function connectionUri(
    endpoint: Endpoint,
    database: string,
    user: string,
    password: string,
    sslMode?: string,
): string {
    const e = encodeURIComponent;
    const query = sslMode !== undefined ? `?sslmode=${sslMode}` : "";
    return `postgresql://${e(user)}:${e(password)}@${endpoint.host}:${endpoint.port}/${e(database)}${query}`;
}

/** Keys of a `kubernetes.io/basic-auth` Secret CloudNativePG reads for a role's password. */
export function basicAuthData(
    user: string,
    password: pulumi.Input<string>,
): { username: string; password: pulumi.Input<string> } {
    return { username: user, password };
}

/**
 * Data of the per-database client Secret (keys per DATABASE_SECRET_ENV and DATABASE_READ_ONLY_ENV in
 * lib/topology.ts). `readOnly` is the replicas' endpoint, reached directly (the Pooler serves the primary).
 * `sslMode`: an external server's, also in the URIs; in the cluster libpq's default, "prefer" (CloudNativePG serves
 * TLS, and the real-server tests connect without).
 */
export function clientSecretData(
    endpoint: Endpoint,
    readOnly: Endpoint,
    database: string,
    user: string,
    password: string,
    sslMode?: string,
): Record<string, string> {
    return {
        host: endpoint.host,
        port: String(endpoint.port),
        dbname: database,
        username: user,
        password,
        sslmode: sslMode ?? "prefer",
        uri: connectionUri(endpoint, database, user, password, sslMode),
        "ro-host": readOnly.host,
        "ro-uri": connectionUri(readOnly, database, user, password, sslMode),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------------------------

export interface ManagedRole {
    readonly name: string;
    /** basic-auth Secret in the Cluster's namespace. */
    readonly passwordSecretName: pulumi.Input<string>;
}

export interface WalArchiving {
    /** Name of the Barman Cloud `ObjectStore` in the Cluster's namespace. */
    readonly objectStoreName: pulumi.Input<string>;
    /** archive_timeout: upper bound on the age of unarchived WAL (the RPO when the primary is lost). */
    readonly archiveTimeoutSeconds: number;
}

export interface ClusterSpecArgs {
    readonly instances: number;
    readonly imageName: string;
    readonly storageSize: string;
    readonly walStorageSize?: string;
    readonly storageClass: string;
    readonly resources: ResourceSpec;
    readonly maxConnections: number;
    /** Spread instances across zones (hard rule); instances are always kept on different nodes. */
    readonly zoneSpread: boolean;
    /** Bootstrap database; its owner role has the same name. */
    readonly appDatabase: string;
    /** basic-auth Secret of the bootstrap owner. */
    readonly appOwnerSecretName: pulumi.Input<string>;
    readonly superuserSecretName: pulumi.Input<string>;
    /** Every login role the stack manages (including the bootstrap owner, so its password rotates too). */
    readonly roles: readonly ManagedRole[];
    /** WAL archiving through the Barman Cloud plugin; none when unset. */
    readonly walArchiving?: WalArchiving;
    /** Labels CloudNativePG copies onto every object it creates (pods, services, PVCs). */
    readonly inheritedLabels?: Readonly<Record<string, string>>;
}

/** Pods of the cluster's instances and jobs (initdb, join): the cluster label without the pooler role. */
export function instanceSelector(clusterName: string) {
    return {
        matchLabels: { [CLUSTER_LABEL]: clusterName },
        // Pooler pods carry the cluster label too; join/initdb job pods carry no pod role.
        matchExpressions: [{ key: POD_ROLE_LABEL, operator: "NotIn", values: ["pooler"] }],
    };
}

export function clusterSpec(clusterName: string, args: ClusterSpecArgs): Record<string, unknown> {
    if (!Number.isInteger(args.instances) || args.instances < 1)
        throw new Error(`postgres: instances must be a positive integer, got ${args.instances}`);
    if (!args.roles.some((r) => r.name === args.appDatabase))
        throw new Error(`postgres: the bootstrap owner "${args.appDatabase}" must be a managed role`);
    if (args.roles.some((r) => r.name === SUPERUSER || r.name === "streaming_replica" || r.name.startsWith("cnpg_"))) {
        throw new Error(
            "postgres: managed roles must not use names reserved by CloudNativePG (postgres, streaming_replica, cnpg_*)",
        );
    }
    const replicated = args.instances > 1;
    const parameters: Record<string, string> = {
        max_connections: String(args.maxConnections),
        // Slow statements and lock waits in the log: the first things to look at in an incident.
        log_min_duration_statement: "1000",
        log_lock_waits: "on",
    };
    if (args.walArchiving) parameters.archive_timeout = `${args.walArchiving.archiveTimeoutSeconds}s`;

    return {
        description: "Stackwright PostgreSQL",
        instances: args.instances,
        imageName: args.imageName,
        primaryUpdateStrategy: "unsupervised",
        // Minor upgrades and config changes: replicas first, then a switchover instead of restarting the primary.
        primaryUpdateMethod: "switchover",
        enablePDB: replicated,
        // Backup and restore jobs run pg_dump/pg_restore for every database as the superuser.
        enableSuperuserAccess: true,
        superuserSecret: { name: args.superuserSecretName },
        bootstrap: {
            initdb: {
                database: args.appDatabase,
                owner: args.appDatabase,
                secret: { name: args.appOwnerSecretName },
                dataChecksums: true,
                encoding: "UTF8",
            },
        },
        postgresql: { parameters },
        storage: { size: args.storageSize, storageClass: args.storageClass, resizeInUseVolumes: true },
        ...(args.walStorageSize !== undefined
            ? { walStorage: { size: args.walStorageSize, storageClass: args.storageClass, resizeInUseVolumes: true } }
            : {}),
        resources: toKubeResources(args.resources),
        affinity: {
            enablePodAntiAffinity: true,
            topologyKey: "kubernetes.io/hostname",
            // Two instances on one node is no high availability: a hard rule as soon as there is a replica.
            podAntiAffinityType: replicated ? "required" : "preferred",
        },
        ...(args.zoneSpread
            ? {
                  topologySpreadConstraints: [
                      {
                          maxSkew: 1,
                          topologyKey: "topology.kubernetes.io/zone",
                          whenUnsatisfiable: "DoNotSchedule",
                          labelSelector: {
                              matchLabels: { [CLUSTER_LABEL]: clusterName, [POD_ROLE_LABEL]: "instance" },
                          },
                      },
                  ],
              }
            : {}),
        managed: {
            roles: args.roles.map((r) => ({
                name: r.name,
                ensure: "present",
                login: true,
                superuser: false,
                createdb: false,
                createrole: false,
                replication: false,
                inherit: true,
                passwordSecret: { name: r.passwordSecretName },
            })),
        },
        ...(args.walArchiving
            ? {
                  plugins: [
                      {
                          name: BARMAN_PLUGIN_NAME,
                          enabled: true,
                          isWALArchiver: true,
                          parameters: { barmanObjectName: args.walArchiving.objectStoreName },
                      },
                  ],
              }
            : {}),
        ...(args.inheritedLabels ? { inheritedMetadata: { labels: { ...args.inheritedLabels } } } : {}),
    };
}

/** A service-owned database with its owner role (declared in the Cluster's managed roles). */
export function databaseSpec(clusterName: string, database: string, owner: string): Record<string, unknown> {
    return {
        cluster: { name: clusterName },
        name: database,
        owner,
        ensure: "present",
        // Removing a service from the config must never drop its data.
        databaseReclaimPolicy: "retain",
        encoding: "UTF8",
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Pooler
// ---------------------------------------------------------------------------------------------------------------

export interface PoolerSpecArgs {
    readonly instances: number;
    readonly poolMode: "session" | "transaction";
    readonly maxClientConnections: number;
    readonly defaultPoolSize: number;
    readonly resources: ResourceSpec;
    /** Container security context (lib/pod-security.ts containerSecurityContext). */
    readonly containerSecurityContext: Record<string, unknown>;
    readonly labels?: Readonly<Record<string, string>>;
}

export function poolerSpec(clusterName: string, poolerName: string, args: PoolerSpecArgs): Record<string, unknown> {
    const replicated = args.instances > 1;
    return {
        cluster: { name: clusterName },
        instances: args.instances,
        type: "rw",
        pgbouncer: {
            poolMode: args.poolMode,
            parameters: {
                max_client_conn: String(args.maxClientConnections),
                default_pool_size: String(args.defaultPoolSize),
            },
        },
        ...(replicated
            ? {
                  deploymentStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
              }
            : {}),
        template: {
            ...(args.labels ? { metadata: { labels: { ...args.labels } } } : {}),
            spec: {
                containers: [
                    {
                        name: "pgbouncer",
                        resources: toKubeResources(args.resources),
                        securityContext: { ...args.containerSecurityContext },
                    },
                ],
                ...(replicated
                    ? {
                          topologySpreadConstraints: [
                              {
                                  maxSkew: 1,
                                  topologyKey: "kubernetes.io/hostname",
                                  whenUnsatisfiable: "ScheduleAnyway",
                                  labelSelector: { matchLabels: { [POOLER_LABEL]: poolerName } },
                              },
                          ],
                      }
                    : {}),
            },
        },
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Barman Cloud plugin: ObjectStore and ScheduledBackup
// ---------------------------------------------------------------------------------------------------------------

/** Keys of the object-store credentials Secret. */
export const OBJECT_STORE_KEYS = {
    accessKeyId: "ACCESS_KEY_ID",
    secretAccessKey: "ACCESS_SECRET_KEY",
    region: "REGION",
} as const;

export interface ObjectStoreSpecArgs {
    readonly destinationPath: string;
    readonly endpointUrl?: string;
    readonly region?: string;
    readonly credentialsSecretName: pulumi.Input<string>;
    /** Barman retention, e.g. "30d". */
    readonly retentionPolicy: string;
    /** Resources of the plugin sidecar injected into every instance pod. */
    readonly sidecarResources: ResourceSpec;
}

export function objectStoreSpec(args: ObjectStoreSpecArgs): Record<string, unknown> {
    if (!/^s3:\/\/\S+$/.test(args.destinationPath))
        throw new Error(`postgres objectStore: destinationPath must be an s3:// URL, got ${args.destinationPath}`);
    const ref = (key: string) => ({ name: args.credentialsSecretName, key });
    return {
        configuration: {
            destinationPath: args.destinationPath,
            ...(args.endpointUrl !== undefined ? { endpointURL: args.endpointUrl } : {}),
            s3Credentials: {
                accessKeyId: ref(OBJECT_STORE_KEYS.accessKeyId),
                secretAccessKey: ref(OBJECT_STORE_KEYS.secretAccessKey),
                ...(args.region !== undefined ? { region: ref(OBJECT_STORE_KEYS.region) } : {}),
            },
            wal: { compression: "gzip", maxParallel: 2 },
            data: { compression: "gzip", jobs: 2 },
        },
        retentionPolicy: args.retentionPolicy,
        instanceSidecarConfiguration: { resources: toKubeResources(args.sidecarResources) },
    };
}

/** A full base backup through the plugin (six-field cron, seconds first). */
export function scheduledBackupSpec(clusterName: string, schedule: string): Record<string, unknown> {
    if (schedule.trim().split(/\s+/).length !== 6)
        throw new Error(`postgres: ScheduledBackup schedules have six fields (seconds first), got "${schedule}"`);
    return {
        cluster: { name: clusterName },
        schedule,
        method: "plugin",
        pluginConfiguration: { name: BARMAN_PLUGIN_NAME },
        // A base backup right away: point-in-time recovery needs one before the first scheduled run.
        immediate: true,
        backupOwnerReference: "self",
        target: "prefer-standby",
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Monitoring
// ---------------------------------------------------------------------------------------------------------------

/** PodMonitor spec for the instances' exporters (the deprecated enablePodMonitor, done by hand). */
export function clusterPodMonitorSpec(clusterName: string): Record<string, unknown> {
    return {
        selector: { matchLabels: { [CLUSTER_LABEL]: clusterName, [POD_ROLE_LABEL]: "instance" } },
        podMetricsEndpoints: [{ port: "metrics", interval: "30s" }],
    };
}

export function poolerPodMonitorSpec(poolerName: string): Record<string, unknown> {
    return {
        selector: { matchLabels: { [POOLER_LABEL]: poolerName } },
        podMetricsEndpoints: [{ port: "metrics", interval: "30s" }],
    };
}

// ---------------------------------------------------------------------------------------------------------------
// NetworkPolicies (the data namespace denies everything but DNS by default)
// ---------------------------------------------------------------------------------------------------------------

export interface PostgresNetworkArgs {
    readonly clusterName: string;
    /** Pods of the services that declare a database (and their migration Jobs). */
    readonly clients: readonly PeerSelector[];
    /** Backup and restore-verification job pods. */
    readonly backups: readonly PeerSelector[];
    /** The operator's namespace (status API on 8000). */
    readonly operatorNamespace: string;
    /** Prometheus server pods; no metrics rule when unset. */
    readonly prometheus?: PeerSelector;
    /** Pooler name when a pooler is deployed. */
    readonly poolerName?: string;
    /**
     * WAL archiving target: the Barman Cloud sidecar in each instance pod uploads WAL and base backups there, so the
     * instances may reach the endpoint's port (AWS S3 when endpointUrl is unset). No object-store egress when unset.
     */
    readonly objectStore?: { readonly endpointUrl?: string };
}

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
const sameNamespacePods = (selector: Record<string, unknown>) => ({ podSelector: selector });

/** The instances' policy: who may reach PostgreSQL, the status API and the exporter, and where instances may go. */
export function instancesNetworkPolicySpec(args: PostgresNetworkArgs): NetworkPolicySpec {
    const self = sameNamespacePods(instanceSelector(args.clusterName));
    const sqlPeers = [
        ...args.clients.map(networkPolicyPeer),
        ...args.backups.map(networkPolicyPeer),
        ...(args.poolerName ? [sameNamespacePods({ matchLabels: { [POOLER_LABEL]: args.poolerName } })] : []),
    ];
    const ingress: NetworkPolicyIngressRule[] = [
        // Replication, pg_rewind, join jobs (pg_basebackup) and the instance managers talking to each other.
        { from: [self], ports: [tcpPort(POSTGRES_PORT), tcpPort(CNPG_STATUS_PORT)] },
        {
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.operatorNamespace } } }],
            ports: [tcpPort(CNPG_STATUS_PORT)],
        },
    ];
    if (sqlPeers.length > 0) ingress.push({ from: sqlPeers, ports: [tcpPort(POSTGRES_PORT)] });
    if (args.prometheus)
        ingress.push({ from: [networkPolicyPeer(args.prometheus)], ports: [tcpPort(CNPG_METRICS_PORT)] });
    return {
        podSelector: instanceSelector(args.clusterName),
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress: [
            { to: [self], ports: [tcpPort(POSTGRES_PORT), tcpPort(CNPG_STATUS_PORT)] },
            // The instance manager watches its Cluster and Secrets.
            API_SERVER_EGRESS_RULE,
            DNS_EGRESS_RULE,
            // The Barman Cloud sidecar archives to the object store: 443 and the endpoint's own port (e.g. an
            // http://minio:9000 endpoint), as for the backup jobs' uploads.
            ...(args.objectStore ? objectStoreEgressRules(args.objectStore.endpointUrl) : []),
        ],
    };
}

/** The pooler's policy: clients in, PgBouncer out to the instances and the API server. */
export function poolerNetworkPolicySpec(args: PostgresNetworkArgs & { poolerName: string }): NetworkPolicySpec {
    const ingress: NetworkPolicyIngressRule[] = [];
    if (args.clients.length > 0)
        ingress.push({ from: args.clients.map(networkPolicyPeer), ports: [tcpPort(POSTGRES_PORT)] });
    if (args.prometheus)
        ingress.push({ from: [networkPolicyPeer(args.prometheus)], ports: [tcpPort(PGBOUNCER_METRICS_PORT)] });
    return {
        podSelector: { matchLabels: { [POOLER_LABEL]: args.poolerName } },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress: [
            { to: [sameNamespacePods(instanceSelector(args.clusterName))], ports: [tcpPort(POSTGRES_PORT)] },
            // The pooler's instance manager reads its Pooler, Cluster and Secrets.
            API_SERVER_EGRESS_RULE,
            DNS_EGRESS_RULE,
        ],
    };
}
