#!/usr/bin/env bash
# pg-restore.sh: one-command restore of a pg-backup.sh artifact into a named database.
#
#   SOURCE_DATABASE=app TARGET_DATABASE=app bash pg-restore.sh          # newest backup of "app"
#   ARTIFACT=/backups/app/app-20250101T020000Z.dump TARGET_DATABASE=app_copy bash pg-restore.sh
#
# Steps: verify the artifact's .sha256 (refuses to restore without a matching one), check that
# pg_restore can read it, then
#   - target missing:            create it (TEMPLATE template0), restore; dropped again on failure;
#   - target exists and empty:   restore into it;
#   - target exists, not empty:  refuse (exit 4) unless FORCE=1; with FORCE=1 restore into a staging
#                                database first and only then swap it in (the old one is dropped,
#                                its sessions are terminated), so a failed restore never touches it.
# The restore runs in a single transaction with --exit-on-error. Afterwards the per-table row counts
# are compared with the manifest (when the manifest exists) and the database is ANALYZEd.
# Database-level settings (ALTER DATABASE ... SET, database ACLs) are not part of a per-database
# dump restored this way; the target gets the cluster's default encoding/locale.
#
# Environment:
#   TARGET_DATABASE      (required) database to restore into
#   SOURCE_DATABASE      database whose newest complete backup in BACKUP_DIR/<db>/ is restored
#   ARTIFACT             path of a specific .dump (absolute, or relative to BACKUP_DIR); wins over
#                        SOURCE_DATABASE; one of the two is required
#   BACKUP_DIR           (default /backups)
#   FORCE                (default 0) 1 = replace an existing non-empty target
#   TARGET_OWNER         (default: connecting user) owner of a newly created target database
#   PG_RESTORE_NO_OWNER  (default 0) 1 = pass --no-owner --no-acl (roles of the source do not exist)
#   PG_MAINTENANCE_DB    (default postgres) database used for CREATE/DROP/ALTER DATABASE
#   PGCONNECT_TIMEOUT    (default 30) seconds libpq waits for a connection
#   PGHOST, PGPORT, PGUSER, PGPASSWORD or PGPASSFILE, PGSSLMODE, ...   standard libpq settings
#
# Exit codes: 0 restored and row counts match; 1 restore failed; 2 bad configuration or artifact not
# found; 3 checksum mismatch / unreadable artifact / row counts differ; 4 target not empty, no FORCE.
set -euo pipefail
umask 077

SCRIPT_DIR=$(dirname -- "${BASH_SOURCE[0]}")
# shellcheck source-path=SCRIPTDIR
source "$SCRIPT_DIR/lib.sh"
LOG_TAG=pg-restore

BACKUP_DIR=${BACKUP_DIR:-/backups}
TARGET_DATABASE=${TARGET_DATABASE:-}
SOURCE_DATABASE=${SOURCE_DATABASE:-}
ARTIFACT=${ARTIFACT:-}
FORCE=${FORCE:-0}
TARGET_OWNER=${TARGET_OWNER:-}
PG_RESTORE_NO_OWNER=${PG_RESTORE_NO_OWNER:-0}
PG_MAINTENANCE_DB=${PG_MAINTENANCE_DB:-postgres}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-30}

# Database this run created and must drop if it does not finish.
CREATED_DB=''
drop_created_database() {
    if [[ -n $CREATED_DB ]] && ((SUCCESS == 0)); then
        log "dropping $CREATED_DB, which this failed run created"
        pg_drop_database "$CREATED_DB" || warn "could not drop $CREATED_DB"
    fi
}

resolve_artifact() {
    local name
    if [[ -n $ARTIFACT ]]; then
        if [[ ! -f $ARTIFACT && -f $BACKUP_DIR/$ARTIFACT ]]; then
            ARTIFACT=$BACKUP_DIR/$ARTIFACT
        fi
        [[ -f $ARTIFACT ]] || die "$EXIT_CONFIG" "artifact not found: $ARTIFACT"
        return 0
    fi
    [[ -n $SOURCE_DATABASE ]] || die "$EXIT_CONFIG" "set ARTIFACT or SOURCE_DATABASE"
    is_safe_name "$SOURCE_DATABASE" || die "$EXIT_CONFIG" "SOURCE_DATABASE '$SOURCE_DATABASE' is not a valid name"
    name=$(newest_complete "$BACKUP_DIR/$SOURCE_DATABASE" "$SOURCE_DATABASE" dump) ||
        die "$EXIT_CONFIG" "no complete backup of $SOURCE_DATABASE in $BACKUP_DIR/$SOURCE_DATABASE"
    ARTIFACT=$BACKUP_DIR/$SOURCE_DATABASE/$name
}

# database_is_empty DB: no user relations, functions, schemas or extensions besides plpgsql.
database_is_empty() {
    local n
    n=$(psql_q -d "$1" <<'SQL'
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)')
     + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
     + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('public', 'information_schema') AND nspname !~ '^pg_')
     + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql');
SQL
    ) || die "$EXIT_FAILURE" "cannot inspect database $1"
    [[ $n == 0 ]]
}

create_database() {
    local sql='CREATE DATABASE :"db" TEMPLATE template0'
    [[ -z $TARGET_OWNER ]] || sql+=' OWNER :"owner"'
    psql_q -d "$PG_MAINTENANCE_DB" -v db="$1" -v owner="$TARGET_OWNER" <<<"$sql;" ||
        die "$EXIT_FAILURE" "cannot create database $1"
}

# restore_into DB: pg_restore ARTIFACT into DB, then row-count check and ANALYZE.
restore_into() {
    local db=$1 diffs rc=0
    local -a args=(--exit-on-error --single-transaction)
    ((PG_RESTORE_NO_OWNER == 0)) || args+=(--no-owner --no-acl)
    log "restoring $ARTIFACT into $db"
    run_child pg_restore "${args[@]}" --dbname="$db" "$ARTIFACT" || die "$EXIT_FAILURE" "pg_restore into $db failed"
    if [[ -f $ARTIFACT.manifest.json ]]; then
        diffs=$(pg_compare_row_counts "$db" "$ARTIFACT.manifest.json") || rc=$?
        if ((rc == 1)); then
            log "row counts in $db differ from the manifest:"
            printf '  %s\n' "$diffs" >&2
            die "$EXIT_INTEGRITY" "restored data does not match the manifest"
        fi
        ((rc == 0)) || die "$EXIT_FAILURE" "could not compare row counts in $db"
        log "row counts of all tables match the manifest"
    else
        warn "no manifest next to $ARTIFACT: row counts not checked"
    fi
    psql_q -d "$db" -c 'ANALYZE' || die "$EXIT_FAILURE" "ANALYZE of $db failed"
}

# swap_in STAGING TARGET: replace TARGET by STAGING. New connections to TARGET are blocked first,
# then its sessions are terminated and both renames happen in one transaction.
swap_in() {
    local staging=$1 target=$2 old
    old="${target:0:40}_replaced_$$"
    log "replacing $target (FORCE=1): terminating its sessions and swapping in the restored copy"
    psql_q -d "$PG_MAINTENANCE_DB" -v target="$target" <<<'ALTER DATABASE :"target" WITH ALLOW_CONNECTIONS false;' ||
        die "$EXIT_FAILURE" "could not block connections to $target"
    if ! psql_q -d "$PG_MAINTENANCE_DB" -v target="$target" -v staging="$staging" -v old="$old" >/dev/null <<'SQL'; then
BEGIN;
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :'target' AND pid <> pg_backend_pid();
ALTER DATABASE :"target" RENAME TO :"old";
ALTER DATABASE :"staging" RENAME TO :"target";
COMMIT;
SQL
        psql_q -d "$PG_MAINTENANCE_DB" -v target="$target" <<<'ALTER DATABASE :"target" WITH ALLOW_CONNECTIONS true;' ||
            warn "could not re-allow connections to $target"
        die "$EXIT_FAILURE" "could not swap $staging in for $target; $target is unchanged"
    fi
    CREATED_DB=''
    pg_drop_database "$old" || warn "restored, but could not drop the replaced database $old"
}

main() {
    local staging
    install_traps
    CLEANUP_HOOKS+=(drop_created_database)
    require_bool FORCE
    require_bool PG_RESTORE_NO_OWNER
    require_commands psql pg_restore sha256sum
    [[ -n $TARGET_DATABASE ]] || die "$EXIT_CONFIG" "TARGET_DATABASE is required"
    is_safe_name "$TARGET_DATABASE" || die "$EXIT_CONFIG" "TARGET_DATABASE '$TARGET_DATABASE' is not a valid name"
    resolve_artifact

    log "checking $ARTIFACT"
    verify_checksum "$ARTIFACT" || die "$EXIT_INTEGRITY" "refusing to restore $ARTIFACT: checksum check failed"
    pg_restore --list "$ARTIFACT" >/dev/null || die "$EXIT_INTEGRITY" "pg_restore cannot read $ARTIFACT"

    local exists=0 rc=0
    pg_database_exists "$TARGET_DATABASE" || rc=$?
    case $rc in
        0) exists=1 ;;
        1) exists=0 ;;
        *) die "$EXIT_FAILURE" "cannot connect to $PG_MAINTENANCE_DB (see psql error above)" ;;
    esac

    if ((exists == 0)); then
        create_database "$TARGET_DATABASE"
        CREATED_DB=$TARGET_DATABASE
        restore_into "$TARGET_DATABASE"
    elif database_is_empty "$TARGET_DATABASE"; then
        log "target $TARGET_DATABASE exists and is empty"
        restore_into "$TARGET_DATABASE"
    elif ((FORCE == 1)); then
        [[ $TARGET_DATABASE != "$PG_MAINTENANCE_DB" ]] ||
            die "$EXIT_CONFIG" "cannot replace $TARGET_DATABASE while using it as PG_MAINTENANCE_DB"
        staging="${TARGET_DATABASE:0:40}_restore_$$"
        create_database "$staging"
        CREATED_DB=$staging
        restore_into "$staging"
        swap_in "$staging" "$TARGET_DATABASE"
    else
        die "$EXIT_REFUSED" "target database $TARGET_DATABASE exists and is not empty; set FORCE=1 to replace it"
    fi
    SUCCESS=1
    log "restore of $ARTIFACT into $TARGET_DATABASE complete"
}

main "$@"
