/**
 * Pod Security Standards, baseline check (also part of "restricted"): sysctls.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { arr, get } from "./values";

/** The safe set as of Kubernetes 1.32+ (newer entries are allowed on the versions that know them). */
export const SAFE_SYSCTLS: readonly string[] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

export function checkSysctls(pod: PodModel): string[] {
    return arr(get(pod.spec, "securityContext", "sysctls"))
        .map((s) => get(s, "name"))
        .filter((name) => typeof name === "string" && !SAFE_SYSCTLS.includes(name))
        .map((name) => `pod: sysctl ${JSON.stringify(name)} is not in the safe set`);
}

export const pssSysctls = podPolicy({
    name: "pss-sysctls",
    description: "Pod Security (baseline): only safe sysctls.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkSysctls,
});
