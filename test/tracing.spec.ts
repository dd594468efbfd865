/**
 * Tracing (components/tracing.ts, lib/tracing/plan.ts): chart values and policies from the pure functions, the
 * component from hand-written args under the mocks, and the stacks (staging and prod trace, dev does not): the
 * sidecars' provider and sampling, the services' OTLP env and egress, Grafana's data source. The charts themselves
 * are rendered with real Helm and judged by the pack (test/charts.spec.ts) and dry-run on the real API server
 * (test/apiserver.spec.ts).
 */
import { expect } from "chai";
import { parseConfig } from "../config";
import { Tracing } from "../components/tracing";
import {
    collectorPods,
    collectorValues,
    COLLECTOR_DEFAULT_RESOURCES,
    ISTIO_TRACING_PROVIDER,
    OTLP_GRPC_PORT,
    OTLP_HTTP_PORT,
    TEMPO_DEFAULT_RESOURCES,
    tempoValues,
    tracingEnv,
    tracingPlan,
} from "../lib/tracing/plan";
import { kubeObjects, podSpecOf, readStackConfig, RecordedResource, renderStack } from "./lib/harness";
import { renderUnderMocks } from "./lib/mock-component";

describe("tracing: chart values (lib/tracing)", () => {
    it("the collector receives OTLP only and exports every span to Tempo, hardened, with limits", () => {
        const v = collectorValues({
            tempoEndpoint: "tempo.tracing.svc.cluster.local:4317",
            resources: COLLECTOR_DEFAULT_RESOURCES,
        });
        expect(v.mode).to.equal("deployment");
        expect(v.alternateConfig.service.pipelines).to.deep.equal({
            traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp"] },
        });
        expect(v.alternateConfig.exporters.otlp.endpoint).to.equal("tempo.tracing.svc.cluster.local:4317");
        const enabled = Object.entries(v.ports)
            .filter(([, p]) => p.enabled)
            .map(([name]) => name);
        expect(enabled).to.deep.equal(["otlp", "otlp-http"]);
        expect(v.securityContext).to.include({
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
        });
        expect(v.resources.limits).to.deep.equal(COLLECTOR_DEFAULT_RESOURCES.limits);
        expect(v.serviceAccount).to.deep.include({ create: false, automountServiceAccountToken: false });
    });

    it("Tempo keeps traces for the retention given, on a volume, receiving OTLP gRPC only", () => {
        const v = tempoValues({
            retentionHours: 72,
            storageSize: "10Gi",
            storageClass: "standard",
            resources: TEMPO_DEFAULT_RESOURCES,
        });
        expect(v.tempo.retention).to.equal("72h");
        expect(Object.keys(v.tempo.receivers)).to.deep.equal(["otlp"]);
        expect(v.persistence).to.deep.equal({ enabled: true, size: "10Gi", storageClassName: "standard" });
        expect(v.tempo.reportingEnabled).to.equal(false);
    });

    it("sampling and retention per environment, config first", () => {
        const env = (stack: string, tracing: object = {}) =>
            tracingEnv(parseConfig({ ...readStackConfig(stack), tracing: { enabled: true, ...tracing } }), "api");
        expect(env("dev").OTEL_TRACES_SAMPLER_ARG).to.equal("1");
        expect(env("staging").OTEL_TRACES_SAMPLER_ARG).to.equal("0.1");
        expect(env("prod").OTEL_TRACES_SAMPLER_ARG).to.equal("0.01");
        expect(env("prod", { samplingPercent: 5 }).OTEL_TRACES_SAMPLER_ARG).to.equal("0.05");
        expect(env("prod")).to.deep.include({
            OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.tracing.svc.cluster.local:4318",
            OTEL_SERVICE_NAME: "api",
            OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        });
        const plan = tracingPlan(parseConfig({ ...readStackConfig("prod"), tracing: { enabled: true } }))!;
        expect(plan.tempoValues.tempo.retention).to.equal("168h");
    });
});

describe("tracing: the component under mocks", () => {
    it("Tempo and the collector from their configured sources, a token-less ServiceAccount, the policies; all parented", async () => {
        const plan = tracingPlan(
            parseConfig({
                ...readStackConfig("staging"),
                tracing: {
                    enabled: true,
                    tempoChart: { repository: "oci://mirror.example.com/charts", chart: "tempo", version: "2.2.4" },
                },
            }),
        )!;
        const resources = await renderUnderMocks(() => new Tracing("tr", { ...plan, namespace: "tracing" }));
        const component = resources.find((r) => r.type === Tracing.TYPE)!;
        const charts = resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
        expect(charts.map((c) => [c.inputs.name, c.inputs.chart])).to.deep.equal([
            ["tempo", "oci://mirror.example.com/charts/tempo"],
            ["otel-collector", "opentelemetry-collector"],
        ]);
        const account = resources.find((r) => r.type === "kubernetes:core/v1:ServiceAccount")!;
        expect(account.inputs.automountServiceAccountToken).to.equal(false);
        expect(account.inputs.metadata.name).to.equal(charts[1].inputs.values.serviceAccount.name);
        const policies = resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(policies).to.have.length(2);
        for (const r of [...charts, account, ...policies]) expect(r.parent).to.equal(component.urn);
    });
});

describe("tracing: in the stacks", () => {
    const rendered: Record<string, RecordedResource[]> = {};
    before(async function () {
        this.timeout(120_000);
        for (const stack of ["dev", "staging"]) rendered[stack] = (await renderStack(stack)).resources;
    });

    it("staging: the sidecars report to the collector at 10 %, through the mesh-wide Telemetry and istiod's provider", () => {
        const objects = kubeObjects(rendered.staging);
        const telemetry = objects.find((o) => o.kind === "Telemetry")!;
        expect(telemetry.metadata.namespace).to.equal("istio-system");
        expect(telemetry.spec.tracing).to.deep.equal([
            { providers: [{ name: ISTIO_TRACING_PROVIDER }], randomSamplingPercentage: 10 },
        ]);
        const istiod = rendered.staging.find(
            (r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.name === "istiod",
        )!;
        expect(istiod.inputs.values.meshConfig.extensionProviders).to.deep.equal([
            {
                name: ISTIO_TRACING_PROVIDER,
                opentelemetry: { service: "otel-collector.tracing.svc.cluster.local", port: OTLP_GRPC_PORT },
            },
        ]);
    });

    it("staging: every service gets the OTLP env and may reach the collector; the collector admits them and the edge", () => {
        const objects = kubeObjects(rendered.staging);
        const collector = collectorPods("tracing").podLabels;
        for (const d of objects.filter((o) => o.kind === "Deployment" && o.metadata.namespace === "apps")) {
            const name = d.metadata.labels["app.kubernetes.io/name"];
            // From the service's settings ConfigMap, like every plain setting (its checksum rolls the pods).
            const env = podSpecOf(d)!.containers[0].env as { name: string; valueFrom?: any }[];
            const ref = env.find((e) => e.name === "OTEL_SERVICE_NAME")?.valueFrom?.configMapKeyRef;
            const configMap = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === ref?.name);
            expect(configMap?.data?.OTEL_SERVICE_NAME, name).to.equal(name);
            const policy = objects.find(
                (o) =>
                    o.kind === "NetworkPolicy" &&
                    o.metadata.namespace === "apps" &&
                    o.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === name,
            )!;
            const toCollector = policy.spec.egress.find((r: any) =>
                r.to?.some(
                    (p: any) =>
                        p.podSelector?.matchLabels?.["app.kubernetes.io/name"] === collector["app.kubernetes.io/name"],
                ),
            );
            expect(toCollector?.ports, name).to.deep.equal([
                { port: OTLP_GRPC_PORT, protocol: "TCP" },
                { port: OTLP_HTTP_PORT, protocol: "TCP" },
            ]);
        }
        const collectorPolicy = objects.find(
            (o) =>
                o.kind === "NetworkPolicy" &&
                o.metadata.namespace === "tracing" &&
                o.spec.podSelector.matchLabels["app.kubernetes.io/name"] === "opentelemetry-collector",
        )!;
        const from = collectorPolicy.spec.ingress[0].from.map(
            (p: any) => p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
        );
        expect(from).to.deep.equal(["apps", "edge"]);
    });

    it("staging: Grafana gets Tempo as a data source; dev traces nothing", () => {
        const kps = rendered.staging.find((r) => r.inputs?.name === "kube-prometheus-stack")!;
        expect(kps.inputs.values.grafana.additionalDataSources).to.deep.include({
            name: "Tempo",
            type: "tempo",
            uid: "tempo",
            access: "proxy",
            url: "http://tempo.tracing.svc.cluster.local:3200",
        });
        expect(rendered.dev.some((r) => r.type === Tracing.TYPE)).to.equal(false);
        const devEnv = kubeObjects(rendered.dev)
            .filter((o) => o.kind === "Deployment" && o.metadata.namespace === "apps")
            .flatMap((d) => (podSpecOf(d)!.containers[0].env ?? []).map((e: any) => e.name));
        expect(devEnv.filter((n: string) => n.startsWith("OTEL_"))).to.deep.equal([]);
    });
});
