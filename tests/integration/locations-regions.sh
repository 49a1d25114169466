#!/bin/bash
# Copies in several places: two S3 "regions" (each an s3rver behind its own
# signature-checking proxy) as a list of s3 groups, on a demo sandbox with
# the repository (format 2).
#   - a backup while one region is down succeeds locally and in the other;
#     its exit status and --json name the missing copy; health shows the
#     region unreachable, then, once it is back, the missing copy (WARNING);
#   - a later sync fills it, sending only what the region lacks; verify
#     passes at both; a second sync has nothing to do;
#   - copy between the regions; copy within one endpoint is made by the
#     server (CopyObject through the proxy, signature checked, no pack read);
#   - restore from the second region after the first bucket is emptied
#     gives the same DEBUG DIGEST;
#   - list --json --locations tells an empty location from an unreachable
#     one; --location takes a name, s3 and all;
#   - per-location retention removes different backups at each region;
#   - metrics carry each region's name; a region whose newest copy ages is
#     a WARNING past the RPO, CRITICAL past twice it;
#   - a configuration with the old single s3 group works as before.
# Covers src/config/conf.c (s3 lists), src/storage/drivers.c,
# src/storage/s3/s3-copy.c, src/jobs/job-backup.c, job-transfer.c,
# job-sync.c, job-cleanup.c, catalog.c, src/ops/health.c, cmd-list.c.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
. "$TESTS_DIR/lib/regions-lib.sh"
region_start eu
region_start us

s3_e2e_demo 1500
# The repository (format 2), not the plain files s3_e2e_demo asks for.
sed -i '/^repository = { format = 1; };$/d' "$D/vsbackup.conf"
C=$TMP/regions.conf
write_regions() {
	{
		cat "$D/vsbackup.conf"
		echo "s3 = ("
		region_group eu "$@"
		echo ","
		region_group us
		echo
		echo ");"
	} > "$C"
	chmod 600 "$C"
}
write_regions
jq_() { $PY -c 'import json, sys; j = json.loads(sys.stdin.read().strip().splitlines()[-1]); print(eval(sys.argv[1]))' "$1"; }
where() { vs --json list 2>/dev/null | jq_ "{b['id']: b['location'] for b in j}.get('$1', 'none')"; }
state() { printf '%s\n' "$OUT" | awk -v n="$1" '$2 == n { print $1; exit }'; }
wait_after() { while [[ ! $(date -u +%Y%m%d_%H%M%S) > $1 ]]; do sleep 0.1; done; }

vs config > "$TMP/out" 2>&1
ok $? "a configuration with two S3 locations is valid" || sed 's/^/# /' "$TMP/out"
like "$(cat "$TMP/out")" "eu +s3://vs-eu/vector_store_backups" "  config shows each location"

# --- a backup while one region is down -------------------------------------------------
region_down us
vs --json backup > "$TMP/out" 2>"$TMP/err"
is $? 1 "backup with region us down exits 1 (a configured copy is missing)"
ID1=$(tail -1 "$TMP/out" | jq_ "j['id']")
like "$ID1" '^[0-9]{8}_[0-9]{6}$' "  but the backup was made" || sed 's/^/# /' "$TMP/err"
is "$(tail -1 "$TMP/out" | jq_ "j['copies']")" "['local', 'eu']" "  --json: the copies that exist"
is "$(tail -1 "$TMP/out" | jq_ "[m['location'] for m in j['missing']]")" "['us']" \
    "  --json: the one missing, named"
like "$(cat "$TMP/err" "$TMP/out")" "upload to us failed" "  and the error names the region"
is "$(where "$ID1")" "local,eu" "list: it is local and in eu"
vs verify "$ID1" --from eu > /dev/null 2>&1
ok $? "  the copy in eu verifies"

OUT=$(vs health 2>/dev/null)
like "$(state us.reachable)" "CRITICAL" "health: region us unreachable is CRITICAL"
is "$(state eu.reachable) $(state backup.age.eu)" "OK OK" "  eu is fine"

# Metrics: every sample of a location carries its name.
metric() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
vs metrics --output "$TMP/down.prom" > "$TMP/out" 2>&1 || sed 's/^/# /' "$TMP/out"
is "$(metric 'vsbackup_storage_up{location="eu"}' "$TMP/down.prom") $(metric 'vsbackup_storage_up{location="us"}' "$TMP/down.prom")" \
    "1 0" "metrics: a location label per region, eu up and us down"
is "$(metric 'vsbackup_newest_backup_copied{location="eu"}' "$TMP/down.prom")" 1 \
    "  the newest backup has its copy in eu"
is "$(grep -c 'location="us",type=' "$TMP/down.prom")" 0 "  and no counts for us rather than zeros"
if command -v promtool > /dev/null; then
	promtool check metrics < "$TMP/down.prom" > "$TMP/out" 2>&1
	ok $? "  promtool accepts them" || sed 's/^/# /' "$TMP/out"
fi

vs --json list --locations > "$TMP/out" 2>/dev/null
is "$(jq_ "[(l['location'], l['state']) for l in j['locations']]" < "$TMP/out")" \
    "[('local', 'ok'), ('eu', 'ok'), ('us', 'unreachable')]" \
    "list --json --locations: us is unreachable, not empty"

region_up us
vs --json list --locations > "$TMP/out" 2>/dev/null
is "$(jq_ "[(l['location'], l['state']) for l in j['locations']]" < "$TMP/out")" \
    "[('local', 'ok'), ('eu', 'ok'), ('us', 'empty')]" "  back up: us is empty"
OUT=$(vs health 2>/dev/null)
is "$(state us.reachable)" "OK" "health: us reachable again"
is "$(state backup.age.us)" "CRITICAL" "  no backup there at all: CRITICAL"

# --- sync fills it ----------------------------------------------------------------------
vs sync --dry-run > "$TMP/out" 2>&1
ok $? "sync --dry-run succeeds"
like "$(cat "$TMP/out")" "copy +$ID1 +local -> us" "  it would copy the backup to us"
is "$(region_objects us | wc -l)" 0 "  and copied nothing"
region_ctl us reset-log > /dev/null
vs sync > "$TMP/out" 2>&1
ok $? "sync succeeds" || sed 's/^/# /' "$TMP/out"
like "$(cat "$TMP/out")" "copied +$ID1 +local -> us" "  it copied the backup to us"
is "$(where "$ID1")" "all" "list: now in every location"
vs verify "$ID1" --from us > /dev/null 2>&1
ok $? "verify passes in us"
vs verify "$ID1" --from eu > /dev/null 2>&1
ok $? "verify passes in eu"
last=$(region_ctl us log | grep -n "PUT 200 .*/repository/manifests/$ID1" | cut -d: -f1)
packs=$(region_ctl us log | grep -n "PUT 200 .*/repository/packs/" | tail -1 | cut -d: -f1)
ok "$([ -n "$last" ] && [ -n "$packs" ] && [ "$last" -gt "$packs" ]; echo $?)" \
    "  the manifest was written after every pack"
OUT=$(vs health 2>/dev/null)
is "$(state backup.age.us)" "OK" "health: us has the newest backup now"
vs metrics --output "$TMP/up.prom" > /dev/null 2>&1
is "$(metric 'vsbackup_newest_backup_copied{location="us"}' "$TMP/up.prom") $(metric 'vsbackup_storage_up{location="us"}' "$TMP/up.prom")" \
    "1 1" "metrics: us up and holding the newest backup"
# A location whose newest copy ages (backups stopped reaching it): WARNING
# past monitoring.rpo_hours (24), CRITICAL past twice it.
OUT=$(VSBACKUP_NOW=$(date -u -d '+30 hours' +%Y-%m-%dT%H:%M:%SZ) vs health 2>/dev/null)
is "$(state backup.age.us)" "WARNING" "health 30 hours later: us's newest copy is past the RPO, WARNING"
like "$OUT" "backup.age.us +newest backup in s3://vs-us[^ ]*, $ID1, is 1d [0-9]+h old" "  naming the copy and its age"
OUT=$(VSBACKUP_NOW=$(date -u -d '+50 hours' +%Y-%m-%dT%H:%M:%SZ) vs health 2>/dev/null)
is "$(state backup.age.us) $(state backup.age.eu)" "CRITICAL CRITICAL" \
    "  50 hours later, past twice the RPO: CRITICAL, in each region"
vs sync > "$TMP/out" 2>&1
like "$(cat "$TMP/out")" "every location holds what it should" "a second sync has nothing to do"

# --- the newest backup missing in a region is a WARNING ---------------------------------
wait_after "$ID1"
vs --json backup --no-upload > "$TMP/out" 2>/dev/null
ID2=$(tail -1 "$TMP/out" | jq_ "j['id']")
OUT=$(vs health 2>/dev/null)
is "$(state backup.age.us)" "WARNING" "health: the newest backup missing in us is a WARNING"
like "$OUT" "the newest backup $ID2 has no copy in s3://vs-us" "  naming the backup and the region"

# --- copy between the regions --------------------------------------------------------------
vs copy "$ID2" --from local --to eu > "$TMP/out" 2>&1
ok $? "copy local -> eu" || sed 's/^/# /' "$TMP/out"
region_ctl us reset-log > /dev/null
vs copy "$ID2" --from eu --to us > "$TMP/out" 2>&1
ok $? "copy eu -> us (another endpoint: the bytes travel)" || sed 's/^/# /' "$TMP/out"
is "$(where "$ID2")" "all" "  now in every location"
is "$(region_ctl us log | grep -c "PUT 200 .*/repository/packs/.*$ID1" || true)" 0 \
    "  no pack us already had was sent again"
vs copy "$ID2" --from eu --to us > "$TMP/out" 2>&1
like "$(cat "$TMP/out")" "already complete in" "  a second copy finds it complete"

# Two locations on one endpoint (one bucket, two prefixes): the server copies.
{
	cat "$D/vsbackup.conf"
	echo "s3 = ("
	region_group eu
	echo ","
	printf '  { name = "eu2"; bucket = "vs-eu"; prefix = "second"; endpoint = "%s";\n' \
	    "${REGION_EP[eu]}"
	echo '    path_style = true; access_key_id = "S3RVER"; secret_access_key = "S3RVER"; }'
	echo ");"
} > "$TMP/same.conf"
chmod 600 "$TMP/same.conf"
region_ctl eu reset-log > /dev/null
"$VSBACKUP" -c "$TMP/same.conf" copy "$ID1" --from eu --to eu2 > "$TMP/out" 2>&1
ok $? "copy between two prefixes of one endpoint" || sed 's/^/# /' "$TMP/out"
like "$(cat "$TMP/out")" "copied by the server" "  made by the server (CopyObject)"
is "$(region_ctl eu log | grep -c '^GET 200 .*/repository/packs/' || true)" 0 \
    "  no pack was read through this host"
ok "$(region_ctl eu log | grep -q '^PUT 200 /vs-eu/second/vector_store_backups/repository/packs/' ||
    region_ctl eu log | grep -q '^PUT 200 /vs-eu/second/repository/packs/'; echo $?)" \
    "  the packs were PUT with x-amz-copy-source (signature checked by the proxy)"
"$VSBACKUP" -c "$TMP/same.conf" verify "$ID1" --from eu2 > /dev/null 2>&1
ok $? "  and the copy verifies"
# Above the multipart threshold: UploadPartCopy, part by part, each part
# request signed and checked (the proxy copies the range, as S3 would).
mkdir -p "$TMP/big"
head -c 12582912 /dev/urandom > "$TMP/big/redis.rdb"
probe -c "$TMP/same.conf" -l eu put 20200101_000000 "$TMP/big/redis.rdb" > /dev/null 2>"$TMP/err" ||
    sed 's/^/# /' "$TMP/err"
region_ctl eu reset-log > /dev/null
probe -c "$TMP/same.conf" -o eu2.multipart_threshold=5242880 -o eu2.part_size=5242880 -l eu2 \
    copy-from eu 20200101_000000 redis.rdb > "$TMP/out" 2>&1
ok $? "a 12 MiB object copied by the server above the multipart threshold" || sed 's/^/# /' "$TMP/out"
is "$(region_ctl eu log | grep -c '^PUT 200 .*partNumber=.*copy-part-emulated' || true)" 3 \
    "  in three UploadPartCopy parts, each signature checked"
probe -c "$TMP/same.conf" -l eu2 get 20200101_000000 redis.rdb "$TMP/big/back" > /dev/null 2>&1
cmp -s "$TMP/big/redis.rdb" "$TMP/big/back"
ok $? "  the copy holds the same bytes"
probe -c "$TMP/same.conf" -l eu remove 20200101_000000 > /dev/null 2>&1
probe -c "$TMP/same.conf" -l eu2 remove 20200101_000000 > /dev/null 2>&1

# A plain backup (format 1) too: its files are copied by the server.
{
	sed '/^s3 = ($/,$d' "$TMP/same.conf"
	echo 'repository = { format = 1; };'
	sed -n '/^s3 = ($/,$p' "$TMP/same.conf" | sed 's/prefix = "second";/prefix = "second"; upload = false;/'
} > "$TMP/plain.conf"
chmod 600 "$TMP/plain.conf"
wait_after "$ID2"
"$VSBACKUP" -c "$TMP/plain.conf" -q backup > "$TMP/out" 2>&1
PID=$(tail -1 "$TMP/out")
like "$PID" '^[0-9]{8}_[0-9]{6}$' "a plain backup (format 1) sent to eu" || sed 's/^/# /' "$TMP/out"
region_ctl eu reset-log > /dev/null
"$VSBACKUP" -c "$TMP/plain.conf" copy "$PID" --from eu --to eu2 > "$TMP/out" 2>&1
ok $? "copy of a plain backup between two prefixes of one endpoint" || sed 's/^/# /' "$TMP/out"
is "$(region_ctl eu log | grep -c "^GET 200 .*/$PID/.*\.\(rdb\|faiss\)" || true)" 0 \
    "  none of its files was read through this host"
"$VSBACKUP" -c "$TMP/plain.conf" verify "$PID" --from eu2 > /dev/null 2>&1
ok $? "  and the copy verifies"
"$VSBACKUP" -c "$TMP/plain.conf" -q delete "$PID" --location all --yes > /dev/null 2>&1

# --- restore from the second region after the first is emptied -----------------------
digest=$(rcli debug digest)
region_empty eu
vs --json list --locations > "$TMP/out" 2>/dev/null
is "$(jq_ "[l['state'] for l in j['locations'] if l['location'] == 'eu'][0]" < "$TMP/out")" \
    "empty" "the emptied bucket lists as empty"
rm -rf "$B/repository" "$B/$ID1" "$B/$ID2"
rcli flushall > /dev/null
vs restore "$ID2" --from us --yes > "$TMP/out" 2>&1
ok $? "restore --from us with eu emptied and nothing local" || sed 's/^/# /' "$TMP/out"
is "$(rcli debug digest)" "$digest" "  DEBUG DIGEST is the one of before"

# --- per-location retention ---------------------------------------------------------------
# eu keeps dailies 1 day, us and local 7 (the demo's numbers): two days later
# cleanup removes the older dailies in eu only.
write_regions 'retention={ daily = 1; weekly = 0; monthly = 0; pre_restore_days = 1; }'
later=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)
vs sync > /dev/null 2>&1
ids() { VSBACKUP_NOW=$later vs --json list --location "$1" 2>/dev/null | jq_ "sorted(b['id'] for b in j)"; }
us_before=$(ids us)
eu_before=$(ids eu)
vs --json cleanup --dry-run --at "$later" > "$TMP/out" 2>/dev/null
ok $? "cleanup --dry-run with a retention per location"
is "$(jq_ "sorted(set(r['location'] for r in j if r['action'] == 'delete'))" < "$TMP/out")" \
    "['eu']" "  only eu would delete (its own numbers)"
VSBACKUP_NOW=$later vs cleanup --location eu > "$TMP/out" 2>&1
ok $? "cleanup --location eu" || sed 's/^/# /' "$TMP/out"
is "$(ids us)" "$us_before" "  us holds what it held"
eu_after=$(ids eu)
ok "$([ "$(echo "$eu_after" | tr -cd , | wc -c)" -lt "$(echo "$eu_before" | tr -cd , | wc -c)" ]; echo $?)" \
    "  eu holds fewer backups ($eu_after, was $eu_before)"
VSBACKUP_NOW=$later vs sync --dry-run --to eu > "$TMP/out" 2>&1
unlike_out=$(grep -c "^copy " "$TMP/out"); sed "s/^/# /" "$TMP/out"
is "$unlike_out" 0 "sync does not bring back what eu's retention removed"

# --- the old single s3 group keeps working unchanged ---------------------------------------
{
	cat "$D/vsbackup.conf"
	printf 's3 = { bucket = "vs-eu"; prefix = "single"; endpoint = "%s"; path_style = true;\n' \
	    "${REGION_EP[eu]}"
	echo '  access_key_id = "S3RVER"; secret_access_key = "S3RVER"; };'
} > "$TMP/single.conf"
chmod 600 "$TMP/single.conf"
one() { "$VSBACKUP" -c "$TMP/single.conf" "$@"; }
wait_after "$(date -u +%Y%m%d_%H%M%S)"
one --json backup > "$TMP/out" 2>"$TMP/err"
is $? 0 "a single s3 group: backup exits 0" || sed 's/^/# /' "$TMP/err"
SID=$(tail -1 "$TMP/out" | jq_ "j['id']")
is "$(tail -1 "$TMP/out" | jq_ "j['copies']")" "['local', 's3']" "  its copies: local and s3"
is "$(one --json list 2>/dev/null | jq_ "{b['id']: b['location'] for b in j}.get('$SID')")" "both" \
    "  list --json: location \"both\", as before"
one verify "$SID" --from s3 > /dev/null 2>&1
ok $? "  verify --from s3"
OUT=$(one health 2>/dev/null)
is "$(state s3.reachable) $(state backup.age.s3)" "OK OK" "  health: s3.reachable and backup.age.s3"
one metrics --output "$TMP/single.prom" > /dev/null 2>&1
is "$(metric 'vsbackup_storage_up{location="s3"}' "$TMP/single.prom") $(metric vsbackup_s3_newest_backup_uploaded "$TMP/single.prom")" \
    "1 1" "  metrics: location=\"s3\", and the newest backup uploaded"
is "$(region_objects eu single/ | grep -c "$SID/metadata.json\|manifests/$SID")" 1 \
    "  under its prefix in the bucket"

done_testing
