/** Best practice: no service-account token automount unless the pods need the API. */
import { objectPolicy, stringList } from "./framework";
import { KubeObject } from "./kinds";
import { podTemplatesOf } from "./pod-templates";
import { get, globMatch, isUnknown } from "./values";

export interface TokenAutomountConfig {
    /**
     * Service accounts whose pods call the Kubernetes API: "name" (any namespace) or "namespace/name"; `*` is a
     * wildcard ("cnpg-system/*" for an operator's dedicated namespace).
     */
    readonly allowedServiceAccounts: readonly string[];
}

export const TOKEN_AUTOMOUNT_DEFAULTS: TokenAutomountConfig = { allowedServiceAccounts: [] };

function allowed(config: TokenAutomountConfig, namespace: unknown, name: string): boolean {
    return config.allowedServiceAccounts.some((pattern) =>
        pattern.includes("/")
            ? typeof namespace === "string" && globMatch(pattern, `${namespace}/${name}`)
            : globMatch(pattern, name),
    );
}

export function checkTokenAutomount(o: KubeObject, config: TokenAutomountConfig): string[] {
    if (o.kind === "ServiceAccount" && o.group === "") {
        const value = get(o.props, "automountServiceAccountToken");
        if (value === false || isUnknown(value) || isUnknown(o.name)) return [];
        if (typeof o.name === "string" && allowed(config, o.namespace, o.name)) return [];
        return [
            "automountServiceAccountToken is not false (list the account in allowedServiceAccounts if its pods call the Kubernetes API)",
        ];
    }
    const problems: string[] = [];
    for (const pod of podTemplatesOf(o)) {
        if (pod.operator !== undefined || isUnknown(pod.spec)) continue;
        const value = get(pod.spec, "automountServiceAccountToken");
        const account = get(pod.spec, "serviceAccountName") ?? "default";
        if (value === false || isUnknown(value) || isUnknown(account)) continue;
        if (allowed(config, o.namespace, String(account))) continue;
        problems.push(
            value === true
                ? `pod: automountServiceAccountToken is true but service account "${String(account)}" is not in allowedServiceAccounts`
                : "pod: automountServiceAccountToken is not set to false",
        );
    }
    return problems;
}

export const noServiceAccountTokenAutomount = objectPolicy<TokenAutomountConfig>({
    name: "no-service-account-token-automount",
    description:
        "Pods and ServiceAccounts do not automount the API token unless the account is allowed to call the API.",
    enforcementLevel: "advisory",
    configProperties: {
        allowedServiceAccounts: stringList(
            "Service accounts that need the token: name or namespace/name (* is a wildcard).",
        ),
    },
    defaults: TOKEN_AUTOMOUNT_DEFAULTS,
    appliesTo: (o) =>
        (o.kind === "ServiceAccount" && o.group === "") || podTemplatesOf(o).some((p) => p.operator === undefined)
            ? true
            : "applies to ServiceAccounts and workloads (not operator-managed pods)",
    check: checkTokenAutomount,
});
