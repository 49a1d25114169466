#!/bin/bash
# The S3 client against a hostile endpoint: tests/lib/s3-hostile.js in front
# of the signature-checking proxy and s3rver answers chosen requests the
# way a broken or malicious server would. Listings that never end (the
# same token, a cycle, endless empty pages), error bodies trickled or
# endless, a GET that sends more than the object holds, XML with entities,
# deep nesting, over-long keys and negative sizes, keys outside the
# backup's prefix offered for deletion, and terminal escapes in error
# messages: each ends in a clear error (or is left alone) in bounded time
# and bounded memory, and SIGTERM stops a transfer that hangs.
# Covers src/storage/s3/s3-client.c, s3-xml.c, s3-list.c, s3-download.c and
# s3-delete.c.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"

s3_setup
s3_start_hostile
export S3_BUCKET
P=vector_store_backups
ID=20240101_000000
ID2=20240102_000000
ID3=20240103_000000
mkdir -p "$TMP/in" "$TMP/out"
cd "$TMP/in" || exit 1
mode() { hostile_ctl reset-log >/dev/null && hostile_ctl "mode?$1" >/dev/null; }
clear_mode() { hostile_ctl clear >/dev/null; }
count() { hostile_ctl count; }
# The largest body one answer of the hostile server got out.
max_sent() { hostile_ctl log | sed -n 's/.* sent=//p' | sort -n | tail -1; }
# A command that today may never end: ended after SECONDS with status 124.
bounded() { local secs=$1; shift; timeout -k 5 "$secs" "$@"; }
s3rver_has() { /usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3api head-object \
    --bucket "$S3_BUCKET" --key "$1" >/dev/null 2>&1; }
esc=$(printf '\033')
csi=$(printf '\302\233')
cr=$(printf '\r')

head -c 100 /dev/urandom > redis.rdb
probe put "$ID" redis.rdb >/dev/null 2>"$TMP/err"
ok $? "a backup of 100 bytes is put through the hostile server passing it on" ||
    sed 's/^/# /' "$TMP/err"

# --- listings that never end ---------------------------------------------------
mode 'name=list-same-token'
bounded 60 "$PROBE" list >/dev/null 2>"$TMP/err"
is $? 1 "a listing that names the same continuation token again fails"
like "$(cat "$TMP/err")" 'continuation token .* (again|before)' "  saying the server repeats its token"
n=$(count)
[ "$n" -le 3 ]
ok $? "  after $n requests" || head -3 "$TMP/err" | sed 's/^/# /'

mode 'name=list-cycle'
bounded 60 "$PROBE" list >/dev/null 2>"$TMP/err"
is $? 1 "a listing whose tokens go round in a cycle fails"
n=$(count)
[ "$n" -le 4 ]
ok $? "  after $n requests"

mode 'name=list-empty-pages'
bounded 120 "$PROBE" list >/dev/null 2>"$TMP/err"
is $? 1 "a listing of endless empty truncated pages fails"
like "$(cat "$TMP/err")" 'empty' "  saying the pages were empty"
n=$(count)
[ "$n" -le 1001 ]
ok $? "  after $n requests"

# --- error bodies ------------------------------------------------------------------
mode 'name=error-trickle&method=GET'
bounded 60 "$PROBE" -o s3.max_attempts=1 read-small "$ID" redis.rdb >/dev/null 2>"$TMP/err"
is $? 1 "a 500 whose body trickles at 2 bytes/s fails instead of waiting for it"
like "$(cat "$TMP/err")" 'HTTP 500' "  with the status S3 answered"

mode 'name=error-endless&method=GET'
bounded 60 "$PROBE" -o s3.max_attempts=2 read-small "$ID" redis.rdb >/dev/null 2>"$TMP/err"
is $? 1 "a 503 whose body never ends fails"
like "$(cat "$TMP/err")" 'HTTP 503.*2 attempts|after 2 attempts.*HTTP 503' "  after the attempts allowed, with the status"
sent=$(max_sent)
[ "${sent:-0}" -lt $((16 * 1024 * 1024)) ]
ok $? "  reading at most a bounded part of each body (the server got $sent bytes out)"

mode 'name=error-escape&method=GET'
"$PROBE" read-small "$ID" redis.rdb >/dev/null 2>"$TMP/err"
is $? 1 "a 403 with terminal controls in its Code and Message fails"
grep -q -e "$csi" -e "$cr" "$TMP/err"
is $? 1 "  and no control character reaches the terminal"
like "$(cat "$TMP/err")" 'Access\\xc2\\x9b2JDenied: denied\\x0dover' "  they are shown as escapes"
clear_mode

# --- a GET that sends more than the object holds ----------------------------------
mode 'name=get-endless'
bounded 60 "$PROBE" get "$ID" redis.rdb "$TMP/out/endless" >/dev/null 2>"$TMP/err"
is $? 1 "a GET answering more than the 100 bytes HEAD announced fails"
like "$(cat "$TMP/err")" 'more than' "  saying the answer was larger than the object"
size=$(stat -c %s "$TMP/out/endless" 2>/dev/null || echo 0)
[ "$size" -le 100 ]
ok $? "  and writes no more than 100 bytes ($size)"

mode 'name=get-huge-length'
bounded 60 "$PROBE" get "$ID" redis.rdb "$TMP/out/huge" >/dev/null 2>"$TMP/err"
is $? 1 "a GET announcing 4300000000 bytes for a 100-byte object fails"
size=$(stat -c %s "$TMP/out/huge" 2>/dev/null || echo 0)
[ "$size" -le 100 ]
ok $? "  and writes no more than 100 bytes ($size)"
clear_mode

head -c $((12 * 1024 * 1024)) /dev/urandom > user_index.faiss
MP=(-o s3.multipart_threshold=5242880 -o s3.part_size=5242880 -o s3.concurrency=2)
probe "${MP[@]}" put "$ID2" user_index.faiss >/dev/null 2>"$TMP/err"
ok $? "a 12 MiB object is put in 5 MiB parts" || sed 's/^/# /' "$TMP/err"
mode 'name=get-endless'
bounded 60 "$PROBE" "${MP[@]}" get "$ID2" user_index.faiss "$TMP/out/ranged" >/dev/null 2>"$TMP/err"
is $? 1 "ranged GETs answering more than their ranges fail"
size=$(stat -c %s "$TMP/out/ranged" 2>/dev/null || echo 0)
[ "$size" -le $((12 * 1024 * 1024)) ]
ok $? "  and write nothing past the object's size ($size)"
bounded 60 "$PROBE" "${MP[@]}" read "$ID2" user_index.faiss "$TMP/out/read" 2>"$TMP/err"
is $? 1 "a streamed read of such answers fails"
clear_mode

# --- the XML of listings ---------------------------------------------------------------
mode 'name=list-entity-bomb'
bounded 60 "$PROBE" list >"$TMP/out/list" 2>"$TMP/err"
is $? 1 "a listing with a DOCTYPE declaring entities is refused"
like "$(cat "$TMP/err")" 'DOCTYPE' "  saying why"
[ "$(stat -c %s "$TMP/err")" -lt 4096 ]
ok $? "  without printing what the entities expand to"

mode 'name=list-deep'
bounded 60 "$PROBE" list >/dev/null 2>"$TMP/err"
is $? 1 "a listing nested 20000 elements deep is refused"
like "$(cat "$TMP/err")" 'nested' "  saying why"

mode 'name=list-long-key'
bounded 60 "$PROBE" list >/dev/null 2>"$TMP/err"
is $? 1 "a listing with a key of 2000 bytes is refused"
like "$(cat "$TMP/err")" '1024' "  naming the limit"

for s in -1 +1 ' 1' 18446744073709551616; do
	mode "name=list-size&size=$(printf %s "$s" | sed 's/+/%2B/; s/ /%20/')"
	out=$(bounded 60 "$PROBE" list 2>"$TMP/err")
	is $? 1 "a listing with Size \"$s\" is refused"
	is "$out" "" "  and lists nothing"
done
clear_mode

# --- deleting only what lies under the backup's prefix ----------------------------------
probe put "$ID3" redis.rdb >/dev/null 2>"$TMP/err"
ok $? "a second backup is put" || sed 's/^/# /' "$TMP/err"
echo keep > keep.txt
for k in other/keep.txt other/keep2.txt "$P/keep3.txt"; do
	/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 cp --quiet keep.txt "s3://$S3_BUCKET/$k"
done
s3rver_has other/keep.txt && s3rver_has "$P/keep3.txt"
ok $? "objects outside any backup are in the bucket"
keys="other/keep.txt,$P/$ID3/redis.rdb,$P/$ID3/metadata.json,$P/$ID/../../other/keep2.txt"
keys="$keys,$P/$ID/../keep3.txt,$P/${ID}x/redis.rdb"
mode "name=list-add-keys&match=$ID%252F&keys=$(printf %s "$keys" | sed 's|/|%2F|g; s|,|%2C|g')"
probe remove "$ID" >/dev/null 2>"$TMP/err"
ok $? "removing a backup whose listing also offers keys outside it" || sed 's/^/# /' "$TMP/err"
clear_mode
is "$(probe list 2>/dev/null)" "$ID2 complete $((12 * 1024 * 1024 + 33))
$ID3 complete $((100 + 33))" "  removed that backup and left the others whole"
s3rver_has other/keep.txt
ok $? "  left an object outside the prefix"
s3rver_has other/keep2.txt
ok $? "  left an object named through '..' segments"
s3rver_has "$P/keep3.txt"
ok $? "  left an object beside the backups"
like "$(cat "$TMP/err")" "leaving s3://$S3_BUCKET/$P/$ID/\\.\\./\\.\\./other/keep2.txt alone" \
    "  and warned about the key named through '..'"
grep -q "$esc" "$TMP/err"
is $? 1 "  printing no escape character"

# --- cancellation -------------------------------------------------------------------------
write_config "$TMP/vs.conf" 's3.prefix="vector_store_backups"' 's3.low_speed_time=600' \
    's3.max_attempts=20'
mkdir -p "$TMP/backups"
mode 'name=list-trickle'
st=$(term_within 15 "$VSBACKUP" -c "$TMP/vs.conf" list --location s3)
[ "$st" != hung ] && [ "$st" != 0 ]
ok $? "SIGTERM stops a listing whose answer trickles in (status $st)"
like "$(cat "$TMP/err")" 'cancel' "  saying it was cancelled"
clear_mode

proxy_ctl 'fault?type=503&count=-1' >/dev/null
st=$(term_within 15 "$VSBACKUP" -c "$TMP/vs.conf" list --location s3)
[ "$st" != hung ] && [ "$st" != 0 ]
ok $? "SIGTERM stops a listing waiting between retries (status $st)"
proxy_ctl clear >/dev/null

done_testing
