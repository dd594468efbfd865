/**
 * Stack policy: every workload's pods are selected by at least one NetworkPolicy in their namespace. Host-network
 * pods are skipped: NetworkPolicies do not apply to them.
 */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject } from "./kinds";
import { podTemplatesOf } from "./pod-templates";
import { matchesLabelSelector } from "./selectors";
import { get, isUnknown, UNKNOWN } from "./values";

export function checkNetworkPolicies(objects: readonly KubeObject[]): StackViolation[] {
    const violations: StackViolation[] = [];
    const policies = objects.filter((o) => o.group === "networking.k8s.io" && o.kind === "NetworkPolicy");
    for (const workload of objects) {
        const pods = podTemplatesOf(workload);
        if (pods.length === 0 || isUnknown(workload.namespace)) continue;
        for (const pod of pods) {
            // NetworkPolicies do not apply to host-network pods (node agents), so none is required for them.
            if (isUnknown(pod.labels) || get(pod.spec, "hostNetwork") === true) continue;
            const results = policies
                .filter((p) => p.namespace === workload.namespace || isUnknown(p.namespace))
                .map((p) => matchesLabelSelector(get(p.props, "spec", "podSelector") ?? {}, pod.labels));
            if (results.includes(true) || results.includes(UNKNOWN)) continue;
            violations.push({
                object: workload,
                message: `${describe(workload)}: no NetworkPolicy in namespace "${workload.namespace}" selects its pods`,
            });
        }
    }
    return violations;
}

export const workloadsHaveNetworkPolicy = stackPolicy({
    name: "workloads-have-network-policy",
    description:
        "Every workload (including operator-managed pods) is selected by at least one NetworkPolicy in its namespace.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: (stack) => checkNetworkPolicies(stack.objects),
});
