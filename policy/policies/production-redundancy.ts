/**
 * Best practice (stack), mandatory in prod: no single point of failure among the workloads Stackwright builds.
 * Its own Deployments and StatefulSets (labels part-of=stackwright, managed-by=pulumi; chart-rendered objects say
 * managed-by Helm, and the NGF chart's class-level NginxProxy is overridden by the Gateway's) run at least two replicas
 * (or an HPA minimum of two), a CloudNativePG Cluster at least two instances, an NGINX Gateway Fabric data plane
 * (NginxProxy) at least two replicas, and every namespace that holds Stackwright's Deployments has Istio sidecar
 * injection on. The stack config's prod waivers (`waivers.*`, each with a written reason) set this policy's
 * exemption annotation on the objects they accept, so the pack and the config agree.
 */
import { stackPolicy, StackViolation } from "./framework";
import { describe, KubeObject } from "./kinds";
import { replicasOf } from "./pdb-for-replicated-workloads";
import { get, isUnknown } from "./values";

const PART_OF_LABEL = "app.kubernetes.io/part-of";
const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";

export interface RedundancyConfig {
    /** Fewest replicas (or instances) a workload may run. */
    readonly minReplicas: number;
}

export const REDUNDANCY_DEFAULTS: RedundancyConfig = { minReplicas: 2 };

/** Built by Stackwright itself (chart-rendered objects may carry its part-of label, but say managed-by Helm). */
function ownedByStackwright(o: KubeObject): boolean {
    return !isUnknown(o.labels) && o.labels[PART_OF_LABEL] === "stackwright" && o.labels[MANAGED_BY_LABEL] === "pulumi";
}

export function checkRedundancy(objects: readonly KubeObject[], config: RedundancyConfig): StackViolation[] {
    const violations: StackViolation[] = [];
    const min = config.minReplicas;
    const meshedNamespaces = new Set<string>();
    const workloadNamespaces = new Set<string>();
    for (const o of objects) {
        if (
            o.group === "" &&
            o.kind === "Namespace" &&
            !isUnknown(o.labels) &&
            o.labels["istio-injection"] === "enabled" &&
            typeof o.name === "string"
        ) {
            meshedNamespaces.add(o.name);
        }
    }
    for (const o of objects) {
        if (o.group === "apps" && (o.kind === "Deployment" || o.kind === "StatefulSet") && ownedByStackwright(o)) {
            if (o.kind === "Deployment" && typeof o.namespace === "string") workloadNamespaces.add(o.namespace);
            const replicas = replicasOf(o, objects);
            if (!isUnknown(replicas) && replicas < min) {
                violations.push({
                    object: o,
                    message: `${describe(o)}: ${replicas} replica(s) is a single point of failure (at least ${min})`,
                });
            }
        } else if (o.group === "postgresql.cnpg.io" && o.kind === "Cluster" && ownedByStackwright(o)) {
            const instances = get(o.props, "spec", "instances");
            // CloudNativePG's default is one instance.
            const n = instances === undefined ? 1 : instances;
            if (typeof n === "number" && n < min)
                violations.push({
                    object: o,
                    message: `${describe(o)}: ${n} instance(s) is a single point of failure (at least ${min})`,
                });
        } else if (o.group === "gateway.nginx.org" && o.kind === "NginxProxy" && ownedByStackwright(o)) {
            const deployment = get(o.props, "spec", "kubernetes", "deployment");
            const autoscaling = get(deployment, "autoscaling");
            const autoscaled = get(autoscaling, "enable") === true;
            const n = autoscaled ? get(autoscaling, "minReplicas") : get(deployment, "replicas");
            // NGF's default data plane is one replica.
            const replicas = n === undefined ? 1 : n;
            if (deployment !== undefined && typeof replicas === "number" && replicas < min) {
                violations.push({
                    object: o,
                    message: `${describe(o)}: a data plane of ${replicas} replica(s) is a single point of failure (at least ${min})`,
                });
            }
        }
    }
    for (const o of objects) {
        if (o.group !== "" || o.kind !== "Namespace" || typeof o.name !== "string") continue;
        if (workloadNamespaces.has(o.name) && !meshedNamespaces.has(o.name)) {
            violations.push({
                object: o,
                message: `${describe(o)}: holds Stackwright's services without Istio sidecar injection (no mutual TLS between them)`,
            });
        }
    }
    return violations;
}

export const productionRedundancy = stackPolicy<RedundancyConfig>({
    name: "production-redundancy",
    description:
        "Stackwright's workloads have no single point of failure (replicas, PostgreSQL instances, edge data plane) and its services run in the mesh.",
    enforcementLevel: "advisory",
    configProperties: {
        minReplicas: {
            type: "integer",
            minimum: 2,
            default: 2,
            description: "Fewest replicas or instances a workload may run.",
        },
    },
    defaults: REDUNDANCY_DEFAULTS,
    check: (stack, config) => checkRedundancy(stack.objects, config),
});
