/**
 * Requests per second as an autoscaling metric: which counter each service's rate comes from, the custom metric
 * name its HorizontalPodAutoscaler asks for, and the Prometheus Adapter (chart 5.3.0, adapter v0.12.0) rules that
 * serve exactly those metrics from Prometheus. The adapter is installed only when a service scales on requests
 * per second: an HPA metric that nothing serves stops the autoscaler from scaling down. Pure.
 */
import type { ServiceConfig, StackConfig } from "../../config/schema";
import { chartResources, ComputeResources, replicatedChartValues } from "../defaults";
import { PROMETHEUS_PORT, PROMETHEUS_SERVICE_NAME } from "./values";

/** Envoy's request counter, per pod via the mesh's PodMonitor; `reporter="destination"` counts what a pod served. */
export const ISTIO_REQUESTS_COUNTER = "istio_requests_total";

/** The Helm release; the chart names its objects after it. */
export const ADAPTER_RELEASE = "prometheus-adapter";
/** The adapter's secure port (chart `listenPort`): the API server calls it for custom.metrics.k8s.io. */
export const ADAPTER_PORT = 6443;

export const ADAPTER_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "50m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "512Mi" },
};

/** Where a service's request rate comes from. */
export interface RequestRateSource {
    /** The counter (a Prometheus metric ending in `_total`). */
    readonly counter: string;
    /** Label matchers every series of the rate must carry besides namespace and pod (Envoy: the server side). */
    readonly extraMatchers: string;
    /** The custom metric the HPA asks for: the counter with `_total` as `_per_second`. */
    readonly metric: string;
}

/** The custom metric served for a counter: `http_requests_total` -> `http_requests_per_second`. */
export function perSecondMetric(counter: string): string {
    return counter.replace(/_total$/, "_per_second");
}

/**
 * The source of a service's request rate: the counter it declares (`metrics.requestsTotalMetric`), else Envoy's
 * when the mesh counts its requests. Undefined when the service does not scale on requests or nothing counts them
 * (the config rules refuse that).
 */
export function requestRateSource(svc: ServiceConfig, meshEnabled: boolean): RequestRateSource | undefined {
    if (svc.autoscaling.requestsPerSecond === undefined) return undefined;
    const counter = svc.metrics?.requestsTotalMetric ?? (meshEnabled ? ISTIO_REQUESTS_COUNTER : undefined);
    if (counter === undefined) return undefined;
    return {
        counter,
        extraMatchers: counter === ISTIO_REQUESTS_COUNTER ? 'reporter="destination"' : "",
        metric: perSecondMetric(counter),
    };
}

/** One Prometheus Adapter rule (the adapter's config.yaml `rules` entry). */
export interface AdapterRule {
    readonly seriesQuery: string;
    readonly resources: { readonly overrides: Record<string, { readonly resource: string }> };
    readonly name: { readonly matches: string; readonly as: string };
    readonly metricsQuery: string;
}

/**
 * The rules serving every metric the stack's HPAs ask for: one per counter, the per-pod rate over a window of at
 * least four scrapes (two minutes at the default 30 s).
 */
export function adapterRules(cfg: StackConfig): AdapterRule[] {
    const windows = new Map<string, { source: RequestRateSource; windowSeconds: number }>();
    for (const svc of Object.values(cfg.services)) {
        const source = requestRateSource(svc, cfg.mesh.enabled);
        if (!source) continue;
        const interval =
            source.counter === ISTIO_REQUESTS_COUNTER
                ? cfg.monitoring.scrapeIntervalSeconds
                : (svc.metrics?.intervalSeconds ?? cfg.monitoring.scrapeIntervalSeconds);
        const windowSeconds = Math.max(120, 4 * interval);
        const known = windows.get(source.counter);
        windows.set(source.counter, { source, windowSeconds: Math.max(windowSeconds, known?.windowSeconds ?? 0) });
    }
    return [...windows.values()]
        .sort((a, b) => a.source.counter.localeCompare(b.source.counter))
        .map(({ source, windowSeconds }) => {
            const extra = source.extraMatchers ? `,${source.extraMatchers}` : "";
            return {
                seriesQuery: `${source.counter}{namespace!="",pod!=""${extra}}`,
                resources: { overrides: { namespace: { resource: "namespace" }, pod: { resource: "pod" } } },
                name: { matches: `^${source.counter}$`, as: source.metric },
                metricsQuery: `sum(rate(<<.Series>>{<<.LabelMatchers>>${extra}}[${windowSeconds}s])) by (<<.GroupBy>>)`,
            };
        });
}

export interface AdapterValuesArgs {
    readonly namespace: string;
    readonly replicas: number;
    readonly resources: ComputeResources;
    readonly rules: readonly AdapterRule[];
}

export function prometheusAdapterValues(args: AdapterValuesArgs) {
    return {
        replicas: args.replicas,
        // No customLabels: the chart already sets app.kubernetes.io/part-of (to its own name), and a second one is a
        // duplicate YAML key Helm's output cannot be parsed with.
        prometheus: {
            url: `http://${PROMETHEUS_SERVICE_NAME}.${args.namespace}.svc`,
            port: PROMETHEUS_PORT,
        },
        // Only the stack's rules: the chart's defaults would offer metrics no HPA here asks for.
        rules: { default: false, custom: args.rules.map((r) => ({ ...r })) },
        resources: chartResources(args.resources),
        ...replicatedChartValues(args.replicas, adapterSelector()),
    };
}

/** The adapter pods' labels (the chart's selector labels). */
export function adapterSelector(): Record<string, string> {
    return { "app.kubernetes.io/name": "prometheus-adapter", "app.kubernetes.io/instance": ADAPTER_RELEASE };
}
