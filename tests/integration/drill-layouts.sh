#!/bin/bash
# Restore drills on stores written by Python (no vsbackup code): documents
# with a vector of another dimension fail the documents check (exit 3);
# keys with a TTL that expired between the backup and the drill are allowed
# for, in the counts and in the index ids no document names; an index FAISS
# cannot load fails its load check and the other index is still checked;
# an inner-product index of vectors of any length has no search check (and
# says why); IVF and HNSW indexes are searched approximately and give a
# recall; a backup in the repository (format 2) is drilled from it.
# Covers src/jobs/drill-redis.c, drill-index.c, src/drill/doc.c, probe.c,
# src/faiss/faiss-inspect.c and restore_materialise on format 2.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/drill-lib.sh"

# --- documents that are not as the index wants them -------------------------------
data --bad 3
run drill "$ID"
is "$RC" 3 "documents with a vector of another dimension fail the drill (exit 3)" || show "$OUT$ERR"
like "$OUT" "FAIL +documents chimera-vectors: +3 of 300 sampled documents \\(seed 1\\) are not as expected: 3 a vector of another dimension \\(first chimera-vectors:doc-00" \
    "  the documents check names the count, what is wrong and a key"

# --- keys with a TTL that expired between the backup and the drill -------------------
data --short-ttl 4 --ttl 2
# Until the 4 short-lived documents have expired (SCAN passes over them).
live_docs() { redis-cli -s "$SOCK" --scan --pattern 'chimera-vectors:*' | wc -l; }
for _ in $(seq 300); do [ "$(live_docs)" = 296 ] && break; sleep 0.1; done
is "$(live_docs)" 296 "the 4 documents with a short TTL have expired since the backup"
run drill "$ID"
is "$RC" 0 "documents whose TTL expired since the backup: the drill passes" || show "$OUT$ERR"
like "$OUT" "ok +key count chimera-vectors: +296 keys, as recorded but for 4 with a TTL that expired since the backup" \
    "  the key count allows for them (at most, as a restore does)"
like "$OUT" "ok +divergence chimera-vectors: +the ids of the 296 documents are all in content_index.faiss; its 4 other ids may be those of documents whose TTL expired since the backup \\(4 did\\)" \
    "  and so do the index ids no document names"

# --- an index FAISS cannot load ------------------------------------------------------
data
# The wrapped index's type code (just after the IDMap's header) made unknown,
# and the metadata made to agree, as if the service had written it so.
"$PY" - "$BK/$ID" <<'EOF'
import hashlib, json, sys
d = sys.argv[1]
p = d + "/content_index.faiss"
b = bytearray(open(p, "rb").read())
i = b.index(b"IxF2", 4)
b[i:i + 4] = b"Zz99"
open(p, "wb").write(b)
m = json.load(open(d + "/metadata.json"))
m["indices"]["content"]["sha256"] = hashlib.sha256(b).hexdigest()
json.dump(m, open(d + "/metadata.json", "w"), indent=2)
EOF
run drill "$ID"
is "$RC" 3 "an index FAISS cannot load fails the drill (exit 3)" || show "$OUT$ERR"
like "$OUT" "FAIL +content_index.faiss loads +.*content_index.faiss" "  the load check names the file and why"
like "$OUT" "ok +user_index.faiss loads" "  the other index is still checked"
ok "$(nodrills; echo $?)" "  no sandbox and no server are left"

# --- an inner-product index whose vectors are not of unit length ------------------------
data --user-raw
run drill "$ID"
is "$RC" 0 "an inner-product index of vectors of any length drills clean" || show "$OUT$ERR"
like "$OUT" "skip +search user_index.faiss +inner-product index whose vectors are not of unit length: a vector need not be its own nearest neighbour" \
    "  its search check is not made, saying why (a longer vector outscores a vector's own)"
like "$OUT" "ok +vectors of chimera-users: +40 sampled documents hold the vector user_index.faiss stores" \
    "  its stored vectors are still compared"

# --- an approximate index: recall --------------------------------------------------
data --kind ivf
run --json drill "$ID"
is "$RC" 0 "an IVF index drills clean" || show "$OUT$ERR"
like "$(detail search content_index.faiss)" "^recall@10 1.000: 300 of 300 sampled vectors find their own id within the top 10 \\(approximate search" \
    "  its search is reported as a recall figure"
is "$(printf '%s\n' "$OUT" | jq_ "float(j['recall']['content'])")" 1.0 "  --json: recall per index"

# --- a graph index (HNSW) --------------------------------------------------------------
data --kind hnsw
run --json drill "$ID"
is "$RC" 0 "an HNSW index drills clean" || show "$OUT$ERR"
like "$(detail index_load content_index.faiss)" "^IxMp/IHNf, 300 vectors .* approximate search" \
    "  it is known for an approximate index"
like "$(detail vectors chimera-vectors:)" "^300 sampled documents hold the vector content_index.faiss stores" \
    "  whose stored vectors are compared (flat storage under the graph)"
like "$(detail search content_index.faiss)" "^recall@10 [01]\\.[0-9]{3}: " "  and whose search is a recall"

# --- a backup in the repository (format 2) ------------------------------------------
write_config "$CONF" repository.format=2
data
ok "$([ ! -e "$BK/$ID" ] && [ -f "$BK/repository/manifests/$ID" ]; echo $?)" \
    "a format 2 backup is in the repository"
run drill "$ID"
is "$RC" 0 "  it drills clean" || show "$OUT$ERR"
like "$OUT" "search content_index.faiss +300 of 300 sampled vectors find their own id first" \
    "  its files were written into the sandbox from the repository"
run --json list
is "$(printf '%s\n' "$OUT" | jq_ "[b.get('drill', {}).get('ok') for b in j if b['id'] == '$ID']")" "[True]" \
    "  its drill is recorded with it"
ok "$(nodrills; echo $?)" "  no sandbox and no server are left"

done_testing
