/**
 * Render benchmark: times the whole program (index.ts) under the test mocks for generated stacks with 5, 50 and
 * 200 services and prints wall time, CPU time, peak memory and the cost per service. Each size runs in its own
 * child process (after a small warm-up render) so memory figures do not accumulate across sizes.
 *
 * Two modes per size:
 * - "ts-node": the TypeScript sources run through ts-node, whose source-map-support rewrites every stack trace.
 *   @pulumi/pulumi reads `new Error().stack` for every promise it creates (about 25 per resource, for its
 *   promise-leak diagnostics), so source-map translation alone roughly doubles the render time.
 * - "plain JS": the same render with V8's own stack formatting, as a precompiled program (`tsc`, then
 *   `main: bin/index.js`) runs. Every stack is still captured; only the source-map translation is skipped.
 *   This is the figure the 10 s budget applies to.
 *
 * Usage: npm run bench [-- <size> ...]
 */
import { fork } from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
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

export interface BenchResult {
    readonly services: number;
    readonly sourceMappedStacks: boolean;
    readonly resources: number;
    readonly wallMs: number;
    /** CPU time of the process (user + system) during the render: less sensitive to other load on the machine. */
    readonly cpuMs: number;
    readonly perServiceMs: number;
    readonly peakRssMiB: number;
    readonly peakHeapUsedMiB: number;
}

export interface MeasureOptions {
    /** Translate stack traces through source maps, as ts-node does. @default true */
    readonly sourceMappedStacks?: boolean;
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
    const prepare = (Error as any).prepareStackTrace;
    if (opts.sourceMappedStacks === false) (Error as any).prepareStackTrace = undefined;
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    let resources = 0;
    try {
        const rendered = await renderStack(BASE_STACK, { rawConfig });
        resources = rendered.resources.length;
    } finally {
        clearInterval(timer);
        (Error as any).prepareStackTrace = prepare;
    }
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    sample();
    const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    return {
        services: count,
        sourceMappedStacks: opts.sourceMappedStacks ?? true,
        resources,
        wallMs: Math.round(wallMs),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        perServiceMs: Math.round((wallMs / count) * 100) / 100,
        peakRssMiB: mib(peakRss),
        peakHeapUsedMiB: mib(peakHeap),
    };
}

/** Child process: warm up (module loading, first-render JIT), then measure the sizes in order and report them. */
async function child(counts: number[], sourceMappedStacks: boolean): Promise<void> {
    await measure(5, { sourceMappedStacks });
    const results: BenchResult[] = [];
    for (const count of counts) results.push(await measure(count, { sourceMappedStacks }));
    process.send!(results);
}

/** The Node.js arguments Pulumi runs the program with (`runtime.options.nodeargs` in Pulumi.yaml). */
export function projectNodeArgs(projectFile = path.join(__dirname, "..", "Pulumi.yaml")): string[] {
    const project = yaml.load(fs.readFileSync(projectFile, "utf8")) as {
        runtime?: { options?: { nodeargs?: string } };
    };
    const nodeargs = project.runtime?.options?.nodeargs ?? "";
    return nodeargs.split(/\s+/).filter((arg) => arg !== "");
}

/** Runs sizes in a fresh process with the project's Node.js arguments (under ts-node transpile-only, as the tests do). */
export function measureInChild(counts: number[], sourceMappedStacks = true): Promise<BenchResult[]> {
    return new Promise((resolve, reject) => {
        const args = ["--child", counts.join(","), ...(sourceMappedStacks ? [] : ["--plain-stacks"])];
        const proc = fork(__filename, args, {
            execArgv: [...projectNodeArgs(), "-r", "ts-node/register/transpile-only"],
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

async function main(): Promise<void> {
    const requested = process.argv
        .slice(2)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n > 0);
    const sizes = requested.length > 0 ? requested : DEFAULT_SIZES;
    const results: BenchResult[] = [];
    for (const sourceMapped of [true, false]) {
        for (const size of sizes) results.push(...(await measureInChild([size], sourceMapped)));
    }
    console.log(`Render under mocks (${BASE_STACK} base, generated services), one child process per size:`);
    console.table(
        results.map((r) => ({
            mode: r.sourceMappedStacks ? "ts-node" : "plain JS",
            services: r.services,
            resources: r.resources,
            "wall ms": r.wallMs,
            "cpu ms": r.cpuMs,
            "wall ms/service": r.perServiceMs,
            "peak RSS MiB": r.peakRssMiB,
            "peak heapUsed MiB": r.peakHeapUsedMiB,
        })),
    );
    for (const sourceMapped of [true, false]) {
        const mode = results.filter((r) => r.sourceMappedStacks === sourceMapped);
        for (let i = 1; i < mode.length; i++) {
            const [small, large] = [mode[i - 1], mode[i]];
            console.log(
                `${sourceMapped ? "ts-node" : "plain JS"}: wall ms/service at ${large.services} vs ${small.services} services = ${(large.perServiceMs / small.perServiceMs).toFixed(2)}x (linear growth: about 1 or below)`,
            );
        }
    }
}

if (require.main === module) {
    const at = process.argv.indexOf("--child");
    const run =
        at >= 0 ? child(process.argv[at + 1].split(",").map(Number), !process.argv.includes("--plain-stacks")) : main();
    run.catch((err) => {
        console.error(err);
        process.exit(1);
    });
}
