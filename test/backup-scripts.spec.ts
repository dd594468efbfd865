// End-to-end tests of scripts/backup/*.sh against real PostgreSQL and Redis servers started on
// random loopback ports in temp dirs. Skips only when a binary is absent and CI is not "true".
import { findPgBin, hasBinary, requireTools, sha256File, sleep, waitFor, TOOL_TIMEOUT_MS } from "./lib/tools";
import { freePort, freePorts } from "./lib/ports";
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { authDirectives, sentinelConf } from "../lib/redis/conf";

/** How long a poll in this spec waits: a guard against a hang, not a speed budget. */
const POLL_TIMEOUT_MS = 120_000;

const SCRIPT_DIR = path.join(__dirname, "..", "scripts", "backup");
const PG_BACKUP = path.join(SCRIPT_DIR, "pg-backup.sh");
const PG_RESTORE = path.join(SCRIPT_DIR, "pg-restore.sh");
const PG_VERIFY = path.join(SCRIPT_DIR, "pg-verify.sh");
const RETENTION = path.join(SCRIPT_DIR, "retention.sh");
const REDIS_SNAPSHOT = path.join(SCRIPT_DIR, "redis-snapshot.sh");

// Characters that break naive quoting: proves the env-only password transport end to end.
const PG_PASSWORD = "pg pa$$ 'w\"rd' 9";
const REDIS_PASSWORD = 'redis pa$$ "w\\rd" 4b1e';

/** Newest PostgreSQL bin dir (Debian keeps it off PATH). */

interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

function runScript(script: string, env: NodeJS.ProcessEnv, timeoutMs = TOOL_TIMEOUT_MS): RunResult {
    const r: SpawnSyncReturns<string> = spawnSync("bash", [script], { env, encoding: "utf8", timeout: timeoutMs });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** All files below dir, relative, sorted ("" when dir is absent). */
function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return (fs.readdirSync(dir, { recursive: true }) as string[])
        .filter((f) => fs.statSync(path.join(dir, f)).isFile())
        .sort();
}

function artifactsIn(dir: string, ext: string): string[] {
    return listFiles(dir).filter((f) => f.endsWith(`.${ext}`) && !path.basename(f).startsWith("."));
}

function flipBytes(file: string, offset: number): void {
    const buf = fs.readFileSync(file);
    for (let i = offset; i < offset + 16 && i < buf.length; i++) {
        buf[i] ^= 0xff;
    }
    fs.writeFileSync(file, buf);
}

function writeChecksum(file: string): void {
    fs.writeFileSync(`${file}.sha256`, `${sha256File(file)}  ${path.basename(file)}\n`);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

class PgCluster {
    readonly root: string;
    readonly pgDir: string;
    port = 0;
    private started = false;
    private readonly ids: { uid?: number; gid?: number } = {};

    constructor(readonly bin: string) {
        this.root = fs.mkdtempSync(path.join(os.tmpdir(), "sw-backup-pg-"));
        fs.chmodSync(this.root, 0o755);
        this.pgDir = path.join(this.root, "pg");
        fs.mkdirSync(this.pgDir);
        // initdb refuses to run as root: run the server as the postgres (or nobody) user then.
        if (process.getuid?.() === 0) {
            const id = (flag: string, user: string) => spawnSync("id", [flag, user], { encoding: "utf8" });
            const user = id("-u", "postgres").status === 0 ? "postgres" : "nobody";
            this.ids.uid = Number(id("-u", user).stdout.trim());
            this.ids.gid = Number(id("-g", user).stdout.trim());
            fs.chownSync(this.pgDir, this.ids.uid, this.ids.gid);
        }
    }

    async start(): Promise<void> {
        this.port = await freePort();
        const pwfile = path.join(this.pgDir, "pwfile");
        fs.writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
        if (this.ids.uid !== undefined) {
            fs.chownSync(pwfile, this.ids.uid, this.ids.gid!);
        }
        const asServer = { ...this.ids, encoding: "utf8" as const, timeout: TOOL_TIMEOUT_MS, cwd: this.pgDir };
        const init = spawnSync(
            path.join(this.bin, "initdb"),
            [
                "-D",
                path.join(this.pgDir, "data"),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                `--pwfile=${pwfile}`,
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            asServer,
        );
        if (init.status !== 0) {
            throw new Error(`initdb failed: ${init.stderr}`);
        }
        const opts =
            `-p ${this.port} -k ${this.pgDir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
            "-c full_page_writes=off -c synchronous_commit=off";
        const start = spawnSync(
            path.join(this.bin, "pg_ctl"),
            [
                "-D",
                path.join(this.pgDir, "data"),
                "-l",
                path.join(this.pgDir, "log"),
                "-w",
                "-t",
                "30",
                "-o",
                opts,
                "start",
            ],
            asServer,
        );
        if (start.status !== 0) {
            throw new Error(`pg_ctl start failed: ${start.stderr}${start.stdout}`);
        }
        this.started = true;
    }

    stop(): void {
        if (this.started) {
            spawnSync(
                path.join(this.bin, "pg_ctl"),
                ["-D", path.join(this.pgDir, "data"), "-m", "immediate", "-w", "-t", "30", "stop"],
                { ...this.ids, stdio: "ignore", timeout: TOOL_TIMEOUT_MS, cwd: this.pgDir },
            );
            this.started = false;
        }
        fs.rmSync(this.root, { recursive: true, force: true });
    }

    /** Environment the scripts run with: libpq over TCP with a password, as in the CronJob pods. */
    env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        return {
            PATH: `${this.bin}:${process.env.PATH}`,
            HOME: this.root,
            LANG: "C.UTF-8",
            PGHOST: "127.0.0.1",
            PGPORT: String(this.port),
            PGUSER: "postgres",
            PGPASSWORD: PG_PASSWORD,
            PGCONNECT_TIMEOUT: "10",
            ...extra,
        };
    }

    psql(db: string, sql: string): string {
        const r = spawnSync(path.join(this.bin, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db], {
            env: this.env(),
            input: sql,
            encoding: "utf8",
            timeout: TOOL_TIMEOUT_MS,
        });
        if (r.status !== 0) {
            throw new Error(`psql on ${db} failed: ${r.stderr}`);
        }
        return r.stdout.trim();
    }

    databases(): string[] {
        return this.psql("postgres", "SELECT datname FROM pg_database ORDER BY 1").split("\n");
    }

    /** Row count and md5 of the ordered rows of every table, plus sequence positions. */
    fingerprint(db: string): Record<string, string> {
        const tables = this.psql(
            db,
            "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables " +
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        ).split("\n");
        const parts = tables.map(
            (t) =>
                `SELECT '${t.replace(/'/g, "''")}', count(*)::text || ':' || ` +
                `md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM ${t} x`,
        );
        parts.push("SELECT 'seq:customers_id_seq', last_value::text FROM public.customers_id_seq");
        const out: Record<string, string> = {};
        for (const line of this.psql(db, parts.join("\nUNION ALL\n")).split("\n")) {
            const [name, value] = line.split("|");
            out[name] = value;
        }
        return out;
    }
}

const SEED_SQL = String.raw`
CREATE EXTENSION pgcrypto;
CREATE TABLE customers (
    id serial PRIMARY KEY,
    name text NOT NULL,
    email text UNIQUE,
    notes text,
    created_at timestamptz NOT NULL
);
INSERT INTO customers (name, email, notes, created_at)
SELECT 'Customer ' || g || ' – Müller ✓', 'c' || g || '@example.test',
       CASE WHEN g % 7 = 0 THEN NULL ELSE repeat(md5(g::text), 1 + g % 5) END,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes'
FROM generate_series(1, 3000) g;
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers(id),
    total numeric(12, 2) NOT NULL,
    payload jsonb,
    signature bytea
);
INSERT INTO orders (customer_id, total, payload, signature)
SELECT 1 + g % 3000, (g * 13 % 100000) / 100.0,
       jsonb_build_object('items', g % 9, 'tags', jsonb_build_array('a' || g % 4, 'line
break', 'quote"d')),
       digest(g::text, 'sha256')
FROM generate_series(1, 5000) g;
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE VIEW big_spenders AS SELECT customer_id, sum(total) AS spent FROM orders GROUP BY 1 HAVING sum(total) > 500;
CREATE SCHEMA audit;
CREATE TABLE audit."Event Log" (id int PRIMARY KEY, "Message" text, at date);
INSERT INTO audit."Event Log" SELECT g, E'tab\there, newline\nthere, backslash \\ ' || g, date '2024-01-01' + g % 400
FROM generate_series(1, 1500) g;
CREATE TABLE measurements (id int, at date NOT NULL, value double precision) PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO measurements SELECT g, date '2024-01-01' + g % 700, g / 7.0 FROM generate_series(1, 2000) g;
CREATE TABLE empty_table (id int);
`;

describe("backup scripts: PostgreSQL (real server)", function () {
    this.timeout(60_000);
    let pg: PgCluster | undefined;
    let work: string;
    let backupDir: string;
    let firstRun: RunResult;
    let backupStartedAt: number;
    let backupEndedAt: number;

    const cluster = (): PgCluster => pg!;
    const shopArtifact = (dir = backupDir): string => {
        const files = artifactsIn(path.join(dir, "shop"), "dump");
        expect(files, "shop artifacts").to.have.length(1);
        return path.join(dir, "shop", files[0]);
    };
    /** A fresh backup dir holding a copy of the shop backup set. */
    const copyShopSet = (name: string): string => {
        const dir = path.join(work, name);
        fs.cpSync(path.join(backupDir, "shop"), path.join(dir, "shop"), { recursive: true });
        return dir;
    };

    before(async function () {
        const bin = findPgBin();
        requireTools(this, bin ? [] : ["PostgreSQL server binaries (initdb, pg_ctl)"], "apt-get install postgresql");
        pg = new PgCluster(bin!);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "sw-backup-work-"));
        backupDir = path.join(work, "backups");
        await pg.start();
        pg.psql("postgres", "CREATE DATABASE shop; CREATE DATABASE inventory;");
        pg.psql("shop", SEED_SQL);
        pg.psql(
            "inventory",
            "CREATE TABLE items (sku text PRIMARY KEY, qty int); " +
                "INSERT INTO items SELECT 'SKU-' || g, g % 17 FROM generate_series(1, 1000) g;",
        );
        backupStartedAt = Math.floor(Date.now() / 1000);
        firstRun = runScript(PG_BACKUP, pg.env({ BACKUP_DIR: backupDir }));
        backupEndedAt = Math.ceil(Date.now() / 1000);
    });

    after(function () {
        pg?.stop();
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("pg-backup.sh dumps every non-template database with checksum, manifest and last-success", function () {
        expect(firstRun.status, firstRun.stderr).to.equal(0);
        const files = listFiles(backupDir);
        expect(
            files.filter((f) => f.includes(".partial")),
            "no partial files",
        ).to.deep.equal([]);
        for (const db of ["inventory", "postgres", "shop"]) {
            expect(artifactsIn(path.join(backupDir, db), "dump"), db).to.have.length(1);
        }
        expect(fs.existsSync(path.join(backupDir, "template1")), "templates are skipped").to.equal(false);

        const artifact = shopArtifact();
        const name = path.basename(artifact);
        expect(name).to.match(/^shop-\d{8}T\d{6}Z\.dump$/);
        const digest = sha256File(artifact);
        expect(fs.readFileSync(`${artifact}.sha256`, "utf8")).to.equal(`${digest}  ${name}\n`);
        const check = spawnSync("sha256sum", ["-c", `${name}.sha256`], {
            cwd: path.dirname(artifact),
            encoding: "utf8",
        });
        expect(check.status, check.stderr).to.equal(0);

        const manifest = JSON.parse(fs.readFileSync(`${artifact}.manifest.json`, "utf8"));
        expect(manifest.database).to.equal("shop");
        expect(manifest.artifact).to.equal(name);
        expect(manifest.sizeBytes).to.equal(fs.statSync(artifact).size);
        expect(manifest.sha256).to.equal(digest);
        expect(manifest.pgDumpVersion).to.match(/^pg_dump \(PostgreSQL\) \d+/);
        expect(manifest.serverVersion).to.equal(cluster().psql("shop", "SHOW server_version"));
        expect(manifest.serverVersionNum).to.equal(Number(cluster().psql("shop", "SHOW server_version_num")));
        const created = Date.parse(manifest.createdAt) / 1000;
        expect(created).to.be.within(backupStartedAt - 1, backupEndedAt);
        expect(name).to.include(manifest.createdAt.replace(/[-:]/g, ""));
        expect(manifest.tableRowCounts).to.deep.equal({
            "public.customers": 3000,
            "public.orders": 5000,
            'audit."Event Log"': 1500,
            "public.measurements_2024": 1097,
            "public.measurements_2025": 903,
            "public.empty_table": 0,
        });

        const readable = spawnSync(path.join(cluster().bin, "pg_restore"), ["--list", artifact], { encoding: "utf8" });
        expect(readable.status).to.equal(0);
        expect(readable.stdout).to.include("TABLE DATA public customers");
        const lastSuccess = fs.readFileSync(path.join(backupDir, "last-success"), "utf8").trim();
        expect(Date.parse(lastSuccess) / 1000).to.be.within(backupStartedAt - 1, backupEndedAt + 1);
    });

    it("pg-restore.sh restores the newest backup into a new database with identical rows and content", function () {
        const r = runScript(
            PG_RESTORE,
            cluster().env({
                BACKUP_DIR: backupDir,
                SOURCE_DATABASE: "shop",
                TARGET_DATABASE: "shop_restored",
            }),
        );
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.include("row counts of all tables match the manifest");
        const source = cluster().fingerprint("shop");
        expect(Object.keys(source)).to.have.length(8);
        expect(cluster().fingerprint("shop_restored")).to.deep.equal(source);
        expect(cluster().psql("shop_restored", "SELECT count(*) FROM big_spenders")).to.equal(
            cluster().psql("shop", "SELECT count(*) FROM big_spenders"),
        );
    });

    it("pg-restore.sh refuses to overwrite a non-empty database unless FORCE=1, then replaces it", function () {
        const env = { BACKUP_DIR: backupDir, SOURCE_DATABASE: "shop", TARGET_DATABASE: "shop_live" };
        cluster().psql("postgres", "CREATE DATABASE shop_live");
        cluster().psql("shop_live", "CREATE TABLE marker (note text); INSERT INTO marker VALUES ('keep me');");

        const refused = runScript(PG_RESTORE, cluster().env(env));
        expect(refused.status).to.equal(4);
        expect(refused.stderr).to.include("exists and is not empty");
        expect(cluster().psql("shop_live", "SELECT note FROM marker")).to.equal("keep me");

        const forced = runScript(PG_RESTORE, cluster().env({ ...env, FORCE: "1" }));
        expect(forced.status, forced.stderr).to.equal(0);
        expect(cluster().psql("shop_live", "SELECT to_regclass('public.marker') IS NULL")).to.equal("t");
        expect(cluster().fingerprint("shop_live")).to.deep.equal(cluster().fingerprint("shop"));
        expect(
            cluster()
                .databases()
                .filter((d) => d.includes("_restore_") || d.includes("_replaced_")),
        ).to.deep.equal([]);
    });

    it("pg-restore.sh restores into an existing empty database without FORCE", function () {
        cluster().psql("postgres", "CREATE DATABASE shop_empty TEMPLATE template0");
        const r = runScript(
            PG_RESTORE,
            cluster().env({
                BACKUP_DIR: backupDir,
                ARTIFACT: path.relative(backupDir, shopArtifact()),
                TARGET_DATABASE: "shop_empty",
            }),
        );
        expect(r.status, r.stderr).to.equal(0);
        expect(cluster().fingerprint("shop_empty")).to.deep.equal(cluster().fingerprint("shop"));
    });

    it("pg-restore.sh rejects an artifact whose checksum does not match and creates nothing", function () {
        const dir = copyShopSet("restore-corrupt");
        const artifact = shopArtifact(dir);
        flipBytes(artifact, Math.floor(fs.statSync(artifact).size / 2));
        const r = runScript(PG_RESTORE, cluster().env({ ARTIFACT: artifact, TARGET_DATABASE: "shop_from_corrupt" }));
        expect(r.status).to.equal(3);
        expect(r.stderr).to.include("checksum MISMATCH");
        expect(cluster().databases()).not.to.include("shop_from_corrupt");
    });

    it("pg-verify.sh passes on good backups and leaves no scratch database", function () {
        const r = runScript(PG_VERIFY, cluster().env({ BACKUP_DIR: backupDir, MAX_BACKUP_AGE_HOURS: "26" }));
        expect(r.status, r.stderr).to.equal(0);
        for (const db of ["inventory", "postgres", "shop"]) {
            expect(r.stderr).to.include(`${db}: OK`);
        }
        expect(
            cluster()
                .databases()
                .filter((d) => d.startsWith("backup_verify_")),
        ).to.deep.equal([]);
        expect(fs.existsSync(path.join(backupDir, "last-verify-success"))).to.equal(true);
    });

    it("pg-verify.sh fails on a corrupted dump (flipped bytes)", function () {
        const dir = copyShopSet("verify-flipped");
        const artifact = shopArtifact(dir);
        flipBytes(artifact, Math.floor(fs.statSync(artifact).size / 3));
        const r = runScript(PG_VERIFY, cluster().env({ BACKUP_DIR: dir }));
        expect(r.status).to.not.equal(0);
        expect(r.stderr).to.include("VERIFY FAILED: shop: checksum check failed");
        expect(fs.existsSync(path.join(dir, "last-verify-success"))).to.equal(false);
    });

    it("pg-verify.sh fails on flipped bytes even when the checksum was recomputed", function () {
        const dir = copyShopSet("verify-flipped-resummed");
        const artifact = shopArtifact(dir);
        flipBytes(artifact, Math.floor(fs.statSync(artifact).size / 2));
        writeChecksum(artifact);
        const r = runScript(PG_VERIFY, cluster().env({ BACKUP_DIR: dir }));
        expect(r.status).to.not.equal(0);
        expect(r.stderr).to.match(/VERIFY FAILED: shop: (restore of .* failed|pg_restore cannot read|row counts)/);
        expect(
            cluster()
                .databases()
                .filter((d) => d.startsWith("backup_verify_")),
        ).to.deep.equal([]);
    });

    it("pg-verify.sh fails on a truncated dump, with the old or a recomputed checksum", function () {
        for (const resum of [false, true]) {
            const dir = copyShopSet(`verify-truncated-${resum}`);
            const artifact = shopArtifact(dir);
            fs.truncateSync(artifact, Math.floor(fs.statSync(artifact).size * 0.6));
            if (resum) {
                writeChecksum(artifact);
            }
            const r = runScript(PG_VERIFY, cluster().env({ BACKUP_DIR: dir }));
            expect(r.status, `resum=${resum}`).to.not.equal(0);
            expect(r.stderr).to.include(resum ? "restore of" : "checksum MISMATCH");
            expect(r.stderr).to.include("VERIFICATION FAILED for 1 database(s): shop");
        }
        expect(
            cluster()
                .databases()
                .filter((d) => d.startsWith("backup_verify_")),
        ).to.deep.equal([]);
    });

    it("pg-verify.sh fails when restored row counts differ from the manifest", function () {
        const dir = copyShopSet("verify-counts");
        const manifestPath = `${shopArtifact(dir)}.manifest.json`;
        const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
        manifest.tableRowCounts["public.orders"] = 5001;
        fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
        const r = runScript(PG_VERIFY, cluster().env({ BACKUP_DIR: dir }));
        expect(r.status).to.not.equal(0);
        expect(r.stderr).to.include("public.orders: manifest says 5001 rows, restored database has 5000");
    });

    it("pg-verify.sh fails when the newest backup is older than MAX_BACKUP_AGE_HOURS", function () {
        const dir = copyShopSet("verify-stale");
        const artifact = shopArtifact(dir);
        const old = path.join(path.dirname(artifact), "shop-20200101T020000Z.dump");
        for (const suffix of ["", ".sha256", ".manifest.json"]) {
            fs.renameSync(artifact + suffix, old + suffix);
        }
        const r = runScript(PG_VERIFY, cluster().env({ BACKUP_DIR: dir, MAX_BACKUP_AGE_HOURS: "48" }));
        expect(r.status).to.not.equal(0);
        expect(r.stderr).to.match(/newest backup shop-20200101T020000Z\.dump is \d+h old/);
    });

    it("a backup with a wrong password leaves no artifact and no last-success", function () {
        const dir = path.join(work, "fail-password");
        const r = runScript(PG_BACKUP, cluster().env({ BACKUP_DIR: dir, DATABASES: "shop", PGPASSWORD: "wrong" }));
        expect(r.status).to.equal(1);
        expect(r.stderr).to.include("password authentication failed");
        expect(listFiles(dir)).to.deep.equal([]);
    });

    it("a backup of a nonexistent database fails loudly but still backs up the others", function () {
        const dir = path.join(work, "fail-missing-db");
        const r = runScript(PG_BACKUP, cluster().env({ BACKUP_DIR: dir, DATABASES: "inventory no_such_db" }));
        expect(r.status).to.equal(1);
        expect(r.stderr).to.include("backup FAILED for 1 database(s): no_such_db");
        expect(fs.existsSync(path.join(dir, "no_such_db"))).to.equal(false);
        expect(artifactsIn(path.join(dir, "inventory"), "dump")).to.have.length(1);
        expect(fs.existsSync(path.join(dir, "last-success"))).to.equal(false);
    });

    it("a backup blocked by a table lock gives up after PG_LOCK_WAIT_TIMEOUT_SECONDS and leaves nothing", async function () {
        const dir = path.join(work, "fail-lock");
        // A migration-like session holding ACCESS EXCLUSIVE on a table for longer than the timeout.
        const locker = spawn(path.join(cluster().bin, "psql"), ["-X", "-q", "-d", "inventory"], {
            env: cluster().env({ PGAPPNAME: "lock-holder" }),
            stdio: ["pipe", "ignore", "ignore"],
        });
        try {
            locker.stdin!.write("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30);\n");
            await waitFor(
                "the exclusive lock",
                POLL_TIMEOUT_MS,
                () =>
                    cluster().psql(
                        "postgres",
                        "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation IS NOT NULL " +
                            "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = 'inventory')",
                    ) !== "0",
            );
            const r = runScript(
                PG_BACKUP,
                cluster().env({
                    BACKUP_DIR: dir,
                    DATABASES: "inventory",
                    PG_LOCK_WAIT_TIMEOUT_SECONDS: "1",
                }),
            );
            expect(r.status).to.equal(1);
            expect(r.stderr).to.include("lock timeout");
            // It gave up while the lock was still held (the holder's transaction stays open until it is killed),
            // instead of waiting it out: an order of events, not a wall-clock budget.
            expect(
                cluster().psql(
                    "postgres",
                    "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation IS NOT NULL " +
                        "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = 'inventory')",
                ),
                "the lock is still held",
            ).to.not.equal("0");
            expect(listFiles(dir)).to.deep.equal([]);
        } finally {
            locker.kill("SIGKILL");
            cluster().psql(
                "postgres",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-holder'",
            );
        }
    });

    describe("with a pg_dump that dies mid-write (PATH shim around the real server)", function () {
        let shimDir: string;
        before(function () {
            shimDir = path.join(work, "shim");
            fs.mkdirSync(shimDir, { recursive: true });
            // Writes the start of a dump, then crashes or hangs like a pg_dump killed mid-way.
            fs.writeFileSync(
                path.join(shimDir, "pg_dump"),
                [
                    "#!/bin/bash",
                    'for a in "$@"; do case $a in --file=*) out=${a#--file=} ;; esac; done',
                    'printf "PGDMP partial dump" >"$out"',
                    'echo $$ >"$SHIM_PID_FILE"',
                    "if [[ $SHIM_MODE == hang ]]; then exec sleep 30; fi",
                    "echo 'pg_dump: error: simulated crash' >&2",
                    "exit 1",
                    "",
                ].join("\n"),
                { mode: 0o755 },
            );
        });

        const shimEnv = (dir: string, mode: string) =>
            cluster().env({
                BACKUP_DIR: dir,
                DATABASES: "shop",
                SHIM_MODE: mode,
                SHIM_PID_FILE: path.join(work, `shim-${mode}.pid`),
                PATH: `${shimDir}:${cluster().bin}:${process.env.PATH}`,
            });

        it("a crashing pg_dump leaves no partial artifact", function () {
            const dir = path.join(work, "fail-crash");
            const r = runScript(PG_BACKUP, shimEnv(dir, "crash"));
            expect(r.status).to.equal(1);
            expect(r.stderr).to.include("simulated crash");
            expect(r.stderr).to.match(/removed incomplete file .*\.partial/);
            expect(listFiles(dir)).to.deep.equal([]);
        });

        it("SIGTERM during the dump stops pg_dump and removes the partial file", async function () {
            const dir = path.join(work, "fail-sigterm");
            const env = shimEnv(dir, "hang");
            const child: ChildProcess = spawn("bash", [PG_BACKUP], { env, stdio: ["ignore", "ignore", "pipe"] });
            let stderr = "";
            child.stderr!.on("data", (d) => (stderr += d));
            const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
            try {
                await waitFor("the partial dump", POLL_TIMEOUT_MS, () =>
                    listFiles(dir).some((f) => f.endsWith(".partial")),
                );
                await waitFor("the shim pid", POLL_TIMEOUT_MS, () => fs.existsSync(env.SHIM_PID_FILE!));
                child.kill("SIGTERM");
                const code = await Promise.race([exited, sleep(15_000).then(() => "timeout" as const)]);
                expect(code, stderr).to.equal(143);
            } finally {
                child.kill("SIGKILL");
            }
            expect(stderr).to.include("received SIGTERM");
            expect(listFiles(dir)).to.deep.equal([]);
            const shimPid = Number(fs.readFileSync(env.SHIM_PID_FILE!, "utf8"));
            expect(() => process.kill(shimPid, 0), "pg_dump (shim) was stopped").to.throw();
        });
    });

    it("pg-backup.sh applies retention after a successful backup, keeping the newest", function () {
        const dir = path.join(work, "retention-after-backup");
        const set = path.join(dir, "inventory");
        fs.mkdirSync(set, { recursive: true });
        for (const day of ["20200101", "20200102", "20200103"]) {
            const file = path.join(set, `inventory-${day}T020000Z.dump`);
            fs.writeFileSync(file, `fake ${day}`);
            writeChecksum(file);
            fs.writeFileSync(`${file}.manifest.json`, "{}");
        }
        const r = runScript(
            PG_BACKUP,
            cluster().env({
                BACKUP_DIR: dir,
                DATABASES: "inventory",
                RETAIN_DAILY: "2",
                RETAIN_WEEKLY: "0",
                RETAIN_MONTHLY: "0",
            }),
        );
        expect(r.status, r.stderr).to.equal(0);
        const left = artifactsIn(set, "dump");
        expect(left).to.have.length(2);
        expect(left[0]).to.equal("inventory-20200103T020000Z.dump");
        expect(left[1])
            .to.match(/^inventory-\d{8}T\d{6}Z\.dump$/)
            .and.not.equal("inventory-20200102T020000Z.dump");
        expect(listFiles(set).filter((f) => f.startsWith("inventory-20200102"))).to.deep.equal([]);
    });
});

// ---------------------------------------------------------------------------------------------
// Retention (pure file logic; needs only bash and coreutils)
// ---------------------------------------------------------------------------------------------

describe("backup scripts: GFS retention", function () {
    this.timeout(30_000);
    let dir: string;

    beforeEach(function () {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "sw-backup-retention-"));
    });
    afterEach(function () {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Writes a complete backup set with a real checksum. */
    const fakeBackup = (set: string, stamp: string, ext = "dump", content = `data ${stamp}`): string => {
        fs.mkdirSync(path.join(dir, set), { recursive: true });
        const file = path.join(dir, set, `${set}-${stamp}.${ext}`);
        fs.writeFileSync(file, content);
        writeChecksum(file);
        fs.writeFileSync(`${file}.manifest.json`, JSON.stringify({ createdAt: stamp }));
        return file;
    };
    const dayStamp = (d: Date, hh = "02"): string => `${d.toISOString().slice(0, 10).replace(/-/g, "")}T${hh}0000Z`;
    const runRetention = (env: NodeJS.ProcessEnv = {}) =>
        runScript(RETENTION, { PATH: process.env.PATH, LANG: "C.UTF-8", BACKUP_DIR: dir, ...env });
    const keptStamps = (set: string, ext = "dump"): string[] =>
        artifactsIn(path.join(dir, set), ext).map((f) => f.slice(set.length + 1, set.length + 17));

    it("keeps exactly 7 daily, 4 weekly and 12 monthly backups across 45 simulated days", function () {
        for (let i = 0; i < 45; i++) {
            fakeBackup("app", dayStamp(new Date(Date.UTC(2025, 0, 1 + i)))); // 2025-01-01 .. 2025-02-14
        }
        fakeBackup("app", "20250212T010000Z"); // earlier backup of a day that has a newer one
        // Leftovers of failed runs: incomplete set, orphaned checksum, stale and in-flight partials.
        fs.writeFileSync(path.join(dir, "app", "app-20250120T030000Z.dump"), "no checksum, no manifest");
        fs.writeFileSync(path.join(dir, "app", "app-20250110T030000Z.dump.sha256"), "orphan");
        fs.writeFileSync(path.join(dir, "app", ".app-20250213T030000Z.dump.partial"), "stale");
        fs.writeFileSync(path.join(dir, "app", ".app-20250215T020000Z.dump.partial"), "in flight");
        fs.writeFileSync(path.join(dir, "app", "README.txt"), "not ours");
        for (const stamp of ["20240101T020000Z", "20240102T020000Z", "20240103T020000Z"]) {
            fakeBackup("cache", stamp, "rdb");
        }

        const r = runRetention();
        expect(r.status, r.stderr).to.equal(0);
        // Daily: Feb 8..14. Weekly (ISO): W07 -> Feb 14, W06 -> Feb 9, W05 -> Feb 2, W04 -> Jan 26.
        // Monthly: Feb -> Feb 14, Jan -> Jan 31.
        const expected = [
            "20250214",
            "20250213",
            "20250212",
            "20250211",
            "20250210",
            "20250209",
            "20250208",
            "20250202",
            "20250131",
            "20250126",
        ].map((d) => `${d}T020000Z`);
        expect(keptStamps("app")).to.deep.equal([...expected].sort());
        const files = listFiles(path.join(dir, "app"));
        for (const stamp of expected) {
            for (const suffix of ["", ".sha256", ".manifest.json"]) {
                expect(files).to.include(`app-${stamp}.dump${suffix}`);
            }
        }
        expect(files).to.have.length(expected.length * 3 + 2);
        expect(files).to.include(".app-20250215T020000Z.dump.partial");
        expect(files).to.include("README.txt");
        expect(keptStamps("cache", "rdb")).to.have.length(3);
        expect(r.stderr).to.include("deleted 36");
    });

    it("keeps at most RETAIN_MONTHLY months over a longer history", function () {
        for (let m = 0; m < 15; m++) {
            fakeBackup("app", dayStamp(new Date(Date.UTC(2024, m, 15))));
        }
        const r = runRetention();
        expect(r.status, r.stderr).to.equal(0);
        // 2024-01 .. 2025-03: the newest 12 months are 2024-04 .. 2025-03.
        expect(keptStamps("app")).to.deep.equal(
            Array.from({ length: 12 }, (_, i) => dayStamp(new Date(Date.UTC(2024, 3 + i, 15)))),
        );
    });

    it("never deletes the newest good backup, even with all counts at 0, and skips corrupt ones", function () {
        fakeBackup("app", "20250101T020000Z");
        const good = fakeBackup("app", "20250102T020000Z");
        const corrupt = fakeBackup("app", "20250103T020000Z");
        fs.writeFileSync(corrupt, "bit rot");
        const r = runRetention({ RETAIN_DAILY: "0", RETAIN_WEEKLY: "0", RETAIN_MONTHLY: "0" });
        expect(r.status, r.stderr).to.equal(0);
        expect(keptStamps("app")).to.deep.equal(["20250102T020000Z"]);
        expect(fs.existsSync(good)).to.equal(true);
        expect(r.stderr).to.include("checksum MISMATCH");
    });

    it("deletes nothing and fails when no backup of a set verifies", function () {
        const only = fakeBackup("app", "20250101T020000Z");
        fs.writeFileSync(only, "bit rot");
        fakeBackup("app", "20241201T020000Z");
        fs.writeFileSync(path.join(dir, "app", "app-20241201T020000Z.dump"), "bit rot too");
        const r = runRetention({ RETAIN_DAILY: "0", RETAIN_WEEKLY: "0", RETAIN_MONTHLY: "0" });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.include("nothing deleted");
        expect(keptStamps("app")).to.have.length(2);
    });

    it("rejects a non-numeric RETAIN_DAILY with exit code 2", function () {
        fakeBackup("app", "20250101T020000Z");
        const r = runRetention({ RETAIN_DAILY: "seven" });
        expect(r.status).to.equal(2);
        expect(r.stderr).to.include("RETAIN_DAILY must be a non-negative integer");
    });
});

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

/** redis-cli against a loopback server or Sentinel; the password travels in the environment. */
function redisCli(port: number, password: string | undefined, ...args: string[]): SpawnSyncReturns<string> {
    return spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
        env: { PATH: process.env.PATH, ...(password ? { REDISCLI_AUTH: password } : {}) },
        encoding: "utf8",
        timeout: TOOL_TIMEOUT_MS,
    });
}

/** SIGKILLs a child that still runs and waits (at most 5 s) until it has exited. */
async function killAndWait(proc: ChildProcess | undefined): Promise<void> {
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await Promise.race([exited, sleep(5000)]);
}

class RedisServer {
    proc?: ChildProcess;
    port = 0;
    constructor(
        readonly dir: string,
        private readonly password?: string,
    ) {}

    async start(extraArgs: string[] = []): Promise<void> {
        fs.mkdirSync(this.dir, { recursive: true });
        this.port = await freePort();
        const args = [
            "--port",
            String(this.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            this.dir,
            "--save",
            "",
            "--appendonly",
            "no",
            "--repl-diskless-sync-delay",
            "0",
            "--enable-debug-command",
            "local",
            "--logfile",
            path.join(this.dir, "server.log"),
            ...extraArgs,
        ];
        if (this.password) {
            args.push("--requirepass", this.password, "--masterauth", this.password);
        }
        this.proc = spawn("redis-server", args, { stdio: "ignore" });
        await waitFor(`redis-server on ${this.port}`, POLL_TIMEOUT_MS, () => {
            const info = this.cli("INFO", "persistence");
            return info.status === 0 && info.stdout.includes("loading:0");
        });
    }

    cli(...args: string[]): SpawnSyncReturns<string> {
        return redisCli(this.port, this.password, ...args);
    }

    /** Runs CMD (trimmed stdout), failing on an error reply. */
    call(...args: string[]): string {
        const r = this.cli(...args);
        if (r.status !== 0 || /^(ERR|NOAUTH|WRONGPASS)/.test(r.stdout)) {
            throw new Error(`redis-cli ${args.join(" ")}: ${r.stdout}${r.stderr}`);
        }
        return r.stdout.trim();
    }

    async stop(): Promise<void> {
        await killAndWait(this.proc);
    }
}

describe("backup scripts: Redis snapshots (real server)", function () {
    this.timeout(60_000);
    let work: string;
    let primary: RedisServer;
    let replica: RedisServer;
    const started: RedisServer[] = [];
    let cliWrapper: string;
    let argvLog: string;

    const snapshotEnv = (backupDir: string, port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
        PATH: process.env.PATH,
        LANG: "C.UTF-8",
        BACKUP_DIR: backupDir,
        REDIS_HOST: "127.0.0.1",
        REDIS_PORT: String(port),
        REDIS_PASSWORD,
        REDIS_CLI: cliWrapper,
        REDIS_CHECK_RDB: "redis-check-rdb",
        REDIS_SNAPSHOT_TIMEOUT_SECONDS: "30",
        ...extra,
    });

    /** Starts a fresh, password-less server on the produced RDB and checks it holds the same data. */
    const assertRestoresIdentically = async (rdb: string, label: string) => {
        const freshDir = path.join(work, `fresh-${label}`);
        fs.mkdirSync(freshDir, { recursive: true });
        fs.copyFileSync(rdb, path.join(freshDir, "dump.rdb"));
        const fresh = new RedisServer(freshDir);
        started.push(fresh);
        await fresh.start(["--dbfilename", "dump.rdb"]);
        expect(fresh.call("DEBUG", "DIGEST"), "dataset digest").to.equal(primary.call("DEBUG", "DIGEST"));
        expect(fresh.call("DBSIZE")).to.equal("1103");
        expect(fresh.call("-n", "1", "DBSIZE")).to.equal("50");
        expect(fresh.call("GET", "user:42")).to.equal("name-42 ✓ ünïcode");
        expect(fresh.call("HGET", "session:7", "b")).to.equal("beta-7");
        expect(fresh.call("LRANGE", "queue", "0", "2")).to.equal("job-1\njob-2\njob-3");
        expect(fresh.call("ZSCORE", "leaderboard", "player-10")).to.equal("15");
        expect(fresh.call("XLEN", "events")).to.equal("3");
        expect(Number(fresh.call("TTL", "temp"))).to.be.within(1, 3600);
        const bin = spawnSync("redis-cli", ["-p", String(fresh.port), "--raw", "GET", "bin"]);
        expect(bin.stdout.subarray(0, 4).equals(Buffer.from([0x00, 0x01, 0xfe, 0xff]))).to.equal(true);
        await fresh.stop();
    };

    before(async function () {
        requireTools(
            this,
            ["redis-server", "redis-cli", "redis-check-rdb"].filter((b) => !hasBinary(b)),
            "apt-get install redis-server",
        );
        work = fs.mkdtempSync(path.join(os.tmpdir(), "sw-backup-redis-"));
        argvLog = path.join(work, "cli-argv.log");
        cliWrapper = path.join(work, "redis-cli-logged");
        // Records every CLI argv, so the test can prove the password never appears in one.
        fs.writeFileSync(cliWrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >>'${argvLog}'\nexec redis-cli "$@"\n`, {
            mode: 0o755,
        });

        primary = new RedisServer(path.join(work, "primary"), REDIS_PASSWORD);
        started.push(primary);
        await primary.start();
        const cmds: string[] = [];
        for (let i = 1; i <= 500; i++) {
            cmds.push(`SET user:${i} "name-${i} ✓ ünïcode"`);
        }
        for (let i = 1; i <= 100; i++) {
            cmds.push(`HSET session:${i} a alpha-${i} b beta-${i} c "${"x".repeat(i)}"`);
        }
        for (let i = 1; i <= 1000; i += 100) {
            cmds.push(`RPUSH queue ${Array.from({ length: 100 }, (_, j) => `job-${i + j}`).join(" ")}`);
        }
        for (let i = 1; i <= 496; i++) {
            cmds.push(`SADD tag:${i % 8} member-${i}`, `ZADD leaderboard ${i * 1.5} player-${i}`);
        }
        cmds.push(
            'SET bin "\\x00\\x01\\xfe\\xff"',
            "SET temp soon-gone EX 3600",
            "XADD events * kind a",
            "XADD events * kind b",
            "XADD events * kind c",
        );
        for (let i = 0; i < 490; i++) {
            cmds.push(`SET plain:${i} ${i}`);
        }
        const seed = spawnSync("redis-cli", ["-p", String(primary.port)], {
            input: cmds.join("\n") + "\n",
            env: { PATH: process.env.PATH, REDISCLI_AUTH: REDIS_PASSWORD },
            encoding: "utf8",
        });
        expect(seed.status, seed.stderr).to.equal(0);
        const seedDb1 = spawnSync("redis-cli", ["-p", String(primary.port), "-n", "1"], {
            input: Array.from({ length: 50 }, (_, i) => `SET db1:${i} v${i}`).join("\n") + "\n",
            env: { PATH: process.env.PATH, REDISCLI_AUTH: REDIS_PASSWORD },
            encoding: "utf8",
        });
        expect(seedDb1.status, seedDb1.stderr).to.equal(0);
        expect(primary.call("DBSIZE")).to.equal("1103");

        replica = new RedisServer(path.join(work, "replica"), REDIS_PASSWORD);
        started.push(replica);
        await replica.start(["--replicaof", "127.0.0.1", String(primary.port)]);
        await waitFor(
            "replica in sync",
            POLL_TIMEOUT_MS,
            () =>
                replica.call("INFO", "replication").includes("master_link_status:up") &&
                replica.call("DEBUG", "DIGEST") === primary.call("DEBUG", "DIGEST"),
        );
    });

    after(async function () {
        for (const s of started) {
            await s.stop();
        }
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("snapshots a replica with --rdb, and a fresh server on the RDB holds identical data", async function () {
        const backupDir = path.join(work, "bk-replica");
        const r = runScript(REDIS_SNAPSHOT, snapshotEnv(backupDir, replica.port));
        expect(r.status, r.stderr).to.equal(0);
        const set = path.join(backupDir, "redis");
        const rdbs = artifactsIn(set, "rdb");
        expect(rdbs).to.have.length(1);
        const rdb = path.join(set, rdbs[0]);
        expect(fs.readFileSync(`${rdb}.sha256`, "utf8")).to.equal(`${sha256File(rdb)}  ${rdbs[0]}\n`);
        const manifest = JSON.parse(fs.readFileSync(`${rdb}.manifest.json`, "utf8"));
        expect(manifest).to.include({ role: "slave", masterLinkStatus: "up", mode: "rdb", keys: 1153 });
        expect(manifest.sizeBytes).to.equal(fs.statSync(rdb).size);
        expect(manifest.source).to.equal(`127.0.0.1:${replica.port}`);
        expect(listFiles(set).filter((f) => f.includes(".partial"))).to.deep.equal([]);
        expect(fs.existsSync(path.join(set, "last-success"))).to.equal(true);

        const argv = fs.readFileSync(argvLog, "utf8");
        expect(argv).to.include("--rdb");
        expect(argv).not.to.include("redis pa$$");

        await assertRestoresIdentically(rdb, "replica");
    });

    it("snapshots with BGSAVE + INFO persistence when the RDB file is local", async function () {
        const backupDir = path.join(work, "bk-bgsave");
        const r = runScript(
            REDIS_SNAPSHOT,
            snapshotEnv(backupDir, primary.port, {
                REDIS_SNAPSHOT_MODE: "bgsave",
                REDIS_RDB_PATH: path.join(primary.dir, "dump.rdb"),
                REDIS_BACKUP_NAME: "cache",
            }),
        );
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.include("BGSAVE started");
        const rdbs = artifactsIn(path.join(backupDir, "cache"), "rdb");
        expect(rdbs).to.have.length(1);
        const rdb = path.join(backupDir, "cache", rdbs[0]);
        const manifest = JSON.parse(fs.readFileSync(`${rdb}.manifest.json`, "utf8"));
        expect(manifest).to.include({ role: "master", mode: "bgsave", keys: 1153 });
        await assertRestoresIdentically(rdb, "bgsave");
    });

    it("fails with a wrong password and leaves no artifact", function () {
        const backupDir = path.join(work, "bk-wrong-password");
        const r = runScript(REDIS_SNAPSHOT, { ...snapshotEnv(backupDir, primary.port), REDIS_PASSWORD: "wrong" });
        expect(r.status).to.equal(1);
        expect(r.stderr).to.match(/cannot reach .*(WRONGPASS|NOAUTH)/);
        expect(artifactsIn(backupDir, "rdb")).to.deep.equal([]);
        expect(listFiles(backupDir).filter((f) => f.includes(".partial"))).to.deep.equal([]);
    });

    it("refuses a replica whose link to the primary is down (stale data)", async function () {
        await primary.stop();
        await waitFor("replica link down", POLL_TIMEOUT_MS, () =>
            replica.call("INFO", "replication").includes("master_link_status:down"),
        );
        const backupDir = path.join(work, "bk-stale");
        const r = runScript(REDIS_SNAPSHOT, snapshotEnv(backupDir, replica.port));
        expect(r.status).to.equal(1);
        expect(r.stderr).to.include("master_link_status:down");
        expect(listFiles(backupDir)).to.deep.equal([]);
    });
});

/** Replicas of a SENTINEL REPLICAS reply (redis-cli prints one element per line: key, value, ...). */
function sentinelReplicas(stdout: string): Record<string, string>[] {
    const lines = stdout.replace(/\r/g, "").split("\n");
    const replicas: Record<string, string>[] = [];
    for (let i = 0; i + 1 < lines.length; i += 2) {
        if (lines[i] === "name") replicas.push({});
        if (replicas.length > 0) replicas[replicas.length - 1][lines[i]] = lines[i + 1];
    }
    return replicas;
}

describe("backup scripts: Redis snapshot source chosen by Sentinel (real servers)", function () {
    this.timeout(60_000);
    const MASTER = "cache";
    let work: string;
    let primary: RedisServer;
    let replica: RedisServer;
    let sentinel: ChildProcess | undefined;
    let sentinelPort = 0;
    let deadPort = 0;

    const sentinelCli = (...args: string[]) => redisCli(sentinelPort, REDIS_PASSWORD, ...args);
    const replicaAsSentinelSeesIt = () =>
        sentinelReplicas(sentinelCli("SENTINEL", "REPLICAS", MASTER).stdout).find(
            (r) => r.port === String(replica.port),
        );

    const snapshot = (label: string, extra: NodeJS.ProcessEnv = {}) => {
        const backupDir = path.join(work, `bk-${label}`);
        const r = runScript(REDIS_SNAPSHOT, {
            PATH: process.env.PATH,
            LANG: "C.UTF-8",
            BACKUP_DIR: backupDir,
            // A dead Sentinel first: the script must go on to the next one.
            REDIS_SENTINELS: `127.0.0.1:${deadPort},127.0.0.1:${sentinelPort}`,
            REDIS_MASTER_NAME: MASTER,
            // Ignored with Sentinels: pointing at nothing proves the Sentinels chose the node.
            REDIS_HOST: "127.0.0.1",
            REDIS_PORT: String(deadPort),
            REDIS_PASSWORD,
            REDIS_CLI: "redis-cli",
            REDIS_CHECK_RDB: "redis-check-rdb",
            REDIS_SNAPSHOT_TIMEOUT_SECONDS: "30",
            ...extra,
        });
        const set = path.join(backupDir, "redis");
        const rdbs = artifactsIn(set, "rdb");
        const manifest =
            rdbs.length === 1
                ? JSON.parse(fs.readFileSync(path.join(set, `${rdbs[0]}.manifest.json`), "utf8"))
                : undefined;
        return { ...r, rdbs, manifest };
    };

    before(async function () {
        requireTools(
            this,
            ["redis-server", "redis-sentinel", "redis-cli", "redis-check-rdb"].filter((b) => !hasBinary(b)),
            "apt-get install redis-server redis-sentinel",
        );
        work = fs.mkdtempSync(path.join(os.tmpdir(), "sw-backup-sentinel-"));
        primary = new RedisServer(path.join(work, "primary"), REDIS_PASSWORD);
        await primary.start();
        for (let i = 0; i < 100; i++) primary.call("SET", `k:${i}`, `v${i}`);
        replica = new RedisServer(path.join(work, "replica"), REDIS_PASSWORD);
        await replica.start(["--replicaof", "127.0.0.1", String(primary.port)]);
        await waitFor(
            "replica in sync",
            POLL_TIMEOUT_MS,
            () =>
                replica.call("INFO", "replication").includes("master_link_status:up") &&
                replica.call("DBSIZE") === "100",
        );

        [sentinelPort, deadPort] = await freePorts(2);
        const dir = path.join(work, "sentinel");
        fs.mkdirSync(dir);
        const conf = path.join(dir, "sentinel.conf");
        // The generated conf (resolve/announce hostnames) plus the password as start-sentinel.sh appends it.
        fs.writeFileSync(
            conf,
            sentinelConf({
                port: sentinelPort,
                bind: "127.0.0.1",
                dir,
                masterName: MASTER,
                initialPrimaryHost: "127.0.0.1",
                initialPrimaryPort: primary.port,
                quorum: 1,
                downAfterMilliseconds: 3000,
            }) + authDirectives("sentinel", REDIS_PASSWORD, MASTER),
        );
        const log = fs.openSync(path.join(dir, "sentinel.log"), "a");
        sentinel = spawn("redis-sentinel", [conf], { stdio: ["ignore", log, log] });
        fs.closeSync(log);
        await waitFor("Sentinel to see the replica healthy", POLL_TIMEOUT_MS, () => {
            const r = replicaAsSentinelSeesIt();
            return r?.flags === "slave" && r["master-link-status"] === "ok";
        });
    });

    after(async function () {
        await killAndWait(sentinel);
        for (const s of [replica, primary]) await s?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    it("snapshots the healthy replica the Sentinels report, never the primary, and logs the node it used", function () {
        const r = snapshot("replica");
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.include(`Sentinel 127.0.0.1:${deadPort} did not answer`);
        expect(r.stderr).to.include(
            `Sentinel 127.0.0.1:${sentinelPort}: using healthy replica 127.0.0.1:${replica.port} of ${MASTER}`,
        );
        expect(r.rdbs).to.have.length(1);
        expect(r.manifest).to.include({
            source: `127.0.0.1:${replica.port}`,
            role: "slave",
            masterLinkStatus: "up",
            keys: 100,
        });
    });

    it("falls back to the primary (GET-MASTER-ADDR-BY-NAME) when no replica is healthy", async function () {
        await replica.stop();
        await waitFor(
            "Sentinel to flag the replica",
            POLL_TIMEOUT_MS,
            () => replicaAsSentinelSeesIt()?.flags !== "slave",
        );
        const r = snapshot("primary");
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stderr).to.include(
            `no healthy replica of ${MASTER}; falling back to the primary 127.0.0.1:${primary.port}`,
        );
        expect(r.manifest).to.include({ source: `127.0.0.1:${primary.port}`, role: "master", keys: 100 });
    });

    it("fails when no Sentinel answers, and rejects a malformed Sentinel address as bad configuration", function () {
        const none = snapshot("no-sentinel", { REDIS_SENTINELS: `127.0.0.1:${deadPort}` });
        expect(none.status).to.equal(1);
        expect(none.stderr).to.include(`no Sentinel of '127.0.0.1:${deadPort}' reported master ${MASTER}`);
        expect(none.rdbs).to.deep.equal([]);
        const unknown = snapshot("unknown-master", { REDIS_MASTER_NAME: "other" });
        expect(unknown.status).to.equal(1);
        expect(unknown.stderr).to.include("does not know master other");
        const bad = snapshot("bad-address", { REDIS_SENTINELS: "sentinel-0" });
        expect(bad.status).to.equal(2);
        expect(bad.stderr).to.include("REDIS_SENTINELS: 'sentinel-0' is not host:port");
    });
});

// ---------------------------------------------------------------------------------------------
// shellcheck
// ---------------------------------------------------------------------------------------------

describe("backup scripts: shellcheck", function () {
    it("every script in scripts/backup is shellcheck-clean (all severities, sourced files followed)", function () {
        requireTools(this, hasBinary("shellcheck") ? [] : ["shellcheck"], "apt-get install shellcheck");
        const scripts = fs
            .readdirSync(SCRIPT_DIR)
            .filter((f) => f.endsWith(".sh"))
            .sort();
        expect(scripts).to.include.members([
            "lib.sh",
            "pg-backup.sh",
            "pg-restore.sh",
            "pg-verify.sh",
            "redis-snapshot.sh",
            "retention.sh",
        ]);
        const r = spawnSync("shellcheck", ["--external-sources", "--severity=style", ...scripts], {
            cwd: SCRIPT_DIR,
            encoding: "utf8",
        });
        expect(r.status, r.stdout + r.stderr).to.equal(0);
    });
});

describe("backup and Redis scripts: strict mode", function () {
    /**
     * Shell options an entry script turns on before it does any work: the `set` lines at its top (a POSIX sh script
     * may turn pipefail on under `if (set -o pipefail) ...`, its shell permitting), or, for a script that is also
     * sourced as a library, the first line of its `if [[ ${BASH_SOURCE[0]} == "$0" ]]` block.
     */
    function strictOptions(text: string): Set<string> {
        const code = text
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== "" && !l.startsWith("#"));
        const guard = code.findIndex((l) => /^if \[\[ \$\{BASH_SOURCE\[0\]\} == "\$0" \]\]; then$/.test(l));
        const options = new Set<string>();
        const letters: Record<string, string> = { e: "errexit", u: "nounset" };
        for (const line of code.slice(guard >= 0 ? guard + 1 : 0)) {
            const m = /^(?:if \(set -o pipefail\) 2>\/dev\/null; then )?set ((?:[-+][a-z]+|[a-z]+| )+?)(?:; fi)?$/.exec(
                line,
            );
            if (!m) break;
            const words = m[1].trim().split(/\s+/);
            for (let i = 0; i < words.length; i++) {
                if (!words[i].startsWith("-")) break;
                for (const flag of words[i].slice(1)) {
                    if (flag === "o") options.add(words[++i] ?? "");
                    else if (letters[flag]) options.add(letters[flag]);
                }
            }
        }
        options.delete("");
        return options;
    }

    it("the option parser reads the forms the scripts use, and only at the top", () => {
        expect(
            [
                ...strictOptions(
                    "#!/bin/sh\n# c\nset -eu\nif (set -o pipefail) 2>/dev/null; then set -o pipefail; fi\nx=1\n",
                ),
            ].sort(),
        ).to.deep.equal(["errexit", "nounset", "pipefail"]);
        expect([...strictOptions("#!/usr/bin/env bash\nset -euo pipefail\n")].sort()).to.deep.equal([
            "errexit",
            "nounset",
            "pipefail",
        ]);
        expect([...strictOptions("#!/bin/sh\nset -eu\nx=1\nset -o pipefail\n")].sort()).to.deep.equal([
            "errexit",
            "nounset",
        ]);
        expect([...strictOptions("#!/bin/sh\nset -e\n")]).to.deep.equal(["errexit"]);
    });

    it("every entry script under scripts/backup and scripts/redis sets errexit, nounset and pipefail", () => {
        const dirs = [SCRIPT_DIR, path.join(__dirname, "..", "scripts", "redis")];
        const entries = dirs
            .flatMap((dir) =>
                fs
                    .readdirSync(dir)
                    .filter((f) => f.endsWith(".sh"))
                    .map((f) => path.join(dir, f)),
            )
            .filter((f) => fs.readFileSync(f, "utf8").startsWith("#!"));
        expect(entries.map((f) => path.basename(f)).sort()).to.include.members([
            "pg-backup.sh",
            "pg-restore.sh",
            "pg-verify.sh",
            "redis-snapshot.sh",
            "retention.sh",
            "s3-sync.sh",
            "start-sentinel.sh",
            "start-server.sh",
        ]);
        for (const file of entries) {
            expect([...strictOptions(fs.readFileSync(file, "utf8"))].sort(), file).to.include.members([
                "errexit",
                "nounset",
                "pipefail",
            ]);
        }
    });
});
