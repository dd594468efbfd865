/**
 * Pod templates of a service: the Deployment, its optional migration Job and the ClusterIP Service in front.
 * Every pod spec goes through lib/pod-security.ts hardenedPodSpec.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import { toKubeResources, ResourceSpec } from "../defaults";
import { imageVersion, recommendedLabels, selectorLabels } from "../labels";
import { hardenedPodSpec } from "../pod-security";
import { fileMounts, filesVolume } from "./files";
import { resolveProbes } from "./settings";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type TopologySpreadConstraint = k8s.types.input.core.v1.TopologySpreadConstraint;

/** Revisions kept for `kubectl rollout undo` (Pulumi itself rolls back by re-deploying the previous state). */
export const REVISION_HISTORY_LIMIT = 5;
export const MIGRATION_COMPONENT = "migration";

/** Recommended labels of every object of the service. */
export function serviceLabels(name: string, svc: ServiceConfig): Record<string, string> {
    return recommendedLabels({ name, component: svc.component, version: imageVersion(svc.image) });
}

/** The stable selector of the service's pods (name + instance: a version bump never orphans pods). */
export function serviceSelector(name: string): Record<string, string> {
    return selectorLabels({ name });
}

/**
 * Migration pods get their own app.kubernetes.io/name, so the service's selector (Service endpoints, PDB,
 * NetworkPolicy) never matches them: a running migration must not receive traffic.
 */
export function migrationName(name: string): string {
    return `${name}-${MIGRATION_COMPONENT}`;
}

export function migrationLabels(name: string, svc: ServiceConfig): Record<string, string> {
    return recommendedLabels({
        name: migrationName(name),
        component: MIGRATION_COMPONENT,
        version: imageVersion(svc.image),
    });
}

export function migrationSelector(name: string): Record<string, string> {
    return selectorLabels({ name: migrationName(name) });
}

/**
 * Spread replicas across zones and nodes. Zones are a hard rule where lib/defaults says so (prod): losing a zone
 * must leave replicas elsewhere. Nodes are best effort so a small cluster can still schedule. `matchLabelKeys`
 * counts only pods of the same ReplicaSet, so a rollout is spread on its own.
 */
export function topologySpread(
    selector: Record<string, string>,
    zoneSpreadRequired: boolean,
): TopologySpreadConstraint[] {
    const common = { maxSkew: 1, labelSelector: { matchLabels: selector }, matchLabelKeys: ["pod-template-hash"] };
    return [
        {
            ...common,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: zoneSpreadRequired ? "DoNotSchedule" : "ScheduleAnyway",
        },
        { ...common, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" },
    ];
}

export interface ServicePodArgs {
    readonly name: string;
    readonly svc: ServiceConfig;
    readonly resources: ResourceSpec;
    readonly env: EnvVar[];
    readonly serviceAccountName: pulumi.Input<string>;
    /** The ConfigMap holding the service's `files` (lib/service/files.ts); no files are mounted when unset. */
    readonly filesConfigMapName?: pulumi.Input<string>;
}

function identityOf(svc: ServiceConfig) {
    return { runAsUser: svc.runAsUser, runAsGroup: svc.runAsGroup, fsGroup: svc.fsGroup };
}

/** The files volume and each container's file mounts, when the service has files and their ConfigMap is known. */
function filesOf(args: ServicePodArgs): { volumes: Volume[]; mounts: { volumeMounts?: VolumeMount[] } } {
    if (args.filesConfigMapName === undefined || args.svc.files.length === 0) return { volumes: [], mounts: {} };
    return {
        volumes: [filesVolume(args.filesConfigMapName)],
        mounts: { volumeMounts: fileMounts(args.svc.files) },
    };
}

/** The service's application container (security context and writable mounts are added by hardenedPodSpec). */
export function appContainer(args: ServicePodArgs): Container {
    const { svc } = args;
    return {
        name: args.name,
        image: svc.image,
        imagePullPolicy: "IfNotPresent",
        ...(svc.command ? { command: [...svc.command] } : {}),
        ...(svc.args ? { args: [...svc.args] } : {}),
        ...(svc.ports.length > 0
            ? { ports: svc.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })) }
            : {}),
        ...(args.env.length > 0 ? { env: args.env } : {}),
        resources: toKubeResources(args.resources),
        ...filesOf(args).mounts,
        ...resolveProbes(svc),
    };
}

/** The Deployment's pod spec: hardened, spread, optional priority class. */
export function servicePodSpec(args: ServicePodArgs & { readonly zoneSpreadRequired: boolean }): PodSpec {
    const { svc } = args;
    return {
        ...hardenedPodSpec({
            containers: [appContainer(args)],
            volumes: filesOf(args).volumes,
            identity: identityOf(svc),
            writablePaths: svc.writablePaths,
            automountServiceAccountToken: svc.kubernetesApiAccess,
            serviceAccountName: args.serviceAccountName,
        }),
        topologySpreadConstraints: topologySpread(serviceSelector(args.name), args.zoneSpreadRequired),
        ...(svc.priorityClassName ? { priorityClassName: svc.priorityClassName } : {}),
    };
}

export interface DeploymentSpecArgs extends ServicePodArgs {
    readonly zoneSpreadRequired: boolean;
    /** Fixed replica count; omit when an HPA owns the Deployment. */
    readonly replicas?: number;
    readonly podAnnotations: Record<string, pulumi.Input<string>>;
}

/** Zero-downtime rolling updates: one extra pod at a time, never one fewer than desired. */
export function deploymentSpec(args: DeploymentSpecArgs) {
    return {
        ...(args.replicas !== undefined ? { replicas: args.replicas } : {}),
        revisionHistoryLimit: REVISION_HISTORY_LIMIT,
        selector: { matchLabels: serviceSelector(args.name) },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
            metadata: { labels: serviceLabels(args.name, args.svc), annotations: args.podAnnotations },
            spec: servicePodSpec(args),
        },
    };
}

export interface MigrationJobSpecArgs extends ServicePodArgs {
    readonly podAnnotations: Record<string, pulumi.Input<string>>;
}

/**
 * The migration Job: the declared command in the service's new image, with the service's env, identity,
 * resources and writable paths. It carries no Istio label either way: with the mesh on, the application
 * namespace's injection label gives it a sidecar like the service's own pods. istiod injects it as a native
 * sidecar (ENABLE_NATIVE_SIDECARS, lib/mesh/values.ts), which stops when the migration container exits, so the
 * Job completes. Its peer, PostgreSQL, is outside the mesh: the sidecar's auto-mTLS sends plaintext to it, as
 * it does for the service's pods.
 */
export function migrationJobSpec(args: MigrationJobSpecArgs) {
    const migration = args.svc.migration;
    if (!migration) throw new Error(`service ${args.name}: no migration configured`);
    const container: Container = {
        name: MIGRATION_COMPONENT,
        image: args.svc.image,
        imagePullPolicy: "IfNotPresent",
        command: [...migration.command],
        ...(migration.args ? { args: [...migration.args] } : {}),
        ...(args.env.length > 0 ? { env: args.env } : {}),
        resources: toKubeResources(args.resources),
        ...filesOf(args).mounts,
    };
    return {
        backoffLimit: migration.backoffLimit,
        activeDeadlineSeconds: migration.activeDeadlineSeconds,
        ttlSecondsAfterFinished: migration.ttlSecondsAfterFinished,
        template: {
            metadata: {
                labels: migrationLabels(args.name, args.svc),
                annotations: args.podAnnotations,
            },
            spec: {
                ...hardenedPodSpec({
                    containers: [container],
                    volumes: filesOf(args).volumes,
                    identity: identityOf(args.svc),
                    writablePaths: args.svc.writablePaths,
                    automountServiceAccountToken: false,
                    serviceAccountName: args.serviceAccountName,
                }),
                restartPolicy: "Never",
                ...(args.svc.priorityClassName ? { priorityClassName: args.svc.priorityClassName } : {}),
            },
        },
    };
}

/** ClusterIP Service with one named port per container port (servicePort, default the same number), selecting the service's pods. */
export function serviceSpec(name: string, svc: ServiceConfig) {
    return {
        type: "ClusterIP",
        selector: serviceSelector(name),
        ports: svc.ports.map((p) => ({
            name: p.name,
            port: p.servicePort ?? p.containerPort,
            targetPort: p.name,
            protocol: p.protocol,
        })),
    };
}
