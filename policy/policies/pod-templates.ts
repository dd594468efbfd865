/**
 * Finds every pod template in a resource: the built-in workloads' pod specs and the pod-shaping fields of the
 * custom resources Stackwright creates (CloudNativePG Cluster/Pooler, prometheus-operator Prometheus/Alertmanager,
 * NGINX Gateway Fabric NginxProxy).
 *
 * Operators build those pods themselves; for them we model the pod from the custom resource's fields plus the
 * operator's documented defaults, so a policy judges exactly what the resource controls.
 */
import { KubeObject } from "./kinds";
import { Labels } from "./selectors";
import { arr, get, isObject, isUnknown, obj, Obj, str, stringMap, UNKNOWN, Unknown } from "./values";

export type ContainerList = "containers" | "initContainers" | "ephemeralContainers";
export const CONTAINER_LISTS: readonly ContainerList[] = ["initContainers", "containers", "ephemeralContainers"];

export interface ContainerModel {
    readonly list: ContainerList;
    readonly name: string;
    /** For messages: `container "app"`, `initContainer "migrate"`, `ephemeralContainer "debug"`. */
    readonly label: string;
    readonly spec: Obj;
}

export interface PodModel {
    /** Where the pod template lives in the resource, e.g. `spec.template.spec`. */
    readonly path: string;
    /** The pod spec (or the operator-equivalent fields); UNKNOWN when the whole spec is not known yet. */
    readonly spec: Obj | Unknown;
    /** Pod template annotations (AppArmor annotations live here). */
    readonly annotations: Record<string, string | Unknown> | Unknown;
    readonly labels: Labels;
    readonly containers: readonly ContainerModel[];
    /** Some container list is not known yet: checks that need "every container" must not conclude. */
    readonly containersUnknown: boolean;
    /** Runs until stopped (Deployments, StatefulSets...), as opposed to run-to-completion (Jobs). */
    readonly longRunning: boolean;
    /** Set for custom resources: the operator builds the pod and owns probes and API access. */
    readonly operator?: string;
}

const LIST_LABEL: Record<ContainerList, string> = {
    containers: "container",
    initContainers: "initContainer",
    ephemeralContainers: "ephemeralContainer",
};

function containersOf(spec: unknown): { containers: ContainerModel[]; unknown: boolean } {
    const containers: ContainerModel[] = [];
    let unknown = isUnknown(spec);
    for (const list of CONTAINER_LISTS) {
        const value = get(spec, list);
        if (isUnknown(value)) {
            unknown = true;
            continue;
        }
        arr(value).forEach((c, index) => {
            if (isUnknown(c)) {
                unknown = true;
                return;
            }
            const name = str(get(c, "name")) ?? `#${index}`;
            containers.push({ list, name, label: `${LIST_LABEL[list]} "${name}"`, spec: obj(c) });
        });
    }
    return { containers, unknown };
}

function templateModel(path: string, template: unknown, spec: unknown, longRunning: boolean): PodModel {
    const { containers, unknown } = containersOf(spec);
    return {
        path,
        spec: isUnknown(spec) ? UNKNOWN : obj(spec),
        annotations: stringMap(get(template, "metadata", "annotations")),
        labels: stringMap(get(template, "metadata", "labels")),
        containers,
        containersUnknown: unknown,
        longRunning,
    };
}

// ---- operator defaults -------------------------------------------------------------------------------------

const RUNTIME_DEFAULT_SECCOMP = { type: "RuntimeDefault" };

/** CloudNativePG `specs.CreateContainerSecurityContext`. */
function cnpgContainerSecurityContext(seccomp: unknown): Obj {
    return {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        privileged: false,
        readOnlyRootFilesystem: true,
        seccompProfile: seccomp,
        capabilities: { drop: ["ALL"] },
    };
}

/** CloudNativePG `specs.CreatePodSecurityContext`. */
function cnpgPodSecurityContext(seccomp: unknown, user: unknown, group: unknown): Obj {
    return { runAsNonRoot: true, runAsUser: user, runAsGroup: group, fsGroup: group, seccompProfile: seccomp };
}

/** prometheus-operator's security context for the containers it generates. */
const PROMETHEUS_OPERATOR_CONTAINER_SC: Obj = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
};

/**
 * Merges user-given containers over the operator's, by name. prometheus-operator applies a strategic merge
 * (security-context fields merge); CloudNativePG keeps a container's own securityContext whole when it has one.
 */
function mergeContainers(
    defaults: Obj[],
    given: unknown,
    securityContext: "merge" | "replace" = "merge",
): unknown[] | Unknown {
    if (isUnknown(given)) return UNKNOWN;
    const out: unknown[] = defaults.map((d) => ({ ...d }));
    for (const c of arr(given)) {
        const name = get(c, "name");
        const index = out.findIndex((d) => typeof name === "string" && get(d, "name") === name);
        if (index < 0 || !isObject(c)) {
            out.push(c);
            continue;
        }
        const base = obj(out[index]);
        const sc =
            securityContext === "merge" && isObject(c.securityContext) && isObject(base.securityContext)
                ? { ...base.securityContext, ...c.securityContext }
                : (c.securityContext ?? base.securityContext);
        out[index] = { ...base, ...c, securityContext: sc };
    }
    return out;
}

function withName(labels: Labels, extra: Record<string, string | Unknown | undefined>): Labels {
    if (isUnknown(labels)) return UNKNOWN;
    const out: Record<string, string | Unknown> = { ...labels };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) out[k] = v;
    return out;
}

function nameOf(o: KubeObject): string | Unknown | undefined {
    return o.name;
}

function cnpgCluster(o: KubeObject): PodModel {
    const spec = get(o.props, "spec");
    const seccomp = get(spec, "seccompProfile") ?? RUNTIME_DEFAULT_SECCOMP;
    const uid = get(spec, "postgresUID") ?? 26;
    const gid = get(spec, "postgresGID") ?? 26;
    const podSc = get(spec, "podSecurityContext") ?? cnpgPodSecurityContext(seccomp, uid, gid);
    const containerSc = get(spec, "securityContext") ?? cnpgContainerSecurityContext(seccomp);
    const volumes: unknown[] = [];
    const projected = get(spec, "projectedVolumeTemplate");
    if (projected !== undefined) volumes.push({ name: "projected", projected });
    const ephemeral = get(spec, "ephemeralVolumeSource");
    if (ephemeral !== undefined) volumes.push({ name: "scratch-data", ephemeral });
    const podSpec: Obj = {
        securityContext: podSc,
        serviceAccountName: get(spec, "serviceAccountName"),
        volumes,
        containers: [
            {
                name: "postgres",
                image: get(spec, "imageName"),
                resources: get(spec, "resources"),
                securityContext: containerSc,
                env: get(spec, "env"),
                envFrom: get(spec, "envFrom"),
            },
        ],
    };
    const inherited = stringMap(get(spec, "inheritedMetadata", "labels"));
    return {
        ...templateModel(
            "spec (CloudNativePG Cluster: resources, securityContext, podSecurityContext)",
            {},
            isUnknown(spec) ? UNKNOWN : podSpec,
            true,
        ),
        labels: withName(inherited, { "cnpg.io/cluster": nameOf(o), "cnpg.io/podRole": "instance" }),
        annotations: stringMap(get(spec, "inheritedMetadata", "annotations")),
        operator: "CloudNativePG",
    };
}

function cnpgPooler(o: KubeObject): PodModel {
    const template = get(o.props, "spec", "template");
    const tplSpec = get(template, "spec");
    const seccomp = RUNTIME_DEFAULT_SECCOMP;
    const containers = mergeContainers(
        [{ name: "pgbouncer", securityContext: cnpgContainerSecurityContext(seccomp) }],
        get(tplSpec, "containers"),
        "replace",
    );
    const podSpec: Obj | Unknown = isUnknown(tplSpec)
        ? UNKNOWN
        : {
              ...obj(tplSpec),
              securityContext: get(tplSpec, "securityContext") ?? cnpgPodSecurityContext(seccomp, 998, 996),
              containers,
          };
    const model = templateModel("spec.template.spec (CloudNativePG Pooler)", template, podSpec, true);
    return {
        ...model,
        labels: withName(model.labels, { "cnpg.io/poolerName": nameOf(o), "cnpg.io/podRole": "pooler" }),
        operator: "CloudNativePG",
    };
}

function prometheusOperatorPod(o: KubeObject, app: "prometheus" | "alertmanager"): PodModel {
    const spec = get(o.props, "spec");
    const known =
        app === "prometheus"
            ? ["prometheus", "config-reloader", "thanos-sidecar"]
            : ["alertmanager", "config-reloader"];
    const main: Obj = {
        name: app,
        resources: get(spec, "resources"),
        securityContext: PROMETHEUS_OPERATOR_CONTAINER_SC,
    };
    const image = get(spec, "image");
    if (image !== undefined) main.image = image;
    // Containers the user names after operator-generated ones are merged into them; the others are added.
    const givenContainers = get(spec, "containers");
    const operatorDefaults = [
        main,
        ...known
            .slice(1)
            .filter((n) => arr(givenContainers).some((c) => get(c, "name") === n))
            .map((n) => ({ name: n, securityContext: PROMETHEUS_OPERATOR_CONTAINER_SC })),
    ];
    const initGiven = get(spec, "initContainers");
    const initDefaults = arr(initGiven).some((c) => get(c, "name") === "init-config-reloader")
        ? [{ name: "init-config-reloader", securityContext: PROMETHEUS_OPERATOR_CONTAINER_SC }]
        : [];
    const volumes: unknown[] = [...arr(get(spec, "volumes"))];
    for (const secret of arr(get(spec, "secrets")))
        volumes.push({ name: `secret-${String(secret)}`, secret: { secretName: secret } });
    for (const cm of arr(get(spec, "configMaps")))
        volumes.push({ name: `configmap-${String(cm)}`, configMap: { name: cm } });
    const podSpec: Obj | Unknown = isUnknown(spec)
        ? UNKNOWN
        : {
              securityContext: get(spec, "securityContext"),
              hostNetwork: get(spec, "hostNetwork"),
              automountServiceAccountToken: get(spec, "automountServiceAccountToken"),
              serviceAccountName: get(spec, "serviceAccountName"),
              imagePullSecrets: get(spec, "imagePullSecrets"),
              volumes,
              containers: mergeContainers(operatorDefaults, givenContainers),
              initContainers: mergeContainers(initDefaults, initGiven),
          };
    const kind = app === "prometheus" ? "Prometheus" : "Alertmanager";
    const name = nameOf(o);
    return {
        ...templateModel(
            `spec (prometheus-operator ${kind}: resources, securityContext, containers, initContainers)`,
            {},
            podSpec,
            true,
        ),
        labels: withName(stringMap(get(spec, "podMetadata", "labels")), {
            "app.kubernetes.io/name": app,
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/managed-by": "prometheus-operator",
            // The operator also labels the pods with the resource's name (Services of the chart select on it).
            "operator.prometheus.io/name": name,
            [app]: name,
        }),
        annotations: stringMap(get(spec, "podMetadata", "annotations")),
        operator: "prometheus-operator",
    };
}

/**
 * NGINX Gateway Fabric's own security contexts for the data plane (provisioner, v2.6.7): the NginxProxy CRD has no
 * securityContext fields, so these always apply.
 */
const NGF_POD_SC: Obj = {
    runAsNonRoot: true,
    fsGroup: 1001,
    sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
};
const NGF_CONTAINER_SC: Obj = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    runAsUser: 101,
    runAsGroup: 1001,
    seccompProfile: RUNTIME_DEFAULT_SECCOMP,
};
const NGF_NGINX_IMAGE = "ghcr.io/nginx/nginx-gateway-fabric/nginx";

/** The image NGF runs: without a tag it uses its own version's (pinned), so only an explicit tag is judged. */
function ngfImage(image: unknown): unknown {
    const repository = get(image, "repository");
    const tag = get(image, "tag");
    if (isUnknown(repository) || isUnknown(tag)) return UNKNOWN;
    return typeof tag === "string"
        ? `${typeof repository === "string" ? repository : NGF_NGINX_IMAGE}:${tag}`
        : undefined;
}

/**
 * The data-plane pod of an NGINX Gateway Fabric NginxProxy (gateway.nginx.org/v1alpha2), from the fields the CRD
 * has: spec.kubernetes.deployment (or .daemonSet) .container (resources, hostPorts, image, lifecycle, volumeMounts)
 * and .pod.volumes, plus NGF's hardened security contexts. An NginxProxy without either section shapes no pod by
 * itself (its settings merge with the GatewayClass's). The pod labels come from the Gateway that references the
 * NginxProxy, so they are unknown here. NGF's own `init` container has no settable fields and is not modelled.
 */
function ngfDataPlane(o: KubeObject): PodModel[] {
    const kubernetes = get(o.props, "spec", "kubernetes");
    const deployment = get(kubernetes, "deployment");
    const section = deployment !== undefined ? "deployment" : "daemonSet";
    const workload = deployment !== undefined ? deployment : get(kubernetes, "daemonSet");
    if (workload === undefined) return [];
    const container = get(workload, "container");
    const hostPorts = get(container, "hostPorts");
    const podSpec: Obj | Unknown =
        isUnknown(workload) || isUnknown(container)
            ? UNKNOWN
            : {
                  securityContext: NGF_POD_SC,
                  volumes: get(workload, "pod", "volumes"),
                  containers: [
                      {
                          name: "nginx",
                          image: ngfImage(get(container, "image")),
                          resources: get(container, "resources"),
                          ports: isUnknown(hostPorts)
                              ? UNKNOWN
                              : arr(hostPorts).map((p) => ({
                                    containerPort: get(p, "containerPort"),
                                    hostPort: get(p, "port"),
                                })),
                          lifecycle: get(container, "lifecycle"),
                          volumeMounts: get(container, "volumeMounts"),
                          securityContext: NGF_CONTAINER_SC,
                      },
                  ],
              };
    return [
        {
            ...templateModel(
                `spec.kubernetes.${section} (NGINX Gateway Fabric NginxProxy: container.resources, container.hostPorts, pod.volumes)`,
                {},
                podSpec,
                true,
            ),
            labels: UNKNOWN,
            operator: "NGINX Gateway Fabric",
        },
    ];
}

/** Every pod template in the object (at most one for the kinds we know); [] when the kind has none. */
export function podTemplatesOf(o: KubeObject): PodModel[] {
    const p = o.props;
    switch (`${o.group}/${o.kind}`) {
        case "/Pod": {
            const restart = get(p, "spec", "restartPolicy");
            const model = templateModel("spec", p, get(p, "spec"), restart === undefined || restart === "Always");
            return [model];
        }
        case "apps/Deployment":
        case "apps/StatefulSet":
        case "apps/DaemonSet":
        case "apps/ReplicaSet":
        case "/ReplicationController":
            return [
                templateModel(
                    "spec.template.spec",
                    get(p, "spec", "template"),
                    get(p, "spec", "template", "spec"),
                    true,
                ),
            ];
        case "batch/Job":
            return [
                templateModel(
                    "spec.template.spec",
                    get(p, "spec", "template"),
                    get(p, "spec", "template", "spec"),
                    false,
                ),
            ];
        case "batch/CronJob": {
            const template = get(p, "spec", "jobTemplate", "spec", "template");
            return [templateModel("spec.jobTemplate.spec.template.spec", template, get(template, "spec"), false)];
        }
        case "postgresql.cnpg.io/Cluster":
            return [cnpgCluster(o)];
        case "postgresql.cnpg.io/Pooler":
            return [cnpgPooler(o)];
        case "monitoring.coreos.com/Prometheus":
            return [prometheusOperatorPod(o, "prometheus")];
        case "monitoring.coreos.com/Alertmanager":
            return [prometheusOperatorPod(o, "alertmanager")];
        case "gateway.nginx.org/NginxProxy":
            return ngfDataPlane(o);
        default:
            return [];
    }
}

/** A pod's volumes with their names (`#<index>` for an unnamed one), for messages. */
export function volumesOf(pod: PodModel): { name: string; volume: unknown }[] {
    return arr(get(pod.spec, "volumes")).map((v, i) => ({ name: str(get(v, "name")) ?? `#${i}`, volume: v }));
}

/** Windows pods (spec.os.name: windows) are exempt from some Pod Security restricted checks. */
export function isWindows(pod: PodModel): boolean {
    return get(pod.spec, "os", "name") === "windows";
}

/** Effective value of a container security-context field: the container's, else the pod's. */
export function effectiveSecurityField(pod: PodModel, c: ContainerModel, field: string): unknown {
    const own = get(c.spec, "securityContext", field);
    if (own !== undefined) return own;
    return get(pod.spec, "securityContext", field);
}
