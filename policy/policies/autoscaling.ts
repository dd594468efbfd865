/**
 * HorizontalPodAutoscaler helpers shared by the stack policies hpa-targets-exist, hpa-targets-omit-replicas and
 * pdb-for-replicated-workloads.
 */
import { KubeObject, nameMatches } from "./kinds";
import { get, isUnknown } from "./values";

export function isHpa(o: KubeObject): boolean {
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
    const candidates = objects.filter(
        (o) =>
            o.kind === kind &&
            (group === undefined || o.group === group) &&
            (o.namespace === hpa.namespace || isUnknown(o.namespace)),
    );
    const target = candidates.find((o) => nameMatches(o, name));
    if (target) return { status: "found", target };
    return candidates.some((o) => isUnknown(o.name) || isUnknown(o.namespace))
        ? { status: "unknown" }
        : { status: "missing" };
}
