#!/bin/bash
# An on-disk IVF index (OnDiskInvertedLists: the lists in a .ivfdata file
# beside the index, opened by its absolute path) is not one file: a backup
# refuses it, naming the side file, instead of copying the index without
# its data; verify --deep refuses such an index in a backup instead of
# letting FAISS read the live .ivfdata. IVF indexes that hold their lists
# (bare, in an IDMap, behind a transform, SQ- and PQ-coded) still back up and
# verify.
# Covers src/faiss/faiss-invlists.c, src/faiss/faiss-header.c,
# src/jobs/backup.c, src/jobs/job-verify.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"

PY=/usr/bin/python3
command -v redis-server >/dev/null || skip_all "redis-server is not installed"
"$PY" -c 'import faiss, numpy' 2>/dev/null || skip_all "$PY cannot import faiss"

start_redis "$TMP/r" || exit 1
rcli debug populate 20 chimera-vectors: 10 >/dev/null
mkdir -p "$TMP/faiss"
CI=$TMP/faiss/content_index.faiss
UI=$TMP/faiss/user_index.faiss
write_config "$TMP/vs.conf"
vsb() { "$VSBACKUP" -c "$TMP/vs.conf" "$@"; }
run() { OUT=$(vsb "$@" 2>&1); RC=$?; }
show() { printf '%s\n' "$@" | sed 's/^/#   | /'; }
backups() { find "$TMP/backups" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' 2>/dev/null | sort; }

# Every index the test uses, made in one run of FAISS (one thread: the
# fixtures are tiny): FX/KIND.faiss holds 300 vectors of dimension 16;
# FX/ondisk.faiss keeps its lists in FX/ondisk.ivfdata.
KINDS=("IVF8,Flat" "IDMap,IVF8,Flat" "PCA8,IVF8,Flat" "IVF8,SQ8" "IVF8,PQ4x4")
FX=$TMP/fx
mkdir -p "$FX"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" - "$FX" "IDMap,Flat" "${KINDS[@]}" <<'EOF' >/dev/null
import os, sys, numpy as np, faiss
d, out = 16, sys.argv[1]
x = np.random.RandomState(7).rand(300, d).astype('float32')
for kind in sys.argv[2:]:
    ix = faiss.index_factory(d, kind)
    ix.train(x)
    if kind.startswith('IDMap'):
        ix.add_with_ids(x, np.arange(300, dtype='int64'))
    else:
        ix.add(x)
    faiss.write_index(ix, os.path.join(out, kind + '.faiss'))
ix = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, 8)
ix.train(x)
il = faiss.OnDiskInvertedLists(ix.nlist, ix.code_size, os.path.join(out, 'ondisk.ivfdata'))
ix.replace_invlists(il)
ix.add(x)
faiss.write_index(ix, os.path.join(out, 'ondisk.faiss'))
EOF
cp "$FX/IDMap,Flat.faiss" "$UI"

# --- IVF indexes that hold their lists -----------------------------------------------------
for kind in "${KINDS[@]}"; do
	cp "$FX/$kind.faiss" "$CI"
	run -q backup
	is "$RC" 0 "$kind: the backup succeeds"
	show "$OUT"
	id=$(printf '%s\n' "$OUT" | tail -n 1)
	run verify "$id" --deep
	is "$RC" 0 "$kind: verify --deep passes"
done
rm -rf "${TMP:?}/backups"

# --- an on-disk IVF index ----------------------------------------------------------------------
cp "$FX/IDMap,Flat.faiss" "$CI"
run -q backup
is "$RC" 0 "a backup with a one-file index (to plant the on-disk one in later)"
GOOD=$(printf '%s\n' "$OUT" | tail -n 1)

cp "$FX/ondisk.faiss" "$CI"
ok "$([ -s "$FX/ondisk.ivfdata" ]; echo $?)" "fixture: the lists are in ondisk.ivfdata"
run backup
ok "$(( RC == 0 ))" "an on-disk IVF index: the backup fails"
show "$OUT"
like "$OUT" "content_index\.faiss: an on-disk IVF index: its inverted lists are not in this file but in $FX/ondisk\.ivfdata" \
	"the message names the side file"
is "$(backups)" "$GOOD" "nothing new is left behind"

# A backup that holds such an index (as one made before could): deep
# verification must not load it, which would read the live .ivfdata.
cp "$CI" "$TMP/backups/$GOOD/content_index.faiss"
"$PY" - "$TMP/backups/$GOOD" <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
p = os.path.join(d, "metadata.json")
m = json.load(open(p))
f = os.path.join(d, "content_index.faiss")
c = m["indices"]["content"]
c["size"] = os.path.getsize(f)
c["sha256"] = hashlib.sha256(open(f, "rb").read()).hexdigest()
c["ntotal"] = 300
c["dim"] = 16
json.dump(m, open(p, "w"))
EOF
rm -f "$TMP/backups/$GOOD/verify.json"
run verify "$GOOD"
is "$RC" 0 "fixture: the planted backup passes the quick check"
run verify "$GOOD" --deep
is "$RC" 3 "verify --deep of a backup with an on-disk IVF index fails (exit 3)"
show "$OUT"
like "$OUT" "on-disk IVF index.*$FX/ondisk\.ivfdata" "naming the side file it does not hold"

done_testing
