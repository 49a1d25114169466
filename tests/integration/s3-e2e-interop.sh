#!/bin/bash
# S3 end to end with the real AWS CLI (/usr/bin/aws), both through the
# signature-checking proxy (tests/lib/s3-proxy.js) to s3rver: a backup
# uploaded by vsbackup and fetched with 'aws s3 cp --recursive' is
# byte-identical and verifies from a second backup_dir; a backup directory
# put with 'aws s3 sync' is listed, verified and restored by vsbackup.
# Keys that are not files of a backup (path traversal, nesting, bad ids)
# are reported and ignored, and nothing is created outside backup_dir; a
# metadata.json naming another backup or another file is refused.
# Covers src/cli/cmd-download.c and src/jobs/job-transfer.c with
# transfer.c, job-list.c, job-verify.c, job-restore.c and the S3 driver.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
# Undefined behaviour found by the sanitizers fails the command, not only
# prints a line nobody reads.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

[ -x /usr/bin/aws ] || skip_all "the AWS CLI (/usr/bin/aws) is not installed"
s3_setup

# --- a demo sandbox with S3 configured -----------------------------------------
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 2000
# The AWS CLI through the proxy: its signatures are checked too.
awsp() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" "$@"; }
where() {
	vs --json list 2>/dev/null | tail -1 | $PY -c 'import json, sys
e = {b["id"]: b for b in json.load(sys.stdin)}.get(sys.argv[1])
print(e["location"] if e else "none")' "$1"
}
wait_after() { while [[ ! $(date -u +%Y%m%d_%H%M%S) > $1 ]]; do sleep 0.1; done; }
refused() { proxy_ctl log | grep -Ec '^[A-Z]+ (400|403) '; }
FILES="redis.rdb content_index.faiss user_index.faiss metadata.json"

# --- vsbackup uploads, the AWS CLI downloads ---------------------------------------
out=$(vs backup 2>"$TMP/err")
ok $? "backup, uploaded to S3" || sed 's/^/# /' "$TMP/err"
ID1=$(echo "$out" | tail -1)
proxy_ctl reset-log >/dev/null
awsp s3 cp --recursive --only-show-errors "s3://$S3_BUCKET/$P/$ID1/" "$TMP/b2/$ID1/" 2>"$TMP/err"
ok $? "aws s3 cp --recursive fetches it through the proxy" || sed 's/^/# /' "$TMP/err"
is "$(refused)" 0 "  no request of the AWS CLI was refused by the signature check"
same=0
for f in $FILES; do
	cmp -s "$B/$ID1/$f" "$TMP/b2/$ID1/$f" || { same=1; diag "$f differs"; }
done
ok $same "  each of the four files is byte-identical to the local backup"
chmod 700 "$TMP/b2"
C2=$(conf second "backup_dir=$TMP/b2")
"$VSBACKUP" -c "$C2" verify "$ID1" --deep > "$TMP/out" 2>&1
ok $? "vsbackup verify --deep passes on that copy, in a second backup_dir" || sed 's/^/# /' "$TMP/out"
like "$("$VSBACKUP" -c "$C2" list --location local 2>&1 | grep "^$ID1")" "local" "  and list shows it there"

# --- the AWS CLI uploads a backup directory, vsbackup uses it ----------------------
wait_after "$ID1"
digest2=$(rcli debug digest)
mkdir -p "$TMP/orig"
cp "$D/indexes/"*.faiss "$TMP/orig/"
out=$(vs backup --no-upload 2>"$TMP/err")
ok $? "backup --no-upload" || sed 's/^/# /' "$TMP/err"
ID2=$(echo "$out" | tail -1)
is "$(where "$ID2")" local "  it is local only"
mkdir -p "$TMP/sync" && cp -a "$B/$ID2" "$TMP/sync/"
vs delete "$ID2" --yes > /dev/null 2>&1 && [ ! -e "$B/$ID2" ]
ok $? "  then deleted locally"
proxy_ctl reset-log >/dev/null
awsp s3 sync --only-show-errors "$TMP/sync/$ID2" "s3://$S3_BUCKET/$P/$ID2" 2>"$TMP/err"
ok $? "aws s3 sync puts the directory into the bucket through the proxy" || sed 's/^/# /' "$TMP/err"
is "$(refused)" 0 "  no request was refused by the signature check"
is "$(where "$ID2")" s3 "vsbackup list shows it, in S3"
vs verify "$ID2" --from s3 > "$TMP/out" 2>&1
ok $? "verify --from s3 passes" || sed 's/^/# /' "$TMP/out"
vs verify "$ID2" --from s3 --deep > "$TMP/out" 2>&1
ok $? "verify --from s3 --deep passes" || sed 's/^/# /' "$TMP/out"
rcli flushall > /dev/null
: > "$D/indexes/user_index.faiss"
wait_after "$ID2"
vs restore "$ID2" --from s3 --yes > "$TMP/out" 2>"$TMP/err"
ok $? "restore --from s3 of the synced backup" || sed 's/^/# /' "$TMP/err"
is "$(rcli debug digest)" "$digest2" "  DEBUG DIGEST is the one at backup time"
cmp -s "$D/indexes/content_index.faiss" "$TMP/orig/content_index.faiss" &&
    cmp -s "$D/indexes/user_index.faiss" "$TMP/orig/user_index.faiss"
ok $? "  both index files are byte-identical to the originals"
for f in $FILES; do cmp -s "$B/$ID2/$f" "$TMP/sync/$ID2/$f" || break; done
ok $? "  the downloaded copy in backup_dir is byte-identical to what was synced"

# --- keys that are not files of a backup ----------------------------------------------
# s3rver keeps objects as files, so it resolves ".." when it stores a key:
# "$P/../../x/metadata.json" lands outside the bucket and is never listed
# (S3 would list it as it is; test-s3-addr covers that form). The other
# keys below are listed as they are, so vsbackup sees them.
: > "$TMP/empty"
bad_keys=("$P/../../x/metadata.json" "$P/..\\..\\x/metadata.json" "$P/20240101_000000/sub/metadata.json"
    "$P/20240101_00000/metadata.json" "$P/20240101_000000.partial/metadata.json" "$P/.../metadata.json"
    "$P/20240101_000000/../../../x/redis.rdb" "$P/20241301_000000/metadata.json")
put_ok=0
for key in "${bad_keys[@]}"; do
	awsp s3api put-object --bucket "$S3_BUCKET" --key "$key" --body "$TMP/empty" > /dev/null 2>>"$TMP/err" || put_ok=1
done
ok $put_ok "the AWS CLI put ${#bad_keys[@]} foreign keys (${bad_keys[0]} ...)"
listed=$(/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3api list-objects-v2 --bucket "$S3_BUCKET" \
    --prefix "$P/" --query 'Contents[].Key' --output text 2>/dev/null | tr '\t' '\n' | grep -Evc "^$P/($ID1|$ID2)/")
snapshot() { (cd "$TMP" && find . -path ./s3rver -prune -o -path ./demo/backups -prune -o -path ./work -prune -o -print | sort); }
mkdir -p "$TMP/work"
snapshot > "$TMP/work/before"
vs list > "$TMP/work/out" 2>"$TMP/work/err"
ok $? "list succeeds"
is "$(grep -c "skipping s3://$S3_BUCKET/" "$TMP/work/err")" "$listed" "  each of the $listed foreign keys s3rver lists is reported"
# Shown with its backslashes doubled: text from a server is escaped (termsafe.h).
like "$(cat "$TMP/work/err")" 'skipping s3://[^ ]*/\.\.\\\\\.\.\\\\x/metadata.json: not a file of a backup' "  e.g. ..\\..\\x/metadata.json"
like "$(cat "$TMP/work/err")" 'skipping s3://[^ ]*/20240101_000000/sub/metadata.json' "  e.g. a nested metadata.json"
is "$(grep -Ec '^(20240101|20241301|\.\.\.)' "$TMP/work/out")" 0 "  and none is listed as a backup"
is "$(grep -c '^[0-9]\{8\}_' "$TMP/work/out")" 3 "  the three real backups are"
vs --json list > "$TMP/work/json" 2>"$TMP/work/err"
like "$(cat "$TMP/work/err")" 'warning: skipping' "list --json reports them as warnings on stderr"
"$PY" -c 'import json, sys; assert isinstance(json.load(open(sys.argv[1])), list)' "$TMP/work/json"
ok $? "  and prints only the JSON array on stdout"
vs download 20240101_000000 > /dev/null 2>"$TMP/work/err"
is $? 1 "download of the id that has only a nested key fails"
like "$(cat "$TMP/work/err")" "no complete backup 20240101_000000" "  as not there"
vs verify 20240101_000000 --from s3 > /dev/null 2>&1
is $? 1 "verify --from s3 of it cannot run (1)"
vs cleanup --dry-run > /dev/null 2>&1
snapshot > "$TMP/work/after"
diff "$TMP/work/before" "$TMP/work/after" > "$TMP/work/diff"
ok $? "nothing was created outside backup_dir" || sed 's/^/# /' "$TMP/work/diff"
is "$(ls -A "$B" | grep -Evc '^([0-9]{8}_[0-9]{6}|\.vsbackup[a-z.-]*)$')" 0 "  and nothing but backups (and the tool's own files) in it" || ls -A "$B" | sed 's/^/# /'

# --- a metadata.json that names another backup, or another file --------------------------
ID3=20240102_000000
$PY -c 'import json, sys
m = json.load(open(sys.argv[1])); m["backup_id"] = sys.argv[3]
json.dump(m, open(sys.argv[2], "w"), indent=1)' "$TMP/sync/$ID2/metadata.json" "$TMP/work/m1" "$ID2"
mkdir -p "$TMP/work/$ID3" && cp "$TMP/sync/$ID2/"*.faiss "$TMP/sync/$ID2/redis.rdb" "$TMP/work/$ID3/" &&
    cp "$TMP/work/m1" "$TMP/work/$ID3/metadata.json" &&
    awsp s3 sync --only-show-errors "$TMP/work/$ID3" "s3://$S3_BUCKET/$P/$ID3" 2>"$TMP/err"
ok $? "a copy of $ID2 put under another id, $ID3" || sed 's/^/# /' "$TMP/err"
vs download "$ID3" > /dev/null 2>"$TMP/err"
is $? 1 "download of it is refused"
like "$(cat "$TMP/err")" "metadata.json: backup_id is $ID2, not $ID3" "  naming the mismatch"
[ ! -e "$B/$ID3" ] && [ ! -e "$B/$ID3.partial" ]
ok $? "  and nothing of it is in backup_dir"
$PY -c 'import json, sys
m = json.load(open(sys.argv[1])); m["backup_id"] = sys.argv[3]; m["redis"]["file"] = "../../x/redis.rdb"
json.dump(m, open(sys.argv[2], "w"), indent=1)' "$TMP/sync/$ID2/metadata.json" "$TMP/work/$ID3/metadata.json" "$ID3"
awsp s3 cp --only-show-errors "$TMP/work/$ID3/metadata.json" "s3://$S3_BUCKET/$P/$ID3/metadata.json" 2>"$TMP/err"
vs download "$ID3" > /dev/null 2>"$TMP/err"
is $? 1 "a metadata.json naming ../../x/redis.rdb is refused"
like "$(cat "$TMP/err")" 'redis.file.*unexpected file name' "  naming the field"
snapshot > "$TMP/work/after"
diff "$TMP/work/before" "$TMP/work/after" > "$TMP/work/diff"
ok $? "  and nothing was created outside backup_dir" || sed 's/^/# /' "$TMP/work/diff"

done_testing
