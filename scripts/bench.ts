/**
 * Benchmarks of the program under the mocks (`npm run bench`), each printed for two settings in one run so the
 * ratios hold on a noisy machine:
 * - "before": ts-node's TypeScript transpiler and full stack traces (Node's default depth, source-mapped by ts-node),
 *   as the program ran before it set the two levers below;
 * - "after": the project's settings: `--stack-trace-limit=0` in Pulumi.yaml's nodeargs (@pulumi/pulumi reads
 *   `new Error().stack` for every promise it makes, about 25 per resource, for its promise-leak diagnostics) and
 *   `swc` as ts-node's transpiler (tsconfig.pulumi.json).
 *
 * 1. Program evaluation as `pulumi preview`/`up` start it: a fresh process per run (scripts/bench/run-program.js)
 *    evaluating the prod stack, an empty Pulumi program (scripts/bench/empty-program.ts) and, as the SDK's floor, a
 *    flat program of trivial ConfigMaps (scripts/bench/flat-program.ts); wall time from spawn to exit, the program
 *    and the empty one run in turn and their ratio taken pair by pair.
 * 2. Render cost by size: generated stacks with 5, 50 and 200 services, one child process per size (after a small
 *    warm-up render, so module loading does not count), with wall time, CPU time, peak memory, cost per service.
 *
 * Usage: npm run bench [-- <size> ...]
 */
import { fork, spawnSync } from "child_process";
import * as path from "path";
import { projectNodeArgs, pulumiConfigEnv, readStackConfig, renderStack } from "../test/lib/harness";

export const DEFAULT_SIZES = [5, 50, 200];
const BASE_STACK = "staging";

/**
 * A staging stack config with `count` services: each calls its next two neighbours, exposes http + metrics,
 * every 3rd uses Redis, every 4th owns a database with a migration Job, every 10th has a public route.
 */
export function generatedConfig(count: number): Record<string, unknown> {
    const names = Array.from({ length: count }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
    const services: Record<string, unknown> = {};
    names.forEach((name, i) => {
        const calls = [names[(i + 1) % count], names[(i + 2) % count]].filter((c) => c !== name);
        services[name] = {
            image: "ghcr.io/stefanprodan/podinfo:6.9.2",
            component: i % 2 === 0 ? "api" : "worker",
            ports: [
                { name: "http", containerPort: 9898 },
                { name: "metrics", containerPort: 9797 },
            ],
            env: { SERVICE_INDEX: String(i), LOG_LEVEL: "info" },
            ...(i % 2 === 0 ? { secretEnv: { JWT_SECRET: "jwtSecret" } } : {}),
            probes: { liveness: { path: "/healthz" }, readiness: { path: "/readyz" } },
            writablePaths: ["/data"],
            metrics: { port: "metrics" },
            calls: Array.from(new Set(calls)),
            ...(i % 3 === 0 ? { redis: true } : {}),
            ...(i % 4 === 0 ? { database: `db${i}`, migration: { command: ["./podinfo", "--version"] } } : {}),
            ...(i % 10 === 0 ? { routes: [{ host: `s${i}` }] } : {}),
            autoscaling: { minReplicas: 2, maxReplicas: 6 },
        };
    });
    // The application namespace's quota must admit every service at its autoscaler's maximum (config rule).
    const quota = {
        requestsCpu: String(count * 2),
        requestsMemory: `${count * 3}Gi`,
        limitsCpu: String(count * 10),
        limitsMemory: `${count * 10}Gi`,
        pods: count * 10,
    };
    return { ...readStackConfig(BASE_STACK), services, quota };
}

export type Settings = "before" | "after";
const SETTINGS: readonly Settings[] = ["before", "after"];

/** Node's default stack depth: what the program ran with before its nodeargs set one. */
const NODE_DEFAULT_STACK_TRACE_LIMIT = 10;

/** The project's nodeargs ("after"), or the same without the stack-trace limit ("before"). */
export function nodeArgsFor(settings: Settings): string[] {
    const args = projectNodeArgs();
    return settings === "after" ? args : args.filter((arg) => !arg.startsWith("--stack-trace-limit="));
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Program evaluation in a fresh process, against an empty program
// ---------------------------------------------------------------------------------------------------------------

const RUNNER = path.join(__dirname, "bench", "run-program.js");
export const EMPTY_PROGRAM = path.join("scripts", "bench", "empty-program.ts");
export const FLAT_PROGRAM = path.join("scripts", "bench", "flat-program.ts");

export interface Evaluation {
    readonly resources: number;
    readonly wallMs: number;
}

/** Runs `program` once as the language host would (see run-program.js) with `stack`'s config; wall ms spawn to exit. */
export function evaluateProgram(
    program: string,
    stack: string,
    settings: Settings,
    env: Record<string, string> = {},
): Evaluation {
    const args = [...nodeArgsFor(settings), RUNNER, program, stack, ...(settings === "before" ? ["typescript"] : [])];
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, args, {
        env: { ...process.env, ...pulumiConfigEnv(readStackConfig(stack)), ...env },
        encoding: "utf8",
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== 0)
        throw new Error(`${program} (${stack}, ${settings}) exited with ${run.status}: ${run.stderr}`);
    const { resources } = JSON.parse(run.stdout.trim().split("\n").pop()!) as { resources: number };
    return { resources, wallMs: Math.round(wallMs) };
}

const median = (values: readonly number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export interface EvaluationSummary {
    readonly settings: Settings;
    readonly resources: number;
    readonly programMs: number;
    readonly emptyMs: number;
    /** Median of the per-pair ratios (program / empty program, run back to back). */
    readonly ratio: number;
}

/** `rounds` pairs of (empty program, stack's program) per setting, interleaved across settings. */
export function evaluationRatios(stack: string, rounds: number): EvaluationSummary[] {
    const runs = new Map<Settings, { program: Evaluation; empty: Evaluation }[]>(SETTINGS.map((s) => [s, []]));
    for (let round = 0; round < rounds; round++) {
        for (const settings of SETTINGS) {
            const empty = evaluateProgram(EMPTY_PROGRAM, stack, settings);
            const program = evaluateProgram("index.ts", stack, settings);
            runs.get(settings)!.push({ program, empty });
        }
    }
    return SETTINGS.map((settings) => {
        const pairs = runs.get(settings)!;
        return {
            settings,
            resources: pairs[0].program.resources,
            programMs: median(pairs.map((p) => p.program.wallMs)),
            emptyMs: median(pairs.map((p) => p.empty.wallMs)),
            ratio: Math.round(median(pairs.map((p) => p.program.wallMs / p.empty.wallMs)) * 100) / 100,
        };
    });
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Render cost by size, in one warmed-up process per size
// ---------------------------------------------------------------------------------------------------------------

export interface BenchResult {
    readonly services: number;
    readonly settings: Settings;
    readonly resources: number;
    readonly wallMs: number;
    /** CPU time of the process (user + system) during the render: less sensitive to other load on the machine. */
    readonly cpuMs: number;
    readonly perServiceMs: number;
    readonly peakRssMiB: number;
    readonly peakHeapUsedMiB: number;
}

/** Renders a generated stack once under the mocks, sampling memory every 5 ms. */
export async function measure(count: number, settings: Settings = "after"): Promise<BenchResult> {
    const rawConfig = generatedConfig(count);
    let peakRss = 0;
    let peakHeap = 0;
    const sample = () => {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed);
    };
    sample();
    const timer = setInterval(sample, 5);
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    let resources = 0;
    try {
        const stackTraceLimit = settings === "before" ? NODE_DEFAULT_STACK_TRACE_LIMIT : undefined;
        const rendered = await renderStack(BASE_STACK, { rawConfig, stackTraceLimit });
        resources = rendered.resources.length;
    } finally {
        clearInterval(timer);
    }
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    sample();
    const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    return {
        services: count,
        settings,
        resources,
        wallMs: Math.round(wallMs),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        perServiceMs: Math.round((wallMs / count) * 100) / 100,
        peakRssMiB: mib(peakRss),
        peakHeapUsedMiB: mib(peakHeap),
    };
}

/** Child process: warm up (module loading, first-render JIT), then measure the sizes in order and report them. */
async function child(counts: number[], settings: Settings): Promise<void> {
    await measure(5, settings);
    const results: BenchResult[] = [];
    for (const count of counts) results.push(await measure(count, settings));
    process.send!(results);
}

/**
 * ts-node as each setting transpiles: TypeScript's transpiler before, swc after (test/lib/register.js registers ts-node
 * with swc, as tsconfig.pulumi.json has `pulumi up` do). Each render requires the program's modules afresh, so the
 * transpiler is part of every measurement, as it is of every `pulumi up`.
 */
const TS_NODE_REGISTER: Record<Settings, string> = {
    before: "ts-node/register/transpile-only",
    after: path.join(__dirname, "..", "test", "lib", "register.js"),
};

/** Runs sizes in a fresh process with the setting's Node.js arguments and transpiler (source-mapped stacks). */
export function measureInChild(counts: number[], settings: Settings = "after"): Promise<BenchResult[]> {
    return new Promise((resolve, reject) => {
        const proc = fork(__filename, ["--child", counts.join(","), settings], {
            execArgv: [...nodeArgsFor(settings), "-r", TS_NODE_REGISTER[settings]],
            stdio: ["inherit", "inherit", "inherit", "ipc"],
        });
        let results: BenchResult[] | undefined;
        proc.on("message", (m) => {
            results = m as BenchResult[];
        });
        proc.on("error", reject);
        proc.on("exit", (code) =>
            results && code === 0
                ? resolve(results)
                : reject(new Error(`benchmark for ${counts.join(", ")} services exited with ${code}`)),
        );
    });
}

const EVALUATION_ROUNDS = 5;

async function main(): Promise<void> {
    const requested = process.argv
        .slice(2)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0);
    const sizes = requested.length > 0 ? requested : DEFAULT_SIZES;

    const evaluations = evaluationRatios("prod", EVALUATION_ROUNDS);
    console.log(
        `Program evaluation as \`pulumi up\` starts it, prod stack vs an empty program, fresh process each, medians of ${EVALUATION_ROUNDS} pairs:`,
    );
    console.table(
        evaluations.map((e) => ({
            settings: e.settings,
            resources: e.resources,
            "prod wall ms": e.programMs,
            "empty program wall ms": e.emptyMs,
            "prod / empty": e.ratio,
        })),
    );

    const results: BenchResult[] = [];
    for (const settings of SETTINGS) {
        for (const size of sizes) results.push(...(await measureInChild([size], settings)));
    }
    console.log(`Render under mocks (${BASE_STACK} base, generated services), one warmed-up child process per size:`);
    console.table(
        results.map((r) => ({
            settings: r.settings,
            services: r.services,
            resources: r.resources,
            "wall ms": r.wallMs,
            "cpu ms": r.cpuMs,
            "wall ms/service": r.perServiceMs,
            "peak RSS MiB": r.peakRssMiB,
            "peak heapUsed MiB": r.peakHeapUsedMiB,
        })),
    );
    for (const settings of SETTINGS) {
        const mode = results.filter((r) => r.settings === settings);
        for (let i = 1; i < mode.length; i++) {
            const [small, large] = [mode[i - 1], mode[i]];
            console.log(
                `${settings}: wall ms/service at ${large.services} vs ${small.services} services = ${(large.perServiceMs / small.perServiceMs).toFixed(2)}x (linear growth: about 1 or below)`,
            );
        }
    }
    const largest = results.filter((r) => r.settings === "after" && r.services === Math.max(...sizes))[0];
    const floor = evaluateProgram(FLAT_PROGRAM, BASE_STACK, "after", {
        BENCH_FLAT_RESOURCES: String(largest.resources),
    });
    const empty = evaluateProgram(EMPTY_PROGRAM, BASE_STACK, "after");
    console.log(
        `SDK floor: ${floor.resources} trivial ConfigMaps (no components, no Outputs) evaluate in ${floor.wallMs} ms, ` +
            `${floor.wallMs - empty.wallMs} ms beyond an empty program (${empty.wallMs} ms); ` +
            `the ${largest.services}-service render of ${largest.resources} resources: ${largest.wallMs} ms.`,
    );
}

if (require.main === module) {
    const at = process.argv.indexOf("--child");
    const run = at >= 0 ? child(process.argv[at + 1].split(",").map(Number), process.argv[at + 2] as Settings) : main();
    run.catch((err) => {
        console.error(err);
        process.exit(1);
    });
}
