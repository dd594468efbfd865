/** Everything the Mesh component needs, derived from the validated config. Pure. */
import { HelmRendering, helmRendering } from "../helm";
import type { StackConfig } from "../../config/schema";
import { computeResources, environmentDefaults } from "../defaults";
import { istioObjects, meshMonitors, MeshObject } from "./policies";
import {
    CNI_DEFAULT_RESOURCES,
    istioBaseValues,
    istioCniValues,
    istiodValues,
    ISTIOD_DEFAULT_RESOURCES,
} from "./values";
import { IstioChartSource } from "../chart-source";
import { istioTracingProvider } from "../tracing/plan";

export interface MeshPlan {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    readonly istioNamespace: string;
    readonly cniNamespace: string;
    readonly chart: IstioChartSource;
    readonly baseValues: Record<string, unknown>;
    readonly istiodValues: Record<string, unknown>;
    readonly cniValues: Record<string, unknown>;
    /** Istio custom resources (PeerAuthentication, DestinationRule, VirtualService, AuthorizationPolicy). */
    readonly istioObjects: readonly MeshObject[];
    /** PodMonitor / ServiceMonitor (empty when monitoring is off). */
    readonly monitors: readonly MeshObject[];
}

/** The mesh of a stack, or undefined when `mesh.enabled` is false (then nothing Istio is deployed). */
export function meshPlan(cfg: StackConfig): MeshPlan | undefined {
    if (!cfg.mesh.enabled) return undefined;
    const m = cfg.mesh;
    const image = { hub: m.imageHub, tag: m.chart.version };
    return {
        helm: helmRendering(cfg),
        istioNamespace: cfg.namespaces.istio,
        cniNamespace: cfg.namespaces.istioCni,
        chart: {
            repository: m.chart.repository,
            version: m.chart.version,
            ...(m.chart.path !== undefined ? { path: m.chart.path } : {}),
        },
        baseValues: istioBaseValues({ istioNamespace: cfg.namespaces.istio }),
        istiodValues: istiodValues({
            istioNamespace: cfg.namespaces.istio,
            clusterDomain: cfg.kubernetes.clusterDomain,
            replicas: m.istiodReplicas,
            resources: computeResources(m.istiodResources, ISTIOD_DEFAULT_RESOURCES),
            proxyResources: {
                requests: { cpu: m.proxyRequestsCpu, memory: m.proxyRequestsMemory },
                limits: { cpu: m.proxyLimitsCpu, memory: m.proxyLimitsMemory },
            },
            zoneSpread: environmentDefaults(cfg.environment).zoneSpreadRequired,
            image,
            extensionProviders: cfg.tracing.enabled ? [istioTracingProvider(cfg)] : [],
        }),
        cniValues: istioCniValues({ resources: computeResources(m.cniResources, CNI_DEFAULT_RESOURCES), image }),
        istioObjects: istioObjects(cfg),
        monitors: meshMonitors(cfg),
    };
}
