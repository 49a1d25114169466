#!/bin/bash
# Bad input and broken services: Redis down, a wrong or missing password, an
# index file missing, empty, truncated or not a FAISS index, backup ids that
# are not YYYYMMDD_HHMMSS (never used as a path), directories and a restore
# journal on disk with such ids. Each: the exit status, a message naming
# what failed and on what, nothing left behind, nothing live changed, the
# earlier backup intact.
# Covers src/jobs/capture.c, backup.c, job-restore.c, journal.c,
# src/storage/posix/storage-posix.c, src/cli/output.c (cli_take_id).
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/f" 1000 100 8
tick
run backup
is "$RC" 0 "a first backup succeeds"
GOOD=$(last_line "$OUT")
GOOD_SUM=$(data_sum "$BK/$GOOD")

# After a failed backup: no new directory (complete or partial) and the
# good backup unchanged.
backups_untouched() {
	local what=$1 left
	# The lock file and the state file of the last runs (for metrics)
	# belong there.
	left=$(cd "$BK" && ls -A | grep -v -x -e "$GOOD" -e .vsbackup.lock -e .vsbackup-state.json |
	    tr '\n' ' ')
	is "$left" "" "$what: nothing is left in backup_dir (no .partial, no new backup)"
	is "$(data_sum "$BK/$GOOD")" "$GOOD_SUM" "$what: the earlier backup is untouched"
}

# --- Redis down --------------------------------------------------------------------
snapshot_live before-down
eng_redis_stop
tick
run backup
is "$RC" 1 "Redis down: backup fails (exit 1)"
like "$ERR" "cannot connect to Redis at $SOCK" "Redis down: the message names the socket"
like "$ERR" "is redis-server running" "Redis down: and says what to check"
backups_untouched "Redis down"
run verify "$GOOD"
is "$RC" 0 "Redis down: verify works without Redis"
eng_redis_start

# --- index files --------------------------------------------------------------------
cp "$CI" "$TMP/ci.keep"
index_fault() {
	local what=$1 re=$2
	snapshot_live "$what"
	tick
	run backup
	is "$RC" 1 "$what: backup fails (exit 1)"
	like "$ERR" "$re" "$what: the message says what is wrong with $CI"
	backups_untouched "$what"
	live_same "$what"
	ok $? "$what: nothing live changed"
	cp "$TMP/ci.keep" "$CI"
}
rm "$CI"
index_fault "content index missing" "cannot open faiss.content_index $CI: No such file"
: > "$CI"
index_fault "content index empty" "$CI: not a FAISS index \\(the file has only 0 bytes\\)"
printf 'this is not an index\n%.0s' $(seq 50) > "$CI"
index_fault "content index not FAISS" "$CI: not a FAISS index"
head -c 2000 "$TMP/ci.keep" > "$CI"
index_fault "content index truncated" "$CI: truncated FAISS index"
mkdir "$TMP/dir.faiss"
sed -i "s|user_index = \".*\";|user_index = \"$TMP/dir.faiss\";|" "$CONF"
tick
run backup
is "$RC" 1 "user index is a directory: backup fails (exit 1)"
like "$ERR" "faiss.user_index $TMP/dir.faiss" "user index is a directory: the message names it"
backups_untouched "user index is a directory"
sed -i "s|user_index = \".*\";|user_index = \"$UI\";|" "$CONF"

# --- backup ids that are not ids -----------------------------------------------------------
# A real backup one level up: a path built from "../decoy" would reach it.
cp -a "$BK/$GOOD" "$D/decoy"
rm -f "$D/decoy/verify.json" "$D/decoy/pinned"
for id in ../decoy ../../etc 20240230_000000 20241301_000000 20240101_246000 \
    2024010_1000000 20240101-000000 "$GOOD/" "$GOOD.partial" ""; do
	for cmd in "verify" "show" "pin" "unpin" "delete --yes" "restore --yes" \
	    "restore --yes --target-dir $TMP/tdir"; do
		run $cmd "$id"
		is "$RC" 2 "$cmd '$id': refused as a usage error (exit 2)"
		like "$ERR" "is not a backup id: expected YYYYMMDD_HHMMSS|a backup id is needed" \
		    "$cmd '$id': the message says what an id looks like"
	done
done
is "$(data_sum "$D/decoy")" "$GOOD_SUM" "the directory ../decoy was never touched"
ok "$([ ! -e "$D/decoy/verify.json" ] && [ ! -e "$D/decoy/pinned" ] && [ ! -e "$TMP/tdir" ]; echo $?)" \
    "nothing was written for any of them"

# Directories with names that are not ids are not backups.
mkdir "$BK/20240230_000000" "$BK/notabackup" "$BK/20240101_000000.old"
cp "$BK/$GOOD/metadata.json" "$BK/20240230_000000/"
run --json list
is "$(last_line "$OUT" | "$PY" -c 'import json, sys; print([e["id"] for e in json.load(sys.stdin)])')" \
    "['$GOOD']" "list shows only directories named by valid ids"
rmdir "$BK/notabackup" "$BK/20240101_000000.old"
rm -r "$BK/20240230_000000"

# metadata.json of another backup copied in: its id does not match.
OTHER=20240101_000000
cp -a "$BK/$GOOD" "$BK/$OTHER"
run verify "$OTHER"
is "$RC" 3 "a backup whose metadata names another id fails verification (exit 3)"
like "$OUT" "backup_id is $GOOD, expected $OTHER" "and says which id it names"
run restore "$OTHER" --yes
is "$RC" 3 "restoring it is refused (exit 3)"
rm -r "$BK/$OTHER"

# A restore journal naming a path instead of an id.
printf '{ "id": "../../etc", "safety_id": "", "done": 0 }\n' > "$BK/.restore-journal.json"
chmod 600 "$BK/.restore-journal.json"
snapshot_live journal
run restore "$GOOD" --yes
is "$RC" 2 "a restore journal with a bad id is refused (exit 2)"
like "$ERR" "$BK/.restore-journal.json is damaged" "and names the journal"
live_same journal
ok $? "nothing live changed"
rm "$BK/.restore-journal.json"

# --- passwords ---------------------------------------------------------------------------------
start_redis "$TMP/auth" "requirepass right-horse-battery" || bail_out "redis-server did not start"
mkdir -p "$TMP/faiss"
cp "$CI" "$TMP/faiss/content_index.faiss"
cp "$UI" "$TMP/faiss/user_index.faiss"
rcli -a right-horse-battery --no-auth-warning set chimera-vectors:1 x >/dev/null
write_config "$TMP/wrong.conf" 'redis.password="wrong-staple"' "backup_dir=\"$TMP/authbk\""
write_config "$TMP/none.conf" "backup_dir=\"$TMP/authbk\""
write_config "$TMP/right.conf" 'redis.password="right-horse-battery"' "backup_dir=\"$TMP/authbk\""
tick
OUT=$("$VSBACKUP" -c "$TMP/wrong.conf" backup 2>"$TMP/err"); RC=$?; ERR=$(cat "$TMP/err")
is "$RC" 1 "wrong password: backup fails (exit 1)"
like "$ERR" "Redis at $TMP/auth/redis.sock refused the login of its default user: WRONGPASS" "wrong password: the message says so and names the server"
like "$ERR" "redis.password in $TMP/wrong.conf" "wrong password: and names the setting"
ok "$(printf '%s' "$ERR" | grep -q -e wrong-staple -e right-horse; echo $((! $?)))" \
    "wrong password: no password is printed"
OUT=$("$VSBACKUP" -c "$TMP/none.conf" backup 2>"$TMP/err"); RC=$?; ERR=$(cat "$TMP/err")
is "$RC" 1 "no password: backup fails (exit 1)"
like "$ERR" "requires a password.*set redis.password" "no password: the message says a password is needed"
is "$(ls -A "$TMP/authbk" | grep -v -x -e .vsbackup.lock -e .vsbackup-state.json)" "" \
    "nothing is left in backup_dir"
OUT=$("$VSBACKUP" -c "$TMP/right.conf" backup 2>"$TMP/err"); RC=$?
is "$RC" 0 "the right password: backup succeeds"
ok "$(grep -rq right-horse "$TMP/authbk"; echo $((! $?)))" "the password is not stored in the backup"

done_testing
