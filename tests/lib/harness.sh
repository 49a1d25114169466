# The integration-test harness. Source it from a test in tests/integration:
#   . "$(dirname "$0")/../lib/harness.sh"
# It provides:
#   TMP            a private temporary directory, removed when the test exits
#                  (kept when VSBACKUP_KEEP_TMP=1, for debugging)
#   VSBACKUP       the vsbackup binary under test ($VSBACKUP_BUILDDIR/vsbackup)
#   TESTS_DIR      the source tree's tests/ directory
#   start_redis DIR [LINE...]   start redis-server on DIR/redis.sock (extra
#                  redis.conf lines may follow); sets REDIS_SOCK, REDIS_DIR
#                  and REDIS_PID
#   rcli ARGS      redis-cli against REDIS_SOCK
#   start_s3rver [DIR] [BUCKET]  start the s3rver test server (tests/
#                  node_modules, installed by "npm ci" in tests/) on a free
#                  loopback port with BUCKET (default vsbackup-test) created;
#                  exports S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID,
#                  AWS_SECRET_ACCESS_KEY, AWS_REGION; sets S3RVER_DIR,
#                  S3RVER_PID. Credentials files of the user are hidden.
#                  S3RVER_ARGS adds options (e.g. --service-endpoint).
#   s3cli ARGS     /usr/bin/aws --endpoint-url $S3_ENDPOINT ARGS
#   start_tmux     prepare a private tmux server (done by tmux_start too)
#   tmux_start WIDTH HEIGHT CMD...  run CMD in a new WIDTHxHEIGHT pane (with
#                  the caller's exported environment and directory) and make
#                  it the pane the other tmux_ functions use; the pane stays
#                  after CMD exits so its last screen can be read
#   tmux_send KEYS...     tmux send-keys to that pane (Enter, Up, C-c, q ...)
#   tmux_type TEXT        type TEXT literally
#   tmux_capture [ARGS]   print the pane's screen (capture-pane -p ARGS)
#   tmux_wait_for REGEX [SECONDS]  poll the screen until an extended regex
#                  matches (default 10 s); on timeout print the screen as
#                  TAP comments and return 1
#   tmux_wait_exit [SECONDS]  wait until CMD has exited; print its exit
#                  status (128+N when killed by signal N)
#   tmux_cmd ARGS  any tmux command on the private server
#   faiss_indexes NC NU  the two indexes write_config names by default,
#                  $TMP/faiss/content_index.faiss and user_index.faiss:
#                  IndexIDMap over IndexFlatIP(8) with NC and NU random
#                  vectors, ids 0, 1, ...
#   faiss_add FILE N FIRST  add N random vectors with ids FIRST, FIRST+1, ...
#                  to the IndexIDMap in FILE
#   write_config FILE [GROUP.KEY=VALUE...]  write a vsbackup.conf (mode 600);
#                  repository.format is 1 (plain backups) unless given
#                  using the services started so far; VALUE is a libconfig
#                  literal (quote strings: 's3.sse="none"')
#   wait_until SECONDS CMD...  poll CMD until it succeeds; 1 when it has not
#                  within SECONDS
#   harness_at_exit CMD   run CMD (eval'd) when the test exits, before the
#                  services are stopped; tests must not set their own EXIT
#                  trap
#   harness_track PID     stop this process too when the test exits
#   make_user      (root only) an unprivileged system user for the attacks
#                  a test plants: vsbackup-test-other (useradd --system, no
#                  home, no login shell), created unless it exists (it is
#                  kept, like deploy-lib.sh's users); sets TEST_USER and
#                  TEST_UID, and USER_TMP, a private directory (mode 711,
#                  under /tmp, removed at exit) that user can reach, for
#                  the files of such tests. Returns 1 when not root or
#                  useradd is missing: skip with that reason.
#   as_user CMD... run CMD as TEST_USER
# Every service started here is stopped by the EXIT trap, also when the test
# fails, and also on TERM/INT/HUP (tests/run sends TERM to the test's whole
# process group at its time limit, KILL ten seconds later).

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TESTS_DIR/lib/tap.sh"

: "${VSBACKUP_BUILDDIR:=$TESTS_DIR/../build}"
VSBACKUP=$VSBACKUP_BUILDDIR/vsbackup
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TESTS_DIR/lib/lsan.supp:print_suppressions=0}

# The tests' npm packages (s3rver): "npm ci" in tests/, or, for a source
# tree that cannot be written (make distcheck), in the build tree's tests/;
# VSBACKUP_NODE_MODULES names another place.
for NODE_MODULES in "${VSBACKUP_NODE_MODULES:-}" "$TESTS_DIR/node_modules" \
    "$VSBACKUP_BUILDDIR/tests/node_modules"; do
	[ -n "$NODE_MODULES" ] && [ -f "$NODE_MODULES/s3rver/bin/s3rver.js" ] && break
done
S3RVER_JS=$NODE_MODULES/s3rver/bin/s3rver.js

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vstest.XXXXXX")
HARNESS_PIDS=()
HARNESS_AT_EXIT=()
HARNESS_CLEANED=

harness_cleanup() {
	local pid cmd
	[ -n "$HARNESS_CLEANED" ] && return
	HARNESS_CLEANED=1
	for cmd in "${HARNESS_AT_EXIT[@]}"; do
		eval "$cmd"
	done
	harness_tmux_stop
	for pid in "${HARNESS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${HARNESS_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "${VSBACKUP_KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap harness_cleanup EXIT
# A signal ends the test through the EXIT trap. The status tells the runner
# it was killed.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

harness_at_exit() { HARNESS_AT_EXIT+=("$*"); }

# harness_track PID: stop this process when the test exits
harness_track() { HARNESS_PIDS+=("$1"); }

# A process that left our process group (a daemon such as the tmux server)
# is not reached by the runner's signal to the group: list it for the runner
# so it can be stopped even if this shell is killed with KILL.
harness_track_detached() {
	local pid=$1 st
	harness_track "$pid"
	[ -n "${VSBACKUP_TEST_PIDFILE:-}" ] || return 0
	st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20)
	[ -n "$st" ] && echo "$pid $st" >> "$VSBACKUP_TEST_PIDFILE"
	return 0
}

# --- an unprivileged user ---------------------------------------------------
make_user() {
	[ "$(id -u)" = 0 ] || return 1
	command -v useradd >/dev/null && command -v runuser >/dev/null || return 1
	TEST_USER=vsbackup-test-other
	# Kept between tests (like deploy-lib.sh's users); several tests may
	# create it at once.
	if ! id -u "$TEST_USER" >/dev/null 2>&1; then
		(
			flock 9
			id -u "$TEST_USER" >/dev/null 2>&1 ||
			    useradd --system --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin --user-group "$TEST_USER"
		) 9>"${TMPDIR:-/tmp}/vsbackup-test-useradd.lock"
	fi
	TEST_UID=$(id -u "$TEST_USER" 2>/dev/null) || return 1
	# TMP sits in the runner's private directory, which the user cannot
	# enter.
	USER_TMP=$(mktemp -d /tmp/vsuser.XXXXXX) || return 1
	chmod 711 "$USER_TMP"
	harness_at_exit "rm -rf '$USER_TMP'"
	return 0
}

as_user() { runuser -u "$TEST_USER" -- "$@"; }

wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.02
	done
}

# --- redis ----------------------------------------------------------------
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
	REDIS_PID=$!
	harness_track "$REDIS_PID"
	REDIS_SOCK=$dir/redis.sock
	REDIS_DIR=$dir
	for _ in $(seq 100); do
		redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1 && return 0
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# redis-server did not start; log:" >&2
	sed 's/^/# /' "$dir/redis.log" >&2
	return 1
}

rcli() { redis-cli -s "$REDIS_SOCK" "$@"; }

# free_ports N: N loopback ports free now and not handed to another suite
# in the last ten minutes. Suites run in parallel, and the kernel may give
# two of them the same free port before either server has bound it; the
# ports handed out are kept in the build directory, under a lock.
free_ports() {
	local reg=$VSBACKUP_BUILDDIR/tests/ports
	mkdir -p "$VSBACKUP_BUILDDIR/tests"
	(
		flock 9
		/usr/bin/python3 - "$1" "$reg" <<'PY'
import os, socket, sys, time
n, reg = int(sys.argv[1]), sys.argv[2]
now = time.time()
recent = {}
try:
    with open(reg) as f:
        for line in f:
            p, t = line.split()
            if now - float(t) < 600:
                recent[int(p)] = float(t)
except (OSError, ValueError):
    pass
held, out = [], []
while len(out) < n:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    p = s.getsockname()[1]
    if p not in recent and p not in out:
        out.append(p)
for p in out:
    recent[p] = now
with open(reg + ".new", "w") as f:
    for p, t in recent.items():
        f.write("%d %f\n" % (p, t))
os.replace(reg + ".new", reg)
print(*out)
PY
	) 9>"$reg.lock"
}

# redis_settle SOCKET: right after a bulk load Redis is still growing its key
# table (two tables while it rehashes), and a snapshot taken then lists the
# keys in another order than one taken a second later: "the same data" would
# not be the same bytes. A reload builds the table at its final size, so
# tests that measure what a second backup shares start from a settled table.
redis_settle() {
	redis-cli -s "$1" debug reload >/dev/null ||
	    bail_out "DEBUG RELOAD failed on $1: the test needs a settled key table"
}

# --- s3rver ---------------------------------------------------------------
start_s3rver() {
	local dir=${1:-$TMP/s3rver} bucket=${2:-vsbackup-test}
	local js=$S3RVER_JS port=
	if [ ! -f "$js" ]; then
		echo "# s3rver is not installed: run 'npm ci' in $TESTS_DIR (scripts/check does)" >&2
		return 1
	fi
	mkdir -p "$dir/data"
	# Port 0: the kernel picks a free port when s3rver binds, so parallel
	# tests cannot race for one; s3rver prints the port it got.
	# s3rver encrypts ListObjectsV2 continuation tokens with DES, which
	# OpenSSL 3 offers only in its legacy provider: without it a listing
	# of more than one page fails with 500.
	# shellcheck disable=SC2086 # S3RVER_ARGS: extra options, split on spaces
	node --openssl-legacy-provider "$js" -d "$dir/data" -a 127.0.0.1 -p 0 \
	    --configure-bucket "$bucket" ${S3RVER_ARGS:-} > "$dir/s3rver.log" 2>&1 &
	S3RVER_PID=$!
	S3RVER_DIR=$dir
	harness_track "$S3RVER_PID"
	for _ in $(seq 300); do
		port=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$dir/s3rver.log" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$S3RVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		echo "# s3rver did not start; log:" >&2
		sed 's/^/# /' "$dir/s3rver.log" >&2
		return 1
	fi
	export S3_ENDPOINT=http://127.0.0.1:$port S3_BUCKET=$bucket
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
	# Whatever the user has configured for AWS must not leak into tests.
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
	: > "$TMP/aws-config"
	: > "$TMP/aws-credentials"
	export AWS_CONFIG_FILE=$TMP/aws-config AWS_SHARED_CREDENTIALS_FILE=$TMP/aws-credentials
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
	# It answers once it listens; check the bucket is there too.
	for _ in $(seq 50); do
		if curl -fsS -o /dev/null "$S3_ENDPOINT/$bucket" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "# s3rver at $S3_ENDPOINT does not answer for bucket $bucket; log:" >&2
	sed 's/^/# /' "$dir/s3rver.log" >&2
	return 1
}

s3cli() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" "$@"; }

# --- tmux -----------------------------------------------------------------
TMUX_SOCK=
TMUX_TARGET=
TMUX_N=0

start_tmux() {
	[ -n "$TMUX_SOCK" ] && return 0
	TMUX_SOCK=$TMP/tmux.sock
}

tmux_cmd() { env -u TMUX tmux -S "$TMUX_SOCK" -f /dev/null "$@"; }

# Stop the private server and whatever still runs in its panes.
harness_tmux_stop() {
	local pids
	[ -n "$TMUX_SOCK" ] && [ -S "$TMUX_SOCK" ] || return 0
	pids=$(tmux_cmd list-panes -a -F '#{pane_pid}' 2>/dev/null)
	tmux_cmd kill-server 2>/dev/null
	[ -n "$pids" ] && kill $pids 2>/dev/null
	return 0
}

tmux_start() {
	local w=$1 h=$2 envfile pid
	shift 2
	start_tmux
	TMUX_N=$((TMUX_N + 1))
	# The pane gets the environment as it is now, not the one the server
	# was started with.
	envfile=$TMP/tmux-env.$TMUX_N
	{
		export -p
		printf 'cd %q || exit 1\n' "$PWD"
	} > "$envfile"
	# The pane runs CMD under a small shell that records its exit status
	# and then keeps the pane open without a word, so the last screen stays
	# exactly as CMD left it (tmux's own remain-on-exit scrolls it by a
	# line to print a notice). No status line: the pane has every row.
	tmux_cmd start-server \; set-option -g status off \; \
	    new-session -d -s "t$TMUX_N" -x "$w" -y "$h" \
	    bash -c 't=$TERM x=$TMUX p=$TMUX_PANE; . "$0" 2>/dev/null
		export TERM=$t TMUX=$x TMUX_PANE=$p; unset COLUMNS LINES
		"$@"; echo $? > "$0.status"; exec sleep 2147483647' \
	    "$envfile" "$@" || return 1
	TMUX_TARGET=t$TMUX_N
	if [ "$TMUX_N" = 1 ]; then
		pid=$(tmux_cmd display-message -p '#{pid}')
		[ -n "$pid" ] && harness_track_detached "$pid"
	fi
	return 0
}

tmux_send() { tmux_cmd send-keys -t "$TMUX_TARGET" "$@"; }
tmux_type() { tmux_cmd send-keys -t "$TMUX_TARGET" -l "$*"; }
tmux_capture() { tmux_cmd capture-pane -p -t "$TMUX_TARGET" "$@"; }

tmux_wait_for() {
	local re=$1 secs=${2:-10} end
	end=$((SECONDS + secs))
	while :; do
		tmux_capture 2>/dev/null | grep -Eq -- "$re" && return 0
		[ "$SECONDS" -ge "$end" ] && break
		sleep 0.1
	done
	echo "# tmux_wait_for: /$re/ did not appear within $secs s; the screen:"
	tmux_capture 2>/dev/null | sed 's/^/#   |/'
	return 1
}

tmux_wait_exit() {
	local secs=${1:-10} end f=$TMP/tmux-env.$TMUX_N.status
	end=$((SECONDS + secs))
	while [ ! -s "$f" ]; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "# tmux_wait_exit: the program did not exit within $secs s" >&2
			return 1
		fi
		sleep 0.1
	done
	cat "$f"
}

# --- FAISS indexes ----------------------------------------------------------
faiss_indexes() {
	mkdir -p "$TMP/faiss"
	"${PY:-/usr/bin/python3}" - "$TMP/faiss/content_index.faiss" "$1" \
	    "$TMP/faiss/user_index.faiss" "$2" <<'EOF' || bail_out "cannot write the FAISS indexes"
import sys, numpy as np, faiss
for path, n in zip(sys.argv[1::2], sys.argv[2::2]):
    n = int(n)
    ix = faiss.IndexIDMap(faiss.IndexFlatIP(8))
    ix.add_with_ids(np.random.rand(n, 8).astype('float32'), np.arange(n).astype('int64'))
    faiss.write_index(ix, path)
EOF
}

faiss_add() {
	"${PY:-/usr/bin/python3}" - "$@" <<'EOF' || bail_out "cannot add vectors to $1"
import sys, numpy as np, faiss
path, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ix = faiss.read_index(path)
ix.add_with_ids(np.random.rand(n, 8).astype('float32'), np.arange(first, first + n).astype('int64'))
faiss.write_index(ix, path)
EOF
}

# --- configuration ----------------------------------------------------------
write_config() {
	local file=$1 kv key g k
	shift
	declare -A val=()
	local -a keys=()
	_wc_set() { [ -z "${val[$1]+x}" ] && keys+=("$1"); val[$1]=$2; }
	_wc_set backup_dir "\"$TMP/backups\""
	if [ -n "${REDIS_SOCK:-}" ]; then
		_wc_set redis.socket "\"$REDIS_SOCK\""
		_wc_set redis.data_dir "\"$REDIS_DIR\""
		_wc_set redis.dbfilename '"dump.rdb"'
	fi
	_wc_set faiss.content_index "\"$TMP/faiss/content_index.faiss\""
	_wc_set faiss.user_index "\"$TMP/faiss/user_index.faiss\""
	if [ -n "${S3_ENDPOINT:-}" ]; then
		_wc_set s3.bucket "\"$S3_BUCKET\""
		_wc_set s3.endpoint "\"$S3_ENDPOINT\""
		_wc_set s3.region "\"$AWS_REGION\""
		_wc_set s3.path_style true
		_wc_set s3.access_key_id "\"$AWS_ACCESS_KEY_ID\""
		_wc_set s3.secret_access_key "\"$AWS_SECRET_ACCESS_KEY\""
	fi
	# Plain backups (format 1) unless a test asks for the repository:
	# most suites look at a backup's files.
	_wc_set repository.format 1
	for kv in "$@"; do
		case $kv in
		*=*) _wc_set "${kv%%=*}" "${kv#*=}" ;;
		*) echo "# write_config: '$kv' is not GROUP.KEY=VALUE" >&2; return 1 ;;
		esac
	done
	unset -f _wc_set
	mkdir -p "$(dirname "$file")"
	(
		umask 077
		for key in "${keys[@]}"; do
			case $key in *.*) ;; *) echo "$key = ${val[$key]};" ;; esac
		done
		# One group block per group, in the order first seen.
		local seen=" "
		for key in "${keys[@]}"; do
			case $key in *.*) ;; *) continue ;; esac
			g=${key%%.*}
			case $seen in *" $g "*) continue ;; esac
			seen="$seen$g "
			echo "$g = {"
			for k in "${keys[@]}"; do
				[ "${k%%.*}" = "$g" ] && [ "$k" != "$g" ] &&
				    echo "	${k#*.} = ${val[$k]};"
			done
			echo "};"
		done
	) > "$file"
	chmod 600 "$file"
}
