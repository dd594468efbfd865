/**
 * Render benchmark: times the whole program (index.ts) under the test mocks for generated stacks with 5, 50 and
 * 200 services and prints wall time, CPU time, peak memory and the cost per service. Each size runs in its own
 * child process (after a small warm-up render) so memory figures do not accumulate across sizes.
 *
 * Two modes per size:
 * - "as run": exactly as `pulumi up` runs a TypeScript program (ts-node with source-mapped stack traces).
 *   @pulumi/pulumi captures `new Error().stack` for every promise it creates (about 25 per resource, kept for
 *   its promise-leak diagnostics), and ts-node's source-map-support formats each of those stacks; together with
 *   the garbage they leave this is over half of the render time.
 * - "no debug stacks": the same render with `Error.stackTraceLimit = 0`, which empties only those diagnostic
 *   stacks (Resource source positions are still captured: the SDK raises the limit itself for them). This is
 *   the program's own cost.
 *
 * Usage: npm run bench [-- <size> ...]
 */
import { fork } from "child_process";
import { readStackConfig, renderStack } from "../test/lib/harness";

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
            ports: [{ name: "http", containerPort: 9898 }, { name: "metrics", containerPort: 9797 }],
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
    return { ...readStackConfig(BASE_STACK), services };
}

export interface BenchResult {
    readonly services: number;
    readonly debugStacks: boolean;
    readonly resources: number;
    readonly wallMs: number;
    /** CPU time of the process (user + system) during the render: less sensitive to other load on the machine. */
    readonly cpuMs: number;
    readonly perServiceMs: number;
    readonly peakRssMiB: number;
    readonly peakHeapUsedMiB: number;
}

export interface MeasureOptions {
    /** Keep the SDK's per-promise diagnostic stack traces (as `pulumi up` does). @default true */
    readonly debugStacks?: boolean;
}

/** Renders a generated stack once under the mocks, sampling memory every 5 ms. */
export async function measure(count: number, opts: MeasureOptions = {}): Promise<BenchResult> {
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
    const stackTraceLimit = Error.stackTraceLimit;
    if (opts.debugStacks === false) Error.stackTraceLimit = 0;
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    let resources = 0;
    try {
        const rendered = await renderStack(BASE_STACK, { rawConfig });
        resources = rendered.resources.length;
    } finally {
        clearInterval(timer);
        Error.stackTraceLimit = stackTraceLimit;
    }
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    sample();
    const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    return { services: count, debugStacks: opts.debugStacks ?? true, resources, wallMs: Math.round(wallMs), cpuMs: Math.round((cpu.user + cpu.system) / 1000), perServiceMs: Math.round((wallMs / count) * 100) / 100, peakRssMiB: mib(peakRss), peakHeapUsedMiB: mib(peakHeap) };
}

/** Child process: warm up (module loading, first-render JIT), then measure the sizes in order and report them. */
async function child(counts: number[], debugStacks: boolean): Promise<void> {
    await measure(5, { debugStacks });
    const results: BenchResult[] = [];
    for (const count of counts) results.push(await measure(count, { debugStacks }));
    process.send!(results);
}

/** Runs sizes in a fresh process (run under ts-node transpile-only, as the tests do). */
export function measureInChild(counts: number[], debugStacks = true): Promise<BenchResult[]> {
    return new Promise((resolve, reject) => {
        const args = ["--child", counts.join(","), ...(debugStacks ? [] : ["--no-debug-stacks"])];
        const proc = fork(__filename, args, { execArgv: ["-r", "ts-node/register/transpile-only"], stdio: ["inherit", "inherit", "inherit", "ipc"] });
        let results: BenchResult[] | undefined;
        proc.on("message", (m) => { results = m as BenchResult[]; });
        proc.on("error", reject);
        proc.on("exit", (code) => (results && code === 0 ? resolve(results) : reject(new Error(`benchmark for ${counts.join(", ")} services exited with ${code}`))));
    });
}

async function main(): Promise<void> {
    const requested = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    const sizes = requested.length > 0 ? requested : DEFAULT_SIZES;
    const results: BenchResult[] = [];
    for (const debugStacks of [true, false]) {
        for (const size of sizes) results.push(...await measureInChild([size], debugStacks));
    }
    console.log(`Render under mocks (${BASE_STACK} base, generated services), one child process per size:`);
    console.table(results.map((r) => ({
        mode: r.debugStacks ? "as run" : "no debug stacks", services: r.services, resources: r.resources,
        "wall ms": r.wallMs, "cpu ms": r.cpuMs, "wall ms/service": r.perServiceMs, "peak RSS MiB": r.peakRssMiB, "peak heapUsed MiB": r.peakHeapUsedMiB,
    })));
    for (const debugStacks of [true, false]) {
        const mode = results.filter((r) => r.debugStacks === debugStacks);
        for (let i = 1; i < mode.length; i++) {
            const [small, large] = [mode[i - 1], mode[i]];
            console.log(`${debugStacks ? "as run" : "no debug stacks"}: wall ms/service at ${large.services} vs ${small.services} services = ${(large.perServiceMs / small.perServiceMs).toFixed(2)}x (linear growth: about 1 or below)`);
        }
    }
}

if (require.main === module) {
    const at = process.argv.indexOf("--child");
    const run = at >= 0 ? child(process.argv[at + 1].split(",").map(Number), !process.argv.includes("--no-debug-stacks")) : main();
    run.catch((err) => { console.error(err); process.exit(1); });
}
