#!/bin/bash
# vsbackup health on a demo sandbox: the plugin's first line, one line per
# check, exit codes 0/1/2/3, and --json; backup age against
# monitoring.rpo_hours and the verified backup's against
# monitoring.verify_max_age_hours (fixed clock through VSBACKUP_NOW); a
# failed latest verification; restore drills against drill.max_age_days
# and a failed last drill; stale and held locks; Redis unreachable, a
# password missing or wrong, a failed background save.
# Covers src/ops/health.c, src/ops/survey.c and src/cli/cmd-health.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/engine-lib.sh"

eng_require
eng_demo "$TMP/demo" 300 30 8

CHECKS="redis.reachable redis.auth redis.bgsave redis.loading redis.keys index.content index.user
s3.reachable s3.credentials backup.age.local backup.age.s3 backup.verified backup.drill storage.free lock
restore"

# health ARGS: run vsbackup health, stdout in OUT, status in RC.
health() { run health "$@"; }
# state NAME: the state word of check NAME in OUT's check lines.
state() { printf '%s\n' "$OUT" | awk -v n="$1" '$2 == n { print $1; exit }'; }
# jget EXPR: a value of the JSON object in OUT (Python expression on o).
jget() { printf '%s\n' "$OUT" | "$PY" -c 'import json, sys; o = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>&1; }
first() { printf '%s\n' "$OUT" | head -n 1; }

# --- cannot run: UNKNOWN ------------------------------------------------------
OUT=$("$VSBACKUP" -c "$TMP/missing.conf" health 2>/dev/null); RC=$?
is "$RC" 3 "no configuration: exit 3 (UNKNOWN)"
like "$(first)" '^VSBACKUP UNKNOWN - configuration file .*missing.conf does not exist' \
    "  the first line says why, on stdout"
OUT=$("$VSBACKUP" -c "$TMP/missing.conf" health --json 2>/dev/null); RC=$?
is "$RC" 3 "  --json: exit 3 too"
is "$(jget 'o["state"], o["exit_code"], o["checks"]')" "('UNKNOWN', 3, [])" "  and an UNKNOWN object"
"$VSBACKUP" -c "$CONF" health --bogus >/dev/null 2>&1
is $? 3 "an unknown option: UNKNOWN as well (a plugin never says CRITICAL for a usage error)"

# --- no backup yet ---------------------------------------------------------------
tick
health
is "$RC" 2 "no backup yet: exit 2 (CRITICAL)"
like "$(first)" '^VSBACKUP CRITICAL - backup.age.local: no complete backup in ' "  the first line names the problem"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $2 }' | tr '\n' ' ')" "$(echo $CHECKS) " \
    "  then one line per check, in order"
is "$(state redis.reachable) $(state redis.auth) $(state redis.bgsave) $(state redis.loading)" \
    "OK OK OK OK" "  Redis: reachable, authenticated, last save ok, not loading"
is "$(state s3.reachable) $(state backup.age.s3)" "- -" "  S3 checks skipped without s3.bucket"
like "$OUT" 's3.reachable +S3 is not used \(s3.bucket is empty\) \(skipped\)' "  saying why"
is "$(state backup.verified) $(state lock) $(state storage.free)" "CRITICAL OK OK" \
    "  nothing verified; lock free; space fine"

# --- a backup, not yet verified, then verified -------------------------------------
run -q backup
ID1=$(last_line "$OUT")
health
is "$RC" 2 "a backup that was never verified: still CRITICAL"
is "$(state backup.age.local) $(state backup.verified)" "OK CRITICAL" "  age ok, verification missing"
run -q verify "$ID1"
health
is "$RC $(state backup.drill)" "1 WARNING" "backed up and verified, never drilled: WARNING"
like "$OUT" "backup.drill +no restore drill has passed yet \(run 'vsbackup drill'" "  saying what to run"
run -q drill "$ID1"
is "$RC" 0 "a drill of it passes" || diag "$OUT$ERR"
health
is "$RC" 0 "backed up, verified and drilled: exit 0"
like "$(first)" "^VSBACKUP OK - 13 checks passed; newest backup in $BK, $ID1, is 0s old" "  the OK line"
like "$(first)" ' \| keys=[0-9]+;;;0 content_vectors=[0-9]+;;;0 user_vectors=[0-9]+;;;0 local_age=0s;86400;172800;0 verified_age=0s;604800;1209600;0 drill_age=0s;691200;;0 free=[0-9]+B;[0-9]+:;[0-9]+:;0$' \
    "  with performance data: ages against rpo_hours, verify_max_age_hours and drill.max_age_days, free space"
like "$OUT" "backup.drill +the last restore drill, of $ID1 \(local\), passed 0s ago with an RTO of [0-9.]+ s \(drill.max_age_days 8\)" \
    "  the drill's line"
health -q
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "-q: the first line only"
OUT=$("$VSBACKUP" -q -c "$CONF" health); RC=$?
is "$RC $(printf '%s\n' "$OUT" | wc -l)" "0 1" "  also as a global option"

health --json
is "$RC" 0 "--json: exit 0"
is "$(jget 'sorted(o.keys())')" "['checked_at', 'checks', 'exit_code', 'state', 'summary']" "  the object's keys"
is "$(jget 'o["state"], o["exit_code"], o["checked_at"]')" "('OK', 0, '$VSBACKUP_NOW')" "  state, exit code, time"
is "$(jget '" ".join(c["name"] for c in o["checks"])')" "$(echo $CHECKS)" "  every check, in order"
is "$(jget 'sorted(o["checks"][0].keys())')" \
    "['alert_when', 'critical', 'message', 'name', 'skipped', 'state', 'unit', 'value', 'warning']" \
    "  each with the documented keys"
is "$(jget '[(c["value"], c["unit"], c["warning"], c["critical"], c["alert_when"]) for c in o["checks"] if c["name"] == "backup.age.local"][0]')" \
    "(0, 's', 86400, 172800, 'above')" "  the local age: value, unit, thresholds"
is "$(jget '[c["alert_when"] for c in o["checks"] if c["name"] == "storage.free"][0]')" "below" \
    "  free space alerts below its thresholds"
is "$(jget '[(c["state"], c["skipped"]) for c in o["checks"] if c["name"] == "s3.reachable"][0]')" \
    "('OK', True)" "  skipped checks are OK and say so"

# --- time passes -----------------------------------------------------------------------
t0=$ENG_CLOCK
at() { VSBACKUP_NOW=$(date -u -d "@$(($t0 + $1))" +%Y-%m-%dT%H:%M:%SZ) health "${@:2}"; }
at $((24 * 3600))
is "$RC $(state backup.age.local)" "0 OK" "24 h later (rpo_hours 24): still OK"
at $((25 * 3600))
is "$RC $(state backup.age.local)" "1 WARNING" "25 h later: WARNING (exit 1)"
like "$(first)" '^VSBACKUP WARNING - backup.age.local: newest backup in .* is 1d 1h old' "  saying how old"
at $((49 * 3600))
is "$RC $(state backup.age.local) $(state backup.verified)" "2 CRITICAL OK" \
    "49 h later: past twice the RPO, CRITICAL; the verification (168 h) still fine"
at $((169 * 3600))
is "$(state backup.verified)" "WARNING" "169 h later: the newest verified backup is too old: WARNING"
at $((192 * 3600))
is "$(state backup.drill)" "OK" "192 h later: the drill is 8 days old (drill.max_age_days 8): OK"
at $((193 * 3600))
is "$(state backup.drill)" "WARNING" "193 h later: no drill passed within 8 days: WARNING"
at $((337 * 3600))
is "$(state backup.verified)" "CRITICAL" "337 h later: past twice verify_max_age_hours: CRITICAL"

# --- a newer backup fails verification ------------------------------------------------------
tick
run -q backup
ID2=$(last_line "$OUT")
printf 'X' | dd of="$BK/$ID2/user_index.faiss" bs=1 seek=100 conv=notrunc 2>/dev/null
run -q verify "$ID2"
is "$RC" 3 "a damaged newer backup fails verification"
health
is "$RC $(state backup.verified)" "1 WARNING" "  health: WARNING on backup.verified"
like "$OUT" "backup.verified +the latest verification, of $ID2 \(local\), failed: .*the newest verified backup $ID1" \
    "  naming the failed backup and the newest good one"
run -q drill "$ID2"
is "$RC" 3 "its restore drill fails too"
health
is "$RC $(state backup.drill)" "2 CRITICAL" "  health: the last drill failed: CRITICAL"
like "$OUT" "backup.drill +the last restore drill, of $ID2 \(local, 0s ago\), failed: user_index.faiss sha256: .*run 'vsbackup drill $ID2'" \
    "  naming the backup, the first failed check and what to run"
rm -rf "${BK:?}/$ID2"

# --- the lock ------------------------------------------------------------------------------
sleep 0 & dead=$!
wait "$dead"
printf 'pid=%s\nhost=%s\noperation=backup\nstarted=%s\n' "$dead" "$(uname -n)" "$t0" > "$BK/.vsbackup.lock"
health
is "$RC $(state lock)" "1 WARNING" "a lock left by a dead process: WARNING"
like "$OUT" "lock +stale lock: backup \(pid $dead on $(uname -n), since .*\) ended without releasing" "  naming it"
"$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.flock(f, fcntl.LOCK_EX)
f.truncate(0); f.write("pid=%d\nhost=%s\noperation=cleanup\nstarted=%s\n" % (__import__("os").getpid(), sys.argv[2], sys.argv[3])); f.flush()
print("locked", flush=True)
time.sleep(60)' "$BK/.vsbackup.lock" "$(uname -n)" "$t0" > "$TMP/holder.out" &
holder=$!
harness_track "$holder"
for _ in $(seq 100); do grep -q locked "$TMP/holder.out" && break; sleep 0.05; done
health
is "$RC $(state lock)" "0 OK" "a lock held by a live process: OK"
like "$OUT" "lock +held by cleanup \(pid $holder on " "  saying by whom"
kill "$holder"; wait "$holder" 2>/dev/null
: > "$BK/.vsbackup.lock"

# --- Redis failures ------------------------------------------------------------------------
sed "s|socket = \".*\";|socket = \"$TMP/nowhere.sock\";|" "$CONF" > "$TMP/nosock.conf"
OUT=$("$VSBACKUP" -c "$TMP/nosock.conf" health 2>/dev/null); RC=$?
is "$RC $(state redis.reachable)" "2 CRITICAL" "Redis not reachable: CRITICAL"
like "$OUT" "redis.reachable +cannot connect to Redis at $TMP/nowhere.sock: .*redis.socket" "  naming the socket and the key"
is "$(state redis.auth) $(state redis.bgsave) $(state redis.loading)" "UNKNOWN UNKNOWN UNKNOWN" \
    "  the other Redis checks: not checked (UNKNOWN)"
like "$(first)" '^VSBACKUP CRITICAL - redis.reachable: cannot connect' "  the first line names only the cause"

dcli config set requirepass 'h3alth-Pw' >/dev/null
health
is "$RC $(state redis.reachable) $(state redis.auth)" "2 OK CRITICAL" \
    "Redis wants a password the configuration lacks: reachable, not authenticated"
like "$OUT" 'redis.auth +Redis at .* requires a password: NOAUTH' "  saying so"
sed 's|^\(  socket = .*\)$|\1\n  password = "wrong-pw";|' "$CONF" > "$TMP/wrongpw.conf"
chmod 600 "$TMP/wrongpw.conf"
OUT=$("$VSBACKUP" -c "$TMP/wrongpw.conf" health 2>/dev/null); RC=$?
is "$RC $(state redis.auth)" "2 CRITICAL" "a wrong password: CRITICAL"
like "$OUT" 'redis.auth +Redis at .* refused the login of its default user: WRONGPASS.*check redis.password' "  saying so"
sed 's|^\(  socket = .*\)$|\1\n  password = "h3alth-Pw";|' "$CONF" > "$TMP/pw.conf"
chmod 600 "$TMP/pw.conf"
OUT=$("$VSBACKUP" -c "$TMP/pw.conf" health 2>/dev/null); RC=$?
is "$(state redis.auth)" "OK" "the right password: OK"
like "$OUT" 'redis.auth +logged in with redis.password' "  saying how"
dcli -a 'h3alth-Pw' --no-auth-warning config set requirepass '' >/dev/null

# A background save that fails: its directory vanishes under it. "dir" is
# a protected setting: a server of its own allows changing it.
start_redis "$TMP/r2" "enable-protected-configs yes" || bail_out "redis-server did not start"
sed "s|socket = \".*\";|socket = \"$REDIS_SOCK\";|" "$CONF" > "$TMP/r2.conf"
wait_saved() {
	for _ in $(seq 100); do
		rcli info persistence | grep -q 'rdb_bgsave_in_progress:0' && break
		sleep 0.05
	done
}
mkdir "$TMP/gone"
rcli config set dir "$TMP/gone" >/dev/null
rmdir "$TMP/gone"
rcli bgsave >/dev/null
wait_saved
OUT=$("$VSBACKUP" -c "$TMP/r2.conf" health 2>/dev/null); RC=$?
is "$RC $(state redis.bgsave)" "2 CRITICAL" "the last background save failed: CRITICAL"
like "$OUT" 'redis.bgsave +the last background save failed \(rdb_last_bgsave_status:err\)' "  saying so"
rcli config set dir "$TMP/r2" >/dev/null
rcli bgsave >/dev/null
wait_saved
OUT=$("$VSBACKUP" -c "$TMP/r2.conf" health 2>/dev/null); RC=$?
is "$(state redis.bgsave)" "OK" "  and OK again after a good one"

health
is "$(state restore)" OK "no interrupted restore: OK"

# --- an interrupted restore, then copies a restore kept -------------------------------
printf '{"id":"%s","safety_id":"","rollback":false,"from":"local","started":"2024-07-02T12:00:00Z","done":59,"data_dir":"","dbfilename":"dump.rdb","aof":false,"aof_dir":"","aof_file":"appendonly.aof","logfile":""}' \
    "$ID1" > "$BK/.restore-journal.json"
chmod 600 "$BK/.restore-journal.json"
health
is "$RC $(state restore)" "2 CRITICAL" "an interrupted restore: CRITICAL"
like "$OUT" "restore +an interrupted restore of $ID1 \(started 2024-07-02T12:00:00Z\): 'vsbackup restore $ID1' resumes it" \
    "  naming it and how to resume it"
rm "$BK/.restore-journal.json"
touch "$D/indexes/user_index.faiss.vsbackup-before-$ID1"
health
is "$(state restore)" WARNING "a copy a restore moved aside and kept: WARNING"
like "$OUT" "restore +files a restore moved aside are kept \(1\): $D/indexes/user_index.faiss.vsbackup-before-$ID1" \
    "  naming it"
rm "$D/indexes/user_index.faiss.vsbackup-before-$ID1"
health
is "$(state restore)" OK "  OK again once it is removed"

done_testing
