import { expect } from "chai";
import { kubeObject } from "../policies/kinds";
import { podTemplatesOf } from "../policies/pod-templates";
import { get, isUnknown } from "../policies/values";

describe("pod templates of operator-managed resources", () => {
    it("models the labels the Prometheus Operator puts on Prometheus pods (Services select on them)", () => {
        const o = kubeObject(
            "kubernetes:monitoring.coreos.com/v1:Prometheus",
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "Prometheus",
                metadata: { name: "kube-prometheus-stack-prometheus", namespace: "monitoring" },
                spec: { resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } } },
            },
            "prometheus",
            "urn:pulumi:dev::stackwright::prometheus",
        )!;
        const [pod] = podTemplatesOf(o);
        expect(pod.labels).to.include({
            "app.kubernetes.io/name": "prometheus",
            "operator.prometheus.io/name": "kube-prometheus-stack-prometheus",
            prometheus: "kube-prometheus-stack-prometheus",
        });
    });

    it("models the NGINX Gateway Fabric data plane of an NginxProxy: NGF's contexts, labels left to the Gateway", () => {
        const props = {
            apiVersion: "gateway.nginx.org/v1alpha2",
            kind: "NginxProxy",
            metadata: { name: "stackwright-data-plane", namespace: "edge" },
            spec: {
                kubernetes: {
                    daemonSet: {
                        container: {
                            image: { tag: "2.6.7" },
                            hostPorts: [{ containerPort: 443, port: 8443 }],
                            resources: { limits: { cpu: "1" } },
                        },
                        pod: { volumes: [{ name: "extra", emptyDir: {} }] },
                    },
                },
            },
        };
        const [pod] = podTemplatesOf(
            kubeObject("kubernetes:gateway.nginx.org/v1alpha2:NginxProxy", props, "data-plane", "urn:x")!,
        );
        expect(pod.path).to.match(/^spec\.kubernetes\.daemonSet /);
        expect(pod.operator).to.equal("NGINX Gateway Fabric");
        expect(isUnknown(pod.labels)).to.equal(true);
        expect(pod.containers.map((c) => c.label)).to.deep.equal(['container "nginx"']);
        const nginx = pod.containers[0].spec;
        expect(nginx.image).to.equal("ghcr.io/nginx/nginx-gateway-fabric/nginx:2.6.7");
        expect(nginx.ports).to.deep.equal([{ containerPort: 443, hostPort: 8443 }]);
        expect(nginx.resources).to.deep.equal({ limits: { cpu: "1" } });
        expect(nginx.securityContext).to.include({
            runAsUser: 101,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
        });
        expect(pod.spec).to.deep.include({ volumes: [{ name: "extra", emptyDir: {} }] });
        expect(get(pod.spec, "securityContext", "runAsNonRoot")).to.equal(true);
    });
});
