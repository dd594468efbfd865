/**
 * The Stackwright CrossGuard policy pack. Constructing a PolicyPack starts the analyzer's gRPC server, so this
 * file does nothing else and tests never import it: they import the policy modules (policies/all.ts).
 *
 *   pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies, PACK_DEFAULT_ENFORCEMENT } from "./policies/all";

new PolicyPack("stackwright", {
    policies: allPolicies,
    enforcementLevel: PACK_DEFAULT_ENFORCEMENT,
});
