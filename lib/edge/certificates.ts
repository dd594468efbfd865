/**
 * Certificates of the edge.
 *  - Control plane <-> data plane (NGINX agent) mutual TLS: NGINX Gateway Fabric's chart creates these with a Helm
 *    hook Job (`generate-certs`), which helm.v4.Chart drops, so the program makes the same Secrets with
 *    @pulumi/tls. What the Job writes (cmd/gateway/certs.go, 2.6.7): a CA; a server certificate for
 *    `<service>.<namespace>.svc` in Secret `server-tls`; a client certificate for `*.<cluster domain>` in Secret
 *    `agent-tls`; both kubernetes.io/tls with keys ca.crt, tls.crt, tls.key.
 *  - Public hosts: generated-CA server certificates (GeneratedSecrets), or cert-manager Certificates from an ACME
 *    (Let's Encrypt, HTTP-01 through the Gateway) or CA ClusterIssuer.
 */
import { ACME_ISSUER_NAME, CA_ISSUER_NAME, controlPlaneServiceHost, GATEWAY_NAME, hostSlug } from "./names";
import { meshOptOutLabels } from "../topology";

export interface ControlPlanePkiPlan {
    readonly caCommonName: string;
    readonly serverDnsNames: string[];
    readonly clientDnsNames: string[];
    /** Same lifetime as upstream's generator (3 years); renewed by the program 30 days before expiry. */
    readonly validityHours: number;
    readonly earlyRenewalHours: number;
}

export function controlPlanePkiPlan(namespace: string, clusterDomain: string): ControlPlanePkiPlan {
    return {
        caCommonName: "nginx-gateway-fabric control plane CA",
        serverDnsNames: [controlPlaneServiceHost(namespace)],
        clientDnsNames: [`*.${clusterDomain}`],
        validityHours: 3 * 365 * 24,
        earlyRenewalHours: 30 * 24,
    };
}

/** Name of the Secret cert-manager writes for a host's ACME/CA certificate (edge namespace). */
export function certManagerSecretName(host: string, domain: string): string {
    return `${hostSlug(host, domain)}-tls`;
}

export interface AcmeIssuerArgs {
    readonly email: string;
    readonly server: string;
    readonly gatewayNamespace: string;
    /** Sidecar mesh on: the solver pods (in the injection-labelled edge namespace) opt out by label. @default false */
    readonly meshEnabled?: boolean;
}

/**
 * Let's Encrypt (ACME) with HTTP-01 solved through our Gateway: cert-manager attaches a temporary HTTPRoute to the
 * Gateway (gatewayHTTPRoute solver; needs cert-manager's Gateway API support). Solver pods stay out of the mesh.
 */
export function acmeClusterIssuerSpec(args: AcmeIssuerArgs) {
    return {
        acme: {
            email: args.email,
            server: args.server,
            privateKeySecretRef: { name: `${ACME_ISSUER_NAME}-account-key` },
            solvers: [
                {
                    http01: {
                        gatewayHTTPRoute: {
                            parentRefs: [
                                {
                                    group: "gateway.networking.k8s.io",
                                    kind: "Gateway",
                                    name: GATEWAY_NAME,
                                    namespace: args.gatewayNamespace,
                                },
                            ],
                            ...((args.meshEnabled ?? false)
                                ? { podTemplate: { metadata: { labels: meshOptOutLabels(true) } } }
                                : {}),
                        },
                    },
                },
            ],
        },
    };
}

/** The generated CA as a cert-manager issuer: the fallback when ACME cannot issue. */
export function caClusterIssuerSpec(caSecretName: string) {
    return { ca: { secretName: caSecretName } };
}

export function certificateSpec(host: string, domain: string, issuer: "acme" | "generated-ca") {
    return {
        secretName: certManagerSecretName(host, domain),
        dnsNames: [host],
        issuerRef: {
            group: "cert-manager.io",
            kind: "ClusterIssuer",
            name: issuer === "acme" ? ACME_ISSUER_NAME : CA_ISSUER_NAME,
        },
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        duration: "2160h",
        renewBefore: "720h",
    };
}
