/**
 * NetworkPolicies of the edge namespace: default deny, then exactly what the control plane, the NGINX data plane
 * and (ACME) cert-manager's HTTP-01 solver pods need. Pure spec builders.
 */
import type * as k8s from "@pulumi/kubernetes";
import { DNS_EGRESS_RULE } from "../namespace-specs";
import { ENVOY_STATS_PORT, networkPolicyPeer, PeerSelector } from "../topology";
import {
    ACME_SOLVER_POD_LABELS,
    ACME_SOLVER_PORT,
    DATA_PLANE_METRICS_PORT,
    HTTP_PORT,
    HTTPS_PORT,
    NGF_AGENT_GRPC_PORT,
    NGF_METRICS_PORT,
} from "./names";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Port = { protocol: "TCP" | "UDP"; port: number };
type Ingress = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type Egress = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/**
 * The Kubernetes API server has no pod labels to select, and its address differs per cluster: allow its usual
 * ports (443 on the Service VIP, 6443 on the endpoints after DNAT) to any address.
 */
export const API_SERVER_EGRESS: Egress = {
    to: [{ ipBlock: { cidr: "0.0.0.0/0" } }, { ipBlock: { cidr: "::/0" } }],
    ports: [
        { protocol: "TCP", port: 443 },
        { protocol: "TCP", port: 6443 },
    ],
};

const tcp = (...ports: number[]): Port[] => ports.map((port) => ({ protocol: "TCP", port }));

/** Everything in the edge namespace is denied unless a policy below opens it (DNS egress stays open). */
export function edgeDefaultDenySpec(): NetworkPolicySpec {
    return { podSelector: {}, policyTypes: ["Ingress", "Egress"], egress: [DNS_EGRESS_RULE] };
}

export interface ControlPlanePolicyArgs {
    readonly controlPlane: Readonly<Record<string, string>>;
    readonly dataPlane: PeerSelector;
    /** Prometheus server pods; no metrics ingress when unset (monitoring off). */
    readonly prometheus?: PeerSelector;
}

/** Control plane: watches the API server; serves the agents (gRPC) and Prometheus. */
export function controlPlanePolicySpec(args: ControlPlanePolicyArgs): NetworkPolicySpec {
    const ingress: Ingress[] = [{ from: [networkPolicyPeer(args.dataPlane)], ports: tcp(NGF_AGENT_GRPC_PORT) }];
    if (args.prometheus) ingress.push({ from: [networkPolicyPeer(args.prometheus)], ports: tcp(NGF_METRICS_PORT) });
    return {
        podSelector: { matchLabels: { ...args.controlPlane } },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress: [DNS_EGRESS_RULE, API_SERVER_EGRESS],
    };
}

export interface DataPlaneUpstream {
    readonly pods: PeerSelector;
    readonly port: number;
}

export interface DataPlanePolicyArgs {
    readonly dataPlane: PeerSelector;
    readonly controlPlane: PeerSelector;
    /** Backend pods and container ports of the routed services (and Grafana). */
    readonly upstreams: readonly DataPlaneUpstream[];
    readonly prometheus?: PeerSelector;
    /** istiod, when the data plane carries a sidecar (xDS + certificates); Prometheus then also scrapes its Envoy stats. */
    readonly istiod?: { readonly pods: PeerSelector; readonly port: number };
    /** ACME mode: cert-manager's HTTP-01 solver pods in the edge namespace. */
    readonly acmeSolvers: boolean;
    /** Tracing with the mesh on: the sidecar reports spans to the collector (gRPC OTLP). @default none */
    readonly spanCollector?: { readonly pods: PeerSelector; readonly port: number };
}

/**
 * NGINX data plane: public traffic in on the listener ports, Prometheus on the metrics port (and, when meshed, on
 * the sidecar's Envoy stats port, which the mesh's PodMonitor scrapes in this namespace too); out to exactly the
 * routed backends' ports, the control plane's agent port, and (when meshed) istiod.
 */
export function dataPlanePolicySpec(args: DataPlanePolicyArgs): NetworkPolicySpec {
    const ingress: Ingress[] = [{ ports: tcp(HTTP_PORT, HTTPS_PORT) }];
    if (args.prometheus) {
        ingress.push({
            from: [networkPolicyPeer(args.prometheus)],
            ports: tcp(DATA_PLANE_METRICS_PORT, ...(args.istiod ? [ENVOY_STATS_PORT] : [])),
        });
    }

    // One rule per backend selector, with all of its ports, in a stable order.
    const byPeer = new Map<string, { peer: PeerSelector; ports: Set<number> }>();
    for (const u of args.upstreams) {
        const key = JSON.stringify([u.pods.namespace, Object.entries(u.pods.podLabels).sort()]);
        const entry = byPeer.get(key) ?? { peer: u.pods, ports: new Set<number>() };
        entry.ports.add(u.port);
        byPeer.set(key, entry);
    }
    const upstreamRules: Egress[] = [...byPeer.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, { peer, ports }]) => ({
            to: [networkPolicyPeer(peer)],
            ports: tcp(...[...ports].sort((a, b) => a - b)),
        }));

    const egress: Egress[] = [
        DNS_EGRESS_RULE,
        { to: [networkPolicyPeer(args.controlPlane)], ports: tcp(NGF_AGENT_GRPC_PORT) },
        ...upstreamRules,
    ];
    if (args.acmeSolvers) {
        egress.push({
            to: [{ podSelector: { matchLabels: { ...ACME_SOLVER_POD_LABELS } } }],
            ports: tcp(ACME_SOLVER_PORT),
        });
    }
    if (args.istiod) egress.push({ to: [networkPolicyPeer(args.istiod.pods)], ports: tcp(args.istiod.port) });
    if (args.spanCollector)
        egress.push({ to: [networkPolicyPeer(args.spanCollector.pods)], ports: tcp(args.spanCollector.port) });
    return {
        podSelector: { matchLabels: { ...args.dataPlane.podLabels } },
        policyTypes: ["Ingress", "Egress"],
        ingress,
        egress,
    };
}

/** cert-manager's HTTP-01 solver pods answer the challenge requests the data plane forwards to them. */
export function acmeSolverPolicySpec(dataPlane: PeerSelector): NetworkPolicySpec {
    return {
        podSelector: { matchLabels: { ...ACME_SOLVER_POD_LABELS } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
            { from: [{ podSelector: { matchLabels: { ...dataPlane.podLabels } } }], ports: tcp(ACME_SOLVER_PORT) },
        ],
        egress: [DNS_EGRESS_RULE],
    };
}
