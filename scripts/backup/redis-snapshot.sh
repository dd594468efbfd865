#!/usr/bin/env bash
# redis-snapshot.sh: point-in-time RDB snapshot of a Redis/Valkey server, copied off the pod.
#
# The source: with REDIS_SENTINELS set, the Sentinels choose it at run time (a failover may have
# made any node the primary): the most up-to-date replica whose Sentinel flags are exactly "slave"
# (not s_down, o_down, disconnected or mid-failover) and whose master-link-status is ok, so the
# fork happens on a replica, not the primary; the primary (SENTINEL GET-MASTER-ADDR-BY-NAME) only
# when no replica is healthy. The first Sentinel that answers decides; the log names the node
# used. Without REDIS_SENTINELS, REDIS_HOST is snapshotted. Two modes:
#   rdb     (default) `$REDIS_CLI --rdb <file>`: the server forks (as for a replica full sync) and
#           streams a consistent RDB to us; works remotely, needs an ACL user allowed to SYNC.
#   bgsave  BGSAVE, wait on INFO persistence until it finished OK, then copy REDIS_RDB_PATH, which
#           must be the server's own dump file reachable from here (e.g. a sidecar sharing the volume).
# A replica whose link to the primary is down is refused: its data may be stale (and it would
# refuse the --rdb sync anyway); point REDIS_HOST at the primary while replicas are broken. The RDB is checked (magic header, and the server's check-rdb tool
# when present), written as a hidden *.partial file, fsynced and renamed, with "<artifact>.sha256"
# and "<artifact>.manifest.json"; then GFS retention (retention.sh) and
# BACKUP_DIR/<REDIS_BACKUP_NAME>/last-success. The password is passed to the CLI through the
# environment (VALKEYCLI_AUTH / REDISCLI_AUTH), never on the command line.
#
# Environment:
#   REDIS_SENTINELS                  (default empty) "host:port host:port" (commas allowed) of the
#                                    Sentinels, asked with REDIS_PASSWORD; overrides REDIS_HOST/PORT
#   REDIS_MASTER_NAME                (default mymaster) Sentinel master name
#   REDIS_HOST                       (default 127.0.0.1) server to snapshot without Sentinels
#   REDIS_PORT                       (default 6379)
#   REDIS_PASSWORD                   (default empty) password (AUTH); empty = no AUTH
#   REDIS_USER                       (default empty) ACL user name, used with REDIS_PASSWORD
#   REDIS_CLI                        (default valkey-cli) CLI binary (redis-cli works too)
#   REDIS_CLI_EXTRA_ARGS             (default empty) extra CLI arguments, split on whitespace
#                                    (e.g. "--tls --cacert /tls/ca.crt")
#   REDIS_CHECK_RDB                  (default auto) RDB checker: auto = <cli name>-check-rdb
#                                    (valkey-check-rdb / redis-check-rdb) when on PATH; "none" = skip;
#                                    anything else = that command
#   REDIS_SNAPSHOT_MODE              (default rdb) rdb | bgsave
#   REDIS_RDB_PATH                   (bgsave mode, required) local path of the server's RDB file
#   REDIS_SNAPSHOT_TIMEOUT_SECONDS   (default 1800) limit for the transfer / BGSAVE
#   REDIS_BACKUP_NAME                (default redis) set name: files go to BACKUP_DIR/<name>/
#   BACKUP_DIR                       (default /backups)
#   RETAIN_DAILY / RETAIN_WEEKLY / RETAIN_MONTHLY   (default 7 / 4 / 12) see retention.sh
#
# Exit codes: 0 snapshot written; 1 snapshot failed (unreachable, auth, no Sentinel answered,
# stale replica, BGSAVE error, timeout, retention); 2 bad configuration; 3 the RDB failed its check.
set -euo pipefail
umask 077

SCRIPT_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/retention.sh"
LOG_TAG=redis-snapshot

REDIS_SENTINELS=${REDIS_SENTINELS:-}
REDIS_MASTER_NAME=${REDIS_MASTER_NAME:-mymaster}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_PASSWORD=${REDIS_PASSWORD:-}
REDIS_USER=${REDIS_USER:-}
REDIS_CLI=${REDIS_CLI:-valkey-cli}
REDIS_CLI_EXTRA_ARGS=${REDIS_CLI_EXTRA_ARGS:-}
REDIS_CHECK_RDB=${REDIS_CHECK_RDB:-auto}
REDIS_SNAPSHOT_MODE=${REDIS_SNAPSHOT_MODE:-rdb}
REDIS_RDB_PATH=${REDIS_RDB_PATH:-}
REDIS_SNAPSHOT_TIMEOUT_SECONDS=${REDIS_SNAPSHOT_TIMEOUT_SECONDS:-1800}
REDIS_BACKUP_NAME=${REDIS_BACKUP_NAME:-redis}
BACKUP_DIR=${BACKUP_DIR:-/backups}

CLI_ARGS=()
EXTRA_CLI_ARGS=()

# cli ARGS...: the CLI with connection settings; the password travels in the environment only.
cli() {
    VALKEYCLI_AUTH=$REDIS_PASSWORD REDISCLI_AUTH=$REDIS_PASSWORD \
        "$REDIS_CLI" "${CLI_ARGS[@]}" "$@"
}

# info_field TEXT FIELD: value of "field:value" in INFO output.
info_field() {
    local line
    while IFS= read -r line; do
        line=${line%$'\r'}
        if [[ $line == "$2:"* ]]; then
            printf '%s\n' "${line#*:}"
            return 0
        fi
    done <<<"$1"
    return 1
}

# redis_info SECTION: INFO output, failing on errors (the CLI exits 0 on error replies).
redis_info() {
    local out
    out=$(timeout 60 env VALKEYCLI_AUTH="$REDIS_PASSWORD" REDISCLI_AUTH="$REDIS_PASSWORD" \
        "$REDIS_CLI" "${CLI_ARGS[@]}" INFO "$1") || return 1
    [[ $out == *"# "* ]] || {
        log "INFO $1 failed: ${out:0:200}"
        return 1
    }
    printf '%s\n' "$out"
}

# sentinel_cli HOST PORT ARGS...: bounded call to a Sentinel; -e makes an error reply fail it.
sentinel_cli() {
    local host=$1 port=$2
    shift 2
    timeout 10 env VALKEYCLI_AUTH="$REDIS_PASSWORD" REDISCLI_AUTH="$REDIS_PASSWORD" \
        "$REDIS_CLI" -h "$host" -p "$port" --no-auth-warning -e "${EXTRA_CLI_ARGS[@]}" "$@"
}

# healthy_replica FLAGS LINK: Sentinel sees the replica as nothing but a replica (no s_down, o_down,
# disconnected, promoted or reconf_* flag) and reports its link to the primary ok.
healthy_replica() {
    [[ $1 == slave && $2 == ok ]]
}

# pick_replica REPLY: "host port" of the healthy replica with the highest replication offset in a
# SENTINEL REPLICAS reply (one line per element: key, value, key, ...; each replica starts with
# "name"), nothing when there is none.
pick_replica() {
    local -a lines
    local i n ip='' port='' flags='' link='' offset='' best='' best_offset=-1
    mapfile -t lines <<<"${1//$'\r'/}"
    n=${#lines[@]}
    for ((i = 0; ; i += 2)); do
        if ((i >= n)) || [[ ${lines[i]} == name ]]; then
            if [[ -n $ip && $port =~ ^[0-9]+$ ]] && healthy_replica "$flags" "$link"; then
                [[ $offset =~ ^[0-9]+$ ]] || offset=0
                if ((offset > best_offset)); then
                    best="$ip $port"
                    best_offset=$offset
                fi
            fi
            ((i < n)) || break
            ip='' port='' flags='' link='' offset=''
        fi
        case ${lines[i]} in
            ip) ip=${lines[i + 1]:-} ;;
            port) port=${lines[i + 1]:-} ;;
            flags) flags=${lines[i + 1]:-} ;;
            master-link-status) link=${lines[i + 1]:-} ;;
            slave-repl-offset) offset=${lines[i + 1]:-} ;;
        esac
    done
    [[ -z $best ]] || printf '%s\n' "$best"
}

# choose_source_via_sentinel: sets REDIS_HOST/REDIS_PORT to a healthy replica of REDIS_MASTER_NAME,
# else to its primary, as the first Sentinel that answers reports them.
choose_source_via_sentinel() {
    local -a addresses parts
    local address host port reply primary replica
    read -r -a addresses <<<"${REDIS_SENTINELS//,/ }"
    for address in "${addresses[@]}"; do
        host=${address%:*}
        port=${address##*:}
        reply=$(sentinel_cli "$host" "$port" SENTINEL GET-MASTER-ADDR-BY-NAME "$REDIS_MASTER_NAME" 2>&1) || {
            warn "Sentinel $address did not answer: ${reply:0:200}"
            continue
        }
        mapfile -t parts <<<"${reply//$'\r'/}"
        if [[ ${#parts[@]} -ne 2 || -z ${parts[0]} || ! ${parts[1]} =~ ^[0-9]+$ ]]; then
            warn "Sentinel $address does not know master $REDIS_MASTER_NAME: ${reply:0:200}"
            continue
        fi
        primary="${parts[0]} ${parts[1]}"
        reply=$(sentinel_cli "$host" "$port" SENTINEL REPLICAS "$REDIS_MASTER_NAME" 2>&1) || {
            warn "Sentinel $address: SENTINEL REPLICAS failed: ${reply:0:200}"
            continue
        }
        replica=$(pick_replica "$reply")
        if [[ -n $replica ]]; then
            read -r REDIS_HOST REDIS_PORT <<<"$replica"
            log "Sentinel $address: using healthy replica $REDIS_HOST:$REDIS_PORT of $REDIS_MASTER_NAME"
        else
            read -r REDIS_HOST REDIS_PORT <<<"$primary"
            log "Sentinel $address: no healthy replica of $REDIS_MASTER_NAME; falling back to the primary $REDIS_HOST:$REDIS_PORT"
        fi
        return 0
    done
    die "$EXIT_FAILURE" "no Sentinel of '$REDIS_SENTINELS' reported master $REDIS_MASTER_NAME"
}

snapshot_rdb_mode() {
    local out=$1
    log "requesting a point-in-time RDB from $REDIS_HOST:$REDIS_PORT (--rdb)"
    run_child timeout "$REDIS_SNAPSHOT_TIMEOUT_SECONDS" env VALKEYCLI_AUTH="$REDIS_PASSWORD" REDISCLI_AUTH="$REDIS_PASSWORD" \
        "$REDIS_CLI" "${CLI_ARGS[@]}" --rdb "$out" >&2 || die "$EXIT_FAILURE" "$REDIS_CLI --rdb failed"
}

snapshot_bgsave_mode() {
    local out=$1 info saves_before last_before reply deadline in_progress status
    [[ -f $REDIS_RDB_PATH ]] || warn "REDIS_RDB_PATH $REDIS_RDB_PATH does not exist yet"
    info=$(redis_info persistence) || die "$EXIT_FAILURE" "INFO persistence failed"
    saves_before=$(info_field "$info" rdb_saves || echo '')
    last_before=$(info_field "$info" rdb_last_save_time) || die "$EXIT_FAILURE" "no rdb_last_save_time in INFO"
    deadline=$(($(date -u +%s) + REDIS_SNAPSHOT_TIMEOUT_SECONDS))
    # A save already running (e.g. for a replica sync) makes BGSAVE fail: wait and retry.
    while :; do
        reply=$(cli BGSAVE 2>&1) || die "$EXIT_FAILURE" "BGSAVE failed: $reply"
        case $reply in
            *"Background saving started"* | *"Background saving scheduled"*) break ;;
            *"in progress"*) log "a save is in progress; retrying BGSAVE" ;;
            *) die "$EXIT_FAILURE" "BGSAVE failed: $reply" ;;
        esac
        (($(date -u +%s) < deadline)) || die "$EXIT_FAILURE" "timed out waiting to start BGSAVE"
        sleep 1
    done
    log "BGSAVE started on $REDIS_HOST:$REDIS_PORT; waiting for it to finish"
    while :; do
        (($(date -u +%s) < deadline)) || die "$EXIT_FAILURE" "BGSAVE did not finish within ${REDIS_SNAPSHOT_TIMEOUT_SECONDS}s"
        sleep 1
        info=$(redis_info persistence) || die "$EXIT_FAILURE" "INFO persistence failed"
        in_progress=$(info_field "$info" rdb_bgsave_in_progress) || in_progress=1
        [[ $in_progress == 0 ]] || continue
        if [[ -n $saves_before ]]; then
            [[ $(info_field "$info" rdb_saves) != "$saves_before" ]] || continue
        else
            [[ $(info_field "$info" rdb_last_save_time) != "$last_before" ]] || continue
        fi
        status=$(info_field "$info" rdb_last_bgsave_status) || status=unknown
        [[ $status == ok ]] || die "$EXIT_FAILURE" "BGSAVE finished with status '$status' (see the server log)"
        break
    done
    # The server renames a finished dump into place, so this copy reads one complete file.
    cp -- "$REDIS_RDB_PATH" "$out" || die "$EXIT_FAILURE" "cannot copy $REDIS_RDB_PATH"
}

# check_rdb FILE: prints the key count reported by the checker ("null" when unknown).
check_rdb() {
    local file=$1 magic checker report key_count='null' line
    magic=$(head -c 6 -- "$file" | tr -dc '[:upper:]')
    [[ $magic == REDIS* || $magic == VALKEY ]] || die "$EXIT_INTEGRITY" "$file is not an RDB file (header '$magic')"
    checker=$REDIS_CHECK_RDB
    if [[ $checker == auto ]]; then
        checker="${REDIS_CLI##*/}"
        checker="${checker%-cli}-check-rdb"
        command -v -- "$checker" >/dev/null 2>&1 || checker=none
    fi
    if [[ $checker == none ]]; then
        log "no RDB checker available; checked the header only"
    else
        report=$(timeout "$REDIS_SNAPSHOT_TIMEOUT_SECONDS" "$checker" "$file" 2>&1) ||
            {
                printf '%s\n' "$report" >&2
                die "$EXIT_INTEGRITY" "$checker rejected the snapshot"
            }
        while IFS= read -r line; do
            if [[ $line =~ \[info\]\ ([0-9]+)\ keys\ read ]]; then
                key_count=${BASH_REMATCH[1]}
            fi
        done <<<"$report"
        log "$checker: RDB OK, $key_count keys"
    fi
    printf '%s\n' "$key_count"
}

snapshot() {
    local started stamp artifact set_dir final tmp info role link='' version size digest keys cli_version
    started=$(date -u +%s)
    stamp=$(utc_stamp "$started")
    set_dir=$BACKUP_DIR/$REDIS_BACKUP_NAME
    artifact="$REDIS_BACKUP_NAME-$stamp.rdb"
    final=$set_dir/$artifact
    tmp=$set_dir/.$artifact.partial

    local pong
    pong=$(timeout 60 env VALKEYCLI_AUTH="$REDIS_PASSWORD" REDISCLI_AUTH="$REDIS_PASSWORD" \
        "$REDIS_CLI" "${CLI_ARGS[@]}" PING 2>&1) || true
    [[ $pong == PONG ]] || die "$EXIT_FAILURE" "cannot reach $REDIS_HOST:$REDIS_PORT: ${pong:0:300}"

    info=$(redis_info replication) || die "$EXIT_FAILURE" "INFO replication failed"
    role=$(info_field "$info" role) || role=unknown
    if [[ $role == slave || $role == replica ]]; then
        link=$(info_field "$info" master_link_status) || link=unknown
        [[ $link == up ]] ||
            die "$EXIT_FAILURE" "replica $REDIS_HOST:$REDIS_PORT has master_link_status:$link; its data may be stale, not snapshotting it (use the primary)"
    fi
    info=$(redis_info server) || die "$EXIT_FAILURE" "INFO server failed"
    version=$(info_field "$info" valkey_version || info_field "$info" redis_version || echo unknown)
    log "snapshot source: $REDIS_HOST:$REDIS_PORT role=$role${link:+ link=$link} version=$version"

    mkdir -p -- "$set_dir"
    [[ ! -e $final ]] || die "$EXIT_FAILURE" "$final already exists"
    CLEANUP_PATHS+=("$tmp" "$tmp.sha256" "$tmp.manifest.json" "$final" "$final.sha256" "$final.manifest.json")

    case $REDIS_SNAPSHOT_MODE in
        rdb) snapshot_rdb_mode "$tmp" ;;
        bgsave) snapshot_bgsave_mode "$tmp" ;;
    esac
    [[ -s $tmp ]] || die "$EXIT_FAILURE" "snapshot is empty"
    keys=$(check_rdb "$tmp")
    sync -- "$tmp"
    size=$(stat -c %s -- "$tmp")
    digest=$(write_checksum "$tmp" "$artifact" "$tmp.sha256")
    cli_version=$("$REDIS_CLI" --version 2>/dev/null || echo unknown)

    {
        printf '{\n'
        printf '  "formatVersion": 1,\n'
        printf '  "kind": "redis-rdb",\n'
        printf '  "createdAt": %s,\n' "$(json_string "$(stamp_to_iso "$stamp")")"
        printf '  "artifact": %s,\n' "$(json_string "$artifact")"
        printf '  "sizeBytes": %s,\n' "$size"
        printf '  "sha256": %s,\n' "$(json_string "$digest")"
        printf '  "source": %s,\n' "$(json_string "$REDIS_HOST:$REDIS_PORT")"
        printf '  "role": %s,\n' "$(json_string "$role")"
        printf '  "masterLinkStatus": %s,\n' "$(json_string "${link:-n/a}")"
        printf '  "serverVersion": %s,\n' "$(json_string "$version")"
        printf '  "cliVersion": %s,\n' "$(json_string "$cli_version")"
        printf '  "mode": %s,\n' "$(json_string "$REDIS_SNAPSHOT_MODE")"
        printf '  "keys": %s,\n' "$keys"
        printf '  "durationSeconds": %s\n' "$(($(date -u +%s) - started))"
        printf '}\n'
    } >"$tmp.manifest.json"

    publish "$tmp" "$final"
    publish "$tmp.sha256" "$final.sha256"
    publish "$tmp.manifest.json" "$final.manifest.json"
    sync_dir "$set_dir"
    SUCCESS=1
    log "wrote $final ($size bytes, sha256 $digest)"

    apply_retention "$set_dir" "$REDIS_BACKUP_NAME" rdb || die "$EXIT_FAILURE" "retention failed"
    write_timestamp_file "$set_dir/last-success"
}

main() {
    install_traps
    require_uint REDIS_PORT
    require_uint REDIS_SNAPSHOT_TIMEOUT_SECONDS
    retention_config_check
    is_safe_name "$REDIS_BACKUP_NAME" || die "$EXIT_CONFIG" "REDIS_BACKUP_NAME '$REDIS_BACKUP_NAME' is not a valid name"
    if [[ -n $REDIS_SENTINELS ]]; then
        is_safe_name "$REDIS_MASTER_NAME" || die "$EXIT_CONFIG" "REDIS_MASTER_NAME '$REDIS_MASTER_NAME' is not a valid name"
        local -a sentinels
        local address
        read -r -a sentinels <<<"${REDIS_SENTINELS//,/ }"
        for address in "${sentinels[@]}"; do
            [[ $address =~ ^[^[:space:]]+:[0-9]+$ ]] || die "$EXIT_CONFIG" "REDIS_SENTINELS: '$address' is not host:port"
        done
    fi
    case $REDIS_SNAPSHOT_MODE in
        rdb) ;;
        bgsave) [[ -n $REDIS_RDB_PATH ]] || die "$EXIT_CONFIG" "REDIS_SNAPSHOT_MODE=bgsave needs REDIS_RDB_PATH" ;;
        *) die "$EXIT_CONFIG" "REDIS_SNAPSHOT_MODE must be rdb or bgsave, got '$REDIS_SNAPSHOT_MODE'" ;;
    esac
    require_commands "$REDIS_CLI" timeout env head tr sha256sum stat sync date sort
    [[ -n $BACKUP_DIR ]] || die "$EXIT_CONFIG" "BACKUP_DIR is empty"
    mkdir -p -- "$BACKUP_DIR" || die "$EXIT_CONFIG" "cannot create BACKUP_DIR $BACKUP_DIR"
    [[ -w $BACKUP_DIR ]] || die "$EXIT_CONFIG" "BACKUP_DIR $BACKUP_DIR is not writable by uid $(id -u)"

    read -r -a EXTRA_CLI_ARGS <<<"$REDIS_CLI_EXTRA_ARGS"
    if [[ -n $REDIS_SENTINELS ]]; then
        choose_source_via_sentinel
    fi
    CLI_ARGS=(-h "$REDIS_HOST" -p "$REDIS_PORT" --no-auth-warning "${EXTRA_CLI_ARGS[@]}")
    [[ -z $REDIS_USER ]] || CLI_ARGS+=(--user "$REDIS_USER")

    snapshot
}

main "$@"
