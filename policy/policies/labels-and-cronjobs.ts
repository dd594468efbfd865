/** Best practices: recommended app.kubernetes.io labels; CronJobs that cannot pile up or run forever. */
import { objectPolicy, stringList } from "./framework";
import { KubeObject } from "./kinds";
import { get, isUnknown } from "./values";

// ---- Recommended labels ----------------------------------------------------------------------------------------

export interface RecommendedLabelsConfig {
    readonly labels: readonly string[];
    /** Kinds that must carry them. */
    readonly kinds: readonly string[];
}

export const RECOMMENDED_LABELS_DEFAULTS: RecommendedLabelsConfig = {
    labels: ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"],
    kinds: ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service", "Cluster", "Pooler", "Prometheus", "Alertmanager"],
};

export function checkRecommendedLabels(o: KubeObject, config: RecommendedLabelsConfig): string[] {
    if (isUnknown(o.labels)) return [];
    const labels = o.labels;
    const missing = config.labels.filter((l) => labels[l] === undefined);
    return missing.length > 0 ? [`missing recommended labels: ${missing.join(", ")}`] : [];
}

export const recommendedLabels = objectPolicy<RecommendedLabelsConfig>({
    name: "recommended-labels",
    description: "Workloads and Services carry the recommended app.kubernetes.io labels.",
    enforcementLevel: "advisory",
    configProperties: {
        labels: stringList("Labels every object of the listed kinds must carry.", RECOMMENDED_LABELS_DEFAULTS.labels),
        kinds: stringList("Kinds that must carry them.", RECOMMENDED_LABELS_DEFAULTS.kinds),
    },
    defaults: RECOMMENDED_LABELS_DEFAULTS,
    // Applicability depends on config, which is only known inside check; judge every object and filter there.
    appliesTo: () => true,
    check: (o, config) => config.kinds.includes(o.kind) ? checkRecommendedLabels(o, config) : [],
});

// ---- CronJobs --------------------------------------------------------------------------------------------------

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
        problems.push(`spec.concurrencyPolicy ${JSON.stringify(concurrency)} is not allowed (use ${config.allowedConcurrencyPolicies.join(" or ")})`);
    }
    if (get(spec, "startingDeadlineSeconds") === undefined) problems.push("spec.startingDeadlineSeconds is not set");
    if (get(spec, "jobTemplate", "spec", "activeDeadlineSeconds") === undefined) {
        problems.push("spec.jobTemplate.spec.activeDeadlineSeconds is not set");
    }
    return problems;
}

export const cronjobConcurrencyAndDeadlines = objectPolicy<CronJobConfig>({
    name: "cronjob-concurrency-and-deadlines",
    description: "CronJobs set concurrencyPolicy (Forbid/Replace), startingDeadlineSeconds and the job's activeDeadlineSeconds.",
    enforcementLevel: "advisory",
    configProperties: {
        allowedConcurrencyPolicies: { type: "array", items: { type: "string", enum: ["Allow", "Forbid", "Replace"] }, default: ["Forbid", "Replace"] },
    },
    defaults: CRONJOB_DEFAULTS,
    appliesTo: (o) => o.group === "batch" && o.kind === "CronJob" ? true : "applies to CronJobs only",
    check: checkCronJob,
});
