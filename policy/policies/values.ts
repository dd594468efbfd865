/**
 * Safe access to resource properties as the policy engine hands them over.
 *
 * During `pulumi preview` some values are not known yet. The engine wraps props in a proxy that THROWS when a
 * policy touches such a value, which would turn the whole policy into an advisory "can't run during preview"
 * note for that resource (even for the parts that are known). Instead we unwrap the proxy once, replace every
 * unknown with the UNKNOWN symbol, and let each check skip exactly what it cannot judge.
 */

/** Marks a value that will only be known after `pulumi up`. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/**
 * The engine's unknown sentinels (Pulumi gRPC protocol constants, mirrored from @pulumi/policy/proxy, where they
 * are internal). A test checks they still match the installed package.
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (also the generic "computed" value)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

export type Obj = Record<string, unknown>;

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

export function isObject(value: unknown): value is Obj {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object, or an empty one for anything else (undefined, unknown, scalars). */
export function obj(value: unknown): Obj {
    return isObject(value) ? value : {};
}

/** The array, or an empty one for anything else (undefined, unknown, scalars). */
export function arr(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

/** A known, non-empty string, else undefined. */
export function str(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

/** Reads a nested value: UNKNOWN as soon as any step is unknown, undefined when a step is missing. */
export function get(value: unknown, ...path: readonly (string | number)[]): unknown {
    let current: unknown = value;
    for (const key of path) {
        if (isUnknown(current)) return UNKNOWN;
        if (typeof key === "number") {
            if (!Array.isArray(current)) return undefined;
            current = current[key];
        } else {
            if (!isObject(current)) return undefined;
            current = current[key];
        }
    }
    return current;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(value: unknown): boolean {
    if (isUnknown(value)) return true;
    if (Array.isArray(value)) return value.some(containsUnknown);
    if (isObject(value)) return Object.values(value).some(containsUnknown);
    return false;
}

const PROXY_TARGET = "__getSpecialProxyTarget";
const IS_PROXY = "__isSpecialProxy";

function unwrapProxy(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    try {
        const candidate = value as Record<string, unknown>;
        if (candidate[IS_PROXY] === true) return candidate[PROXY_TARGET];
    } catch {
        // A proxy that throws even on the marker: treat the whole value as unknown.
        return UNKNOWN;
    }
    return value;
}

/**
 * A plain deep copy of engine props: the unknown-checking proxy removed, unknown sentinels replaced by UNKNOWN.
 * Plain objects (as tests pass them) go through the same path.
 */
export function normalize(value: unknown): unknown {
    const raw = unwrapProxy(value);
    if (typeof raw === "string") return UNKNOWN_SENTINELS.has(raw) ? UNKNOWN : raw;
    if (Array.isArray(raw)) return raw.map(normalize);
    if (isObject(raw)) {
        const out: Obj = {};
        for (const [k, v] of Object.entries(raw)) out[k] = normalize(v);
        return out;
    }
    return raw;
}

/** Known string map (labels, annotations, matchLabels); unknown maps stay UNKNOWN. */
export function stringMap(value: unknown): Record<string, string | Unknown> | Unknown {
    if (isUnknown(value)) return UNKNOWN;
    const out: Record<string, string | Unknown> = {};
    for (const [k, v] of Object.entries(obj(value))) {
        if (isUnknown(v)) out[k] = UNKNOWN;
        else if (v !== undefined && v !== null) out[k] = String(v);
    }
    return out;
}

/** Shell-style match where `*` stands for any characters (and nothing else is special). */
export function globMatch(pattern: string, value: string): boolean {
    const source = pattern
        .split("*")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*");
    return new RegExp(`^${source}$`).test(value);
}
