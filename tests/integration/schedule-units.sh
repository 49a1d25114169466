#!/bin/bash
# The schedule: data/vsbackup-backup.service and data/vsbackup-backup.timer
# pass systemd-analyze verify (skipped, saying why, where it is missing);
# the crontab line in README runs the same commands as the service's
# ExecStart lines, in the same order, the second only after the first
# succeeded, at the timer's time in UTC. Then six weeks of nights are run
# for real on a demo sandbox with VSBACKUP_NOW at the scheduled time: the
# service's ExecStart commands as the unit file has them for four weeks,
# the crontab line from README (through sh, as cron runs it) for two more,
# one night of which the backup fails and so nothing is cleaned up. What is
# left is the set of backups the policy keeps, worked out by hand.
# Covers data/vsbackup-backup.service, data/vsbackup-backup.timer and the
# Scheduling section of README, with cmd-backup.c and cmd-cleanup.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/cleanup-lib.sh"
. "$TESTS_DIR/lib/units-lib.sh"

SERVICE=$SRC/data/vsbackup-backup.service
TIMER=$SRC/data/vsbackup-backup.timer
[ -f "$SERVICE" ] && [ -f "$TIMER" ] && [ -f "$SRC/README" ] ||
    bail_out "data/vsbackup-backup.service, data/vsbackup-backup.timer or README is missing"

# --- the units as installed -----------------------------------------------------------
# Installed as data/local.am does it: @bindir@ replaced. Here bindir is the
# build directory, so the ExecStart programs exist.
units_install vsbackup-backup
if command -v systemd-analyze >/dev/null 2>&1; then
	# It exits 0 even for unknown keys, which it only reports: any output
	# counts as a failure too.
	out=$(cd "$U" && systemd-analyze verify --man=no ./vsbackup-backup.service \
	    ./vsbackup-backup.timer 2>&1)
	rc=$?
	is "$rc:$out" "0:" "systemd-analyze verify accepts the service and the timer"
	cal=$(unit_values "$TIMER" OnCalendar)
	out=$(TZ=UTC systemd-analyze calendar --iterations=2 "$cal" 2>&1)
	like "$out" 'Next elapse: [A-Z][a-z]{2} [0-9-]{10} 02:15:00 UTC' "  OnCalendar=$cal is at 02:15:00 UTC" &&
	like "$(echo "$out" | grep 'Iter. #2')" '02:15:00 UTC' "  every day"
else
	skip "systemd-analyze verify accepts the service and the timer" "systemd-analyze is not installed"
	skip "  OnCalendar is at 02:15:00 UTC every day" "systemd-analyze is not installed"
fi

# --- the service and the crontab line agree ----------------------------------------
# ExecStart lines: "@bindir@/vsbackup ARGS" -> "vsbackup ARGS". A leading
# "-" would make systemd ignore a failure and run the next line anyway.
exec_lines=$(unit_values "$SERVICE" ExecStart)
is "$(unit_values "$U/vsbackup-backup.service" ExecStart | grep -c '^[-@:+!]')" 0 \
    "no ExecStart line has a prefix (- would ignore a failure)"
is "$(unit_values "$SERVICE" Type)" oneshot "the service is oneshot: ExecStart lines run one after the other, stopping at a failure"
is "$(unit_values "$SERVICE" User)" "" "  as root (no User=), as the crontab line"
service_cmds=$(echo "$exec_lines" | sed 's|^@bindir@/||')
is "$(echo "$service_cmds" | tr '\n' ';')" "vsbackup -q backup;vsbackup -q cleanup;" \
    "the service runs backup, then cleanup"
unit=$(unit_values "$TIMER" Unit)
is "${unit:-vsbackup-backup.service}" vsbackup-backup.service "the timer starts that service"

# README: "CRON_TZ=UTC" then "M H * * * USER COMMAND".
cron=$(sed -n '/^ *CRON_TZ=UTC$/{n;p;}' "$SRC/README" | sed 's/^ *//')
like "$cron" '^[0-9]+ [0-9]+ \* \* \* root ' "README has a crontab line after CRON_TZ=UTC: $cron"
read -r c_min c_hour _ _ _ c_user c_cmd <<< "$cron"
is "$(printf '%02d:%02d:00 UTC' "$c_hour" "$c_min")" "$(unit_values "$TIMER" OnCalendar | sed 's/^\*-\*-\* //')" \
    "  at the timer's time, in UTC like the timer"
cron_cmds=$(echo "$c_cmd" | sed 's/ *&& */\n/g' | sed 's|^/usr/bin/||')
is "$cron_cmds" "$service_cmds" "  running the service's ExecStart commands, in order"
is "$(echo "$c_cmd" | grep -o '&&\|;\|||' | tr '\n' ' ')" "&& " \
    "  joined by && : cleanup only after a successful backup, as in the oneshot service"

# --- six weeks of nights ----------------------------------------------------------------
cleanup_sandbox
cleanup_conf "$TMP/vsbackup.conf" 'retention = { daily = 7; weekly = 4; monthly = 2; };'
# The units give no -c: the configuration comes from the default path,
# here VSBACKUP_CONFIG.
export VSBACKUP_CONFIG=$C
: > "$TMP/night.err"
# The service: each ExecStart line of the installed unit in turn, stopping
# at the first failure.
night_service() {
	local line
	while IFS= read -r line; do
		VSBACKUP_NOW=$1 $line >> "$TMP/night.out" 2>> "$TMP/night.err" || return 1
	done <<< "$(unit_values "$U/vsbackup-backup.service" ExecStart)"
}
# cron: the command part of the README line, through sh.
night_cron() {
	VSBACKUP_NOW=$1 sh -c "${c_cmd//\/usr\/bin\/vsbackup/$VSBACKUP}" \
	    >> "$TMP/night.out" 2>> "$TMP/night.err"
}
max=0
day=2024-01-01
while [[ $day < 2024-02-12 ]]; do
	if [[ $day < 2024-01-29 ]]; then
		night_service "${day}T02:15:00Z" || bail_out "the service's commands failed on $day"
	elif [ "$day" = 2024-02-09 ]; then
		# The content index is missing: the backup fails.
		before=$(local_ids)
		mv "$D/indexes/content_index.faiss" "$TMP/content_index.faiss"
		night_cron "${day}T02:15:00Z"
		is $? 1 "on 02-09 the backup fails, and so does the crontab command"
		mv "$TMP/content_index.faiss" "$D/indexes/content_index.faiss"
		# A cleanup at 02-09 02:15 would have deleted 02-02's daily.
		is "$(local_ids)" "$before" "  and nothing was cleaned up that night"
		like "$(cat "$TMP/night.err")" 'cannot open faiss.content_index' "  the failure is on stderr, for cron's mail"
		: > "$TMP/night.err"
	else
		night_cron "${day}T02:15:00Z" || bail_out "the crontab command failed on $day"
	fi
	n=$(local_ids | wc -l)
	[ "$n" -gt "$max" ] && max=$n
	day=$(date -u -d "$day + 1 day" +%F)
done
is "$(cat "$TMP/night.err")" "" "the other nights wrote nothing to stderr"
# Worked out by hand for 2024-02-11 02:15 (the last cleanup): dailies made
# after 02-04 02:15 (02-04 itself expires at that very second), weeklies
# after 01-14 02:15, monthlies after 2023-12-11 02:15; 02-09 has none.
table_is "$(local_ids)" "$(printf '%s_021500\n' 20240101 20240115 20240122 20240129 20240201 \
    20240205 20240206 20240207 20240208 20240210 20240211)" \
    "after six weeks: what the policy keeps, and nothing else"
# At most a week of nights (7), the three older weeklies of the last four
# weeks and the two older monthlies: 02-08 had those 12.
is "$max" 12 "backup_dir never held more than 12 backups after a night"
at 2024-02-11T03:00:00Z -q verify 20240211_021500 >/dev/null
ok $? "the newest backup verifies"

done_testing
