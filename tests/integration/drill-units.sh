#!/bin/bash
# The weekly restore drill: data/vsbackup-drill.service and
# data/vsbackup-drill.timer pass systemd-analyze verify (skipped, saying
# why, where it is missing); the timer fires weekly after the daily backup
# timer; the crontab line in README runs the service's command at the
# timer's time in UTC. Both are then run for real on a store written by
# Python: the service's ExecStart as the installed unit has it, and the
# crontab line through sh, as cron runs it. A drill that fails makes both
# fail (exit 3), so systemd marks the unit failed and cron mails.
# Covers data/vsbackup-drill.service, data/vsbackup-drill.timer, the
# Scheduling section of README and data/local.am's install of the units.
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/units-lib.sh"
eng_require

SERVICE=$SRC/data/vsbackup-drill.service
TIMER=$SRC/data/vsbackup-drill.timer
BTIMER=$SRC/data/vsbackup-backup.timer
[ -f "$SERVICE" ] && [ -f "$TIMER" ] || bail_out "data/vsbackup-drill.service or .timer is missing"

units_install vsbackup-drill
grep -q 'vsbackup-drill.service' "$SRC/data/local.am"
ok $? "  data/local.am installs it"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(cd "$U" && systemd-analyze verify --man=no ./vsbackup-drill.service \
	    ./vsbackup-drill.timer 2>&1)
	rc=$?
	is "$rc:$out" "0:" "systemd-analyze verify accepts the drill's service and timer"
	cal=$(unit_values "$TIMER" OnCalendar)
	out=$(TZ=UTC systemd-analyze calendar --iterations=2 "$cal" 2>&1)
	first=$(echo "$out" | sed -n 's/.*Next elapse: [A-Z][a-z]* \([0-9-]*\) .*/\1/p')
	second=$(echo "$out" | sed -n 's/.*Iter. #2: [A-Z][a-z]* \([0-9-]*\) .*/\1/p')
	is "$(( ($(date -u -d "$second" +%s) - $(date -u -d "$first" +%s)) / 86400 ))" 7 \
	    "  OnCalendar=$cal fires weekly"
else
	skip "systemd-analyze verify accepts the drill's service and timer" "systemd-analyze is not installed"
	skip "  OnCalendar fires weekly" "systemd-analyze is not installed"
fi
dtime=$(unit_values "$TIMER" OnCalendar | awk '{ print $3 }')
btime=$(unit_values "$BTIMER" OnCalendar | awk '{ print $2 }')
ok "$([[ $dtime > $btime ]]; echo $?)" "the drill ($dtime) runs after the daily backup ($btime), UTC"
like "$(unit_values "$SERVICE" After)" "vsbackup-backup.service" "  and is ordered after the backup service"
is "$(unit_values "$SERVICE" Type)" oneshot "the service is oneshot"
cmd=$(unit_values "$SERVICE" ExecStart | sed 's|^@bindir@/||')
is "$cmd" "vsbackup -q drill latest" "it drills the newest backup, quietly"

# README: the drill's line in the crontab block after CRON_TZ=UTC.
cron=$(sed -n '/^ *CRON_TZ=UTC$/,/^$/p' "$SRC/README" | grep ' drill ' | sed 's/^ *//')
like "$cron" '^[0-9]+ [0-9]+ \* \* [0-7] root ' "README has a weekly crontab line for the drill: $cron"
read -r c_min c_hour _ _ c_dow c_user c_cmd <<< "$cron"
dow=$(unit_values "$TIMER" OnCalendar | awk '{ print $1 }')
is "$(printf '%s %02d:%02d:00' "$c_dow" "$c_hour" "$c_min")" \
    "$(case $dow in Sun) echo 0 ;; Mon) echo 1 ;; Sat) echo 6 ;; *) echo "$dow" ;; esac) $dtime" \
    "  on the timer's day and time"
is "$(echo "$c_cmd" | sed 's|^/usr/bin/||')" "$cmd" "  running the service's command"

# --- run for real ----------------------------------------------------------------
start_redis "$TMP/live" || bail_out "cannot start redis-server"
mkdir -p "$TMP/faiss"
write_config "$TMP/vs.conf"
export VSBACKUP_CONFIG=$TMP/vs.conf
"$PY" "$TESTS_DIR/lib/drill-data.py" "$REDIS_SOCK" "$TMP/faiss/content_index.faiss" \
    "$TMP/faiss/user_index.faiss" --content 100 --users 10 || bail_out "drill-data.py failed"
"$VSBACKUP" -q backup > /dev/null || bail_out "backup failed"
line=$(unit_values "$U/vsbackup-drill.service" ExecStart)
out=$($line 2>&1)
is "$?" 0 "the service's command drills the newest backup" || echo "$out" | sed 's/^/#   /'
like "$out" "drilled: ok" "  and says so in one line"
out=$(sh -c "${c_cmd//\/usr\/bin\/vsbackup/$VSBACKUP}" 2>&1)
is "$?" 0 "the crontab line does too"
is "$(ls -A "$TMP/backups/.drill")" "" "no sandbox is left"

# A backup whose index lost documents' ids: both fail, with exit 3.
"$PY" "$TESTS_DIR/lib/drill-data.py" "$REDIS_SOCK" "$TMP/faiss/content_index.faiss" \
    "$TMP/faiss/user_index.faiss" --content 100 --users 10 --drop 2 || bail_out "drill-data.py failed"
VSBACKUP_NOW=$(date -u -d '+1 min' +%Y-%m-%dT%H:%M:%SZ) "$VSBACKUP" -q backup > /dev/null ||
    bail_out "backup failed"
out=$($line 2>&1)
is "$?" 3 "a failing drill fails the service's command (exit 3)"
like "$out" "FAIL +ids of chimera-vectors: in the index +2 of 100" "  naming the check, with -q too"
sh -c "${c_cmd//\/usr\/bin\/vsbackup/$VSBACKUP}" > /dev/null 2>&1
is "$?" 3 "  and the crontab line"

done_testing
