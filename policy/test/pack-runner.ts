/**
 * Runs the whole pack over a set of resources the way `pulumi preview --policy-pack policy
 * --policy-pack-config <file>` would: the CLI's config reconciliation (schema defaults, "all", per-policy
 * enforcementLevel and properties), then every resource policy on each resource's inputs and every stack
 * policy on the resources' outputs.
 */
import * as fs from "fs";
import * as path from "path";
import { EnforcementLevel } from "@pulumi/policy";
import { allPolicies, isResourcePolicy, PACK_DEFAULT_ENFORCEMENT } from "../policies/all";
import { StackwrightPolicy } from "../policies/framework";
import { policyResources, runResourcePolicyDetailed, runStackPolicyOn, StackResourceSpec } from "./engine";

export const CONFIG_DIR = path.resolve(__dirname, "../config");

export type PackConfig = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

export function loadPackConfig(stack: string): PackConfig {
    return JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${stack}.json`), "utf8")) as PackConfig;
}

export interface ResolvedPolicyConfig {
    readonly enforcementLevel: EnforcementLevel;
    readonly properties: Record<string, unknown>;
}

/** pulumi/pkg/resource/analyzer/config.go ReconcilePolicyPackConfig, for one policy. */
export function resolvePolicyConfig(policy: StackwrightPolicy, config: PackConfig): ResolvedPolicyConfig {
    let enforcementLevel: EnforcementLevel = policy.enforcementLevel ?? PACK_DEFAULT_ENFORCEMENT;
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (typeof v === "object" && v !== null && "default" in v) properties[k] = v.default;
    }
    const all = config.all;
    if (typeof all === "string") enforcementLevel = all;
    else if (all && typeof all === "object" && all.enforcementLevel) enforcementLevel = all.enforcementLevel;
    const own = config[policy.name];
    if (typeof own === "string") {
        enforcementLevel = own;
    } else if (own && typeof own === "object") {
        const { enforcementLevel: level, ...rest } = own;
        if (level) enforcementLevel = level;
        Object.assign(properties, rest);
    }
    return { enforcementLevel, properties };
}

export interface PackViolation {
    readonly policy: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly urn: string;
    readonly message: string;
}

/** A resource as recorded by test/lib/harness.ts (only the fields used here). */
export interface RecordedLike {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly state?: Record<string, any>;
    readonly parent?: string;
    readonly dependencies: readonly string[];
    readonly propertyDependencies?: Record<string, readonly string[]>;
}

export function runPack(
    resources: readonly RecordedLike[],
    config: PackConfig = {},
    policies: readonly StackwrightPolicy[] = allPolicies,
): PackViolation[] {
    const violations: PackViolation[] = [];
    // The engine gives stack policies the resources' outputs; the harness's `state` is what the mocks returned.
    const specs: StackResourceSpec[] = resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        parent: r.parent,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
        props: r.state && Object.keys(r.state).length > 0 ? r.state : r.inputs,
    }));
    const stackResources = policyResources(specs);
    for (const policy of policies) {
        const { enforcementLevel, properties } = resolvePolicyConfig(policy, config);
        if (enforcementLevel === "disabled") continue;
        const level: EnforcementLevel = enforcementLevel === "remediate" ? "mandatory" : enforcementLevel;
        if (isResourcePolicy(policy)) {
            for (const r of resources) {
                const run = runResourcePolicyDetailed(policy, r.type, r.inputs, properties, {
                    name: r.name,
                    urn: r.urn,
                    parent: r.parent,
                });
                for (const message of run.messages)
                    violations.push({ policy: policy.name, enforcementLevel: level, urn: r.urn, message });
            }
        } else {
            for (const report of runStackPolicyOn(policy, stackResources, properties)) {
                violations.push({
                    policy: policy.name,
                    enforcementLevel: level,
                    urn: report.urn ?? "<stack>",
                    message: report.message,
                });
            }
        }
    }
    return violations;
}

/** Identity of a violation, for comparing two runs of the pack. */
export function violationKey(v: PackViolation): string {
    return `${v.policy}|${v.urn}|${v.message}`;
}

export function formatViolations(violations: readonly PackViolation[]): string {
    return violations
        .map(
            (v) =>
                `  [${v.enforcementLevel}] ${v.policy} ${v.urn.split("::").slice(-2).join("::")}\n      ${v.message}`,
        )
        .join("\n");
}
