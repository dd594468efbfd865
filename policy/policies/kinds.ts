/** Pulumi type tokens and the Kubernetes object behind a resource. */
import { get, isUnknown, normalize, obj, Obj, stringMap, str, UNKNOWN, Unknown } from "./values";

export interface KubeType {
    /** API group; "" for the core group. */
    readonly group: string;
    readonly version: string;
    readonly kind: string;
}

/** Tokens under `kubernetes:` that are Pulumi constructs, not Kubernetes objects. */
const NON_OBJECT_GROUPS = new Set(["helm.sh", "yaml", "kustomize"]);

/** `kubernetes:apps/v1:Deployment` -> { group: "apps", version: "v1", kind: "Deployment" }. */
export function parseKubeType(type: string): KubeType | undefined {
    const match = /^kubernetes:([^:/]+)\/([^:/]+):([A-Za-z0-9]+)$/.exec(type);
    if (!match) return undefined;
    const [, rawGroup, version, kind] = match;
    if (NON_OBJECT_GROUPS.has(rawGroup)) return undefined;
    // Patch and List resources describe partial or multiple objects; whole-object policies do not apply to them.
    if (kind.endsWith("Patch") || kind.endsWith("List")) return undefined;
    return { group: rawGroup === "core" ? "" : rawGroup, version, kind };
}

/** API groups served by Kubernetes itself; anything else is installed by a CustomResourceDefinition. */
export const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
]);

export function isCustomResourceType(type: string): boolean {
    const parsed = parseKubeType(type);
    return parsed !== undefined && !BUILTIN_GROUPS.has(parsed.group);
}

/** A Kubernetes object as a policy sees it: normalised props plus identity. */
export interface KubeObject {
    /** Pulumi type token. */
    readonly type: string;
    readonly group: string;
    readonly kind: string;
    /** Pulumi resource name. */
    readonly pulumiName: string;
    readonly urn: string;
    /** metadata.name; UNKNOWN during preview when it comes from another resource; undefined when auto-named. */
    readonly name: string | Unknown | undefined;
    /** metadata.namespace, "default" when unset. */
    readonly namespace: string | Unknown;
    readonly labels: Record<string, string | Unknown> | Unknown;
    readonly annotations: Record<string, string | Unknown> | Unknown;
    /** Normalised props (unknowns are UNKNOWN). */
    readonly props: Obj;
}

/** Builds the object view of a resource; undefined for anything that is not a Kubernetes object. */
export function kubeObject(type: string, rawProps: unknown, pulumiName: string, urn: string): KubeObject | undefined {
    const parsed = parseKubeType(type);
    if (!parsed) return undefined;
    const props = obj(normalize(rawProps));
    const metadata = get(props, "metadata");
    const name = get(metadata, "name");
    const namespace = get(metadata, "namespace");
    return {
        type,
        group: parsed.group,
        kind: parsed.kind,
        pulumiName,
        urn,
        name: isUnknown(name) ? UNKNOWN : str(name),
        namespace: isUnknown(namespace) ? UNKNOWN : (str(namespace) ?? "default"),
        labels: stringMap(get(metadata, "labels")),
        annotations: stringMap(get(metadata, "annotations")),
        props,
    };
}

/** "Deployment apps/backend" (namespace/name; the Pulumi name when the object is auto-named). */
export function describe(o: KubeObject): string {
    const name = typeof o.name === "string" ? o.name : o.pulumiName;
    const ns = typeof o.namespace === "string" ? o.namespace : "<unknown>";
    return CLUSTER_SCOPED_KINDS.has(o.kind) ? `${o.kind} ${name}` : `${o.kind} ${ns}/${name}`;
}

export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "RuntimeClass",
    "GatewayClass",
    "ClusterIssuer",
    "IngressClass",
    "CSIDriver",
    "VolumeAttachment",
]);

/**
 * Whether a name reference (`secretName: "db-app"`) can point at this object. Objects without metadata.name
 * are auto-named by the provider as "<pulumi name>-<random suffix>", which is what other objects then hold.
 */
export function nameMatches(o: KubeObject, referenced: string): boolean {
    if (typeof o.name === "string") return o.name === referenced;
    if (isUnknown(o.name)) return false;
    return referenced === o.pulumiName || referenced.startsWith(`${o.pulumiName}-`);
}
