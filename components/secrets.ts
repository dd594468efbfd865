import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { APP_CREDENTIAL_KEYS, APP_CREDENTIALS, PLATFORM_CREDENTIALS } from "../config/credentials";
import { recommendedLabels } from "../lib/labels";
import type { GeneratedSecretsArgs } from "../lib/secrets/plan";
import { withFormerTypes } from "../lib/aliases";

/**
 * Every credential and certificate the stack needs, generated in the program (@pulumi/random, @pulumi/tls) and
 * kept as Pulumi secrets. Application credentials reach Kubernetes as one Secret referenced by key; other
 * components turn the exposed values into Secrets in their own namespaces.
 */
export class GeneratedSecrets extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:secrets:GeneratedSecrets";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:security:GeneratedSecrets"];

    /** Generated values by credential id (always secret outputs). */
    public readonly credentials: Readonly<Record<string, pulumi.Output<string>>>;
    /** Rotation counter of each credential, for rollout annotations of the pods that use it. */
    public readonly rotation: Readonly<Record<string, number>>;
    /** Name of the Secret holding jwt-secret, api-key and encryption-key in the application namespace. */
    public readonly appCredentialsSecretName: pulumi.Output<string>;
    /** The CA certificate (public: users add it to their trust store). */
    public readonly caCertPem: pulumi.Output<string>;
    /** The CA private key (secret), for issuers that sign with the generated CA. */
    public readonly caPrivateKeyPem: pulumi.Output<string>;
    /** TLS Secret names in the edge namespace by public host name. */
    public readonly tlsSecretNames: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: GeneratedSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(GeneratedSecrets.TYPE, name, {}, withFormerTypes(opts, GeneratedSecrets.FORMER_TYPES));
        const rotation = args.rotation;
        const length = args.passwordLength;
        const keepers = (id: string) => ({ rotation: String(rotation[id] ?? 0) });
        const password = (id: string, len = length) =>
            new random.RandomPassword(
                `${name}-${id}`,
                {
                    length: len,
                    // Alphanumeric only: the values end up in URLs, shell environments and config files.
                    special: false,
                    minUpper: 2,
                    minLower: 2,
                    minNumeric: 2,
                    keepers: keepers(id),
                },
                { parent: this, additionalSecretOutputs: ["result"] },
            ).result;

        const credentials: Record<string, pulumi.Output<string>> = {
            jwtSecret: password("jwtSecret", Math.max(length, 64)),
            apiKey: password("apiKey"),
            encryptionKey: new random.RandomBytes(
                `${name}-encryptionKey`,
                { length: 32, keepers: keepers("encryptionKey") },
                { parent: this, additionalSecretOutputs: ["base64"] },
            ).base64,
        };
        for (const id of PLATFORM_CREDENTIALS) credentials[id] = password(id);
        for (const role of args.databaseRoles) credentials[`db-${role}`] = password(`db-${role}`);
        for (const id of Object.keys(credentials)) credentials[id] = pulumi.secret(credentials[id]);
        this.credentials = credentials;
        this.rotation = Object.fromEntries(Object.keys(credentials).map((id) => [id, rotation[id] ?? 0]));

        const labels = recommendedLabels({ name: "stackwright", instance: name, component: "credentials" });
        const appSecret = new k8s.core.v1.Secret(
            `${name}-app-credentials`,
            {
                metadata: { namespace: args.appNamespace, labels },
                type: "Opaque",
                stringData: Object.fromEntries(APP_CREDENTIALS.map((id) => [APP_CREDENTIAL_KEYS[id], credentials[id]])),
            },
            { parent: this },
        );
        this.appCredentialsSecretName = appSecret.metadata.name;

        // Private CA: ECDSA P-256, signs the server certificates of the public hosts.
        const caKey = new tls.PrivateKey(`${name}-ca`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const caCert = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                isCaCertificate: true,
                validityPeriodHours: args.caValidityHours,
                earlyRenewalHours: Math.ceil(args.caValidityHours / 10),
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                subject: { commonName: `Stackwright ${args.environment} CA`, organization: "Stackwright" },
            },
            { parent: this },
        );
        this.caCertPem = caCert.certPem;
        this.caPrivateKeyPem = pulumi.secret(caKey.privateKeyPem);

        const tlsSecretNames: Record<string, pulumi.Output<string>> = {};
        for (const host of args.publicHosts) {
            const id = host.replace(/\./g, "-");
            const key = new tls.PrivateKey(
                `${name}-${id}`,
                { algorithm: "ECDSA", ecdsaCurve: "P256" },
                { parent: this },
            );
            const request = new tls.CertRequest(
                `${name}-${id}`,
                {
                    privateKeyPem: key.privateKeyPem,
                    dnsNames: [host],
                    // X.509 allows a common name of at most 64 characters; the SAN carries the host either way.
                    subject: { ...(host.length <= 64 ? { commonName: host } : {}), organization: "Stackwright" },
                },
                { parent: this },
            );
            const cert = new tls.LocallySignedCert(
                `${name}-${id}`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: caCert.certPem,
                    validityPeriodHours: args.certificateValidityHours,
                    earlyRenewalHours: args.certificateEarlyRenewalHours,
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                },
                { parent: this },
            );
            if (args.tlsNamespace === undefined) continue;
            const secret = new k8s.core.v1.Secret(
                `${name}-${id}-tls`,
                {
                    metadata: {
                        namespace: args.tlsNamespace,
                        labels: recommendedLabels({ name: "stackwright", instance: name, component: "tls" }),
                    },
                    type: "kubernetes.io/tls",
                    stringData: {
                        // Full chain so clients that trust the CA can verify without extra configuration.
                        "tls.crt": pulumi.interpolate`${cert.certPem}${caCert.certPem}`,
                        "tls.key": pulumi.secret(key.privateKeyPem),
                        "ca.crt": caCert.certPem,
                    },
                },
                { parent: this },
            );
            tlsSecretNames[host] = secret.metadata.name;
        }
        this.tlsSecretNames = tlsSecretNames;
        this.registerOutputs({
            credentials: this.credentials,
            rotation: this.rotation,
            appCredentialsSecretName: this.appCredentialsSecretName,
            caCertPem: this.caCertPem,
            caPrivateKeyPem: this.caPrivateKeyPem,
            tlsSecretNames: this.tlsSecretNames,
        });
    }
}
