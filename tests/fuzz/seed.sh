#!/bin/bash
# Make the seed corpora of the libFuzzer harnesses (tests/fuzz/corpus/NAME)
# from real files: a small demo store backed up, verified, drilled and
# restored by the vsbackup under test, a format 2 repository (plain and
# encrypted), the answers of a real S3 server (s3rver), index files FAISS
# wrote, and the RDB fixtures of several Redis versions.
#
#   tests/fuzz/seed.sh [OUTDIR]
#
# OUTDIR defaults to tests/fuzz/corpus; existing seeds are kept (a crash
# found later is added there by hand, as its own seed). Needs what the
# integration tests need: a build ($VSBACKUP_BUILDDIR, default build-check/),
# redis-server, /usr/bin/python3 with faiss, node and s3rver in
# tests/node_modules. Each seed is named by its SHA-256, as libFuzzer names
# them. The harnesses whose first input byte picks a parser or a mode get
# that byte put in front of the file (see each tests/fuzz/fuzz-NAME.c).

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${VSBACKUP_BUILDDIR:=$SRC/build-check}"
export VSBACKUP_BUILDDIR
SEEDS=${1:-$SRC/tests/fuzz/corpus}
SEEDS=$(mkdir -p "$SEEDS" && cd "$SEEDS" && pwd)
. "$SRC/tests/lib/harness.sh"
. "$SRC/tests/lib/engine-lib.sh"
eng_require

fail() { echo "seed.sh: $*" >&2; exit 1; }

# put NAME [SELECTOR] FILE: FILE as a seed of harness NAME, after the byte
# SELECTOR (decimal) when given.
put() {
	local name=$1 sel= file tmp sum
	if [ $# -eq 3 ]; then sel=$2; file=$3; else file=$2; fi
	[ -f "$file" ] || fail "no $file for the $name corpus"
	mkdir -p "$SEEDS/$name"
	tmp=$TMP/seed.tmp
	{ [ -n "$sel" ] && printf "\\$(printf %03o "$sel")"; cat "$file"; } > "$tmp"
	sum=$(sha256sum < "$tmp" | cut -d' ' -f1)
	mv "$tmp" "$SEEDS/$name/$sum"
}

# --- a demo store: backup, verify, drill, restore ------------------------------
eng_demo "$TMP/d" 40 8 8
# The stop command of a restore copies the lock and the journal the restore
# holds at that moment.
orig_stop=$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")
cat > "$TMP/stop.sh" <<EOF
cp "$BK/.vsbackup.lock" "$TMP/lock.seen" 2>/dev/null
cp "$BK/.restore-journal.json" "$TMP/journal.seen" 2>/dev/null
$orig_stop
EOF
sed -i "s|^\( *stop_command = \).*|\1\"sh $TMP/stop.sh\";|" "$CONF"
tick
run backup
[ "$RC" = 0 ] || fail "backup: $ERR"
ID=$(last_line "$OUT")
B=$BK/$ID
run verify --deep "$ID"
[ "$RC" = 0 ] || fail "verify: $ERR"
run drill "$ID"
[ "$RC" = 0 ] || echo "seed.sh: drill failed ($ERR): no drill.json seed" >&2
tick
run restore "$ID" --yes
[ "$RC" = 0 ] || fail "restore: $ERR"

put config "$CONF"
put config "$SRC/data/vsbackup.conf"
put manifest 0 "$B/metadata.json"
put manifest 1 "$B/verify.json"
[ -f "$B/drill.json" ] && put manifest 2 "$B/drill.json"
put manifest 3 "$BK/.vsbackup-state.json"
put lock "$TMP/lock.seen"
put journal "$TMP/journal.seen"
put faiss-header "$B/content_index.faiss"
put faiss-header "$B/user_index.faiss"
# Modes of the RDB harness: 0x07 keys counted from the whole file at once;
# 0x1a each key with its value, in chunks of 3 bytes; 0xff everything
# (values, items, slot info), whole.
for f in "$B/redis.rdb" "$SRC"/tests/fixtures/rdb/*.rdb; do
	for mode in 7 26 255; do put rdb "$mode" "$f"; done
done
# A document of the store, after its vector's dimension (8).
for key in $(dcli --scan --pattern 'chimera-vectors:*' | head -2) \
    $(dcli --scan --pattern 'chimera-users:*' | head -1); do
	dcli --raw get "$key" | head -c -1 > "$TMP/doc"
	put drill-doc 8 "$TMP/doc"
done

# --- FAISS: index types the header reader knows ------------------------------
"$PY" - "$TMP/faiss" <<'EOF' || fail "python could not write the FAISS indexes"
import os, sys, numpy as np, faiss
out = sys.argv[1]
os.makedirs(out)
rng = np.random.default_rng(1)
x = rng.random((256, 8), dtype="float32")
for i, spec in enumerate(["IDMap,Flat", "IVF4,Flat", "HNSW4", "PQ2x4", "SQ8", "IVF2,PQ2x4",
                          "IDMap,SQ4", "Flat"]):
    metric = faiss.METRIC_INNER_PRODUCT if i % 2 else faiss.METRIC_L2
    ix = faiss.index_factory(8, spec, metric)
    ix.train(x)
    if spec.startswith("IDMap"):
        ix.add_with_ids(x[:16], np.arange(100, 116, dtype="int64"))
    else:
        ix.add(x[:16])
    faiss.write_index(ix, os.path.join(out, "%d.faiss" % i))
EOF
for f in "$TMP"/faiss/*.faiss; do put faiss-header "$f"; done

# --- the repository (format 2), plain and encrypted ------------------------------
eng_format2
tick
run backup
[ "$RC" = 0 ] || fail "format 2 backup: $ERR"
cp -r "$BK/repository" "$TMP/repo-plain"
rm -rf "$BK/repository"
printf 'correct horse battery staple\n' > "$TMP/pass"
chmod 600 "$TMP/pass"
sed -i "s|^repository = { format = 2;  };|repository = { format = 2; passphrase_file = \"$TMP/pass\"; };|" \
    "$CONF"
tick
run backup
[ "$RC" = 0 ] || fail "encrypted format 2 backup: $ERR"
"$PY" "$SRC/tests/fuzz/seed-repo.py" "$TMP/repo-plain" "$BK/repository" "$SEEDS/repo-objects" ||
    fail "seed-repo.py failed"

# --- S3: the answers of a real server --------------------------------------------
start_s3rver "$TMP/s3" seed
ep=$S3_ENDPOINT/$S3_BUCKET
printf 'x' | curl -sf -X PUT --data-binary @- "$ep/backups/20240702_120100/metadata.json" >/dev/null
printf 'x' | curl -sf -X PUT --data-binary @- "$ep/backups/20240702_120100/redis.rdb" >/dev/null
printf 'x' | curl -sf -X PUT --data-binary @- "$ep/backups/20240702_120200/metadata.json" >/dev/null
curl -s "$ep?list-type=2&prefix=backups/" > "$TMP/list"
put s3-xml 0 "$TMP/list"
curl -s "$ep?list-type=2&prefix=backups/&delimiter=/" > "$TMP/list"
put s3-xml 0 "$TMP/list"
curl -s "$ep?list-type=2&prefix=backups/&max-keys=1" > "$TMP/list"
put s3-xml 0 "$TMP/list"
# The repository's folders: packs named by their hexadecimal ids.
h=$(printf '%064x' 48879)
printf 'x' | curl -sf -X PUT --data-binary @- "$ep/backups/repository/packs/${h:0:2}/$h" >/dev/null
printf 'x' | curl -sf -X PUT --data-binary @- "$ep/backups/repository/manifests/20240702_120100" >/dev/null
curl -s "$ep?list-type=2&prefix=backups/repository/" > "$TMP/list"
put s3-xml 0 "$TMP/list"
curl -s "$ep/backups/none" > "$TMP/error"
put s3-xml 1 "$TMP/error"
curl -s "$S3_ENDPOINT/no-such-bucket?list-type=2" > "$TMP/error"
put s3-xml 1 "$TMP/error"
curl -s -X POST "$ep/backups/big?uploads" > "$TMP/init"
put s3-xml 2 "$TMP/init"

echo "seeds in $SEEDS:"
for d in "$SEEDS"/*/; do echo "  $(basename "$d"): $(ls "$d" | wc -l)"; done
