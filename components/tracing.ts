import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { helmChart } from "./helm-chart";
import { withFormerTypes } from "../lib/aliases";
import { helmChartReference } from "../lib/chart-source";
import { recommendedLabels } from "../lib/labels";
import { COLLECTOR_RELEASE, COLLECTOR_SERVICE_ACCOUNT, TEMPO_RELEASE, TracingPlan } from "../lib/tracing/plan";

export interface TracingArgs extends Omit<TracingPlan, "namespace"> {
    /** The tracing namespace; pass the Namespace's output to order after it. */
    readonly namespace: pulumi.Input<string>;
}

/**
 * Traces: Tempo, the store Grafana queries, and the OpenTelemetry Collector in front of it that the services and
 * the Istio sidecars send OTLP to, with the NetworkPolicies of both.
 */
export class Tracing extends pulumi.ComponentResource {
    /** Type token (permanent; a former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:tracing:Tracing";
    /** Tokens this component had before: none yet. */
    public static readonly FORMER_TYPES: readonly string[] = [];

    constructor(name: string, args: TracingArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Tracing.TYPE, name, {}, withFormerTypes(opts, Tracing.FORMER_TYPES));
        helmChart(
            `${name}-tempo`,
            {
                ...helmChartReference(args.tempoChart),
                releaseName: TEMPO_RELEASE,
                namespace: args.namespace,
                values: args.tempoValues,
            },
            args.helm,
            { parent: this },
        );
        const account = new k8s.core.v1.ServiceAccount(
            `${name}-collector`,
            {
                metadata: {
                    name: COLLECTOR_SERVICE_ACCOUNT,
                    namespace: args.namespace,
                    labels: recommendedLabels({ name: "opentelemetry-collector", component: "tracing" }),
                },
                automountServiceAccountToken: false,
            },
            { parent: this },
        );
        helmChart(
            `${name}-collector`,
            {
                ...helmChartReference(args.collectorChart),
                releaseName: COLLECTOR_RELEASE,
                namespace: args.namespace,
                values: args.collectorValues,
            },
            args.helm,
            { parent: this, dependsOn: [account] },
        );
        for (const policy of args.networkPolicies) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${policy.name}`,
                {
                    metadata: {
                        namespace: args.namespace,
                        labels: recommendedLabels({ name: policy.name, component: "tracing" }),
                    },
                    spec: policy.spec,
                },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
