/**
 * Requests-per-second autoscaling (lib/monitoring/adapter.ts): every custom metric an HPA of the stack asks for has
 * a Prometheus Adapter rule that produces it, and each rule's query, as the adapter fills it in, yields the per-pod
 * request rate on real series in real Prometheus (`promtool test rules`). The adapter chart itself is rendered with
 * real Helm and judged by the pack (test/charts.spec.ts) and dry-run on the real API server (test/apiserver.spec.ts).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseConfig } from "../config";
import {
    AdapterRule,
    adapterRules,
    adapterSelector,
    ISTIO_REQUESTS_COUNTER,
    perSecondMetric,
    requestRateSource,
} from "../lib/monitoring/adapter";
import { monitoringNetworkPolicies } from "../lib/monitoring/network-policies";
import { kubeObjects, readStackConfig, RecordedResource, renderStack, STACKS } from "./lib/harness";
import { needTool, run } from "./lib/tools";

const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";

/** Custom (Pods) metrics the stack's HPAs ask for. */
function hpaCustomMetrics(resources: readonly RecordedResource[]): string[] {
    return resources
        .filter((r) => r.type === HPA)
        .flatMap((r) =>
            (r.inputs.spec.metrics as any[]).filter((m) => m.type === "Pods").map((m) => m.pods.metric.name),
        );
}

/** The adapter rules the stack installs (the chart's values), or none. */
function installedRules(resources: readonly RecordedResource[]): AdapterRule[] {
    const chart = resources.find(
        (r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === "prometheus-adapter",
    );
    return chart ? chart.inputs.values.rules.custom : [];
}

/** The metric a rule serves, read the way the adapter reads it: the series' name through `name.matches` / `as`. */
function servedMetric(rule: AdapterRule): string | undefined {
    const series = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(rule.seriesQuery)?.[1];
    if (series === undefined || !new RegExp(rule.name.matches).test(series)) return undefined;
    return series.replace(new RegExp(rule.name.matches), rule.name.as.replace(/\$\{(\d+)\}/g, "$$$1"));
}

/** The query the adapter runs for `pods` of a namespace (its template filled in as the adapter does). */
function filledQuery(rule: AdapterRule, namespace: string, pods: string[]): string {
    const series = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(rule.seriesQuery)![1];
    return rule.metricsQuery
        .replace("<<.Series>>", series)
        .replace("<<.LabelMatchers>>", `namespace="${namespace}",pod=~"${pods.join("|")}"`)
        .replace("<<.GroupBy>>", "pod");
}

describe("requests-per-second autoscaling: every HPA metric has an adapter rule that produces it", () => {
    const rendered: Record<string, RecordedResource[]> = {};
    before(async function () {
        this.timeout(120_000);
        for (const stack of STACKS) rendered[stack] = (await renderStack(stack)).resources;
    });

    for (const stack of STACKS) {
        it(`${stack}: each custom metric of an HPA is served by exactly one rule, and every rule by an HPA`, () => {
            const asked = [...new Set(hpaCustomMetrics(rendered[stack]))].sort();
            const served = installedRules(rendered[stack]).map(servedMetric);
            expect(
                served.filter((m) => m === undefined),
                "rules whose name mapping matches no series",
            ).to.deep.equal([]);
            expect([...served].sort(), "served metrics").to.deep.equal(asked);
            // The adapter exists exactly when something asks it for a metric.
            const adapter = rendered[stack].some((r) => r.inputs?.name === "prometheus-adapter");
            expect(adapter).to.equal(asked.length > 0);
        });
    }

    it("the stacks exercise both sources: a counter the service declares (staging) and Istio's (prod)", () => {
        expect(hpaCustomMetrics(rendered.staging)).to.include("http_requests_per_second");
        expect(hpaCustomMetrics(rendered.prod)).to.include(perSecondMetric(ISTIO_REQUESTS_COUNTER));
        expect(hpaCustomMetrics(rendered.dev)).to.deep.equal([]);
    });

    it("the adapter queries the stack's Prometheus, and its NetworkPolicy admits the API server on its port", () => {
        const chart = rendered.prod.find((r) => r.inputs?.name === "prometheus-adapter")!;
        expect(chart.inputs.values.prometheus).to.deep.equal({
            url: "http://kube-prometheus-stack-prometheus.monitoring.svc",
            port: 9090,
        });
        expect(chart.inputs.values.rules.default).to.equal(false);
        expect(chart.inputs.values.replicas).to.equal(2);
        expect(chart.inputs.values.podDisruptionBudget.enabled).to.equal(true);
        const policy = kubeObjects(rendered.prod).find(
            (o) =>
                o.kind === "NetworkPolicy" &&
                o.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === "prometheus-adapter",
        )!;
        expect(policy.spec.podSelector.matchLabels).to.deep.equal(adapterSelector());
        expect(policy.spec.ingress).to.deep.equal([{ ports: [{ port: 6443, protocol: "TCP" }] }]);
        expect(monitoringNetworkPolicies(parseConfig(readStackConfig("dev"))).map((p) => p.name)).to.not.include(
            "prometheus-adapter",
        );
    });

    it("source: the declared counter wins; else Istio's with the mesh on; else none (refused by config)", () => {
        const svc = parseConfig(readStackConfig("staging")).services.backend;
        expect(requestRateSource(svc, true)?.counter).to.equal("http_requests_total");
        const plain = { ...svc, metrics: { ...svc.metrics!, requestsTotalMetric: undefined } };
        expect(requestRateSource(plain, true)).to.deep.equal({
            counter: "istio_requests_total",
            extraMatchers: 'reporter="destination"',
            metric: "istio_requests_per_second",
        });
        expect(requestRateSource(plain, false)).to.equal(undefined);
    });

    it("the rate window covers at least four scrapes of the slowest counter", () => {
        const raw = readStackConfig("staging") as Record<string, any>;
        raw.services.backend.metrics.intervalSeconds = 60;
        expect(adapterRules(parseConfig(raw))[0].metricsQuery).to.include("[240s]");
    });

    describe("each rule's query yields the per-pod rate on real series (promtool test rules)", function () {
        this.timeout(120_000);
        let dir = "";
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-adapter-"));
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        for (const stack of ["staging", "prod"] as const) {
            it(`${stack}: 1 and 2 requests/s on two pods read as 1 and 2; other namespaces and Envoy's client side do not count`, function () {
                const promtool = needTool(this, "promtool", "prometheus");
                const rules = installedRules(rendered[stack]);
                expect(rules.length).to.be.greaterThan(0);
                for (const rule of rules) {
                    const series = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(rule.seriesQuery)![1];
                    const istio = series === ISTIO_REQUESTS_COUNTER;
                    const labels = (pod: string, namespace = "apps", reporter = "destination") =>
                        `${series}{namespace="${namespace}",pod="${pod}",job="backend"${istio ? `,reporter="${reporter}"` : ""}}`;
                    const inputs = [
                        { series: labels("backend-a"), values: "0+60x15" },
                        { series: labels("backend-b"), values: "0+120x15" },
                        // Same pod name elsewhere: not this namespace's pods.
                        { series: labels("backend-a", "other"), values: "0+600x15" },
                        // Envoy counts each request at both ends; only the server side is the pod's load.
                        ...(istio ? [{ series: labels("backend-a", "apps", "source"), values: "0+6000x15" }] : []),
                    ];
                    const test = {
                        rule_files: [],
                        evaluation_interval: "1m",
                        tests: [
                            {
                                interval: "1m",
                                input_series: inputs,
                                promql_expr_test: [
                                    {
                                        expr: filledQuery(rule, "apps", ["backend-a", "backend-b"]),
                                        eval_time: "10m",
                                        exp_samples: [
                                            { labels: '{pod="backend-a"}', value: 1 },
                                            { labels: '{pod="backend-b"}', value: 2 },
                                        ],
                                    },
                                    {
                                        // The series the adapter discovers with its seriesQuery carry the labels its
                                        // resource overrides map (namespace, pod).
                                        expr: `count(${rule.seriesQuery})`,
                                        eval_time: "10m",
                                        exp_samples: [{ labels: "{}", value: 3 }],
                                    },
                                ],
                            },
                        ],
                    };
                    const file = path.join(dir, `${stack}-${series}.yaml`);
                    fs.writeFileSync(file, yaml.dump(test));
                    const result = run(promtool, ["test", "rules", file], dir);
                    expect(result.status, `${rule.metricsQuery}\n${result.output}`).to.equal(0);
                }
            });
        }

        it("the check can fail: a query that drops the pod grouping does not yield per-pod rates", function () {
            const promtool = needTool(this, "promtool", "prometheus");
            const rule = installedRules(rendered.staging)[0];
            const broken = { ...rule, metricsQuery: rule.metricsQuery.replace("by (<<.GroupBy>>)", "") };
            const test = {
                rule_files: [],
                tests: [
                    {
                        interval: "1m",
                        input_series: [
                            { series: 'http_requests_total{namespace="apps",pod="backend-a"}', values: "0+60x15" },
                            { series: 'http_requests_total{namespace="apps",pod="backend-b"}', values: "0+120x15" },
                        ],
                        promql_expr_test: [
                            {
                                expr: filledQuery(broken, "apps", ["backend-a", "backend-b"]),
                                eval_time: "10m",
                                exp_samples: [
                                    { labels: '{pod="backend-a"}', value: 1 },
                                    { labels: '{pod="backend-b"}', value: 2 },
                                ],
                            },
                        ],
                    },
                ],
            };
            const file = path.join(dir, "broken.yaml");
            fs.writeFileSync(file, yaml.dump(test));
            expect(run(promtool, ["test", "rules", file], dir).status).to.not.equal(0);
        });
    });
});
