#!/usr/bin/env bash
# pg-verify.sh: restore verification ("backups are verified, not assumed"), meant to run weekly.
#
# For every database set in BACKUP_DIR (or those in DATABASES): take the newest complete backup,
# verify its sha256, restore it into a scratch database (--exit-on-error, single transaction,
# --no-owner --no-acl), compare every table's row count with the manifest, drop the scratch
# database. Any missing backup, checksum mismatch, unreadable/truncated dump, failed restore or row
# count difference makes the run fail; all databases are checked and every problem is logged as
# "VERIFY FAILED". On full success $BACKUP_DIR/last-verify-success is written.
# Scratch databases left by a killed earlier run (name prefix VERIFY_SCRATCH_PREFIX) are dropped
# first. The connecting role needs CREATEDB and must be able to create the dumped objects
# (extensions need a superuser): use the cluster's superuser credentials.
#
# Environment:
#   BACKUP_DIR              (default /backups)
#   DATABASES               (default: every set directory in BACKUP_DIR holding .dump files)
#                           space-separated database names to verify
#   MAX_BACKUP_AGE_HOURS    (default 0 = off) also fail when the newest backup is older than this
#   VERIFY_SCRATCH_PREFIX   (default backup_verify_) name prefix of the scratch databases
#   PG_MAINTENANCE_DB       (default postgres) database used for CREATE/DROP DATABASE
#   PGCONNECT_TIMEOUT       (default 30) seconds libpq waits for a connection
#   PGHOST, PGPORT, PGUSER, PGPASSWORD or PGPASSFILE, PGSSLMODE, ...   standard libpq settings
#
# Exit codes: 0 every newest backup restored and matched; 1 any verification failed; 2 bad
# configuration (or nothing to verify).
set -euo pipefail
umask 077

SCRIPT_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"
LOG_TAG=pg-verify

BACKUP_DIR=${BACKUP_DIR:-/backups}
DATABASES=${DATABASES:-}
MAX_BACKUP_AGE_HOURS=${MAX_BACKUP_AGE_HOURS:-0}
VERIFY_SCRATCH_PREFIX=${VERIFY_SCRATCH_PREFIX:-backup_verify_}
PG_MAINTENANCE_DB=${PG_MAINTENANCE_DB:-postgres}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-30}

SCRATCH_DB=''
drop_scratch() {
    if [[ -n $SCRATCH_DB ]]; then
        pg_drop_database "$SCRATCH_DB" >/dev/null || warn "could not drop scratch database $SCRATCH_DB"
        SCRATCH_DB=''
    fi
}

fail() {
    log "VERIFY FAILED: $*"
    exit "$EXIT_INTEGRITY"
}

# verify_database DB: runs inside run_isolated (errexit, own traps).
verify_database() {
    local db=$1 dir="$BACKUP_DIR/$1" name path stamp age_h diffs rc=0
    CLEANUP_HOOKS+=(drop_scratch)
    name=$(newest_complete "$dir" "$db" dump) || fail "$db: no complete backup in $dir"
    path=$dir/$name
    stamp=$(artifact_stamp "$name" "$db" dump)
    log "$db: verifying $path"

    if ((MAX_BACKUP_AGE_HOURS > 0)); then
        age_h=$((($(date -u +%s) - $(stamp_to_epoch "$stamp")) / 3600))
        ((age_h <= MAX_BACKUP_AGE_HOURS)) || fail "$db: newest backup $name is ${age_h}h old (limit ${MAX_BACKUP_AGE_HOURS}h)"
    fi
    verify_checksum "$path" || fail "$db: checksum check failed for $path"
    pg_restore --list "$path" >/dev/null || fail "$db: pg_restore cannot read the table of contents of $path"

    SCRATCH_DB="${VERIFY_SCRATCH_PREFIX}${db:0:30}_$$"
    psql_q -d "$PG_MAINTENANCE_DB" -v db="$SCRATCH_DB" <<<'CREATE DATABASE :"db" TEMPLATE template0;' ||
        die "$EXIT_FAILURE" "$db: cannot create scratch database $SCRATCH_DB"
    run_child pg_restore --exit-on-error --single-transaction --no-owner --no-acl \
        --dbname="$SCRATCH_DB" "$path" || fail "$db: restore of $path failed (corrupt or truncated dump?)"

    diffs=$(pg_compare_row_counts "$SCRATCH_DB" "$path.manifest.json") || rc=$?
    if ((rc == 1)); then
        log "$db: restored row counts differ from the manifest:"
        printf '  %s\n' "$diffs" >&2
        fail "$db: row counts of $path do not match its manifest"
    fi
    ((rc == 0)) || fail "$db: could not compare row counts (is $path.manifest.json valid?)"
    drop_scratch
    log "$db: OK ($name restored, all row counts match)"
}

drop_stale_scratch_databases() {
    local stale db
    stale=$(psql_q -d "$PG_MAINTENANCE_DB" -v prefix="$VERIFY_SCRATCH_PREFIX" \
        <<<"SELECT datname FROM pg_database WHERE left(datname, length(:'prefix')) = :'prefix';") ||
        die "$EXIT_FAILURE" "cannot connect to $PG_MAINTENANCE_DB (see psql error above)"
    while read -r db; do
        [[ -n $db ]] || continue
        log "dropping stale scratch database $db"
        pg_drop_database "$db" >/dev/null || die "$EXIT_FAILURE" "cannot drop stale scratch database $db"
    done <<<"$stale"
}

main() {
    local db dir failed=() ok=0
    local -a dbs=()
    install_traps
    require_uint MAX_BACKUP_AGE_HOURS
    is_safe_name "$VERIFY_SCRATCH_PREFIX" || die "$EXIT_CONFIG" "VERIFY_SCRATCH_PREFIX is not a valid name prefix"
    require_commands psql pg_restore sha256sum date sort
    [[ -d $BACKUP_DIR ]] || die "$EXIT_CONFIG" "BACKUP_DIR $BACKUP_DIR does not exist"

    if [[ -n ${DATABASES//[[:space:]]/} ]]; then
        read -r -a dbs <<<"$DATABASES"
    else
        for dir in "$BACKUP_DIR"/*/; do
            dir=${dir%/}
            db=${dir##*/}
            if [[ -d $dir ]] && is_safe_name "$db" && [[ -n $(list_artifacts "$dir" "$db" dump) ]]; then
                dbs+=("$db")
            fi
        done
        ((${#dbs[@]} > 0)) || die "$EXIT_CONFIG" "no PostgreSQL backups found in $BACKUP_DIR"
    fi

    drop_stale_scratch_databases
    log "verifying the newest backup of ${#dbs[@]} database(s): ${dbs[*]}"
    for db in "${dbs[@]}"; do
        if ! is_safe_name "$db"; then
            log "VERIFY FAILED: database name '$db' is not supported"
            failed+=("$db")
            continue
        fi
        run_isolated verify_database "$db"
        if ((ISOLATED_RC == 0)); then
            ok=$((ok + 1))
        else
            failed+=("$db")
        fi
    done

    if ((${#failed[@]} > 0)); then
        die "$EXIT_FAILURE" "VERIFICATION FAILED for ${#failed[@]} database(s): ${failed[*]} ($ok verified)"
    fi
    write_timestamp_file "$BACKUP_DIR/last-verify-success"
    log "all $ok database backup(s) verified"
}

main "$@"
