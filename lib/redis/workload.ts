/**
 * Valkey on Kubernetes as pure functions: StatefulSets (data nodes, Sentinels), headless Services, PDBs,
 * NetworkPolicies, the client Secret's data and the exporter's ServiceMonitor. The config files come from
 * lib/redis/conf.ts, the start scripts from scripts/redis/ (both tested against real servers).
 *
 * Topology: standalone = one data node that is always primary; sentinel = `replicas` data nodes (pod 0 is the
 * primary on first boot; afterwards the Sentinels' view wins) plus `sentinels` Sentinels. Every pod is addressed
 * by its stable DNS name (`<pod>.<headless service>.<namespace>.svc.<domain>`), announced with
 * `replica-announce-ip` / `sentinel announce-ip`, because pod IPs change on every restart.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { toKubeResources, ResourceSpec } from "../defaults";
import { selectorLabels } from "../labels";
import { DNS_EGRESS_RULE, tcpPort } from "../namespace-specs";
import { hardenedPodSpec } from "../pod-security";
import {
    networkPolicyPeer,
    PeerSelector,
    REDIS_EXPORTER_PORT,
    REDIS_NAME,
    REDIS_PORT,
    REDIS_SENTINEL_NAME,
    REDIS_SENTINEL_PORT,
    scrapeTls,
} from "../topology";
import { formatAddressList, podHostname, START_SCRIPT_ENV, statefulSetPodAddresses } from "./conf";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

export type RedisMode = "standalone" | "sentinel";

/** uid/gid of the `valkey` user in the official image. */
export const VALKEY_UID = 999;
export const CONFIG_DIR = "/etc/valkey";
export const SCRIPTS_DIR = "/scripts";
export const RUNTIME_DIR = "/run/valkey";
export const DATA_DIR = "/data";
export const SERVER_CONF_KEY = "server.conf";
export const SENTINEL_CONF_KEY = "sentinel.conf";
export const START_SERVER_SCRIPT = "start-server.sh";
export const START_SENTINEL_SCRIPT = "start-sentinel.sh";
/** Helpers both start scripts source from their own directory: ships in the same ConfigMap. */
export const START_SCRIPTS_LIB = "lib.sh";
/** The password key of the data-namespace Secret. */
export const PASSWORD_KEY = "password";

/** Pod labels of the data nodes and the Sentinels (lib/topology.ts redisPods / redisSentinelPods select them). */
export const SERVER_SELECTOR = selectorLabels({ name: "valkey", instance: REDIS_NAME });
export const SENTINEL_SELECTOR = selectorLabels({ name: "valkey-sentinel", instance: REDIS_SENTINEL_NAME });

export interface RedisLayout {
    readonly mode: RedisMode;
    readonly namespace: string;
    readonly clusterDomain: string;
    /** Data nodes (1 in standalone mode). */
    readonly replicas: number;
    /** Sentinels (0 in standalone mode). */
    readonly sentinels: number;
    readonly masterName: string;
}

/** Resolves the counts of a mode: standalone always runs one data node and no Sentinel. */
export function redisLayout(args: {
    mode: RedisMode;
    namespace: string;
    clusterDomain: string;
    replicas: number;
    sentinels: number;
    masterName: string;
}): RedisLayout {
    if (args.mode === "sentinel" && args.replicas < 2)
        throw new Error(`redis: sentinel mode needs at least 2 data nodes, got ${args.replicas}`);
    if (args.mode === "sentinel" && args.sentinels < 3)
        throw new Error(`redis: sentinel mode needs at least 3 Sentinels, got ${args.sentinels}`);
    return args.mode === "standalone" ? { ...args, replicas: 1, sentinels: 0 } : { ...args };
}

/** The data node that is primary on first boot (pod 0). */
export function initialPrimaryHost(layout: RedisLayout): string {
    return podHostname(REDIS_NAME, 0, REDIS_NAME, layout.namespace, layout.clusterDomain);
}

/** "host:port" of every Sentinel; empty in standalone mode. */
export function sentinelAddresses(layout: RedisLayout): string[] {
    if (layout.sentinels === 0) return [];
    return statefulSetPodAddresses({
        statefulSetName: REDIS_SENTINEL_NAME,
        replicas: layout.sentinels,
        headlessServiceName: REDIS_SENTINEL_NAME,
        namespace: layout.namespace,
        port: REDIS_SENTINEL_PORT,
        clusterDomain: layout.clusterDomain,
    });
}

/** Majority of the Sentinels: a failover needs it, so a partitioned minority can never promote. */
export function sentinelQuorum(sentinels: number): number {
    return Math.floor(sentinels / 2) + 1;
}

/** The data nodes' headless Service as clients resolve it. */
export function serverServiceHost(layout: RedisLayout): string {
    return `${REDIS_NAME}.${layout.namespace}.svc.${layout.clusterDomain}`;
}

/**
 * Data of the client Secret in the services' namespace (keys per REDIS_SECRET_ENV). In sentinel mode clients
 * must discover the primary through the Sentinels (`sentinels` + `master-name`); `host` then resolves to every
 * data node and is only good for reads.
 */
export function clientSecretData(layout: RedisLayout, password: string): Record<string, string> {
    const sentinel = layout.mode === "sentinel";
    return {
        host: serverServiceHost(layout),
        port: String(REDIS_PORT),
        password,
        sentinels: formatAddressList(sentinelAddresses(layout)),
        "master-name": sentinel ? layout.masterName : "",
        uri: redisUri(layout, password),
    };
}

/**
 * REDIS_URL. Standalone: `redis://default:<password>@<host>:6379/0`. Sentinel mode has no single address that
 * always reaches the primary, so the URL names the Sentinels and the master: `redis+sentinel://default:<password>@<s1>:26379,
 * <s2>:26379,.../<master>/0` (the redis-sentinel-url convention; clients that read no such URL use REDIS_SENTINELS,
 * REDIS_MASTER_NAME and REDIS_PASSWORD). The password is percent-encoded (generated ones are alphanumeric anyway).
 */
export function redisUri(layout: RedisLayout, password: string): string {
    // The ACL user `default` named: clients (redis-cli among them) read an empty user name as no credentials.
    const auth = `default:${encodeURIComponent(password)}@`;
    if (layout.mode === "sentinel")
        return `redis+sentinel://${auth}${sentinelAddresses(layout).join(",")}/${layout.masterName}/0`;
    return `redis://${auth}${serverServiceHost(layout)}:${REDIS_PORT}/0`;
}

// ---------------------------------------------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------------------------------------------

export interface PodArgs {
    readonly layout: RedisLayout;
    readonly image: string;
    readonly resources: ResourceSpec;
    /** Secret (data namespace) holding the password under PASSWORD_KEY. */
    readonly passwordSecretName: pulumi.Input<string>;
    /** ConfigMap with SERVER_CONF_KEY / SENTINEL_CONF_KEY. */
    readonly configMapName: pulumi.Input<string>;
    /** ConfigMap with the start scripts. */
    readonly scriptsConfigMapName: pulumi.Input<string>;
    readonly serviceAccountName: pulumi.Input<string>;
    /** Hard zone spreading (prod). */
    readonly zoneSpread: boolean;
}

export interface ServerPodArgs extends PodArgs {
    readonly exporterImage: string;
    readonly exporterResources: ResourceSpec;
}

const passwordEnv = (name: string, secretName: pulumi.Input<string>): EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: secretName, key: PASSWORD_KEY } },
});

/** `valkey-cli ping` against the local port; the password comes from REDISCLI_AUTH (never on the command line). */
export function pingProbe(port: number, overrides: Partial<Probe>): Probe {
    return {
        exec: { command: ["sh", "-c", `valkey-cli -h 127.0.0.1 -p ${port} ping | grep -q PONG`] },
        timeoutSeconds: 3,
        ...overrides,
    };
}

function commonEnv(args: PodArgs, headlessService: string): EnvVar[] {
    const { layout } = args;
    return [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        // $(POD_NAME) is expanded by the kubelet: each pod announces its own stable DNS name.
        {
            name: START_SCRIPT_ENV.announceHostname,
            value: `$(POD_NAME).${headlessService}.${layout.namespace}.svc.${layout.clusterDomain}`,
        },
        { name: START_SCRIPT_ENV.sentinelAddresses, value: formatAddressList(sentinelAddresses(layout)) },
        passwordEnv(START_SCRIPT_ENV.password, args.passwordSecretName),
        // The probes' valkey-cli reads the password from here.
        passwordEnv("REDISCLI_AUTH", args.passwordSecretName),
        { name: START_SCRIPT_ENV.cliBin, value: "valkey-cli" },
    ];
}

const configVolumes = (args: PodArgs) => [
    { name: "config", configMap: { name: args.configMapName, defaultMode: 0o444 } },
    { name: "scripts", configMap: { name: args.scriptsConfigMapName, defaultMode: 0o444 } },
];
const configMounts = [
    { name: "config", mountPath: CONFIG_DIR, readOnly: true },
    { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
];

function spread(selector: Record<string, string>, zoneSpread: boolean) {
    return [
        {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: { matchLabels: { ...selector } },
        },
        {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: zoneSpread ? "DoNotSchedule" : "ScheduleAnyway",
            labelSelector: { matchLabels: { ...selector } },
        },
    ];
}

/** Data node pod: Valkey (primary or replica, decided by start-server.sh) plus the redis_exporter sidecar. */
export function serverPodSpec(args: ServerPodArgs): PodSpec {
    const { layout } = args;
    const valkey: Container = {
        name: "valkey",
        image: args.image,
        command: ["bash", `${SCRIPTS_DIR}/${START_SERVER_SCRIPT}`],
        ports: [{ name: "redis", containerPort: REDIS_PORT, protocol: "TCP" }],
        env: [
            ...commonEnv(args, REDIS_NAME),
            { name: START_SCRIPT_ENV.serverBin, value: "valkey-server" },
            { name: START_SCRIPT_ENV.masterName, value: layout.masterName },
            { name: START_SCRIPT_ENV.initialPrimaryHost, value: initialPrimaryHost(layout) },
            { name: START_SCRIPT_ENV.confSource, value: `${CONFIG_DIR}/${SERVER_CONF_KEY}` },
            { name: START_SCRIPT_ENV.runtimeConf, value: `${RUNTIME_DIR}/${SERVER_CONF_KEY}` },
        ],
        resources: toKubeResources(args.resources),
        // Loading a large AOF can take minutes: liveness starts only once the node answered once.
        startupProbe: pingProbe(REDIS_PORT, { periodSeconds: 5, failureThreshold: 60 }),
        readinessProbe: pingProbe(REDIS_PORT, { periodSeconds: 5, failureThreshold: 2 }),
        livenessProbe: pingProbe(REDIS_PORT, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
        volumeMounts: [...configMounts, { name: "data", mountPath: DATA_DIR }],
    };
    const exporter: Container = {
        name: "exporter",
        image: args.exporterImage,
        ports: [{ name: "metrics", containerPort: REDIS_EXPORTER_PORT, protocol: "TCP" }],
        env: [
            { name: "REDIS_ADDR", value: `redis://127.0.0.1:${REDIS_PORT}` },
            passwordEnv("REDIS_PASSWORD", args.passwordSecretName),
        ],
        resources: toKubeResources(args.exporterResources),
        readinessProbe: { httpGet: { path: "/health", port: "metrics" }, periodSeconds: 10, timeoutSeconds: 3 },
        livenessProbe: {
            httpGet: { path: "/health", port: "metrics" },
            periodSeconds: 30,
            timeoutSeconds: 5,
            failureThreshold: 3,
        },
    };
    return {
        ...hardenedPodSpec({
            containers: [valkey, exporter],
            identity: { runAsUser: VALKEY_UID },
            writablePaths: [RUNTIME_DIR],
            volumes: configVolumes(args),
            serviceAccountName: args.serviceAccountName,
        }),
        // Time to finish an fsync/AOF rewrite on SIGTERM.
        terminationGracePeriodSeconds: 60,
        topologySpreadConstraints: spread(SERVER_SELECTOR, args.zoneSpread),
    };
}

/** Sentinel pod (start-sentinel.sh points it at the current primary and adds the auth lines). */
export function sentinelPodSpec(args: PodArgs): PodSpec {
    const sentinel: Container = {
        name: "sentinel",
        image: args.image,
        command: ["bash", `${SCRIPTS_DIR}/${START_SENTINEL_SCRIPT}`],
        ports: [{ name: "sentinel", containerPort: REDIS_SENTINEL_PORT, protocol: "TCP" }],
        env: [
            ...commonEnv(args, REDIS_SENTINEL_NAME),
            { name: START_SCRIPT_ENV.sentinelBin, value: "valkey-sentinel" },
            { name: START_SCRIPT_ENV.confSource, value: `${CONFIG_DIR}/${SENTINEL_CONF_KEY}` },
            { name: START_SCRIPT_ENV.runtimeConf, value: `${RUNTIME_DIR}/${SENTINEL_CONF_KEY}` },
            { name: START_SCRIPT_ENV.primaryWaitSeconds, value: "30" },
        ],
        resources: toKubeResources(args.resources),
        // The start script waits up to 30 s for the primary before Sentinel listens.
        startupProbe: pingProbe(REDIS_SENTINEL_PORT, { periodSeconds: 5, failureThreshold: 24 }),
        readinessProbe: pingProbe(REDIS_SENTINEL_PORT, { periodSeconds: 5, failureThreshold: 2 }),
        livenessProbe: pingProbe(REDIS_SENTINEL_PORT, { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 }),
        volumeMounts: [...configMounts],
    };
    return {
        ...hardenedPodSpec({
            containers: [sentinel],
            identity: { runAsUser: VALKEY_UID },
            writablePaths: [RUNTIME_DIR],
            volumes: configVolumes(args),
            serviceAccountName: args.serviceAccountName,
        }),
        topologySpreadConstraints: spread(SENTINEL_SELECTOR, args.zoneSpread),
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads and Services
// ---------------------------------------------------------------------------------------------------------------

export interface StatefulSetArgs {
    readonly serviceName: string;
    readonly replicas: number;
    readonly selector: Record<string, string>;
    readonly podLabels: Record<string, string>;
    readonly podSpec: PodSpec;
    /** PVC for DATA_DIR (data nodes only). */
    readonly storage?: { size: string; storageClass: string; labels: Record<string, string> };
    /** Start pods one by one (data nodes: pod 0 must come up as primary first). */
    readonly ordered: boolean;
}

export function statefulSetSpec(args: StatefulSetArgs): k8s.types.input.apps.v1.StatefulSetSpec {
    return {
        serviceName: args.serviceName,
        replicas: args.replicas,
        podManagementPolicy: args.ordered ? "OrderedReady" : "Parallel",
        updateStrategy: { type: "RollingUpdate" },
        selector: { matchLabels: { ...args.selector } },
        template: { metadata: { labels: { ...args.podLabels } }, spec: args.podSpec },
        ...(args.storage
            ? {
                  // Data outlives the StatefulSet: deleting or scaling down never deletes a volume.
                  persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                  volumeClaimTemplates: [
                      {
                          metadata: { name: "data", labels: { ...args.storage.labels } },
                          spec: {
                              accessModes: ["ReadWriteOnce"],
                              storageClassName: args.storage.storageClass,
                              resources: { requests: { storage: args.storage.size } },
                          },
                      },
                  ],
              }
            : {}),
    };
}

/** Headless Service giving each pod its DNS name; not-ready pods too, so peers can find a starting node. */
export function headlessServiceSpec(
    selector: Record<string, string>,
    ports: { name: string; port: number }[],
): k8s.types.input.core.v1.ServiceSpec {
    return {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: { ...selector },
        ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" })),
    };
}

export function serverServicePorts(): { name: string; port: number }[] {
    return [
        { name: "redis", port: REDIS_PORT },
        { name: "metrics", port: REDIS_EXPORTER_PORT },
    ];
}

export function sentinelServicePorts(): { name: string; port: number }[] {
    return [{ name: "sentinel", port: REDIS_SENTINEL_PORT }];
}

/** One voluntary disruption at a time: a drain never takes the primary and a replica (or two Sentinels) together. */
export function pdbSpec(selector: Record<string, string>): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
    return { maxUnavailable: 1, selector: { matchLabels: { ...selector } } };
}

/** ServiceMonitor for the exporter (the data namespace is outside the mesh: plain HTTP). */
export function serviceMonitorSpec(serviceLabels: Record<string, string>, namespace: string): Record<string, unknown> {
    return {
        selector: { matchLabels: { ...serviceLabels } },
        namespaceSelector: { matchNames: [namespace] },
        endpoints: [{ port: "metrics", path: "/metrics", interval: "30s", ...scrapeTls(false) }],
    };
}

// ---------------------------------------------------------------------------------------------------------------
// NetworkPolicies
// ---------------------------------------------------------------------------------------------------------------

export interface RedisNetworkArgs {
    readonly layout: RedisLayout;
    /** Pods of the services with `redis: true`. */
    readonly clients: readonly PeerSelector[];
    /** Backup job pods (RDB snapshot). */
    readonly backups: readonly PeerSelector[];
    /** Prometheus server pods (exporter scrape); none when unset. */
    readonly prometheus?: PeerSelector;
}
const local = (selector: Record<string, string>) => ({ podSelector: { matchLabels: { ...selector } } });

export function serverNetworkPolicySpec(args: RedisNetworkArgs): NetworkPolicySpec {
    const sentinel = args.layout.sentinels > 0;
    const redisPeers = [
        ...args.clients.map(networkPolicyPeer),
        ...args.backups.map(networkPolicyPeer),
        // Replicas sync from the primary; Sentinels monitor and reconfigure every node.
        local(SERVER_SELECTOR),
        ...(sentinel ? [local(SENTINEL_SELECTOR)] : []),
    ];
    const ingress: NetworkPolicyIngressRule[] = [{ from: redisPeers, ports: [tcpPort(REDIS_PORT)] }];
    if (args.prometheus)
        ingress.push({ from: [networkPolicyPeer(args.prometheus)], ports: [tcpPort(REDIS_EXPORTER_PORT)] });
    return {
        podSelector: { matchLabels: { ...SERVER_SELECTOR } },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress: [
            { to: [local(SERVER_SELECTOR)], ports: [tcpPort(REDIS_PORT)] },
            // start-server.sh asks the Sentinels for the current primary.
            ...(sentinel ? [{ to: [local(SENTINEL_SELECTOR)], ports: [tcpPort(REDIS_SENTINEL_PORT)] }] : []),
            DNS_EGRESS_RULE,
        ],
    };
}

export function sentinelNetworkPolicySpec(args: RedisNetworkArgs): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: { ...SENTINEL_SELECTOR } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
            {
                from: [
                    ...args.clients.map(networkPolicyPeer),
                    ...args.backups.map(networkPolicyPeer),
                    local(SENTINEL_SELECTOR),
                    local(SERVER_SELECTOR),
                ],
                ports: [tcpPort(REDIS_SENTINEL_PORT)],
            },
        ],
        egress: [
            { to: [local(SERVER_SELECTOR)], ports: [tcpPort(REDIS_PORT)] },
            { to: [local(SENTINEL_SELECTOR)], ports: [tcpPort(REDIS_SENTINEL_PORT)] },
            DNS_EGRESS_RULE,
        ],
    };
}
