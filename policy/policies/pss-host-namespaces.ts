/**
 * Pod Security Standards, baseline check (also part of "restricted"): host namespaces.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get } from "./values";

export function checkHostNamespaces(pod: PodModel): string[] {
    return (["hostNetwork", "hostPID", "hostIPC"] as const)
        .filter((field) => get(pod.spec, field) === true)
        .map((field) => `pod: ${field} is true`);
}

export const pssHostNamespaces = podPolicy({
    name: "pss-host-namespaces",
    description: "Pod Security (baseline): no hostNetwork, hostPID or hostIPC.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkHostNamespaces,
});
