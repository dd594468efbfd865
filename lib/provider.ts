/** Arguments of the stack's one Kubernetes provider. Pure. */
import type { StackConfig } from "../config/schema";

export interface ProviderArgs {
    readonly context?: string;
    readonly kubeconfig?: string;
    readonly renderYamlToDirectory?: string;
    readonly enableServerSideApply: true;
}

/**
 * Render mode contacts no cluster, and the provider refuses `context` together with `renderYamlToDirectory`
 * ("context" arg is not compatible with "renderYamlToDirectory" arg): there the stack file's context and
 * kubeconfig, which a deploy of the same stack needs, are left out.
 */
export function providerArgs(k: StackConfig["kubernetes"]): ProviderArgs {
    if (k.renderYamlToDirectory !== undefined)
        return { renderYamlToDirectory: k.renderYamlToDirectory, enableServerSideApply: true };
    return {
        ...(k.context !== undefined ? { context: k.context } : {}),
        ...(k.kubeconfig !== undefined ? { kubeconfig: k.kubeconfig } : {}),
        enableServerSideApply: true,
    };
}
