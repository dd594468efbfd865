/** Real certificates for tests of certificates you bring (`edge.tls: provided`): made by openssl, once per process. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface PemPair {
    readonly certificatePem: string;
    readonly privateKeyPem: string;
}

/** Runs openssl in `cwd`; its stderr in the error when it fails. */
export function openssl(args: string[], cwd: string): void {
    const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
    if (r.status !== 0)
        throw new Error(`openssl ${args.join(" ")} failed (openssl is needed for these tests): ${r.stderr}`);
}

const made = new Map<string, PemPair>();

/** A self-signed ECDSA P-256 certificate naming `hosts` (SAN), valid for a year from now. */
export function selfSignedCertificate(hosts: readonly string[]): PemPair {
    const id = hosts.join(",");
    const known = made.get(id);
    if (known) return known;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-cert-"));
    try {
        openssl(
            [
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "365",
                "-subj",
                "/O=Stackwright test",
                "-addext",
                `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(",")}`,
            ],
            dir,
        );
        const pair = {
            certificatePem: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
            privateKeyPem: fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
        };
        made.set(id, pair);
        return pair;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
