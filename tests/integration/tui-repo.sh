#!/bin/bash
# The TUI on a repository (format 2) beside a plain backup: the list's
# ADDED column, the detail pane's "stored" line and the header's repository
# size tell the same numbers as 'vsbackup show' and 'vsbackup list'; a plain
# backup has no added bytes; the column goes where the width is short and
# is not shown without a repository; a repository that cannot be read is
# named as the reason, never the backups. Golden screens with sizes masked
# (they vary with where the chunker cuts).
# Covers ui/pane-list.c, ui/pane-detail.c, ui/pane-header.c and the
# catalog_* functions they read (src/jobs/catalog.c).
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
export TZ=UTC TUI_MASK_BYTES=1
vsb() { "$VSBACKUP" -q -c "$CONF" "$@"; }
VSBACKUP_NOW=2024-02-01T02:00:00Z vsb backup >>"$TMP/fixture.log" 2>&1 ||
    { sed 's/^/# /' "$TMP/fixture.log"; bail_out "the plain backup failed"; }

# Without a repository there is no ADDED column.
export VSBACKUP_NOW=$TUI_NOW
tui_start 200 60
tmux_wait_for '20240201_020000' 10
tui_wait_stable
unlike "$(tmux_capture)" 'ADDED|Repository' "with plain backups only: no ADDED column, no repository in the header"
tmux_send q
tmux_wait_exit 10

tui_format2
# The screens show what each backup added: start from a settled key table,
# so that the same keys come in the same order in each snapshot.
redis_settle "$SOCK"
i=0
for t in 2024-02-12T02:00:00Z 2024-02-14T02:00:00Z 2024-02-15T02:00:00Z; do
	i=$((i + 1))
	redis-cli -s "$SOCK" set "chimera-vectors:tui-repo-$i" "{\"n\": $i}" >/dev/null
	VSBACKUP_NOW=$t vsb backup >>"$TMP/fixture.log" 2>&1 ||
	    { sed 's/^/# /' "$TMP/fixture.log"; bail_out "a repository backup failed"; }
done
ok "$([ -f "$DEMO/backups/repository/manifests/20240215_020000" ]; echo $?)" "three backups in the repository beside the plain one"

# What the commands say, to compare with the screen.
added_of() { vsb show "$1" | sed -n 's/.*of files, \(.*\) added by this backup (\(.*\)),.*/\1 \2/p'; }
declare -A added ratio
for id in 20240212_020000 20240214_020000 20240215_020000; do
	read -r n u r <<<"$(added_of "$id")"
	added[$id]="$n $u"
	ratio[$id]=$r
done
totals=$(vsb list | sed -n 's/^repository (local): [0-9]* backups of \(.*\) in \(.*\) stored (\(.*\))$/\2 for \1 (\3)/p')
ok "$([ -n "$totals" ] && [ -n "${added[20240215_020000]}" ]; echo $?)" "show and list give the numbers (${added[20240215_020000]}; $totals)"

# --- 200x60: the list, the header, the detail beside ---------------------------------
tui_start 200 60
tmux_wait_for '20240215_020000' 10
ok $? "the list shows the backups"
tmux_wait_for 'BGSAVE ok' 10
tui_wait_stable
screen=$(tmux_capture)
like "$screen" ' SIZE +ADDED ' "the list has an ADDED column beside SIZE"
for id in 20240212_020000 20240214_020000 20240215_020000; do
	like "$screen" "$id .* ${added[$id]} local " "  $id added ${added[$id]}, as show says"
done
like "$screen" '20240201_020000 .* MiB +- +local ' "  the plain backup added nothing to a repository: -"
like "$screen" "Repository ${totals//[()]/.} " "the header gives the repository's size for its files' size, as list does ($totals)"
like "$screen" "stored +${added[20240215_020000]} added by this backup \\(${ratio[20240215_020000]}\\)" \
    "the detail pane of the selected backup says what it added and its ratio, as show does"
like "$screen" "format +2, " "  and that it is of format 2"
tmux_wait_for 'no verification recorded' 5
like "$(tmux_capture)" "local +complete, $(vsb show 20240215_020000 | sed -n 's/.*in the repository: \(.*\) of files,.*/\1/p')" \
    "  its copy's size is that of its files, as list says"
tui_golden repo-main-200x60 "main screen with a repository at 200x60"

# --- 80x24: the column goes, the detail keeps the numbers --------------------------------
tmux_cmd resize-window -t "$TMUX_TARGET" -x 80 -y 24
tui_wait_stable
unlike "$(tmux_capture)" 'ADDED' "at 80x24 the ADDED column is the first to go"
tmux_send Enter
tmux_wait_for 'Detail \(Enter or Esc' 5
tui_wait_stable
like "$(tmux_capture)" "stored +${added[20240215_020000]} added by this backup" "the detail at 80x24 keeps what the backup added"
tui_golden repo-detail-80x24 "detail of a repository backup at 80x24"
tmux_send Escape
tmux_send Down Down Down
tmux_send Enter
tmux_wait_for 'Backup 20240201_020000' 5
tui_wait_stable
unlike "$(tmux_capture)" 'added by this backup' "a plain backup's detail has no repository line"
tmux_send Escape
tmux_send q
tmux_wait_exit 10
ok $? "q quits"

# --- a repository that cannot be read (its config is gone) ---------------------------------
mv "$DEMO/backups/repository/config" "$TMP/config.save"
tui_start 200 60
tmux_wait_for '20240215_020000' 10
tui_wait_stable
screen=$(tmux_capture)
like "$screen" 'Repository 3 backups, unreadable' "a repository that cannot be read: the header says so"
like "$screen" 'the repository holding it cannot be read' "  the detail pane blames the repository"
unlike "$screen" 'delete this backup' "  and does not advise deleting the backup"
like "$screen" 'local +repository unreadable, .*' "  so does its copy's state"
like "$screen" 'there is no repository in ' "  whose error says what is wrong"
tmux_send q
tmux_wait_exit 10
mv "$TMP/config.save" "$DEMO/backups/repository/config"

done_testing
