/** Pure builders of the application services (lib/service/*): settings, env, traffic, scaling, pod specs. */
import { expect } from "chai";
import { parseConfig, StackConfig } from "../config";
import { environmentDefaults } from "../lib/defaults";
import { DNS_EGRESS_RULE } from "../lib/namespace-specs";
import {
    CONFIG_CHECKSUM_ANNOTATION,
    checksum,
    configMapData,
    containerEnv,
    CREDENTIAL_ROTATION_ANNOTATION,
    credentialsUsed,
    rolloutAnnotations,
} from "../lib/service/env";
import {
    fileKey,
    fileMounts,
    filesAnnotations,
    filesData,
    FILES_CHECKSUM_ANNOTATION,
    FILES_VOLUME,
} from "../lib/service/files";
import { serviceMonitorSpec } from "../lib/service/monitoring";
import { networkPolicySpec, serviceTraffic } from "../lib/service/network";
import { hpaSpec, pdbSpec } from "../lib/service/scaling";
import { resolveProbes, resolveScaling } from "../lib/service/settings";
import { deploymentSpec, migrationJobSpec, serviceSpec, topologySpread } from "../lib/service/workload";
import { callersOf, DATABASE_READ_ONLY_ENV, DATABASE_SECRET_ENV, REDIS_SECRET_ENV } from "../lib/topology";

function config(
    services: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    environment = "staging",
): StackConfig {
    return parseConfig({ environment, domain: "example.com", services, ...extra });
}

const http = [{ name: "http", containerPort: 8080 }];

describe("service settings (lib/service/settings)", () => {
    it("uses the environment's replicas when autoscaling is off, and omits replicas when an HPA owns the count", () => {
        const dev = config({ a: { image: "nginx:1.27.3", ports: http } }, {}, "dev");
        expect(resolveScaling(dev.services.a, environmentDefaults("dev"))).to.deep.equal({
            replicas: 1,
            maxReplicas: 1,
        });
        const staging = config({
            a: { image: "nginx:1.27.3", ports: http, autoscaling: { maxReplicas: 8 } },
        });
        const scaling = resolveScaling(staging.services.a, environmentDefaults("staging"));
        expect(scaling.replicas).to.equal(undefined);
        expect(scaling.autoscaling).to.deep.equal({
            minReplicas: 2,
            maxReplicas: 8,
            cpuUtilizationPercent: 70,
            scaleDownStabilizationSeconds: 300,
        });
        expect(scaling.maxReplicas).to.equal(8);
    });

    it("scales on exactly the metrics set, and on CPU 70 % when none is", () => {
        const metricsOf = (autoscaling: Record<string, unknown>) => {
            const cfg = config({ a: { image: "nginx:1.27.3", ports: http, autoscaling } });
            const as = resolveScaling(cfg.services.a, environmentDefaults("staging")).autoscaling!;
            return hpaSpec("a", as).metrics.map((m: Record<string, any>) => m.resource?.name ?? m.pods?.metric.name);
        };
        expect(metricsOf({})).to.deep.equal(["cpu"]);
        expect(metricsOf({ cpuUtilizationPercent: 60 })).to.deep.equal(["cpu"]);
        expect(metricsOf({ memoryUtilizationPercent: 75 })).to.deep.equal(["memory"]);
        expect(metricsOf({ cpuUtilizationPercent: 60, memoryUtilizationPercent: 75 })).to.deep.equal(["cpu", "memory"]);
    });

    it("defaults probes to the product's timings: liveness /health 30/10/5/3, readiness /ready 5/5/3/2, startup on the liveness check", () => {
        const cfg = config({
            a: {
                image: "nginx:1.27.3",
                ports: [
                    { name: "web", containerPort: 8080 },
                    { name: "admin", containerPort: 9000 },
                ],
            },
        });
        const probes = resolveProbes(cfg.services.a);
        expect(probes.livenessProbe).to.deep.equal({
            httpGet: { path: "/health", port: "web", scheme: "HTTP" },
            initialDelaySeconds: 30,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 3,
        });
        expect(probes.readinessProbe).to.deep.equal({
            httpGet: { path: "/ready", port: "web", scheme: "HTTP" },
            initialDelaySeconds: 5,
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 2,
        });
        expect(probes.startupProbe).to.deep.equal({
            httpGet: { path: "/health", port: "web", scheme: "HTTP" },
            initialDelaySeconds: 0,
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 30,
        });
    });

    it("honours probe overrides: path/port, tcp and exec handlers, and a startup probe that follows liveness", () => {
        const cfg = config({
            a: {
                image: "nginx:1.27.3",
                ports: [
                    { name: "web", containerPort: 8080 },
                    { name: "admin", containerPort: 9000 },
                ],
                probes: { liveness: { path: "/livez", port: "admin", periodSeconds: 20 }, readiness: { type: "tcp" } },
            },
            b: {
                image: "nginx:1.27.3",
                probes: {
                    liveness: { type: "exec", command: ["true"] },
                    readiness: { type: "exec", command: ["test", "-f", "/tmp/ready"] },
                },
            },
        });
        const a = resolveProbes(cfg.services.a);
        expect(a.livenessProbe.httpGet).to.deep.equal({ path: "/livez", port: "admin", scheme: "HTTP" });
        expect(a.livenessProbe.periodSeconds).to.equal(20);
        expect(a.readinessProbe.tcpSocket).to.deep.equal({ port: "web" });
        expect(a.startupProbe.httpGet).to.deep.equal({ path: "/livez", port: "admin", scheme: "HTTP" });
        expect(a.startupProbe.periodSeconds).to.equal(10);
        const b = resolveProbes(cfg.services.b);
        expect(b.livenessProbe.exec).to.deep.equal({ command: ["true"] });
        expect(b.startupProbe.exec).to.deep.equal({ command: ["true"] });
        expect(b.readinessProbe.exec).to.deep.equal({ command: ["test", "-f", "/tmp/ready"] });
    });
});

describe("service env and rollout annotations (lib/service/env)", () => {
    const cfg = config({
        api: {
            image: "nginx:1.27.3",
            ports: http,
            env: { LOG_LEVEL: "info", FEATURE_X: "on" },
            secretEnv: { JWT_SECRET: "jwtSecret", API_TOKEN: "apiKey" },
            database: "app",
            redis: true,
        },
    });
    const svc = cfg.services.api;

    it("reads settings from the ConfigMap and credentials from Secrets by reference, never by value", () => {
        const env = containerEnv(svc, {
            configMapName: "cm",
            appCredentialsSecretName: "creds",
            databaseSecretName: "db",
            redisSecretName: "rd",
        });
        expect(env.every((e) => e.value === undefined)).to.equal(true);
        expect(env.slice(0, 2)).to.deep.equal([
            { name: "FEATURE_X", valueFrom: { configMapKeyRef: { name: "cm", key: "FEATURE_X" } } },
            { name: "LOG_LEVEL", valueFrom: { configMapKeyRef: { name: "cm", key: "LOG_LEVEL" } } },
        ]);
        expect(env.slice(2, 4)).to.deep.equal([
            { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "creds", key: "api-key" } } },
            { name: "JWT_SECRET", valueFrom: { secretKeyRef: { name: "creds", key: "jwt-secret" } } },
        ]);
        const byName = Object.fromEntries(env.map((e) => [e.name, e.valueFrom]));
        for (const [name, key] of Object.entries(DATABASE_SECRET_ENV))
            expect(byName[name], name).to.deep.equal({ secretKeyRef: { name: "db", key } });
        for (const [name, key] of Object.entries(REDIS_SECRET_ENV))
            expect(byName[name], name).to.deep.equal({ secretKeyRef: { name: "rd", key } });
        expect(env).to.have.length(4 + Object.keys(DATABASE_SECRET_ENV).length + Object.keys(REDIS_SECRET_ENV).length);
        expect(Object.keys(byName)).to.include.members(["DATABASE_URL", "REDIS_URL"]);
        expect(Object.keys(byName)).to.not.include.members(Object.keys(DATABASE_READ_ONLY_ENV));
    });

    it("mounts config files one by one, read-only, keyed by path; their checksum changes with any text", () => {
        const files = [
            { path: "/etc/app/a.yaml", content: "a: 1" },
            { path: "/srv/b.json", content: "{}" },
        ];
        expect(fileKey("/etc/app/a.yaml")).to.equal("etc__app__a.yaml");
        expect(filesData(files)).to.deep.equal({ "etc__app__a.yaml": "a: 1", "srv__b.json": "{}" });
        expect(fileMounts(files)).to.deep.equal([
            { name: FILES_VOLUME, mountPath: "/etc/app/a.yaml", subPath: "etc__app__a.yaml", readOnly: true },
            { name: FILES_VOLUME, mountPath: "/srv/b.json", subPath: "srv__b.json", readOnly: true },
        ]);
        const before = filesAnnotations(files)[FILES_CHECKSUM_ANNOTATION];
        expect(filesAnnotations([files[0], { ...files[1], content: "{ }" }])[FILES_CHECKSUM_ANNOTATION]).to.not.equal(
            before,
        );
        expect(filesAnnotations([])).to.deep.equal({});
    });

    it("gives the read-only endpoint only to services that read from replicas", () => {
        const env = containerEnv(
            { ...svc, databaseReadReplicas: true },
            { configMapName: "cm", appCredentialsSecretName: "creds", databaseSecretName: "db" },
        );
        const byName = Object.fromEntries(env.map((e) => [e.name, e.valueFrom]));
        expect(byName.DATABASE_RO_URL).to.deep.equal({ secretKeyRef: { name: "db", key: "ro-uri" } });
        expect(byName.PGHOST_RO).to.deep.equal({ secretKeyRef: { name: "db", key: "ro-host" } });
    });

    it("injects no data-store env while the connection Secret names are not known", () => {
        const env = containerEnv(svc, { configMapName: "cm", appCredentialsSecretName: "creds" });
        expect(env.map((e) => e.name)).to.deep.equal(["FEATURE_X", "LOG_LEVEL", "API_TOKEN", "JWT_SECRET"]);
    });

    it("annotates the pod template with the settings checksum and the rotation counters of exactly the credentials used", () => {
        expect(credentialsUsed(svc)).to.deep.equal(["apiKey", "db-app", "jwtSecret", "redisPassword"]);
        const annotations = rolloutAnnotations(svc, { apiKey: 2, jwtSecret: 0, encryptionKey: 7, "db-app": 1 });
        expect(annotations[CREDENTIAL_ROTATION_ANNOTATION]).to.equal("apiKey=2,db-app=1,jwtSecret=0,redisPassword=0");
        expect(annotations[CONFIG_CHECKSUM_ANNOTATION])
            .to.equal(checksum(configMapData(svc)))
            .and.to.match(/^[0-9a-f]{64}$/);
        const changed = { ...svc, env: { ...svc.env, LOG_LEVEL: "debug" } };
        expect(rolloutAnnotations(changed, {})[CONFIG_CHECKSUM_ANNOTATION]).to.not.equal(
            annotations[CONFIG_CHECKSUM_ANNOTATION],
        );
        const plain = config({ web: { image: "nginx:1.27.3", ports: http } }).services.web;
        expect(rolloutAnnotations(plain, { apiKey: 3 })).to.have.keys([CONFIG_CHECKSUM_ANNOTATION]);
    });
});

describe("service traffic (lib/service/network)", () => {
    const services = {
        web: {
            image: "nginx:1.27.3",
            ports: http,
            calls: ["api"],
            routes: [{ host: "app" }],
            metrics: { port: "http" },
        },
        api: {
            image: "nginx:1.27.3",
            ports: [...http, { name: "grpc", containerPort: 9090 }],
            database: "app",
            redis: true,
            migration: { command: ["migrate"] },
        },
    };

    it("opens ingress from callers (all ports), the edge (routed port) and Prometheus (metrics port), egress to callees and data stores", () => {
        const cfg = config(services, { mesh: { enabled: false }, redis: { mode: "standalone" } });
        const callers = callersOf(cfg);
        const web = serviceTraffic(cfg, "web", callers.web);
        expect(web.ingress.map((r) => r.ports.map((p) => p.port))).to.deep.equal([[8080], [8080]]);
        expect(web.ingress[0].peers).to.deep.equal([
            {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } },
                podSelector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "stackwright" } },
            },
        ]);
        expect(web.egress).to.deep.equal([
            {
                peers: [
                    {
                        podSelector: {
                            matchLabels: { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "api" },
                        },
                    },
                ],
                ports: [
                    { port: 8080, protocol: "TCP" },
                    { port: 9090, protocol: "TCP" },
                ],
            },
        ]);
        const api = serviceTraffic(cfg, "api", callers.api);
        expect(api.ingress).to.deep.equal([
            {
                peers: [
                    {
                        podSelector: {
                            matchLabels: { "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "web" },
                        },
                    },
                ],
                ports: [
                    { port: 8080, protocol: "TCP" },
                    { port: 9090, protocol: "TCP" },
                ],
            },
        ]);
        expect(
            api.egress.map((r) => [
                r.peers.map((p: any) => Object.values(p.podSelector.matchLabels).join("/")),
                r.ports.map((p) => p.port),
            ]),
        ).to.deep.equal([
            [["postgres"], [5432]],
            [["valkey/redis"], [6379]],
        ]);
        expect(api.migrationEgress).to.deep.equal([api.egress[0]]);
        expect(api.migrationIngress, "nothing reaches an unmeshed migration pod").to.deep.equal([]);
        expect(serviceTraffic(cfg, "web", callers.web).migrationEgress).to.deep.equal([]);
    });

    it("adds the pooler, the Sentinels, istiod and the Envoy stats port when those are on", () => {
        const cfg = config(services, {
            mesh: { enabled: true },
            redis: { mode: "sentinel" },
            postgres: { pooler: { enabled: true } },
        });
        const api = serviceTraffic(cfg, "api", callersOf(cfg).api);
        const summary = api.egress.map(
            (r) =>
                `${r.peers.map((p: any) => `${p.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ?? "."}/${JSON.stringify(p.podSelector?.matchLabels)}`).join("+")}:${r.ports.map((p) => p.port)}`,
        );
        expect(summary).to.deep.equal([
            'data/{"cnpg.io/cluster":"postgres"}+data/{"cnpg.io/poolerName":"postgres-pooler-rw"}:5432',
            'data/{"app.kubernetes.io/name":"valkey","app.kubernetes.io/instance":"redis"}:6379',
            'data/{"app.kubernetes.io/name":"valkey-sentinel","app.kubernetes.io/instance":"redis-sentinel"}:26379',
            'istio-system/{"app":"istiod"}:15012',
        ]);
        const web = serviceTraffic(cfg, "web", callersOf(cfg).web);
        expect(web.ingress[1].ports.map((p) => p.port)).to.deep.equal([8080, 15090]);
        // The meshed migration pod's sidecar needs what the service's own sidecar needs: istiod out, and
        // Prometheus in on the Envoy stats port (the mesh's PodMonitor selects every injected pod).
        expect(api.migrationEgress).to.deep.equal([api.egress[0], api.egress[3]]);
        expect(api.migrationIngress).to.deep.equal([
            { peers: web.ingress[1].peers, ports: [{ port: 15090, protocol: "TCP" }] },
        ]);
        expect(serviceTraffic(cfg, "web", callersOf(cfg).web).migrationIngress, "no migration, no rules").to.deep.equal(
            [],
        );
    });

    it("builds a policy that selects the pods, lists both policy types and always allows DNS", () => {
        const spec = networkPolicySpec({ a: "b" }, { ingress: [], egress: [] });
        expect(spec).to.deep.equal({
            podSelector: { matchLabels: { a: "b" } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [],
            egress: [DNS_EGRESS_RULE],
        });
    });
});

describe("service workloads and scaling (lib/service/workload, scaling, monitoring)", () => {
    const cfg = config(
        {
            api: {
                image: "ghcr.io/acme/api:2.1.0",
                ports: http,
                writablePaths: ["/var/cache"],
                runAsUser: 1000,
                priorityClassName: "high",
                database: "app",
                migration: { command: ["migrate", "up"], backoffLimit: 1 },
            },
        },
        { mesh: { enabled: true } },
    );
    const svc = cfg.services.api;
    const resources = {
        requests: { cpu: "100m", memory: "128Mi", ephemeralStorage: "64Mi" },
        limits: { cpu: "1", memory: "1Gi", ephemeralStorage: "1Gi" },
    };
    const podArgs = { name: "api", svc, resources, env: [], serviceAccountName: "api" };

    it("rolls one pod at a time with no unavailability, keeps history, and omits replicas under an HPA", () => {
        const spec = deploymentSpec({ ...podArgs, podAnnotations: {}, zoneSpreadRequired: true });
        expect(spec).to.not.have.property("replicas");
        expect(spec.strategy).to.deep.equal({
            type: "RollingUpdate",
            rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        });
        expect(spec.revisionHistoryLimit).to.be.a("number").and.greaterThan(0);
        expect(spec.selector).to.deep.equal({
            matchLabels: { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "api" },
        });
        expect(spec.template.spec.priorityClassName).to.equal("high");
        expect(spec.template.spec.securityContext).to.deep.include({
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            runAsNonRoot: true,
        });
        const mounts = (spec.template.spec.containers as any[])[0].volumeMounts.map((m: any) => m.mountPath);
        expect(mounts).to.have.members(["/tmp", "/var/cache"]);
        expect(
            deploymentSpec({ ...podArgs, podAnnotations: {}, zoneSpreadRequired: true, replicas: 2 }).replicas,
        ).to.equal(2);
    });

    it("spreads across zones (hard only where required) and nodes (always soft)", () => {
        const hard = topologySpread({ a: "b" }, true);
        expect(hard.map((c) => [c.topologyKey, c.whenUnsatisfiable])).to.deep.equal([
            ["topology.kubernetes.io/zone", "DoNotSchedule"],
            ["kubernetes.io/hostname", "ScheduleAnyway"],
        ]);
        expect(topologySpread({ a: "b" }, false).map((c) => c.whenUnsatisfiable)).to.deep.equal([
            "ScheduleAnyway",
            "ScheduleAnyway",
        ]);
    });

    it("runs the migration with the service image, limits, deadline and TTL, never as a selected pod, with no Istio label", () => {
        const spec = migrationJobSpec({ ...podArgs, podAnnotations: { x: "y" } });
        expect(spec).to.deep.include({ backoffLimit: 1, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600 });
        const container = (spec.template.spec.containers as any[])[0];
        expect(container).to.deep.include({ image: "ghcr.io/acme/api:2.1.0", command: ["migrate", "up"] });
        expect(container.resources.limits).to.have.keys(["cpu", "memory", "ephemeral-storage"]);
        expect(spec.template.spec.restartPolicy).to.equal("Never");
        // Meshed or not, the pod carries no Istio label: the namespace's injection label decides (native sidecar).
        expect(Object.keys(spec.template.metadata.labels).filter((k) => k.includes("istio.io"))).to.deep.equal([]);
        expect((spec.template.metadata.labels as Record<string, string>)["app.kubernetes.io/name"]).to.not.equal("api");
    });

    it("exposes every container port on the Service under its name", () => {
        expect(serviceSpec("api", svc)).to.deep.equal({
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "api" },
            ports: [{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }],
        });
    });

    it("scales on CPU, memory and requests per second (the adapter's metric) when set; fast up, 300 s stabilised down", () => {
        const spec = hpaSpec(
            "api-x",
            {
                minReplicas: 2,
                maxReplicas: 10,
                cpuUtilizationPercent: 70,
                memoryUtilizationPercent: 80,
                requestsPerSecond: 100,
                scaleDownStabilizationSeconds: 300,
            },
            "http_requests_per_second",
        );
        expect(spec.scaleTargetRef).to.deep.equal({ apiVersion: "apps/v1", kind: "Deployment", name: "api-x" });
        expect(spec.metrics).to.deep.equal([
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
            { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } } },
            {
                type: "Pods",
                pods: {
                    metric: { name: "http_requests_per_second" },
                    target: { type: "AverageValue", averageValue: "100" },
                },
            },
        ]);
        expect(spec.behavior.scaleUp.stabilizationWindowSeconds).to.equal(0);
        expect(spec.behavior.scaleDown.stabilizationWindowSeconds).to.equal(300);
        expect(
            hpaSpec("x", {
                minReplicas: 1,
                maxReplicas: 2,
                cpuUtilizationPercent: 70,
                scaleDownStabilizationSeconds: 300,
            }).metrics,
        ).to.have.length(1);
    });

    it("lets a drain evict one pod at a time", () => {
        expect(pdbSpec({ a: "b" })).to.deep.equal({
            maxUnavailable: 1,
            selector: { matchLabels: { a: "b" } },
            unhealthyPodEvictionPolicy: "AlwaysAllow",
        });
    });

    it("scrapes over Istio mTLS certificates with the mesh on, plain HTTP without", () => {
        const metrics = { port: "http", path: "/metrics", intervalSeconds: 30 };
        const meshed = serviceMonitorSpec("api", "apps", metrics, true);
        expect(meshed.endpoints[0]).to.deep.include({
            port: "http",
            path: "/metrics",
            interval: "30s",
            scheme: "https",
        });
        expect(meshed.endpoints[0].tlsConfig).to.include({ certFile: "/etc/prom-certs/cert-chain.pem" });
        expect(serviceMonitorSpec("api", "apps", metrics, false).endpoints[0]).to.deep.equal({
            port: "http",
            path: "/metrics",
            interval: "30s",
            scheme: "http",
        });
    });
});
