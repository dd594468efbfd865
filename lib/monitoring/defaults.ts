/**
 * Requests and limits of the monitoring stack's containers. Prometheus uses the reference system's numbers
 * (the product's reference figures) unless `monitoring.resources` overrides them; the other containers are small and fixed.
 * No imports on purpose: config/rules.ts reads these to check the Prometheus override.
 */
import type { ResourceSpec } from "../defaults";

/** Prometheus server container (the product's reference figures: 500m / 1Gi requested, 2 CPUs / 4Gi limit). */
export const PROMETHEUS_DEFAULT_RESOURCES: ResourceSpec = {
    requests: { cpu: "500m", memory: "1Gi", ephemeralStorage: "64Mi" },
    limits: { cpu: "2", memory: "4Gi", ephemeralStorage: "1Gi" },
};

const spec = (
    cpu: [string, string],
    memory: [string, string],
    ephemeral: [string, string] = ["16Mi", "256Mi"],
): ResourceSpec => ({
    requests: { cpu: cpu[0], memory: memory[0], ephemeralStorage: ephemeral[0] },
    limits: { cpu: cpu[1], memory: memory[1], ephemeralStorage: ephemeral[1] },
});

/** The other containers of kube-prometheus-stack. */
export const COMPONENT_RESOURCES = {
    alertmanager: spec(["50m", "1"], ["64Mi", "256Mi"]),
    /** prometheus-config-reloader (a container in every Prometheus and Alertmanager pod). */
    configReloader: spec(["10m", "100m"], ["32Mi", "64Mi"]),
    operator: spec(["50m", "500m"], ["128Mi", "512Mi"]),
    grafana: spec(["100m", "1"], ["256Mi", "1Gi"], ["64Mi", "1Gi"]),
    /** Each Grafana sidecar (dashboards, datasources). */
    grafanaSidecar: spec(["20m", "200m"], ["64Mi", "256Mi"]),
    kubeStateMetrics: spec(["50m", "500m"], ["128Mi", "512Mi"]),
    nodeExporter: spec(["50m", "250m"], ["32Mi", "128Mi"]),
} as const;
