#!/bin/bash
# retention_s3: S3 keeps its own numbers. With daily 7 / weekly 1 locally
# and daily 2 / weekly 3 in S3, the same backups are kept in one location
# and deleted in the other, both ways round; a key missing from
# retention_s3 (monthly here) follows the local value, not the built-in
# default. Checked on the dry run's rows (decisions and reasons worked out
# by hand), then on what each location holds after the real run, and every
# kept backup still verifies where it is.
# Covers src/jobs/job-cleanup.c (policy per location) and the retention_s3
# fallback of src/config/conf.c, with the S3 driver behind the
# signature-checking proxy.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
. "$TESTS_DIR/lib/cleanup-lib.sh"

s3_setup
cleanup_sandbox
# monthly = 1 locally; the built-in default is 6 months, which would keep
# 2024-01-01 in S3 at the moment below.
cleanup_conf "$TMP/vsbackup.conf" \
    'retention = { daily = 7; weekly = 1; monthly = 1; };' \
    'retention_s3 = { daily = 2; weekly = 3; };'
AT=2024-02-06T12:00:00Z

# Monday 2024-01-01 (monthly), then every day from Monday 01-29 (weekly)
# to Tuesday 02-06; 02-01 is monthly, 02-05 weekly.
bk 2024-01-01T02:00:00Z
day=2024-01-29
while [[ $day < 2024-02-07 ]]; do
	bk "${day}T02:00:00Z"
	day=$(date -u -d "$day + 1 day" +%F)
done
s3_snapshot
table_is "$(s3_ids)" "$(local_ids)" "ten backups, each in backup_dir and in S3"

# Worked out by hand for 2024-02-06T12:00:00Z. Locally a daily lasts to
# created + 7 d, a weekly + 7 d, a monthly + 1 month; in S3 a daily lasts
# to created + 2 d, a weekly + 21 d, a monthly + 1 month. 02-01 02:00 + 1 month
# is 03-01 02:00: 23 d 14 h after 02-06 12:00 in the leap year 2024.
EXPECTED=$(expand_rows <<'EOF'
both  20240101_020000 monthly delete expired expired: monthly older than 1 month
local 20240129_020000 weekly delete expired expired: weekly older than 1 week
s3    20240129_020000 weekly keep within-retention weekly, kept 3 weeks, 13 days left
local 20240130_020000 daily delete expired expired: daily older than 7 days
s3    20240130_020000 daily delete expired expired: daily older than 2 days
local 20240131_020000 daily keep within-retention daily, kept 7 days, 14 hours left
s3    20240131_020000 daily delete expired expired: daily older than 2 days
both  20240201_020000 monthly keep within-retention monthly, kept 1 month, 24 days left
local 20240202_020000 daily keep within-retention daily, kept 7 days, 3 days left
s3    20240202_020000 daily delete expired expired: daily older than 2 days
local 20240203_020000 daily keep within-retention daily, kept 7 days, 4 days left
s3    20240203_020000 daily delete expired expired: daily older than 2 days
local 20240204_020000 daily keep within-retention daily, kept 7 days, 5 days left
s3    20240204_020000 daily delete expired expired: daily older than 2 days
local 20240205_020000 weekly keep within-retention weekly, kept 1 week, 6 days left
s3    20240205_020000 weekly keep within-retention weekly, kept 3 weeks, 20 days left
local 20240206_020000 daily keep within-retention daily, kept 7 days, 7 days left
s3    20240206_020000 daily keep within-retention daily, kept 2 days, 2 days left
EOF
)
vs --json cleanup --dry-run --at "$AT" > "$TMP/dry.json" 2>"$TMP/err"
ok $? "cleanup --dry-run --json --at $AT" || sed 's/^/# /' "$TMP/err"
table_is "$(plan_rows < "$TMP/dry.json" | sort -k1,1 -k2,2)" "$EXPECTED" \
    "each location decides by its own numbers, as worked out by hand"

vs -q cleanup --at "$AT" 2>"$TMP/err"
ok $? "cleanup --at $AT" || sed 's/^/# /' "$TMP/err"
keeps() { echo "$EXPECTED" | awk -v l="$1" '$1 == l && $4 == "keep" { print $2 }'; }
s3_snapshot
table_is "$(local_ids)" "$(keeps local)" "backup_dir keeps what its policy keeps"
table_is "$(s3_ids)" "$(keeps s3)" "S3 keeps what retention_s3 keeps"
# list merges both locations: where each backup is now.
where=$(vs --json list 2>/dev/null | tail -1 | $PY -c 'import json, sys
for b in json.load(sys.stdin):
    print(b["id"], b["location"])')
table_is "$(echo "$where" | grep -E '^2024(0129|0131|0204|0205)_')" \
    "$(printf '%s\n' '20240129_020000 s3' '20240131_020000 local' '20240204_020000 local' '20240205_020000 both')" \
    "list: 01-29 now only in S3, 01-31 and 02-04 only local, 02-05 in both"

bad=
for id in $(keeps local); do
	at "$AT" -q verify "$id" >/dev/null 2>>"$TMP/verify.err" || bad="$bad $id"
done
for id in $(keeps s3); do
	at "$AT" -q verify "$id" --from s3 >/dev/null 2>>"$TMP/verify.err" || bad="$bad s3:$id"
done
is "$bad" "" "every kept backup verifies where it is" || sed 's/^/# /' "$TMP/verify.err"

# Without retention_s3, S3 follows the local numbers again.
cleanup_conf "$TMP/same.conf" 'retention = { daily = 7; weekly = 1; monthly = 1; };'
vs --json cleanup --dry-run --at "$AT" > "$TMP/same.json" 2>"$TMP/err"
table_is "$(plan_rows < "$TMP/same.json" | awk '$1 == "s3"' | cut -d' ' -f2,4,6-)" \
    "$(printf '%s\n' '20240129_020000 delete expired: weekly older than 1 week' \
        '20240201_020000 keep monthly, kept 1 month, 24 days left' \
        '20240205_020000 keep weekly, kept 1 week, 6 days left' \
        '20240206_020000 keep daily, kept 7 days, 7 days left')" \
    "without retention_s3, S3 follows the local numbers"
is "$(proxy_ctl log | grep -Ec '^[A-Z]+ (400|403) ')" 0 "the proxy rejected no request's signature"

# S3 unreachable (the proxy stopped): backup_dir is still cleaned up, S3 is
# reported as not done, and the exit status says something failed. On
# 02-20 12:00 only the monthly 02-01 (to 03-01) is within its schedule;
# 02-06, verified above, stays as the newest verified backup.
kill "$S3_PROXY_PID"
wait "$S3_PROXY_PID" 2>/dev/null
# One attempt: retrying a refused connection would only make this slower.
cleanup_conf "$TMP/down.conf" 's3.max_attempts = 1;' \
    'retention = { daily = 7; weekly = 1; monthly = 1; };' \
    'retention_s3 = { daily = 2; weekly = 3; };'
vs cleanup --at 2024-02-20T12:00:00Z > "$TMP/out" 2>"$TMP/err"
is "$?" 1 "with S3 unreachable, cleanup exits 1"
like "$(cat "$TMP/err")" "S3 was not cleaned up: " "  saying S3 was not cleaned up"
table_is "$(local_ids)" "$(printf '%s\n' 20240201_020000 20240206_020000)" "  backup_dir was cleaned up all the same"
vs cleanup --at 2024-02-20T12:00:00Z --location s3 > "$TMP/out" 2>"$TMP/err"
is "$?" 1 "cleanup --location s3 with S3 unreachable exits 1"
S3_ENDPOINT=$S3RVER_ENDPOINT s3_snapshot
table_is "$(s3_ids)" "$(keeps s3)" "  and nothing in S3 was touched"

done_testing
