#!/bin/bash
# A warning about the configuration file, found while it is read before the
# terminal interface starts (a file holding a secret and readable by
# others), is shown in the TUI's log pane, not written over the curses
# screen and not lost behind it: the screen's rows are the TUI's own, and
# the log (L) names the file and says how to fix it.
# Covers src/cli/cmd.c (the warnings kept for the TUI), ui/tui.c,
# src/common/log.c (log_hold).
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo 200 20 8 || bail_out "the demo sandbox could not be built"
printf 's3 = { secret_access_key = "not-a-real-secret"; };\n' >> "$CONF"
chmod 644 "$CONF"
"$VSBACKUP" -c "$CONF" config >/dev/null 2>"$TMP/cli.err"
like "$(cat "$TMP/cli.err")" "readable by other users; run: chmod 600 $CONF" \
    "the command line prints the warning on stderr"

tui_start 100 30
tmux_wait_for 'sort: created' 10
ok $? "the TUI starts"
tui_wait_stable
screen=$(tmux_capture)
top=$(printf '%s\n' "$screen" | head -1)
unlike "$top" 'readable by other users' "the first row is the TUI's header, not the warning"
above=$(printf '%s\n' "$screen" | sed '/── Log /,$d')
pane=$(printf '%s\n' "$screen" | sed -n '/── Log /,$p')
unlike "$above" 'holds a password' "  the warning is nowhere above the log pane" ||
    printf '%s\n' "$screen" | sed 's/^/#   |/'
like "$pane" "$CONF holds a password or secret key" "the log pane shows the warning" ||
    printf '%s\n' "$screen" | sed 's/^/#   |/'
tmux_send L
tmux_wait_for 'chmod 600' 5
ok $? "the log (L) shows it whole"
like "$(tmux_capture)" "other users; run: chmod 600 $CONF" "  with the command that fixes it"
tmux_send Escape
tmux_send q
tmux_wait_exit 15 >/dev/null
ok $? "q leaves the TUI"
done_testing
