/**
 * Helm values of kube-prometheus-stack (and the chart source of it and of the prometheus-operator CRDs), as pure
 * data. Values that only exist once the component has created something (Secret names) come in as
 * `pulumi.Input`s; the function only places them. Each of them is known during a preview (a Secret's name is
 * assigned when the provider checks it), so `pulumi preview` renders and the policy pack judges every chart object.
 *
 * Decisions written down here because the chart cannot show them:
 * - Selection: every `*SelectorNilUsesHelmValues` is false and every selector / namespace selector is empty, so
 *   Prometheus picks up every ServiceMonitor, PodMonitor, Probe, ScrapeConfig and PrometheusRule of the cluster;
 *   no `release` label is needed anywhere (the chart's default would silently ignore unlabelled monitors).
 * - Admission webhook: off, and the operator serves its metrics over plain HTTP (`tls.enabled: false`). The
 *   webhook needs a serving certificate and its CA in the chart's values (`caBundle`); generated in the program,
 *   both are unknown during the preview that creates or renews them, and an unknown value makes the whole chart
 *   unknown: the preview would show and judge none of its objects (the real engine did exactly that). helm.v4
 *   also drops the chart's certificate hook Jobs. What the webhook adds is a rule check at admission; the
 *   operator still validates every rule it loads (and skips a broken one), and the stack's rules are checked
 *   with `promtool check rules` / `promtool test rules` in CI. Inside the mesh the metrics port is mutual TLS.
 * - node-exporter needs the host's network and PID namespaces and read-only hostPath mounts, so it can never be
 *   "restricted": it runs in its own privileged namespace and its DaemonSet carries named, reasoned exemption
 *   annotations (`policy.stackwright.io/exempt-<policy>`) via the chart's `daemonsetAnnotations`.
 * - Every container is hardened (non-root, RuntimeDefault seccomp, all capabilities dropped, read-only root
 *   filesystem) and has requests and limits, including config-reloader, Grafana's sidecars and kube-state-metrics.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ResourceSpec } from "../defaults";
import { toKubeResources } from "../defaults";
import { containerSecurityContext, podSecurityContext } from "../pod-security";
import { parseQuantity } from "../quantity";
import {
    GRAFANA_SERVICE_NAME,
    GRAFANA_SERVICE_PORT,
    ISTIO_INJECT_LABEL,
    PROMETHEUS_ISTIO_CERTS_DIR,
    PROMETHEUS_SERVICE_ACCOUNT,
} from "../topology";
import { COMPONENT_RESOURCES, PROMETHEUS_DEFAULT_RESOURCES } from "./defaults";

// ---------------------------------------------------------------------------------------------------------------
// Names the chart derives from fixed values (other objects refer to them)
// ---------------------------------------------------------------------------------------------------------------

/** Helm release name and `fullnameOverride`: every chart object name derives from it, independent of Pulumi names. */
export const KPS_RELEASE_NAME = "kube-prometheus-stack";
/** The operator's Deployment and Service. */
export const OPERATOR_SERVICE_NAME = `${KPS_RELEASE_NAME}-operator`;
/** The operator's metrics port (plain HTTP: `tls.enabled` is false). */
export const OPERATOR_METRICS_PORT = 8080;
/** Prometheus Service (port 9090) and custom resource name. */
export const PROMETHEUS_SERVICE_NAME = `${KPS_RELEASE_NAME}-prometheus`;
export const PROMETHEUS_PORT = 9090;
/** Keys of the Grafana admin Secret (`grafana.admin.userKey` / `passwordKey`). */
export const GRAFANA_ADMIN_USER_KEY = "admin-user";
export const GRAFANA_ADMIN_PASSWORD_KEY = "admin-password";
export const GRAFANA_ADMIN_USER = "admin";
/** Label the Grafana dashboard sidecar looks for on ConfigMaps. */
export const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";
export const GRAFANA_DASHBOARD_LABEL_VALUE = "1";
/** Key of the Alertmanager configuration in its Secret (what the operator reads from `configSecret`). */
export const ALERTMANAGER_CONFIG_KEY = "alertmanager.yaml";
/** Pod annotations that restart a pod when a credential or certificate it reads at start-up changes. */
export const ROTATION_ANNOTATION = "stackwright.io/credential-rotation";

// ---------------------------------------------------------------------------------------------------------------
// Chart sources
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// Istio certificates for Prometheus (Istio's "Prometheus with Istio certificates" setup)
// ---------------------------------------------------------------------------------------------------------------

/** Where the sidecar writes the workload certificates (its own mount of the shared volume). */
export const ISTIO_OUTPUT_CERTS_DIR = "/etc/istio-output-certs";
export const ISTIO_CERTS_VOLUME = "istio-certs";

/**
 * Pod metadata that gives Prometheus an istio-proxy sidecar which intercepts nothing (Prometheus stays outside
 * the mesh: no inbound or outbound redirection) and only writes its workload certificates to a shared volume.
 * The label (not the namespace) opts the pod in: the monitoring namespace carries no `istio-injection` label, and
 * Istio's object-selector webhook injects exactly the pods labelled `sidecar.istio.io/inject: "true"` in such
 * namespaces; every other monitoring pod stays without a sidecar.
 */
export function istioCertsPodMetadata(): { labels: Record<string, string>; annotations: Record<string, string> } {
    return {
        labels: { [ISTIO_INJECT_LABEL]: "true" },
        annotations: {
            [ISTIO_INJECT_LABEL]: "true",
            "traffic.sidecar.istio.io/includeInboundPorts": "",
            "traffic.sidecar.istio.io/includeOutboundIPRanges": "",
            "proxy.istio.io/config": JSON.stringify({ proxyMetadata: { OUTPUT_CERTS: ISTIO_OUTPUT_CERTS_DIR } }),
            "sidecar.istio.io/userVolumeMount": JSON.stringify([
                { name: ISTIO_CERTS_VOLUME, mountPath: ISTIO_OUTPUT_CERTS_DIR },
            ]),
        },
    };
}

// ---------------------------------------------------------------------------------------------------------------
// node-exporter exemptions
// ---------------------------------------------------------------------------------------------------------------

export const EXEMPT_ANNOTATION_PREFIX = "policy.stackwright.io/exempt-";

/** The policies node-exporter cannot meet, each with the reason (written onto its DaemonSet). */
export const NODE_EXPORTER_EXEMPTIONS: Readonly<Record<string, string>> = {
    "pss-host-namespaces":
        "node-exporter reads node metrics from the host's network and process namespaces (hostNetwork, hostPID).",
    "pss-host-path-volumes": "node-exporter mounts the host's /proc, /sys and / read-only to read node metrics.",
    "pss-volume-types": "node-exporter mounts the host's /proc, /sys and / read-only (hostPath) to read node metrics.",
    "pss-host-ports": "with hostNetwork, node-exporter's metrics port 9100 is a port on the node.",
};

export function nodeExporterExemptionAnnotations(): Record<string, string> {
    return Object.fromEntries(
        Object.entries(NODE_EXPORTER_EXEMPTIONS).map(([policy, reason]) => [
            `${EXEMPT_ANNOTATION_PREFIX}${policy}`,
            reason,
        ]),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------------

export interface KubePrometheusStackValuesArgs {
    /** Namespace of the release (Prometheus, Alertmanager, Grafana, operator, kube-state-metrics). */
    readonly namespace: pulumi.Input<string>;
    /** Privileged namespace of node-exporter. */
    readonly nodeMonitoringNamespace: pulumi.Input<string>;
    /** Prometheus retention time, e.g. "15d". */
    readonly retention: string;
    /** Prometheus volume size per replica, e.g. "20Gi". */
    readonly storageSize: string;
    /** StorageClass of the Prometheus and Alertmanager volumes. */
    readonly storageClass: string;
    /** @default "1Gi" */
    readonly alertmanagerStorageSize?: string;
    /** @default 1 */
    readonly prometheusReplicas?: number;
    /** @default 1 */
    readonly alertmanagerReplicas?: number;
    /** Prometheus container. @default PROMETHEUS_DEFAULT_RESOURCES */
    readonly prometheusResources?: ResourceSpec;
    /** @default 30 */
    readonly scrapeIntervalSeconds?: number;
    /** Prometheus scrapes meshed workloads with Istio certificates (sidecar that only writes certificates). */
    readonly meshEnabled: boolean;
    /** Public host of Grafana, e.g. "monitoring.example.com" (root_url https://<host>). */
    readonly grafanaHost: string;
    /** Grafana data sources beside Prometheus and Alertmanager (Tempo with tracing on, Loki with logging on). @default [] */
    readonly additionalDataSources?: readonly Record<string, unknown>[];
    /** Secret with the Grafana admin user and password (GRAFANA_ADMIN_*_KEY). */
    readonly grafanaAdminSecretName: pulumi.Input<string>;
    /** Rotation counter of the Grafana admin password: a bump restarts Grafana so the new password applies. @default 0 */
    readonly grafanaAdminPasswordRotation?: number;
    /** Secret with the Alertmanager configuration (key ALERTMANAGER_CONFIG_KEY). */
    readonly alertmanagerConfigSecretName: pulumi.Input<string>;
}

type Values = Record<string, any>;

const ALL_SELECTORS = ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"] as const;

/** Prometheus picks up every monitor and rule in every namespace: no label or namespace can make it miss one. */
export function selectEverything(): Values {
    const values: Values = {};
    for (const kind of ALL_SELECTORS) {
        values[`${kind}SelectorNilUsesHelmValues`] = false;
        values[`${kind}Selector`] = {};
        values[`${kind}NamespaceSelector`] = {};
    }
    return values;
}

/**
 * Prometheus size-based retention: 85 % of the volume, in whole MiB, so a full volume never stops ingestion
 * (time-based retention alone cannot know how much the disk holds). Prometheus reads "MB" as 2^20 bytes.
 */
export function retentionSizeFor(storageBytes: number): string {
    return `${Math.floor((storageBytes * 0.85) / 2 ** 20)}MB`;
}

function volumeClaim(storageClass: string, size: string) {
    return {
        volumeClaimTemplate: {
            spec: {
                storageClassName: storageClass,
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: size } },
            },
        },
    };
}

export function kubePrometheusStackValues(args: KubePrometheusStackValuesArgs): Values {
    const scrapeInterval = `${args.scrapeIntervalSeconds ?? 30}s`;
    const prometheusReplicas = args.prometheusReplicas ?? 1;
    const alertmanagerReplicas = args.alertmanagerReplicas ?? 1;
    const resources = (spec: ResourceSpec) => toKubeResources(spec);
    const hardened = () => containerSecurityContext();
    const istio = istioCertsPodMetadata();

    return {
        fullnameOverride: KPS_RELEASE_NAME,
        // The CRDs are a separate resource (prometheus-operator-crds) that everything else is ordered after.
        crds: { enabled: false },
        // The chart's Kubernetes mixin rules (cluster health) complement the stack's own rules.
        defaultRules: { create: true },

        prometheusOperator: {
            tls: { enabled: false },
            admissionWebhooks: {
                enabled: false,
                patch: { enabled: false },
                certManager: { enabled: false },
                deployment: { enabled: false },
            },
            securityContext: podSecurityContext({ runAsUser: 65534 }),
            containerSecurityContext: hardened(),
            resources: resources(COMPONENT_RESOURCES.operator),
            prometheusConfigReloader: { resources: resources(COMPONENT_RESOURCES.configReloader) },
        },

        prometheus: {
            // Meshed services authorize Prometheus by this ServiceAccount's SPIFFE identity (lib/topology).
            serviceAccount: { create: true, name: PROMETHEUS_SERVICE_ACCOUNT },
            podDisruptionBudget: { enabled: prometheusReplicas > 1, minAvailable: 1 },
            prometheusSpec: {
                ...selectEverything(),
                replicas: prometheusReplicas,
                scrapeInterval,
                evaluationInterval: scrapeInterval,
                retention: args.retention,
                retentionSize: retentionSizeFor(parseQuantity(args.storageSize)),
                storageSpec: volumeClaim(args.storageClass, args.storageSize),
                resources: resources(args.prometheusResources ?? PROMETHEUS_DEFAULT_RESOURCES),
                securityContext: podSecurityContext({ runAsUser: 1000, runAsGroup: 2000, fsGroup: 2000 }),
                enableAdminAPI: false,
                ...(args.meshEnabled
                    ? {
                          podMetadata: istio,
                          volumes: [{ name: ISTIO_CERTS_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }],
                          volumeMounts: [
                              { name: ISTIO_CERTS_VOLUME, mountPath: PROMETHEUS_ISTIO_CERTS_DIR, readOnly: true },
                          ],
                      }
                    : {}),
            },
        },

        alertmanager: {
            podDisruptionBudget: { enabled: alertmanagerReplicas > 1, minAvailable: 1 },
            alertmanagerSpec: {
                replicas: alertmanagerReplicas,
                // The configuration (with the secret receiver URLs) lives in a Secret the component creates.
                useExistingSecret: true,
                configSecret: args.alertmanagerConfigSecretName,
                storage: volumeClaim(args.storageClass, args.alertmanagerStorageSize ?? "1Gi"),
                resources: resources(COMPONENT_RESOURCES.alertmanager),
                securityContext: podSecurityContext({ runAsUser: 1000, runAsGroup: 2000, fsGroup: 2000 }),
            },
        },

        grafana: {
            fullnameOverride: GRAFANA_SERVICE_NAME,
            // kube-prometheus-stack's datasource ConfigMap adds these to its own (Prometheus, Alertmanager).
            additionalDataSources: (args.additionalDataSources ?? []).map((d) => ({ ...d })),
            service: { port: GRAFANA_SERVICE_PORT },
            // Never the chart's default credentials: the generated password, by Secret reference.
            admin: {
                existingSecret: args.grafanaAdminSecretName,
                userKey: GRAFANA_ADMIN_USER_KEY,
                passwordKey: GRAFANA_ADMIN_PASSWORD_KEY,
            },
            podAnnotations: { [ROTATION_ANNOTATION]: String(args.grafanaAdminPasswordRotation ?? 0) },
            "grafana.ini": {
                server: { domain: args.grafanaHost, root_url: `https://${args.grafanaHost}` },
                security: { cookie_secure: true, disable_gravatar: true },
                users: { allow_sign_up: false },
                "auth.anonymous": { enabled: false },
                analytics: { check_for_updates: false, reporting_enabled: false },
            },
            persistence: { enabled: false },
            // The chown init container runs as root; the data volume is an emptyDir owned via fsGroup instead.
            initChownData: { enabled: false },
            testFramework: { enabled: false },
            securityContext: podSecurityContext({ runAsUser: 472, runAsGroup: 472, fsGroup: 472 }),
            containerSecurityContext: hardened(),
            // Read-only root filesystem: Grafana still writes to /tmp and creates its log directory.
            extraEmptyDirMounts: [
                { name: "tmp", mountPath: "/tmp" },
                { name: "logs", mountPath: "/var/log/grafana" },
            ],
            resources: resources(COMPONENT_RESOURCES.grafana),
            // The sidecars read ConfigMaps of the monitoring namespace only: a Role, not a ClusterRole, and they
            // never list the namespace's Secrets (webhook key, Alertmanager receivers).
            rbac: { namespaced: true },
            sidecar: {
                resources: resources(COMPONENT_RESOURCES.grafanaSidecar),
                securityContext: hardened(),
                dashboards: {
                    enabled: true,
                    label: GRAFANA_DASHBOARD_LABEL,
                    labelValue: GRAFANA_DASHBOARD_LABEL_VALUE,
                    searchNamespace: args.namespace,
                    resource: "configmap",
                    provider: { allowUiUpdates: false },
                },
                datasources: {
                    enabled: true,
                    resource: "configmap",
                    defaultDatasourceEnabled: true,
                    isDefaultDatasource: true,
                    uid: "prometheus",
                },
            },
            serviceMonitor: { enabled: true },
        },

        // kube-state-metrics and kubelet/cAdvisor series keep their own namespace/pod labels (the alert rules and
        // dashboards rely on it): honorLabels stays true, as the chart sets it, and is pinned here.
        kubelet: { serviceMonitor: { honorLabels: true } },
        kubeStateMetrics: { enabled: true },
        "kube-state-metrics": {
            prometheus: { monitor: { http: { honorLabels: true }, metrics: { honorLabels: true } } },
            securityContext: { enabled: true, ...podSecurityContext({ runAsUser: 65534 }) },
            containerSecurityContext: hardened(),
            resources: resources(COMPONENT_RESOURCES.kubeStateMetrics),
        },

        nodeExporter: { enabled: true },
        "prometheus-node-exporter": {
            namespaceOverride: args.nodeMonitoringNamespace,
            // The exemptions sit on the DaemonSet itself, where the policy pack judges the pod template.
            daemonsetAnnotations: nodeExporterExemptionAnnotations(),
            securityContext: podSecurityContext({ runAsUser: 65534 }),
            containerSecurityContext: hardened(),
            resources: resources(COMPONENT_RESOURCES.nodeExporter),
        },
    };
}
