import { expect } from "chai";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";
import { objectStoreSpec } from "../lib/postgres/specs";
import { acmeClusterIssuerSpec, caClusterIssuerSpec, certificateSpec } from "../lib/edge/certificates";
import { assertValidObjects, KubeObject, resolveCrdsDir, SchemaViolation, validateAgainstSchemas } from "./lib/schemas";

// Objects as the stack renders them; each is valid against its upstream schema.
function deployment(container: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "backend", namespace: "app", labels: { "app.kubernetes.io/name": "backend" }, ...metadata },
        spec: {
            selector: { matchLabels: { "app.kubernetes.io/name": "backend" } },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            template: {
                metadata: {
                    labels: { "app.kubernetes.io/name": "backend" },
                    annotations: { "prometheus.io/scrape": "true" },
                },
                spec: {
                    serviceAccountName: "backend",
                    automountServiceAccountToken: false,
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: 10001,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    topologySpreadConstraints: [
                        {
                            maxSkew: 1,
                            topologyKey: "topology.kubernetes.io/zone",
                            whenUnsatisfiable: "ScheduleAnyway",
                            labelSelector: { matchLabels: { "app.kubernetes.io/name": "backend" } },
                        },
                    ],
                    affinity: {
                        podAntiAffinity: {
                            preferredDuringSchedulingIgnoredDuringExecution: [
                                {
                                    weight: 100,
                                    podAffinityTerm: {
                                        topologyKey: "kubernetes.io/hostname",
                                        labelSelector: {
                                            matchExpressions: [{ key: "app", operator: "In", values: ["backend"] }],
                                        },
                                    },
                                },
                            ],
                        },
                    },
                    containers: [
                        {
                            name: "backend",
                            image: "ghcr.io/stefanprodan/podinfo:6.9.2",
                            ports: [{ name: "http", containerPort: 9898, protocol: "TCP" }],
                            env: [
                                { name: "LOG_LEVEL", value: "info" },
                                { name: "JWT_SECRET", valueFrom: { secretKeyRef: { name: "backend", key: "jwt" } } },
                                { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                            ],
                            envFrom: [{ configMapRef: { name: "backend" } }],
                            resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: 2, memory: "4Gi" } },
                            livenessProbe: {
                                httpGet: { path: "/health", port: "http" },
                                initialDelaySeconds: 30,
                                periodSeconds: 10,
                                timeoutSeconds: 5,
                                failureThreshold: 3,
                            },
                            readinessProbe: {
                                httpGet: { path: "/ready", port: 9898 },
                                periodSeconds: 5,
                                failureThreshold: 2,
                            },
                            startupProbe: { tcpSocket: { port: 9898 }, failureThreshold: 30 },
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"] },
                            },
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                            ...container,
                        },
                    ],
                    volumes: [
                        { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                        {
                            name: "token",
                            projected: {
                                sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3600 } }],
                            },
                        },
                    ],
                },
            },
        },
    };
}

const validBuiltins: KubeObject[] = [
    deployment(),
    {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "app", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    },
    {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "backend", namespace: "app" },
        automountServiceAccountToken: false,
    },
    {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "backend", namespace: "app" },
        data: { "app.yaml": "a: 1\n" },
    },
    {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "backend", namespace: "app" },
        type: "Opaque",
        stringData: { jwt: "x" },
    },
    {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "backend", namespace: "app" },
        spec: {
            selector: { app: "backend" },
            ports: [{ name: "http", port: 80, targetPort: "http", appProtocol: "http" }],
        },
    },
    {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "backend", namespace: "app" },
        spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "backend" },
            minReplicas: 2,
            maxReplicas: 10,
            metrics: [
                {
                    type: "Resource",
                    resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
                },
                {
                    type: "Pods",
                    pods: {
                        metric: { name: "http_requests_per_second" },
                        target: { type: "AverageValue", averageValue: "100" },
                    },
                },
            ],
            behavior: {
                scaleDown: {
                    stabilizationWindowSeconds: 300,
                    policies: [{ type: "Percent", value: 10, periodSeconds: 60 }],
                },
                scaleUp: { selectPolicy: "Max", policies: [{ type: "Pods", value: 4, periodSeconds: 15 }] },
            },
        },
    },
    {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: "backend", namespace: "app" },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: "backend" } } },
    },
    {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: "backend", namespace: "app" },
        spec: {
            podSelector: { matchLabels: { app: "backend" } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } } }],
                    ports: [{ port: 9898 }],
                },
            ],
            egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 53, protocol: "UDP" }] }],
        },
    },
    {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "backend", namespace: "app" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"] }],
    },
    {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "backend", namespace: "app" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "backend" },
        subjects: [{ kind: "ServiceAccount", name: "backend", namespace: "app" }],
    },
    {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: { name: "redis-snapshot", namespace: "data" },
        spec: {
            schedule: "0 3 * * *",
            concurrencyPolicy: "Forbid",
            jobTemplate: {
                spec: {
                    backoffLimit: 2,
                    template: {
                        spec: {
                            restartPolicy: "OnFailure",
                            containers: [
                                { name: "snapshot", image: "valkey/valkey:8.1", command: ["sh", "-c", "true"] },
                            ],
                        },
                    },
                },
            },
        },
    },
    {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "redis", namespace: "data" },
        spec: {
            serviceName: "redis",
            replicas: 3,
            selector: { matchLabels: { app: "redis" } },
            template: {
                metadata: { labels: { app: "redis" } },
                spec: { containers: [{ name: "redis", image: "valkey/valkey:8.1" }] },
            },
            volumeClaimTemplates: [
                {
                    metadata: { name: "data" },
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: "fast-ssd",
                        resources: { requests: { storage: "8Gi" } },
                    },
                },
            ],
        },
    },
];

const peerAuthentication = (mtls: Record<string, unknown>): KubeObject => ({
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name: "default", namespace: "istio-system" },
    spec: { mtls },
});

const serviceMonitor = (endpoint: Record<string, unknown>): KubeObject => ({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "backend", namespace: "app", labels: { release: "kube-prometheus-stack" } },
    spec: {
        selector: { matchLabels: { app: "backend" } },
        namespaceSelector: { matchNames: ["app"] },
        endpoints: [{ port: "http", path: "/metrics", interval: "30s", scheme: "http", ...endpoint }],
    },
});

const httpRoute = (rule: Record<string, unknown>): KubeObject => ({
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: "api", namespace: "app" },
    spec: {
        parentRefs: [{ name: "edge", namespace: "edge", sectionName: "https" }],
        hostnames: ["api.example.com"],
        rules: [
            {
                matches: [{ path: { type: "PathPrefix", value: "/api/v1/" } }],
                backendRefs: [{ name: "backend", port: 80 }],
                timeouts: { request: "30s" },
                ...rule,
            },
        ],
    },
});

const cnpgCluster = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Cluster",
    metadata: { name: "postgres", namespace: "data" },
    spec: {
        instances: 3,
        imageName: "ghcr.io/cloudnative-pg/postgresql:17.6",
        primaryUpdateStrategy: "unsupervised",
        storage: { size: "20Gi", storageClass: "fast-ssd" },
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } },
        postgresql: { parameters: { max_connections: "200", shared_buffers: "256MB" } },
        bootstrap: { initdb: { database: "app", owner: "app", secret: { name: "postgres-app" } } },
        monitoring: { enablePodMonitor: true },
        affinity: { enablePodAntiAffinity: true, topologyKey: "topology.kubernetes.io/zone" },
        ...spec,
    },
});

const clientSettingsPolicy = (body: Record<string, unknown>): KubeObject => ({
    apiVersion: "gateway.nginx.org/v1alpha1",
    kind: "ClientSettingsPolicy",
    metadata: { name: "body-limit", namespace: "edge" },
    spec: { targetRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: "edge" }, body },
});

const validCustomResources: KubeObject[] = [
    peerAuthentication({ mode: "STRICT" }),
    {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "allow-frontend", namespace: "app" },
        spec: {
            selector: { matchLabels: { app: "backend" } },
            action: "ALLOW",
            rules: [
                {
                    from: [{ source: { principals: ["cluster.local/ns/app/sa/frontend"] } }],
                    to: [{ operation: { methods: ["GET"] } }],
                },
            ],
        },
    },
    {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "backend", namespace: "app" },
        spec: {
            host: "backend.app.svc.cluster.local",
            trafficPolicy: {
                tls: { mode: "ISTIO_MUTUAL" },
                connectionPool: {
                    tcp: { maxConnections: 100 },
                    http: { http1MaxPendingRequests: 100, maxRequestsPerConnection: 10 },
                },
                outlierDetection: {
                    consecutive5xxErrors: 5,
                    interval: "30s",
                    baseEjectionTime: "30s",
                    maxEjectionPercent: 50,
                },
            },
        },
    },
    {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "backend", namespace: "app" },
        spec: {
            hosts: ["backend"],
            http: [
                {
                    match: [{ uri: { prefix: "/api/v1/" } }],
                    route: [{ destination: { host: "backend", port: { number: 80 } } }],
                    retries: { attempts: 3, perTryTimeout: "10s", retryOn: "5xx,reset,connect-failure" },
                    timeout: "30s",
                },
            ],
        },
    },
    serviceMonitor({}),
    {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "backend", namespace: "app" },
        spec: {
            groups: [
                {
                    name: "backend",
                    rules: [
                        {
                            alert: "ServiceDown",
                            expr: 'up{job="backend"} == 0',
                            for: "1m",
                            labels: { severity: "critical" },
                            annotations: { summary: "backend is down" },
                        },
                    ],
                },
            ],
        },
    },
    {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "edge", namespace: "edge" },
        spec: {
            gatewayClassName: "nginx",
            listeners: [
                { name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } },
                {
                    name: "https",
                    port: 443,
                    protocol: "HTTPS",
                    hostname: "*.example.com",
                    tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "edge-tls" }] },
                    allowedRoutes: { namespaces: { from: "All" } },
                },
            ],
        },
    },
    httpRoute({}),
    {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "redirect", namespace: "edge" },
        spec: {
            parentRefs: [{ name: "edge", sectionName: "http" }],
            rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
        },
    },
    cnpgCluster({}),
    {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "ScheduledBackup",
        metadata: { name: "daily", namespace: "data" },
        spec: {
            schedule: "0 0 2 * * *",
            cluster: { name: "postgres" },
            backupOwnerReference: "self",
            method: "volumeSnapshot",
        },
    },
    clientSettingsPolicy({ maxSize: "50m", timeout: "60s" }),
    {
        apiVersion: "gateway.nginx.org/v1alpha1",
        kind: "RateLimitPolicy",
        metadata: { name: "api", namespace: "app" },
        spec: {
            targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "api" }],
            rateLimit: {
                local: {
                    rules: [{ rate: "100r/s", key: "$binary_remote_addr", zoneSize: "10m", burst: 50, noDelay: true }],
                },
            },
        },
    },
];

async function violationsOf(object: KubeObject): Promise<SchemaViolation[]> {
    return validateAgainstSchemas([object]);
}

function messages(violations: SchemaViolation[]): string[] {
    return violations.map((v) => v.message);
}

describe("schema validation of rendered objects (test/lib/schemas)", () => {
    before(function () {
        if (!fs.existsSync(resolveCrdsDir())) {
            throw new Error(`upstream CRDs missing at ${resolveCrdsDir()}: set STACKWRIGHT_CRDS_DIR`);
        }
    });

    describe("built-in kinds (kubernetes-models)", () => {
        it("accepts valid objects of the built-in kinds the stack renders", async () => {
            expect(await validateAgainstSchemas(validBuiltins)).to.deep.equal([]);
        });

        it("rejects an unknown field in a container and names its path", async () => {
            const violations = await violationsOf(deployment({ bogusField: true }));
            expect(violations).to.deep.equal([
                {
                    object: "Deployment app/backend",
                    message: "spec.template.spec.containers[0].bogusField: unknown field",
                },
            ]);
        });

        it("rejects a typo in metadata (metadata.lables)", async () => {
            const violations = await violationsOf(deployment({}, { lables: { app: "backend" } }));
            expect(messages(violations)).to.deep.equal(["metadata.lables: unknown field"]);
        });

        it("rejects unknown fields at the top level and inside nested pod template metadata", async () => {
            const object = deployment();
            (object.spec as any).template.metadata.anotations = {};
            object.sepc = {};
            expect(messages(await violationsOf(object))).to.have.members([
                "spec.template.metadata.anotations: unknown field",
                "sepc: unknown field",
            ]);
        });

        it("rejects a malformed quantity", async () => {
            const violations = await violationsOf(deployment({ resources: { limits: { cpu: "2 cores" } } }));
            expect(violations).to.have.length(1);
            expect(violations[0].message).to.match(
                /^spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu: .*quantity.*\(got "2 cores"\)$/,
            );
        });

        it("rejects a wrong type", async () => {
            const violations = await violationsOf(deployment({ ports: [{ containerPort: "9898" }] }));
            expect(messages(violations)).to.deep.equal([
                'spec.template.spec.containers[0].ports[0].containerPort: must be integer (got "9898")',
            ]);
        });

        it("rejects a bad enum value and a missing required field", async () => {
            const violations = await violationsOf(deployment({ imagePullPolicy: "Sometimes", name: undefined }));
            expect(messages(violations)).to.have.members([
                'spec.template.spec.containers[0].imagePullPolicy: must be equal to one of the allowed values: "Always", "IfNotPresent", "Never" (got "Sometimes")',
                "spec.template.spec.containers[0]: must have required property 'name'",
            ]);
        });

        it("drops undefined values (Pulumi inputs) instead of reporting them", async () => {
            expect(await violationsOf(deployment({ command: undefined }, { annotations: undefined }))).to.deep.equal(
                [],
            );
        });

        it("reports values that are not plain JSON, such as an unresolved Output", async () => {
            class Output {}
            const violations = await violationsOf(deployment({ image: new Output() }));
            expect(messages(violations)).to.deep.equal([
                "spec.template.spec.containers[0].image: not plain JSON: Output instance (unresolved Pulumi Output?)",
            ]);
        });

        it("does not echo values of Secrets in messages", async () => {
            const secret: KubeObject = {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "s", namespace: "app" },
                data: { key: 12345 },
            };
            expect(messages(await violationsOf(secret))).to.deep.equal(["data.key: must be string"]);
        });

        it("accepts maps with arbitrary keys (labels, ConfigMap data) but not unknown siblings", async () => {
            const configMap: KubeObject = {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "c", labels: { "any/key": "v", other: "w" } },
                data: { anything: "1", "nested.key": "2" },
                dataa: {},
            };
            expect(messages(await violationsOf(configMap))).to.deep.equal(["dataa: unknown field"]);
        });

        it("rejects a kind that is not a top-level resource of that apiVersion", async () => {
            const notAResource: KubeObject = { apiVersion: "v1", kind: "PodSpec", metadata: { name: "x" } };
            expect(messages(await violationsOf(notAResource))).to.deep.equal(["no schema for v1 PodSpec"]);
        });
    });

    describe("Istio (@kubernetes-models/istio)", () => {
        it("accepts a valid PeerAuthentication", async () => {
            expect(await violationsOf(peerAuthentication({ mode: "STRICT" }))).to.deep.equal([]);
        });

        it("rejects an invalid mTLS mode and an unknown field", async () => {
            const violations = await violationsOf(peerAuthentication({ mode: "STRICTEST", enforce: true }));
            expect(violations.map((v) => v.object)).to.deep.equal([
                "PeerAuthentication istio-system/default",
                "PeerAuthentication istio-system/default",
            ]);
            expect(messages(violations)).to.have.members([
                'spec.mtls.mode: must be equal to one of the allowed values: "UNSET", "DISABLE", "PERMISSIVE", "STRICT" (got "STRICTEST")',
                "spec.mtls.enforce: unknown field",
            ]);
        });
    });

    describe("Prometheus Operator (@kubernetes-models/prometheus-operator)", () => {
        it("accepts a valid ServiceMonitor", async () => {
            expect(await violationsOf(serviceMonitor({}))).to.deep.equal([]);
        });

        it("rejects a malformed interval and an unknown endpoint field", async () => {
            const violations = await violationsOf(serviceMonitor({ interval: "30 seconds", scrapeEvery: "30s" }));
            expect(messages(violations)).to.have.length(2);
            expect(messages(violations)).to.include("spec.endpoints[0].scrapeEvery: unknown field");
            expect(messages(violations).find((m) => m.startsWith("spec.endpoints[0].interval: "))).to.match(
                /must match pattern/,
            );
        });
    });

    describe("cert-manager (@kubernetes-models/cert-manager)", () => {
        const issuer = (spec: object): KubeObject => ({
            apiVersion: "cert-manager.io/v1",
            kind: "ClusterIssuer",
            metadata: { name: "acme" },
            spec,
        });
        const certificate = (spec: object): KubeObject => ({
            apiVersion: "cert-manager.io/v1",
            kind: "Certificate",
            metadata: { name: "app", namespace: "edge" },
            spec,
        });
        const acme = acmeClusterIssuerSpec({
            email: "ops@example.com",
            server: "https://acme-v02.api.letsencrypt.org/directory",
            gatewayNamespace: "edge",
        });

        it("accepts the issuers and certificates the edge builds", async () => {
            const objects = [
                issuer(acme),
                issuer(caClusterIssuerSpec("ca")),
                certificate(certificateSpec("app.example.com", "example.com", "acme")),
            ];
            expect(await validateAgainstSchemas(objects)).to.deep.equal([]);
        });

        it("rejects a misspelt solver field and a bad rotation policy", async () => {
            const badSolver = { acme: { ...acme.acme, solvers: [{ http01: { gatewayHttpRoute: {} } }] } };
            expect(messages(await violationsOf(issuer(badSolver)))).to.deep.equal([
                "spec.acme.solvers[0].http01.gatewayHttpRoute: unknown field",
            ]);
            const cert = certificateSpec("app.example.com", "example.com", "acme");
            const violations = await violationsOf(
                certificate({ ...cert, privateKey: { ...cert.privateKey, rotationPolicy: "Sometimes" } }),
            );
            expect(messages(violations)).to.have.length(1);
            expect(messages(violations)[0]).to.match(/^spec\.privateKey\.rotationPolicy: /);
        });
    });

    describe("CRDs from the CRD directory (ajv over the CRD's openAPIV3Schema)", () => {
        it("accepts valid custom resources of every covered group", async () => {
            expect(await validateAgainstSchemas(validCustomResources)).to.deep.equal([]);
        });

        it("Gateway API HTTPRoute: rejects an unknown field and a bad path match type", async () => {
            const violations = await violationsOf(
                httpRoute({ matches: [{ path: { type: "Prefix", value: "/api/v1/" } }], retry: { attempts: 3 } }),
            );
            expect(messages(violations)).to.have.members([
                'spec.rules[0].matches[0].path.type: must be equal to one of the allowed values: "Exact", "PathPrefix", "RegularExpression" (got "Prefix")',
                "spec.rules[0].retry: unknown field",
            ]);
        });

        it("Gateway API: a version the installed CRDs do not serve has no schema", async () => {
            const tcpRoute: KubeObject = {
                apiVersion: "gateway.networking.k8s.io/v1alpha2",
                kind: "TCPRoute",
                metadata: { name: "t" },
            };
            expect(messages(await violationsOf(tcpRoute))).to.deep.equal([
                "no schema for gateway.networking.k8s.io/v1alpha2 TCPRoute",
            ]);
        });

        it("CNPG Cluster: rejects a wrong type, an unknown field and a metadata typo", async () => {
            const cluster = cnpgCluster({ instances: "3", storage: { size: "20Gi", storageClassName: "fast-ssd" } });
            (cluster.metadata as Record<string, unknown>).annotation = {};
            expect(messages(await violationsOf(cluster))).to.have.members([
                'spec.instances: must be integer (got "3")',
                "spec.storage.storageClassName: unknown field",
                "metadata.annotation: unknown field",
            ]);
        });

        it("CNPG Cluster: keeps maps (postgresql.parameters) open and int-or-string fields flexible", async () => {
            const cluster = cnpgCluster({
                postgresql: { parameters: { anything_goes: "1" } },
                topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }],
            });
            expect(await violationsOf(cluster)).to.deep.equal([]);
            const badParameter = cnpgCluster({ postgresql: { parameters: { max_connections: 200 } } });
            expect(messages(await violationsOf(badParameter))).to.deep.equal([
                "spec.postgresql.parameters.max_connections: must be string (got 200)",
            ]);
        });

        it("NGF ClientSettingsPolicy: rejects a body size NGINX does not understand and an unknown field", async () => {
            const violations = await violationsOf(clientSettingsPolicy({ maxSize: "50 MB", limit: "50m" }));
            expect(messages(violations)).to.have.members([
                'spec.body.maxSize: must match pattern "^\\d{1,4}(k|m|g)?$" (got "50 MB")',
                "spec.body.limit: unknown field",
            ]);
        });

        it("Barman Cloud ObjectStore (derived from the Cluster's barmanObjectStore): accepts ours, rejects typos", async () => {
            const args = {
                destinationPath: "s3://backups/pg",
                endpointUrl: "http://minio:9000",
                region: "eu-west-1",
                credentialsSecretName: "s3",
                retentionPolicy: "30d",
                sidecarResources: {
                    requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "64Mi" },
                    limits: { cpu: "200m", memory: "256Mi", ephemeralStorage: "256Mi" },
                },
            };
            const store = (spec: Record<string, unknown>): KubeObject => ({
                apiVersion: "barmancloud.cnpg.io/v1",
                kind: "ObjectStore",
                metadata: { name: "pg", namespace: "data" },
                spec,
            });
            const spec = objectStoreSpec(args);
            expect(await violationsOf(store(spec))).to.deep.equal([]);
            const configuration = spec.configuration as Record<string, any>;
            const typo = {
                ...spec,
                configuration: {
                    ...configuration,
                    endpointUrl: configuration.endpointURL,
                    wal: { ...configuration.wal, compression: "zip" },
                },
            };
            const found = messages(await violationsOf(store(typo)));
            expect(found).to.include("spec.configuration.endpointUrl: unknown field");
            expect(found.some((m) => m.startsWith("spec.configuration.wal.compression: "))).to.equal(true);
            expect(messages(await violationsOf(store({ ...spec, retentionPolicy: "30 days" })))[0]).to.match(
                /^spec\.retentionPolicy: /,
            );
        });

        it("compiles the schema of every served version of every CRD in the directory", async () => {
            const crds = listCrdKinds(resolveCrdsDir());
            expect(crds.length).to.be.greaterThan(20);
            const violations = await validateAgainstSchemas(
                crds.map(({ apiVersion, kind }) => ({ apiVersion, kind, metadata: { name: "x" } })),
            );
            // Only "spec is required" style errors are expected from these empty objects, never "no schema".
            expect(violations.filter((v) => /no schema|cannot compile/.test(v.message))).to.deep.equal([]);
        });
    });

    describe("groups without a schema", () => {
        const widget: KubeObject = {
            apiVersion: "example.stackwright.dev/v1",
            kind: "Widget",
            metadata: { name: "w", namespace: "apps" },
            spec: {},
        };

        it("reports an object of an unknown group as a violation", async () => {
            expect(await violationsOf(widget)).to.deep.equal([
                { object: "Widget apps/w", message: "no schema for example.stackwright.dev/v1 Widget" },
            ]);
        });

        it("lets explicitly allow-listed groups pass, and only those", async () => {
            const other: KubeObject = {
                apiVersion: "other.stackwright.dev/v1",
                kind: "Gadget",
                metadata: { name: "g" },
            };
            const violations = await validateAgainstSchemas([widget, other], {
                unvalidatedGroups: ["example.stackwright.dev"],
            });
            expect(messages(violations)).to.deep.equal(["no schema for other.stackwright.dev/v1 Gadget"]);
        });

        it("still validates allow-listed groups that do have a schema", async () => {
            const violations = await validateAgainstSchemas([peerAuthentication({ mode: "NOPE" })], {
                unvalidatedGroups: ["security.istio.io"],
            });
            expect(violations).to.have.length(1);
        });
    });

    describe("CRD directory", () => {
        const missing = path.join(os.tmpdir(), "stackwright-no-such-crds-dir");
        const realDir = resolveCrdsDir();
        let savedEnv: string | undefined;
        beforeEach(() => {
            savedEnv = process.env.STACKWRIGHT_CRDS_DIR;
        });
        afterEach(() => {
            if (savedEnv === undefined) delete process.env.STACKWRIGHT_CRDS_DIR;
            else process.env.STACKWRIGHT_CRDS_DIR = savedEnv;
        });

        it("fails with a clear message naming the directory and the variable when it is missing", async () => {
            process.env.STACKWRIGHT_CRDS_DIR = missing;
            let error: Error | undefined;
            try {
                await validateAgainstSchemas([httpRoute({})]);
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.contain(`CRD directory not found: looked in ${missing}`);
            expect(error?.message).to.contain("Set STACKWRIGHT_CRDS_DIR");
        });

        it("the option overrides the variable", async () => {
            process.env.STACKWRIGHT_CRDS_DIR = missing;
            expect(await validateAgainstSchemas([httpRoute({})], { crdsDir: realDir })).to.deep.equal([]);
        });

        it("validates built-in kinds without needing the directory", async () => {
            process.env.STACKWRIGHT_CRDS_DIR = missing;
            expect(await validateAgainstSchemas([deployment()])).to.deep.equal([]);
        });
    });

    describe("assertValidObjects", () => {
        it("resolves for valid objects", async () => {
            await assertValidObjects(validBuiltins);
        });

        it("throws one error listing every violation", async () => {
            let error: Error | undefined;
            try {
                await assertValidObjects([deployment({ bogusField: 1 }), deployment({}, { lables: {} }), deployment()]);
            } catch (e) {
                error = e as Error;
            }
            expect(error?.message).to.equal(
                "2 schema violation(s):\n" +
                    "  Deployment app/backend: spec.template.spec.containers[0].bogusField: unknown field\n" +
                    "  Deployment app/backend: metadata.lables: unknown field",
            );
        });
    });

    describe("speed", () => {
        it("costs the same per object for 1000 objects as for 100 once warm (a ratio, not a wall-clock budget)", async () => {
            const sample = [...validBuiltins, ...validCustomResources];
            const batch = (n: number) =>
                Array.from({ length: n }, (_, i) => structuredClone(sample[i % sample.length]));
            await validateAgainstSchemas(sample); // warm-up: imports and schema compilation
            const perObjectMs = async (n: number) => {
                const objects = batch(n);
                const started = process.hrtime.bigint();
                expect(await validateAgainstSchemas(objects)).to.deep.equal([]);
                return Number(process.hrtime.bigint() - started) / 1e6 / n;
            };
            // Fastest of three per size: a burst of load during one batch does not decide the ratio.
            const fastest = async (n: number) =>
                Math.min(await perObjectMs(n), await perObjectMs(n), await perObjectMs(n));
            const [small, large] = [await fastest(100), await fastest(1000)];
            console.log(`      ${small.toFixed(3)} ms per object at 100, ${large.toFixed(3)} ms at 1000`);
            expect(large, "per-object cost at 1000 vs 100").to.be.below(small * 3);
        });
    });
});

/** apiVersion/kind of every served CRD version under `dir` (read independently of the library). */
function listCrdKinds(dir: string): { apiVersion: string; kind: string }[] {
    const found: { apiVersion: string; kind: string }[] = [];
    for (const sub of fs.readdirSync(dir)) {
        const folder = path.join(dir, sub);
        if (!fs.statSync(folder).isDirectory()) continue;
        for (const file of fs.readdirSync(folder)) {
            for (const doc of yaml.loadAll(fs.readFileSync(path.join(folder, file), "utf8")) as any[]) {
                if (doc?.kind !== "CustomResourceDefinition") continue;
                for (const version of doc.spec.versions) {
                    if (version.served)
                        found.push({ apiVersion: `${doc.spec.group}/${version.name}`, kind: doc.spec.names.kind });
                }
            }
        }
    }
    return found;
}
