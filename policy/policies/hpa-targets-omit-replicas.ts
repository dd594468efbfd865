/**
 * Stack policy: the workloads HorizontalPodAutoscalers scale do not set spec.replicas (each `pulumi up` would
 * otherwise reset the autoscaler's choice).
 */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject } from "./kinds";
import { hpaTarget, isHpa } from "./autoscaling";
import { get, isUnknown } from "./values";

export function checkHpaTargetsOmitReplicas(objects: readonly KubeObject[]): StackViolation[] {
    const violations: StackViolation[] = [];
    for (const hpa of objects.filter(isHpa)) {
        const lookup = hpaTarget(hpa, objects);
        if (lookup.status !== "found") continue;
        const replicas = get(lookup.target.props, "spec", "replicas");
        if (replicas === undefined || replicas === null || isUnknown(replicas)) continue;
        violations.push({
            object: lookup.target,
            message: `${describe(lookup.target)}: scaled by ${describe(hpa)} but sets spec.replicas (${String(replicas)}); leave it unset`,
        });
    }
    return violations;
}

export const hpaTargetsOmitReplicas = stackPolicy({
    name: "hpa-targets-omit-replicas",
    description: "Workloads scaled by a HorizontalPodAutoscaler do not set spec.replicas.",
    enforcementLevel: "advisory",
    defaults: {},
    check: (stack) => checkHpaTargetsOmitReplicas(stack.objects),
});
