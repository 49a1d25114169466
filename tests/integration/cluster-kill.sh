#!/bin/bash
# A restore into a Redis Cluster killed with SIGKILL while it loads the
# keys by RESTORE (two masters emptied, the third still to come): another
# restore is refused, running the same restore again resumes and completes
# it (DEBUG DIGEST of each master as at the backup), and restore --rollback
# returns every master to the safety backup (DEBUG DIGEST as before the
# restore). The moment is made with real servers: the third master saves
# its part of the safety backup slowly (rdb-key-save-delay), and once it
# does, the test pauses its writes (CLIENT PAUSE WRITE), so the restore's
# FLUSHDB on it waits there. Then the same cluster restored node by node
# (start_command set), killed while the second master is stopped with its
# file placed (its start command waits on a file of the test): the resumed
# restore starts it again and completes.
# Covers src/jobs/job-restore.c (journal, resume and rollback),
# src/jobs/restore-route.c, src/jobs/restore-nodes.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/cluster-lib.sh"
cluster_require

BK=$TMP/backups
J=$BK/.restore-journal.json
cluster_setup k 3
CONF=$TMP/k.conf
# Without start_command the keys are loaded with RESTORE.
cluster_config "$CONF" redis.start_command='""'

M0=${CL_MASTERS[0]} M1=${CL_MASTERS[1]} M2=${CL_MASTERS[2]}

eng_backup
is "$RC" 0 "a backup of the cluster"
DIG_B=$(cluster_digests)
cp "$TMP/faiss/user_index.faiss" "$TMP/user-backup.faiss"
# The live state moves on: more documents, another index. Sets DIG_BEFORE
# and UI_BEFORE, what a rollback must return to.
live_moves_on() {
	cluster_fill 340 50 > /dev/null
	faiss_add "$TMP/faiss/user_index.faiss" 10 1000
	DIG_BEFORE=$(cluster_digests)
	UI_BEFORE=$(sha "$TMP/faiss/user_index.faiss")
}
live_moves_on
ok "$([ "$DIG_BEFORE" != "$DIG_B" ]; echo $?)" "the live digests now differ from the backup's"

saving() { [ "$(cluster_info_field "$M2" persistence rdb_bgsave_in_progress)" = 1 ]; }
emptied() { [ "$(ccli "$M0" dbsize)" = 0 ] && [ "$(ccli "$M1" dbsize)" = 0 ]; }
# Start a restore and SIGKILL it while it waits for the third master.
killed_restore() {
	ccli "$M2" config set rdb-key-save-delay 20000 > /dev/null
	tick
	"$VSBACKUP" -c "$CONF" restore "$ID" --yes > "$TMP/killed.out" 2>&1 &
	local pid=$!
	cluster_wait_for "the safety backup's slow save" saving
	ccli "$M2" client pause 30000 write > /dev/null
	cluster_wait_for "the first two masters to be emptied" emptied
	local st=$?
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	ccli "$M2" client unpause > /dev/null
	ccli "$M2" config set rdb-key-save-delay 0 > /dev/null
	[ "$st" = 0 ] || sed 's/^/#   /' "$TMP/killed.out"
	return "$st"
}

# --- killed, then resumed -------------------------------------------------------------
killed_restore
ok $? "the restore was killed while it loaded the keys (two masters emptied)"
ok "$([ -f "$J" ]; echo $?)" "the journal is left"
tick
run restore "$(ls "$BK" | grep -v "^$ID$" | head -1)" --yes
is "$RC" 2 "another restore is refused while this one is unfinished"
like "$ERR" "interrupted restore of $ID .* must be finished first" "it says which restore to finish"
tick
run restore "$ID" --yes
is "$RC" 0 "running the same restore again resumes it"
[ "$RC" = 0 ] || show "$ERR"
like "$ERR" "resuming the interrupted restore of $ID" "it says it resumes"
is "$(cluster_digests)" "$DIG_B" "every master's DEBUG DIGEST is the backup's"
is "$(sha "$TMP/faiss/user_index.faiss")" "$(sha "$TMP/user-backup.faiss")" "the user index is the backup's"
ok "$([ ! -e "$J" ]; echo $?)" "no journal is left"

# --- killed, then rolled back -----------------------------------------------------------
live_moves_on
killed_restore
ok $? "a second restore was killed while it loaded the keys"
tick
run restore --rollback --yes
is "$RC" 0 "restore --rollback completes"
[ "$RC" = 0 ] || show "$ERR"
is "$(cluster_digests)" "$DIG_BEFORE" "every master's DEBUG DIGEST is the one before the restore"
is "$(sha "$TMP/faiss/user_index.faiss")" "$UI_BEFORE" "the user index is the one before the restore"
ok "$([ ! -e "$J" ]; echo $?)" "no journal is left"

# --- node by node: killed while a master is stopped ------------------------------------------
cat > "$TMP/start.sh" <<EOF
#!/bin/sh
# The second master's start says it was asked ($TMP/starting), waits while
# $TMP/slow exists, and then fails.
if [ "\$1" = "$M1" ] && [ -e "$TMP/slow" ]; then
	touch "$TMP/starting"
	while [ -e "$TMP/slow" ]; do sleep 0.1; done
	exit 1
fi
exec redis-server "$CL_DIR/\$1/redis.conf"
EOF
chmod +x "$TMP/start.sh"
cluster_config "$CONF" redis.start_command="\"$TMP/start.sh {port}\""
cluster_fill 340 50 > /dev/null
touch "$TMP/slow"
stopped() { ! ccli "$M1" ping > /dev/null 2>&1; }
tick
"$VSBACKUP" -c "$CONF" restore "$ID" --yes > "$TMP/killed.out" 2>&1 &
pid=$!
# Killed once the restore has placed the master's file and runs its start
# command, which waits.
cluster_wait_for "the second master's start command" test -e "$TMP/starting"
st=$?
kill -KILL "$pid"
wait "$pid" 2>/dev/null
rm -f "$TMP/slow"
ok "$st" "the node-by-node restore was killed while the second master was stopped"
[ "$st" = 0 ] || sed 's/^/#   /' "$TMP/killed.out"
ok "$(stopped; echo $?)" "  that master is still stopped"
tick
run restore "$ID" --yes
is "$RC" 0 "the resumed restore completes"
[ "$RC" = 0 ] || show "$ERR"
like "$ERR" "the master 127.0.0.1:$M1, which the interrupted restore had stopped, is started again" \
    "  it starts the master the interrupted restore had left stopped"
like "$ERR" "each of its 3 masters gets its own RDB file back" "  and gives each master its file"
is "$(cluster_digests)" "$DIG_B" "every master's DEBUG DIGEST is the backup's"
ok "$([ ! -e "$J" ]; echo $?)" "no journal is left"

done_testing
