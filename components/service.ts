import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    configMapData,
    containerEnv,
    keyedDigest,
    rolloutAnnotations,
    SECRET_VALUES_ANNOTATION,
} from "../lib/service/env";
import { filesAnnotations, filesData } from "../lib/service/files";
import { serviceMonitorSpec } from "../lib/service/monitoring";
import { networkPolicySpec } from "../lib/service/network";
import { hpaSpec, pdbSpec } from "../lib/service/scaling";
import { resolveScaling, resolveServiceResources } from "../lib/service/settings";
import type { AppServiceArgs } from "../lib/service/plan";
import { waiverAnnotations } from "../lib/waivers";
import {
    deploymentSpec,
    migrationJobSpec,
    migrationLabels,
    migrationSelector,
    serviceLabels,
    serviceSelector,
    serviceSpec,
} from "../lib/service/workload";
import { withFormerTypes } from "../lib/aliases";

/**
 * One application service: Deployment (+ optional migration Job run before it rolls), settings ConfigMap (and
 * one for its config files),
 * ServiceAccount and ClusterIP Service named after the service, HPA or fixed replicas, PodDisruptionBudget,
 * NetworkPolicies and a ServiceMonitor.
 */
export class AppService extends pulumi.ComponentResource {
    /** Type token (permanent; the former one stays an alias, see FORMER_TYPES). */
    public static readonly TYPE = "stackwright:service:AppService";
    /** Tokens this component had before: aliases, so existing stacks keep their resources. */
    public static readonly FORMER_TYPES: readonly string[] = ["stackwright:app:Service"];

    /** Name of the Kubernetes Service and ServiceAccount: the service key (callers use http://<name>). */
    public readonly serviceName: string;
    public readonly deploymentName: pulumi.Output<string>;

    constructor(name: string, args: AppServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super(AppService.TYPE, name, {}, withFormerTypes(opts, AppService.FORMER_TYPES));
        const svc = args.service;
        const meshEnabled = args.meshEnabled;
        const labels = serviceLabels(name, svc);
        const metadata = { namespace: args.namespace, labels };
        const scaling = resolveScaling(svc, args.defaults);
        const resources = resolveServiceResources(svc, args.defaults);

        // Named after the service: Istio authorization refers to its principal (lib/topology servicePrincipal).
        const account = new k8s.core.v1.ServiceAccount(
            name,
            {
                metadata: { ...metadata, name },
                automountServiceAccountToken: svc.kubernetesApiAccess,
            },
            { parent: this },
        );
        const settings = new k8s.core.v1.ConfigMap(
            `${name}-settings`,
            { metadata, data: configMapData(svc, args.tracingEnv) },
            { parent: this },
        );
        // Values the user supplied as config secrets: a Secret of the service's own, and a keyed digest of them on
        // the pod template, so a changed value rolls exactly these pods.
        const suppliedValues = Object.keys(svc.secretValues).length > 0 ? svc.secretValues : undefined;
        const suppliedSecret = suppliedValues
            ? new k8s.core.v1.Secret(
                  `${name}-secret-values`,
                  { metadata, type: "Opaque", stringData: pulumi.secret(suppliedValues) },
                  { parent: this },
              )
            : undefined;
        // Config files: a ConfigMap of their own (settings keys are env var names, file keys derive from paths).
        const files =
            svc.files.length > 0
                ? new k8s.core.v1.ConfigMap(`${name}-files`, { metadata, data: filesData(svc.files) }, { parent: this })
                : undefined;
        const env = containerEnv(svc, {
            configMapName: settings.metadata.name,
            appCredentialsSecretName: args.appCredentialsSecretName,
            databaseSecretName: args.databaseSecretName,
            redisSecretName: args.redisSecretName,
            secretValuesSecretName: suppliedSecret?.metadata.name,
            tracingEnv: args.tracingEnv,
        });
        const podAnnotations: Record<string, pulumi.Input<string>> = {
            ...rolloutAnnotations(svc, args.credentialRotation, args.tracingEnv),
            ...filesAnnotations(svc.files),
            ...(suppliedValues
                ? {
                      [SECRET_VALUES_ANNOTATION]: pulumi
                          .output(args.secretValuesDigestKey)
                          .apply((key) => keyedDigest(key, suppliedValues)),
                  }
                : {}),
        };
        const podArgs = {
            name,
            svc,
            resources,
            env,
            serviceAccountName: account.metadata.name,
            filesConfigMapName: files?.metadata.name,
        };

        const policy = new k8s.networking.v1.NetworkPolicy(
            name,
            {
                metadata,
                spec: networkPolicySpec(serviceSelector(name), args.traffic),
            },
            { parent: this },
        );

        const rollsAfter: pulumi.Resource[] = [policy];
        if (svc.migration) {
            const migrationPolicy = new k8s.networking.v1.NetworkPolicy(
                `${name}-migration`,
                {
                    metadata: { namespace: args.namespace, labels: migrationLabels(name, svc) },
                    spec: networkPolicySpec(migrationSelector(name), {
                        ingress: args.traffic.migrationIngress,
                        egress: args.traffic.migrationEgress,
                    }),
                },
                { parent: this },
            );
            // A Job's spec.template is immutable. The Job is auto-named, and any spec change (new image, env,
            // command) replaces it: a new Job is created, so the migration runs again with the new image, and
            // the old one is deleted. Pulumi waits for the Job to complete, and the Deployment depends on it,
            // so pods of a new version start only after their migration succeeded. Migrations must therefore
            // be idempotent (they also re-run if the finished Job, deleted by ttlSecondsAfterFinished, is
            // recreated after a `pulumi refresh`).
            const job = new k8s.batch.v1.Job(
                `${name}-migration`,
                {
                    metadata: { namespace: args.namespace, labels: migrationLabels(name, svc) },
                    spec: migrationJobSpec({ ...podArgs, podAnnotations }),
                },
                {
                    parent: this,
                    dependsOn: [migrationPolicy, ...(args.migrationDependsOn ?? [])],
                    replaceOnChanges: ["spec"],
                },
            );
            rollsAfter.push(job);
        }

        const deployment = new k8s.apps.v1.Deployment(
            name,
            {
                metadata: { ...metadata, annotations: waiverAnnotations(args.singleReplicaWaiver) },
                spec: deploymentSpec({
                    ...podArgs,
                    podAnnotations,
                    replicas: scaling.replicas,
                    zoneSpreadRequired: args.defaults.zoneSpreadRequired,
                }),
            },
            { parent: this, dependsOn: rollsAfter },
        );
        this.deploymentName = deployment.metadata.name;

        if (svc.ports.length > 0) {
            new k8s.core.v1.Service(
                name,
                { metadata: { ...metadata, name }, spec: serviceSpec(name, svc) },
                { parent: this },
            );
        }
        if (scaling.autoscaling) {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                name,
                {
                    metadata,
                    spec: hpaSpec(deployment.metadata.name, scaling.autoscaling, args.requestsPerSecondMetric),
                },
                { parent: this },
            );
        }
        if (scaling.maxReplicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(
                name,
                { metadata, spec: pdbSpec(serviceSelector(name)) },
                { parent: this },
            );
        }
        if (args.monitoring && svc.metrics) {
            new k8s.apiextensions.CustomResource(
                name,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata,
                    spec: serviceMonitorSpec(name, args.namespace, svc.metrics, meshEnabled),
                },
                { parent: this, dependsOn: args.monitoring.dependsOn },
            );
        }

        this.serviceName = name;
        this.registerOutputs({ serviceName: this.serviceName, deploymentName: this.deploymentName });
    }
}
