/**
 * Pod Security Standards, restricted check: seccomp profile. Windows pods (spec.os.name: windows) are exempt, as in
 * the standard.
 */
import { podPolicy } from "./framework";
import { isWindows, PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];

export function checkSeccomp(pod: PodModel): string[] {
    if (isWindows(pod)) return [];
    const problems: string[] = [];
    const podType = get(pod.spec, "securityContext", "seccompProfile", "type");
    if (podType !== undefined && !isUnknown(podType) && !SECCOMP_TYPES.includes(podType as string)) {
        problems.push(
            `pod: securityContext.seccompProfile.type ${JSON.stringify(podType)} is not allowed (RuntimeDefault or Localhost)`,
        );
    }
    const podOk = isUnknown(podType) || SECCOMP_TYPES.includes(podType as string);
    for (const c of pod.containers) {
        const type = get(c.spec, "securityContext", "seccompProfile", "type");
        if (isUnknown(type)) continue;
        if (type !== undefined) {
            if (!SECCOMP_TYPES.includes(type as string)) {
                problems.push(
                    `${c.label}: securityContext.seccompProfile.type ${JSON.stringify(type)} is not allowed (RuntimeDefault or Localhost)`,
                );
            }
        } else if (!podOk) {
            problems.push(
                `${c.label}: seccompProfile.type must be RuntimeDefault or Localhost (on the pod or the container)`,
            );
        }
    }
    return problems;
}

export const pssSeccomp = podPolicy({
    name: "pss-seccomp",
    description:
        "Pod Security (restricted): seccomp profile RuntimeDefault or Localhost, on the pod or every container; never Unconfined.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkSeccomp,
});
