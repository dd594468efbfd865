/**
 * Pod Security Standards, baseline check (also part of "restricted"): AppArmor.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

const APPARMOR_TYPES = ["RuntimeDefault", "Localhost"];
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

export function checkAppArmor(pod: PodModel): string[] {
    const problems: string[] = [];
    const judge = (where: string, type: unknown) => {
        if (type === undefined || isUnknown(type) || APPARMOR_TYPES.includes(type as string)) return;
        problems.push(
            `${where}: securityContext.appArmorProfile.type ${JSON.stringify(type)} is not allowed (RuntimeDefault or Localhost)`,
        );
    };
    judge("pod", get(pod.spec, "securityContext", "appArmorProfile", "type"));
    for (const c of pod.containers) judge(c.label, get(c.spec, "securityContext", "appArmorProfile", "type"));
    if (!isUnknown(pod.annotations)) {
        for (const [key, value] of Object.entries(pod.annotations)) {
            if (!key.startsWith(APPARMOR_ANNOTATION) || isUnknown(value)) continue;
            if (value === "runtime/default" || value.startsWith("localhost/")) continue;
            problems.push(
                `pod annotation ${key}: ${JSON.stringify(value)} is not allowed (runtime/default or localhost/*)`,
            );
        }
    }
    return problems;
}

export const pssAppArmor = podPolicy({
    name: "pss-apparmor",
    description: "Pod Security (baseline): AppArmor profile RuntimeDefault or Localhost only (never Unconfined).",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkAppArmor,
});
