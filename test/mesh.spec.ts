/**
 * Service mesh: Istio chart values (pure), the per-service Istio objects computed from config, and the mesh as
 * the real stacks render it under mocks (chart order, STRICT mTLS, traffic policy, authorization graph, monitors).
 */
import { expect } from "chai";
import { ConfigError, parseConfig, StackConfig } from "../config";
import { meshPlan } from "../lib/mesh/plan";
import { imageVersion } from "../lib/labels";
import {
    authorizationPolicies,
    destinationRules,
    injectedNamespaces,
    istioObjects,
    meshedNamespaces,
    meshMonitors,
    MeshObject,
    PERMISSIVE_EXEMPTION_ANNOTATION,
    peerAuthentications,
    serviceAccess,
    virtualServices,
} from "../lib/mesh/policies";
import {
    CNI_DEFAULT_RESOURCES,
    istioBaseValues,
    istioCniExemptions,
    istioCniValues,
    istiodValues,
    ISTIOD_DEFAULT_RESOURCES,
} from "../lib/mesh/values";
import { edgeDataPlanePrincipal, prometheusPrincipal, serviceHost, servicePrincipal } from "../lib/topology";
import { exemptAnnotation, findExemption } from "../policy/policies/exemptions";
import { checkDestinationRule } from "../policy/policies/istio-destination-rule-mutual-tls";
import { checkPeerAuthentication } from "../policy/policies/istio-peer-authentication-strict";
import { kubeObject } from "../policy/policies/kinds";
import { POLICY_NAMES } from "../policy/policies/names";
import {
    descendantsOf,
    kubeObjects,
    manifestOf,
    podSpecOf,
    readStackConfig,
    RecordedResource,
    RenderedStack,
    renderStack,
} from "./lib/harness";
import { KubeObject, validateAgainstSchemas } from "./lib/schemas";
import { AppService } from "../components/service";
import { Mesh } from "../components/mesh";
import { istioChartReference, ISTIO_CHARTS } from "../lib/chart-source";
import { renderUnderMocks } from "./lib/mock-component";

const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
const MESH_TYPE = Mesh.TYPE;
const ISTIO_GROUP = /^kubernetes:[a-z]+\.istio\.io\//;
const MESH_STACKS = ["staging", "prod"] as const;
const RECOMMENDED_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];

function stackConfig(stack: string, mutate?: (raw: any) => void): StackConfig {
    const raw = JSON.parse(JSON.stringify(readStackConfig(stack)));
    mutate?.(raw);
    return parseConfig(raw);
}

const manifests = (objects: readonly MeshObject[]) =>
    objects.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec }));

/** (source → service) pairs an AuthorizationPolicy set allows, read from the rules; sources are principals or `ns:<namespace>`. */
function allowedPairs(
    policies: readonly Record<string, any>[],
    serviceOfSelector: (labels: Record<string, string>) => string,
): Set<string> {
    const pairs = new Set<string>();
    for (const p of policies) {
        if (p.spec?.action !== "ALLOW" || !p.spec?.selector) continue;
        const service = serviceOfSelector(p.spec.selector.matchLabels);
        for (const rule of p.spec.rules ?? []) {
            for (const from of rule.from ?? []) {
                for (const principal of from.source?.principals ?? []) pairs.add(`${principal} -> ${service}`);
                for (const ns of from.source?.namespaces ?? []) pairs.add(`ns:${ns} -> ${service}`);
                for (const np of from.source?.notPrincipals ?? []) pairs.add(`not:${np} -> ${service}`);
            }
        }
    }
    return pairs;
}

const serviceBySelector = (labels: Record<string, string>) => labels["app.kubernetes.io/name"];

// -----------------------------------------------------------------------------------------------------------------
// Chart values (pure)
// -----------------------------------------------------------------------------------------------------------------

describe("mesh: Istio chart values", () => {
    const proxyResources = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
    const image = { hub: "mirror.example.com/istio", tag: "1.31.1" };
    const istiod = (replicas: number, zoneSpread = false) =>
        istiodValues({
            istioNamespace: "istio-system",
            clusterDomain: "cluster.local",
            replicas,
            resources: ISTIOD_DEFAULT_RESOURCES,
            proxyResources,
            zoneSpread,
            image,
        }) as any;

    it("base: validating webhook fails closed from the start (no flip by istiod, no perpetual diff) and points at istiod's namespace", () => {
        const values = istioBaseValues({ istioNamespace: "mesh-root" }) as any;
        expect(values.base.validationFailurePolicy).to.equal("Fail");
        expect(values.global.istioNamespace).to.equal("mesh-root");
        expect(values.global.enableReaderRBAC).to.equal(false);
    });

    it("istiod: the same failure policy for its revision webhook, and the namespace and trust domain of the stack", () => {
        const values = istiodValues({
            istioNamespace: "mesh-root",
            clusterDomain: "corp.internal",
            replicas: 1,
            resources: ISTIOD_DEFAULT_RESOURCES,
            proxyResources,
            image,
        }) as any;
        // Pinned images from the configured hub: never the chart's placeholder hub or "latest".
        expect(values.global).to.include({ hub: "mirror.example.com/istio", tag: "1.31.1" });
        expect(values.base.validationFailurePolicy).to.equal("Fail");
        expect(values.global.istioNamespace).to.equal("mesh-root");
        expect(values.meshConfig.rootNamespace).to.equal("mesh-root");
        // servicePrincipal() builds principals from the cluster domain: the trust domain must be the same.
        expect(values.meshConfig.trustDomain).to.equal("corp.internal");
        expect(values.global.proxy.clusterDomain).to.equal("corp.internal");
    });

    it("istiod: proxy requests and limits mesh-wide (global.proxy.resources)", () => {
        expect(istiod(1).global.proxy.resources).to.deep.equal(proxyResources);
    });

    it("istiod: apps wait for their proxy (holdApplicationUntilProxyStarts) and sidecars are native (Jobs complete)", () => {
        const values = istiod(1);
        expect(values.meshConfig.defaultConfig.holdApplicationUntilProxyStarts).to.equal(true);
        expect(values.env.ENABLE_NATIVE_SIDECARS).to.equal("true");
    });

    it("istiod: injection uses the CNI plugin (no root istio-init) and sidecars run with RuntimeDefault seccomp", () => {
        const values = istiod(1);
        expect(values.cni.enabled).to.equal(true);
        expect(values.global.proxy.privileged).to.equal(false);
        expect(values.global.proxy.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
    });

    it("istiod: fixed replicas from config, no HPA; a PDB (chart renders it above one replica) and spread only when replicated", () => {
        const one = istiod(1);
        expect(one.replicaCount).to.equal(1);
        expect(one.autoscaleEnabled).to.equal(false);
        expect(one.topologySpreadConstraints).to.equal(undefined);
        const two = istiod(2, true);
        expect(two.replicaCount).to.equal(2);
        expect(two.global.defaultPodDisruptionBudget.enabled).to.equal(true);
        expect(two.pdb.minAvailable).to.equal(1);
        expect(two.topologySpreadConstraints.map((c: any) => c.topologyKey)).to.deep.equal([
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        ]);
        for (const c of two.topologySpreadConstraints)
            expect(c.labelSelector.matchLabels).to.deep.equal({ app: "istiod" });
    });

    it("istiod: hardened (limits, seccomp, own NetworkPolicies, no multicluster reader RBAC)", () => {
        const values = istiod(1);
        expect(values.resources.limits.cpu).to.be.a("string");
        expect(values.resources.limits.memory).to.be.a("string");
        expect(values.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
        expect(values.global.networkPolicy.enabled).to.equal(true);
        expect(values.global.enableReaderRBAC).to.equal(false);
    });

    it("cni: sidecar mode with limits, RuntimeDefault seccomp and in-place repair (no pod-deleting RBAC)", () => {
        const values = istioCniValues({ resources: CNI_DEFAULT_RESOURCES, image }) as any;
        expect(values.global).to.include({ hub: "mirror.example.com/istio", tag: "1.31.1" });
        expect(values.ambient.enabled).to.equal(false);
        expect(values.resources).to.deep.equal(CNI_DEFAULT_RESOURCES);
        expect(values.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
        expect(values.repair).to.include({ enabled: true, repairPods: true, deletePods: false, labelPods: false });
    });

    it("chart sources: base, istiod and cni from one repository and one pinned version (repo URL, OCI or local path)", () => {
        const repo = { repository: "https://istio-release.storage.googleapis.com/charts", version: "1.31.1" };
        for (const chart of ISTIO_CHARTS) {
            expect(istioChartReference(repo, chart)).to.deep.equal({
                chart,
                version: "1.31.1",
                repositoryOpts: { repo: repo.repository },
            });
            expect(
                istioChartReference({ repository: "oci://mirror.example.com/istio/", version: "1.31.1" }, chart),
            ).to.deep.equal({ chart: `oci://mirror.example.com/istio/${chart}`, version: "1.31.1" });
            expect(istioChartReference({ ...repo, path: "/charts/istio/" }, chart)).to.deep.equal({
                chart: `/charts/istio/${chart}`,
            });
        }
    });

    it("the pinned default version is an exact Istio release, shared by all stacks that enable the mesh", () => {
        for (const stack of MESH_STACKS) {
            const plan = meshPlan(stackConfig(stack))!;
            expect(plan.chart.version).to.equal("1.31.1");
        }
    });

    it("stack plans: config proxy resources and istiod replicas reach the values; prod spreads istiod across zones", () => {
        const prod = meshPlan(stackConfig("prod"))! as any;
        expect(prod.istiodValues.replicaCount).to.equal(2);
        expect(prod.istiodValues.topologySpreadConstraints.map((c: any) => c.topologyKey)).to.include(
            "topology.kubernetes.io/zone",
        );
        const custom = meshPlan(
            stackConfig("staging", (c) => {
                c.mesh = {
                    ...c.mesh,
                    proxyRequestsCpu: "20m",
                    proxyLimitsMemory: "512Mi",
                    istiodResources: { limits: { memory: "3Gi" } },
                };
            }),
        )! as any;
        expect(custom.istiodValues.global.proxy.resources).to.deep.equal({
            requests: { cpu: "20m", memory: "64Mi" },
            limits: { cpu: "500m", memory: "512Mi" },
        });
        expect(custom.istiodValues.resources.limits).to.deep.equal({
            cpu: ISTIOD_DEFAULT_RESOURCES.limits.cpu,
            memory: "3Gi",
        });
        expect(meshPlan(stackConfig("dev"))).to.equal(undefined);
    });

    it("CNI agent exemptions name real policies of the pack, each with a reason", () => {
        const entries = istioCniExemptions("istio-cni");
        expect(entries.length).to.be.greaterThan(3);
        for (const e of entries) {
            expect(POLICY_NAMES as readonly string[]).to.include(e.policy);
            expect(e).to.include({ kind: "DaemonSet", namespace: "istio-cni", name: "istio-cni-node" });
            expect(e.reason.trim().length).to.be.greaterThan(20);
        }
    });
});

// -----------------------------------------------------------------------------------------------------------------
// Per-service objects from config (pure)
// -----------------------------------------------------------------------------------------------------------------

describe("mesh: per-service Istio objects from config", () => {
    it("mesh off: no Istio objects at all", () => {
        const cfg = stackConfig("dev");
        expect([
            ...peerAuthentications(cfg),
            ...destinationRules(cfg),
            ...virtualServices(cfg),
            ...authorizationPolicies(cfg),
            ...meshMonitors(cfg),
        ]).to.deep.equal([]);
        expect(injectedNamespaces(cfg)).to.deep.equal([]);
        expect(meshedNamespaces(cfg)).to.deep.equal([]);
    });

    it("a declared PERMISSIVE exception: workload PeerAuthentication annotated with the reason, accepted by the policy pack only through it", () => {
        const reason = "legacy batch importer in the data namespace has no sidecar yet";
        const cfg = stackConfig("staging", (c) => {
            c.services.worker.mesh = { permissiveReason: reason };
        });
        const permissive = peerAuthentications(cfg).filter((p) => (p.spec as any).mtls.mode === "PERMISSIVE");
        expect(permissive).to.have.length(1);
        expect(permissive[0].metadata.namespace).to.equal(cfg.namespaces.apps);
        expect((permissive[0].spec as any).selector.matchLabels).to.deep.equal({
            "app.kubernetes.io/name": "worker",
            "app.kubernetes.io/instance": "worker",
        });
        expect(permissive[0].metadata.annotations).to.deep.equal({ [PERMISSIVE_EXEMPTION_ANNOTATION]: reason });
        expect(PERMISSIVE_EXEMPTION_ANNOTATION).to.equal(exemptAnnotation("istio-peer-authentication-strict"));
        const asPolicySees = kubeObject(
            "kubernetes:security.istio.io/v1:PeerAuthentication",
            manifests(permissive)[0],
            "worker-mtls-permissive",
            "urn:x",
        )!;
        expect(checkPeerAuthentication(asPolicySees)).to.have.length(1);
        expect(findExemption("istio-peer-authentication-strict", asPolicySees, [])).to.deep.equal({
            status: "exempt",
            reason,
        });
        // Plaintext clients may then reach exactly that service's ports, nothing else.
        const plaintext = authorizationPolicies(cfg).filter((p) => JSON.stringify(p.spec).includes("notPrincipals"));
        expect(plaintext.map((p) => (p.spec as any).selector.matchLabels["app.kubernetes.io/name"])).to.deep.equal([
            "worker",
        ]);
        const plaintextRules = (plaintext[0].spec as any).rules.filter((r: any) => r.from[0].source.notPrincipals);
        expect(plaintextRules.map((r: any) => r.to[0].operation.ports)).to.deep.equal([["9898"]]);
        expect(plaintext[0].metadata.annotations).to.deep.equal({ "stackwright.io/permissive-reason": reason });
    });

    it("every Istio object and monitor carries the recommended labels, versioned like what it belongs to", () => {
        const cfg = stackConfig("prod");
        const objects = [...istioObjects(cfg), ...meshMonitors(cfg)];
        expect(objects.length).to.be.greaterThan(10);
        for (const o of objects) {
            const labels = o.metadata.labels;
            expect(labels, o.resourceName).to.include.keys(RECOMMENDED_LABELS);
            const service = cfg.services[labels["app.kubernetes.io/name"]];
            // Per-service objects: the service's image version, like its Deployment; mesh-wide ones: Istio's.
            expect(labels["app.kubernetes.io/version"], o.resourceName).to.equal(
                service ? imageVersion(service.image) : cfg.mesh.chart.version,
            );
        }
    });

    it("without the reason there is no PERMISSIVE anywhere", () => {
        const all = [...peerAuthentications(stackConfig("staging")), ...peerAuthentications(stackConfig("prod"))];
        expect(all.map((p) => (p.spec as any).mtls.mode)).to.deep.equal(["STRICT", "STRICT"]);
        expect(JSON.stringify(authorizationPolicies(stackConfig("prod")))).not.to.include("notPrincipals");
    });

    it("retries apply to all paths unless mesh.retryPathPrefix narrows them; retryAttempts 0 disables them", () => {
        const cfg = stackConfig("staging", (c) => {
            c.services.worker.mesh = { retryAttempts: 0, timeoutSeconds: 5 };
        });
        const vs = Object.fromEntries(
            virtualServices(cfg).map((v) => [(v.spec as any).hosts[0], (v.spec as any).http]),
        );
        const frontend = vs[serviceHost(cfg, "frontend")];
        expect(frontend).to.have.length(1);
        expect(frontend[0]).to.deep.include({
            timeout: "15s",
            retries: { attempts: 2, perTryTimeout: "5s", retryOn: "5xx,reset,connect-failure,refused-stream" },
        });
        expect(frontend[0].match).to.equal(undefined);
        expect(vs[serviceHost(cfg, "worker")][0]).to.deep.include({ timeout: "5s", retries: { attempts: 0 } });
    });

    it("config rejects an overall timeout shorter than the tries it carries, and proxy requests above limits", () => {
        const bad = (mutate: (c: any) => void) => {
            try {
                stackConfig("staging", mutate);
            } catch (e) {
                return (e as ConfigError).problems.join("\n");
            }
            return "";
        };
        expect(
            bad((c) => {
                c.services.backend.mesh.timeoutSeconds = 5;
            }),
        ).to.include(
            "stackwright:services.backend.mesh.timeoutSeconds: 5 is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = 10 x (3 + 1) = 40",
        );
        expect(
            bad((c) => {
                c.mesh.proxyRequestsMemory = "1Gi";
            }),
        ).to.include('stackwright:mesh.proxyRequestsMemory: "1Gi" exceeds mesh.proxyLimitsMemory "256Mi"');
    });

    it("monitoring off: no monitors and no Prometheus access", () => {
        const cfg = stackConfig("staging", (c) => {
            c.monitoring = { ...c.monitoring, enabled: false };
            // Requests per second are served from Prometheus: without monitoring the backend scales on CPU only.
            delete c.services.backend.autoscaling.requestsPerSecond;
            delete c.services.backend.metrics.requestsTotalMetric;
        });
        expect(meshMonitors(cfg)).to.deep.equal([]);
        expect(JSON.stringify(authorizationPolicies(cfg))).not.to.include(prometheusPrincipal(cfg));
    });

    it("the schema check really rejects an unknown field in an Istio object (the validation below can fail)", async () => {
        const [dr] = manifests(destinationRules(stackConfig("staging")));
        const broken = {
            ...dr,
            spec: { ...dr.spec, trafficPolicy: { ...(dr.spec as any).trafficPolicy, tlsMode: "DISABLE" } },
        };
        const violations = await validateAgainstSchemas([broken as KubeObject]);
        expect(violations.map((v) => v.message).join("\n")).to.include("tlsMode");
    });
});

// -----------------------------------------------------------------------------------------------------------------
// Rendered stacks
// -----------------------------------------------------------------------------------------------------------------

for (const stack of MESH_STACKS) {
    describe(`mesh: stack ${stack} (rendered)`, () => {
        let rendered: RenderedStack;
        let cfg: StackConfig;
        let mesh: RecordedResource;
        let inMesh: RecordedResource[];
        let charts: Record<string, RecordedResource>;
        const objectsOf = (kind: string) => kubeObjects(inMesh).filter((o) => o.kind === kind) as Record<string, any>[];

        before(async () => {
            rendered = await renderStack(stack);
            cfg = stackConfig(stack);
            const meshes = rendered.resources.filter((r) => r.type === MESH_TYPE);
            expect(meshes).to.have.length(1);
            mesh = meshes[0];
            inMesh = descendantsOf(rendered.resources, mesh.urn);
            charts = Object.fromEntries(inMesh.filter((r) => r.type === CHART_TYPE).map((r) => [r.inputs.chart, r]));
        });

        it("installs the base, istiod and cni charts from the pinned source into their namespaces", () => {
            expect(Object.keys(charts).sort()).to.deep.equal(["base", "cni", "istiod"]);
            for (const chart of Object.values(charts)) {
                expect(chart.inputs.version).to.equal(cfg.mesh.chart.version);
                expect(chart.inputs.repositoryOpts).to.deep.equal({ repo: cfg.mesh.chart.repository });
            }
            expect(charts.base.inputs.namespace).to.equal(cfg.namespaces.istio);
            expect(charts.istiod.inputs.namespace).to.equal(cfg.namespaces.istio);
            expect(charts.cni.inputs.namespace).to.equal(cfg.namespaces.istioCni);
        });

        it("orders the charts base -> istiod -> cni (dependsOn)", () => {
            expect(charts.base.dependencies).to.not.include(charts.istiod.urn);
            expect(charts.istiod.dependencies).to.include(charts.base.urn);
            expect(charts.cni.dependencies).to.include.members([charts.base.urn, charts.istiod.urn]);
        });

        it("passes the values of the pure functions to the charts", () => {
            const plan = meshPlan(cfg)!;
            expect(charts.base.inputs.values).to.deep.equal(plan.baseValues);
            expect(charts.istiod.inputs.values).to.deep.equal(plan.istiodValues);
            expect(charts.cni.inputs.values).to.deep.equal(plan.cniValues);
        });

        it("the mesh and CNI namespaces exist before the mesh; the CNI namespace is privileged with a written reason; apps are injected", () => {
            const namespaces = Object.fromEntries(
                rendered.resources
                    .filter((r) => r.type === "kubernetes:core/v1:Namespace")
                    .map((r) => [r.inputs.metadata.name, r]),
            );
            for (const ns of [cfg.namespaces.istio, cfg.namespaces.istioCni])
                expect(mesh.dependencies).to.include(namespaces[ns].urn);
            const cni = namespaces[cfg.namespaces.istioCni].inputs.metadata;
            expect(cni.labels["pod-security.kubernetes.io/enforce"]).to.equal("privileged");
            expect(cni.annotations["stackwright.io/pod-security-reason"]).to.match(/CNI/);
            expect(
                namespaces[cfg.namespaces.istio].inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
            ).to.equal("restricted");
            expect(namespaces[cfg.namespaces.apps].inputs.metadata.labels["istio-injection"]).to.equal("enabled");
            expect(namespaces[cfg.namespaces.data].inputs.metadata.labels["istio-injection"]).to.equal(undefined);
        });

        it("every Istio object and monitor validates against the upstream schemas", async () => {
            const objects = kubeObjects(inMesh) as KubeObject[];
            expect(objects.length).to.be.greaterThan(8);
            const violations = await validateAgainstSchemas(objects);
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
        });

        it("every Istio object depends on the base chart (CRDs) and on istiod (the validating webhook fails closed)", () => {
            const istio = inMesh.filter((r) => ISTIO_GROUP.test(r.type));
            expect(istio.length).to.be.greaterThan(8);
            for (const r of istio)
                expect(r.dependencies, r.name).to.include.members([charts.base.urn, charts.istiod.urn]);
        });

        it("mesh-wide STRICT mutual TLS: PeerAuthentication default in the root namespace, and no PERMISSIVE exception", () => {
            const peer = objectsOf("PeerAuthentication");
            expect(peer).to.have.length(1);
            expect(peer[0].metadata).to.include({ name: "default", namespace: cfg.namespaces.istio });
            expect(peer[0].spec).to.deep.equal({ mtls: { mode: "STRICT" } });
            const policyView = kubeObject(
                "kubernetes:security.istio.io/v1:PeerAuthentication",
                peer[0],
                "default",
                "urn:x",
            )!;
            expect(checkPeerAuthentication(policyView)).to.deep.equal([]);
        });

        it("one DestinationRule per service on its FQDN, all TLS ISTIO_MUTUAL, with connection pool and outlier detection from config", () => {
            const rules = objectsOf("DestinationRule");
            expect(rules.map((r) => r.spec.host).sort()).to.deep.equal(
                Object.keys(cfg.services)
                    .map((s) => serviceHost(cfg, s))
                    .sort(),
            );
            for (const r of rules) {
                expect(r.spec.trafficPolicy.tls).to.deep.equal({ mode: "ISTIO_MUTUAL" });
                expect(
                    checkDestinationRule(
                        kubeObject("kubernetes:networking.istio.io/v1:DestinationRule", r, "dr", "urn:x")!,
                        { externalHosts: [] },
                    ),
                ).to.deep.equal([]);
                const name = r.spec.host.split(".")[0];
                const m = cfg.services[name].mesh;
                expect(r.spec.trafficPolicy.connectionPool).to.deep.equal({
                    tcp: { maxConnections: m.maxConnections },
                    http: { http1MaxPendingRequests: m.http1MaxPendingRequests, http2MaxRequests: m.http2MaxRequests },
                });
                expect(r.spec.trafficPolicy.outlierDetection).to.deep.equal({
                    consecutive5xxErrors: m.consecutive5xxErrors,
                    interval: `${m.outlierIntervalSeconds}s`,
                    baseEjectionTime: `${m.baseEjectionSeconds}s`,
                    maxEjectionPercent: m.maxEjectionPercent,
                });
            }
        });

        it("every DestinationRule anywhere in the stack that sets TLS uses ISTIO_MUTUAL", () => {
            const all = kubeObjects(rendered.resources).filter((o) => o.kind === "DestinationRule") as Record<
                string,
                any
            >[];
            expect(all.length).to.be.greaterThan(0);
            for (const r of all)
                if (r.spec.trafficPolicy?.tls) expect(r.spec.trafficPolicy.tls.mode).to.equal("ISTIO_MUTUAL");
        });

        it("one VirtualService per service bound to its exact FQDN (never a wildcard), with timeouts; backend retries 3 x 10s on /api/v1/ only", () => {
            const all = kubeObjects(rendered.resources).filter((o) => o.kind === "VirtualService") as Record<
                string,
                any
            >[];
            for (const v of all) for (const host of v.spec.hosts) expect(host).to.not.include("*");
            const byHost: Record<string, any> = Object.fromEntries(
                objectsOf("VirtualService").map((v) => [v.spec.hosts.join(","), v.spec]),
            );
            expect(Object.keys(byHost).sort()).to.deep.equal(
                Object.keys(cfg.services)
                    .map((s) => serviceHost(cfg, s))
                    .sort(),
            );
            for (const spec of Object.values(byHost)) {
                for (const route of spec.http) {
                    // Every route but the websocket one has a timeout of whole seconds, never "0s" (the CRD's minimum is 1ms).
                    if (route.name !== "websocket") expect(route.timeout).to.match(/^[1-9]\d*s$/);
                    for (const dest of route.route) expect(dest.destination.host).to.equal(spec.hosts[0]);
                }
            }
            const backend = byHost[serviceHost(cfg, "backend")].http as any[];
            const retried = backend.find((r) => r.match?.[0]?.uri?.prefix === "/api/v1/");
            expect(retried.retries).to.include({ attempts: 3, perTryTimeout: "10s" });
            expect(backend.filter((r) => r !== retried && !r.match).map((r) => r.retries)).to.deep.equal([
                { attempts: 0 },
            ]);
            // The websocket route keeps upgraded connections open.
            // Upgraded connections stay open: no timeout at all (Istio's CRD rejects "0s").
            const websocket = backend.find((r) => r.match?.[0]?.headers?.upgrade);
            expect(websocket).to.deep.include({ retries: { attempts: 0 } });
            expect(websocket).not.to.have.property("timeout");
        });

        it("deny by default: an allow-nothing AuthorizationPolicy in the application namespace, none in the (unmeshed) data namespace", () => {
            const policies = objectsOf("AuthorizationPolicy");
            const allowNothing = policies.filter((p) => Object.keys(p.spec).length === 0);
            expect(allowNothing.map((p) => p.metadata.namespace)).to.deep.equal([cfg.namespaces.apps]);
            expect(policies.filter((p) => p.metadata.namespace === cfg.namespaces.data)).to.deep.equal([]);
            for (const p of policies) if (Object.keys(p.spec).length > 0) expect(p.spec.action).to.equal("ALLOW");
        });

        it("one ALLOW policy per reachable service, a rule per kind of source (fewer objects to register and apply)", () => {
            const perService = new Map<string, number>();
            for (const p of objectsOf("AuthorizationPolicy").filter((x) => x.spec.selector)) {
                const name = serviceBySelector(p.spec.selector.matchLabels);
                perService.set(name, (perService.get(name) ?? 0) + 1);
            }
            expect(
                [...perService.values()].every((n) => n === 1),
                JSON.stringify([...perService]),
            ).to.equal(true);
            const reachable = serviceAccess(cfg).filter(
                (a) => a.callerPrincipals.length + a.edgePrincipals.length + a.plaintextPorts.length > 0 || a.metrics,
            );
            expect([...perService.keys()].sort()).to.deep.equal(reachable.map((a) => a.service).sort());
        });

        it("the authorization graph equals the declared call graph exactly, plus the edge for routed services and Prometheus for metrics", () => {
            const pairs = allowedPairs(objectsOf("AuthorizationPolicy"), serviceBySelector);
            const expected = new Set<string>();
            for (const [name, svc] of Object.entries(cfg.services)) {
                for (const callee of svc.calls) expected.add(`${servicePrincipal(cfg, name)} -> ${callee}`);
                if (svc.routes.length > 0) expected.add(`${edgeDataPlanePrincipal(cfg)} -> ${name}`);
                if (svc.metrics) expected.add(`${prometheusPrincipal(cfg)} -> ${name}`);
            }
            expect([...pairs].sort()).to.deep.equal([...expected].sort());
            // The declared graph is not trivial in these stacks.
            const serviceToService = [...pairs].filter((p) =>
                p.startsWith(`${cfg.kubernetes.clusterDomain}/ns/${cfg.namespaces.apps}/`),
            );
            expect(serviceToService).to.have.length.greaterThan(1);
        });

        it("Prometheus may only GET the metrics path on the metrics port; callers and the edge only the service's ports", () => {
            for (const p of objectsOf("AuthorizationPolicy").filter((x) => x.spec.rules)) {
                const name = serviceBySelector(p.spec.selector.matchLabels);
                const svc = cfg.services[name];
                const ports = svc.ports.map((x) => String(x.containerPort));
                for (const rule of p.spec.rules) {
                    const op = rule.to[0].operation;
                    if (rule.from[0].source.principals?.includes(prometheusPrincipal(cfg))) {
                        expect(rule.from[0].source.principals).to.deep.equal([prometheusPrincipal(cfg)]);
                        expect(op).to.deep.equal({
                            methods: ["GET"],
                            paths: [svc.metrics!.path],
                            ports: [String(svc.ports.find((x) => x.name === svc.metrics!.port)!.containerPort)],
                        });
                    } else {
                        expect(op.methods).to.equal(undefined);
                        for (const port of op.ports) expect(ports).to.include(port);
                    }
                }
            }
        });

        it("policies select the real service pods, whose ServiceAccount is the principal they are granted as", () => {
            const deployments = rendered.resources
                .map(manifestOf)
                .filter((o) => o?.kind === "Deployment" && o.metadata.namespace === cfg.namespaces.apps) as Record<
                string,
                any
            >[];
            expect(deployments.length).to.equal(Object.keys(cfg.services).length);
            for (const p of objectsOf("AuthorizationPolicy").filter((x) => x.spec.selector)) {
                const wanted = p.spec.selector.matchLabels as Record<string, string>;
                const matching = deployments.filter((d) =>
                    Object.entries(wanted).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
                );
                expect(matching, JSON.stringify(wanted)).to.have.length(1);
                const name = serviceBySelector(wanted);
                expect(podSpecOf(matching[0])!.serviceAccountName).to.equal(name);
                expect(servicePrincipal(cfg, name)).to.equal(
                    `${cfg.kubernetes.clusterDomain}/ns/${cfg.namespaces.apps}/sa/${name}`,
                );
            }
        });

        it("application services are created after the mesh, so their pods get sidecars", () => {
            const services = rendered.resources.filter((r) => r.type === AppService.TYPE);
            expect(services.length).to.equal(Object.keys(cfg.services).length);
            for (const s of services) expect(s.dependencies).to.include.members([charts.istiod.urn, charts.cni.urn]);
        });

        it("scrapes Envoy stats (15090 /stats/prometheus) in the meshed namespaces and istiod (15014), after the monitoring CRDs", () => {
            const [pods] = objectsOf("PodMonitor");
            expect(pods.spec.namespaceSelector.matchNames).to.deep.equal(meshedNamespaces(cfg));
            expect(pods.spec.namespaceSelector.matchNames).to.include(cfg.namespaces.apps);
            expect(pods.spec.podMetricsEndpoints[0]).to.include({ port: "http-envoy-prom", path: "/stats/prometheus" });
            expect(pods.spec.podMetricsEndpoints[0].scheme).to.equal(undefined);
            const [istiod] = objectsOf("ServiceMonitor");
            expect(istiod.spec).to.deep.include({
                namespaceSelector: { matchNames: [cfg.namespaces.istio] },
                selector: { matchLabels: { app: "istiod" } },
            });
            expect(istiod.spec.endpoints[0]).to.include({ port: "http-monitoring", path: "/metrics" });
            for (const r of inMesh.filter((x) => /monitoring\.coreos\.com/.test(x.type)))
                expect(r.dependencies).to.include(charts.istiod.urn);
        });
    });
}

describe("mesh: stack dev (mesh off, rendered)", () => {
    let rendered: RenderedStack;
    before(async () => {
        rendered = await renderStack("dev");
    });

    it("renders no Mesh, no Istio chart and no Istio object", () => {
        expect(rendered.resources.filter((r) => r.type === MESH_TYPE)).to.deep.equal([]);
        expect(rendered.resources.filter((r) => r.type === CHART_TYPE && /istio/.test(r.name))).to.deep.equal([]);
        expect(rendered.resources.filter((r) => ISTIO_GROUP.test(r.type)).map((r) => r.type)).to.deep.equal([]);
    });

    it("labels no namespace for injection and creates no Istio namespaces", () => {
        const namespaces = rendered.resources
            .filter((r) => r.type === "kubernetes:core/v1:Namespace")
            .map((r) => r.inputs.metadata);
        expect(namespaces.length).to.be.greaterThan(0);
        for (const ns of namespaces) expect(ns.labels["istio-injection"], ns.name).to.equal(undefined);
        expect(namespaces.map((ns) => ns.name)).to.not.include.members(["istio-system", "istio-cni"]);
    });

    it("everything else still renders: the services exist without mesh dependencies", () => {
        const services = rendered.resources.filter((r) => r.type === AppService.TYPE);
        expect(services.length).to.equal(3);
    });

    it("no rendered input anywhere (pod templates, chart values, custom resources) names anything of istio.io", () => {
        const found: string[] = [];
        const walk = (where: string, value: unknown): void => {
            if (typeof value === "string") {
                if (value.includes("istio.io")) found.push(`${where}: ${value}`);
            } else if (Array.isArray(value)) {
                value.forEach((v, i) => walk(`${where}[${i}]`, v));
            } else if (value !== null && typeof value === "object") {
                for (const [k, v] of Object.entries(value)) {
                    if (k.includes("istio.io")) found.push(`${where}.${k}`);
                    walk(`${where}.${k}`, v);
                }
            }
        };
        for (const r of rendered.resources) walk(`${r.type} ${r.name}`, r.inputs);
        expect(rendered.resources.length).to.be.greaterThan(50);
        expect(found).to.deep.equal([]);
    });
});

// ---- Tier 1: the component alone, constructed from hand-written args under the mocks (fast, focused) ---------

describe("Mesh from hand-written args (component under mocks)", () => {
    it("installs base, istiod and cni in that order; the Istio objects it is given, after istiod; monitors only with monitoring", async () => {
        const plan = meshPlan(parseConfig(readStackConfig("staging")))!;
        const object = {
            resourceName: "strict",
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "istio-system", labels: {} },
            spec: { mtls: { mode: "STRICT" } },
        };
        const resources = await renderUnderMocks(() => {
            new Mesh("m", { ...plan, istioObjects: [object] });
        });
        const charts = resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
        expect(charts.map((r) => r.name)).to.deep.equal(["m-istio-base", "m-istiod", "m-istio-cni"]);
        const custom = resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.includes("helm.sh"));
        expect(custom.map((r) => r.inputs.kind)).to.deep.equal(["PeerAuthentication"]);
        expect(custom[0].dependencies).to.include(charts[1].urn);
    });
});
