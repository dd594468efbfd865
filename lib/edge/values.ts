/**
 * Chart values and data-plane settings of the edge, per environment. Pure functions; the Edge component passes
 * them to helm.v4.Chart (NGINX Gateway Fabric 2.6.7, cert-manager v1.21.1) and to the Gateway's NginxProxy.
 * Keys follow the charts' values.yaml of those versions.
 */
import type { Environment } from "../../config/schema";
import { ResourceSpec, toKubeResources } from "../defaults";
import { PART_OF } from "../labels";
import { meshOptOutLabels } from "../topology";
import {
    controlPlaneSelector,
    DATA_PLANE_METRICS_PORT,
    GATEWAY_CLASS_NAME,
    HTTP_PORT,
    HTTPS_PORT,
    NGF_AGENT_TLS_SECRET,
    NGF_HEALTH_PORT,
    NGF_METRICS_PORT,
    NGF_SERVER_TLS_SECRET,
} from "./names";

export interface EdgeResourceDefaults {
    readonly controlPlane: ResourceSpec;
    readonly dataPlane: ResourceSpec;
    readonly certManager: {
        readonly controller: ResourceSpec;
        readonly webhook: ResourceSpec;
        readonly cainjector: ResourceSpec;
    };
}

const spec = (rc: string, rm: string, lc: string, lm: string, re = "64Mi", le = "512Mi"): ResourceSpec => ({
    requests: { cpu: rc, memory: rm, ephemeralStorage: re },
    limits: { cpu: lc, memory: lm, ephemeralStorage: le },
});

const RESOURCE_DEFAULTS: Record<Environment, EdgeResourceDefaults> = {
    dev: {
        controlPlane: spec("50m", "64Mi", "250m", "256Mi"),
        dataPlane: spec("50m", "64Mi", "500m", "256Mi"),
        certManager: {
            controller: spec("20m", "64Mi", "200m", "256Mi"),
            webhook: spec("10m", "32Mi", "100m", "128Mi"),
            cainjector: spec("10m", "64Mi", "100m", "256Mi"),
        },
    },
    staging: {
        controlPlane: spec("100m", "128Mi", "500m", "512Mi"),
        dataPlane: spec("100m", "128Mi", "1", "512Mi", "128Mi", "1Gi"),
        certManager: {
            controller: spec("50m", "64Mi", "250m", "256Mi"),
            webhook: spec("20m", "32Mi", "100m", "128Mi"),
            cainjector: spec("20m", "64Mi", "100m", "256Mi"),
        },
    },
    prod: {
        controlPlane: spec("200m", "256Mi", "1", "1Gi"),
        dataPlane: spec("250m", "256Mi", "2", "1Gi", "128Mi", "1Gi"),
        certManager: {
            controller: spec("100m", "128Mi", "500m", "512Mi"),
            webhook: spec("50m", "64Mi", "200m", "256Mi"),
            cainjector: spec("50m", "128Mi", "200m", "512Mi"),
        },
    },
};

export function edgeResourceDefaults(environment: Environment): EdgeResourceDefaults {
    return RESOURCE_DEFAULTS[environment];
}

/** Scale up fast, scale down after 5 minutes of low load, one pod at a time (requirements: autoscaling). */
export const SCALING_BEHAVIOR = {
    scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
    scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 120 }] },
};
export const TARGET_CPU_PERCENT = 70;
export const TARGET_MEMORY_PERCENT = 80;

/** Spread replicas over nodes (best effort) and zones (required where the environment says so). */
export function spreadConstraints(matchLabels: Readonly<Record<string, string>>, zoneRequired: boolean) {
    return [
        {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: { ...matchLabels } },
        },
        {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: zoneRequired ? "DoNotSchedule" : "ScheduleAnyway",
            labelSelector: { matchLabels: { ...matchLabels } },
        },
    ];
}

export interface NgfValuesArgs {
    readonly clusterDomain: string;
    readonly replicas: number;
    /** Autoscaling (HPA) up to this many replicas; off when unset. */
    readonly maxReplicas?: number;
    readonly resources: ResourceSpec;
    /** Requests and limits of the NGINX data-plane container, also on the chart's class-level NginxProxy. */
    readonly dataPlaneResources: ResourceSpec;
    readonly zoneSpreadRequired: boolean;
    /** Sidecar mesh on: the edge namespace is injection-labelled, so the control plane opts out by label. @default false */
    readonly meshEnabled?: boolean;
}

/** NGF's autoscaling block (same shape for the control plane and the NginxProxy data plane). */
function ngfAutoscaling(minReplicas: number, maxReplicas: number) {
    return {
        enable: true,
        minReplicas,
        maxReplicas,
        targetCPUUtilizationPercentage: TARGET_CPU_PERCENT,
        targetMemoryUtilizationPercentage: TARGET_MEMORY_PERCENT,
        behavior: SCALING_BEHAVIOR,
    };
}

/**
 * NGINX Gateway Fabric chart values. The control plane: replicas/HPA, resources, spread, metrics on, telemetry to
 * F5 off, kept out of the mesh (label, only when there is a mesh). The cert-generator hook Job is off: the Edge
 * component supplies its Secrets. Data-plane settings live in the Gateway's NginxProxy (dataPlaneProxySpec), which
 * NGF merges over the chart's class-level NginxProxy. The class-level one still gets the data plane's requests and
 * limits (`nginx.container.resources`): it is an object of its own, judged alone by the policy pack (and used as
 * is by any other Gateway of the class), and without them its container has none. `nginx` keeps the chart's
 * pinned image.
 *
 * Autoscaled, the chart's own switch is used and `replicas` is left out: with `autoscaling.enable` the 2.6.7
 * chart renders the HPA and omits the Deployment's spec.replicas (templates/deployment.yaml), so the HPA alone
 * owns the count and `minReplicas` is the floor the PDB protects. Scaling out helps because every replica (not
 * only the leader) runs the event loop and serves the agents' gRPC connections; leader election only decides
 * which replica writes statuses and provisions the data plane.
 */
export function ngfChartValues(args: NgfValuesArgs) {
    return {
        clusterDomain: args.clusterDomain,
        nginxGateway: {
            gatewayClassName: GATEWAY_CLASS_NAME,
            ...(args.maxReplicas === undefined
                ? { replicas: args.replicas, autoscaling: { enable: false } }
                : { autoscaling: ngfAutoscaling(args.replicas, args.maxReplicas) }),
            labels: {
                // Pod label: the control plane never gets a sidecar (its gRPC port already speaks mutual TLS).
                ...meshOptOutLabels(args.meshEnabled ?? false),
                "app.kubernetes.io/component": "edge-control-plane",
                "app.kubernetes.io/part-of": PART_OF,
            },
            resources: toKubeResources(args.resources),
            leaderElection: { enable: true },
            readinessProbe: { enable: true, port: NGF_HEALTH_PORT },
            metrics: { enable: true, port: NGF_METRICS_PORT, secure: false },
            productTelemetry: { enable: false },
            config: { logging: { level: "info" } },
            terminationGracePeriodSeconds: 30,
            topologySpreadConstraints: spreadConstraints(controlPlaneSelector(), args.zoneSpreadRequired),
        },
        nginx: { container: { resources: toKubeResources(args.dataPlaneResources) } },
        certGenerator: {
            enable: false,
            serverTLSSecretName: NGF_SERVER_TLS_SECRET,
            agentTLSSecretName: NGF_AGENT_TLS_SECRET,
        },
        gateways: [],
    };
}

export interface DataPlaneArgs {
    readonly replicas: number;
    readonly maxReplicas?: number;
    readonly resources: ResourceSpec;
    readonly serviceType: "LoadBalancer" | "NodePort";
    /** Fixed NodePorts of the HTTP and HTTPS listeners (NodePort only). */
    readonly nodePorts?: { readonly http: number; readonly https: number };
    readonly zoneSpreadRequired: boolean;
    /** Labels of the data-plane pods (topology spread). */
    readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * Spec of the Gateway's NginxProxy (gateway.nginx.org/v1alpha2): the NGINX data plane NGF provisions for our
 * Gateway. NGF itself runs it hardened (non-root uid 101, read-only root, all capabilities dropped, seccomp
 * RuntimeDefault, no privilege escalation); here: replicas/HPA, resources, spread, Service type, no version banner.
 */
export function dataPlaneProxySpec(args: DataPlaneArgs) {
    return {
        serverTokens: "off",
        metrics: { port: DATA_PLANE_METRICS_PORT },
        kubernetes: {
            deployment: {
                replicas: args.replicas,
                ...(args.maxReplicas === undefined
                    ? {}
                    : { autoscaling: ngfAutoscaling(args.replicas, args.maxReplicas) }),
                pod: {
                    terminationGracePeriodSeconds: 30,
                    topologySpreadConstraints: spreadConstraints(args.podLabels, args.zoneSpreadRequired),
                },
                container: { resources: toKubeResources(args.resources) },
            },
            // Local keeps the client source address (rate limits key on it).
            service: {
                type: args.serviceType,
                externalTrafficPolicy: "Local",
                ...(args.nodePorts
                    ? {
                          nodePorts: [
                              { port: args.nodePorts.http, listenerPort: HTTP_PORT },
                              { port: args.nodePorts.https, listenerPort: HTTPS_PORT },
                          ],
                      }
                    : {}),
            },
        },
    };
}

export interface CertManagerValuesArgs {
    readonly namespace: string;
    readonly environment: Environment;
    readonly monitoring: boolean;
    readonly zoneSpreadRequired: boolean;
    readonly resources: EdgeResourceDefaults["certManager"];
}

/**
 * cert-manager chart values (v1.21.1): CRDs from the chart, Gateway API support for HTTP-01 through the Gateway,
 * no startupapicheck (a post-install hook Job: helm.v4.Chart drops hooks, and it only waits for the webhook),
 * chart NetworkPolicies on, leader election in its own namespace (not kube-system). The webhook needs no hook:
 * it creates its serving CA at runtime (Secret cert-manager-webhook-ca) and cainjector writes the caBundle.
 */
export function certManagerChartValues(args: CertManagerValuesArgs) {
    const replicas = args.environment === "prod" ? 2 : 1;
    const pdb = replicas > 1 ? { enabled: true, maxUnavailable: 1 } : { enabled: false };
    const component = (name: string) => ({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": "cert-manager",
        "app.kubernetes.io/component": name === "cert-manager" ? "controller" : name.replace("cert-manager-", ""),
    });
    return {
        crds: { enabled: true, keep: true },
        // commonLabels reach every object the chart renders (its own labels already carry name, instance,
        // component and managed-by; setting managed-by again would duplicate the key in its templates).
        global: {
            leaderElection: { namespace: args.namespace },
            commonLabels: { "app.kubernetes.io/part-of": PART_OF },
        },
        config: {
            apiVersion: "controller.config.cert-manager.io/v1alpha1",
            kind: "ControllerConfiguration",
            // Same switch as --enable-gateway-api (1.21 also calls it gatewayAPI.enabled).
            enableGatewayAPI: true,
        },
        enableCertificateOwnerRef: true,
        replicaCount: replicas,
        podDisruptionBudget: pdb,
        resources: toKubeResources(args.resources.controller),
        topologySpreadConstraints: spreadConstraints(component("cert-manager"), args.zoneSpreadRequired),
        networkPolicy: { enabled: true },
        prometheus: { enabled: args.monitoring, servicemonitor: { enabled: args.monitoring, interval: "30s" } },
        webhook: {
            replicaCount: replicas,
            podDisruptionBudget: pdb,
            resources: toKubeResources(args.resources.webhook),
            topologySpreadConstraints: spreadConstraints(component("webhook"), args.zoneSpreadRequired),
            networkPolicy: { enabled: true },
        },
        cainjector: {
            replicaCount: replicas,
            podDisruptionBudget: pdb,
            resources: toKubeResources(args.resources.cainjector),
            topologySpreadConstraints: spreadConstraints(component("cainjector"), args.zoneSpreadRequired),
            networkPolicy: { enabled: true },
        },
        startupapicheck: { enabled: false },
    };
}
