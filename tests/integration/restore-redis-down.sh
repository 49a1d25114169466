#!/bin/bash
# A restore while Redis is down writes only where the configuration says
# Redis keeps its data, and never replaces a live file that its safety
# backup does not hold. With redis.data_dir unset the restore refuses
# (exit 2) before anything changes, whatever the backup's metadata.json
# says: the server's dump.rdb and its data are still there afterwards, no
# journal is left, and the path the backup recorded is shown only as a
# hint. A metadata.json that names another directory (a hostile or an old
# one) is never written to. With redis.data_dir set but no dbfilename, the
# safety backup cannot take the RDB the restore would replace: refused too.
# Covers src/jobs/restore-redis.c (restore_redis_guess), job-restore.c
# (the safety backup's coverage), preflight.c.
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/r" 300 30 8
eng_backup
is "$RC" 0 "backup succeeds"
RDIR=$D/redis
stop_cmd=$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")
redis_up() { [ "$(dcli ping 2>/dev/null)" = PONG ]; }
redis_down() {
	sh -c "$stop_cmd" >/dev/null 2>&1
	for _ in $(seq 100); do redis_up || return 0; sleep 0.05; done
	return 1
}
redis_start() {
	sh -c "$(sed -n 's/^ *start_command = "\(.*\)";$/\1/p' "$CONF")" >/dev/null 2>&1
	for _ in $(seq 100); do redis_up && break; sleep 0.05; done
	eng_track_redis
}
nbackups() { ls "$BK" | grep -c '^[0-9]'; }

# The configuration a new user has: no redis.data_dir, no dbfilename.
cp "$CONF" "$TMP/conf.orig"
sed '/^ *data_dir = /d; /^ *dbfilename = /d' "$TMP/conf.orig" > "$CONF"

# --- Redis down, its dump.rdb holding data that exists nowhere else --------
dcli set precious x >/dev/null
dcli save >/dev/null
redis_down
ok $? "Redis is stopped"
rdb0=$(sha "$RDIR/dump.rdb")
ci0=$(sha "$CI")
nb=$(nbackups)
tick
run restore "$ID" --yes
is "$RC" 2 "a restore with Redis down and redis.data_dir unset is refused (exit 2)"
like "$ERR" "redis\\.data_dir" "  the message says to set redis.data_dir" || show "$ERR"
like "$ERR" "$RDIR" "  and shows where the backup says the data was, as a hint"
is "$(sha "$RDIR/dump.rdb")" "$rdb0" "  dump.rdb is untouched"
is "$(sha "$CI")" "$ci0" "  the content index is untouched"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "  no journal is left"
ok "$(printf '%s\n%s' "$OUT" "$ERR" | grep -q 'state before it is in backup'; echo $((! $?)))" \
    "  nothing claims a safety backup holds the state before"
redis_start
is "$(dcli get precious)" x "  once started, Redis still has the key that was only in dump.rdb"

# --- a metadata.json naming another directory is never written to -------
mkdir -p "$TMP/victim"
"$PY" -c 'import json, sys
m = json.load(open(sys.argv[1]))
m["redis"]["data_dir"] = sys.argv[2]
m["redis"]["dbfilename"] = "../victim2/x.rdb"
json.dump(m, open(sys.argv[1], "w"), indent=1)' "$BK/$ID/metadata.json" "$TMP/victim"
redis_down
tick
run restore "$ID" --yes
is "$RC" 2 "with a metadata.json naming another directory the restore is refused (exit 2)"
is "$(find "$TMP/victim" "$TMP/victim2" 2>/dev/null | wc -l)" 1 "  nothing was written there"
is "$(sha "$RDIR/dump.rdb")" "$rdb0" "  dump.rdb is untouched"
redis_start

# --- redis.data_dir set, dbfilename not: the safety backup must hold the RDB ---
sed '/^ *dbfilename = /d' "$TMP/conf.orig" > "$CONF"
dcli set precious y >/dev/null
dcli save >/dev/null
redis_down
rdb0=$(sha "$RDIR/dump.rdb")
tick
run restore "$ID" --yes
if [ "$RC" = 0 ]; then
	SID=$(ls "$BK" | grep '^[0-9]' | sort | tail -n 1)
	is "$(sha "$BK/$SID/redis.rdb")" "$rdb0" "the safety backup holds the dump.rdb the restore replaced"
else
	is "$RC" 2 "the restore is refused (exit 2) when its safety backup would not hold dump.rdb"
	is "$(sha "$RDIR/dump.rdb")" "$rdb0" "  dump.rdb is untouched"
	like "$ERR" "dbfilename|dump\\.rdb" "  the message names what is missing" || show "$ERR"
fi
redis_start
is "$(dcli get precious)" y "Redis still has the key that was only in dump.rdb"

done_testing
