#!/bin/bash
# Downloading a backup of the repository (format 2) from S3 into a
# backup_dir without a repository, through the signature-checking proxy:
# packs travel while the rest of the backup's chunks are still being
# found, each is checked against its name as it lands and indexed once
# it is kept. A pack damaged, truncated or missing in the bucket fails
# the download and the restore, with no manifest and no damaged pack in
# the local repository; once the bucket is whole again the same command
# succeeds, and the local repository is sound and readable by the
# independent reader (tests/repo-reader.py). A copy holds a backup lock in
# the repository it writes to, as a backup does.
# Covers src/repo/copy.c over src/storage/s3/.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 300
s3_e2e_format2

tick
id1=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a format 2 backup, uploaded" || sed 's/^/# /' "$TMP/err"
tick
rcli set download-test changed >/dev/null
id2=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a second one" || sed 's/^/# /' "$TMP/err"
d2=$(rcli debug digest)
npacks=$(find "$S3R/packs" -name '*._S3rver_object' | wc -l)
ok "$([ "$npacks" -ge 2 ]; echo $?)" "  the repository in S3 holds $npacks packs"

# A machine without the local repository.
mv "$R" "$TMP/repo.local"
rm -rf "$B/.repo-cache"
fresh() { rm -rf "$R" "$B/.repo-cache" "$TMP/t"; }
# The largest pack in S3: a data pack.
victim=$(find "$S3R/packs" -name '*._S3rver_object' -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
vname=$(basename "$victim" ._S3rver_object)
cp "$victim" "$TMP/victim"
no_manifest() { [ ! -e "$R/manifests/$id2" ]; }
no_victim() { [ -z "$(find "$R/packs" -name "$vname" 2>/dev/null)" ]; }

# --- a pack with one byte changed ---------------------------------------------------------------
/usr/bin/python3 - "$victim" <<'EOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(f.seek(0, 2) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x40]))
EOF
vs download "$id2" >"$TMP/out" 2>"$TMP/err"
st=$?
ok "$([ "$st" != 0 ]; echo $?)" "a pack changed in the bucket: download fails (status $st)"
like "$(cat "$TMP/err")" "$vname.* does not match its name" "  naming the pack that does not match"
ok "$(no_manifest; echo $?)" "  no manifest in the local repository"
ok "$(no_victim; echo $?)" "  and no copy of that pack"
fresh
vs restore "$id2" --from s3 --target-dir "$TMP/t" --yes >"$TMP/out" 2>"$TMP/err"
st=$?
ok "$([ "$st" != 0 ]; echo $?)" "  restore --from s3 of it fails too (status $st)"
ok "$([ -z "$(ls -A "$TMP/t" 2>/dev/null)" ]; echo $?)" "  leaving nothing in the target directory"
ok "$(no_manifest && no_victim; echo $?)" "  nor a manifest or that pack in the local repository"

# --- a pack cut short ----------------------------------------------------------------------------
fresh
cp "$TMP/victim" "$victim"
truncate -s $(( $(stat -c %s "$victim") - 1000 )) "$victim"
vs download "$id2" >"$TMP/out" 2>"$TMP/err"
st=$?
ok "$([ "$st" != 0 ]; echo $?)" "a pack cut short in the bucket: download fails (status $st)"
ok "$(no_manifest && no_victim; echo $?)" "  no manifest, no copy of that pack"

# --- a pack missing ------------------------------------------------------------------------------
fresh
rm -f "$victim"
vs download "$id2" >"$TMP/out" 2>"$TMP/err"
st=$?
ok "$([ "$st" != 0 ]; echo $?)" "a pack missing in the bucket: download fails (status $st)"
like "$(cat "$TMP/err")" "$vname" "  naming it"
ok "$(no_manifest; echo $?)" "  no manifest in the local repository"

# --- a copy announces itself to collections -------------------------------------------------------
# Like a backup, a copy holds a backup lock in the repository it writes to
# from before it reads what that holds until its manifest is there, so a
# collection sweeping at the same time keeps the packs the copy counts on.
# Seen here on an upload, where the proxy logs every request.
fresh
cp "$TMP/victim" "$victim"
tick
rcli set download-test again >/dev/null
id3=$(vs backup --no-upload 2>"$TMP/err" | tail -1)
ok $? "a third backup, not uploaded" || sed 's/^/# /' "$TMP/err"
proxy_ctl reset-log >/dev/null
vs upload "$id3" >"$TMP/out" 2>&1
ok $? "  uploaded on its own" || sed 's/^/# /' "$TMP/out"
proxy_ctl log | grep -E '^(PUT|DELETE) ' | grep -nE '/repository/(locks/backup-|packs/|manifests/)' |
    sed -E 's|^([0-9]+):(PUT\|DELETE) [0-9]+ [^ ]*/repository/([a-z]+)/.*|\1 \2 \3|' > "$TMP/order"
lock_put=$(awk '$2 == "PUT" && $3 == "locks" { print $1; exit }' "$TMP/order")
lock_del=$(awk '$2 == "DELETE" && $3 == "locks" { print $1; exit }' "$TMP/order")
first_pack=$(awk '$2 == "PUT" && $3 == "packs" { print $1; exit }' "$TMP/order")
manifest=$(awk '$2 == "PUT" && $3 == "manifests" { print $1; exit }' "$TMP/order")
ok "$([ -n "$lock_put" ] && [ -n "$first_pack" ] && [ "$lock_put" -lt "$first_pack" ]; echo $?)" \
    "  it put a backup lock in S3 before its first pack" || sed 's/^/# /' "$TMP/order"
ok "$([ -n "$lock_del" ] && [ -n "$manifest" ] && [ "$lock_del" -gt "$manifest" ]; echo $?)" \
    "  and removed it after the manifest" || sed 's/^/# /' "$TMP/order"
ok "$([ -z "$(ls "$S3R/locks" 2>/dev/null)" ]; echo $?)" "  leaving no lock behind"

# --- the bucket whole again ------------------------------------------------------------------------
fresh
vs download "$id2" >"$TMP/out" 2>"$TMP/err"
ok $? "once the bucket is whole, the download succeeds" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/err" "$TMP/out")" "packs to copy" "  saying how many packs it copies"
said=$(sed -n 's/.*: \([0-9][0-9]*\) packs to copy.*/\1/p' "$TMP/err" "$TMP/out" | head -1)
is "$(find "$R/packs" -type f | wc -l)" "${said:-none}" "  and holds as many packs afterwards"
vs check >"$TMP/out" 2>&1
ok $? "  check of the local repository finds it sound" || sed 's/^/# /' "$TMP/out"
vs verify "$id2" >"$TMP/out" 2>&1
ok $? "  verify of the downloaded backup passes" || sed 's/^/# /' "$TMP/out"
/usr/bin/python3 "$TESTS_DIR/repo-reader.py" "$R" "$id2" "$TMP/reader" >"$TMP/out" 2>&1
ok $? "  the independent reader reassembles its files" || sed 's/^/# /' "$TMP/out"
vs restore "$id2" --target-dir "$TMP/t" --yes >"$TMP/out" 2>&1
ok $? "  restore of it into a directory" || sed 's/^/# /' "$TMP/out"
ok "$(cmp -s "$TMP/reader/content_index.faiss" "$TMP/t/content_index.faiss"; echo $?)" \
    "  the reader's content index equals the restored one"
vs download "$id1" >"$TMP/out" 2>"$TMP/err"
ok $? "the first backup downloads beside it" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/err" "$TMP/out")" "$id1 is already complete|packs to copy" "  copying only what is missing"
vs restore "$id2" --yes --no-safety-backup >"$TMP/out" 2>&1
ok $? "live restore of the second backup from the downloaded repository" || sed 's/^/# /' "$TMP/out"
is "$(rcli debug digest)" "$d2" "  with its data"

done_testing
