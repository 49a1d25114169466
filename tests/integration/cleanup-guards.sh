#!/bin/bash
# The guard rails of cleanup on real backups in backup_dir: when every
# backup has expired and none is verified the newest complete one stays;
# once one has passed verification that one stays instead (and a newer
# unverified one may go); a backup whose verification failed is not
# "verified"; a backup dated in the future is kept and never takes the
# guard; a pinned backup survives and goes once unpinned; and a backup_dir
# whose only backup has expired, with every count 0, keeps it, verified or
# not. Each decision is checked on the dry run, then on what the real run
# leaves.
# Covers src/jobs/job-cleanup.c, src/cli/cmd-pin.c, src/jobs/job-pin.c and,
# through them, rules 2 and 6 of src/retention/retention.h.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/cleanup-lib.sh"

cleanup_sandbox
cleanup_conf "$TMP/vsbackup.conf" 'retention = { daily = 7; weekly = 4; monthly = 6; };'
AT=2024-03-01T12:00:00Z

# Three dailies in January (Tuesday to Thursday) and one made while the
# clock said 03-05, four days after the moment cleanup looks from.
bk 2024-01-02T02:00:00Z
bk 2024-01-03T02:00:00Z
bk 2024-01-04T02:00:00Z
bk 2024-03-05T02:00:00Z

# plan [ARGS]: the dry run at $AT as "id action reason_code reason"
plan() {
	vs --json cleanup --dry-run --at "$AT" "$@" 2>"$TMP/err" | plan_rows |
	    cut -d' ' -f2,4- | sort
}
rows() { grep -v '^$'; }

table_is "$(plan)" "$(rows <<'EOF'
20240102_020000 delete expired expired: daily older than 7 days
20240103_020000 delete expired expired: daily older than 7 days
20240104_020000 keep newest-complete newest complete backup
20240305_020000 keep future created in the future (clock skew?)
EOF
)" "all expired, none verified: the newest complete backup stays; the future one is kept but not the guard"

# No s3.bucket here: the default --location all means backup_dir alone, but
# S3 alone cannot be cleaned up.
vs cleanup --dry-run --at "$AT" --location s3 > "$TMP/out" 2>"$TMP/err"
is "$?" 1 "--location s3 without s3.bucket: exit 1"
like "$(cat "$TMP/err")" "S3 is not configured: s3.bucket is empty in $C" "  saying S3 is not configured"
is "$(vs --json cleanup --dry-run --at "$AT" | plan_rows | cut -d' ' -f1 | sort -u)" local \
    "  while the default (all) cleans up backup_dir only"

at 2024-01-02T03:00:00Z -q verify 20240102_020000 >/dev/null
ok $? "verify 20240102_020000 passes"
table_is "$(plan)" "$(rows <<'EOF'
20240102_020000 keep newest-verified newest verified backup
20240103_020000 delete expired expired: daily older than 7 days
20240104_020000 delete expired expired: daily older than 7 days
20240305_020000 keep future created in the future (clock skew?)
EOF
)" "with one verified backup, that one stays and the newer unverified one may go"

# A failed verification is recorded, and is not "verified".
printf 'X' | dd of="$B/20240103_020000/user_index.faiss" bs=1 seek=100 conv=notrunc status=none
at 2024-01-03T03:00:00Z -q verify 20240103_020000 >/dev/null 2>&1
is $? 3 "verify of a damaged 20240103_020000 fails (exit 3)"
is "$(plan | grep -c keep)" 2 "  it does not take the guard: still two kept"
like "$(plan | grep '^20240102_')" 'keep newest-verified' "  20240102_020000 still the newest verified"

vs -q pin 20240103_020000
ok $? "pin 20240103_020000"
is "$(plan | grep '^20240103_')" "20240103_020000 keep pinned pinned" "  a pinned backup is kept, expired and damaged as it is"

vs -q cleanup --at "$AT" 2>"$TMP/err"
ok $? "cleanup at $AT" || sed 's/^/# /' "$TMP/err"
table_is "$(local_ids)" "$(printf '%s\n' 20240102_020000 20240103_020000 20240305_020000)" \
    "  deleted only the expired unverified unpinned 20240104_020000"

vs -q unpin 20240103_020000
ok $? "unpin 20240103_020000"
is "$(plan | grep '^20240103_')" "20240103_020000 delete expired expired: daily older than 7 days" \
    "  now it follows its schedule"
vs -q cleanup --at "$AT" 2>"$TMP/err"
ok $? "cleanup at $AT" || sed 's/^/# /' "$TMP/err"
table_is "$(local_ids)" "$(printf '%s\n' 20240102_020000 20240305_020000)" "  and it is gone"

# A month later 03-05 has expired too: the newest verified backup is the
# one that stays, not the newest one.
vs -q cleanup --at 2024-04-01T00:00:00Z 2>"$TMP/err"
ok $? "cleanup at 2024-04-01" || sed 's/^/# /' "$TMP/err"
is "$(local_ids)" 20240102_020000 "  the unverified 20240305_020000 went, the verified one stayed"

# The last backup stays whatever the numbers say.
vs -q cleanup --at 2030-01-01T00:00:00Z --retain-days 0 --retain-weekly 0 --retain-monthly 0 2>"$TMP/err"
ok $? "cleanup in 2030 with every count 0" || sed 's/^/# /' "$TMP/err"
is "$(local_ids)" 20240102_020000 "  the only backup, verified, stays"
# Its last verification now fails: it is no longer verified, but it is still
# the newest complete backup.
printf 'X' | dd of="$B/20240102_020000/redis.rdb" bs=1 seek=100 conv=notrunc status=none
at 2024-06-01T00:00:00Z -q verify 20240102_020000 >/dev/null 2>&1
is $? 3 "verify of the damaged 20240102_020000 fails"
is "$(plan --retain-days 0)" "20240102_020000 keep newest-complete newest complete backup" \
    "  it is kept as the newest complete backup"
vs -q cleanup --at 2030-01-01T00:00:00Z --retain-days 0 2>"$TMP/err"
is "$(local_ids)" 20240102_020000 "  and the real run leaves it: cleanup never deletes every backup"

done_testing
