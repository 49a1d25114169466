#!/bin/bash
# TLS to the S3 endpoint: certificates are always verified; s3.ca_file
# names the CA to trust. s3rver serves https with a certificate made here.
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"

command -v node >/dev/null || skip_all "node is not installed"
[ -x "$PROBE" ] || skip_all "s3-probe is not built"
js=$S3RVER_JS
[ -f "$js" ] || skip_all "s3rver is not installed: run 'npm ci' in $TESTS_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 ||
    skip_all "openssl cannot make a test certificate"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/other-key.pem" -out "$TMP/other.pem" \
    -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1

mkdir -p "$TMP/s3/data"
NODE_OPTIONS=--openssl-legacy-provider node "$js" -d "$TMP/s3/data" -a 127.0.0.1 -p 0 \
    --key "$TMP/key.pem" --cert "$TMP/cert.pem" --configure-bucket tlsbucket > "$TMP/s3/log" 2>&1 &
harness_track $!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$TMP/s3/log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { sed 's/^/# /' "$TMP/s3/log"; exit 1; }
export S3_ENDPOINT=https://127.0.0.1:$port S3_BUCKET=tlsbucket
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE
cd "$TMP" || exit 1
head -c 200000 /dev/urandom > redis.rdb

probe list 2>"$TMP/err"
is $? 1 "a certificate no trusted CA signed is refused"
like "$(cat "$TMP/err")" 'certificate|SSL' "  with the TLS error"
is "$(grep -c retrying "$TMP/err")" 0 "  and not retried"
probe -o s3.ca_file="$TMP/other.pem" list 2>/dev/null
is $? 1 "s3.ca_file naming another CA: still refused"
probe -o s3.ca_file="$TMP/cert.pem" put 20240401_000000 redis.rdb >/dev/null 2>"$TMP/err"
ok $? "s3.ca_file naming the server's CA: the upload works over https" || sed 's/^/# /' "$TMP/err"
probe -o s3.ca_file="$TMP/cert.pem" get 20240401_000000 redis.rdb "$TMP/back" >/dev/null &&
    cmp -s redis.rdb "$TMP/back"
ok $? "  and the object comes back byte-identical"

done_testing
