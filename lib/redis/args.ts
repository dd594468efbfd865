/** From the validated stack config to the Redis component's args (pure; index.ts only wires). */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config";
import type { RedisArgs } from "../../components/redis";
import { environmentDefaults, resolveResources } from "../defaults";
import { selectorLabels } from "../labels";
import { parseQuantity } from "../quantity";
import { storageClassFor } from "../storage-class";
import { backupPods, PeerSelector, prometheusPods } from "../topology";
import { EXPORTER_RESOURCES, redisResourceDefaults, SENTINEL_RESOURCES } from "./defaults";

/** Pods of the services that declare `redis: true` (selector labels as the services component sets them). */
export function redisClientPeers(cfg: StackConfig): PeerSelector[] {
    return Object.keys(cfg.services).sort()
        .filter((name) => cfg.services[name].redis)
        .map((name) => ({ namespace: cfg.namespaces.apps, podLabels: selectorLabels({ name }) }));
}

export interface RedisWiring {
    /** GeneratedSecrets.credentials.redisPassword. */
    readonly password: pulumi.Output<string>;
    readonly monitoringDependsOn?: pulumi.Input<pulumi.Resource>[];
}

export function redisArgs(cfg: StackConfig, wiring: RedisWiring): RedisArgs {
    const r = cfg.redis;
    return {
        namespace: cfg.namespaces.data,
        clientNamespace: cfg.namespaces.apps,
        clusterDomain: cfg.kubernetes.clusterDomain,
        mode: r.mode,
        replicas: r.replicas,
        sentinels: r.sentinels,
        masterName: r.masterName,
        image: r.image,
        exporterImage: r.exporterImage,
        resources: resolveResources(r.resources, redisResourceDefaults(cfg.environment)),
        sentinelResources: resolveResources(r.sentinelResources, SENTINEL_RESOURCES),
        exporterResources: EXPORTER_RESOURCES,
        storageSize: r.storageSize,
        storageClass: storageClassFor(cfg, r.storageClass),
        maxmemoryBytes: r.maxmemory === undefined ? undefined : Math.floor(parseQuantity(r.maxmemory)),
        maxmemoryPolicy: r.maxmemoryPolicy,
        password: wiring.password,
        standaloneWaiver: cfg.waivers.standaloneRedis,
        zoneSpread: environmentDefaults(cfg.environment).zoneSpreadRequired,
        clientPods: redisClientPeers(cfg),
        backupPods: [backupPods(cfg)],
        prometheusPods: cfg.monitoring.enabled ? prometheusPods(cfg) : undefined,
        monitoringEnabled: cfg.monitoring.enabled,
        monitoringDependsOn: wiring.monitoringDependsOn,
    };
}
