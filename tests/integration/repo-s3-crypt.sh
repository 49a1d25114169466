#!/bin/bash
# An encrypted repository (format 2, repository.passphrase_file) in S3,
# through the signature-checking proxy:
#  - a distinctive string stored in Redis, and the key names, appear in no
#    object of the repository in S3 (nor in the local one);
#  - a second backup of almost unchanged data uploads only what S3 lacks;
#  - restore --from s3 on a machine that lost its repository reassembles the
#    exact dataset (DEBUG DIGEST) and byte-identical index files FAISS reads;
#  - download and upload move only the objects the other side lacks;
#  - a wrong passphrase fails with a clear message for S3 as for the local
#    disk, without echoing it, and changes nothing in S3.
# Covers src/repo/copy.c, src/repo/crypto.c, src/repo/repo.c (keys copied
# between locations), src/jobs/transfer.c on an encrypted repository.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
"$PY" -c 'import faiss' 2>/dev/null || skip_all "$PY cannot import faiss"
s3_e2e_demo 2000
printf 'correct horse battery staple\n' > "$TMP/pass"
chmod 600 "$TMP/pass"
s3_e2e_format2 "passphrase_file = \"$TMP/pass\";"
# The repository's objects as s3rver stores them, and what a log says of packs.
s3_objects() { find "$S3R" -name '*._S3rver_object' 2>/dev/null; }
s3_sum() { s3_objects | sort | xargs -r cat | sha256sum | cut -c1-64; }
pack_puts() { echo "$1" | grep -c "^PUT 200 [^ ]*/$P/repository/packs/"; }
put_names() { echo "$1" | sed -n "s|^PUT 200 [^ ]*/$P/repository/packs/[0-9a-f][0-9a-f]/\([0-9a-f]\{64\}\).*|\1|p" | sort -u; }

rcli set chimera-vectors:secret-doc '{"text":"Zanzibar-Quokka-7731 classified"}' >/dev/null
rcli save >/dev/null
# The second backup is measured against the first: start from a settled key
# table, so that the same keys come in the same order in both snapshots.
redis_settle "$D/redis.sock"

# --- backup: encrypted, uploaded -------------------------------------------------------
tick
proxy_ctl reset-log >/dev/null
id1=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "an encrypted format 2 backup uploads to S3" || sed 's/^/# /' "$TMP/err"
log1=$(proxy_ctl log)
ok "$([ -f "$S3R/manifests/${id1}._S3rver_object" ]; echo $?)" "  its manifest is in S3"
like "$(cat "$S3R/config._S3rver_object" 2>/dev/null)" '"encryption":[[:space:]]*"aes-256-gcm"' "  the repository in S3 is encrypted"
is "$(find "$S3R/keys" -name '*._S3rver_object' | wc -l)" 1 "  with its wrapped key"
ok "$([ "$(pack_puts "$log1")" -ge 1 ]; echo $?)" "  $(pack_puts "$log1") packs uploaded"
is "$(echo "$log1" | grep -Ec '^[A-Z]+ (400|403) ')" 0 "  the proxy accepted every signature"
nobj=$(s3_objects | wc -l)
is "$(s3_objects | xargs -r grep -l 'Zanzibar-Quokka' | wc -l)" 0 "the distinctive string is in none of the $nobj objects in S3"
is "$(s3_objects | xargs -r grep -l 'chimera-vectors' | wc -l)" 0 "  nor any key name"
is "$(grep -rl 'Zanzibar-Quokka' "$R" | wc -l)" 0 "  nor in the local repository"
is "$(s3_objects | xargs -r grep -l 'correct horse' | wc -l)" 0 "  and the passphrase is stored nowhere in S3"
d1=$(rcli debug digest)
cp "$D/indexes/content_index.faiss" "$TMP/ci1"
cp "$D/indexes/user_index.faiss" "$TMP/ui1"

# --- a second backup sends only what S3 lacks ---------------------------------------------
rcli set chimera-vectors:another '{"text":"one more"}' >/dev/null
tick
proxy_ctl reset-log >/dev/null
id2=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a second encrypted backup" || sed 's/^/# /' "$TMP/err"
log2=$(proxy_ctl log)
ok "$([ "$(pack_puts "$log2")" -lt "$(pack_puts "$log1")" ]; echo $?)" "  uploads fewer packs than the first ($(pack_puts "$log2") against $(pack_puts "$log1"))"
is "$(echo "$log2" | grep -c "^PUT 200 [^ ]*/$P/repository/keys/")" 0 "  and no key again"
d2=$(rcli debug digest)

# --- restore --from s3 where the local repository is gone -----------------------------
rm -rf "$R" "$B/.repo-cache"
rcli flushall >/dev/null
rm -f "$D/indexes/content_index.faiss"
tick
vs restore "$id1" --from s3 --yes --no-safety-backup >"$TMP/out" 2>"$TMP/err"
ok $? "restore --from s3 of the encrypted backup on a machine without its repository" || sed 's/^/# /' "$TMP/err"
is "$(rcli debug digest)" "$d1" "  DEBUG DIGEST is the one at backup time"
cmp -s "$D/indexes/content_index.faiss" "$TMP/ci1" && cmp -s "$D/indexes/user_index.faiss" "$TMP/ui1"
ok $? "  both index files are byte-identical"
"$PY" -c 'import faiss, sys; assert faiss.read_index(sys.argv[1]).ntotal == 2000' "$D/indexes/content_index.faiss"
ok $? "  FAISS reads the content index (2000 vectors)"
ok "$([ -f "$R/config" ] && grep -q aes-256-gcm "$R/config"; echo $?)" "  the local repository is again a copy of the encrypted one"
is "$(grep -rl 'Zanzibar-Quokka' "$R" | wc -l)" 0 "  whose objects hold the distinctive string nowhere"

# --- download: only the packs the local repository lacks ----------------------------------
local_packs() { find "$R/packs" -type f -printf '%f\n' | sort; }
local_packs > "$TMP/packs.before"
vs download "$id2" >"$TMP/out" 2>"$TMP/err"
ok $? "download of the second backup" || sed 's/^/# /' "$TMP/err"
local_packs | comm -13 "$TMP/packs.before" - > "$TMP/packs.new"
put_names "$log2" > "$TMP/packs.put2"
is "$(cat "$TMP/packs.new")" "$(cat "$TMP/packs.put2")" "  fetches exactly the packs the second backup added ($(wc -l < "$TMP/packs.new")), none the local repository had"
ok "$([ -f "$R/manifests/$id2" ]; echo $?)" "  its manifest is local"
vs verify --deep "$id2" --location local >"$TMP/out" 2>&1 || vs verify --deep "$id2" >"$TMP/out" 2>&1
ok $? "  and it verifies deep" || sed 's/^/# /' "$TMP/out"

# --- upload: only what S3 lacks -------------------------------------------------------------
vs delete "$id2" --location s3 --yes >"$TMP/out" 2>&1
ok $? "delete of the copy in S3" || sed 's/^/# /' "$TMP/out"
ok "$([ ! -f "$S3R/manifests/${id2}._S3rver_object" ]; echo $?)" "  its manifest is gone from S3"
proxy_ctl reset-log >/dev/null
vs upload "$id2" >"$TMP/out" 2>"$TMP/err"
ok $? "upload of it again" || sed 's/^/# /' "$TMP/err"
logu=$(proxy_ctl log)
is "$(pack_puts "$logu")" 0 "  sends no pack: S3 still holds every chunk"
ok "$([ -f "$S3R/manifests/${id2}._S3rver_object" ]; echo $?)" "  the manifest is back in S3"
rcli flushall >/dev/null
tick
vs restore "$id2" --from s3 --yes --no-safety-backup >"$TMP/out" 2>"$TMP/err"
ok $? "restore of it from S3" || sed 's/^/# /' "$TMP/err"
is "$(rcli debug digest)" "$d2" "  DEBUG DIGEST is the one at its backup"

# --- a wrong passphrase -----------------------------------------------------------------------
before=$(s3_sum)
printf 'wrong horse\n' > "$TMP/pass"
vs verify "$id2" --location s3 >"$TMP/out" 2>"$TMP/err" || vs verify "$id2" >"$TMP/out" 2>>"$TMP/err"
rc=$?
is "$rc" 2 "verify with a wrong passphrase fails (exit 2)"
like "$(cat "$TMP/err" "$TMP/out")" "passphrase does not open the repository" "  saying the passphrase does not open the repository"
rm -rf "$R" "$B/.repo-cache"
rcli flushall >/dev/null
tick
vs restore "$id1" --from s3 --yes --no-safety-backup >"$TMP/out" 2>"$TMP/err"
rc=$?
ok "$([ "$rc" -ne 0 ]; echo $?)" "restore --from s3 with a wrong passphrase fails (exit $rc)"
like "$(cat "$TMP/err" "$TMP/out")" "passphrase does not open the repository in s3://" "  naming the repository in S3"
unlike "$(cat "$TMP/err" "$TMP/out")" "wrong horse" "  without echoing the passphrase"
tick
vs backup >"$TMP/out" 2>"$TMP/err"
ok "$([ $? -ne 0 ]; echo $?)" "a backup with it fails too"
like "$(cat "$TMP/err")" "passphrase does not open the repository in s3://" "  saying why"
unlike "$(cat "$TMP/err")" "same second" "  not that its id was taken"
vs list >"$TMP/out" 2>"$TMP/err"
like "$(cat "$TMP/out")" "repository \(S3\): 2 backups; cannot be read: the passphrase does not open the repository" \
    "list says the repository in S3 holds 2 backups it cannot read, and why"
unlike "$(cat "$TMP/out")" "metadata unreadable: run verify" "  rather than calling their metadata unreadable"
like "$(grep "^$id1 " "$TMP/out")" "repository unreadable" "  each backup's note points at the repository"
is "$(s3_sum)" "$before" "  and nothing in S3 changed"
ok "$([ ! -e "$R/manifests" ] || [ -z "$(ls "$R/manifests")" ]; echo $?)" "  nor was a backup written locally"

done_testing
