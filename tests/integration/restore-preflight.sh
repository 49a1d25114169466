#!/bin/bash
# The pre-flight of a restore proves, before anything live changes, that it
# has every permission and command the restore will need: the right to stop
# Redis (SHUTDOWN for its ACL user when no redis.stop_command is set), start
# and stop commands that exist, write and rename in every directory it will
# write to. Each case below is refused (exit 2) with a message saying what
# to fix, and leaves Redis serving the same data, the index files as they
# were, and no journal.
# Covers src/jobs/preflight.c, restore-redis.c (restore_redis_can_stop).
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/deploy-lib.sh"
deploy_require

OP=vsbackup-operator
deploy_user "$OP"
# A server that can hand a snapshot over replication at once (the operator
# cannot read its RDB file).
deploy_redis "$TMP/d" rdb "repl-diskless-sync-delay 0" "unixsocketperm 777"
deploy_fill 200 20
deploy_indexes "$TMP/d/indexes" "$OP:$OP" 0644 0755
# backup_dir must belong to whoever runs vsbackup: vs and vs_as_op hand it
# to root or to the operator before each run.
mkdir -p "$TMP/d/backups"
chmod 0700 "$TMP/d/backups"
deploy_config "$TMP/d/vsbackup.conf" "backup_dir=\"$TMP/d/backups\""
chown "$OP" "$DEPLOY_CONF"
cp "$DEPLOY_CONF" "$TMP/conf.orig"

tick=0
vs() {
	chown -R root:root "$TMP/d/backups"
	tick=$((tick + 60))
	OUT=$(VSBACKUP_NOW=$(date -u -d "@$((1720000000 + tick))" +%Y-%m-%dT%H:%M:%SZ) \
	    "$VSBACKUP" -c "$DEPLOY_CONF" "$@" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}
vs_as_op() {
	chown -R "$OP:$OP" "$TMP/d/backups"
	tick=$((tick + 60))
	OUT=$(runuser -u "$OP" -- env VSBACKUP_NOW="$(date -u -d "@$((1720000000 + tick))" +%Y-%m-%dT%H:%M:%SZ)" \
	    ASAN_OPTIONS="$ASAN_OPTIONS" LSAN_OPTIONS="$LSAN_OPTIONS" \
	    "$VSBACKUP" -c "$DEPLOY_CONF" "$@" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}
# The live state: digest, index files, Redis up, no journal.
live() { echo "$(dpdigest) $(sha "$DEPLOY_CI") $(sha "$DEPLOY_UI") $(deploy_up && echo up) $([ -e "$TMP/d/backups/.restore-journal.json" ] && echo journal)"; }

vs backup
is "$RC" 0 "backup succeeds" || show "$ERR"
chown -R "$OP:$OP" "$TMP/d/backups"
ID=$(last_line "$OUT")
dpcli set chimera-vectors:new '{"new":1}' >/dev/null
L0=$(live)

# --- the ACL user may not SHUTDOWN and no stop_command is set -----------------
sed '/stop_command/d' "$TMP/conf.orig" > "$DEPLOY_CONF"
deploy_acl_default '~*' '&*' '+@all' '-shutdown'
vs restore "$ID" --yes
is "$RC" 2 "a Redis user without SHUTDOWN and no redis.stop_command: refused (exit 2)"
like "$ERR" "SHUTDOWN.*redis\\.stop_command|redis\\.stop_command.*SHUTDOWN" \
    "  the message names SHUTDOWN and redis.stop_command" || show "$ERR"
is "$(live)" "$L0" "  Redis serves the same data, the indexes are untouched, no journal" && diag "$(echo "$ERR" | tail -n 1)"
deploy_track

# --- CONFIG not allowed and redis.data_dir unset -----------------------------------
cp "$TMP/conf.orig" "$DEPLOY_CONF"
deploy_acl_default '~*' '&*' '+@all' '-config'
vs restore "$ID" --yes
is "$RC" 2 "a Redis user without CONFIG and redis.data_dir unset: refused (exit 2)"
like "$ERR" "Redis answers but does not say where it keeps its data.*redis\.data_dir" \
    "  the message says Redis answers and names redis.data_dir" || show "$ERR"
is "$(live)" "$L0" "  Redis serves the same data, the indexes are untouched, no journal"

# --- the same user with SHUTDOWN ------------------------------------------------------
deploy_acl_default '~*' '&*' '+@all'
vs restore "$ID" --yes
is "$RC" 0 "with SHUTDOWN allowed the same restore succeeds" || show "$ERR"
deploy_track
cp "$TMP/conf.orig" "$DEPLOY_CONF"

# --- a start command that does not exist -------------------------------------------
vs backup
ID2=$(last_line "$OUT")
chown -R "$OP:$OP" "$TMP/d/backups"
dpcli set chimera-vectors:new2 '{"new":2}' >/dev/null
L0=$(live)
sed "s|start_command = .*|start_command = \"/nonexistent/redis-start --now\";|" "$TMP/conf.orig" > "$DEPLOY_CONF"
vs restore "$ID2" --yes
is "$RC" 2 "a start command whose program does not exist: refused (exit 2)"
like "$ERR" "/nonexistent/redis-start" "  the message names the program" || show "$ERR"
is "$(live)" "$L0" "  Redis serves the same data, the indexes are untouched, no journal" && diag "$(echo "$ERR" | tail -n 1)"
sed "s|stop_command = .*|stop_command = \"no-such-stop-program-here\";|" "$TMP/conf.orig" > "$DEPLOY_CONF"
vs restore "$ID2" --yes
is "$RC" 2 "a stop command whose program is not in PATH: refused (exit 2)"
like "$ERR" "no-such-stop-program-here" "  the message names the program" || show "$ERR"
is "$(live)" "$L0" "  Redis serves the same data, the indexes are untouched, no journal" && diag "$(echo "$ERR" | tail -n 1)"
deploy_track

# --- run as a user who cannot write Redis's data directory --------------------------------
sed '/stop_command/d' "$TMP/conf.orig" > "$DEPLOY_CONF"
chown "$OP" "$DEPLOY_CONF"
chown -R "$OP:$OP" "$TMP/d/backups"
vs_as_op restore "$ID2" --yes
is "$RC" 2 "run as a user who cannot write the data directory: refused (exit 2)"
like "$ERR" "$DEPLOY_DATA" "  the message names the data directory" || show "$ERR"
is "$(live)" "$L0" "  Redis serves the same data, the indexes are untouched, no journal" && diag "$(echo "$ERR" | tail -n 1)"
deploy_track

done_testing
