/**
 * Pod Security Standards, baseline check (also part of "restricted"): hostPath volumes.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel, volumesOf } from "./pod-templates";
import { get } from "./values";

export function checkHostPathVolumes(pod: PodModel): string[] {
    return volumesOf(pod)
        .filter(({ volume }) => get(volume, "hostPath") !== undefined)
        .map(({ name }) => `volume "${name}": hostPath volumes are not allowed`);
}

export const pssHostPathVolumes = podPolicy({
    name: "pss-host-path-volumes",
    description: "Pod Security (baseline): hostPath volumes are not allowed.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkHostPathVolumes,
});
