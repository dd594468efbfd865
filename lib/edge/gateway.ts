/**
 * Gateway API objects of the edge: the one Gateway (an HTTPS and an HTTP listener per public host), the
 * HTTP -> HTTPS redirect, one HTTPRoute per public route, and the ReferenceGrants that let routes in the edge
 * namespace send to Services in other namespaces. Pure spec builders.
 */
import {
    DATA_PLANE_PROXY_NAME,
    GATEWAY_CLASS_NAME,
    GATEWAY_NAME,
    HTTP_PORT,
    HTTPS_PORT,
    httpListenerName,
    httpsListenerName,
} from "./names";
import type { EdgeRoute } from "./routes";

export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export interface GatewayHost {
    readonly host: string;
    /** Name of the kubernetes.io/tls Secret (edge namespace) holding this host's certificate. */
    readonly certificateSecret: string;
}

export interface GatewaySpecArgs {
    readonly domain: string;
    readonly hosts: readonly GatewayHost[];
    /** Labels and annotations NGINX Gateway Fabric copies onto the data-plane pods (and Deployment, Service). */
    readonly dataPlaneLabels: Readonly<Record<string, string>>;
    readonly dataPlaneAnnotations: Readonly<Record<string, string>>;
}

/** The Gateway: explicit hostnames on every listener; routes only from the edge namespace. */
export function gatewaySpec(args: GatewaySpecArgs) {
    const sameNamespace = { namespaces: { from: "Same" }, kinds: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute" }] };
    return {
        gatewayClassName: GATEWAY_CLASS_NAME,
        infrastructure: {
            parametersRef: { group: "gateway.nginx.org", kind: "NginxProxy", name: DATA_PLANE_PROXY_NAME },
            ...(Object.keys(args.dataPlaneLabels).length > 0 ? { labels: { ...args.dataPlaneLabels } } : {}),
            ...(Object.keys(args.dataPlaneAnnotations).length > 0
                ? { annotations: { ...args.dataPlaneAnnotations } }
                : {}),
        },
        listeners: args.hosts.flatMap(({ host, certificateSecret }) => [
            {
                name: httpsListenerName(host, args.domain),
                hostname: host,
                port: HTTPS_PORT,
                protocol: "HTTPS",
                tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: certificateSecret }] },
                allowedRoutes: sameNamespace,
            },
            {
                name: httpListenerName(host, args.domain),
                hostname: host,
                port: HTTP_PORT,
                protocol: "HTTP",
                allowedRoutes: sameNamespace,
            },
        ]),
    };
}

function parentRef(namespace: string, sectionName: string) {
    return { group: GATEWAY_API_GROUP, kind: "Gateway", name: GATEWAY_NAME, namespace, sectionName };
}

/**
 * Plain HTTP only redirects: 301 to https on every public host. (ACME HTTP-01 challenges still pass: cert-manager's
 * solver routes use an Exact path match, which takes precedence over this "/" prefix.)
 */
export function redirectRouteSpec(domain: string, namespace: string, hosts: readonly string[]) {
    return {
        parentRefs: hosts.map((h) => parentRef(namespace, httpListenerName(h, domain))),
        hostnames: [...hosts],
        rules: [
            {
                matches: [{ path: { type: "PathPrefix", value: "/" } }],
                filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
            },
        ],
    };
}

/** Response headers set on every HTTPS response (values per OWASP secure headers guidance). */
export function securityHeaders(hstsMaxAgeSeconds: number): { name: string; value: string }[] {
    return [
        { name: "Strict-Transport-Security", value: `max-age=${hstsMaxAgeSeconds}; includeSubDomains` },
        { name: "X-Content-Type-Options", value: "nosniff" },
        { name: "X-Frame-Options", value: "DENY" },
        { name: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    ];
}

/**
 * One route: its host on its HTTPS listener, a path prefix to one Service port, security headers on the response.
 * Timeouts are not set here: NGINX Gateway Fabric 2.6 rejects HTTPRoute `timeouts` (they go in a
 * ProxySettingsPolicy, see policies.ts).
 */
export function httpRouteSpec(route: EdgeRoute, gatewayNamespace: string, hstsMaxAgeSeconds: number) {
    const filters: Record<string, unknown>[] = [
        { type: "ResponseHeaderModifier", responseHeaderModifier: { set: securityHeaders(hstsMaxAgeSeconds) } },
    ];
    if (route.upstreamHost !== undefined)
        filters.push({ type: "URLRewrite", urlRewrite: { hostname: route.upstreamHost } });
    return {
        parentRefs: [parentRef(gatewayNamespace, route.listener)],
        hostnames: [route.host],
        rules: [
            {
                matches: [{ path: { type: "PathPrefix", value: route.pathPrefix } }],
                filters,
                backendRefs: [
                    {
                        group: "",
                        kind: "Service",
                        name: route.service,
                        namespace: route.namespace,
                        port: route.port,
                        weight: 1,
                    },
                ],
            },
        ],
    };
}

/**
 * ReferenceGrants, one per backend namespace other than the Gateway's: HTTPRoutes from the edge namespace may
 * reference exactly the routed Services there (by name).
 */
export function referenceGrantSpecs(
    routes: readonly EdgeRoute[],
    gatewayNamespace: string,
): { namespace: string; spec: Record<string, unknown> }[] {
    const byNamespace = new Map<string, Set<string>>();
    for (const r of routes) {
        if (r.namespace === gatewayNamespace) continue;
        const names = byNamespace.get(r.namespace) ?? new Set<string>();
        names.add(r.service);
        byNamespace.set(r.namespace, names);
    }
    return [...byNamespace.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([namespace, services]) => ({
            namespace,
            spec: {
                from: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute", namespace: gatewayNamespace }],
                to: [...services].sort().map((name) => ({ group: "", kind: "Service", name })),
            },
        }));
}
