#!/bin/bash
# The repository (format 2) through the signature-checking S3 proxy and
# garbage collection:
#  - backup uploads only the objects S3 lacks (a second backup of unchanged
#    data sends no pack); restore --from s3 on a machine without the
#    backup reassembles the exact dataset (DEBUG DIGEST) and index bytes;
#  - churn between two backups, delete of the first, cleanup (two-phase:
#    mark, then sweep) frees space and the second still restores exactly;
#    an independent reader written from doc/FORMAT reassembles its files;
#  - a backup writing during a collection keeps what it uses;
#  - SIGKILL at each step of a collection never leaves a manifest naming a
#    chunk that is gone;
#  - damage: a deleted pack, a truncated index file, a missing config:
#    verify exits 3 naming the files affected; other backups still restore.
# Covers src/repo/copy.c, gc.c, lock.c, src/jobs/transfer.c (format 2),
# job-cleanup.c (collection), doc/FORMAT with tests/repo-reader.py.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 2000
redis_settle "$D/redis.sock"
s3_e2e_format2
packs_in() { find "$1/packs" -type f ! -name '*._S3rver_*' -o -name '*._S3rver_object' 2>/dev/null | wc -l; }
pack_bytes() { find "$S3R/packs" -name '*._S3rver_object' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
churn() {
	$PY - "$D/redis.sock" "$D/indexes/content_index.faiss" "$1" <<'PYEOF'
import sys, random, json, socket, numpy as np, faiss, subprocess
sock, ci, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(seed)
cli = ["redis-cli", "-s", sock]
keys = subprocess.run(cli + ["--scan", "--pattern", "chimera-vectors:*"], capture_output=True, text=True).stdout.split()
ix = faiss.read_index(ci)
n = len(keys)
for k in random.sample(keys, n // 100):
    subprocess.run(cli + ["set", k, json.dumps({"changed": random.random(), "v": [random.random() for _ in range(32)]})], capture_output=True)
gone = random.sample(keys, max(1, n // 500))
subprocess.run(cli + ["del"] + gone, capture_output=True)
ids = faiss.vector_to_array(ix.id_map)
ix.remove_ids(np.array(random.sample(list(ids), len(gone)), dtype='int64'))
new = np.random.rand(n // 100, ix.d).astype('float32')
start = int(ids.max()) + 1
ix.add_with_ids(new, np.arange(start, start + len(new)).astype('int64'))
for i in range(n // 100):
    subprocess.run(cli + ["set", "chimera-vectors:new-%d-%d" % (seed, i), json.dumps({"v": [random.random() for _ in range(32)]})], capture_output=True)
faiss.write_index(ix, ci)
PYEOF
}

# --- upload sends only what S3 lacks ----------------------------------------------
tick
id1=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a format 2 backup uploads to S3" || sed 's/^/# /' "$TMP/err"
ok "$([ -f "$S3R/manifests/${id1}._S3rver_object" ]; echo $?)" "  its manifest is in S3"
is "$(packs_in "$S3R")" "$(packs_in "$R")" "  with every pack"
d1=$(rcli debug digest)
proxy_ctl reset-log >/dev/null
b1=$(pack_bytes)
tick
id2=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a second backup of unchanged data" || sed 's/^/# /' "$TMP/err"
sent=$(( $(pack_bytes) - b1 ))
ok "$([ "$sent" -lt $((b1 / 20)) ]; echo $?)" "  uploads only what changed (the snapshot's header and trailer): $sent bytes of packs, $b1 before"
ok "$([ "$(proxy_ctl log | grep -c '^PUT')" -le 8 ]; echo $?)" "  in a handful of PUTs ($(proxy_ctl log | grep -c '^PUT'))"

# --- restore from S3 on a machine that never had it --------------------------------
cp -a "$R" "$TMP/repo.save"
rm -rf "$R" "$B/.repo-cache"
rcli flushall >/dev/null
cp "$D/indexes/content_index.faiss" "$TMP/ci.orig"
rm "$D/indexes/content_index.faiss"
tick
vs restore "$id1" --from s3 --yes --no-safety-backup >"$TMP/out" 2>"$TMP/err"
ok $? "restore --from s3 of a format 2 backup the local disk lacks" || sed 's/^/# /' "$TMP/err"
is "$(rcli debug digest)" "$d1" "  DEBUG DIGEST is the one at backup time"
cmp -s "$D/indexes/content_index.faiss" "$TMP/ci.orig"
ok $? "  the content index is byte-identical"
ok "$([ -f "$R/manifests/$id1" ]; echo $?)" "  the backup was downloaded into the local repository"

# --- churn, delete, collect ----------------------------------------------------------
churn 1
tick
id3=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a backup after churn (1% changed, 0.2% deleted, 1% added)" || sed 's/^/# /' "$TMP/err"
d3=$(rcli debug digest)
cp "$D/indexes/content_index.faiss" "$TMP/ci3"
export VSBACKUP_GC_GRACE=0
for id in "$id1" "$id2"; do vs delete "$id" --yes >/dev/null 2>&1; done
before=$(du -sb "$R/packs" | cut -f1)
vs cleanup --dry-run --location local >"$TMP/out" 2>&1
like "$(cat "$TMP/out")" "repository: .* in packs, a cleanup now would free" "cleanup --dry-run says what a collection would free"
is "$(du -sb "$R/packs" | cut -f1)" "$before" "  and frees nothing"
vs cleanup --location local >"$TMP/out" 2>&1
ok $? "cleanup marks the unused packs"
vs cleanup --location local >"$TMP/out" 2>&1
ok $? "a second cleanup sweeps them" || sed 's/^/# /' "$TMP/out"
after=$(du -sb "$R/packs" | cut -f1)
ok "$([ "$after" -lt "$before" ]; echo $?)" "  the packs shrank ($before -> $after bytes)"
vs verify --deep "$id3" >"$TMP/out" 2>&1
ok $? "the remaining backup verifies deep" || sed 's/^/# /' "$TMP/out"
$PY "$TESTS_DIR/repo-reader.py" "$R" "$id3" "$TMP/reader" >"$TMP/out" 2>&1
ok $? "the independent reader reassembles its files from doc/FORMAT alone" || sed 's/^/# /' "$TMP/out"
cmp -s "$TMP/reader/content_index.faiss" "$TMP/ci3"
ok $? "  the content index byte for byte"
rcli flushall >/dev/null
tick
vs restore "$id3" --yes --no-safety-backup >"$TMP/out" 2>&1
ok $? "restore of the remaining backup after the collection" || sed 's/^/# /' "$TMP/out"
is "$(rcli debug digest)" "$d3" "  DEBUG DIGEST is the one at its backup"

# --- a backup writing during a collection keeps what it uses -------------------------
churn 2
tick
id4=$(vs backup --no-upload 2>/dev/null | tail -1)
vs delete "$id4" --location local --yes >/dev/null 2>&1
# A lock of a running backup (this shell's pid: alive).
printf '{"kind": "backup", "host": "%s", "pid": %d, "time": 0}\n' "$(hostname)" $$ > "$R/locks/backup-1-feedfeedfeedfeed"
vs cleanup --location local >/dev/null 2>&1
vs cleanup --location local >"$TMP/out" 2>&1
like "$(cat "$TMP/out")" "a backup was writing" "a collection while a backup writes says so"
nmarked=$(cat "$R"/trash/* 2>/dev/null | grep -c '^[0-9a-f]\{64\}$')
ok "$([ "$nmarked" -ge 1 ]; echo $?)" "  marks ($nmarked packs)"
npk=$(packs_in "$R")
rm "$R/locks/backup-1-feedfeedfeedfeed"
vs cleanup --location local >/dev/null 2>&1
ok "$([ "$(packs_in "$R")" -lt "$npk" ]; echo $?)" "  and deletes only once the backup is done"

# --- SIGKILL at each step of a collection -------------------------------------------
check_all() {
	local id bad=0
	for id in $(ls "$R/manifests"); do
		vs verify "$id" >/dev/null 2>&1 || bad=1
	done
	return $bad
}
for step in marked index-written index-old-deleted packs-deleted; do
	churn $((10 + ${#step}))
	tick
	idk=$(vs backup --no-upload 2>/dev/null | tail -1)
	vs delete "$idk" --location local --yes >/dev/null 2>&1
	VSBACKUP_GC_KILL_AT=$step vs cleanup --location local >/dev/null 2>&1
	VSBACKUP_GC_KILL_AT=$step vs cleanup --location local >/dev/null 2>&1
	check_all
	ok $? "SIGKILL after '$step': every remaining backup still verifies"
	rm -f "$R"/locks/gc-*
	vs cleanup --location local >/dev/null 2>&1
	check_all
	ok $? "  and after the next collection"
done

# --- damage is named -------------------------------------------------------------------
tick
id5=$(vs backup --no-upload 2>/dev/null | tail -1)
# The largest pack: the bulk of the snapshot, which every backup uses (a
# pack the collections left marked may be used by none).
pack=$(find "$R/packs" -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2)
mv "$pack" "$TMP/pack.aside"
vs verify "$id5" >"$TMP/out" 2>&1
is $? 3 "a deleted pack: verify exits 3"
like "$(cat "$TMP/out")" "pack .* is missing" "  naming the missing pack"
like "$(cat "$TMP/out")" "(redis.rdb|content_index.faiss|user_index.faiss) chunks" "  and the file affected"
mv "$TMP/pack.aside" "$pack"
idx=$(find "$R/index" -type f | head -1)
cp "$idx" "$TMP/idx.save"
truncate -s 100 "$idx"
rm -rf "$B/.repo-cache"
vs verify "$id5" >"$TMP/out" 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "a truncated index file fails verification"
like "$(cat "$TMP/out")" "not a valid index file|truncated|damaged" "  saying the index is damaged"
cp "$TMP/idx.save" "$idx"
mv "$R/config" "$TMP/config.save"
vs verify "$id5" >"$TMP/out" 2>&1
ok "$([ $? -ne 0 ]; echo $?)" "a missing repository config fails verification"
like "$(cat "$TMP/out")" "no repository|config" "  naming the config"
mv "$TMP/config.save" "$R/config"
vs verify "$id5" >/dev/null 2>&1
is $? 0 "with everything back the backup verifies again"

done_testing
