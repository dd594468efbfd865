# shellcheck shell=bash disable=SC2034 # constants and ISOLATED_RC are read by the sourcing scripts
# lib.sh: helpers shared by the backup scripts in this directory. Sourced, never executed.
#
# Needs only bash >= 4.4 and coreutils (date, sha256sum, stat, sync, mv, sort), which both the
# CloudNativePG PostgreSQL image and the Debian-based Valkey image ship.
#
# Layout written by the scripts (one "set" directory per database / Redis instance):
#   $BACKUP_DIR/<set>/<set>-<YYYYMMDDTHHMMSSZ>.<dump|rdb>                 the artifact
#   $BACKUP_DIR/<set>/<set>-<YYYYMMDDTHHMMSSZ>.<dump|rdb>.sha256          "sha256  name" (sha256sum -c format)
#   $BACKUP_DIR/<set>/<set>-<YYYYMMDDTHHMMSSZ>.<dump|rdb>.manifest.json   published last: marks the set complete
#   $BACKUP_DIR/<set>/.<artifact>[.sha256|.manifest.json].partial          in-flight files, never read by anyone
# The UTC timestamp in the name is the only clock retention uses.

[[ -z ${BACKUP_LIB_LOADED:-} ]] || return 0
BACKUP_LIB_LOADED=1

# Exit codes shared by all scripts.
readonly EXIT_FAILURE=1   # a backup / restore / verification step failed
readonly EXIT_CONFIG=2    # bad or missing configuration (environment variables)
readonly EXIT_INTEGRITY=3 # checksum mismatch, unreadable artifact, row counts differ from the manifest
readonly EXIT_REFUSED=4   # pg-restore.sh: target database exists and is not empty (set FORCE=1)

# Database / set names become file names and psql -d arguments: keep them boring.
readonly SAFE_NAME_RE='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$'
readonly STAMP_RE='^[0-9]{8}T[0-9]{6}Z$'

LOG_TAG=${LOG_TAG:-backup}

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$LOG_TAG" "$*" >&2; }
warn() { log "WARNING: $*"; }
die() {
    local code=$1
    shift
    log "ERROR: $*"
    exit "$code"
}

require_commands() {
    local c
    for c in "$@"; do
        command -v -- "$c" >/dev/null 2>&1 || die "$EXIT_CONFIG" "required command not found on PATH: $c"
    done
}

# require_uint NAME: the variable NAME must hold a non-negative integer.
require_uint() {
    [[ ${!1} =~ ^[0-9]+$ ]] || die "$EXIT_CONFIG" "$1 must be a non-negative integer, got '${!1}'"
}

# require_bool NAME: the variable NAME must be 0 or 1.
require_bool() {
    [[ ${!1} == 0 || ${!1} == 1 ]] || die "$EXIT_CONFIG" "$1 must be 0 or 1, got '${!1}'"
}

is_safe_name() { [[ $1 =~ $SAFE_NAME_RE ]]; }

# json_string S: S as a JSON string literal.
json_string() {
    local s=$1 out='' ch i
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    if [[ $s == *[[:cntrl:]]* ]]; then
        for ((i = 0; i < ${#s}; i++)); do
            ch=${s:i:1}
            if [[ $ch == [[:cntrl:]] ]]; then
                printf -v ch '\\u%04x' "'$ch"
            fi
            out+=$ch
        done
        s=$out
    fi
    printf '"%s"' "$s"
}

# --- process and cleanup handling -------------------------------------------------------------
# Every long-running command runs in the background and is waited for, so that a SIGTERM (Job
# deadline, pod deletion) interrupts the wait at once, the EXIT trap stops the child and removes
# everything registered in CLEANUP_PATHS; CLEANUP_HOOKS are function names run on exit.

CHILD_PID=''
CLEANUP_PATHS=()
CLEANUP_HOOKS=()
SUCCESS=0

_on_exit() {
    local rc=$? hook path
    trap - EXIT
    if [[ -n $CHILD_PID ]]; then
        kill -TERM "$CHILD_PID" 2>/dev/null || true
        wait "$CHILD_PID" 2>/dev/null || true
        CHILD_PID=''
    fi
    if ((SUCCESS == 0)); then
        for path in "${CLEANUP_PATHS[@]}"; do
            if [[ -e $path ]]; then
                rm -f -- "$path" && log "removed incomplete file $path"
            fi
        done
    fi
    for hook in "${CLEANUP_HOOKS[@]}"; do
        "$hook" || true
    done
    exit "$rc"
}

_on_signal() {
    log "received SIG$1, aborting"
    exit $((128 + $2))
}

install_traps() {
    trap _on_exit EXIT
    trap '_on_signal TERM 15' TERM
    trap '_on_signal INT 2' INT
    trap '_on_signal HUP 1' HUP
}

# run_child CMD...: run an external command interruptibly; returns its exit status.
run_child() {
    local rc=0
    "$@" &
    CHILD_PID=$!
    wait "$CHILD_PID" || rc=$?
    CHILD_PID=''
    return "$rc"
}

# run_isolated FUNC ARGS...: run FUNC in a subshell with errexit and its own traps. FUNC appends to
# CLEANUP_PATHS/CLEANUP_HOOKS (empty in the caller) and sets SUCCESS=1 once its output must stay.
# Sets ISOLATED_RC and always returns 0 (errexit cannot work inside a function called from a
# condition, so callers must not write `if run_isolated ...`).
ISOLATED_RC=0
run_isolated() {
    set +e
    (
        set -e
        install_traps
        "$@"
    ) &
    CHILD_PID=$!
    wait "$CHILD_PID"
    ISOLATED_RC=$?
    CHILD_PID=''
    set -e
    return 0
}

# --- artifacts --------------------------------------------------------------------------------

# utc_stamp EPOCH -> 20250101T020000Z ; stamp_to_iso STAMP -> 2025-01-01T02:00:00Z
utc_stamp() { date -u -d "@$1" +%Y%m%dT%H%M%SZ; }
stamp_to_iso() {
    local s=$1
    printf '%s-%s-%sT%s:%s:%sZ' "${s:0:4}" "${s:4:2}" "${s:6:2}" "${s:9:2}" "${s:11:2}" "${s:13:2}"
}
stamp_to_epoch() { date -u -d "$(stamp_to_iso "$1")" +%s; }

# artifact_stamp NAME SET EXT: prints the timestamp of artifact file NAME of set SET, or fails.
artifact_stamp() {
    local name=$1 set=$2 ext=$3 stamp
    [[ $name == "$set-"*".$ext" ]] || return 1
    stamp=${name#"$set-"}
    stamp=${stamp%".$ext"}
    [[ $stamp =~ $STAMP_RE ]] || return 1
    printf '%s\n' "$stamp"
}

# list_artifacts DIR SET EXT: artifact file names of SET in DIR, newest first.
list_artifacts() {
    local dir=$1 set=$2 ext=$3 path name stamp
    for path in "$dir/$set-"*".$ext"; do
        [[ -f $path ]] || continue
        name=${path##*/}
        stamp=$(artifact_stamp "$name" "$set" "$ext") || continue
        printf '%s %s\n' "$stamp" "$name"
    done | LC_ALL=C sort -r | while read -r _ name; do printf '%s\n' "$name"; done
}

# is_complete DIR ARTIFACT: artifact, checksum and manifest are all published.
is_complete() {
    [[ -f $1/$2 && -f $1/$2.sha256 && -f $1/$2.manifest.json ]]
}

# newest_complete DIR SET EXT: newest complete artifact name, or fails.
newest_complete() {
    local name
    while read -r name; do
        if is_complete "$1" "$name"; then
            printf '%s\n' "$name"
            return 0
        fi
    done < <(list_artifacts "$1" "$2" "$3")
    return 1
}

# sha256_of FILE: prints the hex digest.
sha256_of() {
    local out
    out=$(sha256sum -- "$1") || return 1
    printf '%s\n' "${out%% *}"
}

# write_checksum FILE NAME OUT: writes "digest  NAME" (NAME = final artifact name) to OUT, prints digest.
write_checksum() {
    local digest
    digest=$(sha256_of "$1") || return 1
    printf '%s  %s\n' "$digest" "$2" >"$3"
    printf '%s\n' "$digest"
}

# verify_checksum PATH: PATH.sha256 must exist and match PATH. Logs the reason on failure.
verify_checksum() {
    local path=$1 expected actual line
    if [[ ! -f $path.sha256 ]]; then
        log "checksum file missing: $path.sha256"
        return 1
    fi
    IFS= read -r line <"$path.sha256" || true
    expected=${line%% *}
    if [[ ! $expected =~ ^[0-9a-f]{64}$ ]]; then
        log "checksum file is malformed: $path.sha256"
        return 1
    fi
    actual=$(sha256_of "$path") || {
        log "cannot read $path"
        return 1
    }
    if [[ $actual != "$expected" ]]; then
        log "checksum MISMATCH for $path: expected $expected, got $actual"
        return 1
    fi
}

# publish TMP FINAL: fsync TMP, then rename it to FINAL (refusing to replace an existing file).
publish() {
    [[ ! -e $2 ]] || {
        log "refusing to overwrite existing $2"
        return 1
    }
    sync -- "$1" && mv -f -T -- "$1" "$2"
}

# sync_dir DIR: make renames in DIR durable.
sync_dir() { sync -- "$1"; }

# write_timestamp_file PATH: atomically writes the current UTC time (ISO 8601) to PATH.
write_timestamp_file() {
    local tmp="${1%/*}/.${1##*/}.partial"
    date -u +%Y-%m-%dT%H:%M:%SZ >"$tmp"
    sync -- "$tmp"
    mv -f -T -- "$tmp" "$1"
}

# --- PostgreSQL -------------------------------------------------------------------------------

# One JSON object {"schema.table": rows} for every ordinary table whose data pg_dump writes
# (no catalogs, temp tables or extension-owned tables). Rows are counted with ONLY so
# inheritance children and partitions count once, in their own table. Used by the backup
# (written to the manifest) and by restore/verify (compared with the manifest).
# shellcheck disable=SC2016 # SQL, not shell
readonly PG_ROW_COUNTS_SQL="
SELECT coalesce(jsonb_object_agg(format('%I.%I', n.nspname, c.relname),
         (xpath('/row/n/text()', query_to_xml(
            format('SELECT count(*) AS n FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint),
       '{}'::jsonb)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')"

# psql_q ARGS...: psql without .psqlrc, unaligned, tuples only, stop on the first error.
psql_q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# pg_database_exists DB (connects to PG_MAINTENANCE_DB).
pg_database_exists() {
    local out
    out=$(psql_q -d "$PG_MAINTENANCE_DB" -v db="$1" <<<"SELECT count(*) FROM pg_database WHERE datname = :'db';") || return 2
    [[ $out == 1 ]]
}

# pg_drop_database DB: drops DB, disconnecting its sessions first.
pg_drop_database() {
    psql_q -d "$PG_MAINTENANCE_DB" -v db="$1" <<<'DROP DATABASE IF EXISTS :"db" WITH (FORCE);'
}

# pg_compare_row_counts DB MANIFEST: prints one line per table whose row count in DB differs from
# MANIFEST's tableRowCounts; returns 1 when any differ, 2 when the comparison itself fails.
pg_compare_row_counts() {
    local db=$1 manifest=$2 diffs
    # The manifest is read by psql (backquote) and parsed by PostgreSQL: no jq needed in the image.
    diffs=$(psql_q -d "$db" -v manifest_path="$manifest" <<SQL
\\set manifest \`cat :'manifest_path'\`
WITH m AS (SELECT (:'manifest')::jsonb AS doc),
expected AS (SELECT key AS tbl, value::bigint AS n FROM m, jsonb_each_text(m.doc -> 'tableRowCounts')),
actual AS (SELECT key AS tbl, value::bigint AS n FROM jsonb_each_text(($PG_ROW_COUNTS_SQL)))
SELECT 'manifest has no tableRowCounts' FROM m WHERE NOT (m.doc ? 'tableRowCounts')
UNION ALL
SELECT format('%s: manifest says %s rows, restored database has %s',
              coalesce(e.tbl, a.tbl), coalesce(e.n::text, 'no table'), coalesce(a.n::text, 'no table'))
FROM expected e FULL JOIN actual a ON a.tbl = e.tbl
WHERE e.n IS DISTINCT FROM a.n;
SQL
    ) || return 2
    if [[ -n $diffs ]]; then
        printf '%s\n' "$diffs"
        return 1
    fi
}
