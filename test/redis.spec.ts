/**
 * Valkey (Redis API): pure pod/network builders, the rendered stacks (topology per environment, Secrets, config,
 * probes, persistence, monitoring, NetworkPolicies) and the rendered data node (ConfigMap + start script + env +
 * probe) run against a real server.
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig, StackConfig } from "../config";
import { resolveResources } from "../lib/defaults";
import { parseQuantity } from "../lib/quantity";
import {
    formatAddressList,
    maxmemoryBytesForLimit,
    podHostname,
    redisServerConf,
    sentinelConf,
    START_SCRIPT_ENV,
    statefulSetPodAddresses,
} from "../lib/redis/conf";
import { redisResourceDefaults } from "../lib/redis/defaults";
import { redisClientPeers } from "../lib/redis/plan";
import {
    clientSecretData,
    redisLayout,
    SENTINEL_SELECTOR,
    sentinelQuorum,
    SERVER_SELECTOR,
    serverPodSpec,
} from "../lib/redis/workload";
import { REDIS_SECRET_ENV, redisPods, redisSentinelPods } from "../lib/topology";
import {
    descendantsOf,
    kubeObjects,
    manifestOf,
    ofKind,
    podSpecOf,
    readStackConfig,
    RecordedResource,
    RenderedStack,
    renderStack,
    REPO_ROOT,
    STACKS,
} from "./lib/harness";
import { Endpoint, isAllowed, matchesSelector, NetworkPolicyObject, podEndpoint } from "./lib/netpol";
import { freePorts } from "./lib/ports";
import { validateAgainstSchemas } from "./lib/schemas";
import { requireTools } from "./lib/tools";
import { MonitoringCrds } from "../components/monitoring-crds";
import { Redis } from "../components/redis";
import { redisPlan } from "../lib/redis/plan";
import { renderUnderMocks } from "./lib/mock-component";

const SCRIPTS = path.join(REPO_ROOT, "scripts", "redis");

function redisResources(r: RenderedStack): RecordedResource[] {
    const component = r.resources.find((x) => x.type === Redis.TYPE);
    if (!component) throw new Error(`no ${Redis.TYPE} component registered`);
    return descendantsOf(r.resources, component.urn);
}
const find = (resources: RecordedResource[], type: string, name: string): RecordedResource | undefined =>
    resources.find((r) => r.type === `kubernetes:${type}` && r.name === name);
const get = (resources: RecordedResource[], type: string, name: string): RecordedResource => {
    const r = find(resources, type, name);
    if (!r) throw new Error(`no ${type} ${name}`);
    return r;
};
const envOf = (container: any): Record<string, any> =>
    Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe("redis: pure specs", () => {
    const layoutArgs = {
        namespace: "data",
        clusterDomain: "cluster.local",
        replicas: 3,
        sentinels: 3,
        masterName: "primary",
    };

    it("standalone runs one node and no Sentinel whatever the counts; sentinel mode needs 2+ nodes and 3+ Sentinels", () => {
        expect(redisLayout({ ...layoutArgs, mode: "standalone" })).to.include({ replicas: 1, sentinels: 0 });
        expect(redisLayout({ ...layoutArgs, mode: "sentinel" })).to.include({ replicas: 3, sentinels: 3 });
        expect(() => redisLayout({ ...layoutArgs, mode: "sentinel", replicas: 1 })).to.throw(/2 data nodes/);
        expect(() => redisLayout({ ...layoutArgs, mode: "sentinel", sentinels: 2 })).to.throw(/3 Sentinels/);
        expect([3, 4, 5].map(sentinelQuorum)).to.deep.equal([2, 3, 3]);
    });

    it("client Secret data: Sentinel list and master name only in sentinel mode; keys per REDIS_SECRET_ENV", () => {
        const standalone = clientSecretData(redisLayout({ ...layoutArgs, mode: "standalone" }), "pw");
        expect(Object.keys(standalone).sort()).to.deep.equal(Object.values(REDIS_SECRET_ENV).sort());
        expect(standalone).to.deep.equal({
            host: "redis.data.svc.cluster.local",
            port: "6379",
            password: "pw",
            sentinels: "",
            "master-name": "",
            uri: "redis://default:pw@redis.data.svc.cluster.local:6379/0",
        });
        const ha = clientSecretData(redisLayout({ ...layoutArgs, mode: "sentinel" }), "p@ss");
        const sentinels = [0, 1, 2].map((i) => `redis-sentinel-${i}.redis-sentinel.data.svc.cluster.local:26379`);
        expect(ha.sentinels).to.equal(sentinels.join(" "));
        expect(ha["master-name"]).to.equal("primary");
        // No single address always reaches the primary: the URL names the Sentinels and the master.
        expect(ha.uri).to.equal(`redis+sentinel://default:p%40ss@${sentinels.join(",")}/primary/0`);
    });

    it("data node pod: non-root uid 999, read-only root, writable /run/valkey, password by reference only", () => {
        const spec = serverPodSpec({
            layout: redisLayout({ ...layoutArgs, mode: "sentinel" }),
            image: "valkey/valkey:8.1.11-trixie",
            resources: redisResourceDefaults("prod"),
            passwordSecretName: "pw",
            configMapName: "cfg",
            scriptsConfigMapName: "scripts",
            serviceAccountName: "sa",
            zoneSpread: true,
            exporterImage: "oliver006/redis_exporter:v1.90.0",
            exporterResources: redisResourceDefaults("dev"),
        }) as any;
        expect(spec.securityContext).to.include({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
        expect(spec.automountServiceAccountToken).to.equal(false);
        const [valkey, exporter] = spec.containers;
        expect(valkey.command).to.deep.equal(["bash", "/scripts/start-server.sh"]);
        expect(valkey.securityContext).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(valkey.volumeMounts.map((m: any) => m.mountPath)).to.include.members([
            "/etc/valkey",
            "/scripts",
            "/data",
            "/run/valkey",
            "/tmp",
        ]);
        expect(valkey.volumeMounts.find((m: any) => m.mountPath === "/etc/valkey").readOnly).to.equal(true);
        const env = envOf(valkey);
        expect(env.REDIS_PASSWORD).to.deep.equal({ secretKeyRef: { name: "pw", key: "password" } });
        expect(env.REDISCLI_AUTH).to.deep.equal({ secretKeyRef: { name: "pw", key: "password" } });
        expect(env.ANNOUNCE_HOSTNAME).to.equal("$(POD_NAME).redis.data.svc.cluster.local");
        expect(env.INITIAL_PRIMARY_HOST).to.equal(podHostname("redis", 0, "redis", "data"));
        expect(valkey.livenessProbe.exec.command.join(" ")).to.match(/valkey-cli -h 127\.0\.0\.1 -p 6379 ping/);
        expect(envOf(exporter).REDIS_PASSWORD).to.deep.equal({ secretKeyRef: { name: "pw", key: "password" } });
        expect(spec.topologySpreadConstraints.map((t: any) => t.whenUnsatisfiable)).to.deep.equal([
            "DoNotSchedule",
            "DoNotSchedule",
        ]);
    });

    it("pod labels are exactly what lib/topology.ts tells other components to select", () => {
        const cfg = parseConfig({ environment: "dev", domain: "example.com" });
        expect(SERVER_SELECTOR).to.deep.equal(redisPods(cfg).podLabels);
        expect(SENTINEL_SELECTOR).to.deep.equal(redisSentinelPods(cfg).podLabels);
    });

    it("config: real image defaults, maxmemory must stay below the memory limit", () => {
        const cfg = parseConfig({ environment: "dev", domain: "example.com" });
        expect(cfg.redis.image).to.equal("valkey/valkey:8.1.11-trixie");
        expect(cfg.redis.exporterImage).to.equal("oliver006/redis_exporter:v1.90.0");
        expect(() =>
            parseConfig({ environment: "dev", domain: "example.com", redis: { maxmemory: "256Mi" } }),
        ).to.throw(/stackwright:redis\.maxmemory: "256Mi" must stay below the memory limit "256Mi"/);
        expect(() =>
            parseConfig({ environment: "dev", domain: "example.com", redis: { maxmemory: "200Mi" } }),
        ).to.not.throw();
    });
});

for (const stack of STACKS) {
    describe(`redis: stack ${stack}`, () => {
        let rendered: RenderedStack;
        let cfg: StackConfig;
        let mine: RecordedResource[];
        const sentinelMode = stack !== "dev";
        before(async () => {
            cfg = parseConfig(readStackConfig(stack));
            rendered = await renderStack(stack);
            mine = redisResources(rendered);
        });

        it(`topology: ${sentinelMode ? "3 data nodes + 3 Sentinels" : "one data node, no Sentinel"}`, () => {
            const sets = mine.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
            expect(sets.map((s) => [s.inputs.metadata.name, s.inputs.spec.replicas]).sort()).to.deep.equal(
                sentinelMode
                    ? [
                          ["redis", 3],
                          ["redis-sentinel", 3],
                      ]
                    : [["redis", 1]],
            );
            const pdbs = mine.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget");
            expect(pdbs.map((p) => p.inputs.spec.selector.matchLabels)).to.deep.equal(
                sentinelMode ? [SERVER_SELECTOR, SENTINEL_SELECTOR] : [],
            );
            for (const p of pdbs) expect(p.inputs.spec.maxUnavailable).to.equal(1);
        });

        it("headless Services publish not-ready pods and give each pod its announced DNS name", () => {
            const sets = mine.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
            for (const set of sets) {
                const service = mine.find(
                    (r) =>
                        r.type === "kubernetes:core/v1:Service" &&
                        r.inputs.metadata.name === set.inputs.spec.serviceName,
                )!;
                expect(service.inputs.spec).to.deep.include({ clusterIP: "None", publishNotReadyAddresses: true });
                expect(
                    matchesSelector(
                        { matchLabels: service.inputs.spec.selector },
                        set.inputs.spec.template.metadata.labels,
                    ),
                ).to.equal(true);
                const container = set.inputs.spec.template.spec.containers[0];
                expect(envOf(container)[START_SCRIPT_ENV.announceHostname]).to.equal(
                    `$(POD_NAME).${set.inputs.spec.serviceName}.data.svc.cluster.local`,
                );
                expect(container.image).to.equal(cfg.redis.image);
                expect(container.command[0]).to.equal("bash");
            }
        });

        it("Sentinel wiring: addresses, initial primary, master name and quorum in env and config", () => {
            const server = get(mine, "apps/v1:StatefulSet", "redis-server").inputs.spec.template.spec.containers[0];
            const env = envOf(server);
            const addresses = sentinelMode
                ? formatAddressList(
                      statefulSetPodAddresses({
                          statefulSetName: "redis-sentinel",
                          replicas: 3,
                          headlessServiceName: "redis-sentinel",
                          namespace: "data",
                          port: 26379,
                      }),
                  )
                : "";
            expect(env.SENTINEL_ADDRESSES).to.equal(addresses);
            expect(env.INITIAL_PRIMARY_HOST).to.equal(podHostname("redis", 0, "redis", "data"));
            expect(env.MASTER_NAME).to.equal("primary");
            const config = get(mine, "core/v1:ConfigMap", "redis-config").inputs.data;
            if (!sentinelMode) {
                expect(config).to.not.have.property("sentinel.conf");
                return;
            }
            expect(config["sentinel.conf"]).to.equal(
                sentinelConf({
                    masterName: "primary",
                    initialPrimaryHost: podHostname("redis", 0, "redis", "data"),
                    quorum: 2,
                }),
            );
            const sentinel = get(mine, "apps/v1:StatefulSet", "redis-sentinel").inputs.spec.template.spec.containers[0];
            expect(sentinel.command).to.deep.equal(["bash", "/scripts/start-sentinel.sh"]);
            expect(envOf(sentinel).SENTINEL_ADDRESSES).to.equal(addresses);
            expect(envOf(sentinel).SENTINEL_BIN).to.equal("valkey-sentinel");
        });

        it("server config from the pure function: AOF + RDB, maxmemory 75% of the limit; scripts from the repository", () => {
            const limits = resolveResources(cfg.redis.resources, redisResourceDefaults(cfg.environment)).limits;
            const data = get(mine, "core/v1:ConfigMap", "redis-config").inputs.data;
            const expected = redisServerConf({
                port: 6379,
                dir: "/data",
                maxmemory: maxmemoryBytesForLimit(parseQuantity(limits.memory)),
                maxmemoryPolicy: "noeviction",
                minReplicasToWrite: sentinelMode ? 1 : 0,
            });
            expect(data["server.conf"]).to.equal(expected);
            expect(data["server.conf"])
                .to.match(/^appendonly yes$/m)
                .and.to.match(/^save \d+/m);
            const scripts = get(mine, "core/v1:ConfigMap", "redis-scripts").inputs.data;
            // The start scripts source lib.sh from their own directory: it ships in the same ConfigMap.
            expect(Object.keys(scripts).sort()).to.deep.equal([
                "lib.sh",
                ...(sentinelMode ? ["start-sentinel.sh"] : []),
                "start-server.sh",
            ]);
            expect(scripts["lib.sh"]).to.equal(fs.readFileSync(path.join(SCRIPTS, "lib.sh"), "utf8"));
            expect(scripts["start-server.sh"]).to.equal(fs.readFileSync(path.join(SCRIPTS, "start-server.sh"), "utf8"));
            if (sentinelMode)
                expect(scripts["start-sentinel.sh"]).to.equal(
                    fs.readFileSync(path.join(SCRIPTS, "start-sentinel.sh"), "utf8"),
                );
        });

        it("persistence on PVCs, resources per environment, PING probes with the password from the Secret", () => {
            const set = get(mine, "apps/v1:StatefulSet", "redis-server").inputs.spec;
            expect(set.volumeClaimTemplates[0].spec).to.deep.include({
                storageClassName: { dev: "standard", staging: "standard", prod: "fast-ssd" }[stack],
                resources: { requests: { storage: cfg.redis.storageSize } },
            });
            const password = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "redis-password")!;
            const [valkey, exporter] = set.template.spec.containers;
            expect(valkey.resources.limits).to.include({
                cpu: stack === "dev" ? "250m" : "500m",
                memory: stack === "dev" ? "256Mi" : "1Gi",
            });
            for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"])
                expect(valkey[probe].exec.command[2], probe).to.include("ping");
            expect(envOf(valkey).REDISCLI_AUTH).to.deep.equal({
                secretKeyRef: { name: password.state.metadata.name, key: "password" },
            });
            expect(exporter.image).to.equal(cfg.redis.exporterImage);
            expect(exporter.ports[0]).to.include({ name: "metrics", containerPort: 9121 });
        });

        it("Secrets: the password in the data namespace, the client Secret with REDIS_SECRET_ENV keys in the apps namespace", () => {
            const generated = rendered.resources.find((r) => r.name === "secrets-redisPassword")!.state.result;
            const password = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "redis-password")!;
            expect(password.inputs.metadata.namespace).to.equal("data");
            expect(password.inputs.stringData).to.deep.equal({ password: generated });
            const client = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "redis-client")!;
            expect(client.inputs.metadata.namespace).to.equal("apps");
            expect(client.inputs.stringData).to.deep.equal(
                clientSecretData(
                    redisLayout({
                        mode: cfg.redis.mode,
                        namespace: "data",
                        clusterDomain: "cluster.local",
                        replicas: 3,
                        sentinels: 3,
                        masterName: "primary",
                    }),
                    generated,
                ),
            );
        });

        it("services reference the Redis client Secret exactly when they declare redis: true", () => {
            const clientName = mine.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name === "redis-client")!
                .state.metadata.name;
            for (const [service, svc] of Object.entries(cfg.services)) {
                const deployment = rendered.resources.find(
                    (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === service,
                )!;
                const refs = podSpecOf(manifestOf(deployment)!)!.containers.flatMap((c: any) =>
                    (c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.name),
                );
                const keys = podSpecOf(manifestOf(deployment)!)!.containers.flatMap((c: any) =>
                    (c.env ?? [])
                        .filter((e: any) => e.valueFrom?.secretKeyRef?.name === clientName)
                        .map((e: any) => e.name),
                );
                expect(refs.includes(clientName), service).to.equal(svc.redis);
                expect(keys.sort(), service).to.deep.equal(svc.redis ? Object.keys(REDIS_SECRET_ENV).sort() : []);
            }
        });

        it("NetworkPolicies: only redis clients (and backups, peers, Prometheus) get in", () => {
            const policies: NetworkPolicyObject[] = ofKind(rendered.resources, "NetworkPolicy").map((r) => ({
                metadata: { namespace: r.inputs.metadata.namespace },
                spec: r.inputs.spec,
            }));
            // One side at a time: the destination's ingress policies, or the source's egress policies.
            const ingressAllowed = (from: Endpoint, to: Endpoint, port: number) =>
                isAllowed(policies, from, to, { port }, "ingress");
            const egressAllowed = (from: Endpoint, to: Endpoint, port: number) =>
                isAllowed(policies, from, to, { port }, "egress");
            const server = podEndpoint("server", "data", { ...SERVER_SELECTOR });
            const sentinel = podEndpoint("sentinel", "data", { ...SENTINEL_SELECTOR });
            const appPods = rendered.resources
                .filter(
                    (r) =>
                        ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"].includes(r.type) &&
                        r.inputs.metadata?.namespace === "apps",
                )
                .map((r) => podEndpoint(r.name, "apps", manifestOf(r)!.spec.template.metadata.labels));
            const expected = Object.entries(cfg.services)
                .filter(([, s]) => s.redis)
                .map(([n]) => n)
                .sort();
            expect(
                appPods
                    .filter((p) => ingressAllowed(p, server, 6379))
                    .map((p) => p.id)
                    .sort(),
            ).to.deep.equal(expected);
            expect(redisClientPeers(cfg).map((p) => p.podLabels["app.kubernetes.io/name"])).to.deep.equal(expected);
            const backup = podEndpoint("backup", "data", { "app.kubernetes.io/component": "backup" });
            const stranger = podEndpoint("stranger", "data", { "cnpg.io/cluster": "postgres" });
            expect(ingressAllowed(backup, server, 6379)).to.equal(true);
            expect(ingressAllowed(stranger, server, 6379)).to.equal(false);
            expect(
                ingressAllowed(
                    podEndpoint("prometheus", "monitoring", { "app.kubernetes.io/name": "prometheus" }),
                    server,
                    9121,
                ),
            ).to.equal(cfg.monitoring.enabled);
            expect(ingressAllowed(server, server, 6379)).to.equal(true);
            expect(egressAllowed(server, server, 6379)).to.equal(true);
            if (!sentinelMode) return;
            expect(
                appPods
                    .filter((p) => ingressAllowed(p, sentinel, 26379))
                    .map((p) => p.id)
                    .sort(),
            ).to.deep.equal(expected);
            expect(ingressAllowed(sentinel, server, 6379)).to.equal(true);
            expect(egressAllowed(sentinel, server, 6379)).to.equal(true);
            expect(egressAllowed(sentinel, sentinel, 26379)).to.equal(true);
            expect(egressAllowed(server, sentinel, 26379)).to.equal(true);
            expect(ingressAllowed(stranger, sentinel, 26379)).to.equal(false);
        });

        it("ServiceMonitor on the exporter (plain HTTP: outside the mesh), after the monitoring CRDs", () => {
            const monitor = mine.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
            expect(Boolean(monitor)).to.equal(cfg.monitoring.enabled);
            if (!monitor) return;
            const service = mine.find(
                (r) => r.type === "kubernetes:core/v1:Service" && r.inputs.metadata.name === "redis",
            )!;
            expect(matchesSelector(monitor.inputs.spec.selector, service.inputs.metadata.labels)).to.equal(true);
            expect(monitor.inputs.spec.endpoints).to.deep.equal([
                { port: "metrics", path: "/metrics", interval: "30s", scheme: "http" },
            ]);
            expect(service.inputs.spec.ports.map((p: any) => p.name)).to.include("metrics");
            const monitoring = rendered.resources.find((r) => !r.custom && r.type === MonitoringCrds.TYPE);
            expect(Boolean(monitoring), "the monitoring CRDs component").to.equal(cfg.monitoring.enabled);
            if (monitoring) {
                const urns = new Set([
                    monitoring.urn,
                    ...descendantsOf(rendered.resources, monitoring.urn).map((r) => r.urn),
                ]);
                expect(monitor.dependencies.some((d) => urns.has(d))).to.equal(true);
            }
        });

        it("every object passes strict schema validation; no generated secret in a non-Secret object", async () => {
            const violations = await validateAgainstSchemas(kubeObjects(mine));
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
            for (const r of mine.filter((x) => x.type !== "kubernetes:core/v1:Secret")) {
                const text = JSON.stringify(r.inputs);
                for (const s of rendered.generatedSecrets)
                    expect(text.includes(s), `${r.type} ${r.name}`).to.equal(false);
            }
        });
    });
}

describe("redis: the rendered data node against a real server", function () {
    this.timeout(60_000);
    const SERVER_BIN = process.env.SERVER_BIN ?? "redis-server";
    const CLI_BIN = process.env.CLI_BIN ?? "redis-cli";
    let root = "";
    let child: ChildProcess | undefined;

    before(function () {
        const missing = [SERVER_BIN, CLI_BIN, "bash", "timeout"].filter(
            (b) => spawnSync("sh", ["-c", 'command -v "$1"', "sh", b]).status !== 0,
        );
        requireTools(this, missing, "apt-get install redis-server");
        root = fs.mkdtempSync(path.join(os.tmpdir(), "stackwright-redis-node-"));
    });

    after(() => {
        if (child && child.exitCode === null) child.kill("SIGKILL");
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("dev: ConfigMap conf + start script + container env start a primary; the rendered probe passes only with the password", async () => {
        const rendered = await renderStack("dev");
        const mine = redisResources(rendered);
        const container = get(mine, "apps/v1:StatefulSet", "redis-server").inputs.spec.template.spec.containers[0];
        const conf: string = get(mine, "core/v1:ConfigMap", "redis-config").inputs.data["server.conf"];
        const scripts: Record<string, string> = get(mine, "core/v1:ConfigMap", "redis-scripts").inputs.data;
        const password: string = mine.find(
            (r) => r.type === "kubernetes:core/v1:Secret" && r.name === "redis-password",
        )!.inputs.stringData.password;
        const [port] = await freePorts(1);

        // Only what a laptop cannot provide changes: the port, the data dir and the binaries.
        const dirs = {
            config: path.join(root, "config"),
            scripts: path.join(root, "scripts"),
            run: path.join(root, "run"),
            data: path.join(root, "data"),
        };
        Object.values(dirs).forEach((d) => fs.mkdirSync(d));
        fs.writeFileSync(
            path.join(dirs.config, "server.conf"),
            conf
                .replace(/^port 6379$/m, `port ${port}`)
                .replace(/^dir \/data$/m, `dir ${dirs.data}`)
                .replace(/^bind 0\.0\.0\.0$/m, "bind 127.0.0.1"),
        );
        // The whole ConfigMap, as the pod mounts it (start-server.sh sources lib.sh from next to itself).
        for (const [file, text] of Object.entries(scripts)) fs.writeFileSync(path.join(dirs.scripts, file), text);
        const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: root };
        for (const e of container.env) {
            if (e.value !== undefined) env[e.name] = e.value.replace("$(POD_NAME)", "redis-0");
            else if (e.valueFrom?.secretKeyRef) env[e.name] = password;
        }
        Object.assign(env, {
            CONF_SOURCE: path.join(dirs.config, "server.conf"),
            RUNTIME_CONF: path.join(dirs.run, "server.conf"),
            SERVER_BIN,
            CLI_BIN,
        });
        expect(env.ANNOUNCE_HOSTNAME).to.equal(env.INITIAL_PRIMARY_HOST);
        const log = fs.openSync(path.join(root, "server.log"), "a");
        child = spawn(container.command[0], [path.join(dirs.scripts, "start-server.sh")], {
            env,
            stdio: ["ignore", log, log],
        });
        fs.closeSync(log);

        const probe = (auth: string | undefined) => {
            const command = container.readinessProbe.exec.command[2]
                .replace("valkey-cli", CLI_BIN)
                .replace("-p 6379", `-p ${port}`);
            const probeEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH };
            if (auth !== undefined) probeEnv.REDISCLI_AUTH = auth;
            return spawnSync(
                container.readinessProbe.exec.command[0],
                [container.readinessProbe.exec.command[1], command],
                { env: probeEnv, timeout: 5000 },
            ).status;
        };
        const deadline = Date.now() + 20_000;
        while (probe(password) !== 0) {
            if (Date.now() > deadline)
                throw new Error(`server did not answer: ${fs.readFileSync(path.join(root, "server.log"), "utf8")}`);
            await new Promise((r) => setTimeout(r, 200));
        }
        expect(probe("wrong")).to.not.equal(0);
        expect(probe(undefined)).to.not.equal(0);

        const cli = (...args: string[]) =>
            spawnSync(CLI_BIN, ["-h", "127.0.0.1", "-p", String(port), ...args], {
                env: { PATH: process.env.PATH, REDISCLI_AUTH: password },
                encoding: "utf8",
                timeout: 5000,
            }).stdout.trim();
        expect(cli("ROLE").split("\n")[0]).to.equal("master");
        expect(cli("CONFIG", "GET", "maxmemory").split("\n")[1]).to.equal(
            String(maxmemoryBytesForLimit(parseQuantity("256Mi"))),
        );
        expect(cli("CONFIG", "GET", "appendonly").split("\n")[1]).to.equal("yes");
        expect(cli("SET", "k", "v")).to.equal("OK");
        // REDIS_URL from the client Secret logs in and writes, as a service would connect (host: this laptop).
        const url = new URL(get(mine, "core/v1:Secret", "redis-client").inputs.stringData.uri);
        expect(url.hostname).to.equal("redis.data.svc.cluster.local");
        url.host = `127.0.0.1:${port}`;
        const viaUrl = spawnSync(CLI_BIN, ["-u", url.toString(), "--no-auth-warning", "GET", "k"], {
            env: { PATH: process.env.PATH },
            encoding: "utf8",
            timeout: 5000,
        });
        expect(viaUrl.stdout.trim(), viaUrl.stderr).to.equal("v");
        // The password never reached the ConfigMap: it is only in the runtime copy the script wrote.
        expect(conf).to.not.include(password);
        expect(fs.readFileSync(path.join(dirs.run, "server.conf"), "utf8")).to.include("requirepass");
    });
});

// ---- Tier 1: the component alone, constructed from hand-written args under the mocks (fast, focused) ---------

describe("Redis from hand-written args (component under mocks)", () => {
    it("standalone: one data StatefulSet of one node, no Sentinels; maxmemory as given; no ServiceMonitor without monitoring", async () => {
        const plan = redisPlan(parseConfig(readStackConfig("staging")));
        const resources = await renderUnderMocks(() => {
            new Redis("r", { ...plan, mode: "standalone", maxmemoryBytes: 12345678, password: "pw" });
        });
        const sets = resources.filter((r) => r.type === "kubernetes:apps/v1:StatefulSet");
        expect(sets.map((r) => [r.inputs.metadata.name, r.inputs.spec.replicas])).to.deep.equal([["redis", 1]]);
        const conf = resources.find(
            (r) =>
                r.type === "kubernetes:core/v1:ConfigMap" &&
                Object.keys(r.inputs.data ?? {}).some((k) => k.endsWith(".conf")),
        );
        expect(Object.values<string>(conf!.inputs.data).join("\n")).to.match(/^maxmemory 12345678$/m);
        expect(resources.some((r) => r.type.endsWith(":ServiceMonitor"))).to.equal(false);
    });
});
