/**
 * Stackwright: one program, three stacks. Load and validate config, construct the components, export outputs.
 * Everything else lives in components/ (one ComponentResource each) and lib/ (pure spec builders).
 */
import * as k8s from "@pulumi/kubernetes";
import { loadConfig } from "./config";
import { databaseRoles } from "./lib/postgres/roles";
import { Namespaces } from "./components/namespaces";
import { GeneratedSecrets } from "./components/secrets";
import { Mesh } from "./components/mesh";
import { AppService } from "./components/service";
import { Edge } from "./components/edge";
import { Monitoring } from "./components/monitoring";
import { MonitoringCrds } from "./components/monitoring-crds";
import { Postgres } from "./components/postgres";
import { Redis } from "./components/redis";
import { Backups } from "./components/backups";
import { backupsArgs, backupsWanted } from "./lib/backups/plan";
import { definedOnly, environmentDefaults } from "./lib/defaults";
import { edgePlan } from "./lib/edge/plan";
import { meshPlan } from "./lib/mesh/plan";
import { monitoringPlan } from "./lib/monitoring/plan";
import { namespacePlan, publicHosts } from "./lib/plan";
import { providerArgs } from "./lib/provider";
import { postgresArgs } from "./lib/postgres/plan";
import { redisArgs } from "./lib/redis/plan";
import { serviceTraffic } from "./lib/service/network";
import { callersOf, monitoringCapability } from "./lib/topology";

const cfg = loadConfig();
const defaults = environmentDefaults(cfg.environment);

// Every plan is built before the first resource registers: whatever a plan refuses leaves nothing half-created.
const hosts = publicHosts(cfg);
const monitoringSpec = monitoringPlan(cfg);
const meshSpec = meshPlan(cfg);
const edgeSpec = cfg.edge.enabled ? edgePlan(cfg) : undefined;
const callers = callersOf(cfg);
const traffic = Object.fromEntries(
    Object.keys(cfg.services).map((name) => [name, serviceTraffic(cfg, name, callers[name] ?? [])]),
);

// The only Kubernetes provider: default providers are disabled in Pulumi.yaml, so nothing can reach an ambient
// kube context by accident.
const provider = new k8s.Provider("k8s", providerArgs(cfg.kubernetes));
const opts = { providers: { kubernetes: provider } };

const namespaces = new Namespaces(
    "namespaces",
    {
        namespaces: namespacePlan(cfg),
        quota: { ...defaults.quota, ...definedOnly(cfg.quota) },
        limitRange: { ...defaults.limitRange, ...definedOnly(cfg.limitRange) },
    },
    opts,
);
const afterNamespaces = { ...opts, dependsOn: Object.values(namespaces.byName) };

const secrets = new GeneratedSecrets(
    "secrets",
    {
        environment: cfg.environment,
        rotation: cfg.secrets.rotation,
        passwordLength: cfg.secrets.passwordLength,
        databaseRoles: databaseRoles(cfg),
        publicHosts: hosts,
        appNamespace: cfg.namespaces.apps,
        tlsNamespace: cfg.edge.enabled ? cfg.namespaces.edge : undefined,
        caValidityHours: cfg.secrets.caValidityHours,
        certificateValidityHours: cfg.secrets.certificateValidityHours,
        certificateEarlyRenewalHours: cfg.secrets.certificateEarlyRenewalHours,
    },
    afterNamespaces,
);

// Monitoring CRDs first: the mesh, data stores, services and edge create ServiceMonitors/PodMonitors.
const monitoringCrds = monitoringSpec
    ? new MonitoringCrds(
          "monitoring",
          {
              namespace: namespaces.byName[cfg.namespaces.monitoring].metadata.name,
              chart: monitoringSpec.crdsChart,
              helm: monitoringSpec.helm,
          },
          afterNamespaces,
      )
    : undefined;
/** Present when monitoring is on: Prometheus' pods and the CRDs every monitor waits for. */
const monitoring = monitoringCapability(cfg, monitoringCrds?.crds);

// Service mesh.
const mesh = meshSpec ? new Mesh("mesh", { ...meshSpec, monitoring }, afterNamespaces) : undefined;
/** Workloads that get sidecars start after the injector webhook and the CNI agent exist (else they run unmeshed). */
const afterMesh = { ...afterNamespaces, dependsOn: [...afterNamespaces.dependsOn, ...(mesh?.ready ?? [])] };

// Monitoring: Prometheus gets an Istio sidecar (for its scrape certificates), so it comes after the mesh.
if (monitoringSpec && monitoringCrds) {
    new Monitoring(
        "monitoring",
        {
            ...monitoringSpec,
            crds: monitoringCrds.crds,
            namespace: namespaces.byName[cfg.namespaces.monitoring].metadata.name,
            nodeMonitoringNamespace: namespaces.byName[cfg.namespaces.nodeMonitoring].metadata.name,
            grafanaAdminPassword: secrets.credentials.grafanaAdminPassword,
            grafanaAdminPasswordRotation: secrets.rotation.grafanaAdminPassword,
            prometheusDependsOn: mesh?.ready,
        },
        afterMesh,
    );
}

// Data stores: outside the mesh (CloudNativePG and Sentinel manage their own replication traffic), so after the namespaces and
// the generated credentials only.
const afterSecrets = { ...afterNamespaces, dependsOn: [...afterNamespaces.dependsOn, secrets] };
const postgres = cfg.postgres.enabled
    ? new Postgres("postgres", postgresArgs(cfg, { credentials: secrets.credentials, monitoring }), afterSecrets)
    : undefined;
const redis = cfg.redis.enabled
    ? new Redis("redis", redisArgs(cfg, { password: secrets.credentials.redisPassword, monitoring }), afterSecrets)
    : undefined;
// Application services.
// The Namespace's output (not the plain name) orders every service object after the namespace exists.
const appNamespace = namespaces.byName[cfg.namespaces.apps].metadata.name;
const appServices: AppService[] = [];
for (const [name, service] of Object.entries(cfg.services)) {
    appServices.push(
        new AppService(
            name,
            {
                namespace: appNamespace,
                service,
                defaults,
                traffic: traffic[name],
                meshEnabled: cfg.mesh.enabled,
                monitoring,
                appCredentialsSecretName: secrets.appCredentialsSecretName,
                credentialRotation: secrets.rotation,
                databaseSecretName:
                    service.database !== undefined ? postgres?.databaseSecretNames[service.database] : undefined,
                redisSecretName: service.redis ? redis?.clientSecretName : undefined,
                migrationDependsOn:
                    service.database !== undefined ? postgres?.databaseReady[service.database] : undefined,
                singleReplicaWaiver: cfg.waivers.singleReplicaServices[name],
            },
            afterMesh,
        ),
    );
}
// Edge.
if (edgeSpec) {
    // After the mesh: the data plane NGF creates for the Gateway must find the sidecar injector in place.
    new Edge(
        "edge",
        {
            ...edgeSpec,
            generatedTlsSecretNames: secrets.tlsSecretNames,
            caCertPem: secrets.caCertPem,
            caPrivateKeyPem: secrets.caPrivateKeyPem,
            monitoring,
            backendsDependsOn: appServices,
        },
        afterMesh,
    );
}
// Backups.
if (backupsWanted(cfg)) {
    // After the data stores: the jobs use their Secrets, the ScheduledBackup needs the CloudNativePG CRDs and Cluster.
    const dataStores = [...(postgres ? [postgres] : []), ...(redis ? [redis] : [])];
    new Backups(
        "backups",
        backupsArgs(cfg, {
            postgresSuperuserSecretName: postgres?.superuserSecretName,
            redisPasswordSecretName: redis?.passwordSecretName,
            redisSentinel: redis && { addresses: redis.sentinelAddresses, masterName: redis.masterName },
            dependsOn: dataStores,
        }),
        { ...afterNamespaces, dependsOn: [...afterNamespaces.dependsOn, ...dataStores] },
    );
}

export const environment = cfg.environment;
export const namespaceNames = Object.keys(namespaces.byName);
/** Public: add it to your trust store to reach the dev/staging hosts without warnings. */
export const caCertificatePem = secrets.caCertPem;
export const publicUrls = hosts.map((h) => `https://${h}`);
export const kubeContext =
    cfg.kubernetes.renderYamlToDirectory !== undefined
        ? `(render mode: manifests written to ${cfg.kubernetes.renderYamlToDirectory})`
        : (cfg.kubernetes.context ?? "(kubeconfig current context)");
