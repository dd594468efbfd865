/**
 * A Kubernetes NetworkPolicy evaluator for tests: given rendered NetworkPolicy objects and a set of endpoints
 * (pods with namespace, labels and ports; or external IPs), it computes which connections
 * (source -> destination:port/protocol) the policies allow, following the networking.k8s.io/v1 semantics:
 * - a pod not selected by any policy of a type (Ingress/Egress) in its namespace is unrestricted for that type;
 * - once selected, only traffic some rule of a selecting policy allows is admitted (rules are additive);
 * - a connection needs both the source's egress and the destination's ingress to allow it;
 * - `from`/`to` absent or empty = any peer; `ports` absent or empty = any port;
 * - a peer with only podSelector means pods in the policy's namespace; with namespaceSelector, pods in matching
 *   namespaces (all of them when podSelector is absent); ipBlock matches external IP endpoints only (whether it
 *   matches pod IPs is implementation-defined, so this evaluator never lets it);
 * - named ports in a rule resolve against the destination pod's container ports (ingress: the selected pod).
 * Label selectors support matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist).
 */
import * as net from "net";

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface EndpointPort {
    readonly port: number;
    readonly protocol?: Protocol;
    /** Container port name (for named-port rules). */
    readonly name?: string;
}

export interface Endpoint {
    /** Name used in connection strings, e.g. "svc:backend", "postgres". */
    readonly id: string;
    /** Pods: their namespace. External endpoints have none. */
    readonly namespace?: string;
    /** Labels of the namespace; `kubernetes.io/metadata.name` is always added. */
    readonly namespaceLabels?: Readonly<Record<string, string>>;
    readonly podLabels?: Readonly<Record<string, string>>;
    /** External endpoints: an IPv4/IPv6 address (matched by ipBlock). */
    readonly ip?: string;
    /** Ports the endpoint listens on (probed as destinations). */
    readonly ports: readonly EndpointPort[];
}

/** A pod endpoint listening on TCP `ports` (none: the pod is only ever a source). */
export function podEndpoint(
    id: string,
    namespace: string,
    podLabels: Readonly<Record<string, string>>,
    ports: readonly number[] = [],
): Endpoint {
    return { id, namespace, podLabels, ports: ports.map((port) => ({ port, protocol: "TCP" })) };
}

export interface NetworkPolicyObject {
    readonly metadata?: { readonly name?: string; readonly namespace?: string };
    readonly spec?: Record<string, any>;
}

export interface LabelSelector {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

/** Whether labels match a selector; an empty selector ({}) matches everything. */
export function matchesSelector(
    selector: LabelSelector | undefined,
    labels: Readonly<Record<string, string>>,
): boolean {
    if (!selector) return true;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        switch (e.operator) {
            case "In":
                if (!has || !(e.values ?? []).includes(labels[e.key])) return false;
                break;
            case "NotIn":
                if (has && (e.values ?? []).includes(labels[e.key])) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                throw new Error(`unknown label selector operator ${e.operator}`);
        }
    }
    return true;
}

function namespaceLabelsOf(e: Endpoint): Record<string, string> {
    return { ...(e.namespaceLabels ?? {}), "kubernetes.io/metadata.name": e.namespace ?? "" };
}

function ipInCidr(ip: string, cidr: string): boolean {
    const [base, bitsText] = cidr.split("/");
    const family = net.isIP(base);
    if (family === 0 || family !== net.isIP(ip)) return false;
    const bits = Number(bitsText ?? (family === 4 ? 32 : 128));
    const list = new net.BlockList();
    list.addSubnet(base, bits, family === 4 ? "ipv4" : "ipv6");
    return list.check(ip, family === 4 ? "ipv4" : "ipv6");
}

/** Whether a policy peer matches an endpoint, for a policy in `policyNamespace`. */
export function peerMatches(peer: Record<string, any>, endpoint: Endpoint, policyNamespace: string): boolean {
    if (peer.ipBlock) {
        if (endpoint.ip === undefined) return false;
        if (!ipInCidr(endpoint.ip, peer.ipBlock.cidr)) return false;
        return !(peer.ipBlock.except ?? []).some((c: string) => ipInCidr(endpoint.ip!, c));
    }
    if (endpoint.namespace === undefined) return false;
    if (peer.namespaceSelector === undefined) {
        if (endpoint.namespace !== policyNamespace) return false;
    } else if (!matchesSelector(peer.namespaceSelector, namespaceLabelsOf(endpoint))) {
        return false;
    }
    return peer.podSelector === undefined || matchesSelector(peer.podSelector, endpoint.podLabels ?? {});
}

/** Whether a NetworkPolicy port entry (number, range or name; TCP by default) covers an endpoint's port. */
export function portMatches(rulePort: Record<string, any>, port: EndpointPort): boolean {
    if ((rulePort.protocol ?? "TCP") !== (port.protocol ?? "TCP")) return false;
    if (rulePort.port === undefined) return true;
    if (typeof rulePort.port === "string" && !/^\d+$/.test(rulePort.port)) return port.name === rulePort.port;
    const start = Number(rulePort.port);
    const end = rulePort.endPort ?? start;
    return port.port >= start && port.port <= end;
}

function ruleAllows(
    rule: Record<string, any>,
    peers: readonly Record<string, any>[] | undefined,
    other: Endpoint,
    port: EndpointPort,
    policyNamespace: string,
): boolean {
    const ports: Record<string, any>[] | undefined = rule.ports;
    if (ports && ports.length > 0 && !ports.some((p) => portMatches(p, port))) return false;
    if (!peers || peers.length === 0) return true;
    return peers.some((peer) => peerMatches(peer, other, policyNamespace));
}

function policyTypes(spec: Record<string, any>): string[] {
    if (Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0) return spec.policyTypes;
    return ["Ingress", ...(spec.egress !== undefined ? ["Egress"] : [])];
}

function selecting(
    policies: readonly NetworkPolicyObject[],
    pod: Endpoint,
    type: "Ingress" | "Egress",
): NetworkPolicyObject[] {
    if (pod.namespace === undefined) return [];
    return policies.filter(
        (p) =>
            p.metadata?.namespace === pod.namespace &&
            policyTypes(p.spec ?? {}).includes(type) &&
            matchesSelector(p.spec?.podSelector ?? {}, pod.podLabels ?? {}),
    );
}

/**
 * Which side's policies to judge: "both" (what the cluster enforces), or one side alone ("egress": the source's
 * policies, as if the destination admitted everything; "ingress": the destination's). One-sided views show a
 * policy that is too open even where the other side happens to compensate.
 */
export type Direction = "both" | "egress" | "ingress";

/** Whether the policies allow `source` to open a connection to `destination` on `port`. */
export function isAllowed(
    policies: readonly NetworkPolicyObject[],
    source: Endpoint,
    destination: Endpoint,
    port: EndpointPort,
    direction: Direction = "both",
): boolean {
    if (direction !== "ingress") {
        const egressPolicies = selecting(policies, source, "Egress");
        const egressOk =
            egressPolicies.length === 0 ||
            egressPolicies.some((p) =>
                (p.spec?.egress ?? []).some((rule: Record<string, any>) =>
                    ruleAllows(rule, rule.to, destination, port, p.metadata!.namespace!),
                ),
            );
        if (!egressOk) return false;
    }
    if (direction === "egress") return true;
    const ingressPolicies = selecting(policies, destination, "Ingress");
    return (
        ingressPolicies.length === 0 ||
        ingressPolicies.some((p) =>
            (p.spec?.ingress ?? []).some((rule: Record<string, any>) =>
                ruleAllows(rule, rule.from, source, port, p.metadata!.namespace!),
            ),
        )
    );
}

/** `source -> destination:port/protocol` */
export function connectionKey(source: string, destination: string, port: EndpointPort): string {
    return `${source} -> ${destination}:${port.port}/${port.protocol ?? "TCP"}`;
}

/** Every allowed connection between distinct endpoints, on every port each destination listens on; sorted. */
export function allowedConnections(
    policies: readonly NetworkPolicyObject[],
    endpoints: readonly Endpoint[],
    direction: Direction = "both",
): string[] {
    const result: string[] = [];
    for (const source of endpoints) {
        for (const destination of endpoints) {
            if (source === destination) continue;
            for (const port of destination.ports) {
                if (isAllowed(policies, source, destination, port, direction))
                    result.push(connectionKey(source.id, destination.id, port));
            }
        }
    }
    return result.sort();
}
