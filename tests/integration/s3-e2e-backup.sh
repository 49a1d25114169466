#!/bin/bash
# S3 end to end with the commands, on a demo sandbox, through the
# signature-checking proxy (tests/lib/s3-proxy.js) to s3rver: backup uploads
# data first and metadata.json last; an upload interrupted at metadata.json
# leaves a local backup that 'upload' finishes; upload and download (also
# when already complete, --json, exit codes); list merging both locations
# and noticing copies whose metadata differ; verify --from s3 of altered
# objects; a damaged copy is never downloaded; delete --location; and the
# round trip backup -> delete local -> restore --from s3 with DEBUG DIGEST
# and index bytes equal.
# Covers src/cli/cmd-upload.c, src/cli/cmd-download.c, src/jobs/job-transfer.c
# and, through them, transfer.c, job-backup.c, job-verify.c, job-restore.c,
# job-delete.c, catalog.c and cmd-list.c with the S3 driver.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
# Undefined behaviour found by the sanitizers fails the command, not only
# prints a line nobody reads.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

s3_setup

# --- a demo sandbox with S3 configured -----------------------------------------
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 2000
# The objects s3rver holds under a backup id (its data directory).
s3files() {
	(cd "$S3RVER_DIR/data/$S3_BUCKET/$P/$1" 2>/dev/null &&
	    ls | sed -n 's/\._S3rver_object$//p' | sort | tr '\n' ' ' | sed 's/ $//')
}
s3obj() { echo "$S3RVER_DIR/data/$S3_BUCKET/$P/$1/$2._S3rver_object"; }
# Where list --json says backup id is: local, s3, both, or none.
where() {
	vs --json list 2>/dev/null | tail -1 | $PY -c 'import json, sys
e = {b["id"]: b for b in json.load(sys.stdin)}.get(sys.argv[1])
print(e["location"] if e else "none")' "$1"
}
# One field of the result line (the last) of a --json command's output.
jfield() { tail -1 | $PY -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print(str(v).lower() if isinstance(v, bool) else v)' "$1"; }
# Every line of a --json output is a JSON object.
all_json() { $PY -c 'import json, sys; [json.loads(l) for l in sys.stdin]' ; }
# Backup ids are seconds: wait until the clock is past id.
wait_after() { while [[ ! $(date -u +%Y%m%d_%H%M%S) > $1 ]]; do sleep 0.1; done; }
DATA="content_index.faiss metadata.json redis.rdb user_index.faiss"

# --- backup uploads, data objects first and metadata.json last ----------------------
digest0=$(rcli debug digest)
mkdir -p "$TMP/orig"
cp "$D/indexes/content_index.faiss" "$D/indexes/user_index.faiss" "$TMP/orig/"
proxy_ctl reset-log >/dev/null
out=$(vs backup 2>"$TMP/err")
ok $? "backup with s3.bucket set succeeds" || sed 's/^/# /' "$TMP/err"
ID1=$(echo "$out" | tail -1)
like "$ID1" '^[0-9]{8}_[0-9]{6}$' "  its id is the last line"
like "$(cat "$TMP/err")" 'uploaded to S3' "  and it says it uploaded"
puts=$(proxy_ctl log | grep "^PUT 200 /$S3_BUCKET/$P/$ID1/" | sed 's|.*/\([a-z_.]*\) sse=.*|\1|')
is "$(echo "$puts" | wc -l)" 4 "  four objects were PUT"
is "$(echo "$puts" | tail -1)" metadata.json "  metadata.json last"
is "$(proxy_ctl log | grep -Ec '^[A-Z]+ (400|403) ')" 0 "  no signature or payload hash was refused"
is "$(s3files "$ID1")" "$DATA" "the bucket holds the four files"
is "$(where "$ID1")" both "list: the backup is in both places"
vs verify "$ID1" --from s3 > "$TMP/out" 2>&1
ok $? "verify --from s3 passes" || sed 's/^/# /' "$TMP/out"

# --- upload and download when the copy is there already; usage ------------------------
out=$(vs upload "$ID1" 2>&1)
ok $? "upload of a backup already complete in S3 exits 0"
like "$out" "$ID1 is already complete in s3://$S3_BUCKET/$P: nothing to upload" "  and says so"
out=$(vs --json upload "$ID1" 2>&1)
echo "$out" | all_json
ok $? "upload --json prints only JSON lines"
is "$(echo "$out" | jfield already)" true "  the result says already"
is "$(echo "$out" | jfield to)" "s3://$S3_BUCKET/$P" "  and where"
out=$(vs download "$ID1" 2>&1)
ok $? "download of a backup already complete locally exits 0"
like "$out" "$ID1 is already complete in $B: nothing to download" "  and says so"
vs upload > /dev/null 2>"$TMP/err"
is $? 2 "upload without an id: usage error (2)"
vs download 2024-01-01 > /dev/null 2>"$TMP/err"
is $? 2 "download of a malformed id: usage error (2)"
like "$(cat "$TMP/err")" "not a backup id" "  saying why"
vs upload 20200101_000000 > /dev/null 2>"$TMP/err"
is $? 1 "upload of a backup that does not exist fails (1)"
like "$(cat "$TMP/err")" "no complete backup 20200101_000000 in $B" "  naming it and where"
vs download 20200101_000000 > /dev/null 2>"$TMP/err"
is $? 1 "download of a backup not in S3 fails (1)"
like "$(cat "$TMP/err")" "no complete backup 20200101_000000 in s3://$S3_BUCKET/$P" "  naming it and the bucket"
"$VSBACKUP" -c "$D/vsbackup.conf" upload "$ID1" > /dev/null 2>"$TMP/err"
is $? 1 "upload without s3.bucket fails (1)"
like "$(cat "$TMP/err")" "S3 is not configured: s3.bucket is empty" "  saying S3 is not configured"

# --- an upload interrupted at metadata.json --------------------------------------------
wait_after "$ID1"
C2=$(conf retry2 max_attempts=2)
proxy_ctl 'fault?type=503&count=-1&method=PUT&match=metadata.json' >/dev/null
proxy_ctl reset-log >/dev/null
"$VSBACKUP" -c "$C2" backup > "$TMP/out" 2>"$TMP/err"
is $? 1 "backup whose metadata.json PUT keeps failing exits 1"
ID2=$(sed -n 's/.*backup \([0-9_]*\) was made locally, but the upload to S3 failed.*/\1/p' "$TMP/err")
like "$ID2" '^[0-9]{8}_[0-9]{6}$' "  it says the backup was made locally" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/err")" "metadata.json.*SlowDown.*retry with 'vsbackup upload $ID2'" "  why the upload failed, and how to retry"
proxy_ctl clear >/dev/null
is "$(proxy_ctl log | grep -c "^PUT 503 .*/$ID2/metadata.json")" 2 "  metadata.json was tried twice (s3.max_attempts)"
[ -f "$B/$ID2/metadata.json" ] && vs verify "$ID2" > /dev/null 2>&1
ok $? "the local backup stays, and verifies"
is "$(where "$ID2")" local "list shows it local only"
is "$(s3files "$ID2")" "" "nothing of it stays in the bucket"
cp "$B/$ID2/user_index.faiss" "$TMP/user.saved"
printf '\377' | dd of="$B/$ID2/user_index.faiss" bs=1 seek=100 conv=notrunc status=none
vs upload "$ID2" > /dev/null 2>"$TMP/err"
is $? 1 "upload of a local copy altered since the backup fails (1)"
like "$(cat "$TMP/err")" "user_index.faiss of backup $ID2 .*does not match its SHA-256.*nothing was stored" "  naming the file"
is "$(where "$ID2"):$(s3files "$ID2")" "local:" "  and nothing of it is in the bucket"
cp "$TMP/user.saved" "$B/$ID2/user_index.faiss"
out=$(vs upload "$ID2" 2>"$TMP/err")
ok $? "'vsbackup upload $ID2' then completes it" || sed 's/^/# /' "$TMP/err"
like "$out" "uploaded $ID2 \(1\.[0-9] MiB\) to s3://$S3_BUCKET/$P" "  saying what went where"
is "$(where "$ID2")" both "  list shows it in both places"
is "$(s3files "$ID2")" "$DATA" "  with its four files"

# --- list notices copies whose metadata differ ----------------------------------------
vs list 2>&1 | grep "^$ID2" | grep -q differ
is $? 1 "no note while the copies agree"
s3cli s3 cp --only-show-errors "s3://$S3_BUCKET/$P/$ID2/metadata.json" "$TMP/meta.json" &&
    $PY -c 'import json, sys
m = json.load(open(sys.argv[1])); m["type"] = "manual"; json.dump(m, open(sys.argv[1], "w"), indent=1)' "$TMP/meta.json" &&
    ! cmp -s "$TMP/meta.json" "$B/$ID2/metadata.json" &&
    s3cli s3 cp --only-show-errors "$TMP/meta.json" "s3://$S3_BUCKET/$P/$ID2/metadata.json"
ok $? "the S3 copy's metadata.json rewritten with the AWS CLI"
out=$(vs list 2>&1)
like "$(echo "$out" | grep "^$ID2")" "both .*local and S3 metadata differ" "list: the row says the two copies' metadata differ"
is "$(echo "$out" | grep -c "^$ID1 .*differ")" 0 "  and no other row does"
is "$(vs --json list 2>/dev/null | tail -1 | $PY -c 'import json, sys
print(" ".join(sorted(b["id"] for b in json.load(sys.stdin) if b["metadata_differs"])))')" "$ID2" \
    "list --json: metadata_differs for that backup only"
cp "$B/$ID2/metadata.json" "$TMP/meta.json" && s3cli s3 cp --only-show-errors "$TMP/meta.json" "s3://$S3_BUCKET/$P/$ID2/metadata.json"

# --- verify --from s3 finds altered objects ---------------------------------------------
f=$(s3obj "$ID2" content_index.faiss)
cp "$f" "$TMP/saved.obj"
printf '\377' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
vs verify "$ID2" --from s3 > "$TMP/out" 2>&1
is $? 3 "verify --from s3 of an object altered in place exits 3"
like "$(cat "$TMP/out")" 'content_index.faiss sha256.*SHA-256 is' "  naming the file and its SHA-256"
vs --json verify "$ID2" --from s3 > "$TMP/out" 2>/dev/null
is "$(jfield valid < "$TMP/out")" false "  --json: valid false"
cp "$TMP/saved.obj" "$f"
head -c 1000 "$B/$ID2/redis.rdb" > "$TMP/short.rdb"
s3cli s3 cp --only-show-errors "$TMP/short.rdb" "s3://$S3_BUCKET/$P/$ID2/redis.rdb"
vs verify "$ID2" --from s3 > "$TMP/out" 2>&1
is $? 3 "verify --from s3 of a truncated object re-uploaded with the AWS CLI exits 3"
like "$(cat "$TMP/out")" 'redis.rdb.*size is 1000 bytes' "  naming the file and its size"
vs verify "$ID2" > /dev/null 2>&1
ok $? "  the local copy still verifies"
s3cli s3 cp --only-show-errors "$B/$ID2/redis.rdb" "s3://$S3_BUCKET/$P/$ID2/redis.rdb"

# --- a damaged copy in S3 is never downloaded ------------------------------------------
vs delete "$ID2" --location local --yes > /dev/null 2>&1
is "$(where "$ID2")" s3 "delete --location local: the backup is in S3 only"
vs verify "$ID2" --from s3 > /dev/null 2>&1
ok $? "  and that copy verifies again"
printf '\377' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
vs download "$ID2" > /dev/null 2>"$TMP/err"
is $? 1 "download of a copy with an altered object fails (1)"
like "$(cat "$TMP/err")" 'content_index.faiss of backup .* does not match its SHA-256' "  naming the damaged file" || sed 's/^/# /' "$TMP/err"
is "$(ls -A "$B" | grep -v '^\.vsbackup\.lock$' | grep -c "$ID2\|^\.download")" 0 "  and leaves nothing of it in backup_dir"
digest=$(rcli debug digest)
vs restore "$ID2" --from s3 --yes > /dev/null 2>"$TMP/err"
is $? 3 "restore --from s3 of the damaged copy fails (3: verification)"
is "$(rcli debug digest)" "$digest" "  and changed nothing live"
is "$(where "$ID2")" s3 "  nor anything in backup_dir"

# --- round trip: delete the local copy, restore from S3 -----------------------------------
vs delete "$ID1" --location local --yes > "$TMP/out" 2>&1
ok $? "delete $ID1 --location local" || sed 's/^/# /' "$TMP/out"
[ ! -e "$B/$ID1" ]
ok $? "  its directory is gone"
is "$(where "$ID1")" s3 "  list: in S3 only"
# Change the live state, so the restore has something to undo.
rcli del chimera-vectors:$(rcli --scan --pattern 'chimera-vectors:*' | head -1 | cut -d: -f2-) > /dev/null
rcli set chimera-users:intruder '{"id":"intruder"}' > /dev/null
cp "$TMP/orig/user_index.faiss" "$D/indexes/content_index.faiss"
[ "$(rcli debug digest)" != "$digest0" ]
ok $? "the live data changed"
wait_after "$ID2"
vs restore "$ID1" --from s3 --yes > "$TMP/out" 2>"$TMP/err"
ok $? "restore $ID1 --from s3 --yes" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/out")" "restored $ID1" "  says what it restored"
is "$(rcli debug digest)" "$digest0" "DEBUG DIGEST equals the one at backup time"
cmp -s "$D/indexes/content_index.faiss" "$TMP/orig/content_index.faiss"
ok $? "the content index is byte-identical to the original"
cmp -s "$D/indexes/user_index.faiss" "$TMP/orig/user_index.faiss"
ok $? "the user index is byte-identical to the original"
is "$(where "$ID1")" both "the backup was downloaded into backup_dir"

# --- delete --location s3 and all -------------------------------------------------------
n=$(s3files "$ID1" | wc -w)
proxy_ctl reset-log >/dev/null
vs delete "$ID1" --location s3 --yes > "$TMP/out" 2>&1
ok $? "delete --location s3" || sed 's/^/# /' "$TMP/out"
dels=$(proxy_ctl log | grep "^DELETE 204 /$S3_BUCKET/$P/$ID1/")
is "$(echo "$dels" | head -1 | grep -c metadata.json)" 1 "  removes metadata.json first"
is "$(echo "$dels" | wc -l)" "$n" "  then the rest ($n objects with verify.json)"
is "$(s3files "$ID1")" "" "  nothing of it is left in the bucket"
[ -f "$B/$ID1/metadata.json" ]
ok $? "  the local copy stays"
is "$(where "$ID1")" local "  list: local only"
vs delete "$ID1" --location s3 --yes > /dev/null 2>"$TMP/err"
is $? 1 "deleting it from S3 again fails (1)"
like "$(cat "$TMP/err")" "not found in S3" "  not found"
vs upload "$ID1" > /dev/null 2>&1 && [ "$(where "$ID1")" = both ]
ok $? "uploaded again"
vs delete "$ID1" --location all --yes > /dev/null 2>&1
ok $? "delete --location all"
is "$(where "$ID1"):$(s3files "$ID1")" "none:" "  gone from both places"
[ ! -e "$B/$ID1" ]
ok $? "  and from backup_dir"

done_testing
