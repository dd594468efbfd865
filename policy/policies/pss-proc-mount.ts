/**
 * Pod Security Standards, baseline check (also part of "restricted"): /proc mount type.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

export function checkProcMount(pod: PodModel): string[] {
    return pod.containers
        .filter((c) => {
            const value = get(c.spec, "securityContext", "procMount");
            return value !== undefined && value !== "Default" && !isUnknown(value);
        })
        .map(
            (c) =>
                `${c.label}: securityContext.procMount ${JSON.stringify(get(c.spec, "securityContext", "procMount"))} is not allowed (Default only)`,
        );
}

export const pssProcMount = podPolicy({
    name: "pss-proc-mount",
    description: "Pod Security (baseline): procMount must be Default.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkProcMount,
});
