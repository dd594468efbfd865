/** Turns a config chart/manifest source into helm.v4.Chart / yaml.v2.ConfigFile arguments. Pure. */

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

export function manifestFile(source: { readonly url: string; readonly path?: string }): string {
    return source.path ?? source.url;
}
