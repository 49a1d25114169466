#!/bin/bash
# Where the S3 driver finds its credentials, checked end to end through the
# signature-checking proxy (so a wrong secret would fail): the EC2 instance
# role through IMDSv2 (tests/lib/s3-imds.js stands in for the metadata
# service, on loopback), its refresh before expiry, and the shared
# credentials file under a temporary HOME.
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"

ROLE_SECRET='role/Secret+Key=1'
FILE_SECRET='file-secret-0123'
OTHER_SECRET='other-secret-4567'
s3_setup --key S3RVER:S3RVER --key ASIAROLEKEY:"$ROLE_SECRET" \
    --key AKIDFILE:"$FILE_SECRET" --key AKIDOTHER:"$OTHER_SECRET"
export S3_BUCKET
cd "$TMP" || exit 1
head -c 100000 /dev/urandom > redis.rdb
: > "$TMP/all-stderr"

start_imds() {
	rm -f "$TMP/imds.port"
	node "$TESTS_DIR/lib/s3-imds.js" --port-file "$TMP/imds.port" --role backup-role \
	    --key ASIAROLEKEY:"$ROLE_SECRET" --token imds-session-token "$@" &
	harness_track $!
	IMDS_PID=$!
	for _ in $(seq 100); do
		[ -s "$TMP/imds.port" ] && break
		sleep 0.05
	done
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$(cat "$TMP/imds.port")
}

# Only the metadata service has credentials now.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED
start_imds
probe put 20240301_000000 redis.rdb >/dev/null 2>>"$TMP/all-stderr"
ok $? "an EC2 instance role's credentials sign requests the proxy accepts"
is "$(probe list 2>>"$TMP/all-stderr")" "20240301_000000 complete 100033" "  and list with them"
imds_log=$(curl -fsS "$AWS_EC2_METADATA_SERVICE_ENDPOINT/__log")
is "$(echo "$imds_log" | head -1)" "PUT /latest/api/token" "IMDSv2: a session token is fetched first"
like "$imds_log" "GET /latest/meta-data/iam/security-credentials/backup-role" "  then the role's credentials"
log=$(proxy_ctl log)
is "$(echo "$log" | grep -c 'token=-')" 0 "every request carried the role's session token (x-amz-security-token, signed)"
kill "$IMDS_PID"; wait "$IMDS_PID" 2>/dev/null

# Credentials that expire within the refresh margin are fetched again.
start_imds --expires-in 120
probe list >/dev/null 2>>"$TMP/all-stderr"
ok $? "with soon-expiring role credentials the driver works"
n=$(curl -fsS "$AWS_EC2_METADATA_SERVICE_ENDPOINT/__log" | grep -c 'security-credentials/backup-role')
ok $([ "$n" -ge 2 ]; echo $?) "  and refreshes them before they expire ($n fetches)"
kill "$IMDS_PID"; wait "$IMDS_PID" 2>/dev/null

# No metadata service at all: a clear error, quickly.
export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:9
start=$SECONDS
probe list 2>"$TMP/err"
is $? 1 "no credentials anywhere fails"
like "$(cat "$TMP/err")" 'error \[config\]: no S3 credentials' "  with a message saying so"
ok $([ $((SECONDS - start)) -le 5 ]; echo $?) "  within seconds"
export AWS_EC2_METADATA_DISABLED=true
probe list 2>"$TMP/err"
like "$(cat "$TMP/err")" 'AWS_EC2_METADATA_DISABLED' "AWS_EC2_METADATA_DISABLED=true is honoured and named"
cat "$TMP/err" >> "$TMP/all-stderr"

# The shared credentials file under HOME.
unset AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT
export HOME=$TMP/home
mkdir -p "$HOME/.aws"
cat > "$HOME/.aws/credentials" <<EOF
[default]
aws_access_key_id = AKIDFILE
aws_secret_access_key = $FILE_SECRET

[other]
aws_access_key_id = AKIDOTHER
aws_secret_access_key = $OTHER_SECRET

[wrong]
aws_access_key_id = AKIDFILE
aws_secret_access_key = not-$FILE_SECRET
EOF
proxy_ctl reset-log >/dev/null
probe list >/dev/null 2>>"$TMP/all-stderr"
ok $? "~/.aws/credentials, profile default"
AWS_PROFILE=other probe list >/dev/null 2>>"$TMP/all-stderr"
ok $? "AWS_PROFILE selects another profile"
AWS_PROFILE=wrong probe -o s3.profile=other list >/dev/null 2>>"$TMP/all-stderr"
ok $? "s3.profile wins over AWS_PROFILE"
log=$(proxy_ctl log)
is "$(echo "$log" | grep -c '^GET 200')" 3 "  all three were accepted by the signature check"
is "$(echo "$log" | grep -cE '^GET 200 .*list-type=2.*[?&]prefix=vector_store_backups%2F(&| )')" 3 "  one listing of the backups each"
is "$(echo "$log" | grep -c 'prefix=vector_store_backups%2Frepository')" 0 "  and none of a repository there is not"
AWS_PROFILE=wrong probe list 2>"$TMP/err"
is $? 1 "a wrong secret in the file fails"
like "$(cat "$TMP/err")" 'SignatureDoesNotMatch.*shared credentials file .*/\.aws/credentials \(profile wrong\)' "  naming the file and profile it came from"
cat "$TMP/err" >> "$TMP/all-stderr"
probe -o s3.profile=nosuch list 2>"$TMP/err"
like "$(cat "$TMP/err")" "profile 'nosuch' is not in" "a profile that does not exist is named"

bad=0
for s in "$ROLE_SECRET" "$FILE_SECRET" "$OTHER_SECRET" imds-session-token; do
	grep -qF -- "$s" "$TMP/all-stderr" "$TMP/err" && bad=1
done
is $bad 0 "no secret or session token appears in any message"

done_testing
