/**
 * Pod Security Standards, baseline checks (each its own policy; all part of "restricted" too).
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — every check covers initContainers,
 * containers and ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { arr, get, isUnknown, str } from "./values";

function volumesOf(pod: PodModel): { name: string; volume: unknown }[] {
    return arr(get(pod.spec, "volumes")).map((v, i) => ({ name: str(get(v, "name")) ?? `#${i}`, volume: v }));
}

// ---- HostProcess ---------------------------------------------------------------------------------------------

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

// ---- Host namespaces -----------------------------------------------------------------------------------------

export function checkHostNamespaces(pod: PodModel): string[] {
    return (["hostNetwork", "hostPID", "hostIPC"] as const)
        .filter((field) => get(pod.spec, field) === true)
        .map((field) => `pod: ${field} is true`);
}

export const pssHostNamespaces = podPolicy({
    name: "pss-host-namespaces",
    description: "Pod Security (baseline): no hostNetwork, hostPID or hostIPC.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkHostNamespaces,
});

// ---- Privileged ----------------------------------------------------------------------------------------------

export function checkPrivileged(pod: PodModel): string[] {
    return pod.containers
        .filter((c) => get(c.spec, "securityContext", "privileged") === true)
        .map((c) => `${c.label}: securityContext.privileged is true`);
}

export const pssPrivileged = podPolicy({
    name: "pss-privileged",
    description: "Pod Security (baseline): privileged containers are not allowed.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkPrivileged,
});

// ---- hostPath volumes ----------------------------------------------------------------------------------------

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

// ---- Host ports ----------------------------------------------------------------------------------------------

export function checkHostPorts(pod: PodModel): string[] {
    const problems: string[] = [];
    for (const c of pod.containers) {
        for (const port of arr(get(c.spec, "ports"))) {
            const hostPort = get(port, "hostPort");
            if (hostPort === undefined || hostPort === null || hostPort === 0 || isUnknown(hostPort)) continue;
            problems.push(`${c.label}: containerPort ${String(get(port, "containerPort"))} uses hostPort ${String(hostPort)}`);
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

// ---- AppArmor ------------------------------------------------------------------------------------------------

const APPARMOR_TYPES = ["RuntimeDefault", "Localhost"];
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

export function checkAppArmor(pod: PodModel): string[] {
    const problems: string[] = [];
    const judge = (where: string, type: unknown) => {
        if (type === undefined || isUnknown(type) || APPARMOR_TYPES.includes(type as string)) return;
        problems.push(`${where}: securityContext.appArmorProfile.type ${JSON.stringify(type)} is not allowed (RuntimeDefault or Localhost)`);
    };
    judge("pod", get(pod.spec, "securityContext", "appArmorProfile", "type"));
    for (const c of pod.containers) judge(c.label, get(c.spec, "securityContext", "appArmorProfile", "type"));
    if (!isUnknown(pod.annotations)) {
        for (const [key, value] of Object.entries(pod.annotations)) {
            if (!key.startsWith(APPARMOR_ANNOTATION) || isUnknown(value)) continue;
            if (value === "runtime/default" || value.startsWith("localhost/")) continue;
            problems.push(`pod annotation ${key}: ${JSON.stringify(value)} is not allowed (runtime/default or localhost/*)`);
        }
    }
    return problems;
}

export const pssAppArmor = podPolicy({
    name: "pss-apparmor",
    description: "Pod Security (baseline): AppArmor profile RuntimeDefault or Localhost only (never Unconfined).",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkAppArmor,
});

// ---- SELinux -------------------------------------------------------------------------------------------------

const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

export function checkSELinux(pod: PodModel): string[] {
    const problems: string[] = [];
    const judge = (where: string, options: unknown) => {
        if (options === undefined || isUnknown(options)) return;
        const type = get(options, "type");
        if (type !== undefined && !isUnknown(type) && !SELINUX_TYPES.includes(type as string)) {
            problems.push(`${where}: securityContext.seLinuxOptions.type ${JSON.stringify(type)} is not allowed (container_t, container_init_t, container_kvm_t, container_engine_t)`);
        }
        for (const field of ["user", "role"]) {
            const value = get(options, field);
            if (value !== undefined && value !== "" && !isUnknown(value)) {
                problems.push(`${where}: securityContext.seLinuxOptions.${field} must not be set`);
            }
        }
    };
    judge("pod", get(pod.spec, "securityContext", "seLinuxOptions"));
    for (const c of pod.containers) judge(c.label, get(c.spec, "securityContext", "seLinuxOptions"));
    return problems;
}

export const pssSELinux = podPolicy({
    name: "pss-selinux",
    description: "Pod Security (baseline): SELinux type limited to the container types; user and role unset.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkSELinux,
});

// ---- /proc mount ---------------------------------------------------------------------------------------------

export function checkProcMount(pod: PodModel): string[] {
    return pod.containers
        .filter((c) => {
            const value = get(c.spec, "securityContext", "procMount");
            return value !== undefined && value !== "Default" && !isUnknown(value);
        })
        .map((c) => `${c.label}: securityContext.procMount ${JSON.stringify(get(c.spec, "securityContext", "procMount"))} is not allowed (Default only)`);
}

export const pssProcMount = podPolicy({
    name: "pss-proc-mount",
    description: "Pod Security (baseline): procMount must be Default.",
    enforcementLevel: "mandatory",
    defaults: {},
    check: checkProcMount,
});

// ---- Sysctls -------------------------------------------------------------------------------------------------

/** The safe set as of Kubernetes 1.32+ (newer entries are allowed on the versions that know them). */
export const SAFE_SYSCTLS: readonly string[] = [
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
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

// ---- Probe / lifecycle host ----------------------------------------------------------------------------------

const HOST_FIELDS: readonly (readonly string[])[] = [
    ["livenessProbe", "httpGet"], ["livenessProbe", "tcpSocket"],
    ["readinessProbe", "httpGet"], ["readinessProbe", "tcpSocket"],
    ["startupProbe", "httpGet"], ["startupProbe", "tcpSocket"],
    ["lifecycle", "postStart", "httpGet"], ["lifecycle", "postStart", "tcpSocket"],
    ["lifecycle", "preStop", "httpGet"], ["lifecycle", "preStop", "tcpSocket"],
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

export const pssBaselinePolicies = [
    pssWindowsHostProcess, pssHostNamespaces, pssPrivileged, pssHostPathVolumes, pssHostPorts, pssAppArmor,
    pssSELinux, pssProcMount, pssSysctls, pssProbeHost,
];
