/**
 * PostgreSQL defaults per environment (the product's reference figures: prod 500m/1Gi requests, 2000m/4Gi limits;
 * dev and staging scaled down). Stack files may override any value.
 */
import type { Environment } from "../../config/schema";
import type { ResourceSpec } from "../defaults";

const POSTGRES_RESOURCES: Record<Environment, ResourceSpec> = {
    dev: {
        requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "128Mi" },
        limits: { cpu: "1", memory: "1Gi", ephemeralStorage: "1Gi" },
    },
    staging: {
        requests: { cpu: "250m", memory: "512Mi", ephemeralStorage: "128Mi" },
        limits: { cpu: "1", memory: "2Gi", ephemeralStorage: "1Gi" },
    },
    prod: {
        requests: { cpu: "500m", memory: "1Gi", ephemeralStorage: "256Mi" },
        limits: { cpu: "2000m", memory: "4Gi", ephemeralStorage: "2Gi" },
    },
};

/** PostgreSQL instances when `postgres.instances` is unset: a primary alone in dev, HA from staging on. */
export const POSTGRES_INSTANCE_DEFAULTS = { dev: 1, staging: 2, prod: 3 } as const;

/** PgBouncer is light: a few MB per thousand client connections. */
export const POOLER_RESOURCES: ResourceSpec = {
    requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "64Mi" },
    limits: { cpu: "500m", memory: "256Mi", ephemeralStorage: "256Mi" },
};

/** The CloudNativePG operator (one controller-manager; its memory grows with the number of watched objects). */
export const OPERATOR_RESOURCES: ResourceSpec = {
    requests: { cpu: "100m", memory: "256Mi", ephemeralStorage: "64Mi" },
    limits: { cpu: "500m", memory: "512Mi", ephemeralStorage: "256Mi" },
};

/** The Barman Cloud plugin: its operator part and the sidecar it injects into every instance (WAL uploads). */
export const BARMAN_PLUGIN_RESOURCES: ResourceSpec = {
    requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "64Mi" },
    limits: { cpu: "500m", memory: "256Mi", ephemeralStorage: "256Mi" },
};
export const BARMAN_SIDECAR_RESOURCES: ResourceSpec = {
    requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "128Mi" },
    limits: { cpu: "1", memory: "512Mi", ephemeralStorage: "1Gi" },
};

export function postgresResourceDefaults(env: Environment): ResourceSpec {
    return POSTGRES_RESOURCES[env];
}

/** Operator replicas: one is enough in dev; elsewhere a standby leader keeps the webhooks answering during drains. */
export function operatorReplicaDefault(env: Environment): number {
    return env === "dev" ? 1 : 2;
}
