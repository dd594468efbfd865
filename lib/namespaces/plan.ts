/** From the validated stack config to the Namespaces component's args (pure; index.ts only wires). */
import type { StackConfig } from "../../config/schema";
import { definedOnly, environmentDefaults, EnvironmentDefaults } from "../defaults";
import type { NamespaceSpec } from "../namespace-specs";
import { namespacePlan } from "../plan";

/** Everything Namespaces needs; all from config. */
export interface NamespacesArgs {
    /** Every namespace the stack owns, with its Pod Security level. */
    readonly namespaces: readonly NamespaceSpec[];
    /** ResourceQuota of each application namespace (environment defaults under the config). */
    readonly quota: EnvironmentDefaults["quota"];
    /** LimitRange of each application namespace (environment defaults under the config). */
    readonly limitRange: EnvironmentDefaults["limitRange"];
}

export function namespacesPlan(cfg: StackConfig): NamespacesArgs {
    const defaults = environmentDefaults(cfg.environment);
    return {
        namespaces: namespacePlan(cfg),
        quota: { ...defaults.quota, ...definedOnly(cfg.quota) },
        limitRange: { ...defaults.limitRange, ...definedOnly(cfg.limitRange) },
    };
}
