/**
 * Pod Security Standards, restricted check: no privilege escalation. Windows pods (spec.os.name: windows) are exempt, as in
 * the standard.
 */
import { podPolicy } from "./framework";
import { isWindows, PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

export function checkPrivilegeEscalation(pod: PodModel): string[] {
    if (isWindows(pod)) return [];
    return pod.containers
        .filter((c) => {
            const value = get(c.spec, "securityContext", "allowPrivilegeEscalation");
            return value !== false && !isUnknown(value);
        })
        .map((c) => `${c.label}: securityContext.allowPrivilegeEscalation must be false`);
}

export const pssPrivilegeEscalation = podPolicy({
    name: "pss-privilege-escalation",
    description: "Pod Security (restricted): allowPrivilegeEscalation: false on every container, explicitly.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkPrivilegeEscalation,
});
