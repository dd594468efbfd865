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
import { KubeManifest, kubeObjects, readStackConfig, RecordedResource, renderStack, STACKS } from "./lib/harness";
import { matchesSelector, peerMatches, portMatches } from "./lib/netpol";
import { ModelledPod, stackPods } from "./lib/scrape";

/** One render per stack and Kubernetes version, shared by the suites that need chart objects. */
const cache = new Map<string, Promise<{ cfg: StackConfig; firstParty: RecordedResource[]; charts: RenderedChart[] }>>();

export function renderedWithCharts(
    helm: string,
    stack: string,
): Promise<{ cfg: StackConfig; firstParty: RecordedResource[]; charts: RenderedChart[] }> {
    if (!cache.has(stack)) {
        cache.set(
            stack,
            (async () => {
                const cfg = parseConfig(readStackConfig(stack));
                const r = await renderStack(stack);
                const chartRecords = r.resources.filter((x) => x.type === CHART_TYPE);
                const charts = chartRecords.map((c) => helmTemplate(helm, c, cfg, cfg.kubernetes.kubeVersion));
                // The chart resources stay: under the real engine they are component resources that others depend on.
                return { cfg, firstParty: r.resources, charts };
            })(),
        );
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
                for (const c of charts)
                    expect(c.objects.length, `${c.chart.name} renders objects`).to.be.greaterThan(0);
                const chartObjects = charts.flatMap((c) => c.objects.map((o) => asRecorded(c, o)));
                const violations = runPack([...firstParty, ...chartObjects], loadPackConfig(stack));
                const chartUrns = new Set(chartObjects.map((o) => o.urn));
                const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
                const advisoryOnCharts = violations.filter(
                    (v) => v.enforcementLevel === "advisory" && chartUrns.has(v.urn),
                );
                console.log(
                    `      ${stack}: the pack judged ${chartObjects.length} chart objects from ${charts.length} charts` +
                        ` (${charts.map((c) => `${c.chart.inputs.name} ${c.objects.length}`).join(", ")}) and ${firstParty.length} first-party resources;` +
                        ` ${advisoryOnCharts.length} advisory findings on chart objects; hooks dropped: ${charts.reduce((n, c) => n + c.hooks.length, 0)}`,
                );
                for (const c of charts.filter((x) => x.missingSubcharts.length > 0)) {
                    console.log(
                        `      NOT JUDGED: ${c.chart.inputs.name} subcharts missing from the shared charts: ${c.missingSubcharts.join(", ")}`,
                    );
                }
                expect(mandatory, formatViolations(mandatory)).to.deep.equal([]);
            });

            it("every selector of ours matches pods or Services the charts and workloads really have, with the ports it names", async () => {
                const { firstParty, charts } = await renderedWithCharts(helm, stack);
                const ours = kubeObjects(firstParty);
                const chartObjects = charts.flatMap((c) => c.objects) as KubeManifest[];
                // The cluster's own DNS pods (CoreDNS / kube-dns: same labels and ports on kind, EKS, GKE and AKS).
                const clusterDns: ModelledPod = {
                    id: "cluster DNS kube-system",
                    source: "the cluster",
                    namespace: "kube-system",
                    namespaceLabels: { "kubernetes.io/metadata.name": "kube-system" },
                    podLabels: { "k8s-app": "kube-dns" },
                    ports: [
                        { port: 53, name: "dns", protocol: "UDP" },
                        { port: 53, name: "dns-tcp", protocol: "TCP" },
                    ],
                };
                const pods = [...stackPods(firstParty, ours, chartObjects), clusterDns];
                // Subcharts missing from the shared charts are rendered switched off: selectors on their pods cannot be judged here.
                const unjudged = new Set(charts.flatMap((c) => c.missingSubcharts.map((m) => m.split(" ")[0])));
                const onUnjudged = (selector: any) => unjudged.has(selector?.matchLabels?.["app.kubernetes.io/name"]);
                const skipped: string[] = [];
                const chartPodIds = new Set(
                    stackPods(
                        [],
                        chartObjects.filter((o) => o.kind !== "Namespace"),
                    ).map((p) => p.id),
                );
                const services = [...ours, ...chartObjects].filter(
                    (o) => o.kind === "Service" && o.apiVersion === "v1",
                );
                const problems: string[] = [];
                let onChartPods = 0;
                const inNs = (ns: string) => (p: ModelledPod) => p.namespace === ns;
                const check = (what: string, selected: ModelledPod[], ports: (string | number)[], protocol = "TCP") => {
                    if (selected.some((p) => chartPodIds.has(p.id))) onChartPods++;
                    if (selected.length === 0) {
                        problems.push(`${what}: selects no pod`);
                        return;
                    }
                    for (const port of ports) {
                        if (!selected.some((p) => p.ports.some((pp) => portMatches({ port, protocol }, pp)))) {
                            problems.push(
                                `${what}: port ${port}/${protocol} exists on none of ${selected.map((p) => p.id).join(", ")}`,
                            );
                        }
                    }
                };
                for (const o of ours) {
                    const what = `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
                    const ns = o.metadata.namespace as string;
                    if (o.kind === "NetworkPolicy" && onUnjudged(o.spec.podSelector)) {
                        skipped.push(what);
                    } else if (o.kind === "NetworkPolicy") {
                        const selected = pods
                            .filter(inNs(ns))
                            .filter((p) => matchesSelector(o.spec.podSelector, p.podLabels ?? {}));
                        for (const rule of o.spec.ingress ?? []) {
                            for (const port of rule.ports ?? [])
                                check(
                                    `${what} ingress`,
                                    selected,
                                    [port.port].filter((x) => x !== undefined),
                                    port.protocol ?? "TCP",
                                );
                            if (!rule.ports) check(`${what} ingress`, selected, []);
                            for (const peer of rule.from ?? []) {
                                if (!peer.podSelector || onUnjudged(peer.podSelector)) continue;
                                const peers = pods.filter((p) => peerMatches(peer, p, ns));
                                check(`${what} ingress from ${JSON.stringify(peer)}`, peers, []);
                            }
                        }
                        for (const rule of o.spec.egress ?? []) {
                            for (const peer of rule.to ?? []) {
                                if (!peer.podSelector || onUnjudged(peer.podSelector)) continue;
                                const peers = pods.filter((p) => peerMatches(peer, p, ns));
                                const ports = (rule.ports ?? [])
                                    .map((pt: any) => pt.port)
                                    .filter((x: unknown) => x !== undefined);
                                check(
                                    `${what} egress to ${JSON.stringify(peer)}`,
                                    peers,
                                    ports,
                                    rule.ports?.[0]?.protocol ?? "TCP",
                                );
                            }
                        }
                    } else if (o.kind === "PodDisruptionBudget") {
                        check(
                            what,
                            pods.filter(inNs(ns)).filter((p) => matchesSelector(o.spec.selector, p.podLabels ?? {})),
                            [],
                        );
                    } else if (o.kind === "AuthorizationPolicy" && o.spec?.selector) {
                        check(
                            what,
                            pods.filter(inNs(ns)).filter((p) => matchesSelector(o.spec.selector, p.podLabels ?? {})),
                            [],
                        );
                    } else if (o.kind === "PodMonitor") {
                        const names: string[] = o.spec.namespaceSelector?.matchNames ?? [ns];
                        const selected = pods.filter(
                            (p) => names.includes(p.namespace!) && matchesSelector(o.spec.selector, p.podLabels ?? {}),
                        );
                        check(
                            what,
                            selected,
                            (o.spec.podMetricsEndpoints ?? [])
                                .map((e: any) => e.port ?? e.portNumber)
                                .filter((x: unknown) => x !== undefined),
                        );
                    } else if (o.kind === "ServiceMonitor") {
                        const names: string[] = o.spec.namespaceSelector?.matchNames ?? [ns];
                        const selected = services.filter(
                            (svc) =>
                                names.includes(svc.metadata.namespace) &&
                                matchesSelector(o.spec.selector, svc.metadata.labels ?? {}),
                        );
                        if (selected.length === 0) problems.push(`${what}: selects no Service`);
                        for (const e of o.spec.endpoints ?? []) {
                            if (
                                e.port !== undefined &&
                                !selected.some((svc) => (svc.spec.ports ?? []).some((p: any) => p.name === e.port))
                            ) {
                                problems.push(`${what}: no selected Service has a port named ${e.port}`);
                            }
                        }
                        for (const svc of selected) {
                            const backing = pods.filter(
                                (p) =>
                                    p.namespace === svc.metadata.namespace &&
                                    svc.spec.selector &&
                                    matchesSelector({ matchLabels: svc.spec.selector }, p.podLabels ?? {}),
                            );
                            check(`${what} via Service ${svc.metadata.name}`, backing, []);
                        }
                    }
                }
                console.log(
                    `      ${stack}: ${onChartPods} of our selectors target chart-rendered pods; checked against the charts' real labels and ports` +
                        (skipped.length ? `; NOT JUDGED (subchart missing): ${skipped.join(", ")}` : ""),
                );
                expect(onChartPods, "selectors on chart pods").to.be.greaterThan(0);
                expect(problems, problems.join("\n")).to.deep.equal([]);
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
