/**
 * Which Grafana the pinned kube-prometheus-stack chart deploys, and what dashboards that Grafana loads (pure data).
 * The dashboard tests check dashboards/*.json against the Grafana of the configured chart, so bumping the chart to
 * one that ships another Grafana major fails until this table (and, if needed, the dashboards) follow.
 */
import { ChartSource } from "../chart-source";

/**
 * The Grafana version each pinned kube-prometheus-stack chart version ships (its grafana subchart's appVersion),
 * as recorded when the chart was pinned (config/schema.ts `monitoring.chart`, `helm template` of that version).
 */
export const KPS_GRAFANA_VERSIONS: Readonly<Record<string, string>> = {
    "88.5.3": "13.2.0",
};

/** The Grafana version the chart deploys; unknown chart versions (or local chart paths) are an error, not a guess. */
export function grafanaVersionOfChart(chart: ChartSource): string {
    const version = chart.path === undefined ? KPS_GRAFANA_VERSIONS[chart.version.replace(/^v/, "")] : undefined;
    if (version === undefined) {
        throw new Error(
            `grafana: no known Grafana version for kube-prometheus-stack ${chart.path ?? chart.version}; ` +
                `add it to KPS_GRAFANA_VERSIONS (known: ${Object.keys(KPS_GRAFANA_VERSIONS).join(", ")})`,
        );
    }
    return version;
}

/**
 * Newest dashboard `schemaVersion` that every release of a Grafana major loads as is. Grafana migrates older
 * schema versions forward on load, so a dashboard is loadable when its schemaVersion is at most this.
 * - 12: 12.0 writes 41 (migration v41, grafana/grafana#100554, Feb 2025); v42 came later in the 12.x line, so 41 is
 *   the newest every 12.x knows.
 * - 13: v42 (grafana/grafana#110517, merged Sept 2025, before 13.0) is "the final version for the v1 dashboard API"
 *   (apps/dashboard/pkg/migration/schemaversion/README.md; later changes are panel migrations). Assumption, not
 *   verified against a 13.x release: no 13.x writes less than 42; a backend-only v43 would not change this bound.
 */
export const GRAFANA_NEWEST_DASHBOARD_SCHEMA: Readonly<Record<number, number>> = {
    12: 41,
    13: 42,
};

/**
 * Core panel plugins of a Grafana major that the dashboards may use (a subset: the ones worth allowing). Angular
 * panels (graph, singlestat, table-old) are gone since Grafana 12, so they are not listed.
 */
const CORE_PANELS_SINCE_12 = [
    "row",
    "timeseries",
    "stat",
    "gauge",
    "bargauge",
    "table",
    "text",
    "piechart",
    "barchart",
    "histogram",
    "heatmap",
    "state-timeline",
    "status-history",
    "logs",
    "news",
    "alertlist",
    "dashlist",
    "nodeGraph",
    "trend",
    "xychart",
] as const;
export const GRAFANA_CORE_PANEL_TYPES: Readonly<Record<number, readonly string[]>> = {
    12: CORE_PANELS_SINCE_12,
    13: CORE_PANELS_SINCE_12,
};

/** Major version of a Grafana version string ("13.2.0" -> 13). */
export function grafanaMajor(version: string): number {
    const match = /^v?(\d+)\.\d+\.\d+/.exec(version);
    if (!match) throw new Error(`grafana: "${version}" is not a Grafana version`);
    return Number(match[1]);
}
