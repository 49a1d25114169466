#!/bin/bash
# A full disk. backup_dir is a 3 MiB tmpfs, mounted in a private mount
# namespace of an unprivileged user namespace (unshare -rm), so no root is
# needed. A backup that runs out of space while copying a data file, and one
# that runs out exactly at metadata.json: exit 1, the message names the file
# and says "No space left on device", ID.partial is removed, the earlier
# backup and the live data are untouched. A restore into the full file
# system is refused before anything live is touched (no room for the safety
# backup); restore --target-dir there names the file it could not write.
# Once space is freed, backups work again.
# Covers src/storage/posix/storage-posix.c (put, commit, abort),
# src/jobs/backup.c, job-restore.c (check_space, restore_to_dir), place.c.
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

mkdir -p "$TMP/probe"
unshare -rm sh -c 'mount -t tmpfs -o size=1m tmpfs "$1"' sh "$TMP/probe" 2>"$TMP/probe.err" ||
    skip_all "cannot mount a small tmpfs in a user namespace here: $(cat "$TMP/probe.err")"

eng_demo "$TMP/d" 2000 200 16
SMALL=$TMP/small
R=$TMP/results
mkdir -p "$SMALL" "$R"
sed "s|^backup_dir = .*|backup_dir = \"$SMALL\";|" "$CONF" > "$TMP/small.conf"
chmod 600 "$TMP/small.conf"
snapshot_live live

# Everything that looks at the tmpfs runs inside the namespace: it is gone
# when the namespace ends. Results go to $R, outside it.
cat > "$TMP/ns.sh" <<'EOF'
set -u
mount -t tmpfs -o size=3m,mode=0700 tmpfs "$SMALL" || exit 99
step() {   # step NAME NOW ARGS...: run vsbackup, keep status and output
	local name=$1 now=$2
	shift 2
	VSBACKUP_NOW=$now "$VSBACKUP" -c "$SMALLCONF" "$@" >"$R/$name.out" 2>"$R/$name.err"
	echo $? > "$R/$name.rc"
	# The state file of the last runs (for metrics) belongs there.
	(cd "$SMALL" && ls -A | grep -v -x .vsbackup-state.json) > "$R/$name.ls"
	find "$SMALL" -name '*.tmp*' -o -name '.*.vsbackup-??????' > "$R/$name.tmpfiles"
	[ -d "$SMALL/20240101_000000" ] &&
	    (cd "$SMALL/20240101_000000" && sha256sum metadata.json redis.rdb content_index.faiss user_index.faiss) |
	    sha256sum > "$R/$name.sum"
}
avail() { df -B1 --output=avail "$SMALL" | tail -1; }
pages() { echo $(( ($1 + 4095) / 4096 * 4096 )); }

step b1 2024-01-01T00:00:00Z backup
cd "$SMALL/20240101_000000" || exit 98
need=$(( $(pages $(stat -c %s redis.rdb)) + $(pages $(stat -c %s content_index.faiss)) +
    $(pages $(stat -c %s user_index.faiss)) ))
cd /

# Room for less than the Redis snapshot.
fallocate -l $(( $(avail) - 65536 )) "$SMALL/filler"
step b2 2024-01-01T00:01:00Z backup
rm "$SMALL/filler"

# Room for the three data files and the lock file's details, not for
# metadata.json.
fallocate -l $(( $(avail) - need - 4096 )) "$SMALL/filler"
step b3 2024-01-01T00:02:00Z backup

# Restores while it is full.
step r1 2024-01-01T00:03:00Z restore 20240101_000000 --yes
step r2 2024-01-01T00:04:00Z restore 20240101_000000 --target-dir "$SMALL/out"
ls -A "$SMALL/out" > "$R/r2.outls" 2>&1
rm -rf "$SMALL/filler" "$SMALL/out"

step b4 2024-01-01T00:05:00Z backup
step v4 2024-01-01T00:06:00Z verify 20240101_000500 --deep
exit 0
EOF
SMALL=$SMALL SMALLCONF=$TMP/small.conf R=$R VSBACKUP=$VSBACKUP unshare -rm bash "$TMP/ns.sh"
is "$?" 0 "the steps ran in the namespace"

res() { cat "$R/$1.$2" 2>/dev/null; }

is "$(res b1 rc)" 0 "a first backup into the 3 MiB file system succeeds"
SUM1=$(res b1 sum)

# --- out of space in a data file ---------------------------------------------------
is "$(res b2 rc)" 1 "a backup without room for its Redis snapshot fails (exit 1)"
like "$(res b2 err)" "cannot write $SMALL/20240101_000100.partial/(redis.rdb|content_index.faiss|user_index.faiss): No space left on device" \
    "the message names the file and says the disk is full"
is "$(res b2 ls | tr '\n' ' ')" ".vsbackup.lock 20240101_000000 filler " \
    "20240101_000100.partial is removed, nothing else is there"
is "$(res b2 tmpfiles)" "" "no temporary file is left"
is "$(res b2 sum)" "$SUM1" "the earlier backup is untouched"

# --- out of space at metadata.json ---------------------------------------------------
is "$(res b3 rc)" 1 "a backup without room for metadata.json fails (exit 1)"
like "$(res b3 err)" "cannot write $SMALL/20240101_000200.partial/metadata.json.*: No space left on device" \
    "the message names metadata.json and says the disk is full"
is "$(res b3 ls | tr '\n' ' ')" ".vsbackup.lock 20240101_000000 filler " \
    "20240101_000200.partial is removed, nothing else is there"
is "$(res b3 tmpfiles)" "" "no temporary file is left"
is "$(res b3 sum)" "$SUM1" "the earlier backup is untouched"

# --- restores while full -------------------------------------------------------------------
is "$(res r1 rc)" 1 "a restore with no room for the safety backup is refused (exit 1)"
like "$(res r1 err)" "space in backup_dir for the safety backup: only [0-9.]+ [KMG]?i?B free in $SMALL, about [0-9.]+ [KMG]iB needed" \
    "the message says where space is missing, for what, and how much"
is "$(res r1 ls | tr '\n' ' ')" ".vsbackup.lock 20240101_000000 filler " "it left nothing in backup_dir"
is "$(res r2 rc)" 1 "restore --target-dir into the full file system fails (exit 1)"
like "$(res r2 err)" "$SMALL/out/[a-z_]+\\.(rdb|faiss).*No space left on device" \
    "the message names the file it could not write"
is "$(res r2 tmpfiles)" "" "no temporary file is left in the target directory"
ok "$(res r2 outls | grep -q metadata.json; echo $((! $?)))" "the target directory has no metadata.json"

# --- space freed -------------------------------------------------------------------------------
is "$(res b4 rc)" 0 "with space freed a backup succeeds again"
is "$(res v4 rc)" 0 "and verifies (deep)"
is "$(res b4 sum)" "$SUM1" "the first backup is still intact"

live_same live
ok $? "the live digest and index files never changed"

done_testing
