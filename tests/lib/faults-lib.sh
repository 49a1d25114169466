# The "nothing lost" fault matrix of a restore, shared by the tests that
# run it against different deployments. Source it after harness.sh and
# engine-lib.sh (for sha, show, run-style helpers) and set:
#   FL_CONF        the vsbackup configuration (its start_command and
#                  stop_command are replaced by wrappers)
#   FL_START, FL_STOP  the real start and stop commands
#   FL_DATA        Redis's data directory
#   FL_SOCK        Redis's socket (the stop wrapper waits until it is gone)
#   FL_BK          backup_dir
#   FL_CI, FL_UI   the index files
# and define:
#   fl_cli ARGS    redis-cli on the server with every permission
#   fl_track       list the server's pid for the runner (after a restart)
# It provides:
#   fl_wrap        install the wrappers: $TMP/fault names the fault to
#                  inject (none, stop-fail, stop-kill, stop-kill-after,
#                  diskfull, readonly, start-fail-once, start-fail,
#                  start-kill-before, start-kill-after); $TMP/vspid is the
#                  vsbackup to kill. diskfull and readonly need FL_DATA to
#                  be a mount point of its own (readonly: the right to
#                  write is taken away after Redis stopped, even from root)
#   fl_state       DEBUG DIGEST and the checksums of both index files
#   fl_tree        mode, owner and name of every entry in the data directory
#                  (AOF sequence numbers, copies moved aside, the filler of
#                  a full disk and Redis's temp files left out)
#   fl_change N    change the live data (a key set, one deleted, a vector
#                  added to the content index), then SAVE
#   fl_fault FAULT ID B  restore backup ID (whose state is B) with FAULT
#                  injected, remove the fault, run what the error names
#                  while a journal is left, then check: Redis serves, the
#                  data is B or exactly that of before, no journal, owners
#                  and modes of the data directory unchanged; FL_ERR holds
#                  what the faulted restore printed on stderr, FL_RC its
#                  exit status

fl_wrap() {
	cat > "$TMP/stop.sh" <<EOF
f=\$(cat "$TMP/fault" 2>/dev/null)
case \$f in
stop-fail) echo "cannot stop (test)"; exit 1 ;;
stop-kill) kill -9 "\$(cat "$TMP/vspid")"; sleep 1; exit 0 ;;
esac
$FL_STOP
for _ in \$(seq 100); do [ -S "$FL_SOCK" ] || break; sleep 0.05; done
case \$f in
stop-kill-after) kill -9 "\$(cat "$TMP/vspid")"; sleep 1 ;;
diskfull) fallocate -l \$(( \$(df -B1 --output=avail "$FL_DATA" | tail -1) - 8192 )) "$FL_DATA/filler" ;;
readonly) mount -o remount,ro "$FL_DATA" ;;
esac
exit 0
EOF
	cat > "$TMP/start.sh" <<EOF
f=\$(cat "$TMP/fault" 2>/dev/null)
case \$f in
start-fail) echo "cannot start (test)"; exit 1 ;;
start-fail-once) echo none > "$TMP/fault"; echo "cannot start (test)"; exit 1 ;;
start-kill-before) kill -9 "\$(cat "$TMP/vspid")"; sleep 1; exit 1 ;;
esac
$FL_START
case \$f in
start-kill-after) kill -9 "\$(cat "$TMP/vspid")"; sleep 1 ;;
esac
exit 0
EOF
	sed -i "s|^\\([[:space:]]*start_command = \\).*|\\1\"sh $TMP/start.sh\";|; s|^\\([[:space:]]*stop_command = \\).*|\\1\"sh $TMP/stop.sh\";|" "$FL_CONF"
	echo none > "$TMP/fault"
	grep -q "sh $TMP/start.sh" "$FL_CONF" && grep -q "sh $TMP/stop.sh" "$FL_CONF" ||
	    bail_out "fl_wrap: $FL_CONF has no start_command and stop_command to wrap"
}

fl_up() { [ "$(fl_cli ping 2>/dev/null)" = PONG ]; }
fl_state() { echo "$(fl_cli debug digest) $(sha "$FL_CI") $(sha "$FL_UI")"; }
fl_tree() {
	(cd "$FL_DATA" && find . -path ./redis.sock -prune -o -printf '%m %u:%g %p\n' | LC_ALL=C sort -k3) |
	    grep -v 'vsbackup-before\|filler\|temp-' | sed 's/\.aof\.[0-9]*\./.aof.N./'
}

fl_change() {
	fl_cli set "chimera-vectors:changed-$1" '{"c":1}' >/dev/null
	fl_cli del "chimera-users:$1" >/dev/null
	/usr/bin/python3 - "$FL_CI" <<'EOF'
import os, sys, numpy as np, faiss
st = os.stat(sys.argv[1])
ix = faiss.read_index(sys.argv[1])
ix.add_with_ids(np.ones((1, ix.d), dtype='float32'), np.array([900000 + ix.ntotal], dtype='int64'))
faiss.write_index(ix, sys.argv[1])
os.chown(sys.argv[1], st.st_uid, st.st_gid)
os.chmod(sys.argv[1], st.st_mode & 0o7777)
EOF
	fl_cli save >/dev/null
}

FL_TICK=${FL_TICK:-1720000000}
fl_vs() {
	FL_TICK=$((FL_TICK + 60))
	OUT=$(VSBACKUP_NOW=$(date -u -d "@$FL_TICK" +%Y-%m-%dT%H:%M:%SZ) \
	    "$VSBACKUP" -c "$FL_CONF" "$@" 2>"$TMP/fl.err")
	RC=$?
	ERR=$(cat "$TMP/fl.err")
}

fl_fault() {
	local fault=$1 id=$2 b=$3 label=${FL_LABEL:-} p tree0 rc steps s
	diag "--- ${label}fault: $fault ---"
	p=$(fl_state)
	tree0=$(fl_tree)
	echo "$fault" > "$TMP/fault"
	FL_TICK=$((FL_TICK + 60))
	VSBACKUP_NOW=$(date -u -d "@$FL_TICK" +%Y-%m-%dT%H:%M:%SZ) \
	    "$VSBACKUP" -c "$FL_CONF" restore "$id" --yes >"$TMP/fl.out" 2>"$TMP/fl.err" &
	echo $! > "$TMP/vspid"
	wait "$(cat "$TMP/vspid")" 2>/dev/null
	rc=$?
	FL_ERR=$(cat "$TMP/fl.err")
	ERR=$FL_ERR
	diag "  exit $rc: $(grep -v '^vsbackup: \(start command\|Redis or its\|stop command\|space \|permission to\|backup [0-9_]* \(complete\|(pre-\)\)' "$TMP/fl.err" | tr '\n' ' ' | cut -c1-600)"
	# Remove the fault, then do what the error says while a journal is left.
	echo none > "$TMP/fault"
	[ "$fault" = readonly ] && mount -o remount,rw "$FL_DATA"
	rm -f "$FL_DATA/filler"
	steps=0
	while [ -e "$FL_BK/.restore-journal.json" ] && [ "$steps" -lt 3 ]; do
		steps=$((steps + 1))
		if /usr/bin/python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["rollback"] else 1)' \
		    "$FL_BK/.restore-journal.json"; then
			fl_vs restore --rollback --yes
		else
			fl_vs restore "$id" --yes
		fi
		diag "  journal left: ran the command it names, exit $RC"
	done
	for _ in $(seq 100); do fl_up && break; sleep 0.05; done
	fl_track
	ok "$(fl_up; echo $?)" "$label$fault: Redis serves at the end" || show "$FL_ERR" "$ERR"
	s=$(fl_state)
	ok "$([ "$s" = "$b" ] || [ "$s" = "$p" ]; echo $?)" \
	    "$label$fault: the data is the backup's or exactly that of before the restore" ||
	    { diag "now $s"; diag "backup $b"; diag "before $p"; }
	ok "$([ ! -e "$FL_BK/.restore-journal.json" ]; echo $?)" "$label$fault: no journal is left"
	is "$(fl_tree)" "$tree0" "$label$fault: owner and mode of every file in the data directory unchanged"
	ok "$([ "$rc" = 0 ] || [ "$rc" = 137 ] || printf '%s' "$FL_ERR" | grep -q "restore of"; echo $?)" \
	    "$label$fault: a failure says what happened (exit $rc)"
	FL_RC=$rc
}
