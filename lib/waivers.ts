/**
 * Prod waivers (config `waivers.*`): a single point of failure accepted on purpose, with a written reason. The
 * reason goes on the waived object as the policy pack's exemption annotation for `production-redundancy`, so
 * `pulumi preview --policy-pack policy` accepts exactly what the config accepts.
 */

/** The policy a waiver exempts from (policy/policies/production-redundancy.ts). */
export const SINGLE_POINT_POLICY = "production-redundancy";
/** The pack's exemption annotation (policy/policies/exemptions.ts EXEMPT_ANNOTATION_PREFIX + policy name). */
export const SINGLE_POINT_WAIVER_ANNOTATION = `policy.stackwright.io/exempt-${SINGLE_POINT_POLICY}`;

/** Annotations of a waived object (none without a waiver). */
export function waiverAnnotations(reason: string | undefined): Record<string, string> {
    return reason === undefined ? {} : { [SINGLE_POINT_WAIVER_ANNOTATION]: reason };
}
