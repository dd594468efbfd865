#!/usr/bin/env bash
# Starts a Valkey/Redis data node (primary or replica) from the generated conf (lib/redis/conf.ts).
#
# 1. Copies the conf from its read-only mount to a writable file (Sentinel reconfigures nodes with CONFIG REWRITE).
# 2. Appends requirepass/masterauth from $REDIS_PASSWORD (a Secret reference; never stored in the ConfigMap).
# 3. Asks the Sentinels for the current primary; on first boot (no Sentinel answers) the node that is the
#    configured initial primary starts as primary and the others replicate from it.
# 4. execs the server, so it receives the container's signals.
#
# Env: REDIS_PASSWORD (required), INITIAL_PRIMARY_HOST (required), INITIAL_PRIMARY_PORT (default: own port),
#      ANNOUNCE_HOSTNAME (own stable hostname, default $HOSTNAME), ANNOUNCE_PORT (default: port in the conf),
#      SENTINEL_ADDRESSES ("host:port host:port", commas allowed), MASTER_NAME (default mymaster),
#      CONF_SOURCE (default /etc/valkey/server.conf), RUNTIME_CONF (default /run/valkey/server.conf),
#      SERVER_BIN (default valkey-server), CLI_BIN (default valkey-cli), QUERY_TIMEOUT_SECONDS (default 3).
set -euo pipefail

SERVER_BIN=${SERVER_BIN:-valkey-server}
CLI_BIN=${CLI_BIN:-valkey-cli}
CONF_SOURCE=${CONF_SOURCE:-/etc/valkey/server.conf}
RUNTIME_CONF=${RUNTIME_CONF:-/run/valkey/server.conf}
MASTER_NAME=${MASTER_NAME:-mymaster}
SENTINEL_ADDRESSES=${SENTINEL_ADDRESSES:-}
QUERY_TIMEOUT_SECONDS=${QUERY_TIMEOUT_SECONDS:-3}

log() { printf '%s start-server: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ -n ${REDIS_PASSWORD:-} ]] || die "REDIS_PASSWORD is empty"
[[ -n ${INITIAL_PRIMARY_HOST:-} ]] || die "INITIAL_PRIMARY_HOST is empty"
[[ -r $CONF_SOURCE ]] || die "cannot read CONF_SOURCE=$CONF_SOURCE"
[[ $QUERY_TIMEOUT_SECONDS =~ ^[1-9][0-9]*$ ]] || die "QUERY_TIMEOUT_SECONDS must be a positive integer"
command -v timeout >/dev/null || die "the timeout utility is required"
command -v "$CLI_BIN" >/dev/null || die "CLI_BIN=$CLI_BIN not found"
command -v "$SERVER_BIN" >/dev/null || die "SERVER_BIN=$SERVER_BIN not found"

# A config-file string literal; same escaping as quoteConfValue() in lib/redis/conf.ts.
conf_quote() {
    local value=$1
    [[ $value != *[[:cntrl:]]* ]] || die "the password must not contain control characters"
    value=${value//\\/\\\\}
    value=${value//\"/\\\"}
    printf '"%s"' "$value"
}

# Last value of a top-level directive in a conf file.
conf_get() { awk -v key="$1" '$1 == key { value = $2 } END { print value }' "$2"; }

# Bounded CLI call; the password travels in the environment, never on the command line.
cli() {
    local host=$1 port=$2
    shift 2
    REDISCLI_AUTH=$REDIS_PASSWORD VALKEYCLI_AUTH=$REDIS_PASSWORD timeout "$QUERY_TIMEOUT_SECONDS" "$CLI_BIN" -e -h "$host" -p "$port" "$@"
}

# Prints "host port" of the primary most Sentinels report; nothing when none answers.
primary_from_sentinels() {
    local -a addresses parts
    local -A votes=()
    local address reply key best="" best_votes=0
    read -r -a addresses <<<"${SENTINEL_ADDRESSES//,/ }"
    for address in "${addresses[@]}"; do
        reply=$(cli "${address%:*}" "${address##*:}" SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null) || continue
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

port=$(conf_get port "$CONF_SOURCE")
port=${port:-6379}
own_host=${ANNOUNCE_HOSTNAME:-${HOSTNAME:-}}
own_port=${ANNOUNCE_PORT:-$port}
[[ -n $own_host ]] || die "set ANNOUNCE_HOSTNAME (this node's stable hostname)"

primary=$(primary_from_sentinels)
if [[ -n $primary ]]; then
    log "Sentinels report primary $primary"
else
    primary="$INITIAL_PRIMARY_HOST ${INITIAL_PRIMARY_PORT:-$port}"
    log "no Sentinel answered; using the initial primary $primary"
fi

password=$(conf_quote "$REDIS_PASSWORD")
umask 077
mkdir -p "$(dirname "$RUNTIME_CONF")"
tmp="$RUNTIME_CONF.tmp.$$"
{
    cat "$CONF_SOURCE"
    printf '\n# Appended by start-server.sh at container start.\n'
    printf 'requirepass %s\nmasterauth %s\n' "$password" "$password"
    if [[ -n ${ANNOUNCE_HOSTNAME:-} ]]; then
        printf 'replica-announce-ip %s\n' "$ANNOUNCE_HOSTNAME"
    fi
    if [[ -n ${ANNOUNCE_PORT:-} ]]; then
        printf 'replica-announce-port %s\n' "$ANNOUNCE_PORT"
    fi
    if [[ $primary == "$own_host $own_port" ]]; then
        log "starting as primary ($own_host:$own_port)"
    else
        log "starting as replica of $primary"
        printf 'replicaof %s\n' "$primary"
    fi
} >"$tmp"
mv -f "$tmp" "$RUNTIME_CONF"

exec "$SERVER_BIN" "$RUNTIME_CONF"
