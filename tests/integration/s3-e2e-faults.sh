#!/bin/bash
# S3 end to end under faults injected by the proxy (tests/lib/s3-proxy.js)
# in front of s3rver, with multipart transfers (a demo whose snapshot is
# larger than the 5 MiB part size): upload and download finish through
# dropped connections, 500, 503 SlowDown, a truncated and a stalled answer;
# a fault that persists ends in a clear error with no partial backup listed
# and nothing lost locally; a wrong secret gives SignatureDoesNotMatch and
# adds nothing to the bucket; a download into a full file system stops
# before the data arrives.
# Covers src/cli/cmd-upload.c, src/cli/cmd-download.c, src/jobs/job-transfer.c
# with transfer.c, job-backup.c, job-restore.c and the S3 driver's retries.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
# Undefined behaviour found by the sanitizers fails the command, not only
# prints a line nobody reads.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

s3_setup

# --- a demo sandbox with S3 configured -----------------------------------------
S3_CONF_DEFAULTS="multipart_threshold=5242880 part_size=5242880 concurrency=2 low_speed_time=1"
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 10000
C2=$(conf twice max_attempts=2)
vs2() { "$VSBACKUP" -c "$C2" "$@"; }
s3files() {
	(cd "$S3RVER_DIR/data/$S3_BUCKET/$P/$1" 2>/dev/null &&
	    ls | sed -n 's/\._S3rver_object$//p' | sort | tr '\n' ' ' | sed 's/ $//')
}
# Every key in the bucket, as s3rver has them.
s3all() { (cd "$S3RVER_DIR/data/$S3_BUCKET" && find . -name '*._S3rver_object' | sort); }
where() {
	vs --json list 2>/dev/null | tail -1 | $PY -c 'import json, sys
e = {b["id"]: b for b in json.load(sys.stdin)}.get(sys.argv[1])
print(e["location"] if e else "none")' "$1"
}
wait_after() { while [[ ! $(date -u +%Y%m%d_%H%M%S) > $1 ]]; do sleep 0.1; done; }
# Nothing of id in backup_dir: no directory, no .partial, no temp file.
no_trace() { ! ls -A "$B" | grep -q "$1"; }
fault() { proxy_ctl "fault?$1" > /dev/null; }
FILES="redis.rdb content_index.faiss user_index.faiss metadata.json"
DATA="content_index.faiss metadata.json redis.rdb user_index.faiss"

out=$(vs backup --no-upload 2>"$TMP/err")
ok $? "backup --no-upload" || sed 's/^/# /' "$TMP/err"
ID1=$(echo "$out" | tail -1)
size=$(stat -c %s "$B/$ID1/redis.rdb")
[ "$size" -gt 5242880 ]
ok $? "  its snapshot ($size bytes) is larger than one 5 MiB part"
cp -a "$B/$ID1" "$TMP/orig"

# --- an upload through faults --------------------------------------------------------
proxy_ctl reset-log > /dev/null
fault 'type=500&method=POST&match=uploads'
fault 'type=503&method=PUT&match=partNumber%3D1'
# A stalled answer to a PUT takes curl's 5 s speed window to notice
# (s3-driver.sh has that case); a stalled listing is noticed in 2 s.
fault 'type=stall&method=GET&match=list-type'
fault 'type=drop&method=PUT&match=content_index.faiss'
fault 'type=503&method=PUT&match=metadata.json'
vs upload "$ID1" > "$TMP/out" 2>"$TMP/err"
ok $? "upload through 500, 503 SlowDown, a stalled listing, a dropped connection" || sed 's/^/# /' "$TMP/err"
proxy_ctl clear > /dev/null
log=$(proxy_ctl log)
is "$(echo "$log" | grep -c 'fault=\(500\|503\|stall\|drop\) ')" 5 "  all five faults were injected"
is "$(echo "$log" | grep -c "^PUT 200 .*/$ID1/redis.rdb?partNumber=")" 2 "  the snapshot went up in two parts"
# curl may resend on a fresh connection by itself when a reused one is
# dropped, so that fault is not always seen as a retry.
err=$(cat "$TMP/err")
like "$err" 'multipart upload of .*/redis.rdb: InternalError.*retrying' "  the 500 was retried, and reported" || sed "s/^/# /" "$TMP/err"
like "$err" 'part 1 of .*/redis.rdb: SlowDown: Please reduce your request rate.*retrying' "  the SlowDown on part 1"
like "$err" 'listing .*too slow.*retrying' "  the stalled listing"
like "$err" '/metadata.json: SlowDown.*retrying' "  the SlowDown on metadata.json"
is "$(echo "$log" | grep "^PUT 200 /$S3_BUCKET/$P/$ID1/" | tail -1 | grep -c 'metadata.json')" 1 "  metadata.json last"
like "$(cat "$TMP/out")" "uploaded $ID1" "  and it says it uploaded"
vs verify "$ID1" --from s3 > "$TMP/out" 2>&1
ok $? "the copy in S3 verifies" || sed 's/^/# /' "$TMP/out"

# --- a download through faults ----------------------------------------------------------
vs delete "$ID1" --location local --yes > /dev/null 2>&1
is "$(where "$ID1")" s3 "the local copy deleted"
proxy_ctl reset-log > /dev/null
fault 'type=truncate&method=GET&match=redis.rdb'
fault 'type=drop&method=GET&nth=2&match=redis.rdb'
fault 'type=500&method=GET&match=user_index.faiss'
fault 'type=stall&method=GET&match=content_index.faiss'
fault 'type=503&method=GET&match=metadata.json'
vs download "$ID1" > "$TMP/out" 2>"$TMP/err"
ok $? "download through a truncated answer, a dropped connection, 500, a stall, 503" || sed 's/^/# /' "$TMP/err"
proxy_ctl clear > /dev/null
is "$(proxy_ctl log | grep -c 'fault=\(truncate\|500\|503\|stall\|drop\) ')" 5 "  all five faults were injected"
same=0
for f in $FILES; do cmp -s "$B/$ID1/$f" "$TMP/orig/$f" || { same=1; diag "$f differs"; }; done
ok $same "  the four files are byte-identical to the original backup"
is "$(ls -A "$B" | grep -c '^\.download\|partial')" 0 "  no temp file or partial directory is left"

# --- a persistent fault on upload -----------------------------------------------------------
wait_after "$ID1"
out=$(vs backup --no-upload 2>"$TMP/err")
ID2=$(echo "$out" | tail -1)
like "$ID2" '^[0-9]{8}_[0-9]{6}$' "a second backup, local only" || sed 's/^/# /' "$TMP/err"
before=$(s3all)
proxy_ctl reset-log > /dev/null
fault 'type=500&count=-1&match=partNumber%3D2'
vs2 upload "$ID2" > /dev/null 2>"$TMP/err"
is $? 1 "an upload whose part 2 fails every time exits 1"
like "$(cat "$TMP/err")" "uploading part 2 of .*$ID2/redis.rdb failed after 2 attempts: InternalError" "  naming the part, the attempts and S3's code"
is "$(proxy_ctl log | grep -c "^DELETE .*$ID2/redis.rdb?uploadId=")" 1 "  the multipart upload is aborted"
proxy_ctl clear > /dev/null
is "$(s3files "$ID2")" "" "  nothing of it stays in the bucket"
is "$(s3all)" "$before" "  nor anything else changed there"
is "$(where "$ID2")" local "  list shows it local only"
vs verify "$ID2" > /dev/null 2>&1
ok $? "  and the local backup is intact"
fault 'type=drop&count=-1&method=PUT'
vs2 upload "$ID2" > /dev/null 2>"$TMP/err"
is $? 1 "an upload whose every PUT is dropped exits 1"
proxy_ctl clear > /dev/null
like "$(cat "$TMP/err")" "s3://$S3_BUCKET/$P/$ID2/.*failed after 2 attempts" "  with a message naming the key and the attempts" || sed 's/^/# /' "$TMP/err"
is "$(where "$ID2"):$(s3files "$ID2")" "local:" "  no partial backup listed or left"

# --- an upload killed before metadata.json ------------------------------------------------
fault 'type=stall&count=-1&method=PUT&match=metadata.json'
proxy_ctl reset-log > /dev/null
"$VSBACKUP" -c "$C" upload "$ID2" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do proxy_ctl log | grep -q "^PUT stalled .*/$ID2/metadata.json" && break; sleep 0.1; done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
proxy_ctl clear > /dev/null
is "$(s3files "$ID2")" "content_index.faiss redis.rdb user_index.faiss" "an upload killed at metadata.json leaves its data objects"
is "$(where "$ID2")" local "  list still shows the backup local only, not in both places"
like "$(vs list --location s3 2>&1 | grep "^$ID2")" 's3 .*incomplete \(interrupted backup\)' "  list --location s3 shows the leftovers as incomplete"
vs upload "$ID2" > "$TMP/out" 2>"$TMP/err"
ok $? "upload then succeeds" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/err")" 'took over the backup_dir lock left by upload' "  taking over the lock of the killed process"
like "$(cat "$TMP/err")" "removing the unfinished upload of backup $ID2" "  and replacing its leftovers"
is "$(where "$ID2"):$(s3files "$ID2")" "both:$DATA" "  the backup is complete in both places"

# --- a persistent fault on download -----------------------------------------------------
vs delete "$ID1" --location local --yes > /dev/null 2>&1
fault 'type=drop&count=-1&method=GET&match=content_index.faiss'
vs2 download "$ID1" > /dev/null 2>"$TMP/err"
is $? 1 "a download whose content index GET is always dropped exits 1"
like "$(cat "$TMP/err")" "$ID1/content_index.faiss.*failed after 2 attempts" "  naming the object and the attempts" || sed 's/^/# /' "$TMP/err"
proxy_ctl clear > /dev/null
no_trace "$ID1"
ok $? "  nothing of it is left in backup_dir"
fault 'type=stall&count=-1&method=GET&match=redis.rdb'
vs2 download "$ID1" > /dev/null 2>"$TMP/err"
is $? 1 "a download whose snapshot GETs always stall exits 1"
like "$(cat "$TMP/err")" "$ID1/redis.rdb.*(too slow|timed out|Timeout)" "  saying the transfer was too slow" || sed 's/^/# /' "$TMP/err"
no_trace "$ID1"
ok $? "  nothing of it is left in backup_dir"
proxy_ctl clear > /dev/null
# The driver notices the request to stop even while nothing moves. The
# data files travel side by side: whichever stops first is named.
fault 'type=stall&count=-1&method=GET&match=content_index.faiss'
proxy_ctl reset-log > /dev/null
"$VSBACKUP" -c "$C" download "$ID1" > /dev/null 2>"$TMP/err" &
pid=$!
for _ in $(seq 100); do proxy_ctl log | grep -q "^GET stalled .*/$ID1/content_index.faiss" && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
is $? 1 "a download stopped by SIGTERM while its answer stalls exits 1"
like "$(head -1 "$TMP/err")" 'interrupted: cancelling download' "  saying it is cancelling" || sed 's/^/# /' "$TMP/err"
like "$(tail -1 "$TMP/err")" '(redis\.rdb|content_index\.faiss|user_index\.faiss): cancelled' \
    "  and then that it was cancelled"
no_trace "$ID1"
ok $? "  and cleans up: nothing of it is left in backup_dir"
proxy_ctl clear > /dev/null
fault 'type=drop&count=-1&method=GET&match=redis.rdb'
digest=$(rcli debug digest)
vs2 restore "$ID1" --from s3 --yes > /dev/null 2>"$TMP/err"
is $? 1 "restore --from s3 whose snapshot GETs are always dropped fails (1)"
like "$(cat "$TMP/err")" "$ID1/redis.rdb.*failed after 2 attempts" "  naming the object" || sed 's/^/# /' "$TMP/err"
proxy_ctl clear > /dev/null
is "$(rcli debug digest)" "$digest" "  and changes nothing live"
no_trace "$ID1"
ok $? "  nor leaves anything in backup_dir"
vs verify "$ID2" > /dev/null 2>&1 && [ "$(where "$ID1")" = s3 ]
ok $? "the other local backup is intact, and the S3 copy still listed"

# --- a download into a full file system ---------------------------------------------------
# backup_dir on a 2 MiB tmpfs in a private mount namespace of an unprivileged
# user namespace: each file's space is set aside before its bytes arrive, so
# the download stops at once, naming the file, and leaves nothing behind.
mkdir -p "$TMP/full" "$TMP/fullres"
CF=$(conf full backup_dir="$TMP/full")
if unshare -rm true 2>/dev/null; then
	unshare -rm sh -c 'mount -t tmpfs -o size=2m,mode=0700 tmpfs "$1" || exit 99
		cd / && "$2" -c "$3" download "$4" > /dev/null 2> "$5/err"
		echo $? > "$5/rc"
		ls -A "$1" | grep -v -x -e .vsbackup.lock -e .vsbackup-state.json > "$5/ls"' \
	    sh "$TMP/full" "$VSBACKUP" "$CF" "$ID1" "$TMP/fullres"
	is "$(cat "$TMP/fullres/rc" 2>/dev/null)" 1 "a download into a file system without room for it exits 1"
	like "$(cat "$TMP/fullres/err")" "cannot set aside [0-9.]+ MiB for $TMP/full/$ID1.partial/redis.rdb: No space left on device" \
	    "  before the snapshot's bytes arrive, naming the file and the space" || sed 's/^/# /' "$TMP/fullres/err"
	is "$(cat "$TMP/fullres/ls")" "" "  and leaves nothing in backup_dir"
else
	skip 3 "no unprivileged user namespaces here (unshare -rm)"
fi

# --- a wrong secret -----------------------------------------------------------------------
CW=$(conf wrong secret_access_key='"not-the-secret"')
before=$(s3all)
wait_after "$ID2"
"$VSBACKUP" -c "$CW" backup > "$TMP/out" 2>"$TMP/err"
is $? 1 "backup with a wrong secret exits 1"
ID3=$(sed -n 's/.*backup \([0-9_]*\) was made locally, but the upload to S3 failed.*/\1/p' "$TMP/err")
like "$ID3" '^[0-9]{8}_[0-9]{6}$' "  the backup was made locally" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/err")" 'SignatureDoesNotMatch: The request signature we calculated does not match' "  the upload failed with SignatureDoesNotMatch"
grep -q not-the-secret "$TMP/err"
is $? 1 "  without showing the secret"
is "$(grep -c retrying "$TMP/err")" 0 "  and was not retried"
is "$(s3all)" "$before" "nothing new in the bucket"
is "$(where "$ID3")" local "list (with the right secret) shows the backup local only"
"$VSBACKUP" -c "$CW" upload "$ID3" > /dev/null 2>"$TMP/err"
is $? 1 "upload with the wrong secret exits 1"
like "$(cat "$TMP/err")" 'SignatureDoesNotMatch' "  with SignatureDoesNotMatch"
"$VSBACKUP" -c "$CW" download "$ID1" > /dev/null 2>"$TMP/err"
is $? 1 "download with the wrong secret exits 1"
like "$(cat "$TMP/err")" 'SignatureDoesNotMatch' "  with SignatureDoesNotMatch"
"$VSBACKUP" -c "$CW" list > "$TMP/out" 2>"$TMP/err"
is $? 1 "list with the wrong secret exits 1"
like "$(cat "$TMP/err")" 'S3 could not be listed: .*SignatureDoesNotMatch' "  saying S3 could not be listed, and why"
like "$(grep "^$ID3" "$TMP/out")" 'local' "  and still lists the local backups"
is "$(s3all)" "$before" "still nothing new in the bucket"
vs upload "$ID3" > /dev/null 2>&1 && [ "$(where "$ID3")" = both ]
ok $? "with the right secret the upload then succeeds"

done_testing
