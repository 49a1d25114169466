#!/bin/bash
# vsbackup health and the metrics with S3 configured, through the
# signature-checking proxy to s3rver: the bucket listed with the configured
# credentials, the newest backup's age in S3, S3 unreachable or refusing
# the key (CRITICAL), credentials whose expiry cannot be told (skipped) or
# instance-role credentials that expire too soon (WARNING); the S3 series
# of the metrics file (location up, backups by type, newest backup
# uploaded).
# Covers src/ops/health.c, src/ops/metrics.c and src/ops/survey.c with the
# S3 driver.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/engine-lib.sh"
. "$TESTS_DIR/lib/s3-env.sh"

eng_require
command -v promtool >/dev/null || skip_all "promtool is missing (Debian package prometheus)"
ROLE_SECRET='r0le-Secret-for-health'
s3_setup --key S3RVER:S3RVER --key ASIAROLEKEY:"$ROLE_SECRET"
eng_demo "$TMP/demo" 300 30 8

# conf NAME [KEY=VALUE...]: the demo's configuration plus an s3 group with
# these keys changed (KEY= removes one); prints the path.
conf() {
	local name=$1 kv k
	shift
	declare -A s3=([bucket]="\"$S3_BUCKET\"" [endpoint]="\"$S3_ENDPOINT\"" [path_style]=true
	    [region]='"us-east-1"' [access_key_id]='"S3RVER"' [secret_access_key]='"S3RVER"'
	    [max_attempts]=1 [connect_timeout]=2)
	for kv; do
		if [ -z "${kv#*=}" ]; then unset "s3[${kv%%=*}]"; else s3[${kv%%=*}]=${kv#*=}; fi
	done
	{
		cat "$D/vsbackup.conf"
		echo "s3 = {"
		for k in "${!s3[@]}"; do echo "  $k = ${s3[$k]};"; done
		echo "};"
		echo "monitoring = { metrics_file = \"$TMP/$name.prom\"; };"
	} > "$TMP/$name.conf"
	chmod 600 "$TMP/$name.conf"
	echo "$TMP/$name.conf"
}
C=$(conf main)
hc() { OUT=$("$VSBACKUP" -c "$1" health "${@:2}" 2>"$TMP/err"); RC=$?; }
state() { printf '%s\n' "$OUT" | awk -v n="$1" '$2 == n { print $1; exit }'; }
first() { printf '%s\n' "$OUT" | head -n 1; }
metric() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

# An unfinished upload only: S3 holds no complete backup.
echo partial > "$TMP/part"
/usr/bin/aws --endpoint-url "$S3RVER_ENDPOINT" s3 cp --quiet "$TMP/part" \
    "s3://$S3_BUCKET/vector_store_backups/20240101_000000/redis.rdb" ||
    bail_out "could not put an object into s3rver"
hc "$C"; [ "$RC" = 2 ] || sed "s/^/# /" "$TMP/err"
is "$RC" 2 "S3 configured, no complete backup there: CRITICAL"
is "$(state s3.reachable) $(state backup.age.s3)" "OK CRITICAL" "  S3 listed, but it holds no backup"
like "$OUT" "s3.reachable +s3://$S3_BUCKET/vector_store_backups listed: 0 complete backups" "  saying what was listed"
like "$OUT" "backup.age.s3 +no complete backup in s3://$S3_BUCKET/vector_store_backups" "  and what is missing"
is "$(state s3.credentials)" "-" "credentials from the configuration: expiry not checked"
like "$OUT" 's3.credentials +from the configuration.*cannot be told.*\(skipped\)' "  saying why"

tick
"$VSBACKUP" -c "$C" -q backup > "$TMP/id" 2>"$TMP/err" || sed 's/^/# /' "$TMP/err"
ID=$(last_line "$(cat "$TMP/id")")
"$VSBACKUP" -c "$C" -q verify "$ID" >/dev/null 2>&1
"$VSBACKUP" -c "$C" -q drill "$ID" --from s3 > "$TMP/drill.out" 2>&1
is "$?" 0 "the S3 copy drills clean" || sed 's/^/#   /' "$TMP/drill.out"
like "$(cat "$TMP/drill.out")" "backup $ID \(s3\) drilled: ok" "  from S3"
hc "$C"
is "$RC" 0 "backed up, uploaded, verified and drilled: OK"
like "$OUT" "backup.drill +the last restore drill, of $ID \(s3\), passed" "  the drill from S3 counts"
is "$(state backup.age.s3)" "OK" "  the S3 copy is fresh"
like "$(first)" ' s3_age=0s;86400;172800;0 ' "  with its age in the performance data"

"$VSBACKUP" -c "$C" metrics >/dev/null 2>&1
P=$TMP/main.prom
promtool check metrics < "$P" > "$TMP/promtool.out" 2>&1
ok $? "metrics with S3: promtool accepts them" || sed 's/^/#   /' "$TMP/promtool.out"
is "$(metric 'vsbackup_storage_up{location="s3"}' "$P") $(metric 'vsbackup_backups{location="s3",type="daily"}' "$P")" \
    "1 1" "  S3 up, one daily backup there"
is "$(metric vsbackup_s3_newest_backup_uploaded "$P")" 1 "  the newest local backup is in S3"
is "$(metric vsbackup_drill_last_success "$P") $(metric vsbackup_drill_rto_target_seconds "$P")" "1 900.000" \
    "  the drill from S3 passed, measured against the 15 min target"
is "$(metric 'vsbackup_newest_backup_timestamp_seconds{location="s3"}' "$P")" "$ENG_CLOCK" "  taken now"
tick
"$VSBACKUP" -c "$C" -q backup --no-upload >/dev/null 2>&1
"$VSBACKUP" -c "$C" metrics >/dev/null 2>&1
is "$(metric vsbackup_s3_newest_backup_uploaded "$P")" 0 "a backup kept local: newest backup uploaded 0"

# --- S3 failing -----------------------------------------------------------------------
C2=$(conf down endpoint='"http://127.0.0.1:9"')
hc "$C2"
is "$RC" 2 "S3 unreachable: CRITICAL"
is "$(state s3.reachable) $(state backup.age.s3)" "CRITICAL CRITICAL" "  S3 and its backups' age"
like "$OUT" 'backup.age.s3 +the backups in s3://.* cannot be listed' "  the age cannot be told"
is "$(state backup.age.local)" "OK" "  the local backups are still fine"
"$VSBACKUP" -c "$C2" metrics >/dev/null 2>&1
is "$(metric 'vsbackup_storage_up{location="s3"}' "$TMP/down.prom")" 0 "  metrics: S3 down"
is "$(grep -c 'location="s3",type=' "$TMP/down.prom")" 0 "  and no S3 counts rather than zeros"
promtool check metrics < "$TMP/down.prom" >/dev/null 2>&1
ok $? "  promtool accepts that file too"

C3=$(conf badkey secret_access_key='"not-the-secret"')
hc "$C3"
is "$RC $(state s3.reachable)" "2 CRITICAL" "a secret key S3 refuses: CRITICAL"

# --- instance-role credentials -----------------------------------------------------------
start_imds() {
	rm -f "$TMP/imds.port"
	node "$TESTS_DIR/lib/s3-imds.js" --port-file "$TMP/imds.port" --role health-role \
	    --key ASIAROLEKEY:"$ROLE_SECRET" "$@" &
	IMDS_PID=$!
	harness_track "$IMDS_PID"
	for _ in $(seq 100); do
		[ -s "$TMP/imds.port" ] && break
		sleep 0.05
	done
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$(cat "$TMP/imds.port")
}
C4=$(conf role access_key_id= secret_access_key=)
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_DISABLED
start_imds
hc "$C4"
is "$(state s3.reachable) $(state s3.credentials)" "OK OK" "instance-role credentials: S3 listed, credentials OK"
like "$OUT" 's3.credentials +from EC2 instance role.*renewed automatically, the current ones expire at 20' \
    "  saying when the current ones expire"
kill "$IMDS_PID"; wait "$IMDS_PID" 2>/dev/null
start_imds --expires-in 120
hc "$C4"
is "$RC $(state s3.credentials)" "1 WARNING" "role credentials that cannot be renewed for long: WARNING"
like "$(first)" '^VSBACKUP WARNING - s3.credentials: from EC2 instance role.* they expire at .*, in [0-9]+ s' \
    "  on the first line, with the time left"
kill "$IMDS_PID"; wait "$IMDS_PID" 2>/dev/null

done_testing
