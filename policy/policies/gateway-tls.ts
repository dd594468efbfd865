/**
 * Best practice (stack): the edge speaks TLS for explicit hosts.
 *  - Gateway API: every listener has an explicit hostname and is HTTPS/TLS with certificates; an HTTP listener
 *    is allowed only if every HTTPRoute attached to it only redirects to https. Every HTTPRoute names its hosts.
 *  - Istio Gateway: explicit hosts; HTTP servers must set tls.httpsRedirect; HTTPS/TLS servers carry tls settings.
 *  - Ingress: explicit hosts, each covered by spec.tls.
 * Judged at stack level because whether an HTTP listener is acceptable depends on the routes attached to it.
 */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject, nameMatches } from "./kinds";
import { arr, get, isUnknown, str } from "./values";

export interface GatewayTlsConfig {
    readonly allowWildcardHosts: boolean;
}

export const GATEWAY_TLS_DEFAULTS: GatewayTlsConfig = { allowWildcardHosts: false };

const GATEWAY_API = "gateway.networking.k8s.io";

function isWildcard(host: string): boolean {
    return host === "*" || host.startsWith("*.");
}

function hostProblem(what: string, host: unknown, config: GatewayTlsConfig): string | undefined {
    if (isUnknown(host)) return undefined;
    if (typeof host !== "string" || host === "") return `${what} has no hostname (explicit hosts required)`;
    if (!config.allowWildcardHosts && isWildcard(host))
        return `${what} hostname ${JSON.stringify(host)} is a wildcard (explicit hosts required)`;
    return undefined;
}

function hostsIntersect(listenerHost: unknown, routeHosts: unknown[]): boolean {
    if (typeof listenerHost !== "string" || routeHosts.length === 0) return true;
    return routeHosts.some((h) => {
        if (typeof h !== "string") return true;
        if (h === listenerHost) return true;
        if (isWildcard(listenerHost) && h.endsWith(listenerHost.slice(1))) return true;
        return isWildcard(h) && listenerHost.endsWith(h.slice(1));
    });
}

/** True when every rule only redirects to https (no backends, a RequestRedirect with scheme https). */
export function onlyRedirectsToHttps(route: KubeObject): boolean | "unknown" {
    const rules = get(route.props, "spec", "rules");
    if (isUnknown(rules)) return "unknown";
    const list = arr(rules);
    if (list.length === 0) return false;
    for (const rule of list) {
        if (arr(get(rule, "backendRefs")).length > 0) return false;
        const redirects = arr(get(rule, "filters")).filter((f) => get(f, "type") === "RequestRedirect");
        if (redirects.some((f) => isUnknown(get(f, "requestRedirect", "scheme")))) return "unknown";
        if (!redirects.some((f) => get(f, "requestRedirect", "scheme") === "https")) return false;
    }
    return true;
}

function checkGatewayApiGateway(gw: KubeObject, config: GatewayTlsConfig): string[] {
    const problems: string[] = [];
    const listeners = get(gw.props, "spec", "listeners");
    if (isUnknown(listeners)) return [];
    arr(listeners).forEach((listener, i) => {
        const what = `listener "${str(get(listener, "name")) ?? `#${i}`}"`;
        const host = hostProblem(what, get(listener, "hostname"), config);
        if (host) problems.push(host);
        const protocol = get(listener, "protocol");
        if (isUnknown(protocol) || protocol === "HTTP") return; // HTTP is judged through its routes
        if (protocol !== "HTTPS" && protocol !== "TLS") {
            problems.push(`${what} protocol ${JSON.stringify(protocol)} is not TLS`);
            return;
        }
        const mode = get(listener, "tls", "mode") ?? "Terminate";
        if (
            mode === "Terminate" &&
            arr(get(listener, "tls", "certificateRefs")).length === 0 &&
            !isUnknown(get(listener, "tls", "certificateRefs"))
        ) {
            problems.push(`${what} (${protocol}) has no tls.certificateRefs`);
        }
    });
    return problems.map((p) => `${describe(gw)}: ${p}`);
}

function checkHttpRoute(route: KubeObject, gateways: readonly KubeObject[], config: GatewayTlsConfig): string[] {
    const problems: string[] = [];
    const hostnames = get(route.props, "spec", "hostnames");
    if (!isUnknown(hostnames)) {
        const list = arr(hostnames);
        if (list.length === 0) problems.push("has no hostnames (explicit hosts required)");
        for (const h of list) {
            if (typeof h === "string" && !config.allowWildcardHosts && isWildcard(h)) {
                problems.push(`hostname ${JSON.stringify(h)} is a wildcard (explicit hosts required)`);
            }
        }
    }
    const parentRefs = get(route.props, "spec", "parentRefs");
    if (isUnknown(parentRefs) || isUnknown(route.namespace)) return problems.map((p) => `${describe(route)}: ${p}`);
    for (const ref of arr(parentRefs)) {
        const kind = get(ref, "kind") ?? "Gateway";
        const group = get(ref, "group") ?? GATEWAY_API;
        const name = get(ref, "name");
        const namespace = get(ref, "namespace") ?? route.namespace;
        if (kind !== "Gateway" || group !== GATEWAY_API || typeof name !== "string" || typeof namespace !== "string")
            continue;
        const gw = gateways.find((g) => g.namespace === namespace && nameMatches(g, name));
        if (!gw) continue;
        const sectionName = get(ref, "sectionName");
        const port = get(ref, "port");
        const attached = arr(get(gw.props, "spec", "listeners")).filter(
            (l) =>
                (sectionName === undefined || get(l, "name") === sectionName) &&
                (port === undefined || get(l, "port") === port) &&
                hostsIntersect(get(l, "hostname"), arr(hostnames)),
        );
        for (const listener of attached.filter((l) => get(l, "protocol") === "HTTP")) {
            const redirects = onlyRedirectsToHttps(route);
            if (redirects === true || redirects === "unknown") continue;
            problems.push(
                `attaches to HTTP listener "${String(get(listener, "name"))}" of ${describe(gw)} but does not only redirect to https`,
            );
        }
    }
    return problems.map((p) => `${describe(route)}: ${p}`);
}

function istioHost(host: string): string {
    const slash = host.indexOf("/");
    return slash >= 0 ? host.slice(slash + 1) : host;
}

function checkIstioGateway(gw: KubeObject, config: GatewayTlsConfig): string[] {
    const problems: string[] = [];
    const servers = get(gw.props, "spec", "servers");
    if (isUnknown(servers)) return [];
    arr(servers).forEach((server, i) => {
        const what = `server "${str(get(server, "port", "name")) ?? `#${i}`}"`;
        const hosts = get(server, "hosts");
        if (!isUnknown(hosts)) {
            if (arr(hosts).length === 0) problems.push(`${what} has no hosts (explicit hosts required)`);
            for (const h of arr(hosts)) {
                if (typeof h === "string" && !config.allowWildcardHosts && isWildcard(istioHost(h))) {
                    problems.push(`${what} host ${JSON.stringify(h)} is a wildcard (explicit hosts required)`);
                }
            }
        }
        const protocol = get(server, "port", "protocol");
        if (isUnknown(protocol)) return;
        const upper = String(protocol).toUpperCase();
        if (upper === "HTTP" || upper === "HTTP2") {
            const redirect = get(server, "tls", "httpsRedirect");
            if (redirect !== true && !isUnknown(redirect))
                problems.push(`${what} (${upper}) does not set tls.httpsRedirect: true`);
        } else if (upper === "HTTPS" || upper === "TLS") {
            const mode = get(server, "tls", "mode");
            if (mode === undefined) problems.push(`${what} (${upper}) has no tls.mode`);
        } else {
            problems.push(`${what} protocol ${JSON.stringify(protocol)} is not TLS`);
        }
    });
    return problems.map((p) => `${describe(gw)}: ${p}`);
}

function checkIngress(ingress: KubeObject, config: GatewayTlsConfig): string[] {
    const spec = get(ingress.props, "spec");
    if (isUnknown(spec)) return [];
    const problems: string[] = [];
    const tlsHosts = new Set<unknown>(arr(get(spec, "tls")).flatMap((t) => arr(get(t, "hosts"))));
    arr(get(spec, "rules")).forEach((rule, i) => {
        const host = get(rule, "host");
        const p = hostProblem(`rule #${i}`, host, config);
        if (p) {
            problems.push(p);
            return;
        }
        if (typeof host === "string" && !tlsHosts.has(host))
            problems.push(`host ${JSON.stringify(host)} is not covered by spec.tls`);
    });
    return problems.map((p) => `${describe(ingress)}: ${p}`);
}

export function checkGatewayTls(objects: readonly KubeObject[], config: GatewayTlsConfig): StackViolation[] {
    const violations: StackViolation[] = [];
    const push = (object: KubeObject, messages: string[]) =>
        messages.forEach((message) => violations.push({ object, message }));
    const gateways = objects.filter((o) => o.group === GATEWAY_API && o.kind === "Gateway");
    for (const gw of gateways) push(gw, checkGatewayApiGateway(gw, config));
    for (const route of objects.filter((o) => o.group === GATEWAY_API && o.kind === "HTTPRoute"))
        push(route, checkHttpRoute(route, gateways, config));
    for (const gw of objects.filter((o) => o.group === "networking.istio.io" && o.kind === "Gateway"))
        push(gw, checkIstioGateway(gw, config));
    for (const ingress of objects.filter((o) => o.group === "networking.k8s.io" && o.kind === "Ingress"))
        push(ingress, checkIngress(ingress, config));
    return violations;
}

export const gatewayTls = stackPolicy<GatewayTlsConfig>({
    name: "gateway-tls",
    description:
        "Gateway listeners, HTTPRoutes, Istio Gateways and Ingresses use TLS with explicit hosts (plain HTTP only to redirect to HTTPS).",
    enforcementLevel: "advisory",
    configProperties: {
        allowWildcardHosts: {
            type: "boolean",
            default: false,
            description: "Accept wildcard hostnames (*.example.com).",
        },
    },
    defaults: GATEWAY_TLS_DEFAULTS,
    check: (stack, config) => checkGatewayTls(stack.objects, config),
});
