/**
 * The S3-compatible object-storage target of the backup jobs, as pure functions. With `backups.objectStore` set, the
 * backup CronJob pods run the backup script as an init container and then scripts/backup/s3-sync.sh in the official
 * rclone image as the main container: it mirrors the backup volume's complete backups (data and checksums first,
 * verified, then manifests, then the deletions local retention made) to `<bucket>/<prefix>/<store>/<set>/`.
 * rclone is configured only by environment variables; the keys come from a Secret by reference.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ResourceSpec, toKubeResources } from "../defaults";
import { BACKUP_MOUNT_PATH, SCRIPTS_MOUNT_PATH } from "./defaults";
import { BACKUP_SCRIPTS } from "./scripts";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type NetworkPolicyEgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** Name of the upload container (and of its rule in the Job's podFailurePolicy). */
export const S3_SYNC_CONTAINER = "s3-sync";
/** rclone remote the environment configures (RCLONE_CONFIG_<REMOTE>_*); s3-sync.sh's RCLONE_REMOTE. */
export const RCLONE_REMOTE = "target";
/** Keys of the object-store credentials Secret. */
export const OBJECT_STORE_SECRET_KEYS = { accessKeyId: "access-key-id", secretAccessKey: "secret-access-key" } as const;
/** Sub-prefixes of the two backup volumes: a database named like the Redis set never mixes with it. */
export const OBJECT_STORE_SUBPREFIX = { postgres: "postgres", redis: "redis" } as const;

/** Where the backups go (no credentials: those stay in the Secret). */
export interface BackupObjectStore {
    /** S3-compatible endpoint; unset for AWS S3. */
    readonly endpointUrl?: string;
    readonly bucket: string;
    /** Key prefix, no leading or trailing "/". */
    readonly prefix: string;
    readonly region: string;
    readonly forcePathStyle: boolean;
    /** rclone image (Alpine: busybox sh, which is all s3-sync.sh needs). */
    readonly image: string;
}

/** The configured prefix, or `stackwright/<environment>`. */
export function objectStorePrefix(prefix: string, environment: string): string {
    return prefix !== "" ? prefix : `stackwright/${environment}`;
}

/** TCP port the endpoint listens on: explicit in the URL, else the scheme's (AWS S3: 443). */
export function endpointPort(endpointUrl?: string): number {
    if (endpointUrl === undefined) return 443;
    const url = new URL(endpointUrl);
    if (url.port !== "") return Number(url.port);
    return url.protocol === "http:" ? 80 : 443;
}

/** rclone's configuration of the remote, from the environment only (no config file on the read-only root). */
export function rcloneEnv(store: BackupObjectStore, credentialsSecretName: pulumi.Input<string>): EnvVar[] {
    const remote = `RCLONE_CONFIG_${RCLONE_REMOTE.toUpperCase()}`;
    const secret = (key: string): EnvVar["valueFrom"] => ({ secretKeyRef: { name: credentialsSecretName, key } });
    return [
        { name: `${remote}_TYPE`, value: "s3" },
        { name: `${remote}_PROVIDER`, value: store.endpointUrl === undefined ? "AWS" : "Other" },
        ...(store.endpointUrl !== undefined ? [{ name: `${remote}_ENDPOINT`, value: store.endpointUrl }] : []),
        { name: `${remote}_REGION`, value: store.region },
        { name: `${remote}_FORCE_PATH_STYLE`, value: String(store.forcePathStyle) },
        { name: `${remote}_ACCESS_KEY_ID`, valueFrom: secret(OBJECT_STORE_SECRET_KEYS.accessKeyId) },
        { name: `${remote}_SECRET_ACCESS_KEY`, valueFrom: secret(OBJECT_STORE_SECRET_KEYS.secretAccessKey) },
    ];
}

export interface S3SyncContainerArgs {
    readonly store: BackupObjectStore;
    readonly credentialsSecretName: pulumi.Input<string>;
    /** Which volume this pod mirrors: its sets go under `<prefix>/<subPrefix>/`. */
    readonly subPrefix: string;
    readonly resources: ResourceSpec;
}

/**
 * The upload container: s3-sync.sh from the scripts ConfigMap, run by the image's sh, the backup volume mounted
 * read-only. The pod's hardening (non-root uid of the backup image, read-only root, /tmp emptyDir) applies to it too;
 * HOME and rclone's cache live in /tmp.
 */
export function s3SyncContainer(a: S3SyncContainerArgs): Container {
    return {
        name: S3_SYNC_CONTAINER,
        image: a.store.image,
        command: ["sh", `${SCRIPTS_MOUNT_PATH}/${BACKUP_SCRIPTS.objectStoreSync}`],
        env: [
            { name: "BACKUP_DIR", value: BACKUP_MOUNT_PATH },
            { name: "S3_BUCKET", value: a.store.bucket },
            { name: "S3_PREFIX", value: `${a.store.prefix}/${a.subPrefix}` },
            { name: "RCLONE_REMOTE", value: RCLONE_REMOTE },
            { name: "HOME", value: "/tmp" },
            { name: "TMPDIR", value: "/tmp" },
            { name: "RCLONE_CACHE_DIR", value: "/tmp/rclone-cache" },
            ...rcloneEnv(a.store, a.credentialsSecretName),
        ],
        resources: toKubeResources(a.resources),
        volumeMounts: [
            { name: "scripts", mountPath: SCRIPTS_MOUNT_PATH, readOnly: true },
            // The upload only reads the backups; local retention already ran in the init container.
            { name: "backups", mountPath: BACKUP_MOUNT_PATH, readOnly: true },
        ],
    };
}

/** Egress the upload needs: HTTPS to anywhere (the endpoint's address is not known to the policy), and the endpoint's port. */
export function objectStoreEgressRules(endpointUrl?: string): NetworkPolicyEgressRule[] {
    const ports = [...new Set([443, endpointPort(endpointUrl)])];
    return [{ ports: ports.map((port) => ({ protocol: "TCP", port })) }];
}

/** A backup NetworkPolicy spec with the object-store egress added. */
export function withObjectStoreEgress(spec: NetworkPolicySpec, endpointUrl?: string): NetworkPolicySpec {
    return { ...spec, egress: [...(spec.egress as NetworkPolicyEgressRule[]), ...objectStoreEgressRules(endpointUrl)] };
}

/** What the Backups component takes: the target plus its keys (config secrets, kept only in a Secret). */
export interface BackupObjectStoreArgs extends BackupObjectStore {
    readonly accessKeyId: pulumi.Input<string>;
    readonly secretAccessKey: pulumi.Input<string>;
}
