/**
 * Pod Security Standards, restricted check: running as non-root (the check is the mission policy's, pods-run-as-non-root.ts).
 */
import { podPolicy } from "./framework";
import { checkRunAsNonRoot } from "./pods-run-as-non-root";

export const pssRunAsNonRoot = podPolicy({
    name: "pss-run-as-non-root",
    description: "Pod Security (restricted): runAsNonRoot: true on the pod or every container.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkRunAsNonRoot,
});
