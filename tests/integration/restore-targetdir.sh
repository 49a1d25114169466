#!/bin/bash
# restore --target-dir DIR: the verified files and metadata.json are written
# to DIR and nothing live is touched (digest, index files, the server's pid,
# no safety backup, no journal). The RDB written there loads in a scratch
# redis-server to the dataset of the backup; FAISS reads the indexes.
# Covers src/jobs/job-restore.c (restore_to_dir), place.c.
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/t" 1500 150 12
D0=$(rdig)
eng_backup
is "$RC" 0 "backup succeeds"

# The live state moves on after the backup.
dcli set chimera-vectors:later '{"id":"later"}' >/dev/null
dcli del "$(dcli --scan --pattern 'chimera-users:*' | head -1)" >/dev/null
"$PY" - "$CI" <<'EOF'
import sys, numpy as np, faiss
ix = faiss.read_index(sys.argv[1])
ix.add_with_ids(np.ones((1, ix.d), dtype='float32'), np.array([777777], dtype='int64'))
faiss.write_index(ix, sys.argv[1])
EOF
snapshot_live live
pid=$(cat "$D/redis/redis.pid")
nb=$(ls "$BK" | grep -c '^[0-9]')

cd "$TMP" || exit 1
tick
run restore "$ID" --target-dir out
is "$RC" 0 "restore --target-dir with a relative path succeeds (no --yes needed)"
[ "$RC" = 0 ] || show "$ERR"
like "$OUT" "written to $TMP/out \\(nothing live was touched\\)" "it says where, as an absolute path"
is "$(ls "$TMP/out" | sort | tr '\n' ' ')" "content_index.faiss metadata.json redis.rdb user_index.faiss " \
    "the directory holds the three files and metadata.json"
cmp -s "$TMP/out/metadata.json" "$BK/$ID/metadata.json"
ok $? "metadata.json is the backup's, byte for byte"
for f in redis.rdb content_index.faiss user_index.faiss; do
	cmp -s "$TMP/out/$f" "$BK/$ID/$f"
	ok $? "$f is the backup's, byte for byte"
done
is "$(sha "$TMP/out/content_index.faiss")" "$(meta "$ID" 'm["indices"]["content"]["sha256"]')" \
    "content_index.faiss has the recorded SHA-256"
is "$(ntotal "$TMP/out/content_index.faiss") $(ntotal "$TMP/out/user_index.faiss")" "1500 150" \
    "FAISS reads both indexes with the recorded ntotal"

live_same live
ok $? "the live digest and index files are unchanged"
is "$(cat "$D/redis/redis.pid")" "$pid" "the server was not restarted"
is "$(dcli exists chimera-vectors:later)" 1 "a key written after the backup is still there"
is "$(ls "$BK" | grep -c '^[0-9]')" "$nb" "no safety backup was taken"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "no restore journal is left"

# The RDB in the target directory is the backup's dataset.
mkdir -p "$TMP/scratch"
cp "$TMP/out/redis.rdb" "$TMP/scratch/dump.rdb"
start_redis "$TMP/scratch" || bail_out "a scratch redis-server did not start"
is "$(rcli debug digest)" "$D0" "a scratch redis-server loads it to the digest taken before the backup"

# Again into the same directory: the files are replaced, nothing else.
echo stale > "$TMP/out/content_index.faiss"
tick
run restore "$ID" --target-dir "$TMP/out"
is "$RC" 0 "restoring into the same directory again succeeds"
cmp -s "$TMP/out/content_index.faiss" "$BK/$ID/content_index.faiss"
ok $? "and replaces a stale file there"
is "$(ls -A "$TMP/out" | wc -l)" 4 "no temporary file is left in it"

# A target that cannot be created: the error names it, nothing live changes.
echo file > "$TMP/afile"
tick
run restore "$ID" --target-dir "$TMP/afile/sub"
is "$RC" 1 "a target under a regular file fails (exit 1)"
like "$ERR" "$TMP/afile" "and the message names the path"
live_same live
ok $? "the live state is unchanged"

run restore 20200101_000000 --target-dir "$TMP/none"
is "$RC" 1 "--target-dir with a backup that does not exist fails (exit 1)"
like "$ERR" "20200101_000000 does not exist" "and names the id"
ok "$([ ! -e "$TMP/none" ]; echo $?)" "and creates nothing"

done_testing
