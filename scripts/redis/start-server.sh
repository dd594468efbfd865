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

LOG_TAG=start-server
SCRIPT_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"

[[ -n ${REDIS_PASSWORD:-} ]] || die "REDIS_PASSWORD is empty"
[[ -n ${INITIAL_PRIMARY_HOST:-} ]] || die "INITIAL_PRIMARY_HOST is empty"
[[ -r $CONF_SOURCE ]] || die "cannot read CONF_SOURCE=$CONF_SOURCE"
[[ $QUERY_TIMEOUT_SECONDS =~ ^[1-9][0-9]*$ ]] || die "QUERY_TIMEOUT_SECONDS must be a positive integer"
require_binaries SERVER_BIN

port=$(conf_get port "$CONF_SOURCE")
port=${port:-6379}
own_host=${ANNOUNCE_HOSTNAME:-${HOSTNAME:-}}
own_port=${ANNOUNCE_PORT:-$port}
[[ -n $own_host ]] || die "set ANNOUNCE_HOSTNAME (this node's stable hostname)"

primary=$(primary_from_sentinels "$MASTER_NAME")
if [[ -n $primary ]]; then
    log "Sentinels report primary $primary"
else
    primary="$INITIAL_PRIMARY_HOST ${INITIAL_PRIMARY_PORT:-$port}"
    log "no Sentinel answered; using the initial primary $primary"
fi

password=$(conf_quote "$REDIS_PASSWORD")
runtime_conf() {
    cat "$CONF_SOURCE"
    printf '\n# Appended by start-server.sh at container start.\n'
    printf 'requirepass %s\nmasterauth %s\n' "$password" "$password"
    announce_directives replica-announce
    if [[ $primary == "$own_host $own_port" ]]; then
        log "starting as primary ($own_host:$own_port)"
    else
        log "starting as replica of $primary"
        printf 'replicaof %s\n' "$primary"
    fi
}
write_runtime_conf runtime_conf

exec "$SERVER_BIN" "$RUNTIME_CONF"
