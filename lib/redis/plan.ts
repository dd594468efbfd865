/** From the validated stack config to the Redis component's args (pure; index.ts only wires). */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/schema";
import { environmentDefaults, resolveResources, ResourceSpec } from "../defaults";
import type { RedisMode } from "./workload";
import { selectorLabels } from "../labels";
import { parseQuantity } from "../quantity";
import { storageClassFor } from "../storage-class";
import { backupPods, MonitoringCapability, PeerSelector } from "../topology";
import { maxmemoryBytesForLimit } from "./conf";
import { EXPORTER_RESOURCES, redisResourceDefaults, SENTINEL_RESOURCES } from "./defaults";

/** Pods of the services that declare `redis: true` (selector labels as the services component sets them). */
export function redisClientPeers(cfg: StackConfig): PeerSelector[] {
    return Object.keys(cfg.services)
        .sort()
        .filter((name) => cfg.services[name].redis)
        .map((name) => ({ namespace: cfg.namespaces.apps, podLabels: selectorLabels({ name }) }));
}

/** What the Redis component takes from other components. */
export interface RedisWiring {
    /** GeneratedSecrets.credentials.redisPassword: requirepass, masterauth, Sentinel auth (a secret output). */
    readonly password: pulumi.Input<string>;
    /** The stack's monitoring (lib/topology monitoringCapability): a ServiceMonitor for the exporter, metrics ingress. */
    readonly monitoring?: MonitoringCapability;
}

/** Everything the Redis component needs from config, every default resolved (built before registration). */
export function redisPlan(cfg: StackConfig): RedisPlan {
    const r = cfg.redis;
    const resources = resolveResources(r.resources, redisResourceDefaults(cfg.environment));
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
        resources,
        sentinelResources: resolveResources(r.sentinelResources, SENTINEL_RESOURCES),
        exporterResources: EXPORTER_RESOURCES,
        storageSize: r.storageSize,
        storageClass: storageClassFor(cfg, r.storageClass),
        // Unset: 75 % of the memory limit, leaving the rest for fork (RDB/AOF rewrite) and buffers.
        maxmemoryBytes:
            r.maxmemory === undefined
                ? maxmemoryBytesForLimit(parseQuantity(resources.limits.memory))
                : Math.floor(parseQuantity(r.maxmemory)),
        maxmemoryPolicy: r.maxmemoryPolicy,
        standaloneWaiver: cfg.waivers.standaloneRedis,
        zoneSpread: environmentDefaults(cfg.environment).zoneSpreadRequired,
        clientPods: redisClientPeers(cfg),
        backupPods: [backupPods(cfg)],
    };
}

export interface RedisPlan {
    /** Namespace of the data nodes, Sentinels, their Secrets and NetworkPolicies (must exist). */
    readonly namespace: string;
    /** Namespace of the services: the client Secret goes there. */
    readonly clientNamespace: string;
    /** The cluster's DNS domain (pod host names). */
    readonly clusterDomain: string;
    /** standalone: one node; sentinel: `replicas` data nodes with `sentinels` Sentinels. */
    readonly mode: RedisMode;
    /** Data nodes in sentinel mode. */
    readonly replicas: number;
    /** Sentinel pods in sentinel mode (quorum: a majority). */
    readonly sentinels: number;
    /** Sentinel master name. */
    readonly masterName: string;
    /** Official Valkey image, Debian variant (the start scripts need bash, timeout and awk). */
    readonly image: string;
    readonly exporterImage: string;
    readonly resources: ResourceSpec;
    readonly sentinelResources: ResourceSpec;
    readonly exporterResources: ResourceSpec;
    /** Data volume per node (quantity, e.g. "2Gi"). */
    readonly storageSize: string;
    readonly storageClass: string;
    /** maxmemory in bytes (valkey.conf). */
    readonly maxmemoryBytes: number;
    /** What Valkey does at maxmemory (noeviction, allkeys-lru, ...). */
    readonly maxmemoryPolicy: string;
    /** Hard zone spreading. */
    readonly zoneSpread: boolean;
    /** Prod waiver for standalone mode: its written reason, set on the data node StatefulSet (lib/waivers.ts). @default none */
    readonly standaloneWaiver?: string;
    /** Pods of the services that use Redis. */
    readonly clientPods: readonly PeerSelector[];
    /** Backup job pods (RDB snapshots). @default [] */
    readonly backupPods?: readonly PeerSelector[];
}

/** The Redis component's args: its plan plus its wiring. */
export interface RedisArgs extends RedisPlan, RedisWiring {}
