/** Best practice for Services (stack): every Service selects pods of a workload in the stack. */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject } from "./kinds";
import { podTemplatesOf } from "./pod-templates";
import { Labels, matchesLabelMap } from "./selectors";
import { get, isUnknown, obj, UNKNOWN } from "./values";

export function checkServicesSelectPods(objects: readonly KubeObject[]): StackViolation[] {
    const violations: StackViolation[] = [];
    const pods: { namespace: KubeObject["namespace"]; labels: Labels }[] = objects.flatMap((o) =>
        podTemplatesOf(o).map((pod) => ({ namespace: o.namespace, labels: pod.labels })),
    );
    for (const service of objects.filter((o) => o.group === "" && o.kind === "Service")) {
        const type = get(service.props, "spec", "type");
        if (type === "ExternalName" || isUnknown(type) || isUnknown(service.namespace)) continue;
        const selector = get(service.props, "spec", "selector");
        if (isUnknown(selector)) continue;
        if (Object.keys(obj(selector)).length === 0) {
            violations.push({
                object: service,
                message: `${describe(service)}: has no selector, so it selects no pods`,
            });
            continue;
        }
        const results = pods
            .filter((p) => p.namespace === service.namespace || isUnknown(p.namespace))
            .map((p) => matchesLabelMap(selector, p.labels, false));
        if (results.includes(true) || results.includes(UNKNOWN)) continue;
        violations.push({
            object: service,
            message: `${describe(service)}: selector ${JSON.stringify(selector)} matches no pod template in the stack`,
        });
    }
    return violations;
}

export const servicesSelectPods = stackPolicy({
    name: "services-select-pods",
    description: "Every Service (except ExternalName) has a selector that matches pods of a workload in the stack.",
    enforcementLevel: "advisory",
    defaults: {},
    check: (stack) => checkServicesSelectPods(stack.objects),
});
