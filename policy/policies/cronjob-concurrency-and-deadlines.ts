/** Best practice: CronJobs that cannot pile up or run forever. */
import { objectPolicy } from "./framework";
import { KubeObject } from "./kinds";
import { get, isUnknown } from "./values";

export interface CronJobConfig {
    readonly allowedConcurrencyPolicies: readonly string[];
}

export const CRONJOB_DEFAULTS: CronJobConfig = { allowedConcurrencyPolicies: ["Forbid", "Replace"] };

export function checkCronJob(o: KubeObject, config: CronJobConfig): string[] {
    const spec = get(o.props, "spec");
    if (isUnknown(spec)) return [];
    const problems: string[] = [];
    const concurrency = get(spec, "concurrencyPolicy");
    if (concurrency === undefined) {
        problems.push(`spec.concurrencyPolicy is not set (use ${config.allowedConcurrencyPolicies.join(" or ")})`);
    } else if (!isUnknown(concurrency) && !config.allowedConcurrencyPolicies.includes(String(concurrency))) {
        problems.push(
            `spec.concurrencyPolicy ${JSON.stringify(concurrency)} is not allowed (use ${config.allowedConcurrencyPolicies.join(" or ")})`,
        );
    }
    if (get(spec, "startingDeadlineSeconds") === undefined) problems.push("spec.startingDeadlineSeconds is not set");
    if (get(spec, "jobTemplate", "spec", "activeDeadlineSeconds") === undefined) {
        problems.push("spec.jobTemplate.spec.activeDeadlineSeconds is not set");
    }
    return problems;
}

export const cronjobConcurrencyAndDeadlines = objectPolicy<CronJobConfig>({
    name: "cronjob-concurrency-and-deadlines",
    description:
        "CronJobs set concurrencyPolicy (Forbid/Replace), startingDeadlineSeconds and the job's activeDeadlineSeconds.",
    enforcementLevel: "advisory",
    configProperties: {
        allowedConcurrencyPolicies: {
            type: "array",
            items: { type: "string", enum: ["Allow", "Forbid", "Replace"] },
            default: ["Forbid", "Replace"],
        },
    },
    defaults: CRONJOB_DEFAULTS,
    appliesTo: (o) => (o.group === "batch" && o.kind === "CronJob" ? true : "applies to CronJobs only"),
    check: checkCronJob,
});
