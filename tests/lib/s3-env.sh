# Helpers for the S3 integration tests; source after harness.sh.
#   s3_setup             start s3rver (start_s3rver) and the signature-checking
#                        proxy in front of it; S3_ENDPOINT then points at the
#                        proxy and S3RVER_ENDPOINT at s3rver itself. Skips the
#                        whole test when node, s3rver or s3-probe is missing.
#   s3_start_proxy ARGS  (re)start the proxy with extra options (--require-sse,
#                        --key ID:SECRET, --fault SPEC)
#   proxy_ctl PATH       GET a control URL of the proxy (fault?..., clear, log)
#   s3_start_hostile     start tests/lib/s3-hostile.js in front of the proxy;
#                        S3_ENDPOINT then points at it and PROXY_ENDPOINT at
#                        the proxy
#   hostile_ctl PATH     GET a control URL of it (mode?..., clear, log, count)
#   probe ARGS           run tests/unit/s3-probe
#   term_within SECS CMD...  run CMD (stderr in $TMP/err), send it SIGTERM
#                        after 2 s, wait up to SECS; prints its exit status,
#                        or "hung" (then it is killed)
PROBE=$VSBACKUP_BUILDDIR/tests/unit/s3-probe
S3_PROXY_PID=

s3_setup() {
	command -v node >/dev/null || skip_all "node is not installed"
	[ -x "$PROBE" ] || skip_all "s3-probe is not built (make check builds it)"
	[ -f "$S3RVER_JS" ] ||
	    skip_all "s3rver is not installed: run 'npm ci' in $TESTS_DIR"
	# s3rver encrypts ListObjectsV2 continuation tokens with DES, which
	# OpenSSL 3 has only in its legacy provider: without it every listing
	# longer than one page fails with 500.
	case " ${NODE_OPTIONS:-} " in
	*" --openssl-legacy-provider "*) ;;
	*) export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--openssl-legacy-provider" ;;
	esac
	start_s3rver "$TMP/s3rver" || exit 1
	S3RVER_ENDPOINT=$S3_ENDPOINT
	s3_start_proxy "$@"
}

s3_start_proxy() {
	local port=
	if [ -n "$S3_PROXY_PID" ]; then
		kill "$S3_PROXY_PID" 2>/dev/null
		wait "$S3_PROXY_PID" 2>/dev/null
	fi
	rm -f "$TMP/proxy.port"
	node "$TESTS_DIR/lib/s3-proxy.js" --upstream "$S3RVER_ENDPOINT" \
	    --port-file "$TMP/proxy.port" "$@" > "$TMP/proxy.log" 2>&1 &
	S3_PROXY_PID=$!
	harness_track "$S3_PROXY_PID"
	for _ in $(seq 100); do
		[ -s "$TMP/proxy.port" ] && port=$(cat "$TMP/proxy.port") && break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "# s3-proxy did not start:" >&2
		sed 's/^/# /' "$TMP/proxy.log" >&2
		exit 1
	fi
	export S3_ENDPOINT=http://127.0.0.1:$port
}

proxy_ctl() { curl -fsS "${PROXY_ENDPOINT:-$S3_ENDPOINT}/__proxy/$1"; }

s3_start_hostile() {
	local port=
	PROXY_ENDPOINT=$S3_ENDPOINT
	rm -f "$TMP/hostile.port"
	node "$TESTS_DIR/lib/s3-hostile.js" --upstream "$PROXY_ENDPOINT" \
	    --port-file "$TMP/hostile.port" > "$TMP/hostile.log" 2>&1 &
	harness_track $!
	for _ in $(seq 100); do
		[ -s "$TMP/hostile.port" ] && port=$(cat "$TMP/hostile.port") && break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		echo "# s3-hostile did not start:" >&2
		sed 's/^/# /' "$TMP/hostile.log" >&2
		exit 1
	fi
	export S3_ENDPOINT=http://127.0.0.1:$port
}

hostile_ctl() { curl -fsS "$S3_ENDPOINT/__hostile/$1"; }

probe() { "$PROBE" "$@"; }

term_within() {
	local secs=$1 pid i
	shift
	"$@" >/dev/null 2>"$TMP/err" &
	pid=$!
	sleep 2
	kill -TERM "$pid"
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		echo hung
		return
	fi
	wait "$pid"
	echo $?
}
