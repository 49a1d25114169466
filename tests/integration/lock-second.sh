#!/bin/bash
# One operation that changes backups at a time: while a (slowed down) backup
# runs, a second backup, a delete and a restore are refused with exit 2 and
# a message naming the holder's operation and pid, and change nothing; list
# and verify still work and show the running backup as incomplete. A lock
# held by another program (flock(1)) is refused too, without a made-up pid.
# After the first backup ends the lock is free again.
# Covers src/engine/lock.c, src/jobs/jobs-lock.c and the jobs that lock.
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/l" 1000 100 8
tick
run backup
is "$RC" 0 "a first backup succeeds"
OLD=$(last_line "$OUT")
snapshot_live live


# Saving each key takes 2 ms: the backup holds the lock for about 2 s.
dcli config set rdb-key-save-delay 2000 >/dev/null
tick
SLOW=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
"$VSBACKUP" -c "$CONF" backup >"$TMP/slow.out" 2>"$TMP/slow.err" &
pid=$!
harness_track "$pid"
wait_until 10 grep -q "^pid=$pid\$" "$BK/.vsbackup.lock"
ok $? "the running backup (pid $pid) holds the lock"
wait_until 10 test -d "$BK/$SLOW.partial"
dcli config set rdb-key-save-delay 0 >/dev/null

refused() {
	local what=$1
	is "$RC" 2 "$what while a backup runs: refused (exit 2)"
	like "$ERR" "$BK is locked by another operation: backup \\(pid $pid on $(hostname), since [0-9T:-]+Z\\)" \
	    "$what: the message names the operation and the holder's pid"
	like "$ERR" "wait for it to finish" "$what: and says what to do"
}
tick
SECOND=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
run backup
refused "a second backup"
ok "$([ ! -e "$BK/$SECOND" ] && [ ! -e "$BK/$SECOND.partial" ]; echo $?)" \
    "the second backup created nothing"
run --json backup
is "$(last_line "$OUT" | "$PY" -c 'import json, sys; j = json.load(sys.stdin); print(j["event"], j["code"])')" \
    "error locked" "backup --json: the last line is an error event with code 'locked'"
run delete "$OLD" --yes
refused "delete"
ok "$([ -f "$BK/$OLD/metadata.json" ]; echo $?)" "delete: the backup is still there"
run restore "$OLD" --yes
refused "restore"
live_same live
ok $? "restore: nothing live changed"

run list
is "$RC" 0 "list works while a backup runs"
like "$(printf '%s\n' "$OUT" | grep "^$SLOW")" "incomplete" "and shows the running backup as incomplete"
run verify "$OLD"
is "$RC" 0 "verify works while a backup runs"

wait "$pid"
is "$?" 0 "the first backup finishes successfully"
ok "$([ -f "$BK/$SLOW/metadata.json" ]; echo $?)" "its backup $SLOW is complete"
ok "$([ ! -s "$BK/.vsbackup.lock" ]; echo $?)" "the lock file is emptied when it is released"
tick
run backup
is "$RC" 0 "a backup after it succeeds"
ok "$(printf '%s' "$ERR" | grep -q 'took over'; echo $((! $?)))" "without a takeover warning"

# --- a lock held by another program ------------------------------------------------------------
flock "$BK/.vsbackup.lock" sh -c "touch '$TMP/held'; while [ ! -e '$TMP/free' ]; do sleep 0.05; done" &
fpid=$!
harness_track "$fpid"
wait_until 10 test -e "$TMP/held"
tick
run backup
is "$RC" 2 "a backup while flock(1) holds the lock: refused (exit 2)"
like "$ERR" "$BK is locked by a process that left no details in $BK/.vsbackup.lock" \
    "the message says the holder left no details and names the lock file"
ok "$(printf '%s' "$ERR" | grep -q -e 'pid 0' -e 1970; echo $((! $?)))" "it names no made-up pid or date"
touch "$TMP/free"
wait "$fpid"
tick
run backup
is "$RC" 0 "once flock(1) lets go, backups work again"

done_testing
