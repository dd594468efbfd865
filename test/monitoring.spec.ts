/**
 * The monitoring component (components/monitoring.ts) and its chart values (lib/monitoring/values.ts): each real
 * stack rendered under mocks, the values function on its own, the CRD ordering of every monitoring.coreos.com
 * object in the stack, upstream schemas, `promtool check rules` on the rendered rules and `amtool check-config` on
 * the rendered Alertmanager configuration (a missing tool skips locally and fails in CI).
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { parseConfig, StackConfig } from "../config";
import { Monitoring } from "../components/monitoring";
import { MonitoringCrds } from "../components/monitoring-crds";
import { environmentDefaults } from "../lib/defaults";
import { containerSecurityContext } from "../lib/pod-security";
import { alertRulesArgs, backupCronJobTargets, DASHBOARDS_DIR, monitoringPlan } from "../lib/monitoring/plan";
import { monitoringNetworkPolicies } from "../lib/monitoring/network-policies";
import {
    ALERTMANAGER_CONFIG_KEY,
    GRAFANA_ADMIN_PASSWORD_KEY,
    GRAFANA_ADMIN_USER_KEY,
    GRAFANA_DASHBOARD_LABEL,
    ISTIO_CERTS_VOLUME,
    KPS_RELEASE_NAME,
    kubePrometheusStackValues,
    KubePrometheusStackValuesArgs,
    NODE_EXPORTER_EXEMPTIONS,
    OPERATOR_SERVICE_NAME,
    retentionSizeFor,
    selectEverything,
} from "../lib/monitoring/values";
import { PROMETHEUS_DEFAULT_RESOURCES } from "../lib/monitoring/defaults";
import {
    BACKUP_CRONJOBS,
    edgeDataPlane,
    GRAFANA_CONTAINER_PORT,
    GRAFANA_SERVICE_NAME,
    grafanaPods,
    POSTGRES_CLUSTER_NAME,
    PROMETHEUS_ISTIO_CERTS_DIR,
    PROMETHEUS_SERVICE_ACCOUNT,
    prometheusPods,
    redisPods,
} from "../lib/topology";
import { isPolicyName } from "../policy/policies/names";
import {
    descendantsOf,
    kubeObjects,
    manifestOf,
    readStackConfig,
    RecordedResource,
    renderStack,
    RenderedStack,
    STACKS,
    StackName,
} from "./lib/harness";
import { Endpoint, isAllowed, NetworkPolicyObject, podEndpoint } from "./lib/netpol";
import { validateAgainstSchemas } from "./lib/schemas";
import { needTool, run } from "./lib/tools";
import { helmChartReference } from "../lib/chart-source";

const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
const MONITORING_GROUP = "monitoring.coreos.com";

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function config(stack: StackName, overrides: Record<string, unknown> = {}): StackConfig {
    return parseConfig({ ...readStackConfig(stack), ...overrides });
}

function only<T>(items: readonly T[], what: string): T {
    expect(items, what).to.have.length(1);
    return items[0];
}

function monitoringComponent(r: RenderedStack): RecordedResource {
    return only(
        r.resources.filter((x) => x.type === Monitoring.TYPE),
        "Monitoring component",
    );
}

function monitoringChildren(r: RenderedStack): RecordedResource[] {
    const crds = r.resources.find((x) => x.type === MonitoringCrds.TYPE)!;
    return [...descendantsOf(r.resources, monitoringComponent(r).urn), ...descendantsOf(r.resources, crds.urn)];
}

function chartNamed(r: RenderedStack, suffix: string): RecordedResource {
    return only(
        monitoringChildren(r).filter((x) => x.type === CHART_TYPE && x.name.endsWith(suffix)),
        `chart ${suffix}`,
    );
}

function kpsValues(r: RenderedStack): Record<string, any> {
    return chartNamed(r, "-kube-prometheus-stack").inputs.values;
}

function childOfType(r: RenderedStack, type: string, nameSuffix: string): RecordedResource {
    return only(
        monitoringChildren(r).filter((x) => x.type === type && x.name.endsWith(nameSuffix)),
        `${type} ${nameSuffix}`,
    );
}

function isMonitoringCustomResource(x: RecordedResource): boolean {
    return x.type.startsWith(`kubernetes:${MONITORING_GROUP}/`);
}

/** Whether `x` (or a component it belongs to) depends on `urn`: explicit dependencies of it or any ancestor. */
function orderedAfter(resources: readonly RecordedResource[], x: RecordedResource, urn: string): boolean {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    for (let cur: RecordedResource | undefined = x; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
        if (cur.dependencies.includes(urn)) return true;
        if (Object.values(cur.propertyDependencies).some((deps) => deps.includes(urn))) return true;
    }
    return false;
}

/** Every object with a `securityContext` / `containerSecurityContext` key in the values, with its path. */
function securityContexts(values: unknown, at = ""): { path: string; value: Record<string, any> }[] {
    if (values === null || typeof values !== "object") return [];
    const found: { path: string; value: Record<string, any> }[] = [];
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
        const here = at ? `${at}.${key}` : key;
        if ((key === "securityContext" || key === "containerSecurityContext") && value && typeof value === "object") {
            found.push({ path: here, value: value as Record<string, any> });
        } else {
            found.push(...securityContexts(value, here));
        }
    }
    return found;
}

function get(values: unknown, dotted: string): any {
    return dotted
        .split(".")
        .reduce<any>((node, key) => (node === undefined || node === null ? undefined : node[key]), values);
}

/** Values args as the component builds them, with the names taken from a render. */
function valuesArgsFromRender(r: RenderedStack, cfg: StackConfig): KubePrometheusStackValuesArgs {
    const plan = monitoringPlan(cfg)!;
    const secretName = (suffix: string) =>
        childOfType(r, "kubernetes:core/v1:Secret", suffix).state.metadata.name as string;
    return {
        ...plan.settings,
        namespace: cfg.namespaces.monitoring,
        nodeMonitoringNamespace: cfg.namespaces.nodeMonitoring,
        grafanaAdminSecretName: secretName("-grafana-admin"),
        grafanaAdminPasswordRotation: cfg.secrets.rotation.grafanaAdminPassword ?? 0,
        alertmanagerConfigSecretName: secretName("-alertmanager-config"),
    };
}

const SAMPLE_ARGS: KubePrometheusStackValuesArgs = {
    namespace: "monitoring",
    nodeMonitoringNamespace: "monitoring-node",
    retention: "15d",
    storageSize: "20Gi",
    storageClass: "fast-ssd",
    meshEnabled: false,
    grafanaHost: "monitoring.example.com",
    grafanaAdminSecretName: "grafana-admin-abc",
    alertmanagerConfigSecretName: "alertmanager-config-abc",
};

const RECEIVERS = {
    alertWebhookUrl: "https://hooks.example.invalid/alerts/s3cr3t-token-1234",
    slackWebhookUrl: "https://hooks.slack.invalid/services/T000/B000/s3cr3t5lack",
    slackChannel: "#stackwright-alerts",
};

/**
 * Constructs a component under mocks and records each registration's raw inputs (secrets still wrapped, unlike
 * the stack harness). TLS resources get a certificate so the component's certificate-derived values resolve.
 */
async function recordRawInputs(
    build: () => void,
): Promise<{ name: string; type: string; inputs: Record<string, any> }[]> {
    const records: { name: string; type: string; inputs: Record<string, any> }[] = [];
    pulumi.runtime.setAllConfig({}, []);
    await pulumi.runtime.setMocks(
        {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                const state: Record<string, any> = { ...args.inputs };
                if (args.type.startsWith("tls:"))
                    Object.assign(state, { privateKeyPem: "KEY", certPem: "CERT", certRequestPem: "CSR" });
                if (args.type.startsWith("kubernetes:") && state.metadata && state.metadata.name === undefined)
                    state.metadata = { ...state.metadata, name: `${args.name}-auto` };
                return { id: args.custom ? `${args.name}-id` : undefined, state };
            },
            call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
        },
        "stackwright",
        "unit",
        false,
    );
    const monitor = (pulumi.runtime as any).getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        records.push({ name: req.getName(), type: req.getType(), inputs: deserializeProperties(req.getObject()) });
        return original(req, callback);
    };
    build();
    await (pulumi.runtime as any).waitForRPCs();
    return records;
}

let tmpDir: string;
function writeFile(name: string, content: string): string {
    const file = path.join(tmpDir, name);
    fs.writeFileSync(file, content);
    return file;
}

// ---------------------------------------------------------------------------------------------------------------

describe("monitoring", () => {
    const rendered = {} as Record<StackName, RenderedStack>;
    before(async () => {
        tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-monitoring-stack-"));
        for (const stack of STACKS) rendered[stack] = await renderStack(stack);
    });
    after(() => {
        if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    });

    describe("chart values (pure)", () => {
        it("select every ServiceMonitor, PodMonitor, PrometheusRule, Probe and ScrapeConfig: no release-label trap", () => {
            const spec = kubePrometheusStackValues(SAMPLE_ARGS).prometheus.prometheusSpec;
            for (const kind of ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"]) {
                expect(spec[`${kind}SelectorNilUsesHelmValues`], kind).to.equal(false);
                expect(spec[`${kind}Selector`], kind).to.deep.equal({});
                expect(spec[`${kind}NamespaceSelector`], kind).to.deep.equal({});
            }
            expect(Object.keys(selectEverything())).to.have.length(15);
            expect(JSON.stringify(kubePrometheusStackValues(SAMPLE_ARGS))).not.to.match(/"release"/);
        });

        it("install no CRDs from the main chart and no admission webhook (its CA would be unknown at preview)", () => {
            const v = kubePrometheusStackValues(SAMPLE_ARGS);
            expect(v.crds).to.deep.equal({ enabled: false });
            expect(v.fullnameOverride).to.equal(KPS_RELEASE_NAME);
            const webhooks = v.prometheusOperator.admissionWebhooks;
            expect(webhooks).to.deep.include({ enabled: false });
            expect(webhooks).not.to.have.property("caBundle");
            expect(webhooks.patch).to.deep.equal({ enabled: false });
            expect(webhooks.certManager).to.deep.equal({ enabled: false });
            expect(v.prometheusOperator.tls).to.deep.equal({ enabled: false });
            expect(v.prometheusOperator).not.to.have.property("podAnnotations");
            expect(OPERATOR_SERVICE_NAME).to.equal(`${KPS_RELEASE_NAME}-operator`);
        });

        it("harden every security context: non-root, RuntimeDefault seccomp, no capabilities, read-only root", () => {
            const v = kubePrometheusStackValues({ ...SAMPLE_ARGS, meshEnabled: true });
            const contexts = securityContexts(v);
            expect(contexts.map((c) => c.path)).to.include.members([
                "prometheusOperator.securityContext",
                "prometheusOperator.containerSecurityContext",
                "prometheus.prometheusSpec.securityContext",
                "alertmanager.alertmanagerSpec.securityContext",
                "grafana.securityContext",
                "grafana.containerSecurityContext",
                "grafana.sidecar.securityContext",
                "kube-state-metrics.securityContext",
                "kube-state-metrics.containerSecurityContext",
                "prometheus-node-exporter.securityContext",
                "prometheus-node-exporter.containerSecurityContext",
            ]);
            for (const { path: at, value } of contexts) {
                expect(value.runAsNonRoot, at).to.equal(true);
                expect(value.seccompProfile, at).to.deep.equal({ type: "RuntimeDefault" });
                if (at.endsWith("containerSecurityContext") || at === "grafana.sidecar.securityContext") {
                    expect(value, at).to.deep.equal(containerSecurityContext());
                    expect(value.readOnlyRootFilesystem, at).to.equal(true);
                    expect(value.capabilities, at).to.deep.equal({ drop: ["ALL"] });
                    expect(value.allowPrivilegeEscalation, at).to.equal(false);
                } else {
                    expect(value.runAsUser, at).to.be.a("number").above(0);
                }
            }
            // Grafana's root chown init container and the helm test pod are off; its writable paths are emptyDirs.
            expect(v.grafana.initChownData).to.deep.equal({ enabled: false });
            expect(v.grafana.testFramework).to.deep.equal({ enabled: false });
            expect(v.grafana.extraEmptyDirMounts.map((m: { mountPath: string }) => m.mountPath)).to.include("/tmp");
        });

        it("give every container requests and limits, config-reloader and Grafana's sidecars included", () => {
            const v = kubePrometheusStackValues(SAMPLE_ARGS);
            for (const at of [
                "prometheusOperator.resources",
                "prometheusOperator.prometheusConfigReloader.resources",
                "prometheus.prometheusSpec.resources",
                "alertmanager.alertmanagerSpec.resources",
                "grafana.resources",
                "grafana.sidecar.resources",
                "kube-state-metrics.resources",
                "prometheus-node-exporter.resources",
            ]) {
                const resources = get(v, at);
                for (const kind of ["requests", "limits"]) {
                    expect(resources?.[kind]?.cpu, `${at}.${kind}.cpu`).to.be.a("string");
                    expect(resources?.[kind]?.memory, `${at}.${kind}.memory`).to.be.a("string");
                }
            }
            expect(v.prometheus.prometheusSpec.resources).to.deep.equal({
                requests: { cpu: "500m", memory: "1Gi", "ephemeral-storage": "64Mi" },
                limits: { cpu: "2", memory: "4Gi", "ephemeral-storage": "1Gi" },
            });
        });

        it("store Prometheus and Alertmanager data on volumes of the given class, with size-based retention", () => {
            const v = kubePrometheusStackValues({ ...SAMPLE_ARGS, alertmanagerStorageSize: "2Gi" });
            const spec = v.prometheus.prometheusSpec;
            expect(spec.retention).to.equal("15d");
            expect(spec.retentionSize).to.equal("17408MB");
            expect(retentionSizeFor(10 * 2 ** 30)).to.equal("8704MB");
            expect(spec.storageSpec.volumeClaimTemplate.spec).to.deep.equal({
                storageClassName: "fast-ssd",
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: "20Gi" } },
            });
            expect(
                v.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage,
            ).to.equal("2Gi");
            expect(v.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.storageClassName).to.equal(
                "fast-ssd",
            );
        });

        it("add PodDisruptionBudgets only for replicated Prometheus and Alertmanager", () => {
            const single = kubePrometheusStackValues(SAMPLE_ARGS);
            expect(single.prometheus.podDisruptionBudget.enabled).to.equal(false);
            expect(single.alertmanager.podDisruptionBudget.enabled).to.equal(false);
            const ha = kubePrometheusStackValues({ ...SAMPLE_ARGS, prometheusReplicas: 2, alertmanagerReplicas: 3 });
            expect(ha.prometheus.prometheusSpec.replicas).to.equal(2);
            expect(ha.alertmanager.alertmanagerSpec.replicas).to.equal(3);
            expect(ha.prometheus.podDisruptionBudget).to.deep.equal({ enabled: true, minAvailable: 1 });
            expect(ha.alertmanager.podDisruptionBudget).to.deep.equal({ enabled: true, minAvailable: 1 });
        });

        it("take Grafana's admin credentials from the existing Secret, never a chart default", () => {
            const g = kubePrometheusStackValues({ ...SAMPLE_ARGS, grafanaAdminPasswordRotation: 3 }).grafana;
            expect(g.admin).to.deep.equal({
                existingSecret: "grafana-admin-abc",
                userKey: GRAFANA_ADMIN_USER_KEY,
                passwordKey: GRAFANA_ADMIN_PASSWORD_KEY,
            });
            expect(g).not.to.have.property("adminPassword");
            expect(g.fullnameOverride).to.equal(GRAFANA_SERVICE_NAME);
            expect(g.service).to.deep.equal({ port: 80 });
            expect(g["grafana.ini"].server).to.deep.equal({
                domain: "monitoring.example.com",
                root_url: "https://monitoring.example.com",
            });
            expect(g.podAnnotations["stackwright.io/credential-rotation"]).to.equal("3");
            expect(g.sidecar.dashboards).to.deep.include({
                enabled: true,
                label: GRAFANA_DASHBOARD_LABEL,
                labelValue: "1",
                searchNamespace: "monitoring",
            });
            expect(g.sidecar.datasources).to.deep.include({
                enabled: true,
                isDefaultDatasource: true,
                resource: "configmap",
            });
            expect(g.sidecar.dashboards.resource).to.equal("configmap");
            expect(g.rbac).to.deep.equal({ namespaced: true });
        });

        it("Alertmanager reads its configuration from the component's Secret", () => {
            const am = kubePrometheusStackValues(SAMPLE_ARGS).alertmanager.alertmanagerSpec;
            expect(am).to.deep.include({ useExistingSecret: true, configSecret: "alertmanager-config-abc" });
        });

        it("under the mesh, give Prometheus Istio's certificate-writing sidecar and mount the certificates", () => {
            const spec = kubePrometheusStackValues({ ...SAMPLE_ARGS, meshEnabled: true }).prometheus.prometheusSpec;
            expect(spec.podMetadata.labels).to.deep.equal({ "sidecar.istio.io/inject": "true" });
            expect(spec.podMetadata.annotations).to.deep.equal({
                "sidecar.istio.io/inject": "true",
                "traffic.sidecar.istio.io/includeInboundPorts": "",
                "traffic.sidecar.istio.io/includeOutboundIPRanges": "",
                "proxy.istio.io/config": '{"proxyMetadata":{"OUTPUT_CERTS":"/etc/istio-output-certs"}}',
                "sidecar.istio.io/userVolumeMount": '[{"name":"istio-certs","mountPath":"/etc/istio-output-certs"}]',
            });
            expect(spec.volumes).to.deep.equal([
                { name: ISTIO_CERTS_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
            ]);
            expect(spec.volumeMounts).to.deep.equal([
                { name: ISTIO_CERTS_VOLUME, mountPath: PROMETHEUS_ISTIO_CERTS_DIR, readOnly: true },
            ]);

            const plain = kubePrometheusStackValues(SAMPLE_ARGS).prometheus.prometheusSpec;
            for (const key of ["podMetadata", "volumes", "volumeMounts"]) expect(plain, key).not.to.have.property(key);
        });

        it("keep honorLabels on the kube-state-metrics and kubelet ServiceMonitors (the rules rely on their labels)", () => {
            const v = kubePrometheusStackValues(SAMPLE_ARGS);
            expect(v.kubelet.serviceMonitor.honorLabels).to.equal(true);
            expect(v["kube-state-metrics"].prometheus.monitor.http.honorLabels).to.equal(true);
            expect(v["kube-state-metrics"].prometheus.monitor.metrics.honorLabels).to.equal(true);
        });

        it("name the Prometheus ServiceAccount the mesh authorizes", () => {
            expect(kubePrometheusStackValues(SAMPLE_ARGS).prometheus.serviceAccount).to.deep.equal({
                create: true,
                name: PROMETHEUS_SERVICE_ACCOUNT,
            });
        });

        it("put node-exporter in its namespace, with a reasoned exemption per policy on the DaemonSet", () => {
            const ne = kubePrometheusStackValues(SAMPLE_ARGS)["prometheus-node-exporter"];
            expect(ne.namespaceOverride).to.equal("monitoring-node");
            const annotations: Record<string, string> = ne.daemonsetAnnotations;
            expect(Object.keys(annotations)).to.have.members(
                Object.keys(NODE_EXPORTER_EXEMPTIONS).map((p) => `policy.stackwright.io/exempt-${p}`),
            );
            for (const [key, reason] of Object.entries(annotations)) {
                const policy = key.replace("policy.stackwright.io/exempt-", "");
                expect(isPolicyName(policy), `${policy} is a policy of the pack`).to.equal(true);
                expect(reason.trim().length, key).to.be.greaterThan(20);
            }
            expect(ne).not.to.have.property("podAnnotations");
        });

        it("resolve a chart source from a Helm repository, an OCI registry or a local path", () => {
            expect(
                helmChartReference({ repository: "https://charts.example.com", chart: "c", version: "1.0.0" }),
            ).to.deep.equal({ chart: "c", version: "1.0.0", repositoryOpts: { repo: "https://charts.example.com" } });
            expect(
                helmChartReference({ repository: "oci://ghcr.io/org/charts/", chart: "c", version: "1.0.0" }),
            ).to.deep.equal({ chart: "oci://ghcr.io/org/charts/c", version: "1.0.0" });
            expect(
                helmChartReference({ repository: "https://x", chart: "c", version: "1.0.0", path: "./vendor/c" }),
            ).to.deep.equal({ chart: "./vendor/c" });
        });
    });

    describe("plan from config (pure)", () => {
        it("storage class: monitoring.storageClass, else storageClass, else the environment default", () => {
            const prod = config("prod");
            expect(monitoringPlan(prod)!.settings.storageClass).to.equal("fast-ssd");
            const own = config("prod", {
                monitoring: { ...(readStackConfig("prod").monitoring as object), storageClass: "premium-rwo" },
            });
            expect(monitoringPlan(own)!.settings.storageClass).to.equal("premium-rwo");
            const raw = readStackConfig("staging");
            delete raw.storageClass;
            expect(monitoringPlan(parseConfig(raw))!.settings.storageClass).to.equal(
                environmentDefaults("staging").storageClass,
            );
        });

        it("alert rules cover the scraped services, the data, trace and log namespaces, the CNPG cluster, Redis, the backup CronJobs and the log collector", () => {
            const cfg = config("prod");
            const args = alertRulesArgs(cfg);
            expect(args.namespaces).to.deep.equal([
                cfg.namespaces.apps,
                cfg.namespaces.data,
                cfg.namespaces.tracing,
                cfg.namespaces.logging,
            ]);
            expect(args.logCollectorNamespace).to.equal(cfg.namespaces.logging);
            expect(args.services!.map((s) => s.name).sort()).to.deep.equal(
                Object.keys(cfg.services)
                    .filter((s) => cfg.services[s].metrics)
                    .sort(),
            );
            expect(args.postgresClusters).to.deep.equal([
                { name: POSTGRES_CLUSTER_NAME, namespace: cfg.namespaces.data },
            ]);
            expect(args.redisNamespaces).to.deep.equal([cfg.namespaces.data]);
            expect(args.istioEnabled).to.equal(true);
            expect(backupCronJobTargets(cfg).map((c) => c.name)).to.deep.equal([
                BACKUP_CRONJOBS.postgres,
                BACKUP_CRONJOBS.postgresVerify,
                BACKUP_CRONJOBS.redis,
            ]);
            // Daily backup: one day plus one hour of grace; weekly verification: a week plus an hour.
            expect(backupCronJobTargets(cfg)[0].maxAgeSeconds).to.equal(86400 + 3600);
            expect(backupCronJobTargets(cfg)[1].maxAgeSeconds).to.equal(7 * 86400 + 3600);
            // prod's stricter error-rate threshold reaches the rule.
            expect(args.errorRatePercent).to.equal(1);
            expect(alertRulesArgs(config("dev")).errorRatePercent).to.equal(5);
        });

        it("WAL-archiving and base-backup alerts follow postgres.objectStore and the ScheduledBackups it brings", () => {
            for (const stack of STACKS)
                expect(alertRulesArgs(config(stack)).postgresClusters![0].objectStore, stack).to.equal(undefined);
            const objectStore = { destinationPath: "s3://b/pg", accessKeyId: "id", secretAccessKey: "secret" };
            const postgres = { ...(readStackConfig("prod").postgres as object), objectStore };
            // Daily full (02:00) and, with the backups component, incremental every 6 h: 6 h + 1 h grace.
            expect(alertRulesArgs(config("prod", { postgres })).postgresClusters![0].objectStore).to.deep.equal({
                baseBackupMaxAgeSeconds: 7 * 3600,
            });
            // Without the backups component only the daily full ScheduledBackup runs: 24 h + 1 h.
            const noBackups = alertRulesArgs(config("prod", { postgres, backups: { enabled: false } }));
            expect(noBackups.postgresClusters![0].objectStore).to.deep.equal({ baseBackupMaxAgeSeconds: 25 * 3600 });
        });

        it("no backup or data-store alerts for what the stack does not run", () => {
            const raw = readStackConfig("dev");
            // Services without data stores, so Postgres and Redis can be off.
            const services = Object.fromEntries(
                Object.entries(raw.services as Record<string, any>).map(([k, s]) => {
                    const rest = { ...s };
                    for (const key of ["database", "redis", "migration"]) delete rest[key];
                    return [k, rest];
                }),
            );
            const cfg = parseConfig({
                ...raw,
                services,
                postgres: { enabled: false },
                redis: { enabled: false },
                backups: { enabled: false },
            });
            const args = alertRulesArgs(cfg);
            expect(args.namespaces).to.deep.equal([cfg.namespaces.apps]);
            expect(args.postgresClusters).to.deep.equal([]);
            expect(args.redisNamespaces).to.deep.equal([]);
            expect(args.backupCronJobs).to.deep.equal([]);
        });

        it("monitoring off: no plan", () => {
            expect(monitoringPlan(config("dev", { monitoring: { enabled: false } }))).to.equal(undefined);
        });

        it("config rejects a Slack channel without a webhook and a Prometheus request above its limit", () => {
            const base = readStackConfig("dev").monitoring as Record<string, unknown>;
            expect(() => config("dev", { monitoring: { ...base, slackChannel: "#ops" } })).to.throw(
                /stackwright:monitoring\.slackChannel: a Slack channel needs monitoring\.slackWebhookUrl/,
            );
            expect(() => config("dev", { monitoring: { ...base, resources: { requests: { cpu: "3" } } } })).to.throw(
                /stackwright:monitoring\.resources\.requests\.cpu: request "3" exceeds limit "2" \(the default\)/,
            );
            expect(PROMETHEUS_DEFAULT_RESOURCES.limits.cpu).to.equal("2");
        });
    });

    describe("network policies (pure)", () => {
        const cfg = config("staging");
        const policies: NetworkPolicyObject[] = monitoringNetworkPolicies(cfg).map((p) => ({
            metadata: { namespace: cfg.namespaces.monitoring, name: p.name },
            spec: p.spec,
        }));
        const ns = cfg.namespaces.monitoring;
        const prometheus = podEndpoint(
            "prometheus",
            ns,
            prometheusPods(cfg).podLabels as Record<string, string>,
            [9090],
        );
        const grafana = podEndpoint("grafana", ns, grafanaPods(cfg).podLabels as Record<string, string>, [
            GRAFANA_CONTAINER_PORT,
        ]);
        const alertmanager = podEndpoint(
            "alertmanager",
            ns,
            { "app.kubernetes.io/name": "alertmanager" },
            [9093, 9094],
        );
        const edge = podEndpoint(
            "edge",
            cfg.namespaces.edge,
            edgeDataPlane(cfg).podLabels as Record<string, string>,
            [443],
        );
        const app = podEndpoint("app", cfg.namespaces.apps, { "app.kubernetes.io/name": "backend" }, [9898]);
        const allowed = (from: Endpoint, to: Endpoint, port: number) =>
            isAllowed(policies, from, to, { port, protocol: "TCP" }, "ingress");

        it("let the edge and Prometheus reach Grafana, and nobody else", () => {
            expect(allowed(edge, grafana, GRAFANA_CONTAINER_PORT)).to.equal(true);
            expect(allowed(prometheus, grafana, GRAFANA_CONTAINER_PORT)).to.equal(true);
            expect(allowed(app, grafana, GRAFANA_CONTAINER_PORT)).to.equal(false);
        });

        it("keep Prometheus and Alertmanager inside the monitoring namespace", () => {
            expect(allowed(grafana, prometheus, 9090)).to.equal(true);
            expect(allowed(app, prometheus, 9090)).to.equal(false);
            expect(allowed(edge, prometheus, 9090)).to.equal(false);
            expect(allowed(prometheus, alertmanager, 9093)).to.equal(true);
            expect(allowed(alertmanager, alertmanager, 9094)).to.equal(true);
            expect(allowed(app, alertmanager, 9093)).to.equal(false);
        });
    });

    for (const stack of STACKS) {
        describe(`stack ${stack}`, () => {
            let r: RenderedStack;
            let cfg: StackConfig;
            before(() => {
                r = rendered[stack];
                cfg = config(stack);
            });

            it("installs the pinned CRDs chart first and kube-prometheus-stack from config without its CRDs", () => {
                const crds = chartNamed(r, "-operator-crds");
                expect(crds.inputs).to.deep.include({
                    chart: cfg.monitoring.crdsChart.chart,
                    version: cfg.monitoring.crdsChart.version,
                    name: "prometheus-operator-crds",
                    namespace: cfg.namespaces.monitoring,
                });
                expect(crds.inputs.repositoryOpts).to.deep.equal({ repo: cfg.monitoring.crdsChart.repository });
                const kps = chartNamed(r, "-kube-prometheus-stack");
                expect(kps.inputs).to.deep.include({
                    chart: cfg.monitoring.chart.chart,
                    version: cfg.monitoring.chart.version,
                    name: KPS_RELEASE_NAME,
                    namespace: cfg.namespaces.monitoring,
                    skipCrds: true,
                });
                expect(kps.inputs.repositoryOpts).to.deep.equal({ repo: cfg.monitoring.chart.repository });
                expect(kps.dependencies, "kube-prometheus-stack waits for the CRDs").to.include(crds.urn);
                expect(cfg.monitoring.chart.version).to.match(/^\d+\.\d+\.\d+$/);
            });

            it("renders the chart values with the pure function", () => {
                expect(kpsValues(r)).to.deep.equal(kubePrometheusStackValues(valuesArgsFromRender(r, cfg)));
            });

            it("uses this environment's retention, storage, replicas and Prometheus resources", () => {
                const v = kpsValues(r);
                const spec = v.prometheus.prometheusSpec;
                expect(spec.retention).to.equal(cfg.monitoring.retention);
                expect(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage).to.equal(
                    cfg.monitoring.storageSize,
                );
                expect(spec.storageSpec.volumeClaimTemplate.spec.storageClassName).to.equal(
                    { dev: "standard", staging: "standard", prod: "fast-ssd" }[stack],
                );
                expect(spec.replicas).to.equal(cfg.monitoring.prometheusReplicas);
                expect(v.alertmanager.alertmanagerSpec.replicas).to.equal(cfg.monitoring.alertmanagerReplicas);
                const wanted = readStackConfig(stack).monitoring as any;
                expect(spec.resources.requests).to.deep.include(wanted.resources.requests);
                expect(spec.resources.limits).to.deep.include(wanted.resources.limits);
                expect({ dev: "3d", staging: "15d", prod: "30d" }[stack]).to.equal(spec.retention);
            });

            it("creates no webhook certificate: no TLS resources and no webhook Secret in the monitoring component", () => {
                const monitoringChildren = r.resources.filter((x) => x.urn.includes(Monitoring.TYPE));
                expect(monitoringChildren.filter((x) => x.type.startsWith("tls:"))).to.deep.equal([]);
                expect(monitoringChildren.filter((x) => x.name.endsWith("-webhook-tls"))).to.deep.equal([]);
            });

            it("gives Grafana the generated admin password through a Secret in the monitoring namespace", () => {
                const secretRecord = childOfType(r, "kubernetes:core/v1:Secret", "-grafana-admin");
                const secret = manifestOf(secretRecord)!;
                expect(secret.metadata.namespace).to.equal(cfg.namespaces.monitoring);
                expect(secret.stringData[GRAFANA_ADMIN_USER_KEY]).to.equal("admin");
                const password = only(
                    r.resources.filter(
                        (x) =>
                            x.type === "random:index/randomPassword:RandomPassword" &&
                            x.name.endsWith("-grafanaAdminPassword"),
                    ),
                    "Grafana password",
                ).state.result;
                expect(secret.stringData[GRAFANA_ADMIN_PASSWORD_KEY]).to.equal(password);
                expect(kpsValues(r).grafana.admin.existingSecret).to.equal(secret.metadata.name);
            });

            it("provisions one labelled dashboard ConfigMap per dashboards/*.json file", () => {
                const files = fs
                    .readdirSync(DASHBOARDS_DIR)
                    .filter((f) => f.endsWith(".json"))
                    .sort();
                expect(files.length).to.be.greaterThan(3);
                const maps = monitoringChildren(r)
                    .filter((x) => x.type === "kubernetes:core/v1:ConfigMap")
                    .map((x) => manifestOf(x)!);
                expect(maps.map((m) => Object.keys(m.data)[0]).sort()).to.deep.equal(files);
                for (const m of maps) {
                    const file = Object.keys(m.data)[0];
                    expect(m.metadata.labels[GRAFANA_DASHBOARD_LABEL], file).to.equal("1");
                    expect(m.metadata.namespace, file).to.equal(cfg.namespaces.monitoring);
                    expect(m.data[file], file).to.equal(fs.readFileSync(path.join(DASHBOARDS_DIR, file), "utf8"));
                }
            });

            it("creates the stack's PrometheusRule with this environment's thresholds", () => {
                const rule = manifestOf(childOfType(r, `kubernetes:${MONITORING_GROUP}/v1:PrometheusRule`, "-rules"))!;
                expect(rule.metadata.namespace).to.equal(cfg.namespaces.monitoring);
                expect(rule.spec.groups).to.deep.equal(JSON.parse(JSON.stringify(monitoringPlan(cfg)!.ruleGroups)));
                const errorRate = rule.spec.groups
                    .flatMap((g: any) => g.rules)
                    .find((x: any) => x.alert === "ServiceHighErrorRate");
                expect(errorRate.expr).to.match(new RegExp(`> ${cfg.monitoring.thresholds.errorRatePercent}$`));
            });

            it("orders every monitoring.coreos.com object of the stack after the CRDs", () => {
                const crdsUrn = chartNamed(r, "-operator-crds").urn;
                const objects = r.resources.filter(isMonitoringCustomResource);
                expect(objects.length).to.be.greaterThan(3);
                const unordered = objects
                    .filter((x) => !orderedAfter(r.resources, x, crdsUrn))
                    .map((x) => `${x.type} ${x.name}`);
                expect(unordered).to.deep.equal([]);
            });

            it("scrapes every metrics-exposing workload of the stack with a ServiceMonitor or PodMonitor", function () {
                const monitors = kubeObjects(r.resources).filter(
                    (o) =>
                        o.apiVersion === `${MONITORING_GROUP}/v1` && ["ServiceMonitor", "PodMonitor"].includes(o.kind),
                );
                const selects = (labels: Record<string, string>, namespace: string) =>
                    monitors.filter((m) => {
                        const namespaces: string[] | undefined = m.spec.namespaceSelector?.matchNames;
                        const inNs = namespaces ? namespaces.includes(namespace) : m.metadata.namespace === namespace;
                        return (
                            inNs &&
                            Object.entries(m.spec.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
                        );
                    });
                // Application services with a metrics endpoint: one ServiceMonitor each.
                for (const [name, svc] of Object.entries(cfg.services)) {
                    if (!svc.metrics) continue;
                    const found = selects(
                        { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name },
                        cfg.namespaces.apps,
                    );
                    expect(found, `service ${name}`).to.have.length(1);
                    expect(found[0].kind, name).to.equal("ServiceMonitor");
                    expect(found[0].spec.endpoints[0].scheme).to.equal(cfg.mesh.enabled ? "https" : "http");
                }
                // Mesh: istiod and the sidecars.
                const meshMonitors = monitors.filter(
                    (m) => m.metadata.namespace === cfg.namespaces.istio || JSON.stringify(m.spec).includes("15090"),
                );
                expect(meshMonitors.length, "mesh monitors").to.equal(cfg.mesh.enabled ? 2 : 0);
                // Edge (NGINX Gateway Fabric).
                if (cfg.edge.enabled)
                    expect(
                        monitors.filter((m) => m.metadata.namespace === cfg.namespaces.edge).length,
                        "edge monitors",
                    ).to.be.greaterThan(0);
                // Data stores: PostgreSQL (a PodMonitor, or the CNPG Cluster's own) and Redis's exporter.
                const clusters = kubeObjects(r.resources).filter(
                    (o) => o.apiVersion === "postgresql.cnpg.io/v1" && o.kind === "Cluster",
                );
                if (!cfg.postgres.enabled && !cfg.redis.enabled) return;
                if (clusters.length === 0) {
                    console.log(
                        "      pending: no data-stores component in index.ts yet (PostgreSQL and Redis monitors not checked)",
                    );
                    this.skip();
                }
                for (const cluster of clusters) {
                    const podMonitor =
                        selects(
                            { "cnpg.io/cluster": POSTGRES_CLUSTER_NAME, "cnpg.io/podRole": "instance" },
                            cfg.namespaces.data,
                        ).length > 0;
                    expect(
                        podMonitor || cluster.spec.monitoring?.enablePodMonitor === true,
                        "PostgreSQL is scraped",
                    ).to.equal(true);
                }
                if (cfg.redis.enabled) {
                    const redis = selects(redisPods(cfg).podLabels as Record<string, string>, cfg.namespaces.data);
                    expect(redis.length, "Redis exporter monitor").to.be.greaterThan(0);
                }
            });

            it("every monitoring object validates against the upstream schemas", async () => {
                const objects = kubeObjects([
                    ...monitoringChildren(r),
                    ...r.resources.filter(isMonitoringCustomResource),
                ]);
                const unique = [
                    ...new Map(
                        objects.map((o) => [`${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`, o]),
                    ).values(),
                ];
                expect(unique.length).to.be.greaterThan(10);
                expect(await validateAgainstSchemas(unique)).to.deep.equal([]);
            });

            it("passes `promtool check rules` with the rendered PrometheusRule groups", function () {
                const promtool = needTool(this, "promtool", "prometheus");
                const rules = r.resources
                    .filter((x) => x.type === `kubernetes:${MONITORING_GROUP}/v1:PrometheusRule`)
                    .map((x) => manifestOf(x)!);
                expect(rules.length).to.be.greaterThan(0);
                for (const rule of rules) {
                    const file = writeFile(
                        `${stack}-${rule.metadata.name}.yaml`,
                        yaml.dump({ groups: rule.spec.groups }, { noRefs: true, lineWidth: -1 }),
                    );
                    const result = run(promtool, ["check", "rules", file]);
                    expect(result.status, result.output).to.equal(0);
                    expect(result.output).to.match(/SUCCESS: \d+ rules found/);
                }
            });

            it("passes `amtool check-config` with the rendered Alertmanager configuration", function () {
                const amtool = needTool(this, "amtool", "prometheus-alertmanager");
                const secret = manifestOf(childOfType(r, "kubernetes:core/v1:Secret", "-alertmanager-config"))!;
                const file = writeFile(`${stack}-alertmanager.yaml`, secret.stringData[ALERTMANAGER_CONFIG_KEY]);
                const result = run(amtool, ["check-config", file]);
                expect(result.status, result.output).to.equal(0);
                expect(kpsValues(r).alertmanager.alertmanagerSpec.configSecret).to.equal(secret.metadata.name);
            });

            it("puts no generated secret in a ConfigMap or chart value", () => {
                const plain = r.resources
                    .filter((x) => x.type === CHART_TYPE || x.type === "kubernetes:core/v1:ConfigMap")
                    .map((x) => JSON.stringify(x.inputs));
                for (const secret of r.generatedSecrets) {
                    for (const text of plain)
                        expect(text.includes(secret), "a generated secret in the clear").to.equal(false);
                }
            });

            it(
                stack === "dev"
                    ? "monitoring namespace stays without an injection label (mesh off)"
                    : "only Prometheus gets a sidecar: the monitoring namespace is not labelled for injection",
                () => {
                    const ns = kubeObjects(r.resources).find(
                        (o) => o.kind === "Namespace" && o.metadata.name === cfg.namespaces.monitoring,
                    )!;
                    expect(ns.metadata.labels).not.to.have.property("istio-injection");
                    expect(ns.metadata.labels).not.to.have.property("istio.io/rev");
                    const spec = kpsValues(r).prometheus.prometheusSpec;
                    expect(spec.podMetadata?.labels?.["sidecar.istio.io/inject"]).to.equal(
                        cfg.mesh.enabled ? "true" : undefined,
                    );
                },
            );
        });
    }

    describe("ordering and secrets", () => {
        it("under the mesh, Prometheus pods are created after the sidecar injector", () => {
            const r = rendered.staging;
            const kps = chartNamed(r, "-kube-prometheus-stack");
            const istiod = only(
                r.resources.filter((x) => x.type === CHART_TYPE && x.name.endsWith("-istiod")),
                "istiod chart",
            );
            expect(kps.dependencies).to.include(istiod.urn);
            expect(
                chartNamed(rendered.dev, "-kube-prometheus-stack").dependencies.some((u) => u.includes("istiod")),
            ).to.equal(false);
        });

        it("keeps alert receiver URLs out of everything but the Alertmanager Secret, and amtool accepts them", async function () {
            const monitoring = { ...(readStackConfig("staging").monitoring as object), ...RECEIVERS };
            const r = await renderStack("staging", { overrides: { monitoring } });
            const secret = childOfType(r, "kubernetes:core/v1:Secret", "-alertmanager-config");
            const text = manifestOf(secret)!.stringData[ALERTMANAGER_CONFIG_KEY];
            const parsed = yaml.load(text) as any;
            const critical = parsed.receivers.find((x: any) => x.name === "critical");
            expect(critical.webhook_configs[0].url).to.equal(RECEIVERS.alertWebhookUrl);
            expect(critical.slack_configs[0]).to.deep.include({
                api_url: RECEIVERS.slackWebhookUrl,
                channel: RECEIVERS.slackChannel,
            });
            for (const x of r.resources) {
                if (x.urn === secret.urn) continue;
                const all = JSON.stringify([x.inputs, x.state]);
                expect(all.includes("s3cr3t"), `${x.type} ${x.name}`).to.equal(false);
            }
            const amtool = needTool(this, "amtool", "prometheus-alertmanager");
            const result = run(amtool, ["check-config", writeFile("receivers-alertmanager.yaml", text)]);
            expect(result.status, result.output).to.equal(0);
        });

        it("keeps the Alertmanager configuration and the Grafana password secret, and the chart values free of secrets", async () => {
            const cfg = config("staging", {
                monitoring: { ...(readStackConfig("staging").monitoring as object), ...RECEIVERS },
            });
            const plan = monitoringPlan(cfg)!;
            const recorded = await recordRawInputs(() => {
                const crds = new MonitoringCrds("m", {
                    namespace: plan.namespace,
                    chart: plan.crdsChart,
                    helm: plan.helm,
                });
                new Monitoring("m", { ...plan, crds: crds.crds, grafanaAdminPassword: "not-a-real-password" });
            });
            const isSecret = (v: unknown) =>
                typeof v === "object" &&
                v !== null &&
                (v as Record<string, unknown>)[specialSigKey] === specialSecretSig;
            for (const name of ["m-alertmanager-config", "m-grafana-admin"]) {
                const secret = only(
                    recorded.filter((x) => x.name === name),
                    name,
                );
                expect(isSecret(secret.inputs.stringData), `${name} stringData is secret`).to.equal(true);
            }
            const am = only(
                recorded.filter((x) => x.name === "m-alertmanager-config"),
                "alertmanager secret",
            );
            expect(am.inputs.stringData.value[ALERTMANAGER_CONFIG_KEY]).to.include(RECEIVERS.slackWebhookUrl);
            // A secret anywhere in the values would make Pulumi hide the whole values in every preview.
            const kps = only(
                recorded.filter((x) => x.name === "m-kube-prometheus-stack"),
                "kube-prometheus-stack chart",
            );
            expect(JSON.stringify(kps.inputs)).not.to.include(specialSecretSig);
            const plain = JSON.stringify(
                recorded.filter((x) => x.type !== "kubernetes:core/v1:Secret").map((x) => x.inputs),
            );
            for (const secretText of ["not-a-real-password", "s3cr3t"]) expect(plain).not.to.include(secretText);
        });
    });
});
