/**
 * Pod Security Standards, baseline check (also part of "restricted"): host ports.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { arr, get, isUnknown } from "./values";

export function checkHostPorts(pod: PodModel): string[] {
    const problems: string[] = [];
    for (const c of pod.containers) {
        for (const port of arr(get(c.spec, "ports"))) {
            const hostPort = get(port, "hostPort");
            if (hostPort === undefined || hostPort === null || hostPort === 0 || isUnknown(hostPort)) continue;
            problems.push(
                `${c.label}: containerPort ${String(get(port, "containerPort"))} uses hostPort ${String(hostPort)}`,
            );
        }
    }
    return problems;
}

export const pssHostPorts = podPolicy({
    name: "pss-host-ports",
    description: "Pod Security (baseline): hostPort must be unset or 0.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkHostPorts,
});
