/**
 * Where a chart (or a manifest bundle) comes from, as config says it (repository URL or OCI reference, name, pinned
 * version, or a local path for mirrors and air-gapped clusters), and the chart/ConfigFile arguments it becomes. The
 * one place every component resolves its chart source. Pure.
 */

export interface ChartSource {
    readonly repository: string;
    readonly chart: string;
    readonly version: string;
    readonly path?: string;
}

export interface HelmChartReference {
    readonly chart: string;
    readonly version?: string;
    readonly repositoryOpts?: { readonly repo: string };
}

/**
 * `path` (a local chart directory or .tgz) wins; an oci:// repository is addressed as `<repository>/<chart>`;
 * an https repository through repositoryOpts. The version is always the pinned one from config.
 */
export function helmChartReference(source: ChartSource): HelmChartReference {
    if (source.path !== undefined) return { chart: source.path };
    if (source.repository.startsWith("oci://"))
        return { chart: `${source.repository.replace(/\/+$/, "")}/${source.chart}`, version: source.version };
    return { chart: source.chart, version: source.version, repositoryOpts: { repo: source.repository } };
}

/** The Istio charts (base, istiod, cni) share one source; a local path is a directory holding all three. */
export interface IstioChartSource {
    readonly repository: string;
    readonly version: string;
    /** Directory holding the unpacked charts base/, istiod/ and cni/ (overrides repository). */
    readonly path?: string;
}

export type IstioChart = "base" | "istiod" | "cni";
export const ISTIO_CHARTS: readonly IstioChart[] = ["base", "istiod", "cni"];

/** Chart arguments of one Istio chart: all three share the repository and version. */
export function istioChartReference(source: IstioChartSource, chart: IstioChart): HelmChartReference {
    if (source.path !== undefined) return { chart: `${source.path.replace(/\/+$/, "")}/${chart}` };
    return helmChartReference({ repository: source.repository, chart, version: source.version });
}

export function manifestFile(source: { readonly url: string; readonly path?: string }): string {
    return source.path ?? source.url;
}
