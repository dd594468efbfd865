/** Pod Security Standards (restricted): each check its own policy, each over all three container lists. */
import { expect } from "chai";
import { StackwrightResourcePolicy } from "../policies/framework";
import { pssAppArmor } from "../policies/pss-apparmor";
import { pssCapabilities } from "../policies/pss-capabilities";
import { pssHostNamespaces } from "../policies/pss-host-namespaces";
import { pssHostPathVolumes } from "../policies/pss-host-path-volumes";
import { pssHostPorts } from "../policies/pss-host-ports";
import { pssPrivilegeEscalation } from "../policies/pss-privilege-escalation";
import { pssPrivileged } from "../policies/pss-privileged";
import { pssProbeHost } from "../policies/pss-probe-host";
import { pssProcMount } from "../policies/pss-proc-mount";
import { pssRunAsNonRoot } from "../policies/pss-run-as-non-root";
import { pssRunAsUser } from "../policies/pss-run-as-user";
import { pssSeccomp } from "../policies/pss-seccomp";
import { pssSELinux } from "../policies/pss-selinux";
import { pssSysctls } from "../policies/pss-sysctls";
import { pssVolumeTypes } from "../policies/pss-volume-types";
import { pssWindowsHostProcess } from "../policies/pss-windows-host-process";
import { runResourcePolicy, UNKNOWN_STRING } from "./engine";
import {
    cnpgCluster,
    nginxProxy,
    podSpecIn,
    podSpecWithAllLists,
    prometheus,
    TYPES,
    workload,
    WORKLOAD_KINDS,
} from "./fixtures";

interface Case {
    readonly title: string;
    readonly mutate: (spec: any, props: any) => void;
    readonly expected: string[];
}

const CASES: [StackwrightResourcePolicy, Case[]][] = [
    [
        pssWindowsHostProcess,
        [
            {
                title: "pod hostProcess",
                mutate: (s) => {
                    s.securityContext.windowsOptions = { hostProcess: true };
                },
                expected: ["pod: securityContext.windowsOptions.hostProcess is true"],
            },
            {
                title: "ephemeral container hostProcess",
                mutate: (s) => {
                    s.ephemeralContainers[0].securityContext.windowsOptions = { hostProcess: true };
                },
                expected: ['ephemeralContainer "debug": securityContext.windowsOptions.hostProcess is true'],
            },
        ],
    ],
    [
        pssHostNamespaces,
        [
            {
                title: "hostNetwork",
                mutate: (s) => {
                    s.hostNetwork = true;
                },
                expected: ["pod: hostNetwork is true"],
            },
            {
                title: "hostPID",
                mutate: (s) => {
                    s.hostPID = true;
                },
                expected: ["pod: hostPID is true"],
            },
            {
                title: "hostIPC",
                mutate: (s) => {
                    s.hostIPC = true;
                },
                expected: ["pod: hostIPC is true"],
            },
        ],
    ],
    [
        pssPrivileged,
        [
            {
                title: "privileged init container",
                mutate: (s) => {
                    s.initContainers[0].securityContext.privileged = true;
                },
                expected: ['initContainer "init": securityContext.privileged is true'],
            },
        ],
    ],
    [
        pssHostPathVolumes,
        [
            {
                title: "hostPath volume",
                mutate: (s) => {
                    s.volumes.push({ name: "proc", hostPath: { path: "/proc" } });
                },
                expected: ['volume "proc": hostPath volumes are not allowed'],
            },
        ],
    ],
    [
        pssHostPorts,
        [
            {
                title: "hostPort",
                mutate: (s) => {
                    s.containers[0].ports[0].hostPort = 8080;
                },
                expected: ['container "app": containerPort 8080 uses hostPort 8080'],
            },
            {
                title: "hostPort 0 is fine",
                mutate: (s) => {
                    s.containers[0].ports[0].hostPort = 0;
                },
                expected: [],
            },
        ],
    ],
    [
        pssAppArmor,
        [
            {
                title: "Unconfined container profile",
                mutate: (s) => {
                    s.ephemeralContainers[0].securityContext.appArmorProfile = { type: "Unconfined" };
                },
                expected: [
                    'ephemeralContainer "debug": securityContext.appArmorProfile.type "Unconfined" is not allowed (RuntimeDefault or Localhost)',
                ],
            },
            {
                title: "Unconfined pod profile",
                mutate: (s) => {
                    s.securityContext.appArmorProfile = { type: "Unconfined" };
                },
                expected: [
                    'pod: securityContext.appArmorProfile.type "Unconfined" is not allowed (RuntimeDefault or Localhost)',
                ],
            },
            {
                title: "Localhost is fine",
                mutate: (s) => {
                    s.securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "k8s-app" };
                },
                expected: [],
            },
            {
                title: "unconfined annotation on the pod template",
                mutate: (_s, p) => {
                    p.spec.template.metadata.annotations = {
                        "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
                    };
                },
                expected: [
                    'pod annotation container.apparmor.security.beta.kubernetes.io/app: "unconfined" is not allowed (runtime/default or localhost/*)',
                ],
            },
        ],
    ],
    [
        pssSELinux,
        [
            {
                title: "spc_t type",
                mutate: (s) => {
                    s.securityContext.seLinuxOptions = { type: "spc_t" };
                },
                expected: [
                    'pod: securityContext.seLinuxOptions.type "spc_t" is not allowed (container_t, container_init_t, container_kvm_t, container_engine_t)',
                ],
            },
            {
                title: "user set",
                mutate: (s) => {
                    s.containers[0].securityContext.seLinuxOptions = { user: "system_u" };
                },
                expected: ['container "app": securityContext.seLinuxOptions.user must not be set'],
            },
            {
                title: "role set",
                mutate: (s) => {
                    s.initContainers[0].securityContext.seLinuxOptions = { role: "sysadm_r" };
                },
                expected: ['initContainer "init": securityContext.seLinuxOptions.role must not be set'],
            },
            {
                title: "container_t is fine",
                mutate: (s) => {
                    s.securityContext.seLinuxOptions = { type: "container_t", level: "s0:c123,c456" };
                },
                expected: [],
            },
        ],
    ],
    [
        pssProcMount,
        [
            {
                title: "Unmasked",
                mutate: (s) => {
                    s.containers[0].securityContext.procMount = "Unmasked";
                },
                expected: ['container "app": securityContext.procMount "Unmasked" is not allowed (Default only)'],
            },
        ],
    ],
    [
        pssSysctls,
        [
            {
                title: "unsafe sysctl",
                mutate: (s) => {
                    s.securityContext.sysctls = [
                        { name: "net.ipv4.tcp_syncookies", value: "1" },
                        { name: "kernel.msgmax", value: "1" },
                    ];
                },
                expected: ['pod: sysctl "kernel.msgmax" is not in the safe set'],
            },
        ],
    ],
    [
        pssProbeHost,
        [
            {
                title: "probe host",
                mutate: (s) => {
                    s.containers[0].livenessProbe.httpGet.host = "10.0.0.1";
                },
                expected: ['container "app": livenessProbe.httpGet.host is set ("10.0.0.1")'],
            },
            {
                title: "lifecycle host",
                mutate: (s) => {
                    s.initContainers[0].lifecycle = { preStop: { tcpSocket: { host: "metadata", port: 80 } } };
                },
                expected: ['initContainer "init": lifecycle.preStop.tcpSocket.host is set ("metadata")'],
            },
        ],
    ],
    [
        pssVolumeTypes,
        [
            {
                title: "nfs volume",
                mutate: (s) => {
                    s.volumes.push({ name: "share", nfs: { server: "nfs", path: "/" } });
                },
                expected: [
                    'volume "share": type nfs is not allowed (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)',
                ],
            },
            {
                title: "allowed types",
                mutate: (s) => {
                    s.volumes.push(
                        { name: "c", configMap: { name: "c" } },
                        { name: "p", persistentVolumeClaim: { claimName: "p" } },
                        { name: "x", projected: { sources: [] } },
                    );
                },
                expected: [],
            },
        ],
    ],
    [
        pssPrivilegeEscalation,
        [
            {
                title: "unset",
                mutate: (s) => {
                    delete s.ephemeralContainers[0].securityContext.allowPrivilegeEscalation;
                },
                expected: ['ephemeralContainer "debug": securityContext.allowPrivilegeEscalation must be false'],
            },
            {
                title: "true",
                mutate: (s) => {
                    s.containers[0].securityContext.allowPrivilegeEscalation = true;
                },
                expected: ['container "app": securityContext.allowPrivilegeEscalation must be false'],
            },
            {
                title: "windows pods are exempt",
                mutate: (s) => {
                    s.os = { name: "windows" };
                    delete s.containers[0].securityContext.allowPrivilegeEscalation;
                },
                expected: [],
            },
        ],
    ],
    [
        pssRunAsNonRoot,
        [
            {
                title: "runAsNonRoot false",
                mutate: (s) => {
                    s.initContainers[0].securityContext.runAsNonRoot = false;
                },
                expected: ['initContainer "init": securityContext.runAsNonRoot is false'],
            },
        ],
    ],
    [
        pssRunAsUser,
        [
            {
                title: "runAsUser 0",
                mutate: (s) => {
                    s.containers[0].securityContext.runAsUser = 0;
                },
                expected: ['container "app": securityContext.runAsUser is 0 (root)'],
            },
        ],
    ],
    [
        pssSeccomp,
        [
            {
                title: "pod Unconfined",
                mutate: (s) => {
                    s.securityContext.seccompProfile.type = "Unconfined";
                    for (const l of ["containers", "initContainers", "ephemeralContainers"])
                        s[l][0].securityContext.seccompProfile = { type: "RuntimeDefault" };
                },
                expected: [
                    'pod: securityContext.seccompProfile.type "Unconfined" is not allowed (RuntimeDefault or Localhost)',
                ],
            },
            {
                title: "container Unconfined",
                mutate: (s) => {
                    s.containers[0].securityContext.seccompProfile.type = "Unconfined";
                },
                expected: [
                    'container "app": securityContext.seccompProfile.type "Unconfined" is not allowed (RuntimeDefault or Localhost)',
                ],
            },
            {
                title: "no pod profile and a container without one",
                mutate: (s) => {
                    delete s.securityContext.seccompProfile;
                    delete s.initContainers[0].securityContext.seccompProfile;
                },
                expected: [
                    'initContainer "init": seccompProfile.type must be RuntimeDefault or Localhost (on the pod or the container)',
                ],
            },
            {
                title: "pod profile covers containers",
                mutate: (s) => {
                    for (const l of ["containers", "initContainers", "ephemeralContainers"])
                        delete s[l][0].securityContext.seccompProfile;
                },
                expected: [],
            },
        ],
    ],
    [
        pssCapabilities,
        [
            {
                title: "drop missing",
                mutate: (s) => {
                    s.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] };
                },
                expected: ['container "app": securityContext.capabilities.drop must include "ALL"'],
            },
            {
                title: "no capabilities block",
                mutate: (s) => {
                    delete s.ephemeralContainers[0].securityContext.capabilities;
                },
                expected: ['ephemeralContainer "debug": securityContext.capabilities.drop must include "ALL"'],
            },
            {
                title: "NET_ADMIN added",
                mutate: (s) => {
                    s.initContainers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE", "NET_ADMIN"];
                },
                expected: ['initContainer "init": capability "NET_ADMIN" may not be added (only NET_BIND_SERVICE)'],
            },
            {
                title: "NET_BIND_SERVICE is fine",
                mutate: (s) => {
                    s.containers[0].securityContext.capabilities.add = ["NET_BIND_SERVICE"];
                },
                expected: [],
            },
        ],
    ],
];

describe("Pod Security Standards policies", () => {
    for (const [policy, cases] of CASES) {
        describe(policy.name, () => {
            it("is mandatory", () => expect(policy.enforcementLevel).to.equal("mandatory"));

            for (const kind of WORKLOAD_KINDS) {
                it(`passes a compliant ${kind}`, () => {
                    expect(runResourcePolicy(policy, TYPES[kind], workload(kind, podSpecWithAllLists()))).to.deep.equal(
                        [],
                    );
                });
            }

            for (const c of cases) {
                it(`${c.expected.length > 0 ? "reports" : "accepts"}: ${c.title}`, () => {
                    const props = workload("Deployment", podSpecWithAllLists());
                    c.mutate(podSpecIn("Deployment", props), props);
                    expect(runResourcePolicy(policy, TYPES.Deployment, props)).to.deep.equal(c.expected);
                });
            }

            it("reports the same in a CronJob's job template", () => {
                const failing = cases.find((c) => c.expected.length > 0 && !c.title.includes("annotation"))!;
                const props = workload("CronJob", podSpecWithAllLists());
                failing.mutate(podSpecIn("CronJob", props), props);
                expect(runResourcePolicy(policy, TYPES.CronJob, props)).to.deep.equal(failing.expected);
            });

            it("passes the operator defaults of CloudNativePG, NGINX Gateway Fabric and a hardened Prometheus", () => {
                expect(runResourcePolicy(policy, TYPES.CnpgCluster, cnpgCluster())).to.deep.equal([]);
                expect(runResourcePolicy(policy, TYPES.Prometheus, prometheus())).to.deep.equal([]);
                expect(runResourcePolicy(policy, TYPES.NginxProxy, nginxProxy())).to.deep.equal([]);
            });

            it("skips unknown values without crashing", () => {
                const props = workload("Deployment", podSpecWithAllLists());
                const spec = podSpecIn("Deployment", props);
                spec.securityContext = UNKNOWN_STRING;
                spec.volumes = UNKNOWN_STRING;
                for (const l of ["containers", "initContainers", "ephemeralContainers"])
                    spec[l][0].securityContext = UNKNOWN_STRING;
                expect(runResourcePolicy(policy, TYPES.Deployment, props)).to.deep.equal([]);
            });
        });
    }

    describe("NGINX Gateway Fabric NginxProxy: the fields its CRD has", () => {
        it("reports container.hostPorts, a hostPath pod volume and a lifecycle hook host", () => {
            const props = nginxProxy();
            props.spec.kubernetes.deployment.container.hostPorts = [{ containerPort: 443, port: 443 }];
            expect(runResourcePolicy(pssHostPorts, TYPES.NginxProxy, props)).to.deep.equal([
                'container "nginx": containerPort 443 uses hostPort 443',
            ]);
            const volumes = nginxProxy();
            volumes.spec.kubernetes.deployment.pod.volumes = [{ name: "logs", hostPath: { path: "/var/log" } }];
            expect(runResourcePolicy(pssHostPathVolumes, TYPES.NginxProxy, volumes)).to.deep.equal([
                'volume "logs": hostPath volumes are not allowed',
            ]);
            expect(runResourcePolicy(pssVolumeTypes, TYPES.NginxProxy, volumes)).to.deep.equal([
                'volume "logs": type hostPath is not allowed (configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)',
            ]);
            const hook = nginxProxy();
            hook.spec.kubernetes.deployment.container.lifecycle = {
                preStop: { httpGet: { host: "example.com", path: "/", port: 80 } },
            };
            expect(runResourcePolicy(pssProbeHost, TYPES.NginxProxy, hook)).to.deep.equal([
                'container "nginx": lifecycle.preStop.httpGet.host is set ("example.com")',
            ]);
        });

        it("judges a daemonSet section like a deployment one, and skips unknown host ports", () => {
            const props = nginxProxy();
            props.spec.kubernetes.daemonSet = props.spec.kubernetes.deployment;
            delete props.spec.kubernetes.deployment;
            props.spec.kubernetes.daemonSet.container.hostPorts = [{ containerPort: 80, port: 8080 }, UNKNOWN_STRING];
            expect(runResourcePolicy(pssHostPorts, TYPES.NginxProxy, props)).to.deep.equal([
                'container "nginx": containerPort 80 uses hostPort 8080',
            ]);
            props.spec.kubernetes.daemonSet.container.hostPorts = UNKNOWN_STRING;
            expect(runResourcePolicy(pssHostPorts, TYPES.NginxProxy, props)).to.deep.equal([]);
        });
    });
});
