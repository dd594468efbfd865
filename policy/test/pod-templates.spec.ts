import { expect } from "chai";
import { kubeObject } from "../policies/kinds";
import { podTemplatesOf } from "../policies/pod-templates";

describe("pod templates of operator-managed resources", () => {
    it("models the labels the Prometheus Operator puts on Prometheus pods (Services select on them)", () => {
        const o = kubeObject("kubernetes:monitoring.coreos.com/v1:Prometheus", {
            apiVersion: "monitoring.coreos.com/v1", kind: "Prometheus",
            metadata: { name: "kube-prometheus-stack-prometheus", namespace: "monitoring" },
            spec: { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } } },
        }, "prometheus", "urn:pulumi:dev::stackwright::prometheus")!;
        const [pod] = podTemplatesOf(o);
        expect(pod.labels).to.include({
            "app.kubernetes.io/name": "prometheus",
            "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
            prometheus: "kube-prometheus-stack-prometheus",
        });
    });
});
