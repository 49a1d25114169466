# The integration-test harness. Source it from a test in tests/integration:
#   . "$(dirname "$0")/../lib/harness.sh"
# It provides:
#   TMP            a private temporary directory, removed when the test exits
#   VSBACKUP       the vsbackup binary under test ($VSBACKUP_BUILDDIR/vsbackup)
#   start_redis DIR [LINE...]   start redis-server on DIR/redis.sock (extra
#                  redis.conf lines may follow); sets REDIS_SOCK and REDIS_DIR;
#                  stopped automatically when the test exits
#   rcli ARGS      redis-cli against REDIS_SOCK
# Every service started here is stopped by the EXIT trap, also on failure.

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TESTS_DIR/lib/tap.sh"

: "${VSBACKUP_BUILDDIR:=$TESTS_DIR/../build}"
VSBACKUP=$VSBACKUP_BUILDDIR/vsbackup
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TESTS_DIR/lib/lsan.supp:print_suppressions=0}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vstest.XXXXXX")
HARNESS_PIDS=()

harness_cleanup() {
	local pid
	for pid in "${HARNESS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${HARNESS_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap harness_cleanup EXIT

# harness_track PID: stop this process when the test exits
harness_track() { HARNESS_PIDS+=("$1"); }

start_redis() {
	local dir=$1; shift
	mkdir -p "$dir"
	{
		echo "port 0"
		echo "unixsocket $dir/redis.sock"
		echo "unixsocketperm 700"
		echo "dir $dir"
		echo "dbfilename dump.rdb"
		echo "pidfile $dir/redis.pid"
		echo "logfile $dir/redis.log"
		echo "save \"\""
		echo "appendonly no"
		echo "enable-debug-command local"
		local line
		for line in "$@"; do echo "$line"; done
	} > "$dir/redis.conf"
	redis-server "$dir/redis.conf" &
	harness_track $!
	REDIS_SOCK=$dir/redis.sock
	REDIS_DIR=$dir
	for _ in $(seq 100); do
		redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "# redis-server did not start; log:" >&2
	sed 's/^/# /' "$dir/redis.log" >&2
	return 1
}

rcli() { redis-cli -s "$REDIS_SOCK" "$@"; }
