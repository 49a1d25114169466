#!/bin/bash
# Damaged backups: a truncated file, an altered byte, metadata.json
# missing, truncated or not JSON, damage only the deep checks can see.
# verify exits 3 and names the file; a restore of the damaged backup is
# refused before anything live is touched (no safety backup, no journal,
# live digest and index files unchanged), also with --target-dir.
# Covers src/jobs/job-verify.c, job-restore.c (verify_quick), catalog.c,
# src/manifest/manifest.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/v" 1000 100 8
eng_backup
is "$RC" 0 "backup succeeds"
B=$BK/$ID
cp -a "$B" "$TMP/pristine"
run verify "$ID" --deep
is "$RC" 0 "the fresh backup verifies (deep)"
snapshot_live live

pristine() { rm -rf "$B"; cp -a "$TMP/pristine" "$B"; }
nbackups() { ls "$BK" | grep -c '^[0-9]'; }

# Restore must refuse the damaged backup and touch nothing.
refused() {
	local what=$1 re=$2 n
	n=$(nbackups)
	tick
	run restore "$ID" --yes
	is "$RC" 3 "$what: restore is refused (exit 3)"
	like "$ERR" "backup $ID failed verification \\($re.*nothing was changed" \
	    "$what: restore says why and that nothing was changed"
	live_same live
	ok $? "$what: the live digest and index files are unchanged"
	is "$(nbackups)" "$n" "$what: no safety backup was taken"
	ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "$what: no restore journal is left"
	run restore "$ID" --yes --target-dir "$TMP/out"
	is "$RC" 3 "$what: restore --target-dir is refused too (exit 3)"
	ok "$([ ! -e "$TMP/out" ] || [ -z "$(ls -A "$TMP/out")" ]; echo $?)" \
	    "$what: nothing was written to the target directory"
}

damaged() {
	local what=$1 file=$2 re=$3
	run verify "$ID"
	is "$RC" 3 "$what: verify exits 3"
	like "$OUT" "FAIL +$file.* $re" "$what: verify names $file and says what is wrong"
	like "$OUT" "backup $ID \\(local\\) is INVALID" "$what: verify says the backup is invalid"
	run verify "$ID" --deep
	is "$RC" 3 "$what: verify --deep exits 3"
	run --json verify "$ID"
	is "$(last_line "$OUT" | "$PY" -c 'import json, sys; j = json.load(sys.stdin)
print(j["valid"], [c["check"] for c in j["checks"] if not c["ok"]][0].split()[0])')" \
	    "False $file" "$what: verify --json: invalid, the first failed check is $file"
	refused "$what" "$re"
	pristine
}

# --- data files ---------------------------------------------------------------------
size=$(stat -c %s "$B/redis.rdb")
truncate -s $((size - 100)) "$B/redis.rdb"
damaged "redis.rdb truncated" redis.rdb "size is $((size - 100)) bytes, metadata says $size"

truncate -s 4096 "$B/content_index.faiss"
damaged "content_index.faiss truncated" content_index.faiss "size is 4096 bytes.*truncated or altered"

# One byte in the middle of the vectors, the size unchanged.
flip() {
	local f=$1 off=$2 b
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" |
	    dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
flip "$B/user_index.faiss" 1000
damaged "user_index.faiss altered byte" user_index.faiss "SHA-256 is [0-9a-f]{64}, metadata says [0-9a-f]{64} \\(file altered or damaged\\)"
flip "$B/redis.rdb" $(( $(stat -c %s "$B/redis.rdb") / 2 ))
damaged "redis.rdb altered byte" redis.rdb "SHA-256 .*file altered or damaged"

rm "$B/content_index.faiss"
damaged "content_index.faiss missing" content_index.faiss "missing from the backup"

# --- metadata.json ---------------------------------------------------------------------
meta_damaged() {
	local what=$1 re=$2 note=$3
	run verify "$ID"
	is "$RC" 3 "$what: verify exits 3"
	like "$OUT" "FAIL +metadata.json +.*$re" "$what: verify names metadata.json and says what is wrong"
	run show "$ID"
	ok "$([ "$RC" != 0 ]; echo $?)" "$what: show fails (exit $RC)"
	like "$ERR" "$ID" "$what: show names the backup"
	run list
	like "$(printf '%s\n' "$OUT" | grep "^$ID")" "$note" "$what: list shows the backup as '$note'"
	refused "$what" ".*metadata.json"
}

truncate -s 200 "$B/metadata.json"
meta_damaged "metadata.json truncated" "$B/metadata.json" "metadata unreadable"
pristine
echo 'this is not JSON' > "$B/metadata.json"
meta_damaged "metadata.json not JSON" "$B/metadata.json" "metadata unreadable"
pristine
echo '{"format_version": 1, "backup_id": "'"$ID"'"}' > "$B/metadata.json"
meta_damaged "metadata.json without its fields" "$B/metadata.json" "metadata unreadable"
pristine
rm "$B/metadata.json"
meta_damaged "metadata.json missing" "cannot open $B/metadata.json" "incomplete"

# A complete backup that lost its metadata.json still holds good data: the
# next backup must not throw it away as an interrupted run's leftover.
tick
run backup
is "$RC" 0 "a backup next to the one without metadata.json succeeds"
[ -f "$B/redis.rdb" ] && [ -f "$B/content_index.faiss" ]
ok $? "the data files of the backup without metadata.json are kept" ||
	diag "$(printf '%s\n' "$ERR" | grep removed)"
pristine

# --- damage only the deep checks see ---------------------------------------------------------
# Change the stored index (ntotal in its header) and make metadata agree on
# size and SHA-256: quick verification passes, deep does not.
"$PY" - "$B" <<'EOF'
import hashlib, json, sys, faiss, numpy as np
d = sys.argv[1]
ix = faiss.read_index(d + '/content_index.faiss')
ix.add_with_ids(np.ones((1, ix.d), dtype='float32'), np.array([999999], dtype='int64'))
faiss.write_index(ix, d + '/content_index.faiss')
m = json.load(open(d + '/metadata.json'))
data = open(d + '/content_index.faiss', 'rb').read()
m['indices']['content']['size'] = len(data)
m['indices']['content']['sha256'] = hashlib.sha256(data).hexdigest()
json.dump(m, open(d + '/metadata.json', 'w'), indent=1)
EOF
run verify "$ID"
is "$RC" 0 "an index with one vector more and matching checksums passes quick verification"
run verify "$ID" --deep
is "$RC" 3 "verify --deep exits 3"
like "$OUT" "FAIL +content_index.faiss header +ntotal 1001, dim 8 \\(metadata: 1000, 8\\)" \
    "verify --deep names the index and the ntotal it holds"
pristine

# The RDB with a changed byte and matching checksums: only its CRC-64 sees it.
flip "$B/redis.rdb" $(( $(stat -c %s "$B/redis.rdb") / 2 ))
"$PY" - "$B" <<'EOF'
import hashlib, json, sys
d = sys.argv[1]
m = json.load(open(d + '/metadata.json'))
m['redis']['sha256'] = hashlib.sha256(open(d + '/redis.rdb', 'rb').read()).hexdigest()
json.dump(m, open(d + '/metadata.json', 'w'), indent=1)
EOF
run verify "$ID"
is "$RC" 0 "an RDB altered with a matching SHA-256 passes quick verification"
run verify "$ID" --deep
is "$RC" 3 "verify --deep exits 3"
like "$OUT" "FAIL +(redis.rdb|redis-check-rdb)" "verify --deep names the RDB check that failed"
pristine

run verify "$ID" --deep
is "$RC" 0 "the backup put back as it was verifies again"
live_same live
ok $? "the live state never changed"

done_testing
