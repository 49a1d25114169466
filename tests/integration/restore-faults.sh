#!/bin/bash
# Nothing lost, whatever fails during a restore. For each fault injected at
# each step that changes the live state (the stop command failing or
# vsbackup killed with SIGKILL while it stops Redis, the disk filling up
# before the snapshot is placed, the start command failing once or every
# time, vsbackup killed before or after Redis started, the right to write
# the data directory taken away after Redis stopped), the end state is
# either the backup's data or exactly the data of before the restore (DEBUG
# DIGEST and the bytes of both index files), with Redis serving and the
# owner and mode of every file in the data directory unchanged, and the
# journal either gone or, once the fault is removed, taken to that end by
# the command the error names (the same restore again, or restore
# --rollback). A failing stop command is rolled back without stopping
# Redis; a Redis that refuses SHUTDOWN is found by the pre-flight. The faults sit in front of the real parts: the configured start
# and stop commands are wrappers around the real ones, the data directory
# a small tmpfs (when root). restore-faults-deploy.sh runs the same matrix
# against Redis run as its own user with AOF.
# Covers src/jobs/job-restore.c (fail_live, rollback_now, resume),
# restore-redis.c, place.c, journal.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/faults-lib.sh"
eng_require

eng_demo "$TMP/r" 400 40 8
FL_CONF=$CONF FL_DATA=$D/redis FL_SOCK=$SOCK FL_BK=$BK FL_CI=$CI FL_UI=$UI
FL_START=$(sed -n 's/^ *start_command = "\(.*\)";$/\1/p' "$CONF")
FL_STOP=$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")
fl_cli() { dcli "$@"; }
fl_track() { eng_track_redis; }

# The data directory on a small tmpfs, so that it can fill up.
TMPFS=0
if [ "$(id -u)" = 0 ]; then
	dcli save >/dev/null
	sh -c "$FL_STOP" >/dev/null 2>&1
	cp -a "$FL_DATA" "$TMP/redis.copy"
	if mount -t tmpfs -o size=24m tmpfs "$FL_DATA" 2>/dev/null; then
		TMPFS=1
		harness_at_exit "sh -c '$FL_STOP' >/dev/null 2>&1; sleep 0.2; umount -l '$FL_DATA'"
		cp -a "$TMP/redis.copy/." "$FL_DATA/"
	fi
	sh -c "$FL_START" >/dev/null 2>&1
	for _ in $(seq 100); do fl_up && break; sleep 0.05; done
	eng_track_redis
fi
fl_wrap

fl_vs backup
is "$RC" 0 "backup succeeds" || show "$ERR"
ID=$(last_line "$OUT")
B=$(fl_state)
ok "$([ "$(meta "$ID" "m['redis']['key_counts']['chimera-vectors:']")" -ge 400 ]; echo $?)" \
    "the backup holds the documents"

n=0
for fault in stop-fail stop-kill stop-kill-after diskfull readonly start-fail-once \
    start-fail start-kill-before start-kill-after; do
	if { [ "$fault" = diskfull ] || [ "$fault" = readonly ]; } && [ "$TMPFS" = 0 ]; then
		skip 5 "the data directory is not on a tmpfs (needs root)"
		continue
	fi
	n=$((n + 1))
	fl_change "$n"
	fl_fault "$fault" "$ID" "$B"
	if [ "$fault" = stop-fail ]; then
		# Redis was never stopped: rolling back the index files needs no stop.
		like "$FL_ERR" "failed: redis.stop_command failed .*; the live state was rolled back to the safety backup" \
		    "$fault: the rollback does not need the stop command that failed" || show "$FL_ERR"
	fi
done

# --- Redis refuses SHUTDOWN to vsbackup's user, and no stop command is set ---
# Refused by the pre-flight, before anything changes.
fl_change 99
P=$(fl_state)
cp "$FL_CONF" "$TMP/conf.wrapped"
sed -i '/^[[:space:]]*stop_command = /d' "$FL_CONF"
dcli acl setuser default -shutdown >/dev/null
fl_vs restore "$ID" --yes
is "$RC" 2 "shutdown-denied: refused by the pre-flight (exit 2)" || show "$ERR"
dcli acl setuser default +shutdown >/dev/null
ok "$(fl_up; echo $?)" "shutdown-denied: Redis serves at the end"
is "$(fl_state)" "$P" "shutdown-denied: the data is exactly that of before"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "shutdown-denied: no journal is left"
cp "$TMP/conf.wrapped" "$FL_CONF"

done_testing
