/** Best practices for Istio: strict mutual TLS, and DestinationRules that never switch mTLS off. */
import { objectPolicy, ofKinds, stringList } from "./framework";
import { KubeObject } from "./kinds";
import { arr, get, isUnknown, obj } from "./values";

// ---- PeerAuthentication STRICT -------------------------------------------------------------------------------

export function checkPeerAuthentication(o: KubeObject): string[] {
    const problems: string[] = [];
    const spec = get(o.props, "spec");
    if (isUnknown(spec)) return [];
    const mode = get(spec, "mtls", "mode");
    const hasSelector = Object.keys(obj(get(spec, "selector", "matchLabels"))).length > 0;
    if (mode === undefined || mode === "UNSET") {
        // A workload-specific policy may inherit the namespace/mesh mode; a namespace- or mesh-wide one must say it.
        if (!hasSelector) problems.push("spec.mtls.mode is not set (must be STRICT)");
    } else if (!isUnknown(mode) && mode !== "STRICT") {
        problems.push(`spec.mtls.mode is ${JSON.stringify(mode)} (must be STRICT)`);
    }
    for (const [port, setting] of Object.entries(obj(get(spec, "portLevelMtls")))) {
        const portMode = get(setting, "mode");
        if (isUnknown(portMode) || portMode === "STRICT" || portMode === "UNSET" || portMode === undefined) continue;
        problems.push(`spec.portLevelMtls[${port}].mode is ${JSON.stringify(portMode)} (must be STRICT)`);
    }
    return problems;
}

export const istioPeerAuthenticationStrict = objectPolicy({
    name: "istio-peer-authentication-strict",
    description: "Istio PeerAuthentication enforces STRICT mutual TLS (no PERMISSIVE or DISABLE, mesh-wide or per port).",
    enforcementLevel: "advisory",
    defaults: {},
    appliesTo: ofKinds("security.istio.io/PeerAuthentication"),
    check: checkPeerAuthentication,
});

// ---- DestinationRule TLS -------------------------------------------------------------------------------------

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
    arr(get(spec, "subsets")).forEach((subset, i) => blocks.push(...tlsBlocks(get(subset, "trafficPolicy"), `spec.subsets[${i}].trafficPolicy`)));
    const problems: string[] = [];
    for (const { path, tls } of blocks) {
        if (isUnknown(tls)) continue;
        const mode = get(tls, "mode");
        if (isUnknown(mode) || mode === "ISTIO_MUTUAL") continue;
        if (external && (mode === "SIMPLE" || mode === "MUTUAL")) continue;
        // A tls block without a mode means DISABLE.
        problems.push(`${path}.mode is ${mode === undefined ? "unset (DISABLE)" : JSON.stringify(mode)}; it must be ISTIO_MUTUAL or the block omitted`);
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
