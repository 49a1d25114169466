#!/bin/bash
# A backup that lacks a part, and the pre-restore safety backups, are
# labelled as such everywhere. The disaster: FLUSHALL and a deleted
# content index, then a restore of the good backup; its safety backup
# holds no keys and no content index. It is listed as partial and
# pre-restore (front end, list, list --json, show), it is never "the
# newest" (header, health), the wizard lists the ordinary backup first,
# and restoring it names the live part it removes and needs its own
# confirmation (y in the wizard, --allow-partial on the command line).
# First, restore --plan on the disaster (text and JSON) shows every part
# that changes, and changes nothing.
# 'latest' and 'latest-verified' never name a safety backup; list --json
# says each copy's retention; list shows the newest first.
# Covers ui/model.c, ui/pane-list.c, ui/pane-detail.c, ui/screen-restore.c,
# src/jobs/catalog.c, src/cli/cmd-list.c, src/cli/cmd-show.c,
# src/cli/output.c, src/cli/cmd-restore.c, src/jobs/plan.c, src/ops/survey.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
rcli() { redis-cli -s "$SOCK" "$@"; }
content=$DEMO/indexes/content_index.faiss

# The good backup, two hours old, verified.
two_hours_ago=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
VSBACKUP_NOW=$two_hours_ago vsb -q backup --type daily >"$TMP/out" 2>"$TMP/err" ||
    sed 's/^/# /' "$TMP/err"
GOOD=$(cat "$TMP/out")
vsb -q verify "$GOOD" >/dev/null 2>&1

# The disaster, and the restore that follows it.
rcli flushall >/dev/null
rm -f "$content"
digest=$(rcli debug digest)
out=$(vsb restore "$GOOD" --plan)
is "$?" 0 "restore --plan on the disaster succeeds"
like "$out" 'Redis keys \(DBSIZE\) +0 → 2200' "the plan: the keys, 0 now, 2200 after"
like "$out" 'chimera-vectors: +0 → 2000' "  per prefix"
like "$out" 'content index +missing → 2000 vectors of dim 32' "  the content index, missing now"
like "$out" 'user index +200 vectors of dim 32 → 200 vectors of dim 32' "  the user index, unchanged"
like "$out" 'Writes made since .* \(2h 0m ago\) are lost' "  what is lost"
like "$out" 'Estimated time to restore \(RTO\)' "  the estimate"
like "$out" ' 1\. download the backup from S3: skipped' "  the steps, numbered as the job numbers them"
json=$(vsb --json restore "$GOOD" --plan)
got=$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin)
r = p["parts"]["redis"]; c = p["parts"]["content_index"]
print(r["live"]["dbsize"], r["backup"]["dbsize"], r["live"]["keys"]["chimera-vectors:"],
      c["live"]["present"], c["backup"]["ntotal"], c["action"], len(p["steps"]),
      p["steps"][0]["skipped"])')
is "$got" "0 2200 0 False 2000 place 10 True" "restore --plan --json: every changed part"
is "$(rcli debug digest) $([ -e "$content" ]; echo $?)" "$digest 1" "--plan changed nothing"
vsb restore "$GOOD" --yes >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "the good backup restores over the disaster"
SAFE=$(sed -n 's/.*the state before it is in backup \([0-9_]*\).*/\1/p' "$TMP/out")
like "$SAFE" '^[0-9]{8}_[0-9]{6}$' "its safety backup is $SAFE"
[ -f "$content" ]
ok $? "the content index is back"

# --- the command line --------------------------------------------------------------
out=$(vsb list)
like "$out" "$SAFE +pre-restore .* partial +- +PARTIAL: lacks the content index, safety backup" \
    "list: the safety backup is partial and labelled"
like "$out" "$GOOD +daily .* ok" "list: the good backup is verified"
json=$(vsb --json list)
got=$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
for b in json.load(sys.stdin):
    if b["id"] == sys.argv[1]:
        print(b["pre_restore"], b["usable"], ",".join(b["missing"]), b["local"]["missing"])
' "$SAFE")
is "$got" "True True content_index.faiss ['content_index.faiss']" \
    "list --json: pre_restore, usable, and the missing part"
got=$(printf '%s' "$json" | /usr/bin/python3 -c '
import json, sys
for b in json.load(sys.stdin):
    if b["id"] == sys.argv[1]:
        r = b["local"]["retention"]
        print(r["keep"], r["reason"], r["expires"] is not None)
' "$GOOD")
is "$got" "True within-retention True" "list --json: each copy says what cleanup decides for it"
like "$(vsb list | sed -n 2p)" "^$SAFE " "list: newest first, as in the front end"
like "$(vsb show latest)" "Backup $GOOD" "'latest' names the newest backup that counts, not the safety backup"
like "$(vsb show latest-verified)" "Backup $GOOD" "and so does 'latest-verified'"
out=$(vsb show "$SAFE")
like "$out" "PARTIAL +lacks the content index; restoring it removes the live one" \
    "show says what restoring it removes"
like "$out" "pre-restore \\(the live state saved before a restore" "and what a pre-restore is"
out=$(vsb health)
like "$out" "backup.age.local +newest backup in .*, $GOOD, is 2h" \
    "health: the newest backup is the good one, not the safety backup"
like "$out" "backup.verified +newest verified backup $GOOD" "and so is the newest verified"

vsb restore "$SAFE" --yes >"$TMP/out" 2>"$TMP/err"
is "$?" 2 "restore --yes of the partial backup is refused (exit 2)"
like "$(cat "$TMP/err")" "lacks the content index.*--allow-partial" \
    "naming the missing part and --allow-partial"
[ -f "$content" ] && [ "$(rcli dbsize)" -gt 0 ]
ok $? "nothing live was touched"
out=$(vsb restore "$SAFE" --plan)
like "$out" "content index .*vectors of dim .* none: the live file is MOVED ASIDE" \
    "the plan says the live content index is moved aside"

# --- the front end ------------------------------------------------------------------
tui_start 120 40
tmux_wait_for "^ $SAFE pre-restore .* partial " 15
ok $? "the list shows the safety backup as partial"
tmux_wait_for 'Newest 2h 0m ago' 10
ok $? "the header's newest backup is the good one, two hours old"
tmux_wait_for "^ $GOOD daily .* ok " 5
tui_wait_stable
tmux_send Home
tmux_wait_for 'PARTIAL: it lacks the content index' 5
ok $? "the detail says what the backup lacks"
like "$(tmux_capture)" "pre-restore: the live state saved before a restore" \
    "and what a pre-restore backup is"

tmux_send r
tmux_wait_for 'choose the backup' 5
screen=$(tmux_capture)
first=$(printf '%s\n' "$screen" | grep -nE "^ *$GOOD " | cut -d: -f1)
second=$(printf '%s\n' "$screen" | grep -nE "^ *$SAFE " | cut -d: -f1)
[ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ]
ok $? "the wizard lists the ordinary backup before the safety backup"
like "$screen" "$SAFE +pre-restore .*PARTIAL: lacks the content index \\(safety backup\\)" \
    "and labels the safety backup and its missing part"
tmux_send Down Enter
tmux_wait_for 'All checks passed' 30
ok $? "the checks of the partial backup pass (its files are as recorded)"
tmux_send Enter
tmux_wait_for 'MOVED ASIDE' 10
ok $? "the plan says the live content index is moved aside"
tmux_send Enter
tmux_wait_for 'parts are missing' 5
ok $? "Enter asks about the missing part first"
like "$(tmux_capture)" "the live .*content_index.faiss is moved aside" "naming the live file"
tmux_send Enter
sleep 0.5
! tmux_capture | grep -q 'type the backup id'
ok $? "Enter does not accept it"
tmux_send y
tmux_wait_for 'type the backup id' 5
ok $? "y does, and the usual confirmation follows"
tmux_send Escape Escape Escape Escape Escape
sleep 0.5
[ -f "$content" ]
ok $? "going back changed nothing"
tmux_send q
tmux_wait_exit 10 >/dev/null

done_testing
