/**
 * Every policy name in the pack, in one place: exemption annotations (`policy.stackwright.io/exempt-<name>`) are
 * checked against this list so a typo cannot silently exempt nothing.
 */
export const POLICY_NAMES = [
    // The mission's two.
    "pods-run-as-non-root",
    "containers-have-resource-limits",
    // Pod Security Standards, baseline checks.
    "pss-windows-host-process",
    "pss-host-namespaces",
    "pss-privileged",
    "pss-host-path-volumes",
    "pss-host-ports",
    "pss-apparmor",
    "pss-selinux",
    "pss-proc-mount",
    "pss-sysctls",
    "pss-probe-host",
    // Pod Security Standards, restricted checks.
    "pss-volume-types",
    "pss-privilege-escalation",
    "pss-run-as-non-root",
    "pss-run-as-user",
    "pss-seccomp",
    "pss-capabilities",
    // Exemptions themselves.
    "exemptions-need-reasons",
    // Best practices (per resource).
    "images-pinned",
    "probes-configured",
    "read-only-root-filesystem",
    "no-service-account-token-automount",
    "no-node-port-or-load-balancer",
    "namespaces-pod-security-labels",
    "istio-peer-authentication-strict",
    "istio-destination-rule-mutual-tls",
    "recommended-labels",
    "cronjob-concurrency-and-deadlines",
    // Stack policies.
    "gateway-tls",
    "hpa-targets-omit-replicas",
    "pdb-for-replicated-workloads",
    "services-select-pods",
    "production-redundancy",
    "workloads-have-network-policy",
    "hpa-targets-exist",
    "referenced-configs-exist",
    "custom-resources-depend-on-crds",
] as const;

export type PolicyName = (typeof POLICY_NAMES)[number];

export function isPolicyName(value: string): value is PolicyName {
    return (POLICY_NAMES as readonly string[]).includes(value);
}
