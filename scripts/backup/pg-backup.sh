#!/usr/bin/env bash
# pg-backup.sh: logical backup of PostgreSQL databases (pg_dump custom format), one set per database.
#
# For each database: opens a REPEATABLE READ transaction, exports its snapshot and counts the rows
# of every table in it, then runs `pg_dump --snapshot` so the dump and the row counts describe the
# same instant (pg-verify.sh compares them). The dump is written to a hidden *.partial file, checked
# with pg_restore --list, fsynced and renamed; then "<artifact>.sha256" and "<artifact>.manifest.json"
# are published the same way, then GFS retention runs for that database (retention.sh).
# A failed or interrupted dump leaves no partial artifact behind. $BACKUP_DIR/last-success is
# written only when every database succeeded. Runs as any uid that can write BACKUP_DIR.
#
# Environment:
#   BACKUP_DIR                    (default /backups) root directory; database <db> goes to BACKUP_DIR/<db>/
#   DATABASES                     (default: all) space-separated database names; when empty, every
#                                 database that is not a template and allows connections
#   PGCONNECT_TIMEOUT             (default 30) seconds libpq waits for a connection
#   PGHOST, PGPORT, PGUSER, PGPASSWORD or PGPASSFILE, PGSSLMODE, ...
#                                 standard libpq connection settings (read by psql/pg_dump directly)
#   PG_MAINTENANCE_DB             (default postgres) database used to list databases
#   PG_LOCK_WAIT_TIMEOUT_SECONDS  (default 300) give up when a table lock is not granted in time
#   PG_DUMP_EXTRA_ARGS            (default empty) extra pg_dump arguments, split on whitespace
#                                 (e.g. "--compress=zstd:3"); never exclude table data, the
#                                 verifier would report the missing rows
#   RETAIN_DAILY / RETAIN_WEEKLY / RETAIN_MONTHLY   (default 7 / 4 / 12) see retention.sh
#
# Exit codes: 0 all databases backed up (and retention applied); 1 any database failed (the others
# are still attempted); 2 bad configuration.
set -euo pipefail
umask 077

SCRIPT_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/retention.sh"
LOG_TAG=pg-backup

BACKUP_DIR=${BACKUP_DIR:-/backups}
DATABASES=${DATABASES:-}
PG_MAINTENANCE_DB=${PG_MAINTENANCE_DB:-postgres}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-30}
PG_LOCK_WAIT_TIMEOUT_SECONDS=${PG_LOCK_WAIT_TIMEOUT_SECONDS:-300}
PG_DUMP_EXTRA_ARGS=${PG_DUMP_EXTRA_ARGS:-}

SNAPSHOT_SESSION_PID=''

close_snapshot_session() {
    if [[ -n $SNAPSHOT_SESSION_PID ]]; then
        kill -TERM "$SNAPSHOT_SESSION_PID" 2>/dev/null || true
        wait "$SNAPSHOT_SESSION_PID" 2>/dev/null || true
        SNAPSHOT_SESSION_PID=''
    fi
}

remove_empty_set_dir() {
    ((SUCCESS == 1)) || rmdir -- "$SET_DIR" 2>/dev/null || true
}

# backup_database DB: runs inside run_isolated (errexit, own traps).
backup_database() {
    local db=$1 stamp created_at artifact final tmp snapshot counts versions
    local server_version server_version_num encoding size digest pg_dump_version started
    local -a extra_args=()
    read -r -a extra_args <<<"$PG_DUMP_EXTRA_ARGS"

    started=$(date -u +%s)
    stamp=$(utc_stamp "$started")
    created_at=$(stamp_to_iso "$stamp")
    SET_DIR="$BACKUP_DIR/$db"
    artifact="$db-$stamp.dump"
    final="$SET_DIR/$artifact"
    tmp="$SET_DIR/.$artifact.partial"

    if [[ ! -d $SET_DIR ]]; then
        mkdir -- "$SET_DIR"
        CLEANUP_HOOKS+=(remove_empty_set_dir)
    fi
    [[ ! -e $final ]] || die "$EXIT_FAILURE" "$final already exists"
    # Everything this run creates is removed on failure; SUCCESS=1 (set once published) keeps it.
    CLEANUP_PATHS+=("$tmp" "$tmp.sha256" "$tmp.manifest.json" "$final" "$final.sha256" "$final.manifest.json")

    log "database $db: opening snapshot"
    CLEANUP_HOOKS+=(close_snapshot_session)
    coproc SNAP { exec psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db"; }
    # bash unsets SNAP/SNAP_PID when the coprocess exits: keep copies.
    SNAPSHOT_SESSION_PID=${SNAP_PID:-}
    local snap_in=${SNAP[0]:-} snap_out=${SNAP[1]:-}
    [[ -n $snap_in && -n $snap_out ]] || die "$EXIT_FAILURE" "database $db: psql exited at once (see its error above)"
    # The session keeps the exporting transaction open until pg_dump is done. Its row counts take
    # ACCESS SHARE locks held to the end, so DDL (or a non-MVCC TRUNCATE) cannot slip in between
    # counts and dump. psql answers or fails on its own (lock_timeout), so reads need no timeout;
    # a SIGTERM still interrupts them.
    # If psql died, writes to it must fail with an error, not kill this shell via SIGPIPE.
    trap '' PIPE
    printf '%s\n' \
        "SET lock_timeout = '${PG_LOCK_WAIT_TIMEOUT_SECONDS}s';" \
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" \
        "SELECT pg_export_snapshot();" \
        "SELECT current_setting('server_version') || '|' || current_setting('server_version_num') || '|' || pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database();" \
        "$PG_ROW_COUNTS_SQL;" 1>&"$snap_out" || die "$EXIT_FAILURE" "database $db: cannot talk to psql (connection failed?)"
    IFS= read -r snapshot <&"$snap_in" || die "$EXIT_FAILURE" "database $db: could not open a snapshot (see psql error above)"
    IFS= read -r versions <&"$snap_in" || die "$EXIT_FAILURE" "database $db: could not read server version"
    IFS= read -r counts <&"$snap_in" || die "$EXIT_FAILURE" "database $db: could not count table rows (lock timeout?)"
    [[ $snapshot =~ ^[0-9A-F-]+$ ]] || die "$EXIT_FAILURE" "database $db: unexpected snapshot id '$snapshot'"
    [[ $counts == \{* ]] || die "$EXIT_FAILURE" "database $db: unexpected row count result '$counts'"
    IFS='|' read -r server_version server_version_num encoding <<<"$versions"
    [[ $server_version_num =~ ^[0-9]+$ ]] || die "$EXIT_FAILURE" "database $db: unexpected version row '$versions'"

    log "database $db: dumping (snapshot $snapshot, server $server_version)"
    run_child pg_dump --format=custom --snapshot="$snapshot" \
        --lock-wait-timeout="${PG_LOCK_WAIT_TIMEOUT_SECONDS}s" \
        "${extra_args[@]}" --file="$tmp" --dbname="$db" ||
        die "$EXIT_FAILURE" "database $db: pg_dump failed"

    # End the exporting transaction (read-only, so nothing to lose if this fails).
    printf 'COMMIT;\n' 1>&"$snap_out" 2>/dev/null || true
    exec {snap_out}>&-
    wait "$SNAPSHOT_SESSION_PID" 2>/dev/null || warn "database $db: snapshot session ended with an error"
    SNAPSHOT_SESSION_PID=''

    [[ -s $tmp ]] || die "$EXIT_FAILURE" "database $db: pg_dump produced an empty file"
    pg_restore --list "$tmp" >/dev/null || die "$EXIT_INTEGRITY" "database $db: the new dump is not readable by pg_restore"
    sync -- "$tmp"
    size=$(stat -c %s -- "$tmp")
    digest=$(write_checksum "$tmp" "$artifact" "$tmp.sha256")
    pg_dump_version=$(pg_dump --version)

    {
        printf '{\n'
        printf '  "formatVersion": 1,\n'
        printf '  "kind": "postgresql-pg_dump-custom",\n'
        printf '  "createdAt": %s,\n' "$(json_string "$created_at")"
        printf '  "database": %s,\n' "$(json_string "$db")"
        printf '  "artifact": %s,\n' "$(json_string "$artifact")"
        printf '  "sizeBytes": %s,\n' "$size"
        printf '  "sha256": %s,\n' "$(json_string "$digest")"
        printf '  "pgDumpVersion": %s,\n' "$(json_string "$pg_dump_version")"
        printf '  "serverVersion": %s,\n' "$(json_string "$server_version")"
        printf '  "serverVersionNum": %s,\n' "$server_version_num"
        printf '  "encoding": %s,\n' "$(json_string "$encoding")"
        printf '  "snapshot": %s,\n' "$(json_string "$snapshot")"
        printf '  "durationSeconds": %s,\n' "$(($(date -u +%s) - started))"
        printf '  "tableRowCounts": %s\n' "$counts"
        printf '}\n'
    } >"$tmp.manifest.json"

    # Artifact first, manifest last: a set is complete only when its manifest exists.
    publish "$tmp" "$final"
    publish "$tmp.sha256" "$final.sha256"
    publish "$tmp.manifest.json" "$final.manifest.json"
    sync_dir "$SET_DIR"
    log "database $db: wrote $final ($size bytes, sha256 $digest)"

    SUCCESS=1 # the backup stands even if retention fails below
    apply_retention "$SET_DIR" "$db" dump || die "$EXIT_FAILURE" "database $db: retention failed"
    write_timestamp_file "$SET_DIR/last-success"
}

main() {
    local db listing failed=() ok=0
    local -a dbs=()
    install_traps
    require_uint PG_LOCK_WAIT_TIMEOUT_SECONDS
    retention_config_check
    require_commands psql pg_dump pg_restore sha256sum stat sync date sort
    [[ -n $BACKUP_DIR ]] || die "$EXIT_CONFIG" "BACKUP_DIR is empty"
    mkdir -p -- "$BACKUP_DIR" || die "$EXIT_CONFIG" "cannot create BACKUP_DIR $BACKUP_DIR"
    [[ -w $BACKUP_DIR ]] || die "$EXIT_CONFIG" "BACKUP_DIR $BACKUP_DIR is not writable by uid $(id -u)"

    if [[ -n ${DATABASES//[[:space:]]/} ]]; then
        read -r -a dbs <<<"$DATABASES"
    else
        listing=$(psql_q -d "$PG_MAINTENANCE_DB" \
            -c "SELECT datname FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY datname") ||
            die "$EXIT_FAILURE" "cannot list databases via $PG_MAINTENANCE_DB (see psql error above)"
        mapfile -t dbs <<<"$listing"
        [[ -n $listing ]] || die "$EXIT_FAILURE" "no databases to back up"
    fi
    log "backing up ${#dbs[@]} database(s) to $BACKUP_DIR: ${dbs[*]}"

    for db in "${dbs[@]}"; do
        if ! is_safe_name "$db"; then
            log "ERROR: database name '$db' is not supported (allowed: $SAFE_NAME_RE)"
            failed+=("$db")
            continue
        fi
        run_isolated backup_database "$db"
        if ((ISOLATED_RC == 0)); then
            ok=$((ok + 1))
        else
            log "ERROR: backup of database $db FAILED (exit $ISOLATED_RC)"
            failed+=("$db")
        fi
    done

    if ((${#failed[@]} > 0)); then
        die "$EXIT_FAILURE" "backup FAILED for ${#failed[@]} database(s): ${failed[*]} ($ok succeeded)"
    fi
    write_timestamp_file "$BACKUP_DIR/last-success"
    log "all $ok database(s) backed up"
}

main "$@"
