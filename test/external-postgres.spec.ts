/**
 * An existing PostgreSQL in place of the in-cluster cluster (postgres.external; components/external-postgres.ts):
 * the component from hand-written args, the prod stack with an external server (nothing of CloudNativePG, the same
 * env vars for the services, egress to the server's CIDRs only, backups and alerts without PostgreSQL), and the
 * rendered connection URIs logging in to a real PostgreSQL server as the services would.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../config";
import { ExternalPostgres } from "../components/external-postgres";
import { externalPostgresPlan } from "../lib/postgres/external";
import { DATABASE_READ_ONLY_ENV, DATABASE_SECRET_ENV } from "../lib/topology";
import { kubeObjects, podSpecOf, readStackConfig, RecordedResource, renderStack } from "./lib/harness";
import { renderUnderMocks } from "./lib/mock-component";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { freePorts } from "./lib/ports";
import { findPgBin, hasBinary, requireTools, serverUserIds, TOOL_TIMEOUT_MS } from "./lib/tools";

const EXTERNAL = {
    host: "orders-db.abc123.eu-central-1.rds.amazonaws.com",
    readOnlyHost: "orders-db-ro.abc123.eu-central-1.rds.amazonaws.com",
    egressCidrs: ["10.20.0.0/16"],
    databases: { app: { password: "app-password" }, jobs: { username: "jobs_owner", password: "jobs-password" } },
};

describe("external PostgreSQL: the component under mocks", () => {
    it("one basic-auth client Secret per database in the services' namespace, with the in-cluster keys and sslmode", async () => {
        const plan = externalPostgresPlan(
            parseConfig({ ...readStackConfig("staging"), postgres: { external: EXTERNAL } }),
        )!;
        const resources = await renderUnderMocks(() => new ExternalPostgres("pg", plan));
        const secrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
        expect(secrets.map((s) => s.name)).to.deep.equal(["pg-client-app", "pg-client-jobs"]);
        const jobs = secrets[1].inputs;
        expect(jobs.type).to.equal("kubernetes.io/basic-auth");
        expect(jobs.metadata.namespace).to.equal("apps");
        // A Pulumi secret (the mocks record it wrapped): never in plain state.
        expect(jobs.stringData[specialSigKey]).to.equal(specialSecretSig);
        jobs.stringData = jobs.stringData.value;
        expect(Object.keys(jobs.stringData).sort()).to.deep.equal(
            [...Object.values(DATABASE_SECRET_ENV), ...Object.values(DATABASE_READ_ONLY_ENV)].sort(),
        );
        expect(jobs.stringData).to.deep.include({
            host: EXTERNAL.host,
            port: "5432",
            dbname: "jobs",
            username: "jobs_owner",
            password: "jobs-password",
            sslmode: "require",
            "ro-host": EXTERNAL.readOnlyHost,
        });
        expect(jobs.stringData.uri).to.equal(
            `postgresql://jobs_owner:jobs-password@${EXTERNAL.host}:5432/jobs?sslmode=require`,
        );
        const component = resources.find((r) => r.type === ExternalPostgres.TYPE)!;
        for (const s of secrets) expect(s.parent).to.equal(component.urn);
    });
});

describe("external PostgreSQL: the prod stack with a managed server", () => {
    let rendered: RecordedResource[];
    before(async function () {
        this.timeout(60_000);
        rendered = (await renderStack("prod", { overrides: { postgres: { external: EXTERNAL } } })).resources;
    });

    it("deploys nothing of CloudNativePG: no operator, cluster, namespace, backups or alerts of PostgreSQL", () => {
        const types = rendered.map((r) => r.type);
        expect(types.filter((t) => t.includes("cnpg.io"))).to.deep.equal([]);
        const charts = rendered.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => r.inputs.name);
        expect(charts).to.not.include.members(["cnpg", "plugin-barman-cloud"]);
        const namespaces = kubeObjects(rendered)
            .filter((o) => o.kind === "Namespace")
            .map((o) => o.metadata.name);
        expect(namespaces).to.not.include("cnpg-system");
        const cronJobs = kubeObjects(rendered)
            .filter((o) => o.kind === "CronJob")
            .map((o) => o.metadata.name);
        expect(cronJobs.filter((n) => n.startsWith("postgres"))).to.deep.equal([]);
        expect(cronJobs.length, "Redis backups stay").to.be.greaterThan(0);
        const rules = kubeObjects(rendered).find((o) => o.kind === "PrometheusRule")!;
        const alerts = JSON.stringify(rules.spec.groups);
        expect(alerts).to.not.match(/cnpg_/);
    });

    it("services read the same env vars from the external server's Secrets, and reach only its port on its CIDRs", () => {
        const secretNames = new Set(
            rendered
                .filter((r) => r.type === "kubernetes:core/v1:Secret" && r.name.startsWith("postgres-client-"))
                .map((r) => r.state.metadata.name),
        );
        expect(secretNames.size).to.equal(2);
        const deployment = kubeObjects(rendered).find(
            (o) => o.kind === "Deployment" && o.metadata.labels?.["app.kubernetes.io/name"] === "backend",
        )!;
        const env = podSpecOf(deployment)!.containers[0].env as any[];
        for (const [name, key] of Object.entries(DATABASE_SECRET_ENV)) {
            const ref = env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
            expect(ref?.key, name).to.equal(key);
            expect(secretNames.has(ref.name), name).to.equal(true);
        }
        const policy = kubeObjects(rendered).find(
            (o) =>
                o.kind === "NetworkPolicy" &&
                o.metadata.namespace === "apps" &&
                o.spec.podSelector.matchLabels?.["app.kubernetes.io/name"] === "backend",
        )!;
        const toDatabase = policy.spec.egress.filter((r: any) => r.to?.some((p: any) => p.ipBlock));
        expect(toDatabase).to.deep.equal([
            { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 5432, protocol: "TCP" }] },
        ]);
    });
});

describe("external PostgreSQL: the rendered URIs log in to a real server", () => {
    const pgBin = findPgBin();
    const psql = spawnSync("sh", ["-c", "command -v psql"], { encoding: "utf8" }).stdout.trim();
    let root = "";
    let dataDir = "";
    let started = false;
    const ids: { uid?: number; gid?: number } = {};
    const asServer = () => ({ ...ids, encoding: "utf8" as const, timeout: TOOL_TIMEOUT_MS, cwd: root });

    before(function () {
        if (pgBin === undefined || !hasBinary(path.join(pgBin, "postgres")) || psql === "")
            requireTools(this, ["PostgreSQL server binaries, psql"], "apt-get install postgresql");
        root = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-extpg-"));
        fs.chmodSync(root, 0o755);
        dataDir = path.join(root, "data");
        Object.assign(ids, serverUserIds(root));
    });

    after(() => {
        if (started)
            spawnSync(path.join(pgBin!, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "-t", "30", "stop"], {
                ...ids,
                stdio: "ignore",
                timeout: TOOL_TIMEOUT_MS,
                cwd: root,
            });
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("each database's DATABASE_URL (and the read-only one) logs in as its user; a wrong password does not", async function () {
        this.timeout(90_000);
        const [port] = await freePorts(1);
        const init = spawnSync(
            path.join(pgBin!, "initdb"),
            ["-D", dataDir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"],
            asServer(),
        );
        expect(init.status, init.stderr).to.equal(0);
        const start = spawnSync(
            path.join(pgBin!, "pg_ctl"),
            [
                "-D",
                dataDir,
                "-l",
                path.join(root, "log"),
                "-w",
                "-t",
                "30",
                "-o",
                `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`,
                "start",
            ],
            asServer(),
        );
        expect(start.status, start.stderr).to.equal(0);
        started = true;
        // The managed server as a provider hands it over: the databases and their owners exist.
        const superuser = (sql: string) =>
            spawnSync(
                psql,
                ["-h", root, "-p", String(port), "-U", "postgres", "-d", "postgres", "-qAtc", sql],
                asServer(),
            );
        for (const [db, c] of Object.entries(EXTERNAL.databases)) {
            const user = (c as { username?: string }).username ?? db;
            expect(superuser(`CREATE ROLE "${user}" LOGIN PASSWORD '${c.password}'`).status).to.equal(0);
            expect(superuser(`CREATE DATABASE "${db}" OWNER "${user}"`).status).to.equal(0);
        }

        // The stack pointed at it (no TLS on this laptop server: sslMode disable).
        const external = { ...EXTERNAL, host: "localhost", readOnlyHost: "localhost", port, sslMode: "disable" };
        const r = await renderStack("prod", { overrides: { postgres: { external } } });
        for (const db of Object.keys(EXTERNAL.databases)) {
            const data = r.resources.find((x) => x.name === `postgres-client-${db}`)!.inputs.stringData;
            for (const key of ["uri", "ro-uri"]) {
                const uri = new URL(data[key]);
                uri.hostname = "127.0.0.1";
                const login = spawnSync(
                    psql,
                    [uri.toString(), "-qAtc", "SELECT current_user || ' ' || current_database()"],
                    asServer(),
                );
                expect(login.status, `${db} ${key}: ${login.stderr}`).to.equal(0);
                expect(login.stdout.trim()).to.equal(`${data.username} ${db}`);
            }
            // libpq's own variables, as the pods receive them (PGHOST ... PGSSLMODE), log in too.
            const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
            for (const [name, key] of Object.entries(DATABASE_SECRET_ENV)) env[name] = data[key];
            env.PGHOST = "127.0.0.1";
            const viaEnv = spawnSync(psql, ["-qAtc", "SELECT current_database()"], { ...asServer(), env });
            expect(viaEnv.stdout.trim(), viaEnv.stderr).to.equal(db);
            const wrong = new URL(data.uri);
            wrong.hostname = "127.0.0.1";
            wrong.password = "wrong";
            expect(spawnSync(psql, [wrong.toString(), "-qAtc", "SELECT 1"], asServer()).status).to.not.equal(0);
        }
    });
});
