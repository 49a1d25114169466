#!/bin/bash
# The TUI with two S3 locations ("regions", each an s3rver behind its own
# signature-checking proxy): the header names each region and its state;
# the list marks where each backup has a copy (one mark per location at
# 80 columns, a column per location when wide); the guided restore offers
# every location holding the backup, nearest first, says where it
# restores from, and restores from the second region.
# Covers ui/pane-list.c (the marks and columns), ui/pane-header.c,
# ui/screen-restore.c (the choice of the copy).
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"
. "$TESTS_DIR/lib/s3-env.sh"

tui_require
s3_setup
. "$TESTS_DIR/lib/regions-lib.sh"
region_start eu
region_start us

tui_demo || bail_out "the demo sandbox could not be built"
{
	echo "s3 = ("
	region_group eu
	echo ","
	region_group us
	echo
	echo ");"
} >> "$CONF"
vs() { "$VSBACKUP" -c "$CONF" "$@"; }
wait_after() { while [[ ! $(date -u +%Y%m%d_%H%M%S) > $1 ]]; do sleep 0.1; done; }

# A: everywhere. B: local and eu (us was down). C: only in us.
A=$(vs -q backup 2>/dev/null | tail -1)
wait_after "$A"
region_down us
B=$(vs -q backup 2>/dev/null | tail -1)
region_up us
wait_after "$B"
C=$(vs -q backup --no-upload 2>/dev/null | tail -1)
vs -q copy "$C" --from local --to us > /dev/null 2>&1
vs -q delete "$C" --yes > /dev/null 2>&1
ok "$([ -n "$A" ] && [ -n "$B" ] && [ -n "$C" ]; echo $?)" "three backups: $A everywhere, $B local and eu, $C only in us"

tui_start 80 24
tmux_wait_for "eu ✓ +us ✓" 15
ok $? "the header names each region, reachable"
tmux_wait_for "^ $A .* LEU " 15
ok $? "80 columns: $A is marked in every location (LEU)"
tmux_wait_for "^ $B .* LE\. " 5
ok $? "  $B has no copy in us (LE.)"
tmux_wait_for "^ $C .* \.\.U " 5
ok $? "  $C is only in us (..U)"

# The guided restore of C: the copy in us is the only one, and is chosen.
tmux_send Home
tmux_wait_for "^ $C" 5
tmux_send r
tmux_wait_for "Restore $C from us: 1/4" 10
ok $? "the wizard chooses the only copy of $C: us"
tmux_wait_for "\[us\].*restores from s3://vs-us/vector_store_backups" 5
ok $? "  and says where it restores from"
copyline=$(tmux_capture | grep 'Copy:')
! printf '%s\n' "$copyline" | grep -qE 'local|eu'
ok $? "  it offers no location that lacks the backup ($copyline)"
# A is everywhere: nearest first, and Right walks the locations.
tmux_send Down Down
tmux_wait_for "Restore $A from local: 1/4" 5
ok $? "for $A, held everywhere, the nearest copy first: local"
tmux_wait_for "Copy: \[local\] +eu +us" 5
ok $? "  every location holding it is offered, in order"
tmux_send Right
tmux_wait_for "Restore $A from eu: 1/4" 5
ok $? "  Right: the next, eu"
tmux_wait_for "\[eu\].*restores from s3://vs-eu/vector_store_backups" 5
ok $? "  saying where it restores from"
tmux_send Right
tmux_wait_for "Restore $A from us: 1/4" 5
ok $? "  then us"
tmux_send l
tmux_wait_for "Restore $A from local: 1/4" 5
ok $? "  l: back to local"

# Restore C from us through the wizard.
digest=$(redis-cli -s "$SOCK" debug digest)
redis-cli -s "$SOCK" set chimera-vectors:after-backup '{"id":"after"}' > /dev/null
tmux_send Up Up
tmux_wait_for "Restore $C from us: 1/4" 5
tmux_send Enter
tmux_wait_for 'checksums of the us copy' 10
ok $? "the checks are of the us copy"
tmux_wait_for 'All checks passed' 60
like "$(tmux_capture)" "space in backup_dir for the safety backup and the download" \
    "  with room in backup_dir for the download from us"
tmux_send Enter
tmux_wait_for "$C: daily|us copy" 10
tmux_wait_for 'Enter: confirm' 10
tmux_send Enter
tmux_wait_for 'type the backup id' 10
tmux_type "$C"
tmux_send Enter
tmux_wait_for "Restored $C in" 120
ok $? "the restore from us finishes"
redis-cli -s "$SOCK" del chimera-vectors:after-backup > /dev/null
tmux_send Enter
tmux_send q
st=$(tmux_wait_exit 30)
[ -z "$st" ] && { tmux_send y; st=$(tmux_wait_exit 30); }
is "$st" 0 "the TUI exits 0"

# Wide: a column per location.
tui_start 200 40
tmux_wait_for " local +eu +us +VERIFIED" 15
ok $? "200 columns: a column per location, titled by its name"
tmux_wait_for "^ $B " 10
line=$(tmux_capture | grep "^ $B ")
like "$line" "✓ +✓ " "  $B has ticks under local and eu"
line=$(tmux_capture | grep "^ $C ")
like "$line" "^ $C .* +✓ " "  $C a tick under us"
tmux_send q
st=$(tmux_wait_exit 30)
[ -z "$st" ] && { tmux_send y; st=$(tmux_wait_exit 30); }
is "$st" 0 "the TUI exits 0"

done_testing
