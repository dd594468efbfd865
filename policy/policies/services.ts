/** Best practices for Services: only the edge is exposed outside the cluster; every Service selects pods. */
import { objectPolicy, ofKinds, stackPolicy, StackViolation, stringList } from "./framework";
import { describe, KubeObject } from "./kinds";
import { podTemplatesOf } from "./pod-templates";
import { Labels, matchesLabelMap } from "./selectors";
import { get, isUnknown, obj, UNKNOWN } from "./values";

// ---- NodePort / LoadBalancer only at the edge ----------------------------------------------------------------

export interface ExposureConfig {
    readonly allowedNamespaces: readonly string[];
    /** Individual Services allowed to be exposed, as "namespace/name". */
    readonly allowedServices: readonly string[];
}

export const EXPOSURE_DEFAULTS: ExposureConfig = { allowedNamespaces: ["edge"], allowedServices: [] };

export function checkServiceExposure(o: KubeObject, config: ExposureConfig): string[] {
    const type = get(o.props, "spec", "type");
    if (type !== "NodePort" && type !== "LoadBalancer") return [];
    if (isUnknown(o.namespace)) return [];
    if (config.allowedNamespaces.includes(o.namespace)) return [];
    if (typeof o.name === "string" && config.allowedServices.includes(`${o.namespace}/${o.name}`)) return [];
    if (isUnknown(o.name)) return [];
    return [`type ${type} is only allowed in namespaces [${config.allowedNamespaces.join(", ")}] or for allowedServices`];
}

export const noNodePortOrLoadBalancer = objectPolicy<ExposureConfig>({
    name: "no-node-port-or-load-balancer",
    description: "Services of type NodePort or LoadBalancer exist only at the edge.",
    enforcementLevel: "advisory",
    configProperties: {
        allowedNamespaces: stringList("Namespaces where NodePort/LoadBalancer Services are allowed.", EXPOSURE_DEFAULTS.allowedNamespaces),
        allowedServices: stringList("Services allowed anyway, as namespace/name."),
    },
    defaults: EXPOSURE_DEFAULTS,
    appliesTo: ofKinds("/Service"),
    check: checkServiceExposure,
});

// ---- Services select pods --------------------------------------------------------------------------------------

export function checkServicesSelectPods(objects: readonly KubeObject[]): StackViolation[] {
    const violations: StackViolation[] = [];
    const pods: { namespace: KubeObject["namespace"]; labels: Labels }[] = objects
        .flatMap((o) => podTemplatesOf(o).map((pod) => ({ namespace: o.namespace, labels: pod.labels })));
    for (const service of objects.filter((o) => o.group === "" && o.kind === "Service")) {
        const type = get(service.props, "spec", "type");
        if (type === "ExternalName" || isUnknown(type) || isUnknown(service.namespace)) continue;
        const selector = get(service.props, "spec", "selector");
        if (isUnknown(selector)) continue;
        if (Object.keys(obj(selector)).length === 0) {
            violations.push({ object: service, message: `${describe(service)}: has no selector, so it selects no pods` });
            continue;
        }
        const results = pods
            .filter((p) => p.namespace === service.namespace || isUnknown(p.namespace))
            .map((p) => matchesLabelMap(selector, p.labels, false));
        if (results.includes(true) || results.includes(UNKNOWN)) continue;
        violations.push({ object: service, message: `${describe(service)}: selector ${JSON.stringify(selector)} matches no pod template in the stack` });
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
