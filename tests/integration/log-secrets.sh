#!/bin/bash
# Passwords and secret keys never reach a log, an error or a metric: with
# redis.password, s3.secret_access_key and s3.session_token set to
# distinctive values, every command runs (with and without --json), also
# failing ones (a wrong Redis password, a refused S3 key, S3 unreachable),
# and none of stdout, stderr, log.file, the metrics file and the state file
# holds any of the values.
# Covers src/common/log.c, src/ops/ and the messages of every command.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/engine-lib.sh"
. "$TESTS_DIR/lib/s3-env.sh"

eng_require
PW=Redis-Pw-q7Zx93kLm
SK=S3-Secret-w8Jr41TbVn
TOK=S3-Token-p2Hc56YdQs
BAD_PW=Wrong-Pw-k3Nm82XcVb
BAD_SK=Wrong-Secret-z9Lq27FgTa
BAD_TOK=Wrong-Token-e4Rw63UjPo
s3_setup --key S3RVER:S3RVER --key AKIDSECRETTEST:"$SK"
eng_demo "$TMP/demo" 300 30 8
dcli config set requirepass "$PW" >/dev/null

LOG=$TMP/vsbackup.log
MET=$TMP/vsbackup.prom
# conf NAME PASSWORD SECRET TOKEN [ENDPOINT]
conf() {
	sed "s|^\\(  socket = .*\\)\$|\\1\\n  password = \"$2\";|" "$D/vsbackup.conf" > "$TMP/$1.conf"
	cat >> "$TMP/$1.conf" <<EOF
s3 = {
  bucket = "$S3_BUCKET"; endpoint = "${5:-$S3_ENDPOINT}"; path_style = true;
  region = "us-east-1"; access_key_id = "AKIDSECRETTEST";
  secret_access_key = "$3"; session_token = "$4";
  max_attempts = 1; connect_timeout = 2;
};
monitoring = { metrics_file = "$MET"; };
log = { file = "$LOG"; };
EOF
	chmod 600 "$TMP/$1.conf"
}
conf good "$PW" "$SK" "$TOK"
conf badpw "$BAD_PW" "$SK" "$TOK"
conf badkey "$PW" "$BAD_SK" "$BAD_TOK"
conf down "$PW" "$SK" "$TOK" "http://127.0.0.1:9"

ALL=$TMP/all-output
: > "$ALL"
# v CONF ARGS: run vsbackup, append stdout and stderr to ALL, return status
v() {
	local c=$1
	shift
	{
		echo "### $c $*"
		"$VSBACKUP" -c "$TMP/$c.conf" "$@"
		echo "### exit $?"
	} >> "$ALL" 2>&1
	tail -n 1 "$ALL" | grep -q '^### exit 0$'
}

tick
v good -q backup
ok $? "backup with the password, the secret key and the token set"
ID=$(grep -E '^[0-9]{8}_[0-9]{6}$' "$ALL" | tail -n 1)
like "$ID" '^[0-9]{8}_[0-9]{6}$' "  it made $ID"
ok "$(/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 ls "s3://$S3_BUCKET/vector_store_backups/$ID/" |
    grep -q metadata.json; echo $?)" "  and uploaded it with the secret key (the proxy checks signatures)"

for c in good badpw badkey down; do
	for j in "" --json; do
		tick
		v "$c" $j backup
		v "$c" $j backup --no-upload
		v "$c" $j list
		v "$c" $j show "$ID"
		v "$c" $j verify "$ID"
		v "$c" $j verify --from s3 "$ID"
		v "$c" $j upload "$ID"
		v "$c" $j download "$ID"
		v "$c" $j restore --yes --target-dir "$TMP/restored-$c$j" "$ID"
		v "$c" $j restore --yes --from s3 --target-dir "$TMP/restored-s3-$c$j" "$ID"
		v "$c" $j restore --yes --rollback
		v "$c" $j pin "$ID"
		v "$c" $j unpin "$ID"
		v "$c" $j cleanup --dry-run
		v "$c" $j delete --yes --location s3 20200101_000000
		v "$c" $j config
		v "$c" $j health
		v "$c" $j metrics
		v "$c" $j metrics --stdout
	done
done
v good -q cleanup
v badpw backup --type manual

# The failures happened for the right reasons.
like "$(cat "$ALL")" "refused the login of its default user" "the wrong Redis password was refused"
like "$(cat "$ALL")" "(SignatureDoesNotMatch|InvalidAccessKeyId|403)" "the wrong S3 secret key was refused"
like "$(cat "$ALL")" "127.0.0.1:9" "unreachable S3 was reported"
ok "$([ -s "$LOG" ] && grep -q ' error ' "$LOG"; echo $?)" "the log file has the errors"
ok "$([ -s "$MET" ]; echo $?)" "the metrics file was written"

for f in "$ALL" "$LOG" "$MET" "$TMP/demo/backups/.vsbackup-state.json"; do
	for s in "$PW" "$SK" "$TOK" "$BAD_PW" "$BAD_SK" "$BAD_TOK"; do
		n=$(grep -cF -- "$s" "$f" 2>/dev/null)
		is "${n:-0}" 0 "$(basename "$f") does not hold ${s%%-*}...${s##*-}"
		[ "${n:-0}" -gt 0 ] && grep -F -- "$s" "$f" | head -n 3 | sed 's/^/#   /'
	done
done
# Nor do the backups (metadata.json, verify.json) or anything S3 holds.
hits=$(grep -rlF -e "$PW" -e "$SK" -e "$TOK" "$TMP/demo/backups" "$S3RVER_DIR/data" 2>/dev/null)
is "$hits" "" "no file in backup_dir or in the bucket holds a secret"

done_testing
