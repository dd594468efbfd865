/** Whole-stack tests: every stack renders, every object is valid, the provider is explicit, secrets stay secret. */
import { expect } from "chai";
import { parseConfig } from "../config";
import { prometheusPods } from "../lib/topology";
import {
    descendantsOf,
    KubeManifest,
    kubeObjects,
    readStackConfig,
    RenderedStack,
    renderStack,
    STACKS,
} from "./lib/harness";
import { connectionKey, Endpoint, isAllowed } from "./lib/netpol";
import { scrapeTargets } from "./lib/scrape";
import { validateAgainstSchemas } from "./lib/schemas";
import { GeneratedSecrets } from "../components/secrets";

/**
 * Monitors whose targets the mocks cannot show (chart-rendered pods behind chart-rendered Services and
 * NetworkPolicies), each with the reason it is left out of the scrape-reachability check.
 */
function scrapeOutOfScope(m: KubeManifest): string | undefined {
    if (m.kind === "ServiceMonitor" && m.spec?.selector?.matchLabels?.app === "istiod") {
        return "istiod chart: its Service (port http-monitoring) and its NetworkPolicy (global.networkPolicy) are both rendered inside the chart";
    }
    return undefined;
}

/** Resource types allowed to hold generated secret values in their inputs. */
const SECRET_HOLDERS = new Set([
    "kubernetes:core/v1:Secret",
    "random:index/randomPassword:RandomPassword",
    "random:index/randomBytes:RandomBytes",
    "tls:index/privateKey:PrivateKey",
    "tls:index/certRequest:CertRequest",
    "tls:index/selfSignedCert:SelfSignedCert",
    "tls:index/locallySignedCert:LocallySignedCert",
]);

for (const stack of STACKS) {
    describe(`stack ${stack}`, () => {
        let rendered: RenderedStack;
        before(async () => {
            rendered = await renderStack(stack);
        });

        it("renders without error and registers resources", () => {
            expect(rendered.resources.length).to.be.greaterThan(20);
        });

        it("every Kubernetes object passes strict upstream schema validation", async () => {
            const violations = await validateAgainstSchemas(kubeObjects(rendered.resources));
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
        });

        it("every Kubernetes resource uses the one explicit provider (no default provider)", () => {
            const providers = rendered.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
            expect(providers.map((p) => p.name)).to.deep.equal(["k8s"]);
            const providerRef = `${providers[0].urn}::${providers[0].name}-id`;
            const kube = rendered.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
            expect(kube.length).to.be.greaterThan(0);
            for (const r of kube) expect(r.provider, `${r.type} ${r.name}`).to.equal(providerRef);
        });

        it("registers every generated credential, the CA and a server certificate per public host", () => {
            const passwords = rendered.resources
                .filter((r) => r.type === "random:index/randomPassword:RandomPassword")
                .map((r) => r.name);
            for (const id of [
                "jwtSecret",
                "apiKey",
                "redisPassword",
                "grafanaAdminPassword",
                "postgresSuperuserPassword",
                "db-app",
                "db-jobs",
            ]) {
                expect(passwords).to.include(`secrets-${id}`);
            }
            expect(
                rendered.resources.some(
                    (r) => r.type === "random:index/randomBytes:RandomBytes" && r.name === "secrets-encryptionKey",
                ),
            ).to.equal(true);
            // Other components own CAs of their own (e.g. the edge control plane); this is the stack's public CA.
            const secretsComponent = rendered.resources.find((r) => r.type === GeneratedSecrets.TYPE)!;
            const owned = descendantsOf(rendered.resources, secretsComponent.urn);
            const ca = owned.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert");
            expect(ca).to.have.length(1);
            expect(ca[0].inputs.isCaCertificate).to.equal(true);
            const hosts = (rendered.outputs.publicUrls.value as string[]).map((u) => u.replace("https://", ""));
            const certs = owned.filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert");
            expect(certs).to.have.length(hosts.length);
            const requests = owned
                .filter((r) => r.type === "tls:index/certRequest:CertRequest")
                .map((r) => r.inputs.dnsNames[0]);
            expect(requests.sort()).to.deep.equal([...hosts].sort());
        });

        it("no generated secret appears in a plain stack output", () => {
            for (const [name, output] of Object.entries(rendered.outputs)) {
                if (output.secret) continue;
                const text = JSON.stringify(output.value);
                for (const secret of rendered.generatedSecrets)
                    expect(text.includes(secret), `output ${name} leaks a generated secret`).to.equal(false);
            }
        });

        it("no generated secret appears in a ConfigMap or any other non-Secret object", () => {
            expect(rendered.generatedSecrets.length).to.be.greaterThan(5);
            for (const r of rendered.resources) {
                if (SECRET_HOLDERS.has(r.type)) continue;
                const text = JSON.stringify(r.inputs);
                for (const secret of rendered.generatedSecrets) {
                    expect(text.includes(secret), `${r.type} ${r.name} contains a generated secret`).to.equal(false);
                }
            }
        });

        it("Prometheus reaches every pod each ServiceMonitor/PodMonitor selects, on the monitored port (rendered NetworkPolicies)", () => {
            const cfg = parseConfig(readStackConfig(stack));
            if (!cfg.monitoring.enabled) return;
            const objects = kubeObjects(rendered.resources);
            const policies = objects.filter((o) => o.kind === "NetworkPolicy");
            const monitoringNs = objects.find(
                (o) => o.kind === "Namespace" && o.metadata.name === cfg.namespaces.monitoring,
            );
            const prometheus: Endpoint = {
                id: "prometheus",
                namespace: cfg.namespaces.monitoring,
                namespaceLabels: monitoringNs?.metadata.labels,
                podLabels: prometheusPods(cfg).podLabels,
                ports: [],
            };
            const { targets, problems, skipped } = scrapeTargets(rendered.resources, objects, scrapeOutOfScope);
            expect(
                problems.map((p) => `${p.monitor}: ${p.problem}`),
                "every endpoint resolves to pods with that port",
            ).to.deep.equal([]);
            expect(skipped.map((x) => x.monitor)).to.have.length(cfg.mesh.enabled ? 1 : 0);
            expect(new Set(targets.map((t) => t.monitor)).size).to.be.greaterThan(4);
            const blocked = targets
                .filter((t) => !isAllowed(policies, prometheus, t.pod, t.port))
                .map((t) => `${t.monitor}: ${connectionKey("prometheus", t.pod.id, t.port)}`);
            expect(blocked).to.deep.equal([]);
        });

        it("exports the public URLs and the CA certificate in the clear, and nothing secret-looking", () => {
            expect(rendered.outputs.caCertificatePem.secret).to.equal(false);
            expect(rendered.outputs.caCertificatePem.value).to.match(/^-----BEGIN CERTIFICATE-----/);
            expect(rendered.outputs.publicUrls.value).to.be.an("array").with.length.greaterThan(0);
        });
    });
}
