#!/bin/bash
# The round trip: backup, change everything, restore; the live Redis
# dataset (DEBUG DIGEST) and both index files are exactly what they were,
# FAISS itself reads the backup's indexes with the recorded ntotal. Once
# with RDB persistence and once with appendonly yes (where Redis loads the
# AOF, not the RDB, when it starts).
# Covers src/jobs/backup.c, capture.c, job-restore.c, restore-redis.c,
# place.c, src/cli/cmd-backup.c, cmd-restore.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

# Replace the live data with something else: other documents, other indexes.
trash_live() {
	dcli flushall >/dev/null
	dcli set chimera-vectors:intruder '{"id":"intruder"}' >/dev/null
	dcli set unrelated:key 1 >/dev/null
	"$PY" - "$CI" "$UI" <<'EOF'
import sys, numpy as np, faiss
for path, n in zip(sys.argv[1:], (7, 3)):
    ix = faiss.IndexIDMap(faiss.IndexFlatIP(16))
    ix.add_with_ids(np.random.rand(n, 16).astype('float32'), np.arange(n).astype('int64'))
    faiss.write_index(ix, path)
EOF
}

roundtrip() {
	local label=$1 d0 id safety
	d0=$(rdig)
	cp "$CI" "$TMP/ci.orig"
	cp "$UI" "$TMP/ui.orig"
	tick
	run backup
	is "$RC" 0 "$label: backup succeeds"
	[ "$RC" = 0 ] || show "$ERR"
	id=$(last_line "$OUT")
	like "$id" '^[0-9]{8}_[0-9]{6}$' "$label: the id is the last line of stdout"
	ok "$([ -f "$BK/$id/metadata.json" ]; echo $?)" "$label: $BK/$id/metadata.json exists"

	# FAISS itself reads the stored files, and metadata agrees with it and
	# with the live key counts.
	is "$(ntotal "$BK/$id/content_index.faiss")" 2000 \
	    "$label: FAISS reads the backup's content index: ntotal 2000"
	is "$(meta "$id" 'm["indices"]["content"]["ntotal"]')" 2000 "$label: metadata says 2000 too"
	is "$(ntotal "$BK/$id/user_index.faiss")" 200 \
	    "$label: FAISS reads the backup's user index: ntotal 200"
	is "$(meta "$id" 'm["indices"]["user"]["ntotal"]')" 200 "$label: metadata says 200 too"
	is "$(meta "$id" 'm["redis"]["key_counts"]["chimera-vectors:"], m["redis"]["key_counts"]["chimera-users:"], m["redis"]["dbsize"]')" \
	    "(2000, 200, 2200)" "$label: key counts and dbsize recorded from the snapshot"
	is "$(meta "$id" 'm["indices"]["content"]["sha256"]')" "$(sha "$TMP/ci.orig")" \
	    "$label: recorded content sha256 is the live file's"
	cmp -s "$BK/$id/content_index.faiss" "$TMP/ci.orig" &&
	    cmp -s "$BK/$id/user_index.faiss" "$TMP/ui.orig"
	ok $? "$label: the stored index files are the live ones, byte for byte"

	trash_live
	chmod 640 "$CI"
	ok "$([ "$(rdig)" != "$d0" ]; echo $?)" "$label: the live data changed"

	tick
	run restore "$id" --yes
	is "$RC" 0 "$label: restore $id --yes succeeds"
	[ "$RC" = 0 ] || show "$ERR"
	eng_track_redis
	is "$(rdig)" "$d0" "$label: DEBUG DIGEST after the restore equals the one before the backup"
	cmp -s "$CI" "$TMP/ci.orig"
	ok $? "$label: restored content index is byte-identical to the original"
	cmp -s "$UI" "$TMP/ui.orig"
	ok $? "$label: restored user index is byte-identical to the original"
	is "$(ntotal "$CI")" 2000 "$label: FAISS reads the restored content index (ntotal 2000)"
	is "$(stat -c %a "$CI")" 640 "$label: the restored content index keeps the live file's mode"
	is "$(dcli exists unrelated:key)" 0 "$label: a key written after the backup is gone"

	# The safety backup holds the state the restore replaced.
	safety=$(printf '%s\n' "$OUT" | sed -n 's/.*the state before it is in backup \([0-9_]*\).*/\1/p')
	like "$safety" '^[0-9]{8}_[0-9]{6}$' "$label: the output names the safety backup"
	is "$(meta "$safety" 'm["type"], m["redis"]["dbsize"], m["indices"]["content"]["ntotal"]')" \
	    "('pre-restore', 2, 7)" "$label: the safety backup holds the replaced state"
	ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "$label: no restore journal is left"
	RESTORED_ID=$id
}

# --- RDB persistence ------------------------------------------------------------
eng_demo "$TMP/rdb"
roundtrip "rdb"

# --- appendonly yes --------------------------------------------------------------
eng_demo "$TMP/aof"
# On for the running server and for every later start from its redis.conf.
printf '\nappendonly yes\n' >> "$D/redis/redis.conf"
is "$(dcli config set appendonly yes)" OK "aof: AOF switched on"
for _ in $(seq 100); do
	info=$(dcli info persistence | tr -d '\r')
	case $info in
	*aof_rewrite_in_progress:0*aof_rewrite_scheduled:0*) break ;;
	esac
	sleep 0.05
done
ok "$([ -d "$D/redis/appendonlydir" ]; echo $?)" "aof: the server writes $D/redis/appendonlydir"
roundtrip "aof"
is "$(dcli config get appendonly | sed -n 2p)" yes "aof: AOF is on again after the restore"

# Restart the server the way an operator would: it loads its AOF. That AOF
# must hold the restored data, not the writes made after the backup.
d_restored=$(rdig)
eng_redis_stop
eng_redis_start
is "$(rdig)" "$d_restored" "aof: after a restart from its own AOF the server still holds the restored data"
dcli set chimera-users:after-restore 1 >/dev/null
d_after=$(rdig)
eng_redis_stop
eng_redis_start
is "$(rdig)" "$d_after" "aof: a write after the restore is in the AOF and survives a restart"
ok "$(ls "$D/redis" | grep -q 'appendonlydir.vsbackup-before-'; echo $((! $?)))" \
    "aof: the old AOF directory, moved aside during the restore, is gone: the safety backup holds its data"

done_testing
