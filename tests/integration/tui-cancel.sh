#!/bin/bash
# Cancelling from the jobs pane: x stops a running backup, which removes
# what it wrote; the pane says it was cancelled. Ctrl-C and SIGINT.
# Covers ui/screen-main.c (main_req_cancel) and ui/tui.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

# Big enough that a backup takes a second or two.
tui_demo 40000 4000 384 || bail_out "the demo sandbox could not be built"

tui_start 80 24
tmux_wait_for 'no backups yet' 10
ok $? "an empty backup_dir says how to start"
tmux_send b
tmux_wait_for 'Take a backup' 5
tmux_send Enter x
tmux_wait_for 'backup \(by schedule\): cancelled' 30
ok $? "x cancels the running backup"
like "$(tmux_capture)" '✗ backup \(by schedule\)' "its pane shows it did not complete"
# What the backup wrote is removed (at most 10 s).
leftover() { ls -A "$DEMO/backups" | grep -v '^\.vsbackup\.lock$'; }
for _ in $(seq 100); do [ -z "$(leftover)" ] && break; sleep 0.1; done
is "$(leftover)" "" "nothing is left in backup_dir"
tmux_send x
tmux_wait_for 'no running job is selected' 5
ok $? "x with no running job says so"
tmux_send D
tui_wait_gone 'Jobs \('
ok $? "D clears the finished job panes"
tmux_send q
is "$(tmux_wait_exit 15)" 0 "q exits 0"

# Ctrl-C is a key like q (it asks first when jobs run); SIGINT from
# outside ends the TUI like SIGTERM, terminal restored.
tui_start 80 24
tmux_wait_for 'no backups yet' 10
tmux_send C-c
is "$(tmux_wait_exit 15)" 0 "Ctrl-C with no job running exits 0"
tui_start 80 24
tmux_wait_for 'no backups yet' 10
pid=$(pgrep -f -n "vsbackup -c $CONF tui")
if [ -n "$pid" ]; then
	kill -INT "$pid"
	is "$(tmux_wait_exit 15)" 130 "SIGINT ends the TUI (status 130)"
	is "$(cat "$TMP/stty.after" 2>/dev/null)" "$(cat "$TMP/stty.before")" \
	    "the terminal settings are restored after SIGINT"
else
	ok 1 "found the TUI's process"
fi

done_testing
