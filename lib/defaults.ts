/**
 * Per-environment defaults (the product's reference figures): what a value falls back to when the stack file does not set it.
 * Dev is scaled down; staging is prod-like but smaller; prod uses the reference system's numbers.
 */
import type { Environment, ResourcesConfig } from "../config/schema";

export interface ResourceSpec {
    readonly requests: { cpu: string; memory: string; ephemeralStorage: string };
    readonly limits: { cpu: string; memory: string; ephemeralStorage: string };
}

export interface EnvironmentDefaults {
    readonly replicas: number;
    readonly autoscalingEnabled: boolean;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly serviceResources: ResourceSpec;
    readonly zoneSpreadRequired: boolean;
    readonly storageClass: string;
    readonly quota: {
        requestsCpu: string;
        requestsMemory: string;
        limitsCpu: string;
        limitsMemory: string;
        pods: number;
        persistentVolumeClaims: number;
    };
    readonly limitRange: {
        defaultRequestCpu: string;
        defaultRequestMemory: string;
        defaultLimitCpu: string;
        defaultLimitMemory: string;
        maxCpu: string;
        maxMemory: string;
    };
}

const DEFAULTS: Record<Environment, EnvironmentDefaults> = {
    dev: {
        replicas: 1,
        autoscalingEnabled: false,
        minReplicas: 1,
        maxReplicas: 2,
        serviceResources: {
            requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "64Mi" },
            limits: { cpu: "250m", memory: "256Mi", ephemeralStorage: "512Mi" },
        },
        zoneSpreadRequired: false,
        storageClass: "standard",
        quota: {
            requestsCpu: "4",
            requestsMemory: "8Gi",
            limitsCpu: "8",
            limitsMemory: "16Gi",
            pods: 50,
            persistentVolumeClaims: 10,
        },
        limitRange: {
            defaultRequestCpu: "50m",
            defaultRequestMemory: "64Mi",
            defaultLimitCpu: "250m",
            defaultLimitMemory: "256Mi",
            maxCpu: "2",
            maxMemory: "4Gi",
        },
    },
    staging: {
        replicas: 2,
        autoscalingEnabled: true,
        minReplicas: 2,
        maxReplicas: 10,
        serviceResources: {
            requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "128Mi" },
            limits: { cpu: "500m", memory: "512Mi", ephemeralStorage: "1Gi" },
        },
        zoneSpreadRequired: false,
        storageClass: "standard",
        quota: {
            requestsCpu: "16",
            requestsMemory: "32Gi",
            limitsCpu: "48",
            limitsMemory: "96Gi",
            pods: 200,
            persistentVolumeClaims: 20,
        },
        limitRange: {
            defaultRequestCpu: "100m",
            defaultRequestMemory: "128Mi",
            defaultLimitCpu: "500m",
            defaultLimitMemory: "512Mi",
            maxCpu: "4",
            maxMemory: "8Gi",
        },
    },
    prod: {
        replicas: 3,
        autoscalingEnabled: true,
        minReplicas: 3,
        maxReplicas: 20,
        serviceResources: {
            requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "128Mi" },
            limits: { cpu: "500m", memory: "512Mi", ephemeralStorage: "1Gi" },
        },
        zoneSpreadRequired: true,
        storageClass: "fast-ssd",
        quota: {
            requestsCpu: "64",
            requestsMemory: "128Gi",
            limitsCpu: "192",
            limitsMemory: "384Gi",
            pods: 500,
            persistentVolumeClaims: 50,
        },
        limitRange: {
            defaultRequestCpu: "100m",
            defaultRequestMemory: "128Mi",
            defaultLimitCpu: "500m",
            defaultLimitMemory: "512Mi",
            maxCpu: "8",
            maxMemory: "16Gi",
        },
    },
};

export function environmentDefaults(env: Environment): EnvironmentDefaults {
    return DEFAULTS[env];
}

/** Fills unset request/limit fields from a default spec. */
export function resolveResources(config: ResourcesConfig | undefined, fallback: ResourceSpec): ResourceSpec {
    return {
        requests: { ...fallback.requests, ...definedOnly(config?.requests ?? {}) },
        limits: { ...fallback.limits, ...definedOnly(config?.limits ?? {}) },
    };
}

/** The fields of an object that are set, so that spreading it over defaults keeps the defaults for the rest. */
export function definedOnly<T extends object>(value: T): Partial<T> {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Kubernetes `resources` block from a resolved spec. */
export function toKubeResources(spec: ResourceSpec): {
    requests: Record<string, string>;
    limits: Record<string, string>;
} {
    const convert = (r: ResourceSpec["requests"]) => ({
        cpu: r.cpu,
        memory: r.memory,
        "ephemeral-storage": r.ephemeralStorage,
    });
    return { requests: convert(spec.requests), limits: convert(spec.limits) };
}

/** Requests and limits of a chart container whose values take cpu and memory only. */
export interface ComputeResources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

/** Config resources over fallback values (cpu and memory only; the charts set no ephemeral storage). */
export function computeResources(config: ResourcesConfig | undefined, fallback: ComputeResources): ComputeResources {
    return {
        requests: {
            cpu: config?.requests?.cpu ?? fallback.requests.cpu,
            memory: config?.requests?.memory ?? fallback.requests.memory,
        },
        limits: {
            cpu: config?.limits?.cpu ?? fallback.limits.cpu,
            memory: config?.limits?.memory ?? fallback.limits.memory,
        },
    };
}

/** A chart container's resources as values (a copy: chart values must not share objects with config). */
export function chartResources(r: ComputeResources) {
    return {
        requests: { cpu: r.requests.cpu, memory: r.requests.memory },
        limits: { cpu: r.limits.cpu, memory: r.limits.memory },
    };
}

/**
 * Chart values of a replicated add-on (charts with `podDisruptionBudget` and `topologySpreadConstraints` keys, as
 * metrics-server's and the Prometheus Adapter's): from two replicas one pod at a time through a drain, and the
 * replicas spread over nodes (best effort), so the API they serve survives both.
 */
export function replicatedChartValues(replicas: number, podLabels: Readonly<Record<string, string>>) {
    if (replicas < 2) return { podDisruptionBudget: { enabled: false } };
    return {
        podDisruptionBudget: { enabled: true, maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" },
        topologySpreadConstraints: [
            {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { ...podLabels } },
            },
        ],
    };
}
