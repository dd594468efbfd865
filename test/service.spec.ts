/**
 * Application services (components/service.ts) rendered by the real program under mocks, with the real stack
 * files: the objects each service yields, pod hardening over every workload in the stack, reachability computed
 * from the rendered NetworkPolicies, blast radius of a config change, rejected bad input, schema validity.
 */
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import { parseConfig, ServiceConfig, StackConfig } from "../config";
import { APP_CREDENTIAL_KEYS } from "../config/credentials";
import { AppService } from "../components/service";
import { environmentDefaults } from "../lib/defaults";
import { imageVersion } from "../lib/labels";
import { serviceTraffic } from "../lib/service/network";
import { checksum, keyedDigest, SECRET_VALUES_ANNOTATION } from "../lib/service/env";
import { FILES_CHECKSUM_ANNOTATION } from "../lib/service/files";
import { requestRateSource } from "../lib/monitoring/adapter";
import { tracingEnv } from "../lib/tracing/plan";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import {
    callersOf,
    DATABASE_SECRET_ENV,
    edgeDataPlane,
    istiodPods,
    PeerSelector,
    postgresPods,
    postgresPoolerPods,
    prometheusPods,
    REDIS_SECRET_ENV,
    redisPods,
    redisSentinelPods,
} from "../lib/topology";
import {
    descendantsOf,
    kubeObjects,
    manifestOf,
    podSpecOf,
    readStackConfig,
    RecordedResource,
    RenderedStack,
    renderStack,
    REPO_ROOT,
    STACKS,
    StackName,
} from "./lib/harness";
import { renderUnderMocks } from "./lib/mock-component";
import { allowedConnections, connectionKey, Endpoint, EndpointPort } from "./lib/netpol";
import { validateAgainstSchemas } from "./lib/schemas";
import { GeneratedSecrets } from "../components/secrets";

const SERVICE_TYPE = AppService.TYPE;
const RECOMMENDED = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
];
const STABLE = ["app.kubernetes.io/instance", "app.kubernetes.io/name"];

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

function serviceComponents(r: RenderedStack): RecordedResource[] {
    return r.resources.filter((x) => x.type === SERVICE_TYPE);
}

function childrenOf(r: RenderedStack, service: string): RecordedResource[] {
    const component = serviceComponents(r).find((c) => c.name === service);
    if (!component) throw new Error(`no AppService ${service}`);
    return descendantsOf(r.resources, component.urn);
}

function objectOf(r: RenderedStack, service: string, kind: string, nameSuffix = ""): Record<string, any> {
    const found = childrenOf(r, service)
        .map(manifestOf)
        .filter((o) => o?.kind === kind && (nameSuffix === "" || o.metadata.name.includes(nameSuffix)));
    if (found.length < 1) throw new Error(`${service}: no ${kind}`);
    return found[0]!;
}

/** What each service must yield, from its config alone (independent of the implementation). */
function expectedKinds(cfg: StackConfig, svc: ServiceConfig): string[] {
    const d = environmentDefaults(cfg.environment);
    const autoscaled = svc.autoscaling.enabled ?? d.autoscalingEnabled;
    const maxReplicas = autoscaled ? (svc.autoscaling.maxReplicas ?? d.maxReplicas) : (svc.replicas ?? d.replicas);
    return [
        "ConfigMap",
        "Deployment",
        "NetworkPolicy",
        "ServiceAccount",
        ...(svc.ports.length > 0 ? ["Service"] : []),
        ...(autoscaled ? ["HorizontalPodAutoscaler"] : []),
        ...(maxReplicas > 1 ? ["PodDisruptionBudget"] : []),
        ...(cfg.monitoring.enabled && svc.metrics ? ["ServiceMonitor"] : []),
        ...(svc.migration ? ["Job", "NetworkPolicy"] : []),
    ].sort();
}

const rendered = {} as Record<StackName, RenderedStack>;
const configs = {} as Record<StackName, StackConfig>;

/** Renders the three stacks once for this file's suites (a root-level hook would run for every spec file). */
let renderedAll: Promise<void> | undefined;
function renderAll(this: Mocha.Context): Promise<void> {
    this.timeout(600_000);
    renderedAll ??= (async () => {
        for (const stack of STACKS) {
            rendered[stack] = await renderStack(stack);
            configs[stack] = parseConfig(readStackConfig(stack));
        }
    })();
    return renderedAll;
}

describe("AppService: objects per service", () => {
    before(renderAll);
    for (const stack of STACKS) {
        it(`${stack}: one component per configured service, each yielding exactly the expected kinds`, () => {
            const cfg = configs[stack];
            expect(
                serviceComponents(rendered[stack])
                    .map((c) => c.name)
                    .sort(),
            ).to.deep.equal(Object.keys(cfg.services).sort());
            for (const [name, svc] of Object.entries(cfg.services)) {
                const children = childrenOf(rendered[stack], name);
                expect(
                    children.every((c) => c.type.startsWith("kubernetes:")),
                    `${name}: only Kubernetes objects`,
                ).to.equal(true);
                expect(children.map((c) => manifestOf(c)!.kind).sort(), `${stack}/${name}`).to.deep.equal(
                    expectedKinds(cfg, svc),
                );
            }
        });

        it(`${stack}: Service and ServiceAccount are named after the service key, everything else is auto-named`, () => {
            for (const name of Object.keys(configs[stack].services)) {
                for (const child of childrenOf(rendered[stack], name)) {
                    const kind = manifestOf(child)!.kind;
                    const explicit = child.inputs.metadata?.name;
                    if (kind === "Service" || kind === "ServiceAccount")
                        expect(explicit, `${name} ${kind}`).to.equal(name);
                    else expect(explicit, `${name} ${kind}`).to.equal(undefined);
                    expect(child.inputs.metadata.namespace).to.equal(configs[stack].namespaces.apps);
                }
            }
        });
    }

    it("varied configs (no ports, fixed replicas, no metrics, autoscaled without migration) yield their kinds too", async () => {
        const raw = readStackConfig("staging");
        const services = clone(raw.services) as Record<string, any>;
        services.poller = {
            image: "ghcr.io/acme/poller@sha256:" + "a".repeat(64),
            component: "worker",
            replicas: 1,
            autoscaling: { enabled: false },
            probes: {
                liveness: { type: "exec", command: ["/bin/check"] },
                readiness: { type: "exec", command: ["/bin/check"] },
            },
        };
        services.reports = {
            image: "ghcr.io/acme/reports:1.0.0",
            ports: [{ name: "http", containerPort: 8080 }],
            replicas: 3,
            autoscaling: { enabled: false },
        };
        const r = await renderStack("staging", { overrides: { services } });
        const cfg = parseConfig({ ...raw, services });
        for (const name of ["poller", "reports"]) {
            expect(
                childrenOf(r, name)
                    .map((c) => manifestOf(c)!.kind)
                    .sort(),
                name,
            ).to.deep.equal(expectedKinds(cfg, cfg.services[name]));
        }
        expect(objectOf(r, "reports", "Deployment").spec.replicas).to.equal(3);
        expect(objectOf(r, "poller", "Deployment").spec.replicas).to.equal(1);
    });
});

describe("AppService: Deployment, config and secrets", () => {
    before(renderAll);
    for (const stack of STACKS) {
        it(`${stack}: pinned image, RollingUpdate 1/0, revision history, replicas only without an HPA, stable selector`, () => {
            const cfg = configs[stack];
            const d = environmentDefaults(cfg.environment);
            for (const [name, svc] of Object.entries(cfg.services)) {
                const deployment = objectOf(rendered[stack], name, "Deployment");
                const autoscaled = svc.autoscaling.enabled ?? d.autoscalingEnabled;
                expect(deployment.spec.strategy).to.deep.equal({
                    type: "RollingUpdate",
                    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
                });
                expect(deployment.spec.revisionHistoryLimit).to.be.a("number").within(1, 10);
                if (autoscaled) expect(deployment.spec, name).to.not.have.property("replicas");
                else expect(deployment.spec.replicas).to.equal(svc.replicas ?? d.replicas);
                expect(Object.keys(deployment.spec.selector.matchLabels).sort()).to.deep.equal(STABLE);
                const container = deployment.spec.template.spec.containers[0];
                expect(container.image)
                    .to.equal(svc.image)
                    .and.not.match(/:latest$/);
                expect(container.ports).to.deep.equal(
                    svc.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })),
                );
            }
        });

        it(`${stack}: settings come from the ConfigMap whose checksum is on the pod template; credentials by Secret reference`, () => {
            const cfg = configs[stack];
            const appSecret = rendered[stack].resources.find((x) => x.name === "secrets-app-credentials")!;
            for (const [name, svc] of Object.entries(cfg.services)) {
                const configMap = objectOf(rendered[stack], name, "ConfigMap");
                // With tracing on, the OpenTelemetry SDK's settings are plain settings too.
                const settings = { ...(cfg.tracing.enabled ? tracingEnv(cfg, name) : {}), ...svc.env };
                expect(configMap.data).to.deep.equal(settings);
                const deployment = objectOf(rendered[stack], name, "Deployment");
                const sorted = JSON.stringify(
                    Object.keys(settings)
                        .sort()
                        .map((k) => [k, settings[k]]),
                );
                expect(deployment.spec.template.metadata.annotations["stackwright.io/config-checksum"]).to.equal(
                    crypto.createHash("sha256").update(sorted).digest("hex"),
                );
                const env: any[] = deployment.spec.template.spec.containers[0].env ?? [];
                for (const key of Object.keys(settings)) {
                    expect(
                        env.find((e) => e.name === key),
                        key,
                    ).to.deep.equal({
                        name: key,
                        valueFrom: { configMapKeyRef: { name: configMap.metadata.name, key } },
                    });
                }
                for (const [envName, credential] of Object.entries(svc.secretEnv)) {
                    expect(
                        env.find((e) => e.name === envName),
                        envName,
                    ).to.deep.equal({
                        name: envName,
                        valueFrom: {
                            secretKeyRef: { name: appSecret.state.metadata.name, key: APP_CREDENTIAL_KEYS[credential] },
                        },
                    });
                }
                expect(
                    env.filter((e) => e.value !== undefined),
                    `${name}: literal env values`,
                ).to.deep.equal([]);
            }
        });

        it(`${stack}: no generated secret value appears in any object of a service`, () => {
            const secrets = rendered[stack].generatedSecrets;
            expect(secrets.length).to.be.greaterThan(0);
            for (const name of Object.keys(configs[stack].services)) {
                for (const child of childrenOf(rendered[stack], name)) {
                    const text = JSON.stringify(child.inputs);
                    for (const secret of secrets)
                        expect(text.includes(secret), `${child.type} ${child.name}`).to.equal(false);
                }
            }
        });

        it(`${stack}: pods carry the rotation counters of exactly the credentials they use`, () => {
            for (const [name, svc] of Object.entries(configs[stack].services)) {
                const used = [
                    ...new Set([
                        ...Object.values(svc.secretEnv),
                        ...(svc.database ? [`db-${svc.database}`] : []),
                        ...(svc.redis ? ["redisPassword"] : []),
                    ]),
                ].sort();
                const annotation = objectOf(rendered[stack], name, "Deployment").spec.template.metadata.annotations[
                    "stackwright.io/credential-rotation"
                ];
                expect(annotation, name).to.equal(used.length > 0 ? used.map((id) => `${id}=0`).join(",") : undefined);
            }
        });

        it(`${stack}: probes per the product's timings on every service container`, () => {
            for (const name of Object.keys(configs[stack].services)) {
                const c = objectOf(rendered[stack], name, "Deployment").spec.template.spec.containers[0];
                expect(c.livenessProbe).to.include({
                    initialDelaySeconds: 30,
                    periodSeconds: 10,
                    timeoutSeconds: 5,
                    failureThreshold: 3,
                });
                expect(c.readinessProbe).to.include({
                    initialDelaySeconds: 5,
                    periodSeconds: 5,
                    timeoutSeconds: 3,
                    failureThreshold: 2,
                });
                expect(c.startupProbe).to.include({ periodSeconds: 10 });
                expect(c.startupProbe.failureThreshold).to.be.greaterThan(c.livenessProbe.failureThreshold);
            }
        });
    }

    it("dev: the backend's migration Job runs before the Deployment, with limits, deadline, TTL and the same env", () => {
        const job = objectOf(rendered.dev, "backend", "Job");
        const deploymentResource = childrenOf(rendered.dev, "backend").find(
            (c) => c.type === "kubernetes:apps/v1:Deployment",
        )!;
        const jobResource = childrenOf(rendered.dev, "backend").find((c) => c.type === "kubernetes:batch/v1:Job")!;
        expect(deploymentResource.dependencies).to.include(jobResource.urn);
        expect(job.spec).to.include({ backoffLimit: 2, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600 });
        const container = job.spec.template.spec.containers[0];
        expect(container.command).to.deep.equal(configs.dev.services.backend.migration!.command);
        expect(container.image).to.equal(configs.dev.services.backend.image);
        const deployment = objectOf(rendered.dev, "backend", "Deployment");
        expect(container.env).to.deep.equal(deployment.spec.template.spec.containers[0].env);
        // The migration pods must not be selected by the service (no traffic, not counted by its PDB).
        expect(job.spec.template.metadata.labels["app.kubernetes.io/name"]).to.not.equal("backend");
        const migrationPolicy = childrenOf(rendered.dev, "backend")
            .map(manifestOf)
            .find((o) => o?.kind === "NetworkPolicy" && o.metadata.name.startsWith("backend-migration"))!;
        expect(migrationPolicy.spec.podSelector.matchLabels).to.deep.equal({
            "app.kubernetes.io/name": "backend-migration",
            "app.kubernetes.io/instance": "backend-migration",
        });
        expect(jobResource.dependencies).to.include(
            childrenOf(rendered.dev, "backend").find(
                (c) => c.name === "backend-migration" && c.type.endsWith("NetworkPolicy"),
            )!.urn,
        );
    });
});

describe("AppService: the migration Job waits for its database", () => {
    before(renderAll);
    for (const stack of STACKS) {
        it(`${stack}: each migration Job depends on the CloudNativePG Cluster and its Database, both awaited by the engine`, () => {
            const cfg = configs[stack];
            const resources = rendered[stack].resources;
            const cnpg = (kind: string) =>
                resources.filter((r) => r.type === `kubernetes:postgresql.cnpg.io/v1:${kind}`);
            const [cluster] = cnpg("Cluster");
            // Without the annotation Pulumi treats a custom resource as ready once the API server accepted it.
            expect(cluster.inputs.metadata.annotations).to.deep.include({ "pulumi.com/waitFor": "condition=Ready" });
            const databaseObjects = new Map(cnpg("Database").map((d) => [d.inputs.spec.name, d]));
            for (const d of databaseObjects.values())
                expect(d.inputs.metadata.annotations).to.deep.include({
                    "pulumi.com/waitFor": "jsonpath={.status.applied}=true",
                });
            const migrating = Object.entries(cfg.services).filter(
                ([, svc]) => svc.migration && svc.database !== undefined,
            );
            expect(migrating.length, "the stack has a migration to check").to.be.greaterThan(0);
            for (const [name, svc] of migrating) {
                const job = childrenOf(rendered[stack], name).find((c) => c.type === "kubernetes:batch/v1:Job")!;
                expect(job.dependencies, `${name}: Cluster`).to.include(cluster.urn);
                // The bootstrap database comes with the Cluster; every other one is a Database object.
                const bootstrap = cluster.inputs.spec.bootstrap.initdb.database;
                if (svc.database !== bootstrap)
                    expect(job.dependencies, `${name}: Database ${svc.database}`).to.include(
                        databaseObjects.get(svc.database)!.urn,
                    );
            }
        });
    }

    it("a migration on a non-bootstrap database waits for that Database object too", async () => {
        const services = clone(readStackConfig("dev").services) as Record<string, any>;
        services.worker.migration = { command: ["./migrate"] };
        const r = await renderStack("dev", { overrides: { services } });
        const job = childrenOf(r, "worker").find((c) => c.type === "kubernetes:batch/v1:Job")!;
        const database = r.resources.find(
            (x) =>
                x.type === "kubernetes:postgresql.cnpg.io/v1:Database" &&
                x.inputs.spec.name === services.worker.database,
        )!;
        const cluster = r.resources.find((x) => x.type === "kubernetes:postgresql.cnpg.io/v1:Cluster")!;
        expect(job.dependencies).to.include.members([database.urn, cluster.urn]);
    });
});

describe("AppService: scaling, disruption, spreading, monitoring", () => {
    before(renderAll);
    for (const stack of STACKS) {
        it(`${stack}: HPA v2 on the metrics each service sets (CPU 70 % when none), and the behavior windows`, () => {
            const cfg = configs[stack];
            const d = environmentDefaults(cfg.environment);
            for (const [name, svc] of Object.entries(cfg.services)) {
                if (!(svc.autoscaling.enabled ?? d.autoscalingEnabled)) continue;
                const hpa = objectOf(rendered[stack], name, "HorizontalPodAutoscaler");
                expect(hpa.apiVersion).to.equal("autoscaling/v2");
                expect(hpa.spec.scaleTargetRef).to.deep.equal({
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    name: objectOf(rendered[stack], name, "Deployment").metadata.name,
                });
                expect(hpa.spec.minReplicas).to.equal(svc.autoscaling.minReplicas ?? d.minReplicas);
                expect(hpa.spec.maxReplicas).to.equal(svc.autoscaling.maxReplicas ?? d.maxReplicas);
                const targets = hpa.spec.metrics.map((m: any) =>
                    m.type === "Resource"
                        ? `${m.resource.name}=${m.resource.target.averageUtilization}%`
                        : `${m.pods.metric.name}=${m.pods.target.averageValue}`,
                );
                const as = svc.autoscaling;
                const noneSet =
                    as.cpuUtilizationPercent === undefined &&
                    as.memoryUtilizationPercent === undefined &&
                    as.requestsPerSecond === undefined;
                expect(targets).to.deep.equal([
                    ...(noneSet ? ["cpu=70%"] : []),
                    ...(as.cpuUtilizationPercent !== undefined ? [`cpu=${as.cpuUtilizationPercent}%`] : []),
                    ...(as.memoryUtilizationPercent !== undefined ? [`memory=${as.memoryUtilizationPercent}%`] : []),
                    ...(as.requestsPerSecond
                        ? [`${requestRateSource(svc, cfg.mesh.enabled)!.metric}=${as.requestsPerSecond}`]
                        : []),
                ]);
                expect(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds).to.equal(0);
                expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).to.equal(300);
            }
        });

        it(`${stack}: PDB for every service that can run more than one replica, allowing one eviction`, () => {
            for (const name of Object.keys(configs[stack].services)) {
                const pdb = childrenOf(rendered[stack], name)
                    .map(manifestOf)
                    .find((o) => o?.kind === "PodDisruptionBudget");
                if (!pdb) continue;
                expect(pdb.spec.maxUnavailable).to.equal(1);
                expect(pdb.spec.selector.matchLabels).to.deep.equal(
                    objectOf(rendered[stack], name, "Deployment").spec.selector.matchLabels,
                );
            }
        });

        it(`${stack}: spread across zones (${stack === "prod" ? "DoNotSchedule" : "ScheduleAnyway"}) and nodes (ScheduleAnyway)`, () => {
            const zones = environmentDefaults(configs[stack].environment).zoneSpreadRequired
                ? "DoNotSchedule"
                : "ScheduleAnyway";
            expect(zones).to.equal(stack === "prod" ? "DoNotSchedule" : "ScheduleAnyway");
            for (const name of Object.keys(configs[stack].services)) {
                const spread = objectOf(rendered[stack], name, "Deployment").spec.template.spec
                    .topologySpreadConstraints;
                expect(spread.map((c: any) => `${c.topologyKey}=${c.whenUnsatisfiable}`)).to.deep.equal([
                    `topology.kubernetes.io/zone=${zones}`,
                    "kubernetes.io/hostname=ScheduleAnyway",
                ]);
                for (const c of spread) expect(Object.keys(c.labelSelector.matchLabels).sort()).to.deep.equal(STABLE);
            }
        });

        it(`${stack}: a ServiceMonitor per metrics endpoint, 30 s, scheme per mesh`, () => {
            const cfg = configs[stack];
            for (const [name, svc] of Object.entries(cfg.services)) {
                if (!svc.metrics) continue;
                const monitor = objectOf(rendered[stack], name, "ServiceMonitor");
                expect(monitor.apiVersion).to.equal("monitoring.coreos.com/v1");
                expect(monitor.spec.endpoints[0]).to.include({
                    port: svc.metrics.port,
                    path: "/metrics",
                    interval: "30s",
                    scheme: cfg.mesh.enabled ? "https" : "http",
                });
                expect(monitor.spec.selector.matchLabels).to.deep.equal(
                    objectOf(rendered[stack], name, "Service").spec.selector,
                );
            }
        });

        it(`${stack}: recommended labels on every object, selectors on the stable subset only`, () => {
            for (const [name, svc] of Object.entries(configs[stack].services)) {
                for (const object of kubeObjects(childrenOf(rendered[stack], name))) {
                    const labels = object.metadata.labels ?? {};
                    expect(Object.keys(labels).sort(), `${name} ${object.kind}`).to.deep.equal([...RECOMMENDED].sort());
                    expect(labels["app.kubernetes.io/version"]).to.equal(imageVersion(svc.image));
                    const selector =
                        object.kind === "Service"
                            ? object.spec.selector
                            : object.kind === "NetworkPolicy"
                              ? object.spec.podSelector.matchLabels
                              : object.spec?.selector?.matchLabels;
                    if (selector)
                        expect(Object.keys(selector).sort(), `${name} ${object.kind} selector`).to.deep.equal(STABLE);
                    const template = object.spec?.template?.metadata?.labels;
                    if (template)
                        for (const key of RECOMMENDED)
                            expect(template, `${name} ${object.kind} pod labels`).to.have.property(key);
                }
            }
        });
    }

    it("monitoring off: no ServiceMonitor; mesh off: metrics scraped over plain HTTP", async () => {
        // Requests per second are served from Prometheus: without monitoring the backend scales on CPU only.
        const services = clone(readStackConfig("staging").services) as Record<string, any>;
        delete services.backend.autoscaling.requestsPerSecond;
        delete services.backend.metrics.requestsTotalMetric;
        const r = await renderStack("staging", { overrides: { monitoring: { enabled: false }, services } });
        expect(r.resources.filter((x) => x.type.includes("ServiceMonitor"))).to.deep.equal([]);
        expect(objectOf(rendered.dev, "backend", "ServiceMonitor").spec.endpoints[0].scheme).to.equal("http");
    });
});

// ---- Hardening over every workload -----------------------------------------------------------------------------

type Pod = Record<string, any>;
type Container = Record<string, any>;

const ALLOWED_VOLUMES = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

const POD_RULES: readonly [string, (pod: Pod, containers: Container[]) => boolean][] = [
    [
        "runAsNonRoot",
        (p, cs) =>
            p.securityContext?.runAsNonRoot === true || cs.every((c) => c.securityContext?.runAsNonRoot === true),
    ],
    [
        "non-zero runAsUser",
        (p, cs) =>
            cs.every((c) => {
                const uid = c.securityContext?.runAsUser ?? p.securityContext?.runAsUser;
                return typeof uid === "number" && uid > 0;
            }),
    ],
    [
        "non-zero runAsGroup",
        (p, cs) =>
            cs.every((c) => {
                const gid = c.securityContext?.runAsGroup ?? p.securityContext?.runAsGroup;
                return typeof gid === "number" && gid > 0;
            }),
    ],
    ["non-zero fsGroup", (p) => typeof p.securityContext?.fsGroup === "number" && p.securityContext.fsGroup > 0],
    [
        "seccomp RuntimeDefault",
        (p, cs) =>
            cs.every(
                (c) =>
                    (c.securityContext?.seccompProfile?.type ?? p.securityContext?.seccompProfile?.type) ===
                    "RuntimeDefault",
            ),
    ],
    ["no host namespaces", (p) => !p.hostNetwork && !p.hostPID && !p.hostIPC],
    [
        "restricted volume types",
        (p) =>
            (p.volumes ?? []).every((v: any) =>
                Object.keys(v)
                    .filter((k) => k !== "name")
                    .every((k) => ALLOWED_VOLUMES.includes(k)),
            ),
    ],
];

const CONTAINER_RULES: readonly [string, (c: Container, pod: Pod) => boolean][] = [
    ["allowPrivilegeEscalation false", (c) => c.securityContext?.allowPrivilegeEscalation === false],
    ["not privileged", (c) => c.securityContext?.privileged !== true],
    [
        "capabilities drop ALL, add none",
        (c) =>
            (c.securityContext?.capabilities?.drop ?? []).includes("ALL") &&
            (c.securityContext?.capabilities?.add ?? []).length === 0,
    ],
    ["readOnlyRootFilesystem", (c) => c.securityContext?.readOnlyRootFilesystem === true],
    [
        "/tmp is a writable emptyDir",
        (c, p) =>
            (c.volumeMounts ?? []).some(
                (m: any) =>
                    m.mountPath === "/tmp" && (p.volumes ?? []).some((v: any) => v.name === m.name && v.emptyDir),
            ),
    ],
    ...(["cpu", "memory", "ephemeral-storage"] as const).flatMap((r): [string, (c: Container) => boolean][] => [
        [`requests.${r}`, (c) => c.resources?.requests?.[r] !== undefined],
        [`limits.${r}`, (c) => c.resources?.limits?.[r] !== undefined],
    ]),
];

/** Every rule a pod template breaks, as "rule (where)". */
function hardeningProblems(pod: Pod, apiAccess: boolean, writablePaths: readonly string[]): string[] {
    const containers: Container[] = [
        ...(pod.initContainers ?? []),
        ...(pod.containers ?? []),
        ...(pod.ephemeralContainers ?? []),
    ];
    const problems = POD_RULES.filter(([, ok]) => !ok(pod, containers)).map(([rule]) => rule);
    for (const c of containers)
        problems.push(
            ...CONTAINER_RULES.filter(([, ok]) => !ok(c, pod)).map(([rule]) => `${rule} (container ${c.name})`),
        );
    if (pod.automountServiceAccountToken !== apiAccess)
        problems.push(
            `automountServiceAccountToken ${String(pod.automountServiceAccountToken)} (expected ${apiAccess})`,
        );
    for (const path of writablePaths) {
        for (const c of containers)
            if (!(c.volumeMounts ?? []).some((m: any) => m.mountPath === path))
                problems.push(`writable path ${path} not mounted (container ${c.name})`);
    }
    return problems;
}

describe("AppService: every pod template in the stack is hardened", () => {
    before(renderAll);
    it("the rules catch a bad pod (the check can fail)", () => {
        const pod = {
            securityContext: { runAsUser: 0 },
            hostNetwork: true,
            volumes: [{ name: "h", hostPath: { path: "/" } }],
            containers: [{ name: "x", securityContext: { privileged: true } }],
        };
        const problems = hardeningProblems(pod, false, ["/data"]);
        for (const rule of [
            "runAsNonRoot",
            "non-zero runAsUser",
            "no host namespaces",
            "restricted volume types",
            "not privileged (container x)",
            "limits.ephemeral-storage (container x)",
            "automountServiceAccountToken undefined (expected false)",
            "writable path /data not mounted (container x)",
        ]) {
            expect(problems).to.include(rule);
        }
    });

    for (const stack of STACKS) {
        it(`${stack}: all workloads (services, migration Jobs and every other component's) pass`, () => {
            const cfg = configs[stack];
            const serviceUrns = new Map(serviceComponents(rendered[stack]).map((c) => [c.urn, c.name]));
            const ownerService = (r: RecordedResource) => (r.parent ? serviceUrns.get(r.parent) : undefined);
            const failures: string[] = [];
            let checked = 0;
            for (const resource of rendered[stack].resources) {
                const object = manifestOf(resource);
                const pod = object && podSpecOf(object);
                if (!object || !pod) continue;
                checked += 1;
                const service = ownerService(resource);
                const svc = service ? cfg.services[service] : undefined;
                const isServicePod = svc !== undefined && object.kind === "Deployment";
                const problems = hardeningProblems(
                    pod,
                    isServicePod ? svc.kubernetesApiAccess : false,
                    svc ? svc.writablePaths : [],
                );
                const owner = service
                    ? `service ${service}`
                    : `component ${resource.parent?.split("::").pop() ?? "(root)"}`;
                if (problems.length > 0)
                    failures.push(
                        `${object.kind} ${object.metadata.namespace}/${object.metadata.name} [${owner}]: ${problems.join("; ")}`,
                    );
            }
            const expectedServiceWorkloads = Object.values(cfg.services).reduce(
                (n, s) => n + 1 + (s.migration ? 1 : 0),
                0,
            );
            expect(checked).to.be.at.least(expectedServiceWorkloads);
            expect(failures, `workloads breaking the hardening rules:\n${failures.join("\n")}`).to.deep.equal([]);
        });
    }

    it("a service that asks for API access gets its token mounted, no other does", async () => {
        const services = clone(readStackConfig("dev").services) as Record<string, any>;
        services.worker.kubernetesApiAccess = true;
        const r = await renderStack("dev", { overrides: { services } });
        expect(objectOf(r, "worker", "Deployment").spec.template.spec.automountServiceAccountToken).to.equal(true);
        expect(objectOf(r, "worker", "ServiceAccount").automountServiceAccountToken).to.equal(true);
        expect(objectOf(r, "backend", "Deployment").spec.template.spec.automountServiceAccountToken).to.equal(false);
        expect(objectOf(r, "backend", "Job").spec.template.spec.automountServiceAccountToken).to.equal(false);
    });
});

// ---- Reachability ----------------------------------------------------------------------------------------------

const UNLISTED_PORT: EndpointPort = { port: 65000 };
const SIDECAR_PORTS: EndpointPort[] = [
    { port: 15090, name: "http-envoy-prom" },
    { port: 15020 },
    { port: 15021 },
    { port: 15001 },
    { port: 15006 },
];

function peerEndpoint(id: string, peer: PeerSelector, ports: EndpointPort[]): Endpoint {
    return { id, namespace: peer.namespace, podLabels: peer.podLabels, ports };
}

/** Pods of the application namespace (from the rendered workloads) and everything around them. */
function endpointsOf(cfg: StackConfig, r: RenderedStack): Endpoint[] {
    const apps = cfg.namespaces.apps;
    const endpoints: Endpoint[] = [];
    for (const object of kubeObjects(r.resources)) {
        if (object.metadata.namespace !== apps || !["Deployment", "Job"].includes(object.kind)) continue;
        const labels = object.spec.template.metadata.labels;
        const ports: EndpointPort[] = object.spec.template.spec.containers.flatMap((c: any) =>
            (c.ports ?? []).map((p: any) => ({ port: p.containerPort, protocol: p.protocol, name: p.name })),
        );
        const meshed = cfg.mesh.enabled && labels["sidecar.istio.io/inject"] !== "false";
        endpoints.push({
            id: `${object.kind === "Job" ? "job" : "svc"}:${labels["app.kubernetes.io/name"]}`,
            namespace: apps,
            podLabels: labels,
            ports: [...ports, UNLISTED_PORT, ...(meshed ? SIDECAR_PORTS : [])],
        });
    }
    endpoints.push(
        { id: "stranger-in-apps", namespace: apps, podLabels: { app: "stranger" }, ports: [{ port: 8080 }] },
        {
            id: "stranger-elsewhere",
            namespace: "elsewhere",
            podLabels: { "app.kubernetes.io/name": "backend", "app.kubernetes.io/instance": "backend" },
            ports: [{ port: 8080 }],
        },
        peerEndpoint("edge", edgeDataPlane(cfg), [{ port: 80 }, { port: 443 }]),
        peerEndpoint("prometheus", prometheusPods(cfg), [{ port: 9090 }]),
        peerEndpoint("postgres", postgresPods(cfg), [{ port: 5432 }, { port: 8000 }]),
        peerEndpoint("pooler", postgresPoolerPods(cfg), [{ port: 5432 }]),
        peerEndpoint("redis", redisPods(cfg), [{ port: 6379 }, { port: 9121 }]),
        peerEndpoint("sentinel", redisSentinelPods(cfg), [{ port: 26379 }]),
        {
            id: "dns",
            namespace: "kube-system",
            podLabels: { "k8s-app": "kube-dns" },
            ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }, { port: 9153 }],
        },
        peerEndpoint("istiod", istiodPods(cfg), [{ port: 15010 }, { port: 15012 }, { port: 15014 }, { port: 15017 }]),
        { id: "internet", ip: "203.0.113.10", ports: [{ port: 443 }, { port: 80 }] },
    );
    return endpoints;
}

/** The declared call graph plus DNS, edge, monitoring, data stores and the mesh control plane; from config only. */
function expectedConnections(cfg: StackConfig, endpoints: readonly Endpoint[]): string[] {
    const expected: string[] = [];
    const add = (from: string, to: string, port: number, protocol: "TCP" | "UDP" = "TCP") =>
        expected.push(connectionKey(from, to, { port, protocol }));
    for (const e of endpoints.filter((x) => x.namespace === cfg.namespaces.apps)) {
        add(e.id, "dns", 53, "UDP");
        add(e.id, "dns", 53, "TCP");
    }
    const postgres = (from: string) => {
        add(from, "postgres", 5432);
        if (cfg.postgres.pooler.enabled) add(from, "pooler", 5432);
    };
    for (const [name, svc] of Object.entries(cfg.services)) {
        const id = `svc:${name}`;
        for (const callee of svc.calls)
            for (const p of cfg.services[callee].ports) add(id, `svc:${callee}`, p.containerPort, p.protocol);
        if (svc.database && cfg.postgres.enabled) postgres(id);
        if (svc.migration) {
            // The migration pod is meshed like the service's own pods: its sidecar needs istiod and is scraped.
            const job = `job:${name}-migration`;
            postgres(job);
            if (cfg.mesh.enabled) add(job, "istiod", 15012);
            if (cfg.mesh.enabled && cfg.monitoring.enabled) add("prometheus", job, 15090);
        }
        if (svc.redis && cfg.redis.enabled) {
            add(id, "redis", 6379);
            if (cfg.redis.mode === "sentinel") add(id, "sentinel", 26379);
        }
        if (cfg.mesh.enabled) add(id, "istiod", 15012);
        if (cfg.edge.enabled) {
            for (const route of svc.routes)
                add(
                    "edge",
                    id,
                    svc.ports.find((p) => route.port === undefined || p.name === route.port)!.containerPort,
                );
        }
        if (cfg.monitoring.enabled && svc.metrics)
            add("prometheus", id, svc.ports.find((p) => p.name === svc.metrics!.port)!.containerPort);
        if (cfg.monitoring.enabled && cfg.mesh.enabled) add("prometheus", id, 15090);
    }
    return [...new Set(expected)].sort();
}

describe("AppService: reachability from the rendered NetworkPolicies", () => {
    before(renderAll);
    for (const stack of STACKS) {
        it(`${stack}: allowed connections touching the apps namespace equal the declared call graph + DNS, edge, monitoring, data stores${stack === "dev" ? "" : ", istiod"}`, () => {
            const cfg = configs[stack];
            const endpoints = endpointsOf(cfg, rendered[stack]);
            const apps = new Set(endpoints.filter((e) => e.namespace === cfg.namespaces.apps).map((e) => e.id));
            const appPolicies = kubeObjects(rendered[stack].resources).filter(
                (o) => o.kind === "NetworkPolicy" && o.metadata.namespace === cfg.namespaces.apps,
            );
            expect(appPolicies.length).to.be.greaterThan(Object.keys(cfg.services).length);
            const touchesApps = (c: string) => {
                const [from, to] = c.split(" -> ");
                return apps.has(from) || apps.has(to.slice(0, to.lastIndexOf(":")));
            };
            // Policies of the apps namespace only: the far ends (data, edge, monitoring) are judged by their owners.
            const actual = allowedConnections(appPolicies, endpoints).filter(touchesApps);
            const expected = expectedConnections(cfg, endpoints);
            expect(
                actual.filter((c) => !expected.includes(c)),
                "allowed but not declared",
            ).to.deep.equal([]);
            expect(
                expected.filter((c) => !actual.includes(c)),
                "declared but not allowed",
            ).to.deep.equal([]);
            // Each side on its own is as tight: the destination's ingress rules admit only declared sources and
            // ports, the source's egress rules reach only declared destinations.
            const intoApps = (c: string) => {
                const to = c.split(" -> ")[1];
                return apps.has(to.slice(0, to.lastIndexOf(":")));
            };
            const fromApps = (c: string) => apps.has(c.split(" -> ")[0]);
            expect(
                allowedConnections(appPolicies, endpoints, "ingress").filter(intoApps),
                "ingress side",
            ).to.deep.equal(expected.filter(intoApps));
            expect(allowedConnections(appPolicies, endpoints, "egress").filter(fromApps), "egress side").to.deep.equal(
                expected.filter(fromApps),
            );
            // Policies elsewhere in the stack can only take away, never add.
            const all = kubeObjects(rendered[stack].resources).filter((o) => o.kind === "NetworkPolicy");
            expect(
                allowedConnections(all, endpoints)
                    .filter(touchesApps)
                    .filter((c) => !expected.includes(c)),
            ).to.deep.equal([]);
        });
    }

    it("a new call edge opens exactly that edge (both policies agree)", async () => {
        const services = clone(readStackConfig("dev").services) as Record<string, any>;
        services.backend.calls = ["worker"];
        const r = await renderStack("dev", { overrides: { services } });
        const cfg = parseConfig({ ...readStackConfig("dev"), services });
        const endpoints = endpointsOf(cfg, r);
        const policies = kubeObjects(r.resources).filter(
            (o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "apps",
        );
        const before = allowedConnections(
            kubeObjects(rendered.dev.resources).filter(
                (o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "apps",
            ),
            endpointsOf(configs.dev, rendered.dev),
        );
        const after = allowedConnections(policies, endpoints);
        expect(after.filter((c) => !before.includes(c))).to.deep.equal(["svc:backend -> svc:worker:9898/TCP"]);
        expect(before.filter((c) => !after.includes(c))).to.deep.equal([]);
    });
});

describe("AppService: config files", () => {
    it("mounts each file read-only at its path from the service's own ConfigMap, in the pods and the migration, with a checksum that rolls them", async () => {
        const services = clone(readStackConfig("dev").services) as Record<string, any>;
        const inline = "listen: 9898\n";
        services.backend.files = [
            { path: "/etc/app/server.yaml", content: inline },
            { path: "/etc/app/features.yaml", source: "test/fixtures/app-config.yaml" },
        ];
        const r = await renderStack("dev", { overrides: { services } });
        const configMaps = childrenOf(r, "backend")
            .map(manifestOf)
            .filter((o) => o?.kind === "ConfigMap");
        const filesMap = configMaps.find((o) => o!.data?.["etc__app__server.yaml"] !== undefined)!;
        expect(filesMap.data).to.deep.equal({
            "etc__app__server.yaml": inline,
            "etc__app__features.yaml": fs.readFileSync(path.join(REPO_ROOT, "test/fixtures/app-config.yaml"), "utf8"),
        });
        for (const kind of ["Deployment", "Job"]) {
            const workload = objectOf(r, "backend", kind);
            const pod = podSpecOf(workload)!;
            const volume = pod.volumes.find((v: any) => v.configMap?.name === filesMap.metadata.name);
            expect(volume, kind).to.not.equal(undefined);
            const mounts = pod.containers[0].volumeMounts.filter((m: any) => m.name === volume.name);
            expect(mounts, kind).to.deep.equal([
                {
                    name: volume.name,
                    mountPath: "/etc/app/server.yaml",
                    subPath: "etc__app__server.yaml",
                    readOnly: true,
                },
                {
                    name: volume.name,
                    mountPath: "/etc/app/features.yaml",
                    subPath: "etc__app__features.yaml",
                    readOnly: true,
                },
            ]);
            expect(workload.spec.template.metadata.annotations[FILES_CHECKSUM_ANNOTATION], kind).to.equal(
                checksum(filesMap.data),
            );
        }
        // Other services get no files and no checksum.
        expect(objectOf(r, "frontend", "Deployment").spec.template.metadata.annotations).to.not.have.property(
            FILES_CHECKSUM_ANNOTATION,
        );

        // A changed file changes the checksum: the pods roll.
        services.backend.files[0].content = "listen: 8080\n";
        const changed = await renderStack("dev", { overrides: { services } });
        expect(
            objectOf(changed, "backend", "Deployment").spec.template.metadata.annotations[FILES_CHECKSUM_ANNOTATION],
        ).to.not.equal(
            objectOf(r, "backend", "Deployment").spec.template.metadata.annotations[FILES_CHECKSUM_ANNOTATION],
        );
    });
});

describe("AppService: a Service port apart from the container port", () => {
    it("callers and routes use the Service port (80); pods, probes, monitors, NetworkPolicies and mesh rules keep the container port", async () => {
        const services = clone(readStackConfig("staging").services) as Record<string, any>;
        services.backend.ports = [
            { name: "http", containerPort: 9898, servicePort: 80 },
            { name: "grpc", containerPort: 9999, servicePort: 9090 },
        ];
        const r = await renderStack("staging", { overrides: { services } });
        const objects = kubeObjects(r.resources);
        const service = objectOf(r, "backend", "Service");
        expect(service.spec.ports).to.deep.equal([
            { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
            { name: "grpc", port: 9090, targetPort: "grpc", protocol: "TCP" },
        ]);
        const pod = podSpecOf(objectOf(r, "backend", "Deployment"))!;
        const app = pod.containers.find((c: { name: string }) => c.name === "backend")!;
        expect(app.ports.map((p: { containerPort: number }) => p.containerPort)).to.deep.equal([9898, 9999]);
        expect(app.readinessProbe.httpGet.port).to.equal("http");
        expect(objectOf(r, "backend", "ServiceMonitor").spec.endpoints[0].port).to.equal("http");
        const backendRefs = objects
            .filter((o) => o.kind === "HTTPRoute")
            .flatMap((o) => o.spec.rules.flatMap((rule: any) => rule.backendRefs ?? []))
            .filter((b: any) => b.name === "backend");
        expect(backendRefs.length).to.be.greaterThan(0);
        expect([...new Set(backendRefs.map((b: any) => b.port))]).to.deep.equal([80]);
        const ingressPorts = objects
            .filter((o) => o.kind === "NetworkPolicy" && o.metadata.namespace === "apps")
            .filter((o) => o.spec.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "backend")
            .flatMap((o) => (o.spec.ingress ?? []).flatMap((rule: any) => rule.ports ?? []))
            .map((p: any) => p.port);
        expect(ingressPorts).to.include(9898);
        expect(ingressPorts).to.not.include(80);
        const meshPorts = objects
            .filter((o) => o.kind === "AuthorizationPolicy")
            .filter((o) => o.spec.selector?.matchLabels?.["app.kubernetes.io/name"] === "backend")
            .flatMap((o) => (o.spec.rules ?? []).flatMap((rule: any) => rule.to ?? []))
            .flatMap((to: any) => to.operation?.ports ?? []);
        expect(meshPorts).to.include("9898");
        expect(meshPorts).to.not.include("80");
    });
});

// ---- Blast radius ----------------------------------------------------------------------------------------------

function changedResources(a: RenderedStack, b: RenderedStack): RecordedResource[] {
    const before = new Map(a.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const after = new Map(b.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
    const urns = new Set([...before.keys(), ...after.keys()]);
    return [...urns]
        .filter((u) => before.get(u) !== after.get(u))
        .map((u) => b.resources.find((r) => r.urn === u) ?? a.resources.find((r) => r.urn === u)!);
}

describe("AppService: blast radius", () => {
    before(renderAll);
    it("changing one service's env value changes only that service's ConfigMap and pod templates (checksum)", async () => {
        const services = clone(readStackConfig("dev").services) as Record<string, any>;
        services.frontend.env.PODINFO_UI_MESSAGE = "changed";
        const r = await renderStack("dev", { overrides: { services } });
        const changed = changedResources(rendered.dev, r);
        expect(changed.map((c) => `${manifestOf(c)?.kind}:${c.name}`).sort()).to.deep.equal([
            "ConfigMap:frontend-settings",
            "Deployment:frontend",
        ]);
        const before = objectOf(rendered.dev, "frontend", "Deployment").spec.template.metadata.annotations[
            "stackwright.io/config-checksum"
        ];
        expect(
            objectOf(r, "frontend", "Deployment").spec.template.metadata.annotations["stackwright.io/config-checksum"],
        ).to.not.equal(before);
    });

    it("a new image of the backend changes only the backend's objects (selectors stay stable)", async () => {
        const services = clone(readStackConfig("dev").services) as Record<string, any>;
        services.backend.image = "ghcr.io/stefanprodan/podinfo:6.9.3";
        const r = await renderStack("dev", { overrides: { services } });
        const backend = new Set(childrenOf(r, "backend").map((c) => c.urn));
        const changed = changedResources(rendered.dev, r);
        expect(changed.length).to.be.greaterThan(0);
        expect(changed.filter((c) => !backend.has(c.urn)).map((c) => c.name)).to.deep.equal([]);
        expect(objectOf(r, "backend", "Deployment").spec.selector).to.deep.equal(
            objectOf(rendered.dev, "backend", "Deployment").spec.selector,
        );
    });

    it("rotating a credential rolls exactly its consumers", async () => {
        const r = await renderStack("dev", { overrides: { secrets: { rotation: { "db-jobs": 1 } } } });
        const secretsComponent = r.resources.find((x) => x.type === GeneratedSecrets.TYPE)!;
        const inSecrets = new Set(descendantsOf(r.resources, secretsComponent.urn).map((c) => c.urn));
        // Besides the generator and the Secrets that carry the value, only the pods of its one consumer roll.
        const changed = changedResources(rendered.dev, r).filter(
            (c) => !inSecrets.has(c.urn) && manifestOf(c)?.kind !== "Secret",
        );
        expect(changed.map((c) => `${manifestOf(c)?.kind}:${c.name}`).sort()).to.deep.equal(["Deployment:worker"]);
        expect(
            objectOf(r, "worker", "Deployment").spec.template.metadata.annotations[
                "stackwright.io/credential-rotation"
            ],
        ).to.equal("db-jobs=1,redisPassword=0");
    });
});

// ---- Bad input -------------------------------------------------------------------------------------------------

const BAD_INPUT: { title: string; mutate: (s: Record<string, any>) => void; message: string }[] = [
    {
        title: "unknown dependency",
        mutate: (s) => {
            s.frontend.calls = ["billing"];
        },
        message:
            'stackwright:services.frontend.calls[0]: "billing" is not a configured service (allowed: frontend, backend, worker)',
    },
    {
        title: "duplicate port",
        mutate: (s) => {
            s.backend.ports.push({ name: "admin", containerPort: 9898 });
        },
        message: "stackwright:services.backend.ports[1].containerPort: duplicate container port 9898",
    },
    {
        title: "duplicate port name",
        mutate: (s) => {
            s.backend.ports.push({ name: "http", containerPort: 9899 });
        },
        message: 'stackwright:services.backend.ports[1].name: duplicate port name "http"',
    },
    {
        title: "invalid image reference",
        mutate: (s) => {
            s.backend.image = "Acme/API:1.0";
        },
        message: 'stackwright:services.backend.image: "Acme/API:1.0" is not a valid image reference',
    },
    {
        title: "latest tag",
        mutate: (s) => {
            s.backend.image = "ghcr.io/stefanprodan/podinfo:latest";
        },
        message: 'uses the "latest" tag: pin a version tag or digest',
    },
    {
        title: "untagged image",
        mutate: (s) => {
            s.worker.image = "ghcr.io/stefanprodan/podinfo";
        },
        message: 'stackwright:services.worker.image: "ghcr.io/stefanprodan/podinfo" has no tag',
    },
    {
        title: "probe on an unexposed port",
        mutate: (s) => {
            s.backend.probes.readiness.port = "admin";
        },
        message:
            'stackwright:services.backend.probes.readiness.port: readiness probe uses port "admin", which the container does not expose (allowed: http)',
    },
    {
        title: "min > max",
        mutate: (s) => {
            s.backend.autoscaling = { enabled: true, minReplicas: 5, maxReplicas: 2 };
        },
        message: "stackwright:services.backend.autoscaling.minReplicas: minReplicas (5) must be <= maxReplicas (2)",
    },
    {
        title: "min above the environment's default max",
        mutate: (s) => {
            s.worker.autoscaling = { enabled: true, minReplicas: 5 };
        },
        message:
            "stackwright:services.worker.autoscaling.minReplicas: minReplicas (5) must be <= maxReplicas (2, the environment default)",
    },
    {
        title: "requests > limits",
        mutate: (s) => {
            s.backend.resources.requests.cpu = "1";
        },
        message: 'stackwright:services.backend.resources.requests.cpu: request "1" exceeds limit "500m"',
    },
    {
        title: "env var set twice",
        mutate: (s) => {
            s.backend.env.PGHOST = "db.example.com";
        },
        message:
            'stackwright:services.backend.env.PGHOST: env var "PGHOST" is set by both the database connection Secret and env',
    },
];

describe("AppService: bad input is rejected before anything is registered", () => {
    before(renderAll);
    for (const c of BAD_INPUT) {
        it(c.title, async () => {
            const services = clone(readStackConfig("dev").services) as Record<string, any>;
            c.mutate(services);
            let error: any;
            try {
                await renderStack("dev", { overrides: { services } });
            } catch (e) {
                error = e;
            }
            expect(error, "render should fail").to.be.instanceOf(Error);
            expect(error.message).to.include(c.message);
            expect(error.recorded).to.deep.equal([]);
        });
    }
});

// ---- Schemas ---------------------------------------------------------------------------------------------------

describe("AppService: schemas", () => {
    before(renderAll);
    for (const stack of STACKS) {
        it(`${stack}: every object of every service passes strict upstream schema validation`, async () => {
            const objects = Object.keys(configs[stack].services).flatMap((name) =>
                kubeObjects(childrenOf(rendered[stack], name)),
            );
            expect(objects.some((o) => o.kind === "ServiceMonitor")).to.equal(true);
            const violations = await validateAgainstSchemas(objects as any);
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
        });
    }
});

// ---- The component on its own, under mocks with hand-made args (stand-ins for the resources it waits for) ---------

describe("AppService: data-store Secrets, monitoring CRDs, Job replacement (component under mocks)", () => {
    before(renderAll);
    it("injects database and Redis env exactly per DATABASE_SECRET_ENV / REDIS_SECRET_ENV; the ServiceMonitor waits for the CRDs", async () => {
        const cfg = parseConfig({ ...readStackConfig("staging") });
        const resources = await renderUnderMocks(() => {
            const crds = new k8s.core.v1.ConfigMap("monitoring-crds-stand-in", {
                metadata: { namespace: "monitoring" },
            });
            const database = new k8s.core.v1.ConfigMap("database-stand-in", { metadata: { namespace: "data" } });
            new AppService("backend", {
                namespace: "apps",
                service: cfg.services.backend,
                defaults: environmentDefaults(cfg.environment),
                traffic: serviceTraffic(cfg, "backend", callersOf(cfg).backend),
                meshEnabled: true,
                monitoring: {
                    prometheusPods: { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } },
                    dependsOn: [crds],
                },
                appCredentialsSecretName: "app-credentials",
                credentialRotation: { jwtSecret: 4 },
                secretValuesDigestKey: "digest-key",
                databaseSecretName: "db-app-connection",
                redisSecretName: "redis-client",
                migrationDependsOn: [database],
            });
        });
        const find = (type: string) => resources.filter((r) => r.type === type);
        const [deployment] = find("kubernetes:apps/v1:Deployment");
        const [job] = find("kubernetes:batch/v1:Job");
        for (const workload of [deployment, job]) {
            const env: any[] = workload.inputs.spec.template.spec.containers[0].env;
            for (const [name, key] of Object.entries(DATABASE_SECRET_ENV))
                expect(env.find((e) => e.name === name)?.valueFrom, name).to.deep.equal({
                    secretKeyRef: { name: "db-app-connection", key },
                });
            for (const [name, key] of Object.entries(REDIS_SECRET_ENV))
                expect(env.find((e) => e.name === name)?.valueFrom, name).to.deep.equal({
                    secretKeyRef: { name: "redis-client", key },
                });
            expect(workload.inputs.spec.template.metadata.annotations["stackwright.io/credential-rotation"]).to.equal(
                "apiKey=0,db-app=0,encryptionKey=0,jwtSecret=4,redisPassword=0",
            );
        }
        const [monitor] = find("kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
        const crds = resources.find((r) => r.name === "monitoring-crds-stand-in")!;
        expect(monitor.dependencies).to.include(crds.urn);
        expect(job.replaceOnChanges).to.deep.equal(["spec"]);
        expect(job.inputs.metadata.name, "auto-named so a replacement gets a new name").to.equal(undefined);
        expect(deployment.dependencies).to.include(job.urn);
        expect(job.dependencies).to.include(resources.find((r) => r.name === "database-stand-in")!.urn);
    });
});

describe("AppService: values supplied as config secrets (secretValues, component under mocks)", () => {
    const build = async (values: Record<string, string>) => {
        const cfg = parseConfig(readStackConfig("dev"));
        const service: ServiceConfig = { ...cfg.services.backend, secretValues: values };
        return renderUnderMocks(() => {
            new AppService("backend", {
                namespace: "apps",
                service,
                defaults: environmentDefaults(cfg.environment),
                traffic: serviceTraffic(cfg, "backend", callersOf(cfg).backend),
                meshEnabled: false,
                appCredentialsSecretName: "app-credentials",
                credentialRotation: {},
                secretValuesDigestKey: "generated-digest-key",
            });
        });
    };
    const VALUE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";

    it("delivers each value from the service's own Secret by reference; no value in any other object", async () => {
        const resources = await build({ STRIPE_API_KEY: VALUE });
        const secret = resources.find((r) => r.type === "kubernetes:core/v1:Secret")!;
        // Registered as a Pulumi secret (encrypted in the state), not as plain input.
        expect(secret.inputs.stringData).to.deep.equal({
            [specialSigKey]: specialSecretSig,
            value: { STRIPE_API_KEY: VALUE },
        });
        expect(secret.inputs.metadata.namespace).to.equal("apps");
        const deployment = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        const env: any[] = deployment.inputs.spec.template.spec.containers[0].env;
        expect(env.find((e) => e.name === "STRIPE_API_KEY")?.valueFrom).to.deep.equal({
            secretKeyRef: { name: secret.objectName, key: "STRIPE_API_KEY" },
        });
        const elsewhere = resources.filter((r) => r !== secret && JSON.stringify(r.inputs).includes(VALUE));
        expect(elsewhere.map((r) => `${r.type} ${r.name}`)).to.deep.equal([]);
    });

    it("a changed value rolls the pods: the pod template carries a keyed digest (HMAC) of the values, never the values", async () => {
        const digestOf = async (value: string) => {
            const resources = await build({ STRIPE_API_KEY: value });
            const d = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
            return d.inputs.spec.template.metadata.annotations[SECRET_VALUES_ANNOTATION] as string;
        };
        const first = await digestOf(VALUE);
        expect(first).to.equal(keyedDigest("generated-digest-key", { STRIPE_API_KEY: VALUE }));
        expect(first).to.not.equal(
            crypto
                .createHash("sha256")
                .update(JSON.stringify([["STRIPE_API_KEY", VALUE]]))
                .digest("hex"),
        );
        expect(await digestOf(`${VALUE}x`)).to.not.equal(first);
    });

    it("no values, no Secret and no digest", async () => {
        const resources = await build({});
        expect(resources.filter((r) => r.type === "kubernetes:core/v1:Secret")).to.deep.equal([]);
        const d = resources.find((r) => r.type === "kubernetes:apps/v1:Deployment")!;
        expect(d.inputs.spec.template.metadata.annotations ?? {}).to.not.have.property(SECRET_VALUES_ANNOTATION);
    });
});
