#!/bin/bash
# LANGUAGE=de shows vsbackup in German: --help, a command's help and
# messages, and the TUI. The catalog is compiled from po/de.po into the
# test's own directory and found through VSBACKUP_LOCALEDIR.
. "$(dirname "$0")/../lib/harness.sh"

command -v msgfmt >/dev/null || skip_all "msgfmt is not installed (package gettext)"
SRC=$(cd "$TESTS_DIR/.." && pwd)
mkdir -p "$TMP/locale/de/LC_MESSAGES"
msgfmt -o "$TMP/locale/de/LC_MESSAGES/vsbackup.mo" "$SRC/po/de.po"
ok $? "po/de.po compiles"
export VSBACKUP_LOCALEDIR=$TMP/locale
de() { LANGUAGE=de LANG=C.UTF-8 LC_ALL= "$VSBACKUP" "$@"; }

out=$(de --help)
like "$out" "^Befehle:" "vsbackup --help is in German"
like "$out" "Exit-?[Ss]tatus|Rückgabe|Beendigungsstatus" "  down to the exit status line"
out=$(LANGUAGE= LANG=C.UTF-8 "$VSBACKUP" --help)
like "$out" "^Commands:" "without LANGUAGE it stays English"

out=$(de restore --help)
unlike_en=$(printf '%s\n' "$out" | grep -c "restore a backup into the live Redis")
is "$unlike_en" 0 "restore --help is translated"

out=$(de -c "$TMP/none.conf" list 2>&1)
like "$out" "$TMP/none.conf" "an error names the file"
is "$(printf '%s\n' "$out" | grep -c 'does not exist; pass -c FILE')" 0 "  in German"

# The TUI on a small demo: the shortcut bar and a dialog.
"$VSBACKUP" demo --no-tui -q --dir "$TMP/demo" --vectors 200 --users 20 --dim 8 >/dev/null 2>&1
ok $? "a demo to look at"
harness_at_exit "'$VSBACKUP' demo --stop --dir '$TMP/demo' >/dev/null 2>&1"
start_tmux
tmux_start 100 30 env LANGUAGE=de LANG=C.UTF-8 VSBACKUP_LOCALEDIR="$TMP/locale" \
    "$VSBACKUP" -c "$TMP/demo/vsbackup.conf" tui
tmux_wait_for "q Beenden" 20
ok $? "the TUI's shortcut bar is in German"
tmux_send '?'
tmux_wait_for "Beenden" 5
screen=$(tmux_capture)
is "$(printf '%s\n' "$screen" | grep -c ' quit$\| help$')" 0 "  and so is its help screen"
tmux_send q
tmux_send q
st=$(tmux_wait_exit 10)
is "$st" 0 "q leaves it"

done_testing
