/**
 * Every object of every stack, first-party and chart-rendered, applied to a real kube-apiserver (built from the Go
 * module proxy by scripts/tools/build.sh) with server-side apply and dryRun=All, after the stack's CRDs and
 * namespaces exist for real. A rejection, or any warning the server returns (Pod Security `warn` on a pod template,
 * deprecated API, unknown field), fails the test with the object's kind/namespace/name and the server's message.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as yaml from "js-yaml";
import { parseConfig } from "../config";
import { generatedConfig } from "../scripts/bench";
import { ChartObject, CHART_TYPE, helmTemplate, needBuiltTool, needSharedCharts } from "./lib/charts";
import { KubeObject, TestApiServer } from "./lib/apiserver";
import { kubeObjects, readStackConfig, RenderedStack, renderStack, STACKS } from "./lib/harness";
import { resolveCrdsDir } from "./lib/schemas";

/** The Gateway API bundle the edge's ConfigFile fetches, from the CRDs unpacked for tests (same version). */
function gatewayApiBundle(file: string): KubeObject[] {
    const match = /gateway-api\/releases\/download\/v([\d.]+)\/standard-install\.yaml$/.exec(file);
    if (!match) throw new Error(`no local copy of the manifest bundle ${file}`);
    const dir = path.join(resolveCrdsDir(), `gateway-api-${match[1]}-standard`);
    return fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()
        .flatMap((f) => yaml.loadAll(fs.readFileSync(path.join(dir, f), "utf8")) as KubeObject[]).filter((o) => o && o.kind);
}

/**
 * The mocks answer @pulumi/tls with placeholder PEM text, which the API server rightly warns about in TLS Secrets
 * ("x509: malformed certificate"); @pulumi/tls makes real ones. Secrets get one real certificate and key instead.
 */
function withRealPem(o: KubeObject, pem: { cert: string; key: string }): KubeObject {
    if (o.kind !== "Secret" || !o.stringData) return o;
    const stringData = Object.fromEntries(Object.entries<any>(o.stringData).map(([k, v]) => [k,
        typeof v !== "string" ? v : v.startsWith("-----BEGIN CERTIFICATE") ? pem.cert : /-----BEGIN [A-Z ]*PRIVATE KEY/.test(v) ? pem.key : v]));
    return { ...o, stringData };
}

function realPem(): { cert: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-pem-"));
    try {
        const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
            "-days", "1", "-subj", "/CN=stackwright-test", "-addext", "subjectAltName=DNS:localhost"], { cwd: dir, encoding: "utf8" });
        if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
        return { cert: fs.readFileSync(path.join(dir, "c.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "k.pem"), "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const describeObject = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

interface StackCase {
    readonly name: string;
    readonly raw: () => Record<string, unknown>;
}

const CASES: StackCase[] = [
    ...STACKS.map((s) => ({ name: s, raw: () => readStackConfig(s) })),
    // A large stack: 40 generated services (databases, Redis, routes, autoscaling) on the staging base.
    { name: "staging+40 services", raw: () => generatedConfig(40) },
];

describe("real API server: every object of every stack passes a server-side dry-run", function () {
    this.timeout(1_800_000);
    let server: TestApiServer | undefined;
    let helm: string;

    before(async function () {
        needSharedCharts(this);
        helm = needBuiltTool(this, "helm");
        const etcd = needBuiltTool(this, "etcd");
        const apiserver = needBuiltTool(this, "kube-apiserver");
        server = await TestApiServer.start({ etcd, apiserver });
    });
    after(async () => {
        await server?.stop();
    });

    for (const c of CASES) {
        it(`${c.name}: namespaces and CRDs installed, then every other object accepted without warnings`, async () => {
            const raw = c.raw();
            const cfg = parseConfig(raw);
            const r: RenderedStack = await renderStack(c.name, { rawConfig: raw });
            const pem = realPem();
            const firstParty = (kubeObjects(r.resources) as KubeObject[]).map((o) => withRealPem(o, pem));
            const chartObjects: ChartObject[] = r.resources.filter((x) => x.type === CHART_TYPE)
                .flatMap((chart) => helmTemplate(helm, chart, cfg, cfg.kubernetes.kubeVersion).objects);
            const bundles = r.resources.filter((x) => x.type === "kubernetes:yaml/v2:ConfigFile").flatMap((x) => gatewayApiBundle(x.inputs.file));
            const all = [...firstParty, ...(chartObjects as KubeObject[]), ...bundles];

            const isCrd = (o: KubeObject) => o.kind === "CustomResourceDefinition";
            const crds = all.filter(isCrd);
            const crdProblems = await server!.installCrds(crds);
            expect(crdProblems, "CRDs").to.deep.equal([]);
            const namespaces = all.filter((o) => o.kind === "Namespace");
            for (const ns of namespaces) {
                const res = await server!.apply(ns, false);
                expect(res.status, `${describeObject(ns)}: ${res.body?.message}`).to.be.lessThan(300);
            }

            const problems: string[] = [];
            let dryRun = 0;
            for (const o of all.filter((x) => !isCrd(x) && x.kind !== "Namespace")) {
                if (!server!.kindInfo(o)) {
                    problems.push(`${describeObject(o)}: ${o.apiVersion}/${o.kind} is not served (no CRD in the stack installs it)`);
                    continue;
                }
                const res = await server!.apply(o, true);
                dryRun++;
                if (res.status >= 300) problems.push(`${describeObject(o)}: rejected (${res.status}): ${res.body?.message ?? JSON.stringify(res.body)}`);
                for (const w of res.warnings) problems.push(`${describeObject(o)}: warning: ${w}`);
            }
            console.log(`      ${c.name}: ${crds.length} CRDs and ${namespaces.length} namespaces applied; ${dryRun} objects dry-run`
                + ` (${firstParty.length - namespaces.filter((n) => firstParty.includes(n)).length} first-party, ${chartObjects.filter((o) => !isCrd(o as KubeObject)).length} from charts, ${bundles.filter((o) => !isCrd(o)).length} from manifest bundles)`);
            expect(problems, problems.join("\n")).to.deep.equal([]);
        });
    }

    it("rejects what a real cluster rejects (the check can fail)", async () => {
        const bad: KubeObject = {
            apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "Bad_Name", namespace: "default" },
            spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "c" } }, spec: { containers: [{ name: "x", image: "x" }] } } },
        };
        const res = await server!.apply(bad, true);
        expect(res.status).to.equal(422);
        expect(res.body.message).to.match(/Bad_Name|selector/);
    });

    it("reports Pod Security warnings on pod templates in a namespace that warns on restricted", async () => {
        await server!.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "psa-probe", labels: { "pod-security.kubernetes.io/warn": "restricted" } } }, false);
        const res = await server!.apply({
            apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "root", namespace: "psa-probe" },
            spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "x", image: "x:1" }] } } },
        }, true);
        expect(res.status).to.be.lessThan(300);
        expect(res.warnings.join("\n")).to.match(/would violate PodSecurity "restricted/);
    });
});

