/**
 * Builders that turn pure checks into CrossGuard policies. They normalise engine props (unknowns), apply config
 * defaults, decide applicability (`notApplicable`) and apply exemptions, so each policy module is just its check.
 */
import {
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { EXEMPTIONS_SCHEMA, findExemption } from "./exemptions";
import { KubeObject, kubeObject } from "./kinds";
import { PolicyName } from "./names";
import { PodModel, podTemplatesOf } from "./pod-templates";
import { isUnknown, normalize, obj, Obj } from "./values";

export interface BaseConfig {
    readonly exemptions?: readonly unknown[];
}

interface PolicyMeta<C> {
    readonly name: PolicyName;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly severity?: Severity;
    readonly remediationSteps?: string;
    /** Policy-specific config properties (exemptions are added to every policy). */
    readonly configProperties?: Record<string, PolicyConfigJSONSchema>;
    /** Defaults for those properties; the CLI fills them from the schema, tests and direct calls from here. */
    readonly defaults: C;
    /** @default true */
    readonly exemptible?: boolean;
}

/** A policy built here, with the pieces tests and the whole-stack runner use. */
export interface StackwrightResourcePolicy<C = object> extends ResourceValidationPolicy {
    readonly name: PolicyName;
    readonly defaults: C;
}

export interface StackwrightStackPolicy<C = object> extends StackValidationPolicy {
    readonly name: PolicyName;
    readonly defaults: C;
}

export type StackwrightPolicy = StackwrightResourcePolicy<any> | StackwrightStackPolicy<any>;

function schemaFor(meta: PolicyMeta<unknown>) {
    const properties: Record<string, PolicyConfigJSONSchema> = { ...(meta.configProperties ?? {}) };
    if (meta.exemptible !== false) properties.exemptions = EXEMPTIONS_SCHEMA;
    return { properties };
}

/** Config as the policy sees it: defaults overlaid with what the pack config gives (enforcementLevel dropped). */
export function resolveConfig<C>(defaults: C, given: object | undefined): C & BaseConfig {
    const rest: Record<string, unknown> = { ...(given ?? {}) };
    delete rest.enforcementLevel;
    return { ...defaults, ...rest } as C & BaseConfig;
}

function suffix(ignored: readonly string[]): string {
    return ignored.length > 0 ? ` (exemption ignored: ${ignored.join("; ")})` : "";
}

/** Reports violations for one object unless it is exempt. */
function reportFor(
    meta: PolicyMeta<unknown>,
    o: KubeObject,
    messages: readonly string[],
    exemptions: unknown,
    report: (message: string) => void,
): void {
    if (messages.length === 0) return;
    if (meta.exemptible === false) {
        for (const m of messages) report(m);
        return;
    }
    const exemption = findExemption(meta.name, o, exemptions);
    if (exemption.status !== "none") return;
    for (const m of messages) report(m + suffix(exemption.ignored));
}

export interface ObjectPolicyDef<C> extends PolicyMeta<C> {
    /** true if the policy judges this object; otherwise a reason it does not apply. */
    readonly appliesTo: (o: KubeObject) => true | string;
    readonly check: (o: KubeObject, config: C & BaseConfig) => string[];
}

/** What every policy of the pack declares: name, level, optional severity and remediation, config schema. */
function policyMetadata<C>(def: PolicyMeta<C>) {
    return {
        name: def.name,
        description: def.description,
        enforcementLevel: def.enforcementLevel,
        ...(def.severity ? { severity: def.severity } : {}),
        ...(def.remediationSteps ? { remediationSteps: def.remediationSteps } : {}),
        configSchema: schemaFor(def),
        defaults: def.defaults,
    };
}

/** A per-resource policy over Kubernetes objects. */
export function objectPolicy<C>(def: ObjectPolicyDef<C>): StackwrightResourcePolicy<C> {
    return {
        ...policyMetadata(def),
        validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
            const o = kubeObject(args.type, args.props, args.name, args.urn);
            if (!o) return args.notApplicable("not a Kubernetes object");
            const applies = def.appliesTo(o);
            if (applies !== true) return args.notApplicable(applies);
            const config = resolveConfig(def.defaults, args.getConfig<object>());
            reportFor(def, o, def.check(o, config), config.exemptions, (m) => reportViolation(m));
        },
    };
}

export function ofKinds(...keys: readonly string[]): (o: KubeObject) => true | string {
    return (o) =>
        keys.includes(`${o.group}/${o.kind}`) || keys.includes(o.kind) ? true : `applies to ${keys.join(", ")} only`;
}

export interface PodPolicyDef<C> extends PolicyMeta<C> {
    /** Which pod templates to judge. @default all */
    readonly podFilter?: (pod: PodModel) => boolean;
    readonly check: (pod: PodModel, config: C & BaseConfig, o: KubeObject) => string[];
}

/** A per-resource policy over every pod template in a resource (see pod-templates.ts). */
export function podPolicy<C>(def: PodPolicyDef<C>): StackwrightResourcePolicy<C> {
    return objectPolicy<C>({
        ...def,
        appliesTo: (o) => {
            const pods = podTemplatesOf(o).filter(def.podFilter ?? (() => true));
            return pods.length > 0 ? true : "the resource has no pod template this policy judges";
        },
        check: (o, config) =>
            podTemplatesOf(o)
                .filter(def.podFilter ?? (() => true))
                .filter((pod) => !isUnknown(pod.spec))
                .flatMap((pod) => def.check(pod, config, o)),
    });
}

/** A resource in a stack policy: the Kubernetes object (if it is one) plus the dependency graph. */
export interface StackNode {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly object?: KubeObject;
    /** Normalised props of any resource (charts, components too). */
    readonly props: Obj;
    readonly parent?: string;
    readonly dependencies: readonly string[];
}

export interface StackView {
    readonly nodes: readonly StackNode[];
    readonly byUrn: ReadonlyMap<string, StackNode>;
    /** Every Kubernetes object in the stack. */
    readonly objects: readonly KubeObject[];
}

export function stackView(resources: readonly PolicyResource[]): StackView {
    const nodes: StackNode[] = resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        object: kubeObject(r.type, r.props, r.name, r.urn),
        props: obj(normalize(r.props)),
        parent: r.parent?.urn,
        dependencies: (r.dependencies ?? []).map((d) => d.urn),
    }));
    return {
        nodes,
        byUrn: new Map(nodes.map((n) => [n.urn, n])),
        objects: nodes.map((n) => n.object).filter((o): o is KubeObject => o !== undefined),
    };
}

export interface StackViolation {
    readonly object: KubeObject;
    readonly message: string;
}

export interface StackPolicyDef<C> extends PolicyMeta<C> {
    readonly check: (stack: StackView, config: C & BaseConfig) => StackViolation[];
}

/** A stack policy; each violation names the object it is about (exemptions apply to that object). */
export function stackPolicy<C>(def: StackPolicyDef<C>): StackwrightStackPolicy<C> {
    return {
        ...policyMetadata(def),
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const config = resolveConfig(def.defaults, args.getConfig<object>());
            const stack = stackView(args.resources);
            const byObject = new Map<KubeObject, string[]>();
            for (const v of def.check(stack, config)) {
                byObject.set(v.object, [...(byObject.get(v.object) ?? []), v.message]);
            }
            for (const [o, messages] of byObject) {
                reportFor(def, o, messages, config.exemptions, (m) => reportViolation(m, o.urn));
            }
        },
    };
}

/** JSON-schema snippets used by several policies. */
export const stringList = (description: string, defaults: readonly string[] = []): PolicyConfigJSONSchema => ({
    type: "array",
    items: { type: "string", minLength: 1 },
    default: [...defaults],
    description,
});
