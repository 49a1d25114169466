#!/bin/bash
# vsbackup demo: the sandbox it builds (private redis-server, documents,
# FAISS indexes, configuration), --stop, refusals, and the default sizes.
# Covers src/demo/demo.c and src/cli/cmd-demo.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"

PY=/usr/bin/python3
command -v redis-server >/dev/null || skip_all "redis-server is not installed"
$PY -c 'import faiss, numpy' 2>/dev/null || skip_all "$PY cannot import faiss"

# Demo servers daemonize: stop each one when the test ends, whatever happens.
demo_cleanup() {
	local dir=$1
	[ -S "$dir/redis.sock" ] && redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1
	return 0
}
track_demo() {
	local dir=$1 pid
	harness_at_exit demo_cleanup "$dir"
	pid=$(cat "$dir/redis/redis.pid" 2>/dev/null)
	[ -n "$pid" ] && harness_track_detached "$pid"
	return 0
}

D=$TMP/d
SOCK=$D/redis.sock

# --- creation ----------------------------------------------------------
out=$("$VSBACKUP" demo --no-tui --dir "$D" --vectors 3000 --users 300 --dim 32 2>"$TMP/err")
rc=$?
track_demo "$D"
is "$rc" 0 "demo with 3000 vectors, 300 users, dimension 32 succeeds"
[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/err"
like "$out" "Demo ready in $D" "it says where the demo is"
like "$out" "vsbackup demo --stop --dir $D" "it says how to stop it"
like "$out" "vsbackup -c $D/vsbackup.conf backup" "it says what to run next"
cmd=$(printf '%s\n' "$out" | sed -n 's/^  \(.*\) demo --stop --dir .*/\1/p' | head -1)
{ [ "$cmd" = vsbackup ] && command -v vsbackup >/dev/null; } || [ -x "$cmd" ]
ok $? "the command it prints can be run as printed ($cmd: vsbackup itself when PATH finds it)"

is "$(redis-cli -s "$SOCK" ping 2>&1)" PONG "the private server answers on $SOCK"
is "$(redis-cli -s "$SOCK" config get port | sed -n 2p)" 0 "it listens on no TCP port"
is "$(redis-cli -s "$SOCK" config get dir | sed -n 2p)" "$D/redis" "its data directory is inside the demo"
is "$(redis-cli -s "$SOCK" config get save | sed -n 2p)" "" "it takes no automatic snapshots"

redis-cli -s "$SOCK" --scan --pattern 'chimera-vectors:*' > "$TMP/vkeys"
redis-cli -s "$SOCK" --scan --pattern 'chimera-users:*' > "$TMP/ukeys"
is "$(sort -u "$TMP/vkeys" | wc -l)" 3000 "3000 keys under chimera-vectors:"
is "$(sort -u "$TMP/ukeys" | wc -l)" 300 "300 keys under chimera-users:"
is "$(redis-cli -s "$SOCK" dbsize)" 3300 "and nothing else"

# Every document, fetched with MGET (one JSON text per line).
xargs redis-cli -s "$SOCK" mget < "$TMP/vkeys" > "$TMP/vdocs"
xargs redis-cli -s "$SOCK" mget < "$TMP/ukeys" > "$TMP/udocs"

# Documents against the indexes: JSON, 32 floats, unit length, the keys'
# ids, metadata, and each embedding equal to the vector the index holds
# under the document's faiss_id.
check_docs() {
	local prefix=$1 keys=$2 docs=$3 index=$4 fields=$5
	$PY - "$prefix" "$keys" "$docs" "$index" "$fields" <<'EOF'
import json, sys
import numpy as np, faiss
prefix, keyfile, docfile, indexfile, fields = sys.argv[1:6]
keys = [l.rstrip('\n') for l in open(keyfile)]
docs = [json.loads(l) for l in open(docfile)]
problems = []
if len(docs) != len(keys):
    problems.append('%d keys but %d documents' % (len(keys), len(docs)))
idx = faiss.read_index(indexfile)
ids = faiss.vector_to_array(idx.id_map)
inner = faiss.downcast_index(idx.index)
vecs = faiss.rev_swig_ptr(inner.get_xb(), inner.ntotal * inner.d).reshape(inner.ntotal, inner.d)
pos = {int(i): p for p, i in enumerate(ids)}
seen = set()
for key, doc in zip(keys, docs):
    if key != prefix + doc.get('id', ''):
        problems.append('%s: id %r does not match the key' % (key, doc.get('id')))
    for f in fields.split(','):
        if not isinstance(doc.get(f), str) or not doc[f]:
            problems.append('%s: no %s' % (key, f))
    e = doc.get('embedding')
    if not isinstance(e, list) or len(e) != 32 or not all(isinstance(v, float) for v in e):
        problems.append('%s: embedding is not 32 floats' % key)
        continue
    n = float(np.linalg.norm(np.array(e)))
    if abs(n - 1) > 1e-4:
        problems.append('%s: embedding has length %f, not 1' % (key, n))
    fid = doc.get('faiss_id')
    if not isinstance(fid, int) or fid not in pos:
        problems.append('%s: faiss_id %r is not in the index' % (key, fid))
        continue
    if fid in seen:
        problems.append('%s: faiss_id %d used twice' % (key, fid))
    seen.add(fid)
    if not np.array_equal(vecs[pos[fid]], np.array(e, dtype='float32')):
        problems.append('%s: the index holds another vector for faiss_id %d' % (key, fid))
if len(seen) != idx.ntotal:
    problems.append('%d distinct faiss_ids for %d vectors' % (len(seen), idx.ntotal))
for p in problems[:10]:
    print('# ' + p)
sys.exit(1 if problems else 0)
EOF
}
check_docs chimera-vectors: "$TMP/vkeys" "$TMP/vdocs" "$D/indexes/content_index.faiss" \
    title,category,language,created_at
ok $? "content documents: JSON with 32 unit-length floats, metadata, faiss_id and vector as in the content index"
check_docs chimera-users: "$TMP/ukeys" "$TMP/udocs" "$D/indexes/user_index.faiss" \
    name,segment,country,last_active
ok $? "user documents: JSON with 32 unit-length floats, metadata, faiss_id and vector as in the user index"

info=$($PY -c '
import sys, faiss
for f in sys.argv[1:]:
    i = faiss.read_index(f)
    print(i.ntotal, i.d, int(i.metric_type), type(faiss.downcast_index(i)).__name__)
' "$D/indexes/content_index.faiss" "$D/indexes/user_index.faiss" 2>&1)
is "$(echo "$info" | sed -n 1p)" "3000 32 0 IndexIDMap" "FAISS reads the content index: 3000 x 32, inner product, IDMap"
is "$(echo "$info" | sed -n 2p)" "300 32 0 IndexIDMap" "FAISS reads the user index: 300 x 32, inner product, IDMap"

# --- the configuration -------------------------------------------------
CONF=$D/vsbackup.conf
is "$(stat -c %a "$CONF")" 600 "vsbackup.conf has mode 600"
grep -Eq "^backup_dir = \"$D/backups\";" "$CONF"
ok $? "backup_dir is the demo's backups directory"
grep -Eq "socket = \"$SOCK\";" "$CONF"
ok $? "redis.socket is the private server's"
grep -Eq "data_dir = \"$D/redis\";" "$CONF" && grep -Eq 'dbfilename = "dump.rdb";' "$CONF"
ok $? "redis.data_dir and dbfilename are the private server's"
grep -Eq "content_index = \"$D/indexes/content_index.faiss\";" "$CONF" &&
    grep -Eq "user_index = \"$D/indexes/user_index.faiss\";" "$CONF"
ok $? "faiss paths point at the demo's indexes"
start=$(sed -n 's/^ *start_command = "\(.*\)";$/\1/p' "$CONF")
stop=$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")
like "$start" "redis-server $D/redis/redis.conf\$" "start_command starts the server from its own config"
like "$stop" "redis-cli -s $SOCK shutdown nosave\$" "stop_command shuts it down without saving"
grep -q '^port 0$' "$D/redis/redis.conf" && grep -q '^daemonize yes$' "$D/redis/redis.conf" &&
    grep -q '^enable-debug-command local$' "$D/redis/redis.conf" && grep -q '^save ""$' "$D/redis/redis.conf"
ok $? "redis.conf: port 0, daemonize, debug command, no snapshots"
if "$VSBACKUP" config --help >/dev/null 2>&1; then
	cout=$("$VSBACKUP" -c "$CONF" config 2>&1)
	ok $? "vsbackup config accepts the demo's configuration"
	[ $? = 0 ] || echo "$cout" | sed 's/^/# /'
else
	ok 0 "# SKIP no config command in this build"
fi


# --- refusals ------------------------------------------------------------
"$VSBACKUP" demo --no-tui --dir "$D" --vectors 10 --users 1 --dim 4 >/dev/null 2>"$TMP/err"
is "$?" 2 "a second demo in a running demo's directory is refused (exit 2)"
like "$(cat "$TMP/err")" "already running in $D" "saying a demo runs there"
is "$(redis-cli -s "$SOCK" dbsize)" 3300 "and leaving it alone"

mkdir -p "$TMP/other"
echo precious > "$TMP/other/notes.txt"
"$VSBACKUP" demo --no-tui --dir "$TMP/other" --vectors 10 --users 1 --dim 4 >/dev/null 2>"$TMP/err"
is "$?" 2 "a demo in an unrelated non-empty directory is refused (exit 2)"
like "$(cat "$TMP/err")" "$TMP/other is not empty and is not a vsbackup demo directory" \
    "the message names the directory and says why"
is "$(ls -A "$TMP/other")" notes.txt "nothing was written there"

"$VSBACKUP" demo --stop --dir "$TMP/other" >/dev/null 2>"$TMP/err"
is "$?" 2 "--stop on a directory that is not a demo is refused (exit 2)"
like "$(cat "$TMP/err")" "$TMP/other is not a vsbackup demo directory" "naming it"

touch "$TMP/afile"
"$VSBACKUP" demo --no-tui --dir "$TMP/afile" >/dev/null 2>"$TMP/err"
is "$?" 2 "a demo on a plain file is refused (exit 2)"

"$VSBACKUP" demo --stop >/dev/null 2>"$TMP/err"
is "$?" 2 "--stop without --dir is a usage error"
"$VSBACKUP" demo --vectors many >/dev/null 2>"$TMP/err"
is "$?" 2 "--vectors wants a number"
like "$(cat "$TMP/err")" "--vectors wants a whole number" "and says so"
"$VSBACKUP" demo --dim 0 >/dev/null 2>&1
is "$?" 2 "--dim 0 is refused"
"$VSBACKUP" demo --stop --dir "$D" --vectors 5 >/dev/null 2>&1
is "$?" 2 "--stop with sizes is a usage error"
help=$("$VSBACKUP" demo --help)
for o in --dir --vectors --users --dim --seed --no-tui --stop; do
	like "$help" "^  $o " "the help explains $o"
done

mkdir -p "$TMP/nobin"
PATH=$TMP/nobin "$VSBACKUP" demo --no-tui --dir "$TMP/nr" >/dev/null 2>"$TMP/err"
isnt=$?
ok $((isnt == 0)) "without redis-server in PATH the demo fails (exit $isnt)"
like "$(cat "$TMP/err")" "apt-get install redis-server" "and names the package to install"
[ ! -e "$TMP/nr" ]
ok $? "leaving no directory behind"

# The configuration's own commands stop and start the server, which then
# loads data_dir/dbfilename: what a restore relies on.
redis-cli -s "$SOCK" save >/dev/null
sh -c "$stop" >/dev/null 2>&1
redis-cli -s "$SOCK" ping >/dev/null 2>&1
ok $((! $?)) "stop_command stops the server"
sh -c "$start" >/dev/null 2>&1
for _ in $(seq 100); do redis-cli -s "$SOCK" ping >/dev/null 2>&1 && break; sleep 0.05; done
is "$(redis-cli -s "$SOCK" ping 2>&1)" PONG "start_command starts it again"
track_demo "$D"
is "$(redis-cli -s "$SOCK" dbsize)" 3300 "from the RDB in its data directory"

# --- stop ----------------------------------------------------------------
pid=$(cat "$D/redis/redis.pid")
out=$("$VSBACKUP" demo --stop --dir "$D" 2>&1)
is "$?" 0 "demo --stop succeeds"
like "$out" "Stopped the demo Redis server in $D" "and says so"
redis-cli -s "$SOCK" ping >/dev/null 2>&1
ok $((! $?)) "the socket no longer answers"
kill -0 "$pid" 2>/dev/null
ok $((! $?)) "the server process is gone"
[ -f "$D/indexes/content_index.faiss" ] && [ -f "$CONF" ]
ok $? "the demo's files stay"

out=$("$VSBACKUP" demo --stop --dir "$D" 2>&1)
is "$?" 0 "--stop on a stopped demo succeeds"
like "$out" "No demo Redis server is running in $D; nothing to stop" "and says nothing was running"

# --- a stopped demo is rebuilt; its backups stay ------------------------
mkdir -p "$D/backups/20250101_000000"
echo keep > "$D/backups/20250101_000000/marker"
json=$("$VSBACKUP" --json demo --no-tui --dir "$D" --vectors 100 --users 10 --dim 8 --seed 5 2>"$TMP/err")
is "$?" 0 "a stopped demo can be rebuilt"
track_demo "$D"
is "$(redis-cli -s "$SOCK" dbsize)" 110 "with only the new documents"
is "$(cat "$D/backups/20250101_000000/marker" 2>&1)" keep "its backups are kept"
is "$(echo "$json" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["config"], d["vectors"], d["users"], d["dim"])')" \
    "$CONF 100 10 8" "--json prints the paths and sizes"

# The same seed gives the same documents.
k=$(redis-cli -s "$SOCK" --scan --pattern 'chimera-users:*' | sort | head -1)
doc1=$(redis-cli -s "$SOCK" get "$k")
"$VSBACKUP" demo --stop --dir "$D" >/dev/null
"$VSBACKUP" demo -q --no-tui --dir "$D" --vectors 100 --users 10 --dim 8 --seed 5 >/dev/null 2>&1
track_demo "$D"
is "$(redis-cli -s "$SOCK" get "$k")" "$doc1" "the same seed gives the same documents"
"$VSBACKUP" demo --stop --dir "$D" >/dev/null

# --- on a terminal -------------------------------------------------------
T=$TMP/t
tmux_start 100 30 "$VSBACKUP" demo --dir "$T" --vectors 500 --users 50 --dim 16
if "$VSBACKUP" --help | grep -q '^  tui '; then
	# The TUI takes over the terminal once the demo is ready, on the
	# demo's own configuration; q leaves it.
	tmux_wait_for 'q quit' 30
	ok $? "on a terminal the demo opens the TUI"
	like "$(tmux_capture)" "$T/vsbackup.conf" "the TUI shows the demo's configuration"
	tmux_send q
	st=$(tmux_wait_exit 15)
	is "$st" 0 "q leaves the TUI and the demo ends with status 0"
else
	st=$(tmux_wait_exit 30)
	is "$st" 0 "on a terminal without a TUI the demo ends after its summary"
	screen=$(tmux_capture -S -100)
	like "$screen" "Demo ready in $T" "the summary is shown"
	like "$screen" "vsbackup demo: writing vsbackup.conf" "progress is shown on the terminal"
fi
track_demo "$T"
"$VSBACKUP" demo --stop --dir "$T" >/dev/null 2>&1

# --- default sizes -------------------------------------------------------
B=$TMP/big
t0=$(date +%s%N)
"$VSBACKUP" demo --no-tui --dir "$B" >/dev/null 2>"$TMP/err"
rc=$?
t1=$(date +%s%N)
track_demo "$B"
ms=$(( (t1 - t0) / 1000000 ))
is "$rc" 0 "the default demo (20000 vectors, 2000 users, dimension 384) succeeds"
[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/err"
diag "the default demo took $ms ms"
is "$(redis-cli -s "$B/redis.sock" dbsize)" 22000 "22000 documents"
info=$($PY -c '
import sys, faiss
for f in sys.argv[1:]:
    i = faiss.read_index(f)
    print(i.ntotal, i.d)
' "$B/indexes/content_index.faiss" "$B/indexes/user_index.faiss" 2>&1)
is "$(echo $info)" "20000 384 2000 384" "indexes of 20000 and 2000 vectors of dimension 384"
"$VSBACKUP" demo --stop --dir "$B" >/dev/null
ok $? "the default demo stops"

done_testing
