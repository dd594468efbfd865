/**
 * Alertmanager configuration as plain data (alertmanager.yml / kube-prometheus-stack `alertmanager.config`).
 * Pure: endpoint URLs come in as plain strings. They are secrets, so the monitoring component resolves them inside
 * `pulumi.all([...]).apply(...)` and stores the result only in a secret (Secret data or secret chart values).
 *
 * Routing: one receiver per severity under a `null` root, so a stack without any endpoint still has a valid
 * config (alerts are visible in the Alertmanager UI and Grafana, nothing is sent anywhere).
 */
import * as yaml from "js-yaml";

export const NULL_RECEIVER = "null";
export const CRITICAL_RECEIVER = "critical";
export const WARNING_RECEIVER = "warning";

export interface AlertmanagerConfigArgs {
    /** Generic webhook (receives every critical and warning alert). */
    readonly webhookUrl?: string;
    /** Slack incoming-webhook URL. */
    readonly slackWebhookUrl?: string;
    /** Slack channel, with or without '#'. @default "#alerts" */
    readonly slackChannel?: string;
    /** Shown in notification titles so several environments can share one channel. @default "" */
    readonly environment?: string;
    /** @default ["alertname", "namespace", "service"] */
    readonly groupBy?: readonly string[];
    /** @default 30 */
    readonly groupWaitSeconds?: number;
    /** @default 10 */
    readonly criticalGroupWaitSeconds?: number;
    /** @default 5 */
    readonly groupIntervalMinutes?: number;
    /** How often a still-firing warning is re-sent. @default 12 */
    readonly warningRepeatIntervalHours?: number;
    /** How often a still-firing critical alert is re-sent. @default 1 */
    readonly criticalRepeatIntervalHours?: number;
    /**
     * Labels that must be equal for a critical alert to silence the matching warning. Labels missing on both sides
     * count as equal, so the object labels are listed too: a full volume must not silence a warning on another one.
     * @default ["alertname", "namespace", "service", "pod", "container", "persistentvolumeclaim", "cronjob", "deployment"]
     */
    readonly inhibitEqualLabels?: readonly string[];
    /** @default true */
    readonly sendResolved?: boolean;
    /** @default 5 */
    readonly resolveTimeoutMinutes?: number;
}

export interface WebhookConfig {
    readonly url: string;
    readonly send_resolved: boolean;
    readonly max_alerts: number;
}

export interface SlackConfig {
    readonly api_url: string;
    readonly channel: string;
    readonly send_resolved: boolean;
    readonly title: string;
    readonly text: string;
}

export interface Receiver {
    readonly name: string;
    readonly webhook_configs?: readonly WebhookConfig[];
    readonly slack_configs?: readonly SlackConfig[];
}

export interface Route {
    readonly receiver: string;
    readonly matchers?: readonly string[];
    readonly group_by?: readonly string[];
    readonly group_wait?: string;
    readonly group_interval?: string;
    readonly repeat_interval?: string;
    readonly continue?: boolean;
    readonly routes?: readonly Route[];
}

export interface InhibitRule {
    readonly source_matchers: readonly string[];
    readonly target_matchers: readonly string[];
    readonly equal: readonly string[];
}

export interface AlertmanagerConfig {
    readonly global: { readonly resolve_timeout: string };
    readonly route: Route;
    readonly inhibit_rules: readonly InhibitRule[];
    readonly receivers: readonly Receiver[];
    readonly templates: readonly string[];
}

export const DEFAULT_INHIBIT_EQUAL_LABELS = [
    "alertname",
    "namespace",
    "service",
    "pod",
    "container",
    "persistentvolumeclaim",
    "cronjob",
    "deployment",
] as const;

export function alertmanagerConfig(args: AlertmanagerConfigArgs = {}): AlertmanagerConfig {
    const sendResolved = args.sendResolved ?? true;
    const groupBy = args.groupBy ?? ["alertname", "namespace", "service"];
    const environment = args.environment ?? "";
    const slackChannel = normaliseChannel(args.slackChannel ?? "#alerts");
    // An empty string (an unset optional secret) means "no endpoint".
    const webhookUrl = args.webhookUrl?.trim() || undefined;
    const slackWebhookUrl = args.slackWebhookUrl?.trim() || undefined;
    validateUrl("webhookUrl", webhookUrl);
    validateUrl("slackWebhookUrl", slackWebhookUrl);
    for (const [key, value] of Object.entries(args)) {
        if (typeof value === "number" && !(Number.isFinite(value) && value > 0)) {
            throw new Error(`alertmanager: ${key} must be a positive number, got ${value}`);
        }
    }

    const receiver = (name: string): Receiver => {
        const prefix = environment ? `[${environment}] ` : "";
        const webhook: WebhookConfig[] = webhookUrl
            ? [{ url: webhookUrl, send_resolved: sendResolved, max_alerts: 0 }]
            : [];
        const slack: SlackConfig[] = slackWebhookUrl
            ? [
                  {
                      api_url: slackWebhookUrl,
                      channel: slackChannel,
                      send_resolved: sendResolved,
                      title:
                          `${prefix}[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] ` +
                          "{{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
                      text:
                          "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}" +
                          "{{ if .Annotations.runbook_url }}\nRunbook: {{ .Annotations.runbook_url }}{{ end }}\n{{ end }}",
                  },
              ]
            : [];
        return {
            name,
            ...(webhook.length ? { webhook_configs: webhook } : {}),
            ...(slack.length ? { slack_configs: slack } : {}),
        };
    };

    return {
        global: { resolve_timeout: `${args.resolveTimeoutMinutes ?? 5}m` },
        route: {
            receiver: NULL_RECEIVER,
            group_by: groupBy,
            group_wait: `${args.groupWaitSeconds ?? 30}s`,
            group_interval: `${args.groupIntervalMinutes ?? 5}m`,
            repeat_interval: `${args.warningRepeatIntervalHours ?? 12}h`,
            routes: [
                // kube-prometheus-stack's always-firing heartbeat and its info-inhibitor are not for humans.
                { receiver: NULL_RECEIVER, matchers: ['alertname=~"Watchdog|InfoInhibitor"'] },
                {
                    receiver: CRITICAL_RECEIVER,
                    matchers: ['severity="critical"'],
                    group_wait: `${args.criticalGroupWaitSeconds ?? 10}s`,
                    repeat_interval: `${args.criticalRepeatIntervalHours ?? 1}h`,
                },
                {
                    receiver: WARNING_RECEIVER,
                    matchers: ['severity="warning"'],
                    repeat_interval: `${args.warningRepeatIntervalHours ?? 12}h`,
                },
            ],
        },
        inhibit_rules: [
            {
                source_matchers: ['severity="critical"'],
                target_matchers: ['severity="warning"'],
                equal: args.inhibitEqualLabels ?? [...DEFAULT_INHIBIT_EQUAL_LABELS],
            },
            // kube-prometheus-stack's InfoInhibitor: info alerts only matter next to a warning or critical one.
            {
                source_matchers: ['alertname="InfoInhibitor"'],
                target_matchers: ['severity="info"'],
                equal: ["namespace"],
            },
        ],
        receivers: [{ name: NULL_RECEIVER }, receiver(CRITICAL_RECEIVER), receiver(WARNING_RECEIVER)],
        templates: [],
    };
}

/** YAML text of a config (what Alertmanager reads from alertmanager.yaml). */
export function toYaml(config: AlertmanagerConfig): string {
    return yaml.dump(config, { noRefs: true, lineWidth: -1, sortKeys: false });
}

function normaliseChannel(channel: string): string {
    const trimmed = channel.trim();
    if (!/^#?[a-z0-9][a-z0-9._-]{0,79}$/.test(trimmed)) {
        throw new Error(`alertmanager: "${channel}" is not a Slack channel name`);
    }
    return trimmed.startsWith("#") ? trimmed : `#${trimmed}`;
}

function validateUrl(key: string, value: string | undefined): void {
    if (value === undefined) return;
    let parsed: URL;
    try {
        parsed = new URL(value);
    } catch {
        // Never echo the value: it is a secret.
        throw new Error(`alertmanager: ${key} is not a valid URL`);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
        throw new Error(`alertmanager: ${key} must be an http(s) URL`);
    }
}
