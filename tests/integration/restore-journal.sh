#!/bin/bash
# The restore journal (backup_dir/.restore-journal.json) is input that
# someone else may have written: a resumed restore trusts it for nothing
# that matters. Its "done" bits never skip the verification of the backup;
# its paths never redirect a write (the configuration, or the running
# server, says where Redis keeps its data); a path that is not a plain file
# name, a "done" that is not a small integer, a safety backup that is not
# one, a journal that is a link or writable by others: each is refused
# (exit 2) before anything changes.
# Covers src/jobs/journal.c (journal_load), job-restore.c (the resume).
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/r" 200 20 8
eng_backup
J=$BK/.restore-journal.json
RDIR=$D/redis
# A journal as a restore stopped after placing the indexes and stopping
# Redis would leave it; fields changed by python keyword arguments.
journal() {
	"$PY" - "$J" "$ID" "$RDIR" "$@" <<'EOF'
import json, sys
path, bid, rdir = sys.argv[1:4]
j = {"id": bid, "safety_id": "", "rollback": False, "from": "local",
     "started": "2024-07-02T12:05:00Z", "done": 1 | 2 | 8 | 16 | 32,
     "data_dir": rdir, "dbfilename": "dump.rdb", "aof": False, "aof_dir": "",
     "aof_file": "appendonly.aof", "logfile": ""}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    j[k] = json.loads(v)
json.dump(j, open(path, "w"))
EOF
	chmod 600 "$J"
}
redis_up() { [ "$(dcli ping 2>/dev/null)" = PONG ]; }
D0=$(rdig)

# --- done bits that would skip the verification of a damaged backup ----------
cp "$BK/$ID/redis.rdb" "$TMP/rdb.good"
printf 'X' | dd of="$BK/$ID/redis.rdb" bs=1 seek=100 conv=notrunc 2>/dev/null
journal
tick
run restore "$ID" --yes
is "$RC" 3 "a resumed restore of a damaged backup fails its verification (exit 3)" || show "$ERR"
like "$ERR" "failed verification" "  the journal's done bits did not skip it"
is "$(rdig)" "$D0" "  Redis serves the data of before"
cp "$TMP/rdb.good" "$BK/$ID/redis.rdb"
rm -f "$J"

# --- a data_dir that points elsewhere ----------------------------------------------
mkdir -p "$TMP/victim"
journal "data_dir=\"$TMP/victim\""
tick
run restore "$ID" --yes
eng_track_redis
is "$(ls -A "$TMP/victim" | wc -l)" 0 "a journal's data_dir is never written to"
ok "$(redis_up; echo $?)" "  Redis serves" || show "$ERR"
rm -f "$J"

# --- malformed fields ------------------------------------------------------------------
for bad in 'dbfilename="../../victim/x.rdb"' 'aof_file="a/b"' 'aof_dir=".."' 'done=-1' 'done=1e10' \
    'done=1.5' 'data_dir="relative/dir"' 'safety_id="20240702_120000"'; do
	journal "$bad"
	tick
	run restore "$ID" --yes
	is "$RC" 2 "a journal with $bad is refused (exit 2)" || show "$ERR"
	like "$ERR" "$J" "  the message names the journal"
	rm -f "$J"
done
ok "$(redis_up; echo $?)" "Redis serves after all of them"
is "$(ls -A "$TMP/victim" | wc -l)" 0 "nothing was written outside"

# --- a journal that is a link, or writable by others ----------------------------------------
journal
mv "$J" "$TMP/journal.elsewhere"
ln -s "$TMP/journal.elsewhere" "$J"
tick
run restore "$ID" --yes
is "$RC" 2 "a journal that is a symbolic link is refused (exit 2)" || show "$ERR"
rm -f "$J"
journal
chmod 666 "$J"
tick
run restore "$ID" --yes
is "$RC" 2 "a journal writable by others is refused (exit 2)" || show "$ERR"
like "$ERR" "writable" "  the message says why"
rm -f "$J"

done_testing
