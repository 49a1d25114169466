#!/bin/bash
# The "nothing lost" fault matrix of restore-faults.sh against Redis as
# Debian runs it: its own system user, a data directory it owns (0750),
# appendonly yes, vsbackup as root. After every fault the end state is the
# backup's data or exactly that of before, Redis serves, and every file and
# directory in the data directory (the AOF directory and its files
# included) has its owner and mode.
# Covers src/jobs/job-restore.c, restore-redis.c (place_aof7), place.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/deploy-lib.sh"
. "$(dirname "$0")/../lib/faults-lib.sh"
deploy_require

deploy_redis "$TMP/d" aof
deploy_fill 300 30
deploy_indexes "$TMP/d/indexes" "$DEPLOY_USER:$DEPLOY_USER" 0640
deploy_config "$TMP/d/vsbackup.conf" "backup_dir=\"$TMP/d/backups\""
FL_CONF=$DEPLOY_CONF FL_DATA=$DEPLOY_DATA FL_SOCK=$DEPLOY_SOCK FL_BK=$TMP/d/backups
FL_CI=$DEPLOY_CI FL_UI=$DEPLOY_UI FL_START=$DEPLOY_START FL_STOP=$DEPLOY_STOP
FL_LABEL="aof, own user: "
fl_cli() { dpcli "$@"; }
fl_track() { deploy_track; }
fl_wrap

fl_vs backup
is "$RC" 0 "backup succeeds" || show "$ERR"
ID=$(last_line "$OUT")
B=$(fl_state)

n=0
for fault in stop-fail stop-kill-after start-fail-once start-fail start-kill-before \
    start-kill-after; do
	n=$((n + 1))
	fl_change "$n"
	fl_fault "$fault" "$ID" "$B"
done
is "$(find "$DEPLOY_DATA" -user root | wc -l)" 0 "nothing in the data directory belongs to root"

done_testing
