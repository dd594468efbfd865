/** Everything the Edge component needs that follows from config alone (pure). */
import { HelmRendering, helmRendering } from "../helm";
import type { Environment, StackConfig } from "../../config/schema";
import { environmentDefaults, ResourceSpec, resolveResources } from "../defaults";
import { publicHosts } from "../plan";
import { edgeDataPlane, ISTIOD_XDS_PORT, istiodPods, PeerSelector } from "../topology";
import type { ChartSource } from "../chart-source";
import type { ProvidedCertificate } from "./provided-certificates";
import { EdgeRoute, edgeRoutes } from "./routes";
import { collectorPods, OTLP_GRPC_PORT } from "../tracing/plan";
import { edgeResourceDefaults, EdgeResourceDefaults } from "./values";

export interface EdgePlan {
    /** How charts are rendered: against the cluster, or client-side for render mode (lib/helm.ts). */
    readonly helm: HelmRendering;
    readonly environment: Environment;
    readonly domain: string;
    readonly clusterDomain: string;
    /** Namespace of NGINX Gateway Fabric, the Gateway, its routes and policies. */
    readonly namespace: string;
    readonly certManagerNamespace: string;
    readonly hosts: readonly string[];
    readonly routes: readonly EdgeRoute[];
    readonly hstsMaxAgeSeconds: number;
    readonly tls: "generated-ca" | "acme" | "provided";
    /** tls "provided": the certificates you bring, as config gives them (lib/edge/provided-certificates.ts). */
    readonly providedCertificates: readonly ProvidedCertificate[];
    readonly acme?: { readonly email: string; readonly server: string };
    readonly certManagerIssuer: "acme" | "generated-ca";
    readonly controllerReplicas: number;
    readonly controllerMaxReplicas?: number;
    readonly dataPlaneReplicas: number;
    readonly dataPlaneMaxReplicas?: number;
    readonly serviceType: "LoadBalancer" | "NodePort";
    readonly nodePorts?: { readonly http: number; readonly https: number };
    readonly controllerResources: ResourceSpec;
    readonly dataPlaneResources: ResourceSpec;
    readonly certManagerResources: EdgeResourceDefaults["certManager"];
    readonly zoneSpreadRequired: boolean;
    /** Prod waiver for one edge replica: its written reason, set on the data plane's NginxProxy (lib/waivers.ts). */
    readonly singleReplicaWaiver?: string;
    readonly dataPlane: PeerSelector;
    /** Mesh on: the data plane gets a sidecar and needs istiod. */
    readonly istiod?: { readonly pods: PeerSelector; readonly port: number };
    /** Mesh and tracing on: the sidecar sends spans to the collector. */
    readonly spanCollector?: { readonly pods: PeerSelector; readonly port: number };
    readonly chart: ChartSource;
    readonly certManagerChart: ChartSource;
    readonly gatewayApiCrds: { readonly url: string; readonly path?: string };
}

export function edgePlan(cfg: StackConfig): EdgePlan {
    const e = cfg.edge;
    const resources = edgeResourceDefaults(cfg.environment);
    return {
        helm: helmRendering(cfg),
        environment: cfg.environment,
        domain: cfg.domain,
        clusterDomain: cfg.kubernetes.clusterDomain,
        namespace: cfg.namespaces.edge,
        certManagerNamespace: cfg.namespaces.certManager,
        hosts: publicHosts(cfg),
        routes: edgeRoutes(cfg),
        hstsMaxAgeSeconds: e.hstsMaxAgeSeconds,
        tls: e.tls,
        providedCertificates: e.tls === "provided" ? e.certificates : [],
        acme: e.acme,
        certManagerIssuer: e.certManagerIssuer,
        controllerReplicas: e.controllerReplicas,
        controllerMaxReplicas: e.controllerMaxReplicas,
        dataPlaneReplicas: e.dataPlaneReplicas,
        dataPlaneMaxReplicas: e.dataPlaneMaxReplicas,
        serviceType: e.serviceType,
        nodePorts: e.nodePorts,
        controllerResources: resolveResources(e.resources, resources.controlPlane),
        dataPlaneResources: resolveResources(e.dataPlaneResources, resources.dataPlane),
        certManagerResources: resources.certManager,
        zoneSpreadRequired: environmentDefaults(cfg.environment).zoneSpreadRequired,
        singleReplicaWaiver: cfg.waivers.singleEdgeReplica,
        dataPlane: edgeDataPlane(cfg),
        istiod: cfg.mesh.enabled ? { pods: istiodPods(cfg), port: ISTIOD_XDS_PORT } : undefined,
        spanCollector:
            cfg.mesh.enabled && cfg.tracing.enabled
                ? { pods: collectorPods(cfg.namespaces.tracing), port: OTLP_GRPC_PORT }
                : undefined,
        chart: e.chart,
        certManagerChart: e.certManagerChart,
        gatewayApiCrds: e.gatewayApiCrds,
    };
}
