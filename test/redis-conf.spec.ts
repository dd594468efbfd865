import { GaveUp, hasBinary, requireTools, TOOL_TIMEOUT_MS, waitFor } from "./lib/tools";
import { expect } from "chai";
import { ChildProcess, execFile, spawn, spawnSync } from "child_process";
import * as dns from "dns";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    authDirectives,
    formatAddressList,
    maxmemoryBytesForLimit,
    podHostname,
    quoteConfValue,
    redisServerConf,
    sentinelConf,
    statefulSetPodAddresses,
} from "../lib/redis/conf";
import { freePorts } from "./lib/ports";

const SCRIPTS_DIR = path.join(__dirname, "..", "scripts", "redis");
const START_SERVER = path.join(SCRIPTS_DIR, "start-server.sh");
const START_SENTINEL = path.join(SCRIPTS_DIR, "start-sentinel.sh");
const SCRIPTS_LIB = path.join(SCRIPTS_DIR, "lib.sh");

// Debian's Redis 7.0 by default; point these at valkey-* to run the same test against Valkey.
const SERVER_BIN = process.env.SERVER_BIN ?? "redis-server";
const SENTINEL_BIN = process.env.SENTINEL_BIN ?? "redis-sentinel";
const CLI_BIN = process.env.CLI_BIN ?? "redis-cli";

// Quotes, backslash, dollar and spaces prove the config quoting and the env-only transport end to end.
const PASSWORD = 'Test pa$$ "w\\rd" 7f3a9c';

/** Skips (locally) or fails (CI) when a binary is missing. */
function requireBinaries(ctx: Mocha.Context, bins: string[]): void {
    requireTools(
        ctx,
        bins.filter((b) => !hasBinary(b)),
        "apt-get install redis-server redis-sentinel shellcheck",
    );
}

describe("redis conf (pure functions)", () => {
    const secretLike = /requirepass|masterauth|auth-pass|password/i;

    it("server conf: persistence, memory, replication defaults and no secrets", () => {
        const conf = redisServerConf({});
        expect(conf).to.match(/^port 6379$/m);
        expect(conf).to.match(/^bind 0\.0\.0\.0$/m);
        expect(conf).to.match(/^protected-mode no$/m);
        expect(conf).to.match(/^dir \/data$/m);
        expect(conf).to.match(/^appendonly yes$/m);
        expect(conf).to.match(/^appendfsync everysec$/m);
        expect(conf).to.match(/^save 3600 1 300 100 60 10000$/m);
        expect(conf).to.match(/^maxmemory 768mb$/m);
        expect(conf).to.match(/^maxmemory-policy noeviction$/m);
        expect(conf).to.match(/^replica-read-only yes$/m);
        expect(conf).not.to.match(/^replica-announce/m);
        expect(conf).not.to.match(/^replicaof/m);
        expect(
            conf
                .split("\n")
                .filter((l) => !l.startsWith("#"))
                .join("\n"),
        ).not.to.match(secretLike);
    });

    it("server conf: parameters land in the output", () => {
        const conf = redisServerConf({
            port: 7000,
            bind: "127.0.0.1",
            dir: "/var/lib/valkey",
            maxmemory: 512 * 1024 * 1024,
            maxmemoryPolicy: "allkeys-lru",
            announceHostname: "valkey-1.valkey-headless.data.svc.cluster.local",
            announcePort: 7000,
            savePoints: [],
            appendFsync: "always",
            minReplicasToWrite: 1,
        });
        expect(conf).to.match(/^port 7000$/m);
        expect(conf).to.match(/^bind 127\.0\.0\.1$/m);
        expect(conf).to.match(/^maxmemory 536870912$/m);
        expect(conf).to.match(/^maxmemory-policy allkeys-lru$/m);
        expect(conf).to.match(/^save ""$/m);
        expect(conf).to.match(/^appendfsync always$/m);
        expect(conf).to.match(/^min-replicas-to-write 1$/m);
        expect(conf).to.match(/^replica-announce-ip valkey-1\.valkey-headless\.data\.svc\.cluster\.local$/m);
        expect(conf).to.match(/^replica-announce-port 7000$/m);
    });

    it("server conf: rejects values that would break or inject into the file", () => {
        expect(() => redisServerConf({ port: 0 })).to.throw(/port/);
        expect(() => redisServerConf({ maxmemory: "1 gb" })).to.throw(/maxmemory/);
        expect(() => redisServerConf({ maxmemoryPolicy: "lru" })).to.throw(/maxmemoryPolicy/);
        expect(() => redisServerConf({ announceHostname: "a\nrequirepass x" })).to.throw(/announceHostname/);
        expect(() => redisServerConf({ dir: "data" })).to.throw(/dir/);
    });

    it("sentinel conf: hostnames resolved and announced before the monitor line, production defaults, no secrets", () => {
        const conf = sentinelConf({
            initialPrimaryHost: "valkey-0.valkey-headless.data.svc.cluster.local",
            announceHostname: "sentinel-2.sentinel-headless.data.svc.cluster.local",
        });
        const lines = conf.split("\n");
        const monitor = lines.indexOf(
            "sentinel monitor mymaster valkey-0.valkey-headless.data.svc.cluster.local 6379 2",
        );
        expect(monitor).to.be.greaterThan(0);
        expect(lines.indexOf("sentinel resolve-hostnames yes")).to.be.within(0, monitor - 1);
        expect(lines.indexOf("sentinel announce-hostnames yes")).to.be.within(0, monitor - 1);
        expect(conf).to.match(/^sentinel announce-ip sentinel-2\.sentinel-headless\.data\.svc\.cluster\.local$/m);
        expect(conf).to.match(/^port 26379$/m);
        expect(conf).to.match(/^sentinel down-after-milliseconds mymaster 5000$/m);
        expect(conf).to.match(/^sentinel failover-timeout mymaster 60000$/m);
        expect(conf).to.match(/^sentinel parallel-syncs mymaster 1$/m);
        expect(lines.filter((l) => !l.startsWith("#")).join("\n")).not.to.match(secretLike);
    });

    it("sentinel conf: parameters and validation", () => {
        const conf = sentinelConf({
            initialPrimaryHost: "10.0.0.1",
            initialPrimaryPort: 7000,
            masterName: "cache",
            quorum: 3,
            downAfterMilliseconds: 1000,
            failoverTimeoutMilliseconds: 9000,
            parallelSyncs: 2,
            port: 27000,
        });
        expect(conf).to.match(/^sentinel monitor cache 10\.0\.0\.1 7000 3$/m);
        expect(conf).to.match(/^sentinel down-after-milliseconds cache 1000$/m);
        expect(conf).to.match(/^sentinel failover-timeout cache 9000$/m);
        expect(conf).to.match(/^sentinel parallel-syncs cache 2$/m);
        expect(conf).not.to.match(/announce-ip/);
        expect(() => sentinelConf({ initialPrimaryHost: "a b" })).to.throw(/initialPrimaryHost/);
        expect(() => sentinelConf({ initialPrimaryHost: "h", quorum: 0 })).to.throw(/quorum/);
        expect(() => sentinelConf({ initialPrimaryHost: "h", masterName: "my master" })).to.throw(/masterName/);
    });

    it("auth directives: quoted so Redis reads the password back verbatim", () => {
        expect(quoteConfValue('a"b\\c d')).to.equal('"a\\"b\\\\c d"');
        expect(authDirectives("server", "s3cret")).to.equal('requirepass "s3cret"\nmasterauth "s3cret"\n');
        expect(authDirectives("sentinel", "s3cret", "cache")).to.equal(
            'requirepass "s3cret"\nsentinel auth-pass cache "s3cret"\n',
        );
        expect(() => authDirectives("server", "")).to.throw(/empty/);
        expect(() => authDirectives("server", "a\nmasterauth x")).to.throw(/control/);
    });

    it("Kubernetes helpers: pod hostnames, address lists, maxmemory from a limit", () => {
        expect(podHostname("valkey", 0, "valkey-headless", "data")).to.equal(
            "valkey-0.valkey-headless.data.svc.cluster.local",
        );
        expect(podHostname("valkey", 2, "h", "ns", "example.internal")).to.equal("valkey-2.h.ns.svc.example.internal");
        expect(() => podHostname("Valkey", 0, "h", "ns")).to.throw(/DNS label/);
        const addresses = statefulSetPodAddresses({
            statefulSetName: "sentinel",
            replicas: 3,
            headlessServiceName: "sentinel-headless",
            namespace: "data",
            port: 26379,
        });
        expect(addresses).to.deep.equal([
            "sentinel-0.sentinel-headless.data.svc.cluster.local:26379",
            "sentinel-1.sentinel-headless.data.svc.cluster.local:26379",
            "sentinel-2.sentinel-headless.data.svc.cluster.local:26379",
        ]);
        expect(formatAddressList(addresses)).to.equal(addresses.join(" "));
        expect(maxmemoryBytesForLimit(1024 ** 3)).to.equal(805306368);
        expect(() => maxmemoryBytesForLimit(1024, 1)).to.throw();
    });
});

describe("redis start scripts (static)", () => {
    it("pass shellcheck (following the sourced lib.sh)", function () {
        requireBinaries(this, ["shellcheck"]);
        const result = spawnSync(
            "shellcheck",
            ["--shell=bash", "--external-sources", START_SERVER, START_SENTINEL, SCRIPTS_LIB],
            { encoding: "utf8" },
        );
        expect(result.stdout + result.stderr).to.equal("");
        expect(result.status).to.equal(0);
    });

    it("refuse to start without a password", function () {
        requireBinaries(this, ["bash"]);
        for (const script of [START_SERVER, START_SENTINEL]) {
            const result = spawnSync("bash", [script], {
                encoding: "utf8",
                timeout: TOOL_TIMEOUT_MS,
                env: { PATH: process.env.PATH ?? "/usr/bin:/bin", REDIS_PASSWORD: "", INITIAL_PRIMARY_HOST: "x" },
            });
            expect(result.status, script).to.equal(1);
            expect(result.stderr).to.contain("REDIS_PASSWORD is empty");
        }
    });
});

describe("redis start scripts (offline: stub CLI, `cat` as the server)", () => {
    // The stub CLI logs its argv and REDISCLI_AUTH, answers PING, and answers get-master-addr-by-name on port P
    // with the file answer-P ("host\nport"); without that file it fails like a refused connection.
    const STUB_CLI = [
        "#!/bin/sh",
        'printf \'%s|%s\\n\' "$*" "${REDISCLI_AUTH:-}" >>"$STUB_DIR/calls.log"',
        'case "$*" in',
        '*get-master-addr-by-name*) [ -f "$STUB_DIR/answer-$5" ] || exit 1; cat "$STUB_DIR/answer-$5" ;;',
        "*) echo PONG ;;",
        "esac",
        "",
    ].join("\n");
    let dir = "";

    beforeEach(function () {
        requireBinaries(this, ["bash", "timeout", "awk"]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-redis-stub-"));
        fs.writeFileSync(path.join(dir, "cli"), STUB_CLI, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "server.conf"), redisServerConf({ port: 6379 }));
        fs.writeFileSync(path.join(dir, "sentinel.conf"), sentinelConf({ initialPrimaryHost: "node-0.h" }));
    });

    afterEach(() => {
        if (dir !== "") {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    function answer(port: number, host: string, primaryPort: number): void {
        fs.writeFileSync(path.join(dir, `answer-${port}`), `${host}\n${primaryPort}\n`);
    }

    /** Runs a script with `cat` as the server binary: its stdout is the runtime conf it would start with. */
    function run(script: string, env: Record<string, string>): string {
        const result = spawnSync("bash", [script], {
            encoding: "utf8",
            timeout: TOOL_TIMEOUT_MS,
            env: {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                STUB_DIR: dir,
                CLI_BIN: path.join(dir, "cli"),
                SERVER_BIN: "cat",
                SENTINEL_BIN: "cat",
                REDIS_PASSWORD: PASSWORD,
                QUERY_TIMEOUT_SECONDS: "2",
                ...env,
            },
        });
        expect(result.status, result.stderr).to.equal(0);
        return result.stdout;
    }

    const serverEnv = (own: string) => ({
        CONF_SOURCE: path.join(dir, "server.conf"),
        RUNTIME_CONF: path.join(dir, "run", "server.conf"),
        INITIAL_PRIMARY_HOST: "node-0.h",
        ANNOUNCE_HOSTNAME: own,
        SENTINEL_ADDRESSES: "s0:1001 s1:1002,s2:1003",
    });

    it("server: first boot, the initial primary starts as primary; the conf is the generated one plus authDirectives", () => {
        const conf = run(START_SERVER, serverEnv("node-0.h"));
        expect(conf.startsWith(redisServerConf({ port: 6379 }))).to.equal(true);
        expect(conf).to.contain(authDirectives("server", PASSWORD));
        expect(conf).to.match(/^replica-announce-ip node-0\.h$/m);
        expect(conf).not.to.match(/^replicaof/m);
        expect(fs.readFileSync(path.join(dir, "run", "server.conf"), "utf8")).to.equal(conf);
        expect(fs.statSync(path.join(dir, "run", "server.conf")).mode & 0o077).to.equal(0);
    });

    it("server: first boot, the other nodes replicate from the initial primary", () => {
        expect(run(START_SERVER, serverEnv("node-1.h"))).to.match(/^replicaof node-0\.h 6379$/m);
    });

    it("server: follows the primary most Sentinels report, or stays primary when that is itself", () => {
        answer(1001, "node-1.h", 6379);
        answer(1002, "node-2.h", 6379);
        answer(1003, "node-2.h", 6379);
        expect(run(START_SERVER, serverEnv("node-0.h"))).to.match(/^replicaof node-2\.h 6379$/m);
        expect(run(START_SERVER, serverEnv("node-2.h"))).not.to.match(/^replicaof/m);
    });

    it("password travels only in REDISCLI_AUTH, never in argv; every call is to a configured Sentinel", () => {
        answer(1002, "node-2.h", 6379);
        run(START_SERVER, serverEnv("node-1.h"));
        const calls = fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim().split("\n");
        expect(calls).to.have.length(3);
        for (const call of calls) {
            const separator = call.length - PASSWORD.length - 1;
            expect(call[separator]).to.equal("|");
            expect(call.slice(separator + 1)).to.equal(PASSWORD);
            const argv = call.slice(0, separator);
            expect(argv).not.to.contain("7f3a9c");
            expect(argv).to.match(/^-e -h s[012] -p 100[123] SENTINEL get-master-addr-by-name mymaster/);
        }
    });

    it("sentinel: monitors what the peers report, skips itself, appends authDirectives, keeps its id", () => {
        answer(1001, "node-9.h", 6379); // itself: must not be asked
        answer(1002, "node-2.h", 6380);
        fs.mkdirSync(path.join(dir, "run"));
        fs.writeFileSync(
            path.join(dir, "run", "sentinel.conf"),
            "sentinel myid 0123456789abcdef0123456789abcdef01234567\n",
        );
        const env = {
            CONF_SOURCE: path.join(dir, "sentinel.conf"),
            RUNTIME_CONF: path.join(dir, "run", "sentinel.conf"),
            ANNOUNCE_HOSTNAME: "s0",
            ANNOUNCE_PORT: "1001",
            SENTINEL_ADDRESSES: "s0:1001 s1:1002 s2:1003",
            PRIMARY_WAIT_SECONDS: "0",
        };
        const conf = run(START_SENTINEL, env);
        expect(conf).to.match(/^sentinel monitor mymaster node-2\.h 6380 2$/m);
        expect(conf).to.match(/^sentinel resolve-hostnames yes$/m);
        expect(conf).to.contain(authDirectives("sentinel", PASSWORD, "mymaster"));
        expect(conf).to.match(/^sentinel announce-ip s0$/m);
        expect(conf).to.match(/^sentinel announce-port 1001$/m);
        expect(conf).to.match(/^sentinel myid 0123456789abcdef0123456789abcdef01234567$/m);
        expect(fs.readFileSync(path.join(dir, "calls.log"), "utf8")).not.to.contain("-p 1001 ");

        fs.rmSync(path.join(dir, "answer-1002"));
        expect(run(START_SENTINEL, env)).to.match(/^sentinel monitor mymaster node-0\.h 6379 2$/m);
    });
});

// ---------------------------------------------------------------------------------------------------------------
// Real servers: 3 data nodes + 3 Sentinels bound to 127.0.0.1, started by the real scripts from the generated confs.
// Every node and Sentinel announces, and is addressed by, the name HOST (as pods announce their DNS names), so the
// generated resolve-hostnames / announce-hostnames settings are exercised with a name, not an IP.
let HOST = "localhost";

/**
 * The name to announce: "localhost" when it resolves to IPv4 loopback only (as here). Where it also resolves to ::1,
 * whether that address is usable depends on the machine's IPv6 setup, so the test falls back to 127.0.0.1 rather
 * than depend on it (and says so), keeping a failover test that cannot flake on name resolution.
 */
async function announcedHost(): Promise<string> {
    const resolved = (await dns.promises.lookup("localhost", { all: true })).map((a) => a.address);
    if (resolved.length > 0 && resolved.every((a) => a.startsWith("127."))) return "localhost";
    console.log(`      (localhost resolves to ${resolved.join(", ")}: announcing 127.0.0.1 instead of a host name)`);
    return "127.0.0.1";
}

interface CliResult {
    readonly stdout: string;
    readonly stderr: string;
}

/** password null: connect without any. */
function cli(port: number, args: string[], password: string | null = PASSWORD): Promise<CliResult> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.REDISCLI_AUTH;
    if (password !== null) {
        env.REDISCLI_AUTH = password;
    }
    return new Promise((resolve) => {
        execFile(
            CLI_BIN,
            ["-h", "127.0.0.1", "-p", String(port), ...args],
            { env, timeout: TOOL_TIMEOUT_MS, encoding: "utf8" },
            (_error, stdout, stderr) => resolve({ stdout: stdout.trim(), stderr: stderr.trim() }),
        );
    });
}

/** INFO section as a map. */
async function info(port: number, section: string): Promise<Map<string, string>> {
    const { stdout } = await cli(port, ["INFO", section]);
    return new Map(
        stdout
            .split(/\r?\n/)
            .filter((l) => l.includes(":"))
            .map((l) => {
                const i = l.indexOf(":");
                return [l.slice(0, i), l.slice(i + 1)] as [string, string];
            }),
    );
}

/**
 * Bound on waiting for the servers to converge (replication links, failover): a guard against a hang, not a speed
 * budget. A loaded 2-core host once took over 20 s for a restarted primary to rejoin.
 */
const CONVERGE_MS = 120_000;

async function primaryFromSentinel(sentinelPort: number): Promise<number | undefined> {
    const { stdout } = await cli(sentinelPort, ["SENTINEL", "get-master-addr-by-name", "mymaster"]);
    const [host, port] = stdout.split(/\r?\n/);
    return host === HOST && /^\d+$/.test(port ?? "") ? Number(port) : undefined;
}

describe("redis HA with real servers (start scripts + generated conf)", function () {
    this.timeout(600_000);

    let root = "";
    let serverPorts: number[] = [];
    let sentinelPorts: number[] = [];
    const processes: { name: string; child: ChildProcess; log: string }[] = [];
    const keys = Array.from({ length: 50 }, (_, i) => [`key:${i}`, `value-${i}`] as const);

    const sentinelAddresses = () => sentinelPorts.map((p) => `${HOST}:${p}`).join(" ");

    function startNode(i: number): ChildProcess {
        const nodeDir = path.join(root, `node-${i}`);
        return launch(`node-${i}`, START_SERVER, {
            SERVER_BIN,
            CLI_BIN,
            CONF_SOURCE: path.join(nodeDir, "config", "server.conf"),
            RUNTIME_CONF: path.join(nodeDir, "run", "server.conf"),
            INITIAL_PRIMARY_HOST: HOST,
            INITIAL_PRIMARY_PORT: String(serverPorts[0]),
            ANNOUNCE_HOSTNAME: HOST,
            SENTINEL_ADDRESSES: sentinelAddresses(),
            QUERY_TIMEOUT_SECONDS: "2",
        });
    }

    function startSentinel(i: number): ChildProcess {
        const dir = path.join(root, `sentinel-${i}`);
        return launch(`sentinel-${i}`, START_SENTINEL, {
            SENTINEL_BIN,
            CLI_BIN,
            CONF_SOURCE: path.join(dir, "config", "sentinel.conf"),
            RUNTIME_CONF: path.join(dir, "run", "sentinel.conf"),
            ANNOUNCE_HOSTNAME: HOST,
            SENTINEL_ADDRESSES: sentinelAddresses(),
            QUERY_TIMEOUT_SECONDS: "2",
            PRIMARY_WAIT_SECONDS: "10",
        });
    }

    function launch(name: string, script: string, env: Record<string, string>): ChildProcess {
        const log = path.join(root, `${name}.${processes.length}.log`);
        const fd = fs.openSync(log, "a");
        const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, REDIS_PASSWORD: PASSWORD };
        delete childEnv.REDISCLI_AUTH;
        // The script execs the server, so this pid is the server's: SIGKILL hits the server itself.
        const child = spawn("bash", [script], { env: childEnv, stdio: ["ignore", fd, fd] });
        fs.closeSync(fd);
        processes.push({ name, child, log });
        return child;
    }

    function writeConf(file: string, text: string): void {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        fs.chmodSync(file, 0o444); // like a ConfigMap mount: the scripts must only read it
    }

    /** Waits until every replica reports an up link to primaryPort; fails at once when `child` (a replica just
     *  started) exits, with the end of its log. */
    async function waitForReplication(
        primaryPort: number,
        replicaPorts: number[],
        timeoutMs: number,
        child?: ChildProcess,
    ): Promise<void> {
        for (const port of replicaPorts) {
            await waitFor(`node ${port} replicating from ${primaryPort}`, timeoutMs, async () => {
                if (child !== undefined && (child.exitCode !== null || child.signalCode !== null)) {
                    const log = processes.find((p) => p.child === child)?.log;
                    const tail =
                        log && fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(-10).join("\n") : "";
                    throw new GaveUp(`node on port ${port} exited (${child.exitCode ?? child.signalCode}):\n${tail}`);
                }
                const repl = await info(port, "replication");
                return repl.get("role") === "slave" &&
                    repl.get("master_port") === String(primaryPort) &&
                    repl.get("master_link_status") === "up"
                    ? true
                    : undefined;
            });
        }
    }

    before(async function () {
        requireBinaries(this, [SERVER_BIN, SENTINEL_BIN, CLI_BIN, "bash", "timeout"]);
        root = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-redis-"));
        HOST = await announcedHost();
        const bind = "127.0.0.1";
        const ports = await freePorts(6);
        serverPorts = ports.slice(0, 3);
        sentinelPorts = ports.slice(3);

        serverPorts.forEach((port, i) => {
            const dataDir = path.join(root, `node-${i}`, "data");
            fs.mkdirSync(dataDir, { recursive: true });
            writeConf(
                path.join(root, `node-${i}`, "config", "server.conf"),
                redisServerConf({ port, bind, dir: dataDir, maxmemory: "64mb" }),
            );
        });
        sentinelPorts.forEach((port, i) => {
            const dir = path.join(root, `sentinel-${i}`);
            writeConf(
                path.join(dir, "config", "sentinel.conf"),
                sentinelConf({
                    port,
                    bind,
                    dir,
                    initialPrimaryHost: HOST,
                    initialPrimaryPort: serverPorts[0],
                    // 3 s: a loaded host must not pause a server long enough to look down and start a second failover.
                    downAfterMilliseconds: 3000,
                    failoverTimeoutMilliseconds: 10_000,
                }),
            );
        });

        // As in Kubernetes, nothing answers yet: every script must fall back to the initial primary.
        serverPorts.forEach((_, i) => startNode(i));
        sentinelPorts.forEach((_, i) => startSentinel(i));

        await waitForReplication(serverPorts[0], serverPorts.slice(1), CONVERGE_MS);
        for (const port of sentinelPorts) {
            await waitFor(`sentinel ${port} to know 2 replicas and 2 peers`, CONVERGE_MS, async () => {
                const { stdout } = await cli(port, ["SENTINEL", "master", "mymaster"]);
                const fields = stdout.split(/\r?\n/);
                const field = (k: string) => fields[fields.indexOf(k) + 1];
                return field("num-slaves") === "2" && field("num-other-sentinels") === "2" ? true : undefined;
            });
        }
    });

    afterEach(function () {
        if (this.currentTest?.state === "failed") {
            for (const p of processes) {
                const text = fs.existsSync(p.log)
                    ? fs.readFileSync(p.log, "utf8").split("\n").slice(-15).join("\n")
                    : "";
                console.log(`--- ${p.name} (${p.log}) ---\n${text}`);
            }
        }
    });

    after(async function () {
        this.timeout(300_000);
        await Promise.all(
            processes.map(
                ({ child }) =>
                    new Promise<void>((resolve) => {
                        if (child.exitCode !== null || child.signalCode !== null) {
                            resolve();
                            return;
                        }
                        const timer = setTimeout(resolve, 5000);
                        child.once("exit", () => {
                            clearTimeout(timer);
                            resolve();
                        });
                        child.kill("SIGKILL");
                    }),
            ),
        );
        if (root !== "") {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("the server runs with exactly authDirectives() appended, Sentinel with auth-pass; the mounted confs hold no password", () => {
        const serverRuntime = fs.readFileSync(path.join(root, "node-1", "run", "server.conf"), "utf8");
        expect(serverRuntime).to.contain(authDirectives("server", PASSWORD));
        expect(serverRuntime).to.match(new RegExp(`^replicaof ${HOST} \\d+$`, "m"));
        expect(serverRuntime).to.match(new RegExp(`^replica-announce-ip ${HOST}$`, "m"));
        const primaryRuntime = fs.readFileSync(path.join(root, "node-0", "run", "server.conf"), "utf8");
        expect(primaryRuntime).not.to.match(/^replicaof/m);
        // Sentinel rewrites its file at once (the offline tests check the script's exact output).
        const sentinelRuntime = fs.readFileSync(path.join(root, "sentinel-0", "run", "sentinel.conf"), "utf8");
        expect(sentinelRuntime).to.contain("sentinel auth-pass mymaster");
        for (const dir of ["node-0", "node-1", "node-2", "sentinel-0", "sentinel-1", "sentinel-2"]) {
            const file = path.join(root, dir, "config", dir.startsWith("node") ? "server.conf" : "sentinel.conf");
            expect(fs.readFileSync(file, "utf8"), file).not.to.contain("7f3a9c");
        }
    });

    it("refuses a wrong or missing password on data nodes and Sentinels", async () => {
        for (const port of [serverPorts[0], sentinelPorts[0]]) {
            const wrong = await cli(port, ["PING"], "wrong-password");
            expect(wrong.stdout + wrong.stderr).to.match(/WRONGPASS|NOAUTH/);
            expect(wrong.stdout).not.to.equal("PONG");
            const none = await cli(port, ["PING"], null);
            expect(none.stdout + none.stderr).to.match(/NOAUTH/);
            expect((await cli(port, ["PING"])).stdout).to.equal("PONG");
        }
    });

    it("replicates writes from the primary to both replicas", async () => {
        for (const [k, v] of keys) {
            expect((await cli(serverPorts[0], ["SET", k, v])).stdout).to.equal("OK");
        }
        expect((await cli(serverPorts[0], ["WAIT", "2", "2000"])).stdout).to.equal("2");
        for (const port of serverPorts.slice(1)) {
            expect((await cli(port, ["GET", "key:49"])).stdout).to.equal("value-49");
            expect((await cli(port, ["SET", "x", "1"])).stdout).to.match(/READONLY/);
        }
    });

    let newPrimary = 0;

    it("fails over within 30 s after SIGKILL of the primary; Sentinel names the new primary, which has the data", async () => {
        const oldPrimary = processes.find((p) => p.name === "node-0");
        expect(oldPrimary, "node-0 process").not.to.equal(undefined);
        oldPrimary!.child.kill("SIGKILL");
        const started = Date.now();

        newPrimary = await waitFor("all Sentinels to report a new primary", CONVERGE_MS, async () => {
            const answers = await Promise.all(sentinelPorts.map(primaryFromSentinel));
            const first = answers[0];
            return first !== undefined && first !== serverPorts[0] && answers.every((a) => a === first)
                ? first
                : undefined;
        });
        console.log(`      failover observed after ${Date.now() - started} ms (primary now on port ${newPrimary})`);
        expect(serverPorts.slice(1)).to.include(newPrimary);

        const repl = await waitFor("the promoted node to report role master", CONVERGE_MS, async () => {
            const r = await info(newPrimary, "replication");
            return r.get("role") === "master" ? r : undefined;
        });
        expect(repl.get("role")).to.equal("master");
        for (const [k, v] of keys) {
            expect((await cli(newPrimary, ["GET", k])).stdout).to.equal(v);
        }
        expect((await cli(newPrimary, ["SET", "after-failover", "yes"])).stdout).to.equal("OK");
        const otherReplica = serverPorts.slice(1).find((p) => p !== newPrimary)!;
        await waitForReplication(newPrimary, [otherReplica], CONVERGE_MS);
    });

    it("the old primary restarted by its start script rejoins as a replica of the new primary", async function () {
        if (newPrimary === 0) {
            this.skip(); // failover test failed already; nothing to rejoin
        }
        const restarted = startNode(0);
        await waitForReplication(newPrimary, [serverPorts[0]], CONVERGE_MS, restarted);
        expect((await cli(serverPorts[0], ["GET", "after-failover"])).stdout).to.equal("yes");
        expect((await cli(serverPorts[0], ["GET", "key:0"])).stdout).to.equal("value-0");
        const runtime = fs.readFileSync(path.join(root, "node-0", "run", "server.conf"), "utf8");
        expect(runtime).to.match(new RegExp(`^replicaof ${HOST} ${newPrimary}$`, "m"));
    });
});
