/**
 * Best practice (stack): replicated workloads (2+ replicas, or an HPA minimum of 2+) have a PodDisruptionBudget
 * that selects their pods and still allows a voluntary disruption (a node drain must be able to proceed).
 */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject } from "./kinds";
import { hpaTarget, isHpa } from "./autoscaling";
import { podTemplatesOf } from "./pod-templates";
import { matchesLabelSelector } from "./selectors";
import { get, isUnknown, UNKNOWN, Unknown } from "./values";

export interface PdbConfig {
    /** Workloads with at least this many replicas need a PDB. */
    readonly minReplicas: number;
}

export const PDB_DEFAULTS: PdbConfig = { minReplicas: 2 };

const REPLICATED = ["apps/Deployment", "apps/StatefulSet", "apps/ReplicaSet"];

/** Replicas a workload runs with: spec.replicas, else its HPA's minReplicas, else 1. */
export function replicasOf(workload: KubeObject, objects: readonly KubeObject[]): number | Unknown {
    const replicas = get(workload.props, "spec", "replicas");
    if (isUnknown(replicas)) return UNKNOWN;
    if (typeof replicas === "number") return replicas;
    for (const hpa of objects.filter(isHpa)) {
        const lookup = hpaTarget(hpa, objects);
        if (lookup.status === "found" && lookup.target === workload) {
            const min = get(hpa.props, "spec", "minReplicas");
            if (isUnknown(min)) return UNKNOWN;
            return typeof min === "number" ? min : 1;
        }
    }
    return 1;
}

function scaled(value: unknown, replicas: number): number | undefined {
    if (typeof value === "number") return value;
    if (typeof value === "string" && /^\d+%$/.test(value)) return Math.ceil((parseInt(value, 10) * replicas) / 100);
    if (typeof value === "string" && /^\d+$/.test(value)) return parseInt(value, 10);
    return undefined;
}

/** Whether the PDB lets at least one pod be evicted when all `replicas` are healthy; a reason when not. */
export function pdbBlocksDisruption(pdb: KubeObject, replicas: number): string | undefined {
    const maxUnavailable = get(pdb.props, "spec", "maxUnavailable");
    const minAvailable = get(pdb.props, "spec", "minAvailable");
    if (isUnknown(maxUnavailable) || isUnknown(minAvailable)) return undefined;
    if (maxUnavailable !== undefined) {
        const allowed = scaled(maxUnavailable, replicas);
        return allowed !== undefined && allowed < 1 ? `maxUnavailable ${JSON.stringify(maxUnavailable)}` : undefined;
    }
    if (minAvailable !== undefined) {
        const required = scaled(minAvailable, replicas);
        return required !== undefined && required >= replicas
            ? `minAvailable ${JSON.stringify(minAvailable)}`
            : undefined;
    }
    return "neither minAvailable nor maxUnavailable set";
}

export function checkPdbs(objects: readonly KubeObject[], config: PdbConfig): StackViolation[] {
    const violations: StackViolation[] = [];
    const pdbs = objects.filter((o) => o.group === "policy" && o.kind === "PodDisruptionBudget");
    for (const workload of objects) {
        if (workload.group === "postgresql.cnpg.io" && workload.kind === "Cluster") {
            const instances = get(workload.props, "spec", "instances");
            if (
                typeof instances === "number" &&
                instances >= config.minReplicas &&
                get(workload.props, "spec", "enablePDB") === false
            ) {
                violations.push({
                    object: workload,
                    message: `${describe(workload)}: ${instances} instances but spec.enablePDB is false`,
                });
            }
            continue;
        }
        if (!REPLICATED.includes(`${workload.group}/${workload.kind}`) || isUnknown(workload.namespace)) continue;
        const replicas = replicasOf(workload, objects);
        if (isUnknown(replicas) || replicas < config.minReplicas) continue;
        const labels = podTemplatesOf(workload)[0]?.labels;
        if (labels === undefined || isUnknown(labels)) continue;
        const results = pdbs
            .filter((p) => p.namespace === workload.namespace || isUnknown(p.namespace))
            .map((pdb) => ({ pdb, match: matchesLabelSelector(get(pdb.props, "spec", "selector"), labels) }));
        if (results.some((r) => r.match === UNKNOWN)) continue;
        const matching = results.filter((r) => r.match === true).map((r) => r.pdb);
        if (matching.length === 0) {
            violations.push({
                object: workload,
                message: `${describe(workload)}: ${replicas} replicas but no PodDisruptionBudget selects its pods`,
            });
            continue;
        }
        for (const pdb of matching) {
            const reason = pdbBlocksDisruption(pdb, replicas);
            if (reason)
                violations.push({
                    object: workload,
                    message: `${describe(workload)}: ${describe(pdb)} allows no disruption at ${replicas} replicas (${reason})`,
                });
        }
    }
    return violations;
}

export const pdbForReplicatedWorkloads = stackPolicy<PdbConfig>({
    name: "pdb-for-replicated-workloads",
    description:
        "Replicated workloads have a PodDisruptionBudget that selects them and allows at least one disruption.",
    enforcementLevel: "advisory",
    configProperties: {
        minReplicas: {
            type: "integer",
            minimum: 2,
            default: 2,
            description: "Replica count from which a PDB is required.",
        },
    },
    defaults: PDB_DEFAULTS,
    check: (stack, config) => checkPdbs(stack.objects, config),
});
