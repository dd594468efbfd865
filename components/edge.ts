import { helmChart } from "./helm-chart";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import {
    acmeClusterIssuerSpec,
    caClusterIssuerSpec,
    certificateSpec,
    certManagerSecretName,
    controlPlanePkiPlan,
} from "../lib/edge/certificates";
import { helmChartReference, manifestFile } from "../lib/chart-source";
import { gatewaySpec, httpRouteSpec, redirectRouteSpec, referenceGrantSpecs } from "../lib/edge/gateway";
import {
    ACME_ISSUER_NAME,
    CA_ISSUER_NAME,
    CERT_MANAGER_RELEASE_NAME,
    controlPlaneSelector,
    DATA_PLANE_PROXY_NAME,
    GATEWAY_NAME,
    hostSlug,
    ISTIO_INCLUDE_INBOUND_PORTS,
    NGF_AGENT_TLS_SECRET,
    NGF_RELEASE_NAME,
    NGF_SERVER_TLS_SECRET,
    NGF_TLS_KEYS,
} from "../lib/edge/names";
import {
    acmeSolverPolicySpec,
    controlPlanePolicySpec,
    dataPlanePolicySpec,
    edgeDefaultDenySpec,
} from "../lib/edge/network-policies";
import type { EdgePlan } from "../lib/edge/plan";
import { clientSettingsPolicySpec, proxySettingsPolicySpec, rateLimitPolicySpec } from "../lib/edge/policies";
import { certManagerChartValues, dataPlaneProxySpec, ngfChartValues } from "../lib/edge/values";
import { certificateFor } from "../lib/edge/provided-certificates";
import { PART_OF, recommendedLabels } from "../lib/labels";
import { ISTIO_INJECT_LABEL, MonitoringCapability } from "../lib/topology";
import { waiverAnnotations } from "../lib/waivers";
import { withFormerTypes } from "../lib/aliases";

export interface EdgeArgs extends EdgePlan {
    /** generated-ca mode: TLS Secret (edge namespace) of each public host, from GeneratedSecrets. */
    readonly generatedTlsSecretNames: Readonly<Record<string, pulumi.Input<string>>>;
    /** The generated CA (acme mode: backs the fallback CA ClusterIssuer). */
    readonly caCertPem: pulumi.Input<string>;
    readonly caPrivateKeyPem: pulumi.Input<string>;
    /** Monitoring on: PodMonitors for both planes (after the CRDs), metrics ingress from Prometheus. Absent: none. */
    readonly monitoring?: MonitoringCapability;
    /** The routed backends (app services); HTTPRoutes are created after them. @default none */
    readonly backendsDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * The public edge on the Kubernetes Gateway API, implemented by NGINX Gateway Fabric (the maintained NGINX-based
 * successor of the retired community ingress-nginx): Gateway API CRDs, the NGF control plane (which provisions the
 * NGINX data plane for our Gateway), TLS certificates (generated CA, or cert-manager with ACME), one Gateway with an
 * HTTPS and an HTTP (redirect-only) listener per host, HTTPRoutes with security headers, body-size, rate-limit and
 * timeout policies, NetworkPolicies, disruption budgets and metrics scraping.
 */
export class Edge extends pulumi.ComponentResource {
    /** Type token (permanent). */
    public static readonly TYPE = "stackwright:edge:Edge";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = [];

    /** The Gateway's name (in `namespace`). */
    public readonly gatewayName: pulumi.Output<string>;
    /** Public host names served over HTTPS. */
    public readonly hosts: readonly string[];

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Edge.TYPE, name, {}, withFormerTypes(opts, Edge.FORMER_TYPES));
        const ns = args.namespace;
        const labels = (component: string) => recommendedLabels({ name: "edge", instance: name, component });
        const meta = (component: string, extra: { name?: string; namespace?: string } = {}) => ({
            namespace: ns,
            labels: labels(component),
            ...extra,
        });
        const child = (
            dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]> = [],
        ): pulumi.CustomResourceOptions => ({ parent: this, dependsOn });

        // ---- Gateway API CRDs (standard channel): installed here, not by the NGF chart (which ships only gateway.nginx.org CRDs).
        const gatewayApiCrds = new k8s.yaml.v2.ConfigFile(
            `${name}-gateway-api-crds`,
            { file: manifestFile(args.gatewayApiCrds) },
            { parent: this },
        );

        // ---- Control plane <-> agent mutual TLS, replacing the chart's cert-generator hook Job.
        // Mesh on: the data plane carries a sidecar (and reaches istiod); nothing here carries an Istio label otherwise.
        const meshed = args.istiod !== undefined;
        const pki = controlPlanePkiPlan(ns, args.clusterDomain);
        const key = (id: string) =>
            new tls.PrivateKey(`${name}-ngf-${id}`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const caKey = key("ca");
        const ca = new tls.SelfSignedCert(
            `${name}-ngf-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                validityPeriodHours: pki.validityHours,
                earlyRenewalHours: pki.earlyRenewalHours,
                allowedUses: ["cert_signing", "digital_signature", "key_encipherment"],
                subject: { commonName: pki.caCommonName, organization: "Stackwright" },
            },
            { parent: this },
        );
        const leaf = (id: string, dnsNames: string[], usage: "server_auth" | "client_auth") => {
            const leafKey = key(id);
            const request = new tls.CertRequest(
                `${name}-ngf-${id}`,
                {
                    privateKeyPem: leafKey.privateKeyPem,
                    dnsNames,
                    subject: { commonName: dnsNames[0], organization: "Stackwright" },
                },
                { parent: this },
            );
            const cert = new tls.LocallySignedCert(
                `${name}-ngf-${id}`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: pki.validityHours,
                    earlyRenewalHours: pki.earlyRenewalHours,
                    allowedUses: ["digital_signature", "key_encipherment", usage],
                },
                { parent: this },
            );
            return { cert: cert.certPem, key: pulumi.secret(leafKey.privateKeyPem) };
        };
        const tlsSecret = (secretName: string, pair: { cert: pulumi.Output<string>; key: pulumi.Output<string> }) =>
            new k8s.core.v1.Secret(
                `${name}-${secretName}`,
                {
                    // The chart's Deployment mounts these by name.
                    metadata: meta("control-plane-tls", { name: secretName }),
                    type: "kubernetes.io/tls",
                    stringData: {
                        [NGF_TLS_KEYS.ca]: ca.certPem,
                        [NGF_TLS_KEYS.cert]: pair.cert,
                        [NGF_TLS_KEYS.key]: pair.key,
                    },
                },
                child(),
            );
        const serverTls = tlsSecret(NGF_SERVER_TLS_SECRET, leaf("server", pki.serverDnsNames, "server_auth"));
        const agentTls = tlsSecret(NGF_AGENT_TLS_SECRET, leaf("agent", pki.clientDnsNames, "client_auth"));

        // ---- NGINX Gateway Fabric (control plane + gateway.nginx.org CRDs from the chart's crds/).
        const ngf = helmChart(
            `${name}-nginx-gateway-fabric`,
            {
                ...helmChartReference(args.chart),
                releaseName: NGF_RELEASE_NAME,
                namespace: ns,
                values: ngfChartValues({
                    clusterDomain: args.clusterDomain,
                    replicas: args.controllerReplicas,
                    maxReplicas: args.controllerMaxReplicas,
                    resources: args.controllerResources,
                    dataPlaneResources: args.dataPlaneResources,
                    zoneSpreadRequired: args.zoneSpreadRequired,
                    meshEnabled: meshed,
                }),
            },
            args.helm,
            { parent: this, dependsOn: [gatewayApiCrds, serverTls, agentTls] },
        );
        const afterNgf = [gatewayApiCrds, ngf];

        const dataPlaneProxy = new k8s.apiextensions.CustomResource(
            `${name}-data-plane`,
            {
                apiVersion: "gateway.nginx.org/v1alpha2",
                kind: "NginxProxy",
                metadata: {
                    ...meta("data-plane", { name: DATA_PLANE_PROXY_NAME }),
                    annotations: waiverAnnotations(args.singleReplicaWaiver),
                },
                spec: dataPlaneProxySpec({
                    replicas: args.dataPlaneReplicas,
                    maxReplicas: args.dataPlaneMaxReplicas,
                    resources: args.dataPlaneResources,
                    serviceType: args.serviceType,
                    nodePorts: args.nodePorts,
                    zoneSpreadRequired: args.zoneSpreadRequired,
                    podLabels: args.dataPlane.podLabels,
                }),
            },
            child(afterNgf),
        );

        // ---- Certificates of the public hosts.
        const certificateSecrets: Record<string, pulumi.Input<string>> = {};
        if (args.tls === "acme") {
            if (!args.acme) throw new Error('edge: tls "acme" needs acme.email');
            const cmNs = args.certManagerNamespace;
            const certManager = helmChart(
                `${name}-cert-manager`,
                {
                    ...helmChartReference(args.certManagerChart),
                    releaseName: CERT_MANAGER_RELEASE_NAME,
                    namespace: cmNs,
                    values: certManagerChartValues({
                        namespace: cmNs,
                        environment: args.environment,
                        monitoring: args.monitoring !== undefined,
                        zoneSpreadRequired: args.zoneSpreadRequired,
                        resources: args.certManagerResources,
                    }),
                },
                args.helm,
                {
                    parent: this,
                    dependsOn: [
                        gatewayApiCrds,
                        ...(args.monitoring?.dependsOn ?? []),
                    ] as pulumi.Input<pulumi.Resource>[],
                },
            );
            // The CA issuer reads its key pair from cert-manager's cluster resource namespace.
            const caSecret = new k8s.core.v1.Secret(
                `${name}-issuer-ca`,
                {
                    metadata: { ...meta("certificates", { name: CA_ISSUER_NAME }), namespace: cmNs },
                    type: "kubernetes.io/tls",
                    stringData: { "tls.crt": args.caCertPem, "tls.key": pulumi.secret(args.caPrivateKeyPem) },
                },
                child(),
            );
            const issuer = (id: string, issuerName: string, spec: Record<string, unknown>, deps: pulumi.Resource[]) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${id}-issuer`,
                    {
                        apiVersion: "cert-manager.io/v1",
                        kind: "ClusterIssuer",
                        metadata: { name: issuerName, labels: labels("certificates") },
                        spec,
                    },
                    child([certManager, ...deps]),
                );
            const issuers = [
                issuer(
                    "acme",
                    ACME_ISSUER_NAME,
                    acmeClusterIssuerSpec({ ...args.acme, gatewayNamespace: ns, meshEnabled: meshed }),
                    [],
                ),
                issuer("ca", CA_ISSUER_NAME, caClusterIssuerSpec(CA_ISSUER_NAME), [caSecret]),
            ];
            for (const host of args.hosts) {
                certificateSecrets[host] = certManagerSecretName(host, args.domain);
                new k8s.apiextensions.CustomResource(
                    `${name}-${hostSlug(host, args.domain)}-certificate`,
                    {
                        apiVersion: "cert-manager.io/v1",
                        kind: "Certificate",
                        metadata: meta("certificates"),
                        spec: certificateSpec(host, args.domain, args.certManagerIssuer),
                    },
                    child([certManager, ...issuers]),
                );
            }
        } else if (args.tls === "provided") {
            // Your certificates: an existing Secret is referenced as it is; PEM from config becomes a Secret here.
            const secretNames = args.providedCertificates.map((c, i) =>
                c.secretName !== undefined
                    ? c.secretName
                    : new k8s.core.v1.Secret(
                          `${name}-provided-${i}-tls`,
                          {
                              metadata: meta("certificates"),
                              type: "kubernetes.io/tls",
                              stringData: {
                                  "tls.crt": c.certificatePem!,
                                  "tls.key": pulumi.secret(c.privateKeyPem!),
                              },
                          },
                          child(),
                      ).metadata.name,
            );
            for (const host of args.hosts) {
                const i = certificateFor(args.providedCertificates, host);
                if (i === undefined) throw new Error(`edge: no provided certificate serves host ${host}`);
                certificateSecrets[host] = secretNames[i];
            }
        } else {
            for (const host of args.hosts) {
                const secretName = args.generatedTlsSecretNames[host];
                if (secretName === undefined) throw new Error(`edge: no generated TLS Secret for host ${host}`);
                certificateSecrets[host] = secretName;
            }
        }

        // ---- The Gateway. NGF copies infrastructure labels/annotations onto the data-plane pods. Not ordered after the
        // Certificates: ACME issuance (HTTP-01) needs this Gateway to be serving first.
        const gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: meta("gateway", { name: GATEWAY_NAME }),
                spec: pulumi.output(certificateSecrets).apply((secrets) =>
                    gatewaySpec({
                        domain: args.domain,
                        hosts: args.hosts.map((host) => ({ host, certificateSecret: secrets[host] })),
                        dataPlaneLabels: {
                            "app.kubernetes.io/part-of": PART_OF,
                            "app.kubernetes.io/component": "edge-data-plane",
                            ...(meshed ? { [ISTIO_INJECT_LABEL]: "true" } : {}),
                        },
                        // Meshed: upstream calls leave through the sidecar (mTLS); client traffic reaches NGINX directly.
                        dataPlaneAnnotations: meshed
                            ? {
                                  [ISTIO_INCLUDE_INBOUND_PORTS]: "",
                                  "proxy.istio.io/config": '{"holdApplicationUntilProxyStarts":true}',
                              }
                            : {},
                    }),
                ),
            },
            child([...afterNgf, dataPlaneProxy]),
        );

        // ---- Routes: the HTTP redirect, then one HTTPRoute per public route, with its policies.
        const routeDeps = [gateway, ...(args.backendsDependsOn ?? [])];
        new k8s.apiextensions.CustomResource(
            `${name}-https-redirect`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: meta("routes", { name: "https-redirect" }),
                spec: redirectRouteSpec(args.domain, ns, args.hosts),
            },
            child([gatewayApiCrds, gateway]),
        );
        for (const grant of referenceGrantSpecs(args.routes, ns)) {
            new k8s.apiextensions.CustomResource(
                `${name}-${grant.namespace}-reference-grant`,
                {
                    apiVersion: "gateway.networking.k8s.io/v1",
                    kind: "ReferenceGrant",
                    metadata: { ...meta("routes"), namespace: grant.namespace },
                    spec: grant.spec,
                },
                child([gatewayApiCrds]),
            );
        }
        for (const route of args.routes) {
            const httpRoute = new k8s.apiextensions.CustomResource(
                `${name}-${route.name}-route`,
                {
                    apiVersion: "gateway.networking.k8s.io/v1",
                    kind: "HTTPRoute",
                    // Policies target it by name.
                    metadata: meta("routes", { name: route.name }),
                    spec: httpRouteSpec(route, ns, args.hstsMaxAgeSeconds),
                },
                child([gatewayApiCrds, ...routeDeps]),
            );
            const policy = (id: string, kind: string, spec: Record<string, unknown>) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${route.name}-${id}`,
                    {
                        apiVersion: "gateway.nginx.org/v1alpha1",
                        kind,
                        metadata: meta("routes"),
                        spec,
                    },
                    child([ngf, httpRoute]),
                );
            policy("client-settings", "ClientSettingsPolicy", clientSettingsPolicySpec(route));
            policy("proxy-settings", "ProxySettingsPolicy", proxySettingsPolicySpec(route));
            const rateLimit = rateLimitPolicySpec(route);
            if (rateLimit) policy("rate-limit", "RateLimitPolicy", rateLimit);
        }

        // ---- NetworkPolicies.
        const controlPlane = { namespace: ns, podLabels: controlPlaneSelector() };
        const netpol = (id: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${id}`, { metadata: meta("network-policy"), spec }, child());
        netpol("default-deny", edgeDefaultDenySpec());
        netpol(
            "control-plane",
            controlPlanePolicySpec({
                controlPlane: controlPlane.podLabels,
                dataPlane: args.dataPlane,
                prometheus: args.monitoring?.prometheusPods,
            }),
        );
        netpol(
            "data-plane",
            dataPlanePolicySpec({
                dataPlane: args.dataPlane,
                controlPlane,
                upstreams: args.routes.map((r) => ({ pods: r.pods, port: r.targetPort })),
                prometheus: args.monitoring?.prometheusPods,
                istiod: args.istiod,
                acmeSolvers: args.tls === "acme",
                spanCollector: args.spanCollector,
            }),
        );
        if (args.tls === "acme") netpol("acme-solver", acmeSolverPolicySpec(args.dataPlane));

        // ---- Disruption budgets (neither the chart nor NGF creates them): one pod at a time.
        const pdb = (id: string, matchLabels: Record<string, string>) =>
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-${id}`,
                {
                    metadata: meta(id),
                    spec: { maxUnavailable: 1, selector: { matchLabels } },
                },
                child(),
            );
        pdb("control-plane", controlPlane.podLabels);
        pdb("data-plane", { ...args.dataPlane.podLabels });

        // ---- Metrics: both planes expose Prometheus metrics on a container port named "metrics".
        const monitoring = args.monitoring;
        if (monitoring) {
            const podMonitor = (id: string, matchLabels: Record<string, string>) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${id}-metrics`,
                    {
                        apiVersion: "monitoring.coreos.com/v1",
                        kind: "PodMonitor",
                        metadata: meta(id),
                        spec: {
                            selector: { matchLabels },
                            podMetricsEndpoints: [{ port: "metrics", path: "/metrics", interval: "30s" }],
                        },
                    },
                    child([...monitoring.dependsOn, ngf]),
                );
            podMonitor("control-plane", controlPlane.podLabels);
            podMonitor("data-plane", { ...args.dataPlane.podLabels });
        }

        this.gatewayName = gateway.metadata.name;
        this.hosts = [...args.hosts];
        this.registerOutputs({ gatewayName: this.gatewayName, hosts: this.hosts });
    }
}
