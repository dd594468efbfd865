/** Compliant Kubernetes objects (they pass every policy) and helpers to bend exactly one field. */

export const TYPES = {
    Pod: "kubernetes:core/v1:Pod",
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Service: "kubernetes:core/v1:Service",
    ServiceAccount: "kubernetes:core/v1:ServiceAccount",
    Secret: "kubernetes:core/v1:Secret",
    ConfigMap: "kubernetes:core/v1:ConfigMap",
    Namespace: "kubernetes:core/v1:Namespace",
    NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    Ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    HorizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    CustomResourceDefinition: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    Gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    HTTPRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    IstioGateway: "kubernetes:networking.istio.io/v1:Gateway",
    PeerAuthentication: "kubernetes:security.istio.io/v1:PeerAuthentication",
    DestinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
    CnpgCluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
    CnpgPooler: "kubernetes:postgresql.cnpg.io/v1:Pooler",
    Prometheus: "kubernetes:monitoring.coreos.com/v1:Prometheus",
    Alertmanager: "kubernetes:monitoring.coreos.com/v1:Alertmanager",
    NginxProxy: "kubernetes:gateway.nginx.org/v1alpha2:NginxProxy",
    HelmChart: "kubernetes:helm.sh/v4:Chart",
    ConfigFile: "kubernetes:yaml/v2:ConfigFile",
} as const;

export const WORKLOAD_KINDS = [
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;
export type ContainerListName = (typeof CONTAINER_LISTS)[number];

/** What a container in each list is called in messages. */
export const LIST_LABEL: Record<ContainerListName, string> = {
    containers: "container",
    initContainers: "initContainer",
    ephemeralContainers: "ephemeralContainer",
};

export function labels(name = "backend"): Record<string, string> {
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": "api",
        "app.kubernetes.io/part-of": "stackwright",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

export function selectorLabels(name = "backend"): Record<string, string> {
    return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name };
}

export function container(name = "app", opts: { probes?: boolean } = {}): any {
    return {
        name,
        image: "ghcr.io/stackwright/backend:1.4.2",
        ports: [{ containerPort: 8080, name: "http" }],
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
        securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        ...(opts.probes === false
            ? {}
            : {
                  livenessProbe: { httpGet: { path: "/health", port: 8080 }, initialDelaySeconds: 30 },
                  readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
              }),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
}

export function podSpec(): any {
    return {
        automountServiceAccountToken: false,
        serviceAccountName: "backend",
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [container("app")],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }],
    };
}

/** A pod spec with one compliant container in each of the three lists. */
export function podSpecWithAllLists(): any {
    const spec = podSpec();
    spec.initContainers = [container("init", { probes: false })];
    spec.ephemeralContainers = [container("debug", { probes: false })];
    return spec;
}

export function metadata(name = "backend", namespace = "apps"): any {
    return { name, namespace, labels: labels(name) };
}

/** A workload of the given kind around the pod spec (props as a Pulumi program passes them). */
export function workload(kind: WorkloadKind, spec: any = podSpec(), name = "backend", namespace = "apps"): any {
    const template = { metadata: { labels: labels(name) }, spec };
    switch (kind) {
        case "Pod":
            return { apiVersion: "v1", kind, metadata: metadata(name, namespace), spec };
        case "Deployment":
        case "StatefulSet":
        case "ReplicaSet":
            return {
                apiVersion: "apps/v1",
                kind,
                metadata: metadata(name, namespace),
                spec: { replicas: 1, selector: { matchLabels: selectorLabels(name) }, template },
            };
        case "DaemonSet":
            return {
                apiVersion: "apps/v1",
                kind,
                metadata: metadata(name, namespace),
                spec: { selector: { matchLabels: selectorLabels(name) }, template },
            };
        case "Job":
            return {
                apiVersion: "batch/v1",
                kind,
                metadata: metadata(name, namespace),
                spec: {
                    activeDeadlineSeconds: 600,
                    template: { ...template, spec: { ...spec, restartPolicy: "Never" } },
                },
            };
        case "CronJob":
            return {
                apiVersion: "batch/v1",
                kind,
                metadata: metadata(name, namespace),
                spec: {
                    schedule: "0 2 * * *",
                    concurrencyPolicy: "Forbid",
                    startingDeadlineSeconds: 300,
                    jobTemplate: {
                        spec: {
                            activeDeadlineSeconds: 3600,
                            template: { ...template, spec: { ...spec, restartPolicy: "Never" } },
                        },
                    },
                },
            };
    }
}

/** The pod spec inside a workload built by `workload` (a live reference, for mutation). */
export function podSpecIn(kind: WorkloadKind, props: any): any {
    switch (kind) {
        case "Pod":
            return props.spec;
        case "CronJob":
            return props.spec.jobTemplate.spec.template.spec;
        default:
            return props.spec.template.spec;
    }
}

export function cnpgCluster(name = "db", namespace = "data"): any {
    return {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: { ...metadata(name, namespace), labels: labels(name) },
        spec: {
            instances: 3,
            imageName: "ghcr.io/cloudnative-pg/postgresql:17.5",
            storage: { size: "10Gi" },
            resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
        },
    };
}

export function cnpgPooler(name = "db-pooler", namespace = "data"): any {
    return {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Pooler",
        metadata: { ...metadata(name, namespace), labels: labels(name) },
        spec: {
            cluster: { name: "db" },
            instances: 2,
            type: "rw",
            template: {
                metadata: { labels: { app: "pooler" } },
                spec: {
                    containers: [
                        {
                            name: "pgbouncer",
                            resources: {
                                requests: { cpu: "100m", memory: "64Mi" },
                                limits: { cpu: "500m", memory: "256Mi" },
                            },
                        },
                    ],
                },
            },
        },
    };
}

export function prometheus(name = "main", namespace = "monitoring"): any {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "Prometheus",
        metadata: { ...metadata(name, namespace), labels: labels(name) },
        spec: {
            replicas: 2,
            resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2000m", memory: "4Gi" } },
            securityContext: {
                runAsNonRoot: true,
                runAsUser: 1000,
                runAsGroup: 2000,
                fsGroup: 2000,
                seccompProfile: { type: "RuntimeDefault" },
            },
        },
    };
}

export function alertmanager(name = "main", namespace = "monitoring"): any {
    const p = prometheus(name, namespace);
    return {
        ...p,
        kind: "Alertmanager",
        spec: {
            ...p.spec,
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
        },
    };
}

/** The Gateway's NginxProxy as components/edge.ts builds it: the data plane's resources, spread and Service. */
export function nginxProxy(name = "stackwright-data-plane", namespace = "edge"): any {
    return {
        apiVersion: "gateway.nginx.org/v1alpha2",
        kind: "NginxProxy",
        metadata: { ...metadata(name, namespace), labels: labels(name) },
        spec: {
            kubernetes: {
                deployment: {
                    replicas: 2,
                    container: {
                        resources: {
                            requests: { cpu: "50m", memory: "64Mi" },
                            limits: { cpu: "500m", memory: "256Mi" },
                        },
                    },
                    pod: { terminationGracePeriodSeconds: 30 },
                },
                service: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
            },
        },
    };
}

export function clone<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
}
