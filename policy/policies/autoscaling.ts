/**
 * Stack policies for HorizontalPodAutoscalers: every HPA targets a workload in the stack, and the workloads they
 * scale do not set spec.replicas (each `pulumi up` would otherwise reset the autoscaler's choice).
 */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject, nameMatches } from "./kinds";
import { get, isUnknown } from "./values";

function isHpa(o: KubeObject): boolean {
    return o.group === "autoscaling" && o.kind === "HorizontalPodAutoscaler";
}

function groupOf(apiVersion: unknown): string | undefined {
    if (typeof apiVersion !== "string") return undefined;
    return apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
}

export type TargetLookup = { status: "found"; target: KubeObject } | { status: "missing" } | { status: "unknown" };

/** The object an HPA's scaleTargetRef points at, in the HPA's namespace. */
export function hpaTarget(hpa: KubeObject, objects: readonly KubeObject[]): TargetLookup {
    const ref = get(hpa.props, "spec", "scaleTargetRef");
    const kind = get(ref, "kind");
    const name = get(ref, "name");
    const apiVersion = get(ref, "apiVersion");
    if ([ref, kind, name, apiVersion].some(isUnknown) || isUnknown(hpa.namespace)) return { status: "unknown" };
    if (typeof kind !== "string" || typeof name !== "string") return { status: "missing" };
    const group = groupOf(apiVersion);
    const candidates = objects.filter((o) => o.kind === kind && (group === undefined || o.group === group)
        && (o.namespace === hpa.namespace || isUnknown(o.namespace)));
    const target = candidates.find((o) => nameMatches(o, name));
    if (target) return { status: "found", target };
    return candidates.some((o) => isUnknown(o.name) || isUnknown(o.namespace)) ? { status: "unknown" } : { status: "missing" };
}

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

export const hpaTargetsExist = stackPolicy({
    name: "hpa-targets-exist",
    description: "Every HorizontalPodAutoscaler targets a workload that exists in the stack.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: (stack) => checkHpaTargetsExist(stack.objects),
});

export const hpaTargetsOmitReplicas = stackPolicy({
    name: "hpa-targets-omit-replicas",
    description: "Workloads scaled by a HorizontalPodAutoscaler do not set spec.replicas.",
    enforcementLevel: "advisory",
    defaults: {},
    check: (stack) => checkHpaTargetsOmitReplicas(stack.objects),
});
