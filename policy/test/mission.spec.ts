/** The mission's two mandatory policies, over every workload kind and every container list. */
import { expect } from "chai";
import { containersHaveResourceLimits, checkContainerResources } from "../policies/containers-have-resource-limits";
import { podsRunAsNonRoot } from "../policies/pods-run-as-non-root";
import { runResourcePolicy, runResourcePolicyDetailed, UNKNOWN_STRING } from "./engine";
import {
    alertmanager,
    clone,
    cnpgCluster,
    cnpgPooler,
    CONTAINER_LISTS,
    LIST_LABEL,
    nginxProxy,
    podSpecIn,
    podSpecWithAllLists,
    prometheus,
    TYPES,
    workload,
    WORKLOAD_KINDS,
} from "./fixtures";

const NAMES = { containers: "app", initContainers: "init", ephemeralContainers: "debug" } as const;

describe("mission policies", () => {
    for (const kind of WORKLOAD_KINDS) {
        describe(kind, () => {
            const type = TYPES[kind];
            const compliant = () => workload(kind, podSpecWithAllLists());

            it("passes a compliant workload with containers, initContainers and ephemeralContainers", () => {
                expect(runResourcePolicy(podsRunAsNonRoot, type, compliant())).to.deep.equal([]);
                expect(runResourcePolicy(containersHaveResourceLimits, type, compliant())).to.deep.equal([]);
            });

            it("reports pod-level runAsUser: 0", () => {
                const props = compliant();
                podSpecIn(kind, props).securityContext.runAsUser = 0;
                expect(runResourcePolicy(podsRunAsNonRoot, type, props)).to.deep.equal([
                    "pod: securityContext.runAsUser is 0 (root)",
                ]);
            });

            it("accepts pod-level runAsNonRoot when containers do not set it", () => {
                const props = compliant();
                const spec = podSpecIn(kind, props);
                for (const list of CONTAINER_LISTS) delete spec[list][0].securityContext.runAsNonRoot;
                expect(runResourcePolicy(podsRunAsNonRoot, type, props)).to.deep.equal([]);
            });

            it("reports every container when runAsNonRoot is set nowhere", () => {
                const props = compliant();
                const spec = podSpecIn(kind, props);
                delete spec.securityContext.runAsNonRoot;
                for (const list of CONTAINER_LISTS) delete spec[list][0].securityContext.runAsNonRoot;
                expect(runResourcePolicy(podsRunAsNonRoot, type, props)).to.deep.equal([
                    'initContainer "init": runAsNonRoot is not true (set securityContext.runAsNonRoot: true on the pod or the container)',
                    'container "app": runAsNonRoot is not true (set securityContext.runAsNonRoot: true on the pod or the container)',
                    'ephemeralContainer "debug": runAsNonRoot is not true (set securityContext.runAsNonRoot: true on the pod or the container)',
                ]);
            });

            for (const list of CONTAINER_LISTS) {
                const label = `${LIST_LABEL[list]} "${NAMES[list]}"`;

                it(`reports runAsUser: 0 on ${list}`, () => {
                    const props = compliant();
                    podSpecIn(kind, props)[list][0].securityContext.runAsUser = 0;
                    expect(runResourcePolicy(podsRunAsNonRoot, type, props)).to.deep.equal([
                        `${label}: securityContext.runAsUser is 0 (root)`,
                    ]);
                });

                it(`reports runAsNonRoot: false on ${list} even though the pod says true`, () => {
                    const props = compliant();
                    podSpecIn(kind, props)[list][0].securityContext.runAsNonRoot = false;
                    expect(runResourcePolicy(podsRunAsNonRoot, type, props)).to.deep.equal([
                        `${label}: securityContext.runAsNonRoot is false`,
                    ]);
                });

                it(`reports runAsNonRoot missing on ${list} when the pod does not set it`, () => {
                    const props = compliant();
                    const spec = podSpecIn(kind, props);
                    delete spec.securityContext.runAsNonRoot;
                    delete spec[list][0].securityContext.runAsNonRoot;
                    expect(runResourcePolicy(podsRunAsNonRoot, type, props)).to.deep.equal([
                        `${label}: runAsNonRoot is not true (set securityContext.runAsNonRoot: true on the pod or the container)`,
                    ]);
                });

                for (const section of ["requests", "limits"] as const) {
                    for (const resource of ["cpu", "memory"] as const) {
                        it(`reports a missing ${section}.${resource} on ${list}`, () => {
                            const props = compliant();
                            delete podSpecIn(kind, props)[list][0].resources[section][resource];
                            expect(runResourcePolicy(containersHaveResourceLimits, type, props)).to.deep.equal([
                                `${label}: missing resources.${section}.${resource}`,
                            ]);
                        });
                    }
                }

                it(`reports requests above limits on ${list}`, () => {
                    const props = compliant();
                    podSpecIn(kind, props)[list][0].resources.requests.memory = "513Mi";
                    expect(runResourcePolicy(containersHaveResourceLimits, type, props)).to.deep.equal([
                        `${label}: resources.requests.memory "513Mi" exceeds resources.limits.memory "512Mi"`,
                    ]);
                });

                it(`reports a container with no resources at all on ${list}`, () => {
                    const props = compliant();
                    delete podSpecIn(kind, props)[list][0].resources;
                    expect(runResourcePolicy(containersHaveResourceLimits, type, props)).to.have.length(4);
                });
            }

            it("does not crash on missing or unknown parts", () => {
                for (const props of [
                    undefined,
                    {},
                    { spec: undefined },
                    { spec: {} },
                    { metadata: {}, spec: { template: {} } },
                    { spec: { jobTemplate: { spec: {} } } },
                    { spec: UNKNOWN_STRING },
                ]) {
                    expect(() => runResourcePolicy(podsRunAsNonRoot, type, props)).not.to.throw();
                    expect(() => runResourcePolicy(containersHaveResourceLimits, type, props)).not.to.throw();
                }
            });
        });
    }

    describe("unknown values during preview", () => {
        it("skips a runAsNonRoot that is not known yet, without the engine's UnknownValueError", () => {
            const props = workload("Deployment", podSpecWithAllLists());
            const spec = podSpecIn("Deployment", props);
            spec.securityContext.runAsNonRoot = UNKNOWN_STRING;
            for (const list of CONTAINER_LISTS) delete spec[list][0].securityContext.runAsNonRoot;
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.Deployment, props)).to.deep.equal([]);
        });

        it("skips unknown resources and unknown quantities but still reports the known gaps", () => {
            const props = workload("Deployment", podSpecWithAllLists());
            const spec = podSpecIn("Deployment", props);
            spec.containers[0].resources = UNKNOWN_STRING;
            spec.initContainers[0].resources.limits.cpu = UNKNOWN_STRING;
            delete spec.ephemeralContainers[0].resources.limits.memory;
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.Deployment, props)).to.deep.equal([
                'ephemeralContainer "debug": missing resources.limits.memory',
            ]);
        });

        it("skips a container list that is not known yet", () => {
            const props = workload("StatefulSet");
            podSpecIn("StatefulSet", props).containers = UNKNOWN_STRING;
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.StatefulSet, props)).to.deep.equal([]);
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.StatefulSet, props)).to.deep.equal([]);
        });
    });

    describe("quantities", () => {
        const c = (requests: any, limits: any) => ({
            list: "containers" as const,
            name: "app",
            label: 'container "app"',
            spec: { resources: { requests, limits } },
        });
        const equalPairs: [unknown, unknown][] = [
            ["1Gi", "1073741824"],
            ["0.5", "500m"],
            ["1e3", "1k"],
            ["1E3", "1000"],
            ["1024Ki", "1Mi"],
            [1, "1000m"],
            ["100m", "0.1"],
        ];
        for (const [a, b] of equalPairs) {
            it(`treats ${JSON.stringify(a)} and ${JSON.stringify(b)} as equal`, () => {
                expect(checkContainerResources(c({ cpu: a, memory: a }, { cpu: b, memory: b }))).to.deep.equal([]);
                expect(checkContainerResources(c({ cpu: b, memory: b }, { cpu: a, memory: a }))).to.deep.equal([]);
            });
        }

        it("compares across units exactly", () => {
            expect(
                checkContainerResources(c({ cpu: "2", memory: "1G" }, { cpu: "1500m", memory: "1Gi" })),
            ).to.deep.equal(['container "app": resources.requests.cpu "2" exceeds resources.limits.cpu "1500m"']);
            expect(
                checkContainerResources(c({ cpu: "1001m", memory: "1025Mi" }, { cpu: "1", memory: "1Gi" })),
            ).to.deep.equal([
                'container "app": resources.requests.cpu "1001m" exceeds resources.limits.cpu "1"',
                'container "app": resources.requests.memory "1025Mi" exceeds resources.limits.memory "1Gi"',
            ]);
        });

        it("reports malformed quantities", () => {
            expect(
                checkContainerResources(c({ cpu: "100m", memory: "128MB" }, { cpu: "half", memory: "1Gi" })),
            ).to.deep.equal([
                'container "app": resources.limits.cpu "half" is not a valid Kubernetes quantity',
                'container "app": resources.requests.memory "128MB" is not a valid Kubernetes quantity',
            ]);
        });
    });

    describe("custom resources", () => {
        it("CloudNativePG Cluster: spec.resources and the operator's non-root defaults", () => {
            const props = cnpgCluster();
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.CnpgCluster, props)).to.deep.equal([]);
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.CnpgCluster, props)).to.deep.equal([]);
            const noLimits = clone(props);
            delete noLimits.spec.resources.limits;
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.CnpgCluster, noLimits)).to.deep.equal([
                'container "postgres": missing resources.limits.cpu',
                'container "postgres": missing resources.limits.memory',
            ]);
            const rootUid = clone(props);
            rootUid.spec.postgresUID = 0;
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.CnpgCluster, rootUid)).to.deep.equal([
                "pod: securityContext.runAsUser is 0 (root)",
            ]);
            const override = clone(props);
            override.spec.podSecurityContext = { runAsUser: 26 };
            override.spec.securityContext = { allowPrivilegeEscalation: false };
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.CnpgCluster, override)).to.deep.equal([
                'container "postgres": runAsNonRoot is not true (set securityContext.runAsNonRoot: true on the pod or the container)',
            ]);
        });

        it("CloudNativePG Pooler: the pgbouncer container of spec.template", () => {
            const props = cnpgPooler();
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.CnpgPooler, props)).to.deep.equal([]);
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.CnpgPooler, props)).to.deep.equal([]);
            const bare = clone(props);
            delete bare.spec.template;
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.CnpgPooler, bare)).to.have.members([
                'container "pgbouncer": missing resources.requests.cpu',
                'container "pgbouncer": missing resources.limits.cpu',
                'container "pgbouncer": missing resources.requests.memory',
                'container "pgbouncer": missing resources.limits.memory',
            ]);
        });

        it("NGINX Gateway Fabric NginxProxy: the data plane's container.resources; NGF's own non-root contexts", () => {
            const props = nginxProxy();
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.NginxProxy, props)).to.deep.equal([]);
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.NginxProxy, props)).to.deep.equal([]);
            const noCpuLimit = clone(props);
            delete noCpuLimit.spec.kubernetes.deployment.container.resources.limits.cpu;
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.NginxProxy, noCpuLimit)).to.deep.equal([
                'container "nginx": missing resources.limits.cpu',
            ]);
            const tooMuch = clone(props);
            tooMuch.spec.kubernetes.deployment.container.resources.requests.memory = "1Gi";
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.NginxProxy, tooMuch)).to.deep.equal([
                'container "nginx": resources.requests.memory "1Gi" exceeds resources.limits.memory "256Mi"',
            ]);
            const daemonSet = clone(props);
            daemonSet.spec.kubernetes = { daemonSet: { container: {} } };
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.NginxProxy, daemonSet)).to.deep.equal([
                'container "nginx": missing resources.requests.cpu',
                'container "nginx": missing resources.limits.cpu',
                'container "nginx": missing resources.requests.memory',
                'container "nginx": missing resources.limits.memory',
            ]);
            // No securityContext field in the CRD: NGF runs the data plane as uid 101 with runAsNonRoot, whatever is set.
            expect(runResourcePolicy(podsRunAsNonRoot, TYPES.NginxProxy, daemonSet)).to.deep.equal([]);
            // Without a deployment or daemonSet section the object shapes no pod (its settings merge with the class's).
            const bare = clone(props);
            bare.spec = { logging: { errorLevel: "info" } };
            expect(
                runResourcePolicyDetailed(containersHaveResourceLimits, TYPES.NginxProxy, bare).notApplicable,
            ).to.be.a("string");
            const unknown = clone(props);
            unknown.spec.kubernetes.deployment.container.resources = UNKNOWN_STRING;
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.NginxProxy, unknown)).to.deep.equal([]);
            unknown.spec.kubernetes = UNKNOWN_STRING;
            expect(runResourcePolicy(containersHaveResourceLimits, TYPES.NginxProxy, unknown)).to.deep.equal([]);
        });

        for (const [kind, build, main] of [
            ["Prometheus", prometheus, "prometheus"],
            ["Alertmanager", alertmanager, "alertmanager"],
        ] as const) {
            it(`${kind}: spec.resources, spec.securityContext, spec.containers and spec.initContainers`, () => {
                const type = TYPES[kind];
                const props = build();
                expect(runResourcePolicy(podsRunAsNonRoot, type, props)).to.deep.equal([]);
                expect(runResourcePolicy(containersHaveResourceLimits, type, props)).to.deep.equal([]);
                const noSc = clone(props);
                delete noSc.spec.securityContext;
                expect(runResourcePolicy(podsRunAsNonRoot, type, noSc)).to.deep.equal([
                    `container "${main}": runAsNonRoot is not true (set securityContext.runAsNonRoot: true on the pod or the container)`,
                ]);
                const extra = clone(props);
                extra.spec.containers = [
                    {
                        name: "oauth-proxy",
                        image: "quay.io/oauth2-proxy/oauth2-proxy:v7.6.0",
                        securityContext: { runAsUser: 0 },
                    },
                ];
                extra.spec.initContainers = [
                    {
                        name: "wait",
                        image: "busybox:1.36",
                        resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "10m", memory: "16Mi" } },
                    },
                ];
                expect(runResourcePolicy(podsRunAsNonRoot, type, extra)).to.deep.equal([
                    'container "oauth-proxy": securityContext.runAsUser is 0 (root)',
                ]);
                expect(runResourcePolicy(containersHaveResourceLimits, type, extra)).to.have.length(4);
            });
        }
    });

    it("does not apply to objects without pods", () => {
        expect(
            runResourcePolicyDetailed(podsRunAsNonRoot, TYPES.Service, { spec: { selector: {} } }).notApplicable,
        ).to.be.a("string");
        expect(runResourcePolicyDetailed(containersHaveResourceLimits, TYPES.HelmChart, {}).notApplicable).to.be.a(
            "string",
        );
    });
});
