/** The README stays in step with the code: its commands, and every policy exemption with its reason. */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..");
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("README", () => {
    it("gives the test command that .ci/run runs, verbatim", () => {
        const ci = fs
            .readFileSync(path.join(ROOT, ".ci", "run"), "utf8")
            .trim()
            .split("\n");
        const command = ci[ci.length - 1];
        expect(command).to.equal("npm ci && npm test");
        expect(readme).to.include("```bash\n" + command + "\n```");
    });

    it("deploys dev with a local state backend and the policy pack", () => {
        expect(readme).to.match(/pulumi login --local/);
        expect(readme).to.match(/pulumi up --stack dev --policy-pack policy/);
    });

    it("lists every policy-pack exemption of every stack with its policy and workload", () => {
        const exemptionsTable = readme.slice(readme.indexOf("### Exemptions"), readme.indexOf("### Advisory findings"));
        for (const stack of ["dev", "staging", "prod"]) {
            const config = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", `${stack}.json`), "utf8"));
            for (const [policy, value] of Object.entries<any>(config)) {
                for (const exemption of (value && typeof value === "object" && value.exemptions) || []) {
                    const workload =
                        exemption.kind === "Namespace"
                            ? `Namespace \`${exemption.name}\``
                            : `${exemption.kind} \`${exemption.namespace}/${exemption.name}\``;
                    const row = exemptionsTable
                        .split("\n")
                        .find((line) => line.includes(workload) && line.includes(`\`${policy}\``));
                    expect(row, `README exemption row for ${policy} on ${workload} (${stack})`).to.not.equal(undefined);
                    expect(exemption.reason.trim().length, `${policy} reason`).to.be.greaterThan(20);
                }
            }
        }
    });

    it("has no unfilled placeholders", () => {
        expect(readme).to.not.match(/BENCH_TABLE|TODO/);
    });
});
