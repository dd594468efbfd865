/**
 * Micro-segmentation of a service. The application namespace denies everything but DNS by default
 * (components/namespaces.ts); each service's NetworkPolicy then opens exactly:
 * - ingress from the services that declare they call it (all its ports), from the edge data plane on its routed
 *   ports (publicly routed services only), and from Prometheus on its metrics port;
 * - egress to the services it calls (their ports), to PostgreSQL / Redis when it uses them, and to DNS.
 * With the sidecar mesh on, every pod's istio-proxy (the migration Job's too) must also reach istiod for
 * configuration and certificates, and Prometheus may scrape the proxy's own statistics. Sidecar-to-sidecar
 * traffic keeps the original destination port (Envoy forwards to the pod IP and port the app dialled), so no
 * further proxy ports are opened.
 * The kubelet's probes (rewritten by Istio to the agent port 15020) come from the node, which NetworkPolicy
 * implementations admit to local pods; they need no rule.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ServiceConfig, StackConfig } from "../../config/schema";
import { DNS_EGRESS_RULE } from "../namespace-specs";
import {
    edgeDataPlane,
    ENVOY_STATS_PORT,
    istiodPods,
    ISTIOD_XDS_PORT,
    networkPolicyPeer,
    POSTGRES_PORT,
    postgresPods,
    postgresPoolerPods,
    prometheusPods,
    REDIS_PORT,
    REDIS_SENTINEL_PORT,
    redisPods,
    redisSentinelPods,
} from "../topology";
import { collectorPods, OTLP_GRPC_PORT, OTLP_HTTP_PORT } from "../tracing/plan";
import { serviceSelector } from "./workload";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

export interface PortRef {
    readonly port: number;
    readonly protocol: "TCP" | "UDP";
}

export interface TrafficRule {
    readonly peers: readonly NetworkPolicyPeer[];
    readonly ports: readonly PortRef[];
}

export interface ServiceTraffic {
    readonly ingress: readonly TrafficRule[];
    readonly egress: readonly TrafficRule[];
    /** Ingress of the migration Job's pods: only Prometheus scraping their sidecar's Envoy stats (mesh on). */
    readonly migrationIngress: readonly TrafficRule[];
    /** Egress of the migration Job's pods (PostgreSQL; istiod when meshed); DNS is added by networkPolicySpec. */
    readonly migrationEgress: readonly TrafficRule[];
}

const tcp = (port: number): PortRef => ({ port, protocol: "TCP" });
const samePods = (service: string): NetworkPolicyPeer => ({ podSelector: { matchLabels: serviceSelector(service) } });

function portsOf(svc: ServiceConfig): PortRef[] {
    return svc.ports.map((p) => ({ port: p.containerPort, protocol: p.protocol }));
}

function portNumber(svc: ServiceConfig, port: string | undefined): number {
    const found = port === undefined ? svc.ports[0] : svc.ports.find((p) => p.name === port);
    if (!found) throw new Error(`port ${port ?? "(first)"} is not a port of the service`);
    return found.containerPort;
}

function postgresRule(cfg: StackConfig): TrafficRule {
    const external = cfg.postgres.external;
    // An external server is selected by address only: its port, to the CIDRs config says it lives in.
    if (external !== undefined)
        return { peers: external.egressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(external.port)] };
    const peers = [postgresPods(cfg), ...(cfg.postgres.pooler.enabled ? [postgresPoolerPods(cfg)] : [])];
    return { peers: peers.map(networkPolicyPeer), ports: [tcp(POSTGRES_PORT)] };
}

/**
 * Who may reach the service and what it may reach, from the stack config. `callers` is the inverse of `calls`
 * (lib/topology callersOf), computed once for the whole stack.
 */
export function serviceTraffic(cfg: StackConfig, name: string, callers: readonly string[]): ServiceTraffic {
    const svc = cfg.services[name];
    if (!svc) throw new Error(`no service "${name}" in the stack config`);
    const ingress: TrafficRule[] = [];
    const egress: TrafficRule[] = [];

    if (callers.length > 0 && svc.ports.length > 0) ingress.push({ peers: callers.map(samePods), ports: portsOf(svc) });
    if (cfg.edge.enabled && svc.routes.length > 0) {
        const routed = Array.from(new Set(svc.routes.map((r) => portNumber(svc, r.port))));
        ingress.push({ peers: [networkPolicyPeer(edgeDataPlane(cfg))], ports: routed.map(tcp) });
    }
    const prometheus = (ports: number[]): TrafficRule[] =>
        cfg.monitoring.enabled && ports.length > 0
            ? [{ peers: [networkPolicyPeer(prometheusPods(cfg))], ports: ports.map(tcp) }]
            : [];
    const envoyStats = cfg.mesh.enabled ? [ENVOY_STATS_PORT] : [];
    ingress.push(...prometheus([...(svc.metrics ? [portNumber(svc, svc.metrics.port)] : []), ...envoyStats]));

    for (const callee of svc.calls) egress.push({ peers: [samePods(callee)], ports: portsOf(cfg.services[callee]) });
    if (svc.database !== undefined && cfg.postgres.enabled) egress.push(postgresRule(cfg));
    if (svc.redis && cfg.redis.enabled) {
        egress.push({ peers: [networkPolicyPeer(redisPods(cfg))], ports: [tcp(REDIS_PORT)] });
        // Sentinel-aware clients ask a Sentinel for the primary first, then connect to it.
        if (cfg.redis.mode === "sentinel")
            egress.push({ peers: [networkPolicyPeer(redisSentinelPods(cfg))], ports: [tcp(REDIS_SENTINEL_PORT)] });
    }
    // Spans to the collector: from the service's SDK, and with the mesh from its sidecar.
    const spans: TrafficRule[] = cfg.tracing.enabled
        ? [
              {
                  peers: [networkPolicyPeer(collectorPods(cfg.namespaces.tracing))],
                  ports: [tcp(OTLP_GRPC_PORT), tcp(OTLP_HTTP_PORT)],
              },
          ]
        : [];
    egress.push(...spans);
    const istiod: TrafficRule[] = cfg.mesh.enabled
        ? [{ peers: [networkPolicyPeer(istiodPods(cfg))], ports: [tcp(ISTIOD_XDS_PORT)] }]
        : [];
    egress.push(...istiod);

    // The migration pod is meshed like the service's pods (a native sidecar, so the Job still completes): its
    // proxy needs istiod, and the mesh's Envoy PodMonitor scrapes it while it runs.
    if (!svc.migration) return { ingress, egress, migrationIngress: [], migrationEgress: [] };
    const migrationEgress = [
        ...(svc.database !== undefined && cfg.postgres.enabled ? [postgresRule(cfg)] : []),
        ...istiod,
        ...spans,
    ];
    return { ingress, egress, migrationIngress: prometheus(envoyStats), migrationEgress };
}

/** A NetworkPolicy spec that selects `podLabels` and allows exactly the given rules plus DNS egress. */
export function networkPolicySpec(
    podLabels: Record<string, string>,
    rules: { ingress: readonly TrafficRule[]; egress: readonly TrafficRule[] },
) {
    const portList = (ports: readonly PortRef[]) => ports.map((p) => ({ port: p.port, protocol: p.protocol }));
    return {
        podSelector: { matchLabels: podLabels },
        policyTypes: ["Ingress", "Egress"],
        ingress: rules.ingress.map((r) => ({ from: [...r.peers], ports: portList(r.ports) })),
        egress: [...rules.egress.map((r) => ({ to: [...r.peers], ports: portList(r.ports) })), DNS_EGRESS_RULE],
    };
}
