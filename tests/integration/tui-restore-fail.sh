#!/bin/bash
# The guided restore when things go wrong: a backup whose checksums fail is
# blocked at the pre-flight checks; when Redis cannot be started again
# (start_command fails) the checklist marks the failed step, and the screen
# shows the restore job's message saying what was rolled back and what to
# do next.
# Covers ui/screen-restore.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
tui_backup
id=$TUI_ID
sleep 1.1
# A newer backup whose content index is damaged after the fact.
tui_backup
bad=$TUI_ID
printf 'XXXX' | dd of="$DEMO/backups/$bad/content_index.faiss" bs=1 seek=100 conv=notrunc 2>/dev/null
sleep 1.1 # the safety backup needs an id of its own
GOOD_CONF=$CONF
CONF=$DEMO/broken-start.conf
sed 's|^\( *start_command = \).*|\1"/bin/false";|' "$GOOD_CONF" > "$CONF"
chmod 600 "$CONF"
grep -q '"/bin/false"' "$CONF" || bail_out "could not break start_command in the test configuration"

tui_start 80 24
tmux_wait_for "$bad" 10
tmux_send r
tmux_wait_for "Restore $bad from local: 1/4" 5
ok $? "the wizard starts on the newest backup"
tmux_send Enter
tmux_wait_for 'BLOCKED' 30
ok $? "a backup that fails its checksums blocks the restore"
like "$(tmux_capture)" '✗ checksums of the local copy' "the failed check is marked"
tmux_send Enter
sleep 0.3
like "$(tmux_capture)" 'BLOCKED' "Enter does not get past a failed check"
tmux_send Escape
tmux_wait_for "1/4 choose the backup" 5
tmux_send Down
tmux_wait_for "Restore $id from local: 1/4" 5
ok $? "Down chooses the older backup"
tmux_send Enter
tmux_wait_for 'All checks passed' 30
ok $? "the pre-flight checks pass (the start command is set)"
tmux_send Enter
tmux_wait_for 'Estimated time' 5
tmux_send Enter
tmux_wait_for 'type the backup id' 5
tmux_type "$id"
tmux_send Enter
tmux_wait_for ': FAILED' 120
ok $? "the wizard reports the failure"
screen=$(tmux_capture)
like "$screen" '✗ +8\. start Redis' "the step that failed is marked"
like "$screen" '✓ +4\. safety backup' "the steps before it are ticked"
like "$screen" 'rolling back to the safety backup' "the message says what was rolled back"
like "$screen" "restore --rollback" "and what to do next"
TUI_MASK_IDS=1 tui_golden restore-failed-80x24 "the failed restore"
tmux_send Enter
tmux_wait_for 'sort: created' 5
ok $? "Enter goes back to the list"
tmux_send q
is "$(tmux_wait_exit 15)" 0 "q exits 0"

# The log pane scrolls back (Tab to it, then Up).
tui_start 80 24
tmux_wait_for "$bad" 10
tmux_send Down v Enter   # the newest is the safety backup; below it the damaged one
tmux_wait_for 'FAILED verification' 30
tmux_send Tab Tab Up
tmux_wait_for 'Log \(1 newer line below\)' 5
ok $? "the log pane scrolls back"
tmux_send q
tmux_wait_exit 15 >/dev/null

# Leave the demo as it was: the rollback the message asks for.
"$VSBACKUP" -q -c "$GOOD_CONF" restore --rollback --yes >/dev/null 2>"$TMP/err"
ok $? "the rollback the message names works with a working start command"
redis-cli -s "$SOCK" ping >/dev/null 2>&1
ok $? "Redis answers again"

done_testing
