import { expect } from "chai";
import { descendantsOf, ofKind, readStackConfig, RecordedResource, RenderedStack, renderStack } from "./lib/harness";
import { GeneratedSecrets } from "../components/secrets";

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
