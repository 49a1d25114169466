# The setup of the drill tests (drill-proof.sh, drill-layouts.sh): a live
# redis-server of the test's own, the indexes' paths, a configuration, and
#   data [OPTIONS]  write the store with drill-data.py (Python: redis-cli
#                   --pipe and faiss, no vsbackup code), back it up; ID is
#                   the new backup
#   detail NAME [SUBJECT]  the detail of a check in OUT (drill --json)
#   nodrills        0 when no sandbox and no sandbox server are left
# Source it after harness.sh and engine-lib.sh.
eng_require

start_redis "$TMP/live" || bail_out "cannot start redis-server"
mkdir -p "$TMP/faiss"
CONF=$TMP/vs.conf
write_config "$CONF"
CI=$TMP/faiss/content_index.faiss
UI=$TMP/faiss/user_index.faiss
BK=$TMP/backups
SOCK=$REDIS_SOCK

# data [OPTIONS]: write the store again with drill-data.py, then back it up;
# ID is the new backup.
data() {
	"$PY" "$TESTS_DIR/lib/drill-data.py" "$SOCK" "$CI" "$UI" "$@" ||
	    bail_out "drill-data.py $* failed"
	tick
	run backup
	[ "$RC" = 0 ] || { show "$ERR"; bail_out "backup failed"; }
	ID=$(last_line "$OUT")
}
show() { printf '%s\n' "$1" | sed 's/^/#   /'; }
jq_() { "$PY" -c "import json, sys; j = json.loads(sys.stdin.read().strip().splitlines()[-1]); print($1)"; }
# the detail of check NAME (first with SUBJECT when given) in the --json result
detail() {
	printf '%s\n' "$OUT" | jq_ "[c['detail'] for c in j['checks'] if c['name'] == '$1' and ('$2' == '' or c['subject'] == '$2')][0]"
}
nodrills() { [ -z "$(ls -A "$BK/.drill" 2>/dev/null)" ] && ! pgrep -f "$BK/.drill" >/dev/null; }

