#!/bin/bash
# cleanup and the backup_dir lock: a real cleanup while another process
# holds backup_dir/.vsbackup.lock exits 2 naming the holder (operation,
# pid, host, since when) and deletes nothing; a dry run does not need the
# lock. The holder is first this script (flock plus the pid/host/operation/
# started lines src/engine/lock.c writes), then a real vsbackup backup made
# slow by Redis's rdb-key-save-delay. That backup is then killed with
# SIGKILL mid-snapshot: it leaves ID.partial and a lock file naming a dead
# process, and the next cleanup takes the lock over, says so, and removes
# the unfinished backup.
# Covers src/jobs/job-cleanup.c with src/engine/lock.c and
# src/jobs/jobs-lock.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/cleanup-lib.sh"

command -v flock >/dev/null || skip_all "flock (util-linux) is not installed"
cleanup_sandbox
cleanup_conf "$TMP/vsbackup.conf" 'retention = { daily = 7; weekly = 4; monthly = 6; };'
AT=2024-03-01T12:00:00Z
HOST=$(uname -n)
LOCK=$B/.vsbackup.lock
rcli() { redis-cli -s "$D/redis.sock" "$@"; }

bk 2024-01-02T02:00:00Z
bk 2024-01-03T02:00:00Z
ALL=$(local_ids)
# The dry run's rows as "id action reason_code".
plan() { vs --json cleanup --dry-run --at "$1" 2>"$TMP/err" | plan_rows | cut -d' ' -f2,4,5 | sort; }

# --- held by another process (this script) ------------------------------------------
# Started 2024-03-01T08:00:00Z (1709280000); the subshell becomes sleep, so
# its pid is the holder's and the flock stays on its descriptor 9.
(
	exec 9<>"$LOCK"
	flock -x 9 || exit 1
	printf 'pid=%s\nhost=%s\noperation=backup\nstarted=%s\n' "$BASHPID" "$HOST" 1709280000 > "$LOCK"
	: > "$TMP/held"
	exec sleep 60
) &
HOLDER=$!
harness_track "$HOLDER"
wait_until 10 test -e "$TMP/held" || bail_out "could not hold the lock"

vs cleanup --at "$AT" > "$TMP/out" 2>"$TMP/err"
is "$?" 2 "cleanup while another process holds the lock: exit 2"
like "$(cat "$TMP/err")" "$B is locked by another operation: backup \(pid $HOLDER on $HOST, since 2024-03-01T08:00:00Z\); wait for it to finish \(or stop it\) and try again" \
    "  naming the holder: operation, pid, host, since when"
is "$(local_ids)" "$ALL" "  nothing was deleted"
vs --json cleanup --at "$AT" > "$TMP/out" 2>&1
is "$?" 2 "  also with --json"
is "$(plan "$AT")" "$(printf '%s\n' '20240102_020000 delete expired' '20240103_020000 keep newest-complete')" \
    "a dry run does not need the lock: it shows the decisions"
is "$(grep -c '^pid=' "$LOCK")" 1 "  and leaves the holder's lock file as it was"
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null

vs cleanup --at "$AT" > "$TMP/out" 2>"$TMP/err"
ok $? "once the holder is gone, cleanup runs" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/err")" "took over the backup_dir lock left by backup \(pid $HOLDER on $HOST, since 2024-03-01T08:00:00Z\), which is no longer running" \
    "  saying whose lock it took over"
is "$(local_ids)" 20240103_020000 "  and deletes what it decided"
is "$(cat "$LOCK")" "" "  and clears the lock file when done"

# --- held by a real backup ---------------------------------------------------------------
# 20 ms per key: the snapshot of 550 keys takes about 11 s, long enough to
# look at the backup while it waits for it.
is "$(rcli config set rdb-key-save-delay 20000)" OK "Redis saves slowly (rdb-key-save-delay)"
VSBACKUP_NOW=2024-03-01T13:00:00Z "$VSBACKUP" -c "$C" -q backup > /dev/null 2>"$TMP/bk.err" &
BK=$!
harness_track "$BK"
wait_until 10 grep -q "^pid=$BK$" "$LOCK" &&
    wait_until 10 test -s "$B/20240301_130000.partial/content_index.faiss"
ok $? "a backup is running: it holds the lock and writes 20240301_130000.partial"
vs cleanup --at 2024-03-01T14:00:00Z > "$TMP/out" 2>"$TMP/err"
is "$?" 2 "cleanup while that backup runs: exit 2"
like "$(cat "$TMP/err")" "is locked by another operation: backup \(pid $BK on $HOST, since 2024-03-01T13:00:00Z\)" \
    "  naming the running backup"
kill -0 "$BK" 2>/dev/null
ok $? "  the backup is still running"
vs --json cleanup --dry-run --at 2024-03-01T14:00:00Z > "$TMP/dry.json" 2>"$TMP/err"
is "$?" 0 "a dry run meanwhile works"
like "$(plan_rows < "$TMP/dry.json" | grep ' 20240103_020000 ')" 'keep newest-complete' \
    "  showing the complete backup kept"
# The running backup's directory is not an interrupted one: a dry run
# does not offer to delete it (a real run is refused by the lock anyway).
like "$(plan_rows < "$TMP/dry.json" | grep ' 20240301_130000 ')" 'keep in-use' \
    "  and keeps the running backup's 20240301_130000.partial as in use"

# Killed mid-snapshot: ID.partial and a lock file naming a dead process stay.
# (Redirected around both, so the shell's "Killed" notice stays out of the log.)
{ kill -KILL "$BK"; wait "$BK"; } 2>/dev/null
rcli config set rdb-key-save-delay 0 >/dev/null
is "$(local_ids)" "$(printf '%s\n' 20240103_020000 20240301_130000.partial)" \
    "the backup killed with SIGKILL left 20240301_130000.partial"
like "$(cat "$LOCK")" "^pid=$BK$" "  and its lock file"
is "$(plan 2024-03-01T14:00:00Z)" "$(printf '%s\n' '20240103_020000 keep newest-complete' \
    '20240301_130000 delete incomplete')" "the dry run would remove the unfinished backup"
vs cleanup --at 2024-03-01T14:00:00Z > "$TMP/out" 2>"$TMP/err"
ok $? "cleanup after the killed backup runs" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/err")" "took over the backup_dir lock left by backup \(pid $BK on $HOST, since 2024-03-01T13:00:00Z\), which is no longer running" \
    "  taking over the dead backup's lock"
like "$(grep '^20240301_130000 ' "$TMP/out")" 'deleted +incomplete: left by an interrupted backup$' \
    "  and says it deleted the unfinished backup, and why"
is "$(local_ids)" 20240103_020000 "  which is gone"
at 2024-03-01T14:00:00Z -q verify 20240103_020000 >/dev/null
ok $? "the backup kept verifies"

done_testing
