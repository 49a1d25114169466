#!/bin/bash
# Restore against Redis deployed as Debian runs it: the server runs as its
# own system user, its data directory is owned by that user (0750), it is
# started with runuser, and vsbackup runs as root. In RDB and AOF mode the
# restore ends with the backup's data served, and every file or directory it
# created has the owner, group and mode of what it replaced (or of its
# directory): the server can read it, and nothing is left to root 0600.
# An index file missing at restore time comes back with the mode and owner
# it had when the backup was taken. When Redis cannot start, the error shows
# the end of its log.
# Covers src/jobs/place.c, restore-redis.c (place_aof7), job-restore.c,
# src/common/fsutil.c (fs_write_atomic with an owner).
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/deploy-lib.sh"
deploy_require

U=$DEPLOY_USER
tick=0
vs() {
	tick=$((tick + 60))
	VSBACKUP_NOW=$(date -u -d "@$((1720000000 + tick))" +%Y-%m-%dT%H:%M:%SZ)
	OUT=$(VSBACKUP_NOW=$VSBACKUP_NOW "$VSBACKUP" -c "$DEPLOY_CONF" "$@" 2>"$TMP/err")
	RC=$?
	ERR=$(cat "$TMP/err")
}

for mode in rdb aof; do
	diag "--- $mode ---"
	deploy_redis "$TMP/$mode" "$mode"
	deploy_user vsbackup-app
	deploy_fill 300 30
	deploy_indexes "$TMP/$mode/indexes" vsbackup-app:vsbackup-app 0640 0755
	deploy_config "$TMP/$mode/vsbackup.conf" "backup_dir=\"$TMP/$mode/backups\""
	if [ "$mode" = aof ]; then
		dpcli bgrewriteaof >/dev/null
		for _ in $(seq 100); do
			[ "$(dpcli info persistence | tr -d '\r' | sed -n 's/^aof_rewrite_in_progress://p')" = 0 ] && break
			sleep 0.05
		done
	fi
	D0=$(dpdigest)
	ci0=$(sha256sum < "$DEPLOY_CI")
	vs backup
	is "$RC" 0 "$mode: backup succeeds" || { show "$ERR"; continue; }
	ID=$(last_line "$OUT")
	# AOF file names carry a sequence number that a rewrite raises.
	datatree() { dptree "$DEPLOY_DATA" | grep -v 'temp-\|vsbackup-before' | sed 's/\.aof\.[0-9]*\./.aof.N./'; }
	tree0=$(datatree)
	ix0=$(dptree "$DEPLOY_DIR/indexes")
	rdbst0=$(dpstat "$DEPLOY_DATA/dump.rdb")

	dpcli set chimera-vectors:after '{"late":1}' >/dev/null
	dpcli del chimera-users:1 >/dev/null
	"$PY" -c 'import sys, numpy as np, faiss
ix = faiss.read_index(sys.argv[1]); ix.add_with_ids(np.ones((1, 8), dtype="float32"), np.array([9999], dtype="int64")); faiss.write_index(ix, sys.argv[1])' "$DEPLOY_CI"
	# With AOF: a rewrite raises the files' sequence number; the restore
	# starts once it is done (at most 30 s).
	if [ "$mode" = aof ]; then
		dpcli bgrewriteaof >/dev/null
		for _ in $(seq 300); do
			dpcli info persistence | tr -d '\r' | grep -q '^aof_rewrite_in_progress:0$' &&
			    ! dpcli info persistence | tr -d '\r' | grep -q '^aof_rewrite_scheduled:1$' && break
			sleep 0.1
		done
	fi

	vs restore "$ID" --yes
	is "$RC" 0 "$mode: restore succeeds" || show "$ERR"
	deploy_track
	ok "$(deploy_up; echo $?)" "$mode: Redis serves after the restore"
	is "$(dpdigest)" "$D0" "$mode: the digest is the backup's"
	is "$(sha256sum < "$DEPLOY_CI")" "$ci0" "$mode: the content index is the backup's"
	tree1=$(datatree)
	is "$tree1" "$tree0" "$mode: every file in the data directory has its owner, group and mode" ||
	    show "$(diff <(echo "$tree0") <(echo "$tree1"))"
	is "$(dptree "$DEPLOY_DIR/indexes")" "$ix0" "$mode: the index files keep owner, group and mode"
	is "$(find "$DEPLOY_DATA" "$DEPLOY_DIR/indexes" -user root | wc -l)" 0 \
	    "$mode: nothing the restore created belongs to root"

	# The data directory itself is gone (a wiped disk): it comes back as the
	# server's, with its mode, and the server starts on it.
	if [ "$mode" = rdb ]; then
		deploy_stop
		rm -rf "$DEPLOY_DATA"
		rm -f "$DEPLOY_CI"
		conf=$DEPLOY_CONF
		deploy_config "$TMP/$mode/vsbackup2.conf" "backup_dir=\"$TMP/$mode/backups\"" \
		    "redis.data_dir=\"$DEPLOY_DATA\"" 'redis.dbfilename="dump.rdb"'
		vs restore "$ID" --yes --no-safety-backup
		DEPLOY_CONF=$conf
		is "$RC" 0 "$mode: a restore into a removed data directory succeeds" || show "$ERR"
		deploy_track
		is "$(dpstat "$DEPLOY_DATA")" "$U:$U 750" "$mode: the data directory is recreated as $U:$U 750"
		is "$(dpstat "$DEPLOY_DATA/dump.rdb")" "$rdbst0" "$mode: dump.rdb is $rdbst0, as it was"
		is "$(dpstat "$DEPLOY_CI")" "vsbackup-app:vsbackup-app 640" \
		    "$mode: the missing content index comes back with the owner and mode it had"
		is "$(dpdigest)" "$D0" "$mode: the digest is the backup's"
	fi
	deploy_stop
done

# --- Redis does not start on the restored data: the error shows its log ----
deploy_start
deploy_track
D1=$(dpdigest)
sed -i 's/start_timeout = 20;/start_timeout = 3;/' "$DEPLOY_CONF"
echo "loadmodule $TMP/no-such-module.so" >> "$DEPLOY_DIR/etc/redis.conf"
vs restore "$ID" --yes
is "$RC" 1 "a restore whose Redis does not start exits 1"
like "$ERR" "the end of the Redis log $DEPLOY_LOG: .*no-such-module.so" \
    "the error shows the end of the Redis log" || show "$ERR"
sed -i '/^loadmodule/d' "$DEPLOY_DIR/etc/redis.conf"
vs restore --rollback --yes
is "$RC" 0 "once the cause is fixed, restore --rollback finishes" || show "$ERR"
deploy_track
ok "$(deploy_up; echo $?)" "Redis serves again"
is "$(dpdigest)" "$D1" "with the data from before the restore"

done_testing
