#!/bin/bash
# src/redis/redis-sync.c against a real server with a password: the RDB
# fetched over replication, diskless and disk-based, has the same reader
# summary as the file of a BGSAVE of the same data and passes
# redis-check-rdb; the fork happens within the write pause; the diskless
# delay is reported; a refused SYNC and a cancelled wait are clear.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/redis-probe-lib.sh"

# The summary lines that describe the data (not when or how it was taken).
summary() { printf '%s\n' "$1" | grep -E '^(version|redis_ver|db_keys|db_expires|all_keys|prefix\.[^=]*|checksum)='; }

PW='sync-Secret-99'
start_redis "$TMP/r" "requirepass $PW" "repl-diskless-sync yes" \
	"repl-diskless-sync-delay 0" || exit 1
rc() { rcli --no-auth-warning -a "$PW" "$@"; }
write_config "$TMP/vs.conf" "redis.password=\"$PW\""

rc debug populate 4000 chimera-vectors: 300 >/dev/null
rc debug populate 1500 chimera-users: 300 >/dev/null
rc debug populate 300 other: 20 >/dev/null
for i in $(seq 30); do rc set "chimera-vectors:ttl:$i" "v$i" ex 9000 >/dev/null; done
rc -n 3 debug populate 100 chimera-users: 10 >/dev/null
rc xadd chimera-users:stream '*' a 1 >/dev/null
rc hset chimera-vectors:hash f v >/dev/null

probe "$TMP/vs.conf" snapshot "$TMP/file.rdb"
ok "$?" "file-based snapshot"
file_summary=$(summary "$OUT")

# --- diskless -------------------------------------------------------------------
probe "$TMP/vs.conf" sync "$TMP/diskless.rdb"
ok "$?" "diskless fetch over replication"
printf '%s\n' "$OUT" | grep -v '^progress' | sed 's/^/# /'
is "$(field diskless)" 1 "the server streamed without a file (EOF mark)"
is "$(field fork_delay)" 0 "fork delay read from CONFIG"
is "$(field fork_within_pause)" 1 "the fork happened within the write pause"
is "$(summary "$OUT")" "$file_summary" "summary equals the file-based one"
is "$(field payload)" "$(stat -c %s "$TMP/diskless.rdb")" "payload length written"
redis-check-rdb "$TMP/diskless.rdb" >/dev/null 2>&1
ok "$?" "redis-check-rdb accepts the fetched file"

# --- disk-based -------------------------------------------------------------
rc config set repl-diskless-sync no >/dev/null
probe "$TMP/vs.conf" sync "$TMP/disk.rdb"
ok "$?" "disk-based fetch over replication"
is "$(field diskless)" 0 "the server sent a length-framed file"
is "$(field size)" "$(stat -c %s "$TMP/disk.rdb")" "announced size equals what was written"
is "$(summary "$OUT")" "$file_summary" "summary equals the file-based one"
redis-check-rdb "$TMP/disk.rdb" >/dev/null 2>&1
ok "$?" "redis-check-rdb accepts it"

# A slow disk-based save: the length comes only once the file is written,
# but the start returns at the fork, within a short pause.
rc config set rdb-key-save-delay 400 >/dev/null
write_config "$TMP/short.conf" "redis.password=\"$PW\"" 'redis.pause_ms=1000'
rc set chimera-vectors:before-sync 1 >/dev/null
probe "$TMP/short.conf" sync "$TMP/slow.rdb"
ok "$?" "slow disk-based fetch"
is "$(field fork_within_pause)" 1 "the fork was seen within a 1 s pause"
start_ms=$(field start_ms)
ok "$(( start_ms < 1000 ? 0 : 1 ))" "the start returned at the fork (${start_ms} ms), not after the save"
is "$(field prefix.chimera-vectors:)" "$(( $(rc --scan --pattern 'chimera-vectors:*' | wc -l) ))" \
	"the fetched snapshot holds the key written before the call"
rc config set rdb-key-save-delay 0 >/dev/null

# --- the diskless delay, a cancelled wait ---------------------------------------
rc config set repl-diskless-sync yes >/dev/null
rc config set repl-diskless-sync-delay 5 >/dev/null
probe "$TMP/vs.conf" fork-delay
is "$OUT" "fork_delay=5" "repl-diskless-sync-delay is reported"
t0=$(date +%s%3N)
probe --cancel-after 700 "$TMP/vs.conf" sync "$TMP/cancelled.rdb"
t1=$(date +%s%3N)
like "$OUT" "error \(cancelled\): cancelled while waiting for Redis to start the replication snapshot" \
	"cancel during the diskless delay"
ok "$(( t1 - t0 < 3000 ? 0 : 1 ))" "cancel took effect quickly ($(( t1 - t0 )) ms)"
is "$(rc set writable yes)" OK "writes flow again after the cancelled fetch"
rc config set repl-diskless-sync-delay 0 >/dev/null

# --- refused ------------------------------------------------------------------
start_redis "$TMP/r2" 'rename-command SYNC ""' 'rename-command PSYNC ""' || exit 1
write_config "$TMP/nosync.conf"
probe "$TMP/nosync.conf" sync "$TMP/refused.rdb"
like "$OUT" "error \(redis\): Redis at $REDIS_SOCK refused PSYNC: ERR unknown command" \
	"a server without PSYNC: the refusal is quoted"

done_testing
