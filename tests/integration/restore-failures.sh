#!/bin/bash
# A restore that fails while it replaces the live data. When Redis cannot be
# started on the restored snapshot, the restore rolls back to its safety
# backup at once (digest and index files from before the restore); when
# that fails too, the journal says so, another restore is refused, and
# restore --rollback finishes the job once the cause is fixed. Without a
# safety backup nothing can be rolled back: the restore is resumed instead.
# A restore while Redis is down starts it on the backup's data. A failing
# restore_reload_command keeps the journal; the restore run again finishes.
# A key count that differs from the backup's after the restore is taken a
# second time, then fails the restore (exit 3) without a journal to block
# the next one.
# Covers src/jobs/job-restore.c (fail_live, rollback_now, resume),
# restore-redis.c, journal.c.
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/r" 1000 100 8
D0=$(rdig)
cp "$CI" "$TMP/ci.backup"
eng_backup
is "$RC" 0 "backup succeeds"

real_start=$(sed -n 's/^ *start_command = "\(.*\)";$/\1/p' "$CONF")
# The start command fails while $TMP/fail-start holds a number above 0,
# counting it down each time.
cat > "$TMP/start.sh" <<EOF
n=\$(cat "$TMP/fail-start" 2>/dev/null || echo 0)
if [ "\$n" -gt 0 ]; then
	echo \$((n - 1)) > "$TMP/fail-start"
	echo "refusing to start (test)"
	exit 1
fi
$real_start
EOF
sed -i "s|^\( *start_command = \).*|\1\"sh $TMP/start.sh\";|" "$CONF"

change_live() {
	dcli set "chimera-vectors:new-$1" '{"id":"new"}' >/dev/null
	"$PY" - "$CI" <<'EOF'
import sys, numpy as np, faiss
ix = faiss.read_index(sys.argv[1])
ix.add_with_ids(np.ones((1, ix.d), dtype='float32'), np.array([800000 + ix.ntotal], dtype='int64'))
faiss.write_index(ix, sys.argv[1])
EOF
}
journal_field() {
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	    "$BK/.restore-journal.json" "$1" 2>&1
}
redis_up() { [ "$(dcli ping 2>/dev/null)" = PONG ]; }

# --- Redis refuses to start once: rolled back at once ------------------------------
change_live 1
snapshot_live before1
echo 1 > "$TMP/fail-start"
tick
SAFETY1=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
run restore "$ID" --yes
is "$RC" 1 "a restore whose Redis start fails exits 1"
eng_track_redis
like "$ERR" "restore of $ID failed: redis.start_command failed \\(status 1\\): refusing to start \\(test\\); the live state was rolled back to the safety backup $SAFETY1" \
    "the message names the restore, the cause and the safety backup it rolled back to"
ok "$(redis_up; echo $?)" "Redis runs"
live_same before1
ok $? "digest and index files are those from before the restore"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "no journal is left"

# --- the rollback fails too ----------------------------------------------------------------
change_live 2
snapshot_live before2
echo 2 > "$TMP/fail-start"
tick
SAFETY2=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
run restore "$ID" --yes
is "$RC" 1 "a restore whose rollback fails too exits 1"
like "$ERR" "restore of $ID failed: .*rolling back to the safety backup $SAFETY2 failed too: .*run 'vsbackup restore --rollback'" \
    "the message names the restore and the safety backup and says to run restore --rollback"
ok "$(redis_up; echo $((! $?)))" "Redis is down"
is "$(journal_field rollback) $(journal_field id)" "True $SAFETY2" "the journal records the unfinished rollback to $SAFETY2"
tick
run restore "$ID" --yes
is "$RC" 2 "another restore is refused (exit 2)"
like "$ERR" "an interrupted rollback to $SAFETY2 .* must be finished first: run 'vsbackup restore --rollback'" \
    "and says to finish the rollback"
tick
run restore --rollback --yes
is "$RC" 0 "restore --rollback finishes the rollback once Redis starts"
[ "$RC" = 0 ] || show "$ERR"
eng_track_redis
live_same before2
ok $? "digest and index files are those from before the restore"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "no journal is left"

# --- no safety backup: resumed, not rolled back ---------------------------------------------------
change_live 3
nb=$(ls "$BK" | grep -c '^[0-9]')
echo 1 > "$TMP/fail-start"
tick
run restore "$ID" --yes --no-safety-backup
is "$RC" 1 "a restore without safety backup whose Redis start fails exits 1"
like "$ERR" "restore of $ID stopped at step \"start Redis and wait until it has loaded\"; run 'vsbackup restore $ID' to resume" \
    "the message names the step it stopped at and how to resume"
ok "$(printf '%s' "$ERR" | grep -q -- --rollback; echo $((! $?)))" "and does not offer a rollback"
is "$(ls "$BK" | grep -c '^[0-9]')" "$nb" "no safety backup was taken"
tick
run restore --rollback --yes
is "$RC" 2 "restore --rollback is refused: there is nothing to roll back to (exit 2)"
like "$ERR" "took no safety backup" "and says why"
tick
run restore "$ID" --yes --no-safety-backup
is "$RC" 0 "the same restore again resumes and completes"
eng_track_redis
like "$OUT" "\\(resumed\\)" "it says it resumed"
is "$(rdig)" "$D0" "the digest is the backup's"
cmp -s "$CI" "$TMP/ci.backup"
ok $? "the content index is the backup's"

# --- Redis down before the restore ---------------------------------------------------------
change_live 4
sh -c "$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")" >/dev/null 2>&1
for _ in $(seq 100); do redis_up || break; sleep 0.05; done
tick
run restore "$ID" --yes
is "$RC" 0 "a restore while Redis is down succeeds"
[ "$RC" = 0 ] || show "$ERR"
eng_track_redis
like "$ERR" "Redis is down; it will be started after the snapshot is placed" "it says it will start Redis"
is "$(rdig)" "$D0" "Redis runs with the backup's data"

# --- the reload hook fails -----------------------------------------------------------------------
change_live 5
echo "restore_reload_command = \"echo cannot reload the service; exit 3\";" >> "$CONF"
tick
run restore "$ID" --yes
is "$RC" 1 "a restore whose restore_reload_command fails exits 1"
eng_track_redis
like "$ERR" "the data is restored, but restore_reload_command failed \\(status 3\\): cannot reload the service; reload the service by hand" \
    "the message says the data is restored, quotes the hook's output and status"
is "$(rdig)" "$D0" "the data is the backup's"
ok "$([ -f "$BK/.restore-journal.json" ]; echo $?)" "the journal stays: the restore is not finished"
sed -i "s|^restore_reload_command = .*|restore_reload_command = \"touch $TMP/reloaded\";|" "$CONF"
tick
run restore "$ID" --yes
is "$RC" 0 "running the restore again runs the hook and finishes"
like "$OUT" "\\(resumed\\)" "it says it resumed"
ok "$([ -e "$TMP/reloaded" ]; echo $?)" "the hook ran"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "no journal is left"

# --- the key count after the restore differs from the backup's --------------------------
# metadata.json records one key more under chimera-vectors: than the
# snapshot holds: the count is taken twice (SCAN can see a key twice while
# Redis resizes its table), then the restore fails, leaving no journal: its
# files are in place, and the safety backup is a restore away.
sed -i '/^restore_reload_command = /d' "$CONF"
tick
run backup
ID3=$(last_line "$OUT")
n=$(meta "$ID3" "m['redis']['key_counts']['chimera-vectors:']")
"$PY" -c 'import json, sys
m = json.load(open(sys.argv[1]))
m["redis"]["key_counts"]["chimera-vectors:"] += 1
json.dump(m, open(sys.argv[1], "w"), indent=1)' "$BK/$ID3/metadata.json"
tick
SAFETY3=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
run restore "$ID3" --yes
is "$RC" 3 "a restore whose key count differs from metadata.json exits 3 (a failed check)"
eng_track_redis
like "$ERR" "$n keys counted under chimera-vectors:, $((n + 1)) recorded; counting again" "  it counts a second time"
like "$ERR" "after the restore Redis holds $n keys under chimera-vectors:, the backup recorded $((n + 1))" \
    "  then names the prefix and both counts" || show "$ERR"
like "$ERR" "'vsbackup restore $SAFETY3' returns to it" "  and says how to return to the safety backup"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "  no journal is left"
tick
run restore "$SAFETY3" --yes
is "$RC" 0 "restoring the safety backup then returns to the state before"
eng_track_redis
is "$(rdig)" "$D0" "  whose data is the backup's of before"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "  and no journal is left"

done_testing
