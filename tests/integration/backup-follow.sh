#!/bin/bash
# A repository backup (format 2) stores Redis's snapshot while Redis writes
# it (temp-PID.rdb in its data directory) rather than after the save, and
# only when the file renamed into place at the end is the very file it
# read: the stored RDB is then byte-identical to the dump and verifies
# deeply. Stale or linked temp files next to it are not taken; two fresh
# candidates mean the finished file is read as before; a save killed
# half-way fails the backup and leaves no manifest; a file swapped under
# the temporary name is not the one stored (the finished file decides).
# Covers src/jobs/capture-follow.c, src/jobs/backup.c, src/repo/writer.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"

PY=/usr/bin/python3
command -v redis-server >/dev/null || skip_all "redis-server is not installed"
"$PY" -c 'import faiss, numpy' 2>/dev/null || skip_all "$PY cannot import faiss"

mkdir -p "$TMP/faiss"
"$PY" - "$TMP/faiss/content_index.faiss" "$TMP/faiss/user_index.faiss" <<'EOF'
import sys, numpy as np, faiss
for path, n in zip(sys.argv[1:], (70, 30)):
    ix = faiss.IndexIDMap(faiss.IndexFlatIP(8))
    ix.add_with_ids(np.random.rand(n, 8).astype('float32'), np.arange(n).astype('int64'))
    faiss.write_index(ix, path)
EOF

start_redis "$TMP/r" || exit 1
rcli debug populate 20000 chimera-vectors: 300 >/dev/null
# A slow save (30 us a key, about 0.6 s): the backup runs during it.
rcli config set rdb-key-save-delay 30 >/dev/null
write_config "$TMP/vs.conf" repository.format=2
R=$TMP/backups/repository
vsb() { "$VSBACKUP" -c "$TMP/vs.conf" "$@"; }
manifests() { ls "$R/manifests" 2>/dev/null | sort; }
# The SHA-256 a backup recorded for its RDB.
rdb_sha() { vsb show "$1" 2>/dev/null | awk '$2 == "redis.rdb" { print $NF }'; }
# Wait for the save's temp file; print its name.
wait_temp() {
	local f
	for _ in $(seq 200); do
		f=$(cd "$TMP/r" && ls temp-*.rdb 2>/dev/null | grep -v '^temp-1\.rdb$' | grep -v '^temp-2\.rdb$' | head -1)
		[ -n "$f" ] && { echo "$f"; return 0; }
		sleep 0.02
	done
	return 1
}
# backup_during_save NAME: a backup in the background (pid in bpid, output in
# $TMP/NAME.out) once the save's own file (tf) has been written for 0.5 s.
backup_during_save() {
	before=$(manifests)
	sleep 1
	vsb backup >"$TMP/$1.out" 2>&1 &
	bpid=$!
	tf=$(wait_temp)
	ok "$?" "fixture: the save's file $tf appeared"
	sleep 0.5
}

# --- stored while written ----------------------------------------------------------
OUT=$(vsb backup 2>&1); RC=$?
is "$RC" 0 "a repository backup during a slow save succeeds" || diag "$OUT"
like "$OUT" "redis\.rdb was stored while Redis wrote it" "  it stored the snapshot while Redis wrote it"
id1=$(printf '%s\n' "$OUT" | tail -n 1)
is "$(rdb_sha "$id1")" "$(sha256sum "$TMP/r/dump.rdb" | cut -d' ' -f1)" \
	"  what it stored is byte for byte the RDB file Redis renamed into place"
OUT=$(vsb verify --deep "$id1" 2>&1)
is "$?" 0 "  and it verifies deeply (key counts, checksum)" || diag "$OUT"
like "$(vsb show "$id1" 2>&1)" "chimera-vectors: 20000" "  with the key count of the snapshot"

# --- progress: the snapshot outgrows the previous file --------------------------------
# The total starts from the previous RDB file's size; a bigger snapshot
# raises it rather than showing more than all of it done.
rcli debug populate 22000 chimera-vectors: 300 >/dev/null
sleep 1
OUT=$(vsb --json backup 2>&1); RC=$?
is "$RC" 0 "a backup of a grown store succeeds" || diag "$OUT"
over=$(printf '%s\n' "$OUT" | "$PY" -c '
import json, sys
n = 0
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "progress" and e.get("unit") == "bytes" and e["done"] > e["total"]:
        n += 1
print(n)')
is "$over" 0 "  no progress event shows more bytes done than its total"
like "$OUT" "redis\.rdb was stored while Redis wrote it" "  (it stored the snapshot while Redis wrote it)"

# --- stale and linked temp files are not taken ------------------------------------
cp "$TMP/r/dump.rdb" "$TMP/r/temp-1.rdb"
touch -d '1 hour ago' "$TMP/r/temp-1.rdb"
ln -s /etc/passwd "$TMP/r/temp-2.rdb"
sleep 1
OUT=$(vsb backup 2>&1); RC=$?
is "$RC" 0 "a stale temp file and a linked one beside the save: the backup succeeds" || diag "$OUT"
like "$OUT" "redis\.rdb was stored while Redis wrote it" "  it followed the save's own file"
id2=$(printf '%s\n' "$OUT" | tail -n 1)
is "$(rdb_sha "$id2")" "$(sha256sum "$TMP/r/dump.rdb" | cut -d' ' -f1)" "  and stored exactly the new dump"
rm -f "$TMP/r/temp-1.rdb" "$TMP/r/temp-2.rdb"

# --- two fresh candidates: the finished file is read --------------------------------
sleep 1
cp "$TMP/r/dump.rdb" "$TMP/r/temp-1.rdb"
OUT=$(vsb backup 2>&1); RC=$?
is "$RC" 0 "a second fresh temp file: the backup succeeds" || diag "$OUT"
unlike "$OUT" "stored while Redis wrote it" "  without guessing which file is the save's"
id3=$(printf '%s\n' "$OUT" | tail -n 1)
is "$(rdb_sha "$id3")" "$(sha256sum "$TMP/r/dump.rdb" | cut -d' ' -f1)" "  it stored the finished file"
rm -f "$TMP/r/temp-1.rdb"

# --- the save killed half-way ----------------------------------------------------------
# Slower still (2 s), so the test can act during the save.
rcli config set rdb-key-save-delay 100 >/dev/null
backup_during_save kill
kill -9 "$(printf '%s' "$tf" | sed 's/^temp-\([0-9]*\)\.rdb$/\1/')"
wait "$bpid"; RC=$?
ok "$(( RC == 0 ))" "the save killed half-way: the backup fails" || diag "$(cat "$TMP/kill.out")"
like "$(cat "$TMP/kill.out")" "BGSAVE on Redis at .* failed" "  saying the save failed"
is "$(manifests)" "$before" "  and leaves no manifest"
OUT=$(vsb backup 2>&1); RC=$?
is "$RC" 0 "  the next backup succeeds" || diag "$OUT"
OUT=$(vsb check 2>&1)
is "$?" 0 "  and the repository checks clean" || diag "$OUT"

# --- a file swapped under the temporary name ----------------------------------------
# Whoever can write Redis's directory moves the file being written away
# and puts a copy of what is written so far under its name; Redis renames
# that copy into place. The file followed is whole and valid, but it is not
# the one in place: the finished file decides, and it is truncated.
backup_during_save swap
mv "$TMP/r/$tf" "$TMP/r/moved.rdb" && cp "$TMP/r/moved.rdb" "$TMP/r/$tf"
wait "$bpid"; RC=$?
OUT=$(cat "$TMP/swap.out")
ok "$(( RC == 0 ))" "a file swapped during the save: the backup fails" || diag "$OUT"
like "$OUT" "could not be stored while it was written .*is not the file Redis wrote" \
	"  the file it followed is not taken, and the log says why"
like "$OUT" "Redis snapshot could not be read" "  the finished file in place is read, and refused"
is "$(manifests)" "$before" "  no manifest is written"
rm -f "$TMP/r/moved.rdb"

# --- a plain backup (format 1) reads the finished file ------------------------------
rcli config set rdb-key-save-delay 30 >/dev/null
write_config "$TMP/f1.conf" backup_dir="\"$TMP/plain\""
OUT=$("$VSBACKUP" -c "$TMP/f1.conf" backup 2>&1); RC=$?
is "$RC" 0 "a plain backup during a slow save succeeds" || diag "$OUT"
unlike "$OUT" "stored while Redis wrote it" "  reading the finished file"

done_testing
