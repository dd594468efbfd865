/**
 * Every metric name the stack's rules and dashboards may query, grouped by the exporter that produces it.
 * Names were checked against the exporters' own sources (kube-state-metrics docs, CloudNativePG's
 * default-monitoring queries and pgbouncer collector, the Barman Cloud plugin's metrics, oliver006/redis_exporter,
 * podinfo's middleware, Istio's standard metrics, Grafana Alloy's loki.write). Tests check every rule expression and dashboard query against this list, so a typo or a
 * metric an exporter does not have fails in CI instead of drawing an empty panel or a silent alert.
 */

export type MetricSource =
    | "prometheus"
    | "kubeStateMetrics"
    | "kubelet"
    | "cadvisor"
    | "nodeExporter"
    | "serviceContract"
    | "cnpg"
    | "cnpgPooler"
    | "barmanCloudPlugin"
    | "redisExporter"
    | "istio"
    | "alloy"
    | "stackwrightRecordingRules";

/**
 * The metrics every app service must export on its metrics port/path (podinfo, the default image, does).
 * Prometheus Operator adds `namespace`, `service`, `pod`, `container`, `endpoint`, `job` to every series scraped
 * through a ServiceMonitor; the rules group by `namespace` and `service`.
 */
export const SERVICE_METRIC_CONTRACT = {
    /** Counter of finished HTTP requests. `status` is the numeric HTTP status code ("200", "503"). */
    requestsTotal: { name: "http_requests_total", type: "counter", labels: ["status"] },
    /** Histogram of request durations in seconds (default Prometheus buckets are fine; must include 0.1-1 s). */
    requestDurationSeconds: {
        name: "http_request_duration_seconds",
        type: "histogram",
        labels: ["method", "path", "status"],
    },
} as const;

/** Recording rules this project defines (lib/monitoring/alert-rules.ts, recordingRuleGroups). */
export const RECORDING_RULE_NAMES = {
    requestRate: "namespace_service:http_requests:rate5m",
    errorRatio: "namespace_service:http_requests_errors:ratio_rate5m",
    latencyP95: "namespace_service:http_request_duration_seconds:p95_5m",
} as const;

export const METRICS_CATALOG: Readonly<Record<MetricSource, readonly string[]>> = {
    // Produced by Prometheus itself: scrape health and the alert state series.
    prometheus: ["up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped"],
    kubeStateMetrics: [
        "kube_pod_info",
        "kube_pod_status_phase",
        "kube_pod_status_ready",
        "kube_pod_container_info",
        "kube_pod_container_status_restarts_total",
        "kube_pod_container_status_waiting_reason",
        "kube_pod_container_status_terminated_reason",
        "kube_pod_container_status_last_terminated_reason",
        "kube_pod_container_resource_requests",
        "kube_pod_container_resource_limits",
        "kube_deployment_spec_replicas",
        "kube_deployment_status_replicas",
        "kube_deployment_status_replicas_available",
        "kube_deployment_status_replicas_unavailable",
        "kube_deployment_status_replicas_updated",
        "kube_deployment_metadata_generation",
        "kube_deployment_status_observed_generation",
        "kube_statefulset_replicas",
        "kube_statefulset_status_replicas_ready",
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "kube_horizontalpodautoscaler_spec_min_replicas",
        "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_horizontalpodautoscaler_status_desired_replicas",
        "kube_persistentvolumeclaim_info",
        "kube_persistentvolumeclaim_resource_requests_storage_bytes",
        "kube_persistentvolumeclaim_status_phase",
        "kube_cronjob_info",
        "kube_cronjob_created",
        "kube_cronjob_next_schedule_time",
        "kube_cronjob_spec_suspend",
        "kube_cronjob_status_active",
        "kube_cronjob_status_last_schedule_time",
        "kube_cronjob_status_last_successful_time",
        "kube_job_info",
        "kube_job_owner",
        "kube_job_created",
        "kube_job_complete",
        "kube_job_failed",
        "kube_job_status_active",
        "kube_job_status_failed",
        "kube_job_status_succeeded",
        "kube_job_status_start_time",
        "kube_job_status_completion_time",
    ],
    // Kubelet's own /metrics endpoint (volume stats carry `namespace` and `persistentvolumeclaim`).
    kubelet: [
        "kubelet_volume_stats_available_bytes",
        "kubelet_volume_stats_capacity_bytes",
        "kubelet_volume_stats_used_bytes",
        "kubelet_volume_stats_inodes",
        "kubelet_volume_stats_inodes_used",
    ],
    // Kubelet's /metrics/cadvisor endpoint (`container=""` rows are pod-level cgroups; filter them out).
    cadvisor: [
        "container_cpu_usage_seconds_total",
        "container_cpu_cfs_periods_total",
        "container_cpu_cfs_throttled_periods_total",
        "container_memory_working_set_bytes",
        "container_memory_rss",
        "container_oom_events_total",
        "container_network_receive_bytes_total",
        "container_network_transmit_bytes_total",
    ],
    nodeExporter: [
        "node_cpu_seconds_total",
        "node_load1",
        "node_memory_MemAvailable_bytes",
        "node_memory_MemTotal_bytes",
        "node_filesystem_avail_bytes",
        "node_filesystem_size_bytes",
        "node_network_receive_bytes_total",
        "node_network_transmit_bytes_total",
    ],
    serviceContract: [
        SERVICE_METRIC_CONTRACT.requestsTotal.name,
        `${SERVICE_METRIC_CONTRACT.requestDurationSeconds.name}_bucket`,
        `${SERVICE_METRIC_CONTRACT.requestDurationSeconds.name}_count`,
        `${SERVICE_METRIC_CONTRACT.requestDurationSeconds.name}_sum`,
    ],
    // CloudNativePG instance exporter (port 9187): built-in collector metrics plus the default-monitoring queries
    // (`cnpg_<query>_<column>`).
    cnpg: [
        "cnpg_collector_up",
        "cnpg_collector_last_collection_error",
        "cnpg_collector_postgres_version",
        "cnpg_collector_nodes_used",
        "cnpg_collector_fencing_on",
        "cnpg_collector_manual_switchover_required",
        "cnpg_collector_sync_replicas",
        "cnpg_collector_replica_mode",
        "cnpg_collector_pg_wal",
        "cnpg_collector_pg_wal_archive_status",
        "cnpg_collector_last_available_backup_timestamp",
        "cnpg_collector_last_failed_backup_timestamp",
        "cnpg_collector_first_recoverability_point",
        "cnpg_backends_total",
        "cnpg_backends_max_tx_duration_seconds",
        "cnpg_backends_waiting_total",
        "cnpg_pg_database_size_bytes",
        "cnpg_pg_database_xid_age",
        "cnpg_pg_postmaster_start_time",
        "cnpg_pg_replication_lag",
        "cnpg_pg_replication_in_recovery",
        "cnpg_pg_replication_is_wal_receiver_up",
        "cnpg_pg_replication_streaming_replicas",
        "cnpg_pg_replication_slots_active",
        "cnpg_pg_replication_slots_pg_wal_lsn_diff",
        "cnpg_pg_stat_archiver_archived_count",
        "cnpg_pg_stat_archiver_failed_count",
        "cnpg_pg_stat_archiver_seconds_since_last_archival",
        "cnpg_pg_stat_archiver_last_archived_time",
        "cnpg_pg_stat_archiver_last_failed_time",
        "cnpg_pg_stat_archiver_seconds_since_last_failure",
        "cnpg_pg_stat_database_xact_commit",
        "cnpg_pg_stat_database_xact_rollback",
        "cnpg_pg_stat_database_blks_hit",
        "cnpg_pg_stat_database_blks_read",
        "cnpg_pg_stat_database_deadlocks",
        "cnpg_pg_stat_database_temp_bytes",
        "cnpg_pg_stat_replication_replay_lag_seconds",
        "cnpg_pg_settings_setting",
    ],
    // CloudNativePG Pooler (PgBouncer) exporter.
    cnpgPooler: [
        "cnpg_pgbouncer_up",
        "cnpg_pgbouncer_last_collection_error",
        "cnpg_pgbouncer_pools_cl_active",
        "cnpg_pgbouncer_pools_cl_waiting",
        "cnpg_pgbouncer_pools_sv_active",
        "cnpg_pgbouncer_pools_sv_idle",
        "cnpg_pgbouncer_pools_sv_used",
        "cnpg_pgbouncer_pools_maxwait",
    ],
    // Barman Cloud CNPG-I plugin (v0.6.0+), exported through the instance's own exporter (port 9187). They replace
    // cnpg_collector_{last_available_backup_timestamp,...}, which CloudNativePG does not set for plugin backups.
    barmanCloudPlugin: [
        "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp",
        "barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp",
        "barman_cloud_cloudnative_pg_io_first_recoverability_point",
    ],
    // oliver006/redis_exporter (works unchanged against Valkey).
    redisExporter: [
        "redis_up",
        "redis_instance_info",
        "redis_uptime_in_seconds",
        "redis_memory_used_bytes",
        "redis_memory_max_bytes",
        "redis_mem_fragmentation_ratio",
        "redis_connected_clients",
        "redis_blocked_clients",
        "redis_config_maxclients",
        "redis_rejected_connections_total",
        "redis_commands_processed_total",
        "redis_keyspace_hits_total",
        "redis_keyspace_misses_total",
        "redis_evicted_keys_total",
        "redis_expired_keys_total",
        "redis_db_keys",
        "redis_connected_slaves",
        "redis_master_link_up",
        "redis_net_input_bytes_total",
        "redis_net_output_bytes_total",
        "redis_rdb_last_save_timestamp_seconds",
        "redis_rdb_last_bgsave_status",
        "redis_rdb_changes_since_last_save",
        "redis_aof_enabled",
    ],
    // Istio standard metrics (sidecars and gateways).
    istio: [
        "istio_requests_total",
        "istio_request_duration_milliseconds_bucket",
        "istio_request_duration_milliseconds_count",
        "istio_request_duration_milliseconds_sum",
        "istio_tcp_connections_opened_total",
        "istio_tcp_connections_closed_total",
    ],
    // Grafana Alloy's loki.write (entries Loki accepted).
    alloy: ["loki_write_sent_entries_total"],
    stackwrightRecordingRules: Object.values(RECORDING_RULE_NAMES),
};

/** All catalogued metric names. */
export function knownMetricNames(): ReadonlySet<string> {
    return new Set(Object.values(METRICS_CATALOG).flat());
}
