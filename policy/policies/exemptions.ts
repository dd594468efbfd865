/**
 * Exemptions: the only two ways a resource that cannot comply (node-exporter, the Istio CNI) escapes a policy.
 *  (a) policy config: `{ "<policy>": { "exemptions": [{ kind, namespace, name, reason }] } }`. The engine gives each
 *      policy only its own config, so exemptions sit under the policy they exempt (`policy` may be repeated in an
 *      entry for readability; it must then match).
 *  (b) an annotation on the object: `policy.stackwright.io/exempt-<policy>: "<reason>"`.
 * Either way a reason is required: the config schema rejects a blank one (so `pulumi preview` refuses the config),
 * a blank one that still arrives is ignored, and a blank annotation is a violation of `exemptions-need-reasons`.
 */
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { KubeObject } from "./kinds";
import { isPolicyName } from "./names";
import { arr, get, globMatch, isUnknown, str } from "./values";

export const EXEMPT_ANNOTATION_PREFIX = "policy.stackwright.io/exempt-";

export function exemptAnnotation(policy: string): string {
    return `${EXEMPT_ANNOTATION_PREFIX}${policy}`;
}

export interface ExemptionConfig {
    /** The policy this exemption is for; optional because it sits under that policy's config anyway. */
    readonly policy?: string;
    /** Object kind, e.g. "DaemonSet" ("*" for any). */
    readonly kind: string;
    /** Namespace; any namespace when omitted. */
    readonly namespace?: string;
    /** metadata.name or Pulumi resource name; `*` matches any characters (helm v4 chart children, auto-names). */
    readonly name: string;
    /** Why the object cannot comply. Required and not blank. */
    readonly reason: string;
}

export const EXEMPTIONS_SCHEMA: PolicyConfigJSONSchema = {
    type: "array",
    description: "Objects exempted from this policy, each with the reason it cannot comply.",
    default: [],
    items: {
        type: "object",
        additionalProperties: false,
        required: ["kind", "name", "reason"],
        properties: {
            policy: { type: "string", description: "The policy name (optional; must match when given)." },
            kind: { type: "string", minLength: 1, description: "Object kind, e.g. DaemonSet; * for any." },
            namespace: { type: "string", minLength: 1, description: "Namespace; any when omitted." },
            name: { type: "string", minLength: 1, description: "metadata.name or Pulumi name; * is a wildcard." },
            reason: { type: "string", minLength: 1, pattern: "\\S", description: "Why the object cannot comply." },
        },
    },
};

export type ExemptionResult =
    | { readonly status: "exempt"; readonly reason: string }
    /** The exemption status depends on values known only after `pulumi up`: do not report. */
    | { readonly status: "unknown" }
    /** Not exempt; `ignored` lists exemptions that matched but lacked a reason. */
    | { readonly status: "none"; readonly ignored: readonly string[] };

function entryMatches(policy: string, o: KubeObject, entry: unknown): boolean {
    const p = get(entry, "policy");
    if (p !== undefined && p !== policy) return false;
    const kind = str(get(entry, "kind"));
    if (kind === undefined || (kind !== "*" && kind !== o.kind)) return false;
    const namespace = str(get(entry, "namespace"));
    if (namespace !== undefined && typeof o.namespace === "string" && namespace !== o.namespace) return false;
    const name = str(get(entry, "name"));
    if (name === undefined) return false;
    return (typeof o.name === "string" && globMatch(name, o.name)) || globMatch(name, o.pulumiName);
}

/** Whether `o` is exempted from `policy` by the policy's config (`exemptions`) or by its annotation. */
export function findExemption(policy: string, o: KubeObject, configured: unknown): ExemptionResult {
    const ignored: string[] = [];
    for (const entry of arr(configured)) {
        if (!entryMatches(policy, o, entry)) continue;
        const reason = get(entry, "reason");
        if (typeof reason === "string" && reason.trim() !== "") return { status: "exempt", reason };
        ignored.push(
            `the config exemption for ${String(get(entry, "kind"))} "${String(get(entry, "name"))}" has no reason`,
        );
    }
    if (isUnknown(o.annotations)) return { status: "unknown" };
    const annotation = o.annotations[exemptAnnotation(policy)];
    if (isUnknown(annotation)) return { status: "unknown" };
    if (annotation !== undefined) {
        if (annotation.trim() !== "") return { status: "exempt", reason: annotation };
        ignored.push(`annotation ${exemptAnnotation(policy)} has no reason`);
    }
    return { status: "none", ignored };
}

/** Problems with the exemption annotations on one object (the `exemptions-need-reasons` check). */
export function checkExemptionAnnotations(o: KubeObject): string[] {
    if (isUnknown(o.annotations)) return [];
    const problems: string[] = [];
    for (const [key, value] of Object.entries(o.annotations)) {
        if (!key.startsWith(EXEMPT_ANNOTATION_PREFIX)) continue;
        const policy = key.slice(EXEMPT_ANNOTATION_PREFIX.length);
        if (!isPolicyName(policy)) {
            problems.push(`annotation ${key} names no policy of this pack`);
        } else if (policy === "exemptions-need-reasons") {
            problems.push(`annotation ${key}: exemptions-need-reasons cannot be exempted`);
        }
        if (!isUnknown(value) && value.trim() === "") {
            problems.push(`annotation ${key} has no reason: say why this object cannot comply`);
        }
    }
    return problems;
}
