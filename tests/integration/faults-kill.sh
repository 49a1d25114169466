#!/bin/bash
# vsbackup interrupted by SIGINT or SIGTERM during a backup: cancelled, its
# ID.partial removed, the lock released, exit 1. Killed with SIGKILL during
# a backup: the unfinished ID.partial is never listed as complete, the next
# backup removes it and takes over the lock with a warning naming the dead
# holder. Killed during a restore (after the index files were placed, while
# Redis is being stopped): another restore is refused, running the same
# restore again resumes and completes it (digest and index files of the
# backup), and restore --rollback returns to the safety backup (digest and
# index files from before the restore).
# Covers src/jobs/job-backup.c, backup.c (stale partials), job-restore.c
# (journal, resume, rollback), journal.c, src/engine/lock.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/k" 1000 100 8

bgsave_running() { dcli info persistence | grep -q '^rdb_bgsave_in_progress:1'; }

# --- killed during a backup -------------------------------------------------------------
# Each key takes 1.5 ms to save: the backup waits for the snapshot for
# about 1.6 s, with its ID.partial created and the lock held.
is "$(dcli config set rdb-key-save-delay 1500)" OK "the snapshot is slowed down"
tick
KID=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
"$VSBACKUP" -c "$CONF" backup >"$TMP/killed.out" 2>&1 &
pid=$!
wait_until 10 test -d "$BK/$KID.partial"
ok $? "the backup created $KID.partial"
wait_until 10 bgsave_running
ok $? "and Redis is writing its snapshot"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
is "$?" 137 "the backup was killed with SIGKILL"
dcli config set rdb-key-save-delay 0 >/dev/null
ok "$([ -d "$BK/$KID.partial" ] && [ ! -e "$BK/$KID" ]; echo $?)" "only $KID.partial is left, no $KID"
like "$(cat "$BK/.vsbackup.lock")" "pid=$pid" "the lock file still names the dead process"

run --json list
is "$(last_line "$OUT" | "$PY" -c 'import json, sys
print([(e["id"], e["complete"], e["local"]["partial"]) for e in json.load(sys.stdin)])')" \
    "[('$KID', False, True)]" "list --json: $KID is not complete, it is partial"
run list
like "$(printf '%s\n' "$OUT" | grep "^$KID")" "incomplete \\(interrupted backup\\)" "list: $KID is shown as incomplete"
run verify "$KID"
ok "$([ "$RC" != 0 ]; echo $?)" "verify of the partial backup does not pass (exit $RC)"

eng_backup_ok "the next backup succeeds (it waits for the old snapshot to end)"
NEXT=$ID
like "$ERR" "took over the backup_dir lock left by backup \\(pid $pid on .*\\), which is no longer running" \
    "it warns that it took over the lock of the dead backup, naming its pid"
like "$ERR" "removed $KID: an incomplete backup left by an interrupted run" "it says it removed $KID.partial"
ok "$([ ! -e "$BK/$KID.partial" ] && [ ! -e "$BK/$KID" ]; echo $?)" "$KID.partial is gone"
run verify "$NEXT" --deep
is "$RC" 0 "the new backup verifies (deep)"
tick
run backup --type manual
ok "$(printf '%s' "$ERR" | grep -q 'took over'; echo $((! $?)))" "no takeover warning once the lock was released"

# --- interrupted (Ctrl-C, or TERM from a service manager) during a backup -----------------------
for sig in INT TERM; do
	dcli config set rdb-key-save-delay 1500 >/dev/null
	tick
	SID=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
	"$VSBACKUP" -c "$CONF" backup >"$TMP/sig.out" 2>"$TMP/sig.err" &
	pid=$!
	wait_until 10 test -d "$BK/$SID.partial"
	wait_until 10 bgsave_running
	kill -"$sig" "$pid"
	wait "$pid"
	is "$?" 1 "SIG$sig during a backup: it stops with exit 1"
	dcli config set rdb-key-save-delay 0 >/dev/null
	like "$(cat "$TMP/sig.err")" "interrupted: cancelling backup and cleaning up" "SIG$sig: it says it cancels and cleans up"
	like "$(cat "$TMP/sig.err")" "cancelled" "SIG$sig: the error says the backup was cancelled"
	ok "$([ ! -e "$BK/$SID.partial" ] && [ ! -e "$BK/$SID" ]; echo $?)" "SIG$sig: $SID.partial is removed"
	ok "$([ ! -s "$BK/.vsbackup.lock" ]; echo $?)" "SIG$sig: the lock is released"
done
tick
run backup
is "$RC" 0 "a backup after the interrupted ones succeeds"
NEXT=$(last_line "$OUT")

# --- killed during a restore ---------------------------------------------------------------
ID=$NEXT
D0=$(rdig)
cp "$CI" "$TMP/ci.backup"
cp "$UI" "$TMP/ui.backup"

# The stop command holds while $TMP/slow exists, until $TMP/release appears.
orig_stop=$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")
cat > "$TMP/stop.sh" <<EOF
$orig_stop
if [ -e "$TMP/slow" ]; then
	touch "$TMP/in-stop"
	for i in \$(seq 600); do [ -e "$TMP/release" ] && break; sleep 0.05; done
fi
EOF
sed -i "s|^\( *stop_command = \).*|\1\"sh $TMP/stop.sh\";|" "$CONF"

change_live() {
	dcli set "chimera-vectors:changed-$1" '{"id":"x"}' >/dev/null
	dcli del "$(dcli --scan --pattern 'chimera-users:*' | head -1)" >/dev/null
	"$PY" - "$CI" "$UI" <<'EOF'
import sys, numpy as np, faiss
for p in sys.argv[1:]:
    ix = faiss.read_index(p)
    n = ix.ntotal
    ix.add_with_ids(np.ones((2, ix.d), dtype='float32'), np.array([900000 + n, 900001 + n], dtype='int64'))
    faiss.write_index(ix, p)
EOF
}

# Start restore of $ID, kill it with SIGKILL while it stops Redis.
kill_restore() {
	local rpid
	rm -f "$TMP/in-stop" "$TMP/release"
	touch "$TMP/slow"
	tick
	"$VSBACKUP" -c "$CONF" restore "$ID" --yes >"$TMP/restore.out" 2>&1 &
	rpid=$!
	if ! wait_until 20 test -e "$TMP/in-stop"; then
		show "$(cat "$TMP/restore.out")"
		kill -KILL "$rpid"
		return 1
	fi
	kill -KILL "$rpid"
	wait "$rpid" 2>/dev/null
	KILLED_PID=$rpid
	touch "$TMP/release"
	rm -f "$TMP/slow"
}

change_live 1
snapshot_live before1
kill_restore
ok $? "restore killed while it stopped Redis"
ok "$([ -f "$BK/.restore-journal.json" ]; echo $?)" "the restore journal is there"
SAFETY=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["safety_id"])' "$BK/.restore-journal.json")
like "$SAFETY" '^[0-9]{8}_[0-9]{6}$' "the journal names the safety backup $SAFETY"
is "$(meta "$SAFETY" 'm["type"]')" pre-restore "the safety backup is complete and typed pre-restore"
ok "$(dcli ping >/dev/null 2>&1; echo $((! $?)))" "Redis is down"
cmp -s "$CI" "$TMP/ci.backup"
ok $? "the index files were already placed"

tick
run restore "$SAFETY" --yes
is "$RC" 2 "another restore is refused while one is unfinished (exit 2)"
like "$ERR" "an interrupted restore of $ID .* must be finished first: 'vsbackup restore $ID' resumes it, 'vsbackup restore --rollback' returns to the safety backup $SAFETY" \
    "and says how to resume or roll back"
like "$ERR" "took over the backup_dir lock left by restore \\(pid $KILLED_PID" \
    "the first command after the kill warns that it took over the dead restore's lock"

tick
run restore "$ID" --yes
is "$RC" 0 "running the same restore again completes it"
[ "$RC" = 0 ] || show "$ERR"
eng_track_redis
like "$OUT" "restored $ID .*\\(resumed\\)" "it says it resumed"
is "$(rdig)" "$D0" "the digest is the backup's"
cmp -s "$CI" "$TMP/ci.backup" && cmp -s "$UI" "$TMP/ui.backup"
ok $? "the index files are the backup's"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "the journal is removed"
is "$(ls "$BK" | grep -c '^[0-9].*\.partial$')" 0 "no partial backup is left"

# --- killed again, then rolled back ----------------------------------------------------------
change_live 2
snapshot_live before2
D2=$(rdig)
kill_restore
ok $? "a second restore killed while it stopped Redis"
SAFETY2=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["safety_id"])' "$BK/.restore-journal.json")
OUT=$(vsb restore --rollback 2>"$TMP/err" </dev/null)
is "$?" 2 "restore --rollback without --yes and no terminal is refused (exit 2)"
tick
run restore --rollback --yes
is "$RC" 0 "restore --rollback --yes succeeds"
[ "$RC" = 0 ] || show "$ERR"
eng_track_redis
like "$OUT" "rolled back to the safety backup $SAFETY2" "it names the safety backup"
is "$(rdig)" "$D2" "the digest is the one from before the restore"
live_same before2
ok $? "digest and both index files are those from before the restore"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "the journal is removed"
run restore --rollback --yes
is "$RC" 1 "a second rollback finds nothing to roll back (exit 1)"
like "$ERR" "no interrupted restore to roll back" "and says so"

done_testing
