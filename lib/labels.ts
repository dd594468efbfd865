/**
 * Kubernetes recommended labels. Selectors use only the stable subset (name + instance) so that a version bump
 * never changes a selector and orphans pods.
 */
export const PART_OF = "stackwright";
export const MANAGED_BY = "pulumi";

export interface LabelArgs {
    /** app.kubernetes.io/name: the application (e.g. "backend", "valkey"). */
    readonly name: string;
    /** app.kubernetes.io/instance: unique instance; defaults to the name. */
    readonly instance?: string;
    readonly component: string;
    readonly version?: string;
}

export function selectorLabels(args: Pick<LabelArgs, "name" | "instance">): Record<string, string> {
    return {
        "app.kubernetes.io/name": args.name,
        "app.kubernetes.io/instance": args.instance ?? args.name,
    };
}

export function recommendedLabels(args: LabelArgs): Record<string, string> {
    return {
        ...selectorLabels(args),
        "app.kubernetes.io/component": args.component,
        ...(args.version ? { "app.kubernetes.io/version": labelValue(args.version) } : {}),
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    };
}

/** Label values are limited to 63 characters of [A-Za-z0-9._-]. */
export function labelValue(value: string): string {
    return value
        .replace(/[^A-Za-z0-9._-]/g, "_")
        .slice(0, 63)
        .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** The version label for an image reference: its tag, or the digest prefix. */
export function imageVersion(image: string): string {
    const last = image.split("/").pop() ?? image;
    const [nameTag, digest] = last.split("@");
    const tag = nameTag.split(":")[1];
    return labelValue(tag ?? (digest ? digest.replace("sha256:", "").slice(0, 12) : "unknown"));
}
