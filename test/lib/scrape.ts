/**
 * Scrape targets of a rendered stack: which pods (and which of their ports) every ServiceMonitor and PodMonitor
 * selects, so a test can ask the NetworkPolicy evaluator (test/lib/netpol.ts) whether Prometheus reaches them.
 *
 * Pods come from the rendered workloads' pod templates, plus models of the pods that operators and charts create
 * from our custom resources and chart values (invisible under the mocks), each built from the rendered inputs and
 * the upstream source named beside it. Istio injection is applied as istiod would: pods in a namespace labelled
 * `istio-injection: enabled` (unless labelled `sidecar.istio.io/inject: "false"`) and pods labelled
 * `sidecar.istio.io/inject: "true"` get an istio-proxy container (Envoy stats port 15090) and the
 * `security.istio.io/tlsMode: istio` label.
 */
import { KubeManifest, podSpecOf, RecordedResource } from "./harness";
import { Endpoint, EndpointPort, matchesSelector, portMatches } from "./netpol";

const CHART_TYPE = "kubernetes:helm.sh/v4:Chart";
const ISTIO_INJECT = "sidecar.istio.io/inject";
const SIDECAR_PORTS: EndpointPort[] = [{ port: 15090, name: "http-envoy-prom", protocol: "TCP" }];

export interface ModelledPod extends Endpoint {
    /** Where the model comes from (a rendered workload, or an operator/chart and its source). */
    readonly source: string;
}

export interface ScrapeTarget {
    /** `<Kind> <namespace>/<name> endpoint <port>` */
    readonly monitor: string;
    readonly pod: ModelledPod;
    readonly port: EndpointPort;
}

export interface ScrapeProblem {
    readonly monitor: string;
    readonly problem: string;
}

const portsOf = (containers: any[] | undefined): EndpointPort[] =>
    (containers ?? []).flatMap((c) =>
        (c.ports ?? []).map((p: any) => ({ port: p.containerPort, name: p.name, protocol: p.protocol ?? "TCP" })),
    );

/** Pods of the rendered workloads (pod templates), without injection. */
function workloadPods(objects: readonly KubeManifest[]): ModelledPod[] {
    const pods: ModelledPod[] = [];
    for (const o of objects) {
        const spec = podSpecOf(o);
        if (!spec) continue;
        const template =
            o.kind === "Pod" ? o : o.kind === "CronJob" ? o.spec.jobTemplate.spec.template : o.spec.template;
        pods.push({
            id: `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`,
            source: "rendered pod template",
            namespace: o.metadata.namespace,
            podLabels: { ...(template.metadata?.labels ?? {}) },
            ports: [...portsOf(spec.containers), ...portsOf(spec.initContainers)],
        });
    }
    return pods;
}

/**
 * Pods that operators and charts create from our rendered inputs (modelled from their upstream sources).
 * `chartsRendered`: the charts' own objects are among `objects` (rendered with real Helm), so their pods come from
 * their real templates and only what operators create at run time is modelled.
 */
function operatorPods(
    resources: readonly RecordedResource[],
    objects: readonly KubeManifest[],
    chartsRendered: boolean,
): ModelledPod[] {
    const pods: ModelledPod[] = [];
    // prometheus-operator v0.93 (pkg/prometheus/statefulset.go, pkg/alertmanager/statefulset.go): the pods of a
    // Prometheus / Alertmanager carry the operator's labels plus spec.podMetadata.labels; web, reloader and
    // (Alertmanager) cluster ports. Their custom resources are chart objects, so only with rendered charts.
    for (const cr of objects.filter(
        (o) =>
            o.apiVersion.startsWith("monitoring.coreos.com/") && (o.kind === "Prometheus" || o.kind === "Alertmanager"),
    )) {
        const app = cr.kind === "Prometheus" ? "prometheus" : "alertmanager";
        pods.push({
            id: `${cr.kind} pods ${cr.metadata.namespace}/${cr.metadata.name}`,
            source: "prometheus-operator v0.93",
            namespace: cr.metadata.namespace,
            podLabels: {
                ...(cr.spec?.podMetadata?.labels ?? {}),
                "app.kubernetes.io/name": app,
                "app.kubernetes.io/instance": cr.metadata.name,
                "app.kubernetes.io/managed-by": "prometheus-operator",
                [app]: cr.metadata.name,
                "operator.prometheus.io/name": cr.metadata.name,
                ...(cr.kind === "Prometheus" ? { "operator.prometheus.io/shard": "0" } : {}),
            },
            ports: [
                ...(cr.kind === "Prometheus"
                    ? [{ port: 9090, name: "web", protocol: "TCP" as const }]
                    : [
                          { port: 9093, name: "web", protocol: "TCP" as const },
                          { port: 9094, name: "mesh-tcp", protocol: "TCP" as const },
                          { port: 9094, name: "mesh-udp", protocol: "UDP" as const },
                      ]),
                { port: 8080, name: "reloader-web", protocol: "TCP" },
            ],
        });
    }
    if (chartsRendered) return [...pods, ...runtimePods(objects)];
    // NGINX Gateway Fabric 2.6.7 chart, templates/deployment.yaml: selector labels (name, instance = release) plus
    // nginxGateway.labels; ports agent-grpc 8443, metrics (metrics.port) and health (readinessProbe.port).
    for (const chart of resources.filter((r) => r.type === CHART_TYPE && r.inputs.name === "nginx-gateway-fabric")) {
        const g = chart.inputs.values?.nginxGateway ?? {};
        pods.push({
            id: `NGF control plane ${chart.inputs.namespace}`,
            source: "nginx-gateway-fabric chart 2.6.7 templates/deployment.yaml",
            namespace: chart.inputs.namespace,
            podLabels: {
                "app.kubernetes.io/name": chart.inputs.name,
                "app.kubernetes.io/instance": chart.inputs.name,
                ...(g.labels ?? {}),
            },
            ports: [
                { port: 8443, name: "agent-grpc", protocol: "TCP" },
                ...(g.metrics?.enable === false
                    ? []
                    : [{ port: g.metrics?.port ?? 9113, name: "metrics", protocol: "TCP" as const }]),
                ...(g.readinessProbe?.enable === false
                    ? []
                    : [{ port: g.readinessProbe?.port ?? 8081, name: "health", protocol: "TCP" as const }]),
            ],
        });
    }
    return [...pods, ...runtimePods(objects)];
}

/** Pods that controllers create at run time from our custom resources (never rendered by anything). */
function runtimePods(objects: readonly KubeManifest[]): ModelledPod[] {
    const pods: ModelledPod[] = [];
    // cert-manager v1.21 HTTP-01 solver (pkg/issuer/acme/http/pod.go): a pod per challenge in the Certificate's
    // namespace, labelled acme.cert-manager.io/http01-solver plus the solver's podTemplate labels, port 8089.
    for (const issuer of objects.filter(
        (o) => o.kind === "ClusterIssuer" && o.apiVersion.startsWith("cert-manager.io/"),
    )) {
        for (const solver of issuer.spec?.acme?.solvers ?? []) {
            const http01 = solver.http01?.gatewayHTTPRoute;
            if (!http01) continue;
            for (const ns of new Set(
                objects
                    .filter((o) => o.kind === "Certificate" && o.spec?.issuerRef?.name === issuer.metadata.name)
                    .map((o) => o.metadata.namespace as string),
            )) {
                pods.push({
                    id: `ACME HTTP-01 solver ${ns}`,
                    source: "cert-manager v1.21 HTTP-01 solver",
                    namespace: ns,
                    podLabels: {
                        ...(http01.podTemplate?.metadata?.labels ?? {}),
                        "acme.cert-manager.io/http01-solver": "true",
                    },
                    ports: [{ port: 8089, name: "http", protocol: "TCP" }],
                });
            }
        }
    }
    // NGF 2.6.7 provisioner (internal/controller/provisioner/objects.go): the data plane of a Gateway carries the
    // gateway-name label and the Gateway's infrastructure labels; container ports are the listener ports and
    // "metrics" (the NginxProxy's metrics.port, default 9113).
    const proxies = objects.filter((o) => o.kind === "NginxProxy");
    for (const gw of objects.filter(
        (o) => o.kind === "Gateway" && o.apiVersion.startsWith("gateway.networking.k8s.io/"),
    )) {
        const ref = gw.spec?.infrastructure?.parametersRef;
        const proxy = proxies.find(
            (p) => p.metadata.namespace === gw.metadata.namespace && p.metadata.name === ref?.name,
        );
        const listenerPorts = [...new Set<number>((gw.spec?.listeners ?? []).map((l: any) => l.port))];
        pods.push({
            id: `NGF data plane ${gw.metadata.namespace}/${gw.metadata.name}`,
            source: "nginx-gateway-fabric 2.6.7 provisioner",
            namespace: gw.metadata.namespace,
            podLabels: {
                "gateway.networking.k8s.io/gateway-name": gw.metadata.name,
                ...(gw.spec?.infrastructure?.labels ?? {}),
            },
            ports: [
                ...listenerPorts.map((port) => ({ port, protocol: "TCP" as const })),
                ...(proxy?.spec?.metrics?.disable
                    ? []
                    : [{ port: proxy?.spec?.metrics?.port ?? 9113, name: "metrics", protocol: "TCP" as const }]),
            ],
        });
    }
    // CloudNativePG: instance pods (cnpg.io/cluster, cnpg.io/podRole: instance; ports postgresql, metrics 9187,
    // status 8000) and PgBouncer pods (cnpg.io/poolerName, cnpg.io/podRole: pooler; ports pgbouncer, metrics 9127).
    for (const c of objects.filter((o) => o.kind === "Cluster" && o.apiVersion.startsWith("postgresql.cnpg.io/"))) {
        pods.push({
            id: `CNPG instances ${c.metadata.namespace}/${c.metadata.name}`,
            source: "CloudNativePG operator",
            namespace: c.metadata.namespace,
            podLabels: {
                ...(c.spec?.inheritedMetadata?.labels ?? {}),
                "cnpg.io/cluster": c.metadata.name,
                "cnpg.io/podRole": "instance",
            },
            ports: [
                { port: 5432, name: "postgresql", protocol: "TCP" },
                { port: 9187, name: "metrics", protocol: "TCP" },
                { port: 8000, name: "status", protocol: "TCP" },
            ],
        });
    }
    for (const p of objects.filter((o) => o.kind === "Pooler" && o.apiVersion.startsWith("postgresql.cnpg.io/"))) {
        pods.push({
            id: `CNPG pooler ${p.metadata.namespace}/${p.metadata.name}`,
            source: "CloudNativePG operator",
            namespace: p.metadata.namespace,
            podLabels: {
                ...(p.spec?.template?.metadata?.labels ?? {}),
                "cnpg.io/poolerName": p.metadata.name,
                "cnpg.io/cluster": p.spec?.cluster?.name,
                "cnpg.io/podRole": "pooler",
            },
            ports: [
                { port: 5432, name: "pgbouncer", protocol: "TCP" },
                { port: 9127, name: "metrics", protocol: "TCP" },
            ],
        });
    }
    return pods;
}

/**
 * Every modelled pod of the stack, with namespace labels and the sidecars istiod would inject. With
 * `chartObjects` (the charts rendered with real Helm), chart pods come from the charts' own templates.
 */
export function stackPods(
    resources: readonly RecordedResource[],
    objects: readonly KubeManifest[],
    chartObjects?: readonly KubeManifest[],
): ModelledPod[] {
    const all = [...objects, ...(chartObjects ?? [])];
    const namespaceLabels = new Map(
        all
            .filter((o) => o.kind === "Namespace")
            .map((n) => [n.metadata.name as string, { ...(n.metadata.labels ?? {}) }]),
    );
    const meshInstalled = resources.some((r) => r.type === CHART_TYPE && r.inputs.name === "istiod");
    return [...workloadPods(all), ...operatorPods(resources, all, chartObjects !== undefined)].map((pod) => {
        const nsLabels = namespaceLabels.get(pod.namespace!) ?? {};
        const label = pod.podLabels?.[ISTIO_INJECT];
        const injected =
            meshInstalled && (label === "true" || (nsLabels["istio-injection"] === "enabled" && label !== "false"));
        return {
            ...pod,
            namespaceLabels: nsLabels,
            podLabels: injected ? { ...pod.podLabels, "security.istio.io/tlsMode": "istio" } : pod.podLabels,
            ports: injected ? [...pod.ports, ...SIDECAR_PORTS] : pod.ports,
        };
    });
}

function monitoredNamespaces(monitor: KubeManifest): (ns: string) => boolean {
    const sel = monitor.spec?.namespaceSelector;
    if (sel?.any) return () => true;
    const names: string[] = sel?.matchNames ?? [monitor.metadata.namespace];
    return (ns) => names.includes(ns);
}

function podPort(pod: ModelledPod, ref: string | number): EndpointPort | undefined {
    return pod.ports.find((p) => portMatches({ port: ref, protocol: p.protocol }, p));
}

/**
 * What each ServiceMonitor and PodMonitor of the stack scrapes (`objects`: kubeObjects of `resources`), and the problems found on the way (an endpoint
 * that selects nothing, a selected pod without the port). Monitors for which `outOfScope` returns a reason are
 * skipped and reported back with it.
 */
export function scrapeTargets(
    resources: readonly RecordedResource[],
    objects: readonly KubeManifest[],
    outOfScope: (monitor: KubeManifest) => string | undefined,
): { targets: ScrapeTarget[]; problems: ScrapeProblem[]; skipped: { monitor: string; reason: string }[] } {
    const pods = stackPods(resources, objects);
    const services = objects.filter((o) => o.kind === "Service" && o.apiVersion === "v1");
    const targets: ScrapeTarget[] = [];
    const problems: ScrapeProblem[] = [];
    const skipped: { monitor: string; reason: string }[] = [];
    for (const m of objects.filter(
        (o) =>
            o.apiVersion.startsWith("monitoring.coreos.com/") &&
            (o.kind === "ServiceMonitor" || o.kind === "PodMonitor"),
    )) {
        const name = `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`;
        const reason = outOfScope(m);
        if (reason !== undefined) {
            skipped.push({ monitor: name, reason });
            continue;
        }
        const inScope = monitoredNamespaces(m);
        if (m.kind === "PodMonitor") {
            const selected = pods.filter(
                (p) => inScope(p.namespace!) && matchesSelector(m.spec.selector, p.podLabels ?? {}),
            );
            for (const e of m.spec.podMetricsEndpoints ?? []) {
                const ref: string | number = e.port ?? e.portNumber ?? e.targetPort;
                const monitor = `${name} endpoint ${ref}`;
                if (selected.length === 0) problems.push({ monitor, problem: "selects no pod" });
                for (const pod of selected) {
                    const port = podPort(pod, ref);
                    if (port) targets.push({ monitor, pod, port });
                    else problems.push({ monitor, problem: `${pod.id} has no port ${ref}` });
                }
            }
        } else {
            const selected = services.filter(
                (s) => inScope(s.metadata.namespace) && matchesSelector(m.spec.selector, s.metadata.labels ?? {}),
            );
            for (const e of m.spec.endpoints ?? []) {
                const ref: string | number = e.port ?? e.targetPort;
                const monitor = `${name} endpoint ${ref}`;
                if (selected.length === 0) problems.push({ monitor, problem: "selects no Service" });
                for (const svc of selected) {
                    const servicePort = (svc.spec.ports ?? []).find((p: any) =>
                        e.port !== undefined ? p.name === e.port : true,
                    );
                    if (!servicePort) {
                        problems.push({ monitor, problem: `Service ${svc.metadata.name} has no port ${ref}` });
                        continue;
                    }
                    const targetRef: string | number =
                        e.port !== undefined ? (servicePort.targetPort ?? servicePort.port) : e.targetPort;
                    const backing = pods.filter(
                        (p) =>
                            p.namespace === svc.metadata.namespace &&
                            svc.spec.selector &&
                            matchesSelector({ matchLabels: svc.spec.selector }, p.podLabels ?? {}),
                    );
                    if (backing.length === 0)
                        problems.push({ monitor, problem: `Service ${svc.metadata.name} selects no pod` });
                    for (const pod of backing) {
                        const port = podPort(pod, targetRef);
                        if (port) targets.push({ monitor, pod, port });
                        else
                            problems.push({
                                monitor,
                                problem: `${pod.id} has no port ${targetRef} (Service ${svc.metadata.name})`,
                            });
                    }
                }
            }
        }
    }
    return { targets, problems, skipped };
}
