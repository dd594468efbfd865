/** Best practice: containers run with a read-only root filesystem. */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

export function checkReadOnlyRootFilesystem(pod: PodModel): string[] {
    return pod.containers
        .filter((c) => {
            const value = get(c.spec, "securityContext", "readOnlyRootFilesystem");
            return value !== true && !isUnknown(value);
        })
        .map((c) => `${c.label}: securityContext.readOnlyRootFilesystem is not true`);
}

export const readOnlyRootFilesystem = podPolicy({
    name: "read-only-root-filesystem",
    description: "Containers run with a read-only root filesystem (writable paths as emptyDir volumes).",
    enforcementLevel: "advisory",
    defaults: {},
    check: checkReadOnlyRootFilesystem,
});
