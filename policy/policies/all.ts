/** Every policy of the pack, in reporting order. index.ts builds the PolicyPack from this list; tests iterate it. */
import { EnforcementLevel } from "@pulumi/policy";
import { containersHaveResourceLimits } from "./containers-have-resource-limits";
import { cronjobConcurrencyAndDeadlines } from "./cronjob-concurrency-and-deadlines";
import { customResourcesDependOnCrds } from "./custom-resources-depend-on-crds";
import { exemptionsNeedReasons } from "./exemptions-need-reasons";
import { StackwrightPolicy, StackwrightResourcePolicy, StackwrightStackPolicy } from "./framework";
import { gatewayTls } from "./gateway-tls";
import { hpaTargetsExist } from "./hpa-targets-exist";
import { hpaTargetsOmitReplicas } from "./hpa-targets-omit-replicas";
import { imagesPinned } from "./images-pinned";
import { istioDestinationRuleMutualTls } from "./istio-destination-rule-mutual-tls";
import { istioPeerAuthenticationStrict } from "./istio-peer-authentication-strict";
import { namespacesPodSecurityLabels } from "./namespaces-pod-security-labels";
import { noNodePortOrLoadBalancer } from "./no-node-port-or-load-balancer";
import { noServiceAccountTokenAutomount } from "./no-service-account-token-automount";
import { pdbForReplicatedWorkloads } from "./pdb-for-replicated-workloads";
import { podsRunAsNonRoot } from "./pods-run-as-non-root";
import { probesConfigured } from "./probes-configured";
import { productionRedundancy } from "./production-redundancy";
import { pssAppArmor } from "./pss-apparmor";
import { pssCapabilities } from "./pss-capabilities";
import { pssHostNamespaces } from "./pss-host-namespaces";
import { pssHostPathVolumes } from "./pss-host-path-volumes";
import { pssHostPorts } from "./pss-host-ports";
import { pssPrivilegeEscalation } from "./pss-privilege-escalation";
import { pssPrivileged } from "./pss-privileged";
import { pssProbeHost } from "./pss-probe-host";
import { pssProcMount } from "./pss-proc-mount";
import { pssRunAsNonRoot } from "./pss-run-as-non-root";
import { pssRunAsUser } from "./pss-run-as-user";
import { pssSeccomp } from "./pss-seccomp";
import { pssSELinux } from "./pss-selinux";
import { pssSysctls } from "./pss-sysctls";
import { pssVolumeTypes } from "./pss-volume-types";
import { pssWindowsHostProcess } from "./pss-windows-host-process";
import { readOnlyRootFilesystem } from "./read-only-root-filesystem";
import { recommendedLabels } from "./recommended-labels";
import { referencedConfigsExist } from "./referenced-configs-exist";
import { servicesSelectPods } from "./services-select-pods";
import { workloadsHaveNetworkPolicy } from "./workloads-have-network-policy";

/** Level for a policy that does not set one (every policy here does). */
export const PACK_DEFAULT_ENFORCEMENT: EnforcementLevel = "advisory";

export const missionPolicies: StackwrightPolicy[] = [podsRunAsNonRoot, containersHaveResourceLimits];

/** Pod Security Standards: the baseline checks, then the restricted ones. */
export const pssBaselinePolicies: StackwrightPolicy[] = [
    pssWindowsHostProcess,
    pssHostNamespaces,
    pssPrivileged,
    pssHostPathVolumes,
    pssHostPorts,
    pssAppArmor,
    pssSELinux,
    pssProcMount,
    pssSysctls,
    pssProbeHost,
];

export const pssRestrictedPolicies: StackwrightPolicy[] = [
    pssVolumeTypes,
    pssPrivilegeEscalation,
    pssRunAsNonRoot,
    pssRunAsUser,
    pssSeccomp,
    pssCapabilities,
];

export const podSecurityPolicies: StackwrightPolicy[] = [...pssBaselinePolicies, ...pssRestrictedPolicies];

export const bestPracticePolicies: StackwrightPolicy[] = [
    imagesPinned,
    probesConfigured,
    readOnlyRootFilesystem,
    noServiceAccountTokenAutomount,
    noNodePortOrLoadBalancer,
    gatewayTls,
    namespacesPodSecurityLabels,
    istioPeerAuthenticationStrict,
    istioDestinationRuleMutualTls,
    recommendedLabels,
    cronjobConcurrencyAndDeadlines,
    hpaTargetsOmitReplicas,
    pdbForReplicatedWorkloads,
    servicesSelectPods,
    productionRedundancy,
];

export const stackIntegrityPolicies: StackwrightPolicy[] = [
    workloadsHaveNetworkPolicy,
    hpaTargetsExist,
    referencedConfigsExist,
    customResourcesDependOnCrds,
];

export const allPolicies: StackwrightPolicy[] = [
    ...missionPolicies,
    ...podSecurityPolicies,
    exemptionsNeedReasons,
    ...bestPracticePolicies,
    ...stackIntegrityPolicies,
];

export function isStackPolicy(p: StackwrightPolicy): p is StackwrightStackPolicy<any> {
    return "validateStack" in p;
}

export function isResourcePolicy(p: StackwrightPolicy): p is StackwrightResourcePolicy<any> {
    return "validateResource" in p;
}

export function policyByName(name: string): StackwrightPolicy {
    const found = allPolicies.find((p) => p.name === name);
    if (!found) throw new Error(`no policy named ${name}`);
    return found;
}
