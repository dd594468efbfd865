/**
 * Evaluates rendered NetworkPolicies the way the API server's semantics define them (for tests): which pods a
 * policy selects, and whether a peer pod may open a connection to a port of a selected pod.
 */

export interface Pod {
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Label of the pod in assertion messages. */
    readonly name?: string;
}

interface Expression { key: string; operator: string; values?: string[] }
interface Selector { matchLabels?: Record<string, string>; matchExpressions?: Expression[] }

/** A label selector; `{}` matches everything. */
export function matchesSelector(selector: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
    if (selector === undefined) return false;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const values = e.values ?? [];
        switch (e.operator) {
            case "In": if (!has || !values.includes(labels[e.key])) return false; break;
            case "NotIn": if (has && values.includes(labels[e.key])) return false; break;
            case "Exists": if (!has) return false; break;
            case "DoesNotExist": if (has) return false; break;
            default: throw new Error(`unknown operator ${e.operator}`);
        }
    }
    return true;
}

/** Namespaces are matched by the automatic `kubernetes.io/metadata.name` label only (enough for our policies). */
function peerMatches(peer: any, from: Pod, policyNamespace: string): boolean {
    if (peer.ipBlock) return false;
    const namespaceOk = peer.namespaceSelector
        ? matchesSelector(peer.namespaceSelector, { "kubernetes.io/metadata.name": from.namespace })
        : from.namespace === policyNamespace;
    if (!namespaceOk) return false;
    return peer.podSelector ? matchesSelector(peer.podSelector, from.labels) : true;
}

function portMatches(ports: any[] | undefined, port: number): boolean {
    if (ports === undefined || ports.length === 0) return true;
    return ports.some((p) => (p.protocol ?? "TCP") === "TCP" && (p.port === undefined || p.port === port));
}

export interface RenderedPolicy {
    readonly namespace: string;
    readonly spec: any;
}

/** Whether the policy applies to ingress of this pod. */
export function selectsForIngress(policy: RenderedPolicy, pod: Pod): boolean {
    const types: string[] = policy.spec.policyTypes ?? ["Ingress"];
    return policy.namespace === pod.namespace && types.includes("Ingress") && matchesSelector(policy.spec.podSelector, pod.labels);
}

/**
 * Whether `from` may connect to `to` on TCP `port` under these ingress policies (egress not considered): allowed
 * when no policy selects `to`, or when one of the selecting policies has a matching rule.
 */
export function ingressAllowed(policies: readonly RenderedPolicy[], from: Pod, to: Pod, port: number): boolean {
    const selecting = policies.filter((p) => selectsForIngress(p, to));
    if (selecting.length === 0) return true;
    return selecting.some((p) => (p.spec.ingress ?? []).some((rule: any) =>
        portMatches(rule.ports, port) && (rule.from === undefined || rule.from.length === 0 || rule.from.some((peer: any) => peerMatches(peer, from, p.namespace)))));
}

/** Whether `from` may send to `to` on TCP `port` under these egress policies. */
export function egressAllowed(policies: readonly RenderedPolicy[], from: Pod, to: Pod, port: number): boolean {
    const selecting = policies.filter((p) => p.namespace === from.namespace && (p.spec.policyTypes ?? []).includes("Egress") && matchesSelector(p.spec.podSelector, from.labels));
    if (selecting.length === 0) return true;
    return selecting.some((p) => (p.spec.egress ?? []).some((rule: any) =>
        portMatches(rule.ports, port) && (rule.to === undefined || rule.to.length === 0 || rule.to.some((peer: any) => peerMatches(peer, to, p.namespace)))));
}
