/**
 * Pod Security Standards, restricted check: volume types.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { arr, get, isObject, str } from "./values";

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
