/**
 * Pod Security Standards, restricted check: no runAsUser 0 (the check is the mission policy's, pods-run-as-non-root.ts).
 */
import { podPolicy } from "./framework";
import { checkRunAsUser } from "./pods-run-as-non-root";

export const pssRunAsUser = podPolicy({
    name: "pss-run-as-user",
    description: "Pod Security (restricted): runAsUser must not be 0.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkRunAsUser,
});
