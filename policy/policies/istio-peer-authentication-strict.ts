/** Best practice for Istio: PeerAuthentication enforces STRICT mutual TLS. */
import { objectPolicy, ofKinds } from "./framework";
import { KubeObject } from "./kinds";
import { get, isUnknown, obj } from "./values";

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
    description:
        "Istio PeerAuthentication enforces STRICT mutual TLS (no PERMISSIVE or DISABLE, mesh-wide or per port).",
    enforcementLevel: "advisory",
    defaults: {},
    appliesTo: ofKinds("security.istio.io/PeerAuthentication"),
    check: checkPeerAuthentication,
});
