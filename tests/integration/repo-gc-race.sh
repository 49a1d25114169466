#!/bin/bash
# Garbage collection of a repository (format 2) in S3 against a backup
# that another host makes in the middle of it: the collection is stopped
# (SIGSTOP) at each step of its sweep, a whole backup runs from a second
# backup_dir and uploads, deduplicating against chunks that only marked
# packs hold, then the collection goes on. No backup may be left naming a
# chunk whose pack was deleted: every backup in S3 verifies afterwards, and
# again after the next collections. A lost index file does not make a
# collection delete the packs it named while backups use them. (On one host the backup_dir's lock
# keeps a backup and a cleanup apart.)
# Covers src/repo/gc.c (sweep, packs no index names), src/repo/copy.c (the
# upload's lock).
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 500
redis_settle "$D/redis.sock"
s3_e2e_format2
C2=$(conf hostb backup_dir="$TMP/hostb")
sed -i "s|^repository = { format = 1; };|repository = { format = 2; };|" "$C2"
mkdir -p "$TMP/hostb"
export VSBACKUP_GC_GRACE=0

# Keys of random text (about 48 MB, packs of their own) whose chunks only the backups taken
# while they exist use; the same seed writes them again byte for byte.
extra_add() {
	"$PY" - "$1" <<'PYEOF' | rcli --pipe >/dev/null
import sys, random
rnd = random.Random(int(sys.argv[1]))
out = sys.stdout.buffer
for i in range(240):
    key = b"chimera-vectors:bulk-%d" % i
    val = rnd.randbytes(100000).hex().encode()
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(val), val))
PYEOF
}
extra_del() { rcli --scan --pattern 'chimera-vectors:bulk-*' | xargs -r redis-cli -s "$D/redis.sock" del >/dev/null; }
# A backup with conf $1; its id on stdout (tick first, in this shell).
backup_with() {
	"$VSBACKUP" -c "$1" backup 2>"$TMP/b.err" | tail -1
	[ "${PIPESTATUS[0]}" -eq 0 ] || { sed 's/^/# /' "$TMP/b.err" >&2; echo failed; }
}
verify_all() {
	local id bad=0
	for id in $(ls "$S3R/manifests" | sed 's/\._S3rver.*//' | sort -u); do
		vs verify "$id" --from s3 >"$TMP/verify.out" 2>&1 || { bad=1; sed 's/^/# /' "$TMP/verify.out"; }
	done
	return $bad
}
marked_packs() { find "$S3R/trash" -name '*._S3rver_object' -exec cat {} + 2>/dev/null | grep -c '^[0-9a-f]\{64\}$'; }
stopped() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }

seed=1
for step in sweep-planned index-written index-old-deleted; do
	extra_add $seed
	tick; ida=$(backup_with "$C")
	extra_del
	tick; backup_with "$C" >/dev/null
	vs delete "$ida" --location local --yes >/dev/null 2>&1
	vs delete "$ida" --location s3 --yes >/dev/null 2>&1
	vs cleanup --location s3 >"$TMP/out" 2>&1
	n=$(marked_packs)
	ok "$([ "$n" -ge 1 ]; echo $?)" "[$step] the packs of a deleted backup are marked in S3 ($n)" ||
	    sed 's/^/# /' "$TMP/out"
	VSBACKUP_GC_PAUSE_AT=$step "$VSBACKUP" -c "$C" cleanup --location s3 >"$TMP/gc.out" 2>&1 &
	gc=$!
	harness_track $gc
	wait_until 30 stopped $gc
	ok $? "[$step] the collection stopped at '$step'"
	extra_add $seed
	tick; idc=$(backup_with "$C2")
	ok "$([ "$idc" != failed ]; echo $?)" "[$step] another host backs up meanwhile ($idc)"
	kill -CONT $gc
	wait $gc
	ok $? "[$step] the collection ends" || sed 's/^/# /' "$TMP/gc.out"
	verify_all
	ok $? "[$step] every backup in S3 verifies, the one made meanwhile too"
	vs cleanup --location s3 >/dev/null 2>&1
	vs cleanup --location s3 >/dev/null 2>&1
	verify_all
	ok $? "[$step] and after two more collections"
	extra_del
	seed=$((seed + 1))
done

# --- an index file lost: its packs are indexed again, not deleted ---------------------
verify_local() {
	local id bad=0
	for id in $(ls "$R/manifests"); do
		vs verify "$id" --from local >"$TMP/verify.out" 2>&1 || { bad=1; sed 's/^/# /' "$TMP/verify.out"; }
	done
	return $bad
}
extra_add 99
tick; idx=$(backup_with "$C")
ok "$([ "$idx" != failed ]; echo $?)" "a backup with the bulk keys ($idx)"
big=$(find "$R/index" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
mv "$big" "$TMP/index.aside"
# Older than the grace period by the clock the tests run on (VSBACKUP_NOW).
find "$R/packs" -type f -exec touch -d 2024-07-01T00:00:00Z {} +
vs verify "$idx" --from local >/dev/null 2>&1
is $? 3 "without its largest index file the backup does not verify"
vs cleanup --location local >"$TMP/out" 2>&1
like "$(cat "$TMP/out")" "indexed again" "a collection names the packs no index file names but backups use" ||
    sed 's/^/# /' "$TMP/out"
vs cleanup --location local >/dev/null 2>&1
vs cleanup --location local >/dev/null 2>&1
verify_local
ok $? "  after three collections every local backup verifies: no pack they use was deleted"

done_testing
