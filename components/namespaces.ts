import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NamespacesArgs } from "../lib/namespaces/plan";
import { defaultDenySpec, limitRangeSpec, namespaceMetadata, resourceQuotaSpec } from "../lib/namespace-specs";
import { withFormerTypes } from "../lib/aliases";

/**
 * The stack's namespaces: Pod Security Admission labels on all of them, and in application namespaces a
 * default-deny NetworkPolicy (DNS egress allowed), a ResourceQuota and a LimitRange.
 */
export class Namespaces extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:namespaces:Namespaces";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:platform:Namespaces"];

    /** Namespace objects by name, for `dependsOn`. */
    public readonly byName: Readonly<Record<string, k8s.core.v1.Namespace>>;

    constructor(name: string, args: NamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(Namespaces.TYPE, name, {}, withFormerTypes(opts, Namespaces.FORMER_TYPES));
        const byName: Record<string, k8s.core.v1.Namespace> = {};
        for (const spec of args.namespaces) {
            // Other objects address these namespaces by name, so the names are explicit.
            const ns = new k8s.core.v1.Namespace(spec.name, { metadata: namespaceMetadata(spec) }, { parent: this });
            byName[spec.name] = ns;
            if (!spec.application) continue;
            const child = { parent: this, dependsOn: [ns] };
            const metadata = {
                namespace: ns.metadata.name,
                labels: { "app.kubernetes.io/part-of": "stackwright", "app.kubernetes.io/managed-by": "pulumi" },
            };
            new k8s.networking.v1.NetworkPolicy(
                `${spec.name}-default-deny`,
                { metadata, spec: defaultDenySpec() },
                child,
            );
            new k8s.core.v1.ResourceQuota(
                `${spec.name}-quota`,
                { metadata, spec: resourceQuotaSpec(args.quota) },
                child,
            );
            new k8s.core.v1.LimitRange(
                `${spec.name}-limits`,
                { metadata, spec: limitRangeSpec(args.limitRange) },
                child,
            );
        }
        this.byName = byName;
        this.registerOutputs({ byName: this.byName });
    }
}
