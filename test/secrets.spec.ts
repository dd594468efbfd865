import { expect } from "chai";
import { descendantsOf, ofKind, readStackConfig, RecordedResource, RenderedStack, renderStack } from "./lib/harness";
import { GeneratedSecrets } from "../components/secrets";
import { renderUnderMocks } from "./lib/mock-component";

function randomResources(r: RenderedStack): Map<string, RecordedResource> {
    return new Map(
        r.resources.filter((x) => x.type.startsWith("random:") || x.type.startsWith("tls:")).map((x) => [x.name, x]),
    );
}

describe("generated secrets", () => {
    let dev: RenderedStack;
    before(async () => {
        dev = await renderStack("dev");
    });

    it("generates strong passwords without shell/URL-hostile characters", () => {
        const jwt = dev.resources.find((r) => r.name === "secrets-jwtSecret")!;
        expect(jwt.inputs.length).to.be.at.least(64);
        expect(jwt.inputs.special).to.equal(false);
        const pg = dev.resources.find((r) => r.name === "secrets-db-app")!;
        expect(pg.inputs.length).to.be.at.least(32);
        expect(dev.resources.find((r) => r.name === "secrets-encryptionKey")!.inputs.length).to.equal(32);
    });

    it("delivers the application credentials as one Secret, by key", () => {
        const secrets = ofKind(dev.resources, "Secret", "apps").filter((s) => s.name === "secrets-app-credentials");
        expect(secrets).to.have.length(1);
        expect(Object.keys(secrets[0].inputs.stringData).sort()).to.deep.equal([
            "api-key",
            "encryption-key",
            "jwt-secret",
        ]);
        expect(secrets[0].inputs.metadata.name, "auto-named").to.equal(undefined);
    });

    it("signs a server certificate per public host with the generated CA, renewing early", () => {
        const component = dev.resources.find((r) => r.type === GeneratedSecrets.TYPE)!;
        const owned = descendantsOf(dev.resources, component.urn);
        const certs = owned.filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert");
        expect(certs.length).to.be.at.least(4);
        for (const c of certs) {
            expect(c.inputs.validityPeriodHours).to.equal(2160);
            expect(c.inputs.earlyRenewalHours).to.equal(720);
            expect(c.inputs.allowedUses).to.include("server_auth");
        }
        const tlsSecrets = ofKind(owned, "Secret", "edge").filter((s) => s.inputs.type === "kubernetes.io/tls");
        expect(tlsSecrets).to.have.length(certs.length);
        for (const s of tlsSecrets) expect(s.inputs.stringData).to.have.keys("tls.crt", "tls.key", "ca.crt");
    });

    it("rotating one credential changes only that credential and what consumes it", async () => {
        const config = readStackConfig("dev") as any;
        const rotated = await renderStack("dev", {
            overrides: { secrets: { ...(config.secrets ?? {}), rotation: { apiKey: 1 } } },
        });
        const before = randomResources(dev);
        const after = randomResources(rotated);
        const changed = [...before.keys()].filter(
            (name) => JSON.stringify(before.get(name)!.inputs) !== JSON.stringify(after.get(name)?.inputs),
        );
        expect(changed).to.deep.equal(["secrets-apiKey"]);
        const beforePw = before.get("secrets-apiKey")!.state.result;
        expect(after.get("secrets-apiKey")!.state.result).to.not.equal(beforePw);
        expect(after.get("secrets-jwtSecret")!.state.result).to.equal(before.get("secrets-jwtSecret")!.state.result);
    });
});

// ---- Tier 1: the component alone, constructed from hand-written args under the mocks (fast, focused) ---------

describe("GeneratedSecrets from hand-written args (component under mocks)", () => {
    it("one password per credential at the given length, one certificate and TLS Secret per host", async () => {
        const resources = await renderUnderMocks(() => {
            new GeneratedSecrets("s", {
                environment: "test",
                rotation: { apiKey: 2 },
                passwordLength: 40,
                databaseRoles: ["orders"],
                publicHosts: ["shop.example.com", "api.example.com"],
                appNamespace: "shop",
                tlsNamespace: "edge",
                caValidityHours: 1000,
                certificateValidityHours: 100,
                certificateEarlyRenewalHours: 10,
            });
        });
        const passwords = resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
        // The JWT secret is at least 64 characters (HS256 key strength); every other password takes the length.
        const lengths = Object.fromEntries(passwords.map((r) => [r.name.replace(/^s-/, ""), r.inputs.length]));
        expect(lengths).to.deep.equal({
            jwtSecret: 64,
            apiKey: 40,
            redisPassword: 40,
            grafanaAdminPassword: 40,
            postgresSuperuserPassword: 40,
            "db-orders": 40,
        });
        expect(passwords.some((r) => r.name.includes("db-orders"))).to.equal(true);
        expect(passwords.find((r) => r.name.includes("apiKey"))?.inputs.keepers).to.deep.include({ rotation: "2" });
        const certs = resources.filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert");
        expect(certs.map((r) => r.inputs.validityPeriodHours)).to.deep.equal([100, 100]);
        const tlsSecrets = resources.filter(
            (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.type === "kubernetes.io/tls",
        );
        expect(tlsSecrets.map((r) => r.inputs.metadata.namespace)).to.deep.equal(["edge", "edge"]);
    });
});
