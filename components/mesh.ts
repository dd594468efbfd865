import { helmChart } from "./helm-chart";
import type { HelmRendering } from "../lib/helm";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { MeshObject } from "../lib/mesh/policies";

import { withFormerTypes } from "../lib/aliases";
import type { MonitoringCapability } from "../lib/topology";
import { IstioChartSource, istioChartReference } from "../lib/chart-source";

export interface MeshArgs {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    /** Namespace of istiod and the mesh root namespace (must exist). */
    readonly istioNamespace: string;
    /** Namespace of the Istio CNI node agent (must exist; Pod Security "privileged"). */
    readonly cniNamespace: string;
    /** Source of the base, istiod and cni charts: one repository and version (pinned) for all three. */
    readonly chart: IstioChartSource;
    /** Helm values of each chart (lib/mesh/values.ts). */
    readonly baseValues: Record<string, unknown>;
    readonly istiodValues: Record<string, unknown>;
    readonly cniValues: Record<string, unknown>;
    /** Istio custom resources to create once Istio runs (lib/mesh/policies.ts istioObjects). */
    readonly istioObjects: readonly MeshObject[];
    /** PodMonitor / ServiceMonitor objects; they need the Prometheus Operator CRDs. @default [] */
    readonly monitors?: readonly MeshObject[];
    /** Monitoring on: the monitors are created, after the Prometheus Operator CRDs. Absent: none. */
    readonly monitoring?: MonitoringCapability;
}

/**
 * Istio in sidecar mode: charts base -> istiod -> cni (in that order), mesh-wide STRICT mutual TLS, per-service
 * traffic and authorization policy, and the monitors for the control plane and the proxies.
 */
export class Mesh extends pulumi.ComponentResource {
    /** Type token (permanent). */
    public static readonly TYPE = "stackwright:mesh:Mesh";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = [];

    /** Installed and running control plane; workloads that need sidecars depend on these. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Mesh.TYPE, name, {}, withFormerTypes(opts, Mesh.FORMER_TYPES));

        // CRDs and the default validating webhook.
        const base = helmChart(
            `${name}-istio-base`,
            {
                ...istioChartReference(args.chart, "base"),
                releaseName: "istio-base",
                namespace: args.istioNamespace,
                values: args.baseValues,
            },
            args.helm,
            { parent: this },
        );
        const istiod = helmChart(
            `${name}-istiod`,
            {
                ...istioChartReference(args.chart, "istiod"),
                releaseName: "istiod",
                namespace: args.istioNamespace,
                values: args.istiodValues,
            },
            args.helm,
            { parent: this, dependsOn: [base] },
        );
        const cni = helmChart(
            `${name}-istio-cni`,
            {
                ...istioChartReference(args.chart, "cni"),
                releaseName: "istio-cni",
                namespace: args.cniNamespace,
                values: args.cniValues,
            },
            args.helm,
            { parent: this, dependsOn: [base, istiod] },
        );

        // Istio objects need the CRDs (base) and, because the validating webhook fails closed, a running istiod.
        const afterIstio = { parent: this, dependsOn: [base, istiod] };
        for (const o of args.istioObjects) {
            new k8s.apiextensions.CustomResource(`${name}-${o.resourceName}`, toCustomResource(o), afterIstio);
        }
        for (const o of args.monitoring ? (args.monitors ?? []) : []) {
            new k8s.apiextensions.CustomResource(`${name}-${o.resourceName}`, toCustomResource(o), {
                parent: this,
                dependsOn: [istiod, ...(args.monitoring?.dependsOn ?? [])],
            });
        }

        this.ready = [base, istiod, cni];
        this.registerOutputs({ ready: this.ready });
    }
}

function toCustomResource(o: MeshObject): k8s.apiextensions.CustomResourceArgs {
    return { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec };
}
