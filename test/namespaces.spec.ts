import { expect } from "chai";
import { parseConfig } from "../config";
import { defaultDenySpec, namespaceMetadata } from "../lib/namespace-specs";
import { namespacePlan } from "../lib/plan";
import { ofKind, readStackConfig, RenderedStack, renderStack, STACKS } from "./lib/harness";
import { Namespaces } from "../components/namespaces";
import { renderUnderMocks } from "./lib/mock-component";

describe("namespaces: pure specs", () => {
    it("refuses a privileged namespace without a reason", () => {
        expect(() =>
            namespaceMetadata({ name: "x", podSecurity: "privileged", application: false, istioInjection: false }),
        ).to.throw(/needs a written reason/);
    });

    it("enforces and warns at the declared level and always audits at restricted", () => {
        const meta = namespaceMetadata({
            name: "x",
            podSecurity: "privileged",
            reason: "host agent",
            application: false,
            istioInjection: false,
        });
        expect(meta.labels["pod-security.kubernetes.io/enforce"]).to.equal("privileged");
        expect(meta.labels["pod-security.kubernetes.io/audit"]).to.equal("restricted");
        expect(meta.labels["pod-security.kubernetes.io/warn"]).to.equal("privileged");
        expect(
            namespaceMetadata({ name: "y", podSecurity: "restricted", application: true, istioInjection: false })
                .labels["pod-security.kubernetes.io/warn"],
        ).to.equal("restricted");
        expect(meta.annotations?.["stackwright.io/pod-security-reason"]).to.equal("host agent");
    });

    it("default-deny blocks ingress and egress except DNS to kube-dns", () => {
        const spec = defaultDenySpec();
        expect(spec.podSelector).to.deep.equal({});
        expect(spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);
        expect(spec).to.not.have.property("ingress");
        expect(spec.egress).to.have.length(1);
        expect(spec.egress[0].ports.map((p) => `${p.protocol}/${p.port}`)).to.deep.equal(["UDP/53", "TCP/53"]);
    });

    it("only node-exporter's and the Istio CNI's namespaces are privileged, each with a reason", () => {
        for (const stack of STACKS) {
            const plan = namespacePlan(parseConfig(readStackConfig(stack)));
            for (const ns of plan.filter((n) => n.podSecurity !== "restricted")) {
                expect(["monitoring-node", "istio-cni"], stack).to.include(ns.name);
                expect(ns.reason, ns.name).to.have.length.greaterThan(40);
            }
        }
    });
});

for (const stack of STACKS) {
    describe(`namespaces: stack ${stack}`, () => {
        let rendered: RenderedStack;
        before(async () => {
            rendered = await renderStack(stack);
        });

        it("labels every namespace for Pod Security Admission", () => {
            const namespaces = ofKind(rendered.resources, "Namespace");
            expect(namespaces.length).to.be.at.least(5);
            for (const ns of namespaces) {
                const labels = ns.inputs.metadata.labels;
                expect(labels["pod-security.kubernetes.io/enforce"], ns.name).to.be.oneOf([
                    "restricted",
                    "baseline",
                    "privileged",
                ]);
                expect(labels["pod-security.kubernetes.io/audit"], ns.name).to.equal("restricted");
                expect(labels["pod-security.kubernetes.io/warn"], ns.name).to.equal(
                    labels["pod-security.kubernetes.io/enforce"],
                );
            }
            expect(
                namespaces.find((n) => n.name === "apps")!.inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
            ).to.equal("restricted");
        });

        it("gives each application namespace a default-deny policy, a quota and a limit range sized per environment", () => {
            const defaults = { dev: "4", staging: "16", prod: "64" }[stack];
            for (const ns of ["apps", "data"]) {
                const deny = ofKind(rendered.resources, "NetworkPolicy", ns).filter(
                    (p) => p.name === `${ns}-default-deny`,
                );
                expect(deny, `${ns} default-deny`).to.have.length(1);
                expect(deny[0].inputs.spec.podSelector).to.deep.equal({});
                const quota = ofKind(rendered.resources, "ResourceQuota", ns);
                expect(quota, `${ns} quota`).to.have.length(1);
                expect(quota[0].inputs.spec.hard["requests.cpu"]).to.equal(defaults);
                const limits = ofKind(rendered.resources, "LimitRange", ns);
                expect(limits, `${ns} limit range`).to.have.length(1);
                expect(limits[0].inputs.spec.limits[0].default).to.have.keys("cpu", "memory");
            }
        });

        it("labels application namespaces for sidecar injection exactly when the mesh is on", () => {
            const meshOn = stack !== "dev";
            const apps = ofKind(rendered.resources, "Namespace").find((n) => n.name === "apps")!;
            expect(apps.inputs.metadata.labels["istio-injection"]).to.equal(meshOn ? "enabled" : undefined);
            const injected = ofKind(rendered.resources, "Namespace").filter(
                (n) => n.inputs.metadata.labels["istio-injection"],
            );
            if (!meshOn) expect(injected).to.deep.equal([]);
        });
    });
}

// ---- Tier 1: the component alone, constructed from hand-written args under the mocks (fast, focused) ---------

describe("Namespaces from hand-written args (component under mocks)", () => {
    it("labels every namespace for Pod Security; only application namespaces get default-deny, quota and limits", async () => {
        const quota = {
            requestsCpu: "1",
            requestsMemory: "1Gi",
            limitsCpu: "2",
            limitsMemory: "2Gi",
            pods: 10,
            persistentVolumeClaims: 2,
        };
        const limitRange = {
            defaultRequestCpu: "50m",
            defaultRequestMemory: "64Mi",
            defaultLimitCpu: "100m",
            defaultLimitMemory: "128Mi",
            maxCpu: "1",
            maxMemory: "1Gi",
        };
        const resources = await renderUnderMocks(() => {
            new Namespaces("ns", {
                namespaces: [
                    { name: "shop", podSecurity: "restricted", application: true, istioInjection: true },
                    {
                        name: "agents",
                        podSecurity: "privileged",
                        application: false,
                        istioInjection: false,
                        reason: "a node agent needs host access",
                    },
                ],
                quota,
                limitRange,
            });
        });
        const ofType = (t: string) => resources.filter((r) => r.type === t);
        expect(
            ofType("kubernetes:core/v1:Namespace").map(
                (r) => r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
            ),
        ).to.deep.equal(["restricted", "privileged"]);
        expect(ofType("kubernetes:core/v1:ResourceQuota").map((r) => r.inputs.metadata.namespace)).to.deep.equal([
            "shop",
        ]);
        expect(ofType("kubernetes:core/v1:ResourceQuota")[0].inputs.spec.hard).to.include({
            "requests.cpu": "1",
            pods: "10",
        });
        expect(ofType("kubernetes:core/v1:LimitRange")[0].inputs.spec.limits[0].max).to.deep.equal({
            cpu: "1",
            memory: "1Gi",
        });
        expect(
            ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.inputs.metadata.namespace),
        ).to.deep.equal(["shop"]);
    });
});
