#!/bin/bash
# Tests of the test machinery itself: the harness starts redis-server,
# s3rver and tmux and leaves nothing behind, also when the test is stopped
# by a signal; the runner counts TAP results, crashes and time-outs.
# timeout: 200
. "$(dirname "$0")/../lib/harness.sh"

alive() { kill -0 "$1" 2>/dev/null; }

# Wait up to 5 s for a process to be gone.
gone() {
	for _ in $(seq 50); do
		alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# Subshells that source the harness again get a TMP of their own; they
# report to this one.
OUTER=$TMP

# --- redis ------------------------------------------------------------------
(
	. "$TESTS_DIR/lib/harness.sh"
	start_redis "$TMP/redis" || exit 1
	echo "$REDIS_PID $TMP $REDIS_SOCK" > "$OUTER/redis.info"
	rcli set k v >/dev/null
	[ "$(rcli get k)" = v ] || exit 2
)
ok $? "start_redis starts a redis-server that answers on its unix socket"
read -r pid childtmp sock < "$TMP/redis.info"
ok "$(gone "$pid"; echo $?)" "no redis-server is left after the subshell exits (pid $pid)"
ok "$([ ! -e "$childtmp" ]; echo $?)" "the subshell's TMP is removed"
ok "$([ ! -S "$sock" ]; echo $?)" "its socket is gone"

start_redis "$TMP/r2" "maxmemory 12mb"
like "$(rcli config get maxmemory | tail -n 1)" '^12582912$' "extra redis.conf lines are applied"
is "$(rcli config get port | tail -n 1)" 0 "redis-server listens on no TCP port"
is "$(rcli ping)" PONG "rcli talks to it"

# --- s3rver -----------------------------------------------------------------
if start_s3rver "$TMP/s3" selftest-bucket; then
	ok 0 "start_s3rver starts s3rver"
else
	ok 1 "start_s3rver starts s3rver"
fi
like "$S3_ENDPOINT" '^http://127\.0\.0\.1:[0-9]+$' "S3_ENDPOINT is a loopback URL ($S3_ENDPOINT)"
is "$S3_BUCKET" selftest-bucket "S3_BUCKET is the bucket asked for"
is "$AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY/$AWS_REGION" "S3RVER/S3RVER/us-east-1" \
    "the AWS credentials and region are exported"
out=$(/usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 ls 2>&1)
like "$out" ' selftest-bucket$' "aws s3 ls lists the bucket"
echo "hello" > "$TMP/obj"
s3cli s3 cp --only-show-errors "$TMP/obj" "s3://$S3_BUCKET/dir/obj" > "$TMP/cp.out" 2>&1
ok $? "aws s3 cp uploads an object"
like "$(s3cli s3 ls "s3://$S3_BUCKET/dir/" 2>&1)" ' 6 obj$' "... and lists it with its size"
is "$(s3cli s3 cp --only-show-errors "s3://$S3_BUCKET/dir/obj" - 2>&1)" hello "... and reads it back"
s3cli s3 cp --only-show-errors "$TMP/obj" "s3://$S3_BUCKET/dir/obj2" > /dev/null 2>&1
out=$(s3cli s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix dir/ --page-size 1 \
    --query 'Contents[].Key' --output text 2>&1 | tr -s '[:space:]' ' ')
like "$out" '^dir/obj dir/obj2 ?$' "a listing of several pages works (continuation tokens)"
s3pid=$S3RVER_PID

# Two servers at once get two ports (parallel tests do this).
(
	. "$TESTS_DIR/lib/harness.sh"
	start_s3rver || exit 1
	echo "$S3RVER_PID $S3_ENDPOINT" > "$OUTER/s3.info"
)
ok $? "a second s3rver starts while the first runs"
read -r pid2 endpoint2 < "$TMP/s3.info"
ok "$([ "$endpoint2" != "$S3_ENDPOINT" ]; echo $?)" "... on another port ($endpoint2)"
ok "$(gone "$pid2"; echo $?)" "... and is stopped when its subshell exits"
ok "$(alive "$s3pid"; echo $?)" "the first one still runs"

# --- tmux -------------------------------------------------------------------
export SELFTEST_VAR=from-the-test
tmux_start 80 24 bash -c 'echo "var=$SELFTEST_VAR term=$TERM"; read -r line; echo "got:$line"; exit 7'
ok $? "tmux_start runs a command in a pane"
tmux_wait_for 'var=from-the-test' 10
ok $? "the pane shows its output, with the caller's environment"
like "$(tmux_capture | head -n 1)" 'term=(screen|tmux)' "TERM in the pane is tmux's, not the caller's"
is "$(tmux_cmd display-message -p -t "$TMUX_TARGET" '#{pane_width}x#{pane_height}')" 80x24 \
    "the pane is 80x24"
is "$(tmux_capture | wc -l)" 24 "tmux_capture prints 24 lines"
tmux_type 'typed text'
tmux_send Enter
tmux_wait_for '^got:typed text$' 10
ok $? "tmux_type and tmux_send reach the program"
is "$(tmux_wait_exit 10)" 7 "tmux_wait_exit gives the exit status"
like "$(tmux_capture | head -n 1)" '^var=' "the last screen stays as the program left it"
tmux_wait_for 'never shown' 1 > "$TMP/waitfor.out"
ok "$([ $? -ne 0 ]; echo $?)" "tmux_wait_for fails when the text does not appear"
like "$(cat "$TMP/waitfor.out")" '^# tmux_wait_for' "... and shows the screen as comments"
tmux_start 100 30 sleep 1000
is "$(tmux_cmd display-message -p -t "$TMUX_TARGET" '#{pane_width}x#{pane_height}')" 100x30 \
    "a second pane has its own size"
tmuxpid=$(tmux_cmd display-message -p '#{pid}')

# --- write_config -----------------------------------------------------------
write_config "$TMP/vs.conf" 's3.sse="none"' redis.pause_ms=500
is "$(stat -c %a "$TMP/vs.conf")" 600 "write_config writes a mode 600 file"
grep -q "socket = \"$REDIS_SOCK\";" "$TMP/vs.conf"
ok $? "... with the redis socket"
grep -q "endpoint = \"$S3_ENDPOINT\";" "$TMP/vs.conf"
ok $? "... with the s3rver endpoint"
grep -q 'sse = "none";' "$TMP/vs.conf" && grep -q 'pause_ms = 500;' "$TMP/vs.conf"
ok $? "... with the overrides"
"$VSBACKUP" -c "$TMP/vs.conf" config > "$TMP/config.out" 2>&1
if ! ok $? "vsbackup config accepts it"; then
	sed 's/^/#   /' "$TMP/config.out"
fi

# --- a test stopped by TERM leaves nothing behind ---------------------------
# As tests/run does at the time limit: TERM to the test's process group.
cat > "$TMP/victim.sh" <<'EOF'
. "$1/lib/harness.sh"
start_redis "$TMP/redis" || exit 1
start_s3rver || exit 1
tmux_start 80 24 sleep 1000
echo "$TMP $REDIS_PID $S3RVER_PID $(tmux_cmd display-message -p '#{pid}')" > "$2"
sleep 1000
EOF
setsid bash "$TMP/victim.sh" "$TESTS_DIR" "$TMP/victim.info" > "$TMP/victim.log" 2>&1 &
vpid=$!
for _ in $(seq 300); do
	[ -s "$TMP/victim.info" ] && break
	alive "$vpid" || break
	sleep 0.1
done
if read -r vtmp vredis vs3 vtmux < "$TMP/victim.info"; then
	ok 0 "a test with redis, s3rver and tmux started"
	kill -TERM -- "-$vpid"
	wait "$vpid"
	is "$?" 143 "TERM ends it with status 143"
	ok "$(gone "$vredis"; echo $?)" "... its redis-server is stopped"
	ok "$(gone "$vs3"; echo $?)" "... its s3rver is stopped"
	ok "$(gone "$vtmux"; echo $?)" "... its tmux server is stopped (not in the process group)"
	ok "$([ ! -e "$vtmp" ]; echo $?)" "... its TMP is removed"
else
	ok 1 "a test with redis, s3rver and tmux started"
	sed 's/^/#   /' "$TMP/victim.log"
	kill -KILL -- "-$vpid" 2>/dev/null
fi

# --- the runner -------------------------------------------------------------
fake=$TMP/fake
mkdir -p "$fake"
cat > "$fake/pass.sh" <<EOF
. "$TESTS_DIR/lib/tap.sh"
ok 0 one; ok 0 two; ok 0 "three # SKIP not here"
done_testing
EOF
cat > "$fake/fail.sh" <<EOF
. "$TESTS_DIR/lib/tap.sh"
ok 0 one; is a b "a is b"; ok 0 three
done_testing
EOF
printf 'echo 1..3; echo ok 1 - a\n' > "$fake/short.sh"
printf 'echo ok 1 - a\necho 1..1\nexit 3\n' > "$fake/status.sh"
printf 'echo "1..0 # SKIP nothing to test here"\n' > "$fake/skipped.sh"
printf 'echo ok 1 - a; kill -SEGV $$\n' > "$fake/crash.sh"
printf 'echo ok 1 - a; sleep 100; echo 1..1\n' > "$fake/hang.sh"
# The fake suites' logs go to a build directory of their own.
export VSBACKUP_BUILDDIR=$TMP/fakebuild
mkdir -p "$VSBACKUP_BUILDDIR"
VSBACKUP_TEST_TIMEOUT=2 "$TESTS_DIR/run" --suites "$fake" -j 3 > "$TMP/run.out" 2>&1
st=$?
ok "$([ "$st" -eq 1 ]; echo $?)" "tests/run exits 1 when something failed"
if ! is "$(tail -n 1 "$TMP/run.out")" "8 passed, 5 failed, 2 skipped" \
    "tests/run counts results, crashes, time-outs, short plans and skips"; then
	sed 's/^/#   | /' "$TMP/run.out"
fi
ok "$(! grep -q 'left running' "$TMP/run.out"; echo $?)" "the fake suites left no process behind"
like "$(grep '^PASS pass ' "$TMP/run.out")" '^PASS pass \(3 checks, 1 skipped, [0-9.]+ s\)$' \
    "a passing suite is one PASS line"
like "$(grep -A1 '^FAIL fail ' "$TMP/run.out")" 'not ok 2 - a is b' "a failing suite shows its failing line"
like "$(grep -A1 '^FAIL short ' "$TMP/run.out")" 'printed 1 results of the 3 planned' "a short plan is a failure"
like "$(grep -A1 '^FAIL status ' "$TMP/run.out")" 'exited with status 3' "a non-zero exit without \"not ok\" is a failure"
like "$(grep -A1 '^FAIL crash ' "$TMP/run.out")" 'crashed \(signal SEGV\)' "a crash is a failure"
like "$(grep -A1 '^FAIL hang ' "$TMP/run.out")" 'timed out after 2 s' "a time-out is a failure"
like "$(grep '^SKIP skipped' "$TMP/run.out")" 'nothing to test here' "a skipped suite says why"
"$TESTS_DIR/run" --suites "$fake" pass > "$TMP/run1.out" 2>&1
st=$?
is "$st/$(tail -n 1 "$TMP/run1.out")" "0/2 passed, 0 failed, 1 skipped" "tests/run NAME runs only that suite"
"$TESTS_DIR/run" --suites "$fake" no-such-suite > "$TMP/run2.out" 2>&1
st=$?
is "$st/$(tail -n 1 "$TMP/run2.out")" "1/0 passed, 1 failed" "a name that matches nothing is a failure"

done_testing
