/**
 * Logging (components/logging.ts, lib/logging/plan.ts): chart values and Alloy's configuration from the pure
 * functions, the component from hand-written args under the mocks, the stacks (staging and prod collect logs, dev
 * does not), and the two charts rendered with real Helm with the values the prod stack passes: what Loki is told to
 * keep, what Alloy may read. The pack and the real API server judge the same charts in test/charts.spec.ts and
 * test/apiserver.spec.ts.
 */
import { expect } from "chai";
import * as k8s from "@pulumi/kubernetes";
import * as yaml from "js-yaml";
import { parseConfig } from "../config";
import { Logging } from "../components/logging";
import {
    ALLOY_DEFAULT_RESOURCES,
    alloyConfig,
    alloyPods,
    alloyValues,
    LOKI_DEFAULT_RESOURCES,
    LOKI_HTTP_PORT,
    loggingPlan,
    lokiPods,
    lokiValues,
} from "../lib/logging/plan";
import { CHART_TYPE, helmTemplate, needBuiltTool, needSharedCharts } from "./lib/charts";
import { kubeObjects, readStackConfig, RecordedResource, renderStack } from "./lib/harness";
import { renderUnderMocks } from "./lib/mock-component";

const PUSH_URL = "http://loki.logging.svc.cluster.local:3100/loki/api/v1/push";

describe("logging: chart values and Alloy's configuration (lib/logging)", () => {
    it("Alloy tails every pod through the API, labels the streams and pushes to Loki; clustered only with peers", () => {
        const single = alloyConfig({ pushUrl: PUSH_URL, clustered: false });
        expect(single).to.include('loki.source.kubernetes "pods"');
        expect(single).to.include("targets    = discovery.relabel.pods.output");
        expect(single).to.include(`url = "${PUSH_URL}"`);
        for (const label of ["namespace", "pod", "container", "app"])
            expect(single).to.include(`target_label  = "${label}"`);
        // No files from the nodes: the namespace stays restricted.
        expect(single).not.to.match(/loki\.source\.file|local\.file_match|\/var\/log/);
        expect(single).not.to.include("clustering");
        expect(alloyConfig({ pushUrl: PUSH_URL, clustered: true })).to.include("clustering {\n    enabled = true\n  }");
        // Balanced braces: a config Alloy can parse at least that far.
        expect(single.split("{").length).to.equal(single.split("}").length);
    });

    it("Loki: one binary on a volume, retention by the compactor, nothing else of the chart's running", () => {
        const v = lokiValues({
            retentionDays: 7,
            storageSize: "20Gi",
            storageClass: "standard",
            resources: LOKI_DEFAULT_RESOURCES,
        });
        expect(v.deploymentMode).to.equal("Monolithic");
        expect(v.loki.limits_config.retention_period).to.equal("168h");
        expect(v.loki.compactor).to.deep.equal({ retention_enabled: true, delete_request_store: "filesystem" });
        expect(v.singleBinary.persistence).to.deep.equal({ enabled: true, size: "20Gi", storageClass: "standard" });
        expect(v.singleBinary.resources.limits).to.deep.equal(LOKI_DEFAULT_RESOURCES.limits);
        for (const off of [v.gateway, v.chunksCache, v.resultsCache, v.lokiCanary, v.test, v.minio, v.sidecar.rules])
            expect(off).to.deep.equal({ enabled: false });
        expect(v.serviceAccount.automountServiceAccountToken).to.equal(false);
        expect(v.singleBinary.automountServiceAccountToken).to.equal(false);
    });

    it("Alloy: a Deployment reading pods and their logs only, hardened, with limits; a PDB from two replicas", () => {
        const args = { config: "x", resources: ALLOY_DEFAULT_RESOURCES, serviceMonitor: true };
        const one = alloyValues({ ...args, replicas: 1 });
        expect(one.controller.type).to.equal("deployment");
        const granted = [...one.rbac.rules, ...one.rbac.clusterRules].flatMap((r) => r.resources);
        expect(granted.sort()).to.deep.equal(["pods", "pods/log"]);
        expect(one.alloy.securityContext).to.include({ readOnlyRootFilesystem: true, runAsNonRoot: true });
        expect(one.alloy.resources.limits).to.deep.equal(ALLOY_DEFAULT_RESOURCES.limits);
        expect(one.alloy.clustering.enabled).to.equal(false);
        expect(one.controller.podDisruptionBudget).to.deep.equal({ enabled: false });
        expect(one.serviceMonitor.enabled).to.equal(true);
        const two = alloyValues({ ...args, replicas: 2 });
        expect(two.alloy.clustering.enabled).to.equal(true);
        expect(two.controller.podDisruptionBudget).to.include({ enabled: true, maxUnavailable: 1 });
    });

    it("retention per environment in whole days, config first", () => {
        const retention = (stack: string, logging: object = {}) =>
            loggingPlan(parseConfig({ ...readStackConfig(stack), logging: { enabled: true, ...logging } }))!.lokiValues
                .loki.limits_config.retention_period;
        expect(retention("dev")).to.equal("72h");
        expect(retention("staging")).to.equal("168h");
        expect(retention("prod")).to.equal("720h");
        expect(retention("prod", { retentionDays: 90 })).to.equal("2160h");
        expect(() =>
            parseConfig({ ...readStackConfig("prod"), logging: { enabled: true, retentionDays: 0.5 } }),
        ).to.throw(/logging\.retentionDays/);
    });
});

describe("logging: the component under mocks", () => {
    it("Loki and Alloy from their configured sources, the policies, Alloy after the monitoring CRDs; all parented", async () => {
        const plan = loggingPlan(
            parseConfig({
                ...readStackConfig("staging"),
                logging: {
                    enabled: true,
                    lokiChart: { repository: "oci://mirror.example.com/charts", chart: "loki", version: "18.11.0" },
                },
            }),
        )!;
        const resources = await renderUnderMocks(() => {
            const crds = new k8s.core.v1.ConfigMap("monitoring-crds-stand-in", {
                metadata: { namespace: "monitoring" },
            });
            new Logging("logs", {
                ...plan,
                namespace: "logging",
                monitoring: { prometheusPods: { namespace: "monitoring", podLabels: {} }, dependsOn: [crds] },
            });
        });
        const component = resources.find((r) => r.type === Logging.TYPE)!;
        const charts = resources.filter((r) => r.type === CHART_TYPE);
        expect(charts.map((c) => [c.inputs.name, c.inputs.chart])).to.deep.equal([
            ["loki", "oci://mirror.example.com/charts/loki"],
            ["alloy", "alloy"],
        ]);
        const crdsUrn = resources.find((r) => r.name === "monitoring-crds-stand-in")!.urn;
        expect(charts[1].dependencies).to.include(crdsUrn);
        expect(charts[0].dependencies).not.to.include(crdsUrn);
        const policies = resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policies).to.have.length(2);
        for (const r of [...charts, ...policies]) expect(r.parent).to.equal(component.urn);
    });
});

describe("logging: in the stacks", () => {
    const rendered: Record<string, RecordedResource[]> = {};
    before(async function () {
        this.timeout(120_000);
        for (const stack of ["dev", "staging"]) rendered[stack] = (await renderStack(stack)).resources;
    });

    it("staging: a restricted namespace; Grafana gets Loki as a data source; the alert watches the collector", () => {
        const objects = kubeObjects(rendered.staging);
        const ns = objects.find((o) => o.kind === "Namespace" && o.metadata.name === "logging")!;
        expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).to.equal("restricted");
        const kps = rendered.staging.find((r) => r.inputs?.name === "kube-prometheus-stack")!;
        expect(kps.inputs.values.grafana.additionalDataSources).to.deep.include({
            name: "Loki",
            type: "loki",
            uid: "loki",
            access: "proxy",
            url: `http://loki.logging.svc.cluster.local:${LOKI_HTTP_PORT}`,
        });
        const rules = objects
            .filter((o) => o.kind === "PrometheusRule")
            .flatMap((o) => o.spec.groups.flatMap((g: any) => g.rules));
        const alert = rules.find((r: any) => r.alert === "LogCollectionStopped");
        expect(alert?.expr).to.include('loki_write_sent_entries_total{namespace="logging"}');
    });

    it("staging: Loki admits pushes from Alloy and queries from Grafana; Alloy may reach only Loki, its peers, the API server, DNS", () => {
        const objects = kubeObjects(rendered.staging);
        const policyFor = (labels: Record<string, string>) =>
            objects.find(
                (o) =>
                    o.kind === "NetworkPolicy" &&
                    o.metadata.namespace === "logging" &&
                    o.spec.podSelector.matchLabels["app.kubernetes.io/name"] === labels["app.kubernetes.io/name"],
            )!;
        const loki = policyFor(lokiPods("logging").podLabels);
        const lokiIngress = loki.spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === LOKI_HTTP_PORT));
        expect(
            lokiIngress.flatMap((r: any) =>
                r.from.map((p: any) => p.podSelector.matchLabels["app.kubernetes.io/name"]),
            ),
        ).to.deep.equal(["alloy", "grafana"]);
        const alloy = policyFor(alloyPods("logging").podLabels);
        expect(alloy.spec.egress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort()).to.deep.equal(
            [12345, 3100, 443, 53, 53, 6443].sort(),
        );
    });

    it("dev: collects no logs", () => {
        expect(rendered.dev.some((r) => r.type === Logging.TYPE)).to.equal(false);
        expect(kubeObjects(rendered.dev).some((o) => o.kind === "Namespace" && o.metadata.name === "logging")).to.equal(
            false,
        );
    });
});

describe("logging: the charts rendered with real Helm (prod's values)", function () {
    this.timeout(300_000);
    let objects: Record<string, any>[] = [];
    before(async function () {
        needSharedCharts(this);
        const helm = needBuiltTool(this, "helm");
        const cfg = parseConfig(readStackConfig("prod"));
        const charts = (await renderStack("prod")).resources.filter(
            (r) => r.type === CHART_TYPE && ["loki", "alloy"].includes(r.inputs.name),
        );
        expect(charts).to.have.length(2);
        objects = charts.flatMap((c) => helmTemplate(helm, c, cfg, cfg.kubernetes.kubeVersion).objects);
    });

    it("Loki's configuration keeps 30 days and lets the compactor delete; one StatefulSet on a 100Gi volume", () => {
        const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "loki")!;
        const config = yaml.load(configMap.data["config.yaml"]) as any;
        expect(config.limits_config.retention_period).to.equal("720h");
        expect(config.compactor).to.include({ retention_enabled: true, delete_request_store: "filesystem" });
        expect(config.auth_enabled).to.equal(false);
        const workloads = objects.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind));
        expect(workloads.map((o) => `${o.kind}/${o.metadata.name}`).sort()).to.deep.equal([
            "Deployment/alloy",
            "StatefulSet/loki",
        ]);
        const loki = workloads.find((o) => o.kind === "StatefulSet")!;
        expect(loki.spec.volumeClaimTemplates[0].spec.resources.requests.storage).to.equal("100Gi");
        expect(loki.spec.volumeClaimTemplates[0].spec.storageClassName).to.equal("fast-ssd");
        expect(loki.spec.template.spec.containers.map((c: any) => c.name)).to.deep.equal(["loki"]);
    });

    it("Alloy runs our configuration on two clustered replicas, may find pods and read their logs only, and is scraped", () => {
        const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "alloy")!;
        expect(configMap.data["config.alloy"]).to.include(PUSH_URL);
        const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "alloy")!;
        expect(deployment.spec.replicas).to.equal(2);
        const alloy = deployment.spec.template.spec.containers[0];
        expect(alloy.args).to.include("--cluster.enabled=true");
        expect(alloy.livenessProbe.tcpSocket.port).to.equal(12345);
        // No reloader sidecar: the config's checksum rolls the pods instead.
        expect(deployment.spec.template.metadata.annotations).to.have.property("checksum/config");
        const roles = objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role");
        expect(roles.map((o) => o.metadata.name)).to.deep.equal(["alloy"]);
        const resources = roles[0].rules.flatMap((r: any) => r.resources).sort();
        expect(resources).to.deep.equal(["pods", "pods/log"]);
        expect(objects.some((o) => o.kind === "ServiceMonitor" && o.metadata.name === "alloy")).to.equal(true);
        expect(objects.some((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === "alloy")).to.equal(true);
    });
});
