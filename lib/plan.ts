/** Pure decisions derived from the validated config that several components share. */
import { StackConfig } from "../config/schema";
import { publicHost } from "./hosts";
import { inClusterPostgres } from "./postgres/roles";
import type { NamespaceSpec } from "./namespace-specs";

/** Whether the stack has a data namespace: for in-cluster PostgreSQL, Redis or backups. */
export function hasDataNamespace(cfg: StackConfig): boolean {
    return inClusterPostgres(cfg) || cfg.redis.enabled || cfg.backups.enabled;
}

/** Every public host name of the stack: routed service hosts, Grafana, extra hosts; sorted and unique. */
export function publicHosts(cfg: StackConfig): string[] {
    const hosts = new Set<string>();
    if (!cfg.edge.enabled) return [];
    for (const svc of Object.values(cfg.services))
        for (const r of svc.routes) hosts.add(publicHost(r.host, cfg.domain)!);
    if (cfg.monitoring.enabled) hosts.add(publicHost(cfg.monitoring.grafanaHost, cfg.domain)!);
    for (const h of cfg.edge.extraHosts) hosts.add(publicHost(h, cfg.domain)!);
    return [...hosts].sort();
}

/**
 * The namespaces the stack owns and the least Pod Security privilege each one needs. Anything above
 * "restricted" carries the reason, which is also written onto the namespace as an annotation.
 */
export function namespacePlan(cfg: StackConfig): NamespaceSpec[] {
    const ns = cfg.namespaces;
    const meshOn = cfg.mesh.enabled;
    const specs: NamespaceSpec[] = [
        {
            name: ns.apps,
            podSecurity: "restricted",
            application: true,
            istioInjection: meshOn,
            meshWaiver: cfg.waivers.meshDisabled,
        },
    ];
    if (hasDataNamespace(cfg)) {
        // Data stores stay outside the sidecar mesh: CloudNativePG manages its own TLS and replication traffic.
        specs.push({ name: ns.data, podSecurity: "restricted", application: true, istioInjection: false });
    }
    if (inClusterPostgres(cfg))
        specs.push({ name: ns.postgresOperator, podSecurity: "restricted", application: false, istioInjection: false });
    // The NGINX data plane joins the mesh so its upstream calls carry mTLS; the control plane opts out by label.
    if (cfg.edge.enabled)
        specs.push({ name: ns.edge, podSecurity: "restricted", application: false, istioInjection: meshOn });
    if (cfg.edge.enabled && cfg.edge.tls === "acme")
        specs.push({ name: ns.certManager, podSecurity: "restricted", application: false, istioInjection: false });
    if (cfg.tracing.enabled)
        specs.push({ name: ns.tracing, podSecurity: "restricted", application: false, istioInjection: false });
    if (cfg.logging.enabled)
        specs.push({ name: ns.logging, podSecurity: "restricted", application: false, istioInjection: false });
    if (cfg.metricsServer.enabled)
        specs.push({ name: ns.metricsServer, podSecurity: "restricted", application: false, istioInjection: false });
    if (cfg.monitoring.enabled) {
        specs.push({ name: ns.monitoring, podSecurity: "restricted", application: false, istioInjection: false });
        specs.push({
            name: ns.nodeMonitoring,
            podSecurity: "privileged",
            application: false,
            istioInjection: false,
            reason: "node-exporter reads host metrics: it needs hostNetwork, hostPID and read-only hostPath mounts of /proc, /sys and /, which only the privileged level admits. Nothing else runs here.",
        });
    }
    if (meshOn) {
        specs.push({ name: ns.istio, podSecurity: "restricted", application: false, istioInjection: false });
        specs.push({
            name: ns.istioCni,
            podSecurity: "privileged",
            application: false,
            istioInjection: false,
            reason: "the Istio CNI node agent installs the CNI plugin on every node (hostPath /opt/cni/bin and /etc/cni/net.d, host network, NET_ADMIN/SYS_ADMIN) so that application pods need no privileged istio-init container and stay restricted. Nothing else runs here.",
        });
    }
    return specs;
}
