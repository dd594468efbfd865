/**
 * Names, ports and labels of NGINX Gateway Fabric 2.6.7 and cert-manager that the edge refers to, read from the
 * upstream chart templates and controller sources (see the comments). Pure constants and small helpers.
 */
import { GATEWAY_CLASS_NAME, GATEWAY_NAME } from "../topology";

/**
 * Helm release name of NGINX Gateway Fabric. The chart's fullname equals the release name when the release name
 * contains the chart name, so the control-plane Deployment, Service and ServiceAccount are all called this.
 */
export const NGF_RELEASE_NAME = "nginx-gateway-fabric";
export { GATEWAY_CLASS_NAME, GATEWAY_NAME };

/** Secrets the chart's cert-generator hook Job would create (values certGenerator.*TLSSecretName defaults). */
export const NGF_SERVER_TLS_SECRET = "server-tls";
export const NGF_AGENT_TLS_SECRET = "agent-tls";
/** Keys of both Secrets (type kubernetes.io/tls), as `generate-certs` writes them. */
export const NGF_TLS_KEYS = { ca: "ca.crt", cert: "tls.crt", key: "tls.key" } as const;

/** Control-plane container ports: agent gRPC (Service port 443 -> 8443), Prometheus metrics, readiness. */
export const NGF_AGENT_GRPC_PORT = 8443;
export const NGF_CONTROL_PLANE_SERVICE_PORT = 443;
export const NGF_METRICS_PORT = 9113;
export const NGF_HEALTH_PORT = 8081;
/** The data plane's NGINX agent exports Prometheus metrics here (NginxProxy metrics.port default). */
export const DATA_PLANE_METRICS_PORT = 9113;
/** Listener ports; the data plane may bind them because NGF sets net.ipv4.ip_unprivileged_port_start=0. */
export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;

/** Selector labels of the control-plane pods (chart helper nginx-gateway.selectorLabels). */
export function controlPlaneSelector(): Record<string, string> {
    return { "app.kubernetes.io/name": NGF_RELEASE_NAME, "app.kubernetes.io/instance": NGF_RELEASE_NAME };
}

/** In-cluster name of the control-plane Service: the agent dials it and verifies it in the server certificate. */
export function controlPlaneServiceHost(namespace: string): string {
    return `${NGF_RELEASE_NAME}.${namespace}.svc`;
}

/** The Gateway-level NginxProxy that carries the data-plane settings (Gateway spec.infrastructure.parametersRef). */
export const DATA_PLANE_PROXY_NAME = `${GATEWAY_NAME}-data-plane`;

/** cert-manager: release, HTTP-01 solver pods (label set by cert-manager on every solver pod) and port. */
export const CERT_MANAGER_RELEASE_NAME = "cert-manager";
export const ACME_SOLVER_POD_LABELS: Readonly<Record<string, string>> = {
    "acme.cert-manager.io/http01-solver": "true",
};
export const ACME_SOLVER_PORT = 8089;
/** ClusterIssuers of the ACME mode: Let's Encrypt, and the generated CA as fallback. */
export const ACME_ISSUER_NAME = "letsencrypt";
export const CA_ISSUER_NAME = "stackwright-ca";

/** Istio pod annotation: keep inbound traffic out of the sidecar (the inject label is lib/topology's). */
export const ISTIO_INCLUDE_INBOUND_PORTS = "traffic.sidecar.istio.io/includeInboundPorts";

/** "api.example.com" under "example.com" -> "api"; "a.b.example.com" -> "a-b" (listener and object names). */
export function hostSlug(host: string, domain: string): string {
    const local = host.endsWith(`.${domain}`) ? host.slice(0, -(domain.length + 1)) : host;
    return local.replace(/\./g, "-");
}

export function httpsListenerName(host: string, domain: string): string {
    return `https-${hostSlug(host, domain)}`;
}

export function httpListenerName(host: string, domain: string): string {
    return `http-${hostSlug(host, domain)}`;
}
