/** From the validated stack config to each AppService's args (pure; index.ts only wires). */
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig, StackConfig } from "../../config/schema";
import { environmentDefaults, EnvironmentDefaults } from "../defaults";
import { callersOf, MonitoringCapability } from "../topology";
import { requestRateSource } from "../monitoring/adapter";
import { tracingEnv } from "../tracing/plan";
import { serviceTraffic, ServiceTraffic } from "./network";

/** What one AppService needs from config, every default resolved. */
export interface AppServicePlan {
    /** The service's validated config (`services.<name>`); the component's name is the service key. */
    readonly service: ServiceConfig;
    /** Environment defaults: replicas, autoscaling bounds, resources, zone spreading (lib/defaults.ts). */
    readonly defaults: EnvironmentDefaults;
    /** Allowed traffic in and out (lib/service/network.ts serviceTraffic). */
    readonly traffic: ServiceTraffic;
    /** Sidecar mesh on: metrics are scraped over mTLS (the namespace's injection label gives the pods sidecars). */
    readonly meshEnabled: boolean;
    /**
     * The custom metric of `autoscaling.requestsPerSecond` (served by the Prometheus Adapter, lib/monitoring/adapter.ts).
     * @default none (no requests-per-second scaling)
     */
    readonly requestsPerSecondMetric?: string;
    /** Tracing on: env vars telling the service's OpenTelemetry SDK where to send spans. @default none */
    readonly tracingEnv?: Readonly<Record<string, string>>;
    /** Prod waiver for running one replica: its written reason, set on the Deployment (lib/waivers.ts). @default none */
    readonly singleReplicaWaiver?: string;
}

/** What an AppService takes from other components. */
export interface AppServiceWiring {
    /** Namespace of every object (the application namespace); pass the Namespace's output to order after it. */
    readonly namespace: pulumi.Input<string>;
    /** Monitoring on: a ServiceMonitor (after the CRDs) when the service exposes metrics. Absent: none. */
    readonly monitoring?: MonitoringCapability;
    /** GeneratedSecrets.appCredentialsSecretName: source of `secretEnv`. */
    readonly appCredentialsSecretName: pulumi.Input<string>;
    /** GeneratedSecrets.rotation: counters of the credentials the service uses go onto the pod template. */
    readonly credentialRotation: Readonly<Record<string, number>>;
    /** A generated secret (GeneratedSecrets.credentials.encryptionKey) that keys the digest of `secretValues`. */
    readonly secretValuesDigestKey: pulumi.Input<string>;
    /** Connection Secret of the service's database (keys per DATABASE_SECRET_ENV); no database env when unset. */
    readonly databaseSecretName?: pulumi.Input<string>;
    /** Redis client Secret (keys per REDIS_SECRET_ENV); no Redis env when unset. */
    readonly redisSecretName?: pulumi.Input<string>;
    /**
     * What the migration Job waits for: the service's database (Postgres.databaseReady), so that on a fresh stack
     * the migration does not run before CloudNativePG has bootstrapped the cluster and created the database.
     * @default []
     */
    readonly migrationDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** An AppService's args: its plan plus its wiring. */
export interface AppServiceArgs extends AppServicePlan, AppServiceWiring {}

/** The plan of every service of the stack, by name (built before registration). */
export function servicePlans(cfg: StackConfig): Record<string, AppServicePlan> {
    const defaults = environmentDefaults(cfg.environment);
    const callers = callersOf(cfg);
    return Object.fromEntries(
        Object.entries(cfg.services).map(([name, service]) => [
            name,
            {
                service,
                defaults,
                traffic: serviceTraffic(cfg, name, callers[name] ?? []),
                meshEnabled: cfg.mesh.enabled,
                requestsPerSecondMetric: requestRateSource(service, cfg.mesh.enabled)?.metric,
                tracingEnv: cfg.tracing.enabled ? tracingEnv(cfg, name) : undefined,
                singleReplicaWaiver: cfg.waivers.singleReplicaServices[name],
            },
        ]),
    );
}
