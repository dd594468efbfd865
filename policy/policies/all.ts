/** Every policy of the pack, in reporting order. index.ts builds the PolicyPack from this list; tests iterate it. */
import { EnforcementLevel } from "@pulumi/policy";
import { hpaTargetsExist, hpaTargetsOmitReplicas } from "./autoscaling";
import { referencedConfigsExist } from "./config-references";
import { customResourcesDependOnCrds } from "./crd-dependencies";
import { pdbForReplicatedWorkloads } from "./disruption-budgets";
import { exemptionsNeedReasons } from "./exemptions-need-reasons";
import { StackwrightPolicy, StackwrightResourcePolicy, StackwrightStackPolicy } from "./framework";
import { gatewayTls } from "./gateway-tls";
import { imagesPinned } from "./images";
import { istioDestinationRuleMutualTls, istioPeerAuthenticationStrict } from "./istio";
import { cronjobConcurrencyAndDeadlines, recommendedLabels } from "./labels-and-cronjobs";
import { namespacesPodSecurityLabels } from "./namespaces";
import { workloadsHaveNetworkPolicy } from "./network-policies";
import { pssBaselinePolicies } from "./pss-baseline";
import { pssRestrictedPolicies } from "./pss-restricted";
import { containersHaveResourceLimits } from "./resource-limits";
import { podsRunAsNonRoot } from "./run-as-non-root";
import { noNodePortOrLoadBalancer, servicesSelectPods } from "./services";
import { noServiceAccountTokenAutomount, probesConfigured, readOnlyRootFilesystem } from "./workload-practices";

/** Level for a policy that does not set one (every policy here does). */
export const PACK_DEFAULT_ENFORCEMENT: EnforcementLevel = "advisory";

export const missionPolicies: StackwrightPolicy[] = [podsRunAsNonRoot, containersHaveResourceLimits];

export const podSecurityPolicies: StackwrightPolicy[] = [...pssBaselinePolicies, ...pssRestrictedPolicies];

export const bestPracticePolicies: StackwrightPolicy[] = [
    imagesPinned, probesConfigured, readOnlyRootFilesystem, noServiceAccountTokenAutomount, noNodePortOrLoadBalancer,
    gatewayTls, namespacesPodSecurityLabels, istioPeerAuthenticationStrict, istioDestinationRuleMutualTls,
    recommendedLabels, cronjobConcurrencyAndDeadlines, hpaTargetsOmitReplicas, pdbForReplicatedWorkloads,
    servicesSelectPods,
];

export const stackIntegrityPolicies: StackwrightPolicy[] = [
    workloadsHaveNetworkPolicy, hpaTargetsExist, referencedConfigsExist, customResourcesDependOnCrds,
];

export const allPolicies: StackwrightPolicy[] = [
    ...missionPolicies, ...podSecurityPolicies, exemptionsNeedReasons, ...bestPracticePolicies, ...stackIntegrityPolicies,
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
