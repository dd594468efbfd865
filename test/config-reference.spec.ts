import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { referenceRows, renderConfigReference } from "../scripts/config-reference";

describe("config reference", () => {
    it("docs/config-reference.md is what the schema generates (run `npm run docs` after changing config/schema.ts)", () => {
        const committed = fs.readFileSync(path.join(__dirname, "..", "docs", "config-reference.md"), "utf8");
        expect(committed).to.equal(renderConfigReference());
    });

    it("covers every key with a type, and documents the top-level sections", () => {
        const keys = referenceRows().map((r) => r.key);
        for (const key of [
            "environment",
            "domain",
            "services.<name>.image",
            "services.<name>.routes[].host",
            "postgres.instances",
            "redis.mode",
            "edge.tls",
            "mesh.enabled",
            "monitoring.retention",
            "backups.postgresSchedule",
        ]) {
            expect(keys).to.include(key);
        }
        for (const row of referenceRows()) expect(row.type, row.key).to.not.equal("value");
    });

    it("the README links the config reference", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        expect(readme).to.include("docs/config-reference.md");
    });
});
