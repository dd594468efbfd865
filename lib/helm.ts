/**
 * How the stack's Helm charts are rendered, and what is trimmed from the CustomResourceDefinitions they carry.
 * Pure: components/helm-chart.ts turns these into resources.
 *
 * - Against a cluster, `helm.v4.Chart` renders inside the provider, asks the cluster for its version and API
 *   groups, and registers every object as a resource (the policy pack judges each one).
 * - In render mode (`kubernetes.renderYamlToDirectory`) there is no cluster to ask: helm.v4.Chart would render
 *   against Helm's default Kubernetes v1.20.0, which every chart with a `kubeVersion` constraint refuses, and
 *   @pulumi/kubernetes 4.34 has no `kubeVersion` on helm.v4.Chart. There the same charts go through
 *   `helm.v3.Chart` (client-side render, still one resource per object) with `kubernetes.kubeVersion` and the
 *   API groups the stack installs, and without hooks, as helm.v4 would.
 */
import type { StackConfig } from "../config/schema";
import { inClusterPostgres } from "./postgres/roles";

export type HelmRendering =
    | { readonly mode: "cluster" }
    | { readonly mode: "client"; readonly kubeVersion: string; readonly apiVersions: readonly string[] };

/**
 * Helm's `.Capabilities.APIVersions` in render mode, beyond Helm's built-in list: the custom resource API versions
 * the stack installs CRDs for, and `apiregistration.k8s.io/v1`, which every supported cluster serves (since 1.10)
 * but Helm's list lacks (the Prometheus Adapter chart would fall back to the removed v1beta1 APIService).
 */
export function installedApiVersions(cfg: StackConfig): string[] {
    const versions: string[] = ["apiregistration.k8s.io/v1"];
    if (cfg.monitoring.enabled) versions.push("monitoring.coreos.com/v1");
    if (inClusterPostgres(cfg)) versions.push("postgresql.cnpg.io/v1");
    if (cfg.edge.enabled) {
        versions.push("gateway.networking.k8s.io/v1", "gateway.nginx.org/v1alpha1", "gateway.nginx.org/v1alpha2");
        if (cfg.edge.tls === "acme") versions.push("cert-manager.io/v1", "acme.cert-manager.io/v1");
    }
    if (cfg.mesh.enabled) versions.push("networking.istio.io/v1", "security.istio.io/v1", "telemetry.istio.io/v1");
    return versions;
}

export function helmRendering(cfg: StackConfig): HelmRendering {
    if (cfg.kubernetes.renderYamlToDirectory === undefined) return { mode: "cluster" };
    return { mode: "client", kubeVersion: cfg.kubernetes.kubeVersion, apiVersions: installedApiVersions(cfg) };
}

/**
 * A CustomResourceDefinition without the descriptions in its schemas (state size). One implementation, in the
 * post-renderer that helm.v4.Chart runs (scripts/helm/post-render.js says why and what is lost).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const stripCrdDescriptions: <T>(crd: T) => T = require("../scripts/helm/post-render.js").stripCrdDescriptions;

/** The post-renderer every chart gets (helm.v4.Chart `postRenderer`): trims CRDs, drops the given kinds. */
export function postRendererArgs(dropKinds: readonly string[]): string[] {
    return ["--trim-crds", ...dropKinds.flatMap((k) => ["--drop", k])];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Helm hooks (`helm.sh/hook` annotation): helm.v4.Chart drops them, and render mode does the same. */
export function isHelmHook(obj: unknown): boolean {
    return (
        isObject(obj) &&
        isObject(obj.metadata) &&
        isObject(obj.metadata.annotations) &&
        "helm.sh/hook" in obj.metadata.annotations
    );
}
