import { helmChart } from "./helm-chart";
import type { HelmRendering } from "../lib/helm";
import * as pulumi from "@pulumi/pulumi";
import { ChartSourceConfig, helmChartSource } from "../lib/monitoring/values";

export interface MonitoringCrdsArgs {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    /** Namespace the chart's release lives in (the CRDs themselves are cluster-scoped). */
    readonly namespace: pulumi.Input<string>;
    /** prometheus-operator-crds, pinned. */
    readonly chart: ChartSourceConfig;
}

/**
 * The monitoring.coreos.com CRDs (prometheus-operator-crds chart), installed on their own and first: every
 * ServiceMonitor, PodMonitor and PrometheusRule of the stack (mesh, data stores, services, edge, monitoring)
 * depends on `crds`, and Prometheus itself can then wait for the mesh without a cycle.
 */
export class MonitoringCrds extends pulumi.ComponentResource {
    /** `dependsOn` this for any monitoring.coreos.com custom resource. */
    public readonly crds: pulumi.Resource;

    constructor(name: string, args: MonitoringCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stackwright:observability:MonitoringCrds", name, {}, opts);
        this.crds = helmChart(
            `${name}-operator-crds`,
            {
                ...helmChartSource(args.chart),
                releaseName: "prometheus-operator-crds",
                namespace: args.namespace,
            },
            args.helm,
            { parent: this },
        );
        this.registerOutputs({});
    }
}
