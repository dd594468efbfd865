/**
 * Real command-line tools for tests (promtool, amtool, ...): a missing tool skips its test locally and fails in CI.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Absolute path of a command on PATH, or undefined. */
export function findTool(name: string): string | undefined {
    const r = spawnSync("sh", ["-c", 'command -v "$1"', "sh", name], { encoding: "utf8" });
    return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Something a real-tool test needs is missing: in CI (CI=true) that fails the test, locally it skips it. */
export function missingTool(ctx: Mocha.Context, ciError: string, localNote: string): never {
    if (process.env.CI === "true") throw new Error(ciError);
    console.log(`      skipped: ${localNote}`);
    ctx.skip();
}

/** Skips (locally) or fails (CI=true) when anything in `missing` is absent; `install` says how to get it. */
export function requireTools(ctx: Mocha.Context, missing: readonly string[], install: string): void {
    if (missing.length === 0) return;
    missingTool(
        ctx,
        `required in CI, missing: ${missing.join(", ")} (${install})`,
        `${missing.join(", ")} not installed (${install})`,
    );
}

/** The tool's path; when it is missing, skips the test (or throws when CI=true), naming the Debian package. */
export function needTool(ctx: Mocha.Context, name: string, debianPackage: string): string {
    return (
        findTool(name) ??
        missingTool(
            ctx,
            `${name} is required in CI: apt-get install -y ${debianPackage}`,
            `${name} not installed (apt-get install -y ${debianPackage})`,
        )
    );
}

/**
 * Bound on one run of a real tool: a guard against a hang, not a speed budget, so generous enough that a busy
 * host never reaches it (promtool was once killed at 30 s on a loaded machine).
 */
export const TOOL_TIMEOUT_MS = 600_000;

/** Why a spawned tool failed to finish, saying so plainly when the bound killed it. */
export function spawnProblem(tool: string, r: { error?: Error; signal?: NodeJS.Signals | null }): string | undefined {
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT")
        return `${tool}: timed out after ${TOOL_TIMEOUT_MS / 1000} s (a hang, not slowness)`;
    if (r.error) return `${tool}: ${r.error.message}`;
    return r.signal ? `${tool}: killed by ${r.signal}` : undefined;
}

/** Runs a tool; `output` is stdout followed by stderr (and a plain note when it timed out). */
export function run(tool: string, args: string[], cwd?: string): { status: number; output: string; stdout: string } {
    const r = spawnSync(tool, args, { cwd, encoding: "utf8", timeout: TOOL_TIMEOUT_MS });
    const problem = spawnProblem(tool, r);
    return {
        status: r.status ?? -1,
        output: `${r.stdout ?? ""}${r.stderr ?? ""}${problem ? `\n${problem}` : ""}`,
        stdout: r.stdout ?? "",
    };
}

/** Whether a command is on PATH. */
export function hasBinary(name: string): boolean {
    return findTool(name) !== undefined;
}

/** The bin directory of the newest PostgreSQL server installed (Debian keeps it off PATH), or undefined. */
export function findPgBin(): string | undefined {
    const base = "/usr/lib/postgresql";
    if (fs.existsSync(base)) {
        const versions = fs
            .readdirSync(base)
            .filter((v) => fs.existsSync(path.join(base, v, "bin", "initdb")))
            .sort((a, b) => Number(b) - Number(a));
        if (versions.length > 0) return path.join(base, versions[0], "bin");
    }
    const cfg = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
    const dir = cfg.status === 0 ? cfg.stdout.trim() : "";
    return dir && fs.existsSync(path.join(dir, "initdb")) ? dir : undefined;
}

export function sha256File(file: string): string {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown by a waitFor check when waiting longer cannot help (e.g. the server exited). */
export class GaveUp extends Error {}

/**
 * The one poll of the test suite: calls `check` (sync or async) until it returns something other than undefined
 * or false, and returns that. A check that throws counts as "not yet" (its last error is reported on timeout)
 * unless it throws GaveUp. `timeoutMs` guards against a hang; it is not a speed budget, and the failure says it
 * timed out.
 */
export async function waitFor<T>(
    what: string,
    timeoutMs: number,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    intervalMs = 100,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            const value = await check();
            if (value !== undefined && value !== false) return value;
        } catch (e) {
            if (e instanceof GaveUp) throw e;
            last = e;
        }
        await sleep(intervalMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/**
 * initdb refuses to run as root: as root, the ids of the postgres user (else nobody), with `dir` handed to them;
 * otherwise nothing (the server runs as the caller). Spread into spawnSync options.
 */
export function serverUserIds(dir: string): { uid?: number; gid?: number } {
    if (process.getuid?.() !== 0) return {};
    const id = (flag: string, user: string) => spawnSync("id", [flag, user], { encoding: "utf8" });
    const user = id("-u", "postgres").status === 0 ? "postgres" : "nobody";
    const ids = { uid: Number(id("-u", user).stdout.trim()), gid: Number(id("-g", user).stdout.trim()) };
    fs.chownSync(dir, ids.uid, ids.gid);
    return ids;
}
