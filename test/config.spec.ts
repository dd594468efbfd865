import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseConfig } from "../config";
import { postgresArgs } from "../lib/postgres/args";
import { readStackConfig, REPO_ROOT, renderStack, RenderOptions, STACKS } from "./lib/harness";

type Mutation = (c: any) => void;

/** Malformed configs: each is the real dev (or named) stack file with one thing broken, and the message expected. */
const MALFORMED: { title: string; stack?: string; mutate: Mutation; expected: string; render?: RenderOptions }[] = [
    { title: "misspelt service key", mutate: (c) => { c.services.backend.imgae = "nginx:1.27.3"; }, expected: "stackwright:services.backend.imgae: unknown key (allowed keys at stackwright:services.backend: image," },
    { title: "misspelt top-level key", mutate: (c) => { c.sevices = {}; }, expected: "stackwright:sevices: unknown key (allowed top-level keys: environment, domain," },
    { title: "misspelt section key", mutate: (c) => { c.postgres.instnaces = 3; }, expected: "stackwright:postgres.instnaces: unknown key" },
    { title: "bad CPU quantity", mutate: (c) => { c.services.backend.resources.limits.cpu = "2 cores"; }, expected: "stackwright:services.backend.resources.limits.cpu: \"2 cores\" is not a Kubernetes quantity (e.g. \"500m\", \"2\", \"512Mi\")" },
    { title: "bad memory quantity", mutate: (c) => { c.redis.storageSize = "1GB"; }, expected: "stackwright:redis.storageSize: \"1GB\" is not a Kubernetes quantity" },
    { title: "min > max replicas", mutate: (c) => { c.services.backend.autoscaling = { minReplicas: 5, maxReplicas: 2 }; }, expected: "stackwright:services.backend.autoscaling.minReplicas: minReplicas (5) must be <= maxReplicas (2)" },
    { title: "unknown service reference", mutate: (c) => { c.services.frontend.calls = ["billing"]; }, expected: "stackwright:services.frontend.calls[0]: \"billing\" is not a configured service (allowed: frontend, backend, worker)" },
    { title: "invalid hostname in a route", mutate: (c) => { c.services.frontend.routes = [{ host: "app_v1" }]; }, expected: "stackwright:services.frontend.routes[0].host: \"app_v1\" is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')" },
    { title: "invalid host name inside the domain", mutate: (c) => { c.services.frontend.routes = [{ host: "bad_host.stackwright.localtest.me" }]; }, expected: "stackwright:services.frontend.routes[0].host: \"bad_host.stackwright.localtest.me\" is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')" },
    { title: "upper-case host label", mutate: (c) => { c.services.frontend.routes = [{ host: "Bad" }]; }, expected: "stackwright:services.frontend.routes[0].host: \"Bad\" is not a valid DNS-1123 host name" },
    { title: "host label starting with '-'", mutate: (c) => { c.services.frontend.routes = [{ host: "-x" }]; }, expected: "stackwright:services.frontend.routes[0].host: \"-x\" is not a valid DNS-1123 host name" },
    { title: "invalid Grafana host", mutate: (c) => { c.monitoring.grafanaHost = "grafana_ui"; }, expected: "stackwright:monitoring.grafanaHost: \"grafana_ui\" is not a valid DNS-1123 host name" },
    { title: "invalid extra host", mutate: (c) => { c.edge.extraHosts = ["Dev"]; }, expected: "stackwright:edge.extraHosts[0]: \"Dev\" is not a valid DNS-1123 host name" },
    { title: "extra host outside the domain", mutate: (c) => { c.edge.extraHosts = ["dev.example.org"]; }, expected: "stackwright:edge.extraHosts[0]: \"dev.example.org\" is outside the stack domain \"stackwright.localtest.me\"" },
    { title: "volume warning at or above the fixed 95 % critical alert", mutate: (c) => { c.monitoring.thresholds = { pvcFullPercent: 95 }; }, expected: "stackwright:monitoring.thresholds.pvcFullPercent: 95 must be at most 94 (the critical volume alert fires at 95 %" },
    { title: "mesh timeout shorter than the retries it carries", stack: "staging", mutate: (c) => { c.services.backend.mesh.timeoutSeconds = 15; }, expected: "stackwright:services.backend.mesh.timeoutSeconds: 15 is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = 10 x (3 + 1) = 40, so the retries cannot all run (allowed: at least 40" },
    { title: "misspelt config namespace", mutate: (c) => { c["stackwrigt:postgres"] = { instances: 2 }; }, expected: "stackwrigt:postgres: unknown config namespace \"stackwrigt\", so the key would be ignored (allowed namespaces: stackwright, pulumi, kubernetes, random, tls" },
    { title: "invalid domain", mutate: (c) => { c.domain = "Example..com"; }, expected: "stackwright:domain: \"Example..com\" must be a DNS name" },
    { title: "unknown environment", mutate: (c) => { c.environment = "qa"; }, expected: "stackwright:environment: \"qa\" is not allowed (allowed: dev, staging, prod)" },
    { title: "latest tag", mutate: (c) => { c.services.backend.image = "nginx:latest"; }, expected: "stackwright:services.backend.image: \"nginx:latest\" uses the \"latest\" tag" },
    { title: "untagged image", mutate: (c) => { c.services.backend.image = "ghcr.io/acme/api"; }, expected: "stackwright:services.backend.image: \"ghcr.io/acme/api\" has no tag" },
    { title: "invalid image reference", mutate: (c) => { c.services.backend.image = "Acme/API:1.0"; }, expected: "stackwright:services.backend.image: \"Acme/API:1.0\" is not a valid image reference" },
    { title: "duplicate port name", mutate: (c) => { c.services.backend.ports.push({ name: "http", containerPort: 8081 }); }, expected: "stackwright:services.backend.ports[1].name: duplicate port name \"http\"" },
    { title: "duplicate container port", mutate: (c) => { c.services.backend.ports.push({ name: "admin", containerPort: 9898 }); }, expected: "stackwright:services.backend.ports[1].containerPort: duplicate container port 9898/TCP" },
    { title: "probe on an unexposed port", mutate: (c) => { c.services.backend.probes.liveness.port = "admin"; }, expected: "stackwright:services.backend.probes.liveness.port: liveness probe uses port \"admin\", which the container does not expose (allowed: http)" },
    { title: "requests > limits", mutate: (c) => { c.services.backend.resources.requests.memory = "1Gi"; }, expected: "stackwright:services.backend.resources.requests.memory: request \"1Gi\" exceeds limit \"512Mi\"" },
    { title: "request above the environment default limit", mutate: (c) => { c.services.worker.resources = { requests: { cpu: "4" } }; }, expected: "stackwright:services.worker.resources.requests.cpu: request \"4\" exceeds limit \"250m\" (the environment default)" },
    { title: "metrics on an unknown port", mutate: (c) => { c.services.backend.metrics.port = "metrics"; }, expected: "stackwright:services.backend.metrics.port: \"metrics\" is not a port of this service (allowed: http)" },
    { title: "database without PostgreSQL", mutate: (c) => { c.postgres.enabled = false; }, expected: "stackwright:services.backend.database: postgres.enabled is false" },
    { title: "probe path with a space", mutate: (c) => { c.services.backend.probes.liveness.path = "/health check"; }, expected: "stackwright:services.backend.probes.liveness.path: \"/health check\" must be an HTTP path starting with '/' without spaces or control characters (e.g. \"/healthz\")" },
    { title: "metrics path with a newline", mutate: (c) => { c.services.backend.metrics.path = "/metrics\nx"; }, expected: "stackwright:services.backend.metrics.path: \"/metrics\\nx\" must be an HTTP path starting with '/'" },
    { title: "route prefix with a tab", mutate: (c) => { c.services.frontend.routes[0].pathPrefix = "/a\tb"; }, expected: "stackwright:services.frontend.routes[0].pathPrefix: \"/a\\tb\" must be an HTTP path starting with '/'" },
    { title: "retry prefix with a space", mutate: (c) => { c.services.backend.mesh.retryPathPrefix = "/api v1/"; }, expected: "stackwright:services.backend.mesh.retryPathPrefix: \"/api v1/\" must be an HTTP path starting with '/'" },
    { title: "writable path with a space", mutate: (c) => { c.services.backend.writablePaths = ["/var/my cache"]; }, expected: "stackwright:services.backend.writablePaths[0]: \"/var/my cache\" must be an absolute path without spaces or control characters" },
    { title: "a credential as a plain env value (the value never printed)", mutate: (c) => { c.services.backend.env.STRIPE_API_KEY = "sk_live_do-not-print"; }, expected: "stackwright:services.backend.env.STRIPE_API_KEY: \"STRIPE_API_KEY\" names a credential, and plain env values are stored in clear text (ConfigMap, stack file): deliver it from a Secret with services.backend.secretEnv instead" },
    { title: "a password as a plain env value", mutate: (c) => { c.services.frontend.env = { DB_PASSWORD: "hunter2" }; }, expected: "stackwright:services.frontend.env.DB_PASSWORD: \"DB_PASSWORD\" names a credential" },
    { title: "negative CPU limit", mutate: (c) => { c.services.backend.resources.limits.cpu = "-1"; }, expected: "stackwright:services.backend.resources.limits.cpu: \"-1\" must not be negative (Kubernetes rejects negative quantities)" },
    { title: "memory in milli-units", mutate: (c) => { c.services.backend.resources.requests.memory = "128m"; }, expected: "stackwright:services.backend.resources.requests.memory: \"128m\" is in milli-units (\"128m\" is 0.128 bytes): use Mi or Gi, e.g. \"128Mi\"" },
    { title: "volume size in milli-units", mutate: (c) => { c.redis.storageSize = "1m"; }, expected: "stackwright:redis.storageSize: \"1m\" is in milli-units" },
    { title: "zero CPU request under an autoscaler", stack: "staging", mutate: (c) => { c.services.backend.resources.requests.cpu = "0"; }, expected: "stackwright:services.backend.resources.requests.cpu: request \"0\" is zero, but the autoscaler targets cpu utilisation of the request (allowed: above zero, or autoscaling.enabled false)" },
    { title: "a quota that cannot hold the services at their most", mutate: (c) => { c.quota = { requestsCpu: "200m" }; }, expected: "stackwright:quota.requestsCpu: \"200m\" does not admit the services at their most (autoscaler maximum plus one rollout surge each, migration Jobs, sidecars): they need 500m, 300m more (allowed: at least 500m)" },
    { title: "a pod quota below the services' pods", mutate: (c) => { c.quota = { pods: 4 }; }, expected: "stackwright:quota.pods: 4 does not admit the services at their most (autoscaler maximum plus one rollout surge each, migration Jobs, sidecars): they need 7, 3 more (allowed: at least 7)" },
    { title: "the environment's default quota against many autoscaled services", stack: "staging", mutate: (c) => {
        for (let i = 0; i < 30; i++) c.services[`extra-${i}`] = { image: "ghcr.io/stefanprodan/podinfo:6.9.2", ports: [{ name: "http", containerPort: 9898 }] };
    }, expected: "stackwright:quota.requestsCpu: \"16\" (the environment default) does not admit the services at their most" },
    { title: "one directory in two spellings", mutate: (c) => { c.services.backend.writablePaths = ["/data", "/data/"]; }, expected: "stackwright:services.backend.writablePaths[1]: \"/data/\" would share the volume \"writable-data\" with \"/data\": list each directory once, in one spelling" },
    { title: "a writable path that is /tmp again", mutate: (c) => { c.services.backend.writablePaths = ["/tmp/"]; }, expected: "stackwright:services.backend.writablePaths[0]: \"/tmp/\" would share the volume \"writable-tmp\" with \"/tmp\" (always mounted)" },
    { title: "port name without a letter", mutate: (c) => { c.services.backend.ports[0].name = "8080"; }, expected: "stackwright:services.backend.ports[0].name: \"8080\" must be an IANA service name (lower-case letters, digits and '-', at most 15 characters, at least one letter, no \"--\")" },
    { title: "port name with a double hyphen", mutate: (c) => { c.services.backend.ports[0].name = "web--api"; }, expected: "stackwright:services.backend.ports[0].name: \"web--api\" must be an IANA service name" },
    { title: "time zone that does not exist", mutate: (c) => { c.backups = { ...c.backups, timeZone: "Mars/Olympus_Mons" }; }, expected: "stackwright:backups.timeZone: \"Mars/Olympus_Mons\" is not a time zone of the IANA database (e.g. \"Etc/UTC\", \"Europe/Berlin\")" },
    { title: "namespace reserved by Kubernetes", mutate: (c) => { c.namespaces = { apps: "kube-system" }; }, expected: "stackwright:namespaces.apps: \"kube-system\" belongs to Kubernetes (not allowed: default, kube-system, kube-public, kube-node-lease)" },
    { title: "two parts of the stack in one namespace", mutate: (c) => { c.namespaces = { data: "apps" }; }, expected: "stackwright:namespaces.data: \"apps\" is already namespaces.apps (each part of the stack needs a namespace of its own)" },
    { title: "ACME directory over plain HTTP", stack: "prod", mutate: (c) => { c.edge.acme.server = "http://acme.example/directory"; }, expected: "stackwright:edge.acme.server: \"http://acme.example/directory\" must be an https URL of an ACME directory" },
    { title: "two owners of one database", mutate: (c) => { c.services.frontend.database = "jobs"; }, expected: "stackwright:services.worker.database: database \"jobs\" is already owned by service \"frontend\"" },
    { title: "Redis client without Redis", mutate: (c) => { c.redis.enabled = false; }, expected: "stackwright:services.backend.redis: redis.enabled is false" },
    { title: "route to an unknown port", mutate: (c) => { c.services.backend.routes[0].port = "grpc"; }, expected: "stackwright:services.backend.routes[0].port: route port \"grpc\" is not a port of this service (allowed: http)" },
    { title: "duplicate host/path", mutate: (c) => { c.services.worker.routes = [{ host: "api", pathPrefix: "/api/v1/" }]; }, expected: "stackwright:services.worker.routes[0]: host/path \"api.stackwright.localtest.me/api/v1/\" is already routed to service \"backend\"" },
    { title: "host outside the domain", mutate: (c) => { c.services.frontend.routes = [{ host: "app.example.org" }]; }, expected: "stackwright:services.frontend.routes[0].host: \"app.example.org\" is outside the stack domain \"stackwright.localtest.me\"" },
    { title: "replicas while autoscaling owns the count", stack: "staging", mutate: (c) => { c.services.frontend.replicas = 4; }, expected: "stackwright:services.frontend.replicas: replicas is set but autoscaling owns the replica count" },
    { title: "rotation of an unknown credential", mutate: (c) => { c.secrets = { rotation: { jwtSecrte: 1 } }; }, expected: "stackwright:secrets.rotation.jwtSecrte: \"jwtSecrte\" is not a generated credential (allowed: jwtSecret, apiKey," },
    { title: "service name that is not a DNS label", mutate: (c) => { c.services.Back_End = c.services.worker; delete c.services.worker; }, expected: "stackwright:services.Back_End: service name \"Back_End\" must be a DNS-1123 label" },
    { title: "ACME without an email", stack: "prod", mutate: (c) => { delete c.edge.acme; }, expected: "stackwright:edge.acme: edge.tls is \"acme\" but edge.acme (email) is not set" },
    { title: "Sentinel mode with one node", stack: "prod", mutate: (c) => { c.redis.replicas = 1; }, expected: "stackwright:redis.replicas: sentinel mode needs at least 2 data nodes" },
    { title: "port out of range", mutate: (c) => { c.services.backend.ports[0].containerPort = 70000; }, expected: "stackwright:services.backend.ports[0].containerPort: 70000 must be less than or equal to 65535" },
    { title: "service calling itself", mutate: (c) => { c.services.backend.calls = ["backend"]; }, expected: "stackwright:services.backend.calls[0]: a service cannot declare a call to itself" },
    { title: "missing domain", mutate: (c) => { delete c.domain; }, expected: "stackwright:domain: is required (string)" },
    { title: "wrong type", mutate: (c) => { c.postgres.instances = "three"; }, expected: "stackwright:postgres.instances: \"three\" must be number, not string" },
    { title: "invalid namespace name", mutate: (c) => { c.namespaces = { apps: "Apps" }; }, expected: "stackwright:namespaces.apps: \"Apps\" must be a DNS-1123 label" },
    { title: "unpinned chart version", mutate: (c) => { c.postgres.operatorChart = { version: "latest" }; }, expected: "stackwright:postgres.operatorChart.version: \"latest\" must be an exact version" },
    { title: "relative writable path", mutate: (c) => { c.services.backend.writablePaths = ["tmp/cache"]; }, expected: "stackwright:services.backend.writablePaths[0]: \"tmp/cache\" must be an absolute path" },
    {
        title: "object-store credentials set as plain (non-secret) values",
        mutate: (c) => { c.postgres.objectStore = { destinationPath: "s3://backups/dev", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "plain-secret" }; },
        render: { secretKeys: [] },
        expected: "stackwright:postgres.objectStore.accessKeyId: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:postgres.objectStore.accessKeyId' <value>`)",
    },
    {
        title: "backup object-store credentials set as plain values",
        mutate: (c) => { c.backups.objectStore = { bucket: "stackwright-backups", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "plain-secret" }; },
        render: { secretKeys: ["postgres"] },
        expected: "stackwright:backups.objectStore.secretAccessKey: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:backups.objectStore.secretAccessKey' <value>`)",
    },
    {
        title: "Slack webhook URL (it carries the token) set as a plain value",
        mutate: (c) => { c.monitoring.slackWebhookUrl = "https://hooks.slack.com/services/T0/B0/XXXX"; },
        render: { secretKeys: [] },
        expected: "stackwright:monitoring.slackWebhookUrl: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:monitoring.slackWebhookUrl' <value>`)",
    },
];

/** Every credential postgresArgs may ask for (the values do not matter to what is resolved). */
const fakeCredentials = () => new Proxy({}, { get: () => pulumi.output("x") }) as Record<string, pulumi.Output<string>>;

function mutated(stack: string, mutate: Mutation): Record<string, unknown> {
    const config = JSON.parse(JSON.stringify(readStackConfig(stack)));
    mutate(config);
    return config;
}

describe("config: stack files", () => {
    for (const stack of STACKS) {
        it(`Pulumi.${stack}.yaml is valid`, () => {
            const cfg = parseConfig(readStackConfig(stack));
            expect(cfg.environment).to.equal(stack);
        });
    }

    it("the stack files carry the reference system's sizes", () => {
        const [dev, staging, prod] = STACKS.map((s) => parseConfig(readStackConfig(s)));
        expect(dev.postgres.instances).to.equal(1);
        expect(staging.postgres.instances).to.equal(2);
        expect(prod.postgres.instances).to.equal(3);
        // Unset, the environment decides (README: 1 / 2 / 3), not a single default for all.
        // CPU as a number of cores, as Kubernetes accepts it, lands as the same quantity.
        const numeric = parseConfig(mutated("dev", (c) => { c.services.backend.resources.limits.cpu = 0.5; }));
        expect(numeric.services.backend.resources?.limits?.cpu).to.equal("0.5");
        const withoutInstances = (stack: string) => mutated(stack, (c) => { delete c.postgres.instances; });
        expect(Object.fromEntries(STACKS.map((s) => [s, postgresArgs(parseConfig(withoutInstances(s)), { credentials: fakeCredentials() }).instances])))
            .to.deep.equal({ dev: 1, staging: 2, prod: 3 });
        expect(dev.redis.mode).to.equal("standalone");
        expect(prod.redis.mode).to.equal("sentinel");
        expect(prod.services.backend.resources).to.deep.equal({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2000m", memory: "4Gi" } });
        expect(prod.services.frontend.autoscaling.minReplicas).to.be.at.least(3);
        expect(dev.mesh.enabled).to.equal(false);
        expect(prod.mesh.enabled).to.equal(true);
        expect(prod.edge.controllerReplicas).to.be.at.least(2);
    });
});

describe("config: malformed input is rejected before any resource is registered", () => {
    it(`has at least 25 cases (${MALFORMED.length})`, () => expect(MALFORMED.length).to.be.at.least(25));

    for (const c of MALFORMED) {
        it(c.title, async () => {
            let error: any;
            try {
                await renderStack(c.stack ?? "dev", { ...c.render, rawConfig: mutated(c.stack ?? "dev", c.mutate) });
            } catch (err) {
                error = err;
            }
            // The harness loads the program afresh, so the error's class is not this module's ConfigError.
            expect(error?.name, "the render should have failed with a ConfigError").to.equal("ConfigError");
            expect(error.message).to.include(c.expected);
            expect(error.recorded, "resources registered before the error").to.deep.equal([]);
        });
    }

    it("reports every problem of one config together", () => {
        const config = mutated("dev", (c) => {
            c.services.backend.image = "nginx";
            c.postgres.instances = 0;
            c.redis.mode = "cluster";
        });
        expect(() => parseConfig(config)).to.throw(ConfigError).that.satisfies((e: ConfigError) => {
            expect(e.problems).to.have.length(3);
            expect(e.message).to.include("3 problems");
            return true;
        });
    });

    it("reports every cross-field problem together", () => {
        const config = mutated("dev", (c) => {
            c.services.frontend.calls = ["billing"];
            c.services.backend.autoscaling = { minReplicas: 5, maxReplicas: 2 };
            c.services.frontend.routes = [{ host: "app.example.org" }];
        });
        try {
            parseConfig(config);
            expect.fail("should have thrown");
        } catch (e) {
            expect((e as ConfigError).problems).to.have.length(3);
        }
    });
});

describe("config: schema and cross-field problems are reported together", () => {
    const readmeExample = (): string => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        const match = /```\n(invalid stack configuration[^`]*)\n```/.exec(readme);
        expect(match, "README config-error example").to.not.equal(null);
        return match![1];
    };

    it("the README example is exactly what a bad CPU quantity plus an unknown callee print", () => {
        const config = mutated("dev", (c) => {
            c.services.backend.resources.limits.cpu = "2 cores";
            c.services.frontend.calls = ["billing"];
        });
        expect(() => parseConfig(config)).to.throw(ConfigError).that.satisfies((e: ConfigError) => {
            expect(e.problems).to.have.length(2);
            expect(e.message).to.equal(readmeExample());
            return true;
        });
    });

    it("a schema error in one section does not hide cross-field problems elsewhere", () => {
        const config = mutated("staging", (c) => {
            c.postgres.instances = 0;
            c.redis.mode = "cluster";
            c.services.frontend.autoscaling = { minReplicas: 5, maxReplicas: 2 };
            c.services.worker.resources = { requests: { memory: "4Gi" }, limits: { memory: "1Gi" } };
            c.edge.extraHosts = ["Bad"];
            c.backups.redisSchedule = "every day";
        });
        try {
            parseConfig(config);
            expect.fail("should have thrown");
        } catch (e) {
            expect((e as ConfigError).problems).to.deep.equal([
                "stackwright:postgres.instances: 0 must be greater than or equal to 1",
                "stackwright:redis.mode: \"cluster\" is not allowed (allowed: standalone, sentinel)",
                "stackwright:services.frontend.autoscaling.minReplicas: minReplicas (5) must be <= maxReplicas (2)",
                "stackwright:services.worker.resources.requests.memory: request \"4Gi\" exceeds limit \"1Gi\"",
                "stackwright:edge.extraHosts[0]: \"Bad\" is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')",
                "stackwright:backups.redisSchedule: \"every day\" is not a usable schedule (cron: \"every day\" must have 5 fields; allowed: five-field cron such as \"0 2 * * *\", or @daily/@weekly)",
            ]);
        }
    });

    it("rules whose inputs did not parse are skipped, not guessed (a call to a broken service is still a call)", () => {
        const config = mutated("dev", (c) => {
            c.services.backend.image = "nginx";
            c.environment = "qa";
            c.services.worker.resources = { requests: { cpu: "4" } };
        });
        try {
            parseConfig(config);
            expect.fail("should have thrown");
        } catch (e) {
            const problems = (e as ConfigError).problems;
            expect(problems.some((p) => p.includes("calls")), problems.join("\n")).to.equal(false);
            // The worker's request is compared with the environment default limit, unknown while environment is invalid.
            expect(problems.some((p) => p.includes("services.worker.resources")), problems.join("\n")).to.equal(false);
            expect(problems).to.have.length(2);
        }
    });

    it("the mesh retry budget holds for every service, the defaults and the stack files included", () => {
        for (const stack of STACKS) {
            const cfg = parseConfig(readStackConfig(stack));
            const m = cfg.services.backend.mesh;
            expect(m.timeoutSeconds, stack).to.be.at.least(m.retryPerTryTimeoutSeconds * (m.retryAttempts + 1));
        }
        // Timeout 45 with 4 x 10 s tries is fine; 5 retries need 60 s.
        expect(() => parseConfig(mutated("staging", (c) => { c.services.backend.mesh.timeoutSeconds = 45; }))).to.not.throw();
        expect(() => parseConfig(mutated("staging", (c) => { c.services.backend.mesh = { timeoutSeconds: 45, retryAttempts: 5, retryPerTryTimeoutSeconds: 10 }; })))
            .to.throw("stackwright:services.backend.mesh.timeoutSeconds: 45 is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = 10 x (5 + 1) = 60");
        expect(() => parseConfig(mutated("staging", (c) => { c.services.backend.mesh = { timeoutSeconds: 45, retryAttempts: 0 }; }))).to.not.throw();
        // The defaults fit their own timeout; a shorter timeout with default retries does not.
        expect(() => parseConfig(mutated("staging", (c) => { c.services.frontend.mesh = {}; }))).to.not.throw();
        expect(() => parseConfig(mutated("staging", (c) => { c.services.frontend.mesh = { timeoutSeconds: 10 }; })))
            .to.throw("stackwright:services.frontend.mesh.timeoutSeconds: 10 is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = 5 x (2 + 1) = 15");
    });
});

describe("config: object-store credentials must be Pulumi secrets", () => {
    const withCredentials = mutated("dev", (c) => {
        c.postgres.objectStore = { destinationPath: "s3://backups/dev", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s3cr3t-value" };
    });

    it("parseConfig with a secret-ness check: plain fails (value not echoed), secret passes", () => {
        expect(() => parseConfig(withCredentials, { isSecret: (key) => key === "postgres" })).to.not.throw();
        try {
            parseConfig(withCredentials, { isSecret: () => false });
            expect.fail("should have thrown");
        } catch (e) {
            expect((e as ConfigError).problems).to.have.length(2);
            expect((e as Error).message).to.include("stackwright:postgres.objectStore.secretAccessKey: is a plain config value");
            expect((e as Error).message).to.not.include("s3cr3t-value");
        }
    });

    it("the program reads secret-ness from the Pulumi runtime: the same credentials render when supplied as secrets", async () => {
        const rendered = await renderStack("dev", { rawConfig: withCredentials, secretKeys: ["postgres"] });
        expect(rendered.resources.length).to.be.greaterThan(0);
    });
});

describe("config: secrets in error messages", () => {
    it("never echoes a secret value", () => {
        const config = mutated("dev", (c) => { c.monitoring.slackWebhookUrl = "http://hooks.example.com/T0/B0/s3cr3t-token"; });
        try {
            parseConfig(config);
            expect.fail("should have thrown");
        } catch (e) {
            const message = (e as Error).message;
            expect(message).to.include("stackwright:monitoring.slackWebhookUrl");
            expect(message).to.not.include("s3cr3t-token");
        }
    });
});
