/**
 * Logs: Grafana Alloy (chart 1.11.1, Alloy v1.18.1) tails every pod's containers through the Kubernetes API and
 * pushes the lines to Loki (chart 18.11.0, Loki 3.7.6, one binary on a volume), which Grafana queries. The API
 * (`loki.source.kubernetes`) rather than the nodes' /var/log: no hostPath, no root, no DaemonSet, so the namespace
 * stays `restricted`. Chart values, Alloy's configuration, the NetworkPolicies and Grafana's data source, as pure
 * functions; keys follow the charts' values.yaml of those versions.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../../config/schema";
import type { ChartSource } from "../chart-source";
import { HelmRendering, helmRendering } from "../helm";
import { chartResources, computeResources, replicatedChartValues } from "../defaults";
import type { ComputeResources } from "../defaults";
import { API_SERVER_EGRESS_RULE, DNS_EGRESS_RULE, tcpPort } from "../namespace-specs";
import { containerSecurityContext } from "../pod-security";
import { storageClassFor } from "../storage-class";
import { PART_OF } from "../labels";
import { grafanaPods, networkPolicyPeer, PeerSelector, prometheusPods } from "../topology";

export const LOKI_RELEASE = "loki";
export const ALLOY_RELEASE = "alloy";
/** The collector's ServiceAccount (the chart's; it reads pods and their logs, so it keeps an API token). */
export const ALLOY_SERVICE_ACCOUNT = "alloy";
/** Loki's HTTP API: pushes from Alloy, queries from Grafana. */
export const LOKI_HTTP_PORT = 3100;
/** Loki's gRPC (its components talk to each other through it, within the one pod too). */
export const LOKI_GRPC_PORT = 9095;
/** Loki's memberlist gossip (the ring its one binary still keeps). */
export const LOKI_MEMBERLIST_PORT = 7946;
/** Alloy's HTTP server: metrics for Prometheus, readiness, and the peers' traffic when clustered. */
export const ALLOY_HTTP_PORT = 12345;
/** Where Alloy keeps its read positions (an emptyDir: the root filesystem is read-only). */
export const ALLOY_STORAGE_PATH = "/tmp/alloy";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** Retention per environment, in days (Loki's compactor deletes whole days of index). */
export const LOGGING_DEFAULTS = {
    dev: { retentionDays: 3 },
    staging: { retentionDays: 7 },
    prod: { retentionDays: 30 },
} as const;

export const LOKI_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "250m", memory: "512Mi" },
    limits: { cpu: "1000m", memory: "2Gi" },
};
export const ALLOY_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "100m", memory: "256Mi" },
    limits: { cpu: "500m", memory: "1Gi" },
};

/** Pods of Loki and of Alloy (the charts' selector labels). */
export function lokiPods(namespace: string): PeerSelector {
    return { namespace, podLabels: { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": LOKI_RELEASE } };
}
export function alloyPods(namespace: string): PeerSelector {
    return {
        namespace,
        podLabels: { "app.kubernetes.io/name": "alloy", "app.kubernetes.io/instance": ALLOY_RELEASE },
    };
}

/** Loki's HTTP base URL inside the cluster. */
export function lokiUrl(cfg: StackConfig): string {
    return `http://${LOKI_RELEASE}.${cfg.namespaces.logging}.svc.${cfg.kubernetes.clusterDomain}:${LOKI_HTTP_PORT}`;
}

/** How long Loki keeps logs (config, else the environment default). */
export function retentionDays(cfg: StackConfig): number {
    return cfg.logging.retentionDays ?? LOGGING_DEFAULTS[cfg.environment].retentionDays;
}

export interface LoggingPlan {
    readonly helm: HelmRendering;
    readonly namespace: string;
    readonly lokiChart: ChartSource;
    readonly alloyChart: ChartSource;
    readonly lokiValues: ReturnType<typeof lokiValues>;
    readonly alloyValues: ReturnType<typeof alloyValues>;
    readonly networkPolicies: readonly { readonly name: string; readonly spec: NetworkPolicySpec }[];
}

/** The logging of a stack, or undefined when `logging.enabled` is false. */
export function loggingPlan(cfg: StackConfig): LoggingPlan | undefined {
    const l = cfg.logging;
    if (!l.enabled) return undefined;
    return {
        helm: helmRendering(cfg),
        namespace: cfg.namespaces.logging,
        lokiChart: l.lokiChart,
        alloyChart: l.alloyChart,
        lokiValues: lokiValues({
            retentionDays: retentionDays(cfg),
            storageSize: l.storageSize,
            storageClass: storageClassFor(cfg, l.storageClass),
            resources: computeResources(l.lokiResources, LOKI_DEFAULT_RESOURCES),
        }),
        alloyValues: alloyValues({
            config: alloyConfig({ pushUrl: `${lokiUrl(cfg)}/loki/api/v1/push`, clustered: l.collectorReplicas > 1 }),
            replicas: l.collectorReplicas,
            resources: computeResources(l.collectorResources, ALLOY_DEFAULT_RESOURCES),
            serviceMonitor: cfg.monitoring.enabled,
        }),
        networkPolicies: loggingNetworkPolicies(cfg),
    };
}

/**
 * Alloy's configuration: every container of every pod, labelled by namespace, pod, container and app (the
 * recommended name label), pushed to Loki. Clustered replicas split the pods between them (each is tailed once).
 */
export function alloyConfig(args: { pushUrl: string; clustered: boolean }): string {
    const relabel = (from: string, to: string) =>
        ["  rule {", `    source_labels = ["${from}"]`, `    target_label  = "${to}"`, "  }"].join("\n");
    return [
        'discovery.kubernetes "pods" {',
        '  role = "pod"',
        "}",
        "",
        'discovery.relabel "pods" {',
        "  targets = discovery.kubernetes.pods.targets",
        relabel("__meta_kubernetes_namespace", "namespace"),
        relabel("__meta_kubernetes_pod_name", "pod"),
        relabel("__meta_kubernetes_pod_container_name", "container"),
        relabel("__meta_kubernetes_pod_label_app_kubernetes_io_name", "app"),
        "}",
        "",
        'loki.source.kubernetes "pods" {',
        "  targets    = discovery.relabel.pods.output",
        "  forward_to = [loki.write.loki.receiver]",
        ...(args.clustered ? ["  clustering {", "    enabled = true", "  }"] : []),
        "}",
        "",
        'loki.write "loki" {',
        "  endpoint {",
        `    url = ${JSON.stringify(args.pushUrl)}`,
        "  }",
        "}",
        "",
    ].join("\n");
}

/** The recommended labels the Loki chart does not set on its own (it sets name and instance). */
const LOKI_LABELS = { "app.kubernetes.io/part-of": PART_OF };

export function lokiValues(args: {
    retentionDays: number;
    storageSize: string;
    storageClass: string;
    resources: ComputeResources;
}) {
    const off = { enabled: false };
    return {
        deploymentMode: "Monolithic",
        fullnameOverride: LOKI_RELEASE,
        // The chart sets no managed-by; Helm, as the other charts say (the pack tells Stackwright's own objects,
        // managed-by pulumi, apart). Not part-of here: the chart labels its pods part-of=memberlist, and a second
        // key would be a duplicate.
        commonLabels: { "app.kubernetes.io/managed-by": "Helm" },
        loki: {
            auth_enabled: false,
            commonConfig: { replication_factor: 1 },
            storage: { type: "filesystem" },
            schemaConfig: {
                configs: [
                    {
                        from: "2024-04-01",
                        store: "tsdb",
                        object_store: "filesystem",
                        schema: "v13",
                        index: { prefix: "index_", period: "24h" },
                    },
                ],
            },
            limits_config: { retention_period: `${args.retentionDays * 24}h` },
            // Retention is the compactor's job: without it nothing is ever deleted.
            compactor: { retention_enabled: true, delete_request_store: "filesystem" },
            analytics: { reporting_enabled: false },
        },
        singleBinary: {
            replicas: 1,
            labels: LOKI_LABELS,
            service: { labels: LOKI_LABELS },
            resources: chartResources(args.resources),
            persistence: { enabled: true, size: args.storageSize, storageClass: args.storageClass },
            automountServiceAccountToken: false,
        },
        read: { replicas: 0 },
        write: { replicas: 0 },
        backend: { replicas: 0 },
        // Loki never calls the Kubernetes API: no token, no cluster-wide role (the rules sidecar needed them).
        serviceAccount: { automountServiceAccountToken: false },
        rbac: { namespaced: true },
        sidecar: { rules: off },
        // One binary serves pushes and queries itself: no gateway, caches, canary or test pods.
        gateway: off,
        memcached: off,
        memcachedExporter: off,
        chunksCache: off,
        resultsCache: off,
        lokiCanary: off,
        test: off,
        minio: off,
        rollout_operator: off,
    };
}

export function alloyValues(args: {
    config: string;
    replicas: number;
    resources: ComputeResources;
    serviceMonitor: boolean;
}) {
    const storage = "storage";
    return {
        fullnameOverride: ALLOY_RELEASE,
        // The PodLogs CRD is for another way of collecting; discovery covers every pod.
        crds: { create: false },
        alloy: {
            configMap: { create: true, content: args.config },
            enableReporting: false,
            storagePath: ALLOY_STORAGE_PATH,
            mounts: { extra: [{ name: storage, mountPath: ALLOY_STORAGE_PATH }] },
            // Peers are named by their pods' hostnames (the pod names).
            clustering: { enabled: args.replicas > 1 },
            securityContext: { ...containerSecurityContext(), runAsUser: 473, runAsGroup: 473 },
            resources: chartResources(args.resources),
            // Alive while it serves HTTP. Not /-/healthy: that turns 500 when any component is unhealthy, and Alloy's
            // docs advise against restarting on it (a restart makes that no better).
            livenessProbe: { tcpSocket: { port: ALLOY_HTTP_PORT }, periodSeconds: 30 },
        },
        // Only what tailing needs: finding pods, reading their logs (the chart's defaults also read Secrets and
        // ConfigMaps cluster-wide). Two lists because the chart's template breaks on an empty one.
        rbac: {
            create: true,
            rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
            clusterRules: [{ apiGroups: [""], resources: ["pods/log"], verbs: ["get"] }],
        },
        serviceAccount: { create: true, name: ALLOY_SERVICE_ACCOUNT, automountServiceAccountToken: true },
        // No reloader sidecar (a container without probes): the chart then puts the config's checksum on the pods,
        // so a changed configuration rolls them.
        configReloader: { enabled: false },
        global: { podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } },
        controller: {
            // Tailing through the API needs no pod per node.
            type: "deployment",
            replicas: args.replicas,
            extraLabels: { "app.kubernetes.io/component": "logging" },
            volumes: { extra: [{ name: storage, emptyDir: { sizeLimit: "256Mi" } }] },
            ...replicatedChartValues(args.replicas, alloyPods("").podLabels),
        },
        serviceMonitor: { enabled: args.serviceMonitor },
    };
}

/**
 * The logging namespace's policies. Alloy: reads the API server, pushes to Loki, gossips with its peers, is
 * scraped by Prometheus. Loki: pushes from Alloy, queries from Grafana, its own gRPC and memberlist traffic.
 */
export function loggingNetworkPolicies(cfg: StackConfig): { name: string; spec: NetworkPolicySpec }[] {
    const ns = cfg.namespaces.logging;
    const alloy = alloyPods(ns).podLabels;
    const loki = lokiPods(ns).podLabels;
    const monitoring = cfg.monitoring.enabled;
    return [
        {
            name: "alloy",
            spec: {
                podSelector: { matchLabels: alloy },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    { from: [{ podSelector: { matchLabels: alloy } }], ports: [tcpPort(ALLOY_HTTP_PORT)] },
                    ...(monitoring
                        ? [{ from: [networkPolicyPeer(prometheusPods(cfg))], ports: [tcpPort(ALLOY_HTTP_PORT)] }]
                        : []),
                ],
                egress: [
                    { to: [{ podSelector: { matchLabels: loki } }], ports: [tcpPort(LOKI_HTTP_PORT)] },
                    { to: [{ podSelector: { matchLabels: alloy } }], ports: [tcpPort(ALLOY_HTTP_PORT)] },
                    API_SERVER_EGRESS_RULE,
                    DNS_EGRESS_RULE,
                ],
            },
        },
        {
            name: "loki",
            spec: {
                podSelector: { matchLabels: loki },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    { from: [{ podSelector: { matchLabels: alloy } }], ports: [tcpPort(LOKI_HTTP_PORT)] },
                    ...(monitoring
                        ? [{ from: [networkPolicyPeer(grafanaPods(cfg))], ports: [tcpPort(LOKI_HTTP_PORT)] }]
                        : []),
                    {
                        from: [{ podSelector: { matchLabels: loki } }],
                        ports: [tcpPort(LOKI_GRPC_PORT), tcpPort(LOKI_MEMBERLIST_PORT)],
                    },
                ],
                egress: [
                    {
                        to: [{ podSelector: { matchLabels: loki } }],
                        ports: [tcpPort(LOKI_GRPC_PORT), tcpPort(LOKI_MEMBERLIST_PORT)],
                    },
                    DNS_EGRESS_RULE,
                ],
            },
        },
    ];
}

/** Grafana's Loki data source (kube-prometheus-stack grafana.additionalDataSources). */
export function lokiDataSource(cfg: StackConfig) {
    return { name: "Loki", type: "loki", uid: "loki", access: "proxy", url: lokiUrl(cfg) };
}
