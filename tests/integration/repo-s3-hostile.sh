#!/bin/bash
# The repository (format 2) in S3 behind a hostile endpoint: tests/lib/
# s3-hostile.js, in front of the signature-checking proxy and s3rver,
# answers the repository's own requests (listings of its manifests, index
# and packs, GETs of its objects) the way a broken or malicious server
# would. Listings that never end, XML with entities or deep nesting,
# trickled error bodies, GETs of packs that send more than they hold: each
# ends in a clear error in bounded time, leaves the live data and the
# local repository as they were, and SIGTERM stops it. Keys a listing adds
# outside the repository are never deleted by a collection.
# Covers src/repo/view.c, fetch.c, gc.c and copy.c over
# src/storage/storage.c and src/storage/s3/.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
s3_setup
s3_start_hostile
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 300
s3_e2e_main low_speed_time=10 max_attempts=2
s3_e2e_format2
mode() { hostile_ctl reset-log >/dev/null && hostile_ctl "mode?$1" >/dev/null; }
clear_mode() { hostile_ctl clear >/dev/null; }
count() { hostile_ctl count; }
bounded() { local secs=$1; shift; timeout -k 5 "$secs" "$@"; }
s3rver_has() { /usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3api head-object \
    --bucket "$S3_BUCKET" --key "$1" >/dev/null 2>&1; }
esc=$(printf '\033')
# URL-encoded twice: once for the control URL, once as the request shows it.
REPO_Q=$(printf %s "$P/repository/" | sed 's|/|%252F|g')

tick
id1=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a format 2 backup goes to S3 through the hostile server passing it on" ||
    sed 's/^/# /' "$TMP/err"
ok "$([ -f "$S3R/manifests/${id1}._S3rver_object" ]; echo $?)" "  its manifest is in S3"
d1=$(rcli debug digest)

# --- listings of the repository that never end ---------------------------------------------
for m in list-same-token list-cycle list-empty-pages; do
	mode "name=$m&match=$REPO_Q"
	bounded 120 "$VSBACKUP" -c "$C" list --location s3 >/dev/null 2>"$TMP/err"
	st=$?
	ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" \
	    "$m on the repository's listing: list fails (status $st) instead of looping"
	n=$(count)
	ok "$([ "$n" -ge 1 ] && [ "$n" -le 2000 ]; echo $?)" "  after $n listing requests" ||
	    head -3 "$TMP/err" | sed 's/^/# /'
done
mode "name=list-same-token&match=$REPO_Q"
bounded 120 "$VSBACKUP" -c "$C" list --location s3 >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" 'continuation token' "  the repeated token is named"
clear_mode

# --- the XML of the repository's listings ----------------------------------------------------
mode "name=list-entity-bomb&match=$REPO_Q"
out=$(bounded 60 "$VSBACKUP" -c "$C" list --location s3 2>"$TMP/err")
st=$?
ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" \
    "a repository listing with a DOCTYPE declaring entities fails (status $st)"
like "$(cat "$TMP/err")" 'DOCTYPE' "  saying why"
unlike "$out" "$id1" "  and lists nothing from it"
mode "name=list-deep&match=$REPO_Q"
bounded 60 "$VSBACKUP" -c "$C" list --location s3 >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" 'nested' "a repository listing nested 20000 deep fails, saying why"
mode "name=list-long-key&match=$REPO_Q"
bounded 60 "$VSBACKUP" -c "$C" list --location s3 >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" '1024' "a repository listing with a key of 2000 bytes fails, naming the limit"
mode "name=list-size&size=-1&match=$REPO_Q"
bounded 60 "$VSBACKUP" -c "$C" list --location s3 >/dev/null 2>"$TMP/err"
like "$(cat "$TMP/err")" '[Ss]ize' "a repository listing with Size -1 fails, naming the size"
clear_mode

# --- reading the repository from S3: bodies that trickle or never end --------------------------
# Restore on a machine without the local repository: manifests, index and
# packs come from S3.
mv "$R" "$TMP/repo.local"
rm -rf "$B/.repo-cache"
restore_s3() {
	tick
	bounded "$1" "$VSBACKUP" -c "$C" restore "$id1" --from s3 --yes --no-safety-backup \
	    >"$TMP/out" 2>"$TMP/err"
}
pack_max=$(find "$S3R/packs" -name '*._S3rver_object' -printf '%s\n' | sort -n | tail -1)
local_bytes() { find "$R" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
s3_bytes=$(find "$S3R" -name '*._S3rver_object' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')

mode "name=get-endless&method=GET&match=%2Fpacks%2F"
restore_s3 120
st=$?
ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" "a pack GET that never ends: restore --from s3 fails (status $st)" ||
    sed 's/^/# /' "$TMP/err" | head -5
got=$(local_bytes)
ok "$([ "$got" -le "$s3_bytes" ]; echo $?)" \
    "  and keeps no more than the repository holds ($got bytes; S3 has $s3_bytes, largest pack $pack_max)"
is "$(rcli debug digest)" "$d1" "  Redis's data is untouched"

mode "name=get-huge-length&method=GET&match=%2Fpacks%2F"
restore_s3 120
st=$?
ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" "a pack GET announcing 4300000000 bytes: restore fails (status $st)"
got=$(local_bytes)
ok "$([ "$got" -le "$s3_bytes" ]; echo $?)" "  and keeps no more than the repository holds ($got bytes)"

mode "name=error-endless&method=GET&match=%2Fpacks%2F"
restore_s3 120
st=$?
ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" "a pack GET answering a 503 whose body never ends: restore fails (status $st)"
like "$(cat "$TMP/err")" 'HTTP 503' "  with the status S3 answered"
sent=$(hostile_ctl log | sed -n 's/.* sent=//p' | sort -n | tail -1)
ok "$([ "${sent:-0}" -lt $((16 * 1024 * 1024)) ]; echo $?)" \
    "  reading at most a bounded part of each body (the server got $sent bytes out)"

mode "name=error-escape&method=GET&match=manifests%2F$id1"
restore_s3 120
st=$?
ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" "a 403 with terminal controls on the manifest's GET: restore fails (status $st)"
grep -q -e "$(printf '\302\233')" -e "$(printf '\r')" -e "$esc" "$TMP/err"
is $? 1 "  and no control character reaches the terminal"
like "$(cat "$TMP/err")" 'Access\\xc2\\x9b2JDenied' "  they are shown as escapes"

mode "name=error-trickle&method=GET&match=manifests%2F$id1"
t0=$SECONDS
restore_s3 120
st=$?
ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" \
    "a 500 trickled at 2 bytes/s on the repository's GETs: restore fails (status $st) in $((SECONDS - t0)) s"
like "$(cat "$TMP/err")" 'HTTP 500' "  with the status S3 answered"
is "$(rcli debug digest)" "$d1" "  Redis's data is untouched"
clear_mode

mode "name=error-trickle&method=GET&match=repository%252Fmanifests"
restore_s3 120
st=$?
ok "$([ "$st" != 0 ] && [ "$st" != 124 ]; echo $?)" \
    "a 500 trickled on the listing of the repository's manifests: restore fails (status $st)"
like "$(cat "$TMP/err")" 'listing .*repository/manifests/.*HTTP 500' "  naming the listing that failed"
unlike "$(cat "$TMP/err")" 'is not complete' "  not a backup that is not there"
clear_mode

restore_s3 120
ok $? "once the endpoint behaves, restore --from s3 succeeds" || sed 's/^/# /' "$TMP/err" | tail -5
is "$(rcli debug digest)" "$d1" "  with the data of the backup"

# --- a collection deletes nothing outside the repository ----------------------------------------
echo keep > "$TMP/keep.txt"
for k in other/keep.txt other/keep2.txt "$P/keep3.txt" "$P/repository-x/packs/keep4"; do
	/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 cp --quiet "$TMP/keep.txt" "s3://$S3_BUCKET/$k"
done
s3rver_has other/keep.txt && s3rver_has "$P/keep3.txt"
ok $? "objects outside the repository are in the bucket"
rcli set chimera-vectors:changed '{"x": 1}' >/dev/null
tick
id2=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a second backup" || sed 's/^/# /' "$TMP/err"
vs delete "$id1" --yes >/dev/null 2>&1
h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
keys="other/keep.txt,$P/repository/packs/../../../other/keep2.txt,$P/repository/../keep3.txt"
keys="$keys,$P/repository-x/packs/keep4,$P/repository/packs/01/../../../other/$h"
for sub in packs index trash; do
	mode "name=list-add-keys&match=$(printf %s "$P/repository/$sub/" | sed 's|/|%252F|g')&keys=$(printf %s "$keys" | sed 's|/|%2F|g; s|,|%2C|g')"
	VSBACKUP_GC_GRACE=0 bounded 120 "$VSBACKUP" -c "$C" cleanup --location s3 >"$TMP/out" 2>&1
	VSBACKUP_GC_GRACE=0 bounded 120 "$VSBACKUP" -c "$C" cleanup --location s3 >>"$TMP/out" 2>&1
	clear_mode
	s3rver_has other/keep.txt && s3rver_has other/keep2.txt && s3rver_has "$P/keep3.txt" &&
	    s3rver_has "$P/repository-x/packs/keep4"
	ok $? "a collection whose $sub listing offers keys outside the repository leaves them alone" ||
	    sed 's/^/# /' "$TMP/out" | tail -8
	grep -q "$esc" "$TMP/out"
	is $? 1 "  printing no escape character"
done
restore_s3 120
ok $? "the remaining backup still restores from S3" || sed 's/^/# /' "$TMP/err" | tail -5

# --- cancellation -------------------------------------------------------------------------------
sed -i 's/low_speed_time = 10;/low_speed_time = 600;/' "$C"
mode "name=list-trickle&match=$REPO_Q"
st=$(term_within 15 "$VSBACKUP" -c "$C" list --location s3)
ok "$([ "$st" != hung ] && [ "$st" != 0 ]; echo $?)" \
    "SIGTERM stops a repository listing that trickles in (status $st)"
like "$(cat "$TMP/err")" 'cancel' "  saying it was cancelled"
mode "name=error-trickle&method=GET&match=$REPO_Q"
rm -rf "$R" "$B/.repo-cache"
st=$(term_within 15 "$VSBACKUP" -c "$C" restore "$id2" --from s3 --yes --no-safety-backup)
ok "$([ "$st" != hung ] && [ "$st" != 0 ]; echo $?)" \
    "SIGTERM stops a restore reading a trickled error from the repository (status $st)" ||
    sed 's/^/# /' "$TMP/err" | tail -8
like "$(cat "$TMP/err")" 'cancel' "  saying it was cancelled"
unlike "$(cat "$TMP/err")" 'retrying' "  with no request retried after it: the restore never starts"
clear_mode
done_testing
