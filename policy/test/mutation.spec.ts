/**
 * Mutation tests on the real stacks: take the rendered stack, break one workload of each kind present (remove a
 * limit / set runAsUser: 0 / drop runAsNonRoot) and assert that the pack's new mandatory violations are exactly
 * on that workload, from the expected mission policy. Kinds a stack does not contain are skipped by name.
 */
import { expect } from "chai";
import { findExemption } from "../policies/exemptions";
import { kubeObject } from "../policies/kinds";
import { podTemplatesOf } from "../policies/pod-templates";
import { policyByName } from "../policies/all";
import { urnOf } from "./engine";
import { alertmanager, clone, cnpgCluster, cnpgPooler, podSpecWithAllLists, prometheus, workload, WORKLOAD_KINDS } from "./fixtures";
import { formatViolations, loadPackConfig, PackConfig, PackViolation, RecordedLike, resolvePolicyConfig, runPack } from "./pack-runner";
import { HARNESS_MISSING, harnessAvailable, rendered, STACKS } from "./rendered";

const KINDS: Record<string, string> = {
    Pod: "kubernetes:core/v1:Pod",
    Deployment: "kubernetes:apps/v1:Deployment",
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Cluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
    Pooler: "kubernetes:postgresql.cnpg.io/v1:Pooler",
    Prometheus: "kubernetes:monitoring.coreos.com/v1:Prometheus",
    Alertmanager: "kubernetes:monitoring.coreos.com/v1:Alertmanager",
};

const MUTATIONS = {
    "remove a CPU limit": "containers-have-resource-limits",
    "set runAsUser: 0": "pods-run-as-non-root",
    "drop runAsNonRoot": "pods-run-as-non-root",
} as const;
type Mutation = keyof typeof MUTATIONS;

const LISTS = ["initContainers", "containers", "ephemeralContainers"];

function builtinPodSpec(kind: string, props: any): any {
    if (kind === "Pod") return props?.spec;
    if (kind === "CronJob") return props?.spec?.jobTemplate?.spec?.template?.spec;
    return props?.spec?.template?.spec;
}

function containersOf(spec: any): any[] {
    return LISTS.flatMap((l) => (Array.isArray(spec?.[l]) ? spec[l] : []));
}

function dropRunAsNonRoot(containers: any[]): void {
    for (const c of containers) if (c?.securityContext) delete c.securityContext.runAsNonRoot;
}

/** Applies the mutation in place; false when the workload has nothing to break (e.g. no CPU limit at all). */
function mutate(kind: string, props: any, mutation: Mutation): boolean {
    const spec = props?.spec;
    switch (kind) {
        case "Cluster":
            if (mutation === "remove a CPU limit") return spec?.resources?.limits?.cpu !== undefined && delete spec.resources.limits.cpu;
            if (mutation === "set runAsUser: 0") {
                if (spec.podSecurityContext) spec.podSecurityContext.runAsUser = 0; else spec.postgresUID = 0;
                return true;
            }
            // Replace the operator defaults by explicit contexts without runAsNonRoot.
            spec.podSecurityContext = { runAsUser: spec.postgresUID ?? 26, ...(spec.podSecurityContext ?? {}) };
            spec.securityContext = { allowPrivilegeEscalation: false, ...(spec.securityContext ?? {}) };
            delete spec.podSecurityContext.runAsNonRoot;
            delete spec.securityContext.runAsNonRoot;
            return true;
        case "Pooler": {
            spec.template = spec.template ?? {};
            const tpl = spec.template.spec = spec.template.spec ?? {};
            if (mutation === "remove a CPU limit") {
                const c = containersOf(tpl).find((x) => x?.resources?.limits?.cpu !== undefined);
                return c !== undefined && delete c.resources.limits.cpu;
            }
            if (mutation === "set runAsUser: 0") { tpl.securityContext = { ...(tpl.securityContext ?? {}), runAsUser: 0 }; return true; }
            tpl.securityContext = { runAsUser: 998, ...(tpl.securityContext ?? {}) };
            delete tpl.securityContext.runAsNonRoot;
            tpl.containers = Array.isArray(tpl.containers) ? tpl.containers : [];
            if (!tpl.containers.some((c: any) => c?.name === "pgbouncer")) tpl.containers.push({ name: "pgbouncer" });
            for (const c of tpl.containers) c.securityContext = { allowPrivilegeEscalation: false, ...(c.securityContext ?? {}) };
            dropRunAsNonRoot(containersOf(tpl));
            return true;
        }
        case "Prometheus":
        case "Alertmanager":
            if (mutation === "remove a CPU limit") return spec?.resources?.limits?.cpu !== undefined && delete spec.resources.limits.cpu;
            if (mutation === "set runAsUser: 0") { spec.securityContext = { ...(spec.securityContext ?? {}), runAsUser: 0 }; return true; }
            if (spec.securityContext) delete spec.securityContext.runAsNonRoot;
            dropRunAsNonRoot(containersOf(spec));
            return true;
        default: {
            const pod = builtinPodSpec(kind, props);
            if (!pod) return false;
            if (mutation === "remove a CPU limit") {
                const c = containersOf(pod).find((x) => x?.resources?.limits?.cpu !== undefined);
                return c !== undefined && delete c.resources.limits.cpu;
            }
            if (mutation === "set runAsUser: 0") { pod.securityContext = { ...(pod.securityContext ?? {}), runAsUser: 0 }; return true; }
            if (pod.securityContext) delete pod.securityContext.runAsNonRoot;
            dropRunAsNonRoot(containersOf(pod));
            return true;
        }
    }
}

const key = (v: PackViolation) => `${v.policy}|${v.urn}|${v.message}`;

/**
 * Breaks the first non-exempt workload of `kind` and checks the pack's new mandatory violations are exactly on it.
 * Returns a reason when the stack has no such workload to break.
 */
function checkMutation(resources: readonly RecordedLike[], config: PackConfig, baseline: ReadonlySet<string>, kind: string,
    mutation: Mutation): string | undefined {
    const policyName = MUTATIONS[mutation];
    const exemptions = resolvePolicyConfig(policyByName(policyName), config).properties.exemptions;
    const candidates = resources.filter((r) => {
        if (r.type !== KINDS[kind]) return false;
        const o = kubeObject(r.type, r.inputs, r.name, r.urn);
        return o !== undefined && podTemplatesOf(o).length > 0 && findExemption(policyName, o, exemptions).status === "none";
    });
    if (candidates.length === 0) return `no non-exempt ${kind}`;
    for (const target of candidates) {
        const inputs = clone(target.inputs);
        if (!mutate(kind, inputs, mutation)) continue;
        const state = target.state ? clone(target.state) : undefined;
        if (state) mutate(kind, state, mutation);
        const mutated = resources.map((r) => r === target ? { ...r, inputs, state } : r);
        const fresh = runPack(mutated, config).filter((v) => v.enforcementLevel === "mandatory" && !baseline.has(key(v)));
        expect(fresh.length, `no new mandatory violation for ${target.urn}`).to.be.greaterThan(0);
        expect([...new Set(fresh.map((v) => v.urn))], formatViolations(fresh)).to.deep.equal([target.urn]);
        expect(fresh.map((v) => v.policy)).to.include(policyName);
        return undefined;
    }
    return `no ${kind} has anything to ${mutation}`;
}

function mandatoryKeys(resources: readonly RecordedLike[], config: PackConfig): Set<string> {
    return new Set(runPack(resources, config).filter((v) => v.enforcementLevel === "mandatory").map(key));
}

/** A stand-in stack with one compliant workload of every kind, so the mutators are proven before the real stack has them. */
function fixtureStack(): RecordedLike[] {
    const out: RecordedLike[] = [];
    const add = (type: string, name: string, inputs: any) => out.push({ urn: urnOf(type, name), type, name, inputs, state: clone(inputs), dependencies: [] });
    for (const kind of WORKLOAD_KINDS) add(KINDS[kind], `w-${kind.toLowerCase()}`, workload(kind, podSpecWithAllLists(), `w-${kind.toLowerCase()}`));
    add(KINDS.Cluster, "db", cnpgCluster());
    add(KINDS.Pooler, "db-pooler", cnpgPooler());
    add(KINDS.Prometheus, "main", prometheus());
    add(KINDS.Alertmanager, "main", alertmanager());
    // A second Deployment that is exempted must never be the one picked.
    const exempt = workload("Deployment", undefined, "a-exempt");
    exempt.metadata.annotations = { "policy.stackwright.io/exempt-pods-run-as-non-root": "fixture", "policy.stackwright.io/exempt-containers-have-resource-limits": "fixture" };
    out.unshift({ urn: urnOf(KINDS.Deployment, "a-exempt"), type: KINDS.Deployment, name: "a-exempt", inputs: exempt, dependencies: [] });
    return out;
}

describe("mutation: the pack catches one broken workload of each kind", function () {
    this.timeout(600_000);

    describe("fixture stack (every kind)", () => {
        const resources = fixtureStack();
        const config = loadPackConfig("prod");
        const baseline = mandatoryKeys(resources, config);
        for (const kind of Object.keys(KINDS)) {
            for (const mutation of Object.keys(MUTATIONS) as Mutation[]) {
                it(`${kind}: ${mutation} -> ${MUTATIONS[mutation]}`, () => {
                    expect(checkMutation(resources, config, baseline, kind, mutation)).to.equal(undefined);
                });
            }
        }
    });

    for (const stack of STACKS) {
        describe(`${stack} stack`, () => {
            let resources: RecordedLike[] = [];
            let baseline = new Set<string>();

            before(function () {
                if (!harnessAvailable()) {
                    console.log(`      skipped: ${HARNESS_MISSING}`);
                    this.skip();
                }
            });

            before(async () => {
                resources = (await rendered(stack)).resources;
                baseline = mandatoryKeys(resources, loadPackConfig(stack));
            });

            for (const kind of Object.keys(KINDS)) {
                for (const mutation of Object.keys(MUTATIONS) as Mutation[]) {
                    it(`${kind}: ${mutation} -> ${MUTATIONS[mutation]}`, function () {
                        const skipped = checkMutation(resources, loadPackConfig(stack), baseline, kind, mutation);
                        if (skipped) {
                            console.log(`      skipped: ${skipped} in the ${stack} stack`);
                            this.skip();
                        }
                    });
                }
            }
        });
    }
});
