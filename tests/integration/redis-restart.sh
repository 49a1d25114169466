#!/bin/bash
# The restart half of src/redis/redis-snapshot.c: SHUTDOWN NOSAVE, then
# waiting for a server that loads a big data set (it answers LOADING
# meanwhile) with progress from INFO persistence; the limit
# redis.start_timeout, a refused password (no retrying) and cancelling.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/redis-probe-lib.sh"

NKEYS=40000

# Loading is slowed down per key and reports progress every KiB, so the
# wait sees it.
start_redis "$TMP/r" "key-load-delay 50" "loading-process-events-interval-bytes 1024" || exit 1
write_config "$TMP/vs.conf" 'redis.start_timeout=60' 'redis.timeout_ms=2000'
rcli debug populate "$NKEYS" chimera-vectors: 1000 >/dev/null
rcli save >/dev/null
rdb_size=$(stat -c %s "$TMP/r/dump.rdb")
diag "RDB of $NKEYS keys: $rdb_size bytes"

# restart_server: start redis-server again on the same files, not waiting
restart_server() {
	redis-server "$TMP/r/redis.conf" &
	REDIS_PID=$!
	harness_track "$REDIS_PID"
}

stop_server() {
	local pid=$REDIS_PID
	probe "$TMP/vs.conf" shutdown
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}

stop_server
ok "$?" "SHUTDOWN NOSAVE stopped the server"
is "$OUT" stopped "the probe reports it stopped"

# --- wait while it loads --------------------------------------------------------
restart_server
# The server's first answer, once it listens (at most 10 s).
(
	for _ in $(seq 200); do
		a=$(rcli ping 2>&1)
		case $a in "" | "Could not connect"*) sleep 0.05 ;; *) break ;; esac
	done
	printf '%s\n' "$a" > "$TMP/ping.during"
) &
ping_pid=$!
t0=$(date +%s%3N)
probe "$TMP/vs.conf" wait-ready
status=$?
t1=$(date +%s%3N)
wait "$ping_pid"
ok "$status" "wait-ready returned ready ($(( t1 - t0 )) ms)"
printf '%s\n' "$OUT" | grep -v '^progress' | sed 's/^/# /'
like "$(cat "$TMP/ping.during")" "^LOADING" "meanwhile the server answered LOADING"
reports=$(field loading_reports)
ok "$(( reports >= 2 ? 0 : 1 ))" "loading progress was reported ($reports times)"
is "$(field loading_total)" "$rdb_size" "progress total is the RDB size (loading_total_bytes)"
printf '%s\n' "$OUT" | grep '^progress' | awk -F'[ /]' '$2 > $3 { bad = 1 } END { exit bad }'
ok "$?" "progress never exceeds its total"
is "$(rcli ping)" PONG "the server answers after the wait"
is "$(rcli dbsize)" "$NKEYS" "with every key loaded"

# --- limits ---------------------------------------------------------------------
stop_server
write_config "$TMP/short.conf" 'redis.start_timeout=1'
t0=$(date +%s%3N)
probe "$TMP/short.conf" wait-ready
t1=$(date +%s%3N)
like "$OUT" "error \(redis\): Redis did not become ready within 1 s \(redis.start_timeout in $TMP/short.conf\): cannot connect to Redis at $REDIS_SOCK" \
	"no server: gives up after redis.start_timeout with the last error"
ok "$(( t1 - t0 >= 1000 && t1 - t0 < 4000 ? 0 : 1 ))" "after about a second ($(( t1 - t0 )) ms)"

restart_server
probe --cancel-after 500 "$TMP/vs.conf" wait-ready
like "$OUT" "error \(cancelled\): cancelled while waiting for Redis to start" "a cancelled wait"
probe "$TMP/vs.conf" wait-ready
ok "$?" "ready again"

rcli config set requirepass 'restart-Secret' >/dev/null
t0=$(date +%s%3N)
write_config "$TMP/badpw.conf" 'redis.password="not-it"' 'redis.start_timeout=60'
probe "$TMP/badpw.conf" wait-ready
t1=$(date +%s%3N)
like "$OUT" "refused the login of its default user: WRONGPASS" "a wrong password ends the wait"
ok "$(( t1 - t0 < 3000 ? 0 : 1 ))" "at once, without retrying ($(( t1 - t0 )) ms)"
rcli --no-auth-warning -a 'restart-Secret' config set requirepass '' >/dev/null

done_testing
