/** Best practice: workloads and Services carry the recommended app.kubernetes.io labels. */
import { objectPolicy, stringList } from "./framework";
import { KubeObject } from "./kinds";
import { isUnknown } from "./values";

export interface RecommendedLabelsConfig {
    readonly labels: readonly string[];
    /** Kinds that must carry them. */
    readonly kinds: readonly string[];
}

export const RECOMMENDED_LABELS_DEFAULTS: RecommendedLabelsConfig = {
    labels: [
        "app.kubernetes.io/name",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/component",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by",
    ],
    kinds: [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "Pod",
        "Service",
        "Cluster",
        "Pooler",
        "Prometheus",
        "Alertmanager",
    ],
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
    check: (o, config) => (config.kinds.includes(o.kind) ? checkRecommendedLabels(o, config) : []),
});
