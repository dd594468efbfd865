/**
 * Pod Security Standards, restricted checks (each its own policy). Windows pods (spec.os.name: windows) are
 * exempt from the seccomp, privilege-escalation and capabilities checks, as in the standard.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { checkRunAsNonRoot, checkRunAsUser } from "./run-as-non-root";
import { arr, get, isObject, isUnknown, str } from "./values";

function isWindows(pod: PodModel): boolean {
    return get(pod.spec, "os", "name") === "windows";
}

// ---- Volume types --------------------------------------------------------------------------------------------

export const ALLOWED_VOLUME_TYPES: readonly string[] = [
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
];

export function checkVolumeTypes(pod: PodModel): string[] {
    const problems: string[] = [];
    arr(get(pod.spec, "volumes")).forEach((volume, i) => {
        if (!isObject(volume)) return;
        const name = str(volume.name) ?? `#${i}`;
        for (const [type, source] of Object.entries(volume)) {
            if (type === "name" || source === undefined || source === null || ALLOWED_VOLUME_TYPES.includes(type)) continue;
            problems.push(`volume "${name}": type ${type} is not allowed (${ALLOWED_VOLUME_TYPES.join(", ")})`);
        }
    });
    return problems;
}

export const pssVolumeTypes = podPolicy({
    name: "pss-volume-types",
    description: "Pod Security (restricted): volumes only of type configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkVolumeTypes,
});

// ---- Privilege escalation ------------------------------------------------------------------------------------

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

// ---- Running as non-root / non-root user --------------------------------------------------------------------

export const pssRunAsNonRoot = podPolicy({
    name: "pss-run-as-non-root",
    description: "Pod Security (restricted): runAsNonRoot: true on the pod or every container.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkRunAsNonRoot,
});

export const pssRunAsUser = podPolicy({
    name: "pss-run-as-user",
    description: "Pod Security (restricted): runAsUser must not be 0.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkRunAsUser,
});

// ---- Seccomp -------------------------------------------------------------------------------------------------

const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];

export function checkSeccomp(pod: PodModel): string[] {
    if (isWindows(pod)) return [];
    const problems: string[] = [];
    const podType = get(pod.spec, "securityContext", "seccompProfile", "type");
    if (podType !== undefined && !isUnknown(podType) && !SECCOMP_TYPES.includes(podType as string)) {
        problems.push(`pod: securityContext.seccompProfile.type ${JSON.stringify(podType)} is not allowed (RuntimeDefault or Localhost)`);
    }
    const podOk = isUnknown(podType) || SECCOMP_TYPES.includes(podType as string);
    for (const c of pod.containers) {
        const type = get(c.spec, "securityContext", "seccompProfile", "type");
        if (isUnknown(type)) continue;
        if (type !== undefined) {
            if (!SECCOMP_TYPES.includes(type as string)) {
                problems.push(`${c.label}: securityContext.seccompProfile.type ${JSON.stringify(type)} is not allowed (RuntimeDefault or Localhost)`);
            }
        } else if (!podOk) {
            problems.push(`${c.label}: seccompProfile.type must be RuntimeDefault or Localhost (on the pod or the container)`);
        }
    }
    return problems;
}

export const pssSeccomp = podPolicy({
    name: "pss-seccomp",
    description: "Pod Security (restricted): seccomp profile RuntimeDefault or Localhost, on the pod or every container; never Unconfined.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkSeccomp,
});

// ---- Capabilities --------------------------------------------------------------------------------------------

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

export const pssRestrictedPolicies = [
    pssVolumeTypes, pssPrivilegeEscalation, pssRunAsNonRoot, pssRunAsUser, pssSeccomp, pssCapabilities,
];
