#!/bin/bash
# The way back, and seeing it happen. z undoes the last restore: after a
# finished restore it opens the wizard on the safety backup that restore
# took (from its checks), which puts back the writes the restore removed;
# with an interrupted restore's journal open it offers 'restore --rollback'.
# x cancels a restore from inside the wizard, whose title then says it
# rolls back; q during a restore keeps the screen up while the rollback
# runs, with "rolling back" in the jobs pane, and quits once it is done.
# Covers ui/actions.c (tui_ask_undo, tui_quit), ui/screen-restore.c,
# ui/pane-jobs.c, ui/tui.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
rcli() { redis-cli -s "$SOCK" "$@"; }
wait_redis_down() {
	for _ in $(seq 150); do rcli ping >/dev/null 2>&1 || return 0; sleep 0.1; done
	return 1
}
wait_redis_up() {
	for _ in $(seq 200); do [ "$(rcli ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
	return 1
}

B=$(vsb -q backup --type daily 2>"$TMP/err") || sed 's/^/# /' "$TMP/err"
rcli set chimera-vectors:written-after 1 >/dev/null
sleep 1.1
vsb restore "$B" --yes >"$TMP/out" 2>&1
is "$?" 0 "a restore from the command line"
S=$(sed -n 's/.*the state before it is in backup \([0-9_]*\).*/\1/p' "$TMP/out")
is "$(rcli exists chimera-vectors:written-after)" 0 "the restore removed the write made after the backup"

# --- z after a finished restore ------------------------------------------------------
tui_start 100 30
tmux_wait_for "^ $S pre-restore " 15
tui_wait_stable
tmux_send z
tmux_wait_for "Undo the last restore: restore its safety backup $S" 5
ok $? "z opens the wizard on the last restore's safety backup"
tmux_wait_for 'All checks passed' 30
ok $? "and runs its checks at once"
tmux_send Enter
tmux_wait_for 'Writes made since' 10
tmux_send Enter
tmux_wait_for 'type the backup id' 5
ok $? "it asks for the id like any restore"
tmux_type "$S"
tmux_send Enter
tmux_wait_for "Restored $S in" 60
ok $? "the undo finishes"
is "$(rcli exists chimera-vectors:written-after)" 1 "the write the restore removed is back"
tmux_send Enter
tmux_send q
tmux_wait_exit 10 >/dev/null

# --- x inside the wizard; q keeps the screen during the rollback ---------------------------
# wizard_restore KEYS...: open the restore wizard with KEYS, go through it to
# restore $B, and wait until the restore has stopped Redis.
wizard_restore() {
	tmux_send "$@"
	tmux_wait_for 'choose the backup' 5
	tmux_send Enter
	tmux_wait_for 'All checks passed' 30
	tmux_send Enter
	tmux_wait_for 'Writes made since' 10
	tmux_send Enter
	tmux_wait_for 'type the backup id' 5
	tmux_type "$B"
	tmux_send Enter
	wait_redis_down
}
sed -i 's|^\( *start_command = "\)|\1sleep 4; |' "$CONF"
rcli set chimera-vectors:marker 1 >/dev/null
before=$(rcli debug digest)
sleep 1.1
tui_start 100 30
tmux_wait_for "^ $B daily " 15
tui_wait_stable
wizard_restore End r
ok $? "the restore stops Redis"
tmux_send x
tmux_wait_for 'Cancel the restore\?' 5
ok $? "x inside the wizard asks to cancel the restore"
tmux_send y
tmux_wait_for "Restore $B from local: rolling back" 5
ok $? "the wizard's title says it rolls back"
tmux_wait_for "cancelled; the live state was rolled back to the safety backup" 60
ok $? "and then that it was rolled back"
wait_redis_up
is "$(rcli debug digest)" "$before" "the live data is as before"
! tmux_capture | grep -q 'cancelling job [0-9]'
ok $? "the log names the job, not an internal number"
tmux_send Enter

wizard_restore r
tmux_send Escape
tmux_wait_for 'the restore goes on' 5
tmux_send q
tmux_wait_for 'Quit vsbackup\?' 5
tmux_send y
tmux_wait_for 'rolling back: ' 5
ok $? "after y the screen stays and the jobs pane shows the rollback"
st=$(tmux_wait_exit 60)
is "$st" 0 "the front end quits once the rollback is done (status 0)"
wait_redis_up
is "$(rcli debug digest)" "$before" "the live data is as before"

done_testing
