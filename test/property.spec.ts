/**
 * Accepted means valid, for generated configs: fast-check builds stack configs from the schema's own vocabulary
 * (services and their names, ports, probes, routes, quantities, calls, databases, feature switches, environment).
 * Each is either rejected before any resource is registered, with an error naming the config key, or everything
 * it renders passes the real API server's dry-run and the policy pack's mandatory policies (chart objects
 * included, rendered with real Helm). Bounded: a fixed number of runs from a fixed seed, so CI is repeatable;
 * STACKWRIGHT_PROPERTY_SEED=<n> explores other configs. Counterexamples found are kept in REGRESSIONS.
 */
import { expect } from "chai";
import fc from "fast-check";
import { parseConfig } from "../config";
import { formatViolations, loadPackConfig, runPack } from "../policy/test/pack-runner";
import { dryRunStack, useTestApiServer } from "./lib/apiserver";
import { asRecorded } from "./lib/charts";
import { readStackConfig, renderStack } from "./lib/harness";

type Raw = Record<string, unknown>;

/** Mostly values a user would write, now and then one at or past an edge of the grammar. */
const pick = <T>(usual: readonly T[], edges: readonly T[]) =>
    fc.oneof({ arbitrary: fc.constantFrom(...usual), weight: 15 }, { arbitrary: fc.constantFrom(...edges), weight: 1 });
const NAME = pick(
    ["web", "api", "orders", "worker-2", "a"],
    ["svc-with-a-rather-long-name-of-forty-seven-chars", "n".repeat(63)],
);
const PORT_NAME = pick(["http", "metrics", "grpc-web"], ["h", "a-very-long-nm1", "http-metrics-xyz"]);
const CPU = pick<string | number>(["50m", "100m", "250m"], [0.5, "1", "-1", "0"]);
const CPU_LIMIT = pick<string | number>(["500m", "1", 2], ["50m", "0"]);
const MEMORY = pick(["64Mi", "128Mi"], ["128m", "0"]);
const MEMORY_LIMIT = pick(["256Mi", "512Mi", "1Gi"], ["64Mi", "128m"]);
const HOST = pick(["app", "api", "www"], ["x".repeat(63), "Bad_Host"]);

const serviceArb = (others: string[]) =>
    fc
        .record({
            image: fc.constant("ghcr.io/stefanprodan/podinfo:6.9.2"),
            ports: fc.uniqueArray(
                fc.record({ name: PORT_NAME, containerPort: fc.constantFrom(80, 1024, 8080, 9898, 65535) }),
                { minLength: 1, maxLength: 3, selector: (p) => p.name },
            ),
            probes: fc.constant({ liveness: { path: "/healthz" }, readiness: { path: "/readyz" } }),
            resources: fc.option(
                fc.record({
                    requests: fc.record({ cpu: CPU, memory: MEMORY }),
                    limits: fc.record({ cpu: CPU_LIMIT, memory: MEMORY_LIMIT }),
                }),
                { nil: undefined },
            ),
            calls: fc.subarray(others),
            redis: fc.boolean(),
            database: fc.option(fc.constantFrom("app", "todo", "orders"), { nil: undefined }),
            routes: fc.array(fc.record({ host: HOST }), { maxLength: 1 }),
            autoscaling: fc.option(
                fc.record({ minReplicas: fc.integer({ min: 1, max: 3 }), maxReplicas: fc.integer({ min: 1, max: 5 }) }),
                { nil: undefined },
            ),
        })
        .map((s) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)));

const configArb: fc.Arbitrary<Raw> = fc
    .record({
        stack: fc.constantFrom("dev", "staging", "prod"),
        names: fc.uniqueArray(NAME, { minLength: 1, maxLength: 3 }),
        mesh: fc.boolean(),
        monitoring: fc.boolean(),
        edge: fc.boolean(),
    })
    .chain(({ stack, names, mesh, monitoring, edge }) =>
        fc.tuple(...names.map((n) => serviceArb(names.filter((o) => o !== n)))).map((services) => {
            const base = readStackConfig(stack);
            return {
                ...base,
                services: Object.fromEntries(names.map((n, i) => [n, services[i]])),
                mesh: { ...(base.mesh as object), enabled: mesh },
                monitoring: { ...(base.monitoring as object), enabled: monitoring },
                edge: { ...(base.edge as object), enabled: edge },
            };
        }),
    );

/** Counterexamples the property found, kept as named cases (each must now be rejected or valid). */
const REGRESSIONS: { readonly title: string; readonly raw: () => Raw }[] = [
    {
        // The Gateway got no listeners (rejected by the API server) and the redirect route no hostnames.
        title: "edge on, no service routed, monitoring off (seed 20261207)",
        raw: () => {
            const base = readStackConfig("prod");
            return {
                ...base,
                monitoring: { ...(base.monitoring as object), enabled: false },
                services: {
                    web: {
                        image: "ghcr.io/stefanprodan/podinfo:6.9.2",
                        ports: [{ name: "http", containerPort: 8080 }],
                    },
                },
            };
        },
    },
    {
        // Auto-named Deployment "<63 characters>-<suffix>": the API server warns (pod names and hostnames).
        title: "a 63-character service name (seed 20261207)",
        raw: () => ({
            ...readStackConfig("staging"),
            services: {
                ["n".repeat(63)]: {
                    image: "ghcr.io/stefanprodan/podinfo:6.9.2",
                    ports: [{ name: "metrics", containerPort: 80 }],
                    routes: [{ host: "app" }],
                },
            },
        }),
    },
    {
        // The dev policy config lacked two of the istio-cni exemptions staging and prod carry (mesh is optional in dev).
        title: "dev with the mesh on (seed 20261207)",
        raw: () => ({ ...readStackConfig("dev"), mesh: { ...(readStackConfig("dev").mesh as object), enabled: true } }),
    },
    {
        // Allowed as in Kubernetes since issue 14: one port number for TCP and UDP (a DNS-like service).
        title: "one port number for TCP and UDP",
        raw: () => {
            const base = readStackConfig("staging");
            const services = base.services as Record<string, any>;
            return {
                ...base,
                services: {
                    ...services,
                    worker: {
                        ...services.worker,
                        ports: [
                            ...services.worker.ports,
                            { name: "dns", containerPort: 53, protocol: "UDP" },
                            { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                        ],
                    },
                },
            };
        },
    },
];

describe("property: every accepted config renders objects the API server and the pack accept", function () {
    this.timeout(1_800_000);
    const tools = useTestApiServer();

    /** The property for one config: returns what is wrong, or [] */
    async function judge(raw: Raw): Promise<string[]> {
        let accepted = true;
        try {
            parseConfig(raw);
        } catch (err) {
            accepted = false;
            if ((err as Error).name !== "ConfigError")
                return [`parseConfig threw ${(err as Error).name}: ${(err as Error).message}`];
        }
        let rendered;
        try {
            rendered = await renderStack("property", { rawConfig: raw });
        } catch (err) {
            const e = err as Error & { recorded?: unknown[] };
            if (accepted) return [`accepted by the schema, then the program threw: ${e.message}`];
            if (process.env.STACKWRIGHT_PROPERTY_VERBOSE)
                console.log(`      rejected: ${e.message.split("\n").slice(1, 3).join(" | ")}`);
            const problems: string[] = [];
            if (e.name !== "ConfigError") problems.push(`rejected with ${e.name}, not a ConfigError: ${e.message}`);
            if (!/stackwright:[a-zA-Z]/.test(e.message)) problems.push(`the error names no config key: ${e.message}`);
            if ((e.recorded ?? []).length > 0)
                problems.push(`${e.recorded!.length} resources registered before the error`);
            return problems;
        }
        if (!accepted) return ["rejected by parseConfig but the program rendered it"];
        const cfg = parseConfig(raw);
        // The charts the dry-run rendered are the ones the pack judges (one Helm render per chart).
        const { problems, charts } = await dryRunStack(tools().server, tools().helm, cfg, rendered);
        const chartObjects = charts.flatMap((c) => c.objects.map((o) => asRecorded(c, o)));
        const stackName = cfg.environment;
        const mandatory = runPack([...rendered.resources, ...chartObjects], loadPackConfig(stackName)).filter(
            (v) => v.enforcementLevel === "mandatory",
        );
        if (mandatory.length > 0) problems.push(`mandatory policy violations:\n${formatViolations(mandatory)}`);
        return problems;
    }

    for (const r of REGRESSIONS) {
        it(`regression: ${r.title}`, async () => {
            const problems = await judge(r.raw());
            expect(problems, problems.join("\n")).to.deep.equal([]);
        });
    }

    it("generated configs: rejected with a named key and nothing registered, or valid on the API server and under the pack", async () => {
        const seed = Number(process.env.STACKWRIGHT_PROPERTY_SEED ?? 20261207);
        let accepted = 0;
        let rejected = 0;
        await fc.assert(
            fc.asyncProperty(configArb, async (raw) => {
                const problems = await judge(raw);
                try {
                    parseConfig(raw);
                    accepted++;
                } catch {
                    rejected++;
                }
                if (problems.length > 0) throw new Error(problems.join("\n"));
            }),
            { seed, numRuns: 12, endOnFailure: true },
        );
        console.log(
            `      ${accepted} generated configs accepted and verified, ${rejected} rejected before registration (seed ${seed})`,
        );
    });
});
