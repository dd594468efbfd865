/**
 * Access to the lead's whole-stack harness (test/lib/harness.ts at the repo root), loaded lazily so the policy
 * tests still run (and skip these suites with a clear message) when it is absent. Renders are cached per stack.
 */
import * as fs from "fs";
import * as path from "path";
import { RecordedLike } from "./pack-runner";

export const HARNESS_PATH = path.resolve(__dirname, "../../test/lib/harness.ts");
export const STACKS = ["dev", "staging", "prod"] as const;
export const HARNESS_MISSING = `test/lib/harness.ts not found at ${HARNESS_PATH}: whole-stack policy tests need the lead's renderStack() harness`;

export interface RenderedLike {
    readonly resources: RecordedLike[];
}

interface Harness {
    renderStack(stack: string, opts?: { preview?: boolean }): Promise<RenderedLike>;
}

export function harnessAvailable(): boolean {
    return fs.existsSync(HARNESS_PATH);
}

function harness(): Harness {
    // A runtime path (the file may not exist), so no static import.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(HARNESS_PATH) as Harness;
}

const cache = new Map<string, Promise<RenderedLike>>();

export function rendered(stack: string, opts: { preview?: boolean } = {}): Promise<RenderedLike> {
    const key = `${stack}:${opts.preview === true}`;
    if (!cache.has(key)) cache.set(key, harness().renderStack(stack, opts));
    return cache.get(key)!;
}
