import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { recommendedLabels } from "../lib/labels";
import type { RecordingRuleGroup, RuleGroup } from "../lib/monitoring/alert-rules";
import { alertmanagerConfig, AlertmanagerConfigArgs, toYaml } from "../lib/monitoring/alertmanager";
import type { MonitoringNetworkPolicy } from "../lib/monitoring/network-policies";
import type { AlertReceivers, MonitoringChartSettings } from "../lib/monitoring/plan";
import {
    ALERTMANAGER_CONFIG_KEY, ChartSourceConfig, GRAFANA_ADMIN_PASSWORD_KEY, GRAFANA_ADMIN_USER, GRAFANA_ADMIN_USER_KEY,
    GRAFANA_DASHBOARD_LABEL, GRAFANA_DASHBOARD_LABEL_VALUE, helmChartSource, KPS_RELEASE_NAME, kubePrometheusStackValues,
    OPERATOR_SERVICE_NAME, WEBHOOK_SECRET_NAME, webhookDnsNames,
} from "../lib/monitoring/values";

export interface MonitoringArgs {
    /** Namespace of the stack (must exist; pass the Namespace's output so everything waits for it). */
    readonly namespace: pulumi.Input<string>;
    /** Privileged namespace of node-exporter (must exist). */
    readonly nodeMonitoringNamespace: pulumi.Input<string>;
    /** Plain name of `namespace`, for the operator certificate's DNS names. */
    readonly namespaceName: string;
    /** @default "cluster.local" */
    readonly clusterDomain?: string;
    /** kube-prometheus-stack, pinned. */
    readonly chart: ChartSourceConfig;
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
    /** Directory of Grafana dashboards: one ConfigMap per *.json file, read at construction time. */
    readonly dashboardsDir: string;
    /** Ingress NetworkPolicies of the monitoring pods (lib/monitoring/network-policies.ts). @default [] */
    readonly networkPolicies?: readonly MonitoringNetworkPolicy[];
    /**
     * What must exist before Prometheus pods are created: with the mesh, the sidecar injector (Prometheus gets
     * its scrape certificates from an istio-proxy). @default []
     */
    readonly prometheusDependsOn?: readonly pulumi.Resource[];
    /** Validity of the operator webhook's CA. @default 87600 (10 years) */
    readonly webhookCaValidityHours?: number;
    /** Validity of the operator's serving certificate. @default 2160 (90 days) */
    readonly webhookCertificateValidityHours?: number;
    /** Renew the serving certificate (on `pulumi up`) this long before expiry. @default 720 (30 days) */
    readonly webhookCertificateEarlyRenewalHours?: number;
}

/**
 * Prometheus Operator stack (kube-prometheus-stack, rendered by helm.v4 into individual resources): Prometheus,
 * Alertmanager, Grafana with the repository's dashboards, kube-state-metrics and node-exporter, the stack's alert
 * rules, and the operator's webhook certificate (generated here: helm.v4 drops the chart's certificate hook Jobs).
 * The prometheus-operator CRDs are a separate, earlier component (MonitoringCrds) so that every
 * monitoring.coreos.com object of the stack, and the mesh, can be ordered after them.
 */
export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("stackwright:observability:Monitoring", name, {}, opts);
        const child = { parent: this };
        const labels = (component: string) => recommendedLabels({ name: "monitoring", instance: name, component });

        // The operator's serving certificate (admission webhook and metrics), in the Secret the chart mounts.
        const ecdsa = { algorithm: "ECDSA", ecdsaCurve: "P256" };
        const caKey = new tls.PrivateKey(`${name}-webhook-ca`, ecdsa, child);
        const caValidity = args.webhookCaValidityHours ?? 87600;
        const caCert = new tls.SelfSignedCert(`${name}-webhook-ca`, {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            validityPeriodHours: caValidity,
            earlyRenewalHours: Math.ceil(caValidity / 10),
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            subject: { commonName: "Stackwright prometheus-operator webhook CA", organization: "Stackwright" },
        }, child);
        const serverKey = new tls.PrivateKey(`${name}-webhook`, ecdsa, child);
        const serverCsr = new tls.CertRequest(`${name}-webhook`, {
            privateKeyPem: serverKey.privateKeyPem,
            dnsNames: webhookDnsNames(args.namespaceName, args.clusterDomain ?? "cluster.local"),
            subject: { commonName: OPERATOR_SERVICE_NAME, organization: "Stackwright" },
        }, child);
        const serverCert = new tls.LocallySignedCert(`${name}-webhook`, {
            certRequestPem: serverCsr.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: caCert.certPem,
            validityPeriodHours: args.webhookCertificateValidityHours ?? 2160,
            earlyRenewalHours: args.webhookCertificateEarlyRenewalHours ?? 720,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        }, child);
        const webhookSecret = new k8s.core.v1.Secret(`${name}-webhook-tls`, {
            // The chart's operator Deployment mounts this exact name.
            metadata: { name: WEBHOOK_SECRET_NAME, namespace: args.namespace, labels: labels("prometheus-operator") },
            type: "Opaque",
            // Keys as kube-webhook-certgen writes them: the operator reads cert/key, its ServiceMonitor ca.
            stringData: { ca: caCert.certPem, cert: serverCert.certPem, key: pulumi.secret(serverKey.privateKeyPem) },
        }, child);

        const grafanaSecret = new k8s.core.v1.Secret(`${name}-grafana-admin`, {
            metadata: { namespace: args.namespace, labels: labels("grafana") },
            type: "Opaque",
            stringData: { [GRAFANA_ADMIN_USER_KEY]: GRAFANA_ADMIN_USER, [GRAFANA_ADMIN_PASSWORD_KEY]: pulumi.secret(args.grafanaAdminPassword) },
        }, child);

        // Rendered inside apply because the receiver URLs are secret; the result only goes into Secret data.
        const alertmanagerYaml = pulumi.secret(pulumi.output(args.receivers ?? {}).apply((r) => toYaml(alertmanagerConfig({
            ...(args.alertmanager ?? {}),
            webhookUrl: r.webhookUrl,
            slackWebhookUrl: r.slackWebhookUrl,
            slackChannel: r.slackChannel,
        }))));
        const alertmanagerSecret = new k8s.core.v1.Secret(`${name}-alertmanager-config`, {
            metadata: { namespace: args.namespace, labels: labels("alertmanager") },
            type: "Opaque",
            stringData: { [ALERTMANAGER_CONFIG_KEY]: alertmanagerYaml },
        }, child);

        const dashboards = readDashboards(args.dashboardsDir).map(({ file, json }) => new k8s.core.v1.ConfigMap(`${name}-dashboard-${path.basename(file, ".json")}`, {
            metadata: {
                namespace: args.namespace,
                labels: { ...labels("grafana"), [GRAFANA_DASHBOARD_LABEL]: GRAFANA_DASHBOARD_LABEL_VALUE },
            },
            data: { [file]: json },
        }, child));

        for (const policy of args.networkPolicies ?? []) {
            new k8s.networking.v1.NetworkPolicy(`${name}-${policy.name}`, {
                metadata: { namespace: args.namespace, labels: labels(policy.name) },
                spec: policy.spec,
            }, child);
        }

        const values = kubePrometheusStackValues({
            ...args.settings,
            namespace: args.namespace,
            nodeMonitoringNamespace: args.nodeMonitoringNamespace,
            grafanaAdminSecretName: grafanaSecret.metadata.name,
            grafanaAdminPasswordRotation: args.grafanaAdminPasswordRotation,
            alertmanagerConfigSecretName: alertmanagerSecret.metadata.name,
            webhookCaBundleBase64: caCert.certPem.apply((pem) => Buffer.from(pem).toString("base64")),
            webhookCertificateChecksum: serverCert.certPem.apply((pem) => crypto.createHash("sha256").update(pem).digest("hex")),
        });
        new k8s.helm.v4.Chart(`${name}-kube-prometheus-stack`, {
            ...helmChartSource(args.chart),
            name: KPS_RELEASE_NAME,
            namespace: args.namespace,
            // The CRDs come from `crds`; the chart's copy must not be applied a second time.
            skipCrds: true,
            values,
        }, {
            parent: this,
            dependsOn: [args.crds, webhookSecret, grafanaSecret, alertmanagerSecret, ...dashboards, ...(args.prometheusDependsOn ?? [])],
        });

        new k8s.apiextensions.CustomResource(`${name}-rules`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { namespace: args.namespace, labels: labels("alert-rules") },
            spec: { groups: args.ruleGroups },
        }, { parent: this, dependsOn: [args.crds] });

        this.registerOutputs({});
    }
}

/** The dashboards of a directory, sorted by file name. Fails loudly on invalid JSON (a broken dashboard never ships). */
function readDashboards(dir: string): { file: string; json: string }[] {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    if (files.length === 0) throw new Error(`monitoring: no dashboards (*.json) in ${dir}`);
    return files.map((file) => {
        const json = fs.readFileSync(path.join(dir, file), "utf8");
        try {
            JSON.parse(json);
        } catch (err) {
            throw new Error(`monitoring: dashboard ${file} is not valid JSON: ${(err as Error).message}`);
        }
        return { file, json };
    });
}
