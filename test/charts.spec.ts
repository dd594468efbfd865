/**
 * Every chart of every stack rendered with real Helm from the upstream charts (../shared/charts), with exactly the
 * release name, namespace, values and CRD switch recorded from the program, and judged the way the real engine
 * judges them: under helm.v4.Chart each rendered object is a resource of its own, so the policy pack sees it alone,
 * beside every first-party object of the stack. (Under the mocks a chart is one opaque resource.)
 */
import { expect } from "chai";
import { parseConfig, StackConfig } from "../config";
import { formatViolations, loadPackConfig, runPack } from "../policy/test/pack-runner";
import { asRecorded, CHART_TYPE, helmTemplate, needBuiltTool, needSharedCharts, RenderedChart } from "./lib/charts";
import { readStackConfig, RecordedResource, renderStack, STACKS } from "./lib/harness";

/** One render per stack and Kubernetes version, shared by the suites that need chart objects. */
const cache = new Map<string, Promise<{ cfg: StackConfig; firstParty: RecordedResource[]; charts: RenderedChart[] }>>();

export function renderedWithCharts(helm: string, stack: string): Promise<{ cfg: StackConfig; firstParty: RecordedResource[]; charts: RenderedChart[] }> {
    if (!cache.has(stack)) {
        cache.set(stack, (async () => {
            const cfg = parseConfig(readStackConfig(stack));
            const r = await renderStack(stack);
            const chartRecords = r.resources.filter((x) => x.type === CHART_TYPE);
            const charts = chartRecords.map((c) => helmTemplate(helm, c, cfg, cfg.kubernetes.kubeVersion));
            // The chart resources stay: under the real engine they are component resources that others depend on.
            return { cfg, firstParty: r.resources, charts };
        })());
    }
    return cache.get(stack)!;
}

describe("charts rendered with real Helm, judged as the real engine judges them", function () {
    this.timeout(600_000);

    for (const stack of STACKS) {
        describe(stack, () => {
            let helm: string;
            before(function () {
                needSharedCharts(this);
                helm = needBuiltTool(this, "helm");
            });

            it("renders every chart of the stack, and the pack finds no mandatory violation on any object", async () => {
                const { firstParty, charts } = await renderedWithCharts(helm, stack);
                expect(charts.length, "charts in the stack").to.be.greaterThan(0);
                for (const c of charts) expect(c.objects.length, `${c.chart.name} renders objects`).to.be.greaterThan(0);
                const chartObjects = charts.flatMap((c) => c.objects.map((o) => asRecorded(c, o)));
                const violations = runPack([...firstParty, ...chartObjects], loadPackConfig(stack));
                const chartUrns = new Set(chartObjects.map((o) => o.urn));
                const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
                const advisoryOnCharts = violations.filter((v) => v.enforcementLevel === "advisory" && chartUrns.has(v.urn));
                console.log(`      ${stack}: the pack judged ${chartObjects.length} chart objects from ${charts.length} charts`
                    + ` (${charts.map((c) => `${c.chart.inputs.name} ${c.objects.length}`).join(", ")}) and ${firstParty.length} first-party resources;`
                    + ` ${advisoryOnCharts.length} advisory findings on chart objects; hooks dropped: ${charts.reduce((n, c) => n + c.hooks.length, 0)}`);
                for (const c of charts.filter((x) => x.missingSubcharts.length > 0)) {
                    console.log(`      NOT JUDGED: ${c.chart.inputs.name} subcharts missing from the shared charts: ${c.missingSubcharts.join(", ")}`);
                }
                expect(mandatory, formatViolations(mandatory)).to.deep.equal([]);
            });

            it("gives the chart's class-level NginxProxy the data plane's requests and limits (judged alone)", async function () {
                const { charts } = await renderedWithCharts(helm, stack);
                const ngf = charts.find((c) => c.chart.inputs.name === "nginx-gateway-fabric");
                if (!ngf) this.skip();
                const proxies = ngf!.objects.filter((o) => o.kind === "NginxProxy");
                expect(proxies, "the chart renders its class-level NginxProxy").to.have.length(1);
                const resources = proxies[0].spec.kubernetes.deployment.container.resources;
                expect(resources.requests).to.include.keys("cpu", "memory");
                expect(resources.limits).to.include.keys("cpu", "memory");
            });
        });
    }
});
