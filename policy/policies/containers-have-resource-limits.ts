/**
 * Mission policy 2: every container has CPU and memory requests AND limits, and each request is at most its
 * limit (exact Kubernetes quantity arithmetic). Covers initContainers, containers and ephemeralContainers.
 */
import { podPolicy } from "./framework";
import { ContainerModel, PodModel } from "./pod-templates";
import { compareQuantities, parseQuantity, Quantity } from "./quantity";
import { get, isUnknown } from "./values";

const RESOURCES = ["cpu", "memory"] as const;

function present(value: unknown): boolean {
    return value !== undefined && value !== null && value !== "";
}

function quantity(c: ContainerModel, field: string, value: unknown, problems: string[]): Quantity | undefined {
    const q = parseQuantity(value);
    if (!q) problems.push(`${c.label}: ${field} ${JSON.stringify(value)} is not a valid Kubernetes quantity`);
    return q;
}

export function checkContainerResources(c: ContainerModel): string[] {
    const resources = get(c.spec, "resources");
    if (isUnknown(resources)) return [];
    const problems: string[] = [];
    for (const resource of RESOURCES) {
        const request = get(resources, "requests", resource);
        const limit = get(resources, "limits", resource);
        const requestField = `resources.requests.${resource}`;
        const limitField = `resources.limits.${resource}`;
        if (!present(request)) problems.push(`${c.label}: missing ${requestField}`);
        if (!present(limit)) problems.push(`${c.label}: missing ${limitField}`);
        const r = present(request) && !isUnknown(request) ? quantity(c, requestField, request, problems) : undefined;
        const l = present(limit) && !isUnknown(limit) ? quantity(c, limitField, limit, problems) : undefined;
        if (r && l && compareQuantities(r, l) > 0) {
            problems.push(
                `${c.label}: ${requestField} ${JSON.stringify(request)} exceeds ${limitField} ${JSON.stringify(limit)}`,
            );
        }
    }
    return problems;
}

export function checkResourceLimits(pod: PodModel): string[] {
    return pod.containers.flatMap(checkContainerResources);
}

export const containersHaveResourceLimits = podPolicy({
    name: "containers-have-resource-limits",
    description: "Every container has CPU and memory requests and limits, with requests <= limits.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set resources.requests and resources.limits for cpu and memory on every container (for operator resources: spec.resources, or the container entry in spec.containers / spec.template).",
    defaults: {},
    check: (pod) => checkResourceLimits(pod),
});
