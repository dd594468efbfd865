/**
 * Helm values of the CloudNativePG operator chart and of the Barman Cloud plugin chart, as pure functions (under
 * Pulumi's mocks a `helm.v4.Chart` is one opaque resource, so these functions are what the tests can inspect).
 *
 * Checked against cloudnative-pg/charts:
 * - `cloudnative-pg` 0.29.0 ships operator 1.30.0 (Chart.yaml appVersion) and has no Helm hooks: the operator
 *   creates its webhook certificate (Secret `cnpg-webhook-cert`) at runtime and patches the caBundle of its webhook
 *   configurations itself. Under server-side apply Pulumi does not own `caBundle`, so that patch causes no diff.
 * - `plugin-barman-cloud` 0.7.0 (plugin v0.13.0) has no hooks either, but renders cert-manager objects: its
 *   Certificates can be switched off (we supply the certificates, see components/postgres.ts), its Issuer cannot
 *   in 0.7.0 (newer charts have `certificate.createIssuer`), so the component drops it with a post-renderer.
 */
import { toKubeResources, ResourceSpec } from "../defaults";

/** A chart source from config (`postgres.operatorChart`, `postgres.barmanCloudPluginChart`). */
export interface OperatorValuesArgs {
    /** Controller replicas (leader election picks one; the others keep the webhooks answering). */
    readonly replicas: number;
    readonly resources: ResourceSpec;
    /** Create the operator's PodMonitor (needs the Prometheus Operator CRDs). */
    readonly monitoringEnabled: boolean;
}

/** Operator chart values (cloudnative-pg chart 0.29.x). */
export function operatorChartValues(args: OperatorValuesArgs): Record<string, unknown> {
    if (!Number.isInteger(args.replicas) || args.replicas < 1)
        throw new Error(`postgres operator: replicas must be a positive integer, got ${args.replicas}`);
    return {
        replicaCount: args.replicas,
        // The CRDs come with the chart (rendered as Pulumi resources, ordered before the operator by helm.v4).
        crds: { create: true },
        config: {
            // One operator watches every namespace: Clusters live in the data namespace, the operator in its own.
            clusterWide: true,
        },
        webhook: {
            // Fail closed: a Cluster the webhook cannot default or validate must not be admitted.
            mutating: { create: true, failurePolicy: "Fail" },
            validating: { create: true, failurePolicy: "Fail" },
        },
        // The chart's own security contexts already meet Pod Security "restricted" (uid 10001, read-only root
        // filesystem, all capabilities dropped, RuntimeDefault seccomp); only resources are missing by default.
        resources: toKubeResources(args.resources),
        ...(args.replicas > 1
            ? {
                  topologySpreadConstraints: [
                      {
                          maxSkew: 1,
                          topologyKey: "kubernetes.io/hostname",
                          whenUnsatisfiable: "ScheduleAnyway",
                          labelSelector: { matchLabels: { "app.kubernetes.io/name": "cloudnative-pg" } },
                      },
                  ],
              }
            : {}),
        monitoring: {
            podMonitorEnabled: args.monitoringEnabled,
            // The Grafana dashboard belongs to the monitoring component.
            grafanaDashboard: { create: false },
        },
    };
}

/** Names the plugin's Service annotations point the operator at (fixed in chart 0.7.0's templates). */
export const BARMAN_PLUGIN_NAME = "barman-cloud.cloudnative-pg.io";
export const BARMAN_PLUGIN_SERVICE = "barman-cloud";
export const BARMAN_PLUGIN_SERVER_SECRET = "barman-cloud-server-tls";
export const BARMAN_PLUGIN_CLIENT_SECRET = "barman-cloud-client-tls";

export interface BarmanPluginValuesArgs {
    readonly resources: ResourceSpec;
}

/** Barman Cloud plugin chart values (plugin-barman-cloud chart 0.7.x). */
export function barmanPluginChartValues(args: BarmanPluginValuesArgs): Record<string, unknown> {
    return {
        replicaCount: 1,
        crds: { create: true },
        // The operator <-> plugin mTLS certificates come from @pulumi/tls (components/postgres.ts), so the plugin
        // works without cert-manager; `createIssuer` is honoured by newer charts only.
        certificate: { createClientCertificate: false, createServerCertificate: false, createIssuer: false },
        resources: toKubeResources(args.resources),
    };
}

/** cert-manager kinds that plugin-barman-cloud 0.7.0 renders unconditionally and we do not want. */
export const BARMAN_PLUGIN_DROPPED_KINDS: readonly string[] = ["cert-manager.io/v1/Issuer"];
