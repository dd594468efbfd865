import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { helmChart } from "./helm-chart";
import type { HelmRendering } from "../lib/helm";
import { ChartSource, helmChartReference } from "../lib/chart-source";
import type { ComputeResources } from "../lib/defaults";
import { recommendedLabels } from "../lib/labels";
import { withFormerTypes } from "../lib/aliases";
import {
    METRICS_SERVER_RELEASE,
    metricsServerNetworkPolicySpec,
    metricsServerValues,
} from "../lib/metrics-server/values";

export interface MetricsServerArgs {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    /** The namespace of its own (Pod Security restricted); pass the Namespace's output to order after it. */
    readonly namespace: pulumi.Input<string>;
    /** metrics-server chart, pinned. */
    readonly chart: ChartSource;
    readonly replicas: number;
    /** Skip verifying the kubelets' serving certificates (kind). */
    readonly kubeletInsecureTls: boolean;
    readonly resources: ComputeResources;
}

/**
 * The resource metrics API (`metrics.k8s.io`) for clusters without one: metrics-server from its chart, and the
 * NetworkPolicy that lets the API server reach it and it reach the kubelets. The HorizontalPodAutoscalers of the
 * services (CPU and memory utilisation) read it.
 */
export class MetricsServer extends pulumi.ComponentResource {
    /** Type token (permanent; a former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:metrics-server:MetricsServer";
    /** Tokens this component had before: none yet. */
    public static readonly FORMER_TYPES: readonly string[] = [];

    constructor(name: string, args: MetricsServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(MetricsServer.TYPE, name, {}, withFormerTypes(opts, MetricsServer.FORMER_TYPES));
        helmChart(
            `${name}-chart`,
            {
                ...helmChartReference(args.chart),
                releaseName: METRICS_SERVER_RELEASE,
                namespace: args.namespace,
                values: metricsServerValues(args),
            },
            args.helm,
            { parent: this },
        );
        new k8s.networking.v1.NetworkPolicy(
            name,
            {
                metadata: {
                    namespace: args.namespace,
                    labels: recommendedLabels({ name: "metrics-server", component: "metrics-api" }),
                },
                spec: metricsServerNetworkPolicySpec(),
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
