/**
 * Pod Security Standards, restricted check: capabilities. Windows pods (spec.os.name: windows) are exempt, as in
 * the standard.
 */
import { podPolicy } from "./framework";
import { isWindows, PodModel } from "./pod-templates";
import { arr, get, isUnknown } from "./values";

export function checkCapabilities(pod: PodModel): string[] {
    if (isWindows(pod)) return [];
    const problems: string[] = [];
    for (const c of pod.containers) {
        const capabilities = get(c.spec, "securityContext", "capabilities");
        if (isUnknown(capabilities)) continue;
        const drop = get(capabilities, "drop");
        if (!isUnknown(drop) && !arr(drop).includes("ALL")) {
            problems.push(`${c.label}: securityContext.capabilities.drop must include "ALL"`);
        }
        for (const cap of arr(get(capabilities, "add"))) {
            if (isUnknown(cap) || cap === "NET_BIND_SERVICE") continue;
            problems.push(`${c.label}: capability ${JSON.stringify(cap)} may not be added (only NET_BIND_SERVICE)`);
        }
    }
    return problems;
}

export const pssCapabilities = podPolicy({
    name: "pss-capabilities",
    description: "Pod Security (restricted): capabilities drop ALL and add at most NET_BIND_SERVICE.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkCapabilities,
});
