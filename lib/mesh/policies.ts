/**
 * The mesh's Istio objects, computed from config alone: mesh-wide STRICT mutual TLS, per-service traffic policy
 * (DestinationRule + VirtualService), deny-by-default authorization that allows exactly the declared calls, and
 * the Prometheus monitors for the control plane and the proxies. Pure. (The NetworkPolicies that let sidecars reach
 * istiod and Prometheus reach the proxies belong to each workload: lib/service/network.ts.)
 */
import type { ServiceConfig, StackConfig } from "../../config/schema";
import { imageVersion, recommendedLabels } from "../labels";
import { namespacePlan } from "../plan";
import {
    callersOf,
    edgeDataPlanePrincipal,
    ENVOY_STATS_PATH,
    prometheusPrincipal,
    serviceHost,
    servicePods,
    servicePrincipal,
} from "../topology";
import { ISTIO_TRACING_PROVIDER, samplingPercent } from "../tracing/plan";

/** A Kubernetes object the Mesh component creates as is. */
export interface MeshObject {
    /** Pulumi resource name suffix, unique within the mesh. */
    readonly resourceName: string;
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: {
        /** Set only where Istio or people look an object up by name; everything else is auto-named. */
        readonly name?: string;
        readonly namespace: string;
        readonly labels: Record<string, string>;
        readonly annotations?: Record<string, string>;
    };
    readonly spec: Record<string, unknown>;
}

export const ISTIO_SECURITY_API = "security.istio.io/v1";
export const ISTIO_NETWORKING_API = "networking.istio.io/v1";
export const MONITORING_API = "monitoring.coreos.com/v1";

/** Policy-pack exemption annotation (policy/policies/exemptions.ts): the only way a PERMISSIVE policy is accepted. */
export const PERMISSIVE_EXEMPTION_ANNOTATION = "policy.stackwright.io/exempt-istio-peer-authentication-strict";

/** Container name of the injected sidecar and its Prometheus port name (fixed by Istio's injection template). */
export const ISTIO_PROXY_CONTAINER = "istio-proxy";
export const ENVOY_STATS_PORT_NAME = "http-envoy-prom";

/** Mesh-wide objects: versioned like the Istio charts that serve them. */
const meshLabels = (cfg: StackConfig) =>
    recommendedLabels({ name: "istio", instance: "mesh", component: "service-mesh", version: cfg.mesh.chart.version });
/** Per-service objects: labelled like the service's own objects (its image version). */
const serviceLabels = (cfg: StackConfig, service: string) =>
    recommendedLabels({ name: service, component: "service-mesh", version: imageVersion(cfg.services[service].image) });

/** Namespaces whose pods get sidecars by namespace label (lib/plan decides which). */
export function injectedNamespaces(cfg: StackConfig): string[] {
    if (!cfg.mesh.enabled) return [];
    return namespacePlan(cfg)
        .filter((ns) => ns.istioInjection)
        .map((ns) => ns.name);
}

/**
 * Namespaces with meshed pods: the injection-labelled ones, plus the edge namespace whose data plane always has a
 * sidecar when the mesh is on (the edge component configures it).
 */
export function meshedNamespaces(cfg: StackConfig): string[] {
    if (!cfg.mesh.enabled) return [];
    const names = new Set(injectedNamespaces(cfg));
    if (cfg.edge.enabled) names.add(cfg.namespaces.edge);
    return [...names].sort();
}

/** Application namespaces in the mesh: each gets an allow-nothing AuthorizationPolicy. */
export function meshedApplicationNamespaces(cfg: StackConfig): string[] {
    if (!cfg.mesh.enabled) return [];
    return namespacePlan(cfg)
        .filter((ns) => ns.application && ns.istioInjection)
        .map((ns) => ns.name);
}

/** Services that can be called (they expose ports), by config key. */
function callableServices(cfg: StackConfig): [string, ServiceConfig][] {
    return Object.entries(cfg.services).filter(([, svc]) => svc.ports.length > 0);
}

function seconds(value: number): string {
    return `${value}s`;
}

function containerPort(svc: ServiceConfig, port: string | undefined): number {
    const found = port === undefined ? svc.ports[0] : svc.ports.find((p) => p.name === port);
    if (!found) throw new Error(`mesh: port ${JSON.stringify(port)} is not a port of the service`);
    return found.containerPort;
}

// ---------------------------------------------------------------------------------------------------------------
// Mutual TLS
// ---------------------------------------------------------------------------------------------------------------

/**
 * `default` in the root namespace: STRICT for the whole mesh. A service whose config gives a
 * `mesh.permissiveReason` gets a workload PeerAuthentication PERMISSIVE, annotated with that reason.
 */
export function peerAuthentications(cfg: StackConfig): MeshObject[] {
    if (!cfg.mesh.enabled) return [];
    const objects: MeshObject[] = [
        {
            resourceName: "mtls-strict",
            apiVersion: ISTIO_SECURITY_API,
            kind: "PeerAuthentication",
            // Istio's convention for the mesh-wide policy; there must be only one.
            metadata: { name: "default", namespace: cfg.namespaces.istio, labels: meshLabels(cfg) },
            spec: { mtls: { mode: "STRICT" } },
        },
    ];
    for (const [name, svc] of Object.entries(cfg.services)) {
        const reason = svc.mesh.permissiveReason;
        if (reason === undefined) continue;
        objects.push({
            resourceName: `${name}-mtls-permissive`,
            apiVersion: ISTIO_SECURITY_API,
            kind: "PeerAuthentication",
            metadata: {
                namespace: cfg.namespaces.apps,
                labels: serviceLabels(cfg, name),
                annotations: { [PERMISSIVE_EXEMPTION_ANNOTATION]: reason },
            },
            spec: { selector: { matchLabels: { ...servicePods(cfg, name).podLabels } }, mtls: { mode: "PERMISSIVE" } },
        });
    }
    return objects;
}

// ---------------------------------------------------------------------------------------------------------------
// Traffic policy
// ---------------------------------------------------------------------------------------------------------------

/** One DestinationRule per callable service: mutual TLS, connection pool limits, outlier detection. */
export function destinationRules(cfg: StackConfig): MeshObject[] {
    if (!cfg.mesh.enabled) return [];
    return callableServices(cfg).map(([name, svc]) => {
        const m = svc.mesh;
        return {
            resourceName: `${name}-destination-rule`,
            apiVersion: ISTIO_NETWORKING_API,
            kind: "DestinationRule",
            metadata: { namespace: cfg.namespaces.apps, labels: serviceLabels(cfg, name) },
            spec: {
                host: serviceHost(cfg, name),
                trafficPolicy: {
                    // Any tls block other than ISTIO_MUTUAL would switch auto-mTLS off for this host.
                    tls: { mode: "ISTIO_MUTUAL" },
                    connectionPool: {
                        tcp: { maxConnections: m.maxConnections },
                        http: {
                            http1MaxPendingRequests: m.http1MaxPendingRequests,
                            http2MaxRequests: m.http2MaxRequests,
                        },
                    },
                    outlierDetection: {
                        consecutive5xxErrors: m.consecutive5xxErrors,
                        interval: seconds(m.outlierIntervalSeconds),
                        baseEjectionTime: seconds(m.baseEjectionSeconds),
                        maxEjectionPercent: m.maxEjectionPercent,
                    },
                },
            },
        };
    });
}

/**
 * One VirtualService per callable service for in-mesh calls, bound to the service's exact FQDN: a request
 * timeout, and retries (all paths, or only `mesh.retryPathPrefix`; other paths are not retried). Services with a
 * websocket route keep upgraded connections open (no timeout, no retries).
 */
export function virtualServices(cfg: StackConfig): MeshObject[] {
    if (!cfg.mesh.enabled) return [];
    return callableServices(cfg).map(([name, svc]) => {
        const m = svc.mesh;
        const host = serviceHost(cfg, name);
        const route = [{ destination: { host } }];
        const retries =
            m.retryAttempts > 0
                ? { attempts: m.retryAttempts, perTryTimeout: seconds(m.retryPerTryTimeoutSeconds), retryOn: m.retryOn }
                : { attempts: 0 };
        const http: Record<string, unknown>[] = [];
        if (svc.routes.some((r) => r.websocket)) {
            // No `timeout`: Istio's default is none, and its CRD rejects "0s" (must be greater than 1ms).
            http.push({
                name: "websocket",
                match: [{ headers: { upgrade: { regex: "(?i)websocket" } } }],
                route,
                retries: { attempts: 0 },
            });
        }
        if (m.retryPathPrefix !== undefined) {
            http.push({
                name: "retried",
                match: [{ uri: { prefix: m.retryPathPrefix } }],
                route,
                timeout: seconds(m.timeoutSeconds),
                retries,
            });
            http.push({ name: "default", route, timeout: seconds(m.timeoutSeconds), retries: { attempts: 0 } });
        } else {
            http.push({ name: "default", route, timeout: seconds(m.timeoutSeconds), retries });
        }
        return {
            resourceName: `${name}-virtual-service`,
            apiVersion: ISTIO_NETWORKING_API,
            kind: "VirtualService",
            metadata: { namespace: cfg.namespaces.apps, labels: serviceLabels(cfg, name) },
            // No `gateways`: the routes apply to sidecars (the "mesh" gateway), i.e. to in-mesh callers only.
            spec: { hosts: [host], http },
        };
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------------------------------------------

/** The sources that may reach one service: the basis of its ALLOW policies (and of the tests' call graph). */
export interface ServiceAccess {
    readonly service: string;
    /** SPIFFE principals of the calling services (lib/topology servicePrincipal). */
    readonly callerPrincipals: string[];
    readonly callerPorts: number[];
    /** The edge data plane's principal when the service has public routes (its sidecar carries that identity). */
    readonly edgePrincipals: string[];
    readonly edgePorts: number[];
    /** Prometheus (GET on the metrics path and port only). */
    readonly metrics?: { principal: string; port: number; path: string };
    /** PERMISSIVE services also admit plaintext (identity-less) clients on their ports. */
    readonly plaintextPorts: number[];
}

export function serviceAccess(cfg: StackConfig): ServiceAccess[] {
    const callers = callersOf(cfg);
    return Object.entries(cfg.services).map(([name, svc]) => {
        const ports = svc.ports.map((p) => p.containerPort);
        const edgePorts = cfg.edge.enabled
            ? [...new Set(svc.routes.map((r) => containerPort(svc, r.port)))].sort((a, b) => a - b)
            : [];
        return {
            service: name,
            callerPrincipals: callers[name].map((caller) => servicePrincipal(cfg, caller)),
            callerPorts: ports,
            edgePrincipals: edgePorts.length > 0 ? [edgeDataPlanePrincipal(cfg)] : [],
            edgePorts,
            ...(svc.metrics && cfg.monitoring.enabled
                ? {
                      metrics: {
                          principal: prometheusPrincipal(cfg),
                          port: containerPort(svc, svc.metrics.port),
                          path: svc.metrics.path,
                      },
                  }
                : {}),
            plaintextPorts: svc.mesh.permissiveReason !== undefined ? ports : [],
        };
    });
}

const portStrings = (ports: readonly number[]) => ports.map(String);

/**
 * Deny by default: an allow-nothing policy per meshed application namespace, then per service one ALLOW policy
 * with a rule per kind of source (calling services, the edge, Prometheus, plaintext clients of a PERMISSIVE
 * service), each rule limited to the ports that source needs. Rules of one ALLOW policy are alternatives, so one
 * policy allows exactly what a policy per source would, with one object (and one registration) per service.
 */
export function authorizationPolicies(cfg: StackConfig): MeshObject[] {
    if (!cfg.mesh.enabled) return [];
    const objects: MeshObject[] = meshedApplicationNamespaces(cfg).map((namespace) => ({
        resourceName: `${namespace}-allow-nothing`,
        apiVersion: ISTIO_SECURITY_API,
        kind: "AuthorizationPolicy",
        metadata: { namespace, labels: meshLabels(cfg) },
        // An ALLOW policy without rules matches nothing: every request not allowed below is denied.
        spec: {},
    }));
    for (const access of serviceAccess(cfg)) {
        const rules = allowRules(access);
        if (rules.length === 0) continue;
        const name = access.service;
        const permissiveReason = cfg.services[name].mesh.permissiveReason;
        objects.push({
            resourceName: `${name}-allow`,
            apiVersion: ISTIO_SECURITY_API,
            kind: "AuthorizationPolicy",
            metadata: {
                namespace: cfg.namespaces.apps,
                labels: serviceLabels(cfg, name),
                ...(access.plaintextPorts.length > 0
                    ? { annotations: { "stackwright.io/permissive-reason": permissiveReason! } }
                    : {}),
            },
            spec: { selector: { matchLabels: { ...servicePods(cfg, name).podLabels } }, action: "ALLOW", rules },
        });
    }
    return objects;
}

/** One service's ALLOW rules, a rule per kind of source that may reach it. */
function allowRules(access: ServiceAccess): Record<string, unknown>[] {
    const rules: Record<string, unknown>[] = [];
    const fromPrincipals = (principals: readonly string[], ports: readonly number[]) => ({
        from: [{ source: { principals: [...principals] } }],
        to: [{ operation: { ports: portStrings(ports) } }],
    });
    if (access.callerPrincipals.length > 0) rules.push(fromPrincipals(access.callerPrincipals, access.callerPorts));
    if (access.edgePrincipals.length > 0) rules.push(fromPrincipals(access.edgePrincipals, access.edgePorts));
    if (access.metrics) {
        rules.push({
            from: [{ source: { principals: [access.metrics.principal] } }],
            to: [
                {
                    operation: {
                        methods: ["GET"],
                        paths: [access.metrics.path],
                        ports: [String(access.metrics.port)],
                    },
                },
            ],
        });
    }
    if (access.plaintextPorts.length > 0) {
        // notPrincipals "*" matches exactly the requests without a peer identity (plaintext).
        rules.push({
            from: [{ source: { notPrincipals: ["*"] } }],
            to: [{ operation: { ports: portStrings(access.plaintextPorts) } }],
        });
    }
    return rules;
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------------------------

/**
 * Prometheus Operator monitors for the mesh (only with monitoring on): Envoy stats of every sidecar in the meshed
 * namespaces, and istiod's /metrics. Both ports are plain HTTP outside traffic capture, so they are scraped without
 * the Istio certificates even under STRICT mTLS.
 */
export function meshMonitors(cfg: StackConfig, scrapeIntervalSeconds = 30): MeshObject[] {
    if (!cfg.mesh.enabled || !cfg.monitoring.enabled) return [];
    const interval = seconds(scrapeIntervalSeconds);
    return [
        {
            resourceName: "envoy-stats",
            apiVersion: MONITORING_API,
            kind: "PodMonitor",
            metadata: { namespace: cfg.namespaces.istio, labels: meshLabels(cfg) },
            spec: {
                jobLabel: "app.kubernetes.io/name",
                namespaceSelector: { matchNames: meshedNamespaces(cfg) },
                // The injector labels every pod it gives a sidecar.
                selector: { matchLabels: { "security.istio.io/tlsMode": "istio" } },
                podMetricsEndpoints: [
                    {
                        port: ENVOY_STATS_PORT_NAME,
                        path: ENVOY_STATS_PATH,
                        interval,
                        relabelings: [
                            {
                                action: "keep",
                                sourceLabels: ["__meta_kubernetes_pod_container_name"],
                                regex: ISTIO_PROXY_CONTAINER,
                            },
                        ],
                    },
                ],
            },
        },
        {
            resourceName: "istiod",
            apiVersion: MONITORING_API,
            kind: "ServiceMonitor",
            metadata: { namespace: cfg.namespaces.istio, labels: meshLabels(cfg) },
            spec: {
                namespaceSelector: { matchNames: [cfg.namespaces.istio] },
                selector: { matchLabels: { app: "istiod" } },
                // istiod's Service names port 15014 "http-monitoring".
                endpoints: [{ port: "http-monitoring", path: "/metrics", interval }],
            },
        },
    ];
}

/**
 * With tracing on: the mesh-wide Telemetry resource (root namespace) that has every sidecar report spans to the
 * collector, sampling new traces at the stack's rate (requests that arrive sampled stay sampled).
 */
export function meshTelemetry(cfg: StackConfig): MeshObject[] {
    if (!cfg.mesh.enabled || !cfg.tracing.enabled) return [];
    return [
        {
            resourceName: "tracing",
            apiVersion: "telemetry.istio.io/v1",
            kind: "Telemetry",
            metadata: { namespace: cfg.namespaces.istio, name: "mesh-default", labels: meshLabels(cfg) },
            spec: {
                tracing: [
                    {
                        providers: [{ name: ISTIO_TRACING_PROVIDER }],
                        randomSamplingPercentage: samplingPercent(cfg),
                    },
                ],
            },
        },
    ];
}

/** Every Istio custom resource the mesh creates (they need the CRDs from the base chart and a running istiod). */
export function istioObjects(cfg: StackConfig): MeshObject[] {
    return [
        ...peerAuthentications(cfg),
        ...destinationRules(cfg),
        ...virtualServices(cfg),
        ...authorizationPolicies(cfg),
        ...meshTelemetry(cfg),
    ];
}
