#!/bin/bash
# Quitting while a restore changes the live state. In the TUI, q asks first
# and says that a running restore is rolled back; y leaves the screen, the
# restore is rolled back to the safety backup (which no second cancel can
# interrupt), and stderr says how it ended. From the command line, SIGTERM
# does the same. Either way Redis is back up with the data from before the
# restore and no journal is left. A cancel before anything live has
# changed rolls nothing back.
# Covers ui/screen-main.c (main_req_quit), ui/tui.c (tui_report_unfinished),
# src/jobs/job-restore.c (a cancelled restore rolls back), src/engine/engine.c
# (job_shield, engine_stop).
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
tui_backup
id=$TUI_ID
[ -n "$id" ] || bail_out "no backup to restore"

# Redis takes a few seconds to come back: long enough to quit while the
# restore has it stopped.
SLOW=$DEMO/slow-start.conf
sed 's|^\( *start_command = "\)|\1sleep 6; |' "$CONF" > "$SLOW"
chmod 600 "$SLOW"
grep -q 'start_command = "sleep 6; ' "$SLOW" || bail_out "could not slow down start_command"

# Wait until Redis no longer answers: the restore has begun to change the
# live state.
wait_redis_down() {
	for _ in $(seq 150); do
		redis-cli -s "$SOCK" ping >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}
wait_redis_up() {
	for _ in $(seq 150); do
		[ "$(redis-cli -s "$SOCK" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	return 1
}
no_journal() { [ ! -e "$DEMO/backups/.restore-journal.json" ]; }
safety_backups() { grep -l '"type":[[:space:]]*"pre-restore"' "$DEMO"/backups/*/metadata.json 2>/dev/null | wc -l; }

# --- the TUI -----------------------------------------------------------------------
redis-cli -s "$SOCK" set chimera-vectors:after-backup 1 >/dev/null
before=$(redis-cli -s "$SOCK" debug digest)
sleep 1.1 # the safety backup needs an id of its own
CONF=$SLOW
tmux_start 80 24 env LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    bash -c '"$1" -c "$2" tui 2>"$3"' tui "$VSBACKUP" "$CONF" "$TMP/tui.err"
tmux_wait_for "$id" 10
tmux_send r
tmux_wait_for "Restore $id from local: 1/4" 5
tmux_send Enter
tmux_wait_for 'All checks passed' 30
tmux_send Enter
tmux_wait_for 'Estimated time' 5
tmux_send Enter
tmux_wait_for 'type the backup id' 5
tmux_type "$id"
tmux_send Enter
wait_redis_down
ok $? "the restore stops Redis"
# q leaves the wizard (the restore goes on); a backup asked for now waits
# for the restore; q again asks to quit.
tmux_send q
tmux_wait_for 'the restore goes on' 5
tmux_send b
tmux_wait_for 'Take a backup' 5
tmux_send Enter
sleep 0.3
tmux_send q
tmux_wait_for 'Quit vsbackup\?' 5
ok $? "q asks first while the restore runs"
screen=$(tmux_capture)
like "$screen" '2 jobs are still running' "  saying two jobs are running (the backup waits)"
like "$screen" 'A running restore stops' "  and that the restore stops"
like "$screen" 'safety backup' "  and is rolled back to the safety backup"
tmux_send y
is "$(tmux_wait_exit 60)" 0 "y quits (status 0) once the restore is rolled back"
like "$(cat "$TMP/tui.err")" 'cancelling running jobs' "stderr says the running job is cancelled" ||
    sed 's/^/# /' "$TMP/tui.err"
like "$(cat "$TMP/tui.err")" "restore: restore of $id cancelled; the live state was rolled back to the safety backup [0-9]{8}_[0-9]{6}" \
    "  and that the restore was rolled back, naming the safety backup"
like "$(cat "$TMP/tui.err")" "backup: cancelled" "  and that the waiting backup was cancelled"
wait_redis_up
ok $? "Redis runs again"
is "$(redis-cli -s "$SOCK" debug digest)" "$before" "it holds the data from before the restore"
ok "$(no_journal; echo $?)" "no journal is left"
is "$(safety_backups)" 1 "the safety backup is kept"

# --- the command line: SIGTERM --------------------------------------------------------
sleep 1.1
"$VSBACKUP" -c "$SLOW" restore "$id" --yes >"$TMP/cli.out" 2>"$TMP/cli.err" &
pid=$!
wait_redis_down
ok $? "a restore from the command line stops Redis"
kill -TERM "$pid"
wait "$pid"
is $? 1 "SIGTERM then ends it with status 1"
like "$(cat "$TMP/cli.err")" "restore of $id cancelled; the live state was rolled back to the safety backup [0-9]{8}_[0-9]{6}" \
    "  saying it was rolled back to the safety backup" || sed 's/^/# /' "$TMP/cli.err"
wait_redis_up
is "$(redis-cli -s "$SOCK" debug digest)" "$before" "the data from before the restore is back"
ok "$(no_journal; echo $?)" "no journal is left"
is "$(safety_backups)" 2 "a second safety backup is kept"

# --- a cancel before anything live has changed ----------------------------------------
# A backup whose content index is padded to 512 MiB (metadata.json updated):
# placing it takes long enough to stop the restore while the copy is still
# in its temp file. Nothing live has changed then, so nothing is rolled
# back: Redis keeps running, with the writes made since.
sleep 1.1
tui_backup
id2=$TUI_ID
truncate -s 512M "$DEMO/backups/$id2/content_index.faiss"
/usr/bin/python3 -c 'import hashlib, json, os, sys
d = sys.argv[1]; f = os.path.join(d, "content_index.faiss"); p = os.path.join(d, "metadata.json")
m = json.load(open(p)); h = hashlib.sha256()
with open(f, "rb") as fh:
    for b in iter(lambda: fh.read(1 << 20), b""): h.update(b)
m["indices"]["content"]["size"] = os.path.getsize(f); m["indices"]["content"]["sha256"] = h.hexdigest()
json.dump(m, open(p, "w"), indent=1)' "$DEMO/backups/$id2"
redis-cli -s "$SOCK" set chimera-vectors:after-second-backup 1 >/dev/null
before2=$(redis-cli -s "$SOCK" debug digest)
pid_before=$(cat "$DEMO/redis/redis.pid" 2>/dev/null)
sleep 1.1
"$VSBACKUP" -c "$CONF" restore "$id2" --yes >"$TMP/cli2.out" 2>"$TMP/cli2.err" &
pid=$!
for _ in $(seq 1000); do
	ls "$DEMO"/indexes/.content_index.faiss.vsbackup-* >/dev/null 2>&1 && break
	sleep 0.01
done
kill -TERM "$pid"
wait "$pid"
is $? 1 "SIGTERM while the first index is copied ends the restore with status 1"
like "$(cat "$TMP/cli2.err")" "restore of $id2 stopped before the live data was changed" \
    "  saying nothing live was changed" || sed 's/^/# /' "$TMP/cli2.err"
ok "$(! grep -q 'rolling back' "$TMP/cli2.err"; echo $?)" "  and rolling nothing back"
is "$(redis-cli -s "$SOCK" debug digest)" "$before2" "the live data is unchanged"
is "$(cat "$DEMO/redis/redis.pid" 2>/dev/null)" "$pid_before" "Redis was not restarted"
ok "$(no_journal; echo $?)" "no journal is left"
is "$(ls -A "$DEMO/indexes" | grep -c vsbackup-)" 0 "no temp file is left beside the indexes"

done_testing
