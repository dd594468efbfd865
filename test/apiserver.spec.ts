/**
 * Every object of every stack, first-party and chart-rendered, applied to a real kube-apiserver (built from the Go
 * module proxy by scripts/tools/build.sh) with server-side apply and dryRun=All, after the stack's CRDs and
 * namespaces exist for real. A rejection, or any warning the server returns (Pod Security `warn` on a pod template,
 * deprecated API, unknown field), fails the test with the object's kind/namespace/name and the server's message.
 */
import { expect } from "chai";
import { parseConfig } from "../config";
import { generatedConfig } from "../scripts/bench";
import { dryRunStack, KubeObject, useTestApiServer } from "./lib/apiserver";
import { readStackConfig, renderStack, STACKS } from "./lib/harness";

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
    const tools = useTestApiServer();

    for (const c of CASES) {
        it(`${c.name}: namespaces and CRDs installed, then every other object accepted without warnings`, async () => {
            const raw = c.raw();
            const r = await renderStack(c.name, { rawConfig: raw });
            const { problems, summary } = await dryRunStack(tools().server, tools().helm, parseConfig(raw), r);
            console.log(`      ${c.name}: ${summary}`);
            expect(problems, problems.join("\n")).to.deep.equal([]);
        });
    }

    it("rejects what a real cluster rejects (the check can fail)", async () => {
        const bad: KubeObject = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "Bad_Name", namespace: "default" },
            spec: {
                selector: { matchLabels: { a: "b" } },
                template: { metadata: { labels: { a: "c" } }, spec: { containers: [{ name: "x", image: "x" }] } },
            },
        };
        const res = await tools().server.apply(bad, true);
        expect(res.status).to.equal(422);
        expect(res.body.message).to.match(/Bad_Name|selector/);
    });

    it("reports Pod Security warnings on pod templates in a namespace that warns on restricted", async () => {
        await tools().server.apply(
            {
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: "psa-probe", labels: { "pod-security.kubernetes.io/warn": "restricted" } },
            },
            false,
        );
        const res = await tools().server.apply(
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "root", namespace: "psa-probe" },
                spec: {
                    selector: { matchLabels: { a: "b" } },
                    template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "x", image: "x:1" }] } },
                },
            },
            true,
        );
        expect(res.status).to.be.lessThan(300);
        expect(res.warnings.join("\n")).to.match(/would violate PodSecurity "restricted/);
    });
});
