/**
 * What the stack runs in each namespace that has a ResourceQuota and a LimitRange (apps and data), at its most:
 * pods per workload and the resources of each of their containers, resolved with the same functions the builders
 * use. Config validation sums these against the quota and checks each container against the LimitRange, so a
 * stack the schema accepts is never stopped by its own guard rails on a busy day. Pure.
 */
import type { StackConfig } from "../config/schema";
import { environmentDefaults, resolveResources, ResourceSpec } from "./defaults";
import { BACKUP_JOB_RESOURCES } from "./backups/defaults";
import {
    BARMAN_SIDECAR_RESOURCES,
    POOLER_RESOURCES,
    POSTGRES_INSTANCE_DEFAULTS,
    postgresResourceDefaults,
} from "./postgres/defaults";
import { EXPORTER_RESOURCES, redisResourceDefaults, SENTINEL_RESOURCES } from "./redis/defaults";
import { resolveScaling, resolveServiceResources } from "./service/settings";
import { inClusterPostgres } from "./postgres/roles";

/** Requests and limits of one container (cpu in cores and memory in quantities, as the builders set them). */
export interface ContainerBudget {
    /** Shown in messages: "the istio-proxy sidecar", "services.api". */
    readonly what: string;
    readonly resources: {
        readonly requests: { cpu: string; memory: string };
        readonly limits: { cpu: string; memory: string };
    };
    /** Config key of the container's resources block, when the stack file sets it (e.g. ["redis", "resources"]). */
    readonly key?: readonly (string | number)[];
    /** Config keys of the container's cpu and memory limits when they are flat keys (the mesh's proxy settings). */
    readonly limitKeys?: { readonly cpu: readonly (string | number)[]; readonly memory: readonly (string | number)[] };
}

export interface PodGroup {
    /** Shown in messages: "service api", "PostgreSQL instances". */
    readonly what: string;
    /** Pods of this kind that can exist at once. */
    readonly pods: number;
    readonly containers: readonly ContainerBudget[];
}

export interface NamespaceBudget {
    /** What runs there, for messages: "the services at their most (...)", "3 PostgreSQL instances, ...". */
    readonly summary: string;
    readonly pods: readonly PodGroup[];
    readonly persistentVolumeClaims: number;
}

const compute = (r: ResourceSpec): ContainerBudget["resources"] => ({
    requests: { cpu: r.requests.cpu, memory: r.requests.memory },
    limits: { cpu: r.limits.cpu, memory: r.limits.memory },
});

/** The istio-proxy sidecar injected into every pod of the apps namespace when the mesh is on. */
function proxySidecar(cfg: StackConfig): ContainerBudget[] {
    if (!cfg.mesh.enabled) return [];
    const m = cfg.mesh;
    return [
        {
            what: "the istio-proxy sidecar",
            resources: {
                requests: { cpu: m.proxyRequestsCpu, memory: m.proxyRequestsMemory },
                limits: { cpu: m.proxyLimitsCpu, memory: m.proxyLimitsMemory },
            },
            limitKeys: { cpu: ["mesh", "proxyLimitsCpu"], memory: ["mesh", "proxyLimitsMemory"] },
        },
    ];
}

/**
 * The apps namespace: each service at its autoscaler maximum (or fixed replica count), one extra pod while a
 * rollout surges (maxSurge 1), and its migration Job's pod; the istio-proxy sidecar in each when the mesh is on.
 */
export function appsNamespaceBudget(cfg: StackConfig): NamespaceBudget {
    const env = environmentDefaults(cfg.environment);
    const sidecar = proxySidecar(cfg);
    const pods = Object.entries(cfg.services).map(([name, svc]): PodGroup => ({
        what: `service ${name}`,
        pods: resolveScaling(svc, env).maxReplicas + 1 + (svc.migration ? 1 : 0),
        containers: [
            {
                what: `services.${name}`,
                resources: compute(resolveServiceResources(svc, env)),
                key: ["services", name, "resources"],
            },
            ...sidecar,
        ],
    }));
    return {
        summary:
            "the services at their most (autoscaler maximum plus one rollout surge each, migration Jobs, sidecars)",
        pods,
        persistentVolumeClaims: 0,
    };
}

/**
 * The data namespace: PostgreSQL instances (with the Barman Cloud sidecar when archiving), PgBouncer (plus one
 * rollout surge), Valkey nodes with their exporter, Sentinels, and the backup jobs that can run at once (each
 * scheduled job and one restore). Outside the mesh: no sidecars.
 */
export function dataNamespaceBudget(cfg: StackConfig): NamespaceBudget {
    const pods: PodGroup[] = [];
    let claims = 0;
    const pg = cfg.postgres;
    if (inClusterPostgres(cfg)) {
        const instances = pg.instances ?? POSTGRES_INSTANCE_DEFAULTS[cfg.environment];
        pods.push({
            what: "PostgreSQL instances",
            pods: instances,
            containers: [
                {
                    what: "postgres",
                    resources: compute(resolveResources(pg.resources, postgresResourceDefaults(cfg.environment))),
                    key: ["postgres", "resources"],
                },
                ...(pg.objectStore
                    ? [{ what: "the Barman Cloud sidecar", resources: compute(BARMAN_SIDECAR_RESOURCES) }]
                    : []),
            ],
        });
        claims += instances * (pg.walStorageSize !== undefined ? 2 : 1);
        if (pg.pooler.enabled) {
            pods.push({
                what: "PgBouncer pods with a rollout surge",
                pods: pg.pooler.instances + 1,
                containers: [
                    {
                        what: "postgres.pooler",
                        resources: compute(resolveResources(pg.pooler.resources, POOLER_RESOURCES)),
                        key: ["postgres", "pooler", "resources"],
                    },
                ],
            });
        }
    }
    const r = cfg.redis;
    if (r.enabled) {
        const nodes = r.mode === "sentinel" ? r.replicas : 1;
        pods.push({
            what: "Valkey nodes",
            pods: nodes,
            containers: [
                {
                    what: "redis",
                    resources: compute(resolveResources(r.resources, redisResourceDefaults(cfg.environment))),
                    key: ["redis", "resources"],
                },
                { what: "the redis_exporter sidecar", resources: compute(EXPORTER_RESOURCES) },
            ],
        });
        claims += nodes;
        if (r.mode === "sentinel") {
            pods.push({
                what: "Sentinels",
                pods: r.sentinels,
                containers: [
                    {
                        what: "redis.sentinel",
                        resources: compute(resolveResources(r.sentinelResources, SENTINEL_RESOURCES)),
                        key: ["redis", "sentinelResources"],
                    },
                ],
            });
        }
    }
    if (cfg.backups.enabled && (pg.enabled || r.enabled)) {
        // PostgreSQL dump, restore verification and one restore; the Redis snapshot. One pod each (the upload runs
        // after the dump in the same pod, with the same resources).
        const jobs = (pg.enabled ? 3 : 0) + (r.enabled ? 1 : 0);
        pods.push({
            what: "backup jobs",
            pods: jobs,
            containers: [
                {
                    what: "backups",
                    resources: compute(resolveResources(cfg.backups.resources, BACKUP_JOB_RESOURCES)),
                    key: ["backups", "resources"],
                },
            ],
        });
        claims += (pg.enabled ? 1 : 0) + (r.enabled ? 1 : 0);
    }
    const summary = `the data stores and backups at their most (${pods.map((g) => `${g.what} × ${g.pods}`).join(", ")})`;
    return { summary, pods, persistentVolumeClaims: claims };
}
