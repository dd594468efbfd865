/** Prometheus scraping of a service's metrics endpoint (Prometheus Operator ServiceMonitor). */
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import { scrapeTls } from "../topology";
import { serviceSelector } from "./workload";

/**
 * ServiceMonitor spec: the service's Service (selected by its stable labels, in its own namespace), metrics port
 * by name. Under the mesh's STRICT mTLS Prometheus scrapes with Istio workload certificates (lib/topology).
 */
export function serviceMonitorSpec(
    name: string,
    namespace: pulumi.Input<string>,
    metrics: NonNullable<ServiceConfig["metrics"]>,
    meshEnabled: boolean,
) {
    const tls = scrapeTls(meshEnabled);
    return {
        selector: { matchLabels: serviceSelector(name) },
        namespaceSelector: { matchNames: [namespace] },
        endpoints: [
            {
                port: metrics.port,
                path: metrics.path,
                interval: `${metrics.intervalSeconds}s`,
                scheme: tls.scheme,
                ...(tls.tlsConfig ? { tlsConfig: tls.tlsConfig } : {}),
            },
        ],
    };
}
