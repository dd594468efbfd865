/**
 * Conventions every component keeps. Type tokens: `stackwright:<module>:<Class>`, exposed as a static that the tests use, and permanent. A
 * token that changed keeps the old one as an alias, which Pulumi sends with the registration: an existing stack
 * maps the component (and through it every child) onto the new URNs instead of replacing them.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { Namespaces } from "../components/namespaces";
import { environmentDefaults } from "../lib/defaults";
import { interceptRegistrations, Registration, REPO_ROOT } from "./lib/harness";
import { renderUnderMocks } from "./lib/mock-component";

interface ComponentClass {
    readonly name: string;
    readonly TYPE: string;
    readonly FORMER_TYPES: readonly string[];
}

/** Every component module with its class (one component per file). */
function components(): { file: string; cls: ComponentClass }[] {
    const dir = path.join(REPO_ROOT, "components");
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ts"))
        .flatMap((file) => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const mod = require(path.join(dir, file)) as Record<string, unknown>;
            return Object.values(mod)
                .filter(
                    (v): v is ComponentClass =>
                        typeof v === "function" && typeof (v as { TYPE?: unknown }).TYPE === "string",
                )
                .map((cls) => ({ file, cls }));
        });
}

describe("component type tokens", () => {
    it("are stackwright:<module>:<Class>, one per class, and never reuse a former token", () => {
        const all = components();
        expect(all.length).to.be.at.least(10);
        for (const { file, cls } of all) {
            const module = path.basename(file, ".ts").replace(/-crds$/, "");
            expect(cls.TYPE, file).to.equal(`stackwright:${module}:${cls.name}`);
        }
        const tokens = all.flatMap(({ cls }) => [cls.TYPE, ...cls.FORMER_TYPES]);
        expect(new Set(tokens).size, "a token (current or former) used twice").to.equal(tokens.length);
    });

    it("register with their former tokens as aliases", async () => {
        const seen: Registration[] = [];
        const env = environmentDefaults("dev");
        await renderUnderMocks(() => {
            interceptRegistrations((r) => seen.push(r));
            new Namespaces("namespaces", { namespaces: [], quota: env.quota, limitRange: env.limitRange });
        });
        const registration = seen.find((r) => r.type === Namespaces.TYPE);
        expect(registration, "the component registered under its token").to.not.equal(undefined);
        const aliasTypes = registration!.req.getAliasesList().map((a: any) => a.getSpec()?.getType());
        expect(Namespaces.FORMER_TYPES).to.deep.equal(["stackwright:platform:Namespaces"]);
        expect(aliasTypes).to.deep.equal(Namespaces.FORMER_TYPES);
    });
});

describe("component outputs", () => {
    it("every public output is registered (registerOutputs names each public readonly field)", () => {
        const dir = path.join(REPO_ROOT, "components");
        for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
            const source = fs.readFileSync(path.join(dir, file), "utf8");
            const outputs = [...source.matchAll(/public readonly (\w+)\??:/g)].map((m) => m[1]);
            const registered = /this\.registerOutputs\(\{([^)]*)\}\)/s.exec(source)?.[1] ?? "";
            if (!source.includes("extends pulumi.ComponentResource")) continue;
            expect(registered, `${file}: registerOutputs`).to.not.equal(undefined);
            const missing = outputs.filter((o) => !new RegExp(`\\b${o}\\b`).test(registered));
            expect(missing, `${file}: public outputs not registered`).to.deep.equal([]);
        }
    });
});

describe("component defaults", () => {
    it("live in the plans: no component falls back to a literal (`args.x ?? 30`); plans resolve every default", () => {
        const dir = path.join(REPO_ROOT, "components");
        const fallbacks = fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".ts"))
            .flatMap((file) =>
                [
                    ...fs
                        .readFileSync(path.join(dir, file), "utf8")
                        .matchAll(/args\.[\w.]+ \?\? (?:"[^"]*"|\d+|true|false)/g),
                ]
                    .filter(() => file !== "helm-chart.ts") // a chart factory, not a component: its options are optional
                    .map((m) => `${file}: ${m[0]}`),
            );
        expect(fallbacks).to.deep.equal([]);
    });
});

describe("component tests in two tiers", () => {
    it("every component is also constructed on its own, from hand-written args, in a spec (tier 1)", () => {
        const specs = fs
            .readdirSync(path.join(REPO_ROOT, "test"))
            .filter((f) => f.endsWith(".spec.ts"))
            .map((f) => fs.readFileSync(path.join(REPO_ROOT, "test", f), "utf8"))
            .join("\n");
        const missing = components()
            .map(({ cls }) => cls.name)
            .filter((name) => !new RegExp(`new ${name}\\(`).test(specs));
        expect(missing).to.deep.equal([]);
    });
});
