/**
 * Component type tokens are permanent: a token that changes keeps its old value as an alias, so an existing stack
 * maps its resources (the component and, through it, every child) onto the new URNs instead of replacing them.
 */
import type * as pulumi from "@pulumi/pulumi";

/** `opts` with an alias for each former type token of the component. */
export function withFormerTypes(
    opts: pulumi.ComponentResourceOptions | undefined,
    formerTypes: readonly string[],
): pulumi.ComponentResourceOptions {
    if (formerTypes.length === 0) return opts ?? {};
    return { ...opts, aliases: [...(opts?.aliases ?? []), ...formerTypes.map((type) => ({ type }))] };
}
