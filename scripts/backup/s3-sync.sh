#!/bin/sh
# s3-sync.sh: mirrors the complete backups on the backup volume to S3-compatible object storage.
#
# POSIX sh (the rclone image is Alpine: busybox sh, no bash). Runs after pg-backup.sh or
# redis-snapshot.sh (and their GFS retention) finished, in the same pod. For each set directory
# BACKUP_DIR/<set>/ (see lib.sh for the layout) it makes <remote>/<set>/ hold exactly the set's
# COMPLETE backups (artifact + .sha256 + .manifest.json):
#   1. uploads missing artifacts and checksums, then verifies each uploaded file's MD5 against the
#      object store (single-part uploads: the ETag the server computed; multipart: the MD5 rclone
#      records in the object's metadata, each part having been checked by the server; no MD5
#      available: the object is downloaded and hashed);
#   2. only then uploads the manifests: as locally, a manifest marks a complete backup remotely;
#   3. deletes remote backups that local retention deleted (manifest first, as retention.sh does),
#      so the bucket keeps the same GFS set. A set without any complete local backup deletes
#      nothing remotely (an empty or replaced volume never wipes the bucket).
# Never uploads *.partial files or incomplete backups. Remote sets with no local directory are
# left alone. Files already in the bucket with the right size are not uploaded again.
#
# Environment:
#   BACKUP_DIR        (default /backups) root holding one directory per set
#   S3_BUCKET         (required) bucket name; it must exist (no bucket-creation permission needed)
#   S3_PREFIX         (default empty) key prefix; set <set> goes to <bucket>/<prefix>/<set>/
#   RCLONE_REMOTE     (default target) rclone remote, configured by RCLONE_CONFIG_<REMOTE>_* variables
#                     (TYPE=s3, PROVIDER, ENDPOINT, ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION, FORCE_PATH_STYLE)
#   S3_VERIFY         (default md5) md5 | download: always download uploaded files to verify them
#   RCLONE            (default rclone) the rclone binary
#   TMPDIR            (default /tmp) scratch space for file lists
#
# Exit codes: 0 ok, 1 an upload, verification or deletion failed, 2 bad configuration.
set -eu
# A failing command inside a pipe (e.g. `wc -l <missing-list | tr`) must fail the pipe. The image's busybox sh has
# pipefail (as do bash, ksh and POSIX.1-2024 shells); Debian's dash 0.5.12, which the tests also run this under,
# does not, and runs it without.
# shellcheck disable=SC3040 # pipefail is checked for first
if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi

BACKUP_DIR=${BACKUP_DIR:-/backups}
S3_BUCKET=${S3_BUCKET:-}
S3_PREFIX=${S3_PREFIX:-}
RCLONE_REMOTE=${RCLONE_REMOTE:-target}
S3_VERIFY=${S3_VERIFY:-md5}
RCLONE=${RCLONE:-rclone}

log() { printf '%s s3-sync: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
    code=$1
    shift
    log "ERROR: $*"
    exit "$code"
}

WORK=''
CHILD=''
cleanup() {
    if [ -n "$CHILD" ]; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    if [ -n "$WORK" ]; then rm -rf -- "$WORK"; fi
}
trap cleanup EXIT
# sh as PID 1 ignores SIGTERM unless trapped; the trap runs once the wait below is interrupted.
trap 'log "received SIGTERM, aborting"; exit 143' TERM
trap 'exit 130' INT

# rc ARGS...: rclone in the background, waited for, so SIGTERM (Job deadline) stops it at once.
rc() {
    "$RCLONE" --retries 3 --low-level-retries 10 --stats 0 --s3-no-check-bucket "$@" &
    CHILD=$!
    status=0
    wait "$CHILD" || status=$?
    CHILD=''
    return "$status"
}

# Set names and artifact names become object keys and file names: keep them boring (as lib.sh).
is_safe_name() {
    case $1 in
        '' | .* | *[!A-Za-z0-9_.-]*) return 1 ;;
    esac
    [ "${#1}" -le 63 ]
}

STAMP='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'

# is_artifact SET NAME: NAME is <set>-<stamp>.dump or <set>-<stamp>.rdb.
is_artifact() {
    # shellcheck disable=SC2254 # $STAMP is a pattern on purpose
    case $2 in
        "$1"-$STAMP.dump | "$1"-$STAMP.rdb) return 0 ;;
    esac
    return 1
}

# is_backup_file SET NAME: NAME is an artifact, its checksum or its manifest (what may be deleted remotely).
is_backup_file() {
    case $2 in
        *.partial) return 1 ;;
        *.sha256) is_artifact "$1" "${2%.sha256}" ;;
        *.manifest.json) is_artifact "$1" "${2%.manifest.json}" ;;
        *) is_artifact "$1" "$2" ;;
    esac
}

size_of() { wc -c <"$1" | tr -d ' '; }

# verify_uploads DIR REMOTE LIST: each file named in LIST has the same MD5 locally and in the bucket.
verify_uploads() {
    dir=$1 remote=$2 list=$3
    if [ "$S3_VERIFY" = download ]; then
        rc md5sum --download --files-from-raw "$list" "$remote" >"$WORK/remote.md5" || return 1
    else
        rc md5sum --files-from-raw "$list" "$remote" >"$WORK/remote.md5" || return 1
    fi
    bad=0
    while IFS= read -r name; do
        # rclone md5sum prints "<32 hex>  <name>", or 32 blanks when the object has no MD5.
        remote_md5=$(awk -v n="$name" 'substr($0, 35) == n { print substr($0, 1, 32); exit }' "$WORK/remote.md5")
        case $remote_md5 in
            *[!0-9a-f]* | '')
                log "no MD5 recorded for $name in the bucket; downloading it to verify"
                remote_md5=$(rc md5sum --download "$remote/$name" | awk '{ print $1; exit }') || remote_md5=''
                ;;
        esac
        local_md5=$(md5sum <"$dir/$name" | awk '{ print $1 }')
        if [ "$remote_md5" = "$local_md5" ]; then
            log "verified $name (md5 $local_md5)"
        else
            log "VERIFY FAILED: $name: local md5 $local_md5, bucket '${remote_md5:-none}'"
            bad=1
        fi
    done <"$list"
    return "$bad"
}

# sync_set DIR SET: the three steps above for one set.
sync_set() {
    dir=$1 set_name=$2
    remote="$RCLONE_REMOTE:$S3_BUCKET/${S3_PREFIX:+$S3_PREFIX/}$set_name"
    : >"$WORK/complete"
    for path in "$dir/$set_name"-*; do
        [ -f "$path" ] || continue
        name=${path##*/}
        is_artifact "$set_name" "$name" || continue
        if [ -f "$path.sha256" ] && [ -f "$path.manifest.json" ]; then
            printf '%s\n' "$name" >>"$WORK/complete"
        else
            log "skipping incomplete backup $dir/$name"
        fi
    done
    count=$(wc -l <"$WORK/complete" | tr -d ' ')

    # What the bucket holds: "size;name" of each object in the set's directory.
    rc lsf --files-only --format sp --separator ';' "$remote" >"$WORK/remote" 2>"$WORK/lsf.err" || {
        # A prefix nobody wrote to yet is not an error for S3 (an empty listing), but keep rclone's reason.
        cat "$WORK/lsf.err" >&2
        log "cannot list $remote"
        return 1
    }

    : >"$WORK/data"
    : >"$WORK/manifests"
    while IFS= read -r name; do
        for file in "$name" "$name.sha256"; do
            if ! grep -qxF -- "$(size_of "$dir/$file");$file" "$WORK/remote"; then
                printf '%s\n' "$file" >>"$WORK/data"
            fi
        done
        file="$name.manifest.json"
        if ! grep -qxF -- "$(size_of "$dir/$file");$file" "$WORK/remote"; then
            printf '%s\n' "$file" >>"$WORK/manifests"
        fi
    done <"$WORK/complete"

    if [ -s "$WORK/data" ]; then
        log "$set_name: uploading $(wc -l <"$WORK/data" | tr -d ' ') artifact/checksum file(s) to $remote"
        rc copy --no-traverse --no-check-dest --files-from-raw "$WORK/data" "$dir" "$remote" || {
            log "$set_name: upload failed"
            return 1
        }
        verify_uploads "$dir" "$remote" "$WORK/data" || {
            log "$set_name: verification failed; manifests not uploaded"
            return 1
        }
    fi
    if [ -s "$WORK/manifests" ]; then
        log "$set_name: publishing $(wc -l <"$WORK/manifests" | tr -d ' ') manifest(s)"
        rc copy --no-traverse --no-check-dest --files-from-raw "$WORK/manifests" "$dir" "$remote" || {
            log "$set_name: manifest upload failed"
            return 1
        }
        verify_uploads "$dir" "$remote" "$WORK/manifests" || return 1
    fi

    if [ "$count" -eq 0 ]; then
        log "$set_name: no complete local backup; deleting nothing in the bucket"
        return 0
    fi
    # Remote backup files whose backup local retention removed (or that are not complete locally).
    : >"$WORK/delete-manifests"
    : >"$WORK/delete-data"
    while IFS= read -r line; do
        name=${line#*;}
        is_backup_file "$set_name" "$name" || continue
        artifact=${name%.sha256}
        artifact=${artifact%.manifest.json}
        grep -qxF -- "$artifact" "$WORK/complete" && continue
        case $name in
            *.manifest.json) printf '%s\n' "$name" >>"$WORK/delete-manifests" ;;
            *) printf '%s\n' "$name" >>"$WORK/delete-data" ;;
        esac
    done <"$WORK/remote"
    for list in "$WORK/delete-manifests" "$WORK/delete-data"; do
        [ -s "$list" ] || continue
        while IFS= read -r name; do log "$set_name: deleting $name from the bucket (removed locally)"; done <"$list"
        rc delete --no-traverse --files-from-raw "$list" "$remote" || {
            log "$set_name: remote deletion failed"
            return 1
        }
    done
    log "$set_name: bucket holds the $count complete local backup(s)"
}

main() {
    [ -n "$S3_BUCKET" ] || die 2 "S3_BUCKET is empty"
    case $S3_VERIFY in md5 | download) ;; *) die 2 "S3_VERIFY must be md5 or download, got '$S3_VERIFY'" ;; esac
    case $S3_PREFIX in /* | */) die 2 "S3_PREFIX must not start or end with '/', got '$S3_PREFIX'" ;; esac
    is_safe_name "$RCLONE_REMOTE" || die 2 "RCLONE_REMOTE '$RCLONE_REMOTE' is not a valid remote name"
    command -v "$RCLONE" >/dev/null 2>&1 || die 2 "required command not found on PATH: $RCLONE"
    [ -d "$BACKUP_DIR" ] || die 2 "BACKUP_DIR $BACKUP_DIR does not exist"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/s3-sync.XXXXXX") || die 2 "cannot create a scratch directory in ${TMPDIR:-/tmp}"

    failed=0
    synced=0
    for dir in "$BACKUP_DIR"/*/; do
        dir=${dir%/}
        [ -d "$dir" ] || continue
        set_name=${dir##*/}
        # lost+found and anything else that is not a set name.
        is_safe_name "$set_name" || continue
        if sync_set "$dir" "$set_name"; then
            synced=$((synced + 1))
        else
            failed=$((failed + 1))
        fi
    done
    [ "$failed" -eq 0 ] || die 1 "$failed set(s) failed to sync to $RCLONE_REMOTE:$S3_BUCKET/$S3_PREFIX"
    log "synced $synced set(s) to $RCLONE_REMOTE:$S3_BUCKET${S3_PREFIX:+/$S3_PREFIX}"
}

main "$@"
