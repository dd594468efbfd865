/**
 * The public routes of the edge, derived from config: one entry per `services.<name>.routes[]` item plus Grafana.
 * Each becomes one HTTPRoute (hostnames are per HTTPRoute, and per-route policies target one HTTPRoute).
 */
import { StackConfig } from "../../config/schema";
import { publicHost } from "../hosts";
import {
    GRAFANA_CONTAINER_PORT,
    GRAFANA_SERVICE_NAME,
    GRAFANA_SERVICE_PORT,
    grafanaPods,
    PeerSelector,
    serviceHost,
    servicePods,
    servicePort,
} from "../topology";
import { hostSlug, httpsListenerName } from "./names";

export interface EdgeRoute {
    /** HTTPRoute name (explicit: policies target it by name). */
    readonly name: string;
    /** Backend Service name and namespace. */
    readonly service: string;
    readonly namespace: string;
    /** Public host name and the HTTPS listener serving it. */
    readonly host: string;
    readonly listener: string;
    readonly pathPrefix: string;
    /** Service port (name and number) the route sends to. */
    readonly portName: string;
    readonly port: number;
    /** The backend pods and their container port: the data plane's NetworkPolicy egress. */
    readonly pods: PeerSelector;
    readonly targetPort: number;
    /** Request (proxy read/send) timeout; undefined for websocket routes (long-lived, idle timeout only). */
    readonly timeoutSeconds?: number;
    readonly websocket: boolean;
    readonly rateLimit?: { readonly requestsPerSecond: number; readonly burst?: number };
    /** NGINX size, e.g. "50m". */
    readonly clientMaxBodySize: string;
    /**
     * Host header sent upstream when the backend is meshed: its in-cluster name, so the data plane's sidecar routes
     * the request to the service (with mTLS) instead of passing a public Host through in plaintext. The public host
     * still reaches the backend as X-Forwarded-Host.
     */
    readonly upstreamHost?: string;
}

export const DEFAULT_BODY_SIZE = "50m";
export const GRAFANA_ROUTE_NAME = "grafana";
const GRAFANA_TIMEOUT_SECONDS = 60;

export function edgeRoutes(cfg: StackConfig): EdgeRoute[] {
    if (!cfg.edge.enabled) return [];
    const routes: EdgeRoute[] = [];
    const names = new Set<string>();
    for (const [service, svc] of Object.entries(cfg.services)) {
        svc.routes.forEach((r, i) => {
            const host = publicHost(r.host, cfg.domain);
            const port = servicePort(cfg, service, r.port);
            // config/rules.ts rejects both; this keeps the builder total.
            if (host === undefined)
                throw new Error(`services.${service}.routes[${i}]: host "${r.host}" is outside the domain`);
            if (port === undefined)
                throw new Error(
                    `services.${service}.routes[${i}]: port ${JSON.stringify(r.port ?? "(first port)")} does not exist`,
                );
            let name = `${service}-${hostSlug(host, cfg.domain)}`;
            if (names.has(name)) name = `${name}-${i}`;
            names.add(name);
            routes.push({
                name,
                service,
                namespace: cfg.namespaces.apps,
                host,
                listener: httpsListenerName(host, cfg.domain),
                pathPrefix: r.pathPrefix,
                portName: port.name,
                port: port.port,
                pods: servicePods(cfg, service),
                targetPort: port.port,
                timeoutSeconds: r.websocket ? undefined : r.timeoutSeconds,
                websocket: r.websocket,
                rateLimit:
                    r.rateLimitRequestsPerSecond === undefined
                        ? undefined
                        : { requestsPerSecond: r.rateLimitRequestsPerSecond, burst: r.rateLimitBurst },
                clientMaxBodySize: r.clientMaxBodySize.toLowerCase(),
                upstreamHost: cfg.mesh.enabled ? serviceHost(cfg, service) : undefined,
            });
        });
    }
    if (cfg.monitoring.enabled) {
        const host = publicHost(cfg.monitoring.grafanaHost, cfg.domain);
        if (host === undefined)
            throw new Error(`monitoring.grafanaHost "${cfg.monitoring.grafanaHost}" is outside the domain`);
        routes.push({
            name: GRAFANA_ROUTE_NAME,
            service: GRAFANA_SERVICE_NAME,
            namespace: cfg.namespaces.monitoring,
            host,
            listener: httpsListenerName(host, cfg.domain),
            pathPrefix: "/",
            portName: "http-web",
            port: GRAFANA_SERVICE_PORT,
            pods: grafanaPods(cfg),
            targetPort: GRAFANA_CONTAINER_PORT,
            timeoutSeconds: GRAFANA_TIMEOUT_SECONDS,
            websocket: false,
            clientMaxBodySize: DEFAULT_BODY_SIZE,
            // The monitoring namespace is outside the mesh: no Host rewrite needed.
        });
    }
    return routes;
}
