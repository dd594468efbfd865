/** Autoscaling and disruption budget of a service. */
import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedAutoscaling } from "./settings";

/**
 * HorizontalPodAutoscaler (autoscaling/v2) on the metrics the service set: CPU and/or memory utilisation of the
 * requests, requests per second per pod as `requestsMetric` (the custom metric the Prometheus Adapter serves for the
 * service's counter: lib/monitoring/adapter.ts) (resolveScaling puts CPU 70 % in when none is set).
 * Scale up fast (double, or +4 pods, every 15 s, no stabilisation); scale down conservatively (after the
 * stabilisation window, at most 25 % or one pod per minute, whichever is more).
 */
export function hpaSpec(deploymentName: pulumi.Input<string>, as: ResolvedAutoscaling, requestsMetric?: string) {
    const utilization = (name: string, averageUtilization: number) => ({
        type: "Resource",
        resource: { name, target: { type: "Utilization", averageUtilization } },
    });
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deploymentName },
        minReplicas: as.minReplicas,
        maxReplicas: as.maxReplicas,
        metrics: [
            ...(as.cpuUtilizationPercent !== undefined ? [utilization("cpu", as.cpuUtilizationPercent)] : []),
            ...(as.memoryUtilizationPercent !== undefined ? [utilization("memory", as.memoryUtilizationPercent)] : []),
            ...(as.requestsPerSecond !== undefined && requestsMetric !== undefined
                ? [
                      {
                          type: "Pods",
                          pods: {
                              metric: { name: requestsMetric },
                              target: { type: "AverageValue", averageValue: String(as.requestsPerSecond) },
                          },
                      },
                  ]
                : []),
        ],
        behavior: {
            scaleUp: {
                stabilizationWindowSeconds: 0,
                selectPolicy: "Max",
                policies: [
                    { type: "Percent", value: 100, periodSeconds: 15 },
                    { type: "Pods", value: 4, periodSeconds: 15 },
                ],
            },
            scaleDown: {
                stabilizationWindowSeconds: as.scaleDownStabilizationSeconds,
                selectPolicy: "Max",
                policies: [
                    { type: "Percent", value: 25, periodSeconds: 60 },
                    { type: "Pods", value: 1, periodSeconds: 60 },
                ],
            },
        },
    };
}

/**
 * One pod may be evicted at a time: a node drain always makes progress (minAvailable would block it at one
 * replica), and crash-looping pods never hold a drain hostage (AlwaysAllow).
 */
export function pdbSpec(selector: Record<string, string>) {
    return {
        maxUnavailable: 1,
        selector: { matchLabels: selector },
        unhealthyPodEvictionPolicy: "AlwaysAllow",
    };
}
