/**
 * Stack policy: a custom resource (any API group Kubernetes does not serve itself) depends on whatever installs
 * its CustomResourceDefinition, so Pulumi creates the CRD first. Accepted installers, searched among the
 * resource's transitive dependencies and its parent chain's dependencies (dependencies on a component count as
 * dependencies on everything inside it):
 *   - a CustomResourceDefinition of the same group;
 *   - a resource matching `installers`: the first entry whose type, Pulumi name and chart match decides which
 *     groups the resource installs (none listed = any group). Defaults know which groups the charts Stackwright
 *     uses install (Istio base, CloudNativePG, kube-prometheus-stack, cert-manager, NGINX Gateway Fabric) and that
 *     istiod/cni/gateway/ztunnel install none; other charts, yaml ConfigFile/ConfigGroup and kustomize Directory
 *     are opaque and count for any group.
 * A custom resource rendered by a chart or manifest that installs its group (its parent chain) is ordered by it.
 */
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { stackPolicy, StackNode, StackView, StackViolation, stringList } from "./framework";
import { describe, isCustomResourceType } from "./kinds";
import { get, globMatch } from "./values";

export const CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

export interface Installer {
    /** Pulumi type token; `*` is a wildcard. */
    readonly type: string;
    /** Pulumi resource name glob; any when omitted. */
    readonly name?: string;
    /** Chart name glob (last segment of the chart's `chart` input); any when omitted. */
    readonly chart?: string;
    /** API groups it installs; any when omitted, none when empty. */
    readonly groups?: readonly string[];
}

export interface CrdDependencyConfig {
    readonly installers: readonly Installer[];
    /** Groups whose CRDs the cluster already has (installed outside this stack). */
    readonly preinstalledGroups: readonly string[];
}

const HELM_V4 = "kubernetes:helm.sh/v4:Chart";
const ISTIO_GROUPS = ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"];

export const CRD_DEPENDENCY_DEFAULTS: CrdDependencyConfig = {
    installers: [
        { type: "kubernetes:helm.sh/*", chart: "base", groups: ISTIO_GROUPS },
        ...["istiod", "cni", "gateway", "ztunnel"].map((chart) => ({
            type: "kubernetes:helm.sh/*",
            chart,
            groups: [],
        })),
        { type: "kubernetes:helm.sh/*", chart: "cloudnative-pg", groups: ["postgresql.cnpg.io"] },
        { type: "kubernetes:helm.sh/*", chart: "kube-prometheus-stack", groups: ["monitoring.coreos.com"] },
        { type: "kubernetes:helm.sh/*", chart: "prometheus-operator-crds", groups: ["monitoring.coreos.com"] },
        { type: "kubernetes:helm.sh/*", chart: "cert-manager", groups: ["cert-manager.io", "acme.cert-manager.io"] },
        { type: "kubernetes:helm.sh/*", chart: "nginx-gateway-fabric", groups: ["gateway.nginx.org"] },
        ...[
            HELM_V4,
            "kubernetes:helm.sh/v3:Chart",
            "kubernetes:helm.sh/v3:Release",
            "kubernetes:yaml/v2:ConfigFile",
            "kubernetes:yaml/v2:ConfigGroup",
            "kubernetes:yaml:ConfigFile",
            "kubernetes:yaml:ConfigGroup",
            "kubernetes:kustomize/v2:Directory",
            "kubernetes:kustomize:Directory",
        ].map((type) => ({ type })),
    ],
    preinstalledGroups: [],
};

const INSTALLER_SCHEMA: PolicyConfigJSONSchema = {
    type: "array",
    description:
        "Resources that install CRDs (besides CustomResourceDefinitions of the same group); first match decides.",
    default: CRD_DEPENDENCY_DEFAULTS.installers.map((i) => ({ ...i })),
    items: {
        type: "object",
        required: ["type"],
        additionalProperties: false,
        properties: {
            type: { type: "string", minLength: 1 },
            name: { type: "string", minLength: 1 },
            chart: { type: "string", minLength: 1 },
            groups: { type: "array", items: { type: "string" } },
        },
    },
};

/** "oci://ghcr.io/nginx/charts/nginx-gateway-fabric" -> "nginx-gateway-fabric"; "istio/base" -> "base". */
function chartName(node: StackNode): string | undefined {
    const chart = get(node.props, "chart");
    if (typeof chart !== "string") return undefined;
    return chart.slice(chart.lastIndexOf("/") + 1) || undefined;
}

function installs(node: StackNode, group: string, config: CrdDependencyConfig): boolean {
    if (node.type === CRD_TYPE) {
        const crdGroup = get(node.object?.props, "spec", "group");
        return crdGroup === group || typeof crdGroup !== "string";
    }
    const chart = chartName(node);
    const entry = config.installers.find(
        (i) =>
            globMatch(i.type, node.type) &&
            (i.name === undefined || globMatch(i.name, node.name)) &&
            (i.chart === undefined || (chart !== undefined && globMatch(i.chart, chart))),
    );
    return entry !== undefined && (entry.groups === undefined || entry.groups.includes(group));
}

function ancestors(stack: StackView, node: StackNode): StackNode[] {
    const out: StackNode[] = [];
    const seen = new Set<string>();
    let current = node.parent ? stack.byUrn.get(node.parent) : undefined;
    while (current && !seen.has(current.urn)) {
        seen.add(current.urn);
        out.push(current);
        current = current.parent ? stack.byUrn.get(current.parent) : undefined;
    }
    return out;
}

function descendants(stack: StackView, node: StackNode): StackNode[] {
    const out: StackNode[] = [];
    const frontier = [node.urn];
    while (frontier.length > 0) {
        const parent = frontier.pop()!;
        for (const n of stack.nodes)
            if (n.parent === parent && !out.includes(n)) {
                out.push(n);
                frontier.push(n.urn);
            }
    }
    return out;
}

/** Whether some installer for `group` is reachable from `node` through dependencies. */
export function hasInstaller(stack: StackView, node: StackNode, group: string, config: CrdDependencyConfig): boolean {
    if (ancestors(stack, node).some((a) => a.type !== CRD_TYPE && installs(a, group, config))) return true;
    const seen = new Set<string>();
    const queue: string[] = [];
    const enqueueDepsOf = (n: StackNode) => {
        for (const carrier of [n, ...ancestors(stack, n)]) queue.push(...carrier.dependencies);
    };
    enqueueDepsOf(node);
    while (queue.length > 0) {
        const urn = queue.shift()!;
        if (seen.has(urn)) continue;
        seen.add(urn);
        const dep = stack.byUrn.get(urn);
        if (!dep) continue;
        if (installs(dep, group, config)) return true;
        enqueueDepsOf(dep);
        // A dependency on a component is a dependency on everything it contains.
        if (dep.object === undefined) {
            for (const child of descendants(stack, dep)) {
                if (installs(child, group, config)) return true;
                queue.push(child.urn);
            }
        }
    }
    return false;
}

export function checkCrdDependencies(stack: StackView, config: CrdDependencyConfig): StackViolation[] {
    const violations: StackViolation[] = [];
    for (const node of stack.nodes) {
        const o = node.object;
        if (!o || !isCustomResourceType(node.type) || config.preinstalledGroups.includes(o.group)) continue;
        if (hasInstaller(stack, node, o.group, config)) continue;
        violations.push({
            object: o,
            message: `${describe(o)}: depends on nothing that installs the ${o.group} CRDs (add dependsOn on the CRD, chart or manifest that installs them)`,
        });
    }
    return violations;
}

export const customResourcesDependOnCrds = stackPolicy<CrdDependencyConfig>({
    name: "custom-resources-depend-on-crds",
    description: "Custom resources depend on the resource that installs their CustomResourceDefinition.",
    enforcementLevel: "mandatory",
    configProperties: {
        installers: INSTALLER_SCHEMA,
        preinstalledGroups: stringList("API groups whose CRDs are installed outside this stack."),
    },
    defaults: CRD_DEPENDENCY_DEFAULTS,
    check: (stack, config) => checkCrdDependencies(stack, config),
});
