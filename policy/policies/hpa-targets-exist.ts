/** Stack policy: every HorizontalPodAutoscaler targets a workload in the stack. */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject } from "./kinds";
import { hpaTarget, isHpa } from "./autoscaling";
import { get } from "./values";

export function checkHpaTargetsExist(objects: readonly KubeObject[]): StackViolation[] {
    const violations: StackViolation[] = [];
    for (const hpa of objects.filter(isHpa)) {
        const lookup = hpaTarget(hpa, objects);
        if (lookup.status !== "missing") continue;
        const ref = get(hpa.props, "spec", "scaleTargetRef");
        violations.push({
            object: hpa,
            message: `${describe(hpa)}: scaleTargetRef ${String(get(ref, "kind"))} "${String(get(ref, "name"))}" is not in the stack`,
        });
    }
    return violations;
}

export const hpaTargetsExist = stackPolicy({
    name: "hpa-targets-exist",
    description: "Every HorizontalPodAutoscaler targets a workload that exists in the stack.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: (stack) => checkHpaTargetsExist(stack.objects),
});
