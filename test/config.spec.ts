import { selfSignedCertificate } from "./lib/certs";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, parseConfig } from "../config";
import { postgresPlan } from "../lib/postgres/plan";
import { readStackConfig, REPO_ROOT, renderStack, RenderOptions, STACKS } from "./lib/harness";

type Mutation = (c: any) => void;

/** Malformed configs: each is the real dev (or named) stack file with one thing broken, and the message expected. */
const MALFORMED: { title: string; stack?: string; mutate: Mutation; expected: string; render?: RenderOptions }[] = [
    {
        title: "misspelt service key",
        mutate: (c) => {
            c.services.backend.imgae = "nginx:1.27.3";
        },
        expected:
            "stackwright:services.backend.imgae: unknown key (allowed keys at stackwright:services.backend: image,",
    },
    {
        title: "misspelt top-level key",
        mutate: (c) => {
            c.sevices = {};
        },
        expected: "stackwright:sevices: unknown key (allowed top-level keys: environment, domain,",
    },
    {
        title: "misspelt section key",
        mutate: (c) => {
            c.postgres.instnaces = 3;
        },
        expected: "stackwright:postgres.instnaces: unknown key",
    },
    {
        title: "bad CPU quantity",
        mutate: (c) => {
            c.services.backend.resources.limits.cpu = "2 cores";
        },
        expected:
            'stackwright:services.backend.resources.limits.cpu: "2 cores" is not a Kubernetes quantity (e.g. "500m", "2", "512Mi")',
    },
    {
        title: "bad memory quantity",
        mutate: (c) => {
            c.redis.storageSize = "1GB";
        },
        expected: 'stackwright:redis.storageSize: "1GB" is not a Kubernetes quantity',
    },
    {
        title: "min > max replicas",
        mutate: (c) => {
            c.services.backend.autoscaling = { minReplicas: 5, maxReplicas: 2 };
        },
        expected: "stackwright:services.backend.autoscaling.minReplicas: minReplicas (5) must be <= maxReplicas (2)",
    },
    {
        title: "unknown service reference",
        mutate: (c) => {
            c.services.frontend.calls = ["billing"];
        },
        expected:
            'stackwright:services.frontend.calls[0]: "billing" is not a configured service (allowed: frontend, backend, worker)',
    },
    {
        title: "invalid hostname in a route",
        mutate: (c) => {
            c.services.frontend.routes = [{ host: "app_v1" }];
        },
        expected:
            "stackwright:services.frontend.routes[0].host: \"app_v1\" is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')",
    },
    {
        title: "invalid host name inside the domain",
        mutate: (c) => {
            c.services.frontend.routes = [{ host: "bad_host.stackwright.localtest.me" }];
        },
        expected:
            "stackwright:services.frontend.routes[0].host: \"bad_host.stackwright.localtest.me\" is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')",
    },
    {
        title: "upper-case host label",
        mutate: (c) => {
            c.services.frontend.routes = [{ host: "Bad" }];
        },
        expected: 'stackwright:services.frontend.routes[0].host: "Bad" is not a valid DNS-1123 host name',
    },
    {
        title: "host label starting with '-'",
        mutate: (c) => {
            c.services.frontend.routes = [{ host: "-x" }];
        },
        expected: 'stackwright:services.frontend.routes[0].host: "-x" is not a valid DNS-1123 host name',
    },
    {
        title: "invalid Grafana host",
        mutate: (c) => {
            c.monitoring.grafanaHost = "grafana_ui";
        },
        expected: 'stackwright:monitoring.grafanaHost: "grafana_ui" is not a valid DNS-1123 host name',
    },
    {
        title: "invalid extra host",
        mutate: (c) => {
            c.edge.extraHosts = ["Dev"];
        },
        expected: 'stackwright:edge.extraHosts[0]: "Dev" is not a valid DNS-1123 host name',
    },
    {
        title: "extra host outside the domain",
        mutate: (c) => {
            c.edge.extraHosts = ["dev.example.org"];
        },
        expected:
            'stackwright:edge.extraHosts[0]: "dev.example.org" is outside the stack domain "stackwright.localtest.me"',
    },
    {
        title: "volume warning at or above the fixed 95 % critical alert",
        mutate: (c) => {
            c.monitoring.thresholds = { pvcFullPercent: 95 };
        },
        expected:
            "stackwright:monitoring.thresholds.pvcFullPercent: 95 must be at most 94 (the critical volume alert fires at 95 %",
    },
    {
        title: "mesh timeout shorter than the retries it carries",
        stack: "staging",
        mutate: (c) => {
            c.services.backend.mesh.timeoutSeconds = 15;
        },
        expected:
            "stackwright:services.backend.mesh.timeoutSeconds: 15 is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = 10 x (3 + 1) = 40, so the retries cannot all run (allowed: at least 40",
    },
    {
        title: "misspelt config namespace",
        mutate: (c) => {
            c["stackwrigt:postgres"] = { instances: 2 };
        },
        expected:
            'stackwrigt:postgres: unknown config namespace "stackwrigt", so the key would be ignored (allowed namespaces: stackwright, pulumi, kubernetes, random, tls',
    },
    {
        title: "invalid domain",
        mutate: (c) => {
            c.domain = "Example..com";
        },
        expected: 'stackwright:domain: "Example..com" must be a DNS name',
    },
    {
        title: "unknown environment",
        mutate: (c) => {
            c.environment = "qa";
        },
        expected: 'stackwright:environment: "qa" is not allowed (allowed: dev, staging, prod)',
    },
    {
        title: "latest tag",
        mutate: (c) => {
            c.services.backend.image = "nginx:latest";
        },
        expected: 'stackwright:services.backend.image: "nginx:latest" uses the "latest" tag',
    },
    {
        title: "untagged image",
        mutate: (c) => {
            c.services.backend.image = "ghcr.io/acme/api";
        },
        expected: 'stackwright:services.backend.image: "ghcr.io/acme/api" has no tag',
    },
    {
        title: "invalid image reference",
        mutate: (c) => {
            c.services.backend.image = "Acme/API:1.0";
        },
        expected: 'stackwright:services.backend.image: "Acme/API:1.0" is not a valid image reference',
    },
    {
        title: "duplicate port name",
        mutate: (c) => {
            c.services.backend.ports.push({ name: "http", containerPort: 8081 });
        },
        expected: 'stackwright:services.backend.ports[1].name: duplicate port name "http"',
    },
    {
        title: "duplicate container port",
        mutate: (c) => {
            c.services.backend.ports.push({ name: "admin", containerPort: 9898 });
        },
        expected: "stackwright:services.backend.ports[1].containerPort: duplicate container port 9898/TCP",
    },
    {
        title: "two databases one Kubernetes name apart",
        mutate: (c) => {
            c.services.frontend.database = "todo_db";
            c.services.worker.database = "todo-db";
        },
        expected:
            "stackwright:services.worker.database: database \"todo-db\" and database \"todo_db\" differ only in '_' and '-', and Kubernetes names (which allow no '_') would make them one: \"todo-db\" (allowed: names that differ otherwise)",
    },
    {
        title: "read replicas without a database",
        mutate: (c) => {
            c.services.frontend.databaseReadReplicas = true;
        },
        expected:
            "stackwright:services.frontend.databaseReadReplicas: read replicas are of the service's database, and it declares none (allowed: set database, or false)",
    },
    {
        title: "a database name PostgreSQL would need quoted",
        mutate: (c) => {
            c.services.worker.database = "Todo_DB";
        },
        expected: 'stackwright:services.worker.database: "Todo_DB" must be a PostgreSQL database name',
    },
    {
        title: "a config file whose source is not in the repository",
        mutate: (c) => {
            c.services.backend.files = [{ path: "/etc/app/config.yaml", source: "config/missing.yaml" }];
        },
        expected:
            'stackwright:services.backend.files[0].source: "config/missing.yaml" is not a file in the project directory',
    },
    {
        title: "a config file with both content and source",
        mutate: (c) => {
            c.services.backend.files = [
                { path: "/etc/app/config.yaml", content: "a: 1", source: "test/fixtures/app-config.yaml" },
            ];
        },
        expected: "stackwright:services.backend.files[0]:",
    },
    {
        title: "a config file source outside the project",
        mutate: (c) => {
            c.services.backend.files = [{ path: "/etc/passwd", source: "../etc/passwd" }];
        },
        expected:
            'stackwright:services.backend.files[0].source: "../etc/passwd" must be a path relative to the project directory, inside it',
    },
    {
        title: "a config file mounted twice",
        mutate: (c) => {
            c.services.backend.files = [
                { path: "/etc/app/config.yaml", content: "a: 1" },
                { path: "/etc/app/config.yaml", content: "a: 2" },
            ];
        },
        expected:
            'stackwright:services.backend.files[1].path: "/etc/app/config.yaml" is mounted twice (allowed: each path once)',
    },
    {
        title: "a config file over a writable directory",
        mutate: (c) => {
            c.services.backend.files = [{ path: "/data", content: "a: 1" }];
        },
        expected:
            'stackwright:services.backend.files[0].path: "/data" is a writable directory (writablePaths, or /tmp) (allowed: a file path, e.g. inside it)',
    },
    {
        title: "config files larger than a ConfigMap",
        mutate: (c) => {
            c.services.backend.files = [{ path: "/etc/app/big.txt", content: "x".repeat(1024 * 1024) }];
        },
        expected:
            "stackwright:services.backend.files: the files hold 1048593 bytes, and a ConfigMap holds at most 1032192",
    },
    {
        title: "an external PostgreSQL without credentials for a database in use",
        mutate: (c) => {
            c.postgres = { external: { host: "db.example.com", databases: { app: { password: "app-pw" } } } };
        },
        expected:
            'stackwright:postgres.external.databases: database "jobs" is used (by a service) but has no credentials (allowed: postgres.external.databases.jobs.password, as a secret)',
    },
    {
        title: "external PostgreSQL credentials no service uses",
        mutate: (c) => {
            c.postgres = {
                external: {
                    host: "db.example.com",
                    databases: { app: { password: "a" }, jobs: { password: "j" }, billing: { password: "b" } },
                },
            };
        },
        expected:
            'stackwright:postgres.external.databases.billing: no service uses database "billing" (allowed: app, jobs)',
    },
    {
        title: "in-cluster PostgreSQL settings next to an external server",
        mutate: (c) => {
            c.postgres = {
                ...c.postgres,
                external: { host: "db.example.com", databases: { app: { password: "a" }, jobs: { password: "j" } } },
            };
        },
        expected:
            "stackwright:postgres.instances: has no effect: postgres.external is set (no in-cluster PostgreSQL is deployed) (remove it, or remove postgres.external)",
    },
    {
        title: "an external PostgreSQL password set as a plain value",
        mutate: (c) => {
            c.postgres = {
                external: { host: "db.example.com", databases: { app: { password: "a" }, jobs: { password: "j" } } },
            };
        },
        render: { secretKeys: [] },
        expected:
            "stackwright:postgres.external.databases.app.password: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:postgres.external.databases.app.password' <value>`)",
    },
    {
        title: "a public host no certificate you bring serves",
        mutate: (c) => {
            c.edge.tls = "provided";
            c.edge.certificates = [{ hosts: ["app.stackwright.localtest.me"], secretName: "app-certificate" }];
        },
        expected:
            'stackwright:edge.certificates: no certificate serves the public host "api.stackwright.localtest.me" (allowed: list it, or a wildcard "*.stackwright.localtest.me", in the hosts of an entry)',
    },
    {
        title: "a certificate you bring with a key that is not its own",
        mutate: (c) => {
            c.edge.tls = "provided";
            c.edge.certificates = [
                {
                    hosts: ["*.stackwright.localtest.me"],
                    certificatePem: selfSignedCertificate(["*.stackwright.localtest.me"]).certificatePem,
                    privateKeyPem: selfSignedCertificate(["other.example.com"]).privateKeyPem,
                },
            ];
        },
        expected: "stackwright:edge.certificates[0]: privateKeyPem is not the key of the certificate (value hidden)",
    },
    {
        title: "a certificate you bring with two sources",
        mutate: (c) => {
            c.edge.tls = "provided";
            c.edge.certificates = [
                {
                    hosts: ["*.stackwright.localtest.me"],
                    secretName: "wildcard",
                    ...selfSignedCertificate(["*.stackwright.localtest.me"]),
                },
            ];
        },
        expected:
            "stackwright:edge.certificates[0]: needs exactly one source: secretName (an existing kubernetes.io/tls Secret), or certificatePem with privateKeyPem",
    },
    {
        title: "a private key you bring set as a plain value",
        mutate: (c) => {
            c.edge.tls = "provided";
            c.edge.certificates = [
                { hosts: ["*.stackwright.localtest.me"], ...selfSignedCertificate(["*.stackwright.localtest.me"]) },
            ];
        },
        render: { secretKeys: [] },
        expected:
            "stackwright:edge.certificates[0].privateKeyPem: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:edge.certificates[0].privateKeyPem' <value>`)",
    },
    {
        title: "certificates given while the stack generates them",
        mutate: (c) => {
            c.edge.certificates = [{ hosts: ["*.stackwright.localtest.me"], secretName: "wildcard" }];
        },
        expected:
            'stackwright:edge.certificates: has no effect: edge.tls is "generated-ca" (remove it, or set edge.tls to "provided")',
    },
    {
        title: "an env var tracing sets",
        stack: "staging",
        mutate: (c) => {
            c.services.frontend.env = { ...c.services.frontend.env, OTEL_SERVICE_NAME: "web" };
        },
        expected:
            'stackwright:services.frontend.env.OTEL_SERVICE_NAME: env var "OTEL_SERVICE_NAME" is set by both tracing (the OpenTelemetry SDK settings) and env (allowed: one source per variable)',
    },
    {
        title: "two ports on one Service port",
        mutate: (c) => {
            c.services.backend.ports[0].servicePort = 80;
            c.services.backend.ports.push({ name: "admin", containerPort: 9000, servicePort: 80 });
        },
        expected:
            'stackwright:services.backend.ports[1].servicePort: Service port 80/TCP is already used by port "http" (allowed: one Service port number per protocol; set servicePort to tell them apart)',
    },
    {
        title: "probe on an unexposed port",
        mutate: (c) => {
            c.services.backend.probes.liveness.port = "admin";
        },
        expected:
            'stackwright:services.backend.probes.liveness.port: liveness probe uses port "admin", which the container does not expose (allowed: http)',
    },
    {
        title: "requests > limits",
        mutate: (c) => {
            c.services.backend.resources.requests.memory = "1Gi";
        },
        expected: 'stackwright:services.backend.resources.requests.memory: request "1Gi" exceeds limit "512Mi"',
    },
    {
        title: "request above the environment default limit",
        mutate: (c) => {
            c.services.worker.resources = { requests: { cpu: "4" } };
        },
        expected:
            'stackwright:services.worker.resources.requests.cpu: request "4" exceeds limit "250m" (the environment default)',
    },
    {
        title: "metrics on an unknown port",
        mutate: (c) => {
            c.services.backend.metrics.port = "metrics";
        },
        expected: 'stackwright:services.backend.metrics.port: "metrics" is not a port of this service (allowed: http)',
    },
    {
        title: "database without PostgreSQL",
        mutate: (c) => {
            c.postgres.enabled = false;
        },
        expected: "stackwright:services.backend.database: postgres.enabled is false",
    },
    {
        title: "probe path with a space",
        mutate: (c) => {
            c.services.backend.probes.liveness.path = "/health check";
        },
        expected:
            'stackwright:services.backend.probes.liveness.path: "/health check" must be an HTTP path starting with \'/\' without spaces or control characters (e.g. "/healthz")',
    },
    {
        title: "metrics path with a newline",
        mutate: (c) => {
            c.services.backend.metrics.path = "/metrics\nx";
        },
        expected: "stackwright:services.backend.metrics.path: \"/metrics\\nx\" must be an HTTP path starting with '/'",
    },
    {
        title: "route prefix with a tab",
        mutate: (c) => {
            c.services.frontend.routes[0].pathPrefix = "/a\tb";
        },
        expected:
            "stackwright:services.frontend.routes[0].pathPrefix: \"/a\\tb\" must be an HTTP path starting with '/'",
    },
    {
        title: "retry prefix with a space",
        stack: "staging",
        mutate: (c) => {
            c.services.backend.mesh.retryPathPrefix = "/api v1/";
        },
        expected:
            "stackwright:services.backend.mesh.retryPathPrefix: \"/api v1/\" must be an HTTP path starting with '/'",
    },
    {
        title: "writable path with a space",
        mutate: (c) => {
            c.services.backend.writablePaths = ["/var/my cache"];
        },
        expected:
            'stackwright:services.backend.writablePaths[0]: "/var/my cache" must be an absolute path without spaces or control characters',
    },
    {
        title: "a credential as a plain env value (the value never printed)",
        mutate: (c) => {
            c.services.backend.env.STRIPE_API_KEY = "sk_live_do-not-print";
        },
        expected:
            'stackwright:services.backend.env.STRIPE_API_KEY: "STRIPE_API_KEY" names a credential, and plain env values are stored in clear text (ConfigMap, stack file): deliver it from a Secret: services.backend.secretValues (a value you supply, as a config secret) or services.backend.secretEnv (a generated credential)',
    },
    {
        title: "a password as a plain env value",
        mutate: (c) => {
            c.services.frontend.env = { DB_PASSWORD: "hunter2" };
        },
        expected: 'stackwright:services.frontend.env.DB_PASSWORD: "DB_PASSWORD" names a credential',
    },
    {
        title: "negative CPU limit",
        mutate: (c) => {
            c.services.backend.resources.limits.cpu = "-1";
        },
        expected:
            'stackwright:services.backend.resources.limits.cpu: "-1" must not be negative (Kubernetes rejects negative quantities)',
    },
    {
        title: "memory in milli-units",
        mutate: (c) => {
            c.services.backend.resources.requests.memory = "128m";
        },
        expected:
            'stackwright:services.backend.resources.requests.memory: "128m" is in milli-units ("128m" is 0.128 bytes): use Mi or Gi, e.g. "128Mi"',
    },
    {
        title: "volume size in milli-units",
        mutate: (c) => {
            c.redis.storageSize = "1m";
        },
        expected: 'stackwright:redis.storageSize: "1m" is in milli-units',
    },
    {
        title: "zero CPU request under an autoscaler",
        stack: "staging",
        mutate: (c) => {
            c.services.backend.resources.requests.cpu = "0";
        },
        expected:
            'stackwright:services.backend.resources.requests.cpu: request "0" is zero, but the autoscaler targets cpu utilisation of the request (allowed: above zero, autoscaling on memoryUtilizationPercent alone, or autoscaling.enabled false)',
    },
    {
        title: "a quota that cannot hold the services at their most",
        mutate: (c) => {
            c.quota = { requestsCpu: "200m" };
        },
        expected:
            'stackwright:quota.requestsCpu: "200m" does not admit the services at their most (autoscaler maximum plus one rollout surge each, migration Jobs, sidecars) in namespace "apps": they need 500m, 300m more (allowed: at least 500m)',
    },
    {
        title: "a quota that cannot hold the data stores and backups",
        mutate: (c) => {
            c.quota = { requestsCpu: "500m" };
        },
        expected:
            'stackwright:quota.requestsCpu: "500m" does not admit the data stores and backups at their most (PostgreSQL instances × 1, Valkey nodes × 1, backup jobs × 4) in namespace "data": they need 560m, 60m more (allowed: at least 560m)',
    },
    {
        title: "a claim quota below the data stores' volumes",
        stack: "prod",
        mutate: (c) => {
            c.quota = { ...c.quota, persistentVolumeClaims: 3 };
        },
        expected:
            'stackwright:quota.persistentVolumeClaims: 3 does not admit the data stores and backups at their most (PostgreSQL instances × 3, PgBouncer pods with a rollout surge × 4, Valkey nodes × 3, Sentinels × 3, backup jobs × 4) in namespace "data": they need 11, 8 more (allowed: at least 11)',
    },
    {
        title: "a LimitRange default request above its default limit",
        mutate: (c) => {
            c.limitRange = { defaultRequestCpu: "300m" };
        },
        expected:
            'stackwright:limitRange.defaultRequestCpu: "300m" exceeds limitRange.defaultLimitCpu "250m" (the environment default) (allowed: at most the default limit)',
    },
    {
        title: "a LimitRange default limit above its maximum",
        mutate: (c) => {
            c.limitRange = { defaultLimitMemory: "8Gi" };
        },
        expected:
            'stackwright:limitRange.defaultLimitMemory: "8Gi" exceeds limitRange.maxMemory "4Gi" (the environment default) (allowed: at most the maximum)',
    },
    {
        title: "a service limit above the LimitRange maximum",
        mutate: (c) => {
            c.limitRange = { maxCpu: "1", defaultLimitCpu: "250m" };
            c.services.backend.resources.limits.cpu = "2";
        },
        expected:
            'stackwright:services.backend.resources.limits.cpu: limit "2" exceeds limitRange.maxCpu "1" in namespace "apps", so the pod would be refused (allowed: at most 1, or raise limitRange.maxCpu)',
    },
    {
        title: "a data-store limit above the LimitRange maximum",
        mutate: (c) => {
            c.redis = { ...c.redis, resources: { limits: { memory: "5Gi" } } };
        },
        expected:
            'stackwright:redis.resources.limits.memory: limit "5Gi" exceeds limitRange.maxMemory "4Gi" (the environment default) in namespace "data", so the pod would be refused (allowed: at most 4Gi, or raise limitRange.maxMemory)',
    },
    {
        title: "a sidecar limit above the LimitRange maximum",
        stack: "staging",
        mutate: (c) => {
            c.mesh = { ...c.mesh, proxyLimitsCpu: "5" };
        },
        expected:
            'stackwright:mesh.proxyLimitsCpu: limit "5" exceeds limitRange.maxCpu "4" (the environment default) in namespace "apps", so the pod would be refused (allowed: at most 4, or raise limitRange.maxCpu)',
    },
    {
        title: "a LimitRange maximum below a fixed container's limit",
        mutate: (c) => {
            c.limitRange = { maxMemory: "60Mi", defaultLimitMemory: "60Mi", defaultRequestMemory: "60Mi" };
            c.services = {};
            c.edge = { ...c.edge, enabled: false };
            c.postgres = { enabled: false };
            c.redis = { ...c.redis, resources: { limits: { memory: "60Mi" }, requests: { memory: "60Mi" } } };
            c.backups = { enabled: false };
            c.monitoring = { ...c.monitoring, enabled: false };
        },
        expected:
            'stackwright:limitRange.maxMemory: "60Mi" is below the memory limit "64Mi" of the redis_exporter sidecar in namespace "data", so the pod would be refused (allowed: at least 64Mi)',
    },
    {
        title: "istiod request above its default limit",
        stack: "staging",
        mutate: (c) => {
            c.mesh = { ...c.mesh, istiodResources: { requests: { cpu: "4" } } };
        },
        expected:
            'stackwright:mesh.istiodResources.requests.cpu: request "4" exceeds limit "2" (the default) (allowed: at most the limit)',
    },
    {
        title: "ephemeral storage on a mesh chart container, which its values cannot take",
        stack: "staging",
        mutate: (c) => {
            c.mesh = { ...c.mesh, cniResources: { limits: { ephemeralStorage: "1Gi" } } };
        },
        expected:
            "stackwright:mesh.cniResources.limits.ephemeralStorage: unknown key (allowed keys at stackwright:mesh.cniResources.limits: cpu, memory)",
    },
    {
        title: "edge data-plane request above the environment default limit",
        mutate: (c) => {
            c.edge = { ...c.edge };
            c.edge.dataPlaneResources = { requests: { memory: "1Gi" } };
        },
        expected:
            'stackwright:edge.dataPlaneResources.requests.memory: request "1Gi" exceeds limit "256Mi" (the environment default) (allowed: at most the limit)',
    },
    {
        title: "edge controller request above the environment default limit",
        mutate: (c) => {
            c.edge = { ...c.edge, resources: { requests: { cpu: "1" } } };
        },
        expected:
            'stackwright:edge.resources.requests.cpu: request "1" exceeds limit "250m" (the environment default) (allowed: at most the limit)',
    },
    {
        title: "a pod quota below the services' pods",
        mutate: (c) => {
            c.quota = { pods: 4 };
        },
        expected:
            'stackwright:quota.pods: 4 does not admit the services at their most (autoscaler maximum plus one rollout surge each, migration Jobs, sidecars) in namespace "apps": they need 7, 3 more (allowed: at least 7)',
    },
    {
        title: "the environment's default quota against many autoscaled services",
        stack: "staging",
        mutate: (c) => {
            for (let i = 0; i < 30; i++)
                c.services[`extra-${i}`] = {
                    image: "ghcr.io/stefanprodan/podinfo:6.9.2",
                    ports: [{ name: "http", containerPort: 9898 }],
                };
        },
        expected:
            'stackwright:quota.requestsCpu: "16" (the environment default) does not admit the services at their most (autoscaler maximum plus one rollout surge each, migration Jobs, sidecars) in namespace "apps"',
    },
    {
        title: "one directory in two spellings",
        mutate: (c) => {
            c.services.backend.writablePaths = ["/data", "/data/"];
        },
        expected:
            'stackwright:services.backend.writablePaths[1]: "/data/" would share the volume "writable-data" with "/data": list each directory once, in one spelling',
    },
    {
        title: "a writable path that is /tmp again",
        mutate: (c) => {
            c.services.backend.writablePaths = ["/tmp/"];
        },
        expected:
            'stackwright:services.backend.writablePaths[0]: "/tmp/" would share the volume "writable-tmp" with "/tmp" (always mounted)',
    },
    {
        title: "port name without a letter",
        mutate: (c) => {
            c.services.backend.ports[0].name = "8080";
        },
        expected:
            'stackwright:services.backend.ports[0].name: "8080" must be an IANA service name (lower-case letters, digits and \'-\', at most 15 characters, at least one letter, no "--")',
    },
    {
        title: "port name with a double hyphen",
        mutate: (c) => {
            c.services.backend.ports[0].name = "web--api";
        },
        expected: 'stackwright:services.backend.ports[0].name: "web--api" must be an IANA service name',
    },
    {
        title: "time zone that does not exist",
        mutate: (c) => {
            c.backups = { ...c.backups, timeZone: "Mars/Olympus_Mons" };
        },
        expected:
            'stackwright:backups.timeZone: "Mars/Olympus_Mons" is not a time zone of the IANA database (e.g. "Etc/UTC", "Europe/Berlin")',
    },
    {
        title: "namespace reserved by Kubernetes",
        mutate: (c) => {
            c.namespaces = { apps: "kube-system" };
        },
        expected:
            'stackwright:namespaces.apps: "kube-system" belongs to Kubernetes (not allowed: default, kube-system, kube-public, kube-node-lease)',
    },
    {
        title: "two parts of the stack in one namespace",
        mutate: (c) => {
            c.namespaces = { data: "apps" };
        },
        expected:
            'stackwright:namespaces.data: "apps" is already namespaces.apps (each part of the stack needs a namespace of its own)',
    },
    {
        title: "ACME directory over plain HTTP",
        stack: "prod",
        mutate: (c) => {
            c.edge.acme.server = "http://acme.example/directory";
        },
        expected:
            'stackwright:edge.acme.server: "http://acme.example/directory" must be an https URL of an ACME directory',
    },
    {
        title: "two owners of one database",
        mutate: (c) => {
            c.services.frontend.database = "jobs";
        },
        expected: 'stackwright:services.worker.database: database "jobs" is already owned by service "frontend"',
    },
    {
        title: "Redis client without Redis",
        mutate: (c) => {
            c.redis.enabled = false;
        },
        expected: "stackwright:services.backend.redis: redis.enabled is false",
    },
    {
        title: "route to an unknown port",
        mutate: (c) => {
            c.services.backend.routes[0].port = "grpc";
        },
        expected:
            'stackwright:services.backend.routes[0].port: route port "grpc" is not a port of this service (allowed: http)',
    },
    {
        title: "duplicate host/path",
        mutate: (c) => {
            c.services.worker.routes = [{ host: "api", pathPrefix: "/api/v1/" }];
        },
        expected:
            'stackwright:services.worker.routes[0]: host/path "api.stackwright.localtest.me/api/v1/" is already routed to service "backend"',
    },
    {
        title: "host outside the domain",
        mutate: (c) => {
            c.services.frontend.routes = [{ host: "app.example.org" }];
        },
        expected:
            'stackwright:services.frontend.routes[0].host: "app.example.org" is outside the stack domain "stackwright.localtest.me"',
    },
    {
        title: "replicas while autoscaling owns the count",
        stack: "staging",
        mutate: (c) => {
            c.services.frontend.replicas = 4;
        },
        expected: "stackwright:services.frontend.replicas: replicas is set but autoscaling owns the replica count",
    },
    {
        title: "rotation of an unknown credential",
        mutate: (c) => {
            c.secrets = { rotation: { jwtSecrte: 1 } };
        },
        expected:
            'stackwright:secrets.rotation.jwtSecrte: "jwtSecrte" is not a generated credential (allowed: jwtSecret, apiKey,',
    },
    {
        title: "service name that is not a DNS label",
        mutate: (c) => {
            c.services.Back_End = c.services.worker;
            delete c.services.worker;
        },
        expected: 'stackwright:services.Back_End: service name "Back_End" must be a DNS-1123 label',
    },
    {
        title: "ACME without an email",
        stack: "prod",
        mutate: (c) => {
            delete c.edge.acme;
        },
        expected: 'stackwright:edge.acme: edge.tls is "acme" but edge.acme (email) is not set',
    },
    {
        title: "Sentinel mode with one node",
        stack: "prod",
        mutate: (c) => {
            c.redis.replicas = 1;
        },
        expected: "stackwright:redis.replicas: sentinel mode needs at least 2 data nodes",
    },
    {
        title: "port out of range",
        mutate: (c) => {
            c.services.backend.ports[0].containerPort = 70000;
        },
        expected: "stackwright:services.backend.ports[0].containerPort: 70000 must be less than or equal to 65535",
    },
    {
        title: "service calling itself",
        mutate: (c) => {
            c.services.backend.calls = ["backend"];
        },
        expected: "stackwright:services.backend.calls[0]: a service cannot declare a call to itself",
    },
    {
        title: "missing domain",
        mutate: (c) => {
            delete c.domain;
        },
        expected: "stackwright:domain: is required (string)",
    },
    {
        title: "wrong type",
        mutate: (c) => {
            c.postgres.instances = "three";
        },
        expected: 'stackwright:postgres.instances: "three" must be number, not string',
    },
    {
        title: "invalid namespace name",
        mutate: (c) => {
            c.namespaces = { apps: "Apps" };
        },
        expected: 'stackwright:namespaces.apps: "Apps" must be a DNS-1123 label',
    },
    {
        title: "unpinned chart version",
        mutate: (c) => {
            c.postgres.operatorChart = { version: "latest" };
        },
        expected: 'stackwright:postgres.operatorChart.version: "latest" must be an exact version',
    },
    {
        title: "prod: a service with one replica",
        stack: "prod",
        mutate: (c) => {
            c.services.worker.autoscaling = { minReplicas: 1 };
        },
        expected:
            "stackwright:services.worker.autoscaling.minReplicas: 1 replica is a single point of failure in prod (allowed: at least 2, or waivers.singleReplicaServices.worker with a written reason)",
    },
    {
        title: "prod: one PostgreSQL instance",
        stack: "prod",
        mutate: (c) => {
            c.postgres = { ...c.postgres, instances: 1 };
        },
        expected:
            "stackwright:postgres.instances: 1 PostgreSQL instance is a single point of failure (no failover) in prod (allowed: at least 2, or waivers.singlePostgresInstance with a written reason)",
    },
    {
        title: "prod: standalone Redis",
        stack: "prod",
        mutate: (c) => {
            c.redis = { ...c.redis, mode: "standalone" };
        },
        expected:
            'stackwright:redis.mode: standalone Redis is a single point of failure (no failover) in prod (allowed: "sentinel", or waivers.standaloneRedis with a written reason)',
    },
    {
        title: "prod: one edge data-plane replica",
        stack: "prod",
        mutate: (c) => {
            c.edge = { ...c.edge, dataPlaneReplicas: 1, dataPlaneMaxReplicas: undefined };
        },
        expected:
            "stackwright:edge.dataPlaneReplicas: 1 replica is a single point of failure (a node drain or rollout takes the edge down) in prod (allowed: at least 2, or waivers.singleEdgeReplica with a written reason)",
    },
    {
        title: "prod: the mesh off",
        stack: "prod",
        mutate: (c) => {
            c.mesh = { ...c.mesh, enabled: false };
        },
        expected:
            "stackwright:mesh.enabled: false leaves service-to-service traffic without mutual TLS in prod (allowed: true, or waivers.meshDisabled with a written reason)",
    },
    {
        title: "a waiver outside prod",
        mutate: (c) => {
            c.waivers = { standaloneRedis: "dev runs one node, and that is fine" };
        },
        expected:
            'stackwright:waivers.standaloneRedis: waives nothing outside prod (environment is "dev"; remove the waiver)',
    },
    {
        title: "a prod waiver that waives nothing",
        stack: "prod",
        mutate: (c) => {
            c.waivers = { meshDisabled: "we trust the node network in this cluster" };
        },
        expected:
            "stackwright:waivers.meshDisabled: waives nothing: the setting it would accept is not in this stack (remove the waiver)",
    },
    {
        title: "a waiver without a written reason",
        stack: "prod",
        mutate: (c) => {
            c.waivers = { standaloneRedis: "   ok   " };
        },
        expected:
            'stackwright:waivers.standaloneRedis: "   ok   " must be a written reason of at least 20 characters (what is accepted, and why)',
    },
    {
        title: "a reserved database name",
        mutate: (c) => {
            c.postgres = { ...c.postgres, appDatabase: "postgres" };
        },
        expected:
            'stackwright:postgres.appDatabase: "postgres" is a database PostgreSQL or CloudNativePG already owns (not allowed: postgres, template0, template1)',
    },
    {
        title: "a service database PostgreSQL already has",
        mutate: (c) => {
            c.services.backend.database = "template1";
        },
        expected:
            'stackwright:services.backend.database: "template1" is a database PostgreSQL or CloudNativePG already owns (not allowed: postgres, template0, template1)',
    },
    {
        title: "a Grafana host with a newline while monitoring is off (it would reach grafana.ini)",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, enabled: false, grafanaHost: "grafana\n[auth]" };
        },
        expected: 'stackwright:monitoring.grafanaHost: "grafana\\n[auth]" is not a valid DNS-1123 host name',
    },
    {
        title: "an alert webhook URL that does not parse (value never printed)",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, alertWebhookUrl: "http://[hooks" };
        },
        expected: 'stackwright:monitoring.alertWebhookUrl: "(secret value hidden)" must be a valid URL',
    },
    {
        title: "a five-field ScheduledBackup schedule",
        mutate: (c) => {
            c.postgres = {
                ...c.postgres,
                objectStore: {
                    destinationPath: "s3://b/p",
                    accessKeyId: "a",
                    secretAccessKey: "b",
                    fullBackupSchedule: "0 2 * * *",
                },
            };
        },
        expected:
            'stackwright:postgres.objectStore.fullBackupSchedule: "0 2 * * *" is not a six-field cron schedule (cron: ScheduledBackup schedule "0 2 * * *" must have 6 fields (seconds first); allowed: seconds first, e.g. "0 0 2 * * *")',
    },
    {
        title: "a ScheduledBackup seconds field out of range",
        mutate: (c) => {
            c.backups = { ...c.backups, incrementalSchedule: "60 0 */6 * * *" };
        },
        expected:
            'stackwright:backups.incrementalSchedule: "60 0 */6 * * *" is not a six-field cron schedule (cron: "60" is outside 0-59; allowed: seconds first, e.g. "0 0 */6 * * *")',
    },
    {
        title: "a CronJob day of week the controller refuses (7)",
        mutate: (c) => {
            c.backups = { ...c.backups, verifySchedule: "0 4 * * 7" };
        },
        expected:
            'stackwright:backups.verifySchedule: "0 4 * * 7" is not a usable schedule (cron: "7" is outside 0-6; allowed: five-field cron such as "0 2 * * *", or @daily/@weekly)',
    },
    {
        title: "a CronJob schedule with an empty list item",
        mutate: (c) => {
            c.backups = { ...c.backups, redisSchedule: "0 2 * * 1," };
        },
        expected:
            'stackwright:backups.redisSchedule: "0 2 * * 1," is not a usable schedule (cron: "" is not a number or a name;',
    },
    {
        title: "a host that outgrows 253 characters with the domain",
        mutate: (c) => {
            c.domain = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(54)}.com`;
            c.edge = { ...c.edge, extraHosts: ["status"] };
        },
        expected: 'stackwright:edge.extraHosts[0]: "status" makes the host "status.aaaa',
    },
    {
        title: "a domain label over 63 characters",
        mutate: (c) => {
            c.domain = `${"a".repeat(64)}.com`;
        },
        expected: "stackwright:domain: ",
    },
    {
        title: "Redis maxmemory that is not whole bytes",
        mutate: (c) => {
            c.redis = { ...c.redis, maxmemory: "0.5" };
        },
        expected:
            'stackwright:redis.maxmemory: "0.5" is 0.5 bytes, not a whole number (valkey.conf takes bytes; allowed: e.g. "768Mi")',
    },
    {
        title: "Redis maxmemory that would mean no limit",
        mutate: (c) => {
            c.redis = { ...c.redis, maxmemory: "100" };
        },
        expected:
            'stackwright:redis.maxmemory: "100" is below 1Mi (Valkey needs that much to run, and 0 would mean no limit at all; allowed: at least 1Mi)',
    },
    {
        title: "a Redis memory limit whose default maxmemory rounds to nothing",
        mutate: (c) => {
            c.redis = { ...c.redis, resources: { requests: { memory: "1Mi" }, limits: { memory: "1Mi" } } };
        },
        expected:
            'stackwright:redis.resources.limits.memory: limit "1Mi" leaves Valkey a maxmemory (75 % of it) below 1Mi (0 would mean no limit at all; allowed: at least 2Mi)',
    },
    {
        title: "a Prometheus volume too small for size-based retention",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, storageSize: "100Mi" };
        },
        expected:
            'stackwright:monitoring.storageSize: "100Mi" must be at least 1Gi (size-based retention keeps 85 % of it, and the write-ahead log alone takes several 128 MiB segments)',
    },
    {
        title: "a zero Prometheus retention",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, retention: "0d" };
        },
        expected:
            'stackwright:monitoring.retention: "0d" must be a positive Prometheus duration like "15d" (0 would mean the built-in default)',
    },
    {
        title: "a zero Barman retention",
        mutate: (c) => {
            c.postgres = {
                ...c.postgres,
                objectStore: {
                    destinationPath: "s3://b/p",
                    accessKeyId: "a",
                    secretAccessKey: "b",
                    retentionPolicy: "0d",
                },
            };
        },
        expected:
            'stackwright:postgres.objectStore.retentionPolicy: "0d" must be a positive Barman retention like "30d", "4w" or "6m"',
    },
    {
        title: "an object-store region with spaces",
        mutate: (c) => {
            c.postgres = {
                ...c.postgres,
                objectStore: { destinationPath: "s3://b/p", accessKeyId: "a", secretAccessKey: "b", region: "eu west" },
            };
        },
        expected: 'stackwright:postgres.objectStore.region: "eu west" must be a region name such as "us-east-1"',
    },
    {
        title: "Grafana host outside the domain",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, grafanaHost: "grafana.example.org" };
        },
        expected:
            'stackwright:monitoring.grafanaHost: "grafana.example.org" is outside the stack domain "stackwright.localtest.me"',
    },
    {
        title: "a zero route timeout",
        mutate: (c) => {
            c.services.frontend.routes[0].timeoutSeconds = 0;
        },
        expected: "stackwright:services.frontend.routes[0].timeoutSeconds: 0 must be greater than 0",
    },
    {
        title: "a route timeout above an hour",
        mutate: (c) => {
            c.services.frontend.routes[0].timeoutSeconds = 4000;
        },
        expected:
            "stackwright:services.frontend.routes[0].timeoutSeconds: 4000 exceeds 3600 (allowed: 1-3600; use websocket: true for long-lived connections)",
    },
    {
        title: "a Sentinel master name with a space",
        mutate: (c) => {
            c.redis = { ...c.redis, masterName: "my primary" };
        },
        expected: 'stackwright:redis.masterName: "my primary" must be a DNS-1123 label',
    },
    {
        title: "a maxmemory policy the stack does not offer",
        mutate: (c) => {
            c.redis = { ...c.redis, maxmemoryPolicy: "allkeys-random" };
        },
        expected:
            'stackwright:redis.maxmemoryPolicy: "allkeys-random" is not allowed (allowed: noeviction, allkeys-lru, volatile-lru, allkeys-lfu, volatile-lfu)',
    },
    {
        title: "two Sentinels",
        mutate: (c) => {
            c.redis = { ...c.redis, sentinels: 2 };
        },
        expected: "stackwright:redis.sentinels: 2 must be greater than or equal to 3",
    },
    {
        title: "a threshold above 100 %",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, thresholds: { cpuLimitPercent: 120 } };
        },
        expected: "stackwright:monitoring.thresholds.cpuLimitPercent: 120 must be less than or equal to 100",
    },
    {
        title: "a negative replication-lag threshold",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, thresholds: { postgresReplicationLagSeconds: -1 } };
        },
        expected: "stackwright:monitoring.thresholds.postgresReplicationLagSeconds: -1 must be greater than 0",
    },
    {
        title: "a zero latency target",
        mutate: (c) => {
            c.services.backend.latencyTargetMilliseconds = 0;
        },
        expected: "stackwright:services.backend.latencyTargetMilliseconds: 0 must be greater than 0",
    },
    {
        title: "a Slack channel with a space",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, slackChannel: "my alerts" };
        },
        expected: 'stackwright:monitoring.slackChannel: "my alerts" must be a Slack channel name such as "#alerts"',
    },
    {
        title: "an alert webhook over ftp (value never printed)",
        mutate: (c) => {
            c.monitoring = { ...c.monitoring, alertWebhookUrl: "ftp://hooks/x" };
        },
        expected: 'stackwright:monitoring.alertWebhookUrl: "(secret value hidden)" must be an http(s) URL',
    },
    {
        title: "zero operator replicas",
        mutate: (c) => {
            c.postgres = { ...c.postgres, operatorReplicas: 0 };
        },
        expected: "stackwright:postgres.operatorReplicas: 0 must be greater than or equal to 1",
    },
    {
        title: "zero PostgreSQL instances",
        mutate: (c) => {
            c.postgres = { ...c.postgres, instances: 0 };
        },
        expected: "stackwright:postgres.instances: 0 must be greater than or equal to 1",
    },
    {
        title: "a WAL archive destination that is not s3://",
        mutate: (c) => {
            c.postgres = {
                ...c.postgres,
                objectStore: { destinationPath: "gs://b", accessKeyId: "a", secretAccessKey: "b" },
            };
        },
        expected: 'stackwright:postgres.objectStore.destinationPath: "gs://b" must be an s3:// URL',
    },
    {
        title: "runAsUser 0",
        mutate: (c) => {
            c.services.backend.runAsUser = 0;
        },
        expected: "stackwright:services.backend.runAsUser: 0 must be greater than or equal to 1",
    },
    {
        title: "a CronJob schedule with a zero step",
        mutate: (c) => {
            c.backups = { ...c.backups, postgresSchedule: "*/0 2 * * *" };
        },
        expected:
            'stackwright:backups.postgresSchedule: "*/0 2 * * *" is not a usable schedule (cron: bad step in "*/0";',
    },
    {
        title: "a CronJob range with three bounds",
        mutate: (c) => {
            c.backups = { ...c.backups, postgresSchedule: "0 1-2-3 * * *" };
        },
        expected:
            'stackwright:backups.postgresSchedule: "0 1-2-3 * * *" is not a usable schedule (cron: bad range "1-2-3";',
    },
    {
        title: "a four-field CronJob schedule",
        mutate: (c) => {
            c.backups = { ...c.backups, postgresSchedule: "0 2 * *" };
        },
        expected:
            'stackwright:backups.postgresSchedule: "0 2 * *" is not a usable schedule (cron: "0 2 * *" must have 5 fields;',
    },
    {
        title: "a schedule that never runs (30 February)",
        mutate: (c) => {
            c.backups = { ...c.backups, postgresSchedule: "0 0 30 2 *" };
        },
        expected:
            'stackwright:backups.postgresSchedule: "0 0 30 2 *" is not a usable schedule (cron: "0 0 30 2 *" runs fewer than twice in four years;',
    },
    {
        title: "a call to a service that exposes no ports",
        mutate: (c) => {
            c.services.worker.ports = [];
            c.services.worker.probes = {
                liveness: { type: "exec", command: ["true"] },
                readiness: { type: "exec", command: ["true"] },
            };
            delete c.services.worker.metrics;
            c.services.frontend.calls = ["worker"];
        },
        expected: 'stackwright:services.frontend.calls[0]: "worker" exposes no ports, so it cannot be called',
    },
    {
        title: "Sentinel settings in standalone mode",
        mutate: (c) => {
            c.redis = { ...c.redis, sentinels: 5 };
        },
        expected:
            'stackwright:redis.sentinels: has no effect: redis.mode is "standalone" (remove it, or set redis.mode to "sentinel")',
    },
    {
        title: "pooler settings while the pooler is off",
        mutate: (c) => {
            c.postgres = { ...c.postgres, pooler: { poolMode: "session" } };
        },
        expected:
            "stackwright:postgres.pooler.poolMode: has no effect: postgres.pooler.enabled is false (remove it, or set postgres.pooler.enabled to true)",
    },
    {
        title: "an incremental backup schedule without object storage",
        mutate: (c) => {
            c.backups = { ...c.backups, incrementalSchedule: "0 0 */4 * * *" };
        },
        expected:
            "stackwright:backups.incrementalSchedule: has no effect: postgres.objectStore is not set (the extra base backups go to object storage) (remove it, or configure postgres.objectStore)",
    },
    {
        title: "ACME settings with the generated CA",
        mutate: (c) => {
            c.edge = { ...c.edge, certManagerIssuer: "generated-ca" };
        },
        expected:
            'stackwright:edge.certManagerIssuer: has no effect: edge.tls is "generated-ca" (remove it, or set edge.tls to "acme")',
    },
    {
        title: "autoscaling bounds while autoscaling is off (the dev default)",
        mutate: (c) => {
            c.services.worker.autoscaling = { maxReplicas: 5 };
        },
        expected:
            "stackwright:services.worker.autoscaling.maxReplicas: has no effect: autoscaling is off (the dev default) (remove it, or set services.worker.autoscaling.enabled to true, or use services.worker.replicas)",
    },
    {
        title: "memory as a fraction of a byte",
        mutate: (c) => {
            c.services.backend.resources.limits.memory = 0.5;
        },
        expected: "stackwright:services.backend.resources.limits.memory: 0.5 must be string or integer",
    },
    {
        title: 'a value of neither type a union takes (no bare "Invalid input")',
        mutate: (c) => {
            c.services.backend.resources.limits.cpu = true;
        },
        expected: "stackwright:services.backend.resources.limits.cpu: true must be string or number",
    },
    {
        title: "a supplied secret value set as plain config",
        mutate: (c) => {
            c.services.backend.secretValues = { STRIPE_API_KEY: "sk_live_x" };
        },
        render: { secretKeys: [] },
        expected:
            "stackwright:services.backend.secretValues.STRIPE_API_KEY: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:services.backend.secretValues.STRIPE_API_KEY' <value>`)",
    },
    {
        title: "an empty supplied secret value (never printed)",
        mutate: (c) => {
            c.services.backend.secretValues = { STRIPE_API_KEY: "" };
        },
        expected: 'stackwright:services.backend.secretValues.STRIPE_API_KEY: "(secret value hidden)" must not be empty',
    },
    {
        title: "one env var from a supplied secret and a plain setting",
        mutate: (c) => {
            c.services.backend.secretValues = { LOG_LEVEL: "x" };
            c.services.backend.env = { ...c.services.backend.env, LOG_LEVEL: "info" };
        },
        expected:
            'stackwright:services.backend.env.LOG_LEVEL: env var "LOG_LEVEL" is set by both secretValues and env (allowed: one source per variable)',
    },
    {
        title: "requests per second with nothing counting the requests",
        mutate: (c) => {
            c.services.backend.autoscaling = { enabled: true, requestsPerSecond: 100 };
        },
        expected:
            "stackwright:services.backend.autoscaling.requestsPerSecond: nothing counts this service's requests: set metrics.requestsTotalMetric to the request counter it exposes (e.g. http_requests_total), or turn the mesh on (Istio counts them) (allowed: one of those, or unset)",
    },
    {
        title: "requests per second without Prometheus",
        stack: "staging",
        mutate: (c) => {
            c.monitoring = { enabled: false };
            delete c.services.backend.metrics;
            for (const svc of Object.values<any>(c.services)) delete svc.metrics;
        },
        expected:
            "stackwright:services.backend.autoscaling.requestsPerSecond: the request rate is served from Prometheus, and monitoring.enabled is false; an HPA metric that nothing serves stops the service from scaling down (allowed: unset, or monitoring on)",
    },
    {
        title: "a request counter nothing scales on",
        mutate: (c) => {
            c.services.backend.metrics = { ...c.services.backend.metrics, requestsTotalMetric: "http_requests_total" };
        },
        expected:
            "stackwright:services.backend.metrics.requestsTotalMetric: has no effect: autoscaling.requestsPerSecond is not set (remove it, or set autoscaling.requestsPerSecond)",
    },
    {
        title: "relative writable path",
        mutate: (c) => {
            c.services.backend.writablePaths = ["tmp/cache"];
        },
        expected: 'stackwright:services.backend.writablePaths[0]: "tmp/cache" must be an absolute path',
    },
    {
        title: "object-store credentials set as plain (non-secret) values",
        mutate: (c) => {
            c.postgres.objectStore = {
                destinationPath: "s3://backups/dev",
                accessKeyId: "AKIAEXAMPLE",
                secretAccessKey: "plain-secret",
            };
        },
        render: { secretKeys: [] },
        expected:
            "stackwright:postgres.objectStore.accessKeyId: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:postgres.objectStore.accessKeyId' <value>`)",
    },
    {
        title: "backup object-store credentials set as plain values",
        mutate: (c) => {
            c.backups.objectStore = {
                bucket: "stackwright-backups",
                accessKeyId: "AKIAEXAMPLE",
                secretAccessKey: "plain-secret",
            };
        },
        render: { secretKeys: ["postgres"] },
        expected:
            "stackwright:backups.objectStore.secretAccessKey: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:backups.objectStore.secretAccessKey' <value>`)",
    },
    {
        title: "Slack webhook URL (it carries the token) set as a plain value",
        mutate: (c) => {
            c.monitoring.slackWebhookUrl = "https://hooks.slack.com/services/T0/B0/XXXX";
        },
        render: { secretKeys: [] },
        expected:
            "stackwright:monitoring.slackWebhookUrl: is a plain config value, but it is a credential (allowed: a secret; set it with `pulumi config set --secret --path 'stackwright:monitoring.slackWebhookUrl' <value>`)",
    },
];

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
        const numeric = parseConfig(
            mutated("dev", (c) => {
                c.services.backend.resources.limits.cpu = 0.5;
            }),
        );
        expect(numeric.services.backend.resources?.limits?.cpu).to.equal("0.5");
        const withoutInstances = (stack: string) =>
            mutated(stack, (c) => {
                delete c.postgres.instances;
            });
        expect(
            Object.fromEntries(STACKS.map((s) => [s, postgresPlan(parseConfig(withoutInstances(s))).instances])),
        ).to.deep.equal({ dev: 1, staging: 2, prod: 3 });
        expect(dev.redis.mode).to.equal("standalone");
        expect(prod.redis.mode).to.equal("sentinel");
        expect(prod.services.backend.resources).to.deep.equal({
            requests: { cpu: "500m", memory: "1Gi" },
            limits: { cpu: "2000m", memory: "4Gi" },
        });
        expect(prod.services.frontend.autoscaling.minReplicas).to.be.at.least(3);
        expect(dev.mesh.enabled).to.equal(false);
        expect(prod.mesh.enabled).to.equal(true);
        expect(prod.edge.controllerReplicas).to.be.at.least(2);
    });
});

/**
 * Every `throw` in components/ and lib/, and what keeps it from firing after resources are registered: the config
 * rule that refuses the input first (a MALFORMED case above, which asserts zero registered resources), or why no
 * stack file can reach it (wiring between components, constants, the repository's own files). A new throw fails
 * the audit below until it is listed here.
 */
const THROWS: { file: string; match: string; rules?: string[]; internal?: string }[] = [
    {
        file: "components/backups.ts",
        match: "postgresSuperuserSecretName is required",
        internal: "wiring: index.ts passes Postgres.superuserSecretName whenever PostgreSQL is on",
    },
    {
        file: "components/backups.ts",
        match: "redisPasswordSecretName is required",
        internal: "wiring: index.ts passes Redis.passwordSecretName whenever Redis is on",
    },
    {
        file: "components/backups.ts",
        match: "redisHost or redisSentinel is required",
        internal: "wiring: backupsPlan sets the host (standalone), index.ts the Sentinels (sentinel mode)",
    },
    {
        file: "components/postgres.ts",
        match: "databases must include the bootstrap database",
        internal: "postgresPlan lists databaseRoles(cfg), which starts with postgres.appDatabase",
    },
    {
        file: "components/postgres.ts",
        match: "no generated credential",
        internal: "GeneratedSecrets makes one password per databaseRoles(cfg) (the same list) and the superuser's",
    },
    { file: "components/edge.ts", match: "needs acme.email", rules: ["ACME without an email"] },
    {
        file: "lib/postgres/external.ts",
        match: "no credentials for database",
        rules: ["an external PostgreSQL without credentials for a database in use"],
    },
    {
        file: "components/edge.ts",
        match: "no provided certificate serves host",
        rules: ["a public host no certificate you bring serves"],
    },
    {
        file: "components/edge.ts",
        match: "no generated TLS Secret for host",
        internal: "GeneratedSecrets makes one certificate per publicHosts(cfg), the same list",
    },
    {
        file: "lib/backups/scripts.ts",
        match: "is missing",
        internal: "the repository's own scripts (tested in backup-scripts.spec.ts)",
    },
    {
        file: "lib/backups/jobs.ts",
        match: "the PostgreSQL backup needs at least one database",
        internal: "databaseRoles(cfg) always holds postgres.appDatabase",
    },
    {
        file: "lib/backups/jobs.ts",
        match: "the restore verification needs at least one database",
        internal: "databaseRoles(cfg) always holds postgres.appDatabase",
    },
    {
        file: "lib/mesh/policies.ts",
        match: "is not a port of the service",
        rules: ["route to an unknown port", "metrics on an unknown port"],
    },
    { file: "lib/edge/routes.ts", match: "is outside the domain`);\n", rules: ["host outside the domain"] },
    { file: "lib/edge/routes.ts", match: "does not exist", rules: ["route to an unknown port"] },
    { file: "lib/edge/routes.ts", match: "monitoring.grafanaHost", rules: ["Grafana host outside the domain"] },
    { file: "lib/edge/policies.ts", match: "positive whole number of seconds", rules: ["a zero route timeout"] },
    {
        file: "lib/edge/policies.ts",
        match: "too long for NGINX Gateway Fabric",
        rules: ["a route timeout above an hour"],
    },
    {
        file: "lib/edge/policies.ts",
        match: "a non-websocket route needs timeoutSeconds",
        internal: "routes[].timeoutSeconds has a schema default (30)",
    },
    {
        file: "lib/redis/conf.ts",
        match: "must be an integer port 1-65535",
        internal: "Redis and Sentinel ports are constants (lib/topology.ts)",
    },
    {
        file: "lib/redis/conf.ts",
        match: "must match ${TOKEN}",
        rules: ["a Sentinel master name with a space", "invalid namespace name"],
    },
    {
        file: "lib/redis/conf.ts",
        match: "must be an integer >= ${min}",
        rules: ["Redis maxmemory that is not whole bytes"],
    },
    {
        file: "lib/redis/conf.ts",
        match: "must be an absolute path",
        internal: "the data directory is a constant (/data)",
    },
    { file: "lib/redis/conf.ts", match: "bind must be a list of addresses", internal: "bind addresses are constants" },
    {
        file: "lib/redis/conf.ts",
        match: "maxmemory must be bytes or a size",
        rules: ["Redis maxmemory that is not whole bytes"],
    },
    {
        file: "lib/redis/conf.ts",
        match: "maxmemoryPolicy must be one of",
        rules: ["a maxmemory policy the stack does not offer"],
    },
    {
        file: "lib/redis/conf.ts",
        match: "must not contain control characters",
        internal: "only the generated password is quoted (random printable characters)",
    },
    {
        file: "lib/redis/conf.ts",
        match: "password must not be empty",
        internal: "the password is generated (secrets.passwordLength >= 24)",
    },
    { file: "lib/redis/conf.ts", match: "must be a DNS label", rules: ["invalid namespace name"] },
    {
        file: "lib/redis/conf.ts",
        match: "need memoryLimitBytes > 0",
        rules: ["a Redis memory limit whose default maxmemory rounds to nothing"],
    },
    { file: "lib/redis/workload.ts", match: "needs at least 2 data nodes", rules: ["Sentinel mode with one node"] },
    { file: "lib/redis/workload.ts", match: "needs at least 3 Sentinels", rules: ["two Sentinels"] },
    {
        file: "lib/monitoring/grafana.ts",
        match: "throw new Error(\n",
        internal: "grafanaVersionOfChart is used by the chart-pin tests only, not by the program",
    },
    {
        file: "lib/monitoring/grafana.ts",
        match: "is not a Grafana version",
        internal: "used by the chart-pin tests only, not by the program",
    },
    {
        file: "lib/monitoring/plan.ts",
        match: "no dashboards (*.json)",
        internal: "the repository's own dashboards, read by the plan before anything registers",
    },
    {
        file: "lib/monitoring/plan.ts",
        match: "is not valid JSON",
        internal: "the repository's own dashboards, read by the plan before anything registers",
    },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "namespaces must not be empty",
        internal: "the monitoring plan always lists the stack's namespaces",
    },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "is not a valid Kubernetes name",
        rules: ["service name that is not a DNS label"],
    },
    { file: "lib/monitoring/alert-rules.ts", match: "must be in (0, 100]", rules: ["a threshold above 100 %"] },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "pvcCriticalPercent must be above pvcFullPercent",
        rules: ["volume warning at or above the fixed 95 % critical alert"],
    },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "must be a finite non-negative number",
        rules: ["a negative replication-lag threshold"],
    },
    { file: "lib/monitoring/alert-rules.ts", match: "latencyP95TargetMs", rules: ["a zero latency target"] },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "maxAgeSeconds of CronJob",
        internal: "computed from a valid schedule's interval (> 0) plus grace",
    },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "baseBackupMaxAgeSeconds of Postgres cluster",
        internal: "computed from valid ScheduledBackup schedules plus grace",
    },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "walArchiveMaxAgeSeconds must be positive",
        internal: "computed from postgres.objectStore.archiveTimeoutSeconds (60-900)",
    },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "service ${dupService} listed twice",
        internal: "services are the keys of a map",
    },
    {
        file: "lib/monitoring/alert-rules.ts",
        match: "CronJob ${dupCronJob} listed twice",
        internal: "the backup CronJob names are constants",
    },
    {
        file: "lib/monitoring/alertmanager.ts",
        match: "must be a positive number",
        internal: "Alertmanager's timings are constants of the monitoring plan",
    },
    {
        file: "lib/monitoring/alertmanager.ts",
        match: "is not a Slack channel name",
        rules: ["a Slack channel with a space"],
    },
    {
        file: "lib/monitoring/alertmanager.ts",
        match: "is not a valid URL",
        rules: ["an alert webhook URL that does not parse (value never printed)"],
    },
    {
        file: "lib/monitoring/alertmanager.ts",
        match: "must be an http(s) URL",
        rules: ["an alert webhook over ftp (value never printed)"],
    },
    {
        file: "lib/postgres/operator-policies.ts",
        match: "replicas must be a positive integer",
        rules: ["zero operator replicas"],
    },
    {
        file: "lib/postgres/specs.ts",
        match: "instances must be a positive integer",
        rules: ["zero PostgreSQL instances"],
    },
    {
        file: "lib/postgres/specs.ts",
        match: "must be a managed role",
        internal: "databaseRoles(cfg) always holds postgres.appDatabase",
    },
    {
        file: "lib/postgres/specs.ts",
        match: "names reserved by CloudNativePG",
        rules: ["a reserved database name", "a service database PostgreSQL already has"],
    },
    {
        file: "lib/postgres/specs.ts",
        match: "destinationPath must be an s3:// URL",
        rules: ["a WAL archive destination that is not s3://"],
    },
    {
        file: "lib/postgres/specs.ts",
        match: "ScheduledBackup schedules have six fields",
        rules: ["a five-field ScheduledBackup schedule"],
    },
    { file: "lib/postgres/values.ts", match: "replicas must be a positive integer", rules: ["zero operator replicas"] },
    { file: "lib/pod-security.ts", match: "uid/gid 0 is never allowed", rules: ["runAsUser 0"] },
    { file: "lib/pod-security.ts", match: "volumeMounts must be a plain array", internal: "the builders pass arrays" },
    { file: "lib/cron.ts", match: "is not a number", rules: ["a CronJob schedule with an empty list item"] },
    { file: "lib/cron.ts", match: "bad step", rules: ["a CronJob schedule with a zero step"] },
    { file: "lib/cron.ts", match: "bad range", rules: ["a CronJob range with three bounds"] },
    {
        file: "lib/cron.ts",
        match: "is outside ${min}-${max}",
        rules: ["a CronJob day of week the controller refuses (7)", "a ScheduledBackup seconds field out of range"],
    },
    { file: "lib/cron.ts", match: "must have 5 fields", rules: ["a four-field CronJob schedule"] },
    {
        file: "lib/cron.ts",
        match: "runs fewer than twice in four years",
        rules: ["a schedule that never runs (30 February)"],
    },
    { file: "lib/cron.ts", match: "must have 6 fields", rules: ["a five-field ScheduledBackup schedule"] },
    {
        file: "lib/cron.ts",
        match: "no ScheduledBackup schedule",
        internal: "the monitoring plan passes postgres.objectStore.fullBackupSchedule at least",
    },
    {
        file: "lib/service/workload.ts",
        match: "no migration configured",
        internal: "the component builds the Job only when services.<name>.migration is set",
    },
    {
        file: "lib/service/network.ts",
        match: "is not a port of the service",
        rules: ["route to an unknown port", "metrics on an unknown port", "a call to a service that exposes no ports"],
    },
    { file: "lib/service/network.ts", match: "in the stack config", rules: ["unknown service reference"] },
    {
        file: "lib/quantity.ts",
        match: "is not a Kubernetes quantity",
        rules: ["bad CPU quantity", "bad memory quantity"],
    },
    {
        file: "lib/namespace-specs.ts",
        match: "needs a written reason",
        internal: "namespacePlan writes a reason for each privileged namespace",
    },
];

/**
 * Config strings that land in another language: Helm values some charts pass through `tpl` (grafana.ini, the
 * kube-prometheus-stack URLs), valkey.conf, shell (backup job env), YAML built by hand. Each is refused when it
 * carries template syntax or a line break, even where the feature that uses it is off.
 */
const HOSTILE = 'x{{ fail "boom" }}\n[section]';
const FOREIGN_STRINGS: { key: string; set: Mutation }[] = [
    {
        key: "domain",
        set: (c) => {
            c.domain = HOSTILE;
        },
    },
    {
        key: "storageClass",
        set: (c) => {
            c.storageClass = HOSTILE;
        },
    },
    {
        key: "kubernetes.clusterDomain",
        set: (c) => {
            c.kubernetes = { ...c.kubernetes, clusterDomain: HOSTILE };
        },
    },
    {
        key: "monitoring.grafanaHost",
        set: (c) => {
            c.monitoring = { ...c.monitoring, enabled: false, grafanaHost: HOSTILE };
        },
    },
    {
        key: "monitoring.retention",
        set: (c) => {
            c.monitoring = { ...c.monitoring, retention: HOSTILE };
        },
    },
    {
        key: "monitoring.slackChannel",
        set: (c) => {
            c.monitoring = { ...c.monitoring, slackChannel: HOSTILE };
        },
    },
    {
        key: "monitoring.chart.chart",
        set: (c) => {
            c.monitoring = { ...c.monitoring, chart: { chart: HOSTILE } };
        },
    },
    {
        key: "edge.extraHosts[0]",
        set: (c) => {
            c.edge = { ...c.edge, extraHosts: [HOSTILE] };
        },
    },
    {
        key: "services.frontend.routes[0].host",
        set: (c) => {
            c.services.frontend.routes[0].host = HOSTILE;
        },
    },
    {
        key: "services.backend.probes.liveness.path",
        set: (c) => {
            c.services.backend.probes.liveness.path = `/h${HOSTILE}`;
        },
    },
    {
        key: "mesh.imageHub",
        set: (c) => {
            c.mesh = { ...c.mesh, imageHub: HOSTILE };
        },
    },
    {
        key: "redis.masterName",
        set: (c) => {
            c.redis = { ...c.redis, masterName: HOSTILE };
        },
    },
    {
        key: "backups.timeZone",
        set: (c) => {
            c.backups = { ...c.backups, timeZone: HOSTILE };
        },
    },
    {
        key: "backups.objectStore.prefix",
        set: (c) => {
            c.backups = {
                ...c.backups,
                objectStore: { bucket: "b-1", accessKeyId: "a", secretAccessKey: "s", prefix: HOSTILE },
            };
        },
    },
    {
        key: "backups.objectStore.region",
        set: (c) => {
            c.backups = {
                ...c.backups,
                objectStore: { bucket: "b-1", accessKeyId: "a", secretAccessKey: "s", region: HOSTILE },
            };
        },
    },
    {
        key: "postgres.objectStore.region",
        set: (c) => {
            c.postgres = {
                ...c.postgres,
                objectStore: { destinationPath: "s3://b/p", accessKeyId: "a", secretAccessKey: "s", region: HOSTILE },
            };
        },
    },
    {
        key: "services.backend.mesh.retryOn",
        set: (c) => {
            c.mesh = { enabled: true };
            c.services.backend.mesh = { retryOn: HOSTILE };
        },
    },
];

describe("config: numbers where Kubernetes takes numbers", () => {
    it("reads cpu as cores and memory as bytes, as quantities", () => {
        const cfg = parseConfig(
            mutated("dev", (c) => {
                c.services.backend.resources = {
                    requests: { cpu: 0.25, memory: 134217728 },
                    limits: { cpu: 1, memory: 536870912 },
                };
            }),
        );
        expect(cfg.services.backend.resources).to.deep.equal({
            requests: { cpu: "0.25", memory: "134217728" },
            limits: { cpu: "1", memory: "536870912" },
        });
    });
});

/** Every resources block of the schema, in a stack where its feature is on (staging: mesh, Sentinel, monitoring). */
const RESOURCE_BLOCKS: { key: string; set: (c: any, block: object) => void }[] = [
    {
        key: "services.backend.resources",
        set: (c, b) => {
            c.services.backend.resources = b;
        },
    },
    {
        key: "edge.resources",
        set: (c, b) => {
            c.edge = { ...c.edge, resources: b };
        },
    },
    {
        key: "edge.dataPlaneResources",
        set: (c, b) => {
            c.edge = { ...c.edge, dataPlaneResources: b };
        },
    },
    {
        key: "mesh.istiodResources",
        set: (c, b) => {
            c.mesh = { ...c.mesh, istiodResources: b };
        },
    },
    {
        key: "mesh.cniResources",
        set: (c, b) => {
            c.mesh = { ...c.mesh, cniResources: b };
        },
    },
    {
        key: "monitoring.resources",
        set: (c, b) => {
            c.monitoring = { ...c.monitoring, resources: b };
        },
    },
    {
        key: "postgres.resources",
        set: (c, b) => {
            c.postgres = { ...c.postgres, resources: b };
        },
    },
    {
        key: "postgres.pooler.resources",
        set: (c, b) => {
            c.postgres = { ...c.postgres, pooler: { ...c.postgres?.pooler, enabled: true, resources: b } };
        },
    },
    {
        key: "redis.resources",
        set: (c, b) => {
            c.redis = { ...c.redis, resources: b };
        },
    },
    {
        key: "redis.sentinelResources",
        set: (c, b) => {
            c.redis = { ...c.redis, sentinelResources: b };
        },
    },
    {
        key: "backups.resources",
        set: (c, b) => {
            c.backups = { ...c.backups, resources: b };
        },
    },
    {
        key: "monitoring.adapterResources",
        set: (c, b) => {
            c.monitoring = { ...c.monitoring, adapterResources: b };
        },
    },
    {
        key: "tracing.collectorResources",
        set: (c, b) => {
            c.tracing = { ...c.tracing, enabled: true, collectorResources: b };
        },
    },
    {
        key: "tracing.tempoResources",
        set: (c, b) => {
            c.tracing = { ...c.tracing, enabled: true, tempoResources: b };
        },
    },
    {
        key: "logging.lokiResources",
        set: (c, b) => {
            c.logging = { ...c.logging, enabled: true, lokiResources: b };
        },
    },
    {
        key: "logging.collectorResources",
        set: (c, b) => {
            c.logging = { ...c.logging, enabled: true, collectorResources: b };
        },
    },
    {
        key: "metricsServer.resources",
        set: (c, b) => {
            c.metricsServer = { ...c.metricsServer, enabled: true, resources: b };
        },
    },
];

describe("config: every resources block, after defaults are merged", () => {
    const problemsOf = (mutate: Mutation): string[] => {
        try {
            parseConfig(mutated("staging", mutate));
            return [];
        } catch (err) {
            return (err as ConfigError).problems;
        }
    };
    for (const { key, set } of RESOURCE_BLOCKS) {
        it(`${key}: a request above the (default) limit, a negative quantity, memory in milli-units`, () => {
            expect(
                problemsOf((c) => set(c, { requests: { cpu: "64" } })),
                "request above the default limit",
            ).to.satisfy((p: string[]) =>
                p.some((m) => m.startsWith(`stackwright:${key}.requests.cpu: request "64" exceeds limit`)),
            );
            expect(
                problemsOf((c) => set(c, { limits: { cpu: "-1" } })),
                "negative",
            ).to.include(
                `stackwright:${key}.limits.cpu: "-1" must not be negative (Kubernetes rejects negative quantities)`,
            );
            expect(
                problemsOf((c) => set(c, { limits: { memory: "512m" } })),
                "milli-bytes",
            ).to.include(
                `stackwright:${key}.limits.memory: "512m" is in milli-units ("128m" is 0.128 bytes): use Mi or Gi, e.g. "128Mi"`,
            );
        });
    }
    it("covers every resources block of the schema", () => {
        const reference = fs.readFileSync(path.join(REPO_ROOT, "docs", "config-reference.md"), "utf8");
        const documented = [...reference.matchAll(/`([\w.<>]+?)\.requests\.cpu`/g)].map((m) =>
            m[1].replace("services.<name>", "services.backend"),
        );
        expect(documented.length, "resources blocks found in the reference").to.be.greaterThan(5);
        expect(documented.filter((k) => !RESOURCE_BLOCKS.some((b) => b.key === k))).to.deep.equal([]);
    });
});

describe("config: settings of a feature that is off are warned about", () => {
    const warningsOf = (stack: string, mutate: Mutation): string[] => {
        const warnings: string[] = [];
        parseConfig(mutated(stack, mutate), { onWarning: (m) => warnings.push(m) });
        return warnings;
    };

    it("the stack files draw no warning", () => {
        for (const stack of STACKS)
            expect(
                warningsOf(stack, () => undefined),
                stack,
            ).to.deep.equal([]);
    });

    it("a setting of a switched-off section", () => {
        expect(
            warningsOf("dev", (c) => {
                c.redis = { enabled: false, maxmemory: "100Mi" };
                for (const svc of Object.values<any>(c.services)) svc.redis = false;
            }),
        ).to.deep.equal([
            "stackwright:redis.maxmemory: has no effect: redis.enabled is false (remove it, or set redis.enabled to true)",
        ]);
    });

    it("in-mesh traffic settings without the mesh", () => {
        expect(
            warningsOf("dev", (c) => {
                c.services.backend.mesh = { retryAttempts: 1 };
            }),
        ).to.deep.equal([
            "stackwright:services.backend.mesh: has no effect: mesh.enabled is false (remove it, or set mesh.enabled to true)",
        ]);
    });

    it("a metrics endpoint without monitoring (and the section's own settings)", () => {
        expect(
            warningsOf("dev", (c) => {
                c.monitoring = { enabled: false, retention: "3d" };
            }),
        ).to.deep.equal([
            "stackwright:monitoring.retention: has no effect: monitoring.enabled is false (remove it, or set monitoring.enabled to true)",
            "stackwright:services.frontend.metrics: has no effect: monitoring.enabled is false (nothing scrapes it) (remove it, or set monitoring.enabled to true)",
            "stackwright:services.backend.metrics: has no effect: monitoring.enabled is false (nothing scrapes it) (remove it, or set monitoring.enabled to true)",
            "stackwright:services.worker.metrics: has no effect: monitoring.enabled is false (nothing scrapes it) (remove it, or set monitoring.enabled to true)",
        ]);
    });

    it("loadConfig prints them with pulumi.log.warn (shown by preview and up)", () => {
        const source = fs.readFileSync(path.join(REPO_ROOT, "config", "load.ts"), "utf8");
        expect(source).to.match(/onWarning: \(message\) => void pulumi\.log\.warn\(message\)/);
    });
});

describe("config: strings that reach templates, conf files and scripts are validated", () => {
    for (const { key, set } of FOREIGN_STRINGS) {
        it(`refuses template syntax and line breaks in ${key}`, () => {
            const raw = mutated("dev", set);
            expect(() => parseConfig(raw)).to.throw(ConfigError, `stackwright:${key}: `);
        });
    }
});

describe("config: every throw after registration is refused by config first (audit)", () => {
    const throwSites = (): { file: string; text: string }[] => {
        const files: string[] = [];
        const walk = (dir: string) => {
            for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
                if (entry.isDirectory()) walk(path.join(dir, entry.name));
                else if (entry.name.endsWith(".ts")) files.push(path.join(dir, entry.name));
            }
        };
        walk("components");
        walk("lib");
        return files.flatMap((file) => {
            const source = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
            // Each throw with the rest of its statement (the message may continue on the next lines).
            return [...source.matchAll(/throw new Error\([^;]*;\n?/g)].map((m) => ({ file, text: m[0] }));
        });
    };

    it("lists every throw in components/ and lib/, and only those", () => {
        const sites = throwSites();
        const unlisted = sites.filter((s) => !THROWS.some((t) => t.file === s.file && s.text.includes(t.match)));
        expect(
            unlisted.map((s) => `${s.file}: ${s.text.trim()}`),
            "throws without an entry in THROWS",
        ).to.deep.equal([]);
        const stale = THROWS.filter(
            (t) =>
                !sites.some((s) => s.file === t.file && s.text.includes(t.match)) &&
                !fs.readFileSync(path.join(REPO_ROOT, t.file), "utf8").includes(t.match),
        );
        expect(
            stale.map((t) => `${t.file}: ${t.match}`),
            "THROWS entries that match no throw",
        ).to.deep.equal([]);
    });

    it("maps each reachable throw to a malformed case that asserts zero registered resources", () => {
        const titles = new Set(MALFORMED.map((c) => c.title));
        const missing = THROWS.flatMap((t) =>
            (t.rules ?? []).filter((r) => !titles.has(r)).map((r) => `${t.file} (${t.match}): "${r}"`),
        );
        expect(missing, "rules without a malformed case").to.deep.equal([]);
        expect(
            THROWS.every((t) => (t.rules !== undefined) !== (t.internal !== undefined)),
            "each entry has rules or an internal reason",
        ).to.equal(true);
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
        expect(() => parseConfig(config))
            .to.throw(ConfigError)
            .that.satisfies((e: ConfigError) => {
                expect(e.problems).to.have.length(3);
                expect(e.message).to.include("3 problems");
                return true;
            });
    });

    it("reports every cross-field problem together", () => {
        const config = mutated("dev", (c) => {
            c.services.frontend.calls = ["billing"];
            c.services.backend.autoscaling = { enabled: true, minReplicas: 5, maxReplicas: 2 };
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
        expect(() => parseConfig(config))
            .to.throw(ConfigError)
            .that.satisfies((e: ConfigError) => {
                expect(e.problems).to.have.length(2);
                expect(e.message).to.equal(readmeExample());
                return true;
            });
    });

    it("a schema error in one section does not hide cross-field problems elsewhere", () => {
        const config = mutated("staging", (c) => {
            c.postgres.instances = 0;
            c.redis.mode = "cluster";
            c.services.frontend.autoscaling = { enabled: true, minReplicas: 5, maxReplicas: 2 };
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
                'stackwright:redis.mode: "cluster" is not allowed (allowed: standalone, sentinel)',
                "stackwright:services.frontend.autoscaling.minReplicas: minReplicas (5) must be <= maxReplicas (2)",
                'stackwright:services.worker.resources.requests.memory: request "4Gi" exceeds limit "1Gi" (allowed: at most the limit)',
                "stackwright:edge.extraHosts[0]: \"Bad\" is not a valid DNS-1123 host name (lower-case letters, digits, '-' and '.')",
                'stackwright:backups.redisSchedule: "every day" is not a usable schedule (cron: "every day" must have 5 fields; allowed: five-field cron such as "0 2 * * *", or @daily/@weekly)',
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
            expect(
                problems.some((p) => p.includes("calls")),
                problems.join("\n"),
            ).to.equal(false);
            // The worker's request is compared with the environment default limit, unknown while environment is invalid.
            expect(
                problems.some((p) => p.includes("services.worker.resources")),
                problems.join("\n"),
            ).to.equal(false);
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
        expect(() =>
            parseConfig(
                mutated("staging", (c) => {
                    c.services.backend.mesh.timeoutSeconds = 45;
                }),
            ),
        ).to.not.throw();
        expect(() =>
            parseConfig(
                mutated("staging", (c) => {
                    c.services.backend.mesh = { timeoutSeconds: 45, retryAttempts: 5, retryPerTryTimeoutSeconds: 10 };
                }),
            ),
        ).to.throw(
            "stackwright:services.backend.mesh.timeoutSeconds: 45 is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = 10 x (5 + 1) = 60",
        );
        expect(() =>
            parseConfig(
                mutated("staging", (c) => {
                    c.services.backend.mesh = { timeoutSeconds: 45, retryAttempts: 0 };
                }),
            ),
        ).to.not.throw();
        // The defaults fit their own timeout; a shorter timeout with default retries does not.
        expect(() =>
            parseConfig(
                mutated("staging", (c) => {
                    c.services.frontend.mesh = {};
                }),
            ),
        ).to.not.throw();
        expect(() =>
            parseConfig(
                mutated("staging", (c) => {
                    c.services.frontend.mesh = { timeoutSeconds: 10 };
                }),
            ),
        ).to.throw(
            "stackwright:services.frontend.mesh.timeoutSeconds: 10 is below mesh.retryPerTryTimeoutSeconds x (mesh.retryAttempts + 1) = 5 x (2 + 1) = 15",
        );
    });
});

describe("config: object-store credentials must be Pulumi secrets", () => {
    const withCredentials = mutated("dev", (c) => {
        c.postgres.objectStore = {
            destinationPath: "s3://backups/dev",
            accessKeyId: "AKIAEXAMPLE",
            secretAccessKey: "s3cr3t-value",
        };
    });

    it("parseConfig with a secret-ness check: plain fails (value not echoed), secret passes", () => {
        expect(() => parseConfig(withCredentials, { isSecret: (key) => key === "postgres" })).to.not.throw();
        try {
            parseConfig(withCredentials, { isSecret: () => false });
            expect.fail("should have thrown");
        } catch (e) {
            expect((e as ConfigError).problems).to.have.length(2);
            expect((e as Error).message).to.include(
                "stackwright:postgres.objectStore.secretAccessKey: is a plain config value",
            );
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
        const config = mutated("dev", (c) => {
            c.monitoring.slackWebhookUrl = "http://hooks.example.com/T0/B0/s3cr3t-token";
        });
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
