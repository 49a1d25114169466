#!/bin/bash
# Restore drills on data no vsbackup code wrote: documents written into a
# live Redis by Python (through redis-cli --pipe) and indexes written by
# Python's faiss, backed up by vsbackup, then drilled in a sandbox. A good
# backup drills clean and reports its recovery time by phase; an index that
# lacks ids the documents name, documents that point at the wrong vectors,
# and a damaged RDB each fail with exit 3 naming the check and the counts;
# an RDB newer than the sandbox's server can load is "could not run" (exit
# 1). No drill touches the live Redis (DEBUG DIGEST) or the live index
# files (their bytes), and no drill leaves a sandbox or a server behind.
# Covers src/jobs/job-drill.c, drill-redis.c, drill-index.c,
# drill-report.c, src/drill/*, src/faiss/faiss-inspect.c,
# src/manifest/drill-record.c, src/cli/cmd-drill.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/drill-lib.sh"

# --- a good backup ---------------------------------------------------------------
data --ttl 5
GOOD=$ID
snapshot_live live
run drill "$GOOD"
is "$RC" 0 "a good backup drills clean (exit 0)" || show "$OUT$ERR"
like "$OUT" "backup $GOOD \\(local\\) drilled: ok, [0-9]+ checks, RTO [0-9.]+ s" \
    "  the result line names the backup and its recovery time"
like "$OUT" "recovery time from local +[0-9.]+ s \\(download [0-9.]+ s, Redis load [0-9.]+ s, index load [0-9.]+ s, checks [0-9.]+ s\\), within the target of 300 s" \
    "  the recovery time is reported by phase against the 5 min target"
like "$OUT" "key count chimera-vectors: +300 keys, as recorded" "  key counts as recorded"
like "$OUT" "DBSIZE of db 0 +340 keys, as recorded" "  DBSIZE as recorded"
like "$OUT" "documents chimera-vectors: +300 sampled \\(seed 1\\)" "  every document sampled (fewer than drill.sample_size)"
like "$OUT" "vectors of chimera-vectors: +300 sampled documents hold the vector content_index.faiss stores" \
    "  the stored vectors equal the documents' (rounded to 6 decimals in JSON)"
like "$OUT" "search content_index.faiss +300 of 300 sampled vectors find their own id first \\(exact search\\)" \
    "  each vector finds itself first in the exact L2 index"
like "$OUT" "search user_index.faiss +40 of 40 .*first" "  and in the inner-product IDMap2 index"
like "$OUT" "divergence chimera-vectors: +the 300 documents and the 300 ids of content_index.faiss match one to one" \
    "  documents and index ids match one to one"
ok "$(nodrills; echo $?)" "  no sandbox and no sandbox server are left"
live_same live
ok $? "  the live Redis (DEBUG DIGEST) and index files (bytes) are untouched"

run --json drill "$GOOD"
is "$RC" 0 "drill --json exits 0"
is "$(printf '%s\n' "$OUT" | jq_ "j['event'], j['ok'], j['location'], sorted(j['phases']), j['rto_target_seconds'], {k: float(v) for k, v in j['recall'].items()}")" \
    "result True local ['checks', 'download', 'index_load', 'redis_load'] 300 {'content': 1.0, 'user': 1.0}" \
    "  --json: result, ok, phases, target and recall"
is "$("$PY" -c 'import json,sys; r = json.load(open(sys.argv[1]))["records"]; print(len(r), r[0]["ok"], r[0]["location"], r[0]["rto_seconds"] > 0)' "$BK/$GOOD/drill.json")" \
    "2 True local True" "  each drill is recorded in drill.json beside the backup"

# The same seed samples the same documents; another seed others.
write_config "$CONF" 'drill.sample_size=20'
run --json drill "$GOOD"
s1=$(detail documents chimera-vectors:)
run --json drill "$GOOD"
is "$(detail documents chimera-vectors:)" "$s1" "the sample is reproducible (same seed, same sample)"
like "$s1" "^20 sampled \\(seed 1\\)" "  drill.sample_size bounds it"

# --- the index lacks ids the documents name -----------------------------------------
write_config "$CONF"
data --drop 4
run drill "$ID"
is "$RC" 3 "an index lacking 4 documents' ids fails the drill (exit 3)" || show "$OUT$ERR"
like "$OUT" "FAIL +ids of chimera-vectors: in the index +4 of 300 sampled documents name a faiss_id that content_index.faiss does not hold: 1888, 1891, 1894, 1897" \
    "  the ids check names the count and the ids"
like "$OUT" "FAIL +divergence chimera-vectors: +300 documents, 296 ids in content_index.faiss: 4 documents name an id missing from the index" \
    "  the divergence check counts them over every document"
like "$OUT" "drill FAILED: 2 of [0-9]+ checks \\(first: ids of chimera-vectors: in the index\\)" \
    "  the result line counts the failed checks and names the first"
run --json drill "$ID"
is "$(printf '%s\n' "$OUT" | jq_ "[c['counts']['documents_missing_from_index']['count'] for c in j['checks'] if c['name'] == 'divergence'][0]")" \
    4 "  --json: the divergence counts are there for machines"

# --- documents that point at the wrong vectors -------------------------------------
data --swap 3
run drill "$ID"
is "$RC" 3 "documents pointing at other vectors fail the drill (exit 3)" || show "$OUT$ERR"
like "$OUT" "FAIL +vectors of chimera-vectors: +6 of 300 sampled documents hold another vector than content_index.faiss stores under their id: 1000, 1003, 1006, 1009, 1012" \
    "  the vectors check names the count and the ids"
like "$OUT" "FAIL +search content_index.faiss +only 294 of 300 sampled vectors find their own id first" \
    "  the search check counts the documents whose vector finds another id"
like "$OUT" "ok +divergence chimera-vectors:" "  the ids themselves still match one to one"

# --- a damaged RDB ---------------------------------------------------------------------
data
flip() {
	local f=$1 off=$2 b
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" |
	    dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
cp -a "$BK/$ID" "$TMP/pristine"
flip "$BK/$ID/redis.rdb" $(( $(stat -c %s "$BK/$ID/redis.rdb") / 2 ))
run drill "$ID"
is "$RC" 3 "a damaged RDB fails the drill (exit 3)" || show "$OUT$ERR"
like "$OUT" "FAIL +redis.rdb sha256 +SHA-256 is [0-9a-f]{64}, metadata says [0-9a-f]{64}" "  its checksum is named"
like "$OUT" "FAIL +Redis loads redis.rdb +/[^ ]*redis-server \\([0-9.]+\\) refused it: .*(checksum|RDB)" \
    "  and the server refuses to load it, saying why"
# The same damage in a backup whose metadata agrees (a damaged source):
# only the load can see it.
"$PY" - "$BK/$ID" <<'EOF'
import hashlib, json, sys
d = sys.argv[1]
m = json.load(open(d + "/metadata.json"))
m["redis"]["sha256"] = hashlib.sha256(open(d + "/redis.rdb", "rb").read()).hexdigest()
json.dump(m, open(d + "/metadata.json", "w"), indent=2)
EOF
run drill "$ID"
is "$RC" 3 "a damaged RDB with matching checksums fails the drill too (exit 3)"
like "$OUT" "ok +redis.rdb sha256" "  its checksum matches"
like "$OUT" "FAIL +Redis loads redis.rdb" "  the load check finds it"
ok "$(nodrills; echo $?)" "after failed drills no sandbox and no server are left"

# --- an RDB newer than the sandbox's server ---------------------------------------------
rm -rf "${BK:?}/$ID"
cp -a "$TMP/pristine" "$BK/$ID"
FIX=$TESTS_DIR/fixtures/rdb/redis-7.4.rdb
cp "$FIX" "$BK/$ID/redis.rdb"
"$PY" - "$BK/$ID" <<'EOF'
import hashlib, json, sys
d = sys.argv[1]
m = json.load(open(d + "/metadata.json"))
data = open(d + "/redis.rdb", "rb").read()
m["redis"].update(size=len(data), sha256=hashlib.sha256(data).hexdigest(), rdb_version=12,
                  redis_version="7.4.1")
json.dump(m, open(d + "/metadata.json", "w"), indent=2)
EOF
run drill "$ID"
is "$RC" 1 "an RDB newer than the sandbox's server: the drill could not run (exit 1)" || show "$OUT$ERR"
like "$ERR" "drill of $ID \\(RDB format version 12, written by Redis 7.4.1\\).*cannot load the backup: it is older than the server that wrote the backup.*set drill.redis_server" \
    "  it says so and what to do"
ok "$(nodrills; echo $?)" "  no sandbox and no server are left"

# --- nothing live was touched --------------------------------------------------------
# (the data of the last cases was rewritten by Python since the snapshot
# above: compare with the state before the drills of the last backup)
snapshot_live now
run drill "$GOOD"
is "$RC" 0 "the good backup still drills clean"
live_same now
ok $? "  and the live Redis and index files are as they were"


done_testing
