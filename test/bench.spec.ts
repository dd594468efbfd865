/**
 * Render cost of the whole program under the mocks (scripts/bench.ts), in a fresh child process so the heap of the
 * other specs does not count. No wall-clock budget: a busy shared host would turn it red without any change in the
 * code. What is asserted is a ratio measured within one process, per-service cost at 100 services against 25,
 * which host speed cancels out of (four times the size shows super-linear growth at a quarter of the cost of 200
 * against 50); absolute figures are `npm run bench`'s to print. Each size renders more than once and the fastest
 * run counts, so a burst of load during one render does not decide the ratio.
 */
import { expect } from "chai";
import { measureInChild } from "../scripts/bench";

describe("render benchmark (generated stacks)", function () {
    this.timeout(420000);

    it("the cost per service grows at most linearly (per-service cost at 100 services < 2x that at 25, one process)", async () => {
        const [small, large] = [25, 100];
        const runs = await measureInChild([small, small, large, large]);
        const fastest = (n: number) =>
            runs.filter((r) => r.services === n).reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
        const [atSmall, atLarge] = [fastest(small), fastest(large)];
        console.log(
            `      ${small} services: ${atSmall.wallMs} ms wall, ${atSmall.cpuMs} ms CPU; ${large} services: ${atLarge.resources} resources, ${atLarge.wallMs} ms wall, ${atLarge.cpuMs} ms CPU, peak RSS ${atLarge.peakRssMiB} MiB`,
        );
        expect(atLarge.resources).to.be.greaterThan(atSmall.resources * 3);
        expect(atLarge.perServiceMs, `wall time per service at ${large} vs ${small}`).to.be.below(
            2 * atSmall.perServiceMs,
        );
    });
});
