/**
 * Calls policies exactly the way the CrossGuard engine (@pulumi/policy 1.21 server.js) does: props wrapped in the
 * engine's unknown-checking proxy, `notApplicable` that throws, `stackTags`, `getConfig` scoped to the policy,
 * stack resources with parent/dependency objects resolved from URNs.
 */
import {
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

// Internal to @pulumi/policy (not in its typings) but exactly what the engine uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy: (value: unknown) => any;
    UnknownValueError: new (...args: any[]) => Error;
    unknownStringValue: string;
};

export const UNKNOWN_STRING: string = proxy.unknownStringValue;
export const engineProxy = proxy;

export class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "not applicable");
    }
}

const STACK_TAGS: ReadonlyMap<string, string> = new Map([["pulumi:project", "stackwright"]]);

function options(parent?: string): PolicyResourceOptions {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(parent ? { parent } : {}),
    };
}

export function urnOf(type: string, name: string): string {
    return `urn:pulumi:test::stackwright::${type}::${name}`;
}

export interface ResourceRun {
    readonly messages: string[];
    readonly notApplicable?: string;
}

export interface RunOptions {
    readonly name?: string;
    readonly urn?: string;
    readonly parent?: string;
    /** Wrap props in the engine's unknown-checking proxy. @default true */
    readonly proxy?: boolean;
}

export function resourceArgs(
    type: string,
    props: unknown,
    config: object = {},
    opts: RunOptions = {},
): ResourceValidationArgs {
    const name = opts.name ?? "test";
    const wrapped = opts.proxy === false ? props : proxy.unknownCheckingProxy(props);
    return {
        type,
        props: wrapped as Record<string, any>,
        urn: opts.urn ?? urnOf(type, name),
        name,
        opts: options(opts.parent),
        stackTags: STACK_TAGS,
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicableError(reason);
        },
    };
}

/** Runs a resource policy on one resource; `notApplicable` is set when the policy said it does not apply. */
export function runResourcePolicyDetailed(
    policy: ResourceValidationPolicy,
    type: string,
    props: unknown,
    config?: object,
    opts?: RunOptions,
): ResourceRun {
    const messages: string[] = [];
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    try {
        for (const validate of validations) {
            const result = validate(resourceArgs(type, props, config, opts), (message) => {
                messages.push(message);
            });
            if (result instanceof Promise) throw new Error(`${policy.name}: validations here are synchronous`);
        }
    } catch (err) {
        if (err instanceof NotApplicableError) return { messages, notApplicable: err.reason ?? "" };
        throw err;
    }
    return { messages };
}

/** The violation messages a resource policy reports for one resource ([] when not applicable). */
export function runResourcePolicy(
    policy: ResourceValidationPolicy,
    type: string,
    props: unknown,
    config?: object,
): string[] {
    return runResourcePolicyDetailed(policy, type, props, config).messages;
}

/** A resource as a stack policy receives it (before URNs are resolved to objects). */
export interface StackResourceSpec {
    readonly type: string;
    readonly name: string;
    readonly props: unknown;
    readonly urn?: string;
    readonly parent?: string;
    readonly dependencies?: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** Builds PolicyResource objects the way server.js does: URNs resolved to objects, unknown URNs dropped. */
export function policyResources(specs: readonly StackResourceSpec[], wrap = true): PolicyResource[] {
    const resources = specs.map((s) => {
        const props = wrap ? proxy.unknownCheckingProxy(s.props) : s.props;
        const r: PolicyResource = {
            type: s.type,
            props: props as Record<string, any>,
            urn: s.urn ?? urnOf(s.type, s.name),
            name: s.name,
            opts: options(s.parent),
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        };
        return r;
    });
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    specs.forEach((s, i) => {
        const r = resources[i];
        if (s.parent && byUrn.has(s.parent)) r.parent = byUrn.get(s.parent);
        r.dependencies = (s.dependencies ?? [])
            .map((d) => byUrn.get(d))
            .filter((d): d is PolicyResource => d !== undefined);
        for (const [k, v] of Object.entries(s.propertyDependencies ?? {})) {
            r.propertyDependencies[k] = v.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
        }
    });
    return resources;
}

export interface StackReport {
    readonly message: string;
    readonly urn?: string;
}

export function stackArgs(resources: PolicyResource[], config: object = {}): StackValidationArgs {
    return {
        resources,
        stackTags: STACK_TAGS,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicableError(reason);
        },
    };
}

export function runStackPolicyOn(
    policy: StackValidationPolicy,
    resources: PolicyResource[],
    config?: object,
): StackReport[] {
    const reports: StackReport[] = [];
    try {
        const result = policy.validateStack(stackArgs(resources, config), (message, urn) => {
            reports.push({ message, urn });
        });
        if (result instanceof Promise) throw new Error(`${policy.name}: validations here are synchronous`);
    } catch (err) {
        if (err instanceof NotApplicableError) return reports;
        throw err;
    }
    return reports;
}

/** The violations a stack policy reports for the given resources. */
export function runStackPolicy(
    policy: StackValidationPolicy,
    specs: readonly StackResourceSpec[],
    config?: object,
): StackReport[] {
    return runStackPolicyOn(policy, policyResources(specs), config);
}
