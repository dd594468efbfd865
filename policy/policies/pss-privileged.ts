/**
 * Pod Security Standards, baseline check (also part of "restricted"): privileged containers.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get } from "./values";

export function checkPrivileged(pod: PodModel): string[] {
    return pod.containers
        .filter((c) => get(c.spec, "securityContext", "privileged") === true)
        .map((c) => `${c.label}: securityContext.privileged is true`);
}

export const pssPrivileged = podPolicy({
    name: "pss-privileged",
    description: "Pod Security (baseline): privileged containers are not allowed.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkPrivileged,
});
