/**
 * PostgreSQL (CloudNativePG): pure spec builders, the rendered stacks (operator chart, Cluster, Databases, roles,
 * Secrets, Pooler, monitors, NetworkPolicies) and the rendered server parameters against a real `postgres`.
 */
import { requireTools, serverUserIds, TOOL_TIMEOUT_MS } from "./lib/tools";
import { expect } from "chai";
import { postRendererArgs } from "../lib/helm";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig, StackConfig } from "../config";
import { databaseRoles } from "../lib/postgres/roles";
import { resolveResources } from "../lib/defaults";
import { OPERATOR_RESOURCES, operatorReplicaDefault, postgresResourceDefaults } from "../lib/postgres/defaults";
import { postgresClientPeers } from "../lib/postgres/plan";
import {
    clusterSpec,
    connectionUri,
    instanceSelector,
    instancesNetworkPolicySpec,
    objectStoreSpec,
    primaryEndpoint,
    scheduledBackupSpec,
} from "../lib/postgres/specs";
import { BARMAN_PLUGIN_DROPPED_KINDS, operatorChartValues } from "../lib/postgres/values";
import { operatorNetworkPolicySpec, operatorPdbSpec } from "../lib/postgres/operator-policies";
import { DATABASE_READ_ONLY_ENV, DATABASE_SECRET_ENV } from "../lib/topology";
import {
    byName,
    descendantsOf,
    kubeObjects,
    manifestOf,
    ofKind,
    podSpecOf,
    readStackConfig,
    RecordedResource,
    RenderedStack,
    renderStack,
    REPO_ROOT,
    STACKS,
    StackName,
} from "./lib/harness";
import {
    allowedConnections,
    Endpoint,
    isAllowed,
    matchesSelector,
    NetworkPolicyObject,
    podEndpoint,
} from "./lib/netpol";
import { freePorts } from "./lib/ports";
import { validateAgainstSchemas } from "./lib/schemas";
import { MonitoringCrds } from "../components/monitoring-crds";
import { Postgres } from "../components/postgres";
import { helmChartReference } from "../lib/chart-source";
import * as pulumi from "@pulumi/pulumi";
import { postgresPlan } from "../lib/postgres/plan";
import { renderUnderMocks } from "./lib/mock-component";

const CNPG_TYPES = ["Cluster", "Database", "Pooler", "ScheduledBackup"].map(
    (k) => `kubernetes:postgresql.cnpg.io/v1:${k}`,
);
const OBJECT_STORE = {
    destinationPath: "s3://stackwright-backups/postgres",
    endpointUrl: "https://s3.eu-central-1.example.com",
    accessKeyId: "AKIAEXAMPLEKEY000001",
    secretAccessKey: "example-secret-access-key-that-must-stay-secret",
    region: "eu-central-1",
};

/**
 * Labels the cloudnative-pg chart 0.29.0 puts on the operator pods (independent of lib/postgres, so a drifting
 * constant there fails here). Source, cloudnative-pg/charts at tag cloudnative-pg-v0.29.0:
 * templates/deployment.yaml, pod template `labels: {{- include "cloudnative-pg.selectorLabels" . }}` (+ empty
 * `podLabels`); templates/_helpers.tpl `cloudnative-pg.selectorLabels` = `app.kubernetes.io/name: {{ include
 * "cloudnative-pg.name" . }}` (chart name, no nameOverride) and `app.kubernetes.io/instance: {{ .Release.Name }}`
 * (release "cnpg", set by components/postgres.ts).
 */
const CHART_OPERATOR_POD_LABELS = { "app.kubernetes.io/name": "cloudnative-pg", "app.kubernetes.io/instance": "cnpg" };
/** plugin-barman-cloud chart 0.7.0 "plugin-barman-cloud.selectorLabels" for release "plugin-barman-cloud". */
const CHART_BARMAN_PLUGIN_POD_LABELS = {
    "app.kubernetes.io/name": "plugin-barman-cloud",
    "app.kubernetes.io/instance": "plugin-barman-cloud",
};

/** Probes for the operator's NetworkPolicy: who may reach the operator, and where the operator may go. */
const operatorProbes = (operatorNamespace: string): Endpoint[] => [
    podEndpoint("operator", operatorNamespace, CHART_OPERATOR_POD_LABELS, [9443, 8080, 22]),
    {
        id: "api-server",
        ip: "203.0.113.10",
        ports: [443, 6443, 80].map((port) => ({ port, protocol: "TCP" as const })),
    },
    podEndpoint("prometheus", "monitoring", { "app.kubernetes.io/name": "prometheus" }),
    podEndpoint("apps-pod", "apps", { "app.kubernetes.io/name": "backend" }, [8080, 443]),
    podEndpoint(
        "instance",
        "data",
        { "cnpg.io/cluster": "postgres", "cnpg.io/podRole": "instance" },
        [5432, 8000, 9187],
    ),
    podEndpoint(
        "pooler",
        "data",
        { "cnpg.io/cluster": "postgres", "cnpg.io/podRole": "pooler", "cnpg.io/poolerName": "postgres-pooler-rw" },
        [5432],
    ),
    podEndpoint("barman-plugin", operatorNamespace, CHART_BARMAN_PLUGIN_POD_LABELS, [9090]),
    {
        id: "kube-dns",
        namespace: "kube-system",
        podLabels: { "k8s-app": "kube-dns" },
        ports: [
            { port: 53, protocol: "UDP" },
            { port: 53, protocol: "TCP" },
        ],
    },
];
/** Connections to or from the operator pods that the operator's own policy allows (each side judged alone). */
const operatorConnections = (policy: NetworkPolicyObject, operatorNamespace: string): string[] => {
    const endpoints = operatorProbes(operatorNamespace);
    const ingress = allowedConnections([policy], endpoints, "ingress").filter((c) => / -> operator:/.test(c));
    const egress = allowedConnections([policy], endpoints, "egress").filter((c) => c.startsWith("operator -> "));
    return [...ingress, ...egress].sort();
};
const expectedOperatorConnections = (opts: { monitoring: boolean; barmanPlugin: boolean }): string[] =>
    [
        // Webhooks from anywhere (the API server's addresses are cluster-specific).
        ...["api-server", "prometheus", "apps-pod", "instance", "pooler", "barman-plugin", "kube-dns"].map(
            (s) => `${s} -> operator:9443/TCP`,
        ),
        ...(opts.monitoring ? ["prometheus -> operator:8080/TCP"] : []),
        // API server ports to any destination (443/6443), the instances' status API, DNS.
        "operator -> api-server:443/TCP",
        "operator -> api-server:6443/TCP",
        "operator -> apps-pod:443/TCP",
        "operator -> instance:8000/TCP",
        "operator -> kube-dns:53/UDP",
        "operator -> kube-dns:53/TCP",
        ...(opts.barmanPlugin ? ["operator -> barman-plugin:9090/TCP"] : []),
    ].sort();
/** The one NetworkPolicy selecting the operator pods (the Barman Cloud plugin, when installed, has its own). */
const operatorPolicyOf = (resources: RecordedResource[], operatorNamespace: string): RecordedResource => {
    const found = ofKind(resources, "NetworkPolicy", operatorNamespace).filter((p) =>
        matchesSelector(p.inputs.spec.podSelector, CHART_OPERATOR_POD_LABELS),
    );
    expect(found, `NetworkPolicies selecting the operator in ${operatorNamespace}`).to.have.length(1);
    return found[0];
};
const asPolicy = (r: RecordedResource): NetworkPolicyObject => ({
    metadata: { namespace: r.inputs.metadata.namespace },
    spec: r.inputs.spec,
});

const dataStoreResources = (r: RenderedStack) => {
    const component = r.resources.find((x) => x.type === Postgres.TYPE);
    if (!component) throw new Error(`no ${Postgres.TYPE} component registered`);
    return descendantsOf(r.resources, component.urn);
};
const one = (resources: RecordedResource[], type: string): RecordedResource => {
    const found = resources.filter((r) => r.type === type);
    expect(found, type).to.have.length(1);
    return found[0];
};
const secretName = (r: RecordedResource): string => r.state.metadata.name;
const generatedPassword = (rendered: RenderedStack, id: string): string =>
    byName(rendered.resources, `secrets-${id}`).state.result;

function hasBinary(bin: string): boolean {
    return fs.existsSync(bin);
}

describe("postgres: pure specs", () => {
    it("operator chart source: HTTP repository, OCI reference and local path", () => {
        expect(
            helmChartReference({
                repository: "https://cloudnative-pg.github.io/charts",
                chart: "cloudnative-pg",
                version: "0.29.0",
            }),
        ).to.deep.equal({
            chart: "cloudnative-pg",
            version: "0.29.0",
            repositoryOpts: { repo: "https://cloudnative-pg.github.io/charts" },
        });
        expect(
            helmChartReference({
                repository: "oci://registry.example.com/charts/",
                chart: "cloudnative-pg",
                version: "0.29.0",
            }),
        ).to.deep.equal({ chart: "oci://registry.example.com/charts/cloudnative-pg", version: "0.29.0" });
        expect(
            helmChartReference({
                repository: "https://x",
                chart: "cloudnative-pg",
                version: "0.29.0",
                path: "./vendor/cnpg.tgz",
            }),
        ).to.deep.equal({ chart: "./vendor/cnpg.tgz" });
    });

    it("operator values: replicas, limits, PodMonitor only with monitoring, webhooks fail closed", () => {
        const on = operatorChartValues({ replicas: 2, resources: OPERATOR_RESOURCES, monitoringEnabled: true }) as any;
        expect(on.replicaCount).to.equal(2);
        expect(on.resources.limits).to.include({ cpu: "500m", memory: "512Mi" });
        expect(on.resources.requests).to.include({ cpu: "100m", memory: "256Mi" });
        expect(on.monitoring.podMonitorEnabled).to.equal(true);
        expect(on.webhook.validating.failurePolicy).to.equal("Fail");
        expect(on.topologySpreadConstraints).to.have.length(1);
        const off = operatorChartValues({
            replicas: 1,
            resources: OPERATOR_RESOURCES,
            monitoringEnabled: false,
        }) as any;
        expect(off.monitoring.podMonitorEnabled).to.equal(false);
        expect(off).to.not.have.property("topologySpreadConstraints");
        expect(() =>
            operatorChartValues({ replicas: 0, resources: OPERATOR_RESOURCES, monitoringEnabled: false }),
        ).to.throw(/replicas/);
    });

    it("operator NetworkPolicy: metrics only from Prometheus when given, the plugin's gRPC port only with the plugin", () => {
        const prometheus = { namespace: "monitoring", podLabels: { "app.kubernetes.io/name": "prometheus" } };
        const policy = (spec: unknown): NetworkPolicyObject => ({
            metadata: { namespace: "cnpg-system" },
            spec: spec as Record<string, any>,
        });
        const full = operatorNetworkPolicySpec({
            dataNamespace: "data",
            clusterName: "postgres",
            prometheus,
            barmanPlugin: true,
        });
        expect(operatorConnections(policy(full), "cnpg-system")).to.deep.equal(
            expectedOperatorConnections({ monitoring: true, barmanPlugin: true }),
        );
        const bare = operatorNetworkPolicySpec({ dataNamespace: "data", clusterName: "postgres", barmanPlugin: false });
        expect(operatorConnections(policy(bare), "cnpg-system")).to.deep.equal(
            expectedOperatorConnections({ monitoring: false, barmanPlugin: false }),
        );
        expect(bare.podSelector).to.deep.equal({ matchLabels: CHART_OPERATOR_POD_LABELS });
    });

    it("operator PDB: maxUnavailable 1 for 2+ replicas, none for one, refuses impossible counts", () => {
        expect(operatorPdbSpec(1)).to.equal(undefined);
        expect(operatorPdbSpec(2)).to.deep.equal({
            maxUnavailable: 1,
            selector: { matchLabels: CHART_OPERATOR_POD_LABELS },
        });
        expect(operatorPdbSpec(3)).to.deep.include({ maxUnavailable: 1 });
        expect(() => operatorPdbSpec(0)).to.throw(/replicas/);
        expect(() => operatorPdbSpec(1.5)).to.throw(/replicas/);
    });

    const base = {
        instances: 3,
        imageName: "ghcr.io/cloudnative-pg/postgresql:18.4-standard-trixie",
        storageSize: "10Gi",
        storageClass: "fast-ssd",
        resources: postgresResourceDefaults("prod"),
        maxConnections: 200,
        zoneSpread: true,
        appDatabase: "app",
        appOwnerSecretName: "app-secret",
        superuserSecretName: "su-secret",
        roles: [
            { name: "app", passwordSecretName: "app-secret" },
            { name: "jobs", passwordSecretName: "jobs-secret" },
        ],
    };

    it("cluster: replicated clusters get PDBs, hard node anti-affinity and zone spreading; single instances neither", () => {
        const ha = clusterSpec("postgres", base) as any;
        expect(ha.enablePDB).to.equal(true);
        expect(ha.affinity).to.deep.include({
            enablePodAntiAffinity: true,
            topologyKey: "kubernetes.io/hostname",
            podAntiAffinityType: "required",
        });
        expect(ha.topologySpreadConstraints[0]).to.deep.include({
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "DoNotSchedule",
        });
        const single = clusterSpec("postgres", { ...base, instances: 1, zoneSpread: false }) as any;
        expect(single.enablePDB).to.equal(false);
        expect(single.affinity.podAntiAffinityType).to.equal("preferred");
        expect(single).to.not.have.property("topologySpreadConstraints");
    });

    it("cluster: archive_timeout and the Barman Cloud plugin only with WAL archiving", () => {
        const plain = clusterSpec("postgres", base) as any;
        expect(plain.postgresql.parameters).to.not.have.property("archive_timeout");
        expect(plain).to.not.have.property("plugins");
        expect(plain).to.not.have.nested.property("backup.barmanObjectStore");
        const archived = clusterSpec("postgres", {
            ...base,
            walArchiving: { objectStoreName: "store", archiveTimeoutSeconds: 300 },
        }) as any;
        expect(archived.postgresql.parameters.archive_timeout).to.equal("300s");
        expect(archived.plugins).to.deep.equal([
            {
                name: "barman-cloud.cloudnative-pg.io",
                enabled: true,
                isWALArchiver: true,
                parameters: { barmanObjectName: "store" },
            },
        ]);
    });

    it("cluster: refuses a missing bootstrap owner and roles reserved by CloudNativePG", () => {
        expect(() => clusterSpec("postgres", { ...base, roles: [{ name: "jobs", passwordSecretName: "x" }] })).to.throw(
            /bootstrap owner/,
        );
        for (const reserved of ["postgres", "streaming_replica", "cnpg_pooler_pgbouncer"]) {
            expect(
                () =>
                    clusterSpec("postgres", {
                        ...base,
                        roles: [...base.roles, { name: reserved, passwordSecretName: "x" }],
                    }),
                reserved,
            ).to.throw(/reserved/);
        }
    });

    it("instance selector: instances and join jobs, never the pooler's pods (which carry the cluster label too)", () => {
        const sel = instanceSelector("postgres");
        expect(matchesSelector(sel, { "cnpg.io/cluster": "postgres", "cnpg.io/podRole": "instance" })).to.equal(true);
        expect(matchesSelector(sel, { "cnpg.io/cluster": "postgres", "cnpg.io/jobRole": "join" })).to.equal(true);
        expect(
            matchesSelector(sel, {
                "cnpg.io/cluster": "postgres",
                "cnpg.io/podRole": "pooler",
                "cnpg.io/poolerName": "p",
            }),
        ).to.equal(false);
        expect(matchesSelector(sel, { "cnpg.io/cluster": "other", "cnpg.io/podRole": "instance" })).to.equal(false);
    });

    it("object store and scheduled backup specs", () => {
        const spec = objectStoreSpec({
            ...OBJECT_STORE,
            credentialsSecretName: "creds",
            retentionPolicy: "30d",
            sidecarResources: OPERATOR_RESOURCES,
        }) as any;
        expect(spec.configuration.s3Credentials.accessKeyId).to.deep.equal({ name: "creds", key: "ACCESS_KEY_ID" });
        expect(spec.configuration.s3Credentials.region).to.deep.equal({ name: "creds", key: "REGION" });
        expect(JSON.stringify(spec)).to.not.include(OBJECT_STORE.secretAccessKey);
        expect(() =>
            objectStoreSpec({
                ...OBJECT_STORE,
                destinationPath: "https://bucket",
                credentialsSecretName: "c",
                retentionPolicy: "30d",
                sidecarResources: OPERATOR_RESOURCES,
            }),
        ).to.throw(/s3:\/\//);
        expect(scheduledBackupSpec("postgres", "0 0 2 * * *")).to.deep.include({
            method: "plugin",
            pluginConfiguration: { name: "barman-cloud.cloudnative-pg.io" },
        });
        expect(() => scheduledBackupSpec("postgres", "0 2 * * *")).to.throw(/six fields/);
    });

    it("instances NetworkPolicy: WAL archiving reaches the object store's own port (http://minio:9000), only when configured", () => {
        const base = { clusterName: "postgres", clients: [], backups: [], operatorNamespace: "cnpg-system" };
        const instance = podEndpoint("instance", "data", {
            "cnpg.io/cluster": "postgres",
            "cnpg.io/podRole": "instance",
        });
        const minioPod = podEndpoint("minio", "storage", { app: "minio" }, [9000]);
        const external: Endpoint = { id: "s3", ip: "203.0.113.7", ports: [{ port: 9000 }, { port: 443 }] };
        const egress = (objectStore?: { endpointUrl?: string }) => {
            const policy: NetworkPolicyObject = {
                metadata: { namespace: "data" },
                spec: instancesNetworkPolicySpec({ ...base, objectStore }) as Record<string, any>,
            };
            return allowedConnections([policy], [instance, minioPod, external], "egress")
                .filter((c) => c.startsWith("instance -> "))
                .sort();
        };
        expect(egress({ endpointUrl: "http://minio.storage.svc:9000" })).to.deep.equal([
            "instance -> minio:9000/TCP",
            "instance -> s3:443/TCP",
            "instance -> s3:9000/TCP",
        ]);
        // AWS S3 (no endpoint) and no archiving: HTTPS only, as the API server rule already allows.
        expect(egress({})).to.deep.equal(["instance -> s3:443/TCP"]);
        expect(egress(undefined)).to.deep.equal(["instance -> s3:443/TCP"]);
    });

    it("connection URI percent-encodes credentials", () => {
        expect(connectionUri(primaryEndpoint("postgres", "data", "cluster.local"), "app", "app", "p@ss/w:rd")).to.equal(
            "postgresql://app:p%40ss%2Fw%3Ard@postgres-rw.data.svc.cluster.local:5432/app",
        );
    });

    it("the post-renderer drops only the listed kinds (plugin-barman-cloud's cert-manager Issuer)", () => {
        const script = path.join(REPO_ROOT, "scripts", "helm", "post-render.js");
        const input = [
            "",
            "# Source: a\napiVersion: v1\nkind: Service\nmetadata:\n  name: barman-cloud\n",
            "\n# Source: b\napiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: selfsigned\nspec:\n  selfSigned: {}\n",
            "\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\n",
        ].join("---");
        const run = spawnSync(process.execPath, [script, ...postRendererArgs(BARMAN_PLUGIN_DROPPED_KINDS)], {
            input,
            encoding: "utf8",
        });
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stdout).to.include("kind: Service");
        expect(run.stdout).to.include("kind: Certificate");
        expect(run.stdout).to.not.include("kind: Issuer");
        expect(spawnSync(process.execPath, [script], { input, encoding: "utf8" }).status).to.equal(2);
    });

    it("config: defaults pin operator chart 0.29.0 (operator 1.30.0) and reject impossible pools and resources", () => {
        const cfg = parseConfig({ environment: "dev", domain: "example.com" });
        expect(cfg.postgres.operatorChart).to.include({ chart: "cloudnative-pg", version: "0.29.0" });
        expect(cfg.postgres.barmanCloudPluginChart).to.include({ chart: "plugin-barman-cloud", version: "0.7.0" });
        expect(() =>
            parseConfig({
                environment: "dev",
                domain: "example.com",
                postgres: { maxConnections: 20, pooler: { enabled: true, defaultPoolSize: 25 } },
            }),
        ).to.throw(/stackwright:postgres\.pooler\.defaultPoolSize: must be below postgres\.maxConnections/);
        expect(() =>
            parseConfig({
                environment: "dev",
                domain: "example.com",
                postgres: { resources: { requests: { memory: "2Gi" } } },
            }),
        ).to.throw(
            /stackwright:postgres\.resources\.requests\.memory: request "2Gi" exceeds limit "1Gi" \(the default\)/,
        );
    });
});

for (const stack of STACKS) {
    describe(`postgres: stack ${stack}`, () => {
        let rendered: RenderedStack;
        let cfg: StackConfig;
        let mine: RecordedResource[];
        before(async () => {
            cfg = parseConfig(readStackConfig(stack));
            rendered = await renderStack(stack);
            mine = dataStoreResources(rendered);
        });

        it("installs the pinned operator chart with the values of operatorChartValues", () => {
            const chart = one(mine, "kubernetes:helm.sh/v4:Chart");
            expect(chart.inputs.chart).to.equal("cloudnative-pg");
            expect(chart.inputs.version).to.equal("0.29.0");
            expect(chart.inputs.repositoryOpts).to.deep.equal({ repo: "https://cloudnative-pg.github.io/charts" });
            expect(chart.inputs.namespace).to.equal(cfg.namespaces.postgresOperator);
            expect(chart.inputs.values).to.deep.equal(
                operatorChartValues({
                    replicas: operatorReplicaDefault(cfg.environment),
                    resources: OPERATOR_RESOURCES,
                    monitoringEnabled: cfg.monitoring.enabled,
                }),
            );
        });

        it("Cluster: instances, image, storage, resources and parameters per environment", () => {
            const cluster = one(mine, "kubernetes:postgresql.cnpg.io/v1:Cluster");
            const spec = cluster.inputs.spec;
            expect(cluster.inputs.metadata).to.include({ name: "postgres", namespace: "data" });
            expect(spec.instances).to.equal({ dev: 1, staging: 2, prod: 3 }[stack]);
            expect(spec.imageName).to.equal(cfg.postgres.imageName);
            expect(spec.storage).to.deep.include({
                size: { dev: "5Gi", staging: "20Gi", prod: "100Gi" }[stack],
                storageClass: { dev: "standard", staging: "standard", prod: "fast-ssd" }[stack],
            });
            if (stack === "prod") expect(spec.walStorage).to.deep.include({ size: "20Gi", storageClass: "fast-ssd" });
            else expect(spec).to.not.have.property("walStorage");
            const expected = resolveResources(cfg.postgres.resources, postgresResourceDefaults(cfg.environment));
            expect(spec.resources.requests).to.include({
                cpu: expected.requests.cpu,
                memory: expected.requests.memory,
            });
            expect(spec.resources.limits).to.include({ cpu: expected.limits.cpu, memory: expected.limits.memory });
            if (stack === "prod") {
                expect(spec.resources.requests).to.include({ cpu: "500m", memory: "1Gi" });
                expect(spec.resources.limits).to.include({ cpu: "2000m", memory: "4Gi" });
            }
            expect(spec.postgresql.parameters.max_connections).to.equal(String(cfg.postgres.maxConnections));
            expect(spec.enablePDB).to.equal(stack !== "dev");
            expect(spec.affinity.enablePodAntiAffinity).to.equal(true);
            expect(Boolean(spec.topologySpreadConstraints)).to.equal(stack === "prod");
        });

        it("Cluster: bootstraps the app database and manages one login role per database, passwords from basic-auth Secrets", () => {
            const spec = one(mine, "kubernetes:postgresql.cnpg.io/v1:Cluster").inputs.spec;
            const roles = databaseRoles(cfg);
            expect(roles).to.deep.equal(["app", "jobs"]);
            const roleSecret = (role: string) => byName(mine, `postgres-role-${role}`);
            expect(spec.bootstrap.initdb).to.deep.include({
                database: "app",
                owner: "app",
                secret: { name: secretName(roleSecret("app")) },
            });
            expect(spec.managed.roles.map((r: any) => r.name)).to.deep.equal(roles);
            for (const role of spec.managed.roles) {
                expect(role).to.deep.include({
                    ensure: "present",
                    login: true,
                    superuser: false,
                    passwordSecret: { name: secretName(roleSecret(role.name)) },
                });
                const secret = roleSecret(role.name);
                expect(secret.inputs.type).to.equal("kubernetes.io/basic-auth");
                expect(secret.inputs.metadata.namespace).to.equal("data");
                expect(secret.inputs.metadata.labels["cnpg.io/reload"]).to.equal("true");
                expect(secret.inputs.stringData).to.deep.equal({
                    username: role.name,
                    password: generatedPassword(rendered, `db-${role.name}`),
                });
            }
            const superuser = byName(mine, "postgres-superuser");
            expect(spec.enableSuperuserAccess).to.equal(true);
            expect(spec.superuserSecret).to.deep.equal({ name: secretName(superuser) });
            expect(superuser.inputs.stringData).to.deep.equal({
                username: "postgres",
                password: generatedPassword(rendered, "postgresSuperuserPassword"),
            });
        });

        it("a Database CR (owned by its role) for every service-owned database, none for the bootstrap database", () => {
            const databases = mine.filter((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Database");
            expect(databases.map((d) => d.inputs.spec.name)).to.deep.equal(["jobs"]);
            expect(databases[0].inputs.spec).to.deep.include({
                name: "jobs",
                owner: "jobs",
                cluster: { name: "postgres" },
                databaseReclaimPolicy: "retain",
            });
        });

        it("orders custom resources after the operator (and monitors after the monitoring CRDs)", () => {
            const chart = one(mine, "kubernetes:helm.sh/v4:Chart");
            for (const r of mine.filter((x) => CNPG_TYPES.includes(x.type)))
                expect(r.dependencies, `${r.type} ${r.name}`).to.include(chart.urn);
            const monitoring = rendered.resources.find((r) => !r.custom && r.type === MonitoringCrds.TYPE);
            expect(Boolean(monitoring), "the monitoring CRDs component").to.equal(cfg.monitoring.enabled);
            const monitors = mine.filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor");
            expect(monitors.length).to.equal(stack === "prod" ? 2 : 1);
            if (monitoring) {
                const monitoringUrns = new Set([
                    monitoring.urn,
                    ...descendantsOf(rendered.resources, monitoring.urn).map((r) => r.urn),
                ]);
                for (const m of monitors)
                    expect(
                        m.dependencies.some((d) => monitoringUrns.has(d)),
                        m.name,
                    ).to.equal(true);
                // The operator chart renders its own PodMonitor.
                expect(
                    chart.dependencies.some((d) => monitoringUrns.has(d)),
                    "operator chart",
                ).to.equal(true);
            }
        });

        it("PodMonitors select the instances (and the pooler) on their metrics port", () => {
            const monitor = mine.find((r) => r.type.endsWith(":PodMonitor") && r.name === "postgres-instances")!;
            expect(monitor.inputs.spec.selector.matchLabels).to.deep.equal({
                "cnpg.io/cluster": "postgres",
                "cnpg.io/podRole": "instance",
            });
            expect(monitor.inputs.spec.podMetricsEndpoints[0].port).to.equal("metrics");
        });

        it("every custom resource and object of the component passes strict schema validation (CNPG 1.30 CRDs)", async () => {
            const objects = kubeObjects(mine);
            expect(objects.some((o) => o.kind === "Cluster")).to.equal(true);
            const violations = await validateAgainstSchemas(objects);
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
        });

        it("one client Secret per database in the apps namespace with the DATABASE_SECRET_ENV and DATABASE_READ_ONLY_ENV keys", () => {
            const endpointHost =
                stack === "prod" ? "postgres-pooler-rw.data.svc.cluster.local" : "postgres-rw.data.svc.cluster.local";
            // Replicas only where there are replicas; a single instance (dev) reads from the primary through -r.
            const readOnlyHost =
                stack === "dev" ? "postgres-r.data.svc.cluster.local" : "postgres-ro.data.svc.cluster.local";
            for (const database of databaseRoles(cfg)) {
                const secret = byName(mine, `postgres-client-${database}`);
                expect(secret.inputs.metadata.namespace).to.equal("apps");
                expect(secret.inputs.type).to.equal("kubernetes.io/basic-auth");
                const data = secret.inputs.stringData;
                expect(Object.keys(data).sort()).to.deep.equal(
                    [...Object.values(DATABASE_SECRET_ENV), ...Object.values(DATABASE_READ_ONLY_ENV)].sort(),
                );
                expect(data["ro-host"]).to.equal(readOnlyHost);
                expect(data["ro-uri"]).to.equal(data.uri.replace(`@${endpointHost}:`, `@${readOnlyHost}:`));
                const password = generatedPassword(rendered, `db-${database}`);
                expect(data).to.deep.include({
                    host: endpointHost,
                    port: "5432",
                    dbname: database,
                    username: database,
                    password,
                });
                const uri = new URL(data.uri);
                expect([
                    uri.protocol,
                    uri.hostname,
                    uri.port,
                    uri.pathname,
                    uri.username,
                    decodeURIComponent(uri.password),
                ]).to.deep.equal(["postgresql:", endpointHost, "5432", `/${database}`, database, password]);
            }
        });

        it("services reference exactly the connection Secret of the database they declare", () => {
            const clientSecrets = new Map(
                databaseRoles(cfg).map((db) => [secretName(byName(mine, `postgres-client-${db}`)), db]),
            );
            for (const [service, svc] of Object.entries(cfg.services)) {
                const workloads = rendered.resources.filter(
                    (r) =>
                        (r.type === "kubernetes:apps/v1:Deployment" && r.name === service) ||
                        (r.type === "kubernetes:batch/v1:Job" && r.name === `${service}-migration`),
                );
                expect(workloads.length, service).to.be.greaterThan(0);
                for (const w of workloads) {
                    const refs = new Set<string>();
                    for (const c of podSpecOf(manifestOf(w)!)!.containers) {
                        for (const e of c.env ?? []) {
                            const name = e.valueFrom?.secretKeyRef?.name;
                            if (name !== undefined && clientSecrets.has(name)) refs.add(clientSecrets.get(name)!);
                        }
                    }
                    expect([...refs], `${w.type} ${w.name}`).to.deep.equal(
                        svc.database === undefined ? [] : [svc.database],
                    );
                }
            }
        });

        it("NetworkPolicies: only the services that declare a database (and their migrations) reach 5432", () => {
            const policies: NetworkPolicyObject[] = ofKind(rendered.resources, "NetworkPolicy").map((r) => ({
                metadata: { namespace: r.inputs.metadata.namespace },
                spec: r.inputs.spec,
            }));
            // One side at a time: the destination's ingress policies, or the source's egress policies.
            const ingressAllowed = (from: Endpoint, to: Endpoint, port: number) =>
                isAllowed(policies, from, to, { port }, "ingress");
            const egressAllowed = (from: Endpoint, to: Endpoint, port: number) =>
                isAllowed(policies, from, to, { port }, "egress");
            const instance = podEndpoint("instance", "data", {
                "cnpg.io/cluster": "postgres",
                "cnpg.io/podRole": "instance",
            });
            const pooler = podEndpoint("pooler", "data", {
                "cnpg.io/cluster": "postgres",
                "cnpg.io/podRole": "pooler",
                "cnpg.io/poolerName": "postgres-pooler-rw",
            });
            const appPods = rendered.resources
                .filter(
                    (r) =>
                        ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"].includes(r.type) &&
                        r.inputs.metadata?.namespace === "apps",
                )
                .map((r) => podEndpoint(r.name, "apps", manifestOf(r)!.spec.template.metadata.labels));
            expect(appPods.length).to.be.at.least(3);
            const expected = Object.entries(cfg.services)
                .filter(([, s]) => s.database !== undefined)
                .flatMap(([n, s]) => [n, ...(s.migration ? [`${n}-migration`] : [])])
                .sort();
            for (const target of stack === "prod" ? [instance, pooler] : [instance]) {
                const allowed = appPods
                    .filter((p) => ingressAllowed(p, target, 5432))
                    .map((p) => p.id)
                    .sort();
                expect(allowed, JSON.stringify(target.podLabels)).to.deep.equal(expected);
            }
            // Peers: replication, the operator's status calls, backups, Prometheus; nobody else in the data namespace.
            const peer = podEndpoint("peer", "data", { "cnpg.io/cluster": "postgres", "cnpg.io/podRole": "instance" });
            const joinJob = podEndpoint("join-job", "data", {
                "cnpg.io/cluster": "postgres",
                "cnpg.io/jobRole": "join",
            });
            const operator = podEndpoint("operator", "cnpg-system", { "app.kubernetes.io/name": "cloudnative-pg" });
            expect(ingressAllowed(peer, instance, 5432)).to.equal(true);
            expect(ingressAllowed(joinJob, instance, 5432)).to.equal(true);
            expect(egressAllowed(joinJob, instance, 5432)).to.equal(true);
            expect(ingressAllowed(operator, instance, 8000)).to.equal(true);
            expect(ingressAllowed(operator, instance, 5432)).to.equal(false);
            expect(
                ingressAllowed(
                    podEndpoint("backup", "data", { "app.kubernetes.io/component": "backup" }),
                    instance,
                    5432,
                ),
            ).to.equal(true);
            expect(
                ingressAllowed(podEndpoint("valkey", "data", { "app.kubernetes.io/name": "valkey" }), instance, 5432),
            ).to.equal(false);
            expect(
                ingressAllowed(
                    podEndpoint("prometheus", "monitoring", { "app.kubernetes.io/name": "prometheus" }),
                    instance,
                    9187,
                ),
            ).to.equal(cfg.monitoring.enabled);
            expect(egressAllowed(instance, podEndpoint("default-ns-pod", "default", {}), 443)).to.equal(true);
            expect(egressAllowed(instance, podEndpoint("apps-pod", "apps", {}), 8080)).to.equal(false);
            expect(
                postgresClientPeers(cfg)
                    .map((p) => p.podLabels["app.kubernetes.io/name"])
                    .sort(),
            ).to.deep.equal(expected);
        });

        it("operator NetworkPolicy: in the operator namespace, selects exactly the chart's operator pods, after the chart", () => {
            const chart = one(mine, "kubernetes:helm.sh/v4:Chart");
            // The release name is part of the pods' labels (app.kubernetes.io/instance).
            expect(chart.inputs.name).to.equal(CHART_OPERATOR_POD_LABELS["app.kubernetes.io/instance"]);
            const policy = operatorPolicyOf(mine, cfg.namespaces.postgresOperator);
            expect(cfg.namespaces.postgresOperator).to.equal("cnpg-system");
            expect(policy.inputs.spec.podSelector).to.deep.equal({ matchLabels: CHART_OPERATOR_POD_LABELS });
            expect(policy.inputs.spec.policyTypes).to.deep.equal(["Ingress", "Egress"]);
            expect(matchesSelector(policy.inputs.spec.podSelector, CHART_BARMAN_PLUGIN_POD_LABELS)).to.equal(false);
            expect(policy.dependencies).to.include(chart.urn);
            expect(policy.inputs.metadata.labels).to.deep.include({
                "app.kubernetes.io/name": "cloudnative-pg",
                "app.kubernetes.io/component": "operator",
                "app.kubernetes.io/part-of": "stackwright",
                "app.kubernetes.io/managed-by": "pulumi",
            });
        });

        it("operator NetworkPolicy: webhook 9443 from anywhere, 8080 from Prometheus (with monitoring); API server, instances, DNS out", () => {
            const policy = asPolicy(operatorPolicyOf(mine, cfg.namespaces.postgresOperator));
            expect(operatorConnections(policy, cfg.namespaces.postgresOperator)).to.deep.equal(
                expectedOperatorConnections({ monitoring: cfg.monitoring.enabled, barmanPlugin: false }),
            );
        });

        it("operator PodDisruptionBudget (policy/v1, maxUnavailable 1) exactly when the operator runs 2+ replicas", () => {
            const replicas = cfg.postgres.operatorReplicas ?? operatorReplicaDefault(cfg.environment);
            const chart = one(mine, "kubernetes:helm.sh/v4:Chart");
            expect(chart.inputs.values.replicaCount).to.equal(replicas);
            const pdbs = ofKind(mine, "PodDisruptionBudget");
            expect(pdbs.map((p) => p.type)).to.deep.equal(
                replicas > 1 ? ["kubernetes:policy/v1:PodDisruptionBudget"] : [],
            );
            if (replicas > 1) {
                expect(stack).to.not.equal("dev");
                const pdb = pdbs[0];
                expect(pdb.inputs.metadata.namespace).to.equal(cfg.namespaces.postgresOperator);
                expect(pdb.inputs.spec).to.deep.equal({
                    maxUnavailable: 1,
                    selector: { matchLabels: CHART_OPERATOR_POD_LABELS },
                });
                expect(pdb.dependencies).to.include(chart.urn);
                expect(pdb.inputs.metadata.labels).to.deep.include({
                    "app.kubernetes.io/component": "operator",
                    "app.kubernetes.io/part-of": "stackwright",
                });
            }
        });

        it("operator NetworkPolicy and PodDisruptionBudget pass strict schema validation", async () => {
            const objects = kubeObjects([
                ...ofKind(mine, "NetworkPolicy", cfg.namespaces.postgresOperator),
                ...ofKind(mine, "PodDisruptionBudget"),
            ]);
            const replicas = cfg.postgres.operatorReplicas ?? operatorReplicaDefault(cfg.environment);
            expect(objects.map((o) => o.kind).sort()).to.deep.equal(
                replicas > 1 ? ["NetworkPolicy", "PodDisruptionBudget"] : ["NetworkPolicy"],
            );
            const violations = await validateAgainstSchemas(objects);
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
        });

        it("Pooler only where configured (prod): PgBouncer with resources and a hardened container", () => {
            const poolers = mine.filter((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Pooler");
            expect(poolers).to.have.length(stack === "prod" ? 1 : 0);
            if (stack !== "prod") return;
            const spec = poolers[0].inputs.spec;
            expect(poolers[0].inputs.metadata.name).to.equal("postgres-pooler-rw");
            expect(spec).to.deep.include({ cluster: { name: "postgres" }, instances: 3, type: "rw" });
            expect(spec.pgbouncer.poolMode).to.equal("transaction");
            const container = spec.template.spec.containers[0];
            expect(container.name).to.equal("pgbouncer");
            expect(container.resources.limits).to.include.keys("cpu", "memory");
            expect(container.securityContext).to.deep.include({
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
            });
        });

        it("no generated secret value in any non-Secret object of the component", () => {
            for (const r of mine.filter((x) => x.type !== "kubernetes:core/v1:Secret")) {
                const text = JSON.stringify(r.inputs);
                for (const s of rendered.generatedSecrets)
                    expect(text.includes(s), `${r.type} ${r.name}`).to.equal(false);
            }
        });
    });
}

describe("postgres: WAL archiving to object storage (staging with postgres.objectStore)", () => {
    let rendered: RenderedStack;
    let mine: RecordedResource[];
    before(async () => {
        const raw = readStackConfig("staging" as StackName);
        rendered = await renderStack("staging", {
            overrides: { postgres: { ...(raw.postgres as object), objectStore: OBJECT_STORE } },
        });
        mine = dataStoreResources(rendered);
    });

    it("installs the Barman Cloud plugin with generated mTLS certificates and no cert-manager Issuer", () => {
        const plugin = mine.find(
            (r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "plugin-barman-cloud",
        )!;
        expect(plugin.inputs).to.deep.include({ version: "0.7.0", namespace: "cnpg-system" });
        expect(plugin.inputs.values.certificate).to.deep.include({
            createClientCertificate: false,
            createServerCertificate: false,
        });
        expect(plugin.inputs.postRenderer.command).to.equal(process.execPath);
        expect(fs.existsSync(plugin.inputs.postRenderer.args[0])).to.equal(true);
        expect(plugin.inputs.postRenderer.args.slice(1)).to.deep.equal([
            "--trim-crds",
            "--drop",
            "cert-manager.io/v1/Issuer",
        ]);
        for (const name of ["barman-cloud-server-tls", "barman-cloud-client-tls"]) {
            const secret = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata.name === name)!;
            expect(secret.inputs.metadata.namespace).to.equal("cnpg-system");
            expect(secret.inputs.type).to.equal("kubernetes.io/tls");
            expect(plugin.dependencies).to.include(secret.urn);
        }
        const server = mine.find(
            (r) => r.type === "tls:index/selfSignedCert:SelfSignedCert" && r.name === "postgres-barman-server",
        )!;
        expect(server.inputs.dnsNames).to.deep.equal(["barman-cloud"]);
    });

    it("archives WAL through the plugin at least every 5 minutes and takes scheduled base backups", () => {
        const store = one(mine, "kubernetes:barmancloud.cnpg.io/v1:ObjectStore");
        const spec = one(mine, "kubernetes:postgresql.cnpg.io/v1:Cluster").inputs.spec;
        expect(spec.postgresql.parameters.archive_timeout).to.equal("300s");
        expect(spec.plugins).to.deep.equal([
            {
                name: "barman-cloud.cloudnative-pg.io",
                enabled: true,
                isWALArchiver: true,
                parameters: { barmanObjectName: store.state.metadata.name },
            },
        ]);
        expect(spec).to.not.have.property("backup");
        const credentials = mine.find(
            (r) => r.type === "kubernetes:core/v1:Secret" && r.name === "postgres-object-store",
        )!;
        expect(store.inputs.spec.configuration.destinationPath).to.equal(OBJECT_STORE.destinationPath);
        expect(store.inputs.spec.configuration.s3Credentials.secretAccessKey).to.deep.equal({
            name: secretName(credentials),
            key: "ACCESS_SECRET_KEY",
        });
        expect(credentials.inputs.stringData).to.deep.equal({
            ACCESS_KEY_ID: OBJECT_STORE.accessKeyId,
            ACCESS_SECRET_KEY: OBJECT_STORE.secretAccessKey,
            REGION: OBJECT_STORE.region,
        });
        const backup = one(mine, "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup");
        expect(backup.inputs.spec).to.deep.include({
            schedule: "0 0 2 * * *",
            method: "plugin",
            cluster: { name: "postgres" },
        });
    });

    it("the operator may reach the plugin's gRPC port (9090) in its namespace", () => {
        const policy = asPolicy(operatorPolicyOf(mine, "cnpg-system"));
        expect(operatorConnections(policy, "cnpg-system")).to.deep.equal(
            expectedOperatorConnections({ monitoring: true, barmanPlugin: true }),
        );
    });

    it("the plugin's own NetworkPolicy admits only the operator on 9090 and lets it reach only the API server and DNS", () => {
        const policies = mine.filter(
            (r) =>
                r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" &&
                r.inputs.metadata.namespace === "cnpg-system",
        );
        const pluginPolicy = policies.find(
            (p) =>
                matchesSelector(p.inputs.spec.podSelector, CHART_BARMAN_PLUGIN_POD_LABELS) &&
                !matchesSelector(p.inputs.spec.podSelector, CHART_OPERATOR_POD_LABELS),
        )!;
        expect(pluginPolicy, "plugin NetworkPolicy").to.not.equal(undefined);
        const policy = asPolicy(pluginPolicy);
        const endpoints = operatorProbes("cnpg-system");
        const ingress = allowedConnections([policy], endpoints, "ingress").filter((c) => / -> barman-plugin:/.test(c));
        const egress = allowedConnections([policy], endpoints, "egress").filter((c) =>
            c.startsWith("barman-plugin -> "),
        );
        expect(ingress).to.deep.equal(["operator -> barman-plugin:9090/TCP"]);
        expect(egress.sort()).to.deep.equal(
            [
                "barman-plugin -> api-server:443/TCP",
                "barman-plugin -> api-server:6443/TCP",
                "barman-plugin -> apps-pod:443/TCP",
                "barman-plugin -> kube-dns:53/TCP",
                "barman-plugin -> kube-dns:53/UDP",
            ].sort(),
        );
    });

    it("object-store credentials appear only in their Secret", () => {
        for (const r of rendered.resources.filter((x) => x.type !== "kubernetes:core/v1:Secret")) {
            expect(JSON.stringify(r.inputs).includes(OBJECT_STORE.secretAccessKey), `${r.type} ${r.name}`).to.equal(
                false,
            );
        }
    });

    it("CNPG objects, the ObjectStore included, pass schema validation", async () => {
        const violations = await validateAgainstSchemas(kubeObjects(mine));
        expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
    });
});

describe("postgres: WAL archiving to an http object store on its own port (dev with MinIO at http://minio.storage.svc:9000)", () => {
    it("the instances' NetworkPolicy lets the Barman Cloud sidecar reach the endpoint's port", async () => {
        const raw = readStackConfig("dev" as StackName);
        const store = { ...OBJECT_STORE, endpointUrl: "http://minio.storage.svc:9000" };
        const rendered = await renderStack("dev", {
            overrides: { postgres: { ...(raw.postgres as object), objectStore: store } },
        });
        const policies = ofKind(dataStoreResources(rendered), "NetworkPolicy").map(asPolicy);
        const instance = podEndpoint("instance", "data", {
            "cnpg.io/cluster": "postgres",
            "cnpg.io/podRole": "instance",
        });
        const minio = podEndpoint("minio", "storage", { "app.kubernetes.io/name": "minio" }, [9000]);
        expect(isAllowed(policies, instance, minio, { port: 9000 }, "egress")).to.equal(true);
        expect(isAllowed(policies, instance, minio, { port: 9001 }, "egress")).to.equal(false);
    });
});

describe("postgres: rendered Cluster and client Secrets against a real server", () => {
    const version = fs.existsSync("/usr/lib/postgresql")
        ? fs.readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))[0]
        : undefined;
    const bin = (tool: string) => `/usr/lib/postgresql/${version}/bin/${tool}`;
    const psql = spawnSync("sh", ["-c", "command -v psql"], { encoding: "utf8" }).stdout.trim();
    let root: string | undefined;
    let dataDir = "";
    let started = false;
    // initdb refuses to run as root: run the server as the postgres (or nobody) user then.
    const ids: { uid?: number; gid?: number } = {};
    const asServer = () => ({ ...ids, encoding: "utf8" as const, timeout: TOOL_TIMEOUT_MS, cwd: root });

    before(function () {
        if (version === undefined || !hasBinary(bin("postgres")) || psql === "")
            requireTools(
                this,
                ["PostgreSQL server binaries under /usr/lib/postgresql, psql"],
                "apt-get install postgresql",
            );
        root = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-pg-"));
        fs.chmodSync(root, 0o755);
        dataDir = path.join(root, "data");
        Object.assign(ids, serverUserIds(root!));
    });

    after(() => {
        if (started)
            spawnSync(bin("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"], {
                ...ids,
                stdio: "ignore",
                timeout: TOOL_TIMEOUT_MS,
                cwd: root,
            });
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("the server accepts every Cluster parameter; roles and databases as declared; the client Secrets' URIs log in", async function () {
        this.timeout(90_000);
        // Prod with archiving: the largest parameter set; plus a database named as PostgreSQL users name them.
        const raw = readStackConfig("prod");
        const services = JSON.parse(JSON.stringify(raw.services)) as Record<string, any>;
        services.worker.database = "todo_db";
        services.worker.databaseReadReplicas = true;
        const rendered = await renderStack("prod", {
            overrides: { postgres: { ...(raw.postgres as object), objectStore: OBJECT_STORE }, services },
        });
        raw.services = services;
        const mine = dataStoreResources(rendered);
        const cluster = one(mine, "kubernetes:postgresql.cnpg.io/v1:Cluster").inputs.spec;
        const parameters = cluster.postgresql.parameters as Record<string, string>;
        expect(Object.keys(parameters)).to.include.members(["max_connections", "archive_timeout"]);

        const init = spawnSync(
            bin("initdb"),
            [
                "-D",
                dataDir,
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            asServer(),
        );
        expect(init.status, init.stderr).to.equal(0);
        // -C prints the effective value and exits: an unknown parameter or a malformed value fails here.
        const settings = Object.entries(parameters).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
        const check = spawnSync(bin("postgres"), ["-D", dataDir, ...settings, "-C", "archive_timeout"], asServer());
        expect(check.status, check.stderr).to.equal(0);
        expect(check.stdout.trim()).to.equal("300");

        const [port] = await freePorts(1);
        const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off ${Object.entries(parameters)
            .map(([k, v]) => `-c ${k}=${v}`)
            .join(" ")}`;
        const start = spawnSync(
            bin("pg_ctl"),
            ["-D", dataDir, "-l", path.join(root!, "log"), "-w", "-t", "30", "-o", options, "start"],
            asServer(),
        );
        expect(start.status, `${start.stderr}${start.stdout}`).to.equal(0);
        started = true;
        const superuser = (sql: string) =>
            spawnSync(
                psql,
                [
                    "-h",
                    root!,
                    "-p",
                    String(port),
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qAtc",
                    sql,
                ],
                asServer(),
            );
        expect(superuser("SHOW max_connections").stdout.trim()).to.equal(parameters.max_connections);

        // What CloudNativePG does with the spec: managed roles with their Secrets' passwords, initdb and Database CRs.
        const passwordOf = (secretRef: string) =>
            mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.state.metadata.name === secretRef)!.inputs
                .stringData.password;
        for (const role of cluster.managed.roles) {
            const sql = `CREATE ROLE "${role.name}" LOGIN PASSWORD '${passwordOf(role.passwordSecret.name)}'`;
            expect(superuser(sql).status, role.name).to.equal(0);
        }
        const databases = [
            { name: cluster.bootstrap.initdb.database, owner: cluster.bootstrap.initdb.owner },
            ...mine
                .filter((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Database")
                .map((d) => ({ name: d.inputs.spec.name, owner: d.inputs.spec.owner })),
        ];
        for (const db of databases)
            expect(superuser(`CREATE DATABASE "${db.name}" OWNER "${db.owner}"`).status, db.name).to.equal(0);

        expect(databaseRoles(parseConfig(raw))).to.include("todo_db");
        // Every object name in the stack (auto-names included) is still a DNS-1123 name.
        const badNames = kubeObjects(rendered.resources)
            .map((o) => o.metadata.name as string)
            .filter((n) => !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(n));
        expect(badNames).to.deep.equal([]);
        for (const db of databaseRoles(parseConfig(raw))) {
            // Kubernetes names spell '_' as '-'; the database keeps its name.
            const data = byName(mine, `postgres-client-${db.replace(/_/g, "-")}`).inputs.stringData;
            for (const key of ["uri", "ro-uri"]) {
                const uri = new URL(data[key]);
                uri.host = `127.0.0.1:${port}`;
                const login = spawnSync(
                    psql,
                    [uri.toString(), "-qAtc", "SELECT current_user || ' ' || current_database()"],
                    asServer(),
                );
                expect(login.status, `${db} ${key}: ${login.stderr}`).to.equal(0);
                expect(login.stdout.trim()).to.equal(`${data.username} ${data.dbname}`);
                expect(data.dbname).to.equal(db);
            }
            const uri = new URL(data.uri);
            uri.host = `127.0.0.1:${port}`;
            uri.password = "wrong-password";
            expect(
                spawnSync(psql, [uri.toString(), "-qAtc", "SELECT 1"], asServer()).status,
                `${db} with a wrong password`,
            ).to.not.equal(0);
        }
    });
});

// ---- Tier 1: the component alone, constructed from hand-written args under the mocks (fast, focused) ---------

describe("Postgres from hand-written args (component under mocks)", () => {
    it("the Cluster takes the instances it is given; no pooler, object store or monitors unless given", async () => {
        const plan = postgresPlan(parseConfig(readStackConfig("staging")));
        const credentials = Object.fromEntries(
            ["postgresSuperuserPassword", ...plan.databases.map((d) => `db-${d}`)].map((id) => [
                id,
                pulumi.output("pw"),
            ]),
        );
        const resources = await renderUnderMocks(() => {
            new Postgres("pg", { ...plan, instances: 5, pooler: undefined, objectStore: undefined, credentials });
        });
        const kinds = resources.map((r) => r.type.split(":").pop());
        expect(resources.find((r) => r.type.endsWith(":Cluster"))?.inputs.spec.instances).to.equal(5);
        expect(kinds).to.not.include.members(["Pooler", "PodMonitor", "ScheduledBackup", "ObjectStore"]);
        // The superuser's and one per role (CloudNativePG reads these), one client Secret per database (services read these).
        expect(resources.filter((r) => r.inputs.type === "kubernetes.io/basic-auth").map((r) => r.name)).to.deep.equal([
            "pg-superuser",
            ...plan.databases.map((d) => `pg-role-${d}`),
            ...plan.databases.map((d) => `pg-client-${d}`),
        ]);
    });
});
