/** Stack policies: a compliant stack passes; one change gives exactly the expected violation on the right URN. */
import { expect } from "chai";
import { hpaTargetsExist } from "../policies/hpa-targets-exist";
import { hpaTargetsOmitReplicas } from "../policies/hpa-targets-omit-replicas";
import { referencedConfigsExist } from "../policies/referenced-configs-exist";
import { customResourcesDependOnCrds } from "../policies/custom-resources-depend-on-crds";
import { pdbForReplicatedWorkloads } from "../policies/pdb-for-replicated-workloads";
import { StackwrightStackPolicy } from "../policies/framework";
import { gatewayTls } from "../policies/gateway-tls";
import { workloadsHaveNetworkPolicy } from "../policies/workloads-have-network-policy";
import { servicesSelectPods } from "../policies/services-select-pods";
import { productionRedundancy } from "../policies/production-redundancy";
import { runStackPolicy, StackResourceSpec, UNKNOWN_STRING, urnOf } from "./engine";
import { clone, cnpgCluster, nginxProxy, podSpecIn, selectorLabels, TYPES, workload } from "./fixtures";

const STACK_POLICIES: StackwrightStackPolicy[] = [
    gatewayTls,
    hpaTargetsOmitReplicas,
    hpaTargetsExist,
    pdbForReplicatedWorkloads,
    servicesSelectPods,
    workloadsHaveNetworkPolicy,
    referencedConfigsExist,
    customResourcesDependOnCrds,
];

const CHART_URN = urnOf(TYPES.HelmChart, "cnpg");
const GATEWAY_CRDS_URN = urnOf(TYPES.ConfigFile, "gateway-api-crds");

function spec(type: string, name: string, props: unknown, extra: Partial<StackResourceSpec> = {}): StackResourceSpec {
    return { type, name, props, urn: urnOf(type, name), ...extra };
}

function backend(): any {
    const props = workload("Deployment");
    delete props.spec.replicas; // the HPA owns it
    const pod = podSpecIn("Deployment", props);
    pod.containers[0].env = [
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db-app", key: "password" } } },
        { name: "JWT", valueFrom: { secretKeyRef: { name: "backend-secrets", key: "jwt" } } },
    ];
    pod.containers[0].envFrom = [{ configMapRef: { name: "backend-config" } }];
    pod.volumes.push({
        name: "ca",
        projected: { sources: [{ configMap: { name: "kube-root-ca.crt" } }, { secret: { name: "backend-tls" } }] },
    });
    return props;
}

/** A small stack that satisfies every stack policy. */
export function compliantStack(): StackResourceSpec[] {
    const gatewayDeps = { dependencies: [GATEWAY_CRDS_URN] };
    return [
        spec(TYPES.HelmChart, "cnpg", { chart: "cloudnative-pg", version: "0.26.0" }),
        spec(TYPES.ConfigFile, "gateway-api-crds", { file: "crds.yaml" }),
        spec(TYPES.Deployment, "backend", backend()),
        spec(TYPES.Service, "backend", {
            metadata: { name: "backend", namespace: "apps" },
            spec: { selector: selectorLabels("backend"), ports: [{ port: 80, targetPort: 8080 }] },
        }),
        spec(TYPES.HorizontalPodAutoscaler, "backend", {
            metadata: { name: "backend", namespace: "apps" },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "backend" },
                minReplicas: 2,
                maxReplicas: 10,
            },
        }),
        spec(TYPES.PodDisruptionBudget, "backend", {
            metadata: { name: "backend", namespace: "apps" },
            spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels("backend") } },
        }),
        spec(TYPES.NetworkPolicy, "apps-default-deny", {
            metadata: { name: "default-deny", namespace: "apps" },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        }),
        spec(TYPES.NetworkPolicy, "data-postgres", {
            metadata: { name: "postgres", namespace: "data" },
            spec: { podSelector: { matchExpressions: [{ key: "cnpg.io/cluster", operator: "In", values: ["db"] }] } },
        }),
        spec(TYPES.Secret, "backend-secrets", {
            metadata: { name: "backend-secrets", namespace: "apps" },
            stringData: { jwt: "x" },
        }),
        spec(TYPES.Secret, "backend-tls", { metadata: { namespace: "apps" } }, { name: "backend-tls" }),
        spec(TYPES.ConfigMap, "backend-config", { metadata: { name: "backend-config", namespace: "apps" }, data: {} }),
        // The app reads the CloudNativePG-generated "db-app" secret; here it lives in the app namespace.
        spec(TYPES.CnpgCluster, "db", cnpgCluster("db", "data"), { dependencies: [CHART_URN] }),
        spec(
            TYPES.CnpgCluster,
            "db-apps",
            { ...cnpgCluster("db", "apps"), spec: { ...cnpgCluster().spec, instances: 1 } },
            { dependencies: [CHART_URN] },
        ),
        spec(TYPES.NetworkPolicy, "apps-db", {
            metadata: { name: "db", namespace: "apps" },
            spec: { podSelector: { matchLabels: { "cnpg.io/cluster": "db" } } },
        }),
        spec(
            TYPES.Gateway,
            "edge",
            {
                metadata: { name: "edge", namespace: "edge" },
                spec: {
                    gatewayClassName: "nginx",
                    listeners: [
                        {
                            name: "https-app",
                            hostname: "app.example.com",
                            port: 443,
                            protocol: "HTTPS",
                            tls: { mode: "Terminate", certificateRefs: [{ name: "app-tls" }] },
                        },
                        { name: "http", hostname: "app.example.com", port: 80, protocol: "HTTP" },
                    ],
                },
            },
            gatewayDeps,
        ),
        spec(
            TYPES.HTTPRoute,
            "app",
            {
                metadata: { name: "app", namespace: "apps" },
                spec: {
                    parentRefs: [{ name: "edge", namespace: "edge", sectionName: "https-app" }],
                    hostnames: ["app.example.com"],
                    rules: [{ backendRefs: [{ name: "backend", port: 80 }] }],
                },
            },
            gatewayDeps,
        ),
        spec(
            TYPES.HTTPRoute,
            "redirect",
            {
                metadata: { name: "redirect", namespace: "edge" },
                spec: {
                    parentRefs: [{ name: "edge", sectionName: "http" }],
                    hostnames: ["app.example.com"],
                    rules: [
                        {
                            filters: [
                                { type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } },
                            ],
                        },
                    ],
                },
            },
            gatewayDeps,
        ),
    ];
}

function mutate(
    stack: StackResourceSpec[],
    name: string,
    type: string,
    change: (props: any) => void,
): { stack: StackResourceSpec[]; urn: string } {
    const copy = stack.map((s) => ({ ...s, props: clone(s.props) }));
    const target = copy.find((s) => s.name === name && s.type === type);
    if (!target) throw new Error(`no ${type} ${name}`);
    change(target.props);
    return { stack: copy, urn: target.urn! };
}

function without(stack: StackResourceSpec[], name: string, type: string): StackResourceSpec[] {
    return stack.filter((s) => !(s.name === name && s.type === type));
}

describe("stack policies", () => {
    for (const policy of STACK_POLICIES) {
        it(`${policy.name}: passes the compliant stack`, () => {
            expect(runStackPolicy(policy, compliantStack())).to.deep.equal([]);
        });
        it(`${policy.name}: does not crash on undefined or unknown props`, () => {
            const broken = compliantStack().map((s, i) => ({
                ...s,
                props: i % 3 === 0 ? undefined : i % 3 === 1 ? { metadata: UNKNOWN_STRING, spec: UNKNOWN_STRING } : {},
            }));
            expect(() => runStackPolicy(policy, broken)).not.to.throw();
            expect(() => runStackPolicy(policy, [])).not.to.throw();
        });
    }

    describe("workloads-have-network-policy", () => {
        it("reports a workload no NetworkPolicy selects", () => {
            const stack = without(compliantStack(), "apps-default-deny", TYPES.NetworkPolicy);
            const urn = urnOf(TYPES.Deployment, "backend");
            expect(runStackPolicy(workloadsHaveNetworkPolicy, stack)).to.deep.equal([
                { message: 'Deployment apps/backend: no NetworkPolicy in namespace "apps" selects its pods', urn },
            ]);
        });
        it("evaluates matchExpressions (NotIn excludes the CloudNativePG pods)", () => {
            const { stack } = mutate(compliantStack(), "data-postgres", TYPES.NetworkPolicy, (p) => {
                p.spec.podSelector.matchExpressions[0].operator = "NotIn";
            });
            expect(runStackPolicy(workloadsHaveNetworkPolicy, stack)).to.deep.equal([
                {
                    message: 'Cluster data/db: no NetworkPolicy in namespace "data" selects its pods',
                    urn: urnOf(TYPES.CnpgCluster, "db"),
                },
            ]);
        });
        it("does not count policies in other namespaces", () => {
            const { stack } = mutate(compliantStack(), "apps-default-deny", TYPES.NetworkPolicy, (p) => {
                p.metadata.namespace = "edge";
            });
            expect(runStackPolicy(workloadsHaveNetworkPolicy, stack)).to.have.length(1);
        });
    });

    describe("hpa-targets-exist / hpa-targets-omit-replicas", () => {
        it("reports an HPA whose target is missing", () => {
            const { stack, urn } = mutate(compliantStack(), "backend", TYPES.HorizontalPodAutoscaler, (p) => {
                p.spec.scaleTargetRef.name = "frontend";
            });
            expect(runStackPolicy(hpaTargetsExist, stack)).to.deep.equal([
                {
                    message:
                        'HorizontalPodAutoscaler apps/backend: scaleTargetRef Deployment "frontend" is not in the stack',
                    urn,
                },
            ]);
        });
        it("reports an HPA-scaled Deployment that sets replicas", () => {
            const { stack, urn } = mutate(compliantStack(), "backend", TYPES.Deployment, (p) => {
                p.spec.replicas = 3;
            });
            expect(runStackPolicy(hpaTargetsOmitReplicas, stack)).to.deep.equal([
                {
                    message:
                        "Deployment apps/backend: scaled by HorizontalPodAutoscaler apps/backend but sets spec.replicas (3); leave it unset",
                    urn,
                },
            ]);
        });
        it("matches auto-named targets by their Pulumi name", () => {
            const { stack } = mutate(compliantStack(), "backend", TYPES.Deployment, (p) => {
                delete p.metadata.name;
            });
            const renamed = mutate(stack, "backend", TYPES.HorizontalPodAutoscaler, (p) => {
                p.spec.scaleTargetRef.name = "backend-1a2b3c4d";
            });
            expect(runStackPolicy(hpaTargetsExist, renamed.stack)).to.deep.equal([]);
        });
    });

    describe("pdb-for-replicated-workloads", () => {
        it("reports a replicated workload without a PDB", () => {
            const stack = without(compliantStack(), "backend", TYPES.PodDisruptionBudget);
            expect(runStackPolicy(pdbForReplicatedWorkloads, stack)).to.deep.equal([
                {
                    message: "Deployment apps/backend: 2 replicas but no PodDisruptionBudget selects its pods",
                    urn: urnOf(TYPES.Deployment, "backend"),
                },
            ]);
        });
        it("reports a PDB that allows no disruption", () => {
            const { stack } = mutate(compliantStack(), "backend", TYPES.PodDisruptionBudget, (p) => {
                delete p.spec.maxUnavailable;
                p.spec.minAvailable = "100%";
            });
            expect(runStackPolicy(pdbForReplicatedWorkloads, stack)).to.deep.equal([
                {
                    message:
                        'Deployment apps/backend: PodDisruptionBudget apps/backend allows no disruption at 2 replicas (minAvailable "100%")',
                    urn: urnOf(TYPES.Deployment, "backend"),
                },
            ]);
            const min2 = mutate(compliantStack(), "backend", TYPES.PodDisruptionBudget, (p) => {
                delete p.spec.maxUnavailable;
                p.spec.minAvailable = 1;
            });
            expect(runStackPolicy(pdbForReplicatedWorkloads, min2.stack)).to.deep.equal([]);
        });
        it("ignores single-replica workloads and reports a CloudNativePG cluster with its PDBs disabled", () => {
            const single = mutate(
                without(compliantStack(), "backend", TYPES.PodDisruptionBudget),
                "backend",
                TYPES.HorizontalPodAutoscaler,
                (p) => {
                    p.spec.minReplicas = 1;
                },
            );
            expect(runStackPolicy(pdbForReplicatedWorkloads, single.stack)).to.deep.equal([]);
            const { stack, urn } = mutate(compliantStack(), "db", TYPES.CnpgCluster, (p) => {
                p.spec.enablePDB = false;
            });
            expect(runStackPolicy(pdbForReplicatedWorkloads, stack)).to.deep.equal([
                { message: "Cluster data/db: 3 instances but spec.enablePDB is false", urn },
            ]);
        });
    });

    describe("services-select-pods", () => {
        it("reports a selector matching nothing and a Service without selector", () => {
            const { stack, urn } = mutate(compliantStack(), "backend", TYPES.Service, (p) => {
                p.spec.selector = { "app.kubernetes.io/name": "frontend" };
            });
            expect(runStackPolicy(servicesSelectPods, stack)).to.deep.equal([
                {
                    message:
                        'Service apps/backend: selector {"app.kubernetes.io/name":"frontend"} matches no pod template in the stack',
                    urn,
                },
            ]);
            const none = mutate(compliantStack(), "backend", TYPES.Service, (p) => {
                delete p.spec.selector;
            });
            expect(runStackPolicy(servicesSelectPods, none.stack)).to.deep.equal([
                { message: "Service apps/backend: has no selector, so it selects no pods", urn },
            ]);
        });
        it("accepts ExternalName Services and Services selecting operator pods", () => {
            const ext = mutate(compliantStack(), "backend", TYPES.Service, (p) => {
                p.spec = { type: "ExternalName", externalName: "example.com" };
            });
            expect(runStackPolicy(servicesSelectPods, ext.stack)).to.deep.equal([]);
            const db = mutate(compliantStack(), "backend", TYPES.Service, (p) => {
                p.metadata.namespace = "data";
                p.spec.selector = { "cnpg.io/cluster": "db" };
            });
            expect(runStackPolicy(servicesSelectPods, db.stack)).to.deep.equal([]);
        });
    });

    describe("referenced-configs-exist", () => {
        it("reports a missing Secret, unless declared external", () => {
            const stack = without(compliantStack(), "backend-secrets", TYPES.Secret);
            const expected = {
                message:
                    'Deployment apps/backend: container "app" env JWT references Secret "backend-secrets", which is not in the stack (add it, or list it in externalSecrets)',
                urn: urnOf(TYPES.Deployment, "backend"),
            };
            expect(runStackPolicy(referencedConfigsExist, stack)).to.deep.equal([expected]);
            expect(
                runStackPolicy(referencedConfigsExist, stack, { externalSecrets: ["apps/backend-secrets"] }),
            ).to.deep.equal([]);
        });
        it("reports missing ConfigMaps in envFrom and projected volumes; optional references are fine", () => {
            const stack = without(compliantStack(), "backend-config", TYPES.ConfigMap);
            expect(runStackPolicy(referencedConfigsExist, stack).map((r) => r.message)).to.deep.equal([
                'Deployment apps/backend: container "app" envFrom references ConfigMap "backend-config", which is not in the stack (add it, or list it in externalConfigMaps)',
            ]);
            const optional = mutate(stack, "backend", TYPES.Deployment, (p) => {
                podSpecIn("Deployment", p).containers[0].envFrom[0].configMapRef.optional = true;
            });
            expect(runStackPolicy(referencedConfigsExist, optional.stack)).to.deep.equal([]);
            const projected = without(compliantStack(), "backend-tls", TYPES.Secret);
            expect(runStackPolicy(referencedConfigsExist, projected).map((r) => r.message)).to.deep.equal([
                'Deployment apps/backend: volume "ca" (projected) references Secret "backend-tls", which is not in the stack (add it, or list it in externalSecrets)',
            ]);
        });
        it("knows the secrets CloudNativePG generates", () => {
            const stack = without(compliantStack(), "db-apps", TYPES.CnpgCluster);
            expect(runStackPolicy(referencedConfigsExist, stack).map((r) => r.message)).to.deep.equal([
                'Deployment apps/backend: container "app" env DB_PASSWORD references Secret "db-app", which is not in the stack (add it, or list it in externalSecrets)',
            ]);
        });
    });

    describe("custom-resources-depend-on-crds", () => {
        it("reports a custom resource that depends on nothing installing its CRDs", () => {
            const stack = compliantStack().map((s) =>
                s.name === "db" && s.type === TYPES.CnpgCluster ? { ...s, dependencies: [] } : s,
            );
            expect(runStackPolicy(customResourcesDependOnCrds, stack)).to.deep.equal([
                {
                    message:
                        "Cluster data/db: depends on nothing that installs the postgresql.cnpg.io CRDs (add dependsOn on the CRD, chart or manifest that installs them)",
                    urn: urnOf(TYPES.CnpgCluster, "db"),
                },
            ]);
        });
        it("follows transitive dependencies, parents' dependencies and components", () => {
            const component = "urn:pulumi:test::stackwright::stackwright:data:Postgres::pg";
            const crdComponent = "urn:pulumi:test::stackwright::stackwright:platform:Operators::ops";
            const crd = spec(
                TYPES.CustomResourceDefinition,
                "clusters",
                { spec: { group: "postgresql.cnpg.io", names: { kind: "Cluster" } } },
                { parent: crdComponent },
            );
            const stack: StackResourceSpec[] = [
                spec("stackwright:platform:Operators", "ops", {}, { urn: crdComponent }),
                crd,
                spec(
                    TYPES.Secret,
                    "waiter",
                    { metadata: { name: "w", namespace: "data" } },
                    { dependencies: [crdComponent] },
                ),
                spec(
                    "stackwright:data:Postgres",
                    "pg",
                    {},
                    { urn: component, dependencies: [urnOf(TYPES.Secret, "waiter")] },
                ),
                spec(TYPES.CnpgCluster, "db", cnpgCluster(), { parent: component }),
            ];
            expect(runStackPolicy(customResourcesDependOnCrds, stack)).to.deep.equal([]);
            const wrongGroup = stack.map((s) =>
                s.type === TYPES.CustomResourceDefinition
                    ? { ...s, props: { spec: { group: "monitoring.coreos.com" } } }
                    : s,
            );
            expect(runStackPolicy(customResourcesDependOnCrds, wrongGroup)).to.have.length(1);
        });
        it("knows which groups the charts Stackwright uses install", () => {
            const istio = (chart: string) => spec(TYPES.HelmChart, `mesh-${chart}`, { chart, version: "1.31.1" });
            const monitor = (dep: string) =>
                spec(
                    "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
                    "istiod",
                    { metadata: { name: "istiod", namespace: "istio-system" } },
                    { dependencies: [urnOf(TYPES.HelmChart, dep)] },
                );
            const rule = (dep: string) =>
                spec(
                    TYPES.PeerAuthentication,
                    "default",
                    { metadata: { name: "default", namespace: "istio-system" } },
                    { dependencies: [urnOf(TYPES.HelmChart, dep)] },
                );
            expect(runStackPolicy(customResourcesDependOnCrds, [istio("base"), rule("mesh-base")])).to.deep.equal([]);
            expect(runStackPolicy(customResourcesDependOnCrds, [istio("istiod"), rule("mesh-istiod")])).to.have.length(
                1,
            );
            expect(
                runStackPolicy(customResourcesDependOnCrds, [istio("istiod"), monitor("mesh-istiod")]).map(
                    (r) => r.message,
                ),
            ).to.deep.equal([
                "ServiceMonitor istio-system/istiod: depends on nothing that installs the monitoring.coreos.com CRDs (add dependsOn on the CRD, chart or manifest that installs them)",
            ]);
            const kps = spec(TYPES.HelmChart, "kps", {
                chart: "oci://ghcr.io/prometheus-community/charts/kube-prometheus-stack",
                version: "79.0.0",
            });
            expect(runStackPolicy(customResourcesDependOnCrds, [kps, monitor("kps")])).to.deep.equal([]);
        });

        it("accepts custom resources rendered inside a chart, and honours configured installers", () => {
            const inChart = [
                spec(TYPES.HelmChart, "kps", {}),
                spec(
                    TYPES.Prometheus,
                    "kps:monitoring/main",
                    { metadata: { name: "main", namespace: "monitoring" } },
                    { parent: CHART_URN.replace("cnpg", "kps") },
                ),
            ];
            expect(runStackPolicy(customResourcesDependOnCrds, inChart)).to.deep.equal([]);
            const narrowed = {
                installers: [{ type: TYPES.ConfigFile, name: "gateway-*", groups: ["gateway.networking.k8s.io"] }],
            };
            const reports = runStackPolicy(customResourcesDependOnCrds, compliantStack(), narrowed);
            expect(reports.map((r) => r.urn)).to.have.members([
                urnOf(TYPES.CnpgCluster, "db"),
                urnOf(TYPES.CnpgCluster, "db-apps"),
            ]);
            expect(
                runStackPolicy(customResourcesDependOnCrds, compliantStack(), {
                    ...narrowed,
                    preinstalledGroups: ["postgresql.cnpg.io"],
                }),
            ).to.deep.equal([]);
        });
    });

    describe("gateway-tls", () => {
        it("reports an HTTP listener's route that serves instead of redirecting", () => {
            const { stack, urn } = mutate(compliantStack(), "redirect", TYPES.HTTPRoute, (p) => {
                p.spec.rules = [{ backendRefs: [{ name: "backend", port: 80 }] }];
            });
            expect(runStackPolicy(gatewayTls, stack)).to.deep.equal([
                {
                    message:
                        'HTTPRoute edge/redirect: attaches to HTTP listener "http" of Gateway edge/edge but does not only redirect to https',
                    urn,
                },
            ]);
        });
        it("judges routes without sectionName against every listener they attach to", () => {
            const { stack, urn } = mutate(compliantStack(), "app", TYPES.HTTPRoute, (p) => {
                delete p.spec.parentRefs[0].sectionName;
            });
            expect(runStackPolicy(gatewayTls, stack)).to.deep.equal([
                {
                    message:
                        'HTTPRoute apps/app: attaches to HTTP listener "http" of Gateway edge/edge but does not only redirect to https',
                    urn,
                },
            ]);
        });
        it("reports listeners without hostname, wildcard hosts, plain TCP and missing certificates", () => {
            const { stack, urn } = mutate(compliantStack(), "edge", TYPES.Gateway, (p) => {
                p.spec.listeners[0].hostname = "*.example.com";
                delete p.spec.listeners[0].tls.certificateRefs;
                p.spec.listeners.push({ name: "tcp", port: 5432, protocol: "TCP" });
            });
            expect(runStackPolicy(gatewayTls, stack)).to.deep.equal([
                {
                    message:
                        'Gateway edge/edge: listener "https-app" hostname "*.example.com" is a wildcard (explicit hosts required)',
                    urn,
                },
                { message: 'Gateway edge/edge: listener "https-app" (HTTPS) has no tls.certificateRefs', urn },
                { message: 'Gateway edge/edge: listener "tcp" has no hostname (explicit hosts required)', urn },
                { message: 'Gateway edge/edge: listener "tcp" protocol "TCP" is not TLS', urn },
            ]);
        });
        it("reports routes without hostnames", () => {
            const { stack, urn } = mutate(compliantStack(), "app", TYPES.HTTPRoute, (p) => {
                delete p.spec.hostnames;
            });
            expect(runStackPolicy(gatewayTls, stack)).to.deep.equal([
                { message: "HTTPRoute apps/app: has no hostnames (explicit hosts required)", urn },
            ]);
        });
        it("judges Istio Gateways and Ingresses", () => {
            const istio = spec(TYPES.IstioGateway, "mesh-edge", {
                metadata: { name: "mesh-edge", namespace: "edge" },
                spec: {
                    servers: [
                        {
                            port: { number: 443, name: "https", protocol: "HTTPS" },
                            hosts: ["app.example.com"],
                            tls: { mode: "SIMPLE", credentialName: "app-tls" },
                        },
                        {
                            port: { number: 80, name: "http", protocol: "HTTP" },
                            hosts: ["app.example.com"],
                            tls: { httpsRedirect: true },
                        },
                    ],
                },
            });
            expect(runStackPolicy(gatewayTls, [istio])).to.deep.equal([]);
            const bad = clone(istio.props) as any;
            delete bad.spec.servers[1].tls;
            bad.spec.servers[0].hosts = ["*"];
            expect(runStackPolicy(gatewayTls, [{ ...istio, props: bad }]).map((r) => r.message)).to.deep.equal([
                'Gateway edge/mesh-edge: server "https" host "*" is a wildcard (explicit hosts required)',
                'Gateway edge/mesh-edge: server "http" (HTTP) does not set tls.httpsRedirect: true',
            ]);
            const ingress = spec(TYPES.Ingress, "web", {
                metadata: { name: "web", namespace: "edge" },
                spec: {
                    tls: [{ hosts: ["app.example.com"], secretName: "t" }],
                    rules: [{ host: "app.example.com" }, { host: "api.example.com" }],
                },
            });
            expect(runStackPolicy(gatewayTls, [ingress]).map((r) => r.message)).to.deep.equal([
                'Ingress edge/web: host "api.example.com" is not covered by spec.tls',
            ]);
        });
    });

    describe("production-redundancy", () => {
        /** A stack without a single point of failure: every mutation below breaks exactly one thing. */
        const redundant = (): StackResourceSpec[] => [
            spec(TYPES.Namespace, "apps", { metadata: { name: "apps", labels: { "istio-injection": "enabled" } } }),
            spec(TYPES.Deployment, "backend", backend()),
            spec(TYPES.HorizontalPodAutoscaler, "backend", {
                metadata: { name: "backend", namespace: "apps" },
                spec: {
                    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "backend" },
                    minReplicas: 2,
                    maxReplicas: 10,
                },
            }),
            spec(TYPES.StatefulSet, "redis", {
                ...workload("StatefulSet", undefined, "redis", "data"),
                spec: { ...workload("StatefulSet", undefined, "redis", "data").spec, replicas: 3 },
            }),
            spec(TYPES.CnpgCluster, "db", cnpgCluster("db", "data")),
            spec(TYPES.NginxProxy, "data-plane", nginxProxy()),
        ];
        const WAIVER = "policy.stackwright.io/exempt-production-redundancy";

        it("passes a redundant stack", () => {
            expect(runStackPolicy(productionRedundancy, redundant())).to.deep.equal([]);
        });
        it("reports one replica, one instance, one data-plane replica and services outside the mesh", () => {
            const cases: [string, string, (p: any) => void, string][] = [
                [
                    "backend",
                    TYPES.HorizontalPodAutoscaler,
                    (p) => {
                        p.spec.minReplicas = 1;
                    },
                    "Deployment apps/backend: 1 replica(s) is a single point of failure (at least 2)",
                ],
                [
                    "redis",
                    TYPES.StatefulSet,
                    (p) => {
                        p.spec.replicas = 1;
                    },
                    "StatefulSet data/redis: 1 replica(s) is a single point of failure (at least 2)",
                ],
                [
                    "db",
                    TYPES.CnpgCluster,
                    (p) => {
                        p.spec.instances = 1;
                    },
                    "Cluster data/db: 1 instance(s) is a single point of failure (at least 2)",
                ],
                [
                    "data-plane",
                    TYPES.NginxProxy,
                    (p) => {
                        p.spec.kubernetes.deployment.replicas = 1;
                    },
                    "NginxProxy edge/stackwright-data-plane: a data plane of 1 replica(s) is a single point of failure (at least 2)",
                ],
                [
                    "apps",
                    TYPES.Namespace,
                    (p) => {
                        delete p.metadata.labels["istio-injection"];
                    },
                    "Namespace apps: holds Stackwright's services without Istio sidecar injection (no mutual TLS between them)",
                ],
            ];
            for (const [name, type, change, message] of cases) {
                const target =
                    type === TYPES.HorizontalPodAutoscaler ? urnOf(TYPES.Deployment, name) : urnOf(type, name);
                expect(
                    runStackPolicy(productionRedundancy, mutate(redundant(), name, type, change).stack),
                    message,
                ).to.deep.equal([{ message, urn: target }]);
            }
        });
        it("accepts a waived object (the stack config's prod waiver sets the exemption annotation)", () => {
            const single = mutate(redundant(), "db", TYPES.CnpgCluster, (p) => {
                p.spec.instances = 1;
                p.metadata.annotations = { [WAIVER]: "a reporting replica is enough here" };
            });
            expect(runStackPolicy(productionRedundancy, single.stack)).to.deep.equal([]);
        });
        it("ignores workloads Stackwright does not own (chart-rendered)", () => {
            const chart = mutate(redundant(), "redis", TYPES.StatefulSet, (p) => {
                p.spec.replicas = 1;
                p.metadata.labels["app.kubernetes.io/managed-by"] = "Helm";
            });
            expect(runStackPolicy(productionRedundancy, chart.stack)).to.deep.equal([]);
        });
    });
});
