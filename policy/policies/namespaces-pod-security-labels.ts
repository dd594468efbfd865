/** Best practice: every Namespace enforces a Pod Security level (restricted unless exempted with a reason). */
import { objectPolicy, ofKinds } from "./framework";
import { KubeObject } from "./kinds";
import { isUnknown } from "./values";

const LEVELS = ["privileged", "baseline", "restricted"] as const;
type Level = (typeof LEVELS)[number];

export interface NamespaceLabelsConfig {
    /** The least strict `enforce` level accepted. */
    readonly minimumLevel: "baseline" | "restricted";
    /** Modes that must be labelled (enforce, audit, warn). */
    readonly modes: readonly ("enforce" | "audit" | "warn")[];
}

export const NAMESPACE_LABELS_DEFAULTS: NamespaceLabelsConfig = {
    minimumLevel: "restricted",
    modes: ["enforce", "audit", "warn"],
};

export function checkNamespaceLabels(o: KubeObject, config: NamespaceLabelsConfig): string[] {
    if (isUnknown(o.labels)) return [];
    const problems: string[] = [];
    for (const mode of config.modes) {
        const key = `pod-security.kubernetes.io/${mode}`;
        const value = o.labels[key];
        if (isUnknown(value)) continue;
        if (value === undefined) {
            problems.push(`missing label ${key}`);
            continue;
        }
        if (!LEVELS.includes(value as Level)) {
            problems.push(`label ${key}: ${JSON.stringify(value)} is not a Pod Security level`);
            continue;
        }
        if (LEVELS.indexOf(value as Level) < LEVELS.indexOf(config.minimumLevel)) {
            problems.push(`label ${key} is "${value}", below "${config.minimumLevel}"`);
        }
    }
    return problems;
}

export const namespacesPodSecurityLabels = objectPolicy<NamespaceLabelsConfig>({
    name: "namespaces-pod-security-labels",
    description: "Namespaces carry Pod Security Admission labels at the required level.",
    enforcementLevel: "advisory",
    configProperties: {
        minimumLevel: { type: "string", enum: ["baseline", "restricted"], default: "restricted" },
        modes: {
            type: "array",
            items: { type: "string", enum: ["enforce", "audit", "warn"] },
            default: ["enforce", "audit", "warn"],
        },
    },
    defaults: NAMESPACE_LABELS_DEFAULTS,
    appliesTo: ofKinds("/Namespace"),
    check: checkNamespaceLabels,
});
