/**
 * metrics-server (chart 3.13.1, metrics-server v0.8.1): the resource metrics API (`metrics.k8s.io`) the
 * HorizontalPodAutoscalers read CPU and memory utilisation from, for clusters that do not ship one. Chart values,
 * its NetworkPolicy and the plan, as pure functions; keys follow the chart's values.yaml of that version.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../../config/schema";
import type { ChartSource } from "../chart-source";
import { HelmRendering, helmRendering } from "../helm";
import { PART_OF } from "../labels";
import { API_SERVER_EGRESS_RULE, DNS_EGRESS_RULE, tcpPort } from "../namespace-specs";
import { chartResources, ComputeResources, computeResources, replicatedChartValues } from "../defaults";

/** The Helm release; the chart names its objects (Service, APIService backend) after it. */
export const METRICS_SERVER_RELEASE = "metrics-server";
/** The container's secure port (chart `containerPort`); the API server and the kubelets' answers use it. */
export const METRICS_SERVER_PORT = 10250;
/** The kubelets' port metrics-server scrapes (`--kubelet-use-node-status-port`: what each Node reports, 10250). */
export const KUBELET_PORT = 10250;

/** Requests as upstream's chart sets them; limits so the pack's resource policy holds (the chart sets none). */
export const METRICS_SERVER_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "100m", memory: "200Mi" },
    limits: { cpu: "1000m", memory: "400Mi" },
};

export interface MetricsServerPlan {
    readonly helm: HelmRendering;
    readonly namespace: string;
    readonly chart: ChartSource;
    readonly replicas: number;
    readonly kubeletInsecureTls: boolean;
    readonly resources: ComputeResources;
}

/** The metrics-server of a stack, or undefined when `metricsServer.enabled` is false. */
export function metricsServerPlan(cfg: StackConfig): MetricsServerPlan | undefined {
    const m = cfg.metricsServer;
    if (!m.enabled) return undefined;
    return {
        helm: helmRendering(cfg),
        namespace: cfg.namespaces.metricsServer,
        chart: m.chart,
        replicas: m.replicas,
        kubeletInsecureTls: m.kubeletInsecureTls,
        resources: computeResources(m.resources, METRICS_SERVER_DEFAULT_RESOURCES),
    };
}

/** The pods' labels (the chart's selector labels). */
export function metricsServerSelector(): Record<string, string> {
    return { "app.kubernetes.io/name": "metrics-server", "app.kubernetes.io/instance": METRICS_SERVER_RELEASE };
}

export function metricsServerValues(plan: Pick<MetricsServerPlan, "replicas" | "kubeletInsecureTls" | "resources">) {
    return {
        replicas: plan.replicas,
        // Its own namespace, not kube-system: the stack owns its Pod Security labels and NetworkPolicy.
        commonLabels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/component": "metrics-api" },
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        // Not the chart's system-cluster-critical: clusters that limit critical priority classes by quota (GKE
        // does) refuse its pods outside kube-system, and this runs in a namespace of its own.
        priorityClassName: "",
        // kind's kubelets serve self-signed certificates; elsewhere they are signed by the cluster CA.
        args: plan.kubeletInsecureTls ? ["--kubelet-insecure-tls"] : [],
        resources: chartResources(plan.resources),
        ...replicatedChartValues(plan.replicas, metricsServerSelector()),
        tmpVolume: { emptyDir: { sizeLimit: "64Mi" } },
    };
}

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * metrics-server's policy. In: its secure port, from anywhere, since the API server proxies `metrics.k8s.io` to it
 * from addresses that are cluster-specific (no pod selector matches them). Out: the kubelets of every node (node
 * addresses, also cluster-specific), the API server (it authenticates requests and lists nodes), DNS.
 */
export function metricsServerNetworkPolicySpec(): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: metricsServerSelector() },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ ports: [tcpPort(METRICS_SERVER_PORT)] }],
        egress: [{ ports: [tcpPort(KUBELET_PORT)] }, API_SERVER_EGRESS_RULE, DNS_EGRESS_RULE],
    };
}
