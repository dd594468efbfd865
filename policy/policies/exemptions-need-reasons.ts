/** An exemption annotation must name a policy of this pack and say why; a blank reason is itself a violation. */
import { checkExemptionAnnotations } from "./exemptions";
import { objectPolicy } from "./framework";
import { isUnknown } from "./values";

export const exemptionsNeedReasons = objectPolicy({
    name: "exemptions-need-reasons",
    description:
        "Exemption annotations (policy.stackwright.io/exempt-<policy>) must name a policy of this pack and carry a non-blank reason.",
    enforcementLevel: "mandatory",
    exemptible: false,
    defaults: {},
    appliesTo: (o) =>
        isUnknown(o.annotations) || Object.keys(o.annotations).length > 0 ? true : "the object has no annotations",
    check: (o) => checkExemptionAnnotations(o),
});
