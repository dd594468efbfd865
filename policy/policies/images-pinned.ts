/** Best practice: images pinned to a version tag (not `latest`) or a digest, so a rollout is reproducible. */
import { podPolicy, stringList } from "./framework";
import { PodModel } from "./pod-templates";
import { get } from "./values";

export interface ImagesPinnedConfig {
    /** Require `@sha256:` digests, not just tags. */
    readonly requireDigest: boolean;
    /** Tags that move and therefore do not pin anything. */
    readonly mutableTags: readonly string[];
}

export const IMAGES_PINNED_DEFAULTS: ImagesPinnedConfig = { requireDigest: false, mutableTags: ["latest"] };

/** Splits `registry:5000/org/app:1.2@sha256:...` into its tag and digest. */
export function parseImageReference(image: string): { tag?: string; digest?: string } {
    const [withoutDigest, digest] = image.split("@", 2);
    const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    const tag = colon >= 0 ? lastSegment.slice(colon + 1) : undefined;
    return { ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function imageProblem(image: string, config: ImagesPinnedConfig): string | undefined {
    const { tag, digest } = parseImageReference(image);
    if (digest) return undefined;
    if (config.requireDigest) return `image ${JSON.stringify(image)} is not pinned by digest`;
    if (!tag) return `image ${JSON.stringify(image)} has no tag (it means "latest"); pin a version or a digest`;
    if (config.mutableTags.includes(tag))
        return `image ${JSON.stringify(image)} uses the mutable tag "${tag}"; pin a version or a digest`;
    return undefined;
}

export function checkImagesPinned(pod: PodModel, config: ImagesPinnedConfig): string[] {
    const problems: string[] = [];
    for (const c of pod.containers) {
        const image = get(c.spec, "image");
        // No image on an operator resource means the operator's own pinned default.
        if (typeof image !== "string") continue;
        const problem = imageProblem(image, config);
        if (problem) problems.push(`${c.label}: ${problem}`);
    }
    return problems;
}

export const imagesPinned = podPolicy<ImagesPinnedConfig>({
    name: "images-pinned",
    description: "Container images are pinned to a version tag (not latest) or a digest.",
    enforcementLevel: "advisory",
    configProperties: {
        requireDigest: { type: "boolean", default: false, description: "Require @sha256 digests." },
        mutableTags: stringList("Tags that do not pin anything.", IMAGES_PINNED_DEFAULTS.mutableTags),
    },
    defaults: IMAGES_PINNED_DEFAULTS,
    check: checkImagesPinned,
});
