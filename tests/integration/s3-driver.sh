#!/bin/bash
# The S3 storage driver end to end, through tests/lib/s3-proxy.js (which
# checks every SigV4 signature and payload hash as S3 does and injects
# faults) to s3rver: put/list/stat/get/read/remove, SSE headers, a wrong
# secret, multipart, retries, a persistent fault, listing validation and
# pagination, and interoperability with the AWS CLI.
# timeout: 600
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"

s3_setup --require-sse
"$PROBE" > "$TMP/selftest" 2>&1
ok $? "storage_open_s3 checks its configuration (s3-probe self-test)" || sed 's/^/# /' "$TMP/selftest"
export S3_BUCKET
P=vector_store_backups
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The listings (GET ?list-type=2) in proxy log $1 of exactly prefix $2.
list_gets() {
	local enc
	enc=$(printf '%s' "$2" | sed 's|/|%2F|g')
	echo "$1" | grep '^GET 200 .*list-type=2' | grep -cE "[?&]prefix=$enc(&| )"
}
# Objects as s3rver itself has them (not through the proxy).
s3rver_keys() { /usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3api list-objects-v2 \
    --bucket "$S3_BUCKET" --query 'Contents[].Key' --output text 2>/dev/null | tr '\t' '\n'; }
mkdir -p "$TMP/in" "$TMP/out"
cd "$TMP/in" || exit 1

# --- a small backup: put, list, stat, get, read, sidecars, remove -----------
head -c 1048577 /dev/urandom > redis.rdb
head -c 300000 /dev/urandom > content_index.faiss
: > user_index.faiss
out=$(probe put 20240101_000000 redis.rdb content_index.faiss user_index.faiss 2>"$TMP/err")
ok $? "put a backup of three files (one empty)" || sed 's/^/# /' "$TMP/err"
is "$(echo "$out" | awk '/^sha256 redis.rdb/ {print $3}')" "$(sha redis.rdb)" "put returns the SHA-256 of what it wrote"
is "$(echo "$out" | awk '/^sha256 user_index.faiss/ {print $3}')" "$(sha user_index.faiss)" "  also for an empty file"
is "$(echo "$out" | awk '/^progress/ {print $2}')" 1348577 "progress adds up to the bytes uploaded"
is "$(probe list)" "20240101_000000 complete $((1348577 + 33))" "listed complete, with its total size"
is "$(probe stat 20240101_000000 redis.rdb)" 1048577 "stat gives the size"
probe stat 20240101_000000 verify.json 2>"$TMP/err"
is $? 1 "stat of a missing file fails"
like "$(cat "$TMP/err")" '^error \[not-found\]: .*20240101_000000/verify.json.*NotFound' "  with not-found naming the key"
is "$(grep -c 'retrying' "$TMP/err")" 0 "  and a 404 is not retried"
probe get 20240101_000000 redis.rdb "$TMP/out/get.rdb" >/dev/null && cmp -s redis.rdb "$TMP/out/get.rdb"
ok $? "get writes the object byte-identical"
probe read 20240101_000000 content_index.faiss "$TMP/out/read.faiss" && cmp -s content_index.faiss "$TMP/out/read.faiss"
ok $? "read streams the object byte-identical"
probe get 20240101_000000 user_index.faiss "$TMP/out/empty" >/dev/null && [ ! -s "$TMP/out/empty" ]
ok $? "an empty object round-trips"
like "$(probe read-small 20240101_000000 metadata.json)" '"backup_id": "20240101_000000"' "metadata.json holds what commit was given"
echo '{"level":"quick"}' > verify.json
probe write-small 20240101_000000 verify.json verify.json &&
    is "$(probe read-small 20240101_000000 verify.json)" '{"level":"quick"}' "write-small then read-small"
probe remove-small 20240101_000000 verify.json && probe remove-small 20240101_000000 verify.json
ok $? "remove-small, twice (missing is not an error)"

log=$(proxy_ctl log)
is "$(echo "$log" | grep -c '^PUT 200 .*/'$P'/20240101_000000/[a-z_.]* sse=AES256')" 5 "every PUT carried x-amz-server-side-encryption: AES256"
is "$(echo "$log" | grep -Ec '^[A-Z]+ (400|403) ')" 0 "the proxy rejected no signature or payload hash"
is "$(echo "$log" | grep -c '^PUT 200 .*/metadata.json ')" 1 "metadata.json is written once"
is "$(echo "$log" | grep '^PUT' | grep -v verify.json | tail -1 | grep -c metadata.json)" 1 "  and after the data files"

# --- server-side encryption settings ---------------------------------------
cp redis.rdb pinned
probe -o s3.sse=none put 20240101_000100 pinned 2>"$TMP/err"
is $? 1 "with s3.sse=none the proxy (requiring SSE) refuses the upload"
like "$(cat "$TMP/err")" 'InvalidArgument' "  and its error is shown"
proxy_ctl reset-log >/dev/null
probe -o s3.sse=aws:kms -o s3.sse_kms_key_id=arn:aws:kms:us-east-1:111122223333:key/test put 20240101_000200 pinned >/dev/null
ok $? "put with s3.sse=aws:kms"
is "$(proxy_ctl log | grep -c '^PUT 200 .*sse=aws:kms')" 2 "  every PUT carried aws:kms"

# --- a wrong secret ------------------------------------------------------------
before=$(s3rver_keys | sort)
AWS_SECRET_ACCESS_KEY=not-the-secret probe put 20240102_000000 redis.rdb >/dev/null 2>"$TMP/err"
is $? 1 "a wrong secret fails"
like "$(cat "$TMP/err")" 'SignatureDoesNotMatch: The request signature we calculated does not match' "  with S3's SignatureDoesNotMatch code and message"
like "$(cat "$TMP/err")" 's3://'"$S3_BUCKET"'/'"$P"'/20240102_000000/' "  naming what was being done where"
grep -q not-the-secret "$TMP/err"
is $? 1 "  without showing the secret"
is "$(s3rver_keys | sort)" "$before" "nothing new appeared in the bucket"
is "$(grep -c retrying "$TMP/err")" 0 "a 403 is not retried"

# --- multipart: 5 MiB parts on a 23 MiB file ------------------------------------
MP=(-o s3.multipart_threshold=5242880 -o s3.part_size=5242880 -o s3.concurrency=3)
head -c $((23 * 1024 * 1024 + 1)) /dev/urandom > redis.rdb
proxy_ctl reset-log >/dev/null
out=$(probe "${MP[@]}" put 20240103_000000 redis.rdb 2>"$TMP/err")
ok $? "multipart upload of 23 MiB" || sed 's/^/# /' "$TMP/err"
is "$(echo "$out" | awk '/^sha256/ {print $3}')" "$(sha redis.rdb)" "  returns the whole file's SHA-256"
log=$(proxy_ctl log)
is "$(echo "$log" | grep -c '^POST 200 .*redis.rdb?uploads= sse=AES256')" 1 "  CreateMultipartUpload carries SSE"
is "$(echo "$log" | grep -c '^PUT 200 .*redis.rdb?partNumber=[1-5]&uploadId=')" 5 "  five parts, each signed with its own payload hash"
is "$(echo "$log" | grep -c '^POST 200 .*redis.rdb?uploadId=')" 1 "  CompleteMultipartUpload"
proxy_ctl reset-log >/dev/null
probe "${MP[@]}" get 20240103_000000 redis.rdb "$TMP/out/mp.rdb" >/dev/null && cmp -s redis.rdb "$TMP/out/mp.rdb"
ok $? "parallel ranged download is byte-identical"
is "$(proxy_ctl log | grep -c '^GET 206 .*/20240103_000000/redis.rdb')" 5 "  in five ranged GETs"
probe read 20240103_000000 redis.rdb "$TMP/out/mp-read.rdb" && cmp -s redis.rdb "$TMP/out/mp-read.rdb"
ok $? "streaming read of the multipart object is byte-identical"
/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 cp "s3://$S3_BUCKET/$P/20240103_000000/redis.rdb" "$TMP/out/mp-aws.rdb" >/dev/null 2>&1 &&
    cmp -s redis.rdb "$TMP/out/mp-aws.rdb"
ok $? "s3rver holds it byte-identical (read by the AWS CLI)"

# --- faults are retried through ---------------------------------------------------
proxy_ctl reset-log >/dev/null
proxy_ctl 'fault?type=500&method=POST' >/dev/null
# Each fault on a request of its own, whatever order parallel parts take.
proxy_ctl 'fault?type=503&method=PUT&match=partNumber%3D1' >/dev/null
proxy_ctl 'fault?type=drop&method=PUT&match=partNumber%3D2' >/dev/null
proxy_ctl 'fault?type=stall&match=partNumber%3D3' >/dev/null
proxy_ctl 'fault?type=503&match=metadata.json' >/dev/null
cp content_index.faiss pinned
probe "${MP[@]}" -o s3.low_speed_time=2 put 20240104_000000 redis.rdb pinned >/dev/null 2>"$TMP/err"
ok $? "an upload with 500, 503 SlowDown, a dropped connection and a stall succeeds" || sed 's/^/# /' "$TMP/err"
log=$(proxy_ctl log)
is "$(echo "$log" | grep -c 'fault=\(500\|503\|drop\|stall\)')" 5 "  all five faults were injected"
# The dropped part is retried by the driver (and reported) or, when curl
# had sent it on a reused connection, by curl itself before any answer.
n=$(grep -c 'retrying in' "$TMP/err")
ok "$([ "$n" -ge 4 ] && [ "$n" -le 5 ]; echo $?)" "  each retry of the driver was reported through the warning hook ($n)" ||
    { sed 's/^/# /' "$TMP/err"; echo "$log" | sed 's/^/# log: /'; }
like "$(cat "$TMP/err")" 'starting the multipart upload of .*InternalError.*retrying in' "  the 500 on CreateMultipartUpload"
like "$(cat "$TMP/err")" 'uploading part 1 of .*SlowDown.*retrying in' "  the 503 on part 1"
like "$(cat "$TMP/err")" 'SlowDown: Please reduce your request rate' "  naming SlowDown"
like "$(cat "$TMP/err")" 'uploading part 3 of .*(too slow|timed out|Timeout)' "  and the stalled part"
probe get 20240104_000000 redis.rdb "$TMP/out/f.rdb" >/dev/null && cmp -s redis.rdb "$TMP/out/f.rdb"
ok $? "  and the object is byte-identical"
proxy_ctl clear >/dev/null
proxy_ctl 'fault?type=truncate&method=GET&match=redis.rdb' >/dev/null
proxy_ctl 'fault?type=drop&method=GET&nth=3&match=redis.rdb' >/dev/null
probe "${MP[@]}" get 20240104_000000 redis.rdb "$TMP/out/f2.rdb" >/dev/null 2>"$TMP/err" &&
    cmp -s redis.rdb "$TMP/out/f2.rdb"
ok $? "a download with a truncated answer and a dropped connection is byte-identical"
proxy_ctl clear >/dev/null

# --- a persistent fault ends in a clear error, with nothing committed -------------
proxy_ctl reset-log >/dev/null
proxy_ctl 'fault?type=503&count=-1&match=metadata.json' >/dev/null
probe -o s3.max_attempts=3 put 20240105_000000 pinned >/dev/null 2>"$TMP/err"
is $? 1 "metadata.json failing every time fails the backup"
like "$(cat "$TMP/err")" "error \[s3\]: uploading s3://$S3_BUCKET/$P/20240105_000000/metadata.json failed after 3 attempts: SlowDown" "  with a message naming the key, the attempts and the code"
is "$(grep -c 'retrying in' "$TMP/err")" 2 "  after two retries"
is "$(s3rver_keys | grep -c 20240105_000000)" 0 "  no metadata.json and no data left in the bucket"
proxy_ctl clear >/dev/null
proxy_ctl 'fault?type=500&count=-1&match=partNumber%3D2' >/dev/null
proxy_ctl reset-log >/dev/null
probe "${MP[@]}" -o s3.max_attempts=2 put 20240106_000000 redis.rdb >/dev/null 2>"$TMP/err"
is $? 1 "a part failing every time fails the upload"
like "$(cat "$TMP/err")" 'uploading part 2 of .* failed after 2 attempts: InternalError' "  naming the part"
is "$(proxy_ctl log | grep -c '^DELETE .*redis.rdb?uploadId=')" 1 "  and the multipart upload is aborted"
is "$(s3rver_keys | grep -c 20240106_000000)" 0 "  nothing of it stays in the bucket"
proxy_ctl clear >/dev/null
probe list | grep -c '^2024010[56]' >/dev/null
is $? 1 "failed backups are not listed"

# --- listing: invalid keys are skipped with a warning -------------------------
: > "$TMP/empty"
for key in "$P/20240230_000000/metadata.json" "$P/20240101_000000/evil.sh" \
    "$P/notanid/metadata.json" "$P/20240107_000000/sub/metadata.json" "$P/x/../../etc/metadata.json"; do
	/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3api put-object --bucket "$S3_BUCKET" \
	    --key "$key" --body "$TMP/empty" >/dev/null 2>&1
done
listing=$(probe list 2>"$TMP/err")
ok $? "listing with foreign objects succeeds"
is "$(echo "$listing" | cut -d' ' -f1,2 | tr '\n' ' ')" "20240101_000000 complete 20240101_000200 complete 20240103_000000 complete 20240104_000000 complete " "  only valid backups are listed"
is "$(grep -c 'skipping s3://' "$TMP/err")" "$(s3rver_keys | grep -Ec 'evil|notanid|20240230|/sub/|\.\.')" "  every foreign key is reported through the warning hook"
like "$(cat "$TMP/err")" 'skipping s3://.*/evil.sh' "  e.g. an unknown file name"

# --- remove: metadata.json first --------------------------------------------------
proxy_ctl reset-log >/dev/null
probe remove 20240104_000000
ok $? "remove a backup"
is "$(proxy_ctl log | grep '^DELETE' | head -1 | grep -c metadata.json)" 1 "  metadata.json is deleted first"
is "$(s3rver_keys | grep -c '20240104_000000/\(redis.rdb\|pinned\|metadata.json\)')" 0 "  and nothing of it is left"
probe remove 20240104_000000 2>"$TMP/err"
is $? 1 "removing it again fails"
like "$(cat "$TMP/err")" 'not-found' "  with not-found"
probe put-abort 20240108_000000 pinned >/dev/null && [ "$(s3rver_keys | grep -c 20240108_000000)" = 0 ]
ok $? "an aborted backup leaves nothing"

# --- pagination: more keys than one ListObjectsV2 page -------------------------------
mkdir -p "$TMP/many"
for i in $(seq 0 1099); do
	d=$TMP/many/2023$(printf '%02d%02d_%06d' $((i / 28 % 12 + 1)) $((i % 28 + 1)) $((i / 336)))
	mkdir -p "$d" && echo "{}" > "$d/metadata.json"
done
/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 sync --only-show-errors "$TMP/many" "s3://$S3_BUCKET/$P/" 2>"$TMP/err"
ok $? "1100 more backups stored" || sed 's/^/# /' "$TMP/err"
proxy_ctl reset-log >/dev/null
is "$(probe list 2>"$TMP/err" | grep -c '^2023.* complete')" 1100 "all 1100 are listed" || sed 's/^/# /' "$TMP/err" | head -5
log=$(proxy_ctl log)
is "$(list_gets "$log" "$P/")" 2 "  over two pages of the backups' listing"
is "$(echo "$log" | grep -c 'continuation-token=')" 1 "  following the continuation token"
is "$(list_gets "$log" "$P/repository/manifests/")" 0 "  no listing of manifests: the listing passed where a repository would be"
is "$(echo "$log" | grep -c '^GET 200 .*list-type=2')" 2 "  and no other listing"

# --- a repository with many packs: listing the backups does not page through them -------
# The listing of the plain backups stops where repository/ starts (S3 lists
# in key order, backup ids begin with a digit); the repository's backups come
# from one listing of its manifests: pages of plain backups + pages of
# manifests, whatever the number of packs.
mkdir -p "$TMP/repo/repository/manifests" "$TMP/repo/repository/index"
echo '{}' > "$TMP/repo/repository/config"
for i in $(seq 0 1499); do
	h=$(printf '%064x' "$i")
	mkdir -p "$TMP/repo/repository/packs/${h:62:2}"
	: > "$TMP/repo/repository/packs/${h:62:2}/$h"
done
for id in 20250101_000000 20250102_000000 20250103_000000; do
	: > "$TMP/repo/repository/manifests/$id"
	: > "$TMP/repo/repository/index/$(printf '%s' "$id" | sha256sum | cut -c1-64)"
done
/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 sync --only-show-errors "$TMP/repo" "s3://$S3_BUCKET/$P/" 2>"$TMP/err"
ok $? "a repository of 1500 packs and 3 manifests stored beside them" || sed 's/^/# /' "$TMP/err"
plain=$(s3rver_keys | LC_ALL=C awk -v p="$P/" -v r="$P/repository/" 'index($0, p) == 1 && $0 < r' | wc -l)
proxy_ctl reset-log >/dev/null
listing=$(probe list 2>"$TMP/err")
is "$(echo "$listing" | grep -c '^2023.* complete')" 1100 "all 1100 plain backups are still listed" || sed 's/^/# /' "$TMP/err" | head -5
is "$(echo "$listing" | grep -c '^2025010[123]_000000 complete')" 3 "  and the 3 of the repository"
log=$(proxy_ctl log)
is "$(list_gets "$log" "$P/")" $((plain / 1000 + 1)) "  $((plain / 1000 + 1)) pages of the backups' listing for $plain plain keys, the last reaching the repository"
is "$(list_gets "$log" "$P/repository/manifests/")" 1 "  one page of manifests"
is "$(echo "$log" | grep -c '^GET 200 .*list-type=2')" $((plain / 1000 + 2)) "  and no other listing: no page of packs"
is "$(echo "$log" | grep -vc '^GET 200 .*list-type=2')" 0 "  and no other request"

# --- interoperability with the AWS CLI (through the signature check) --------------------
awsp() { /usr/bin/aws --endpoint-url "$S3_ENDPOINT" "$@"; }
head -c $((7 * 1024 * 1024 + 3)) /dev/urandom > small.rdb
head -c $((17 * 1024 * 1024 + 5)) /dev/urandom > big.rdb
awsp s3 cp --sse AES256 --only-show-errors small.rdb "s3://$S3_BUCKET/$P/20240201_000000/redis.rdb" 2>"$TMP/err" &&
    awsp s3 cp --sse AES256 --only-show-errors big.rdb "s3://$S3_BUCKET/$P/20240201_000000/content_index.faiss" 2>>"$TMP/err" &&
    awsp s3 cp --sse AES256 --only-show-errors "$TMP/empty" "s3://$S3_BUCKET/$P/20240201_000000/metadata.json" 2>>"$TMP/err"
ok $? "the AWS CLI uploads through the signature-checking proxy" || sed 's/^/# /' "$TMP/err"
probe get 20240201_000000 redis.rdb "$TMP/out/aws1" >/dev/null && cmp -s small.rdb "$TMP/out/aws1"
ok $? "an object uploaded by aws s3 cp is read back byte-identical"
probe "${MP[@]}" get 20240201_000000 content_index.faiss "$TMP/out/aws2" >/dev/null && cmp -s big.rdb "$TMP/out/aws2"
ok $? "  also one the CLI uploaded in parts, read in parallel ranges"
mkdir -p "$TMP/drv" && cp big.rdb "$TMP/drv/content_index.faiss" && cp small.rdb "$TMP/drv/redis.rdb"
probe "${MP[@]}" put 20240202_000000 "$TMP/drv/content_index.faiss" "$TMP/drv/redis.rdb" >/dev/null 2>"$TMP/err"
ok $? "the driver uploads (multipart and single)" || sed 's/^/# /' "$TMP/err"
awsp s3 cp --only-show-errors "s3://$S3_BUCKET/$P/20240202_000000/content_index.faiss" "$TMP/out/aws3" 2>"$TMP/err" &&
    cmp -s big.rdb "$TMP/out/aws3"
ok $? "aws s3 cp reads the driver's multipart object byte-identical" || sed 's/^/# /' "$TMP/err"
awsp s3 cp --only-show-errors "s3://$S3_BUCKET/$P/20240202_000000/redis.rdb" "$TMP/out/aws4" 2>"$TMP/err" &&
    cmp -s small.rdb "$TMP/out/aws4"
ok $? "  and its single-PUT object" || sed 's/^/# /' "$TMP/err"
is "$(proxy_ctl log | grep -Ec '^[A-Z]+ (400|403) ')" 0 "no request of either was refused by the signature check"

done_testing
