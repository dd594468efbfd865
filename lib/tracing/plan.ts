/**
 * Tracing: an OpenTelemetry Collector (chart 0.170.0, collector 0.158.0) that receives OTLP from the services and
 * their Istio sidecars and forwards it to Tempo (chart 2.2.4, single binary 2.10.8), the trace store Grafana reads.
 * Chart values, NetworkPolicies, the Istio provider and the services' env, as pure functions; keys follow the
 * charts' values.yaml of those versions.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { StackConfig } from "../../config/schema";
import type { ChartSource } from "../chart-source";
import { HelmRendering, helmRendering } from "../helm";
import { chartResources, computeResources } from "../defaults";
import type { ComputeResources } from "../defaults";
import { DNS_EGRESS_RULE, tcpPort } from "../namespace-specs";
import { containerSecurityContext } from "../pod-security";
import { storageClassFor } from "../storage-class";
import { PART_OF } from "../labels";
import { grafanaPods, networkPolicyPeer, PeerSelector } from "../topology";

export const COLLECTOR_RELEASE = "otel-collector";
/** The collector's ServiceAccount (created by the component, referenced by the chart). */
export const COLLECTOR_SERVICE_ACCOUNT = "otel-collector";
export const TEMPO_RELEASE = "tempo";
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;
/** Tempo's HTTP API (queries from Grafana). */
export const TEMPO_HTTP_PORT = 3200;
/** The collector's health_check extension (its probes). */
export const COLLECTOR_HEALTH_PORT = 13133;
/** The mesh's name for the collector as a tracing provider (meshConfig.extensionProviders). */
export const ISTIO_TRACING_PROVIDER = "otel-tracing";

const COLLECTOR_IMAGE = "otel/opentelemetry-collector-k8s";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** Sampling and retention per environment: every trace in dev, a sample where traffic is real. */
export const TRACING_DEFAULTS = {
    dev: { samplingPercent: 100, retentionHours: 24 },
    staging: { samplingPercent: 10, retentionHours: 72 },
    prod: { samplingPercent: 1, retentionHours: 168 },
} as const;

export const COLLECTOR_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "512Mi" },
};
export const TEMPO_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "100m", memory: "256Mi" },
    limits: { cpu: "1000m", memory: "2Gi" },
};

/** Pods of the collector and of Tempo (the charts' selector labels). */
export function collectorPods(namespace: string): PeerSelector {
    return {
        namespace,
        podLabels: {
            "app.kubernetes.io/name": "opentelemetry-collector",
            "app.kubernetes.io/instance": COLLECTOR_RELEASE,
        },
    };
}
export function tempoPods(namespace: string): PeerSelector {
    return { namespace, podLabels: { "app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": TEMPO_RELEASE } };
}

/** The collector's Service as the services and the sidecars address it. */
export function collectorHost(cfg: StackConfig): string {
    return `${COLLECTOR_RELEASE}.${cfg.namespaces.tracing}.svc.${cfg.kubernetes.clusterDomain}`;
}

export interface TracingPlan {
    readonly helm: HelmRendering;
    readonly namespace: string;
    readonly collectorChart: ChartSource;
    readonly tempoChart: ChartSource;
    readonly collectorValues: ReturnType<typeof collectorValues>;
    readonly tempoValues: ReturnType<typeof tempoValues>;
    readonly networkPolicies: readonly { readonly name: string; readonly spec: NetworkPolicySpec }[];
}

/** Sampling percentage of the stack (config, else the environment default). */
export function samplingPercent(cfg: StackConfig): number {
    return cfg.tracing.samplingPercent ?? TRACING_DEFAULTS[cfg.environment].samplingPercent;
}

/** The tracing of a stack, or undefined when `tracing.enabled` is false. */
export function tracingPlan(cfg: StackConfig): TracingPlan | undefined {
    const t = cfg.tracing;
    if (!t.enabled) return undefined;
    const namespace = cfg.namespaces.tracing;
    return {
        helm: helmRendering(cfg),
        namespace,
        collectorChart: t.collectorChart,
        tempoChart: t.tempoChart,
        collectorValues: collectorValues({
            tempoEndpoint: `${TEMPO_RELEASE}.${namespace}.svc.${cfg.kubernetes.clusterDomain}:${OTLP_GRPC_PORT}`,
            resources: computeResources(t.collectorResources, COLLECTOR_DEFAULT_RESOURCES),
        }),
        tempoValues: tempoValues({
            retentionHours: t.retentionHours ?? TRACING_DEFAULTS[cfg.environment].retentionHours,
            storageSize: t.storageSize,
            storageClass: storageClassFor(cfg, t.storageClass),
            resources: computeResources(t.tempoResources, TEMPO_DEFAULT_RESOURCES),
        }),
        networkPolicies: tracingNetworkPolicies(cfg),
    };
}

export function collectorValues(args: { tempoEndpoint: string; resources: ComputeResources }) {
    const port = (containerPort: number, appProtocol?: string) => ({
        enabled: true,
        containerPort,
        servicePort: containerPort,
        protocol: "TCP",
        ...(appProtocol ? { appProtocol } : {}),
    });
    const off = { enabled: false };
    return {
        mode: "deployment",
        fullnameOverride: COLLECTOR_RELEASE,
        image: { repository: COLLECTOR_IMAGE },
        // The whole configuration (not merged with the chart's default receivers and debug exporter).
        alternateConfig: {
            extensions: { health_check: { endpoint: `0.0.0.0:${COLLECTOR_HEALTH_PORT}` } },
            receivers: {
                otlp: {
                    protocols: {
                        grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` },
                        http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` },
                    },
                },
            },
            processors: {
                memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
                batch: {},
            },
            exporters: { otlp: { endpoint: args.tempoEndpoint, tls: { insecure: true } } },
            service: {
                extensions: ["health_check"],
                pipelines: {
                    traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp"] },
                },
            },
        },
        ports: {
            otlp: port(OTLP_GRPC_PORT, "grpc"),
            "otlp-http": port(OTLP_HTTP_PORT),
            "jaeger-compact": off,
            "jaeger-thrift": off,
            "jaeger-grpc": off,
            zipkin: off,
            metrics: off,
        },
        podSecurityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
        securityContext: containerSecurityContext(),
        // The chart's ServiceAccount cannot switch token automount off; the component creates this one (the
        // collector never calls the Kubernetes API).
        serviceAccount: { create: false, name: COLLECTOR_SERVICE_ACCOUNT, automountServiceAccountToken: false },
        resources: chartResources(args.resources),
    };
}

export function tempoValues(args: {
    retentionHours: number;
    storageSize: string;
    storageClass: string;
    resources: ComputeResources;
}) {
    return {
        fullnameOverride: TEMPO_RELEASE,
        // The chart sets neither of these recommended labels (the collector chart sets its own).
        global: { commonLabels: { "app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/component": "tracing" } },
        tempo: {
            retention: `${args.retentionHours}h`,
            reportingEnabled: false,
            // OTLP from the collector only.
            receivers: { otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` } } } },
            resources: chartResources(args.resources),
            securityContext: containerSecurityContext(),
        },
        securityContext: {
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        },
        serviceAccount: { automountServiceAccountToken: false },
        persistence: { enabled: true, size: args.storageSize, storageClassName: args.storageClass },
    };
}

/**
 * The tracing namespace's policies. Collector: OTLP in from the pods that send spans (the services, and with the
 * mesh the sidecars of every meshed namespace), out to Tempo. Tempo: OTLP from the collector, queries from Grafana.
 */
export function tracingNetworkPolicies(cfg: StackConfig): { name: string; spec: NetworkPolicySpec }[] {
    const ns = cfg.namespaces.tracing;
    const senders = [cfg.namespaces.apps, ...(cfg.mesh.enabled && cfg.edge.enabled ? [cfg.namespaces.edge] : [])];
    const collector = collectorPods(ns);
    const tempo = tempoPods(ns);
    return [
        {
            name: "collector",
            spec: {
                podSelector: { matchLabels: collector.podLabels },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    {
                        from: senders.map((n) => ({
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
                        })),
                        ports: [tcpPort(OTLP_GRPC_PORT), tcpPort(OTLP_HTTP_PORT)],
                    },
                ],
                egress: [
                    { to: [{ podSelector: { matchLabels: tempo.podLabels } }], ports: [tcpPort(OTLP_GRPC_PORT)] },
                    DNS_EGRESS_RULE,
                ],
            },
        },
        {
            name: "tempo",
            spec: {
                podSelector: { matchLabels: tempo.podLabels },
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    { from: [{ podSelector: { matchLabels: collector.podLabels } }], ports: [tcpPort(OTLP_GRPC_PORT)] },
                    ...(cfg.monitoring.enabled
                        ? [{ from: [networkPolicyPeer(grafanaPods(cfg))], ports: [tcpPort(TEMPO_HTTP_PORT)] }]
                        : []),
                ],
                egress: [DNS_EGRESS_RULE],
            },
        },
    ];
}

/** The env vars a service gets with tracing on: where to send OTLP, its name, the stack's sampling. */
export function tracingEnv(cfg: StackConfig, service: string): Record<string, string> {
    return {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://${collectorHost(cfg)}:${OTLP_HTTP_PORT}`,
        OTEL_SERVICE_NAME: service,
        // Follow the caller's (or the sidecar's) decision; sample new traces at the stack's rate.
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: String(samplingPercent(cfg) / 100),
    };
}

/** The sidecars' tracing provider (istiod meshConfig.extensionProviders entry). */
export function istioTracingProvider(cfg: StackConfig) {
    return { name: ISTIO_TRACING_PROVIDER, opentelemetry: { service: collectorHost(cfg), port: OTLP_GRPC_PORT } };
}

/** Grafana's Tempo data source (kube-prometheus-stack grafana.additionalDataSources). */
export function tempoDataSource(cfg: StackConfig) {
    return {
        name: "Tempo",
        type: "tempo",
        uid: "tempo",
        access: "proxy",
        url: `http://${TEMPO_RELEASE}.${cfg.namespaces.tracing}.svc.${cfg.kubernetes.clusterDomain}:${TEMPO_HTTP_PORT}`,
    };
}
