import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RedisArgs } from "../lib/redis/plan";
import { imageVersion, recommendedLabels } from "../lib/labels";
import { redisServerConf, sentinelConf } from "../lib/redis/conf";
import {
    clientSecretData,
    headlessServiceSpec,
    initialPrimaryHost,
    PASSWORD_KEY,
    pdbSpec,
    RedisLayout,
    redisLayout,
    SENTINEL_CONF_KEY,
    SENTINEL_SELECTOR,
    sentinelAddresses,
    sentinelNetworkPolicySpec,
    sentinelPodSpec,
    sentinelQuorum,
    sentinelServicePorts,
    SERVER_CONF_KEY,
    SERVER_SELECTOR,
    serverNetworkPolicySpec,
    serverPodSpec,
    serverServiceHost,
    serverServicePorts,
    serviceMonitorSpec,
    START_SCRIPTS_LIB,
    START_SENTINEL_SCRIPT,
    START_SERVER_SCRIPT,
    statefulSetSpec,
    DATA_DIR,
} from "../lib/redis/workload";
import { REDIS_NAME, REDIS_PORT, REDIS_SENTINEL_NAME } from "../lib/topology";
import { waiverAnnotations } from "../lib/waivers";
import { withFormerTypes } from "../lib/aliases";

/** The start scripts, read from the repository when the program runs (tested against real servers). */
const SCRIPTS_SOURCE_DIR = path.join(__dirname, "..", "scripts", "redis");

/**
 * Valkey (BSD-licensed Redis fork, official image): one node, or a primary with replicas and Sentinels for
 * automatic failover; AOF + RDB persistence on PVCs, password auth, redis_exporter, PDBs and NetworkPolicies.
 */
export class Redis extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:redis:Redis";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:data:Redis"];

    /** Client Secret in the client namespace (keys per REDIS_SECRET_ENV). */
    public readonly clientSecretName: pulumi.Output<string>;
    /** Password Secret in the data namespace (key `password`), e.g. for backup jobs. */
    public readonly passwordSecretName: pulumi.Output<string>;
    /** The data nodes' headless Service (all nodes; in sentinel mode ask the Sentinels for the primary). */
    public readonly host: string;
    public readonly port: number;
    /** "host:port" of each Sentinel; empty in standalone mode. */
    public readonly sentinelAddresses: string[];
    /** Sentinel master name; empty in standalone mode. */
    public readonly masterName: string;

    constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Redis.TYPE, name, {}, withFormerTypes(opts, Redis.FORMER_TYPES));
        const layout: RedisLayout = redisLayout({
            mode: args.mode,
            namespace: args.namespace,
            clusterDomain: args.clusterDomain,
            replicas: args.replicas,
            sentinels: args.sentinels,
            masterName: args.masterName,
        });
        const sentinelMode = layout.sentinels > 0;
        const version = imageVersion(args.image);
        const serverLabels = {
            ...recommendedLabels({ name: "valkey", instance: REDIS_NAME, component: "server", version }),
            ...SERVER_SELECTOR,
        };
        const sentinelLabels = {
            ...recommendedLabels({
                name: "valkey-sentinel",
                instance: REDIS_SENTINEL_NAME,
                component: "sentinel",
                version,
            }),
            ...SENTINEL_SELECTOR,
        };
        const child = { parent: this };

        // --- Secrets -------------------------------------------------------------------------------------------
        const password = pulumi.secret(args.password);
        const passwordSecret = new k8s.core.v1.Secret(
            `${name}-password`,
            {
                metadata: {
                    namespace: args.namespace,
                    labels: { ...serverLabels, "app.kubernetes.io/component": "credentials" },
                },
                type: "Opaque",
                stringData: { [PASSWORD_KEY]: password },
            },
            child,
        );
        this.passwordSecretName = passwordSecret.metadata.name;
        const clientSecret = new k8s.core.v1.Secret(
            `${name}-client`,
            {
                metadata: {
                    namespace: args.clientNamespace,
                    labels: { ...serverLabels, "app.kubernetes.io/component": "client-credentials" },
                },
                type: "Opaque",
                stringData: pulumi.secret(password.apply((p) => clientSecretData(layout, p))),
            },
            child,
        );
        this.clientSecretName = clientSecret.metadata.name;

        // --- Config and scripts (no secret in here: the scripts append the auth lines at start) ----------------
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { namespace: args.namespace, labels: serverLabels },
                data: {
                    [SERVER_CONF_KEY]: redisServerConf({
                        port: REDIS_PORT,
                        dir: DATA_DIR,
                        maxmemory: args.maxmemoryBytes,
                        maxmemoryPolicy: args.maxmemoryPolicy,
                        // With 2+ replicas a primary cut off from all of them stops taking writes it would lose.
                        minReplicasToWrite: layout.replicas >= 3 ? 1 : 0,
                    }),
                    ...(sentinelMode
                        ? {
                              [SENTINEL_CONF_KEY]: sentinelConf({
                                  masterName: layout.masterName,
                                  initialPrimaryHost: initialPrimaryHost(layout),
                                  quorum: sentinelQuorum(layout.sentinels),
                              }),
                          }
                        : {}),
                },
            },
            child,
        );
        const scripts = new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            {
                metadata: { namespace: args.namespace, labels: serverLabels },
                // Mounted as one directory: the start scripts source lib.sh from next to themselves.
                data: Object.fromEntries(
                    [START_SCRIPTS_LIB, START_SERVER_SCRIPT, ...(sentinelMode ? [START_SENTINEL_SCRIPT] : [])].map(
                        (file) => [file, fs.readFileSync(path.join(SCRIPTS_SOURCE_DIR, file), "utf8")],
                    ),
                ),
            },
            child,
        );

        // --- Data nodes ----------------------------------------------------------------------------------------
        const serviceAccount = (id: string, labels: Record<string, string>) =>
            new k8s.core.v1.ServiceAccount(
                `${name}-${id}`,
                {
                    metadata: { namespace: args.namespace, labels },
                    // Neither Valkey nor Sentinel calls the Kubernetes API.
                    automountServiceAccountToken: false,
                },
                child,
            );
        const podArgs = {
            layout,
            image: args.image,
            passwordSecretName: passwordSecret.metadata.name,
            configMapName: config.metadata.name,
            scriptsConfigMapName: scripts.metadata.name,
            zoneSpread: args.zoneSpread,
        };
        const serverService = new k8s.core.v1.Service(
            `${name}-server`,
            {
                // Pods' DNS names (<pod>.redis.<namespace>.svc) hang off this Service: the name is part of the contract.
                metadata: { name: REDIS_NAME, namespace: args.namespace, labels: serverLabels },
                spec: headlessServiceSpec(SERVER_SELECTOR, serverServicePorts()),
            },
            child,
        );
        new k8s.apps.v1.StatefulSet(
            `${name}-server`,
            {
                metadata: {
                    name: REDIS_NAME,
                    namespace: args.namespace,
                    labels: serverLabels,
                    annotations: waiverAnnotations(args.standaloneWaiver),
                },
                spec: statefulSetSpec({
                    serviceName: REDIS_NAME,
                    replicas: layout.replicas,
                    selector: SERVER_SELECTOR,
                    podLabels: serverLabels,
                    podSpec: serverPodSpec({
                        ...podArgs,
                        resources: args.resources,
                        exporterImage: args.exporterImage,
                        exporterResources: args.exporterResources,
                        serviceAccountName: serviceAccount("server", serverLabels).metadata.name,
                    }),
                    storage: { size: args.storageSize, storageClass: args.storageClass, labels: serverLabels },
                    ordered: true,
                }),
            },
            { parent: this, dependsOn: [serverService] },
        );

        // --- Sentinels -----------------------------------------------------------------------------------------
        if (sentinelMode) {
            const sentinelService = new k8s.core.v1.Service(
                `${name}-sentinel`,
                {
                    metadata: { name: REDIS_SENTINEL_NAME, namespace: args.namespace, labels: sentinelLabels },
                    spec: headlessServiceSpec(SENTINEL_SELECTOR, sentinelServicePorts()),
                },
                child,
            );
            new k8s.apps.v1.StatefulSet(
                `${name}-sentinel`,
                {
                    metadata: { name: REDIS_SENTINEL_NAME, namespace: args.namespace, labels: sentinelLabels },
                    spec: statefulSetSpec({
                        serviceName: REDIS_SENTINEL_NAME,
                        replicas: layout.sentinels,
                        selector: SENTINEL_SELECTOR,
                        podLabels: sentinelLabels,
                        podSpec: sentinelPodSpec({
                            ...podArgs,
                            resources: args.sentinelResources,
                            serviceAccountName: serviceAccount("sentinel", sentinelLabels).metadata.name,
                        }),
                        ordered: false,
                    }),
                },
                { parent: this, dependsOn: [sentinelService] },
            );
            // Replicated only in sentinel mode; a PDB on a single node would only block drains.
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-server`,
                {
                    metadata: { namespace: args.namespace, labels: serverLabels },
                    spec: pdbSpec(SERVER_SELECTOR),
                },
                child,
            );
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-sentinel`,
                {
                    metadata: { namespace: args.namespace, labels: sentinelLabels },
                    spec: pdbSpec(SENTINEL_SELECTOR),
                },
                child,
            );
        }

        // --- NetworkPolicies -----------------------------------------------------------------------------------
        const network = {
            layout,
            clients: args.clientPods,
            backups: args.backupPods ?? [],
            prometheus: args.monitoring?.prometheusPods,
        };
        new k8s.networking.v1.NetworkPolicy(
            `${name}-server`,
            {
                metadata: { namespace: args.namespace, labels: serverLabels },
                spec: serverNetworkPolicySpec(network),
            },
            child,
        );
        if (sentinelMode) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-sentinel`,
                {
                    metadata: { namespace: args.namespace, labels: sentinelLabels },
                    spec: sentinelNetworkPolicySpec(network),
                },
                child,
            );
        }

        // --- Monitoring ----------------------------------------------------------------------------------------
        if (args.monitoring) {
            new k8s.apiextensions.CustomResource(
                `${name}-exporter`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: { namespace: args.namespace, labels: serverLabels },
                    spec: serviceMonitorSpec(SERVER_SELECTOR, args.namespace),
                },
                { parent: this, dependsOn: [serverService, ...args.monitoring.dependsOn] },
            );
        }

        this.host = serverServiceHost(layout);
        this.port = REDIS_PORT;
        this.sentinelAddresses = sentinelAddresses(layout);
        this.masterName = sentinelMode ? layout.masterName : "";
        this.registerOutputs({
            clientSecretName: this.clientSecretName,
            passwordSecretName: this.passwordSecretName,
            host: this.host,
            port: this.port,
            sentinelAddresses: this.sentinelAddresses,
            masterName: this.masterName,
        });
    }
}
