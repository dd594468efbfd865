/** Pure builders for namespaces and their guard rails (Pod Security labels, default-deny, quota, limits). */
import type { EnvironmentDefaults } from "./defaults";
import { PART_OF, MANAGED_BY } from "./labels";
import { API_SERVER_PORTS } from "./topology";
import { waiverAnnotations } from "./waivers";

export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

export interface NamespaceSpec {
    readonly name: string;
    /** Pod Security Admission level enforced in the namespace. */
    readonly podSecurity: PodSecurityLevel;
    /** Why a namespace needs more than "restricted"; required for baseline/privileged. */
    readonly reason?: string;
    /** Application namespaces get default-deny NetworkPolicies, a ResourceQuota and a LimitRange. */
    readonly application: boolean;
    /** Label the namespace for Istio sidecar injection. */
    readonly istioInjection: boolean;
    /** Prod waiver for running without the mesh: its written reason, set on the namespace (lib/waivers.ts). */
    readonly meshWaiver?: string;
}

export const PSA_VERSION = "latest";
export const POD_SECURITY_REASON_ANNOTATION = "stackwright.io/pod-security-reason";

export function namespaceMetadata(spec: NamespaceSpec): {
    name: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
} {
    if (spec.podSecurity !== "restricted" && !spec.reason?.trim()) {
        throw new Error(`namespace ${spec.name}: Pod Security level "${spec.podSecurity}" needs a written reason`);
    }
    return {
        name: spec.name,
        labels: {
            "pod-security.kubernetes.io/enforce": spec.podSecurity,
            "pod-security.kubernetes.io/enforce-version": PSA_VERSION,
            // Audit always at "restricted": anything looser shows up in the audit log. Warn at the enforced level:
            // a namespace loosened on purpose (with its written reason) would otherwise warn on every apply of the
            // workload it exists for, and warnings nobody acts on hide the ones that matter.
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/audit-version": PSA_VERSION,
            "pod-security.kubernetes.io/warn": spec.podSecurity,
            "pod-security.kubernetes.io/warn-version": PSA_VERSION,
            ...(spec.istioInjection ? { "istio-injection": "enabled" } : {}),
            "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/managed-by": MANAGED_BY,
        },
        ...(spec.reason || spec.meshWaiver
            ? {
                  annotations: {
                      ...(spec.reason ? { [POD_SECURITY_REASON_ANNOTATION]: spec.reason } : {}),
                      ...waiverAnnotations(spec.meshWaiver),
                  },
              }
            : {}),
    };
}

/**
 * Egress to the Kubernetes API server, for pods that call it: it has no labels to select and its address is
 * cluster-specific, so its ports to any destination.
 */
/** A NetworkPolicy port on TCP. */
export const tcpPort = (port: number) => ({ protocol: "TCP", port });

export const API_SERVER_EGRESS_RULE = { ports: API_SERVER_PORTS.map(tcpPort) };

/** DNS egress to the cluster resolver: the one thing every pod needs. */
export const DNS_EGRESS_RULE = {
    to: [
        {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
        },
    ],
    ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
    ],
};

/** Denies all ingress and egress in the namespace except DNS; per-workload policies then open what is needed. */
export function defaultDenySpec() {
    return {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        egress: [DNS_EGRESS_RULE],
    };
}

export function resourceQuotaSpec(q: EnvironmentDefaults["quota"]) {
    return {
        hard: {
            "requests.cpu": q.requestsCpu,
            "requests.memory": q.requestsMemory,
            "limits.cpu": q.limitsCpu,
            "limits.memory": q.limitsMemory,
            pods: String(q.pods),
            persistentvolumeclaims: String(q.persistentVolumeClaims),
        },
    };
}

export function limitRangeSpec(l: EnvironmentDefaults["limitRange"]) {
    return {
        limits: [
            {
                type: "Container",
                defaultRequest: { cpu: l.defaultRequestCpu, memory: l.defaultRequestMemory },
                default: { cpu: l.defaultLimitCpu, memory: l.defaultLimitMemory },
                max: { cpu: l.maxCpu, memory: l.maxMemory },
            },
        ],
    };
}
