#!/bin/bash
# Virtual-hosted addressing against a live server. With path_style = false
# the bucket goes into the host name (BUCKET.s3.localhost, which libcurl
# resolves to the loopback address itself, and s3rver maps back to the
# bucket with --service-endpoint localhost); the request paths carry only
# the key, and the signature-checking proxy accepts every signature made
# over that host. A backup goes up, is listed, comes back down, verifies,
# and is deleted that way.
# Covers src/storage/s3/s3-addr.c (virtual-hosted URLs) with the signer.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"

S3RVER_ARGS="--service-endpoint localhost" s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"

PORT=${S3_ENDPOINT##*:}
ip=$(curl -s -o /dev/null -w '%{remote_ip}' "http://$S3_BUCKET.s3.localhost:$PORT/" 2>/dev/null)
[ "$ip" = 127.0.0.1 ] || [ "$ip" = ::1 ] ||
    skip_all "this libcurl does not resolve names under .localhost to the loopback address"

s3_e2e_demo 2000
C=$(conf vhost endpoint="\"http://s3.localhost:$PORT\"" path_style=false)
s3keys() {
	(cd "$S3RVER_DIR/data/$S3_BUCKET" 2>/dev/null &&
	    find . -name '*._S3rver_object' | sed 's|^\./||; s|\._S3rver_object$||' | sort)
}

proxy_ctl reset-log > /dev/null
vs backup > "$TMP/out" 2>"$TMP/err"
ok $? "backup and upload with virtual-hosted addressing" || sed 's/^/# /' "$TMP/err"
ID=$(tail -1 "$TMP/out")
is "$(s3keys | tr '\n' ' ')" \
    "$P/$ID/content_index.faiss $P/$ID/metadata.json $P/$ID/redis.rdb $P/$ID/user_index.faiss " \
    "the four objects are in the bucket"
proxy_ctl log > "$TMP/log"
# 404: the HEAD that checks the backup is not there yet.
ok "$([ -s "$TMP/log" ] && ! grep -v "^[A-Z]* \(20[0-9]\|404\) " "$TMP/log" | grep -q .; echo $?)" \
    "the proxy accepted every request and its signature" || sed 's/^/# /' "$TMP/log"
ok "$(grep -q "^PUT 200 /$P/$ID/redis.rdb" "$TMP/log"; echo $?)" "the snapshot went to /KEY, the bucket in the host"
ok "$(! grep -q " /$S3_BUCKET[/? ]" "$TMP/log"; echo $?)" "no request names the bucket in its path"

vs --json list > "$TMP/list" 2>/dev/null
like "$(cat "$TMP/list")" "\"id\": *\"$ID\"[^}]*\"location\": *\"both\"" "list finds the backup in both places"
cp -r "$B/$ID" "$TMP/orig"
vs delete "$ID" --location local --yes > /dev/null 2>&1
vs download "$ID" > /dev/null 2>"$TMP/err"
ok $? "download with virtual-hosted addressing" || sed 's/^/# /' "$TMP/err"
same=0
for f in metadata.json redis.rdb content_index.faiss user_index.faiss; do
	cmp -s "$B/$ID/$f" "$TMP/orig/$f" || { same=1; diag "$f differs"; }
done
ok $same "  the files are those uploaded"
vs verify "$ID" --from s3 > /dev/null 2>"$TMP/err"
ok $? "verify --from s3" || sed 's/^/# /' "$TMP/err"
vs delete "$ID" --location s3 --yes > /dev/null 2>"$TMP/err"
ok $? "delete from S3" || sed 's/^/# /' "$TMP/err"
is "$(s3keys)" "" "  leaves the bucket empty"

done_testing
