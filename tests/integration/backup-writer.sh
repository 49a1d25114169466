#!/bin/bash
# Backups while a service keeps writing. The writer (tests/lib/engine-writer.py)
# follows the coordination protocol of DESIGN.md: a shared flock on
# faiss.lock_file while it stores a document in Redis and replaces the index
# file (by rename) with one more vector. In every backup taken meanwhile each
# prefix's key count equals its index's ntotal, and verify --deep passes;
# the writer is held up only for the moment of the capture. A writer that
# ignores the lock, with a slow index write, is caught by the same check.
# Covers src/jobs/capture.c (lock_service, the capture order), backup.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/w"
LOCKF=$D/service.lock
sed -i "s|^faiss = {|faiss = {\n  lock_file = \"$LOCKF\";|" "$CONF"
vsb config >/dev/null 2>&1
is "$?" 0 "the configuration with faiss.lock_file is valid"

WPID=
start_writer() {
	local before
	rm -f "$TMP/stop" "$TMP/stats"
	before=$(dcli dbsize)
	"$PY" "$TESTS_DIR/lib/engine-writer.py" "$SOCK" "$CI" "$UI" "$LOCKF" "$TMP/stop" \
	    "$TMP/stats" "$@" 2>"$TMP/writer.err" &
	WPID=$!
	harness_track "$WPID"
	for _ in $(seq 200); do
		[ "$(dcli dbsize)" -gt $((before + 10)) ] && return 0
		kill -0 "$WPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# the writer did not start:"
	sed 's/^/#   /' "$TMP/writer.err"
	return 1
}

stop_writer() {
	touch "$TMP/stop"
	wait "$WPID"
	WRC=$?
	STATS=$(cat "$TMP/stats" 2>/dev/null)
	[ "$WRC" = 0 ] || sed 's/^/#   writer: /' "$TMP/writer.err"
}

stat_of() {
	printf '%s' "$STATS" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# "ok" when backup $1 is consistent, else what differs. FAISS reads the
# stored files; their ntotal must be the recorded one and equal the
# recorded key count of the prefix.
consistency() {
	"$PY" - "$BK/$1" <<'EOF'
import json, sys, faiss
d = sys.argv[1]
m = json.load(open(d + '/metadata.json'))
bad = []
for side, prefix in (('content', 'chimera-vectors:'), ('user', 'chimera-users:')):
    ix = m['indices'][side]
    n = faiss.read_index(d + '/' + ix['file']).ntotal
    keys = m['redis']['key_counts'][prefix]
    if n != ix['ntotal']:
        bad.append('%s: FAISS reads ntotal %d, metadata says %d' % (side, n, ix['ntotal']))
    if keys != n:
        bad.append('%s: %d keys but ntotal %d' % (prefix, keys, n))
print('; '.join(bad) or 'ok')
EOF
}

# --- the writer follows the protocol --------------------------------------------
start_writer || bail_out "the writer could not start"
prev=0
for i in 1 2 3 4; do
	tick
	run backup
	is "$RC" 0 "backup $i while the writer runs succeeds"
	[ "$RC" = 0 ] || show "$ERR"
	id=$(last_line "$OUT")
	is "$(consistency "$id")" ok "backup $i ($id): key count of each prefix equals its index's ntotal"
	n=$(meta "$id" 'm["indices"]["content"]["ntotal"]')
	ok "$([ "$n" -gt "$prev" ]; echo $?)" "backup $i: the writer went on between backups ($prev -> $n vectors)"
	prev=$n
	is "$(meta "$id" 'm["consistency"]')" coordinated "backup $i: metadata says the capture was coordinated"
	run verify "$id" --deep
	is "$RC" 0 "backup $i: verify --deep passes"
	[ "$RC" = 0 ] || show "$OUT" "$ERR"
done
stop_writer
is "$WRC" 0 "the writer ran without an error"
docs=$(stat_of documents)
maxms=$(stat_of max_ms)
diag "writer: $docs documents in $(stat_of seconds) s, mean $(stat_of mean_ms) ms, longest $maxms ms (at $(stat_of max_at_s) s)"
ok "$([ "$(dcli get "chimera-vectors:w$((prev + 1))")" != "" ]; echo $?)" \
    "the writer was still writing after the last backup"
ok "$("$PY" -c "import sys; sys.exit(not $maxms < 500)"; echo $?)" \
    "the writer was never held up for long: longest document took $maxms ms (bound 500)"
is "$(ntotal "$CI")" "$(dcli --scan --pattern 'chimera-vectors:*' | wc -l)" \
    "live: the content index and Redis agree when the writer stops"

# --- a slow index write: vsbackup waits for the writer to finish it ----------------
start_writer --slow 40 || bail_out "the writer could not start"
for i in 1 2; do
	tick
	run backup
	is "$RC" 0 "slow writer: backup $i succeeds"
	[ "$RC" = 0 ] || show "$ERR"
	id=$(last_line "$OUT")
	is "$(consistency "$id")" ok "slow writer: backup $i ($id) is consistent"
done
stop_writer
diag "slow writer: $(stat_of documents) documents, longest $(stat_of max_ms) ms"
ok "$("$PY" -c "import sys; sys.exit(not $(stat_of max_ms) < 600)"; echo $?)" \
    "slow writer: held up at most $(stat_of max_ms) ms (40 ms of its own per document)"

# --- the same writer ignoring the lock: the check sees the torn moment -----------------
start_writer --slow 40 --no-lock || bail_out "the writer could not start"
found=
for i in 1 2 3 4; do
	tick
	run backup
	[ "$RC" = 0 ] || { show "$ERR"; continue; }
	id=$(last_line "$OUT")
	c=$(consistency "$id")
	if [ "$c" != ok ]; then
		found=$c
		break
	fi
done
stop_writer
ok "$([ -n "$found" ]; echo $?)" "a writer ignoring the lock is caught by the check (${found:-no mismatch in 4 backups})"

# --- the service keeps the lock longer than the pause bound ----------------------------------
sed -i 's|^redis = {|redis = {\n  pause_ms = 300;|' "$CONF"
flock -s "$LOCKF" sh -c "touch '$TMP/held'; while [ ! -e '$TMP/free' ]; do sleep 0.05; done" &
fpid=$!
harness_track "$fpid"
for _ in $(seq 200); do [ -e "$TMP/held" ] && break; sleep 0.02; done
snapshot_live held
tick
t0=$(date +%s%3N)
run backup
t1=$(date +%s%3N)
is "$RC" 1 "a backup while the service holds faiss.lock_file past redis.pause_ms fails (exit 1)"
like "$ERR" "the service held faiss.lock_file $LOCKF for more than 300 ms \\(redis.pause_ms\\)" \
    "the message names the lock file and the bound"
ok "$([ $((t1 - t0)) -lt 5000 ]; echo $?)" "it gave up after the bound ($((t1 - t0)) ms in all)"
is "$(ls "$BK" | grep -c partial)" 0 "it left no partial backup"
is "$(dcli set chimera-users:probe x)" OK "Redis takes writes at once (no pause left behind)"
dcli del chimera-users:probe >/dev/null
touch "$TMP/free"
wait "$fpid"
tick
run backup
is "$RC" 0 "once the service lets go, a backup succeeds"
is "$(consistency "$(last_line "$OUT")")" ok "and is consistent"

done_testing
