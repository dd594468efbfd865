/**
 * Mission policy 1: every container runs as non-root.
 *   - runAsNonRoot: true on the pod, or on every container (a container's own value wins over the pod's);
 *   - no runAsUser: 0 anywhere (pod or any container), whatever the pod-level default says.
 * Covers initContainers, containers and ephemeralContainers in every pod template.
 * The two halves are also the Pod Security "restricted" checks pss-run-as-non-root and pss-run-as-user.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

/** Containers whose effective runAsNonRoot is not true. */
export function checkRunAsNonRoot(pod: PodModel): string[] {
    const problems: string[] = [];
    const podValue = get(pod.spec, "securityContext", "runAsNonRoot");
    for (const c of pod.containers) {
        const own = get(c.spec, "securityContext", "runAsNonRoot");
        if (isUnknown(own) || own === true) continue;
        if (own === false) {
            problems.push(`${c.label}: securityContext.runAsNonRoot is false`);
            continue;
        }
        if (isUnknown(podValue) || podValue === true) continue;
        problems.push(
            `${c.label}: runAsNonRoot is not true (set securityContext.runAsNonRoot: true on the pod or the container)`,
        );
    }
    return problems;
}

function isRoot(value: unknown): boolean {
    return value === 0 || value === "0";
}

/** runAsUser: 0 on the pod or on any container. */
export function checkRunAsUser(pod: PodModel): string[] {
    const problems: string[] = [];
    if (isRoot(get(pod.spec, "securityContext", "runAsUser"))) {
        problems.push("pod: securityContext.runAsUser is 0 (root)");
    }
    for (const c of pod.containers) {
        if (isRoot(get(c.spec, "securityContext", "runAsUser"))) {
            problems.push(`${c.label}: securityContext.runAsUser is 0 (root)`);
        }
    }
    return problems;
}

export const podsRunAsNonRoot = podPolicy({
    name: "pods-run-as-non-root",
    description:
        "Pods run as non-root: runAsNonRoot: true on the pod or every container, and no runAsUser: 0 anywhere.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Use podSecurityContext()/containerSecurityContext() from lib/pod-security.ts; images built for root need an explicit non-zero runAsUser.",
    defaults: {},
    check: (pod) => [...checkRunAsNonRoot(pod), ...checkRunAsUser(pod)],
});
