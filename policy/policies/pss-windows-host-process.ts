/**
 * Pod Security Standards, baseline check (also part of "restricted"): Windows HostProcess.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get } from "./values";

export function checkWindowsHostProcess(pod: PodModel): string[] {
    const problems: string[] = [];
    if (get(pod.spec, "securityContext", "windowsOptions", "hostProcess") === true) {
        problems.push("pod: securityContext.windowsOptions.hostProcess is true");
    }
    for (const c of pod.containers) {
        if (get(c.spec, "securityContext", "windowsOptions", "hostProcess") === true) {
            problems.push(`${c.label}: securityContext.windowsOptions.hostProcess is true`);
        }
    }
    return problems;
}

export const pssWindowsHostProcess = podPolicy({
    name: "pss-windows-host-process",
    description: "Pod Security (baseline): Windows HostProcess containers are not allowed.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkWindowsHostProcess,
});
