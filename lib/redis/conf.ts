/**
 * Valkey/Redis configuration as pure functions.
 *
 * We deploy Valkey (BSD-3; Redis >= 7.4 is source-available and Redis 8 AGPL) from its official image, but every
 * directive here is also understood by Redis 7.0 (Debian's redis-server/redis-sentinel, which the tests run).
 *
 * The generated files never contain the password: they end up in a ConfigMap. The start scripts in
 * scripts/redis/ append the auth lines from $REDIS_PASSWORD (a Secret reference) at container start, into a copy
 * on a writable volume (Sentinel and CONFIG REWRITE must be able to rewrite the file).
 */

export const DEFAULT_SERVER_PORT = 6379;
export const DEFAULT_SENTINEL_PORT = 26379;
export const DEFAULT_MASTER_NAME = "mymaster";

/** Environment variable names the start scripts read; the Kubernetes component sets these. */
export const START_SCRIPT_ENV = {
    /** Password for clients, replication and Sentinel (from a Secret). Both scripts. */
    password: "REDIS_PASSWORD",
    /** Server binary (default valkey-server). start-server.sh. */
    serverBin: "SERVER_BIN",
    /** Sentinel binary (default valkey-sentinel). start-sentinel.sh. */
    sentinelBin: "SENTINEL_BIN",
    /** CLI binary (default valkey-cli). Both scripts. */
    cliBin: "CLI_BIN",
    /** Generated conf on the read-only mount. Both scripts. */
    confSource: "CONF_SOURCE",
    /** Writable copy the process runs with. Both scripts. */
    runtimeConf: "RUNTIME_CONF",
    /** "host:port host:port ..." of all Sentinels (commas also accepted). Both scripts. */
    sentinelAddresses: "SENTINEL_ADDRESSES",
    /** This pod's stable hostname (and port) as others must reach it. Both scripts. */
    announceHostname: "ANNOUNCE_HOSTNAME",
    announcePort: "ANNOUNCE_PORT",
    /** Sentinel master name. start-server.sh (the sentinel script reads it from its conf). */
    masterName: "MASTER_NAME",
    /** The data node that is primary on first boot. start-server.sh (the sentinel script reads its conf). */
    initialPrimaryHost: "INITIAL_PRIMARY_HOST",
    initialPrimaryPort: "INITIAL_PRIMARY_PORT",
    /** Upper bound of every single network call in the scripts. Both scripts. */
    queryTimeoutSeconds: "QUERY_TIMEOUT_SECONDS",
    /** How long a Sentinel waits for the primary to answer before starting anyway. start-sentinel.sh. */
    primaryWaitSeconds: "PRIMARY_WAIT_SECONDS",
} as const;

export type LogLevel = "debug" | "verbose" | "notice" | "warning";

/** An RDB save point: snapshot when at least `changes` writes happened within `seconds`. */
export interface SavePoint {
    readonly seconds: number;
    readonly changes: number;
}

export interface RedisServerConfArgs {
    /** @default 6379 */
    readonly port?: number;
    /** Addresses to listen on. @default "0.0.0.0" */
    readonly bind?: string;
    /** Data directory (the PersistentVolume mount). @default "/data" */
    readonly dir?: string;
    /** AOF persistence. @default true */
    readonly appendOnly?: boolean;
    /** @default "everysec" */
    readonly appendFsync?: "always" | "everysec" | "no";
    /** RDB save points (the snapshots backups copy off the pod). Empty list disables RDB snapshots.
     * @default [{3600 s, 1}, {300 s, 100}, {60 s, 10000}] */
    readonly savePoints?: readonly SavePoint[];
    /** Memory limit: bytes, or a Redis size string such as "768mb". Keep it below the container limit
     * (see maxmemoryBytesForLimit). @default "768mb" (75 % of the reference 1Gi limit) */
    readonly maxmemory?: number | string;
    /** @default "noeviction" (writes fail loudly instead of silently dropping keys) */
    readonly maxmemoryPolicy?: string;
    /** Address replicas announce to the primary and Sentinel (Kubernetes: the pod's stable DNS name). When the
     * conf is shared by several pods leave it unset and let the start script append it from ANNOUNCE_HOSTNAME.
     * @default not set */
    readonly announceHostname?: string;
    /** @default not set (the real port) */
    readonly announcePort?: number;
    /** Refuse writes unless this many replicas are connected (bounds data loss in a partition); 0 disables.
     * @default 0 */
    readonly minReplicasToWrite?: number;
    /** @default 10 */
    readonly minReplicasMaxLagSeconds?: number;
    /** Sentinel promotes the lowest non-zero priority first; 0 = never promote. @default 100 */
    readonly replicaPriority?: number;
    /** @default 60 */
    readonly tcpKeepaliveSeconds?: number;
    /** @default "notice" */
    readonly logLevel?: LogLevel;
}

export interface SentinelConfArgs {
    /** @default 26379 */
    readonly port?: number;
    /** @default "0.0.0.0" */
    readonly bind?: string;
    /** Working directory; Sentinel writes nothing there (its state goes into its config file). @default "/tmp" */
    readonly dir?: string;
    /** @default "mymaster" */
    readonly masterName?: string;
    /** Primary on first boot (Kubernetes: podHostname(<servers>, 0, ...)). The start script replaces it with the
     * primary its peers report, if any. */
    readonly initialPrimaryHost: string;
    /** @default 6379 */
    readonly initialPrimaryPort?: number;
    /** Sentinels that must agree the primary is down. @default 2 */
    readonly quorum?: number;
    /** @default 5000 */
    readonly downAfterMilliseconds?: number;
    /** @default 60000 */
    readonly failoverTimeoutMilliseconds?: number;
    /** Replicas resynchronising with a new primary at the same time. @default 1 */
    readonly parallelSyncs?: number;
    /** This Sentinel's hostname as peers and clients must reach it. When the conf is shared by several pods leave
     * it unset and let the start script append it from ANNOUNCE_HOSTNAME. @default not set */
    readonly announceHostname?: string;
    /** @default not set (the real port) */
    readonly announcePort?: number;
    /** @default "notice" */
    readonly logLevel?: LogLevel;
}

const DEFAULT_SAVE_POINTS: readonly SavePoint[] = [
    { seconds: 3600, changes: 1 },
    { seconds: 300, changes: 100 },
    { seconds: 60, changes: 10000 },
];

// Hostnames, master names and size strings go into the config unquoted: allow only characters that need no quoting.
const TOKEN = /^[A-Za-z0-9._:-]+$/;
const BIND = /^[A-Za-z0-9.:*\-! ]+$/;
const SIZE = /^[0-9]+(b|k|kb|m|mb|g|gb)?$/i;

function checkPort(name: string, port: number): number {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`redis conf: ${name} must be an integer port 1-65535, got ${port}`);
    }
    return port;
}

function checkToken(name: string, value: string): string {
    if (!TOKEN.test(value)) {
        throw new Error(`redis conf: ${name} must match ${TOKEN}, got ${JSON.stringify(value)}`);
    }
    return value;
}

function checkNonNegativeInt(name: string, value: number, min = 0): number {
    if (!Number.isInteger(value) || value < min) {
        throw new Error(`redis conf: ${name} must be an integer >= ${min}, got ${value}`);
    }
    return value;
}

function checkPath(name: string, value: string): string {
    if (!value.startsWith("/") || /[\s"'\\]/.test(value)) {
        throw new Error(
            `redis conf: ${name} must be an absolute path without spaces or quotes, got ${JSON.stringify(value)}`,
        );
    }
    return value;
}

function checkBind(bind: string): string {
    if (!BIND.test(bind) || bind.trim() === "") {
        throw new Error(`redis conf: bind must be a list of addresses, got ${JSON.stringify(bind)}`);
    }
    return bind.trim();
}

function formatMemory(maxmemory: number | string): string {
    if (typeof maxmemory === "number") {
        return String(checkNonNegativeInt("maxmemory", maxmemory));
    }
    if (!SIZE.test(maxmemory)) {
        throw new Error(`redis conf: maxmemory must be bytes or a size like "768mb", got ${JSON.stringify(maxmemory)}`);
    }
    return maxmemory.toLowerCase();
}

const MAXMEMORY_POLICIES = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
];

function lines(...parts: (string | undefined | false)[]): string {
    return parts.filter((p): p is string => typeof p === "string").join("\n") + "\n";
}

/** redis.conf / valkey.conf for a data node (primary or replica: the start script decides the role). */
export function redisServerConf(args: RedisServerConfArgs = {}): string {
    const port = checkPort("port", args.port ?? DEFAULT_SERVER_PORT);
    const bind = checkBind(args.bind ?? "0.0.0.0");
    const dir = checkPath("dir", args.dir ?? "/data");
    const appendOnly = args.appendOnly ?? true;
    const appendFsync = args.appendFsync ?? "everysec";
    const savePoints = args.savePoints ?? DEFAULT_SAVE_POINTS;
    const maxmemory = formatMemory(args.maxmemory ?? "768mb");
    const maxmemoryPolicy = args.maxmemoryPolicy ?? "noeviction";
    if (!MAXMEMORY_POLICIES.includes(maxmemoryPolicy)) {
        throw new Error(
            `redis conf: maxmemoryPolicy must be one of ${MAXMEMORY_POLICIES.join(", ")}, got ${maxmemoryPolicy}`,
        );
    }
    const announceHostname =
        args.announceHostname === undefined ? undefined : checkToken("announceHostname", args.announceHostname);
    const announcePort = args.announcePort === undefined ? undefined : checkPort("announcePort", args.announcePort);
    const minReplicasToWrite = checkNonNegativeInt("minReplicasToWrite", args.minReplicasToWrite ?? 0);
    const minReplicasMaxLagSeconds = checkNonNegativeInt(
        "minReplicasMaxLagSeconds",
        args.minReplicasMaxLagSeconds ?? 10,
    );
    const replicaPriority = checkNonNegativeInt("replicaPriority", args.replicaPriority ?? 100);
    const tcpKeepaliveSeconds = checkNonNegativeInt("tcpKeepaliveSeconds", args.tcpKeepaliveSeconds ?? 60);
    const logLevel = args.logLevel ?? "notice";
    for (const p of savePoints) {
        checkNonNegativeInt("savePoints.seconds", p.seconds, 1);
        checkNonNegativeInt("savePoints.changes", p.changes, 1);
    }
    const save =
        savePoints.length === 0 ? 'save ""' : `save ${savePoints.map((p) => `${p.seconds} ${p.changes}`).join(" ")}`;

    return lines(
        "# Generated by Stackwright (lib/redis/conf.ts). No secrets here: the start script appends",
        "# requirepass/masterauth from $REDIS_PASSWORD and decides primary/replica at container start.",
        `port ${port}`,
        `bind ${bind}`,
        // Password auth is mandatory instead; protected mode would refuse every non-loopback client.
        "protected-mode no",
        "daemonize no",
        'logfile ""',
        `loglevel ${logLevel}`,
        `tcp-keepalive ${tcpKeepaliveSeconds}`,
        `dir ${dir}`,
        "",
        "# Persistence: AOF for durability, RDB snapshots for backups and fast restarts.",
        `appendonly ${appendOnly ? "yes" : "no"}`,
        `appendfsync ${appendFsync}`,
        "aof-use-rdb-preamble yes",
        save,
        "dbfilename dump.rdb",
        "stop-writes-on-bgsave-error yes",
        "",
        `maxmemory ${maxmemory}`,
        `maxmemory-policy ${maxmemoryPolicy}`,
        "",
        "# Replication (role chosen by the start script).",
        "replica-read-only yes",
        "replica-serve-stale-data yes",
        "repl-diskless-sync yes",
        `replica-priority ${replicaPriority}`,
        `min-replicas-to-write ${minReplicasToWrite}`,
        `min-replicas-max-lag ${minReplicasMaxLagSeconds}`,
        announceHostname !== undefined && `replica-announce-ip ${announceHostname}`,
        announcePort !== undefined && `replica-announce-port ${announcePort}`,
    );
}

/** sentinel.conf. Sentinel rewrites its config file, so the start script runs it from a writable copy. */
export function sentinelConf(args: SentinelConfArgs): string {
    const port = checkPort("port", args.port ?? DEFAULT_SENTINEL_PORT);
    const bind = checkBind(args.bind ?? "0.0.0.0");
    const dir = checkPath("dir", args.dir ?? "/tmp");
    const masterName = checkToken("masterName", args.masterName ?? DEFAULT_MASTER_NAME);
    const primaryHost = checkToken("initialPrimaryHost", args.initialPrimaryHost);
    const primaryPort = checkPort("initialPrimaryPort", args.initialPrimaryPort ?? DEFAULT_SERVER_PORT);
    const quorum = checkNonNegativeInt("quorum", args.quorum ?? 2, 1);
    const downAfterMilliseconds = checkNonNegativeInt("downAfterMilliseconds", args.downAfterMilliseconds ?? 5000, 1);
    const failoverTimeoutMilliseconds = checkNonNegativeInt(
        "failoverTimeoutMilliseconds",
        args.failoverTimeoutMilliseconds ?? 60000,
        1,
    );
    const parallelSyncs = checkNonNegativeInt("parallelSyncs", args.parallelSyncs ?? 1, 1);
    const announceHostname =
        args.announceHostname === undefined ? undefined : checkToken("announceHostname", args.announceHostname);
    const announcePort = args.announcePort === undefined ? undefined : checkPort("announcePort", args.announcePort);
    const logLevel = args.logLevel ?? "notice";

    return lines(
        "# Generated by Stackwright (lib/redis/conf.ts). No secrets here: the start script appends",
        "# requirepass/auth-pass from $REDIS_PASSWORD and points the monitor line at the current primary.",
        `port ${port}`,
        `bind ${bind}`,
        "protected-mode no",
        "daemonize no",
        'logfile ""',
        `loglevel ${logLevel}`,
        `dir ${dir}`,
        // Pod IPs change on every restart: Sentinel must track stable DNS names. Both must precede the monitor line.
        "sentinel resolve-hostnames yes",
        "sentinel announce-hostnames yes",
        announceHostname !== undefined && `sentinel announce-ip ${announceHostname}`,
        announcePort !== undefined && `sentinel announce-port ${announcePort}`,
        "sentinel deny-scripts-reconfig yes",
        `sentinel monitor ${masterName} ${primaryHost} ${primaryPort} ${quorum}`,
        `sentinel down-after-milliseconds ${masterName} ${downAfterMilliseconds}`,
        `sentinel failover-timeout ${masterName} ${failoverTimeoutMilliseconds}`,
        `sentinel parallel-syncs ${masterName} ${parallelSyncs}`,
    );
}

/** A config-file string literal (double quotes, backslash escapes) that Redis' parser reads back verbatim. */
export function quoteConfValue(value: string): string {
    if (/\p{Cc}/u.test(value)) {
        throw new Error("redis conf: value must not contain control characters");
    }
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

export type AuthRole = "server" | "sentinel";

/**
 * The auth lines the start scripts append at container start (same text, same quoting; the spec checks the
 * scripts against this). Never write the result into a ConfigMap.
 * Server: clients and replication use the same password. Sentinel: protects itself (peers authenticate with
 * the same requirepass) and authenticates to the data nodes.
 */
export function authDirectives(role: AuthRole, password: string, masterName: string = DEFAULT_MASTER_NAME): string {
    if (password === "") {
        throw new Error("redis conf: password must not be empty");
    }
    const quoted = quoteConfValue(password);
    if (role === "server") {
        return lines(`requirepass ${quoted}`, `masterauth ${quoted}`);
    }
    return lines(`requirepass ${quoted}`, `sentinel auth-pass ${checkToken("masterName", masterName)} ${quoted}`);
}

/** Stable DNS name of a StatefulSet pod behind its headless Service. */
export function podHostname(
    statefulSetName: string,
    ordinal: number,
    headlessServiceName: string,
    namespace: string,
    clusterDomain: string = "cluster.local",
): string {
    checkNonNegativeInt("ordinal", ordinal);
    for (const [name, value] of [
        ["statefulSetName", statefulSetName],
        ["headlessServiceName", headlessServiceName],
        ["namespace", namespace],
    ]) {
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
            throw new Error(`redis conf: ${name} must be a DNS label, got ${JSON.stringify(value)}`);
        }
    }
    checkToken("clusterDomain", clusterDomain);
    return `${statefulSetName}-${ordinal}.${headlessServiceName}.${namespace}.svc.${clusterDomain}`;
}

export interface StatefulSetAddressesArgs {
    readonly statefulSetName: string;
    readonly replicas: number;
    readonly headlessServiceName: string;
    readonly namespace: string;
    readonly port: number;
    /** @default "cluster.local" */
    readonly clusterDomain?: string;
}

/** "host:port" of every pod of a StatefulSet, e.g. for SENTINEL_ADDRESSES. */
export function statefulSetPodAddresses(args: StatefulSetAddressesArgs): string[] {
    checkNonNegativeInt("replicas", args.replicas, 1);
    const port = checkPort("port", args.port);
    return Array.from(
        { length: args.replicas },
        (_, ordinal) =>
            `${podHostname(args.statefulSetName, ordinal, args.headlessServiceName, args.namespace, args.clusterDomain)}:${port}`,
    );
}

/** The SENTINEL_ADDRESSES value the start scripts expect. */
export function formatAddressList(addresses: readonly string[]): string {
    for (const a of addresses) {
        checkToken("address", a);
    }
    return addresses.join(" ");
}

/** maxmemory for a container memory limit, leaving headroom for fork (RDB/AOF rewrite), buffers and the allocator. */
export function maxmemoryBytesForLimit(memoryLimitBytes: number, fraction: number = 0.75): number {
    if (!(memoryLimitBytes > 0) || !(fraction > 0 && fraction < 1)) {
        throw new Error(
            `redis conf: need memoryLimitBytes > 0 and 0 < fraction < 1, got ${memoryLimitBytes}, ${fraction}`,
        );
    }
    return Math.floor(memoryLimitBytes * fraction);
}
