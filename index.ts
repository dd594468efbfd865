/**
 * Stackwright: one program, three stacks. Load and validate config, construct the components, export outputs.
 * Everything else lives in components/ (one ComponentResource each) and lib/ (pure spec builders).
 */
import * as k8s from "@pulumi/kubernetes";
import { loadConfig } from "./config";
import { Namespaces } from "./components/namespaces";
import { GeneratedSecrets } from "./components/secrets";
import { Mesh } from "./components/mesh";
import { AppService } from "./components/service";
import { Edge } from "./components/edge";
import { Monitoring } from "./components/monitoring";
import { MonitoringCrds } from "./components/monitoring-crds";
import { Postgres } from "./components/postgres";
import { ExternalPostgres } from "./components/external-postgres";
import { Redis } from "./components/redis";
import { Backups } from "./components/backups";
import { MetricsServer } from "./components/metrics-server";
import { Tracing } from "./components/tracing";
import { Logging } from "./components/logging";
import { backupsPlan, backupsWanted } from "./lib/backups/plan";
import { edgePlan } from "./lib/edge/plan";
import { meshPlan } from "./lib/mesh/plan";
import { metricsServerPlan } from "./lib/metrics-server/values";
import { tracingPlan } from "./lib/tracing/plan";
import { loggingPlan } from "./lib/logging/plan";
import { monitoringPlan } from "./lib/monitoring/plan";
import { namespacesPlan } from "./lib/namespaces/plan";
import { secretsPlan } from "./lib/secrets/plan";
import { servicePlans } from "./lib/service/plan";
import { providerArgs } from "./lib/provider";
import { postgresPlan } from "./lib/postgres/plan";
import { externalPostgresPlan } from "./lib/postgres/external";
import { inClusterPostgres } from "./lib/postgres/roles";
import { redisPlan } from "./lib/redis/plan";
import { monitoringCapability } from "./lib/topology";

const cfg = loadConfig();

// Every plan is built before the first resource registers: whatever a plan refuses leaves nothing half-created.
const namespacesSpec = namespacesPlan(cfg);
const secretsSpec = secretsPlan(cfg);
const serviceSpecs = servicePlans(cfg);
const monitoringSpec = monitoringPlan(cfg);
const meshSpec = meshPlan(cfg);
const metricsServerSpec = metricsServerPlan(cfg);
const tracingSpec = tracingPlan(cfg);
const loggingSpec = loggingPlan(cfg);
const edgeSpec = cfg.edge.enabled ? edgePlan(cfg) : undefined;
const postgresSpec = inClusterPostgres(cfg) ? postgresPlan(cfg) : undefined;
const externalPostgresSpec = externalPostgresPlan(cfg);
const redisSpec = cfg.redis.enabled ? redisPlan(cfg) : undefined;
const backupsSpec = backupsWanted(cfg) ? backupsPlan(cfg) : undefined;

// The only Kubernetes provider: default providers are disabled in Pulumi.yaml, so nothing can reach an ambient
// kube context by accident.
const provider = new k8s.Provider("k8s", providerArgs(cfg.kubernetes));
const opts = { providers: { kubernetes: provider } };

const namespaces = new Namespaces("namespaces", namespacesSpec, opts);
const afterNamespaces = { ...opts, dependsOn: Object.values(namespaces.byName) };

const secrets = new GeneratedSecrets("secrets", secretsSpec, afterNamespaces);

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

// The resource metrics API the autoscalers read, where the cluster has none (kind).
if (metricsServerSpec) {
    new MetricsServer(
        "metrics-server",
        { ...metricsServerSpec, namespace: namespaces.byName[cfg.namespaces.metricsServer].metadata.name },
        afterNamespaces,
    );
}

// Traces: the collector must exist before the sidecars and services send to it (they retry if not).
if (tracingSpec) {
    new Tracing(
        "tracing",
        { ...tracingSpec, namespace: namespaces.byName[cfg.namespaces.tracing].metadata.name },
        afterNamespaces,
    );
}

// Logs: Loki and the collector, before the workloads whose logs it tails (it picks up pods as they appear).
if (loggingSpec) {
    new Logging(
        "logging",
        { ...loggingSpec, namespace: namespaces.byName[cfg.namespaces.logging].metadata.name, monitoring },
        afterNamespaces,
    );
}

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
const postgres = postgresSpec
    ? new Postgres("postgres", { ...postgresSpec, credentials: secrets.credentials, monitoring }, afterSecrets)
    : undefined;
// Or an existing server (a managed service): only the services' connection Secrets are created for it.
const externalPostgres = externalPostgresSpec
    ? new ExternalPostgres("postgres", externalPostgresSpec, afterNamespaces)
    : undefined;
const redis = redisSpec
    ? new Redis("redis", { ...redisSpec, password: secrets.credentials.redisPassword, monitoring }, afterSecrets)
    : undefined;
// Application services.
// The Namespace's output (not the plain name) orders every service object after the namespace exists.
const appNamespace = namespaces.byName[cfg.namespaces.apps].metadata.name;
const appServices: AppService[] = [];
for (const [name, spec] of Object.entries(serviceSpecs)) {
    const { database, redis: usesRedis } = spec.service;
    appServices.push(
        new AppService(
            name,
            {
                ...spec,
                namespace: appNamespace,
                monitoring,
                appCredentialsSecretName: secrets.appCredentialsSecretName,
                credentialRotation: secrets.rotation,
                secretValuesDigestKey: secrets.credentials.encryptionKey,
                databaseSecretName:
                    database !== undefined ? (postgres ?? externalPostgres)?.databaseSecretNames[database] : undefined,
                redisSecretName: usesRedis ? redis?.clientSecretName : undefined,
                migrationDependsOn: database !== undefined ? postgres?.databaseReady[database] : undefined,
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
if (backupsSpec) {
    // After the data stores: the jobs use their Secrets, the ScheduledBackup needs the CloudNativePG CRDs and Cluster.
    const dataStores = [...(postgres ? [postgres] : []), ...(redis ? [redis] : [])];
    new Backups(
        "backups",
        {
            ...backupsSpec,
            postgresSuperuserSecretName: postgres?.superuserSecretName,
            redisPasswordSecretName: redis?.passwordSecretName,
            redisSentinel: redis && { addresses: redis.sentinelAddresses, masterName: redis.masterName },
            dataStoresDependsOn: dataStores,
        },
        { ...afterNamespaces, dependsOn: [...afterNamespaces.dependsOn, ...dataStores] },
    );
}

export const environment = cfg.environment;
export const namespaceNames = Object.keys(namespaces.byName);
/** Public: add it to your trust store to reach the dev/staging hosts without warnings. */
export const caCertificatePem = secrets.caCertPem;
export const publicUrls = secretsSpec.publicHosts.map((h) => `https://${h}`);
export const kubeContext =
    cfg.kubernetes.renderYamlToDirectory !== undefined
        ? `(render mode: manifests written to ${cfg.kubernetes.renderYamlToDirectory})`
        : (cfg.kubernetes.context ?? "(kubeconfig current context)");
