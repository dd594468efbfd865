/**
 * What the real Pulumi engine found that the mocks did not (the real-engine issue), each pinned by a test:
 * - render mode: the provider refuses `context` with `renderYamlToDirectory`, and helm.v4.Chart renders against
 *   Kubernetes v1.20.0 without a cluster, which the pinned charts refuse;
 * - preview: a chart whose values hold an unknown output is shown and judged by nobody;
 * - state size: CustomResourceDefinitions dominate the state, so their schema descriptions are dropped.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { expect } from "chai";
import * as yaml from "js-yaml";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { ConfigError, parseConfig } from "../config";
import { installedApiVersions, stripCrdDescriptions } from "../lib/helm";
import { providerArgs } from "../lib/provider";
import { CHART_TYPE, chartDirectory, helmTemplate, needBuiltTool, needSharedCharts } from "./lib/charts";
import { readStackConfig, RenderedStack, renderStack, STACKS } from "./lib/harness";

const RENDER_DIR = "rendered";
const withRenderMode = (stack: string) => ({
    ...(readStackConfig(stack).kubernetes as object),
    renderYamlToDirectory: RENDER_DIR,
});

/** Paths of unknown values in a value (the engine's sentinel, as the harness records it). */
function unknownPaths(value: unknown, at = ""): string[] {
    if (value === unknownValue) return [at];
    if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, `${at}[${i}]`));
    if (value && typeof value === "object")
        return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, `${at}.${k}`));
    return [];
}

describe("real engine: render mode (kubernetes.renderYamlToDirectory)", function () {
    this.timeout(600_000);

    it("passes the provider neither context nor kubeconfig in render mode, and both otherwise", () => {
        expect(
            providerArgs({
                context: "kind-x",
                kubeconfig: "/k",
                renderYamlToDirectory: "out",
                clusterDomain: "cluster.local",
                kubeVersion: "1.37.2",
            }),
        ).to.deep.equal({ renderYamlToDirectory: "out", enableServerSideApply: true });
        expect(
            providerArgs({
                context: "kind-x",
                kubeconfig: "/k",
                clusterDomain: "cluster.local",
                kubeVersion: "1.37.2",
            }),
        ).to.deep.equal({ context: "kind-x", kubeconfig: "/k", enableServerSideApply: true });
    });

    for (const stack of STACKS) {
        describe(stack, () => {
            let cluster: RenderedStack;
            let render: RenderedStack;
            before(async () => {
                cluster = await renderStack(stack);
                render = await renderStack(stack, { overrides: { kubernetes: withRenderMode(stack) } });
            });

            it("registers the provider without the stack file's context (the provider refuses both together)", () => {
                const provider = (r: RenderedStack) =>
                    r.resources.filter((x) => x.type === "pulumi:providers:kubernetes");
                expect(provider(render)).to.have.length(1);
                expect(provider(render)[0].inputs).to.include({ renderYamlToDirectory: RENDER_DIR });
                expect(provider(render)[0].inputs).not.to.have.any.keys("context", "kubeconfig");
                expect(provider(cluster)[0].inputs).to.include({
                    context: (readStackConfig(stack).kubernetes as any).context,
                });
                expect(render.outputs.kubeContext.value).to.match(/render mode/);
            });

            it("renders every chart client-side against kubernetes.kubeVersion with the same release, values and CRD switch", () => {
                expect(render.resources.filter((x) => x.type === CHART_TYPE)).to.deep.equal([]);
                const cfg = parseConfig({ ...readStackConfig(stack), kubernetes: withRenderMode(stack) });
                const templates = render.invokes
                    .filter((i) => i.token === "kubernetes:helm:template")
                    .map((i) => JSON.parse(i.inputs.jsonOpts));
                const charts = cluster.resources.filter((x) => x.type === CHART_TYPE);
                expect(templates.map((t) => t.release_name).sort()).to.deep.equal(
                    charts.map((c) => c.inputs.name).sort(),
                );
                for (const c of charts) {
                    const t = templates.find((x) => x.release_name === c.inputs.name)!;
                    expect(t.kube_version, c.name).to.equal(cfg.kubernetes.kubeVersion);
                    expect(t.api_versions, c.name).to.deep.equal(installedApiVersions(cfg));
                    expect(t.values ?? {}, c.name).to.deep.equal(c.inputs.values ?? {});
                    expect(t.namespace, c.name).to.equal(c.inputs.namespace);
                    expect(t.skip_crd_rendering === true, c.name).to.equal(c.inputs.skipCrds === true);
                    const source = t.path ?? t.chart;
                    expect(source, c.name).to.equal(c.inputs.chart);
                    if (c.inputs.repositoryOpts)
                        expect(t.fetch_opts, c.name).to.deep.equal({ repo: c.inputs.repositoryOpts.repo });
                }
            });

            it("every chart renders with real Helm at kubernetes.kubeVersion (and Helm's default v1.20.0 is refused)", function () {
                needSharedCharts(this);
                const helm = needBuiltTool(this, "helm");
                const cfg = parseConfig(readStackConfig(stack));
                const charts = cluster.resources.filter((x) => x.type === CHART_TYPE);
                for (const c of charts)
                    expect(
                        helmTemplate(helm, c, cfg, cfg.kubernetes.kubeVersion).objects.length,
                        c.name,
                    ).to.be.greaterThan(0);
                // The finding itself: what helm.v4.Chart does without a cluster.
                const refused = charts.filter((c) => {
                    try {
                        helmTemplate(helm, c, cfg, "1.20.0");
                        return false;
                    } catch (err) {
                        return /kubeVersion/.test((err as Error).message);
                    }
                });
                expect(refused.length, "charts with a kubeVersion constraint").to.be.greaterThan(0);
            });
        });
    }

    it("rejects a kubernetes.kubeVersion the charts refuse, naming the key", () => {
        for (const [kubeVersion, message] of [
            ["1.20.0", "must be at least 1.32.0"],
            ["v1.34", "must be a Kubernetes version"],
        ]) {
            const raw = {
                ...readStackConfig("dev"),
                kubernetes: { ...(readStackConfig("dev").kubernetes as object), kubeVersion },
            };
            expect(() => parseConfig(raw)).to.throw(
                ConfigError,
                `stackwright:kubernetes.kubeVersion: "${kubeVersion}" ${message}`,
            );
        }
    });
});

describe("real engine: pulumi preview/up transpile without type-checking (npm test type-checks)", () => {
    it("Pulumi.yaml points the runtime at a tsconfig whose own compilerOptions say noCheck, read as the runtime reads it", () => {
        const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8")) as any;
        const tsconfig = project.runtime.options.tsconfig as string;
        // The function @pulumi/pulumi's nodejs runtime uses to decide ts-node's transpileOnly (cmd/run/run.js).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils");
        expect(loadTypeScriptCompilerOptions(path.join(__dirname, "..", tsconfig)).noCheck).to.equal(true);
        // The type-checking config is another file, and `npm test` runs it.
        expect(loadTypeScriptCompilerOptions(path.join(__dirname, "..", "tsconfig.json")).noCheck).to.equal(undefined);
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
        expect(pkg.scripts.typecheck).to.include("tsc --noEmit -p tsconfig.json");
    });
});

describe("real engine: every chart's values are known during a preview", function () {
    this.timeout(600_000);
    for (const stack of STACKS) {
        it(`${stack}: no chart or manifest resource has an unknown input in a preview`, async () => {
            const r = await renderStack(stack, { preview: true });
            const charts = r.resources.filter((x) => /^kubernetes:(helm\.sh|yaml)\//.test(x.type));
            expect(charts.length).to.be.greaterThan(0);
            // The harness's preview mode leaves random/tls results unknown, as the engine does on create.
            expect(
                r.resources.some((x) => unknownPaths(x.state).length > 0),
                "the preview has unknown outputs at all",
            ).to.equal(true);
            for (const c of charts) expect(unknownPaths(c.inputs), c.name).to.deep.equal([]);
        });
    }
});

describe("real engine: CustomResourceDefinitions are kept small in the state", function () {
    this.timeout(600_000);

    it("stripCrdDescriptions drops schema descriptions only: structure, property names and validation stay", () => {
        const crd = {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "things.example.com" },
            spec: {
                group: "example.com",
                names: { kind: "Thing", plural: "things" },
                scope: "Namespaced",
                versions: [
                    {
                        name: "v1",
                        served: true,
                        storage: true,
                        schema: {
                            openAPIV3Schema: {
                                description: "A thing.",
                                type: "object",
                                properties: {
                                    // A field named "description" is a property name, not documentation.
                                    description: { type: "string", description: "Text of the thing.", maxLength: 10 },
                                    items: {
                                        type: "array",
                                        description: "List.",
                                        items: {
                                            type: "object",
                                            description: "One.",
                                            properties: { a: { type: "integer", description: "A.", minimum: 1 } },
                                        },
                                    },
                                    map: {
                                        type: "object",
                                        additionalProperties: { type: "string", description: "Value." },
                                        "x-kubernetes-validations": [{ rule: "size(self) < 5", message: "too many" }],
                                    },
                                },
                            },
                        },
                    },
                ],
            },
        };
        const stripped = stripCrdDescriptions(crd);
        const schema = stripped.spec.versions[0].schema.openAPIV3Schema as any;
        expect(JSON.stringify(stripped)).not.to.match(/"description":"/);
        expect(schema.properties.description).to.deep.equal({ type: "string", maxLength: 10 });
        expect(schema.properties.items.items.properties.a).to.deep.equal({ type: "integer", minimum: 1 });
        expect(schema.properties.map["x-kubernetes-validations"]).to.deep.equal([
            { rule: "size(self) < 5", message: "too many" },
        ]);
        expect(crd.spec.versions[0].schema.openAPIV3Schema.description, "input untouched").to.equal("A thing.");
    });

    it("every chart runs the post-renderer that trims CRDs; it rewrites CRDs only and passes every other document through", async () => {
        for (const stack of STACKS) {
            const charts = (await renderStack(stack)).resources.filter((x) => x.type === CHART_TYPE);
            for (const c of charts) {
                expect(c.inputs.postRenderer?.command, c.name).to.equal(process.execPath);
                expect(c.inputs.postRenderer.args.slice(1, 2), c.name).to.deep.equal(["--trim-crds"]);
            }
        }
        const script = path.join(__dirname, "..", "scripts", "helm", "post-render.js");
        const service =
            "\n# Source: a/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    description: keep me\n";
        const crd =
            "\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.com\nspec:\n  group: example.com\n" +
            "  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        description: long text\n        type: object\n";
        const out = spawnSync(process.execPath, [script, "--trim-crds"], {
            input: ["", service, crd].join("---"),
            encoding: "utf8",
        });
        expect(out.status, out.stderr).to.equal(0);
        const [, serviceOut, crdOut] = out.stdout.split(/^---[ \t]*$/m);
        expect(serviceOut).to.equal(service);
        expect(JSON.parse(crdOut).spec.versions[0].schema.openAPIV3Schema).to.deep.equal({ type: "object" });
        expect(
            spawnSync(process.execPath, [script], { input: "", encoding: "utf8" }).status,
            "no option is a usage error",
        ).to.equal(2);
    });

    it("shrinks the real prometheus-operator CRDs to under a third of their size (rendered with Helm)", async function () {
        needSharedCharts(this);
        const helm = needBuiltTool(this, "helm");
        const dir = chartDirectory({ chart: "prometheus-operator-crds", version: "31.0.1" });
        expect(fs.existsSync(path.join(dir, "Chart.yaml"))).to.equal(true);
        const r = spawnSync(helm, ["template", "crds", dir], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
        expect(r.status, r.stderr).to.equal(0);
        const crds = (yaml.loadAll(r.stdout) as any[]).filter((d) => d?.kind === "CustomResourceDefinition");
        expect(crds.length).to.be.greaterThan(5);
        const before = crds.reduce((n, c) => n + JSON.stringify(c).length, 0);
        const after = crds.reduce((n, c) => n + JSON.stringify(stripCrdDescriptions(c)).length, 0);
        console.log(
            `      prometheus-operator CRDs: ${(before / 1e6).toFixed(2)} MB -> ${(after / 1e6).toFixed(2)} MB of JSON per copy (state holds inputs and outputs)`,
        );
        expect(after / before).to.be.lessThan(1 / 3);
    });
});
