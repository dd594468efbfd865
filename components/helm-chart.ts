/**
 * Creates the stack's Helm charts: helm.v4.Chart against a cluster, helm.v3.Chart with an explicit Kubernetes
 * version in render mode (lib/helm.ts says why). Either way each rendered object is its own resource, hooks are
 * dropped, and CustomResourceDefinitions lose their schema descriptions (state size: scripts/helm/post-render.js).
 * Not a component: the chart resources keep the parents and names they had.
 */
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HelmRendering, isHelmHook, postRendererArgs, stripCrdDescriptions } from "../lib/helm";

export interface HelmChartArgs {
    /** Chart reference as helm.v4.Chart takes it: a local path, `oci://…/<chart>`, or a name with `repositoryOpts`. */
    readonly chart: string;
    readonly version?: string;
    readonly repositoryOpts?: { readonly repo: string };
    /** Helm release name (object names derive from it). */
    readonly releaseName: string;
    readonly namespace: pulumi.Input<string>;
    readonly values?: pulumi.Inputs;
    /** Leave out the chart's `crds/` directory. @default false */
    readonly skipCrds?: boolean;
    /** Objects the chart renders that must not be created, as "<apiVersion>/<Kind>". @default [] */
    readonly dropKinds?: readonly string[];
}

const POST_RENDERER = path.join(__dirname, "..", "scripts", "helm", "post-render.js");

export function helmChart(
    name: string,
    args: HelmChartArgs,
    rendering: HelmRendering,
    opts: pulumi.ComponentResourceOptions,
): pulumi.Resource {
    const dropKinds = args.dropKinds ?? [];
    if (rendering.mode === "cluster") {
        return new k8s.helm.v4.Chart(
            name,
            {
                chart: args.chart,
                ...(args.version !== undefined ? { version: args.version } : {}),
                ...(args.repositoryOpts ? { repositoryOpts: args.repositoryOpts } : {}),
                name: args.releaseName,
                namespace: args.namespace,
                ...(args.values !== undefined ? { values: args.values } : {}),
                ...(args.skipCrds ? { skipCrds: true } : {}),
                // A post-renderer rather than `transforms`: its effect is an input the tests can see and re-run on
                // Helm's real output (mocks cannot run transforms).
                postRenderer: { command: process.execPath, args: [POST_RENDERER, ...postRendererArgs(dropKinds)] },
            },
            opts,
        );
    }
    const source =
        args.chart.startsWith("oci://") || args.repositoryOpts
            ? {
                  chart: args.chart,
                  version: args.version,
                  ...(args.repositoryOpts ? { fetchOpts: { repo: args.repositoryOpts.repo } } : {}),
              }
            : { path: args.chart };
    const dropped = new Set(dropKinds);
    // helm.v3.Chart names the release after the resource; the resource name stays unique in the stack.
    return new k8s.helm.v3.Chart(
        args.releaseName,
        {
            ...source,
            namespace: args.namespace,
            values: args.values ?? {},
            kubeVersion: rendering.kubeVersion,
            apiVersions: [...rendering.apiVersions],
            skipCRDRendering: args.skipCrds ?? false,
            transformations: [
                (obj: any) => {
                    // An empty List creates nothing: the documented way to drop an object in a v3 transformation.
                    if (isHelmHook(obj) || dropped.has(`${obj.apiVersion}/${obj.kind}`)) {
                        for (const key of Object.keys(obj)) delete obj[key];
                        Object.assign(obj, { apiVersion: "v1", kind: "List", items: [] });
                    } else if (
                        obj.apiVersion === "apiextensions.k8s.io/v1" &&
                        obj.kind === "CustomResourceDefinition"
                    ) {
                        obj.spec = stripCrdDescriptions(obj).spec;
                    }
                },
            ],
        },
        opts,
    );
}
