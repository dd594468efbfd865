/** Best practice: long-running workloads have liveness and readiness probes. */
import { podPolicy } from "./framework";
import { PodModel } from "./pod-templates";
import { get } from "./values";

export interface ProbesConfig {
    readonly requireLiveness: boolean;
    readonly requireReadiness: boolean;
}

export const PROBES_DEFAULTS: ProbesConfig = { requireLiveness: true, requireReadiness: true };

/** Long-running pods only (not Jobs); operators (CloudNativePG, prometheus-operator) set their own probes. */
export function checkProbes(pod: PodModel, config: ProbesConfig): string[] {
    const problems: string[] = [];
    for (const c of pod.containers.filter((x) => x.list === "containers")) {
        if (config.requireLiveness && get(c.spec, "livenessProbe") === undefined)
            problems.push(`${c.label}: no livenessProbe`);
        if (config.requireReadiness && get(c.spec, "readinessProbe") === undefined)
            problems.push(`${c.label}: no readinessProbe`);
    }
    return problems;
}

export const probesConfigured = podPolicy<ProbesConfig>({
    name: "probes-configured",
    description: "Long-running workloads have liveness and readiness probes on every container.",
    enforcementLevel: "advisory",
    configProperties: {
        requireLiveness: { type: "boolean", default: true },
        requireReadiness: { type: "boolean", default: true },
    },
    defaults: PROBES_DEFAULTS,
    podFilter: (pod) => pod.longRunning && pod.operator === undefined,
    check: checkProbes,
});
