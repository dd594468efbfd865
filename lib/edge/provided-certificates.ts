/**
 * Certificates you bring (`edge.tls: provided`): which certificate serves which public host, and whether PEM from
 * config can serve it (parses, covers the hosts it is listed for, matches its key, still valid). Pure; the config
 * rules report the problems, the Edge component creates a kubernetes.io/tls Secret per PEM certificate.
 */
import * as crypto from "crypto";

export interface ProvidedCertificate {
    /** Full host names, or one leading wildcard label ("*.example.com"). */
    readonly hosts: readonly string[];
    /** An existing kubernetes.io/tls Secret in the edge namespace. */
    readonly secretName?: string;
    readonly certificatePem?: string;
    readonly privateKeyPem?: string;
}

/** Whether a certificate's host pattern serves a host: equal, or "*." matching exactly one leftmost label. */
export function hostMatches(pattern: string, host: string): boolean {
    if (!pattern.startsWith("*.")) return pattern === host;
    const dot = host.indexOf(".");
    return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

/** Index of the first certificate whose hosts serve `host`; undefined when none does. */
export function certificateFor(certificates: readonly ProvidedCertificate[], host: string): number | undefined {
    const i = certificates.findIndex((c) => c.hosts.some((pattern) => hostMatches(pattern, host)));
    return i < 0 ? undefined : i;
}

/**
 * What is wrong with PEM from config, as messages (none: it can serve). Checks what a TLS client would: the leaf
 * certificate names each listed host (SAN), its key is the given one, and it is valid now. Never echoes the key.
 */
export function pemProblems(c: ProvidedCertificate, now: Date = new Date()): string[] {
    if (c.certificatePem === undefined || c.privateKeyPem === undefined) return [];
    let leaf: crypto.X509Certificate;
    try {
        leaf = new crypto.X509Certificate(c.certificatePem);
    } catch {
        return ["certificatePem is not a PEM certificate"];
    }
    let key: crypto.KeyObject;
    try {
        key = crypto.createPrivateKey(c.privateKeyPem);
    } catch {
        return ["privateKeyPem is not a PEM private key (value hidden)"];
    }
    const problems: string[] = [];
    if (!leaf.checkPrivateKey(key)) problems.push("privateKeyPem is not the key of the certificate (value hidden)");
    for (const host of c.hosts) {
        // checkHost matches wildcards in the certificate; a wildcard we list must appear in it as such.
        const probe = host.startsWith("*.") ? `stackwright-check.${host.slice(2)}` : host;
        if (leaf.checkHost(probe, { wildcards: true, singleLabelSubdomains: false }) === undefined)
            problems.push(
                `the certificate does not name "${host}" (its subject: ${leaf.subjectAltName ?? leaf.subject})`,
            );
    }
    if (new Date(leaf.validTo) <= now) problems.push(`the certificate expired on ${leaf.validTo}`);
    if (new Date(leaf.validFrom) > now) problems.push(`the certificate is not valid before ${leaf.validFrom}`);
    return problems;
}
