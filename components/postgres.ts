import { helmChart } from "./helm-chart";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { PostgresArgs, PostgresObjectStoreArgs } from "../lib/postgres/plan";
import { imageVersion, PART_OF, recommendedLabels } from "../lib/labels";
import { containerSecurityContext } from "../lib/pod-security";
import {
    basicAuthData,
    BARMAN_API_VERSION,
    clientSecretData,
    clusterPodMonitorSpec,
    clusterSpec,
    CNPG_API_VERSION,
    databaseSpec,
    Endpoint,
    instancesNetworkPolicySpec,
    OBJECT_STORE_KEYS,
    objectStoreSpec,
    poolerEndpoint,
    poolerNetworkPolicySpec,
    poolerPodMonitorSpec,
    poolerSpec,
    PostgresNetworkArgs,
    primaryEndpoint,
    readOnlyEndpoint,
    scheduledBackupSpec,
    SUPERUSER,
} from "../lib/postgres/specs";
import {
    BARMAN_PLUGIN_CLIENT_SECRET,
    BARMAN_PLUGIN_DROPPED_KINDS,
    BARMAN_PLUGIN_SERVER_SECRET,
    BARMAN_PLUGIN_SERVICE,
    barmanPluginChartValues,
    operatorChartValues,
} from "../lib/postgres/values";
import {
    BARMAN_PLUGIN_RELEASE_NAME,
    barmanPluginNetworkPolicySpec,
    OPERATOR_RELEASE_NAME,
    operatorNetworkPolicySpec,
    operatorPdbSpec,
} from "../lib/postgres/operator-policies";
import { POSTGRES_CLUSTER_NAME, POSTGRES_POOLER_NAME } from "../lib/topology";
import { databaseKubeName } from "../lib/postgres/roles";
import { waiverAnnotations } from "../lib/waivers";
import { withFormerTypes } from "../lib/aliases";
import { helmChartReference } from "../lib/chart-source";

/** @pulumi/kubernetes (>= 4.18) awaits a custom resource until this condition or JSONPath value holds. */
const PULUMI_WAIT_FOR = "pulumi.com/waitFor";

/**
 * PostgreSQL on CloudNativePG: the operator (helm.v4 chart), one `Cluster` with a database and owner role per
 * service that declares one, connection Secrets for the services, an optional PgBouncer `Pooler`, WAL archiving
 * with base backups through the Barman Cloud plugin, PodMonitors and NetworkPolicies.
 */
export class Postgres extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:postgres:Postgres";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:data:Postgres"];

    /** Client connection Secret (keys per DATABASE_SECRET_ENV) in the client namespace, by database. */
    public readonly databaseSecretNames: Record<string /* database */, pulumi.Output<string>>;
    /** basic-auth Secret of each role in the data namespace (e.g. for backup jobs of one database). */
    public readonly roleSecretNames: Record<string /* role */, pulumi.Output<string>>;
    /** basic-auth Secret of the `postgres` superuser in the data namespace (backup and restore jobs). */
    public readonly superuserSecretName: pulumi.Output<string>;
    /** Host clients connect to: the pooler when there is one, else the primary's `-rw` Service. */
    public readonly host: string;
    /** The primary's `-rw` Service (bypasses the pooler: backups, migrations needing session features). */
    public readonly primaryHost: string;
    public readonly port: number;
    /** The operator chart; CloudNativePG custom resources created elsewhere must depend on it. */
    public readonly operator: pulumi.Resource;
    /**
     * By database: what a client that needs it (a migration Job) must wait for. The Cluster (awaited until Ready),
     * plus the Database object (awaited until applied) for every database but the bootstrap one.
     */
    public readonly databaseReady: Readonly<Record<string /* database */, pulumi.Resource[]>>;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Postgres.TYPE, name, {}, withFormerTypes(opts, Postgres.FORMER_TYPES));
        const clusterName = POSTGRES_CLUSTER_NAME;
        const domain = args.clusterDomain;
        const monitoring = args.monitoring;
        const labels = (component: string) =>
            recommendedLabels({
                name: "postgresql",
                instance: clusterName,
                component,
                version: imageVersion(args.imageName),
            });
        if (!args.databases.includes(args.appDatabase))
            throw new Error(`Postgres: databases must include the bootstrap database "${args.appDatabase}"`);

        // --- Operator ------------------------------------------------------------------------------------------
        this.operator = helmChart(
            `${name}-operator`,
            {
                ...helmChartReference(args.operatorChart),
                // The chart puts the release name into the operator pods' labels (OPERATOR_POD_LABELS).
                releaseName: OPERATOR_RELEASE_NAME,
                namespace: args.operatorNamespace,
                values: operatorChartValues({
                    replicas: args.operatorReplicas,
                    resources: args.operatorResources,
                    monitoringEnabled: monitoring !== undefined,
                }),
            },
            args.helm,
            { parent: this, dependsOn: monitoring?.dependsOn ?? [] },
        );
        // The chart renders neither a NetworkPolicy nor a PodDisruptionBudget for its operator pods.
        const operatorLabels = recommendedLabels({
            name: "cloudnative-pg",
            instance: OPERATOR_RELEASE_NAME,
            component: "operator",
        });
        const afterOperator = { parent: this, dependsOn: [this.operator] };
        new k8s.networking.v1.NetworkPolicy(
            `${name}-operator`,
            {
                metadata: { namespace: args.operatorNamespace, labels: operatorLabels },
                spec: operatorNetworkPolicySpec({
                    dataNamespace: args.namespace,
                    clusterName,
                    prometheus: monitoring?.prometheusPods,
                    barmanPlugin: args.objectStore !== undefined,
                }),
            },
            afterOperator,
        );
        const operatorPdb = operatorPdbSpec(args.operatorReplicas);
        if (operatorPdb) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-operator`,
                {
                    metadata: { namespace: args.operatorNamespace, labels: operatorLabels },
                    spec: operatorPdb,
                },
                afterOperator,
            );
        }

        // --- Credentials ---------------------------------------------------------------------------------------
        // basic-auth Secrets CloudNativePG reads; `cnpg.io/reload` makes a rotated password apply at once.
        const roleSecret = (role: string, password: pulumi.Input<string>, component: string) =>
            new k8s.core.v1.Secret(
                `${name}-${component}`,
                {
                    metadata: {
                        namespace: args.namespace,
                        labels: { ...labels("credentials"), "cnpg.io/reload": "true" },
                    },
                    type: "kubernetes.io/basic-auth",
                    stringData: basicAuthData(role, pulumi.secret(password)),
                },
                { parent: this },
            );
        const passwordOf = (id: string): pulumi.Output<string> => {
            const password = args.credentials[id];
            if (password === undefined) throw new Error(`Postgres: no generated credential "${id}"`);
            return password;
        };
        const superuser = roleSecret(SUPERUSER, passwordOf("postgresSuperuserPassword"), "superuser");
        this.superuserSecretName = superuser.metadata.name;
        const roleSecrets: Record<string, k8s.core.v1.Secret> = {};
        for (const role of args.databases) {
            roleSecrets[role] = roleSecret(role, passwordOf(`db-${role}`), `role-${databaseKubeName(role)}`);
        }
        this.roleSecretNames = Object.fromEntries(Object.entries(roleSecrets).map(([r, s]) => [r, s.metadata.name]));

        // --- WAL archiving (Barman Cloud plugin) -----------------------------------------------------------------
        let objectStoreName: pulumi.Output<string> | undefined;
        let plugin: pulumi.Resource | undefined;
        if (args.objectStore) {
            plugin = this.barmanPlugin(name, args, args.objectStore);
            new k8s.networking.v1.NetworkPolicy(
                `${name}-barman-plugin`,
                {
                    metadata: {
                        namespace: args.operatorNamespace,
                        labels: recommendedLabels({
                            name: "plugin-barman-cloud",
                            instance: BARMAN_PLUGIN_RELEASE_NAME,
                            component: "backup-plugin",
                        }),
                    },
                    spec: barmanPluginNetworkPolicySpec(),
                },
                { parent: this, dependsOn: [plugin] },
            );
            const credentials = new k8s.core.v1.Secret(
                `${name}-object-store`,
                {
                    metadata: { namespace: args.namespace, labels: labels("backup") },
                    type: "Opaque",
                    stringData: {
                        [OBJECT_STORE_KEYS.accessKeyId]: pulumi.secret(args.objectStore.accessKeyId),
                        [OBJECT_STORE_KEYS.secretAccessKey]: pulumi.secret(args.objectStore.secretAccessKey),
                        ...(args.objectStore.region !== undefined
                            ? { [OBJECT_STORE_KEYS.region]: args.objectStore.region }
                            : {}),
                    },
                },
                { parent: this },
            );
            const store = new k8s.apiextensions.CustomResource(
                `${name}-object-store`,
                {
                    apiVersion: BARMAN_API_VERSION,
                    kind: "ObjectStore",
                    metadata: { namespace: args.namespace, labels: labels("backup") },
                    spec: objectStoreSpec({
                        destinationPath: args.objectStore.destinationPath,
                        endpointUrl: args.objectStore.endpointUrl,
                        region: args.objectStore.region,
                        credentialsSecretName: credentials.metadata.name,
                        retentionPolicy: args.objectStore.retentionPolicy,
                        sidecarResources: args.objectStore.sidecarResources,
                    }),
                },
                { parent: this, dependsOn: [plugin] },
            );
            objectStoreName = store.metadata.name;
        }

        // --- Cluster -------------------------------------------------------------------------------------------
        const cluster = new k8s.apiextensions.CustomResource(
            `${name}-cluster`,
            {
                apiVersion: CNPG_API_VERSION,
                kind: "Cluster",
                // Services, PodMonitors and NetworkPolicies address the cluster by this name. Pulumi awaits no custom
                // resource by itself: the annotation makes `up` wait until CloudNativePG reports the Cluster Ready.
                metadata: {
                    name: clusterName,
                    namespace: args.namespace,
                    labels: labels("database"),
                    annotations: {
                        [PULUMI_WAIT_FOR]: "condition=Ready",
                        ...waiverAnnotations(args.singleInstanceWaiver),
                    },
                },
                spec: clusterSpec(clusterName, {
                    instances: args.instances,
                    imageName: args.imageName,
                    storageSize: args.storageSize,
                    walStorageSize: args.walStorageSize,
                    storageClass: args.storageClass,
                    resources: args.resources,
                    maxConnections: args.maxConnections,
                    zoneSpread: args.zoneSpread,
                    appDatabase: args.appDatabase,
                    appOwnerSecretName: roleSecrets[args.appDatabase].metadata.name,
                    superuserSecretName: superuser.metadata.name,
                    roles: args.databases.map((role) => ({
                        name: role,
                        passwordSecretName: roleSecrets[role].metadata.name,
                    })),
                    walArchiving: objectStoreName
                        ? { objectStoreName, archiveTimeoutSeconds: args.objectStore?.archiveTimeoutSeconds ?? 300 }
                        : undefined,
                    inheritedLabels: { "app.kubernetes.io/part-of": PART_OF },
                }),
            },
            { parent: this, dependsOn: [this.operator, ...(plugin ? [plugin] : [])] },
        );
        const afterCluster = { parent: this, dependsOn: [this.operator, cluster] };

        const databaseReady: Record<string, pulumi.Resource[]> = { [args.appDatabase]: [cluster] };
        for (const database of args.databases.filter((d) => d !== args.appDatabase)) {
            databaseReady[database] = [
                cluster,
                new k8s.apiextensions.CustomResource(
                    `${name}-database-${databaseKubeName(database)}`,
                    {
                        apiVersion: CNPG_API_VERSION,
                        kind: "Database",
                        // Awaited until CloudNativePG has created the database (status.applied).
                        metadata: {
                            namespace: args.namespace,
                            labels: labels("database"),
                            annotations: { [PULUMI_WAIT_FOR]: "jsonpath={.status.applied}=true" },
                        },
                        spec: databaseSpec(clusterName, database, database),
                    },
                    afterCluster,
                ),
            ];
        }
        this.databaseReady = databaseReady;

        if (args.objectStore) {
            new k8s.apiextensions.CustomResource(
                `${name}-full-backup`,
                {
                    apiVersion: CNPG_API_VERSION,
                    kind: "ScheduledBackup",
                    metadata: { namespace: args.namespace, labels: labels("backup") },
                    spec: scheduledBackupSpec(clusterName, args.objectStore.fullBackupSchedule),
                },
                afterCluster,
            );
        }

        // --- Pooler --------------------------------------------------------------------------------------------
        let clientEndpoint: Endpoint = primaryEndpoint(clusterName, args.namespace, domain);
        this.primaryHost = clientEndpoint.host;
        if (args.pooler) {
            new k8s.apiextensions.CustomResource(
                `${name}-pooler`,
                {
                    apiVersion: CNPG_API_VERSION,
                    kind: "Pooler",
                    // The Pooler's Service carries its name; clients and NetworkPolicies refer to it.
                    metadata: { name: POSTGRES_POOLER_NAME, namespace: args.namespace, labels: labels("pooler") },
                    spec: poolerSpec(clusterName, POSTGRES_POOLER_NAME, {
                        instances: args.pooler.instances,
                        poolMode: args.pooler.poolMode,
                        maxClientConnections: args.pooler.maxClientConnections,
                        defaultPoolSize: args.pooler.defaultPoolSize,
                        resources: args.pooler.resources,
                        containerSecurityContext: containerSecurityContext() as Record<string, unknown>,
                        labels: { "app.kubernetes.io/part-of": PART_OF },
                    }),
                },
                afterCluster,
            );
            clientEndpoint = poolerEndpoint(POSTGRES_POOLER_NAME, args.namespace, domain);
        }
        this.host = clientEndpoint.host;
        this.port = clientEndpoint.port;

        // --- Client Secrets (services read them by reference) --------------------------------------------------
        const databaseSecretNames: Record<string, pulumi.Output<string>> = {};
        const readOnly = readOnlyEndpoint(clusterName, args.namespace, domain, args.instances);
        for (const database of args.databases) {
            const endpoint = clientEndpoint;
            const data = pulumi
                .output(passwordOf(`db-${database}`))
                .apply((password) => clientSecretData(endpoint, readOnly, database, database, password));
            const secret = new k8s.core.v1.Secret(
                `${name}-client-${databaseKubeName(database)}`,
                {
                    metadata: { namespace: args.clientNamespace, labels: labels("client-credentials") },
                    type: "kubernetes.io/basic-auth",
                    stringData: pulumi.secret(data),
                },
                { parent: this },
            );
            databaseSecretNames[database] = secret.metadata.name;
        }
        this.databaseSecretNames = databaseSecretNames;

        // --- Monitoring ----------------------------------------------------------------------------------------
        if (monitoring) {
            const afterMonitoring = { parent: this, dependsOn: [cluster, ...monitoring.dependsOn] };
            new k8s.apiextensions.CustomResource(
                `${name}-instances`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PodMonitor",
                    metadata: { namespace: args.namespace, labels: labels("monitoring") },
                    spec: clusterPodMonitorSpec(clusterName),
                },
                afterMonitoring,
            );
            if (args.pooler) {
                new k8s.apiextensions.CustomResource(
                    `${name}-pooler`,
                    {
                        apiVersion: "monitoring.coreos.com/v1",
                        kind: "PodMonitor",
                        metadata: { namespace: args.namespace, labels: labels("monitoring") },
                        spec: poolerPodMonitorSpec(POSTGRES_POOLER_NAME),
                    },
                    afterMonitoring,
                );
            }
        }

        // --- NetworkPolicies -----------------------------------------------------------------------------------
        const network: PostgresNetworkArgs = {
            clusterName,
            clients: args.clientPods,
            backups: args.backupPods ?? [],
            operatorNamespace: args.operatorNamespace,
            prometheus: monitoring?.prometheusPods,
            poolerName: args.pooler ? POSTGRES_POOLER_NAME : undefined,
            objectStore: args.objectStore ? { endpointUrl: args.objectStore.endpointUrl } : undefined,
        };
        new k8s.networking.v1.NetworkPolicy(
            `${name}-instances`,
            {
                metadata: { namespace: args.namespace, labels: labels("database") },
                spec: instancesNetworkPolicySpec(network),
            },
            { parent: this },
        );
        if (args.pooler) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-pooler`,
                {
                    metadata: { namespace: args.namespace, labels: labels("pooler") },
                    spec: poolerNetworkPolicySpec({ ...network, poolerName: POSTGRES_POOLER_NAME }),
                },
                { parent: this },
            );
        }

        this.registerOutputs({
            databaseSecretNames: this.databaseSecretNames,
            roleSecretNames: this.roleSecretNames,
            superuserSecretName: this.superuserSecretName,
            host: this.host,
            primaryHost: this.primaryHost,
            port: this.port,
            operator: this.operator,
            databaseReady: this.databaseReady,
        });
    }

    /**
     * The Barman Cloud plugin in the operator's namespace, with the operator <-> plugin mTLS certificates generated
     * here (self-signed, like the chart's cert-manager default, so no cert-manager is needed).
     */
    private barmanPlugin(name: string, args: PostgresArgs, store: PostgresObjectStoreArgs): pulumi.Resource {
        const tlsSecret = (role: "server" | "client", secretName: string) => {
            const key = new tls.PrivateKey(
                `${name}-barman-${role}`,
                { algorithm: "ECDSA", ecdsaCurve: "P256" },
                { parent: this },
            );
            const cert = new tls.SelfSignedCert(
                `${name}-barman-${role}`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: {
                        commonName: role === "server" ? BARMAN_PLUGIN_SERVICE : `${BARMAN_PLUGIN_SERVICE}-client`,
                    },
                    // The operator verifies the server against its Service name.
                    dnsNames: role === "server" ? [BARMAN_PLUGIN_SERVICE] : [],
                    validityPeriodHours: 8760,
                    earlyRenewalHours: 720,
                    allowedUses: [
                        "digital_signature",
                        "key_encipherment",
                        role === "server" ? "server_auth" : "client_auth",
                    ],
                },
                { parent: this },
            );
            return new k8s.core.v1.Secret(
                `${name}-barman-${role}-tls`,
                {
                    // The plugin chart and its Service annotations refer to these names.
                    metadata: {
                        name: secretName,
                        namespace: args.operatorNamespace,
                        labels: recommendedLabels({ name: "plugin-barman-cloud", instance: name, component: "tls" }),
                    },
                    type: "kubernetes.io/tls",
                    stringData: {
                        "tls.crt": cert.certPem,
                        "tls.key": pulumi.secret(key.privateKeyPem),
                        "ca.crt": cert.certPem,
                    },
                },
                { parent: this },
            );
        };
        const secrets = [
            tlsSecret("server", BARMAN_PLUGIN_SERVER_SECRET),
            tlsSecret("client", BARMAN_PLUGIN_CLIENT_SECRET),
        ];
        return helmChart(
            `${name}-barman-cloud`,
            {
                ...helmChartReference(store.pluginChart),
                releaseName: BARMAN_PLUGIN_RELEASE_NAME,
                namespace: args.operatorNamespace,
                values: barmanPluginChartValues({ resources: store.pluginResources }),
                dropKinds: BARMAN_PLUGIN_DROPPED_KINDS,
            },
            args.helm,
            { parent: this, dependsOn: [this.operator, ...secrets] },
        );
    }
}
