#!/bin/bash
# src/redis/redis-snapshot.c against a real server: the write pause blocks
# a writer until it is lifted (and not a reader); the backup sequence gives
# an RDB whose reader summary equals the live counts; BGSAVE while another
# BGSAVE runs, and behind an AOF rewrite, yields a snapshot taken after the
# call; a failed save, a cancelled wait and a file replaced by a later save
# are reported.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/redis-probe-lib.sh"

now_ms() { date +%s%3N; }

# Protected configs on, so the test can move "dir" to make a save fail.
start_redis "$TMP/r" "enable-protected-configs yes" || exit 1
write_config "$TMP/vs.conf" 'redis.pause_ms=3000'

# --- the pause holds writers, not readers ------------------------------------
rcli set k before >/dev/null
"$PROBE" "$TMP/vs.conf" pause-hold 5000 1500 "$TMP/paused" > "$TMP/pause.out" 2>&1 &
pause_pid=$!
for _ in $(seq 100); do [ -e "$TMP/paused" ] && break; sleep 0.02; done
ok "$( [ -e "$TMP/paused" ]; echo $?)" "writes paused"
t0=$(now_ms)
( rcli set k during >/dev/null; now_ms > "$TMP/set.done" ) &
set_pid=$!
r0=$(now_ms)
got=$(rcli get k)
r1=$(now_ms)
is "$got" before "a read during the pause sees the old value"
ok "$(( r1 - r0 < 700 ? 0 : 1 ))" "the read was not held ($(( r1 - r0 )) ms)"
wait "$set_pid"
wait "$pause_pid"
is "$?" 0 "pause-hold ran"
unpause_at=$(sed -n 's/^unpause_at=//p' "$TMP/pause.out")
set_done=$(cat "$TMP/set.done")
ok "$(( set_done >= unpause_at ? 0 : 1 ))" \
	"the SET completed only after the unpause ($(( set_done - unpause_at )) ms after)"
ok "$(( set_done - t0 >= 1000 ? 0 : 1 ))" "the SET was held $(( set_done - t0 )) ms"
is "$(rcli get k)" during "the held SET was applied"

# --- the backup sequence: summary equals the live counts ----------------------
rcli debug populate 3000 chimera-vectors: 200 >/dev/null
rcli debug populate 1200 chimera-users: 200 >/dev/null
rcli debug populate 500 other: 50 >/dev/null
for i in $(seq 20); do rcli set "chimera-users:ttl:$i" v ex 5000 >/dev/null; done
rcli rpush chimera-vectors:list a b c >/dev/null
rcli -n 3 debug populate 400 chimera-vectors: 10 >/dev/null
want_v=$(rcli --scan --pattern 'chimera-vectors:*' | wc -l)
want_u=$(rcli --scan --pattern 'chimera-users:*' | wc -l)
want_db=$(rcli dbsize)
want_all=$(( want_db + $(rcli -n 3 dbsize) ))

probe "$TMP/vs.conf" snapshot "$TMP/snap.rdb"
ok "$?" "snapshot sequence: pause, BGSAVE, unpause, wait, open"
printf '%s\n' "$OUT" | grep -v '^progress' | sed 's/^/# /'
is "$(field fork_within_pause)" 1 "the fork happened within the pause"
is "$(field prefix.chimera-vectors:)" "$want_v" "chimera-vectors: count equals SCAN"
is "$(field prefix.chimera-users:)" "$want_u" "chimera-users: count equals SCAN"
is "$(field db_keys)" "$want_db" "db 0 keys equal DBSIZE"
is "$(field db_expires)" 20 "keys with a TTL"
is "$(field all_keys)" "$want_all" "keys of all dbs"
is "$(field checksum)" ok "checksum verified while copying"
is "$(field path)" "$TMP/r/dump.rdb" "the RDB file found"
cmp -s "$TMP/snap.rdb" "$TMP/r/dump.rdb"
ok "$?" "the copy equals the server's file"
redis-check-rdb "$TMP/snap.rdb" >/dev/null 2>&1
ok "$?" "redis-check-rdb accepts the copy"

# --- BGSAVE while another BGSAVE runs -----------------------------------------
# 4700 keys at 600 us each: a save of about 3 s.
rcli config set rdb-key-save-delay 600 >/dev/null
saves0=$(rcli info persistence | tr -d '\r' | sed -n 's/^rdb_saves://p')
rcli bgsave >/dev/null
rcli set chimera-vectors:marker after-the-other-fork >/dev/null
probe "$TMP/vs.conf" bgsave
ok "$?" "BGSAVE while another runs: succeeds"
is "$(field waited_for_other)" 1 "it waited for the running save"
is "$(field saves)" "$(( saves0 + 2 ))" "ours is the save after the other one"
is "$(field prefix.chimera-vectors:)" "$(( want_v + 1 ))" \
	"our snapshot holds the key written after the other save forked"
# Within a short pause, a foreign save that outlasts it is an error, not a
# snapshot taken after the writers were released.
write_config "$TMP/short.conf" 'redis.pause_ms=500'
rcli bgsave >/dev/null
probe "$TMP/short.conf" snapshot-now "$TMP/snap2.rdb"
like "$OUT" "cannot start BGSAVE on Redis at $REDIS_SOCK before the write pause ends: another save is still running" \
	"a foreign save outlasting the pause is an error"
is "$(rcli set after-pause 1)" OK "writes flow again after that failure"

# --- BGSAVE behind an AOF rewrite: "scheduled" ------------------------------
while rcli info persistence | tr -d '\r' | grep -q '^rdb_bgsave_in_progress:1'; do sleep 0.1; done
rcli bgrewriteaof >/dev/null
rcli set chimera-vectors:marker2 after-the-rewrite-started >/dev/null
probe "$TMP/vs.conf" bgsave
ok "$?" "BGSAVE during an AOF rewrite: succeeds"
is "$(field scheduled)" 1 "Redis scheduled it behind the rewrite"
is "$(field prefix.chimera-vectors:)" "$(( want_v + 2 ))" \
	"the scheduled snapshot holds the key written before the call"

# --- cancel ------------------------------------------------------------------
probe --cancel-after 400 "$TMP/vs.conf" bgsave
like "$OUT" "error \(cancelled\): cancelled while waiting for the Redis save to complete" \
	"a cancelled wait says what it was waiting for"
rcli config set rdb-key-save-delay 0 >/dev/null
while rcli info persistence | tr -d '\r' | grep -q '^rdb_bgsave_in_progress:1'; do sleep 0.1; done

# --- a later save replaced the file -------------------------------------------
probe "$TMP/vs.conf" bgsave-then-other
ok "$?" "a later save is detected"
is "$(field open)" 1 "redis_rdb_open says REDIS_RDB_REPLACED"
like "$(field message)" "another save started on Redis at .* after ours and may have replaced $TMP/r/dump.rdb; the snapshot must be taken again" \
	"and says what to do"

# --- a failed save --------------------------------------------------------------
mkdir "$TMP/gone"
rcli config set dir "$TMP/gone" >/dev/null
rmdir "$TMP/gone"
probe "$TMP/vs.conf" bgsave
like "$OUT" "BGSAVE on Redis at $REDIS_SOCK failed \(rdb_last_bgsave_status:err\): see the Redis log" \
	"a failed BGSAVE quotes rdb_last_bgsave_status"
mkdir "$TMP/gone"
rcli config set dir "$TMP/r" >/dev/null

# --- unreadable file -----------------------------------------------------------
write_config "$TMP/wrongdir.conf" "redis.data_dir=\"$TMP/nowhere\""
probe "$TMP/wrongdir.conf" bgsave
like "$OUT" "error \(not-found\): cannot open the RDB file $TMP/nowhere/dump.rdb of Redis at $REDIS_SOCK: No such file or directory" \
	"a wrong data_dir: the path that could not be opened"

done_testing
