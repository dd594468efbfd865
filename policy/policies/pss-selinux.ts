/**
 * Pod Security Standards, baseline check (also part of "restricted"): SELinux.
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ — covers initContainers, containers and
 * ephemeralContainers in every pod template.
 */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get, isUnknown } from "./values";

const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

export function checkSELinux(pod: PodModel): string[] {
    const problems: string[] = [];
    const judge = (where: string, options: unknown) => {
        if (options === undefined || isUnknown(options)) return;
        const type = get(options, "type");
        if (type !== undefined && !isUnknown(type) && !SELINUX_TYPES.includes(type as string)) {
            problems.push(
                `${where}: securityContext.seLinuxOptions.type ${JSON.stringify(type)} is not allowed (container_t, container_init_t, container_kvm_t, container_engine_t)`,
            );
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
