#!/usr/bin/env bash
# retention.sh: grandfather-father-son retention for backup sets (see lib.sh for the layout).
#
# Sourced by pg-backup.sh and redis-snapshot.sh, which call apply_retention for one set right after
# a successful backup. Executed directly, it applies retention to every set under BACKUP_DIR.
#
# Policy, per set, counting only COMPLETE backups (artifact + .sha256 + .manifest.json):
#   keep the newest backup of each of the newest RETAIN_DAILY calendar days (UTC),
#   keep the newest backup of each of the newest RETAIN_WEEKLY ISO weeks,
#   keep the newest backup of each of the newest RETAIN_MONTHLY calendar months;
#   always keep the newest backup whose checksum verifies ("newest good"), whatever the counts;
#   delete every other complete backup (artifact, checksum and manifest together);
#   delete incomplete leftovers (missing checksum/manifest, *.partial) older than the newest good one.
# Days, weeks and months come from the UTC timestamp in the artifact names, never from the clock
# or file mtimes, so the outcome depends only on which backups exist.
# If no backup of a set verifies, nothing is deleted and the call fails.
#
# Environment:
#   BACKUP_DIR      (default /backups) root holding one directory per set (direct execution only)
#   RETAIN_DAILY    (default 7)  number of daily backups to keep
#   RETAIN_WEEKLY   (default 4)  number of weekly backups to keep
#   RETAIN_MONTHLY  (default 12) number of monthly backups to keep
#
# Exit codes (direct execution): 0 ok, 1 a set could not be processed or has no good backup,
# 2 bad configuration.

# shellcheck source-path=SCRIPTDIR
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# retention_config_check: validates RETAIN_* (defaults applied).
retention_config_check() {
    RETAIN_DAILY=${RETAIN_DAILY:-7}
    RETAIN_WEEKLY=${RETAIN_WEEKLY:-4}
    RETAIN_MONTHLY=${RETAIN_MONTHLY:-12}
    require_uint RETAIN_DAILY
    require_uint RETAIN_WEEKLY
    require_uint RETAIN_MONTHLY
}

# delete_backup DIR ARTIFACT: removes the manifest first (so an interrupted delete leaves an
# incomplete set, which the next run cleans up), then the artifact and its checksum.
delete_backup() {
    rm -f -- "$1/$2.manifest.json" "$1/$2" "$1/$2.sha256"
}

# apply_retention DIR SET EXT: applies the policy above to the set SET (artifacts SET-*.EXT) in DIR.
apply_retention() {
    local dir=$1 set=$2 ext=$3
    local -a all=() complete=() dates=() keys=()
    local -A keep=() seen_day=() seen_week=() seen_month=()
    local name pinned='' pinned_stamp stamp i day week month path base rest
    local kept_daily=0 kept_weekly=0 kept_monthly=0 deleted=0

    retention_config_check
    mapfile -t all < <(list_artifacts "$dir" "$set" "$ext")
    for name in "${all[@]}"; do
        if is_complete "$dir" "$name"; then
            complete+=("$name")
        fi
    done

    for name in "${complete[@]}"; do
        if verify_checksum "$dir/$name"; then
            pinned=$name
            break
        fi
        warn "backup $dir/$name is not good (see above); not counted as the newest good backup"
    done
    if [[ -z $pinned ]]; then
        log "ERROR: no backup in $dir passes its checksum; retention skipped, nothing deleted"
        return 1
    fi
    pinned_stamp=$(artifact_stamp "$pinned" "$set" "$ext")
    keep[$pinned]=1

    for name in "${complete[@]}"; do
        stamp=$(artifact_stamp "$name" "$set" "$ext")
        dates+=("${stamp:0:4}-${stamp:4:2}-${stamp:6:2}")
    done
    # One date(1) call for all backups: "day ISO-week month" per line, same order.
    mapfile -t keys < <(printf '%s\n' "${dates[@]}" | date -u -f - '+%F %G-W%V %Y-%m')
    if ((${#keys[@]} != ${#complete[@]})); then
        log "ERROR: could not compute calendar keys for $dir"
        return 1
    fi

    # complete[] is newest first, so the first backup seen for a day/week/month is its newest.
    for i in "${!complete[@]}"; do
        name=${complete[i]}
        read -r day week month <<<"${keys[i]}"
        if [[ -z ${seen_day[$day]:-} ]]; then
            seen_day[$day]=1
            if ((kept_daily < RETAIN_DAILY)); then
                keep[$name]=1
                kept_daily=$((kept_daily + 1))
            fi
        fi
        if [[ -z ${seen_week[$week]:-} ]]; then
            seen_week[$week]=1
            if ((kept_weekly < RETAIN_WEEKLY)); then
                keep[$name]=1
                kept_weekly=$((kept_weekly + 1))
            fi
        fi
        if [[ -z ${seen_month[$month]:-} ]]; then
            seen_month[$month]=1
            if ((kept_monthly < RETAIN_MONTHLY)); then
                keep[$name]=1
                kept_monthly=$((kept_monthly + 1))
            fi
        fi
    done

    for name in "${complete[@]}"; do
        if [[ -z ${keep[$name]:-} ]]; then
            log "retention: deleting $dir/$name (+ checksum, manifest)"
            delete_backup "$dir" "$name"
            deleted=$((deleted + 1))
        fi
    done

    # Leftovers of failed or killed runs: incomplete sets, orphaned companions, *.partial files.
    for path in "$dir/$set-"* "$dir/.$set-"*; do
        [[ -e $path ]] || continue
        base=${path##*/}
        base=${base#.}
        base=${base%.partial}
        rest=${base#"$set-"}
        stamp=${rest:0:16}
        [[ $stamp =~ $STAMP_RE ]] || continue
        case ${rest:16} in
            ".$ext" | ".$ext.sha256" | ".$ext.manifest.json") ;;
            *) continue ;;
        esac
        name="$set-$stamp.$ext"
        if [[ -n ${keep[$name]:-} && $path != *.partial ]]; then
            continue
        fi
        if [[ $base == "${path##*/}" ]] && is_complete "$dir" "$name"; then
            continue # a complete backup that GFS keeps or already handled above
        fi
        if [[ $stamp < "$pinned_stamp" ]]; then
            log "retention: deleting leftover $path"
            rm -f -- "$path"
        fi
    done

    sync_dir "$dir"
    log "retention for $set: newest good $pinned; kept $((${#complete[@]} - deleted)) of ${#complete[@]} complete backups (daily ${RETAIN_DAILY}/weekly ${RETAIN_WEEKLY}/monthly ${RETAIN_MONTHLY}), deleted $deleted"
}

# Direct execution: every set directory under BACKUP_DIR.
retention_main() {
    local dir set ext path failed=0 found
    BACKUP_DIR=${BACKUP_DIR:-/backups}
    LOG_TAG=retention
    retention_config_check
    require_commands date sha256sum sort sync
    [[ -d $BACKUP_DIR ]] || die "$EXIT_CONFIG" "BACKUP_DIR $BACKUP_DIR does not exist"
    for dir in "$BACKUP_DIR"/*/; do
        dir=${dir%/}
        [[ -d $dir ]] || continue
        set=${dir##*/}
        for ext in dump rdb; do
            found=0
            for path in "$dir/$set-"*".$ext"; do
                [[ -f $path ]] && found=1 && break
            done
            ((found)) || continue
            if ! apply_retention "$dir" "$set" "$ext"; then
                failed=$((failed + 1))
            fi
        done
    done
    ((failed == 0)) || die "$EXIT_FAILURE" "retention failed for $failed set(s)"
    log "retention done"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    retention_main
fi
