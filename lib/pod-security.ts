/**
 * The one place where Stackwright's secure workload defaults live. Every pod template the program builds
 * (services, jobs, data stores, backups) goes through these helpers, so Pod Security "restricted" and the policy
 * pack hold by construction rather than by review.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

type PodSecurityContext = k8s.types.input.core.v1.PodSecurityContext;
type SecurityContext = k8s.types.input.core.v1.SecurityContext;
type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** A non-root identity. Images built for uid 0 must be told which uid to use; 65532 is the distroless "nonroot". */
export interface RunAsIdentity {
    /** @default 65532 */
    readonly runAsUser?: number;
    /** @default same as runAsUser */
    readonly runAsGroup?: number;
    /** @default same as runAsGroup */
    readonly fsGroup?: number;
}

export const DEFAULT_UID = 65532;

/** Pod-level security context: non-root, non-zero ids, RuntimeDefault seccomp. */
export function podSecurityContext(identity: RunAsIdentity = {}): PodSecurityContext {
    const runAsUser = identity.runAsUser ?? DEFAULT_UID;
    const runAsGroup = identity.runAsGroup ?? runAsUser;
    const fsGroup = identity.fsGroup ?? runAsGroup;
    if (runAsUser === 0 || runAsGroup === 0 || fsGroup === 0) {
        throw new Error(
            "pod-security: uid/gid 0 is never allowed (runAsUser, runAsGroup and fsGroup must be non-zero)",
        );
    }
    return {
        runAsNonRoot: true,
        runAsUser,
        runAsGroup,
        fsGroup,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level security context: no escalation, every capability dropped, read-only root filesystem. */
export function containerSecurityContext(opts: { readOnlyRootFilesystem?: boolean } = {}): SecurityContext {
    return {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        readOnlyRootFilesystem: opts.readOnlyRootFilesystem ?? true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Volume name for a writable path, stable and DNS-1123 safe: "/var/cache/nginx" -> "writable-var-cache-nginx". */
export function writableVolumeName(path: string): string {
    const slug = path
        .replace(/^\/+|\/+$/g, "")
        .replace(/[^a-z0-9]+/gi, "-")
        .toLowerCase();
    return `writable-${slug || "root"}`.slice(0, 63).replace(/-+$/, "");
}

/**
 * emptyDir volumes and mounts for the paths a read-only-root container must still write to. `/tmp` is always
 * included because almost every runtime writes there.
 */
export function writablePaths(
    paths: readonly string[] = [],
    sizeLimit = "256Mi",
): { volumes: Volume[]; mounts: VolumeMount[] } {
    const unique = Array.from(new Set(["/tmp", ...paths]));
    return {
        volumes: unique.map((p) => ({ name: writableVolumeName(p), emptyDir: { sizeLimit } })),
        mounts: unique.map((p) => ({ name: writableVolumeName(p), mountPath: p })),
    };
}

/** Applies the container security context to a container, keeping anything else it sets. */
export function hardenContainer(container: Container, opts: { readOnlyRootFilesystem?: boolean } = {}): Container {
    return { ...container, securityContext: containerSecurityContext(opts) };
}

export interface HardenedPodSpecArgs {
    readonly containers: Container[];
    readonly initContainers?: Container[];
    readonly identity?: RunAsIdentity;
    /** Paths that need to be writable in every container (emptyDir). `/tmp` is always added. */
    readonly writablePaths?: readonly string[];
    /** Extra volumes (ConfigMaps, Secrets, PVCs). */
    readonly volumes?: Volume[];
    /** Mount the ServiceAccount token only for workloads that call the Kubernetes API. @default false */
    readonly automountServiceAccountToken?: boolean;
    readonly serviceAccountName?: pulumi.Input<string>;
    /** Containers whose root filesystem must stay writable (rare; each one is a documented exception). */
    readonly writableRootContainers?: readonly string[];
}

/**
 * A complete hardened pod spec: pod and container security contexts, writable emptyDirs mounted into every
 * container, token automount off. Callers add scheduling fields (affinity, topology spread) on top.
 */
export function hardenedPodSpec(args: HardenedPodSpecArgs): PodSpec {
    const writable = writablePaths(args.writablePaths ?? []);
    const harden = (c: Container): Container =>
        hardenContainer(
            { ...c, volumeMounts: [...asArray<VolumeMount>(c.volumeMounts), ...writable.mounts] },
            { readOnlyRootFilesystem: !(args.writableRootContainers ?? []).includes(c.name as string) },
        );
    return {
        automountServiceAccountToken: args.automountServiceAccountToken ?? false,
        ...(args.serviceAccountName !== undefined ? { serviceAccountName: args.serviceAccountName } : {}),
        securityContext: podSecurityContext(args.identity),
        ...(args.initContainers && args.initContainers.length > 0
            ? { initContainers: args.initContainers.map(harden) }
            : {}),
        containers: args.containers.map(harden),
        volumes: [...(args.volumes ?? []), ...writable.volumes],
    };
}

function asArray<T>(value: unknown): T[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new Error("pod-security: volumeMounts must be a plain array when hardening");
    return value as T[];
}
