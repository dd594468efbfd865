/**
 * Ingress NetworkPolicies for the monitoring namespace. It is a platform namespace without default-deny, so these
 * are not needed for the stack to work; they select every pod of the stack so nothing there is reachable from
 * the whole cluster by accident, and each opens exactly what reaches that pod. Egress stays open: Prometheus
 * scrapes every namespace, Alertmanager calls external receivers.
 * node-exporter runs with hostNetwork in its own namespace, where NetworkPolicies do not apply.
 */
import type { StackConfig } from "../../config/schema";
import { edgeDataPlane, GRAFANA_CONTAINER_PORT, grafanaPods, networkPolicyPeer, prometheusPods } from "../topology";
import { OPERATOR_METRICS_PORT, PROMETHEUS_PORT } from "./values";
import { ADAPTER_PORT, adapterRules, adapterSelector } from "./adapter";

/** Ports of the chart's pods (container ports; NetworkPolicies match pod ports, not Service ports). */
export const MONITORING_PORTS = {
    prometheusReloader: 8080,
    alertmanager: 9093,
    alertmanagerCluster: 9094,
    alertmanagerReloader: 8080,
    operator: OPERATOR_METRICS_PORT,
    kubeStateMetrics: 8080,
    kubeStateMetricsTelemetry: 8081,
} as const;

/** Pod labels the charts put on their pods (prometheus-operator, kube-state-metrics chart, kube-prometheus-stack). */
export const MONITORING_POD_LABELS = {
    alertmanager: { "app.kubernetes.io/name": "alertmanager" },
    operator: { "app.kubernetes.io/name": "kube-prometheus-stack-prometheus-operator" },
    kubeStateMetrics: { "app.kubernetes.io/name": "kube-state-metrics" },
} as const;

export interface MonitoringNetworkPolicy {
    /** Pulumi resource name suffix, e.g. "grafana". */
    readonly name: string;
    readonly spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: ["Ingress"];
        ingress: { from?: Record<string, unknown>[]; ports: { port: number; protocol: "TCP" | "UDP" }[] }[];
    };
}

const tcp = (port: number) => ({ port, protocol: "TCP" as const });
const udp = (port: number) => ({ port, protocol: "UDP" as const });
const inNamespace = (labels: Readonly<Record<string, string>>) => ({ podSelector: { matchLabels: { ...labels } } });

export function monitoringNetworkPolicies(cfg: StackConfig): MonitoringNetworkPolicy[] {
    const prometheus = prometheusPods(cfg).podLabels;
    const grafana = grafanaPods(cfg).podLabels;
    const policy = (
        name: string,
        labels: Readonly<Record<string, string>>,
        ingress: MonitoringNetworkPolicy["spec"]["ingress"],
    ): MonitoringNetworkPolicy => ({
        name,
        spec: { podSelector: { matchLabels: { ...labels } }, policyTypes: ["Ingress"], ingress },
    });
    return [
        // Grafana: users through the edge (monitoring.<domain>), Prometheus scraping its metrics.
        policy("grafana", grafana, [
            ...(cfg.edge.enabled
                ? [{ from: [networkPolicyPeer(edgeDataPlane(cfg))], ports: [tcp(GRAFANA_CONTAINER_PORT)] }]
                : []),
            { from: [inNamespace(prometheus)], ports: [tcp(GRAFANA_CONTAINER_PORT)] },
        ]),
        // Prometheus: queried and scraped from inside the monitoring namespace only (Grafana, the other replica).
        policy("prometheus", prometheus, [
            { from: [{ podSelector: {} }], ports: [tcp(PROMETHEUS_PORT), tcp(MONITORING_PORTS.prometheusReloader)] },
        ]),
        // Alertmanager: alerts from Prometheus, queries from Grafana, gossip between the replicas.
        policy("alertmanager", MONITORING_POD_LABELS.alertmanager, [
            {
                from: [inNamespace(prometheus), inNamespace(grafana)],
                ports: [tcp(MONITORING_PORTS.alertmanager), tcp(MONITORING_PORTS.alertmanagerReloader)],
            },
            {
                from: [inNamespace(MONITORING_POD_LABELS.alertmanager)],
                ports: [tcp(MONITORING_PORTS.alertmanagerCluster), udp(MONITORING_PORTS.alertmanagerCluster)],
            },
        ]),
        // Operator: no admission webhook (values.ts), so only Prometheus reaches it, for its metrics.
        policy("operator", MONITORING_POD_LABELS.operator, [
            { from: [inNamespace(prometheus)], ports: [tcp(MONITORING_PORTS.operator)] },
        ]),
        // Prometheus Adapter (when a service scales on requests per second): the API server calls it for
        // custom.metrics.k8s.io from cluster-specific addresses, so no peer restriction on its port.
        ...(adapterRules(cfg).length > 0
            ? [policy("prometheus-adapter", adapterSelector(), [{ ports: [tcp(ADAPTER_PORT)] }])]
            : []),
        policy("kube-state-metrics", MONITORING_POD_LABELS.kubeStateMetrics, [
            {
                from: [inNamespace(prometheus)],
                ports: [tcp(MONITORING_PORTS.kubeStateMetrics), tcp(MONITORING_PORTS.kubeStateMetricsTelemetry)],
            },
        ]),
    ];
}
