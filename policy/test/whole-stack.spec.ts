/**
 * Every policy against every resource of each real stack (rendered under mocks by test/lib/harness.ts), in the
 * engine's shapes and with the stack's example pack config: zero mandatory violations; advisory ones printed.
 */
import { expect } from "chai";
import { kubeObject } from "../policies/kinds";
import { formatViolations, loadPackConfig, PackViolation, runPack } from "./pack-runner";
import { HARNESS_MISSING, harnessAvailable, rendered, STACKS } from "./rendered";

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
                objectCount = r.resources.filter((x) => kubeObject(x.type, x.inputs, x.name, x.urn) !== undefined).length;
                violations = runPack(r.resources, loadPackConfig(stack));
            });

            it("renders Kubernetes objects for the pack to judge", () => {
                expect(objectCount).to.be.greaterThan(0);
            });

            it(`has no mandatory violations with policy/config/${stack}.json (advisory ones are printed)`, () => {
                const advisory = violations.filter((v) => v.enforcementLevel === "advisory");
                console.log(advisory.length === 0 ? "      no advisory violations" : `      ${advisory.length} advisory violation(s):\n${formatViolations(advisory)}`);
                const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
                expect(mandatory, `mandatory violations:\n${formatViolations(mandatory)}`).to.deep.equal([]);
            });

            it("runs during preview (unknown values) without crashing", async () => {
                const r = await rendered(stack, { preview: true });
                expect(() => runPack(r.resources, loadPackConfig(stack))).not.to.throw();
            });
        });
    }
});
