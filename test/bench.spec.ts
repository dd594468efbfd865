/**
 * Render cost of the whole program under the mocks (scripts/bench.ts), in a fresh child process so the heap of the
 * other specs does not count. No wall-clock budget: a busy shared host would turn it red without any change in the
 * code. What is asserted is a ratio measured within one process, per-service cost at 200 services against 50,
 * which host speed cancels out of; absolute figures are `npm run bench`'s to print. Each size renders more than
 * once and the fastest run counts, so a burst of load during one render does not decide the ratio.
 */
import { expect } from "chai";
import { measureInChild } from "../scripts/bench";

describe("render benchmark (generated stacks)", function () {
    this.timeout(420000);

    it("the cost per service grows at most linearly (per-service cost at 200 services < 2x that at 50, one process)", async () => {
        const runs = await measureInChild([50, 50, 200, 200]);
        const fastest = (n: number) =>
            runs.filter((r) => r.services === n).reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
        const [at50, at200] = [fastest(50), fastest(200)];
        console.log(
            `      50 services: ${at50.wallMs} ms wall, ${at50.cpuMs} ms CPU; 200 services: ${at200.resources} resources, ${at200.wallMs} ms wall, ${at200.cpuMs} ms CPU, peak RSS ${at200.peakRssMiB} MiB`,
        );
        expect(at200.resources).to.be.greaterThan(at50.resources * 3);
        expect(at200.perServiceMs, "wall time per service at 200 vs 50").to.be.below(2 * at50.perServiceMs);
    });
});
