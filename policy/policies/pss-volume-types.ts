/**
 * Pod Security Standards, restricted check: volume types.
 */
import { podPolicy } from "./framework";
import { PodModel, volumesOf } from "./pod-templates";
import { isObject } from "./values";

export const ALLOWED_VOLUME_TYPES: readonly string[] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

export function checkVolumeTypes(pod: PodModel): string[] {
    const problems: string[] = [];
    for (const { name, volume } of volumesOf(pod)) {
        if (!isObject(volume)) continue;
        for (const [type, source] of Object.entries(volume)) {
            if (type === "name" || source === undefined || source === null || ALLOWED_VOLUME_TYPES.includes(type))
                continue;
            problems.push(`volume "${name}": type ${type} is not allowed (${ALLOWED_VOLUME_TYPES.join(", ")})`);
        }
    }
    return problems;
}

export const pssVolumeTypes = podPolicy({
    name: "pss-volume-types",
    description:
        "Pod Security (restricted): volumes only of type configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkVolumeTypes,
});
