/**
 * A service's effective settings: its config with the environment defaults filled in (replica count or
 * autoscaling bounds, resources, probes). Pure; the AppService component and the tests both read these.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { ProbeConfig, ServiceConfig } from "../../config/schema";
import { EnvironmentDefaults, resolveResources, ResourceSpec } from "../defaults";

type Probe = k8s.types.input.core.v1.Probe;

export interface ResolvedAutoscaling {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    /** CPU utilisation target; no CPU metric when unset. */
    readonly cpuUtilizationPercent?: number;
    /** Memory utilisation target; no memory metric when unset. */
    readonly memoryUtilizationPercent?: number;
    /** Target of the custom Pods metric `http_requests_per_second` (per pod); no custom metric when unset. */
    readonly requestsPerSecond?: number;
    readonly scaleDownStabilizationSeconds: number;
}

/** The CPU target when a service sets no metric at all: CPU alone is what most services scale on. */
export const DEFAULT_CPU_UTILIZATION_PERCENT = 70;

export interface ServiceScaling {
    /** Fixed replica count; undefined when an HPA owns the Deployment (so `pulumi up` never resets its choice). */
    readonly replicas?: number;
    readonly autoscaling?: ResolvedAutoscaling;
    /** The most replicas the service can run: decides whether it gets a PodDisruptionBudget. */
    readonly maxReplicas: number;
}

/** Replica count or HPA bounds: config first, then the environment defaults. */
export function resolveScaling(svc: ServiceConfig, defaults: EnvironmentDefaults): ServiceScaling {
    const as = svc.autoscaling;
    if (!(as.enabled ?? defaults.autoscalingEnabled)) {
        const replicas = svc.replicas ?? defaults.replicas;
        return { replicas, maxReplicas: replicas };
    }
    const minReplicas = as.minReplicas ?? defaults.minReplicas;
    const maxReplicas = as.maxReplicas ?? defaults.maxReplicas;
    const noMetricSet =
        as.cpuUtilizationPercent === undefined &&
        as.memoryUtilizationPercent === undefined &&
        as.requestsPerSecond === undefined;
    const cpuUtilizationPercent = noMetricSet ? DEFAULT_CPU_UTILIZATION_PERCENT : as.cpuUtilizationPercent;
    return {
        autoscaling: {
            minReplicas,
            maxReplicas,
            ...(cpuUtilizationPercent !== undefined ? { cpuUtilizationPercent } : {}),
            ...(as.memoryUtilizationPercent !== undefined
                ? { memoryUtilizationPercent: as.memoryUtilizationPercent }
                : {}),
            ...(as.requestsPerSecond !== undefined ? { requestsPerSecond: as.requestsPerSecond } : {}),
            scaleDownStabilizationSeconds: as.scaleDownStabilizationSeconds,
        },
        maxReplicas,
    };
}

export function resolveServiceResources(svc: ServiceConfig, defaults: EnvironmentDefaults): ResourceSpec {
    return resolveResources(svc.resources, defaults.serviceResources);
}

// ---- Probes ----------------------------------------------------------------------------------------------------

interface ProbeTimings {
    readonly initialDelaySeconds: number;
    readonly periodSeconds: number;
    readonly timeoutSeconds: number;
    readonly failureThreshold: number;
}

/** The product's probe timings; the startup probe gives slow starters 30 x 10 s = 5 minutes. */
export const PROBE_DEFAULTS = {
    liveness: { path: "/health", initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    readiness: { path: "/ready", initialDelaySeconds: 5, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
    startup: { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 30 },
} as const;

interface ProbeHandler {
    readonly type: "http" | "tcp" | "exec";
    readonly path?: string;
    readonly port?: string | number;
    readonly command?: readonly string[];
}

function handlerOf(probe: ProbeConfig | undefined, fallback: ProbeHandler): ProbeHandler {
    if (probe === undefined) return fallback;
    const sameType = probe.type === fallback.type;
    return {
        type: probe.type,
        path: probe.path ?? (sameType ? fallback.path : undefined),
        port: probe.port ?? (sameType ? fallback.port : undefined),
        command: probe.command ?? (sameType ? fallback.command : undefined),
    };
}

function toProbe(
    handler: ProbeHandler,
    timings: ProbeTimings,
    probe: ProbeConfig | undefined,
    defaultPort: string | undefined,
    defaultPath: string,
): Probe {
    const port = handler.port ?? defaultPort;
    const action =
        handler.type === "exec"
            ? { exec: { command: [...(handler.command ?? [])] } }
            : handler.type === "tcp"
              ? { tcpSocket: { port: port! } }
              : { httpGet: { path: handler.path ?? defaultPath, port: port!, scheme: "HTTP" } };
    return {
        ...action,
        initialDelaySeconds: probe?.initialDelaySeconds ?? timings.initialDelaySeconds,
        periodSeconds: probe?.periodSeconds ?? timings.periodSeconds,
        timeoutSeconds: probe?.timeoutSeconds ?? timings.timeoutSeconds,
        failureThreshold: probe?.failureThreshold ?? timings.failureThreshold,
    };
}

/**
 * Liveness, readiness and startup probes. HTTP probes default to the first port (by name); the startup probe
 * checks what the liveness probe checks unless configured otherwise.
 */
export function resolveProbes(svc: ServiceConfig): {
    livenessProbe: Probe;
    readinessProbe: Probe;
    startupProbe: Probe;
} {
    const firstPort = svc.ports[0]?.name;
    const d = PROBE_DEFAULTS;
    const liveness = handlerOf(svc.probes.liveness, { type: "http", path: d.liveness.path });
    const resolvedLiveness: ProbeHandler = {
        ...liveness,
        path: liveness.path ?? (liveness.type === "http" ? d.liveness.path : undefined),
    };
    const readiness = handlerOf(svc.probes.readiness, { type: "http", path: d.readiness.path });
    const startup = handlerOf(svc.probes.startup, resolvedLiveness);
    return {
        livenessProbe: toProbe(resolvedLiveness, d.liveness, svc.probes.liveness, firstPort, d.liveness.path),
        readinessProbe: toProbe(readiness, d.readiness, svc.probes.readiness, firstPort, d.readiness.path),
        startupProbe: toProbe(
            startup,
            d.startup,
            svc.probes.startup,
            firstPort,
            resolvedLiveness.path ?? d.liveness.path,
        ),
    };
}
