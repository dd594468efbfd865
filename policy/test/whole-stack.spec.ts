/**
 * Every policy against every resource of each real stack (rendered under mocks by test/lib/harness.ts), in the
 * engine's shapes and with the stack's example pack config: zero mandatory violations; advisory ones printed.
 */
import { expect } from "chai";
import { kubeObject } from "../policies/kinds";
import { engineProxy, resourceArgs, UNKNOWN_STRING } from "./engine";
import { formatViolations, loadPackConfig, PackViolation, RecordedLike, runPack, violationKey } from "./pack-runner";
import { HARNESS_MISSING, HARNESS_PATH, harnessAvailable, rendered, STACKS } from "./rendered";

/** Where Kubernetes objects' inputs hold the engine's unknown sentinel: the resource and the property path. */
function unknownPaths(resources: readonly RecordedLike[]): { resource: RecordedLike; path: string[] }[] {
    const found: { resource: RecordedLike; path: string[] }[] = [];
    const walk = (resource: RecordedLike, value: unknown, path: string[]): void => {
        if (value === UNKNOWN_STRING) found.push({ resource, path });
        else if (typeof value === "object" && value !== null)
            for (const [k, v] of Object.entries(value)) walk(resource, v, [...path, k]);
    };
    for (const r of resources) if (kubeObject(r.type, r.inputs, r.name, r.urn)) walk(r, r.inputs, []);
    return found;
}

describe("whole stack under the policy pack", function () {
    this.timeout(600_000);

    before(function () {
        if (!harnessAvailable()) {
            console.log(`      skipped: ${HARNESS_MISSING}`);
            this.skip();
        }
    });

    for (const stack of STACKS) {
        describe(stack, () => {
            let violations: PackViolation[] = [];
            let objectCount = 0;

            before(async () => {
                const r = await rendered(stack);
                objectCount = r.resources.filter(
                    (x) => kubeObject(x.type, x.inputs, x.name, x.urn) !== undefined,
                ).length;
                violations = runPack(r.resources, loadPackConfig(stack));
            });

            it("renders Kubernetes objects for the pack to judge", () => {
                expect(objectCount).to.be.greaterThan(0);
            });

            it(`has no mandatory violations with policy/config/${stack}.json (advisory ones are printed)`, () => {
                const advisory = violations.filter((v) => v.enforcementLevel === "advisory");
                console.log(
                    advisory.length === 0
                        ? "      no advisory violations"
                        : `      ${advisory.length} advisory violation(s):\n${formatViolations(advisory)}`,
                );
                const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
                expect(mandatory, `mandatory violations:\n${formatViolations(mandatory)}`).to.deep.equal([]);
            });

            it("runs during preview (unknown values) without crashing or reporting anything the update would not", async () => {
                const r = await rendered(stack, { preview: true });
                // The harness records what a preview leaves unknown (generated passwords, keys, certificates and what
                // is built from them) as the engine's sentinel; runPack hands it over in the engine's proxy.
                const unknowns = unknownPaths(r.resources);
                expect(
                    unknowns.length,
                    "the preview render has unknown values in Kubernetes objects",
                ).to.be.greaterThan(0);
                const [{ resource, path }] = unknowns;
                const props = resourceArgs(resource.type, resource.inputs).props;
                expect(
                    () => path.reduce((value: any, k) => value[k], props),
                    `the engine's proxy throws at ${path.join(".")}`,
                ).to.throw(engineProxy.UnknownValueError);

                let previewViolations: PackViolation[] = [];
                expect(() => {
                    previewViolations = runPack(r.resources, loadPackConfig(stack));
                }).not.to.throw();
                const mandatory = previewViolations.filter((v) => v.enforcementLevel === "mandatory");
                expect(mandatory, `mandatory violations during preview:\n${formatViolations(mandatory)}`).to.deep.equal(
                    [],
                );
                const afterUpdate = new Set(violations.map(violationKey));
                const spurious = previewViolations.filter((v) => !afterUpdate.has(violationKey(v)));
                expect(spurious, `reported during preview only:\n${formatViolations(spurious)}`).to.deep.equal([]);
            });
        });
    }

    describe("prod waivers agree with the pack", () => {
        const WAIVER_ANNOTATION = "policy.stackwright.io/exempt-production-redundancy";
        let waived: PackViolation[] = [];
        let unwaived: PackViolation[] = [];

        before(async () => {
            // The real prod stack file with four single points of failure, each waived with a written reason.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { readStackConfig, renderStack } = require(HARNESS_PATH) as {
                readStackConfig(s: string): any;
                renderStack(s: string, o: object): Promise<{ resources: RecordedLike[] }>;
            };
            const raw = JSON.parse(JSON.stringify(readStackConfig("prod")));
            raw.services.worker.autoscaling = { ...raw.services.worker.autoscaling, minReplicas: 1 };
            raw.postgres = { ...raw.postgres, instances: 1 };
            // Standalone: the Sentinel settings would be inert (and refused).
            raw.redis = { ...raw.redis, mode: "standalone" };
            for (const key of ["replicas", "sentinels", "sentinelResources", "masterName"]) delete raw.redis[key];
            raw.waivers = {
                singleReplicaServices: { worker: "the queue consumer tolerates minutes of downtime" },
                singlePostgresInstance: "reporting database, restored from backups within the RTO",
                standaloneRedis: "a cache only: losing it costs latency, not data",
            };
            const r = await renderStack("prod", { rawConfig: raw });
            waived = runPack(r.resources, loadPackConfig("prod")).filter((v) => v.policy === "production-redundancy");
            // The same objects without the annotations the waivers set.
            const stripped = r.resources.map((x) => {
                const strip = (o: any) => {
                    if (o?.metadata?.annotations) delete o.metadata.annotations[WAIVER_ANNOTATION];
                    return o;
                };
                return {
                    ...x,
                    inputs: strip(JSON.parse(JSON.stringify(x.inputs))),
                    state: strip(JSON.parse(JSON.stringify(x.state ?? {}))),
                };
            });
            unwaived = runPack(stripped, loadPackConfig("prod")).filter((v) => v.policy === "production-redundancy");
        });

        it("the waived objects pass production-redundancy with policy/config/prod.json", () => {
            expect(waived, formatViolations(waived)).to.deep.equal([]);
        });

        it("each waiver is what lets its object pass (without the annotations: one mandatory violation each)", () => {
            // The Deployment is auto-named: its name carries the random suffix.
            expect(
                unwaived
                    .map((v) => `${v.enforcementLevel}: ${v.message.replace(/worker-[0-9a-f]{8}/, "worker")}`)
                    .sort(),
            ).to.deep.equal([
                "mandatory: Cluster data/postgres: 1 instance(s) is a single point of failure (at least 2)",
                "mandatory: Deployment apps/worker: 1 replica(s) is a single point of failure (at least 2)",
                "mandatory: StatefulSet data/redis: 1 replica(s) is a single point of failure (at least 2)",
            ]);
        });
    });
});
