# A Redis deployed as a distribution runs it, for the tests that must see
# what an operator's machine looks like rather than the demo sandbox:
# redis-server runs as an unprivileged system user, its data directory is
# owned by that user (mode 0750, as Debian's /var/lib/redis), it is started
# and stopped by commands as a service manager would (runuser ... for the
# start, SIGTERM and a wait for the stop), and vsbackup runs as root.
# Source it after harness.sh:
#   . "$(dirname "$0")/../lib/harness.sh"
#   . "$(dirname "$0")/../lib/deploy-lib.sh"
# It provides:
#   PY                   /usr/bin/python3 (the one with faiss and numpy)
#   deploy_require       skip the whole test (with the reason) unless it runs
#                        as root with redis-server, runuser, useradd and faiss
#   deploy_user NAME     create the system user NAME (useradd --system, no
#                        home, no login) unless it exists; idempotent and
#                        safe when several tests run at once
#   deploy_redis DIR MODE [LINE...]  lay out and start a server in DIR:
#                        DIR/etc/redis.conf (root:user, 0640), DIR/data (the
#                        data directory, $DEPLOY_USER, 0750), DIR/run (the
#                        socket and pid file), DIR/log/redis-server.log;
#                        MODE is rdb or aof (appendonly yes); LINEs are
#                        more redis.conf lines. Uses DEPLOY_USER (default
#                        vsbackup-redis, created). Sets DEPLOY_DIR,
#                        DEPLOY_DATA, DEPLOY_SOCK, DEPLOY_LOG, DEPLOY_START,
#                        DEPLOY_STOP (shell commands for redis.start_command
#                        and redis.stop_command). The server is stopped
#                        when the test exits.
#   deploy_up            0 when the server answers PING
#   deploy_start / deploy_stop   run DEPLOY_START (and wait until the server
#                        answers) / DEPLOY_STOP
#   dpcli ARGS           redis-cli on DEPLOY_SOCK as the test's own ACL user
#                        (all permissions), so restricting the default user
#                        or vsbackup's does not blind the test
#   dpdigest             DEBUG DIGEST of the server
#   deploy_fill N U [TTL_N TTL_S]  N JSON documents under chimera-vectors:,
#                        U under chimera-users:, and TTL_N more under
#                        chimera-vectors:ttl- that expire after TTL_S seconds
#   deploy_indexes DIR OWNER MODE [DIRMODE]  a content and a user index
#                        ("IDMap,Flat", dimension 8, one vector per
#                        document) in DIR (made with DIRMODE, default 0750),
#                        owned by OWNER (user:group) with MODE; sets
#                        DEPLOY_CI and DEPLOY_UI
#   deploy_config FILE [GROUP.KEY=VALUE...]  a vsbackup.conf for this
#                        deployment: backup_dir $TMP/backups, the socket,
#                        both prefixes, the start and stop commands (20 s
#                        start timeout), the index paths; NOT redis.data_dir / dbfilename (add
#                        them as arguments); sets DEPLOY_CONF
#   deploy_acl NAME PASSWORD RULE...  (re)define an ACL user on the server
#                        (ACL SETUSER NAME reset on >PASSWORD RULE...)
#   deploy_acl_default RULE...  restrict the default user (no password) to
#                        RULEs: how to test a restricted user without
#                        redis.username
#   dpstat PATH          "user:group mode" of PATH (numeric mode, e.g. 640)
#   dptree DIR           one line "mode user:group name" per entry under DIR
#                        (sorted, DIR itself first): for comparing owners
#                        and modes before and after

PY=/usr/bin/python3
: "${DEPLOY_USER:=vsbackup-redis}"

deploy_require() {
	[ "$(id -u)" = 0 ] ||
	    skip_all "needs root: the deployment runs redis-server as its own system user"
	command -v redis-server >/dev/null || skip_all "redis-server is not installed"
	command -v runuser >/dev/null || skip_all "runuser (util-linux) is not installed"
	command -v useradd >/dev/null || skip_all "useradd (passwd) is not installed"
	"$PY" -c 'import faiss, numpy' 2>/dev/null || skip_all "$PY cannot import faiss"
	return 0
}

deploy_user() {
	local name=$1
	id -u "$name" >/dev/null 2>&1 && return 0
	# Two tests may create the same user at once.
	(
		flock 9
		id -u "$name" >/dev/null 2>&1 ||
		    useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --user-group "$name"
	) 9>"${TMPDIR:-/tmp}/vsbackup-test-useradd.lock"
	id -u "$name" >/dev/null 2>&1 || bail_out "cannot create the system user $name"
}

DEPLOY_ADMIN=vsbackup-test-admin
DEPLOY_ADMIN_PASS=test-admin-$$
dpcli() { REDISCLI_AUTH=$DEPLOY_ADMIN_PASS redis-cli --user "$DEPLOY_ADMIN" -s "$DEPLOY_SOCK" "$@"; }
dpdigest() { dpcli debug digest; }
deploy_up() { [ "$(dpcli ping 2>/dev/null)" = PONG ]; }
deploy_start() {
	sh -c "$DEPLOY_START" || return 1
	for _ in $(seq 200); do
		deploy_up && return 0
		sleep 0.05
	done
	return 1
}
deploy_stop() { sh -c "$DEPLOY_STOP"; }

deploy_redis() {
	local dir=$1 mode=$2 line u
	shift 2
	deploy_user "$DEPLOY_USER"
	u=$DEPLOY_USER
	DEPLOY_DIR=$dir
	DEPLOY_DATA=$dir/data
	DEPLOY_SOCK=$dir/run/redis.sock
	DEPLOY_LOG=$dir/log/redis-server.log
	mkdir -p "$dir/etc" "$dir/data" "$dir/run" "$dir/log"
	# The test's TMP (and the runner's directories above it) are private
	# to root: the server's user must be able to pass through them.
	chmod 0755 "$dir"
	local p=$dir
	while [ "$p" != / ]; do
		[ -n "$(find "$p" -maxdepth 0 -perm -o+x)" ] || chmod o+x "$p"
		p=$(dirname "$p")
	done
	chown "$u:$u" "$dir/data" "$dir/run" "$dir/log"
	chmod 0750 "$dir/data" "$dir/log"
	chmod 0755 "$dir/run"
	{
		echo "port 0"
		echo "unixsocket $DEPLOY_SOCK"
		echo "unixsocketperm 770"
		echo "dir $DEPLOY_DATA"
		echo "dbfilename dump.rdb"
		echo "daemonize yes"
		echo "pidfile $dir/run/redis.pid"
		echo "logfile $DEPLOY_LOG"
		echo "save \"\""
		echo "enable-debug-command local"
		echo "user $DEPLOY_ADMIN on >$DEPLOY_ADMIN_PASS ~* &* +@all"
		case $mode in
		aof) echo "appendonly yes" ;;
		rdb) echo "appendonly no" ;;
		*) bail_out "deploy_redis: mode is rdb or aof, not $mode" ;;
		esac
		for line in "$@"; do echo "$line"; done
	} > "$dir/etc/redis.conf"
	# It holds the test's admin password: readable by the server only.
	chown "root:$u" "$dir/etc/redis.conf"
	chmod 0640 "$dir/etc/redis.conf"
	DEPLOY_START="runuser -u $u -- redis-server $dir/etc/redis.conf"
	# As a service manager stops it: SIGTERM, then wait until it is gone.
	cat > "$dir/etc/stop.sh" <<EOF
pid=\$(cat "$dir/run/redis.pid" 2>/dev/null) || exit 0
kill "\$pid" 2>/dev/null || exit 0
for _ in \$(seq 200); do kill -0 "\$pid" 2>/dev/null || exit 0; sleep 0.05; done
echo "redis-server \$pid did not stop" >&2
exit 1
EOF
	DEPLOY_STOP="sh $dir/etc/stop.sh"
	harness_at_exit "sh '$dir/etc/stop.sh' >/dev/null 2>&1"
	deploy_start || bail_out "cannot start redis-server as $u"
	for _ in $(seq 100); do
		deploy_up && break
		sleep 0.05
	done
	if ! deploy_up; then
		sed 's/^/# /' "$DEPLOY_LOG" 2>/dev/null
		bail_out "redis-server as $u did not start"
	fi
	deploy_track
}

# The server daemonizes: list its pid for the runner (again after a restart).
deploy_track() {
	local pid
	pid=$(cat "$DEPLOY_DIR/run/redis.pid" 2>/dev/null)
	[ -n "$pid" ] && harness_track_detached "$pid"
	return 0
}

deploy_fill() {
	local n=$1 u=$2 tn=${3:-0} ts=${4:-0}
	"$PY" - "$n" "$u" "$tn" "$ts" <<'EOF' | dpcli --pipe >/dev/null
import json, sys
n, u, tn, ts = (int(a) for a in sys.argv[1:5])
def cmd(*args):
    out = "*%d\r\n" % len(args)
    for a in args:
        b = str(a).encode()
        out += "$%d\r\n%s\r\n" % (len(b), b.decode())
    sys.stdout.write(out)
for i in range(n):
    cmd("SET", "chimera-vectors:%d" % i, json.dumps({"id": i, "text": "doc %d" % i}))
for i in range(u):
    cmd("SET", "chimera-users:%d" % i, json.dumps({"id": i, "name": "user %d" % i}))
for i in range(tn):
    cmd("SET", "chimera-vectors:ttl-%d" % i, json.dumps({"id": i}), "EX", ts)
EOF
}

deploy_indexes() {
	local dir=$1 owner=$2 mode=$3 dmode=${4:-0750}
	mkdir -p "$dir"
	chmod "$dmode" "$dir"
	DEPLOY_CI=$dir/content_index.faiss
	DEPLOY_UI=$dir/user_index.faiss
	"$PY" - "$DEPLOY_CI" "$DEPLOY_UI" <<'EOF' || bail_out "cannot write the indexes"
import sys, numpy as np, faiss
for path, n in ((sys.argv[1], 50), (sys.argv[2], 7)):
    ix = faiss.index_factory(8, "IDMap,Flat")
    ix.add_with_ids(np.random.rand(n, 8).astype('float32'), np.arange(n, dtype='int64'))
    faiss.write_index(ix, path)
EOF
	chown "$owner" "$dir" "$DEPLOY_CI" "$DEPLOY_UI"
	chmod "$mode" "$DEPLOY_CI" "$DEPLOY_UI"
}

deploy_config() {
	local file=$1
	shift
	REDIS_SOCK= write_config "$file" \
	    "redis.socket=\"$DEPLOY_SOCK\"" \
	    'redis.prefixes=[ "chimera-vectors:", "chimera-users:" ]' \
	    "redis.start_command=\"$DEPLOY_START\"" \
	    "redis.stop_command=\"$DEPLOY_STOP\"" \
	    "faiss.content_index=\"$DEPLOY_CI\"" \
	    "faiss.user_index=\"$DEPLOY_UI\"" \
	    "redis.start_timeout=20" \
	    "$@"
	DEPLOY_CONF=$file
}

deploy_acl() {
	local name=$1 pass=$2
	shift 2
	dpcli ACL SETUSER "$name" reset on ">$pass" "$@" >/dev/null
}

deploy_acl_default() {
	dpcli ACL SETUSER default reset on nopass "$@" >/dev/null
}

dpstat() { stat -c '%U:%G %a' "$1" 2>&1; }

dptree() {
	(cd "$1" && find . -printf '%m %u:%g %p\n' | LC_ALL=C sort -k3)
}
