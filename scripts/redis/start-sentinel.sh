#!/usr/bin/env bash
# Starts a Valkey/Redis Sentinel from the generated conf (lib/redis/conf.ts).
#
# 1. Reads master name, initial primary and quorum from the conf's "sentinel monitor" line.
# 2. Asks the peer Sentinels for the current primary (falls back to the initial primary on first boot) and
#    points the monitor line at it.
# 3. Writes a writable copy (Sentinel rewrites its config file) with requirepass and auth-pass from
#    $REDIS_PASSWORD appended, keeping this Sentinel's id from a previous run.
# 4. Waits (bounded) until the primary answers, since Sentinel refuses to start on an unresolvable hostname,
#    then execs Sentinel.
#
# Env: REDIS_PASSWORD (required), ANNOUNCE_HOSTNAME / ANNOUNCE_PORT (own stable address, appended as
#      sentinel announce-ip / announce-port), SENTINEL_ADDRESSES ("host:port host:port" of all Sentinels; this one
#      is skipped), CONF_SOURCE (default /etc/valkey/sentinel.conf), RUNTIME_CONF (default
#      /run/valkey/sentinel.conf), SENTINEL_BIN (default valkey-sentinel), CLI_BIN (default valkey-cli),
#      QUERY_TIMEOUT_SECONDS (default 3), PRIMARY_WAIT_SECONDS (default 30).
set -euo pipefail

SENTINEL_BIN=${SENTINEL_BIN:-valkey-sentinel}
CLI_BIN=${CLI_BIN:-valkey-cli}
CONF_SOURCE=${CONF_SOURCE:-/etc/valkey/sentinel.conf}
RUNTIME_CONF=${RUNTIME_CONF:-/run/valkey/sentinel.conf}
SENTINEL_ADDRESSES=${SENTINEL_ADDRESSES:-}
QUERY_TIMEOUT_SECONDS=${QUERY_TIMEOUT_SECONDS:-3}
PRIMARY_WAIT_SECONDS=${PRIMARY_WAIT_SECONDS:-30}

LOG_TAG=start-sentinel
SCRIPT_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

[[ -n ${REDIS_PASSWORD:-} ]] || die "REDIS_PASSWORD is empty"
[[ -r $CONF_SOURCE ]] || die "cannot read CONF_SOURCE=$CONF_SOURCE"
[[ $QUERY_TIMEOUT_SECONDS =~ ^[1-9][0-9]*$ ]] || die "QUERY_TIMEOUT_SECONDS must be a positive integer"
[[ $PRIMARY_WAIT_SECONDS =~ ^[0-9]+$ ]] || die "PRIMARY_WAIT_SECONDS must be a non-negative integer"
require_binaries SENTINEL_BIN

read -r master_name initial_host initial_port quorum < <(
    awk '$1 == "sentinel" && $2 == "monitor" { print $3, $4, $5, $6 }' "$CONF_SOURCE"
) || true
[[ -n ${quorum:-} ]] || die "no 'sentinel monitor <name> <host> <port> <quorum>' line in $CONF_SOURCE"

port=$(conf_get port "$CONF_SOURCE")
port=${port:-26379}
self="${ANNOUNCE_HOSTNAME:-}:${ANNOUNCE_PORT:-$port}"

# The primary most peers report (this Sentinel does not ask itself).
primary=$(primary_from_sentinels "$master_name" "$self")
if [[ -n $primary ]]; then
    log "peer Sentinels report primary $primary"
else
    primary="$initial_host $initial_port"
    log "no peer Sentinel answered; monitoring the initial primary $primary"
fi
read -r primary_host primary_port <<<"$primary"

# Keeping the id across container restarts spares the peers a stale entry for this address.
previous_id=""
if [[ -r $RUNTIME_CONF ]]; then
    previous_id=$(awk '$1 == "sentinel" && $2 == "myid" { print $3 }' "$RUNTIME_CONF")
fi

password=$(conf_quote "$REDIS_PASSWORD")
runtime_conf() {
    awk -v host="$primary_host" -v port="$primary_port" \
        '$1 == "sentinel" && $2 == "monitor" { $4 = host; $5 = port } { print }' "$CONF_SOURCE"
    printf '\n# Appended by start-sentinel.sh at container start.\n'
    printf 'requirepass %s\nsentinel auth-pass %s %s\n' "$password" "$master_name" "$password"
    announce_directives "sentinel announce"
    if [[ -n $previous_id ]]; then
        printf 'sentinel myid %s\n' "$previous_id"
    fi
}
write_runtime_conf runtime_conf

deadline=$((SECONDS + PRIMARY_WAIT_SECONDS))
# A PONG proves the name resolves, the node listens and the password fits.
until cli "$primary_host" "$primary_port" PING >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
        log "primary $primary_host:$primary_port did not answer within ${PRIMARY_WAIT_SECONDS}s; starting anyway"
        break
    fi
    sleep 1
done

exec "$SENTINEL_BIN" "$RUNTIME_CONF"
