#!/bin/bash
# The TUI's screens at 80x24 and 200x60 against golden dumps: the main
# screen, live resizing both ways, the detail pane, help (generated from
# the key table), sort, filter, the retention view, monochrome and ASCII
# fallbacks, and a clean exit that leaves the terminal as it found it.
# Covers ui/*.c and src/cli/cmd-tui.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
tui_fixture || { sed 's/^/# /' "$TMP/fixture.log"; bail_out "fixture backups failed"; }
export TZ=UTC VSBACKUP_NOW=$TUI_NOW

# --- 80x24 -----------------------------------------------------------------
tui_start 80 24
tmux_wait_for '20240201_020000' 10
ok $? "the list shows the backups"
tmux_wait_for 'BGSAVE ok' 10
ok $? "the header shows the Redis status"
tui_wait_stable
tui_golden main-80x24 "main screen at 80x24"
screen=$(tmux_capture)
like "$screen" '20240215_090000 manual .* pinned' "the manual backup is shown pinned"
like "$screen" '20240206_020000 daily .* expired' "the old daily backup is shown expired"
like "$screen" '20240214_020000 daily .* ok deep' "the verified backup shows its deep verification"
like "$screen" 'Newest 3h 0m ago \(RPO 24h\)' "the newest backup's age against the RPO"

tmux_send Enter
tmux_wait_for 'Detail \(Enter or Esc' 5
tui_wait_stable
tui_golden detail-80x24 "detail of the selected backup in place of the list"
tmux_send Escape

tmux_send '?'
tmux_wait_for 'keys \(q, \? or Esc closes' 5
tui_golden help-80x24 "help screen generated from the key table"
tmux_send q
tmux_wait_for 'sort: created' 5
ok $? "q closes the help"

# --- live resize, both ways ---------------------------------------------------
tmux_cmd resize-window -t "$TMUX_TARGET" -x 200 -y 60
tmux_wait_for '^.{120,}│.*Detail' 5
ok $? "at 200x60 the detail pane sits beside the list"
tui_wait_stable
tui_golden main-200x60 "main screen at 200x60"
tmux_cmd resize-window -t "$TMUX_TARGET" -x 80 -y 24
tui_wait_stable
tui_golden main-80x24 "back at 80x24: the same screen as before"

# --- sort and filter ----------------------------------------------------------
tmux_send s s
tmux_wait_for 'sort: size' 5
ok $? "s sorts by the next column"
tmux_send S
tmux_wait_for 'sort: size ▲' 5
ok $? "S reverses the order"
tmux_send s s s s
tmux_wait_for 'sort: created ▲' 5
tmux_send S
tmux_send /
tmux_type daily
tmux_send Enter
tmux_wait_for 'filter "daily"' 5
ok $? "the filter is shown"
tui_wait_stable
tui_golden filter-80x24 "only the daily backups are listed"
tmux_send Escape
tmux_wait_for 'Backups 1-6 of 6' 5
ok $? "Esc clears the filter"

# --- retention view -------------------------------------------------------------
tmux_send c
tmux_wait_for 'DELETE +20240206_020000' 10
ok $? "the cleanup dry run would delete the expired daily backup"
tui_wait_stable
tui_golden cleanup-80x24 "retention view with the reasons"
tmux_send D
tmux_wait_for 'Run the cleanup\?' 5
ok $? "D asks before running the cleanup"
tmux_send y
tmux_wait_for '0 backups would be deleted' 15
ok $? "after the cleanup nothing more would be deleted"
[ ! -e "$DEMO/backups/20240206_020000" ] && [ -d "$DEMO/backups/20240214_020000" ]
ok $? "the cleanup deleted the expired backup and kept the others"
tmux_send Escape
tmux_wait_for 'Backups 1-5 of 5' 10
ok $? "the list no longer shows the deleted backup"

# --- quit ----------------------------------------------------------------------
tmux_send q
st=$(tmux_wait_exit 10)
is "$st" 0 "q exits with status 0"
if [ -s "$TMP/stty.after" ]; then
	is "$(cat "$TMP/stty.after")" "$(cat "$TMP/stty.before")" "the terminal settings are restored"
else
	ok 1 "the terminal settings are restored (no stty record)"
fi
if tmux_capture | grep -q 'b backup'; then
	ok 1 "the TUI's screen is gone after the exit"
else
	ok 0 "the TUI's screen is gone after the exit"
fi

# --- monochrome and ASCII ---------------------------------------------------------
tui_start 80 24 NO_COLOR=1 VSBACKUP_ASCII=1
tmux_wait_for '20240201_020000' 10
tui_wait_stable
tui_golden main-80x24-ascii "ASCII lines and no colour"
like "$(tmux_capture)" '^-- Backups 1-5 of 5 .* -----' "ASCII rules"
if tmux_cmd capture-pane -p -e -t "$TMUX_TARGET" | grep -q $'\e\\[3[1-7]m'; then
	ok 1 "NO_COLOR: no colour escapes on screen"
else
	ok 0 "NO_COLOR: no colour escapes on screen"
fi
tmux_send q
is "$(tmux_wait_exit 10)" 0 "exits 0"

# --- the age of the newest backup against the RPO (24 h) ---------------------------
# green within it, yellow past it, red past twice it: look at the colours.
# (Not in $(...): tmux_start counts its sessions in this shell.)
rpo_colour() {
	tui_start 100 30 VSBACKUP_NOW="$1"
	tmux_wait_for 'Newest [0-9]' 10 >/dev/null
	tui_wait_stable
	RPO_COLOUR=$(tmux_cmd capture-pane -p -e -t "$TMUX_TARGET" | grep 'Newest' |
	    sed 's/.*Newest //' | grep -o $'\e\\[[0-9;]*m' | grep -o '3[1-7]' | head -1)
	tmux_send q
	tmux_wait_exit 10 >/dev/null
}
rpo_colour 2024-02-15T12:00:00Z
is "$RPO_COLOUR" 32 "3 h after the newest backup: green"
rpo_colour 2024-02-16T12:00:00Z
is "$RPO_COLOUR" 33 "27 h after: yellow (past the RPO)"
rpo_colour 2024-02-17T12:00:00Z
is "$RPO_COLOUR" 31 "51 h after: red (past twice the RPO)"

# --- too small, then large enough -------------------------------------------------
tui_start 40 10
tmux_wait_for 'too small' 5
ok $? "a 40x10 terminal gets a clear message"
tmux_cmd resize-window -t "$TMUX_TARGET" -x 80 -y 24
tmux_wait_for '20240201_020000' 5
ok $? "growing the terminal brings the screen back"
tmux_send q
is "$(tmux_wait_exit 10)" 0 "exits 0"

# --- how it opens ---------------------------------------------------------------------
tmux_start 80 24 env LANG=C.UTF-8 "$VSBACKUP" -c "$CONF"
tmux_wait_for 'sort: created' 10
ok $? "vsbackup with no command opens the TUI on a terminal"
tmux_send q
is "$(tmux_wait_exit 10)" 0 "and q exits 0"
out=$("$VSBACKUP" -c "$CONF" tui </dev/null 2>&1)
is "$?" 2 "vsbackup tui without a terminal is refused (status 2)"
like "$out" 'needs a terminal' "with a message saying why"

done_testing
