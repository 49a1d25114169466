#!/bin/bash
# Deleting keeps its promises. A pinned backup cannot be deleted by any
# path: d in the front end says to unpin it first and opens no dialog,
# 'vsbackup delete' exits 2 naming unpin, for either copy. The delete
# dialog starts on the copy the list shows, never on both; its text
# follows the choice; deleting the only verified backup, or the last copy
# of a backup anywhere, asks a second time and names what is lost. With a
# bucket that does not exist, the header says what S3 answered. A list
# read again while the dialog is open (a backup made meanwhile) leaves the
# dialog whole.
# Covers ui/actions.c, ui/screen-form.c, src/jobs/job-delete.c,
# src/jobs/catalog.c (catalog_delete_loss), src/cli/cmd-delete.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require s3

tui_demo || bail_out "the demo sandbox could not be built"
tui_s3
s3has() { s3cli s3 ls "s3://$S3_BUCKET/vector_store_backups/$1/metadata.json" >/dev/null 2>&1; }
# The screen as one line without the dialog's frame: wrapped text matches.
joined() { tmux_capture | sed 's/[│┌┐└┘]//g; s/^ *//; s/ *$//' | tr '\n' ' ' | tr -s ' '; }
wait_joined() {
	local end=$((SECONDS + ${2:-5}))
	while [ "$SECONDS" -lt "$end" ]; do
		joined | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	echo "# /$1/ did not appear; the screen:"
	tmux_capture | sed 's/^/#   |/'
	return 1
}

vsb -q backup --type daily >/dev/null 2>"$TMP/err" || sed 's/^/# /' "$TMP/err"
A=$(ls "$DEMO/backups" | grep -E '^[0-9]{8}_[0-9]{6}$' | tail -1)
sleep 1.1
vsb -q backup --type daily >/dev/null 2>"$TMP/err" || sed 's/^/# /' "$TMP/err"
B=$(ls "$DEMO/backups" | grep -E '^[0-9]{8}_[0-9]{6}$' | tail -1)
[ -n "$A" ] && [ -n "$B" ] && [ "$A" != "$B" ] && s3has "$A" && s3has "$B"
ok $? "two backups, each local and in S3 ($A, $B)"
vsb -q verify "$A" >/dev/null 2>&1
vsb -q pin "$B" >/dev/null 2>&1

# --- the command line -------------------------------------------------------------
vsb delete "$B" --yes >"$TMP/out" 2>"$TMP/err"
is "$?" 2 "delete --yes of a pinned backup is refused with exit 2"
like "$(cat "$TMP/err")" "pinned.*vsbackup unpin $B" "and the message names unpin"
[ -f "$DEMO/backups/$B/metadata.json" ]
ok $? "the pinned backup is still there"
vsb delete "$B" --yes --location s3 >/dev/null 2>"$TMP/err"
is "$?" 2 "deleting its S3 copy is refused too"
s3has "$B"
ok $? "the pinned S3 copy is still there"
vsb delete "$B" --yes --location all >/dev/null 2>"$TMP/err"
is "$?" 2 "and both at once"

# --- the front end: pinned ------------------------------------------------------
tui_start 80 24
tmux_wait_for "^ $B daily .* pinned" 15
ok $? "the pinned backup is listed as pinned"
tmux_wait_for "S3 ✓" 10
tui_wait_stable
tmux_send d
tmux_wait_for "$B is pinned: it cannot be deleted; unpin it first \\(p\\)" 5
ok $? "d on a pinned backup says to unpin it first"
! tmux_capture | grep -q "Delete backup"
ok $? "no delete dialog is open"
tmux_send y
sleep 1
[ -f "$DEMO/backups/$B/metadata.json" ] && s3has "$B"
ok $? "a y after it deletes nothing"

# --- the dialog follows the choice ---------------------------------------------------
tmux_send Down
tmux_wait_for "^ $A daily " 5
tmux_send d
tmux_wait_for "Delete backup $A" 5
ok $? "d opens the delete dialog"
tmux_wait_for 'Copies +\[local\] +S3 +both' 3
ok $? "it starts on the local copy, the one the list describes"
wait_joined "Deletes the local copy in .*The S3 copy stays" 3
ok $? "the text says the S3 copy stays"
tmux_send Right
tmux_wait_for 'Copies +local +\[S3\]' 3
wait_joined "Deletes the S3 copy in s3://$S3_BUCKET/.*The local copy" 3
ok $? "choosing S3 rewords the text"
tmux_send Right
wait_joined 'Deletes both copies' 3
ok $? "choosing both rewords it again"
wait_joined "$A is the last copy of the only verified backup" 3
ok $? "and names what is lost: the only verified backup, every copy"
tmux_send Right
tmux_wait_for 'Copies +\[local\]' 3
wait_joined "$A is the only verified backup" 3
ok $? "the local copy alone holds the only verification: said too"
tmux_send y
tmux_wait_for "Delete $A: are you sure\\?" 5
ok $? "y asks a second time"
like "$(tmux_capture)" "only verified backup" "naming what is lost"
tmux_send n
sleep 1
[ -f "$DEMO/backups/$A/metadata.json" ]
ok $? "n at the second question deletes nothing"
tmux_send d
tmux_wait_for "Delete backup $A" 5
tmux_send y
tmux_wait_for "Delete $A: are you sure\\?" 5
tmux_send y
tmux_wait_for "^ $A daily .* s3 " 15
ok $? "two y delete the local copy; the S3 copy stays"
s3has "$A"
ok $? "the S3 copy is really still there"
tmux_send q
tmux_wait_exit 10 >/dev/null

# --- the command line names what is lost ------------------------------------------------
vsb -q unpin "$B" >/dev/null 2>&1
vsb delete "$B" --yes >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "after unpin, delete --yes removes the local copy"
vsb delete "$A" --yes --location s3 >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "deleting the last copy of a backup works with --yes"
like "$(cat "$TMP/err")" "last copy of $A anywhere" "and says it was the last copy"

# --- the list is read again while the dialog is open -----------------------------------
# A backup made meanwhile (cron, another shell) makes the front end read the
# list again; the open dialog keeps its choices and still answers.
vsb -q backup --type daily >/dev/null 2>"$TMP/err" || sed 's/^/# /' "$TMP/err"
C=$(ls "$DEMO/backups" | grep -E '^[0-9]{8}_[0-9]{6}$' | tail -1)
tui_start 120 30
tmux_wait_for "^ $C daily .* both " 15
tmux_send d
tmux_wait_for "Delete backup $C" 5
tmux_wait_for '\[local\]' 5
ok $? "the dialog opens on the local copy of $C"
sleep 1.1
vsb -q backup --type daily --no-upload >/dev/null 2>"$TMP/err" || sed 's/^/# /' "$TMP/err"
D=$(ls "$DEMO/backups" | grep -E '^[0-9]{8}_[0-9]{6}$' | tail -1)
tmux_wait_for "^ $D daily .* local " 15
ok $? "the list behind the dialog shows the backup made meanwhile ($D)"
tmux_send Right
tmux_wait_for '\[S3\]' 5
ok $? "the dialog still changes its choice after the list was read again"
tmux_send n
tui_wait_gone "Delete backup $C" 5
ok $? "n closes it"
[ -f "$DEMO/backups/$C/metadata.json" ] && s3has "$C"
ok $? "and $C is still in both places"
tmux_send q
tmux_wait_exit 10 >/dev/null

# --- a bucket that does not exist: the header says so ---------------------------------
sed -i "s|bucket = \"$S3_BUCKET\";|bucket = \"no-such-bucket\";|" "$CONF"
tui_start 120 30
tmux_wait_for 'S3 ✗ bucket no-such-bucket does not exist \(404 NoSuchBucket\)' 20
ok $? "the header says what S3 answered (NoSuchBucket, 404), not just unreachable"
tmux_send q
tmux_wait_exit 10 >/dev/null

done_testing
