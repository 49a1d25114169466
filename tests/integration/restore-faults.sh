#!/bin/bash
# Nothing lost, whatever fails during a restore. For each fault injected at
# each step that changes the live state (the stop command failing or
# vsbackup killed with SIGKILL while it stops Redis, the disk filling up
# before the snapshot is placed, the start command failing once or every
# time, vsbackup killed before or after Redis started), the end state is
# either the backup's data or exactly the data of before the restore (DEBUG
# DIGEST and the bytes of both index files), with Redis serving and the
# owner and mode of every file in the data directory unchanged, and the
# journal either gone or, once the fault is removed, taken to that end by
# the command the error names (the same restore again, or restore
# --rollback).
# The faults sit in front of the real parts: the configured start and stop
# commands are wrappers around the real ones, the data directory a small
# tmpfs (when root).
# Covers src/jobs/job-restore.c (fail_live, rollback_now, resume),
# restore-redis.c, place.c, journal.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/r" 400 40 8
RDIR=$D/redis
real_start=$(sed -n 's/^ *start_command = "\(.*\)";$/\1/p' "$CONF")
real_stop=$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")
redis_up() { [ "$(dcli ping 2>/dev/null)" = PONG ]; }
wait_up() { for _ in $(seq 100); do redis_up && return 0; sleep 0.05; done; return 1; }

# The data directory on a small tmpfs, so that it can fill up.
TMPFS=0
if [ "$(id -u)" = 0 ]; then
	dcli save >/dev/null
	sh -c "$real_stop" >/dev/null 2>&1
	cp -a "$RDIR" "$TMP/redis.copy"
	if mount -t tmpfs -o size=24m tmpfs "$RDIR" 2>/dev/null; then
		TMPFS=1
		harness_at_exit "sh -c '$real_stop' >/dev/null 2>&1; sleep 0.2; umount -l '$RDIR'"
		cp -a "$TMP/redis.copy/." "$RDIR/"
	fi
	sh -c "$real_start" >/dev/null 2>&1
	wait_up
	eng_track_redis
fi

# The wrappers: $TMP/fault names the fault; $TMP/vspid the vsbackup to kill.
cat > "$TMP/stop.sh" <<EOF
f=\$(cat "$TMP/fault" 2>/dev/null)
case \$f in
stop-fail) echo "cannot stop (test)"; exit 1 ;;
stop-kill) kill -9 "\$(cat "$TMP/vspid")"; sleep 1; exit 0 ;;
esac
$real_stop
for _ in \$(seq 100); do [ -S "$SOCK" ] || break; sleep 0.05; done
case \$f in
stop-kill-after) kill -9 "\$(cat "$TMP/vspid")"; sleep 1 ;;
diskfull) fallocate -l \$(( \$(df -B1 --output=avail "$RDIR" | tail -1) - 8192 )) "$RDIR/filler" ;;
esac
exit 0
EOF
cat > "$TMP/start.sh" <<EOF
f=\$(cat "$TMP/fault" 2>/dev/null)
case \$f in
start-fail) echo "cannot start (test)"; exit 1 ;;
start-fail-once) echo none > "$TMP/fault"; echo "cannot start (test)"; exit 1 ;;
start-kill-before) kill -9 "\$(cat "$TMP/vspid")"; sleep 1; exit 1 ;;
esac
$real_start
case \$f in
start-kill-after) kill -9 "\$(cat "$TMP/vspid")"; sleep 1 ;;
esac
exit 0
EOF
sed -i "s|^\\( *start_command = \\).*|\\1\"sh $TMP/start.sh\";|; s|^\\( *stop_command = \\).*|\\1\"sh $TMP/stop.sh\";|" "$CONF"

state() { echo "$(rdig) $(sha "$CI") $(sha "$UI")"; }
datatree() { dptree_() { (cd "$RDIR" && find . -path ./redis.sock -prune -o -printf '%m %u:%g %p\n' | LC_ALL=C sort -k3); }; dptree_ | grep -v 'vsbackup-before\|filler\|temp-'; }
change_live() {
	dcli set "chimera-vectors:changed-$1" '{"c":1}' >/dev/null
	dcli del "chimera-users:$1" >/dev/null
	"$PY" - "$CI" <<'EOF'
import sys, numpy as np, faiss
ix = faiss.read_index(sys.argv[1])
ix.add_with_ids(np.ones((1, ix.d), dtype='float32'), np.array([900000 + ix.ntotal], dtype='int64'))
faiss.write_index(ix, sys.argv[1])
EOF
	dcli save >/dev/null
}

tick
echo none > "$TMP/fault"
run backup
is "$RC" 0 "backup succeeds" || show "$ERR"
ID=$(last_line "$OUT")
B=$(state)
ok "$([ "$(meta "$ID" "m['redis']['key_counts']['chimera-vectors:']")" -ge 400 ]; echo $?)" \
    "the backup holds the documents"

n=0
for fault in stop-fail stop-kill stop-kill-after diskfull start-fail-once start-fail \
    start-kill-before start-kill-after; do
	if [ "$fault" = diskfull ] && [ "$TMPFS" = 0 ]; then
		skip 5 "the data directory is not on a tmpfs (needs root)"
		continue
	fi
	n=$((n + 1))
	diag "--- fault: $fault ---"
	change_live "$n"
	P=$(state)
	tree0=$(datatree)
	echo "$fault" > "$TMP/fault"
	tick
	"$VSBACKUP" -c "$CONF" restore "$ID" --yes >"$TMP/out" 2>"$TMP/err" &
	echo $! > "$TMP/vspid"
	wait "$(cat "$TMP/vspid")"
	rc=$?
	ERR=$(cat "$TMP/err")
	diag "  exit $rc: $(grep -v '^vsbackup: \(start command\|Redis or its\|stop command\|space \|permission to\|backup [0-9_]* \(complete\|(pre-\)\)' "$TMP/err" | tr '\n' ' ' | cut -c1-600)"
	# Remove the fault, then do what the error says, if anything.
	echo none > "$TMP/fault"
	rm -f "$RDIR/filler"
	steps=0
	while [ -e "$BK/.restore-journal.json" ] && [ "$steps" -lt 3 ]; do
		steps=$((steps + 1))
		if "$PY" -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["rollback"] else 1)' \
		    "$BK/.restore-journal.json"; then
			tick; run restore --rollback --yes
		else
			tick; run restore "$ID" --yes
		fi
		diag "  journal left (exit $rc): ran the command it names, exit $RC"
	done
	if ! redis_up && [ ! -e "$BK/.restore-journal.json" ]; then
		# Killed before anything live changed: Redis was never stopped,
		# or the kill came after it was; nothing to resume.
		:
	fi
	wait_up
	eng_track_redis
	ok "$(redis_up; echo $?)" "$fault: Redis serves at the end" || show "$ERR"
	S=$(state)
	ok "$([ "$S" = "$B" ] || [ "$S" = "$P" ]; echo $?)" \
	    "$fault: the data is the backup's or exactly that of before the restore" ||
	    { diag "now $S"; diag "backup $B"; diag "before $P"; show "$ERR"; }
	ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "$fault: no journal is left"
	is "$(datatree)" "$tree0" "$fault: owner and mode of every file in the data directory unchanged"
	ok "$([ "$rc" = 0 ] || printf '%s' "$ERR" | grep -q "restore\|Redis"; echo $?)" \
	    "$fault: a failure says what happened (exit $rc)"
	if [ "$fault" = stop-fail ]; then
		# Redis was never stopped: rolling back the index files needs no stop.
		like "$ERR" "failed: redis.stop_command failed .*; the live state was rolled back to the safety backup" \
		    "$fault: the rollback does not need the stop command that failed" || show "$ERR"
	fi
done

done_testing
