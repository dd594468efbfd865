/**
 * Render performance of the whole program under the mocks (scripts/bench.ts), in a fresh child process so the
 * heap of the other specs does not count. The 10 s budget is wall time with plain JavaScript stack traces (a
 * precompiled program); `npm run bench` also prints the ts-node figures, where source-map translation of the
 * SDK's diagnostic stacks roughly doubles the time.
 */
import { expect } from "chai";
import { measureInChild } from "../scripts/bench";

describe("render benchmark (generated stacks)", function () {
    this.timeout(300000);

    it("200 services render in under 10 s, and the cost per service grows linearly (200 vs 50: < 2x)", async () => {
        const [at50, at200] = await measureInChild([50, 200], false);
        console.log(`      50 services: ${at50.wallMs} ms wall, ${at50.cpuMs} ms CPU; 200 services: ${at200.resources} resources, ${at200.wallMs} ms wall, ${at200.cpuMs} ms CPU, peak RSS ${at200.peakRssMiB} MiB`);
        expect(at200.resources).to.be.greaterThan(at50.resources * 3);
        expect(at200.wallMs, "wall time for 200 services").to.be.below(10000);
        expect(at200.perServiceMs, "wall time per service at 200 vs 50").to.be.below(2 * at50.perServiceMs);
    });
});
