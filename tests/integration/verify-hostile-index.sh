#!/bin/bash
# Deep verification of index files made to hurt FAISS's own reader: a
# 69-byte IndexPQ whose header passes but which makes FAISS divide by zero
# (SIGFPE), and a 145-byte IndexScalarQuantizer whose code size field asks
# FAISS to allocate and clear 1 GiB. verify --deep reports "does not load"
# with exit 3 and goes on with the other checks; vsbackup itself is neither
# killed nor grown by what the file asks for (FAISS reads it in a child
# with limits).
# Covers src/faiss/faiss-loader.c and job-verify.c (verify_index_deep).
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/v" 300 30 8
eng_backup
is "$RC" 0 "backup succeeds"
B=$BK/$ID
run verify "$ID" --deep
is "$RC" 0 "the fresh backup verifies (deep)"

# Put FILE in place of the backup's content index, metadata.json updated
# to match (so only what FAISS makes of it can fail).
plant() {
	cp "$1" "$B/content_index.faiss"
	"$PY" - "$B" <<'EOF'
import hashlib, json, sys
b = sys.argv[1]
m = json.load(open(b + "/metadata.json"))
data = open(b + "/content_index.faiss", "rb").read()
m["indices"]["content"]["size"] = len(data)
m["indices"]["content"]["sha256"] = hashlib.sha256(data).hexdigest()
json.dump(m, open(b + "/metadata.json", "w"), indent=1)
EOF
}
# Run vsbackup ARGS; MAXRSS is the largest resident size (KiB) it or any
# process it started reached.
run_rss() {
	MAXRSS=$("$PY" -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1] + ".out", "w"), stderr=open(sys.argv[1] + ".err", "w"))
open(sys.argv[1] + ".rc", "w").write(str(r.returncode))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$TMP/rss" "$VSBACKUP" -c "$CONF" "$@")
	RC=$(cat "$TMP/rss.rc")
	OUT=$(cat "$TMP/rss.out")
	ERR=$(cat "$TMP/rss.err")
}

# The IndexPQ of 69 bytes: M = 0 sub-quantizers, so d % M divides by zero.
"$PY" -c 'import base64, sys
open(sys.argv[1], "wb").write(base64.b64decode(
    "SXhQcQgAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAD//wEGtg0AAK1D"))' \
    "$TMP/pq.faiss"
is "$(stat -c %s "$TMP/pq.faiss")" 69 "an IndexPQ file of 69 bytes"
plant "$TMP/pq.faiss"
run verify "$ID" --deep
is "$RC" 3 "verify --deep of it exits 3, not killed by the signal"
like "$OUT" "FAIL +content_index.faiss loads in FAISS +FAISS cannot load index $B/content_index.faiss: reading it crashed FAISS \\(SIGFPE\\)" \
    "  the index does not load: FAISS crashed on it"
like "$OUT" "ok +user_index.faiss loads in FAISS" "  and the other index is still checked"
like "$OUT" "backup $ID \\(local\\) is INVALID" "  the backup is invalid"

# The IndexScalarQuantizer of 145 bytes: its codes claim 1 GiB.
"$PY" - "$TMP/sq.faiss" <<'EOF'
import struct, sys
import faiss, numpy as np
ix = faiss.IndexScalarQuantizer(8, faiss.ScalarQuantizer.QT_8bit)
x = np.random.rand(100, 8).astype("float32")
ix.train(x)
ix.add(x[:3])
faiss.write_index(ix, sys.argv[1] + ".ok")
b = open(sys.argv[1] + ".ok", "rb").read()
# The file ends with the codes: their count (8 bytes), then 3 x 8 bytes.
open(sys.argv[1], "wb").write(b[:len(b) - 32] + struct.pack("<Q", 1 << 30))
EOF
is "$(stat -c %s "$TMP/sq.faiss")" 145 "an IndexScalarQuantizer file of 145 bytes whose codes claim 1 GiB"
plant "$TMP/sq.faiss"
run_rss verify "$ID" --deep
is "$RC" 3 "verify --deep of it exits 3"
like "$OUT" "FAIL +content_index.faiss loads in FAISS +FAISS cannot load index $B/content_index.faiss: (it asks for more than [0-9]+ MiB|the loader ended)" \
    "  the index does not load: it asks for too much memory"
[ "$MAXRSS" -lt $((600 * 1024)) ]
ok $? "  and no process grew to what it asks for (largest: $((MAXRSS / 1024)) MiB)"

done_testing
