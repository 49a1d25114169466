#!/bin/bash
# The TUI driving real jobs on a demo sandbox: b takes a backup (its pane
# says it is complete and the new row appears), v verifies it (two verifications
# at once), the guided restore refuses a wrong typed id and restores with
# the right one (DEBUG DIGEST equals the one before the backup), and
# SIGTERM leaves the terminal as it was.
# Covers ui/tui.c, ui/screen-main.c, ui/screen-form.c, ui/screen-restore.c,
# ui/tui-jobs.c.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
rcli() { redis-cli -s "$SOCK" "$@"; }
digest_before=$(rcli debug digest)
like "$digest_before" '^[0-9a-f]{40}$' "DEBUG DIGEST of the demo data"
# An older backup, so that the list is not empty and v can run twice.
tui_backup
old=$TUI_ID
sleep 1.1 # the next backup must get another id

tui_start 80 24
tmux_wait_for "$old" 10
ok $? "the list shows the existing backup"
tui_wait_stable

# --- b: a backup --------------------------------------------------------------
tmux_send b
tmux_wait_for 'Take a backup' 5
ok $? "b opens the backup dialog"
tmux_send Enter
tmux_wait_for '✓ backup \(by schedule\): backup [0-9]{8}_[0-9]{6} complete' 30
ok $? "the backup's job pane says it is complete"
new=$(tmux_capture | sed -n 's/.*: backup \([0-9]\{8\}_[0-9]\{6\}\) complete:.*/\1/p' | head -1)
like "$new" '^[0-9]{8}_[0-9]{6}$' "the pane names the new backup ($new)"
tmux_wait_for "^ $new (daily|weekly|monthly) " 10
ok $? "the new backup's row appears in the list"
is "$(rcli debug digest)" "$digest_before" "taking the backup changed nothing in Redis"

# --- v: verify it, and the older one at the same time ---------------------------
tmux_send v
tmux_wait_for "Verify backup $new" 5
ok $? "v opens the verify dialog for the selected (new) backup"
tmux_send Enter
tmux_send Down v
tmux_wait_for "Verify backup $old" 5
tmux_send Right Enter
tmux_wait_for "backup $new \(local\) is valid" 30
ok $? "the quick verification of the new backup passes"
tmux_wait_for "verify $old \(deep, local\)" 5
tmux_wait_for "backup $old \(local\) is valid" 60
ok $? "the deep verification of the older backup passes too"
tmux_wait_for "^ $new (daily|weekly|monthly) .* ok " 10
ok $? "the list shows the new backup verified"
tmux_send Up

# --- the live data changes after the backup ---------------------------------------
rcli set chimera-vectors:after-backup '{"id":"after-backup"}' >/dev/null
rcli del chimera-users:u000001 chimera-users:u000002 >/dev/null
rcli --scan --pattern 'chimera-users:*' | head -3 | xargs -r redis-cli -s "$SOCK" del >/dev/null
digest_changed=$(rcli debug digest)
[ "$digest_changed" != "$digest_before" ]
ok $? "Redis differs from the backup now"

# --- r: the guided restore ----------------------------------------------------------
tmux_send r
tmux_wait_for 'choose the backup' 5
ok $? "r opens the restore wizard"
tmux_send Enter
tmux_wait_for 'All checks passed' 30
ok $? "the pre-flight checks pass"
tui_wait_stable
TUI_MASK_IDS=1 tui_golden restore-checks-80x24 "the pre-flight checks"
tmux_send Enter
tmux_wait_for 'Estimated time to restore \(RTO\): about' 5
ok $? "the plan gives an RTO estimate"
tmux_send Enter
tmux_wait_for 'type the backup id' 5
ok $? "the restore asks for the backup id"
tmux_type "${new%?}9"
[ "${new: -1}" = 9 ] && { tmux_send BSpace; tmux_type 8; }
tmux_send Enter
tmux_wait_for 'NOT restored' 5
ok $? "a wrong id is refused"
TUI_MASK_IDS=1 tui_golden restore-refused-80x24 "the refusal"
sleep 1
is "$(rcli debug digest)" "$digest_changed" "nothing was restored after the wrong id"
tmux_type "$new"
tmux_send Enter
tmux_wait_for "Restored $new in" 120
ok $? "the restore with the right id finishes"
tui_wait_stable
TUI_MASK_IDS=1 tui_golden restore-done-80x24 "the checklist, all ticked"
is "$(rcli debug digest)" "$digest_before" "DEBUG DIGEST after the restore equals the one before the backup"
tmux_send Enter
tmux_wait_for 'pre-restore' 10
ok $? "the safety backup is in the list"

# --- p and d: pin, unpin, delete ------------------------------------------------------
tmux_send Home Down
tmux_wait_for "^ $new " 5
tmux_send p
tmux_wait_for "^ $new (daily|weekly|monthly) .* pinned" 10
ok $? "p pins the selected backup"
tmux_send p
tmux_wait_for "^ $new (daily|weekly|monthly) .* (left|until)" 10
ok $? "p again unpins it"
tmux_send d
tmux_wait_for "Delete backup $new" 5
ok $? "d asks before deleting"
tmux_send Enter
sleep 0.5
like "$(tmux_capture)" "Delete backup $new" "Enter does not confirm a deletion"
tmux_send y
# It is the newest verified backup: a second question names that.
tmux_wait_for "Delete $new: are you sure" 5
ok $? "deleting the newest verified backup asks a second time"
tmux_send y
tmux_wait_for "delete $new \\(local\\)" 10
for _ in $(seq 50); do [ -d "$DEMO/backups/$new" ] || break; sleep 0.1; done
[ ! -d "$DEMO/backups/$new" ]
ok $? "y deletes it from backup_dir"
tmux_wait_for 'Backups 1-2 of 2' 10
ok $? "and its row is gone"

# --- SIGTERM ---------------------------------------------------------------------------
pane_shell=$(tmux_cmd display-message -p -t "$TMUX_TARGET" '#{pane_pid}')
pid=
for _ in $(seq 20); do
	pid=$(pgrep -f -n "vsbackup -c $CONF tui" 2>/dev/null)
	[ -n "$pid" ] && break
	sleep 0.1
done
if [ -n "$pid" ]; then
	kill -TERM "$pid"
	is "$(tmux_wait_exit 15)" 143 "SIGTERM ends the TUI (status 143)"
	is "$(cat "$TMP/stty.after" 2>/dev/null)" "$(cat "$TMP/stty.before")" \
	    "the terminal settings are restored after SIGTERM"
else
	ok 1 "found the TUI's process (pane $pane_shell)"
fi

done_testing
