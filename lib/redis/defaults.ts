/**
 * Valkey defaults per environment (the product's reference figures: prod 100m/256Mi requests, 500m/1Gi limits; dev
 * scaled down). Stack files may override any value.
 */
import type { Environment } from "../../config/schema";
import type { ResourceSpec } from "../defaults";

const REDIS_RESOURCES: Record<Environment, ResourceSpec> = {
    dev: {
        requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "64Mi" },
        limits: { cpu: "250m", memory: "256Mi", ephemeralStorage: "256Mi" },
    },
    staging: {
        requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "64Mi" },
        limits: { cpu: "500m", memory: "1Gi", ephemeralStorage: "256Mi" },
    },
    prod: {
        requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "64Mi" },
        limits: { cpu: "500m", memory: "1Gi", ephemeralStorage: "256Mi" },
    },
};

/** Sentinel keeps a few KB of state per monitored primary. */
export const SENTINEL_RESOURCES: ResourceSpec = {
    requests: { cpu: "25m", memory: "32Mi", ephemeralStorage: "32Mi" },
    limits: { cpu: "200m", memory: "128Mi", ephemeralStorage: "128Mi" },
};

/** redis_exporter sidecar. */
export const EXPORTER_RESOURCES: ResourceSpec = {
    requests: { cpu: "10m", memory: "32Mi", ephemeralStorage: "16Mi" },
    limits: { cpu: "100m", memory: "64Mi", ephemeralStorage: "64Mi" },
};

export function redisResourceDefaults(env: Environment): ResourceSpec {
    return REDIS_RESOURCES[env];
}
