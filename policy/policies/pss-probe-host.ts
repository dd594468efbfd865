/**
 * Pod Security Standards, baseline check (also part of "restricted"): probe and lifecycle hook hosts.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

const HOST_FIELDS: readonly (readonly string[])[] = [
    ["livenessProbe", "httpGet"],
    ["livenessProbe", "tcpSocket"],
    ["readinessProbe", "httpGet"],
    ["readinessProbe", "tcpSocket"],
    ["startupProbe", "httpGet"],
    ["startupProbe", "tcpSocket"],
    ["lifecycle", "postStart", "httpGet"],
    ["lifecycle", "postStart", "tcpSocket"],
    ["lifecycle", "preStop", "httpGet"],
    ["lifecycle", "preStop", "tcpSocket"],
];

export function checkProbeHost(pod: PodModel): string[] {
    const problems: string[] = [];
    for (const c of pod.containers) {
        for (const path of HOST_FIELDS) {
            const host = get(c.spec, ...path, "host");
            if (host === undefined || host === "" || host === null || isUnknown(host)) continue;
            problems.push(`${c.label}: ${path.join(".")}.host is set (${JSON.stringify(host)})`);
        }
    }
    return problems;
}

export const pssProbeHost = podPolicy({
    name: "pss-probe-host",
    description: "Pod Security (baseline): probes and lifecycle hooks must not set a host.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkProbeHost,
});
