/** The NetworkPolicy evaluator used by the reachability tests (test/lib/netpol.ts) follows Kubernetes semantics. */
import { expect } from "chai";
import { allowedConnections, Endpoint, isAllowed, matchesSelector } from "./lib/netpol";

const a: Endpoint = { id: "a", namespace: "apps", podLabels: { app: "a" }, ports: [{ port: 8080, name: "http" }] };
const b: Endpoint = {
    id: "b",
    namespace: "apps",
    podLabels: { app: "b" },
    ports: [
        { port: 8080, name: "http" },
        { port: 9090, name: "admin" },
    ],
};
const c: Endpoint = {
    id: "c",
    namespace: "other",
    namespaceLabels: { team: "x" },
    podLabels: { app: "a" },
    ports: [{ port: 8080 }],
};
const outside: Endpoint = { id: "outside", ip: "198.51.100.7", ports: [{ port: 443 }] };

const policy = (name: string, spec: Record<string, unknown>, namespace = "apps") => ({
    metadata: { name, namespace },
    spec,
});

describe("NetworkPolicy evaluator (test/lib/netpol)", () => {
    it("allows everything when no policy selects either side", () => {
        expect(allowedConnections([], [a, b])).to.deep.equal(["a -> b:8080/TCP", "a -> b:9090/TCP", "b -> a:8080/TCP"]);
    });

    it("default deny: a selecting policy without rules admits nothing of its types", () => {
        const deny = policy("deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        expect(allowedConnections([deny], [a, b])).to.deep.equal([]);
        // Policy types default to Ingress only (plus Egress when egress rules exist).
        expect(allowedConnections([policy("in", { podSelector: {} })], [a, b, outside])).to.deep.equal([
            "a -> outside:443/TCP",
            "b -> outside:443/TCP",
        ]);
    });

    it("needs both egress of the source and ingress of the destination; rules are additive", () => {
        const deny = policy("deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const bIn = policy("b-in", {
            podSelector: { matchLabels: { app: "b" } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }], ports: [{ port: "http" }] }],
        });
        expect(allowedConnections([deny, bIn], [a, b])).to.deep.equal([]);
        const aOut = policy("a-out", {
            podSelector: { matchLabels: { app: "a" } },
            policyTypes: ["Egress"],
            egress: [{ to: [{ podSelector: { matchLabels: { app: "b" } } }] }],
        });
        expect(allowedConnections([deny, bIn, aOut], [a, b])).to.deep.equal(["a -> b:8080/TCP"]);
        expect(allowedConnections([deny, bIn, aOut], [a, b], "egress")).to.deep.equal([
            "a -> b:8080/TCP",
            "a -> b:9090/TCP",
        ]);
        expect(allowedConnections([deny, bIn, aOut], [a, b], "ingress")).to.deep.equal(["a -> b:8080/TCP"]);
    });

    it("scopes a podSelector-only peer to the policy's namespace; namespaceSelector reaches other namespaces", () => {
        const onlyA = policy("b-in", {
            podSelector: { matchLabels: { app: "b" } },
            ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }] }],
        });
        expect(isAllowed([onlyA], a, b, b.ports[0])).to.equal(true);
        expect(isAllowed([onlyA], c, b, b.ports[0]), "same labels, other namespace").to.equal(false);
        const team = policy("b-in", {
            podSelector: { matchLabels: { app: "b" } },
            ingress: [
                {
                    from: [
                        { namespaceSelector: { matchExpressions: [{ key: "team", operator: "In", values: ["x"] }] } },
                    ],
                },
            ],
        });
        expect(isAllowed([team], c, b, b.ports[0])).to.equal(true);
        expect(isAllowed([team], a, b, b.ports[0])).to.equal(false);
        const byName = policy("b-in", {
            podSelector: { matchLabels: { app: "b" } },
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "other" } },
                            podSelector: { matchLabels: { app: "a" } },
                        },
                    ],
                },
            ],
        });
        expect(isAllowed([byName], c, b, b.ports[0])).to.equal(true);
    });

    it("matches ports by number, name, protocol and range, and ipBlock with exceptions only for external addresses", () => {
        const ranged = policy("b-in", {
            podSelector: { matchLabels: { app: "b" } },
            ingress: [{ ports: [{ port: 9000, endPort: 9100 }] }],
        });
        expect(allowedConnections([ranged], [a, b]).filter((x) => x.startsWith("a -> b"))).to.deep.equal([
            "a -> b:9090/TCP",
        ]);
        const udp = policy("b-in", {
            podSelector: { matchLabels: { app: "b" } },
            ingress: [{ ports: [{ port: 8080, protocol: "UDP" }] }],
        });
        expect(isAllowed([udp], a, b, b.ports[0])).to.equal(false);
        const web = policy("a-out", {
            podSelector: { matchLabels: { app: "a" } },
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["198.51.100.0/24"] } }] }],
        });
        expect(isAllowed([web], a, outside, outside.ports[0])).to.equal(false);
        expect(isAllowed([web], a, { ...outside, ip: "203.0.113.1" }, outside.ports[0])).to.equal(true);
        expect(isAllowed([web], a, b, b.ports[0]), "ipBlock never matches pods here").to.equal(false);
    });

    it("evaluates label selector expressions", () => {
        expect(matchesSelector({ matchExpressions: [{ key: "x", operator: "Exists" }] }, { x: "1" })).to.equal(true);
        expect(matchesSelector({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }, { x: "1" })).to.equal(
            false,
        );
        expect(
            matchesSelector({ matchExpressions: [{ key: "x", operator: "NotIn", values: ["1"] }] }, { x: "2" }),
        ).to.equal(true);
        expect(matchesSelector({}, { any: "thing" })).to.equal(true);
    });
});
