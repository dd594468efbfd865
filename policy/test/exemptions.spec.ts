/** Exemptions: only by policy config or annotation, always with a reason. */
import { expect } from "chai";
import Ajv from "ajv";
import { EXEMPTIONS_SCHEMA } from "../policies/exemptions";
import { exemptionsNeedReasons } from "../policies/exemptions-need-reasons";
import { workloadsHaveNetworkPolicy } from "../policies/workloads-have-network-policy";
import { pssHostNamespaces } from "../policies/pss-host-namespaces";
import { podsRunAsNonRoot } from "../policies/pods-run-as-non-root";
import { runResourcePolicy, runResourcePolicyDetailed, runStackPolicy, urnOf } from "./engine";
import { podSpecIn, TYPES, workload } from "./fixtures";

/** A node-exporter-like DaemonSet as a helm v4 chart renders it. */
function nodeExporter(annotations?: Record<string, string>): any {
    const props = workload("DaemonSet", undefined, "kps-prometheus-node-exporter", "monitoring-node");
    podSpecIn("DaemonSet", props).hostNetwork = true;
    podSpecIn("DaemonSet", props).hostPID = true;
    if (annotations) props.metadata.annotations = annotations;
    return props;
}

const HOST_VIOLATIONS = ["pod: hostNetwork is true", "pod: hostPID is true"];
const CHART_CHILD = { name: "kps:monitoring-node/kps-prometheus-node-exporter" };

function run(props: any, config?: object, opts = CHART_CHILD): string[] {
    return runResourcePolicyDetailed(pssHostNamespaces, TYPES.DaemonSet, props, config, opts).messages;
}

describe("exemptions", () => {
    it("without an exemption the violation stands", () => {
        expect(run(nodeExporter())).to.deep.equal(HOST_VIOLATIONS);
    });

    describe("by policy config", () => {
        const entry = {
            kind: "DaemonSet",
            namespace: "monitoring-node",
            name: "kps-prometheus-node-exporter",
            reason: "reads host metrics",
        };

        it("exempts the named object with a reason", () => {
            expect(run(nodeExporter(), { exemptions: [entry] })).to.deep.equal([]);
        });

        it("matches wildcards against metadata.name or the Pulumi name", () => {
            expect(run(nodeExporter(), { exemptions: [{ ...entry, name: "*node-exporter" }] })).to.deep.equal([]);
            const autoNamed = nodeExporter();
            delete autoNamed.metadata.name;
            expect(run(autoNamed, { exemptions: [{ ...entry, name: "kps:monitoring-node/*" }] })).to.deep.equal([]);
        });

        it("does not exempt another kind, namespace, name or policy", () => {
            for (const other of [
                { kind: "Deployment" },
                { namespace: "monitoring" },
                { name: "grafana" },
                { policy: "pss-privileged" },
            ]) {
                expect(run(nodeExporter(), { exemptions: [{ ...entry, ...other }] })).to.deep.equal(HOST_VIOLATIONS);
            }
            expect(run(nodeExporter(), { exemptions: [{ ...entry, policy: "pss-host-namespaces" }] })).to.deep.equal(
                [],
            );
        });

        it("ignores an exemption without a reason and says so", () => {
            for (const reason of ["", "   "]) {
                expect(run(nodeExporter(), { exemptions: [{ ...entry, reason }] })).to.deep.equal(
                    HOST_VIOLATIONS.map(
                        (m) =>
                            `${m} (exemption ignored: the config exemption for DaemonSet "kps-prometheus-node-exporter" has no reason)`,
                    ),
                );
            }
        });

        it("the config schema rejects a missing or blank reason (the CLI refuses such a config)", () => {
            const validate = new Ajv().compile(EXEMPTIONS_SCHEMA);
            expect(validate([entry])).to.equal(true);
            expect(validate([{ ...entry, reason: "  " }])).to.equal(false);
            expect(validate([{ ...entry, reason: "" }])).to.equal(false);
            const noReason: Record<string, string> = { ...entry };
            delete noReason.reason;
            expect(validate([noReason])).to.equal(false);
        });
    });

    describe("by annotation", () => {
        it("exempts an object annotated with a reason for that policy only", () => {
            const props = nodeExporter({ "policy.stackwright.io/exempt-pss-host-namespaces": "reads host metrics" });
            expect(run(props)).to.deep.equal([]);
            expect(
                runResourcePolicy(
                    podsRunAsNonRoot,
                    TYPES.DaemonSet,
                    (() => {
                        const p = nodeExporter({
                            "policy.stackwright.io/exempt-pss-host-namespaces": "reads host metrics",
                        });
                        podSpecIn("DaemonSet", p).securityContext.runAsUser = 0;
                        return p;
                    })(),
                ),
            ).to.deep.equal(["pod: securityContext.runAsUser is 0 (root)"]);
        });

        it("does not honour a blank annotation, and exemptions-need-reasons reports it", () => {
            const props = nodeExporter({ "policy.stackwright.io/exempt-pss-host-namespaces": " " });
            expect(run(props)).to.deep.equal(
                HOST_VIOLATIONS.map(
                    (m) =>
                        `${m} (exemption ignored: annotation policy.stackwright.io/exempt-pss-host-namespaces has no reason)`,
                ),
            );
            expect(runResourcePolicy(exemptionsNeedReasons, TYPES.DaemonSet, props)).to.deep.equal([
                "annotation policy.stackwright.io/exempt-pss-host-namespaces has no reason: say why this object cannot comply",
            ]);
        });

        it("exemptions-need-reasons reports annotations naming no policy, and cannot itself be exempted", () => {
            const props = nodeExporter({
                "policy.stackwright.io/exempt-pss-host-namespace": "typo",
                "policy.stackwright.io/exempt-exemptions-need-reasons": "nice try",
                "policy.stackwright.io/exempt-pss-privileged": "",
            });
            expect(runResourcePolicy(exemptionsNeedReasons, TYPES.DaemonSet, props)).to.deep.equal([
                "annotation policy.stackwright.io/exempt-pss-host-namespace names no policy of this pack",
                "annotation policy.stackwright.io/exempt-exemptions-need-reasons: exemptions-need-reasons cannot be exempted",
                "annotation policy.stackwright.io/exempt-pss-privileged has no reason: say why this object cannot comply",
            ]);
        });

        it("exemptions-need-reasons passes reasoned annotations and objects without annotations", () => {
            expect(
                runResourcePolicy(
                    exemptionsNeedReasons,
                    TYPES.DaemonSet,
                    nodeExporter({ "policy.stackwright.io/exempt-pss-host-ports": "port 9100 on the host" }),
                ),
            ).to.deep.equal([]);
            expect(
                runResourcePolicyDetailed(exemptionsNeedReasons, TYPES.DaemonSet, nodeExporter()).notApplicable,
            ).to.be.a("string");
            expect(runResourcePolicy(exemptionsNeedReasons, TYPES.DaemonSet, undefined)).to.deep.equal([]);
        });

        it("applies to stack policies too, on the object the violation is about", () => {
            const backend = workload("Deployment");
            const stack = [{ type: TYPES.Deployment, name: "backend", props: backend }];
            expect(runStackPolicy(workloadsHaveNetworkPolicy, stack)).to.deep.equal([
                {
                    message: 'Deployment apps/backend: no NetworkPolicy in namespace "apps" selects its pods',
                    urn: urnOf(TYPES.Deployment, "backend"),
                },
            ]);
            backend.metadata.annotations = {
                "policy.stackwright.io/exempt-workloads-have-network-policy": "migration window, tracked in #42",
            };
            expect(runStackPolicy(workloadsHaveNetworkPolicy, stack)).to.deep.equal([]);
            expect(
                runStackPolicy(workloadsHaveNetworkPolicy, stack, {
                    exemptions: [{ kind: "Deployment", namespace: "apps", name: "backend", reason: "" }],
                }),
            ).to.deep.equal([]);
        });
    });
});
