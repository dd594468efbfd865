# shellcheck shell=bash
# lib.sh: helpers shared by start-server.sh and start-sentinel.sh, which source it from their own directory
# (the scripts ConfigMap mounts all three side by side). Sourced, never executed.
#
# The sourcing script sets LOG_TAG (its name in log lines) before sourcing, and REDIS_PASSWORD, CLI_BIN,
# QUERY_TIMEOUT_SECONDS, SENTINEL_ADDRESSES and RUNTIME_CONF before calling the helpers that use them.

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Dies unless timeout, the CLI and the binary named by the variable $1 (e.g. SERVER_BIN) are installed.
require_binaries() {
    command -v timeout >/dev/null || die "the timeout utility is required"
    command -v "$CLI_BIN" >/dev/null || die "CLI_BIN=$CLI_BIN not found"
    command -v "${!1}" >/dev/null || die "$1=${!1} not found"
}

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

# Prints "host port" of the primary of master $1 that most Sentinels in SENTINEL_ADDRESSES report, skipping the
# address $2 (host:port; optional); nothing when none answers.
primary_from_sentinels() {
    local master=$1 skip=${2:-}
    local -a addresses parts
    local -A votes=()
    local address reply key best="" best_votes=0
    read -r -a addresses <<<"${SENTINEL_ADDRESSES//,/ }"
    for address in "${addresses[@]}"; do
        [[ $address != "$skip" ]] || continue
        reply=$(cli "${address%:*}" "${address##*:}" SENTINEL get-master-addr-by-name "$master" 2>/dev/null) || continue
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

# "<prefix>-ip" / "<prefix>-port" lines for ANNOUNCE_HOSTNAME / ANNOUNCE_PORT, each only when set.
announce_directives() {
    local prefix=$1
    if [[ -n ${ANNOUNCE_HOSTNAME:-} ]]; then
        printf '%s-ip %s\n' "$prefix" "$ANNOUNCE_HOSTNAME"
    fi
    if [[ -n ${ANNOUNCE_PORT:-} ]]; then
        printf '%s-port %s\n' "$prefix" "$ANNOUNCE_PORT"
    fi
}

# Writes the output of "$@" to RUNTIME_CONF through a temporary file and a rename, so a crash never leaves a
# half-written conf. Sets umask 077 for the rest of the script (and the server it execs): the conf holds the password.
write_runtime_conf() {
    umask 077
    mkdir -p "$(dirname "$RUNTIME_CONF")"
    local tmp="$RUNTIME_CONF.tmp.$$"
    "$@" >"$tmp"
    mv -f "$tmp" "$RUNTIME_CONF"
}
