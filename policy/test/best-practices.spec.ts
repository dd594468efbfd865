/** Per-resource best-practice policies: compliant passes, one field changed gives exactly the expected message. */
import { expect } from "chai";
import { imagesPinned, parseImageReference } from "../policies/images-pinned";
import { istioDestinationRuleMutualTls } from "../policies/istio-destination-rule-mutual-tls";
import { istioPeerAuthenticationStrict } from "../policies/istio-peer-authentication-strict";
import { cronjobConcurrencyAndDeadlines } from "../policies/cronjob-concurrency-and-deadlines";
import { namespacesPodSecurityLabels } from "../policies/namespaces-pod-security-labels";
import { noNodePortOrLoadBalancer } from "../policies/no-node-port-or-load-balancer";
import { noServiceAccountTokenAutomount } from "../policies/no-service-account-token-automount";
import { probesConfigured } from "../policies/probes-configured";
import { readOnlyRootFilesystem } from "../policies/read-only-root-filesystem";
import { recommendedLabels } from "../policies/recommended-labels";
import { runResourcePolicy, runResourcePolicyDetailed } from "./engine";
import {
    clone,
    cnpgCluster,
    labels,
    podSpecIn,
    podSpecWithAllLists,
    prometheus,
    TYPES,
    workload,
    WORKLOAD_KINDS,
} from "./fixtures";

describe("best practices", () => {
    describe("images-pinned", () => {
        it("is advisory by default", () => expect(imagesPinned.enforcementLevel).to.equal("advisory"));

        it("parses image references", () => {
            expect(parseImageReference("nginx")).to.deep.equal({});
            expect(parseImageReference("localhost:5000/app")).to.deep.equal({});
            expect(parseImageReference("localhost:5000/app:1.2")).to.deep.equal({ tag: "1.2" });
            expect(parseImageReference("ghcr.io/a/b:1@sha256:abc")).to.deep.equal({ tag: "1", digest: "sha256:abc" });
        });

        for (const kind of WORKLOAD_KINDS) {
            it(`passes a pinned ${kind}`, () =>
                expect(
                    runResourcePolicy(imagesPinned, TYPES[kind], workload(kind, podSpecWithAllLists())),
                ).to.deep.equal([]));
        }

        it("reports latest, missing tags, and (if configured) missing digests", () => {
            const props = workload("Deployment", podSpecWithAllLists());
            const spec = podSpecIn("Deployment", props);
            spec.containers[0].image = "nginx:latest";
            spec.initContainers[0].image = "registry.local:5000/tools";
            expect(runResourcePolicy(imagesPinned, TYPES.Deployment, props)).to.deep.equal([
                'initContainer "init": image "registry.local:5000/tools" has no tag (it means "latest"); pin a version or a digest',
                'container "app": image "nginx:latest" uses the mutable tag "latest"; pin a version or a digest',
            ]);
            const pinned = workload("Deployment");
            expect(runResourcePolicy(imagesPinned, TYPES.Deployment, pinned, { requireDigest: true })).to.deep.equal([
                'container "app": image "ghcr.io/stackwright/backend:1.4.2" is not pinned by digest',
            ]);
            podSpecIn("Deployment", pinned).containers[0].image = "nginx:latest@sha256:0123";
            expect(runResourcePolicy(imagesPinned, TYPES.Deployment, pinned, { requireDigest: true })).to.deep.equal(
                [],
            );
        });

        it("judges CR images and accepts the operator default", () => {
            expect(runResourcePolicy(imagesPinned, TYPES.CnpgCluster, cnpgCluster())).to.deep.equal([]);
            const c = cnpgCluster();
            c.spec.imageName = "ghcr.io/cloudnative-pg/postgresql:latest";
            expect(runResourcePolicy(imagesPinned, TYPES.CnpgCluster, c)).to.deep.equal([
                'container "postgres": image "ghcr.io/cloudnative-pg/postgresql:latest" uses the mutable tag "latest"; pin a version or a digest',
            ]);
            const p = prometheus();
            expect(runResourcePolicy(imagesPinned, TYPES.Prometheus, p)).to.deep.equal([]);
        });
    });

    describe("probes-configured", () => {
        for (const kind of ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] as const) {
            it(`reports a missing probe on a ${kind} container (not on init or ephemeral containers)`, () => {
                const props = workload(kind, podSpecWithAllLists());
                expect(runResourcePolicy(probesConfigured, TYPES[kind], props)).to.deep.equal([]);
                delete podSpecIn(kind, props).containers[0].readinessProbe;
                expect(runResourcePolicy(probesConfigured, TYPES[kind], props)).to.deep.equal([
                    'container "app": no readinessProbe',
                ]);
                delete podSpecIn(kind, props).containers[0].livenessProbe;
                expect(
                    runResourcePolicy(probesConfigured, TYPES[kind], props, { requireReadiness: false }),
                ).to.deep.equal(['container "app": no livenessProbe']);
            });
        }

        it("does not apply to Jobs, CronJobs, completing Pods or operator-managed pods", () => {
            for (const kind of ["Job", "CronJob"] as const) {
                const props = workload(kind);
                delete podSpecIn(kind, props).containers[0].livenessProbe;
                expect(runResourcePolicyDetailed(probesConfigured, TYPES[kind], props).notApplicable).to.be.a("string");
            }
            const pod = workload("Pod");
            pod.spec.restartPolicy = "Never";
            delete pod.spec.containers[0].livenessProbe;
            expect(runResourcePolicyDetailed(probesConfigured, TYPES.Pod, pod).notApplicable).to.be.a("string");
            expect(runResourcePolicyDetailed(probesConfigured, TYPES.CnpgCluster, cnpgCluster()).notApplicable).to.be.a(
                "string",
            );
        });
    });

    describe("read-only-root-filesystem", () => {
        for (const kind of WORKLOAD_KINDS) {
            it(`${kind}: passes, then reports a writable root on one container`, () => {
                const props = workload(kind, podSpecWithAllLists());
                expect(runResourcePolicy(readOnlyRootFilesystem, TYPES[kind], props)).to.deep.equal([]);
                podSpecIn(kind, props).ephemeralContainers[0].securityContext.readOnlyRootFilesystem = false;
                expect(runResourcePolicy(readOnlyRootFilesystem, TYPES[kind], props)).to.deep.equal([
                    'ephemeralContainer "debug": securityContext.readOnlyRootFilesystem is not true',
                ]);
            });
        }

        it("uses the operators' defaults for custom resources", () => {
            expect(runResourcePolicy(readOnlyRootFilesystem, TYPES.CnpgCluster, cnpgCluster())).to.deep.equal([]);
            expect(runResourcePolicy(readOnlyRootFilesystem, TYPES.Prometheus, prometheus())).to.deep.equal([]);
        });
    });

    describe("no-service-account-token-automount", () => {
        it("passes pods that opt out, reports those that do not", () => {
            const props = workload("Deployment");
            expect(runResourcePolicy(noServiceAccountTokenAutomount, TYPES.Deployment, props)).to.deep.equal([]);
            delete podSpecIn("Deployment", props).automountServiceAccountToken;
            expect(runResourcePolicy(noServiceAccountTokenAutomount, TYPES.Deployment, props)).to.deep.equal([
                "pod: automountServiceAccountToken is not set to false",
            ]);
            podSpecIn("Deployment", props).automountServiceAccountToken = true;
            expect(runResourcePolicy(noServiceAccountTokenAutomount, TYPES.Deployment, props)).to.deep.equal([
                'pod: automountServiceAccountToken is true but service account "backend" is not in allowedServiceAccounts',
            ]);
            expect(
                runResourcePolicy(noServiceAccountTokenAutomount, TYPES.Deployment, props, {
                    allowedServiceAccounts: ["apps/backend"],
                }),
            ).to.deep.equal([]);
            expect(
                runResourcePolicy(noServiceAccountTokenAutomount, TYPES.Deployment, props, {
                    allowedServiceAccounts: ["other/backend"],
                }),
            ).to.have.length(1);
        });

        it("judges ServiceAccounts too", () => {
            const sa = { metadata: { name: "backend", namespace: "apps" }, automountServiceAccountToken: false };
            expect(runResourcePolicy(noServiceAccountTokenAutomount, TYPES.ServiceAccount, sa)).to.deep.equal([]);
            const open = { metadata: { name: "backend", namespace: "apps" } };
            expect(runResourcePolicy(noServiceAccountTokenAutomount, TYPES.ServiceAccount, open)).to.deep.equal([
                "automountServiceAccountToken is not false (list the account in allowedServiceAccounts if its pods call the Kubernetes API)",
            ]);
            expect(
                runResourcePolicy(noServiceAccountTokenAutomount, TYPES.ServiceAccount, open, {
                    allowedServiceAccounts: ["backend"],
                }),
            ).to.deep.equal([]);
        });

        it("leaves operator-managed pods alone (they need the API)", () => {
            expect(
                runResourcePolicyDetailed(noServiceAccountTokenAutomount, TYPES.CnpgCluster, cnpgCluster())
                    .notApplicable,
            ).to.be.a("string");
        });
    });

    describe("no-node-port-or-load-balancer", () => {
        const service = (type: string, namespace: string) => ({
            metadata: { name: "web", namespace },
            spec: { type, selector: { app: "web" }, ports: [{ port: 80 }] },
        });
        it("allows ClusterIP anywhere and LoadBalancer at the edge", () => {
            expect(
                runResourcePolicy(noNodePortOrLoadBalancer, TYPES.Service, service("ClusterIP", "apps")),
            ).to.deep.equal([]);
            expect(
                runResourcePolicy(noNodePortOrLoadBalancer, TYPES.Service, service("LoadBalancer", "edge")),
            ).to.deep.equal([]);
        });
        it("reports NodePort and LoadBalancer elsewhere; config widens the allowlist", () => {
            expect(
                runResourcePolicy(noNodePortOrLoadBalancer, TYPES.Service, service("NodePort", "apps")),
            ).to.deep.equal(["type NodePort is only allowed in namespaces [edge] or for allowedServices"]);
            expect(
                runResourcePolicy(noNodePortOrLoadBalancer, TYPES.Service, service("LoadBalancer", "apps"), {
                    allowedServices: ["apps/web"],
                }),
            ).to.deep.equal([]);
            expect(
                runResourcePolicy(noNodePortOrLoadBalancer, TYPES.Service, service("LoadBalancer", "ingress"), {
                    allowedNamespaces: ["ingress"],
                }),
            ).to.deep.equal([]);
        });
    });

    describe("namespaces-pod-security-labels", () => {
        const ns = (level: string) => ({
            metadata: {
                name: "apps",
                labels: {
                    "pod-security.kubernetes.io/enforce": level,
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        });
        it("passes restricted namespaces", () =>
            expect(runResourcePolicy(namespacesPodSecurityLabels, TYPES.Namespace, ns("restricted"))).to.deep.equal(
                [],
            ));
        it("reports a looser level and missing labels", () => {
            expect(runResourcePolicy(namespacesPodSecurityLabels, TYPES.Namespace, ns("privileged"))).to.deep.equal([
                'label pod-security.kubernetes.io/enforce is "privileged", below "restricted"',
            ]);
            expect(
                runResourcePolicy(namespacesPodSecurityLabels, TYPES.Namespace, ns("baseline"), {
                    minimumLevel: "baseline",
                }),
            ).to.deep.equal([]);
            const bare = ns("restricted");
            delete (bare.metadata.labels as any)["pod-security.kubernetes.io/warn"];
            expect(runResourcePolicy(namespacesPodSecurityLabels, TYPES.Namespace, bare)).to.deep.equal([
                "missing label pod-security.kubernetes.io/warn",
            ]);
            expect(
                runResourcePolicy(namespacesPodSecurityLabels, TYPES.Namespace, bare, { modes: ["enforce"] }),
            ).to.deep.equal([]);
        });
        it("accepts a reasoned exemption annotation (node-exporter's namespace)", () => {
            const monitoring = ns("privileged");
            (monitoring.metadata as any).annotations = {
                "policy.stackwright.io/exempt-namespaces-pod-security-labels": "node-exporter needs host namespaces",
            };
            expect(runResourcePolicy(namespacesPodSecurityLabels, TYPES.Namespace, monitoring)).to.deep.equal([]);
        });
    });

    describe("istio-peer-authentication-strict", () => {
        const pa = (spec: any) => ({ metadata: { name: "default", namespace: "istio-system" }, spec });
        it("passes STRICT", () =>
            expect(
                runResourcePolicy(
                    istioPeerAuthenticationStrict,
                    TYPES.PeerAuthentication,
                    pa({ mtls: { mode: "STRICT" } }),
                ),
            ).to.deep.equal([]));
        it("reports PERMISSIVE, a missing mesh-wide mode and per-port DISABLE", () => {
            expect(
                runResourcePolicy(
                    istioPeerAuthenticationStrict,
                    TYPES.PeerAuthentication,
                    pa({ mtls: { mode: "PERMISSIVE" } }),
                ),
            ).to.deep.equal(['spec.mtls.mode is "PERMISSIVE" (must be STRICT)']);
            expect(runResourcePolicy(istioPeerAuthenticationStrict, TYPES.PeerAuthentication, pa({}))).to.deep.equal([
                "spec.mtls.mode is not set (must be STRICT)",
            ]);
            expect(
                runResourcePolicy(
                    istioPeerAuthenticationStrict,
                    TYPES.PeerAuthentication,
                    pa({ selector: { matchLabels: { app: "x" } }, portLevelMtls: { 9090: { mode: "DISABLE" } } }),
                ),
            ).to.deep.equal(['spec.portLevelMtls[9090].mode is "DISABLE" (must be STRICT)']);
        });
    });

    describe("istio-destination-rule-mutual-tls", () => {
        const dr = (trafficPolicy: any, host = "backend.apps.svc.cluster.local") => ({
            metadata: { name: "backend", namespace: "apps" },
            spec: { host, trafficPolicy },
        });
        it("passes ISTIO_MUTUAL and rules without tls", () => {
            expect(
                runResourcePolicy(
                    istioDestinationRuleMutualTls,
                    TYPES.DestinationRule,
                    dr({ tls: { mode: "ISTIO_MUTUAL" } }),
                ),
            ).to.deep.equal([]);
            expect(
                runResourcePolicy(
                    istioDestinationRuleMutualTls,
                    TYPES.DestinationRule,
                    dr({ connectionPool: { tcp: { maxConnections: 100 } } }),
                ),
            ).to.deep.equal([]);
        });
        it("reports DISABLE, a modeless tls block and a subset's SIMPLE", () => {
            expect(
                runResourcePolicy(
                    istioDestinationRuleMutualTls,
                    TYPES.DestinationRule,
                    dr({ tls: { mode: "DISABLE" } }),
                ),
            ).to.deep.equal(['spec.trafficPolicy.tls.mode is "DISABLE"; it must be ISTIO_MUTUAL or the block omitted']);
            expect(
                runResourcePolicy(
                    istioDestinationRuleMutualTls,
                    TYPES.DestinationRule,
                    dr({ portLevelSettings: [{ port: { number: 80 }, tls: {} }] }),
                ),
            ).to.deep.equal([
                "spec.trafficPolicy.portLevelSettings[0].tls.mode is unset (DISABLE); it must be ISTIO_MUTUAL or the block omitted",
            ]);
            const withSubset = dr(undefined);
            (withSubset.spec as any).subsets = [{ name: "v2", trafficPolicy: { tls: { mode: "SIMPLE" } } }];
            expect(runResourcePolicy(istioDestinationRuleMutualTls, TYPES.DestinationRule, withSubset)).to.deep.equal([
                'spec.subsets[0].trafficPolicy.tls.mode is "SIMPLE"; it must be ISTIO_MUTUAL or the block omitted',
            ]);
        });
        it("allows TLS origination to configured external hosts, never DISABLE", () => {
            const external = dr({ tls: { mode: "SIMPLE" } }, "api.stripe.com");
            expect(
                runResourcePolicy(istioDestinationRuleMutualTls, TYPES.DestinationRule, external, {
                    externalHosts: ["api.stripe.com"],
                }),
            ).to.deep.equal([]);
            const disabled = dr({ tls: { mode: "DISABLE" } }, "api.stripe.com");
            expect(
                runResourcePolicy(istioDestinationRuleMutualTls, TYPES.DestinationRule, disabled, {
                    externalHosts: ["api.stripe.com"],
                }),
            ).to.have.length(1);
        });
    });

    describe("recommended-labels", () => {
        it("passes labelled workloads and reports the missing ones", () => {
            const props = workload("Deployment");
            expect(runResourcePolicy(recommendedLabels, TYPES.Deployment, props)).to.deep.equal([]);
            delete props.metadata.labels["app.kubernetes.io/part-of"];
            delete props.metadata.labels["app.kubernetes.io/component"];
            expect(runResourcePolicy(recommendedLabels, TYPES.Deployment, props)).to.deep.equal([
                "missing recommended labels: app.kubernetes.io/component, app.kubernetes.io/part-of",
            ]);
            expect(
                runResourcePolicy(recommendedLabels, TYPES.Deployment, props, { labels: ["app.kubernetes.io/name"] }),
            ).to.deep.equal([]);
        });
        it("judges only the configured kinds", () => {
            expect(runResourcePolicy(recommendedLabels, TYPES.ConfigMap, { metadata: { name: "x" } })).to.deep.equal(
                [],
            );
            expect(
                runResourcePolicy(
                    recommendedLabels,
                    TYPES.ConfigMap,
                    { metadata: { name: "x" } },
                    { kinds: ["ConfigMap"] },
                ),
            ).to.have.length(1);
            expect(
                runResourcePolicy(recommendedLabels, TYPES.Service, { metadata: { labels: labels("web") } }),
            ).to.deep.equal([]);
        });
    });

    describe("cronjob-concurrency-and-deadlines", () => {
        it("passes a bounded CronJob", () =>
            expect(runResourcePolicy(cronjobConcurrencyAndDeadlines, TYPES.CronJob, workload("CronJob"))).to.deep.equal(
                [],
            ));
        it("reports each missing or wrong field", () => {
            const base = workload("CronJob");
            const cases: [(p: any) => void, string][] = [
                [
                    (p) => {
                        delete p.spec.concurrencyPolicy;
                    },
                    "spec.concurrencyPolicy is not set (use Forbid or Replace)",
                ],
                [
                    (p) => {
                        p.spec.concurrencyPolicy = "Allow";
                    },
                    'spec.concurrencyPolicy "Allow" is not allowed (use Forbid or Replace)',
                ],
                [
                    (p) => {
                        delete p.spec.startingDeadlineSeconds;
                    },
                    "spec.startingDeadlineSeconds is not set",
                ],
                [
                    (p) => {
                        delete p.spec.jobTemplate.spec.activeDeadlineSeconds;
                    },
                    "spec.jobTemplate.spec.activeDeadlineSeconds is not set",
                ],
            ];
            for (const [mutate, message] of cases) {
                const props = clone(base);
                mutate(props);
                expect(runResourcePolicy(cronjobConcurrencyAndDeadlines, TYPES.CronJob, props)).to.deep.equal([
                    message,
                ]);
            }
        });
        it("does not apply to Jobs", () => {
            expect(
                runResourcePolicyDetailed(cronjobConcurrencyAndDeadlines, TYPES.Job, workload("Job")).notApplicable,
            ).to.be.a("string");
        });
    });
});
