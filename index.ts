/**
 * Stackwright: one program, three stacks. Load and validate config, construct the components, export outputs.
 * Everything else lives in components/ (one ComponentResource each) and lib/ (pure spec builders).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { databaseRoles, loadConfig } from "./config";
import { Namespaces } from "./components/namespaces";
import { GeneratedSecrets } from "./components/secrets";
import { environmentDefaults } from "./lib/defaults";
import { namespacePlan, publicHosts } from "./lib/plan";

const cfg = loadConfig();
const defaults = environmentDefaults(cfg.environment);

// The only Kubernetes provider: default providers are disabled in Pulumi.yaml, so nothing can reach an ambient
// kube context by accident.
const provider = new k8s.Provider("k8s", {
    context: cfg.kubernetes.context,
    kubeconfig: cfg.kubernetes.kubeconfig,
    renderYamlToDirectory: cfg.kubernetes.renderYamlToDirectory,
    enableServerSideApply: true,
});
const opts = { providers: { kubernetes: provider } };

const namespaces = new Namespaces("namespaces", {
    namespaces: namespacePlan(cfg),
    quota: { ...defaults.quota, ...definedOnly(cfg.quota) },
    limitRange: { ...defaults.limitRange, ...definedOnly(cfg.limitRange) },
}, opts);
const afterNamespaces = { ...opts, dependsOn: Object.values(namespaces.byName) };

const hosts = publicHosts(cfg);
const secrets = new GeneratedSecrets("secrets", {
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
}, afterNamespaces);

// <monitoring> (observability issue)
// <mesh> (service-mesh issue)
// <data-stores> (data-stores issue)
// <services> (services issue)
// <edge> (edge issue)
// <backups> (backups issue)

function definedOnly<T extends object>(value: T): Partial<T> {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const environment = cfg.environment;
export const namespaceNames = Object.keys(namespaces.byName);
/** Public: add it to your trust store to reach the dev/staging hosts without warnings. */
export const caCertificatePem = secrets.caCertPem;
export const publicUrls = hosts.map((h) => `https://${h}`);
export const kubernetesProvider = pulumi.output(provider.id).apply(() => cfg.kubernetes.context ?? "(current context)");
