/**
 * metrics-server (components/metrics-server.ts): chart values and NetworkPolicy from the pure functions, the
 * component under mocks from hand-written args, and the stacks (dev on kind installs it, staging and prod do not).
 * Its chart objects are rendered with real Helm and judged by the pack in test/charts.spec.ts, and dry-run on the
 * real API server in test/apiserver.spec.ts (dev).
 */
import { expect } from "chai";
import { parseConfig } from "../config";
import { MetricsServer } from "../components/metrics-server";
import {
    KUBELET_PORT,
    METRICS_SERVER_DEFAULT_RESOURCES,
    METRICS_SERVER_PORT,
    metricsServerNetworkPolicySpec,
    metricsServerPlan,
    metricsServerSelector,
    metricsServerValues,
} from "../lib/metrics-server/values";
import { API_SERVER_PORTS } from "../lib/topology";
import { readStackConfig, renderStack } from "./lib/harness";
import { renderUnderMocks } from "./lib/mock-component";

const CHART = {
    repository: "https://kubernetes-sigs.github.io/metrics-server/",
    chart: "metrics-server",
    version: "3.13.1",
};

describe("metrics-server: chart values and NetworkPolicy (lib/metrics-server)", () => {
    it("one replica: requests and limits, no PDB, kubelet TLS verified unless asked", () => {
        const values = metricsServerValues({
            replicas: 1,
            kubeletInsecureTls: false,
            resources: METRICS_SERVER_DEFAULT_RESOURCES,
        });
        expect(values.args).to.deep.equal([]);
        expect(values.resources).to.deep.equal({
            requests: { cpu: "100m", memory: "200Mi" },
            limits: { cpu: "1000m", memory: "400Mi" },
        });
        expect(values.podDisruptionBudget).to.deep.equal({ enabled: false });
        expect(values).to.not.have.property("topologySpreadConstraints");
        expect(values.tmpVolume.emptyDir.sizeLimit).to.equal("64Mi");
        // system-cluster-critical pods are refused outside kube-system where critical classes are quota-limited.
        expect(values.priorityClassName).to.equal("");
    });

    it("kind: --kubelet-insecure-tls; two replicas: a PDB of one unavailable and spread over nodes", () => {
        const values = metricsServerValues({
            replicas: 2,
            kubeletInsecureTls: true,
            resources: METRICS_SERVER_DEFAULT_RESOURCES,
        });
        expect(values.args).to.deep.equal(["--kubelet-insecure-tls"]);
        expect(values.podDisruptionBudget).to.deep.equal({
            enabled: true,
            maxUnavailable: 1,
            unhealthyPodEvictionPolicy: "AlwaysAllow",
        });
        expect(values.topologySpreadConstraints![0].labelSelector.matchLabels).to.deep.equal(metricsServerSelector());
    });

    it("the policy admits its secure port from the API server, and lets it reach the kubelets, the API server and DNS", () => {
        const spec = metricsServerNetworkPolicySpec();
        expect(spec.podSelector).to.deep.equal({ matchLabels: metricsServerSelector() });
        expect(spec.ingress).to.deep.equal([{ ports: [{ protocol: "TCP", port: METRICS_SERVER_PORT }] }]);
        const egressPorts = (spec.egress as { ports?: { port: number }[] }[]).flatMap((r) =>
            (r.ports ?? []).map((p) => p.port),
        );
        expect(egressPorts).to.include.members([KUBELET_PORT, ...API_SERVER_PORTS, 53]);
    });
});

describe("metrics-server: the component under mocks", () => {
    it("installs the chart from its configured source with the values, plus the NetworkPolicy, all parented", async () => {
        const resources = await renderUnderMocks(() => {
            new MetricsServer("ms", {
                helm: { mode: "cluster" },
                namespace: "metrics-server",
                chart: { ...CHART, path: "/mirror/charts/metrics-server" },
                replicas: 2,
                kubeletInsecureTls: true,
                resources: METRICS_SERVER_DEFAULT_RESOURCES,
            });
        });
        const component = resources.find((r) => r.type === MetricsServer.TYPE)!;
        const chart = resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart")!;
        expect(chart.inputs.chart).to.equal("/mirror/charts/metrics-server");
        expect(chart.inputs.name).to.equal("metrics-server");
        expect(chart.inputs.namespace).to.equal("metrics-server");
        expect(chart.inputs.values.args).to.deep.equal(["--kubelet-insecure-tls"]);
        expect(chart.inputs.values.replicas).to.equal(2);
        const policy = resources.find((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy")!;
        expect(policy.inputs.spec.podSelector.matchLabels).to.deep.equal(metricsServerSelector());
        for (const r of [chart, policy]) expect(r.parent).to.equal(component.urn);
    });
});

describe("metrics-server: in the stacks", () => {
    it("dev (kind) installs it in a restricted namespace of its own; staging and prod, on clusters that ship one, do not", async () => {
        const dev = await renderStack("dev");
        expect(dev.resources.filter((r) => r.type === MetricsServer.TYPE)).to.have.length(1);
        const namespace = dev.resources.find(
            (r) => r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata.name === "metrics-server",
        )!;
        expect(namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).to.equal("restricted");
        for (const stack of ["staging", "prod"] as const)
            expect(metricsServerPlan(parseConfig(readStackConfig(stack))), stack).to.equal(undefined);
    });

    it("the plan takes the chart source, replicas and resources from config", () => {
        const raw = readStackConfig("staging");
        const plan = metricsServerPlan(
            parseConfig({
                ...raw,
                metricsServer: {
                    enabled: true,
                    replicas: 2,
                    chart: { ...CHART, repository: "oci://mirror.example.com/charts" },
                    resources: { limits: { memory: "300Mi" } },
                },
            }),
        )!;
        expect(plan.chart.repository).to.equal("oci://mirror.example.com/charts");
        expect(plan.replicas).to.equal(2);
        expect(plan.kubeletInsecureTls).to.equal(false);
        expect(plan.resources.limits).to.deep.equal({ cpu: "1000m", memory: "300Mi" });
        expect(plan.namespace).to.equal("metrics-server");
    });
});
