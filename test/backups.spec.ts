/**
 * Backups component (components/backups.ts, lib/backups/*): rendered with the real stack files under mocks.
 * CronJobs, schedules, retention and targets; hardened pods; the scripts ConfigMap; NetworkPolicies (evaluated);
 * upstream schemas (CloudNativePG CRD for the ScheduledBackup); config overrides and cross-field rules; the
 * documented one-command restore (kubectl).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { requireTools, TOOL_TIMEOUT_MS } from "./lib/tools";
import { expect } from "chai";
import * as yaml from "js-yaml";
import { parseConfig, StackConfig } from "../config";
import { restoreCronJobName } from "../lib/backups/jobs";
import { BACKUP_SCRIPTS_DIR } from "../lib/backups/scripts";
import { backupCronJobTargets } from "../lib/monitoring/plan";
import { BACKUP_CRONJOBS, POSTGRES_PORT, REDIS_PORT } from "../lib/topology";
import {
    descendantsOf,
    kubeObjects,
    KubeManifest,
    manifestOf,
    podSpecOf,
    readStackConfig,
    RenderedStack,
    renderStack,
    STACKS,
} from "./lib/harness";
import { allowedConnections, Endpoint } from "./lib/netpol";
import { validateAgainstSchemas } from "./lib/schemas";
import { Backups } from "../components/backups";
import { Postgres } from "../components/postgres";
import { backupsPlan } from "../lib/backups/plan";
import { renderUnderMocks } from "./lib/mock-component";

const COMPONENT_TYPE = Backups.TYPE;

function stackConfig(stack: string, overrides: Record<string, unknown> = {}): StackConfig {
    return parseConfig({ ...readStackConfig(stack), ...overrides });
}

/** Every Kubernetes object the Backups component created. */
function backupObjects(rendered: RenderedStack): KubeManifest[] {
    const components = rendered.resources.filter((r) => r.type === COMPONENT_TYPE);
    if (components.length === 0) return [];
    expect(components).to.have.length(1);
    return descendantsOf(rendered.resources, components[0].urn)
        .map(manifestOf)
        .filter((m): m is KubeManifest => m !== undefined);
}

function byKind(objects: readonly KubeManifest[], kind: string): KubeManifest[] {
    return objects.filter((o) => o.kind === kind);
}

function cronJob(objects: readonly KubeManifest[], name: string): KubeManifest {
    const found = byKind(objects, "CronJob").filter((o) => o.metadata.name === name);
    expect(found, `CronJob ${name}`).to.have.length(1);
    return found[0];
}

function container(o: KubeManifest): Record<string, any> {
    const containers = podSpecOf(o)!.containers;
    expect(containers).to.have.length(1);
    return containers[0];
}

/** Plain env values by name; Secret references as "secret:<name>/<key>". */
function envOf(o: KubeManifest): Record<string, string> {
    return Object.fromEntries(
        container(o).env.map((e: any) => [
            e.name,
            e.value ?? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`,
        ]),
    );
}

function volume(o: KubeManifest, name: string): Record<string, any> {
    const found = podSpecOf(o)!.volumes.find((v: any) => v.name === name);
    expect(found, `volume ${name}`).to.not.equal(undefined);
    return found;
}

function claimOf(objects: readonly KubeManifest[], o: KubeManifest): KubeManifest {
    const claimName = volume(o, "backups").persistentVolumeClaim.claimName;
    const claims = byKind(objects, "PersistentVolumeClaim").filter((c) => c.metadata.name === claimName);
    expect(claims, `PVC ${claimName}`).to.have.length(1);
    return claims[0];
}

function expectedCronJobNames(cfg: StackConfig): string[] {
    const names: string[] = [];
    if (cfg.postgres.enabled) {
        names.push(BACKUP_CRONJOBS.postgres, BACKUP_CRONJOBS.postgresVerify);
        for (const db of [
            "app",
            ...Object.values(cfg.services)
                .map((s) => s.database)
                .filter((d): d is string => !!d),
        ])
            names.push(restoreCronJobName(db));
    }
    if (cfg.redis.enabled) names.push(BACKUP_CRONJOBS.redis);
    return [...new Set(names)].sort();
}

function storageClassOf(cfg: StackConfig): string {
    return cfg.backups.storageClass ?? cfg.storageClass ?? (cfg.environment === "prod" ? "fast-ssd" : "standard");
}

for (const stack of STACKS) {
    describe(`backups (${stack})`, () => {
        let rendered: RenderedStack;
        let objects: KubeManifest[];
        let cfg: StackConfig;
        before(async () => {
            rendered = await renderStack(stack);
            objects = backupObjects(rendered);
            cfg = stackConfig(stack);
        });

        it("renders the backup CronJobs named as lib/topology BACKUP_CRONJOBS (plus one restore template per database), in the data namespace", () => {
            const names = byKind(objects, "CronJob")
                .map((o) => o.metadata.name)
                .sort();
            expect(names).to.deep.equal(expectedCronJobNames(cfg));
            expect(names).to.include.members([
                BACKUP_CRONJOBS.postgres,
                BACKUP_CRONJOBS.postgresVerify,
                BACKUP_CRONJOBS.redis,
                "postgres-restore-app",
                "postgres-restore-jobs",
            ]);
            for (const o of objects)
                expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).to.equal(cfg.namespaces.data);
        });

        it("schedules the runs as configured (UTC), Forbid concurrency, history limits and deadlines", () => {
            const schedules = {
                [BACKUP_CRONJOBS.postgres]: cfg.backups.postgresSchedule,
                [BACKUP_CRONJOBS.postgresVerify]: cfg.backups.verifySchedule,
                [BACKUP_CRONJOBS.redis]: cfg.backups.redisSchedule,
            };
            expect(schedules).to.deep.equal({
                "postgres-backup": "0 2 * * *",
                "postgres-restore-verify": "0 4 * * 0",
                "redis-backup": "30 2 * * *",
            });
            for (const [name, schedule] of Object.entries(schedules)) {
                const spec = cronJob(objects, name).spec;
                expect(spec.schedule, name).to.equal(schedule);
                expect(spec.timeZone).to.equal("Etc/UTC");
                expect(spec.suspend).to.equal(false);
                expect(spec.jobTemplate.spec.activeDeadlineSeconds).to.equal(14400);
            }
            for (const o of byKind(objects, "CronJob")) {
                const spec = o.spec;
                expect(spec.concurrencyPolicy, o.metadata.name).to.equal("Forbid");
                expect(spec.startingDeadlineSeconds).to.be.a("number").within(60, 86400);
                expect(spec.successfulJobsHistoryLimit).to.be.within(1, 5);
                // kube_job_failed (BackupJobFailed) needs the failed Job to still exist.
                expect(spec.failedJobsHistoryLimit).to.be.within(1, 5);
                expect(spec.jobTemplate.spec.activeDeadlineSeconds).to.be.a("number").greaterThan(0);
                expect(spec.jobTemplate.spec.template.spec.restartPolicy).to.equal("Never");
                expect(o.metadata.name.length, o.metadata.name).to.be.at.most(52);
            }
        });

        it("dumps every database of the stack with the cluster's own image, retention passed to the scripts, to the PostgreSQL PVC", () => {
            const o = cronJob(objects, BACKUP_CRONJOBS.postgres);
            const c = container(o);
            expect(c.image).to.equal(cfg.postgres.imageName);
            expect(c.command).to.deep.equal(["bash", "/opt/backup/pg-backup.sh"]);
            const env = envOf(o);
            expect(env.DATABASES).to.equal("app jobs");
            expect([env.RETAIN_DAILY, env.RETAIN_WEEKLY, env.RETAIN_MONTHLY]).to.deep.equal(["7", "4", "12"]);
            expect(env.BACKUP_DIR).to.equal("/backups");
            expect(env.PGHOST).to.equal(`postgres-rw.${cfg.namespaces.data}.svc`);
            expect(env.PGPORT).to.equal(String(POSTGRES_PORT));
            expect(env.PGSSLMODE).to.equal("verify-full");
            // Credentials only by reference: the superuser Secret the Postgres component creates.
            const superuser = rendered.resources.find(
                (r) => r.type === "kubernetes:core/v1:Secret" && r.name === "postgres-superuser",
            )!;
            expect(env.PGUSER).to.equal(`secret:${superuser.state.metadata.name}/username`);
            expect(env.PGPASSWORD).to.equal(`secret:${superuser.state.metadata.name}/password`);
            expect(volume(o, "postgres-ca").secret).to.deep.equal({
                secretName: "postgres-ca",
                items: [{ key: "ca.crt", path: "ca.crt" }],
                defaultMode: 0o440,
            });
            const claim = claimOf(objects, o);
            expect(claim.spec.resources.requests.storage).to.equal(cfg.backups.storageSize);
            expect(claim.spec.storageClassName).to.equal(storageClassOf(cfg));
            expect(claim.spec.accessModes).to.deep.equal(["ReadWriteOnce"]);
            // Verification and restores read the same volume.
            expect(claimOf(objects, cronJob(objects, BACKUP_CRONJOBS.postgresVerify)).metadata.name).to.equal(
                claim.metadata.name,
            );
            expect(claimOf(objects, cronJob(objects, "postgres-restore-app")).metadata.name).to.equal(
                claim.metadata.name,
            );
        });

        it("keeps PostgreSQL dumps and Redis snapshots on separate volumes (the images run as different uids)", () => {
            const claims = byKind(objects, "PersistentVolumeClaim")
                .map((c) => c.metadata.labels["app.kubernetes.io/name"])
                .sort();
            expect(claims).to.deep.equal(["postgres-backup", "redis-backup"]);
        });

        it("verifies the newest dump of every database weekly and fails when it is older than one backup interval", () => {
            const o = cronJob(objects, BACKUP_CRONJOBS.postgresVerify);
            expect(container(o).command).to.deep.equal(["bash", "/opt/backup/pg-verify.sh"]);
            const env = envOf(o);
            expect(env.DATABASES).to.equal("app jobs");
            expect(env.MAX_BACKUP_AGE_HOURS).to.equal("25");
        });

        it("offers a suspended, never-scheduled restore template per database that restores the newest dump in place", () => {
            for (const db of ["app", "jobs"]) {
                const o = cronJob(objects, `postgres-restore-${db}`);
                expect(o.spec.suspend).to.equal(true);
                expect(o.spec.schedule).to.equal("0 0 31 2 *");
                expect(o.spec.jobTemplate.spec.backoffLimit).to.equal(0);
                expect(container(o).command).to.deep.equal(["bash", "/opt/backup/pg-restore.sh"]);
                const env = envOf(o);
                expect([env.SOURCE_DATABASE, env.TARGET_DATABASE, env.TARGET_OWNER, env.FORCE]).to.deep.equal([
                    db,
                    db,
                    db,
                    "1",
                ]);
                expect(volume(o, "backups").persistentVolumeClaim.readOnly).to.equal(true);
                expect(container(o).volumeMounts.find((m: any) => m.name === "backups").readOnly).to.equal(true);
            }
        });

        it("snapshots Redis from the replica the Sentinels name at run time (sentinel) or the one node (standalone), with the Valkey image and the Redis password by reference", () => {
            const o = cronJob(objects, BACKUP_CRONJOBS.redis);
            const c = container(o);
            expect(c.image).to.equal(cfg.redis.image);
            expect(c.command).to.deep.equal(["bash", "/opt/backup/redis-snapshot.sh"]);
            const env = envOf(o);
            expect(cfg.redis.mode).to.equal(stack === "dev" ? "standalone" : "sentinel");
            if (cfg.redis.mode === "sentinel") {
                // No pod is a replica by convention (a failover may have promoted any): the script asks the Sentinels.
                expect(env.REDIS_SENTINELS).to.equal(
                    Array.from(
                        { length: cfg.redis.sentinels },
                        (_, i) => `redis-sentinel-${i}.redis-sentinel.${cfg.namespaces.data}.svc.cluster.local:26379`,
                    ).join(" "),
                );
                expect(env.REDIS_MASTER_NAME).to.equal(cfg.redis.masterName);
                expect(env).not.to.have.any.keys("REDIS_HOST", "REDIS_PORT");
            } else {
                expect(env.REDIS_HOST).to.equal(`redis-0.redis.${cfg.namespaces.data}.svc.cluster.local`);
                expect(env.REDIS_PORT).to.equal(String(REDIS_PORT));
                expect(env).not.to.have.any.keys("REDIS_SENTINELS", "REDIS_MASTER_NAME");
            }
            expect(env.REDIS_SNAPSHOT_MODE).to.equal("rdb");
            expect(env.REDIS_CLI).to.equal("valkey-cli");
            const passwordSecret = rendered.resources.find(
                (r) => r.type === "kubernetes:core/v1:Secret" && r.name === "redis-password",
            )!;
            expect(env.REDIS_PASSWORD).to.equal(`secret:${passwordSecret.state.metadata.name}/password`);
            expect([env.RETAIN_DAILY, env.RETAIN_WEEKLY, env.RETAIN_MONTHLY]).to.deep.equal(["7", "4", "12"]);
            const claim = claimOf(objects, o);
            expect(claim.spec.resources.requests.storage).to.equal(cfg.backups.redisStorageSize);
            expect(claim.metadata.name).to.not.equal(
                claimOf(objects, cronJob(objects, BACKUP_CRONJOBS.postgres)).metadata.name,
            );
        });

        it("hardens every job pod: non-root image uid (26 / 999) and fsGroup, seccomp, drop ALL, no escalation, read-only root, requests and limits, no token", () => {
            const cronJobs = byKind(objects, "CronJob");
            expect(cronJobs.length).to.be.greaterThan(3);
            for (const o of cronJobs) {
                const pod = podSpecOf(o)!;
                const uid = o.metadata.name === BACKUP_CRONJOBS.redis ? 999 : 26;
                expect(pod.automountServiceAccountToken, o.metadata.name).to.equal(false);
                expect(pod.securityContext).to.include({
                    runAsNonRoot: true,
                    runAsUser: uid,
                    runAsGroup: uid,
                    fsGroup: uid,
                });
                expect(pod.securityContext.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
                expect(pod.hostNetwork ?? false).to.equal(false);
                for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
                    const sc = c.securityContext;
                    expect(sc.allowPrivilegeEscalation, c.name).to.equal(false);
                    expect(sc.privileged).to.equal(false);
                    expect(sc.readOnlyRootFilesystem).to.equal(true);
                    expect(sc.capabilities).to.deep.equal({ drop: ["ALL"] });
                    expect(sc.runAsUser ?? pod.securityContext.runAsUser).to.not.equal(0);
                    for (const kind of ["requests", "limits"])
                        for (const r of ["cpu", "memory"])
                            expect(c.resources[kind][r], `${c.name} ${kind}.${r}`).to.be.a("string");
                }
                const volumeTypes = pod.volumes.map((v: any) => Object.keys(v).filter((k) => k !== "name")[0]);
                for (const t of volumeTypes)
                    expect(["configMap", "secret", "persistentVolumeClaim", "emptyDir"]).to.include(t);
                // The pod's labels are what the data stores' NetworkPolicies admit.
                expect(o.spec.jobTemplate.spec.template.metadata.labels["app.kubernetes.io/component"]).to.equal(
                    "backup",
                );
            }
        });

        it("job pods opt out of Istio injection only when the mesh is on; mesh off renders no Istio label", () => {
            expect(cfg.mesh.enabled).to.equal(stack !== "dev");
            for (const o of byKind(objects, "CronJob")) {
                const labels = o.spec.jobTemplate.spec.template.metadata.labels;
                if (cfg.mesh.enabled) expect(labels["sidecar.istio.io/inject"], o.metadata.name).to.equal("false");
                else
                    expect(
                        Object.keys(labels).filter((k) => k.includes("istio")),
                        o.metadata.name,
                    ).to.deep.equal([]);
            }
            if (!cfg.mesh.enabled) expect(JSON.stringify(objects)).not.to.include("istio");
        });

        it("mounts one immutable ConfigMap whose content is exactly scripts/backup/*.sh", () => {
            const maps = byKind(objects, "ConfigMap");
            expect(maps).to.have.length(1);
            const files = fs
                .readdirSync(BACKUP_SCRIPTS_DIR)
                .filter((f) => f.endsWith(".sh"))
                .sort();
            expect(files).to.include.members([
                "lib.sh",
                "retention.sh",
                "pg-backup.sh",
                "pg-verify.sh",
                "pg-restore.sh",
                "redis-snapshot.sh",
            ]);
            expect(Object.keys(maps[0].data).sort()).to.deep.equal(files);
            for (const f of files)
                expect(maps[0].data[f], f).to.equal(fs.readFileSync(path.join(BACKUP_SCRIPTS_DIR, f), "utf8"));
            expect(maps[0].immutable).to.equal(true);
            for (const o of byKind(objects, "CronJob")) {
                expect(volume(o, "scripts").configMap.name).to.equal(maps[0].metadata.name);
                const mount = container(o).volumeMounts.find((m: any) => m.name === "scripts");
                expect(mount).to.deep.equal({ name: "scripts", mountPath: "/opt/backup", readOnly: true });
                expect(maps[0].data[path.basename(container(o).command[1])]).to.be.a("string");
            }
        });

        it("NetworkPolicies: backup pods reach only PostgreSQL 5432 / Valkey 6379 (+ Sentinel 26379) and DNS, nothing reaches them; the data stores let them in", () => {
            const policies = kubeObjects(rendered.resources).filter((o) => o.kind === "NetworkPolicy");
            const podOf = (name: string, id: string): Endpoint => ({
                id,
                namespace: cfg.namespaces.data,
                podLabels: cronJob(objects, name).spec.jobTemplate.spec.template.metadata.labels,
                ports: [{ port: 8080 }],
            });
            const endpoints: Endpoint[] = [
                podOf(BACKUP_CRONJOBS.postgres, "pg-backup"),
                podOf(BACKUP_CRONJOBS.postgresVerify, "pg-verify"),
                podOf("postgres-restore-app", "pg-restore"),
                podOf(BACKUP_CRONJOBS.redis, "redis-backup"),
                {
                    id: "postgres",
                    namespace: cfg.namespaces.data,
                    podLabels: { "cnpg.io/cluster": "postgres", "cnpg.io/podRole": "instance" },
                    ports: [{ port: 5432 }, { port: 8000 }, { port: 9187 }],
                },
                {
                    id: "valkey",
                    namespace: cfg.namespaces.data,
                    podLabels: { "app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": "redis" },
                    ports: [{ port: 6379 }, { port: 9121 }],
                },
                {
                    id: "sentinel",
                    namespace: cfg.namespaces.data,
                    podLabels: {
                        "app.kubernetes.io/name": "valkey-sentinel",
                        "app.kubernetes.io/instance": "redis-sentinel",
                    },
                    ports: [{ port: 26379 }],
                },
                {
                    id: "dns",
                    namespace: "kube-system",
                    podLabels: { "k8s-app": "kube-dns" },
                    ports: [
                        { port: 53, protocol: "UDP" },
                        { port: 53, protocol: "TCP" },
                    ],
                },
                {
                    id: "backend",
                    namespace: cfg.namespaces.apps,
                    podLabels: { "app.kubernetes.io/name": "backend", "app.kubernetes.io/instance": "backend" },
                    ports: [{ port: 9898 }],
                },
                { id: "s3", ip: "52.95.0.1", ports: [{ port: 443 }] },
            ];
            const backupIds = new Set(["pg-backup", "pg-verify", "pg-restore", "redis-backup"]);
            const fromBackups = allowedConnections(policies, endpoints, "egress").filter((c) =>
                backupIds.has(c.split(" ")[0]),
            );
            const dns = (id: string) => [`${id} -> dns:53/TCP`, `${id} -> dns:53/UDP`];
            // Sentinel mode: the snapshot job asks the Sentinels which node to snapshot.
            const sentinel = cfg.redis.mode === "sentinel" ? ["redis-backup -> sentinel:26379/TCP"] : [];
            expect(fromBackups).to.deep.equal(
                [
                    ...dns("pg-backup"),
                    "pg-backup -> postgres:5432/TCP",
                    ...dns("pg-restore"),
                    "pg-restore -> postgres:5432/TCP",
                    ...dns("pg-verify"),
                    "pg-verify -> postgres:5432/TCP",
                    ...dns("redis-backup"),
                    "redis-backup -> valkey:6379/TCP",
                    ...sentinel,
                ].sort(),
            );
            const intoBackups = allowedConnections(policies, endpoints, "ingress").filter((c) =>
                backupIds.has(c.split(" -> ")[1].split(":")[0]),
            );
            expect(intoBackups).to.deep.equal([]);
            // Both sides together (the Postgres and Redis policies admit `app.kubernetes.io/component: backup`).
            const enforced = allowedConnections(policies, endpoints, "both").filter(
                (c) => backupIds.has(c.split(" ")[0]) && !c.includes("dns"),
            );
            expect(enforced).to.deep.equal(
                [
                    "pg-backup -> postgres:5432/TCP",
                    "pg-restore -> postgres:5432/TCP",
                    "pg-verify -> postgres:5432/TCP",
                    "redis-backup -> valkey:6379/TCP",
                    ...sentinel,
                ].sort(),
            );
        });

        it("every object passes strict upstream schema validation", async () => {
            expect(objects.length).to.be.greaterThan(8);
            const violations = await validateAgainstSchemas(objects);
            expect(violations.map((v) => `${v.object}: ${v.message}`)).to.deep.equal([]);
        });

        it("the backup alerts watch exactly the scheduled CronJobs (kube-state-metrics cronjob label = metadata.name)", () => {
            const targets = backupCronJobTargets(cfg)
                .map((t) => `${t.namespace}/${t.name}`)
                .sort();
            const scheduled = byKind(objects, "CronJob")
                .filter((o) => !o.spec.suspend)
                .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
                .sort();
            expect(targets).to.deep.equal(scheduled);
            const rules = rendered.resources.filter(
                (r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
            );
            const text = JSON.stringify(rules.map((r) => r.inputs));
            if (rules.length > 0)
                for (const name of Object.values(BACKUP_CRONJOBS)) expect(text, name).to.include(name);
        });

        it("creates no ScheduledBackup without object storage (the stack files configure none)", () => {
            expect(cfg.postgres.objectStore).to.equal(undefined);
            expect(objects.filter((o) => o.kind === "ScheduledBackup")).to.deep.equal([]);
        });
    });
}

describe("backups: config overrides", () => {
    const dev = readStackConfig("dev") as Record<string, any>;

    it("schedules, time zone, retention, deadlines and storage from stackwright:backups show up in the render", async () => {
        const rendered = await renderStack("dev", {
            overrides: {
                backups: {
                    postgresSchedule: "15 1 * * *",
                    redisSchedule: "45 */6 * * *",
                    verifySchedule: "30 5 * * 6",
                    timeZone: "Europe/Berlin",
                    retentionDaily: 14,
                    retentionWeekly: 8,
                    retentionMonthly: 24,
                    storageSize: "50Gi",
                    redisStorageSize: "3Gi",
                    storageClass: "backup-hdd",
                    backupDeadlineSeconds: 7200,
                    restoreDeadlineSeconds: 10800,
                    resources: { limits: { memory: "2Gi" } },
                },
            },
        });
        const objects = backupObjects(rendered);
        const pg = cronJob(objects, BACKUP_CRONJOBS.postgres);
        expect(pg.spec.schedule).to.equal("15 1 * * *");
        expect(pg.spec.timeZone).to.equal("Europe/Berlin");
        expect(pg.spec.jobTemplate.spec.activeDeadlineSeconds).to.equal(7200);
        expect(container(pg).resources.limits.memory).to.equal("2Gi");
        expect(container(pg).resources.requests.memory).to.equal("256Mi");
        const env = envOf(pg);
        expect([env.RETAIN_DAILY, env.RETAIN_WEEKLY, env.RETAIN_MONTHLY]).to.deep.equal(["14", "8", "24"]);
        const claim = claimOf(objects, pg);
        expect(claim.spec.resources.requests.storage).to.equal("50Gi");
        expect(claim.spec.storageClassName).to.equal("backup-hdd");
        const verify = cronJob(objects, BACKUP_CRONJOBS.postgresVerify);
        expect(verify.spec.schedule).to.equal("30 5 * * 6");
        expect(verify.spec.jobTemplate.spec.activeDeadlineSeconds).to.equal(10800);
        // 1:15 daily: one day between runs + 1 h grace.
        expect(envOf(verify).MAX_BACKUP_AGE_HOURS).to.equal("25");
        const redis = cronJob(objects, BACKUP_CRONJOBS.redis);
        expect(redis.spec.schedule).to.equal("45 */6 * * *");
        expect(envOf(redis).RETAIN_DAILY).to.equal("14");
        expect(envOf(redis).REDIS_SNAPSHOT_TIMEOUT_SECONDS).to.equal("3600");
        expect(claimOf(objects, redis).spec.resources.requests.storage).to.equal("3Gi");
        expect(cronJob(objects, "postgres-restore-app").spec.jobTemplate.spec.activeDeadlineSeconds).to.equal(10800);
    });

    it("with object storage: a CloudNativePG ScheduledBackup at backups.incrementalSchedule next to the Postgres component's daily full one, valid against the CRD", async () => {
        const rendered = await renderStack("dev", {
            overrides: {
                postgres: {
                    ...dev.postgres,
                    objectStore: {
                        destinationPath: "s3://backups/stackwright-dev",
                        accessKeyId: "AKIAEXAMPLE",
                        secretAccessKey: "secret-example",
                    },
                },
                backups: { incrementalSchedule: "0 30 */4 * * *" },
            },
        });
        const objects = backupObjects(rendered);
        const mine = objects.filter((o) => o.kind === "ScheduledBackup");
        expect(mine).to.have.length(1);
        expect(mine[0].apiVersion).to.equal("postgresql.cnpg.io/v1");
        expect(mine[0].spec).to.include({ schedule: "0 30 */4 * * *", method: "plugin", target: "prefer-standby" });
        expect(mine[0].spec.cluster).to.deep.equal({ name: "postgres" });
        expect(mine[0].spec.pluginConfiguration).to.deep.equal({ name: "barman-cloud.cloudnative-pg.io" });
        const all = kubeObjects(rendered.resources).filter((o) => o.kind === "ScheduledBackup");
        expect(all.map((o) => o.spec.schedule).sort()).to.deep.equal(["0 0 2 * * *", "0 30 */4 * * *"]);
        expect(await validateAgainstSchemas(mine)).to.deep.equal([]);
        // Created after the Cluster (and the operator that installs the CRD).
        const record = rendered.resources.find(
            (r) => r.type === "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup" && r.name === "backups-incremental",
        )!;
        const cluster = rendered.resources.find((r) => r.type === "kubernetes:postgresql.cnpg.io/v1:Cluster")!;
        const postgresComponent = rendered.resources.find((r) => r.type === Postgres.TYPE)!;
        expect(record.dependencies.some((d) => d === cluster.urn || d === postgresComponent.urn)).to.equal(true);
    });

    it("without Redis: no Redis job or volume; without PostgreSQL: no PostgreSQL jobs or volume; backups off: nothing", async () => {
        const noRedis = backupObjects(
            await renderStack("dev", {
                overrides: { redis: { enabled: false }, services: withoutRedis(dev.services) },
            }),
        );
        expect(byKind(noRedis, "CronJob").map((o) => o.metadata.name)).to.not.include(BACKUP_CRONJOBS.redis);
        expect(byKind(noRedis, "PersistentVolumeClaim")).to.have.length(1);
        expect(
            byKind(noRedis, "NetworkPolicy").map((o) => o.spec.podSelector.matchLabels["app.kubernetes.io/name"]),
        ).to.deep.equal(["postgres-backup"]);

        const noPostgres = backupObjects(
            await renderStack("dev", {
                overrides: { postgres: { enabled: false }, services: withoutDatabases(dev.services) },
            }),
        );
        expect(byKind(noPostgres, "CronJob").map((o) => o.metadata.name)).to.deep.equal([BACKUP_CRONJOBS.redis]);

        const off = await renderStack("dev", { overrides: { backups: { enabled: false } } });
        expect(off.resources.filter((r) => r.type === COMPONENT_TYPE)).to.deep.equal([]);
        expect(kubeObjects(off.resources).filter((o) => o.kind === "CronJob")).to.deep.equal([]);
    });
});

function withoutRedis(services: Record<string, any>): Record<string, any> {
    return Object.fromEntries(Object.entries(services).map(([k, v]) => [k, { ...v, redis: false }]));
}

function withoutDatabases(services: Record<string, any>): Record<string, any> {
    return Object.fromEntries(
        Object.entries(services).map(([k, v]) => {
            const rest = { ...v };
            delete rest.database;
            delete rest.migration;
            return [k, rest];
        }),
    );
}

describe("backups: config rules", () => {
    const base = { environment: "dev", domain: "example.com" };
    const problems = (extra: Record<string, unknown>): string => {
        try {
            parseConfig({ ...base, ...extra });
            return "";
        } catch (err) {
            return (err as Error).message;
        }
    };

    it("accepts the defaults", () => {
        expect(problems({})).to.equal("");
    });

    it("rejects schedules the CronJob controller or CloudNativePG would not run, naming the key", () => {
        expect(problems({ backups: { postgresSchedule: "every day" } })).to.match(
            /stackwright:backups\.postgresSchedule: "every day" is not a usable schedule/,
        );
        expect(problems({ backups: { verifySchedule: "0 4 * * 8" } })).to.match(/stackwright:backups\.verifySchedule/);
        expect(problems({ backups: { redisSchedule: "CRON_TZ=UTC 0 2 * * *" } })).to.match(
            /stackwright:backups\.redisSchedule/,
        );
        expect(problems({ backups: { incrementalSchedule: "0 */6 * * *" } })).to.match(
            /stackwright:backups\.incrementalSchedule: .* six-field/,
        );
        expect(problems({ backups: { postgresSchedule: "@daily" } })).to.equal("");
        expect(problems({ backups: { incrementalSchedule: "0 0 */6 * * *" } })).to.match(
            /stackwright:backups\.incrementalSchedule: has no effect: postgres\.objectStore is not set/,
        );
    });

    it("rejects an Alpine Valkey image while Redis is backed up (the snapshot script needs GNU coreutils)", () => {
        expect(problems({ redis: { image: "valkey/valkey:8.1.11-alpine3.22" } })).to.match(
            /stackwright:redis\.image: .*Alpine/,
        );
        expect(problems({ redis: { image: "valkey/valkey:8.1.11-alpine3.22" }, backups: { enabled: false } })).to.equal(
            "",
        );
    });

    it("rejects backup resources whose request exceeds the limit, and a malformed time zone", () => {
        expect(problems({ backups: { resources: { requests: { memory: "2Gi" } } } })).to.match(
            /stackwright:backups\.resources\.requests\.memory: request "2Gi" exceeds limit "1Gi"/,
        );
        expect(problems({ backups: { timeZone: "UTC+2 hours" } })).to.match(/stackwright:backups\.timeZone/);
    });
});

describe("backups: restore template names", () => {
    it("are postgres-restore-<db>, shortened with a stable hash to the 52 characters a CronJob name may have", () => {
        expect(restoreCronJobName("app")).to.equal("postgres-restore-app");
        const long = "a".repeat(63);
        const name = restoreCronJobName(long);
        expect(name.length).to.be.at.most(52);
        expect(name).to.match(/^postgres-restore-a+-[0-9a-f]{6}$/);
        expect(restoreCronJobName(long)).to.equal(name);
        expect(restoreCronJobName(`${"a".repeat(62)}b`)).to.not.equal(name);
    });
});

describe("backups: the documented one-command restore (kubectl)", () => {
    let template: KubeManifest;
    before(async () => {
        const objects = backupObjects(await renderStack("dev"));
        template = cronJob(objects, "postgres-restore-app");
    });

    it("kubectl set env --local overrides the template's target and FORCE and keeps the Secret references (README restore variant)", function () {
        const probe = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" });
        if (probe.error) requireTools(this, ["kubectl"], "apt-get install kubectl");
        // What `kubectl create job --from=cronjob/postgres-restore-app` produces: a Job with the CronJob's job template.
        const job = {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name: "restore-app-1", namespace: "data" },
            spec: template.spec.jobTemplate.spec,
        };
        const out = spawnSync(
            "kubectl",
            ["set", "env", "--local", "-f", "-", "-o", "yaml", "TARGET_DATABASE=app_restored", "FORCE=0"],
            {
                input: yaml.dump(job),
                encoding: "utf8",
                env: { ...process.env, KUBECONFIG: "/nonexistent" },
                timeout: TOOL_TIMEOUT_MS,
            },
        );
        expect(out.status, out.stderr).to.equal(0);
        const result = yaml.load(out.stdout) as any;
        const env = result.spec.template.spec.containers[0].env as any[];
        const value = (n: string) => env.find((e) => e.name === n);
        expect(value("TARGET_DATABASE").value).to.equal("app_restored");
        expect(value("FORCE").value).to.equal("0");
        expect(value("SOURCE_DATABASE").value).to.equal("app");
        expect(value("PGPASSWORD").valueFrom.secretKeyRef.key).to.equal("password");
        expect(result.spec.template.spec.securityContext.runAsUser).to.equal(26);
    });
});

// ---- Tier 1: the component alone, constructed from hand-written args under the mocks (fast, focused) ---------

describe("Backups from hand-written args (component under mocks)", () => {
    it("the jobs read the Secrets they are handed; without Redis, no snapshot job; schedules as given", async () => {
        const plan = backupsPlan(parseConfig(readStackConfig("dev")));
        const resources = await renderUnderMocks(() => {
            new Backups("b", {
                ...plan,
                redisImage: undefined,
                postgresSchedule: "15 3 * * *",
                postgresSuperuserSecretName: "pg-superuser",
            });
        });
        const cronJobs = resources.filter((r) => r.type === "kubernetes:batch/v1:CronJob");
        const names = cronJobs.map((r) => r.inputs.metadata.name);
        expect(names).to.include.members(["postgres-backup", "postgres-restore-verify"]);
        expect(names).to.not.include("redis-backup");
        expect(cronJobs.find((r) => r.inputs.metadata.name === "postgres-backup")!.inputs.spec.schedule).to.equal(
            "15 3 * * *",
        );
        expect(JSON.stringify(cronJobs.map((r) => r.inputs.spec))).to.include('"name":"pg-superuser"');
    });
});
