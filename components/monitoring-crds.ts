import { helmChart } from "./helm-chart";
import type { HelmRendering } from "../lib/helm";
import * as pulumi from "@pulumi/pulumi";

import { withFormerTypes } from "../lib/aliases";
import { ChartSource, helmChartReference } from "../lib/chart-source";

export interface MonitoringCrdsArgs {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    /** Namespace the chart's release lives in (the CRDs themselves are cluster-scoped). */
    readonly namespace: pulumi.Input<string>;
    /** prometheus-operator-crds, pinned. */
    readonly chart: ChartSource;
}

/**
 * The monitoring.coreos.com CRDs (prometheus-operator-crds chart), installed on their own and first: every
 * ServiceMonitor, PodMonitor and PrometheusRule of the stack (mesh, data stores, services, edge, monitoring)
 * depends on `crds`, and Prometheus itself can then wait for the mesh without a cycle.
 */
export class MonitoringCrds extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:monitoring:MonitoringCrds";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:observability:MonitoringCrds"];

    /** `dependsOn` this for any monitoring.coreos.com custom resource. */
    public readonly crds: pulumi.Resource;

    constructor(name: string, args: MonitoringCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MonitoringCrds.TYPE, name, {}, withFormerTypes(opts, MonitoringCrds.FORMER_TYPES));
        this.crds = helmChart(
            `${name}-operator-crds`,
            {
                ...helmChartReference(args.chart),
                releaseName: "prometheus-operator-crds",
                namespace: args.namespace,
            },
            args.helm,
            { parent: this },
        );
        this.registerOutputs({ crds: this.crds });
    }
}
