#!/bin/bash
# A backup proves that the RDB file it copies is the snapshot it just
# triggered: against a Redis whose real dbfilename differs from the
# configured one (and CONFIG renamed away, so vsbackup cannot ask), an old
# file under the configured name is refused, whether its key count differs
# or not (the file's ctime is older than the save); a file that another
# server keeps rewriting is refused by its key count. Nothing is left
# behind, and the message says which settings to fix.
# Covers src/jobs/capture.c, src/jobs/backup.c, src/redis/redis-snapshot.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

faiss_indexes 7 3

# Redis saves to vs-custom.rdb and cannot be asked where (CONFIG renamed).
start_redis "$TMP/r" 'dbfilename vs-custom.rdb' 'rename-command CONFIG ""' || exit 1
is "$(rcli config get dir 2>&1 | head -1)" \
	"ERR unknown command 'config', with args beginning with: 'get' 'dir' " \
	"fixture: CONFIG is renamed away"

# An old dump.rdb of 110 keys, as an earlier setup left it.
rcli debug populate 110 chimera-vectors: 10 >/dev/null
rcli save >/dev/null
mv "$TMP/r/vs-custom.rdb" "$TMP/r/dump.rdb"
rcli debug populate 250 chimera-vectors: 10 >/dev/null
is "$(rcli dbsize)" 250 "fixture: the live server holds 250 keys"
# The file's ctime is at least two seconds before the next save.
sleep 2.2

write_config "$TMP/vs.conf" 'redis.dbfilename="dump.rdb"'
vsb() { "$VSBACKUP" -c "$TMP/vs.conf" "$@"; }

# --- an old file with another key count -------------------------------------------
OUT=$(vsb backup 2>&1); RC=$?
ok "$(( RC == 0 ))" "an old RDB under the configured name: the backup fails"
printf "%s\n" "$OUT" | sed "s/^/#   | /"
like "$OUT" "$TMP/r/dump\.rdb .*not the snapshot" "the message names the file and says it is not the snapshot"
like "$OUT" "redis\.data_dir and redis\.dbfilename" "and which settings to fix"
is "$(backups)" "" "no backup is left behind"

# --- an old file with the same key count: only its ctime tells ---------------------
rcli flushall >/dev/null
rcli debug populate 110 chimera-vectors: 10 >/dev/null
is "$(rcli dbsize)" 110 "fixture: live and old file hold 110 keys each"
OUT=$(vsb backup 2>&1); RC=$?
ok "$(( RC == 0 ))" "an old RDB with the live key count: the backup still fails"
printf "%s\n" "$OUT" | sed "s/^/#   | /"
like "$OUT" "written at .* before this backup's save" "the message gives the file's ctime against the save"
is "$(backups)" "" "no backup is left behind"

# --- the configured name is right: the backup works --------------------------------
write_config "$TMP/ok.conf" 'redis.dbfilename="vs-custom.rdb"'
OUT=$("$VSBACKUP" -c "$TMP/ok.conf" -q backup 2>&1); RC=$?
is "$RC" 0 "the right dbfilename: the backup succeeds"
id=$(printf '%s\n' "$OUT" | tail -n 1)
"$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if m["redis"]["dbsize"] == 110 else 1)' \
	"$TMP/backups/$id/metadata.json" 2>/dev/null
ok "$?" "and it holds the live key count"
rm -rf "${TMP:?}/backups"

# --- a fresh file of another server: only the key count tells ----------------------
# A second server saves into the same directory again and again, so its
# file is always newer than our save.
mkdir -p "$TMP/other"
redis-server --port 0 --unixsocket "$TMP/other/redis.sock" --dir "$TMP/r" \
	--dbfilename other.rdb --save '' --appendonly no --logfile "$TMP/other/redis.log" \
	--enable-debug-command local &
harness_track $!
for _ in $(seq 100); do redis-cli -s "$TMP/other/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.05; done
ocli() { redis-cli -s "$TMP/other/redis.sock" "$@"; }
ocli debug populate 77 other: 10 >/dev/null
(
	while :; do
		ocli bgsave >/dev/null 2>&1
		sleep 0.05
	done
) &
harness_track $!
for _ in $(seq 100); do [ -s "$TMP/r/other.rdb" ] && break; sleep 0.05; done
write_config "$TMP/other.conf" 'redis.dbfilename="other.rdb"'
OUT=$("$VSBACKUP" -c "$TMP/other.conf" backup 2>&1); RC=$?
ok "$(( RC == 0 ))" "a fresh file of another server: the backup fails"
printf "%s\n" "$OUT" | sed "s/^/#   | /"
like "$OUT" "holds 77 keys in db 0.* Redis had 110" "the message gives both key counts"
like "$OUT" "redis\.data_dir and redis\.dbfilename" "and which settings to fix"
is "$(backups)" "" "no backup is left behind"

done_testing
