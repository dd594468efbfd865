/** The stack file as written, before the schema fills defaults: what rules and messages must read from it. */

/** The value at `path` in a raw config object, or undefined where the path leaves the objects. */
export function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
    return path.reduce<unknown>(
        (node, key) =>
            node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[key] : undefined,
        root,
    );
}
