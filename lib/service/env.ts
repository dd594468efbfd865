/**
 * What a service's containers receive: plain settings from its ConfigMap, generated credentials and data-store
 * connection details from Secrets, always by reference (no secret value is ever written into a pod spec or a
 * ConfigMap). Plus the pod-template annotations that make a change of either roll exactly the pods that use it.
 */
import * as crypto from "crypto";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import { APP_CREDENTIAL_KEYS } from "../../config/credentials";
import { DATABASE_READ_ONLY_ENV, DATABASE_SECRET_ENV, REDIS_SECRET_ENV } from "../topology";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Pod-template annotation: checksum of the service's ConfigMap data (a settings change rolls the pods). */
export const CONFIG_CHECKSUM_ANNOTATION = "stackwright.io/config-checksum";
/** Pod-template annotation: rotation counters of the credentials the service uses (never their values). */
export const CREDENTIAL_ROTATION_ANNOTATION = "stackwright.io/credential-rotation";
/**
 * Pod-template annotation: a keyed digest (HMAC-SHA256) of the service's supplied secret values, so a changed value
 * rolls the pods. Keyed with a generated secret: a plain hash of a short token could be reversed by guessing.
 */
export const SECRET_VALUES_ANNOTATION = "stackwright.io/secret-values-digest";

export interface EnvSources {
    /** The service's settings ConfigMap. */
    readonly configMapName: pulumi.Input<string>;
    /** GeneratedSecrets.appCredentialsSecretName (keys APP_CREDENTIAL_KEYS). */
    readonly appCredentialsSecretName: pulumi.Input<string>;
    /** Connection Secret of the service's database (keys per DATABASE_SECRET_ENV); no database env when unset. */
    readonly databaseSecretName?: pulumi.Input<string>;
    /** Redis client Secret (keys per REDIS_SECRET_ENV); no Redis env when unset. */
    readonly redisSecretName?: pulumi.Input<string>;
    /** The service's Secret of supplied values (`secretValues`, one key per env var); none when unset. */
    readonly secretValuesSecretName?: pulumi.Input<string>;
    /** Tracing on: the OTLP endpoint, service name and sampling (lib/tracing/plan.ts tracingEnv), in the ConfigMap. */
    readonly tracingEnv?: Readonly<Record<string, string>>;
}

/**
 * The ConfigMap data: the service's plain settings, and with tracing on the OpenTelemetry SDK's (the config rules
 * keep the names apart).
 */
export function configMapData(
    svc: ServiceConfig,
    tracingEnv: Readonly<Record<string, string>> = {},
): Record<string, string> {
    const all: Record<string, string> = { ...tracingEnv, ...svc.env };
    return Object.fromEntries(
        Object.keys(all)
            .sort()
            .map((k) => [k, all[k]]),
    );
}

const secretRef = (name: pulumi.Input<string>, key: string) => ({ secretKeyRef: { name, key } });

/** The container env: ConfigMap keys, then app credentials, then database and Redis connection details. */
export function containerEnv(svc: ServiceConfig, sources: EnvSources): EnvVar[] {
    const env: EnvVar[] = Object.keys(configMapData(svc, sources.tracingEnv)).map((key) => ({
        name: key,
        valueFrom: { configMapKeyRef: { name: sources.configMapName, key } },
    }));
    for (const name of Object.keys(svc.secretEnv).sort()) {
        env.push({
            name,
            valueFrom: secretRef(sources.appCredentialsSecretName, APP_CREDENTIAL_KEYS[svc.secretEnv[name]]),
        });
    }
    if (sources.secretValuesSecretName !== undefined) {
        for (const name of Object.keys(svc.secretValues).sort())
            env.push({ name, valueFrom: secretRef(sources.secretValuesSecretName, name) });
    }
    if (svc.database !== undefined && sources.databaseSecretName !== undefined) {
        for (const [name, key] of Object.entries(databaseEnv(svc)))
            env.push({ name, valueFrom: secretRef(sources.databaseSecretName, key) });
    }
    if (svc.redis && sources.redisSecretName !== undefined) {
        for (const [name, key] of Object.entries(REDIS_SECRET_ENV))
            env.push({ name, valueFrom: secretRef(sources.redisSecretName, key) });
    }
    return env;
}

/** Env var -> key of the database connection Secret, for a service that declares a database. */
export function databaseEnv(svc: ServiceConfig): Record<string, string> {
    return { ...DATABASE_SECRET_ENV, ...(svc.databaseReadReplicas ? DATABASE_READ_ONLY_ENV : {}) };
}

/** Credential ids (GeneratedSecrets) the service consumes, sorted: app credentials, its database role, Redis. */
export function credentialsUsed(svc: ServiceConfig): string[] {
    const ids = new Set<string>(Object.values(svc.secretEnv));
    // The data-stores component creates one owner role per database, named after it (lib/postgres/roles.ts databaseRoles).
    if (svc.database !== undefined) ids.add(`db-${svc.database}`);
    if (svc.redis) ids.add("redisPassword");
    return [...ids].sort();
}

/** Stable sha256 of a string map (sorted keys), hex. */
export function checksum(data: Readonly<Record<string, string>>): string {
    const canonical = JSON.stringify(
        Object.keys(data)
            .sort()
            .map((k) => [k, data[k]]),
    );
    return crypto.createHash("sha256").update(canonical).digest("hex");
}

/**
 * Annotations on the pod template: a settings change or the rotation of a credential the service uses changes
 * the template and so rolls the pods (the Secret names stay the same on rotation, so nothing else would).
 */
export function rolloutAnnotations(
    svc: ServiceConfig,
    rotation: Readonly<Record<string, number>>,
    tracingEnv: Readonly<Record<string, string>> = {},
): Record<string, string> {
    const used = credentialsUsed(svc);
    return {
        [CONFIG_CHECKSUM_ANNOTATION]: checksum(configMapData(svc, tracingEnv)),
        ...(used.length > 0
            ? { [CREDENTIAL_ROTATION_ANNOTATION]: used.map((id) => `${id}=${rotation[id] ?? 0}`).join(",") }
            : {}),
    };
}

/** HMAC-SHA256 of a string map (sorted keys) under `key`, hex: changes when any value changes, reveals none. */
export function keyedDigest(key: string, data: Readonly<Record<string, string>>): string {
    const canonical = JSON.stringify(
        Object.keys(data)
            .sort()
            .map((k) => [k, data[k]]),
    );
    return crypto.createHmac("sha256", key).update(canonical).digest("hex");
}
