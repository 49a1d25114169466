#!/bin/bash
# Retention end to end on a calendar of real backups, in backup_dir and in
# S3 (s3rver behind the signature-checking proxy): ten weeks of daily
# backups (monthly on the 1st, weekly on Mondays), a manual one, two
# pre-restore ones made by real restores, backups pinned in one location,
# backups verified at their time, a backup directory left unfinished as a
# killed backup leaves it and an S3 prefix without metadata.json as an
# interrupted upload leaves it. Each location is shaped on its own
# (backups not uploaded, deleted from one side, pinned or verified on one
# side only). cleanup --dry-run --json at a chosen moment must give, row by
# row, the decision and the reason written out by hand below; the real run
# at that moment must delete exactly those backups from each location, and
# every backup it keeps must still verify.
# Covers src/cli/cmd-cleanup.c, src/jobs/job-cleanup.c and, through them,
# src/retention/retention.c, cmd-pin.c, job-pin.c and catalog.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
. "$TESTS_DIR/lib/cleanup-lib.sh"

s3_setup
cleanup_sandbox
# Local and S3 follow the same numbers here (no retention_s3).
cleanup_conf "$TMP/vsbackup.conf" \
    'retention = { daily = 7; weekly = 4; monthly = 2; pre_restore_days = 7; manual_days = 0; };'
AT=2024-03-10T12:00:00Z

# --- the calendar ---------------------------------------------------------
# Every day from Monday 2024-01-01 to Sunday 2024-03-10 at 02:00 UTC; the
# type comes from the schedule. What else happens on a day follows it.
day=2024-01-01
while [[ $day < 2024-03-11 ]]; do
	case $day in
	# The two newest dailies never reached S3.
	2024-03-09|2024-03-10) bk "${day}T02:00:00Z" --no-upload ;;
	*) bk "${day}T02:00:00Z" ;;
	esac
	case $day in
	2024-01-08)
		# Verified locally only; an older verified backup than the next.
		at 2024-01-08T03:00:00Z -q verify 20240108_020000 >/dev/null ||
		    bail_out "verify of 20240108_020000 failed"
		;;
	2024-01-15)
		# Verified in both locations.
		at 2024-01-15T03:00:00Z -q verify 20240115_020000 >/dev/null &&
		    at 2024-01-15T03:05:00Z -q verify 20240115_020000 --from s3 >/dev/null ||
		    bail_out "verify of 20240115_020000 failed"
		;;
	2024-01-20)
		bk 2024-01-20T15:30:00Z --type manual
		;;
	2024-01-22)
		# Verified in S3 only: S3's newest verified backup.
		at 2024-01-22T03:00:00Z -q verify 20240122_020000 --from s3 >/dev/null ||
		    bail_out "verify --from s3 of 20240122_020000 failed"
		;;
	2024-02-05)
		# Gone from backup_dir (say, deleted by hand), still in S3.
		at 2024-02-05T09:00:00Z -q delete 20240205_020000 --yes --location local ||
		    bail_out "delete --location local failed"
		;;
	2024-02-10|2024-03-06)
		# A real restore takes a pre-restore safety backup of the live
		# state at that moment (kept local; the second one is uploaded).
		# A restore records the verification it passed on the backup it
		# restores: restoring the already verified 01-08 leaves 01-15 the
		# newest verified backup in backup_dir.
		at "${day}T10:00:00Z" -q restore 20240108_020000 --yes >/dev/null 2>"$TMP/err" ||
		    { sed 's/^/# /' "$TMP/err"; bail_out "restore on $day failed"; }
		;;
	esac
	day=$(date -u -d "$day + 1 day" +%F)
done
at 2024-03-06T11:00:00Z -q upload 20240306_100000 >/dev/null ||
    bail_out "upload of the pre-restore backup failed"
# Pinned in backup_dir only: its S3 copy follows the schedule; and the
# other way round.
at 2024-01-05T08:00:00Z -q pin 20240105_020000 --location local &&
    at 2024-01-10T08:00:00Z -q pin 20240110_020000 --location s3 ||
    bail_out "pin failed"
# A backup killed while it copied leaves ID.partial without metadata.json
# (it is written last).
bk 2024-03-10T06:00:00Z --no-upload
mv "$B/20240310_060000" "$B/20240310_060000.partial" &&
    rm "$B/20240310_060000.partial/metadata.json" ||
    bail_out "could not make the unfinished backup directory"
# An upload interrupted before metadata.json leaves data objects only (put
# straight into s3rver with curl, which starts much faster than the AWS CLI).
for f in redis.rdb content_index.faiss; do
	curl -fsS -o /dev/null -T "$B/20240310_020000/$f" \
	    "$S3RVER_ENDPOINT/$S3_BUCKET/$S3_PREFIX/20240310_070000/$f" ||
	    bail_out "could not make the unfinished S3 prefix"
done
s3_snapshot
is "$(s3_keys 20240310_070000)" "content_index.faiss redis.rdb" "an S3 prefix with data objects and no metadata.json"
before_local=$(local_ids)
before_s3=$(s3_ids)
is "$(echo "$before_local" | wc -l) $(echo "$before_s3" | wc -l)" "73 71" \
    "a calendar of 73 backups in backup_dir and 71 in S3"

# --- the expected decisions, worked out by hand ------------------------------
# At 2024-03-10T12:00:00Z with daily 7, weekly 4, monthly 2 months,
# pre-restore 7 days, manual until deleted:
#   daily kept while created + 7 d > now: from 2024-03-05 02:00 on
#     (03-05 expires 03-12 02:00, 38 h away: rounds to 2 days).
#   weekly kept from 2024-02-12 on (expires 03-11 02:00: 14 hours left).
#   monthly 01-01 expired on 03-01 02:00; 02-01 lasts to 04-01 02:00
#     (21 d 14 h: 22 days), 03-01 to 05-01 02:00 (51 d 14 h: 52 days).
#   pre-restore 02-10 10:00 expired on 02-17; 03-06 10:00 lasts to 03-13
#     10:00 (70 h: 3 days).
#   Guards: locally the newest verified backup is 01-15 (01-08 is older,
#     01-22 is verified in S3 only); in S3 it is 01-22.
# location id type action reason_code reason ("both": the same in each).
EXPECTED=$(expand_rows <<'EOF'
both  20240101_020000 monthly delete expired expired: monthly older than 2 months
both  20240102_020000 daily delete expired expired: daily older than 7 days
both  20240103_020000 daily delete expired expired: daily older than 7 days
both  20240104_020000 daily delete expired expired: daily older than 7 days
local 20240105_020000 daily keep pinned pinned
s3    20240105_020000 daily delete expired expired: daily older than 7 days
both  20240106_020000 daily delete expired expired: daily older than 7 days
both  20240107_020000 daily delete expired expired: daily older than 7 days
both  20240108_020000 weekly delete expired expired: weekly older than 4 weeks
both  20240109_020000 daily delete expired expired: daily older than 7 days
local 20240110_020000 daily delete expired expired: daily older than 7 days
s3    20240110_020000 daily keep pinned pinned
both  20240111_020000 daily delete expired expired: daily older than 7 days
both  20240112_020000 daily delete expired expired: daily older than 7 days
both  20240113_020000 daily delete expired expired: daily older than 7 days
both  20240114_020000 daily delete expired expired: daily older than 7 days
local 20240115_020000 weekly keep newest-verified newest verified backup
s3    20240115_020000 weekly delete expired expired: weekly older than 4 weeks
both  20240116_020000 daily delete expired expired: daily older than 7 days
both  20240117_020000 daily delete expired expired: daily older than 7 days
both  20240118_020000 daily delete expired expired: daily older than 7 days
both  20240119_020000 daily delete expired expired: daily older than 7 days
both  20240120_020000 daily delete expired expired: daily older than 7 days
both  20240120_153000 manual keep manual manual, kept until deleted
both  20240121_020000 daily delete expired expired: daily older than 7 days
local 20240122_020000 weekly delete expired expired: weekly older than 4 weeks
s3    20240122_020000 weekly keep newest-verified newest verified backup
both  20240123_020000 daily delete expired expired: daily older than 7 days
both  20240124_020000 daily delete expired expired: daily older than 7 days
both  20240125_020000 daily delete expired expired: daily older than 7 days
both  20240126_020000 daily delete expired expired: daily older than 7 days
both  20240127_020000 daily delete expired expired: daily older than 7 days
both  20240128_020000 daily delete expired expired: daily older than 7 days
both  20240129_020000 weekly delete expired expired: weekly older than 4 weeks
both  20240130_020000 daily delete expired expired: daily older than 7 days
both  20240131_020000 daily delete expired expired: daily older than 7 days
both  20240201_020000 monthly keep within-retention monthly, kept 2 months, 22 days left
both  20240202_020000 daily delete expired expired: daily older than 7 days
both  20240203_020000 daily delete expired expired: daily older than 7 days
both  20240204_020000 daily delete expired expired: daily older than 7 days
s3    20240205_020000 weekly delete expired expired: weekly older than 4 weeks
both  20240206_020000 daily delete expired expired: daily older than 7 days
both  20240207_020000 daily delete expired expired: daily older than 7 days
both  20240208_020000 daily delete expired expired: daily older than 7 days
both  20240209_020000 daily delete expired expired: daily older than 7 days
both  20240210_020000 daily delete expired expired: daily older than 7 days
local 20240210_100000 pre-restore delete expired expired: pre-restore older than 7 days
both  20240211_020000 daily delete expired expired: daily older than 7 days
both  20240212_020000 weekly keep within-retention weekly, kept 4 weeks, 14 hours left
both  20240213_020000 daily delete expired expired: daily older than 7 days
both  20240214_020000 daily delete expired expired: daily older than 7 days
both  20240215_020000 daily delete expired expired: daily older than 7 days
both  20240216_020000 daily delete expired expired: daily older than 7 days
both  20240217_020000 daily delete expired expired: daily older than 7 days
both  20240218_020000 daily delete expired expired: daily older than 7 days
both  20240219_020000 weekly keep within-retention weekly, kept 4 weeks, 8 days left
both  20240220_020000 daily delete expired expired: daily older than 7 days
both  20240221_020000 daily delete expired expired: daily older than 7 days
both  20240222_020000 daily delete expired expired: daily older than 7 days
both  20240223_020000 daily delete expired expired: daily older than 7 days
both  20240224_020000 daily delete expired expired: daily older than 7 days
both  20240225_020000 daily delete expired expired: daily older than 7 days
both  20240226_020000 weekly keep within-retention weekly, kept 4 weeks, 15 days left
both  20240227_020000 daily delete expired expired: daily older than 7 days
both  20240228_020000 daily delete expired expired: daily older than 7 days
both  20240229_020000 daily delete expired expired: daily older than 7 days
both  20240301_020000 monthly keep within-retention monthly, kept 2 months, 52 days left
both  20240302_020000 daily delete expired expired: daily older than 7 days
both  20240303_020000 daily delete expired expired: daily older than 7 days
both  20240304_020000 weekly keep within-retention weekly, kept 4 weeks, 22 days left
both  20240305_020000 daily keep within-retention daily, kept 7 days, 2 days left
both  20240306_020000 daily keep within-retention daily, kept 7 days, 3 days left
both  20240306_100000 pre-restore keep within-retention pre-restore, kept 7 days, 3 days left
both  20240307_020000 daily keep within-retention daily, kept 7 days, 4 days left
both  20240308_020000 daily keep within-retention daily, kept 7 days, 5 days left
local 20240309_020000 daily keep within-retention daily, kept 7 days, 6 days left
local 20240310_020000 daily keep within-retention daily, kept 7 days, 7 days left
local 20240310_060000 daily delete incomplete incomplete: left by an interrupted backup
s3    20240310_070000 daily delete incomplete incomplete: left by an interrupted backup
EOF
)
# What each location holds once the expired ones are gone.
keeps() { echo "$EXPECTED" | awk -v l="$1" '$1 == l && $4 == "keep" { print $2 }'; }
KEEP_LOCAL=$(keeps local)
KEEP_S3=$(keeps s3)

# --- the dry run ----------------------------------------------------------------
vs --json cleanup --dry-run --at "$AT" > "$TMP/dry.json" 2>"$TMP/err"
ok $? "cleanup --dry-run --json --at $AT succeeds" || sed 's/^/# /' "$TMP/err"
DRY=$(plan_rows < "$TMP/dry.json" | sort -k1,1 -k2,2)
table_is "$(echo "$DRY" | grep '^local ')" "$(echo "$EXPECTED" | grep '^local ')" \
    "backup_dir: every decision and reason as worked out by hand ($(echo "$EXPECTED" | grep -c '^local ') rows)"
table_is "$(echo "$DRY" | grep '^s3 ')" "$(echo "$EXPECTED" | grep '^s3 ')" \
    "S3: every decision and reason as worked out by hand ($(echo "$EXPECTED" | grep -c '^s3 ') rows)"
# Times, for a few rows: expires_at is created plus the period.
exp_at() {
	tail -1 < "$TMP/dry.json" | $PY -c 'import json, sys
print(" ".join(str(r["expires_at"]) for r in json.load(sys.stdin)
      if r["location"] == sys.argv[1] and r["id"] == sys.argv[2]))' "$1" "$2"
}
is "$(exp_at local 20240201_020000)" 2024-04-01T02:00:00Z "a monthly backup expires two calendar months on"
is "$(exp_at local 20240212_020000)" 2024-03-11T02:00:00Z "a weekly one four weeks on"
is "$(exp_at s3 20240303_020000)" 2024-03-10T02:00:00Z "an expired daily says when it expired"
is "$(exp_at local 20240115_020000) $(exp_at local 20240120_153000) $(exp_at local 20240105_020000)" \
    "None None None" "the guarded, the manual and the pinned backup have no expiry"
s3_snapshot
is "$(local_ids)" "$before_local" "the dry run deleted nothing locally"
is "$(s3_ids)" "$before_s3" "  nor in S3"
vs cleanup --dry-run --at "$AT" > "$TMP/dry.txt" 2>&1
like "$(head -1 "$TMP/dry.txt")" "^Retention at $AT \(dry run: nothing is deleted\)" "the table says it is a dry run"
like "$(grep '^20240115_020000 .* local ' "$TMP/dry.txt")" 'weekly .* keep +newest verified backup$' \
    "  and gives the reason on each row"

# --- the real run ------------------------------------------------------------------
vs --json cleanup --at "$AT" > "$TMP/real.json" 2>"$TMP/err"
ok $? "cleanup --at $AT succeeds" || sed 's/^/# /' "$TMP/err"
table_is "$(plan_rows < "$TMP/real.json" | sort -k1,1 -k2,2)" "$DRY" \
    "the real run decides exactly as the dry run at the same moment"
deleted=$(tail -1 "$TMP/real.json" | $PY -c 'import json, sys
for r in json.load(sys.stdin):
    print(r["location"], r["id"], r["action"], r["deleted"], r.get("error", ""))' | sort)
table_is "$(echo "$deleted" | awk '$3 == "delete" && $4 != "True"')" "" "every backup to delete is reported deleted"
table_is "$(echo "$deleted" | awk '$3 == "keep" && $4 != "False"')" "" "  and no kept one"
s3_snapshot
table_is "$(local_ids)" "$KEEP_LOCAL" "backup_dir holds exactly the backups kept locally ($(echo "$KEEP_LOCAL" | wc -l))"
table_is "$(s3_ids)" "$KEEP_S3" "S3 holds exactly the backups kept there ($(echo "$KEEP_S3" | wc -l))"
is "$(s3_keys 20240105_020000)" "" "the S3 copy of the locally pinned backup is gone, every object of it"
is "$(s3_keys 20240310_070000)" "" "the unfinished S3 prefix is gone"
is "$(s3_keys 20240122_020000)" "content_index.faiss metadata.json redis.rdb user_index.faiss verify.json" \
    "S3's newest verified backup is whole, with its verification record"
is "$(s3_keys 20240110_020000)" "content_index.faiss metadata.json pinned redis.rdb user_index.faiss" \
    "the backup pinned in S3 is whole there, with its pin"
is "$(ls "$B/20240105_020000")" "$(printf '%s\n' content_index.faiss metadata.json pinned redis.rdb user_index.faiss)" \
    "the pinned backup is whole, with its pin"

# Nothing is left to delete: another run at the same moment keeps everything.
vs --json cleanup --at "$AT" > "$TMP/again.json" 2>"$TMP/err"
table_is "$(plan_rows < "$TMP/again.json" | awk '$4 != "keep"')" "" "a second run at the same moment deletes nothing"
table_is "$(plan_rows < "$TMP/again.json" | sort -k1,1 -k2,2)" "$(echo "$DRY" | awk '$4 == "keep"')" \
    "  and keeps each backup for the same reason"

# --- what was kept is intact --------------------------------------------------------
bad=
for id in $KEEP_LOCAL; do
	at "$AT" -q verify "$id" >/dev/null 2>>"$TMP/verify.err" || bad="$bad $id"
done
is "$bad" "" "each backup kept locally verifies ($(echo "$KEEP_LOCAL" | wc -l) backups)" ||
    sed 's/^/# /' "$TMP/verify.err"
bad=
for id in $KEEP_S3; do
	at "$AT" -q verify "$id" --from s3 >/dev/null 2>>"$TMP/verify.err" || bad="$bad $id"
done
is "$bad" "" "each backup kept in S3 verifies with --from s3 ($(echo "$KEEP_S3" | wc -l) backups)" ||
    sed 's/^/# /' "$TMP/verify.err"
is "$(proxy_ctl log | grep -Ec '^[A-Z]+ (400|403) ')" 0 "the proxy rejected no request's signature"

done_testing
