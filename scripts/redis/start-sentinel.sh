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

log() { printf '%s start-sentinel: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -n ${REDIS_PASSWORD:-} ]] || die "REDIS_PASSWORD is empty"
[[ -r $CONF_SOURCE ]] || die "cannot read CONF_SOURCE=$CONF_SOURCE"
[[ $QUERY_TIMEOUT_SECONDS =~ ^[1-9][0-9]*$ ]] || die "QUERY_TIMEOUT_SECONDS must be a positive integer"
[[ $PRIMARY_WAIT_SECONDS =~ ^[0-9]+$ ]] || die "PRIMARY_WAIT_SECONDS must be a non-negative integer"
command -v timeout >/dev/null || die "the timeout utility is required"
command -v "$CLI_BIN" >/dev/null || die "CLI_BIN=$CLI_BIN not found"
command -v "$SENTINEL_BIN" >/dev/null || die "SENTINEL_BIN=$SENTINEL_BIN not found"

# A config-file string literal; same escaping as quoteConfValue() in lib/redis/conf.ts.
conf_quote() {
    local value=$1
    [[ $value != *[[:cntrl:]]* ]] || die "the password must not contain control characters"
    value=${value//\\/\\\\}
    value=${value//\"/\\\"}
    printf '"%s"' "$value"
}

conf_get() { awk -v key="$1" '$1 == key { value = $2 } END { print value }' "$2"; }

cli() {
    local host=$1 port=$2
    shift 2
    REDISCLI_AUTH=$REDIS_PASSWORD VALKEYCLI_AUTH=$REDIS_PASSWORD timeout "$QUERY_TIMEOUT_SECONDS" "$CLI_BIN" -e -h "$host" -p "$port" "$@"
}

read -r master_name initial_host initial_port quorum < <(
    awk '$1 == "sentinel" && $2 == "monitor" { print $3, $4, $5, $6 }' "$CONF_SOURCE"
) || true
[[ -n ${quorum:-} ]] || die "no 'sentinel monitor <name> <host> <port> <quorum>' line in $CONF_SOURCE"

port=$(conf_get port "$CONF_SOURCE")
port=${port:-26379}
self="${ANNOUNCE_HOSTNAME:-}:${ANNOUNCE_PORT:-$port}"

# The primary most peers report ("host port"); nothing when none answers.
primary_from_peers() {
    local -a addresses parts
    local -A votes=()
    local address reply key best="" best_votes=0
    read -r -a addresses <<<"${SENTINEL_ADDRESSES//,/ }"
    for address in "${addresses[@]}"; do
        [[ $address != "$self" ]] || continue
        reply=$(cli "${address%:*}" "${address##*:}" SENTINEL get-master-addr-by-name "$master_name" 2>/dev/null) || continue
        mapfile -t parts <<<"$reply"
        if [[ ${#parts[@]} -eq 2 && -n ${parts[0]} && ${parts[1]} =~ ^[0-9]+$ ]]; then
            key="${parts[0]} ${parts[1]}"
            votes[$key]=$((${votes[$key]:-0} + 1))
            if ((votes[$key] > best_votes)); then
                best=$key
                best_votes=${votes[$key]}
            fi
        fi
    done
    [[ -z $best ]] || printf '%s\n' "$best"
}

primary=$(primary_from_peers)
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
umask 077
mkdir -p "$(dirname "$RUNTIME_CONF")"
tmp="$RUNTIME_CONF.tmp.$$"
{
    awk -v host="$primary_host" -v port="$primary_port" \
        '$1 == "sentinel" && $2 == "monitor" { $4 = host; $5 = port } { print }' "$CONF_SOURCE"
    printf '\n# Appended by start-sentinel.sh at container start.\n'
    printf 'requirepass %s\nsentinel auth-pass %s %s\n' "$password" "$master_name" "$password"
    if [[ -n ${ANNOUNCE_HOSTNAME:-} ]]; then
        printf 'sentinel announce-ip %s\n' "$ANNOUNCE_HOSTNAME"
    fi
    if [[ -n ${ANNOUNCE_PORT:-} ]]; then
        printf 'sentinel announce-port %s\n' "$ANNOUNCE_PORT"
    fi
    if [[ -n $previous_id ]]; then
        printf 'sentinel myid %s\n' "$previous_id"
    fi
} >"$tmp"
mv -f "$tmp" "$RUNTIME_CONF"

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
