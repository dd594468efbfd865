// The S3-compatible object-storage target of the backups.
// 1. scripts/backup/s3-sync.sh end to end: real PostgreSQL and Redis servers, real pg-backup.sh /
//    redis-snapshot.sh / retention.sh / pg-restore.sh, the real rclone binary and real S3-compatible
//    servers (moto) on random loopback ports in temp dirs. Skips only when a tool is absent and CI is
//    not "true".
// 2. The Kubernetes wiring (backups.objectStore) rendered with the real stack files under mocks.
import { findPgBin, hasBinary, requireTools, sha256File, sleep, waitFor, TOOL_TIMEOUT_MS } from "./lib/tools";
import { freePort } from "./lib/ports";
import { expect } from "chai";
import { Backups } from "../components/backups";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BACKUP_CRONJOBS } from "../lib/topology";
import {
    descendantsOf,
    KubeManifest,
    manifestOf,
    podSpecOf,
    readStackConfig,
    RenderedStack,
    renderStack,
} from "./lib/harness";
import { allowedConnections, Endpoint } from "./lib/netpol";
import { validateAgainstSchemas } from "./lib/schemas";

/** How long a poll in this spec waits: a guard against a hang, not a speed budget. */
const POLL_TIMEOUT_MS = 20_000;

const SCRIPT_DIR = path.join(__dirname, "..", "scripts", "backup");
const S3_SYNC = path.join(SCRIPT_DIR, "s3-sync.sh");
const BUCKET = "stackwright-backups";
const PREFIX = "stackwright/test";
// Characters that break naive quoting, as real generated secrets may contain them.
const PG_PASSWORD = "pg pa$$ 'w\"rd'";
const REDIS_PASSWORD = "redis pa$$ 'w\"rd'";

interface Run {
    status: number | null;
    stdout: string;
    stderr: string;
}

function hasMoto(): boolean {
    return (
        spawnSync("python3", ["-c", "import moto.server, boto3"], { stdio: "ignore", timeout: TOOL_TIMEOUT_MS })
            .status === 0
    );
}

function run(
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    opts: { input?: string; timeoutMs?: number } = {},
): Run {
    const r = spawnSync(cmd, args, { env, input: opts.input, encoding: "utf8", timeout: opts.timeoutMs ?? 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Visible files of a set directory (no *.partial, no last-success), sorted. */
function backupFiles(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .filter((f) => !f.startsWith(".") && f !== "last-success")
        .sort();
}

/**
 * A local moto server. With `auth`, requests are signature-checked and IAM-authorized once the test user exists, but
 * moto (5.x) then also rejects correctly signed listings whose query holds a "/" (prefix=a/, delimiter=/: its
 * canonical query differs from the SDKs'), which every rclone listing has; so the sync flow runs against a server
 * without auth, and the wrong-key test against one with auth, next to a control showing the right key is accepted.
 */
class S3Server {
    proc?: ChildProcess;
    port = 0;
    accessKeyId = "test-access-key";
    secretAccessKey = "test-secret-key";
    private log = "";

    constructor(private readonly auth: boolean) {}

    get endpoint(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    async start(): Promise<void> {
        this.port = await freePort();
        // With auth: the first 3 requests (creating the user, its policy and its key) are unauthenticated, every later
        // one is checked, so a wrong secret key fails with SignatureDoesNotMatch as on real S3.
        this.proc = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(this.port)], {
            env: {
                PATH: process.env.PATH,
                HOME: process.env.HOME,
                ...(this.auth ? { INITIAL_NO_AUTH_ACTION_COUNT: "3" } : {}),
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.proc.stdout!.on("data", (d) => {
            this.log += String(d);
        });
        this.proc.stderr!.on("data", (d) => {
            this.log += String(d);
        });
        await waitFor(`moto server on ${this.port}`, POLL_TIMEOUT_MS, () => this.log.includes("Running on"));
        if (!this.auth) return;
        const py = String.raw`
import boto3, json, sys
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="backup")
iam.put_user_policy(UserName="backup", PolicyName="backup-bucket", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="backup")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
`;
        const r = run("python3", ["-c", py, this.endpoint], { PATH: process.env.PATH, HOME: process.env.HOME });
        if (r.status !== 0) throw new Error(`creating the IAM user failed: ${r.stderr}`);
        [this.accessKeyId, this.secretAccessKey] = r.stdout.trim().split(" ");
    }

    async stop(): Promise<void> {
        if (this.proc && this.proc.exitCode === null) {
            const exited = new Promise((r) => this.proc!.once("exit", r));
            this.proc.kill("SIGTERM");
            await Promise.race([exited, sleep(5000)]);
            if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
        }
    }
}

describe("backup scripts: S3-compatible object storage (real rclone, moto S3 server)", function () {
    this.timeout(60_000);
    let work: string;
    let s3: S3Server | undefined;
    let s3Auth: S3Server | undefined;
    let pgBin: string;
    let pgDir: string;
    let pgPort = 0;
    let pgStarted = false;
    let backupDir: string;
    let redisProc: ChildProcess | undefined;

    /** rclone configured only by environment variables, as in the CronJob pod. */
    const rcloneEnv = (server = s3!, secretAccessKey = server.secretAccessKey): NodeJS.ProcessEnv => ({
        PATH: process.env.PATH,
        HOME: path.join(work, "home"),
        TMPDIR: path.join(work, "tmp"),
        RCLONE_CONFIG_TARGET_TYPE: "s3",
        RCLONE_CONFIG_TARGET_PROVIDER: "Other",
        RCLONE_CONFIG_TARGET_ENDPOINT: server.endpoint,
        RCLONE_CONFIG_TARGET_ACCESS_KEY_ID: server.accessKeyId,
        RCLONE_CONFIG_TARGET_SECRET_ACCESS_KEY: secretAccessKey,
        RCLONE_CONFIG_TARGET_REGION: "us-east-1",
        RCLONE_CONFIG_TARGET_FORCE_PATH_STYLE: "true",
    });
    const rclone = (...args: string[]): Run => run("rclone", ["-q", ...args], rcloneEnv());
    const sync = (dir: string, prefix: string, extra: NodeJS.ProcessEnv = {}): Run =>
        run("sh", [S3_SYNC], { ...rcloneEnv(), BACKUP_DIR: dir, S3_BUCKET: BUCKET, S3_PREFIX: prefix, ...extra });
    /** Object names under <bucket>/<prefix>/<set>/, sorted. */
    const remoteFiles = (prefix: string, set: string): string[] => {
        const r = rclone("lsf", "--files-only", `target:${BUCKET}/${prefix}/${set}`);
        expect(r.status, r.stderr).to.equal(0);
        return r.stdout
            .split("\n")
            .filter((l) => l !== "")
            .sort();
    };
    const pgEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
        PATH: `${pgBin}:${process.env.PATH}`,
        HOME: work,
        LANG: "C.UTF-8",
        PGHOST: "127.0.0.1",
        PGPORT: String(pgPort),
        PGUSER: "postgres",
        PGPASSWORD: PG_PASSWORD,
        ...extra,
    });
    const psql = (db: string, sql: string): string => {
        const r = run(path.join(pgBin, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db], pgEnv(), {
            input: sql,
        });
        if (r.status !== 0) throw new Error(`psql on ${db} failed: ${r.stderr}`);
        return r.stdout.trim();
    };
    const rowCounts = (db: string): string =>
        psql(
            db,
            "SELECT (SELECT count(*) FROM customers) || '/' || (SELECT count(*) FROM orders) || '/' || (SELECT sum(total) FROM orders)",
        );
    /** The dump pg-backup.sh wrote (before the tests add other files next to it). */
    let shopDump = "";
    const shopArtifact = (): string => shopDump;

    before(async function () {
        const bin = findPgBin();
        requireTools(
            this,
            [
                ...(hasBinary("rclone") ? [] : ["rclone"]),
                ...(hasMoto() ? [] : ["python3 moto[server] (with boto3)"]),
                ...(bin ? [] : ["PostgreSQL server binaries"]),
                ...["redis-server", "redis-cli", "redis-check-rdb"].filter((b) => !hasBinary(b)),
            ],
            "apt-get install rclone postgresql redis-server; pip install 'moto[server]'",
        );
        pgBin = bin!;
        work = fs.mkdtempSync(path.join(os.tmpdir(), "sw-backup-s3-"));
        fs.chmodSync(work, 0o755);
        for (const d of ["home", "tmp"]) fs.mkdirSync(path.join(work, d));
        backupDir = path.join(work, "backups");

        s3 = new S3Server(false);
        s3Auth = new S3Server(true);
        const pgReady = startPostgres();
        await Promise.all([s3.start(), s3Auth.start()]);
        for (const server of [s3, s3Auth]) {
            const mk = run("rclone", ["-q", "mkdir", `target:${BUCKET}`], rcloneEnv(server));
            expect(mk.status, mk.stderr).to.equal(0);
        }
        await pgReady;
        psql("postgres", "CREATE DATABASE shop;");
        psql(
            "shop",
            `
            CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
            INSERT INTO customers (name) SELECT 'Customer ' || g || ' ✓' FROM generate_series(1, 2000) g;
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(12, 2));
            INSERT INTO orders (customer_id, total) SELECT 1 + g % 2000, g / 100.0 FROM generate_series(1, 3000) g;`,
        );
        const backup = run(
            "bash",
            [path.join(SCRIPT_DIR, "pg-backup.sh")],
            pgEnv({ BACKUP_DIR: backupDir, DATABASES: "shop" }),
        );
        expect(backup.status, backup.stderr).to.equal(0);
        const dumps = backupFiles(path.join(backupDir, "shop")).filter((f) => f.endsWith(".dump"));
        expect(dumps).to.have.length(1);
        shopDump = dumps[0];
    });

    async function startPostgres(): Promise<void> {
        pgDir = path.join(work, "pg");
        fs.mkdirSync(pgDir);
        const ids: { uid?: number; gid?: number } = {};
        if (process.getuid?.() === 0) {
            // initdb refuses to run as root.
            const id = (flag: string, user: string) => spawnSync("id", [flag, user], { encoding: "utf8" });
            const user = id("-u", "postgres").status === 0 ? "postgres" : "nobody";
            ids.uid = Number(id("-u", user).stdout.trim());
            ids.gid = Number(id("-g", user).stdout.trim());
            fs.chownSync(pgDir, ids.uid, ids.gid);
        }
        pgPort = await freePort();
        const pwfile = path.join(pgDir, "pwfile");
        fs.writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
        if (ids.uid !== undefined) fs.chownSync(pwfile, ids.uid, ids.gid!);
        const asServer = { ...ids, encoding: "utf8" as const, timeout: TOOL_TIMEOUT_MS, cwd: pgDir };
        const init = spawnSync(
            path.join(pgBin, "initdb"),
            [
                "-D",
                path.join(pgDir, "data"),
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
        if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
        const opts = `-p ${pgPort} -k ${pgDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
        const start = spawnSync(
            path.join(pgBin, "pg_ctl"),
            ["-D", path.join(pgDir, "data"), "-l", path.join(pgDir, "log"), "-w", "-t", "30", "-o", opts, "start"],
            asServer,
        );
        if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.stderr}${start.stdout}`);
        pgStarted = true;
    }

    after(async function () {
        if (pgStarted) {
            spawnSync(
                path.join(pgBin, "pg_ctl"),
                ["-D", path.join(pgDir, "data"), "-m", "immediate", "-w", "-t", "30", "stop"],
                {
                    stdio: "ignore",
                    timeout: TOOL_TIMEOUT_MS,
                    cwd: pgDir,
                    ...(process.getuid?.() === 0 ? { uid: fs.statSync(pgDir).uid, gid: fs.statSync(pgDir).gid } : {}),
                },
            );
        }
        if (redisProc && redisProc.exitCode === null) redisProc.kill("SIGKILL");
        await s3?.stop();
        await s3Auth?.stop();
        if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    let firstSync: Run;
    it("uploads exactly the dump, its checksum and its manifest (no *.partial, no incomplete backup, no last-success)", function () {
        const set = path.join(backupDir, "shop");
        // Leftovers a killed run can leave, and an unpublished backup: none of them may reach the bucket.
        fs.writeFileSync(path.join(set, ".shop-20990101T000000Z.dump.partial"), "half a dump");
        fs.writeFileSync(path.join(set, "shop-20990102T000000Z.dump"), "dump without manifest");
        fs.writeFileSync(path.join(set, "shop-20990102T000000Z.dump.sha256"), "x  shop-20990102T000000Z.dump\n");
        firstSync = sync(backupDir, PREFIX);
        expect(firstSync.status, firstSync.stderr).to.equal(0);
        const artifact = shopArtifact();
        expect(remoteFiles(PREFIX, "shop")).to.deep.equal([
            artifact,
            `${artifact}.manifest.json`,
            `${artifact}.sha256`,
        ]);
        const all = rclone("lsf", "-R", "--files-only", `target:${BUCKET}`);
        expect(
            all.stdout
                .split("\n")
                .filter((l) => l !== "")
                .sort(),
        ).to.deep.equal(
            [artifact, `${artifact}.manifest.json`, `${artifact}.sha256`].map((f) => `${PREFIX}/shop/${f}`),
        );
        expect(firstSync.stderr).to.include("skipping incomplete backup");
        for (const f of [
            ".shop-20990101T000000Z.dump.partial",
            "shop-20990102T000000Z.dump",
            "shop-20990102T000000Z.dump.sha256",
        ]) {
            fs.rmSync(path.join(set, f));
        }
    });

    it("verifies each upload against the bucket's MD5 and publishes the manifest only after the data", function () {
        const artifact = shopArtifact();
        const log = firstSync.stderr;
        const verifiedDump = log.indexOf(`verified ${artifact} (md5 `);
        const verifiedSum = log.indexOf(`verified ${artifact}.sha256 (md5 `);
        const publishing = log.indexOf("publishing 1 manifest(s)");
        expect(verifiedDump, log).to.be.greaterThan(-1);
        expect(verifiedSum, log).to.be.greaterThan(-1);
        expect(publishing, log).to.be.greaterThan(Math.max(verifiedDump, verifiedSum));
        const md5 = crypto
            .createHash("md5")
            .update(fs.readFileSync(path.join(backupDir, "shop", artifact)))
            .digest("hex");
        expect(log).to.include(`verified ${artifact} (md5 ${md5})`);
    });

    it("the downloaded dump passes its checksum and restores into a scratch database with the same rows", function () {
        const artifact = shopArtifact();
        const download = path.join(work, "download");
        const cp = rclone("copy", `target:${BUCKET}/${PREFIX}/shop`, path.join(download, "shop"));
        expect(cp.status, cp.stderr).to.equal(0);
        const local = path.join(download, "shop", artifact);
        const [expected, name] = fs.readFileSync(`${local}.sha256`, "utf8").trim().split(/\s+/);
        expect(name).to.equal(artifact);
        expect(sha256File(local)).to.equal(expected);
        expect(JSON.parse(fs.readFileSync(`${local}.manifest.json`, "utf8")).sha256).to.equal(expected);
        const restore = run(
            "bash",
            [path.join(SCRIPT_DIR, "pg-restore.sh")],
            pgEnv({ ARTIFACT: local, TARGET_DATABASE: "shop_from_bucket" }),
        );
        expect(restore.status, restore.stderr).to.equal(0);
        expect(rowCounts("shop_from_bucket")).to.equal(rowCounts("shop"));
        expect(rowCounts("shop_from_bucket")).to.equal("2000/3000/45015.00");
    });

    it("a bucket MD5 that differs from the local file fails the run and keeps the manifest out of the bucket", function () {
        const fresh = path.join(work, "bad-md5");
        fs.cpSync(path.join(backupDir, "shop"), path.join(fresh, "shop"), { recursive: true });
        // rclone as is, except that the MD5s it reports for the bucket are off by one digit.
        const wrapper = path.join(work, "rclone-bad-md5");
        fs.writeFileSync(
            wrapper,
            '#!/bin/sh\nfor a in "$@"; do [ "$a" = md5sum ] && { rclone "$@" | sed "s/^[0-9a-e]/f/; t; s/^f/0/"; exit; }; done\nexec rclone "$@"\n',
            { mode: 0o755 },
        );
        const r = sync(fresh, "bad-md5", { RCLONE: wrapper });
        expect(r.status, r.stderr).to.equal(1);
        expect(r.stderr).to.include(`VERIFY FAILED: ${shopArtifact()}`);
        expect(r.stderr).to.include("manifests not uploaded");
        expect(remoteFiles("bad-md5", "shop")).to.deep.equal([shopArtifact(), `${shopArtifact()}.sha256`]);
    });

    it("a second run uploads nothing again", function () {
        const again = sync(backupDir, PREFIX);
        expect(again.status, again.stderr).to.equal(0);
        expect(again.stderr).to.not.include("uploading");
        expect(again.stderr).to.not.include("publishing");
        expect(again.stderr).to.include("bucket holds the 1 complete local backup(s)");
    });

    it("mirrors retention: a backup that retention.sh deleted locally is deleted from the bucket", function () {
        const set = path.join(backupDir, "shop");
        const artifact = shopArtifact();
        // An older complete backup (a copy under an older timestamp), synced to the bucket first.
        const old = "shop-20240101T020000Z.dump";
        fs.copyFileSync(path.join(set, artifact), path.join(set, old));
        fs.writeFileSync(path.join(set, `${old}.sha256`), `${sha256File(path.join(set, old))}  ${old}\n`);
        fs.copyFileSync(path.join(set, `${artifact}.manifest.json`), path.join(set, `${old}.manifest.json`));
        const first = sync(backupDir, PREFIX);
        expect(first.status, first.stderr).to.equal(0);
        expect(remoteFiles(PREFIX, "shop")).to.have.length(6);

        const retention = run("bash", [path.join(SCRIPT_DIR, "retention.sh")], {
            PATH: process.env.PATH,
            BACKUP_DIR: backupDir,
            RETAIN_DAILY: "1",
            RETAIN_WEEKLY: "0",
            RETAIN_MONTHLY: "0",
        });
        expect(retention.status, retention.stderr).to.equal(0);
        expect(fs.existsSync(path.join(set, old)), "retention deleted the old backup").to.equal(false);

        const second = sync(backupDir, PREFIX);
        expect(second.status, second.stderr).to.equal(0);
        expect(remoteFiles(PREFIX, "shop")).to.deep.equal([
            artifact,
            `${artifact}.manifest.json`,
            `${artifact}.sha256`,
        ]);
        // Manifest first, as retention.sh deletes: an interrupted deletion leaves an incomplete, ignored backup.
        expect(second.stderr.indexOf(`deleting ${old}.manifest.json`)).to.be.greaterThan(-1);
        expect(second.stderr.indexOf(`deleting ${old}.manifest.json`)).to.be.lessThan(
            second.stderr.indexOf(`deleting ${old} `),
        );
    });

    it("an empty local set deletes nothing in the bucket", function () {
        const empty = path.join(work, "empty-volume");
        fs.mkdirSync(path.join(empty, "shop"), { recursive: true });
        const r = sync(empty, PREFIX);
        expect(r.status, r.stderr).to.equal(0);
        expect(remoteFiles(PREFIX, "shop")).to.have.length(3);
    });

    it("fails non-zero with a wrong secret key (signature-checking server), and uploads nothing", function () {
        const fresh = path.join(work, "wrong-key");
        fs.cpSync(path.join(backupDir, "shop"), path.join(fresh, "shop"), { recursive: true });
        const artifact = shopArtifact();
        const put = (secret: string) =>
            run(
                "rclone",
                [
                    "-q",
                    "--retries",
                    "1",
                    "copyto",
                    path.join(fresh, "shop", `${artifact}.sha256`),
                    `target:${BUCKET}/control/${artifact}.sha256`,
                ],
                rcloneEnv(s3Auth!, secret),
            );
        // Control: the server accepts the right key and rejects a wrong one.
        const right = put(s3Auth!.secretAccessKey);
        expect(right.status, right.stderr).to.equal(0);
        const wrong = put("not-the-secret");
        expect(wrong.status).to.not.equal(0);
        expect(wrong.stderr).to.include("status code: 403");

        const r = run("sh", [S3_SYNC], {
            ...rcloneEnv(s3Auth!, "not-the-secret"),
            BACKUP_DIR: fresh,
            S3_BUCKET: BUCKET,
            S3_PREFIX: "wrong-key",
        });
        expect(r.status, r.stderr).to.equal(1);
        expect(r.stderr).to.match(/SignatureDoesNotMatch|status code: 403/);
        expect(r.stderr).to.include("1 set(s) failed to sync");
        expect(r.stderr).to.not.include("uploading");
        const all = run(
            "python3",
            [
                "-c",
                `
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
print("\\n".join(o["Key"] for o in s3.list_objects_v2(Bucket="${BUCKET}").get("Contents", [])))
`,
                s3Auth!.endpoint,
                s3Auth!.accessKeyId,
                s3Auth!.secretAccessKey,
            ],
            { PATH: process.env.PATH, HOME: process.env.HOME },
        );
        expect(all.status, all.stderr).to.equal(0);
        expect(all.stdout.trim().split("\n")).to.deep.equal([`control/${artifact}.sha256`]);
    });

    it("fails non-zero when the bucket does not exist, and with bad configuration", function () {
        const missing = sync(backupDir, PREFIX, { S3_BUCKET: "no-such-bucket" });
        expect(missing.status, missing.stderr).to.equal(1);
        const noBucket = sync(backupDir, PREFIX, { S3_BUCKET: "" });
        expect(noBucket.status).to.equal(2);
        expect(noBucket.stderr).to.include("S3_BUCKET is empty");
        const badPrefix = sync(backupDir, "/abs");
        expect(badPrefix.status).to.equal(2);
    });

    it("uploads a Redis snapshot the same way (S3_VERIFY=download: verified by downloading it)", async function () {
        const redisDir = path.join(work, "redis-server");
        fs.mkdirSync(redisDir);
        const port = await freePort();
        redisProc = spawn(
            "redis-server",
            [
                "--port",
                String(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                redisDir,
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                REDIS_PASSWORD,
            ],
            { stdio: "ignore" },
        );
        const cli = (...args: string[]) =>
            spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], {
                env: { PATH: process.env.PATH, REDISCLI_AUTH: REDIS_PASSWORD },
                encoding: "utf8",
                timeout: TOOL_TIMEOUT_MS,
            });
        await waitFor("redis-server", POLL_TIMEOUT_MS, () => cli("PING").stdout.trim() === "PONG");
        for (let i = 0; i < 50; i++) expect(cli("SET", `key:${i}`, `value ${i} ✓`).stdout.trim()).to.equal("OK");
        const snapshots = path.join(work, "redis-backups");
        const snap = run("bash", [path.join(SCRIPT_DIR, "redis-snapshot.sh")], {
            PATH: process.env.PATH,
            LANG: "C.UTF-8",
            BACKUP_DIR: snapshots,
            REDIS_HOST: "127.0.0.1",
            REDIS_PORT: String(port),
            REDIS_PASSWORD,
            REDIS_CLI: "redis-cli",
            REDIS_CHECK_RDB: "redis-check-rdb",
            REDIS_SNAPSHOT_TIMEOUT_SECONDS: "30",
        });
        expect(snap.status, snap.stderr).to.equal(0);
        const local = backupFiles(path.join(snapshots, "redis"));
        expect(local).to.have.length(3);
        const r = sync(snapshots, `${PREFIX}/redis`, { S3_VERIFY: "download" });
        expect(r.status, r.stderr).to.equal(0);
        expect(remoteFiles(`${PREFIX}/redis`, "redis")).to.deep.equal(local);
        const rdb = local.find((f) => f.endsWith(".rdb"))!;
        expect(r.stderr).to.include(`verified ${rdb} (md5 `);
        const cat = spawnSync("rclone", ["-q", "cat", `target:${BUCKET}/${PREFIX}/redis/redis/${rdb}`], {
            env: rcloneEnv(),
            timeout: TOOL_TIMEOUT_MS,
        });
        expect(cat.status).to.equal(0);
        expect(crypto.createHash("sha256").update(cat.stdout).digest("hex")).to.equal(
            sha256File(path.join(snapshots, "redis", rdb)),
        );
        expect(cat.stdout.subarray(0, 5).toString()).to.equal("REDIS");
    });

    it("is shellcheck-clean as POSIX sh (the rclone image has busybox sh, no bash)", function () {
        requireTools(this, hasBinary("shellcheck") ? [] : ["shellcheck"], "apt-get install shellcheck");
        const r = spawnSync("shellcheck", ["--shell=sh", "--severity=style", S3_SYNC], { encoding: "utf8" });
        expect(r.status, r.stdout).to.equal(0);
        expect(fs.readFileSync(S3_SYNC, "utf8").split("\n")[0]).to.equal("#!/bin/sh");
    });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes wiring under mocks
// ---------------------------------------------------------------------------------------------

const ACCESS_KEY_ID = "AKIA-object-store-test-id";
const SECRET_ACCESS_KEY = "object-store-secret-9f3b1c";

function backupObjects(rendered: RenderedStack): KubeManifest[] {
    const component = rendered.resources.filter((r) => r.type === Backups.TYPE);
    expect(component).to.have.length(1);
    return descendantsOf(rendered.resources, component[0].urn)
        .map(manifestOf)
        .filter((m): m is KubeManifest => m !== undefined);
}

function cronJobNamed(objects: readonly KubeManifest[], name: string): KubeManifest {
    const found = objects.filter((o) => o.kind === "CronJob" && o.metadata.name === name);
    expect(found, name).to.have.length(1);
    return found[0];
}

/** Plain env values by name; Secret references as "secret:<name>/<key>". */
function envOf(container: Record<string, any>): Record<string, string> {
    return Object.fromEntries(
        container.env.map((e: any) => [
            e.name,
            e.value ?? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`,
        ]),
    );
}

function withObjectStore(objectStore: Record<string, unknown>): Record<string, unknown> {
    const dev = readStackConfig("dev");
    return { backups: { ...((dev.backups as Record<string, unknown>) ?? {}), objectStore } };
}

/** A backup pod of the policy's family, and what it may reach: the internet on 443, 80 and 9000. */
function egressFrom(objects: readonly KubeManifest[], app: string): string[] {
    const policies = objects.filter(
        (o) => o.kind === "NetworkPolicy" && o.spec.podSelector.matchLabels["app.kubernetes.io/name"] === app,
    );
    expect(policies, app).to.have.length(1);
    const pod: Endpoint = {
        id: app,
        namespace: "data",
        podLabels: policies[0].spec.podSelector.matchLabels,
        ports: [],
    };
    const outside: Endpoint = { id: "s3", ip: "198.51.100.7", ports: [{ port: 443 }, { port: 80 }, { port: 9000 }] };
    return allowedConnections(policies as any, [pod, outside], "egress");
}

describe("backups: object-storage target (rendered under mocks)", () => {
    let plain: KubeManifest[];
    let minio: RenderedStack;
    let objects: KubeManifest[];
    let aws: KubeManifest[];
    before(async () => {
        plain = backupObjects(await renderStack("dev"));
        minio = await renderStack("dev", {
            overrides: withObjectStore({
                endpointUrl: "https://minio.backup.example.test:9000",
                bucket: "stackwright-backups",
                accessKeyId: ACCESS_KEY_ID,
                secretAccessKey: SECRET_ACCESS_KEY,
            }),
        });
        objects = backupObjects(minio);
        aws = backupObjects(
            await renderStack("dev", {
                overrides: withObjectStore({
                    bucket: "stackwright-backups",
                    prefix: "team/db",
                    region: "eu-west-1",
                    forcePathStyle: false,
                    accessKeyId: ACCESS_KEY_ID,
                    secretAccessKey: SECRET_ACCESS_KEY,
                }),
            }),
        );
    });

    it("backup and snapshot pods: the script as init container, then the rclone upload on the same volume (read-only)", () => {
        for (const [name, script, subPrefix] of [
            [BACKUP_CRONJOBS.postgres, "pg-backup.sh", "postgres"],
            [BACKUP_CRONJOBS.redis, "redis-snapshot.sh", "redis"],
        ]) {
            const pod = podSpecOf(cronJobNamed(objects, name))!;
            expect(
                pod.initContainers.map((c: any) => c.command),
                name,
            ).to.deep.equal([["bash", `/opt/backup/${script}`]]);
            expect(pod.containers).to.have.length(1);
            const sync = pod.containers[0];
            expect(sync.name).to.equal("s3-sync");
            expect(sync.image).to.equal("rclone/rclone:1.75.0");
            expect(sync.command).to.deep.equal(["sh", "/opt/backup/s3-sync.sh"]);
            const backups = pod.volumes.find((v: any) => v.name === "backups");
            expect(sync.volumeMounts.find((m: any) => m.name === "backups")).to.deep.equal({
                name: "backups",
                mountPath: "/backups",
                readOnly: true,
            });
            expect(pod.initContainers[0].volumeMounts.find((m: any) => m.name === "backups").readOnly).to.equal(false);
            expect(backups.persistentVolumeClaim.readOnly).to.equal(false);
            expect(pod.restartPolicy).to.equal("Never");
            const env = envOf(sync);
            expect(env).to.include({
                BACKUP_DIR: "/backups",
                S3_BUCKET: "stackwright-backups",
                S3_PREFIX: `stackwright/dev/${subPrefix}`,
                RCLONE_REMOTE: "target",
                HOME: "/tmp",
                RCLONE_CONFIG_TARGET_TYPE: "s3",
                RCLONE_CONFIG_TARGET_PROVIDER: "Other",
                RCLONE_CONFIG_TARGET_ENDPOINT: "https://minio.backup.example.test:9000",
                RCLONE_CONFIG_TARGET_REGION: "us-east-1",
                RCLONE_CONFIG_TARGET_FORCE_PATH_STYLE: "true",
            });
            const rules = cronJobNamed(objects, name).spec.jobTemplate.spec.podFailurePolicy.rules;
            expect(rules.map((r: any) => r.onExitCodes?.containerName).filter(Boolean)).to.deep.equal([
                pod.initContainers[0].name,
                "s3-sync",
            ]);
        }
    });

    it("the keys live only in a Secret, referenced by the upload container; no secret value anywhere else", () => {
        const secrets = objects.filter((o) => o.kind === "Secret");
        expect(secrets).to.have.length(1);
        expect(Object.keys(secrets[0].stringData).sort()).to.deep.equal(["access-key-id", "secret-access-key"]);
        expect(JSON.stringify(secrets[0].stringData)).to.include(SECRET_ACCESS_KEY);
        for (const name of [BACKUP_CRONJOBS.postgres, BACKUP_CRONJOBS.redis]) {
            const env = envOf(podSpecOf(cronJobNamed(objects, name))!.containers[0]);
            expect(env.RCLONE_CONFIG_TARGET_ACCESS_KEY_ID).to.equal(`secret:${secrets[0].metadata.name}/access-key-id`);
            expect(env.RCLONE_CONFIG_TARGET_SECRET_ACCESS_KEY).to.equal(
                `secret:${secrets[0].metadata.name}/secret-access-key`,
            );
        }
        const elsewhere = minio.resources
            .filter((r) => manifestOf(r)?.kind !== "Secret")
            .map((r) => JSON.stringify([r.inputs, r.state]));
        for (const value of [ACCESS_KEY_ID, SECRET_ACCESS_KEY]) {
            expect(
                elsewhere.filter((text) => text.includes(value)),
                value,
            ).to.deep.equal([]);
        }
    });

    it("every container of the pods is hardened (non-root, read-only root, no capabilities, /tmp emptyDir, resources)", () => {
        for (const name of [BACKUP_CRONJOBS.postgres, BACKUP_CRONJOBS.redis]) {
            const pod = podSpecOf(cronJobNamed(objects, name))!;
            expect(pod.securityContext.runAsNonRoot).to.equal(true);
            expect(pod.securityContext.runAsUser).to.be.greaterThan(0);
            expect(pod.automountServiceAccountToken).to.equal(false);
            for (const c of [...pod.initContainers, ...pod.containers]) {
                expect(c.securityContext, c.name).to.deep.include({
                    runAsNonRoot: true,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                });
                expect(c.securityContext.capabilities).to.deep.equal({ drop: ["ALL"] });
                expect(
                    c.volumeMounts.map((m: any) => m.mountPath),
                    c.name,
                ).to.include("/tmp");
                expect(c.resources.limits.memory, c.name).to.be.a("string");
            }
            expect(pod.volumes.find((v: any) => v.name === "writable-tmp").emptyDir).to.be.an("object");
        }
    });

    it("only the backup and snapshot jobs upload: verification and restore pods are unchanged", () => {
        for (const o of objects.filter(
            (x) =>
                x.kind === "CronJob" &&
                x.metadata.name !== BACKUP_CRONJOBS.postgres &&
                x.metadata.name !== BACKUP_CRONJOBS.redis,
        )) {
            const before = plain.find((p) => p.kind === "CronJob" && p.metadata.name === o.metadata.name)!;
            expect(JSON.stringify(podSpecOf(o)), o.metadata.name).to.equal(JSON.stringify(podSpecOf(before)));
        }
    });

    it("NetworkPolicy egress adds HTTPS and the endpoint's port for the backup pods; nothing without an object store", () => {
        for (const app of ["postgres-backup", "redis-backup"]) {
            expect(egressFrom(objects, app), app).to.deep.equal([`${app} -> s3:443/TCP`, `${app} -> s3:9000/TCP`]);
            expect(egressFrom(aws, app), app).to.deep.equal([`${app} -> s3:443/TCP`]);
            expect(egressFrom(plain, app), app).to.deep.equal([]);
        }
    });

    it("AWS S3 (no endpoint): provider AWS, region and prefix as configured, virtual-hosted style", () => {
        const env = envOf(podSpecOf(cronJobNamed(aws, BACKUP_CRONJOBS.postgres))!.containers[0]);
        expect(env).to.include({
            RCLONE_CONFIG_TARGET_PROVIDER: "AWS",
            RCLONE_CONFIG_TARGET_REGION: "eu-west-1",
            S3_PREFIX: "team/db/postgres",
            RCLONE_CONFIG_TARGET_FORCE_PATH_STYLE: "false",
        });
        expect(env).to.not.have.property("RCLONE_CONFIG_TARGET_ENDPOINT");
    });

    it("without backups.objectStore: one container per pod, no Secret, no upload", () => {
        expect(plain.filter((o) => o.kind === "Secret")).to.deep.equal([]);
        for (const o of plain.filter((x) => x.kind === "CronJob")) {
            const pod = podSpecOf(o)!;
            expect(pod.initContainers, o.metadata.name).to.equal(undefined);
            expect(
                pod.containers.map((c: any) => c.image),
                o.metadata.name,
            ).to.not.include("rclone/rclone:1.75.0");
        }
    });

    it("the rendered objects pass the upstream schemas", async () => {
        const violations = await validateAgainstSchemas(objects);
        expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
    });
});
