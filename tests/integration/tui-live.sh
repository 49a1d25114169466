#!/bin/bash
# The header and 'vsbackup health' tell the live truth, and say the same.
# A backup made from the command line while the front end runs appears in
# the list by itself, with the last run in the header. FLUSHALL: within
# seconds the header shows no keys against the newest backup's, in colour,
# and health says WARNING (redis.keys). The content index deleted: the
# header shows it missing and health says CRITICAL (index.content). A
# restore run from the command line: the header says Redis is stopped for
# a restore, not that it is broken. Keys under overlapping prefixes are
# counted alike by the header and the restore's check.
# Covers ui/pane-header.c, ui/model.c (model_set_status, model_health),
# ui/tui.c (tui_refresh_due), ui/tui-jobs.c, src/ops/health.c,
# src/ops/live.c, src/ops/survey.c, src/redis/redis-count.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/tui-lib.bash"

tui_require

tui_demo || bail_out "the demo sandbox could not be built"
rcli() { redis-cli -s "$SOCK" "$@"; }
hstate() { printf '%s\n' "$1" | awk -v n="$2" '$2 == n { print $1; exit }'; }
content=$DEMO/indexes/content_index.faiss

ID1=$(vsb -q backup --type daily 2>"$TMP/err") || sed 's/^/# /' "$TMP/err"
vsb -q verify "$ID1" >/dev/null 2>&1
vsb -q drill "$ID1" >/dev/null 2>&1
out=$(vsb health); rc=$?
is "$rc" 0 "health is OK after a verified and drilled backup"
is "$(hstate "$out" index.content) $(hstate "$out" index.user) $(hstate "$out" redis.keys)" \
    "OK OK OK" "the live indexes and the keys are checked"
like "$out" "index.content +.*content_index.faiss: 2000 vectors of dim 32" \
    "health names the live content index and what it holds"

tui_start 120 40
tmux_wait_for "^ $ID1 daily " 15
tmux_wait_for 'Indexes +content ✓ 2000×32 .* user ✓ 200×32' 10
ok $? "the header shows each live index"
tmux_wait_for 'keys 2200 +chimera-vectors: 2000 +chimera-users: 200' 10
ok $? "and the keys, all and per prefix"
tmux_wait_for 'health OK' 10
ok $? "the title says what health says: OK"

# --- a backup made elsewhere appears by itself --------------------------------------
sleep 1.1
ID2=$(vsb -q backup --type daily 2>"$TMP/err") || sed 's/^/# /' "$TMP/err"
tmux_wait_for "^ $ID2 daily " 15
ok $? "a backup made from the command line appears in the list without R"
tmux_wait_for 'Last backup ✓' 10
ok $? "the header shows the last backup run"

# --- FLUSHALL -------------------------------------------------------------------------
rcli flushall >/dev/null
tmux_wait_for 'keys 0 \(the newest backup has more\)' 15
ok $? "after FLUSHALL the header shows no keys against the newest backup, within seconds"
tmux_wait_for 'chimera-vectors: 0 +chimera-users: 0' 15
ok $? "the counts per prefix follow"
tmux_wait_for 'health WARNING' 10
ok $? "the title says health WARNING"
out=$(vsb health); rc=$?
is "$rc $(hstate "$out" redis.keys)" "1 WARNING" "health: WARNING on redis.keys (exit 1)"
like "$out" "redis.keys +Redis holds no keys, the newest backup $ID2 holds 2200" \
    "naming the newest backup and its keys"

# --- the content index deleted ------------------------------------------------------------
rm -f "$content"
tmux_wait_for 'content ✗ missing' 15
ok $? "the header shows the content index missing"
tmux_wait_for 'health CRITICAL' 10
ok $? "and health CRITICAL"
out=$(vsb health); rc=$?
is "$rc $(hstate "$out" index.content)" "2 CRITICAL" "health: CRITICAL on index.content (exit 2)"
like "$out" "index.content +the live content index is missing: .*content_index.faiss does not exist" \
    "saying which file"
printf 'garbage' > "$content"
out=$(vsb health)
like "$out" "index.content +the live content index cannot be read" "an unreadable index is CRITICAL too"
tmux_wait_for 'content ✗ unreadable' 15
ok $? "and the header says unreadable"

# --- a restore from the command line ---------------------------------------------------------
# A start command that takes its time keeps Redis down for a while.
sed -i 's|^\( *start_command = "\)|\1sleep 6; |' "$CONF"
vsb restore "$ID2" --yes --allow-partial >"$TMP/restore.out" 2>&1 &
rpid=$!
tmux_wait_for 'Redis . restoring: Redis is stopped' 20
ok $? "while a restore has Redis stopped the header says so, not that it is broken"
wait "$rpid"
is "$?" 0 "the restore finishes"
tmux_wait_for 'keys 2200 ' 20
ok $? "the header shows the keys back, right after"
tmux_wait_for 'content ✓ 2000×32' 10
ok $? "and the content index"
tmux_send q
tmux_wait_exit 10 >/dev/null

# --- overlapping prefixes: the header and the restore count alike -----------------------------
sed -i 's|^\( *start_command = "\)sleep 6; |\1|' "$CONF"
sed -i 's|prefixes = \[.*\];|prefixes = [ "chimera-", "chimera-users:" ];|' "$CONF"
ID3=$(vsb -q backup --type manual 2>"$TMP/err") || sed 's/^/# /' "$TMP/err"
tui_start 120 40
tmux_wait_for 'keys 2200 +chimera- 2200 +chimera-users: 200' 20
ok $? "a key is counted under every prefix it starts with"
tmux_send q
tmux_wait_exit 10 >/dev/null
vsb restore "$ID3" --yes >"$TMP/out" 2>&1
is "$?" 0 "the restore's own check agrees with the counts the backup recorded"

done_testing
