#!/bin/bash
# What listing costs in S3 when the bucket holds a repository (format 2)
# beside plain backups, through the signature-checking proxy: the plain
# backups' listing stops where repository/ starts, the manifests are listed
# once, no pack is listed or read however many there are, and a backup
# known to be in the repository costs no request for a plain backup's
# objects. The repository's stored size (list, metrics) comes from its
# index and equals its packs and manifests.
# Covers src/storage/storage-backup.c (storage_list), src/storage/storage.c
# (depth), src/repo/view.c (repo_view_size), src/jobs/catalog.c.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 500
# Listings (GET ?list-type=2) of exactly prefix $2 in proxy log $1.
list_gets() {
	local enc
	enc=$(printf '%s' "$2" | sed 's|/|%2F|g')
	echo "$1" | grep '^GET 200 .*list-type=2' | grep -cE "[?&]prefix=$enc(&| )"
}
obj_bytes() { find "$1" -name '*._S3rver_object' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }

# --- one plain backup, then three in the repository ------------------------------------
tick
plain=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a plain backup (format 1) uploads to S3" || sed 's/^/# /' "$TMP/err"
s3_e2e_format2
ids=()
for i in 1 2 3; do
	rcli set "chimera-vectors:extra-$i" "{\"n\": $i}" >/dev/null
	tick
	ids+=("$(vs backup 2>"$TMP/err" | tail -1)")
done
ok "$([ -f "$S3R/manifests/${ids[2]}._S3rver_object" ]; echo $?)" "three format 2 backups upload to S3" || sed 's/^/# /' "$TMP/err"

# Many more packs than a listing page holds (empty objects no index names).
mkdir -p "$TMP/junk/repository/packs"
for i in $(seq 0 1199); do
	h=$(printf 'ff%062x' "$i")
	mkdir -p "$TMP/junk/repository/packs/ff"
	: > "$TMP/junk/repository/packs/ff/$h"
done
/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 sync --only-show-errors "$TMP/junk" "s3://$S3_BUCKET/$P/" 2>"$TMP/err"
ok $? "1200 more packs in the repository" || sed 's/^/# /' "$TMP/err"

# --- list --location s3 ------------------------------------------------------------------
rm -rf "$B/.repo-cache"
proxy_ctl reset-log >/dev/null
vs list --location s3 >"$TMP/out" 2>"$TMP/err"
ok $? "list --location s3" || sed 's/^/# /' "$TMP/err"
is "$(grep -cE "^($plain|${ids[0]}|${ids[1]}|${ids[2]}) " "$TMP/out")" 4 "  shows the plain backup and the three in the repository"
log=$(proxy_ctl log)
is "$(list_gets "$log" "$P/")" 1 "  one page of the plain backups' listing, stopping at the repository"
is "$(list_gets "$log" "$P/repository/manifests/")" 1 "  one listing of the manifests"
is "$(list_gets "$log" "$P/repository/index/")" 1 "  one of the index files (the repository's size)"
is "$(echo "$log" | grep -c '^GET 200 .*list-type=2')" 3 "  and no other listing: no page of packs"
is "$(echo "$log" | grep -c "/$P/repository/packs/")" 0 "  no pack is read"
bad=0
for id in "${ids[@]}"; do
	echo "$log" | grep -q "/$P/$id/" && bad=1
done
is "$bad" 0 "  no request for a plain backup's objects of a backup in the repository"
is "$(echo "$log" | grep -c "/$P/$plain/metadata.json")" 1 "  the plain backup's metadata is read once"
is "$(echo "$log" | grep -c "/$P/repository/manifests/")" 3 "  each manifest is read once"
is "$(echo "$log" | grep -Ec '^[A-Z]+ (400|403) ')" 0 "  the proxy rejected no signature"

stored=$(( $(obj_bytes "$S3R/packs") + $(obj_bytes "$S3R/manifests") ))
vs metrics --stdout >"$TMP/metrics" 2>"$TMP/err"
is "$(awk '/^vsbackup_repository_size_bytes\{location="s3"\}/ { print $2 }' "$TMP/metrics")" "$stored" \
    "the repository's size in S3 is its packs and manifests ($stored bytes), from its index"
like "$(cat "$TMP/out")" "repository \\(S3\\): 3 backups of .* in .* stored" "list ends with the totals of the repository in S3"

# A second listing reads the index from the local cache: no index file is read again.
proxy_ctl reset-log >/dev/null
vs list --location s3 >/dev/null 2>"$TMP/err"
is "$(proxy_ctl log | grep -c "GET 200 /[^?]*/$P/repository/index/")" 0 "a second listing reads no index file (the cache is current)"

done_testing
