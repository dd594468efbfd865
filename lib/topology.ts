/**
 * How the stack's parts find each other: the names and pod selectors that one component creates and others
 * (NetworkPolicies, AuthorizationPolicies, ServiceMonitors, HTTPRoutes) refer to. Pure, derived from config, so
 * every component agrees on them without waiting for another's outputs.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";

export interface PeerSelector {
    readonly namespace: string;
    readonly podLabels: Readonly<Record<string, string>>;
}

/** The one Gateway of the stack (NGINX Gateway Fabric provisions its data plane from it). */
export const GATEWAY_NAME = "stackwright";
/** The CloudNativePG Cluster name; services reach it as `<name>-rw.<data namespace>`. */
export const POSTGRES_CLUSTER_NAME = "postgres";
export const POSTGRES_PORT = 5432;
/** Valkey StatefulSet/headless Service names. */
export const REDIS_NAME = "redis";
export const REDIS_SENTINEL_NAME = "redis-sentinel";
export const REDIS_PORT = 6379;
export const REDIS_SENTINEL_PORT = 26379;
export const REDIS_EXPORTER_PORT = 9121;

/**
 * Pods of the edge data plane (NGINX). Verified against NGINX Gateway Fabric 2.6.7 (internal/controller/provisioner):
 * the data-plane Deployment it provisions per Gateway selects and labels its pods with
 * `gateway.networking.k8s.io/gateway-name: <gateway>` (plus `app.kubernetes.io/name: <gateway>-<class>`,
 * `app.kubernetes.io/instance: <release>`, `app.kubernetes.io/managed-by: <release>-<class>`).
 */
export function edgeDataPlane(cfg: StackConfig): PeerSelector {
    return { namespace: cfg.namespaces.edge, podLabels: { "gateway.networking.k8s.io/gateway-name": GATEWAY_NAME } };
}
/** GatewayClass of NGINX Gateway Fabric (chart value nginxGateway.gatewayClassName). */
export const GATEWAY_CLASS_NAME = "nginx";
/** NGINX Gateway Fabric names the data plane's ServiceAccount (and Deployment) `<gateway>-<gatewayclass>`. */
export const EDGE_DATA_PLANE_SERVICE_ACCOUNT = `${GATEWAY_NAME}-${GATEWAY_CLASS_NAME}`;
/** SPIFFE principal of the meshed edge data plane: what meshed services see on requests from the edge. */
export function edgeDataPlanePrincipal(cfg: StackConfig): string {
    return `${cfg.kubernetes.clusterDomain}/ns/${cfg.namespaces.edge}/sa/${EDGE_DATA_PLANE_SERVICE_ACCOUNT}`;
}

/** Prometheus server pods (created by the Prometheus Operator). */
export function prometheusPods(cfg: StackConfig): PeerSelector {
    return { namespace: cfg.namespaces.monitoring, podLabels: { "app.kubernetes.io/name": "prometheus" } };
}

/**
 * Monitoring, as components receive it: present when monitoring is on, absent otherwise, so a half-on combination
 * (monitors without Prometheus, or Prometheus without the CRDs to wait for) cannot be written.
 */
export interface MonitoringCapability {
    /** The Prometheus server pods: NetworkPolicies let them scrape. */
    readonly prometheusPods: PeerSelector;
    /** What installs the Prometheus Operator CRDs: every ServiceMonitor/PodMonitor/PrometheusRule waits for it. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The stack's monitoring capability (undefined when `monitoring.enabled` is false). */
export function monitoringCapability(
    cfg: StackConfig,
    crds: pulumi.Input<pulumi.Resource> | undefined,
): MonitoringCapability | undefined {
    if (!cfg.monitoring.enabled) return undefined;
    return { prometheusPods: prometheusPods(cfg), dependsOn: crds === undefined ? [] : [crds] };
}

/**
 * ServiceAccount of the Prometheus server pods (kube-prometheus-stack `prometheus.serviceAccount.name`). Its
 * SPIFFE identity is what meshed services see when Prometheus scrapes them with its Istio certificates.
 */
export const PROMETHEUS_SERVICE_ACCOUNT = "prometheus";
export function prometheusPrincipal(cfg: StackConfig): string {
    return `${cfg.kubernetes.clusterDomain}/ns/${cfg.namespaces.monitoring}/sa/${PROMETHEUS_SERVICE_ACCOUNT}`;
}

/** istiod pods (labelled `app: istiod` by the istiod chart); every sidecar fetches config and certificates here. */
export function istiodPods(cfg: StackConfig): PeerSelector {
    return { namespace: cfg.namespaces.istio, podLabels: { app: "istiod" } };
}
/** istiod's xDS + CA port (mTLS) that sidecars connect to. */
export const ISTIOD_XDS_PORT = 15012;
/** istiod's plain-HTTP monitoring port (/metrics); not intercepted by any proxy. */
export const ISTIOD_MONITORING_PORT = 15014;
/** Envoy's Prometheus endpoint in every sidecar (`/stats/prometheus`); excluded from traffic capture. */
export const ENVOY_STATS_PORT = 15090;
export const ENVOY_STATS_PATH = "/stats/prometheus";
/** Pod label that opts a pod in ("true") or out ("false") of sidecar injection (preferred over the annotation). */
export const ISTIO_INJECT_LABEL = "sidecar.istio.io/inject";
/**
 * Labels that keep a pod in an injection-labelled namespace out of the mesh. Without a mesh there is nothing to opt
 * out of, and a mesh-less stack carries no Istio label at all.
 */
export function meshOptOutLabels(meshEnabled: boolean): Record<string, string> {
    return meshEnabled ? { [ISTIO_INJECT_LABEL]: "false" } : {};
}

/**
 * Pods of an application service: the stable selector labels (lib/labels selectorLabels with the service name).
 * The services component labels its pods this way; mesh policies select them with the same labels.
 */
export function servicePods(cfg: StackConfig, service: string): PeerSelector {
    return {
        namespace: cfg.namespaces.apps,
        podLabels: { "app.kubernetes.io/name": service, "app.kubernetes.io/instance": service },
    };
}

/**
 * A port of an application service's Kubernetes Service (named after the service, in the apps namespace): named
 * like the container port, numbered `servicePort` (default the container port's number), so HTTPRoutes and callers
 * can address it without the Service object. `name` unset: the service's first port. Undefined when the service
 * has no such port.
 */
export function servicePort(
    cfg: StackConfig,
    service: string,
    name?: string,
): { name: string; port: number } | undefined {
    const ports = cfg.services[service]?.ports ?? [];
    const found = name === undefined ? ports[0] : ports.find((p) => p.name === name);
    return found ? { name: found.name, port: found.servicePort ?? found.containerPort } : undefined;
}

/** PostgreSQL instance pods (CloudNativePG labels every instance with its cluster name). */
export function postgresPods(cfg: StackConfig): PeerSelector {
    return { namespace: cfg.namespaces.data, podLabels: { "cnpg.io/cluster": POSTGRES_CLUSTER_NAME } };
}

/** PgBouncer pods of the optional pooler. */
export const POSTGRES_POOLER_NAME = "postgres-pooler-rw";
export function postgresPoolerPods(cfg: StackConfig): PeerSelector {
    return { namespace: cfg.namespaces.data, podLabels: { "cnpg.io/poolerName": POSTGRES_POOLER_NAME } };
}

export function redisPods(cfg: StackConfig): PeerSelector {
    return {
        namespace: cfg.namespaces.data,
        podLabels: { "app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": REDIS_NAME },
    };
}

export function redisSentinelPods(cfg: StackConfig): PeerSelector {
    return {
        namespace: cfg.namespaces.data,
        podLabels: { "app.kubernetes.io/name": "valkey-sentinel", "app.kubernetes.io/instance": REDIS_SENTINEL_NAME },
    };
}

/** A service's in-cluster DNS name. Services are named after their config key so callers can address them. */
export function serviceHost(cfg: StackConfig, service: string): string {
    return `${service}.${cfg.namespaces.apps}.svc.${cfg.kubernetes.clusterDomain}`;
}

/** SPIFFE principal of a service's ServiceAccount (Istio authorization). */
export function servicePrincipal(cfg: StackConfig, service: string): string {
    return `${cfg.kubernetes.clusterDomain}/ns/${cfg.namespaces.apps}/sa/${service}`;
}

/** Callers of each service (the inverse of `calls`), sorted. */
export function callersOf(cfg: StackConfig): Record<string, string[]> {
    const callers: Record<string, string[]> = Object.fromEntries(Object.keys(cfg.services).map((s) => [s, []]));
    for (const [name, svc] of Object.entries(cfg.services)) for (const callee of svc.calls) callers[callee]?.push(name);
    for (const list of Object.values(callers)) list.sort();
    return callers;
}

/** Kubernetes label selector for a NetworkPolicy peer in another (or the same) namespace. */
export function networkPolicyPeer(peer: PeerSelector) {
    return {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": peer.namespace } },
        podSelector: { matchLabels: { ...peer.podLabels } },
    };
}

/**
 * Scrape settings for a metrics endpoint of a meshed workload. Under STRICT mTLS Prometheus (outside the mesh)
 * scrapes with the workload certificates that its istio-proxy writes to /etc/prom-certs (Istio's documented
 * "Prometheus with Istio certificates" setup); without the mesh it scrapes plain HTTP.
 */
export const PROMETHEUS_ISTIO_CERTS_DIR = "/etc/prom-certs";
export function scrapeTls(meshEnabled: boolean): { scheme: "http" | "https"; tlsConfig?: Record<string, unknown> } {
    if (!meshEnabled) return { scheme: "http" };
    return {
        scheme: "https",
        tlsConfig: {
            caFile: `${PROMETHEUS_ISTIO_CERTS_DIR}/root-cert.pem`,
            certFile: `${PROMETHEUS_ISTIO_CERTS_DIR}/cert-chain.pem`,
            keyFile: `${PROMETHEUS_ISTIO_CERTS_DIR}/key.pem`,
            // Istio workload certificates carry SPIFFE URIs, not DNS names.
            insecureSkipVerify: true,
        },
    };
}

/**
 * Pods of the backup and restore-verification jobs (the backups component labels them
 * `app.kubernetes.io/component: backup`); PostgreSQL and Valkey admit them by this selector.
 */
export const BACKUP_COMPONENT = "backup";
export function backupPods(cfg: StackConfig): PeerSelector {
    return { namespace: cfg.namespaces.data, podLabels: { "app.kubernetes.io/component": BACKUP_COMPONENT } };
}

/** Names of the backup CronJobs (alert rules and dashboards refer to them). */
export const BACKUP_CRONJOBS = {
    postgres: "postgres-backup",
    postgresVerify: "postgres-restore-verify",
    redis: "redis-backup",
} as const;

/**
 * Keys of the per-database connection Secret (type kubernetes.io/basic-auth) that the data-stores component
 * creates in the application namespace, and the env vars services receive from it by reference.
 */
export const DATABASE_SECRET_ENV: Readonly<Record<string, string>> = {
    PGHOST: "host",
    PGPORT: "port",
    PGDATABASE: "dbname",
    PGUSER: "username",
    PGPASSWORD: "password",
    PGSSLMODE: "sslmode",
    DATABASE_URL: "uri",
};

/**
 * Keys of the same Secret for reads from replicas (CloudNativePG's `-ro` Service, or `-r` on a single instance),
 * and the env vars of services that set `databaseReadReplicas`. Same database, user and password.
 */
export const DATABASE_READ_ONLY_ENV: Readonly<Record<string, string>> = {
    PGHOST_RO: "ro-host",
    DATABASE_RO_URL: "ro-uri",
};

/** The API server as pods see it: the `kubernetes` Service (443) and the endpoints behind it (often 6443). */
export const API_SERVER_PORTS = [443, 6443] as const;

/** Keys of the Redis client Secret in the application namespace, and the env vars services receive. */
export const REDIS_SECRET_ENV: Readonly<Record<string, string>> = {
    REDIS_HOST: "host",
    REDIS_PORT: "port",
    REDIS_PASSWORD: "password",
    /** Space-separated host:port list of the Sentinels; empty in standalone mode. */
    REDIS_SENTINELS: "sentinels",
    REDIS_MASTER_NAME: "master-name",
    /**
     * redis://default:<password>@<host>:6379/0 in standalone mode; in sentinel mode the redis+sentinel:// form
     * (Sentinels' host:port list, then /<master name>/0; lib/redis/workload.ts redisUri).
     */
    REDIS_URL: "uri",
};

/** Grafana's Service (kube-prometheus-stack with grafana.fullnameOverride), routed at monitoring.<domain>. */
export const GRAFANA_SERVICE_NAME = "grafana";
export const GRAFANA_SERVICE_PORT = 80;
/** Grafana's container port behind GRAFANA_SERVICE_PORT (NetworkPolicies match the pod port). */
export const GRAFANA_CONTAINER_PORT = 3000;
/** Pods of Grafana (the edge data plane reaches them). */
export function grafanaPods(cfg: StackConfig): PeerSelector {
    return { namespace: cfg.namespaces.monitoring, podLabels: { "app.kubernetes.io/name": "grafana" } };
}
