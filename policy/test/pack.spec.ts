/** The pack as a whole: names, levels, config schemas, example configs, and robustness against any input. */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import Ajv from "ajv";
import {
    allPolicies,
    bestPracticePolicies,
    isResourcePolicy,
    isStackPolicy,
    missionPolicies,
    podSecurityPolicies,
    stackIntegrityPolicies,
} from "../policies/all";
import { POLICY_NAMES } from "../policies/names";
import { UNKNOWN_SENTINELS } from "../policies/values";
import {
    engineProxy,
    NotApplicableError,
    resourceArgs,
    runResourcePolicyDetailed,
    runStackPolicy,
    UNKNOWN_STRING,
} from "./engine";
import {
    alertmanager,
    cnpgCluster,
    cnpgPooler,
    nginxProxy,
    podSpecWithAllLists,
    prometheus,
    TYPES,
    workload,
    WORKLOAD_KINDS,
} from "./fixtures";
import { CONFIG_DIR, loadPackConfig, resolvePolicyConfig } from "./pack-runner";

const ENFORCEMENT_LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

/** The schema the Pulumi CLI validates a policy's config against (convertSchema in pkg/resource/analyzer). */
function cliSchema(policy: { configSchema?: { properties: object; required?: string[] } }): object {
    return {
        type: "object",
        properties: policy.configSchema?.properties ?? {},
        ...(policy.configSchema?.required ? { required: policy.configSchema.required } : {}),
    };
}

describe("policy pack", () => {
    it("has every policy exactly once, with the names listed in names.ts", () => {
        const names = allPolicies.map((p) => p.name);
        expect(new Set(names).size).to.equal(names.length);
        expect([...names].sort()).to.deep.equal([...POLICY_NAMES].sort());
    });

    it("keeps each policy in its own module, policies/<policy-name>.ts, which defines no other policy", () => {
        const dir = path.join(__dirname, "../policies");
        for (const p of allPolicies) {
            // By name: the whole-stack harness clears project modules from require's cache, so instances may differ.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const policyModule = require(path.join(dir, `${p.name}.ts`)) as Record<string, { name?: unknown }>;
            const exported = Object.values(policyModule)
                .filter((v) => typeof v === "object" && v !== null && ("validateResource" in v || "validateStack" in v))
                .map((v) => v.name);
            expect(exported, `policies/${p.name}.ts exports exactly its policy`).to.deep.equal([p.name]);
            const defined =
                fs
                    .readFileSync(path.join(dir, `${p.name}.ts`), "utf8")
                    .match(/\b(podPolicy|objectPolicy|stackPolicy)\b(<[^>]*>)?\(\{/g) ?? [];
            expect(defined, `policies/${p.name}.ts defines exactly one policy`).to.have.length(1);
        }
    });

    it("makes the mission, Pod Security and stack-integrity policies mandatory and best practices advisory by default", () => {
        for (const p of [...missionPolicies, ...podSecurityPolicies, ...stackIntegrityPolicies])
            expect(p.enforcementLevel, p.name).to.equal("mandatory");
        for (const p of bestPracticePolicies) expect(p.enforcementLevel, p.name).to.equal("advisory");
        expect(allPolicies.find((p) => p.name === "exemptions-need-reasons")!.enforcementLevel).to.equal("mandatory");
    });

    it("gives every policy a description, one validation function and a JSON-Schema config with matching defaults", () => {
        const ajv = new Ajv();
        for (const p of allPolicies) {
            expect(p.description, p.name).to.be.a("string").and.not.equal("");
            expect(isResourcePolicy(p) !== isStackPolicy(p), p.name).to.equal(true);
            expect(p.configSchema, p.name).to.be.an("object");
            const validate = ajv.compile(cliSchema(p));
            expect(validate({}), `${p.name}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
            const schemaDefaults = Object.fromEntries(
                Object.entries(p.configSchema!.properties)
                    .filter(([k, v]) => k !== "exemptions" && typeof v === "object" && "default" in v)
                    .map(([k, v]) => [k, (v as { default: unknown }).default]),
            );
            expect(schemaDefaults, `${p.name} schema defaults`).to.deep.equal(p.defaults);
            expect(validate(p.defaults), `${p.name}: defaults must satisfy the schema`).to.equal(true);
            if (p.name !== "exemptions-need-reasons")
                expect(p.configSchema!.properties, p.name).to.have.property("exemptions");
        }
    });

    it("index.ts builds the pack from policies/all.ts and does nothing else", () => {
        const source = fs.readFileSync(path.join(__dirname, "../index.ts"), "utf8");
        expect(source).to.match(
            /new PolicyPack\("stackwright", \{\s*policies: allPolicies,\s*enforcementLevel: PACK_DEFAULT_ENFORCEMENT,\s*\}\);/,
        );
        expect(source.match(/^import /gm)).to.have.length(2);
    });

    it("mirrors the engine's unknown sentinels", () => {
        const engineSentinels = Object.entries(engineProxy)
            .filter(([k]) => /^unknown[A-Z].*Value$/.test(k))
            .map(([, v]) => v);
        expect(engineSentinels).to.have.length(7);
        expect([...UNKNOWN_SENTINELS].sort()).to.deep.equal([...engineSentinels].sort());
    });

    describe("example configs (policy/config/*.json)", () => {
        const files = fs
            .readdirSync(CONFIG_DIR)
            .filter((f) => f.endsWith(".json"))
            .sort();

        it("exist for dev, staging and prod", () =>
            expect(files).to.deep.equal(["dev.json", "prod.json", "staging.json"]));

        for (const file of files) {
            it(`${file}: names only policies of the pack and satisfies each policy's schema`, () => {
                const config = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, file), "utf8"));
                const ajv = new Ajv();
                for (const [key, value] of Object.entries<any>(config)) {
                    if (typeof value === "string") {
                        expect(ENFORCEMENT_LEVELS, key).to.include(value);
                        continue;
                    }
                    if (key === "all") {
                        expect(ENFORCEMENT_LEVELS).to.include(value.enforcementLevel);
                        continue;
                    }
                    const policy = allPolicies.find((p) => p.name === key);
                    expect(policy, `${file}: unknown policy ${key}`).to.not.equal(undefined);
                    const { enforcementLevel, ...properties } = value;
                    if (enforcementLevel !== undefined) expect(ENFORCEMENT_LEVELS, key).to.include(enforcementLevel);
                    const validate = ajv.compile(cliSchema(policy!));
                    expect(validate(properties), `${file} ${key}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
                }
            });
        }

        it("prod makes every best practice mandatory; dev leaves them advisory", () => {
            const prod = loadPackConfig("prod");
            const dev = loadPackConfig("dev");
            for (const p of bestPracticePolicies) {
                expect(resolvePolicyConfig(p, prod).enforcementLevel, p.name).to.equal("mandatory");
                expect(resolvePolicyConfig(p, dev).enforcementLevel, p.name).to.equal("advisory");
            }
            for (const p of missionPolicies) expect(resolvePolicyConfig(p, dev).enforcementLevel).to.equal("mandatory");
        });

        it("resolves config the way the CLI does (schema defaults, all, per-policy overrides)", () => {
            const policy = allPolicies.find((p) => p.name === "images-pinned")!;
            expect(resolvePolicyConfig(policy, {})).to.deep.equal({
                enforcementLevel: "advisory",
                properties: { requireDigest: false, mutableTags: ["latest"], exemptions: [] },
            });
            expect(resolvePolicyConfig(policy, { all: "mandatory" }).enforcementLevel).to.equal("mandatory");
            expect(
                resolvePolicyConfig(policy, {
                    all: "mandatory",
                    "images-pinned": { enforcementLevel: "disabled", requireDigest: true },
                }),
            ).to.deep.equal({
                enforcementLevel: "disabled",
                properties: { requireDigest: true, mutableTags: ["latest"], exemptions: [] },
            });
        });
    });

    describe("robustness: every policy, every kind, broken or unknown props", () => {
        const shapes: [string, unknown][] = [
            ["undefined props", undefined],
            ["empty props", {}],
            ["null metadata and spec", { metadata: null, spec: null }],
            ["unknown metadata and spec", { metadata: UNKNOWN_STRING, spec: UNKNOWN_STRING }],
            [
                "unknown nested lists",
                {
                    metadata: { labels: UNKNOWN_STRING, annotations: UNKNOWN_STRING },
                    spec: {
                        template: {
                            spec: {
                                containers: [UNKNOWN_STRING],
                                volumes: UNKNOWN_STRING,
                                securityContext: UNKNOWN_STRING,
                            },
                        },
                        selector: UNKNOWN_STRING,
                    },
                },
            ],
            [
                "unknown NginxProxy sections",
                { spec: { kubernetes: { deployment: { container: UNKNOWN_STRING, pod: UNKNOWN_STRING } } } },
            ],
            [
                "unknown NginxProxy fields",
                {
                    spec: {
                        kubernetes: {
                            daemonSet: {
                                container: {
                                    resources: UNKNOWN_STRING,
                                    hostPorts: [UNKNOWN_STRING],
                                    image: { tag: UNKNOWN_STRING },
                                },
                                pod: { volumes: [UNKNOWN_STRING] },
                            },
                        },
                    },
                },
            ],
            [
                "wrong types",
                {
                    metadata: { name: 5, labels: [] },
                    spec: { containers: "x", template: 7, jobTemplate: [], listeners: {}, rules: "r" },
                },
            ],
        ];
        const types = Object.values(TYPES);
        for (const policy of allPolicies.filter(isResourcePolicy)) {
            it(`${policy.name} never throws (except notApplicable) and the engine's proxy never fires`, () => {
                for (const type of types) {
                    for (const [label, props] of shapes) {
                        expect(
                            () => runResourcePolicyDetailed(policy, type, props),
                            `${type} / ${label}`,
                        ).not.to.throw();
                    }
                }
            });
        }
        for (const policy of allPolicies.filter(isStackPolicy)) {
            it(`${policy.name} never throws on broken stacks`, () => {
                const specs = types.flatMap((type, i) =>
                    shapes.map(([label, props], j) => ({ type, name: `r${i}-${j}-${label}`, props, dependencies: [] })),
                );
                expect(() => runStackPolicy(policy, specs)).not.to.throw();
            });
        }

        it("compliant fixtures of every workload kind and custom resource pass every mandatory resource policy", () => {
            const fixtures: [string, unknown][] = [
                ...WORKLOAD_KINDS.map((k): [string, unknown] => [TYPES[k], workload(k, podSpecWithAllLists())]),
                [TYPES.CnpgCluster, cnpgCluster()],
                [TYPES.CnpgPooler, cnpgPooler()],
                [TYPES.Prometheus, prometheus()],
                [TYPES.Alertmanager, alertmanager()],
                [TYPES.NginxProxy, nginxProxy()],
            ];
            for (const policy of allPolicies
                .filter(isResourcePolicy)
                .filter((p) => p.enforcementLevel === "mandatory")) {
                for (const [type, props] of fixtures) {
                    expect(
                        runResourcePolicyDetailed(policy, type, props).messages,
                        `${policy.name} on ${type}`,
                    ).to.deep.equal([]);
                }
            }
        });

        it("calls notApplicable (which throws) for resources outside its scope", () => {
            const args = resourceArgs(TYPES.HelmChart, {});
            expect(() => args.notApplicable("x")).to.throw(NotApplicableError);
            expect(
                runResourcePolicyDetailed(allPolicies.filter(isResourcePolicy)[0], TYPES.HelmChart, {}).notApplicable,
            ).to.equal("not a Kubernetes object");
        });
    });
});
