/** Best practice for Istio: DestinationRules never switch mutual TLS off. */
import { objectPolicy, ofKinds, stringList } from "./framework";
import { KubeObject } from "./kinds";
import { arr, get, isUnknown } from "./values";

export interface DestinationRuleConfig {
    /** Hosts outside the mesh for which SIMPLE or MUTUAL (origination to an external server) is fine. */
    readonly externalHosts: readonly string[];
}

export const DESTINATION_RULE_DEFAULTS: DestinationRuleConfig = { externalHosts: [] };

function tlsBlocks(policy: unknown, path: string): { path: string; tls: unknown }[] {
    const blocks: { path: string; tls: unknown }[] = [];
    const tls = get(policy, "tls");
    if (tls !== undefined) blocks.push({ path: `${path}.tls`, tls });
    arr(get(policy, "portLevelSettings")).forEach((setting, i) => {
        const portTls = get(setting, "tls");
        if (portTls !== undefined) blocks.push({ path: `${path}.portLevelSettings[${i}].tls`, tls: portTls });
    });
    return blocks;
}

export function checkDestinationRule(o: KubeObject, config: DestinationRuleConfig): string[] {
    const spec = get(o.props, "spec");
    if (isUnknown(spec)) return [];
    const host = get(spec, "host");
    const external = typeof host === "string" && config.externalHosts.includes(host);
    const blocks = tlsBlocks(get(spec, "trafficPolicy"), "spec.trafficPolicy");
    arr(get(spec, "subsets")).forEach((subset, i) =>
        blocks.push(...tlsBlocks(get(subset, "trafficPolicy"), `spec.subsets[${i}].trafficPolicy`)),
    );
    const problems: string[] = [];
    for (const { path, tls } of blocks) {
        if (isUnknown(tls)) continue;
        const mode = get(tls, "mode");
        if (isUnknown(mode) || mode === "ISTIO_MUTUAL") continue;
        if (external && (mode === "SIMPLE" || mode === "MUTUAL")) continue;
        // A tls block without a mode means DISABLE.
        problems.push(
            `${path}.mode is ${mode === undefined ? "unset (DISABLE)" : JSON.stringify(mode)}; it must be ISTIO_MUTUAL or the block omitted`,
        );
    }
    return problems;
}

export const istioDestinationRuleMutualTls = objectPolicy<DestinationRuleConfig>({
    name: "istio-destination-rule-mutual-tls",
    description: "Istio DestinationRule tls blocks say ISTIO_MUTUAL (anything else turns auto-mTLS off for the host).",
    enforcementLevel: "advisory",
    configProperties: {
        externalHosts: stringList("Hosts outside the mesh that may use SIMPLE or MUTUAL TLS origination."),
    },
    defaults: DESTINATION_RULE_DEFAULTS,
    appliesTo: ofKinds("networking.istio.io/DestinationRule"),
    check: checkDestinationRule,
});
