/**
 * NetworkPolicy and PodDisruptionBudget of the CloudNativePG operator pods, as pure functions. The operator chart
 * (cloudnative-pg 0.29.0) renders neither, and the policy pack requires both (`workloads-have-network-policy`,
 * `pdb-for-replicated-workloads`).
 */
import type * as k8s from "@pulumi/kubernetes";
import { API_SERVER_EGRESS_RULE, DNS_EGRESS_RULE, tcpPort } from "../namespace-specs";
import { networkPolicyPeer, PeerSelector } from "../topology";
import { CNPG_STATUS_PORT, instanceSelector } from "./specs";

/** Helm release name of the operator chart (components/postgres.ts); the chart puts it into the pod labels. */
export const OPERATOR_RELEASE_NAME = "cnpg";
/** Helm release name of the Barman Cloud plugin chart (components/postgres.ts). */
export const BARMAN_PLUGIN_RELEASE_NAME = "plugin-barman-cloud";

/**
 * Labels of the operator pods. cloudnative-pg chart 0.29.0, templates/deployment.yaml: the pod template's labels
 * are `include "cloudnative-pg.selectorLabels"` (plus `.Values.podLabels`, empty by default), and
 * templates/_helpers.tpl defines them as `app.kubernetes.io/name: {{ include "cloudnative-pg.name" }}` (the chart
 * name "cloudnative-pg" unless nameOverride) and `app.kubernetes.io/instance: {{ .Release.Name }}`.
 */
export const OPERATOR_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "cloudnative-pg",
    "app.kubernetes.io/instance": OPERATOR_RELEASE_NAME,
};
/** Webhook server (`webhook.port`, default 9443; the Service's 443 targets it). The API server calls it. */
export const OPERATOR_WEBHOOK_PORT = 9443;
/** Controller metrics (`metrics` container port, fixed in deployment.yaml); the operator's PodMonitor scrapes it. */
export const OPERATOR_METRICS_PORT = 8080;

/**
 * Labels of the Barman Cloud plugin pods (plugin-barman-cloud chart 0.7.0, "plugin-barman-cloud.selectorLabels":
 * chart name and release name) and its gRPC port (Service targetPort 9090), which the operator calls over mTLS.
 */
export const BARMAN_PLUGIN_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "plugin-barman-cloud",
    "app.kubernetes.io/instance": BARMAN_PLUGIN_RELEASE_NAME,
};
export const BARMAN_PLUGIN_GRPC_PORT = 9090;

export interface OperatorNetworkArgs {
    /** Namespace of the PostgreSQL Cluster. */
    readonly dataNamespace: string;
    readonly clusterName: string;
    /** Prometheus server pods; no metrics ingress when unset (monitoring disabled). */
    readonly prometheus?: PeerSelector;
    /** The Barman Cloud plugin runs next to the operator (WAL archiving configured). */
    readonly barmanPlugin: boolean;
}

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyIngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type PodDisruptionBudgetSpec = k8s.types.input.policy.v1.PodDisruptionBudgetSpec;

/** The operator's policy (in its own namespace): webhooks and metrics in; API server, instances, plugin, DNS out. */
export function operatorNetworkPolicySpec(args: OperatorNetworkArgs): NetworkPolicySpec {
    const ingress: NetworkPolicyIngressRule[] = [
        // Admission webhooks: the API server's source addresses are cluster-specific, so no peer restriction.
        { ports: [tcpPort(OPERATOR_WEBHOOK_PORT)] },
    ];
    if (args.prometheus)
        ingress.push({ from: [networkPolicyPeer(args.prometheus)], ports: [tcpPort(OPERATOR_METRICS_PORT)] });
    const egress: NetworkPolicyEgressRule[] = [
        API_SERVER_EGRESS_RULE,
        {
            to: [
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.dataNamespace } },
                    podSelector: instanceSelector(args.clusterName),
                },
            ],
            // Only the instance manager's status port: the instances' own policy admits nothing else from the operator.
            ports: [tcpPort(CNPG_STATUS_PORT)],
        },
    ];
    if (args.barmanPlugin)
        egress.push({
            to: [{ podSelector: { matchLabels: { ...BARMAN_PLUGIN_POD_LABELS } } }],
            ports: [tcpPort(BARMAN_PLUGIN_GRPC_PORT)],
        });
    egress.push(DNS_EGRESS_RULE);
    return {
        podSelector: { matchLabels: { ...OPERATOR_POD_LABELS } },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress,
    };
}

/** A PDB for 2+ operator replicas (one may go at a time, so drains proceed); none for a single replica. */
export function operatorPdbSpec(replicas: number): PodDisruptionBudgetSpec | undefined {
    if (!Number.isInteger(replicas) || replicas < 1)
        throw new Error(`postgres operator: replicas must be a positive integer, got ${replicas}`);
    if (replicas < 2) return undefined;
    return { maxUnavailable: 1, selector: { matchLabels: { ...OPERATOR_POD_LABELS } } };
}

/**
 * The Barman Cloud plugin's policy (operator namespace): only the operator calls its gRPC port; it talks to the
 * API server (it watches ObjectStore resources) and DNS. Object storage is reached by the plugin's sidecar in the
 * instance pods, not by this Deployment.
 */
export function barmanPluginNetworkPolicySpec(): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: { ...BARMAN_PLUGIN_POD_LABELS } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
            {
                from: [{ podSelector: { matchLabels: { ...OPERATOR_POD_LABELS } } }],
                ports: [tcpPort(BARMAN_PLUGIN_GRPC_PORT)],
            },
        ],
        egress: [API_SERVER_EGRESS_RULE, DNS_EGRESS_RULE],
    };
}
