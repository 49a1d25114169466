#!/bin/bash
# cleanup's options on two weeks of real backups in backup_dir and S3:
# --retain-days, --retain-weekly and --retain-monthly override the
# configured numbers for one run (0: keep none of that type, the guard
# still keeps one); --location local|s3|all decides and deletes in the
# named location only; VSBACKUP_NOW is the moment when --at is not given,
# and --at wins over it; --at and the counts refuse bad values with exit 2,
# a message naming the value, and nothing deleted.
# Covers src/cli/cmd-cleanup.c and src/jobs/job-cleanup.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
. "$TESTS_DIR/lib/cleanup-lib.sh"

s3_setup
cleanup_sandbox
cleanup_conf "$TMP/vsbackup.conf" 'retention = { daily = 7; weekly = 4; monthly = 6; };'
AT=2024-01-14T12:00:00Z

# Monday 2024-01-01 (monthly) to Sunday 01-14; 01-08 is weekly.
day=2024-01-01
while [[ $day < 2024-01-15 ]]; do
	bk "${day}T02:00:00Z"
	day=$(date -u -d "$day + 1 day" +%F)
done
ALL=$(local_ids)
s3_snapshot
table_is "$(s3_ids)" "$ALL" "fourteen backups, each in backup_dir and in S3"

# dry [ARGS]: the rows of cleanup --dry-run --json ARGS as "location id
# action reason_code reason".
dry() {
	vs --json cleanup --dry-run "$@" 2>"$TMP/err" | plan_rows | cut -d' ' -f1,2,4- |
	    sort -k1,1 -k2,2
}
# run ARGS: cleanup ARGS, stdout in $out, stderr in $TMP/err, status in $rc.
run() {
	vs cleanup "$@" > "$TMP/out" 2>"$TMP/err"
	rc=$?
	out=$(cat "$TMP/out")
}
# both: a table of "id action reason_code reason", as rows of each location
both() { grep -v '^$' | while read -r l; do echo "local $l"; echo "s3 $l"; done | sort -k1,1 -k2,2; }

# --- the configured numbers --------------------------------------------------------
# At 01-14 12:00 a daily made before 01-07 12:00 is older than 7 days; the
# weekly 01-08 lasts to 02-05 02:00, the monthly 01-01 to 07-01 02:00
# (168 d 14 h on, 2024 being a leap year).
table_is "$(dry --at "$AT")" "$(both <<'EOF'
20240101_020000 keep within-retention monthly, kept 6 months, 169 days left
20240102_020000 delete expired expired: daily older than 7 days
20240103_020000 delete expired expired: daily older than 7 days
20240104_020000 delete expired expired: daily older than 7 days
20240105_020000 delete expired expired: daily older than 7 days
20240106_020000 delete expired expired: daily older than 7 days
20240107_020000 delete expired expired: daily older than 7 days
20240108_020000 keep within-retention weekly, kept 4 weeks, 22 days left
20240109_020000 keep within-retention daily, kept 7 days, 2 days left
20240110_020000 keep within-retention daily, kept 7 days, 3 days left
20240111_020000 keep within-retention daily, kept 7 days, 4 days left
20240112_020000 keep within-retention daily, kept 7 days, 5 days left
20240113_020000 keep within-retention daily, kept 7 days, 6 days left
20240114_020000 keep within-retention daily, kept 7 days, 7 days left
EOF
)" "the configured numbers, in both locations"

# --- overrides ------------------------------------------------------------------------
# --retain-days 3: a daily lasts while made after 01-11 12:00.
table_is "$(dry --at "$AT" --retain-days 3)" "$(both <<'EOF'
20240101_020000 keep within-retention monthly, kept 6 months, 169 days left
20240102_020000 delete expired expired: daily older than 3 days
20240103_020000 delete expired expired: daily older than 3 days
20240104_020000 delete expired expired: daily older than 3 days
20240105_020000 delete expired expired: daily older than 3 days
20240106_020000 delete expired expired: daily older than 3 days
20240107_020000 delete expired expired: daily older than 3 days
20240108_020000 keep within-retention weekly, kept 4 weeks, 22 days left
20240109_020000 delete expired expired: daily older than 3 days
20240110_020000 delete expired expired: daily older than 3 days
20240111_020000 delete expired expired: daily older than 3 days
20240112_020000 keep within-retention daily, kept 3 days, 14 hours left
20240113_020000 keep within-retention daily, kept 3 days, 2 days left
20240114_020000 keep within-retention daily, kept 3 days, 3 days left
EOF
)" "--retain-days 3 overrides retention.daily, in both locations"
# One week lasts to 01-15 02:00; one month to 02-01 02:00 (17 d 14 h on).
table_is "$(dry --at "$AT" --retain-weekly 1 --retain-monthly 1 | grep -E ' 2024010[18]_')" "$(both <<'EOF'
20240101_020000 keep within-retention monthly, kept 1 month, 18 days left
20240108_020000 keep within-retention weekly, kept 1 week, 14 hours left
EOF
)" "--retain-weekly 1 and --retain-monthly 1 override weekly and monthly"
# 0 keeps none of a type: everything is expired, and only the guard keeps
# the newest complete backup.
table_is "$(dry --at "$AT" --retain-days 0 --retain-weekly 0 --retain-monthly 0)" "$(both <<'EOF'
20240101_020000 delete expired expired: monthly backups are not kept (monthly = 0)
20240102_020000 delete expired expired: daily backups are not kept (daily = 0)
20240103_020000 delete expired expired: daily backups are not kept (daily = 0)
20240104_020000 delete expired expired: daily backups are not kept (daily = 0)
20240105_020000 delete expired expired: daily backups are not kept (daily = 0)
20240106_020000 delete expired expired: daily backups are not kept (daily = 0)
20240107_020000 delete expired expired: daily backups are not kept (daily = 0)
20240108_020000 delete expired expired: weekly backups are not kept (weekly = 0)
20240109_020000 delete expired expired: daily backups are not kept (daily = 0)
20240110_020000 delete expired expired: daily backups are not kept (daily = 0)
20240111_020000 delete expired expired: daily backups are not kept (daily = 0)
20240112_020000 delete expired expired: daily backups are not kept (daily = 0)
20240113_020000 delete expired expired: daily backups are not kept (daily = 0)
20240114_020000 keep newest-complete newest complete backup
EOF
)" "--retain-days/weekly/monthly 0: all expired, the newest complete backup stays"
for bad in "--retain-days -1" "--retain-weekly x" "--retain-monthly 100001" "--retain-days 3d"; do
	run --at "$AT" $bad
	is "$rc $out" "2 " "$bad (no dry run): exit 2, no table"
	like "$(cat "$TMP/err")" "'${bad#* }' is not a number of days, weeks or months \(0 to 100000\)" "  the message names the value"
done

# --- --location ---------------------------------------------------------------------
full=$(dry --at "$AT")
table_is "$(dry --at "$AT" --location local)" "$(echo "$full" | grep '^local ')" "--location local: the local rows only"
table_is "$(dry --at "$AT" --location s3)" "$(echo "$full" | grep '^s3 ')" "--location s3: the S3 rows only"
table_is "$(dry --at "$AT" --location all)" "$full" "--location all: both"
run --at "$AT" --location both
is "$rc $out" "2 " "--location both: exit 2, no table"
like "$(cat "$TMP/err")" "--location takes local, s3 or all" "  saying what it takes"

# --- the moment: VSBACKUP_NOW, --at --------------------------------------------------
VSBACKUP_NOW=$AT vs --json cleanup --dry-run 2>/dev/null | tail -1 > "$TMP/now.json"
vs --json cleanup --dry-run --at "$AT" 2>/dev/null | tail -1 > "$TMP/at.json"
cmp -s "$TMP/now.json" "$TMP/at.json"
ok $? "without --at, VSBACKUP_NOW is the moment (the same JSON as --at, ages too)"
VSBACKUP_NOW=2030-01-01T00:00:00Z vs --json cleanup --dry-run --at "$AT" 2>/dev/null | tail -1 > "$TMP/both.json"
cmp -s "$TMP/both.json" "$TMP/at.json"
ok $? "--at wins over VSBACKUP_NOW"
# Three days later 01-09 and 01-10 have expired too.
is "$(VSBACKUP_NOW=2024-01-17T12:00:00Z vs --json cleanup --dry-run --location local 2>/dev/null |
    plan_rows | awk '$4 == "delete" { print $2 }' | tr '\n' ' ')" \
    "20240102_020000 20240103_020000 20240104_020000 20240105_020000 20240106_020000 20240107_020000 20240109_020000 20240110_020000 " \
    "VSBACKUP_NOW three days later: 01-09 and 01-10 expire as well"
like "$(VSBACKUP_NOW=$AT vs cleanup --dry-run --location local 2>&1 | head -1)" \
    "^Retention at $AT \(dry run: nothing is deleted\)$" "the table names the moment"
like "$(vs cleanup --dry-run --location local --at 2024-01-14 2>&1 | head -1)" \
    "^Retention at 2024-01-14T00:00:00Z " "--at YYYY-MM-DD is midnight UTC"

# A VSBACKUP_NOW that is not a date is refused like a bad --at: a typo in it
# must not make cleanup decide at another moment than the one meant.
VSBACKUP_NOW=2024-1-14 vs cleanup --dry-run --location local > "$TMP/out" 2>"$TMP/err"
[ $? = 2 ] && grep -q VSBACKUP_NOW "$TMP/err" && [ ! -s "$TMP/out" ]
ok $? "VSBACKUP_NOW=2024-1-14: exit 2 naming VSBACKUP_NOW, no table"

for bad in 2024-02-30 tomorrow 2024-01-14T25:00:00Z 2024-1-14 "2024-01-14 12:00" ""; do
	run --at "$bad"
	is "$rc $out" "2 " "--at '$bad' (no dry run): exit 2, no table"
	like "$(cat "$TMP/err")" "--at: '$bad' is not a date and time: expected YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD \(UTC\)" \
	    "  the message names the value and the forms taken"
done
s3_snapshot
is "$(local_ids) $(s3_ids)" "$ALL $ALL" "after all that, nothing was deleted anywhere"

# --- real runs, one location at a time -----------------------------------------------
vs -q cleanup --at "$AT" --location local --retain-days 3 2>"$TMP/err"
ok $? "cleanup --location local --retain-days 3" || sed 's/^/# /' "$TMP/err"
s3_snapshot
table_is "$(local_ids)" "$(printf '%s\n' 20240101_020000 20240108_020000 20240112_020000 \
    20240113_020000 20240114_020000)" "  deleted the expired dailies from backup_dir"
table_is "$(s3_ids)" "$ALL" "  and nothing in S3"
VSBACKUP_NOW=2024-01-17T12:00:00Z vs -q cleanup --location s3 2>"$TMP/err"
ok $? "cleanup --location s3 at VSBACKUP_NOW 01-17" || sed 's/^/# /' "$TMP/err"
s3_snapshot
table_is "$(s3_ids)" "$(printf '%s\n' 20240101_020000 20240108_020000 20240111_020000 \
    20240112_020000 20240113_020000 20240114_020000)" "  deleted what was expired in S3 on 01-17 12:00"
is "$(local_ids | wc -l)" 5 "  and nothing in backup_dir"

done_testing
