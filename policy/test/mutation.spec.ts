/**
 * Mutation tests on the real stacks: take the rendered stack, break one workload of each kind (remove a limit /
 * set runAsUser: 0 / drop runAsNonRoot) and assert that the pack's new mandatory violations are exactly on that
 * workload, from the expected mission policy. A kind the stack does not contain gets one compliant fixture
 * workload added to the real resource list (the baseline is the real stack plus those), so every kind is covered
 * for every stack.
 */
import { expect } from "chai";
import { findExemption } from "../policies/exemptions";
import { kubeObject } from "../policies/kinds";
import { podTemplatesOf } from "../policies/pod-templates";
import { policyByName } from "../policies/all";
import { urnOf } from "./engine";
import {
    alertmanager,
    clone,
    cnpgCluster,
    cnpgPooler,
    nginxProxy,
    podSpecWithAllLists,
    prometheus,
    workload,
    WORKLOAD_KINDS,
} from "./fixtures";
import {
    formatViolations,
    loadPackConfig,
    PackConfig,
    RecordedLike,
    resolvePolicyConfig,
    runPack,
    violationKey,
} from "./pack-runner";
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
    NginxProxy: "kubernetes:gateway.nginx.org/v1alpha2:NginxProxy",
};

const MUTATIONS = {
    "remove a CPU limit": "containers-have-resource-limits",
    "set runAsUser: 0": "pods-run-as-non-root",
    "drop runAsNonRoot": "pods-run-as-non-root",
} as const;
type Mutation = keyof typeof MUTATIONS;

/** The mutations a kind has fields for: the NginxProxy CRD has no securityContext (NGF runs the data plane as uid 101). */
function mutationsFor(kind: string): Mutation[] {
    return kind === "NginxProxy" ? ["remove a CPU limit"] : (Object.keys(MUTATIONS) as Mutation[]);
}

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
            if (mutation === "remove a CPU limit")
                return spec?.resources?.limits?.cpu !== undefined && delete spec.resources.limits.cpu;
            if (mutation === "set runAsUser: 0") {
                if (spec.podSecurityContext) spec.podSecurityContext.runAsUser = 0;
                else spec.postgresUID = 0;
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
            const tpl = (spec.template.spec = spec.template.spec ?? {});
            if (mutation === "remove a CPU limit") {
                const c = containersOf(tpl).find((x) => x?.resources?.limits?.cpu !== undefined);
                return c !== undefined && delete c.resources.limits.cpu;
            }
            if (mutation === "set runAsUser: 0") {
                tpl.securityContext = { ...(tpl.securityContext ?? {}), runAsUser: 0 };
                return true;
            }
            tpl.securityContext = { runAsUser: 998, ...(tpl.securityContext ?? {}) };
            delete tpl.securityContext.runAsNonRoot;
            tpl.containers = Array.isArray(tpl.containers) ? tpl.containers : [];
            if (!tpl.containers.some((c: any) => c?.name === "pgbouncer")) tpl.containers.push({ name: "pgbouncer" });
            for (const c of tpl.containers)
                c.securityContext = { allowPrivilegeEscalation: false, ...(c.securityContext ?? {}) };
            dropRunAsNonRoot(containersOf(tpl));
            return true;
        }
        case "NginxProxy": {
            const kubernetes = spec?.kubernetes;
            const limits = (kubernetes?.deployment ?? kubernetes?.daemonSet)?.container?.resources?.limits;
            return mutation === "remove a CPU limit" && limits?.cpu !== undefined && delete limits.cpu;
        }
        case "Prometheus":
        case "Alertmanager":
            if (mutation === "remove a CPU limit")
                return spec?.resources?.limits?.cpu !== undefined && delete spec.resources.limits.cpu;
            if (mutation === "set runAsUser: 0") {
                spec.securityContext = { ...(spec.securityContext ?? {}), runAsUser: 0 };
                return true;
            }
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
            if (mutation === "set runAsUser: 0") {
                pod.securityContext = { ...(pod.securityContext ?? {}), runAsUser: 0 };
                return true;
            }
            if (pod.securityContext) delete pod.securityContext.runAsNonRoot;
            dropRunAsNonRoot(containersOf(pod));
            return true;
        }
    }
}

/**
 * Breaks the first non-exempt workload of `kind` and checks the pack's new mandatory violations are exactly on it.
 * Returns a reason when the stack has no such workload to break.
 */
function checkMutation(
    resources: readonly RecordedLike[],
    config: PackConfig,
    baseline: ReadonlySet<string>,
    kind: string,
    mutation: Mutation,
): string | undefined {
    const policyName = MUTATIONS[mutation];
    const exemptions = resolvePolicyConfig(policyByName(policyName), config).properties.exemptions;
    const candidates = resources.filter((r) => {
        if (r.type !== KINDS[kind]) return false;
        const o = kubeObject(r.type, r.inputs, r.name, r.urn);
        return (
            o !== undefined &&
            podTemplatesOf(o).length > 0 &&
            findExemption(policyName, o, exemptions).status === "none"
        );
    });
    if (candidates.length === 0) return `no non-exempt ${kind}`;
    for (const target of candidates) {
        const inputs = clone(target.inputs);
        if (!mutate(kind, inputs, mutation)) continue;
        const state = target.state ? clone(target.state) : undefined;
        if (state) mutate(kind, state, mutation);
        const mutated = resources.map((r) => (r === target ? { ...r, inputs, state } : r));
        const fresh = runPack(mutated, config).filter(
            (v) => v.enforcementLevel === "mandatory" && !baseline.has(violationKey(v)),
        );
        expect(fresh.length, `no new mandatory violation for ${target.urn}`).to.be.greaterThan(0);
        expect([...new Set(fresh.map((v) => v.urn))], formatViolations(fresh)).to.deep.equal([target.urn]);
        expect(fresh.map((v) => v.policy)).to.include(policyName);
        return undefined;
    }
    return `no ${kind} has anything to ${mutation}`;
}

function mandatoryKeys(resources: readonly RecordedLike[], config: PackConfig): Set<string> {
    return new Set(
        runPack(resources, config)
            .filter((v) => v.enforcementLevel === "mandatory")
            .map(violationKey),
    );
}

/** A stand-in stack with one compliant workload of every kind, so the mutators are proven before the real stack has them. */
function fixtureStack(): RecordedLike[] {
    const out: RecordedLike[] = [];
    const add = (type: string, name: string, inputs: any) =>
        out.push({ urn: urnOf(type, name), type, name, inputs, state: clone(inputs), dependencies: [] });
    for (const kind of WORKLOAD_KINDS)
        add(KINDS[kind], `w-${kind.toLowerCase()}`, workload(kind, podSpecWithAllLists(), `w-${kind.toLowerCase()}`));
    add(KINDS.Cluster, "db", cnpgCluster());
    add(KINDS.Pooler, "db-pooler", cnpgPooler());
    add(KINDS.Prometheus, "main", prometheus());
    add(KINDS.Alertmanager, "main", alertmanager());
    add(KINDS.NginxProxy, "data-plane", nginxProxy());
    // A second Deployment that is exempted must never be the one picked.
    const exempt = workload("Deployment", undefined, "a-exempt");
    exempt.metadata.annotations = {
        "policy.stackwright.io/exempt-pods-run-as-non-root": "fixture",
        "policy.stackwright.io/exempt-containers-have-resource-limits": "fixture",
    };
    out.unshift({
        urn: urnOf(KINDS.Deployment, "a-exempt"),
        type: KINDS.Deployment,
        name: "a-exempt",
        inputs: exempt,
        dependencies: [],
    });
    return out;
}

/** Where the fixture workloads added to a real stack live; a deny-all NetworkPolicy there selects them. */
const FIXTURE_NAMESPACE = "policy-mutation-fixtures";

/** A compliant fixture of `kind`, as the fixture stack and the real-stack additions use it. */
function fixtureOf(kind: string, name: string, namespace: string): any {
    switch (kind) {
        case "Cluster":
            return cnpgCluster(name, namespace);
        case "Pooler":
            return cnpgPooler(name, namespace);
        case "Prometheus":
            return prometheus(name, namespace);
        case "Alertmanager":
            return alertmanager(name, namespace);
        case "NginxProxy":
            return nginxProxy(name, namespace);
        default:
            return workload(kind as (typeof WORKLOAD_KINDS)[number], podSpecWithAllLists(), name, namespace);
    }
}

function groupOf(type: string): string {
    const groupVersion = type.split(":")[1] ?? "";
    return groupVersion.slice(0, groupVersion.lastIndexOf("/"));
}

/** Kinds with no workload the mission policies judge (not exempt from either) in the resources. */
function missingKinds(resources: readonly RecordedLike[], config: PackConfig): string[] {
    const exemptions = Object.values(MUTATIONS).map(
        (policy) => [policy, resolvePolicyConfig(policyByName(policy), config).properties.exemptions] as const,
    );
    return Object.keys(KINDS).filter(
        (kind) =>
            !resources.some((r) => {
                if (r.type !== KINDS[kind]) return false;
                const o = kubeObject(r.type, r.inputs, r.name, r.urn);
                return (
                    o !== undefined &&
                    podTemplatesOf(o).length > 0 &&
                    exemptions.every(([policy, exempt]) => findExemption(policy, o, exempt).status === "none")
                );
            }),
    );
}

/**
 * The real stack plus one compliant fixture workload of each missing kind, in their own namespace with a NetworkPolicy.
 * A custom resource gets the parent and dependencies of a real resource of its API group, so it is ordered after
 * whatever installs its CRD, as the real ones are.
 */
function withFixtures(
    resources: readonly RecordedLike[],
    kinds: readonly string[],
): { resources: RecordedLike[]; added: string[] } {
    const out = [...resources];
    const added: string[] = [];
    const add = (type: string, name: string, inputs: any, like?: RecordedLike) => {
        const urn = urnOf(type, name);
        out.push({
            urn,
            type,
            name,
            inputs,
            state: clone(inputs),
            parent: like?.parent,
            dependencies: [...(like?.dependencies ?? [])],
        });
        added.push(urn);
    };
    for (const kind of kinds) {
        const like = resources.find((r) => groupOf(r.type) === groupOf(KINDS[kind]) && groupOf(r.type).includes("."));
        add(
            KINDS[kind],
            `mutation-fixture-${kind.toLowerCase()}`,
            fixtureOf(kind, `fixture-${kind.toLowerCase()}`, FIXTURE_NAMESPACE),
            like,
        );
    }
    if (kinds.length > 0) {
        add("kubernetes:networking.k8s.io/v1:NetworkPolicy", "mutation-fixture-default-deny", {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "default-deny", namespace: FIXTURE_NAMESPACE },
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        });
    }
    return { resources: out, added };
}

describe("mutation: the pack catches one broken workload of each kind", function () {
    this.timeout(600_000);

    describe("fixture stack (every kind)", () => {
        const resources = fixtureStack();
        const config = loadPackConfig("prod");
        const baseline = mandatoryKeys(resources, config);
        for (const kind of Object.keys(KINDS)) {
            for (const mutation of mutationsFor(kind)) {
                it(`${kind}: ${mutation} -> ${MUTATIONS[mutation]}`, () => {
                    expect(checkMutation(resources, config, baseline, kind, mutation)).to.equal(undefined);
                });
            }
        }
    });

    for (const stack of STACKS) {
        describe(`${stack} stack`, () => {
            let resources: RecordedLike[] = [];
            let added: string[] = [];
            let missing: string[] = [];
            let baseline = new Set<string>();

            before(function () {
                if (!harnessAvailable()) {
                    console.log(`      skipped: ${HARNESS_MISSING}`);
                    this.skip();
                }
            });

            before(async () => {
                const real = (await rendered(stack)).resources;
                missing = missingKinds(real, loadPackConfig(stack));
                ({ resources, added } = withFixtures(real, missing));
                baseline = mandatoryKeys(resources, loadPackConfig(stack));
            });

            it("adds compliant fixtures only for the kinds the stack lacks: the pack reports nothing on them", () => {
                console.log(`      fixtures added for: ${missing.join(", ") || "none"}`);
                expect(added.filter((urn) => !urn.includes("NetworkPolicy"))).to.have.length(missing.length);
                const onFixtures = runPack(resources, loadPackConfig(stack)).filter(
                    (v) => v.enforcementLevel === "mandatory" && added.includes(v.urn),
                );
                expect(onFixtures, formatViolations(onFixtures)).to.deep.equal([]);
            });

            for (const kind of Object.keys(KINDS)) {
                for (const mutation of mutationsFor(kind)) {
                    it(`${kind}: ${mutation} -> ${MUTATIONS[mutation]}`, () => {
                        expect(checkMutation(resources, loadPackConfig(stack), baseline, kind, mutation)).to.equal(
                            undefined,
                        );
                    });
                }
            }
        });
    }
});
