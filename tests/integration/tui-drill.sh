#!/bin/bash
# The restore drill from the front end: t on the selected backup opens its
# dialog, the drill runs as a job in the jobs pane like the others and says
# how it ended, the detail pane shows "drilled ... ago: ok, RTO ..." and the
# header the last drill; a drill that fails says FAILED in all three places.
# The live Redis is untouched (DEBUG DIGEST).
# Covers ui/actions.c (tui_ask_drill, act_drill), ui/screen-main.c,
# ui/pane-detail.c, ui/pane-header.c (header_drill), ui/keys.h.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
rcli() { redis-cli -s "$SOCK" "$@"; }
tui_backup
id=$TUI_ID
[ -n "$id" ] || bail_out "no backup to drill"
digest=$(rcli debug digest)

tui_start 160 48
tmux_wait_for "$id" 10
ok $? "the list shows the backup"
tmux_wait_for 'Drill never' 10
ok $? "the header says no drill has run"
tmux_wait_for 'never drilled \(t drills it\)' 10
ok $? "the detail pane says the backup was never drilled, and how to"

tmux_send t
tmux_wait_for "Restore drill of backup $id" 5
ok $? "t opens the drill dialog for the selected backup"
like "$(tmux_capture)" 'Nothing live is touched' "  it says nothing live is touched"
tmux_send Enter
tmux_wait_for "drill $id \\(local\\)" 10
ok $? "the drill runs as a job"
tmux_wait_for "backup $id \\(local\\) drilled: ok, [0-9]+ checks, RTO" 90
ok $? "the jobs pane says how it ended"
tmux_wait_for "drilled [0-9smhd ]+ ago: ok, RTO [0-9.]+ s" 15
ok $? "the detail pane shows the drill"
like "$(tmux_capture)" "Drill ✓ [0-9smhd ]+ ago" "the header shows the last drill"
is "$(rcli debug digest)" "$digest" "the live Redis is untouched"
is "$(ls -A "$DEMO/backups/.drill")" "" "no sandbox is left"

# A damaged copy: the drill fails and says so everywhere.
printf 'X' | dd of="$DEMO/backups/$id/user_index.faiss" bs=1 seek=200 conv=notrunc 2>/dev/null
tmux_send t
tmux_wait_for "Restore drill of backup $id" 5
tmux_send Enter
tmux_wait_for "backup $id \\(local\\) drill FAILED: [0-9]+ of [0-9]+ checks \\(first: user_index.faiss sha256\\)" 90
ok $? "a failing drill: the jobs pane says FAILED and names the first check"
tmux_wait_for "drilled [0-9smhd ]+ ago: FAILED" 15
ok $? "  the detail pane too"
like "$(tmux_capture)" "Drill ✗ failed [0-9smhd ]+ ago" "  and the header"
tmux_wait_for 'health CRITICAL' 30
ok $? "  the title's health says CRITICAL"

tmux_send q
tmux_wait_exit 10 >/dev/null

done_testing
