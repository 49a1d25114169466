#!/bin/bash
# The lists of the front end behave alike, and the smaller promises: every
# scrolling screen pages by its height (help's PgDn moved ten lines); g and
# G go to the first and last row (f downloads); after D clears the finished
# jobs of a scrolled list, no row hides above the first one shown; finished
# jobs take one line each, the newest three; L shows the log whole, wrapped,
# with search; the verify dialog offers no S3 copy without S3; the list and
# the retention view say the time left alike; the retention view looks at
# another day ([ ]) as a dry run only.
# Covers ui/list.c, ui/screen-help.c, ui/screen-log.c, ui/screen-cleanup.c,
# ui/pane-list.c, ui/pane-jobs.c, ui/layout.c, ui/actions.c, ui/model.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo 200 20 8 || bail_out "the demo sandbox could not be built"
export TZ=UTC
for d in 01 02 03 04 05 06 07 08 09 10 11 12 13 14; do
	VSBACKUP_NOW=2024-03-${d}T02:00:00Z "$VSBACKUP" -q -c "$CONF" backup --type daily \
	    >>"$TMP/fixture.log" 2>&1 || { sed 's/^/# /' "$TMP/fixture.log"; bail_out "backups"; }
done
export VSBACKUP_NOW=2024-03-14T12:00:00Z

tui_start 80 24
tmux_wait_for '^ 20240314_020000 daily' 15
tui_wait_stable

# --- help pages by its height ---------------------------------------------------------
tmux_send '?'
tmux_wait_for 'lines 1-22 of' 5
tmux_send PgDn
tmux_wait_for 'lines 23-' 5
ok $? "PgDn in help moves a page (22 lines at 80x24), not ten"
tmux_send q

# --- g and G; f downloads ------------------------------------------------------------------
tmux_send G
tmux_wait_for 'Backups [0-9]+-14 of 14' 5
ok $? "G goes to the last backup"
tmux_send g
tmux_wait_for 'Backups 1-[0-9]+ of 14' 5
ok $? "g goes back to the first"
tmux_send f
tmux_wait_for 'has no complete copy in S3 to download' 5
ok $? "f is download (here: nothing in S3)"

# --- the verify dialog without S3 -------------------------------------------------------------
tmux_send v
tmux_wait_for 'Verify backup 20240314_020000' 5
! tmux_capture | grep -q 'Copy '
ok $? "without S3 the verify dialog offers no copy to choose"
tmux_send Enter
tmux_wait_for 'backup 20240314_020000 \(local\) is valid' 20
tmux_send Down v Enter
tmux_wait_for 'backup 20240313_020000 \(local\) is valid' 20
tmux_send Down v Enter
tmux_wait_for 'backup 20240312_020000 \(local\) is valid' 20
tmux_send Down v Enter
tmux_wait_for 'backup 20240311_020000 \(local\) is valid' 20
tui_wait_stable
screen=$(tmux_capture)
is "$(printf '%s\n' "$screen" | grep -c '^ ✓ verify ')" 3 \
    "finished jobs take one line each, the newest three"
like "$screen" 'Backups 1-[0-9]+ of 14' "the list keeps its room"

# --- D with the list scrolled ------------------------------------------------------------------
tmux_send G
tui_wait_stable
tmux_send D
tui_wait_stable
title=$(tmux_capture | grep -o 'Backups [0-9]*-[0-9]* of 14')
rows=$(tmux_capture | grep -c '^ 202403[0-9][0-9]_020000 ')
first=${title#Backups }; first=${first%%-*}
last=${title#Backups *-}; last=${last%% *}
is "$((last - first + 1))" "$rows" "after D the title counts the rows shown ($title, $rows rows)"
[ "$last" = 14 ] && [ "$rows" -eq 14 -o "$first" -gt 1 ] && [ "$((last - first + 1))" = "$rows" ]
ok $? "no row hides above the first one shown while there is room"

# --- the log, whole ------------------------------------------------------------------------------
tmux_send L
tmux_wait_for 'Log \(/ searches' 5
ok $? "L shows the log full screen"
tmux_send / 
tmux_type 20240312
tmux_send Enter
tmux_wait_for 'search "20240312"' 5
ok $? "/ searches it"
tmux_send q

# --- retention: the same words; another day ---------------------------------------------------------
tmux_send g
tui_wait_stable
like "$(tmux_capture)" '20240314_020000 daily .* 7 days left' "the list says \"7 days left\""
tmux_send c
tmux_wait_for 'keep +20240314_020000 .*7 days left' 10
ok $? "the retention view says it the same way"
tmux_send ']'
tmux_wait_for '\(\+1 days: a dry run\)' 10
ok $? "] looks at the next day"
tmux_wait_for 'keep +20240314_020000 .*6 days left' 10
ok $? "and decides for it"
tmux_send D
tmux_wait_for 'another day is a dry run only' 5
ok $? "D does not run a cleanup for another day"
tmux_send 0
tmux_wait_for 'keep +20240314_020000 .*7 days left' 10
ok $? "0 comes back to now"
tmux_send Escape q
tmux_wait_exit 10 >/dev/null

done_testing
