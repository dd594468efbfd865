import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { helmChart } from "./helm-chart";
import { withFormerTypes } from "../lib/aliases";
import { helmChartReference } from "../lib/chart-source";
import { recommendedLabels } from "../lib/labels";
import { ALLOY_RELEASE, LOKI_RELEASE, LoggingPlan } from "../lib/logging/plan";
import type { MonitoringCapability } from "../lib/topology";

export interface LoggingArgs extends Omit<LoggingPlan, "namespace"> {
    /** The logging namespace; pass the Namespace's output to order after it. */
    readonly namespace: pulumi.Input<string>;
    /** Monitoring on: Alloy's ServiceMonitor waits for the Prometheus Operator CRDs. @default undefined */
    readonly monitoring?: MonitoringCapability;
}

/**
 * Logs: Loki, the store Grafana queries, and Grafana Alloy, which tails every pod through the Kubernetes API and
 * pushes to it, with the NetworkPolicies of both.
 */
export class Logging extends pulumi.ComponentResource {
    /** Type token (permanent; a former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:logging:Logging";
    /** Tokens this component had before: none yet. */
    public static readonly FORMER_TYPES: readonly string[] = [];

    constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Logging.TYPE, name, {}, withFormerTypes(opts, Logging.FORMER_TYPES));
        helmChart(
            `${name}-loki`,
            {
                ...helmChartReference(args.lokiChart),
                releaseName: LOKI_RELEASE,
                namespace: args.namespace,
                values: args.lokiValues,
            },
            args.helm,
            { parent: this },
        );
        helmChart(
            `${name}-alloy`,
            {
                ...helmChartReference(args.alloyChart),
                releaseName: ALLOY_RELEASE,
                namespace: args.namespace,
                values: args.alloyValues,
            },
            args.helm,
            { parent: this, dependsOn: args.monitoring?.dependsOn ?? [] },
        );
        for (const policy of args.networkPolicies) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${policy.name}`,
                {
                    metadata: {
                        namespace: args.namespace,
                        labels: recommendedLabels({ name: policy.name, component: "logging" }),
                    },
                    spec: policy.spec,
                },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
