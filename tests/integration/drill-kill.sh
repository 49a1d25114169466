#!/bin/bash
# A drill killed with SIGKILL while its sandbox's Redis loads the backup
# leaves no server running (it dies with the drill), and the next drill
# removes the scratch directory it left. Interrupted (SIGINT, as Ctrl-C),
# a drill stops its server and removes its sandbox itself. A drill slower
# than its recovery time objective fails (exit 3). --keep leaves the
# sandbox and its server running and says how to connect; other drills
# leave it alone; drill --cleanup stops and removes it. The slow load comes
# from a wrapper in front of the real redis-server adding its
# key-load-delay.
# Covers src/drill/sandbox.c, src/drill/server.c, src/jobs/job-drill.c,
# src/cli/cmd-drill.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

start_redis "$TMP/live" || bail_out "cannot start redis-server"
mkdir -p "$TMP/faiss" "$TMP/bin"
CONF=$TMP/vs.conf
CI=$TMP/faiss/content_index.faiss
UI=$TMP/faiss/user_index.faiss
BK=$TMP/backups
show() { printf '%s\n' "$1" | sed 's/^/#   /'; }
# running PID: the process exists and is not a zombie waiting for its parent
running() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
"$PY" "$TESTS_DIR/lib/drill-data.py" "$REDIS_SOCK" "$CI" "$UI" --content 200 --users 20 ||
    bail_out "drill-data.py failed"
write_config "$CONF"
tick
run backup
[ "$RC" = 0 ] || bail_out "backup failed: $ERR"
ID=$(last_line "$OUT")

cat > "$TMP/bin/redis-server" <<EOF
#!/bin/sh
# The real server, loading each key 10 ms late (and answering LOADING
# meanwhile, every KiB it has read).
exec $(command -v redis-server) "\$@" --key-load-delay 10000 \
    --loading-process-events-interval-bytes 1024
EOF
chmod +x "$TMP/bin/redis-server"

# slow_drill OUTFILE: start a drill whose sandbox server loads slowly, output
# in OUTFILE; once that server answers LOADING, set DRILL (the drill's pid),
# SANDBOX and SPID (the sandbox server's pid, from its server.pid). Returns 1
# when no sandbox server was seen loading.
slow_drill() {
	local s loading=
	write_config "$CONF" "drill.redis_server=\"$TMP/bin/redis-server\""
	"$VSBACKUP" -c "$CONF" drill "$ID" > "$1" 2>&1 &
	DRILL=$!
	harness_track "$DRILL"
	for _ in $(seq 300); do
		for s in "$BK"/.drill/drill-*/redis.sock; do
			[ -S "$s" ] && timeout 2 redis-cli -s "$s" ping 2>&1 | grep -q LOADING && loading=$s
		done
		[ -n "$loading" ] && break
		sleep 0.05
	done
	SANDBOX=$(dirname "$loading")
	SPID=$(cat "$SANDBOX/server.pid" 2>/dev/null)
	[ -n "$loading" ]
}

# --- SIGKILL while the sandbox's server loads --------------------------------------
slow_drill "$TMP/killed.out"
ok $? "the drill's sandbox server is loading the backup"
like "$(readlink "/proc/$SPID/cwd" 2>&1)" "^$SANDBOX\$" "  its pid is recorded in the sandbox ($SPID)"
kill -KILL "$DRILL"
wait "$DRILL" 2>/dev/null
gone=1
for _ in $(seq 100); do
	running "$SPID" || { gone=0; break; }
	sleep 0.05
done
ok "$gone" "after SIGKILL of the drill its sandbox server is gone"
ok "$([ -d "$SANDBOX" ]; echo $?)" "  the scratch directory is left (the next drill removes it)"

write_config "$CONF"
run drill "$ID"
is "$RC" 0 "the next drill runs" || show "$OUT$ERR"
like "$ERR" "removed $SANDBOX, the sandbox of a drill that did not finish" "  it says it removed the old sandbox"
ok "$([ ! -e "$SANDBOX" ] && [ -z "$(ls -A "$BK/.drill")" ]; echo $?)" \
    "  no scratch directory is left"
ok "$(! pgrep -f "$BK/.drill" >/dev/null; echo $?)" "  no sandbox server is running"
is "$(stat -c %a "$BK/.drill")" 700 "  the drill directory is private (0700)"

# --- SIGINT (Ctrl-C) while the sandbox's server loads -----------------------------
slow_drill "$TMP/int.out"
ok $? "a second drill's sandbox server is loading the backup"
kill -INT "$DRILL"
wait "$DRILL"
is "$?" 1 "an interrupted drill ends with exit 1 (it could not run to the end)"
like "$(cat "$TMP/int.out")" "interrupted: cancelling drill" "  it says it was interrupted"
ok "$(! running "$SPID" && [ -z "$(ls -A "$BK/.drill")" ]; echo $?)" \
    "  its server is stopped and its sandbox removed by the drill itself"

# --- slower than the recovery time objective -------------------------------------
write_config "$CONF" "drill.redis_server=\"$TMP/bin/redis-server\"" drill.rto_target_local=1
run drill "$ID"
is "$RC" 3 "a drill slower than drill.rto_target_local fails (exit 3)" || show "$OUT$ERR"
like "$OUT" "FAIL +recovery time from local +[0-9.]+ s \\(download [0-9.]+ s, Redis load [0-9.]+ s, .*\\), over the target of 1 s" \
    "  the recovery time check says by how much, phase by phase"
write_config "$CONF"

# --- no room for the sandbox ----------------------------------------------------------
# drill.dir on an 8 MiB tmpfs in a private mount namespace: too small for a
# copy of the backup and the margin the drill keeps.
mkdir -p "$TMP/small"
write_config "$TMP/small.conf" "drill.dir=\"$TMP/small/drills\""
if unshare -rm sh -c 'mount -t tmpfs -o size=8m tmpfs "$1"' sh "$TMP/small" 2>/dev/null; then
	unshare -rm sh -c 'mount -t tmpfs -o size=8m tmpfs "$1" && "$2" -c "$3" drill "$4" \
	    > "$5/full.out" 2>&1; echo $? > "$5/full.rc"; ls -A "$1/drills" > "$5/full.ls" 2>&1' \
	    sh "$TMP/small" "$VSBACKUP" "$TMP/small.conf" "$ID" "$TMP"
	is "$(cat "$TMP/full.rc")" 1 "no room in drill.dir: the drill could not run (exit 1)"
	like "$(cat "$TMP/full.out")" "the drill of $ID needs .* in $TMP/small/drills for its copy of the backup, and .* are free: free some space or set drill.dir" \
	    "  it says how much it needs and what to do"
	is "$(cat "$TMP/full.ls")" "" "  and leaves nothing there"
else
	for _ in 1 2 3; do TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP cannot mount a tmpfs in a user namespace here"; done
fi

# --- --keep and --cleanup ---------------------------------------------------------
run drill "$ID" --keep
is "$RC" 0 "drill --keep succeeds" || show "$OUT$ERR"
KSOCK=$(printf '%s\n' "$OUT" | sed -n 's/^Connect to its Redis: redis-cli -s //p')
like "$OUT" "The sandbox is kept in $BK/.drill/drill-[A-Za-z0-9]{6}\\." "  it names the sandbox"
is "$(redis-cli -s "$KSOCK" dbsize 2>&1)" 220 "  its Redis serves the backup on the socket it names"
is "$(redis-cli -s "$KSOCK" config get port 2>&1 | tail -1)" 0 "  on no TCP port"
KPID=$(cat "$(dirname "$KSOCK")/server.pid")
harness_track "$KPID"
run drill "$ID"
is "$RC" 0 "another drill runs beside it"
is "$(redis-cli -s "$KSOCK" ping 2>&1)" PONG "  and leaves the kept sandbox alone"
run drill --cleanup
is "$RC" 0 "drill --cleanup succeeds"
like "$OUT" "1 drill sandboxes removed" "  it removed the kept sandbox"
ok "$([ -z "$(ls -A "$BK/.drill")" ]; echo $?)" "  nothing is left in the drill directory"
ok "$(! running "$KPID"; echo $?)" "  its server is stopped"

done_testing
