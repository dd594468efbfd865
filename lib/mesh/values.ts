/**
 * Helm values for the Istio charts (base, istiod, cni), sidecar mode with the CNI node agent. Pure: the Mesh
 * component passes them to `k8s.helm.v4.Chart` unchanged. Value names are those of the Istio 1.31 charts
 * (manifests/charts/{base,istio-control/istio-discovery,istio-cni}/values.yaml); the charts accept them at the top
 * level (their own defaults sit under `_internal_defaults_do_not_set`).
 */

import { chartResources, type ComputeResources } from "../defaults";

/** Used where config leaves istiod's resources unset. istiod of a small mesh stays well below these. */
export const ISTIOD_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "250m", memory: "512Mi" },
    limits: { cpu: "2", memory: "2Gi" },
};

/** Used where config leaves the CNI agent's resources unset (the chart sets requests only). */
export const CNI_DEFAULT_RESOURCES: ComputeResources = {
    requests: { cpu: "100m", memory: "100Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
};

const RUNTIME_DEFAULT_SECCOMP = { type: "RuntimeDefault" } as const;

/**
 * istiod flips the validating webhooks it finds with `failurePolicy: Ignore` to `Fail` once it is ready; a
 * declarative tool then sees a diff on every run. Declaring `Fail` from the start removes the flip.
 */
export const VALIDATION_FAILURE_POLICY = "Fail";

export interface IstioBaseValuesArgs {
    /** Namespace of istiod (the validating webhook points at its Service). */
    readonly istioNamespace: string;
}

/** `base` chart: Istio CRDs and the default-revision validating webhook. */
export function istioBaseValues(args: IstioBaseValuesArgs): Record<string, unknown> {
    return {
        global: {
            istioNamespace: args.istioNamespace,
            // istio-reader RBAC serves multicluster remote secrets only; a single cluster needs none of it.
            enableReaderRBAC: false,
        },
        base: { validationFailurePolicy: VALIDATION_FAILURE_POLICY },
    };
}

export interface IstiodValuesArgs {
    readonly istioNamespace: string;
    /** Kubernetes cluster DNS domain; also the SPIFFE trust domain (lib/topology servicePrincipal relies on it). */
    readonly clusterDomain: string;
    readonly replicas: number;
    readonly resources: ComputeResources;
    /** Resources of every injected istio-proxy sidecar. */
    readonly proxyResources: ComputeResources;
    /** Spread replicas over zones, not only nodes (prod). @default false */
    readonly zoneSpread?: boolean;
    /** Image registry path and tag (the chart version): pinned, never the chart's placeholder. */
    readonly image: IstioImage;
    /** meshConfig.extensionProviders (the tracing collector, lib/tracing/plan.ts). @default none */
    readonly extensionProviders?: readonly Record<string, unknown>[];
}

export interface IstioImage {
    readonly hub: string;
    readonly tag: string;
}

/** Labels of istiod pods (fixed by the chart). */
export const ISTIOD_POD_LABELS = { app: "istiod", istio: "pilot" } as const;

/** `istiod` chart: control plane, sidecar injector, mesh config. */
export function istiodValues(args: IstiodValuesArgs): Record<string, unknown> {
    const spread = [{ topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule" }];
    if (args.zoneSpread)
        spread.push({ topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" });
    return {
        // A fixed replica count from config; the chart's HPA would fight it.
        autoscaleEnabled: false,
        replicaCount: args.replicas,
        rollingMaxSurge: 1,
        rollingMaxUnavailable: 0,
        resources: chartResources(args.resources),
        seccompProfile: RUNTIME_DEFAULT_SECCOMP,
        ...(args.replicas > 1
            ? {
                  topologySpreadConstraints: spread.map((s) => ({
                      maxSkew: 1,
                      ...s,
                      labelSelector: { matchLabels: { app: ISTIOD_POD_LABELS.app } },
                  })),
              }
            : {}),
        // The chart renders the PDB only with more than one replica; a crash-looping istiod must not block drains.
        pdb: { minAvailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" },
        // Injected pods use the CNI plugin: their init container is the non-root istio-validation, not istio-init.
        cni: { enabled: true },
        env: {
            // Sidecars as native sidecar containers (init containers with restartPolicy: Always): they start
            // before the app and stop after it, so Jobs (database migrations) complete instead of hanging.
            ENABLE_NATIVE_SIDECARS: "true",
        },
        global: {
            hub: args.image.hub,
            tag: args.image.tag,
            istioNamespace: args.istioNamespace,
            defaultPodDisruptionBudget: { enabled: true },
            enableReaderRBAC: false,
            // The chart's own NetworkPolicies: istiod admits only webhook, xDS and monitoring ports.
            networkPolicy: { enabled: true },
            logAsJson: true,
            proxy: {
                clusterDomain: args.clusterDomain,
                resources: chartResources(args.proxyResources),
                seccompProfile: RUNTIME_DEFAULT_SECCOMP,
                privileged: false,
            },
        },
        base: { validationFailurePolicy: VALIDATION_FAILURE_POLICY },
        meshConfig: {
            trustDomain: args.clusterDomain,
            rootNamespace: args.istioNamespace,
            ...(args.extensionProviders && args.extensionProviders.length > 0
                ? { extensionProviders: args.extensionProviders.map((p) => ({ ...p })) }
                : {}),
            defaultConfig: {
                // Apps start only once their proxy is ready (no failed first requests). Native sidecars give
                // the same guarantee; this covers pods that opt out of them.
                holdApplicationUntilProxyStarts: true,
            },
        },
    };
}

export interface IstioCniValuesArgs {
    readonly resources: ComputeResources;
    readonly image: IstioImage;
}

/** `cni` chart: the node agent that sets up traffic redirection for injected pods. */
export function istioCniValues(args: IstioCniValuesArgs): Record<string, unknown> {
    return {
        resources: chartResources(args.resources),
        seccompProfile: RUNTIME_DEFAULT_SECCOMP,
        // Kubernetes >= 1.30 (all versions Istio 1.31 supports): securityContext.appArmorProfile instead of the
        // deprecated annotation.
        useAppArmorAnnotation: false,
        // Sidecar mode only (no ztunnel).
        ambient: { enabled: false },
        repair: {
            enabled: true,
            // Pods that started before the agent was ready on their node get their redirection set up in place;
            // this mode needs no RBAC to label or delete pods.
            repairPods: true,
            labelPods: false,
            deletePods: false,
        },
        global: {
            hub: args.image.hub,
            tag: args.image.tag,
            networkPolicy: { enabled: true },
            logAsJson: true,
        },
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Chart sources
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// The CNI agent's exemptions
// ---------------------------------------------------------------------------------------------------------------

/** Name of the CNI DaemonSet (fixed by the chart: the CNI plugin looks for it by this name). */
export const ISTIO_CNI_DAEMONSET = "istio-cni-node";

/**
 * Why the Istio CNI node agent cannot meet the restricted profile: the policy pack exemption entries for its
 * DaemonSet (policy config `exemptions`, see policy/policies/exemptions.ts). This is the whole of the privilege it
 * holds; everything else (istiod, every injected pod) stays restricted.
 */
export function istioCniExemptions(
    cniNamespace: string,
): { policy: string; kind: string; namespace: string; name: string; reason: string }[] {
    const entry = (policy: string, reason: string) => ({
        policy,
        kind: "DaemonSet",
        namespace: cniNamespace,
        name: ISTIO_CNI_DAEMONSET,
        reason,
    });
    const root =
        "install-cni runs as uid 0: it writes the CNI plugin and its config into root-owned node directories (/opt/cni/bin, /etc/cni/net.d).";
    const hostPath =
        "hostPath mounts of /opt/cni/bin, /etc/cni/net.d, /var/run/istio-cni, /var/run/netns and /proc (read-only): the agent installs the plugin on the node and enters pod network namespaces.";
    return [
        entry("pods-run-as-non-root", root),
        entry("pss-run-as-non-root", root),
        entry("pss-run-as-user", root),
        entry("pss-host-path-volumes", hostPath),
        entry("pss-volume-types", hostPath),
        entry(
            "pss-capabilities",
            "NET_ADMIN and NET_RAW program the pods' iptables redirection; SYS_ADMIN and SYS_PTRACE enter pod network namespaces (repair); DAC_OVERRIDE writes into node directories. All other capabilities are dropped.",
        ),
        entry(
            "pss-privilege-escalation",
            "holds CAP_SYS_ADMIN, and the chart does not set allowPrivilegeEscalation for install-cni (privileged is false).",
        ),
        entry(
            "pss-apparmor",
            "AppArmor Unconfined: default AppArmor profiles block the mount and ptrace operations needed to enter pod network namespaces.",
        ),
        entry("read-only-root-filesystem", "the chart does not expose readOnlyRootFilesystem for install-cni."),
    ];
}
