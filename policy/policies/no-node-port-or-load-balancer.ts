/** Best practice for Services: only the edge is exposed outside the cluster. */
import { objectPolicy, ofKinds, stringList } from "./framework";
import { KubeObject } from "./kinds";
import { get, isUnknown } from "./values";

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
    return [
        `type ${type} is only allowed in namespaces [${config.allowedNamespaces.join(", ")}] or for allowedServices`,
    ];
}

export const noNodePortOrLoadBalancer = objectPolicy<ExposureConfig>({
    name: "no-node-port-or-load-balancer",
    description: "Services of type NodePort or LoadBalancer exist only at the edge.",
    enforcementLevel: "advisory",
    configProperties: {
        allowedNamespaces: stringList(
            "Namespaces where NodePort/LoadBalancer Services are allowed.",
            EXPOSURE_DEFAULTS.allowedNamespaces,
        ),
        allowedServices: stringList("Services allowed anyway, as namespace/name."),
    },
    defaults: EXPOSURE_DEFAULTS,
    appliesTo: ofKinds("/Service"),
    check: checkServiceExposure,
});
