import { helmChart } from "./helm-chart";
import type { HelmRendering } from "../lib/helm";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { recommendedLabels } from "../lib/labels";
import type { RecordingRuleGroup, RuleGroup } from "../lib/monitoring/alert-rules";
import { alertmanagerConfig, AlertmanagerConfigArgs, toYaml } from "../lib/monitoring/alertmanager";
import type { MonitoringNetworkPolicy } from "../lib/monitoring/network-policies";
import type { AlertReceivers, GrafanaDashboard, MonitoringChartSettings } from "../lib/monitoring/plan";
import {
    ALERTMANAGER_CONFIG_KEY,
    GRAFANA_ADMIN_PASSWORD_KEY,
    GRAFANA_ADMIN_USER,
    GRAFANA_ADMIN_USER_KEY,
    GRAFANA_DASHBOARD_LABEL,
    GRAFANA_DASHBOARD_LABEL_VALUE,
    KPS_RELEASE_NAME,
    kubePrometheusStackValues,
} from "../lib/monitoring/values";
import { withFormerTypes } from "../lib/aliases";
import { ADAPTER_RELEASE } from "../lib/monitoring/adapter";
import { ChartSource, helmChartReference } from "../lib/chart-source";

export interface MonitoringArgs {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    /** Namespace of the stack (must exist; pass the Namespace's output so everything waits for it). */
    readonly namespace: pulumi.Input<string>;
    /** Privileged namespace of node-exporter (must exist). */
    readonly nodeMonitoringNamespace: pulumi.Input<string>;
    /** kube-prometheus-stack, pinned. */
    readonly chart: ChartSource;
    /** What installs the monitoring.coreos.com CRDs (components/monitoring-crds.ts). */
    readonly crds: pulumi.Resource;
    /** Chart settings from config (lib/monitoring/plan.ts). */
    readonly settings: MonitoringChartSettings;
    /** `spec.groups` of the stack's PrometheusRule (lib/monitoring/alert-rules.ts prometheusRuleGroups). */
    readonly ruleGroups: readonly (RuleGroup | RecordingRuleGroup)[];
    /** Alertmanager routing (lib/monitoring/alertmanager.ts); the endpoints come from `receivers`. @default {} */
    readonly alertmanager?: Omit<AlertmanagerConfigArgs, "webhookUrl" | "slackWebhookUrl" | "slackChannel">;
    /** Alert endpoints: secret values; they only ever reach the Alertmanager configuration Secret. @default {} */
    readonly receivers?: pulumi.Input<AlertReceivers>;
    /** The generated Grafana admin password (secret). */
    readonly grafanaAdminPassword: pulumi.Input<string>;
    /** Its rotation counter: a bump restarts Grafana so the new password takes effect. @default 0 */
    readonly grafanaAdminPasswordRotation?: number;
    /** Grafana dashboards (file name and JSON), one ConfigMap each: read by the plan, before anything registers. */
    readonly dashboards: readonly GrafanaDashboard[];
    /** Ingress NetworkPolicies of the monitoring pods (lib/monitoring/network-policies.ts). @default [] */
    readonly networkPolicies?: readonly MonitoringNetworkPolicy[];
    /**
     * What must exist before Prometheus pods are created: with the mesh, the sidecar injector (Prometheus gets
     * its scrape certificates from an istio-proxy). @default []
     */
    readonly prometheusDependsOn?: readonly pulumi.Resource[];
    /**
     * Prometheus Adapter chart and values (lib/monitoring/adapter.ts), when a service scales on requests per second.
     * @default none
     */
    readonly adapter?: { readonly chart: ChartSource; readonly values: Record<string, unknown> };
}

/**
 * Prometheus Operator stack (kube-prometheus-stack, rendered by helm.v4 into individual resources): Prometheus,
 * Alertmanager, Grafana with the repository's dashboards, kube-state-metrics and node-exporter, the stack's alert
 * rules. The operator's admission webhook is off (lib/monitoring/values.ts says why).
 * The prometheus-operator CRDs are a separate, earlier component (MonitoringCrds) so that every
 * monitoring.coreos.com object of the stack, and the mesh, can be ordered after them.
 */
export class Monitoring extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:monitoring:Monitoring";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:observability:Monitoring"];

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Monitoring.TYPE, name, {}, withFormerTypes(opts, Monitoring.FORMER_TYPES));
        const child = { parent: this };
        const labels = (component: string) => recommendedLabels({ name: "monitoring", instance: name, component });

        const grafanaSecret = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { namespace: args.namespace, labels: labels("grafana") },
                type: "Opaque",
                stringData: {
                    [GRAFANA_ADMIN_USER_KEY]: GRAFANA_ADMIN_USER,
                    [GRAFANA_ADMIN_PASSWORD_KEY]: pulumi.secret(args.grafanaAdminPassword),
                },
            },
            child,
        );

        // Rendered inside apply because the receiver URLs are secret; the result only goes into Secret data.
        const alertmanagerYaml = pulumi.secret(
            pulumi.output(args.receivers ?? {}).apply((r) =>
                toYaml(
                    alertmanagerConfig({
                        ...(args.alertmanager ?? {}),
                        webhookUrl: r.webhookUrl,
                        slackWebhookUrl: r.slackWebhookUrl,
                        slackChannel: r.slackChannel,
                    }),
                ),
            ),
        );
        const alertmanagerSecret = new k8s.core.v1.Secret(
            `${name}-alertmanager-config`,
            {
                metadata: { namespace: args.namespace, labels: labels("alertmanager") },
                type: "Opaque",
                stringData: { [ALERTMANAGER_CONFIG_KEY]: alertmanagerYaml },
            },
            child,
        );

        const dashboards = args.dashboards.map(
            ({ file, json }) =>
                new k8s.core.v1.ConfigMap(
                    `${name}-dashboard-${path.basename(file, ".json")}`,
                    {
                        metadata: {
                            namespace: args.namespace,
                            labels: { ...labels("grafana"), [GRAFANA_DASHBOARD_LABEL]: GRAFANA_DASHBOARD_LABEL_VALUE },
                        },
                        data: { [file]: json },
                    },
                    child,
                ),
        );

        for (const policy of args.networkPolicies ?? []) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${policy.name}`,
                {
                    metadata: { namespace: args.namespace, labels: labels(policy.name) },
                    spec: policy.spec,
                },
                child,
            );
        }

        const values = kubePrometheusStackValues({
            ...args.settings,
            namespace: args.namespace,
            nodeMonitoringNamespace: args.nodeMonitoringNamespace,
            grafanaAdminSecretName: grafanaSecret.metadata.name,
            grafanaAdminPasswordRotation: args.grafanaAdminPasswordRotation,
            alertmanagerConfigSecretName: alertmanagerSecret.metadata.name,
        });
        helmChart(
            `${name}-kube-prometheus-stack`,
            {
                ...helmChartReference(args.chart),
                releaseName: KPS_RELEASE_NAME,
                namespace: args.namespace,
                // The CRDs come from `crds`; the chart's copy must not be applied a second time.
                skipCrds: true,
                values,
            },
            args.helm,
            {
                parent: this,
                dependsOn: [
                    args.crds,
                    grafanaSecret,
                    alertmanagerSecret,
                    ...dashboards,
                    ...(args.prometheusDependsOn ?? []),
                ],
            },
        );

        if (args.adapter) {
            // Serves the custom metrics of the services' requests-per-second autoscaling from Prometheus.
            helmChart(
                `${name}-prometheus-adapter`,
                {
                    ...helmChartReference(args.adapter.chart),
                    releaseName: ADAPTER_RELEASE,
                    namespace: args.namespace,
                    values: args.adapter.values,
                },
                args.helm,
                { parent: this },
            );
        }

        new k8s.apiextensions.CustomResource(
            `${name}-rules`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { namespace: args.namespace, labels: labels("alert-rules") },
                spec: { groups: args.ruleGroups },
            },
            { parent: this, dependsOn: [args.crds] },
        );

        this.registerOutputs({});
    }
}
