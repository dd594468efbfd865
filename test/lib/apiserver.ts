/**
 * A real kube-apiserver with its own etcd on 127.0.0.1, for server-side dry-runs of everything the stack renders.
 * Binaries from scripts/tools/build.sh; certificates generated with openssl for each start; PodSecurity admission
 * is on (a default plugin), so namespaces' pod-security labels act as on a cluster. `stop()` ends both processes
 * and removes every file.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import type { StackConfig } from "../../config";
import { CHART_TYPE, helmTemplate, needBuiltTool, needSharedCharts, RenderedChart } from "./charts";
import { kubeObjects, RenderedStack } from "./harness";
import { freePorts } from "./ports";
import { openssl, PemPair, selfSignedCertificate } from "./certs";
import { resolveCrdsDir } from "./schemas";

export interface ApiResponse {
    readonly status: number;
    readonly body: any;
    /** The server's `Warning` headers (Pod Security `warn`, deprecated APIs, unknown fields), one per entry. */
    readonly warnings: string[];
}

export interface KindInfo {
    readonly groupVersion: string;
    readonly plural: string;
    readonly namespaced: boolean;
}

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; namespace?: string; [k: string]: any };
    [field: string]: any;
}

const TOKEN = "stackwright-test-token";

function waitExit(p: ChildProcess, ms: number): Promise<void> {
    return new Promise((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
            p.kill("SIGKILL");
            resolve();
        }, ms);
        p.once("exit", () => {
            clearTimeout(timer);
            resolve();
        });
    });
}

export class TestApiServer {
    private kinds = new Map<string, KindInfo>();

    private constructor(
        private readonly dir: string,
        private readonly port: number,
        private readonly ca: Buffer,
        private readonly etcd: ChildProcess,
        private readonly apiserver: ChildProcess,
        private readonly logs: { etcd: string[]; apiserver: string[] },
    ) {}

    static async start(bin: { etcd: string; apiserver: string }): Promise<TestApiServer> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-apiserver-"));
        const [etcdClient, etcdPeer, securePort] = await freePorts(3);
        // A CA, the serving certificate it signs, and the service-account signing key.
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
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "1",
                "-subj",
                "/CN=stackwright-test-ca",
            ],
            dir,
        );
        openssl(
            [
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=kube-apiserver",
            ],
            dir,
        );
        fs.writeFileSync(
            path.join(dir, "san.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        );
        openssl(
            [
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.crt",
                "-days",
                "1",
                "-extfile",
                "san.ext",
            ],
            dir,
        );
        openssl(["genrsa", "-out", "sa.key", "2048"], dir);
        openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
        fs.writeFileSync(path.join(dir, "tokens.csv"), `${TOKEN},admin,admin,system:masters\n`);

        const logs = { etcd: [] as string[], apiserver: [] as string[] };
        const keep = (sink: string[]) => (chunk: Buffer) => {
            sink.push(chunk.toString());
            if (sink.length > 400) sink.shift();
        };
        const etcd = spawn(
            bin.etcd,
            [
                "--name",
                "default",
                "--data-dir",
                path.join(dir, "etcd"),
                "--listen-client-urls",
                `http://127.0.0.1:${etcdClient}`,
                "--advertise-client-urls",
                `http://127.0.0.1:${etcdClient}`,
                "--listen-peer-urls",
                `http://127.0.0.1:${etcdPeer}`,
                "--initial-advertise-peer-urls",
                `http://127.0.0.1:${etcdPeer}`,
                "--initial-cluster",
                `default=http://127.0.0.1:${etcdPeer}`,
                "--log-level",
                "warn",
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        etcd.stdout!.on("data", keep(logs.etcd));
        etcd.stderr!.on("data", keep(logs.etcd));
        const apiserver = spawn(
            bin.apiserver,
            [
                "--etcd-servers",
                `http://127.0.0.1:${etcdClient}`,
                "--bind-address",
                "127.0.0.1",
                "--advertise-address",
                "127.0.0.1",
                "--secure-port",
                String(securePort),
                "--tls-cert-file",
                path.join(dir, "server.crt"),
                "--tls-private-key-file",
                path.join(dir, "server.key"),
                "--cert-dir",
                path.join(dir, "certs"),
                "--token-auth-file",
                path.join(dir, "tokens.csv"),
                "--authorization-mode",
                "RBAC",
                "--anonymous-auth=false",
                "--service-account-issuer",
                "https://kubernetes.default.svc.cluster.local",
                "--service-account-key-file",
                path.join(dir, "sa.pub"),
                "--service-account-signing-key-file",
                path.join(dir, "sa.key"),
                "--service-cluster-ip-range",
                "10.96.0.0/16",
                // Loopback is not a valid endpoint of the `kubernetes` Service; nothing here needs that Service.
                "--endpoint-reconciler-type",
                "none",
                "--profiling=false",
                "--v=0",
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );
        apiserver.stdout!.on("data", keep(logs.apiserver));
        apiserver.stderr!.on("data", keep(logs.apiserver));
        const server = new TestApiServer(
            dir,
            securePort,
            fs.readFileSync(path.join(dir, "ca.crt")),
            etcd,
            apiserver,
            logs,
        );
        try {
            await server.waitReady(180_000);
            await server.refreshDiscovery();
        } catch (err) {
            await server.stop();
            throw err;
        }
        return server;
    }

    /** What the processes printed last (for failure messages). */
    logTail(): string {
        return `--- etcd ---\n${this.logs.etcd.join("").slice(-3000)}\n--- kube-apiserver ---\n${this.logs.apiserver.join("").slice(-6000)}`;
    }

    async stop(): Promise<void> {
        this.apiserver.kill("SIGTERM");
        await waitExit(this.apiserver, 20_000);
        this.etcd.kill("SIGTERM");
        await waitExit(this.etcd, 20_000);
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    request(method: string, urlPath: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse> {
        const payload =
            body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
        return new Promise((resolve, reject) => {
            const req = https.request(
                {
                    host: "127.0.0.1",
                    port: this.port,
                    path: urlPath,
                    method,
                    ca: this.ca,
                    servername: "localhost",
                    headers: {
                        authorization: `Bearer ${TOKEN}`,
                        accept: "application/json",
                        ...(payload ? { "content-type": contentType, "content-length": payload.length } : {}),
                    },
                    timeout: 120_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString();
                        let parsed: any = text;
                        try {
                            parsed = JSON.parse(text);
                        } catch {
                            /* not JSON (e.g. readyz) */
                        }
                        const warnings: string[] = [];
                        for (let i = 0; i < res.rawHeaders.length; i += 2) {
                            if (res.rawHeaders[i].toLowerCase() === "warning")
                                warnings.push(
                                    res.rawHeaders[i + 1].replace(/^299 - "(.*)"$/, "$1").replace(/\\"/g, '"'),
                                );
                        }
                        resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: no answer within 120 s (timeout)`)));
            req.on("error", reject);
            if (payload) req.write(payload);
            req.end();
        });
    }

    private async waitReady(ms: number): Promise<void> {
        const deadline = Date.now() + ms;
        let last = "";
        while (Date.now() < deadline) {
            if (this.apiserver.exitCode !== null)
                throw new Error(`kube-apiserver exited with ${this.apiserver.exitCode}\n${this.logTail()}`);
            try {
                const r = await this.request("GET", "/readyz");
                if (r.status === 200) return;
                last = `${r.status} ${typeof r.body === "string" ? r.body.slice(-500) : ""}`;
            } catch (err) {
                last = (err as Error).message;
            }
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
        throw new Error(`kube-apiserver not ready after ${ms / 1000} s (timeout): ${last}\n${this.logTail()}`);
    }

    /** Re-reads the served kinds (after CRDs are established). */
    async refreshDiscovery(): Promise<void> {
        const kinds = new Map<string, KindInfo>();
        const add = async (groupVersion: string, prefix: string) => {
            const r = await this.request("GET", `${prefix}/${groupVersion}`);
            if (r.status !== 200) return;
            for (const res of r.body.resources ?? []) {
                if (res.name.includes("/")) continue;
                kinds.set(`${groupVersion}/${res.kind}`, {
                    groupVersion,
                    plural: res.name,
                    namespaced: res.namespaced,
                });
            }
        };
        await add("v1", "/api");
        const groups = await this.request("GET", "/apis");
        for (const g of groups.body.groups ?? []) for (const v of g.versions) await add(v.groupVersion, "/apis");
        this.kinds = kinds;
    }

    kindInfo(o: { apiVersion: string; kind: string }): KindInfo | undefined {
        return this.kinds.get(`${o.apiVersion}/${o.kind}`);
    }

    objectPath(o: KubeObject): string {
        const info = this.kindInfo(o);
        if (!info) throw new Error(`${o.apiVersion}/${o.kind} is not served by the API server (missing CRD?)`);
        const base = info.groupVersion === "v1" ? "/api/v1" : `/apis/${info.groupVersion}`;
        const ns = info.namespaced ? `/namespaces/${o.metadata.namespace ?? "default"}` : "";
        return `${base}${ns}/${info.plural}/${encodeURIComponent(o.metadata.name ?? "")}`;
    }

    /** Server-side apply; `dryRun` leaves nothing behind (admission, validation and defaulting still run). */
    apply(o: KubeObject, dryRun: boolean): Promise<ApiResponse> {
        const query = `?fieldManager=stackwright-test&force=true${dryRun ? "&dryRun=All" : ""}`;
        return this.request("PATCH", `${this.objectPath(o)}${query}`, o, "application/apply-patch+yaml");
    }

    /** Applies CRDs for real and waits until each is Established, then refreshes discovery. */
    async installCrds(crds: readonly KubeObject[]): Promise<string[]> {
        const problems: string[] = [];
        for (const crd of crds) {
            const r = await this.apply(crd, false);
            if (r.status >= 300)
                problems.push(`CustomResourceDefinition ${crd.metadata.name}: ${r.body?.message ?? r.status}`);
        }
        for (const crd of crds) {
            const deadline = Date.now() + 60_000;
            for (;;) {
                const r = await this.request(
                    "GET",
                    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
                );
                const established = (r.body?.status?.conditions ?? []).some(
                    (c: any) => c.type === "Established" && c.status === "True",
                );
                if (established) break;
                if (Date.now() > deadline) {
                    problems.push(
                        `CustomResourceDefinition ${crd.metadata.name}: not Established after 60 s (timeout)`,
                    );
                    break;
                }
                await new Promise((resolve) => setTimeout(resolve, 200));
            }
        }
        await this.refreshDiscovery();
        return problems;
    }
}

/** The Gateway API bundle the edge's ConfigFile fetches, from the CRDs unpacked for tests (same version). */
function gatewayApiBundle(file: string): KubeObject[] {
    const match = /gateway-api\/releases\/download\/v([\d.]+)\/standard-install\.yaml$/.exec(file);
    if (!match) throw new Error(`no local copy of the manifest bundle ${file}`);
    const dir = path.join(resolveCrdsDir(), `gateway-api-${match[1]}-standard`);
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), "utf8")) as KubeObject[])
        .filter((o) => o && o.kind);
}

/**
 * The mocks answer @pulumi/tls with placeholder PEM text, which the API server rightly warns about in TLS Secrets
 * ("x509: malformed certificate"); @pulumi/tls makes real ones. Secrets get one real certificate and key instead.
 */
function withRealPem(o: KubeObject, pem: PemPair): KubeObject {
    if (o.kind !== "Secret" || !o.stringData) return o;
    const stringData = Object.fromEntries(
        Object.entries<any>(o.stringData).map(([k, v]) => [
            k,
            typeof v !== "string"
                ? v
                : v.startsWith("-----BEGIN CERTIFICATE")
                  ? pem.certificatePem
                  : /-----BEGIN [A-Z ]*PRIVATE KEY/.test(v)
                    ? pem.privateKeyPem
                    : v,
        ]),
    );
    return { ...o, stringData };
}

export const describeObject = (o: KubeObject) =>
    `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

/**
 * Applies a rendered stack to the server: its CRDs and namespaces for real, then every other object (first-party,
 * chart-rendered with real Helm, fetched manifest bundles) with server-side apply and dryRun=All. Returns every
 * rejection and warning, and a one-line count of what was applied.
 */
export async function dryRunStack(
    server: TestApiServer,
    helm: string,
    cfg: StackConfig,
    r: RenderedStack,
): Promise<{ problems: string[]; summary: string; charts: RenderedChart[] }> {
    // One real certificate and key for every Secret (made once per process).
    const pem = selfSignedCertificate(["localhost"]);
    const firstParty = (kubeObjects(r.resources) as KubeObject[]).map((o) => withRealPem(o, pem));
    const charts = r.resources
        .filter((x) => x.type === CHART_TYPE)
        .map((chart) => helmTemplate(helm, chart, cfg, cfg.kubernetes.kubeVersion));
    const chartObjects = charts.flatMap((c) => c.objects) as KubeObject[];
    const bundles = r.resources
        .filter((x) => x.type === "kubernetes:yaml/v2:ConfigFile")
        .flatMap((x) => gatewayApiBundle(x.inputs.file));
    const all = [...firstParty, ...chartObjects, ...bundles];
    const isCrd = (o: KubeObject) => o.kind === "CustomResourceDefinition";
    const crds = all.filter(isCrd);
    const problems = await server.installCrds(crds);
    const namespaces = all.filter((o) => o.kind === "Namespace");
    for (const ns of namespaces) {
        const res = await server.apply(ns, false);
        if (res.status >= 300) problems.push(`${describeObject(ns)}: rejected (${res.status}): ${res.body?.message}`);
    }
    let dryRun = 0;
    for (const o of all.filter((x) => !isCrd(x) && x.kind !== "Namespace")) {
        if (!server.kindInfo(o)) {
            problems.push(
                `${describeObject(o)}: ${o.apiVersion}/${o.kind} is not served (no CRD in the stack installs it)`,
            );
            continue;
        }
        const res = await server.apply(o, true);
        dryRun++;
        if (res.status >= 300)
            problems.push(
                `${describeObject(o)}: rejected (${res.status}): ${res.body?.message ?? JSON.stringify(res.body)}`,
            );
        for (const w of res.warnings) problems.push(`${describeObject(o)}: warning: ${w}`);
    }
    const count = (xs: KubeObject[]) => xs.filter((o) => !isCrd(o) && o.kind !== "Namespace").length;
    return {
        problems,
        charts,
        summary:
            `${crds.length} CRDs and ${namespaces.length} namespaces applied; ${dryRun} objects dry-run` +
            ` (${count(firstParty)} first-party, ${count(chartObjects)} from charts, ${count(bundles)} from manifest bundles)`,
    };
}

/**
 * Inside a `describe`: starts a server in `before` (after the shared charts and built tools are found; skipped
 * locally and required in CI when they are missing) and stops it in `after`. Returns an accessor for the tests.
 */
export function useTestApiServer(): () => { server: TestApiServer; helm: string } {
    let started: { server: TestApiServer; helm: string } | undefined;
    before(async function () {
        needSharedCharts(this);
        const helm = needBuiltTool(this, "helm");
        started = {
            server: await TestApiServer.start({
                etcd: needBuiltTool(this, "etcd"),
                apiserver: needBuiltTool(this, "kube-apiserver"),
            }),
            helm,
        };
    });
    after(async () => {
        await started?.server.stop();
    });
    return () => started!;
}
