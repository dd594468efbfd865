/**
 * The edge (NGINX Gateway Fabric + Gateway API): whole-stack renders of the real stack files under mocks, strict
 * schema validation against the upstream Gateway API and NGINX Gateway Fabric CRDs, and the pure builders
 * (chart values, data-plane settings, policies) per environment.
 */
import { expect } from "chai";
import { ConfigError, parseConfig, StackConfig } from "../config";
import { acmeClusterIssuerSpec, controlPlanePkiPlan } from "../lib/edge/certificates";
import { helmChartReference } from "../lib/chart-source";
import { securityHeaders } from "../lib/edge/gateway";
import {
    controlPlaneSelector,
    DATA_PLANE_PROXY_NAME,
    NGF_AGENT_GRPC_PORT,
    NGF_AGENT_TLS_SECRET,
    NGF_RELEASE_NAME,
    NGF_SERVER_TLS_SECRET,
} from "../lib/edge/names";
import { edgePlan } from "../lib/edge/plan";
import { nginxDuration, proxySettingsPolicySpec } from "../lib/edge/policies";
import { edgeRoutes } from "../lib/edge/routes";
import { certManagerChartValues, dataPlaneProxySpec, edgeResourceDefaults, ngfChartValues } from "../lib/edge/values";
import { toKubeResources } from "../lib/defaults";
import { parseQuantity } from "../lib/quantity";
import {
    edgeDataPlane,
    GATEWAY_NAME,
    GRAFANA_CONTAINER_PORT,
    GRAFANA_SERVICE_NAME,
    GRAFANA_SERVICE_PORT,
    ISTIOD_XDS_PORT,
} from "../lib/topology";
import {
    descendantsOf,
    kubeObjects,
    manifestOf,
    readStackConfig,
    RecordedResource,
    RenderedStack,
    renderStack,
    STACKS,
} from "./lib/harness";
import { validateAgainstSchemas } from "./lib/schemas";
import { AppService } from "../components/service";
import { Edge } from "../components/edge";
import { GeneratedSecrets } from "../components/secrets";
import { renderUnderMocks } from "./lib/mock-component";
import { selfSignedCertificate } from "./lib/certs";
import { certificateFor, hostMatches, pemProblems } from "../lib/edge/provided-certificates";

const EDGE_TYPE = Edge.TYPE;
const GW = "gateway.networking.k8s.io";

function edgeOf(rendered: RenderedStack): RecordedResource[] {
    const component = rendered.resources.filter((r) => r.type === EDGE_TYPE);
    expect(component, "one Edge component").to.have.length(1);
    return descendantsOf(rendered.resources, component[0].urn);
}

const byType = (resources: readonly RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const crType = (apiVersion: string, kind: string) => `kubernetes:${apiVersion}:${kind}`;
const objectsOf = (resources: readonly RecordedResource[], apiVersion: string, kind: string) =>
    byType(resources, crType(apiVersion, kind)).map((r) => manifestOf(r)!);

function configOf(stack: string): StackConfig {
    return parseConfig(readStackConfig(stack));
}

/** Label map as text with sorted keys (the engine does not keep key order). */
function sorted(labels: Record<string, string>): string {
    return JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))));
}

/** All URNs a resource depends on, directly or through dependencies on components (their children). */
function dependencyClosure(all: readonly RecordedResource[], r: RecordedResource): Set<string> {
    const out = new Set<string>();
    for (const urn of r.dependencies) {
        out.add(urn);
        for (const d of descendantsOf(all, urn)) out.add(d.urn);
    }
    return out;
}

for (const stack of STACKS) {
    describe(`edge: stack ${stack}`, () => {
        let rendered: RenderedStack;
        let edge: RecordedResource[];
        let cfg: StackConfig;
        let gateway: Record<string, any>;
        let routes: Record<string, any>[];
        const ns = () => cfg.namespaces.edge;

        before(async () => {
            cfg = configOf(stack);
            rendered = await renderStack(stack);
            edge = edgeOf(rendered);
            const gateways = objectsOf(edge, `${GW}/v1`, "Gateway");
            expect(gateways, "one Gateway").to.have.length(1);
            gateway = gateways[0];
            routes = objectsOf(edge, `${GW}/v1`, "HTTPRoute");
        });

        it("renders the Gateway API CRDs (pinned standard channel) and the pinned NGINX Gateway Fabric chart", () => {
            const crds = byType(edge, "kubernetes:yaml/v2:ConfigFile");
            expect(crds).to.have.length(1);
            expect(crds[0].inputs.file).to.equal(
                "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
            );
            const charts = byType(edge, "kubernetes:helm.sh/v4:Chart");
            const ngf = charts.find((c) => c.inputs.name === NGF_RELEASE_NAME)!;
            expect(ngf.inputs.chart).to.equal("oci://ghcr.io/nginx/charts/nginx-gateway-fabric");
            expect(ngf.inputs.version).to.equal("2.6.7");
            expect(ngf.inputs.namespace).to.equal(ns());
            // The chart brings only the gateway.nginx.org CRDs; Gateway API CRDs come from the ConfigFile, which it waits for.
            expect(ngf.dependencies).to.include(crds[0].urn);
            expect(ngf.inputs.skipCrds ?? false).to.equal(false);
        });

        it("every edge object validates strictly against the Gateway API, NGINX Gateway Fabric, cert-manager and Kubernetes schemas", async () => {
            const objects = kubeObjects(edge);
            const kinds = new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`));
            for (const k of [
                `${GW}/v1 Gateway`,
                `${GW}/v1 HTTPRoute`,
                `${GW}/v1 ReferenceGrant`,
                "gateway.nginx.org/v1alpha2 NginxProxy",
                "gateway.nginx.org/v1alpha1 ClientSettingsPolicy",
                "gateway.nginx.org/v1alpha1 ProxySettingsPolicy",
                "gateway.nginx.org/v1alpha1 RateLimitPolicy",
                "networking.k8s.io/v1 NetworkPolicy",
                "policy/v1 PodDisruptionBudget",
                "v1 Secret",
            ]) {
                expect(kinds, k).to.include(k);
            }
            const violations = await validateAgainstSchemas(objects);
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
        });

        it("one Gateway per stack: HTTPS and HTTP listeners for exactly the public hosts, routes from the edge namespace only", () => {
            const hosts = (rendered.outputs.publicUrls.value as string[]).map((u) => u.replace("https://", "")).sort();
            const expected = ["app", "api", "ws", "monitoring", ...(stack === "dev" ? ["dev"] : [])]
                .map((h) => `${h}.${cfg.domain}`)
                .sort();
            expect(hosts).to.deep.equal(expected);
            expect(gateway.metadata.name).to.equal(GATEWAY_NAME);
            expect(gateway.spec.gatewayClassName).to.equal("nginx");
            const listeners = gateway.spec.listeners as any[];
            const https = listeners.filter((l) => l.protocol === "HTTPS");
            const http = listeners.filter((l) => l.protocol === "HTTP");
            expect(https.map((l) => l.hostname).sort()).to.deep.equal(hosts);
            expect(http.map((l) => l.hostname).sort()).to.deep.equal(hosts);
            expect(listeners).to.have.length(2 * hosts.length);
            for (const l of https) expect(l.port).to.equal(443);
            for (const l of http) expect(l.port).to.equal(80);
            for (const l of listeners) expect(l.allowedRoutes.namespaces.from).to.equal("Same");
            expect(gateway.spec.infrastructure.parametersRef).to.deep.equal({
                group: "gateway.nginx.org",
                kind: "NginxProxy",
                name: DATA_PLANE_PROXY_NAME,
            });
        });

        it("every HTTPRoute attaches to a listener of the Gateway (sectionName and hostname match)", () => {
            const listeners = new Map<string, any>((gateway.spec.listeners as any[]).map((l) => [l.name, l]));
            expect(routes.length).to.be.greaterThan(1);
            for (const route of routes) {
                expect(route.metadata.namespace, route.metadata.name).to.equal(ns());
                expect(route.spec.parentRefs.length).to.be.greaterThan(0);
                for (const ref of route.spec.parentRefs) {
                    expect(ref.name).to.equal(GATEWAY_NAME);
                    expect(ref.namespace ?? route.metadata.namespace).to.equal(gateway.metadata.namespace);
                    const listener = listeners.get(ref.sectionName);
                    expect(listener, `${route.metadata.name} -> ${ref.sectionName}`).to.not.equal(undefined);
                    expect(route.spec.hostnames, route.metadata.name).to.include(listener.hostname);
                }
            }
        });

        it("every routed backend is a Service and port that exist in the stack config, allowed by a ReferenceGrant", () => {
            const grants = objectsOf(edge, `${GW}/v1`, "ReferenceGrant");
            const backendRoutes = routes.filter((r) => r.spec.rules.some((rule: any) => rule.backendRefs));
            const expectedCount =
                Object.values(cfg.services).reduce((n, s) => n + s.routes.length, 0) + (cfg.monitoring.enabled ? 1 : 0);
            expect(backendRoutes).to.have.length(expectedCount);
            for (const route of backendRoutes) {
                for (const ref of route.spec.rules.flatMap((rule: any) => rule.backendRefs)) {
                    expect(ref.kind).to.equal("Service");
                    if (ref.namespace === cfg.namespaces.apps) {
                        const svc = cfg.services[ref.name];
                        expect(svc, `service ${ref.name}`).to.not.equal(undefined);
                        expect(
                            svc.ports.map((p) => p.containerPort),
                            `${ref.name} port`,
                        ).to.include(ref.port);
                    } else {
                        expect(ref.namespace).to.equal(cfg.namespaces.monitoring);
                        expect([ref.name, ref.port]).to.deep.equal([GRAFANA_SERVICE_NAME, GRAFANA_SERVICE_PORT]);
                    }
                    const grant = grants.find((g) => g.metadata.namespace === ref.namespace);
                    expect(grant, `ReferenceGrant in ${ref.namespace}`).to.not.equal(undefined);
                    expect(grant!.spec.from).to.deep.include({ group: GW, kind: "HTTPRoute", namespace: ns() });
                    expect(grant!.spec.to).to.deep.include({ group: "", kind: "Service", name: ref.name });
                }
            }
            // Exactly the routed services are granted.
            const granted = grants
                .flatMap((g) => g.spec.to.map((t: any) => `${g.metadata.namespace}/${t.name}`))
                .sort();
            const routed = [
                ...new Set(
                    backendRoutes.flatMap((r) =>
                        r.spec.rules.flatMap((rule: any) =>
                            rule.backendRefs.map((b: any) => `${b.namespace}/${b.name}`),
                        ),
                    ),
                ),
            ].sort();
            expect(granted).to.deep.equal(routed);
        });

        it("routes each configured route: host, path prefix and port from services.<name>.routes[]", () => {
            for (const [name, svc] of Object.entries(cfg.services)) {
                for (const r of svc.routes) {
                    const host = r.host.includes(".") ? r.host : `${r.host}.${cfg.domain}`;
                    const route = routes.find(
                        (x) => x.spec.hostnames.includes(host) && x.spec.rules[0].backendRefs?.[0]?.name === name,
                    );
                    expect(route, `${name} at ${host}`).to.not.equal(undefined);
                    expect(route!.spec.rules[0].matches).to.deep.equal([
                        { path: { type: "PathPrefix", value: r.pathPrefix } },
                    ]);
                    const port = r.port === undefined ? svc.ports[0] : svc.ports.find((p) => p.name === r.port)!;
                    expect(route!.spec.rules[0].backendRefs[0].port).to.equal(port.containerPort);
                }
            }
        });

        it("every HTTPS listener has a certificate Secret that the stack creates", () => {
            const listeners = (gateway.spec.listeners as any[]).filter((l) => l.protocol === "HTTPS");
            const secretNames = new Set(
                rendered.resources
                    .filter(
                        (r) =>
                            r.type === "kubernetes:core/v1:Secret" &&
                            r.inputs.metadata?.namespace === ns() &&
                            r.inputs.type === "kubernetes.io/tls",
                    )
                    .map((r) => manifestOf(r)!.metadata.name),
            );
            const certificates = objectsOf(edge, "cert-manager.io/v1", "Certificate");
            for (const l of listeners) {
                expect(l.tls.mode).to.equal("Terminate");
                expect(l.tls.certificateRefs).to.have.length(1);
                const ref = l.tls.certificateRefs[0];
                expect(ref.kind).to.equal("Secret");
                if (cfg.edge.tls === "acme") {
                    const cert = certificates.find(
                        (c) => c.spec.secretName === ref.name && c.metadata.namespace === ns(),
                    );
                    expect(cert, `Certificate for ${l.hostname}`).to.not.equal(undefined);
                    expect(cert!.spec.dnsNames).to.deep.equal([l.hostname]);
                } else {
                    expect(secretNames, `Secret for ${l.hostname}`).to.include(ref.name);
                }
            }
        });

        it("the plain HTTP listeners only redirect to https (301) and nothing else attaches to them", () => {
            const httpListeners = new Set(
                (gateway.spec.listeners as any[]).filter((l) => l.protocol === "HTTP").map((l) => l.name),
            );
            const attached = routes.filter((r) => r.spec.parentRefs.some((p: any) => httpListeners.has(p.sectionName)));
            expect(attached).to.have.length(1);
            const redirect = attached[0];
            expect(redirect.spec.parentRefs.map((p: any) => p.sectionName).sort()).to.deep.equal(
                [...httpListeners].sort(),
            );
            for (const rule of redirect.spec.rules) {
                expect(rule.backendRefs).to.equal(undefined);
                expect(rule.filters).to.deep.equal([
                    { type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } },
                ]);
            }
        });

        it("sets the security headers on every HTTPS route", () => {
            const headers = securityHeaders(cfg.edge.hstsMaxAgeSeconds);
            expect(headers.map((h) => h.name)).to.deep.equal([
                "Strict-Transport-Security",
                "X-Content-Type-Options",
                "X-Frame-Options",
                "Referrer-Policy",
            ]);
            expect(headers[0].value).to.equal(`max-age=${cfg.edge.hstsMaxAgeSeconds}; includeSubDomains`);
            for (const route of routes.filter((r) => r.spec.rules[0].backendRefs)) {
                for (const rule of route.spec.rules) {
                    const modifier = rule.filters.find((f: any) => f.type === "ResponseHeaderModifier");
                    expect(modifier, route.metadata.name).to.not.equal(undefined);
                    expect(modifier.responseHeaderModifier.set).to.deep.equal(headers);
                }
            }
        });

        it("body limit, rate limit and timeouts per route from config (NGINX Gateway Fabric policies)", () => {
            const target = (p: any) => p.spec.targetRef ?? p.spec.targetRefs[0];
            const client = objectsOf(edge, "gateway.nginx.org/v1alpha1", "ClientSettingsPolicy");
            const proxy = objectsOf(edge, "gateway.nginx.org/v1alpha1", "ProxySettingsPolicy");
            const rate = objectsOf(edge, "gateway.nginx.org/v1alpha1", "RateLimitPolicy");
            const planned = edgeRoutes(cfg);
            for (const r of planned) {
                const c = client.filter((p) => target(p).name === r.name);
                expect(c, `${r.name} body limit`).to.have.length(1);
                expect(target(c[0])).to.deep.equal({ group: GW, kind: "HTTPRoute", name: r.name });
                expect(c[0].spec.body.maxSize).to.equal("50m");
                const t = proxy.filter((p) => target(p).name === r.name);
                expect(t, `${r.name} timeouts`).to.have.length(1);
                expect(t[0].spec.timeout.read).to.equal(r.websocket ? "3600s" : `${r.timeoutSeconds}s`);
            }
            // Rate limit exactly on the API route: 100 requests/s per client address.
            expect(rate).to.have.length(1);
            const api = planned.find((r) => r.host === `api.${cfg.domain}`)!;
            expect(target(rate[0]).name).to.equal(api.name);
            expect(rate[0].spec.rateLimit.local.rules).to.deep.equal([
                { key: "$binary_remote_addr", rate: "100r/s", zoneSize: "10m", burst: 200, noDelay: true },
            ]);
            expect(rate[0].spec.rateLimit.rejectCode).to.equal(429);
            // The websocket route has no request timeout.
            const ws = planned.find((r) => r.host === `ws.${cfg.domain}`)!;
            expect(ws.websocket).to.equal(true);
            expect(ws.timeoutSeconds).to.equal(undefined);
            // Policies and routes are ordered after whatever installs their CRDs.
            const ngf = byType(edge, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.name === NGF_RELEASE_NAME)!;
            for (const p of [
                ...byType(edge, crType("gateway.nginx.org/v1alpha1", "ClientSettingsPolicy")),
                ...byType(edge, crType("gateway.nginx.org/v1alpha1", "RateLimitPolicy")),
            ]) {
                expect(p.dependencies, p.name).to.include(ngf.urn);
            }
            const crds = byType(edge, "kubernetes:yaml/v2:ConfigFile")[0];
            for (const r of byType(edge, crType(`${GW}/v1`, "HTTPRoute")))
                expect(r.dependencies, r.name).to.include(crds.urn);
        });

        it("creates exactly the Secrets of NGF's cert-generator hook (server-tls, agent-tls) from @pulumi/tls", () => {
            expect(
                ngfChartValues({
                    clusterDomain: "c",
                    replicas: 1,
                    resources: edgeResourceDefaults("dev").controlPlane,
                    dataPlaneResources: edgeResourceDefaults("dev").dataPlane,
                    zoneSpreadRequired: false,
                }).certGenerator,
            ).to.deep.equal({
                enable: false,
                serverTLSSecretName: NGF_SERVER_TLS_SECRET,
                agentTLSSecretName: NGF_AGENT_TLS_SECRET,
            });
            const secrets = byType(edge, "kubernetes:core/v1:Secret").filter(
                (s) => s.inputs.metadata.namespace === ns(),
            );
            const byName = new Map(secrets.map((s) => [s.inputs.metadata.name, s]));
            for (const name of [NGF_SERVER_TLS_SECRET, NGF_AGENT_TLS_SECRET]) {
                const s = byName.get(name)!;
                expect(s, name).to.not.equal(undefined);
                expect(s.inputs.type).to.equal("kubernetes.io/tls");
                expect(Object.keys(s.inputs.stringData).sort()).to.deep.equal(["ca.crt", "tls.crt", "tls.key"]);
                expect(s.inputs.stringData["tls.key"]).to.match(/PRIVATE KEY/);
            }
            const ca = byType(edge, "tls:index/selfSignedCert:SelfSignedCert");
            expect(ca).to.have.length(1);
            expect(ca[0].inputs.isCaCertificate).to.equal(true);
            // Both Secrets carry the same CA, which signed both leaves.
            expect(byName.get(NGF_SERVER_TLS_SECRET)!.inputs.stringData["ca.crt"]).to.equal(ca[0].state.certPem);
            expect(byName.get(NGF_AGENT_TLS_SECRET)!.inputs.stringData["ca.crt"]).to.equal(ca[0].state.certPem);
            const requests = new Map(
                byType(edge, "tls:index/certRequest:CertRequest").map((r) => [r.name, r.inputs.dnsNames]),
            );
            expect(requests.get("edge-ngf-server")).to.deep.equal([`${NGF_RELEASE_NAME}.${ns()}.svc`]);
            expect(requests.get("edge-ngf-agent")).to.deep.equal([`*.${cfg.kubernetes.clusterDomain}`]);
            const certs = new Map(
                byType(edge, "tls:index/locallySignedCert:LocallySignedCert").map((r) => [r.name, r]),
            );
            expect(certs.get("edge-ngf-server")!.inputs.allowedUses).to.include("server_auth");
            expect(certs.get("edge-ngf-agent")!.inputs.allowedUses).to.include("client_auth");
            expect(certs.get("edge-ngf-server")!.inputs.caCertPem).to.equal(ca[0].state.certPem);
            expect(byName.get(NGF_SERVER_TLS_SECRET)!.inputs.stringData["tls.crt"]).to.equal(
                certs.get("edge-ngf-server")!.state.certPem,
            );
            expect(byName.get(NGF_AGENT_TLS_SECRET)!.inputs.stringData["tls.crt"]).to.equal(
                certs.get("edge-ngf-agent")!.state.certPem,
            );
            // The controller mounts them at start: the chart waits for both.
            const ngf = byType(edge, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.name === NGF_RELEASE_NAME)!;
            for (const name of [NGF_SERVER_TLS_SECRET, NGF_AGENT_TLS_SECRET])
                expect(ngf.dependencies).to.include(byName.get(name)!.urn);
        });

        it("configures the data plane per environment through the Gateway's NginxProxy", () => {
            const [proxy] = objectsOf(edge, "gateway.nginx.org/v1alpha2", "NginxProxy");
            expect(proxy.metadata).to.include({ name: DATA_PLANE_PROXY_NAME, namespace: ns() });
            const deployment = proxy.spec.kubernetes.deployment;
            expect(deployment.replicas).to.equal(cfg.edge.dataPlaneReplicas);
            if (cfg.edge.dataPlaneMaxReplicas === undefined) expect(deployment.autoscaling).to.equal(undefined);
            else
                expect(deployment.autoscaling).to.include({
                    enable: true,
                    minReplicas: cfg.edge.dataPlaneReplicas,
                    maxReplicas: cfg.edge.dataPlaneMaxReplicas,
                });
            expect(proxy.spec.kubernetes.service.type).to.equal(cfg.edge.serviceType);
            expect(deployment.container.resources.limits).to.have.keys("cpu", "memory", "ephemeral-storage");
            if (stack === "prod") expect(deployment.replicas).to.be.at.least(2);
        });

        it("the data-plane selector in lib/topology matches the label NGF puts on data-plane pods", () => {
            expect(edgeDataPlane(cfg)).to.deep.equal({
                namespace: ns(),
                podLabels: { "gateway.networking.k8s.io/gateway-name": GATEWAY_NAME },
            });
        });

        it("meshed stacks: data-plane sidecar without inbound capture, control plane opted out, Host rewritten for mTLS", () => {
            const meshOn = cfg.mesh.enabled;
            const infra = gateway.spec.infrastructure;
            const edgeNs = rendered.resources.find(
                (r) => r.type === "kubernetes:core/v1:Namespace" && r.name === ns(),
            )!;
            expect(edgeNs.inputs.metadata.labels["istio-injection"]).to.equal(meshOn ? "enabled" : undefined);
            const ngf = byType(edge, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.name === NGF_RELEASE_NAME)!;
            // Opted out only where the namespace injects; without a mesh nothing carries an Istio label.
            expect(ngf.inputs.values.nginxGateway.labels["sidecar.istio.io/inject"]).to.equal(
                meshOn ? "false" : undefined,
            );
            if (meshOn) {
                expect(infra.annotations["traffic.sidecar.istio.io/includeInboundPorts"]).to.equal("");
                expect(infra.labels["sidecar.istio.io/inject"]).to.equal("true");
            } else {
                expect(infra.annotations).to.equal(undefined);
            }
            for (const route of routes.filter((r) => r.spec.rules[0].backendRefs)) {
                const backend = route.spec.rules[0].backendRefs[0];
                const rewrite = route.spec.rules[0].filters.find((f: any) => f.type === "URLRewrite");
                if (meshOn && backend.namespace === cfg.namespaces.apps) {
                    expect(rewrite.urlRewrite.hostname).to.equal(
                        `${backend.name}.${cfg.namespaces.apps}.svc.${cfg.kubernetes.clusterDomain}`,
                    );
                } else {
                    expect(rewrite, route.metadata.name).to.equal(undefined);
                }
            }
        });

        it("NetworkPolicies: the data plane reaches exactly the routed ports, DNS, the control plane (and istiod and the span collector when meshed)", () => {
            const policies = objectsOf(edge, "networking.k8s.io/v1", "NetworkPolicy");
            const dataPlane = policies.find(
                (p) => p.spec.podSelector.matchLabels?.["gateway.networking.k8s.io/gateway-name"] === GATEWAY_NAME,
            )!;
            expect(dataPlane.spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);
            const egress = dataPlane.spec.egress as any[];
            const targets = egress.map((rule) => {
                const to = rule.to[0];
                const where =
                    to.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? (to.podSelector ? ns() : "?");
                const who = sorted(to.podSelector?.matchLabels ?? {});
                return `${where} ${who} ${rule.ports.map((p: any) => `${p.protocol}/${p.port}`).join(",")}`;
            });
            const expected = [
                `kube-system {"k8s-app":"kube-dns"} UDP/53,TCP/53`,
                `${ns()} ${sorted(controlPlaneSelector())} TCP/${NGF_AGENT_GRPC_PORT}`,
            ];
            for (const [name, svc] of Object.entries(cfg.services)) {
                if (svc.routes.length === 0) continue;
                const ports = [
                    ...new Set(
                        svc.routes.map(
                            (r) => (r.port ? svc.ports.find((p) => p.name === r.port)! : svc.ports[0]).containerPort,
                        ),
                    ),
                ];
                expected.push(
                    `${cfg.namespaces.apps} ${sorted({ "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name })} ${ports.map((p) => `TCP/${p}`).join(",")}`,
                );
            }
            if (cfg.monitoring.enabled)
                expected.push(
                    `${cfg.namespaces.monitoring} {"app.kubernetes.io/name":"grafana"} TCP/${GRAFANA_CONTAINER_PORT}`,
                );
            if (cfg.edge.tls === "acme")
                expected.push(`${ns()} {"acme.cert-manager.io/http01-solver":"true"} TCP/8089`);
            if (cfg.mesh.enabled) expected.push(`${cfg.namespaces.istio} {"app":"istiod"} TCP/${ISTIOD_XDS_PORT}`);
            // The sidecar reports spans to the collector.
            if (cfg.mesh.enabled && cfg.tracing.enabled)
                expected.push(
                    `${cfg.namespaces.tracing} {"app.kubernetes.io/instance":"otel-collector","app.kubernetes.io/name":"opentelemetry-collector"} TCP/4317`,
                );
            expect([...targets].sort()).to.deep.equal([...expected].sort());
            // Public traffic in on the listener ports only.
            expect(dataPlane.spec.ingress[0]).to.deep.equal({
                ports: [
                    { protocol: "TCP", port: 80 },
                    { protocol: "TCP", port: 443 },
                ],
            });

            const controlPlane = policies.find(
                (p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === NGF_RELEASE_NAME,
            )!;
            expect(controlPlane.spec.ingress[0]).to.deep.equal({
                from: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns() } },
                        podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": GATEWAY_NAME } },
                    },
                ],
                ports: [{ protocol: "TCP", port: NGF_AGENT_GRPC_PORT }],
            });
            expect(controlPlane.spec.egress[1].ports).to.deep.equal([
                { protocol: "TCP", port: 443 },
                { protocol: "TCP", port: 6443 },
            ]);
            const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0)!;
            expect(deny.spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);

            // Prometheus: NGINX metrics, plus the sidecar's Envoy stats that the mesh's PodMonitor scrapes here too.
            const scraped = (dataPlane.spec.ingress as any[]).filter(
                (r) => r.from?.[0]?.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "prometheus",
            );
            expect(scraped.flatMap((r) => r.ports.map((p: any) => p.port))).to.deep.equal(
                !cfg.monitoring.enabled ? [] : cfg.mesh.enabled ? [9113, 15090] : [9113],
            );
        });

        it("disruption budgets and metrics scraping for both planes", () => {
            const pdbs = objectsOf(edge, "policy/v1", "PodDisruptionBudget").map((p) => p.spec);
            expect(pdbs).to.deep.include({ maxUnavailable: 1, selector: { matchLabels: controlPlaneSelector() } });
            expect(pdbs).to.deep.include({
                maxUnavailable: 1,
                selector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": GATEWAY_NAME } },
            });
            const monitors = objectsOf(edge, "monitoring.coreos.com/v1", "PodMonitor");
            expect(monitors).to.have.length(cfg.monitoring.enabled ? 2 : 0);
            for (const m of monitors) expect(m.spec.podMetricsEndpoints[0].port).to.equal("metrics");
        });

        it("HTTPRoutes wait for the routed app services (index.ts wiring)", () => {
            const services = rendered.resources.filter((r) => r.type === AppService.TYPE);
            if (services.length === 0) return; // the services component is not wired yet
            const route = byType(edge, crType(`${GW}/v1`, "HTTPRoute")).find(
                (r) => r.inputs.metadata.name !== "https-redirect",
            )!;
            const deps = dependencyClosure(rendered.resources, route);
            for (const s of services) {
                const children = descendantsOf(rendered.resources, s.urn).map((c) => c.urn);
                expect(deps.has(s.urn) || children.some((c) => deps.has(c)), `depends on ${s.name}`).to.equal(true);
            }
        });

        if (stack === "prod") {
            it("prod ACME: cert-manager (pinned, Gateway API on, hook-free), ACME and CA ClusterIssuers, Certificates per host", () => {
                const cm = byType(edge, "kubernetes:helm.sh/v4:Chart").find((c) => c.inputs.name === "cert-manager")!;
                expect(cm.inputs.chart).to.equal("cert-manager");
                expect(cm.inputs.version).to.equal("v1.21.1");
                expect(cm.inputs.repositoryOpts.repo).to.equal("https://charts.jetstack.io");
                expect(cm.inputs.namespace).to.equal(cfg.namespaces.certManager);
                expect(cm.inputs.values.config.enableGatewayAPI).to.equal(true);
                expect(cm.inputs.values.startupapicheck.enabled).to.equal(false);
                expect(cm.inputs.values.crds.enabled).to.equal(true);
                const issuers = objectsOf(edge, "cert-manager.io/v1", "ClusterIssuer");
                const acme = issuers.find((i) => i.spec.acme)!;
                expect(acme.spec.acme.email).to.equal(cfg.edge.acme!.email);
                expect(acme.spec.acme.server).to.equal("https://acme-v02.api.letsencrypt.org/directory");
                const solver = acme.spec.acme.solvers[0].http01.gatewayHTTPRoute;
                expect(solver.parentRefs).to.deep.equal([
                    { group: GW, kind: "Gateway", name: GATEWAY_NAME, namespace: ns() },
                ]);
                // The solver pods run in the (meshed) edge namespace: opted out of injection.
                expect(solver.podTemplate).to.deep.equal({
                    metadata: { labels: { "sidecar.istio.io/inject": "false" } },
                });
                const ca = issuers.find((i) => i.spec.ca)!;
                const caSecret = byType(edge, "kubernetes:core/v1:Secret").find(
                    (s) => s.inputs.metadata.namespace === cfg.namespaces.certManager,
                )!;
                expect(caSecret.inputs.metadata.name).to.equal(ca.spec.ca.secretName);
                expect(caSecret.inputs.stringData["tls.crt"]).to.equal(rendered.outputs.caCertificatePem.value);
                for (const cert of objectsOf(edge, "cert-manager.io/v1", "Certificate")) {
                    expect(cert.spec.issuerRef).to.deep.equal({
                        group: "cert-manager.io",
                        kind: "ClusterIssuer",
                        name: acme.metadata.name,
                    });
                }
            });

            it("prod can fall back to the generated CA issuer by config", async () => {
                const raw = readStackConfig("prod") as any;
                const fallback = await renderStack("prod", {
                    overrides: { edge: { ...raw.edge, certManagerIssuer: "generated-ca" } },
                });
                const certs = objectsOf(edgeOf(fallback), "cert-manager.io/v1", "Certificate");
                expect(certs.length).to.be.greaterThan(0);
                for (const c of certs) expect(c.spec.issuerRef.name).to.equal("stackwright-ca");
            });
        } else {
            it("dev/staging: listeners use the generated-CA server certificates, no cert-manager", () => {
                expect(byType(edge, "kubernetes:helm.sh/v4:Chart").map((c) => c.inputs.name)).to.deep.equal([
                    NGF_RELEASE_NAME,
                ]);
                const secrets = rendered.resources.filter(
                    (r) =>
                        r.type === "kubernetes:core/v1:Secret" &&
                        r.parent?.endsWith(`${GeneratedSecrets.TYPE}::secrets`),
                );
                for (const l of (gateway.spec.listeners as any[]).filter((x) => x.protocol === "HTTPS")) {
                    const secret = secrets.find((s) => manifestOf(s)!.metadata.name === l.tls.certificateRefs[0].name);
                    expect(secret, l.hostname).to.not.equal(undefined);
                    expect(secret!.inputs.metadata.namespace).to.equal(ns());
                }
            });
        }
    });
}

describe("edge: chart values and data-plane settings (pure)", () => {
    const plans = Object.fromEntries(STACKS.map((s) => [s, edgePlan(configOf(s))]));

    it("control plane: replicas per environment (2+ in prod), autoscaling, resources, hardening", () => {
        for (const stack of STACKS) {
            const p = plans[stack];
            const values = ngfChartValues({
                clusterDomain: p.clusterDomain,
                replicas: p.controllerReplicas,
                maxReplicas: p.controllerMaxReplicas,
                resources: p.controllerResources,
                dataPlaneResources: p.dataPlaneResources,
                zoneSpreadRequired: p.zoneSpreadRequired,
            });
            // The chart's class-level NginxProxy is judged alone by the pack: its container carries the data plane's resources.
            expect(values.nginx.container.resources, stack).to.deep.equal(toKubeResources(p.dataPlaneResources));
            const g = values.nginxGateway;
            expect(g.autoscaling.enable, stack).to.equal(stack === "prod");
            if (stack === "prod") {
                // The HPA owns the count: the chart (2.6.7) drops spec.replicas under autoscaling.enable, and no
                // replicas value suggests otherwise; minReplicas is the configured floor (2+, the PDB keeps one).
                expect(g).to.not.have.property("replicas");
                expect(g.autoscaling).to.include({
                    minReplicas: 2,
                    maxReplicas: 3,
                    targetCPUUtilizationPercentage: 70,
                    targetMemoryUtilizationPercentage: 80,
                });
            } else {
                expect("replicas" in g && g.replicas, stack).to.equal({ dev: 1, staging: 2 }[stack]);
            }
            expect(g.resources.requests).to.have.keys("cpu", "memory", "ephemeral-storage");
            expect(g.resources.limits).to.have.keys("cpu", "memory", "ephemeral-storage");
            expect(g.productTelemetry.enable).to.equal(false);
            expect(g.metrics).to.deep.equal({ enable: true, port: 9113, secure: false });
            const zone = g.topologySpreadConstraints.find((c) => c.topologyKey === "topology.kubernetes.io/zone")!;
            expect(zone.whenUnsatisfiable).to.equal(stack === "prod" ? "DoNotSchedule" : "ScheduleAnyway");
            expect(zone.labelSelector.matchLabels).to.deep.equal(controlPlaneSelector());
        }
        const prod = plans.prod.controllerResources;
        const dev = plans.dev.controllerResources;
        expect(parseQuantity(prod.limits.memory)).to.be.greaterThan(parseQuantity(dev.limits.memory));
    });

    it("data plane: replicas, autoscaling up to dataPlaneMaxReplicas, resources, Service type, NodePorts", () => {
        for (const stack of STACKS) {
            const p = plans[stack];
            const spec = dataPlaneProxySpec({
                replicas: p.dataPlaneReplicas,
                maxReplicas: p.dataPlaneMaxReplicas,
                resources: p.dataPlaneResources,
                serviceType: p.serviceType,
                nodePorts: p.nodePorts,
                zoneSpreadRequired: p.zoneSpreadRequired,
                podLabels: p.dataPlane.podLabels,
            });
            const d = spec.kubernetes.deployment as any;
            expect(d.replicas, stack).to.equal({ dev: 1, staging: 2, prod: 3 }[stack]);
            expect(d.autoscaling?.maxReplicas, stack).to.equal({ dev: undefined, staging: 4, prod: 10 }[stack]);
            expect(spec.kubernetes.service.type).to.equal(stack === "dev" ? "NodePort" : "LoadBalancer");
            expect((spec.kubernetes.service as any).nodePorts).to.deep.equal(
                stack === "dev"
                    ? [
                          { port: 30080, listenerPort: 80 },
                          { port: 30443, listenerPort: 443 },
                      ]
                    : undefined,
            );
            expect(spec.kubernetes.service.externalTrafficPolicy).to.equal("Local");
            expect(spec.serverTokens).to.equal("off");
            expect(d.container.resources.limits.cpu).to.equal(edgeResourceDefaults(p.environment).dataPlane.limits.cpu);
        }
    });

    it("resource defaults: every request fits its limit, in every environment", () => {
        for (const stack of STACKS) {
            const d = edgeResourceDefaults(stack);
            for (const spec of [
                d.controlPlane,
                d.dataPlane,
                d.certManager.controller,
                d.certManager.webhook,
                d.certManager.cainjector,
            ]) {
                for (const k of ["cpu", "memory", "ephemeralStorage"] as const) {
                    expect(parseQuantity(spec.requests[k]), `${stack} ${k}`).to.be.at.most(
                        parseQuantity(spec.limits[k]),
                    );
                }
            }
        }
    });

    it("cert-manager: HA and PDBs in prod only, leader election in its own namespace, chart NetworkPolicies on", () => {
        for (const stack of STACKS) {
            const v = certManagerChartValues({
                namespace: "cert-manager",
                environment: stack,
                monitoring: true,
                zoneSpreadRequired: false,
                resources: edgeResourceDefaults(stack).certManager,
            });
            const replicas = stack === "prod" ? 2 : 1;
            expect([v.replicaCount, v.webhook.replicaCount, v.cainjector.replicaCount]).to.deep.equal([
                replicas,
                replicas,
                replicas,
            ]);
            expect(v.podDisruptionBudget.enabled).to.equal(replicas > 1);
            expect(v.global.leaderElection.namespace).to.equal("cert-manager");
            expect([
                v.networkPolicy.enabled,
                v.webhook.networkPolicy.enabled,
                v.cainjector.networkPolicy.enabled,
            ]).to.deep.equal([true, true, true]);
            expect(v.prometheus.servicemonitor.enabled).to.equal(true);
            // part-of on every chart object through commonLabels; the chart sets managed-by itself (no duplicate key).
            expect(v.global.commonLabels).to.deep.equal({ "app.kubernetes.io/part-of": "stackwright" });
            expect(v).to.not.have.property("podLabels");
        }
        const off = certManagerChartValues({
            namespace: "cm",
            environment: "dev",
            monitoring: false,
            zoneSpreadRequired: false,
            resources: edgeResourceDefaults("dev").certManager,
        });
        expect(off.prometheus).to.deep.equal({ enabled: false, servicemonitor: { enabled: false, interval: "30s" } });
    });

    it("chart sources: oci, https repository, or a local path", () => {
        expect(
            helmChartReference({
                repository: "oci://ghcr.io/nginx/charts/",
                chart: "nginx-gateway-fabric",
                version: "2.6.7",
            }),
        ).to.deep.equal({ chart: "oci://ghcr.io/nginx/charts/nginx-gateway-fabric", version: "2.6.7" });
        expect(
            helmChartReference({ repository: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.1" }),
        ).to.deep.equal({
            chart: "cert-manager",
            version: "v1.21.1",
            repositoryOpts: { repo: "https://charts.jetstack.io" },
        });
        expect(
            helmChartReference({ repository: "https://x", chart: "c", version: "1.0.0", path: "./vendor/c-1.0.0.tgz" }),
        ).to.deep.equal({ chart: "./vendor/c-1.0.0.tgz" });
    });

    it("Istio opt-out labels only with a mesh: control plane and ACME solver pods", () => {
        const values = (meshEnabled: boolean) =>
            ngfChartValues({
                clusterDomain: "c",
                replicas: 1,
                resources: edgeResourceDefaults("dev").controlPlane,
                dataPlaneResources: edgeResourceDefaults("dev").dataPlane,
                zoneSpreadRequired: false,
                meshEnabled,
            });
        expect(values(true).nginxGateway.labels).to.include({ "sidecar.istio.io/inject": "false" });
        expect(Object.keys(values(false).nginxGateway.labels).filter((k) => k.includes("istio.io"))).to.deep.equal([]);
        const solver = (meshEnabled: boolean) =>
            acmeClusterIssuerSpec({
                email: "a@example.com",
                server: "https://acme.example",
                gatewayNamespace: "edge",
                meshEnabled,
            }).acme.solvers[0].http01.gatewayHTTPRoute;
        expect(solver(true).podTemplate).to.deep.equal({
            metadata: { labels: { "sidecar.istio.io/inject": "false" } },
        });
        expect(solver(false)).to.not.have.property("podTemplate");
    });

    it("control-plane certificate names follow the NGF generator (service DNS name, wildcard client)", () => {
        const plan = controlPlanePkiPlan("edge", "cluster.example");
        expect(plan.serverDnsNames).to.deep.equal(["nginx-gateway-fabric.edge.svc"]);
        expect(plan.clientDnsNames).to.deep.equal(["*.cluster.example"]);
    });

    it("NGINX durations stay within the CRD pattern and never shorten a timeout", () => {
        expect(nginxDuration(30)).to.equal("30s");
        expect(nginxDuration(9999)).to.equal("9999s");
        expect(nginxDuration(10000)).to.equal("167m");
        expect(nginxDuration(9999 * 3600)).to.equal("9999h");
        expect(() => nginxDuration(10000 * 3600)).to.throw(/too long/);
        expect(() => nginxDuration(0)).to.throw(/positive/);
        for (const s of [1, 59, 61, 3600, 86400, 604800]) expect(nginxDuration(s)).to.match(/^[0-9]{1,4}(ms|s|m|h)?$/);
    });

    it("a websocket route gets only an idle timeout and unbuffered proxying", () => {
        const ws = edgeRoutes(configOf("dev")).find((r) => r.websocket)!;
        const spec = proxySettingsPolicySpec(ws) as any;
        expect(spec.timeout.read).to.equal("3600s");
        expect(spec.buffering).to.deep.equal({ disable: true });
    });
});

describe("edge: bad input fails with a clear message", () => {
    const CASES: { title: string; stack?: string; mutate: (c: any) => void; expected: string }[] = [
        {
            title: "route to an unknown port",
            mutate: (c) => {
                c.services.frontend.routes[0].port = "admin";
            },
            expected:
                'stackwright:services.frontend.routes[0].port: route port "admin" is not a port of this service (allowed: http)',
        },
        {
            title: "route to a service without ports",
            mutate: (c) => {
                c.services.worker.ports = [];
                c.services.worker.probes = {
                    liveness: { type: "exec", command: ["true"] },
                    readiness: { type: "exec", command: ["true"] },
                    startup: { type: "exec", command: ["true"] },
                };
                delete c.services.worker.metrics;
                c.services.backend.calls = [];
                c.services.frontend.calls = [];
                c.services.worker.calls = [];
                c.services.worker.routes = [{ host: "jobs" }];
            },
            expected:
                'stackwright:services.worker.routes[0].port: route port "(first port)" is not a port of this service (allowed: none)',
        },
        {
            title: "duplicate host/path",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "app" }];
            },
            expected:
                'stackwright:services.worker.routes[0]: host/path "app.stackwright.localtest.me/" is already routed to service "frontend"',
        },
        {
            title: "duplicate host/path differing by a trailing slash",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "api", pathPrefix: "/api/v1" }];
            },
            expected:
                'stackwright:services.worker.routes[0]: host/path "api.stackwright.localtest.me/api/v1" is already routed to service "backend"',
        },
        {
            title: "host outside the domain",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "jobs.example.org" }];
            },
            expected:
                'stackwright:services.worker.routes[0].host: "jobs.example.org" is outside the stack domain "stackwright.localtest.me"',
        },
        {
            title: "Grafana host taken by a service",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "monitoring" }];
            },
            expected:
                'stackwright:monitoring.grafanaHost: host "monitoring.stackwright.localtest.me" is already used by a service route',
        },
        {
            title: "invalid path",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "jobs", pathPrefix: "/a//b" }];
            },
            expected: 'stackwright:services.worker.routes[0].pathPrefix: "/a//b" is not a valid Gateway API path',
        },
        {
            title: "burst without a rate",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "jobs", rateLimitBurst: 10 }];
            },
            expected: "stackwright:services.worker.routes[0].rateLimitBurst: a burst needs rateLimitRequestsPerSecond",
        },
        {
            title: "body size NGINX Gateway Fabric rejects",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "jobs", clientMaxBodySize: "51200k" }];
            },
            expected: 'stackwright:services.worker.routes[0].clientMaxBodySize: "51200k" has more than 4 digits',
        },
        {
            title: "request timeout too long",
            mutate: (c) => {
                c.services.worker.routes = [{ host: "jobs", timeoutSeconds: 7200 }];
            },
            expected: "stackwright:services.worker.routes[0].timeoutSeconds: 7200 exceeds 3600",
        },
        {
            title: "routes with the edge disabled",
            mutate: (c) => {
                c.edge.enabled = false;
            },
            expected:
                "stackwright:services.frontend.routes[0]: edge.enabled is false, so no public route can be served",
        },
        {
            title: "single control-plane replica in prod",
            stack: "prod",
            mutate: (c) => {
                c.edge.controllerReplicas = 1;
                delete c.edge.controllerMaxReplicas;
            },
            expected:
                "stackwright:edge.controllerReplicas: 1 replica is a single point of failure (a node drain or rollout takes the edge down) in prod (allowed: at least 2, or waivers.singleEdgeReplica with a written reason)",
        },
        {
            title: "single data-plane replica in prod",
            stack: "prod",
            mutate: (c) => {
                c.edge.dataPlaneReplicas = 1;
            },
            expected:
                "stackwright:edge.dataPlaneReplicas: 1 replica is a single point of failure (a node drain or rollout takes the edge down) in prod (allowed: at least 2, or waivers.singleEdgeReplica with a written reason)",
        },
        {
            title: "data-plane max below min",
            stack: "staging",
            mutate: (c) => {
                c.edge.dataPlaneMaxReplicas = 1;
            },
            expected: "stackwright:edge.dataPlaneMaxReplicas: must be >= edge.dataPlaneReplicas (2)",
        },
        {
            title: "NodePorts without NodePort service",
            stack: "staging",
            mutate: (c) => {
                c.edge.nodePorts = { http: 30080, https: 30443 };
            },
            expected: 'stackwright:edge.nodePorts: needs edge.serviceType "NodePort" (is "LoadBalancer")',
        },
        {
            title: "unknown TLS mode",
            mutate: (c) => {
                c.edge.tls = "self-signed";
            },
            expected: 'stackwright:edge.tls: "self-signed" is not allowed (allowed: generated-ca, acme, provided)',
        },
        {
            title: "too many hosts for one Gateway",
            mutate: (c) => {
                c.edge.extraHosts = Array.from({ length: 30 }, (_, i) => `h${i}`);
            },
            expected: "stackwright:edge: 35 public hosts exceed the 32 one Gateway can serve",
        },
    ];
    for (const c of CASES) {
        it(c.title, () => {
            const raw = JSON.parse(JSON.stringify(readStackConfig(c.stack ?? "dev")));
            c.mutate(raw);
            let error: unknown;
            try {
                parseConfig(raw);
            } catch (e) {
                error = e;
            }
            expect(error, "parseConfig must throw").to.be.instanceOf(ConfigError);
            expect(
                (error as ConfigError).problems.some((p) => p.startsWith(c.expected)),
                `${(error as ConfigError).problems.join("\n")}\nexpected: ${c.expected}`,
            ).to.equal(true);
        });
    }
});

// ---- Tier 1: the component alone, constructed from hand-written args under the mocks (fast, focused) ---------

describe("Edge from hand-written args (component under mocks)", () => {
    it("one HTTPS and one HTTP listener per host it is given, each with the TLS Secret handed in; no PodMonitor without monitoring", async () => {
        const plan = edgePlan(parseConfig(readStackConfig("dev")));
        const hosts = ["shop.example.com"];
        const resources = await renderUnderMocks(() => {
            new Edge("e", {
                ...plan,
                hosts,
                routes: [],
                generatedTlsSecretNames: { "shop.example.com": "shop-tls" },
                caCertPem: "ca",
                caPrivateKeyPem: "key",
            });
        });
        const gateway = resources.find((r) => r.type.endsWith(":Gateway"))!;
        const listeners = gateway.inputs.spec.listeners as any[];
        expect(listeners.map((l) => [l.hostname, l.protocol])).to.deep.equal([
            ["shop.example.com", "HTTPS"],
            ["shop.example.com", "HTTP"],
        ]);
        expect(listeners[0].tls.certificateRefs.map((r: any) => r.name)).to.deep.equal(["shop-tls"]);
        expect(resources.some((r) => r.type.endsWith(":PodMonitor"))).to.equal(false);
    });
});

describe("edge: certificates you bring (edge.tls provided)", () => {
    const domain = "stackwright.localtest.me";
    const wildcard = () => selfSignedCertificate([`*.${domain}`]);

    it("host patterns: exact names, and a wildcard for exactly one leftmost label", () => {
        expect(hostMatches("app.example.com", "app.example.com")).to.equal(true);
        expect(hostMatches("*.example.com", "app.example.com")).to.equal(true);
        expect(hostMatches("*.example.com", "a.b.example.com")).to.equal(false);
        expect(hostMatches("*.example.com", "example.com")).to.equal(false);
        expect(
            certificateFor([{ hosts: ["x.example.com"] }, { hosts: ["*.example.com"] }], "app.example.com"),
        ).to.equal(1);
    });

    it("PEM from config: a real certificate serves its hosts; a wrong key, a host it does not name, or expiry are refused", () => {
        const pem = wildcard();
        expect(pemProblems({ hosts: [`*.${domain}`, `app.${domain}`], ...pem })).to.deep.equal([]);
        const other = selfSignedCertificate([`api.${domain}`]);
        expect(pemProblems({ hosts: [`*.${domain}`], ...pem, privateKeyPem: other.privateKeyPem })).to.deep.equal([
            "privateKeyPem is not the key of the certificate (value hidden)",
        ]);
        expect(pemProblems({ hosts: ["shop.example.com"], ...pem })[0]).to.match(/does not name "shop.example.com"/);
        const inTwoYears = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
        expect(pemProblems({ hosts: [`*.${domain}`], ...pem }, inTwoYears)[0]).to.match(/^the certificate expired on /);
        expect(pemProblems({ hosts: ["x"], certificatePem: "nope", privateKeyPem: "nope" })).to.deep.equal([
            "certificatePem is not a PEM certificate",
        ]);
    });

    it("dev with a wildcard from PEM and an existing Secret for one host: each listener references its certificate; the key only in a Secret", async () => {
        const pem = wildcard();
        const base = readStackConfig("dev");
        const r = await renderStack("dev", {
            overrides: {
                edge: {
                    ...(base.edge as object),
                    tls: "provided",
                    certificates: [
                        { hosts: [`app.${domain}`], secretName: "app-certificate" },
                        { hosts: [`*.${domain}`], ...pem },
                    ],
                },
            },
        });
        const edge = edgeOf(r);
        const provided = byType(edge, "kubernetes:core/v1:Secret").filter((s) => s.name.includes("provided"));
        expect(provided).to.have.length(1);
        expect(provided[0].inputs.type).to.equal("kubernetes.io/tls");
        expect(provided[0].inputs.metadata.namespace).to.equal("edge");
        expect(provided[0].inputs.stringData).to.deep.equal({
            "tls.crt": pem.certificatePem,
            "tls.key": pem.privateKeyPem,
        });
        const gateway = objectsOf(edge, `${GW}/v1`, "Gateway")[0];
        const refs = Object.fromEntries(
            gateway.spec.listeners
                .filter((l: any) => l.protocol === "HTTPS")
                .map((l: any) => [l.hostname, l.tls.certificateRefs.map((c: any) => c.name)]),
        );
        expect(refs[`app.${domain}`]).to.deep.equal(["app-certificate"]);
        const others = Object.keys(refs).filter((h) => h !== `app.${domain}`);
        expect(others.length).to.be.greaterThan(0);
        for (const host of others) expect(refs[host], host).to.deep.equal([provided[0].state.metadata.name]);
        // The key is in that Secret and nowhere else.
        const elsewhere = r.resources.filter(
            (x) => x !== provided[0] && JSON.stringify(x.inputs).includes(pem.privateKeyPem.split("\n")[1]),
        );
        expect(elsewhere.map((x) => x.name)).to.deep.equal([]);
    });
});
