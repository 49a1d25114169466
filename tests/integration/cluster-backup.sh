#!/bin/bash
# Backups of a Redis Cluster: three masters (a replica each) on loopback
# ports. A backup holds one RDB per master (redis-<node id>.rdb) with its
# node id, address, slots and key counts, the totals being their sums and
# equal to what the cluster holds; in the repository (format 2) too.
# verify --deep reads each shard and finds a key in a slot its master did
# not serve. A writer following the lock protocol keeps each prefix's key
# count, summed over the shards, equal to its index's ntotal. A cluster
# that does not serve every slot, a seed that is not in cluster mode and a
# seed that does not answer are refused or passed over with a message that
# says so; a failover during the backup makes it fail cleanly.
# Covers src/redis/redis-cluster.c, src/jobs/capture.c, src/jobs/backup.c,
# src/jobs/job-verify.c, src/manifest/manifest.c, src/config/conf.c.
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/cluster-lib.sh"
. "$(dirname "$0")/tui-lib.bash"
cluster_require

cluster_setup c 3 1
CONF=$TMP/vsbackup.conf
BK=$TMP/backups
cluster_config "$CONF"

total_dbsize() {
	local p n=0
	for p in "${CL_MASTERS[@]}"; do n=$((n + $(ccli "$p" dbsize))); done
	echo "$n"
}

# --- a backup holds one RDB per master ---------------------------------------
eng_backup_ok "a backup of a 3-master cluster succeeds"
ID1=$ID
like "$ERR" "the cluster has 3 masters" "it says how many masters it backs up"
is "$(meta "$ID1" 'm["redis"]["mode"], len(m["redis"]["shards"])')" "('cluster', 3)" \
    "metadata.json: mode cluster, three shards"
is "$(meta "$ID1" '" ".join(str(s["address"].rsplit(":",1)[1]) for s in m["redis"]["shards"])')" \
    "${CL_MASTERS[*]}" "each shard names its master's address, in slot order"
is "$(meta "$ID1" 'sorted(sum(((a, b) for a, b in s["slots"]), ()) for s in m["redis"]["shards"])[0][0], sum(b - a + 1 for s in m["redis"]["shards"] for a, b in s["slots"])')" \
    "(0, 16384)" "the shards' slots start at 0 and cover all 16384"
ids_ok=1
for p in "${CL_MASTERS[@]}"; do
	id=$(ccli "$p" cluster myid)
	f=$(meta "$ID1" "[s['file'] for s in m['redis']['shards'] if s['node_id'] == '$id'][0]")
	[ "$f" = "redis-$id.rdb" ] && [ -f "$BK/$ID1/$f" ] || { ids_ok=0; diag "no redis-$id.rdb: $f"; }
	[ "$(meta "$ID1" "[s['dbsize'] for s in m['redis']['shards'] if s['node_id'] == '$id'][0]")" = \
	    "$(ccli "$p" dbsize)" ] || { ids_ok=0; diag "dbsize of $p differs"; }
done
ok "$((1 - ids_ok))" "each master's RDB is redis-<its node id>.rdb, with the master's DBSIZE"
ok "$([ ! -e "$BK/$ID1/redis.rdb" ]; echo $?)" "there is no redis.rdb"
is "$(meta "$ID1" 'm["redis"]["key_counts"]["chimera-vectors:"], m["redis"]["key_counts"]["chimera-users:"], m["redis"]["dbsize"]')" \
    "(300, 40, $(total_dbsize))" "key counts and dbsize are the sums over the masters"
is "$(meta "$ID1" 'sum(s["key_counts"]["chimera-vectors:"] for s in m["redis"]["shards"])')" 300 \
    "each shard's counts add up to the total"
is "$(meta "$ID1" 'm["redis"]["key_expires"]["chimera-vectors:"], m["redis"]["key_expires"]["chimera-users:"]')" \
    "(30, 6)" "keys with a TTL are counted per prefix"

run list
like "$OUT" "$ID1" "list shows the cluster backup"
like "$(grep "^$ID1" <<< "$OUT")" "Redis Cluster, 3 shards" "list notes it is a cluster backup of 3 shards"
run --json list
is "$("$PY" -c 'import json,sys; print([e["shards"] for e in json.load(sys.stdin)])' <<< "$OUT" 2>&1)" \
    "[3]" "list --json: shards 3"
run health
like "$OUT" "a cluster of 3 masters: 127.0.0.1:${CL_MASTERS[0]}, [0-9]+ keys: .*127.0.0.1:${CL_MASTERS[2]}, [0-9]+ keys" \
    "health checks every master and says how many keys each holds"
like "$OUT" "127.0.0.1:${CL_MASTERS[1]}: the last background save succeeded" "and each master's saves"
if command -v tmux >/dev/null; then
	tui_start 160 50
	tmux_wait_for "$ID1" 10
	tui_wait_stable
	like "$(tmux_capture)" "cluster of 3 masters +keys $(total_dbsize)" \
	    "the TUI header: a cluster of 3 masters, their keys summed"
	tmux_send Enter
	tmux_wait_for 'Redis Cluster: 3 masters' 5
	like "$(tmux_capture)" "127.0.0.1:${CL_MASTERS[1]} +slots 5461-10922 +[0-9]+ keys" \
	    "the detail pane lists each master with its slots and keys"
	tmux_send Escape
	tmux_send q
	tmux_wait_exit 10
fi
run show "$ID1"
like "$OUT" "3 masters, one RDB each" "show says the backup holds three masters' snapshots"
like "$OUT" "127.0.0.1:${CL_MASTERS[0]} \(node [0-9a-f]{8}\), slots 0-5460" \
    "show names each master with its slots"

# --- verify: each shard ---------------------------------------------------------
run verify "$ID1" --deep
is "$RC" 0 "verify --deep of the cluster backup passes"
[ "$RC" = 0 ] || show "$OUT" "$ERR"
is "$(grep -c 'every key lies in a slot its master served' <<< "$OUT")" 3 \
    "each shard's keys lie in the slots its master served"
like "$OUT" "redis-check-rdb redis-[0-9a-f]{40}.rdb" "redis-check-rdb reads each shard's RDB"
# Two shards' slots swapped in the metadata: the checksums still match,
# but each file now holds keys of slots its shard did not serve.
cp -a "$BK/$ID1" "$TMP/keep1"
"$PY" - "$BK/$ID1/metadata.json" <<'EOF2'
import json, sys
p = sys.argv[1]
m = json.load(open(p))
s = m["redis"]["shards"]
s[0]["slots"], s[1]["slots"] = s[1]["slots"], s[0]["slots"]
json.dump(m, open(p, "w"))
EOF2
run verify "$ID1" --deep
is "$RC" 3 "slots swapped between shards: verify --deep finds the backup invalid (exit 3)"
like "$OUT" "redis-[0-9a-f]{40}.rdb slots.*keys lie in slots its master did not serve, e.g. \".*\" \(slot [0-9]+\)" \
    "it names the shard file, a key and its slot"
rm -rf "$BK/$ID1"
mv "$TMP/keep1" "$BK/$ID1"
run restore "$ID1" --target-dir "$TMP/td"
is "$RC" 0 "restore --target-dir writes a cluster backup's files"
is "$(ls "$TMP/td" | grep -c '^redis-[0-9a-f]*\.rdb$')" 3 "one RDB per master"

# --- the repository (format 2) --------------------------------------------------
sed -i 's/^\tformat = 1;/\tformat = 2;/' "$CONF"
eng_backup_ok "a cluster backup into the repository succeeds"
ID2=$ID
run show "$ID2" --json
is "$("$PY" -c 'import json,sys; m=json.load(sys.stdin); print(len(m["redis"]["shards"]), m["redis"]["key_counts"]["chimera-vectors:"])' <<< "$OUT" 2>&1)" \
    "3 300" "its manifest holds the three shards"
out=$("$PY" "$TESTS_DIR/repo-reader.py" "$BK/repository" "$ID2" "$TMP/r2" 2>&1)
ok $? "the repository reader (doc/FORMAT) reassembles every file of it"
[ $? = 0 ] || diag "$out"
n=$(ls "$TMP/r2"/redis-*.rdb 2>/dev/null | wc -l)
is "$n" 3 "three shard files come out of the repository"
# A collection keeps every chunk a shard uses.
VSBACKUP_GC_GRACE=0 vsb cleanup --location local > "$TMP/out" 2>&1
VSBACKUP_GC_GRACE=0 vsb cleanup --location local > "$TMP/out" 2>&1
ok $? "cleanup collects the repository" || sed 's/^/#   /' "$TMP/out"
run verify "$ID2" --deep
is "$RC" 0 "after a collection the cluster backup verifies deep: no shard's chunk was collected"
[ "$RC" = 0 ] || show "$OUT"
sed -i 's/^\tformat = 2;/\tformat = 1;/' "$CONF"

# --- a cluster that does not serve every slot ------------------------------------
last=${CL_MASTERS[2]}
ccli "$last" cluster delslots 16383 > /dev/null
for _ in $(seq 100); do cluster_ok "${CL_MASTERS[0]}" || break; sleep 0.1; done
tick
run backup
is "$RC" 1 "a cluster with a slot not served: the backup fails"
like "$ERR" "cluster state is fail, not ok|serves only 16383 of the 16384 slots|does not serve exactly those slots itself" \
    "it says the cluster is not whole"
ccli "$last" cluster addslots 16383 > /dev/null
cluster_wait_ok

# --- the Redis user's rights ------------------------------------------------------------
run config
like "$OUT" "Redis at 127.0.0.1:${CL_MASTERS[0]}, user default" "config asks the first node about the Redis user's rights"
like "$OUT" "restore +ok" "  the default user may run everything a restore into the cluster runs"
for p in "${CL_PORTS[@]}"; do
	ccli "$p" acl setuser limited on '>pw' '+@all' '-restore' '-flushdb' '~*' > /dev/null
done
cp "$CONF" "$TMP/good.conf"
sed -i 's|^redis = {|redis = {\n  username = "limited";\n  password = "pw";|' "$CONF"
run config
like "$OUT" "restore +lacks .*\+flushdb.*\+restore" "a user without RESTORE and FLUSHDB: config names both rules"
run restore "$ID1" --yes
is "$RC" 2 "a restore as that user is refused (exit 2)"
like "$ERR" "Redis commands: the Redis user limited at 127.0.0.1:${CL_MASTERS[0]} lacks \+flushdb \+restore.*nothing was changed" \
    "  before anything changed, naming the rules to grant"
cp "$TMP/good.conf" "$CONF"

# --- seeds ------------------------------------------------------------------------
cp "$CONF" "$TMP/good.conf"
sed -i "s/nodes = \[ \"127.0.0.1:${CL_MASTERS[0]}\"/nodes = [ \"127.0.0.1:1\"/" "$CONF"
tick
run backup
is "$RC" 0 "a seed that does not answer: the next one is asked"
cp "$TMP/good.conf" "$CONF"
start_redis "$TMP/standalone"
sed -i "s|nodes = \[ [^]]*\]|nodes = [ \"$REDIS_SOCK\" ]|" "$CONF"
tick
run backup
is "$RC" 1 "a seed that is not in cluster mode: the backup fails"
like "$ERR" "is not in cluster mode" "it says the node is not in cluster mode"
cp "$TMP/good.conf" "$CONF"

# --- a writer following the lock protocol ----------------------------------------------
LOCKF=$TMP/service.lock
sed -i "s|^faiss = {|faiss = {\n  lock_file = \"$LOCKF\";|" "$CONF"
rm -f "$TMP/stop" "$TMP/stats"
"$PY" "$TESTS_DIR/lib/engine-writer.py" "$CL_SEED" "$TMP/faiss/content_index.faiss" \
    "$TMP/faiss/user_index.faiss" "$LOCKF" "$TMP/stop" "$TMP/stats" --cluster \
    2>"$TMP/writer.err" &
WPID=$!
harness_track "$WPID"
writing() { [ "$(cluster_count chimera-vectors:w)" -gt 10 ]; }
cluster_wait_for "the writer" writing || sed 's/^/#   /' "$TMP/writer.err"
consistent=0
for i in 1 2 3; do
	tick
	run backup
	[ "$RC" = 0 ] || { show "$ERR"; continue; }
	id=$(last_line "$OUT")
	c=$("$PY" - "$BK/$id" <<'EOF2'
import json, sys, faiss
d = sys.argv[1]
m = json.load(open(d + '/metadata.json'))
bad = []
for side, prefix in (('content', 'chimera-vectors:'), ('user', 'chimera-users:')):
    n = faiss.read_index(d + '/' + m['indices'][side]['file']).ntotal
    keys = sum(s['key_counts'][prefix] for s in m['redis']['shards'])
    if keys != n or keys != m['redis']['key_counts'][prefix]:
        bad.append('%s: %d keys over the shards, ntotal %d' % (prefix, keys, n))
print('; '.join(bad) or 'ok')
EOF2
)
	if [ "$c" = ok ]; then consistent=$((consistent + 1)); else diag "backup $i: $c"; fi
done
touch "$TMP/stop"
wait "$WPID"
is "$?" 0 "the writer ran without an error"
is "$consistent" 3 "three backups while the writer runs: each prefix's keys, summed over the shards, equal its index's ntotal"
ok "$([ "$(cluster_count chimera-vectors:w)" -gt 20 ]; echo $?)" "the writer went on during the backups"
cp "$TMP/good.conf" "$CONF"

# --- a failover during the backup ---------------------------------------------------
# A slow save (rdb-key-save-delay, microseconds a key) leaves time for it.
m0=${CL_MASTERS[0]}
r0=$(cluster_replica_of "$m0")
ccli "$m0" config set rdb-key-save-delay 30000 > /dev/null
n=$(ls "$BK" | wc -l)
tick
vsb backup > "$TMP/fo.out" 2> "$TMP/fo.err" &
bpid=$!
saving() { [ "$(cluster_info_field "$m0" persistence rdb_bgsave_in_progress)" = 1 ]; }
cluster_wait_for "the snapshot to start" saving
ccli "$r0" cluster failover > /dev/null
wait "$bpid"
is "$?" 1 "a failover during the backup: it fails (exit 1)"
like "$(cat "$TMP/fo.err")" "a failover happened during the backup.*127.0.0.1:$m0.*run the backup again" \
    "it says a failover happened, naming the old master, and what to do"
is "$(ls "$BK" | wc -l)" "$n" "no backup (and no partial one) is left behind"
ccli "$m0" config set rdb-key-save-delay 0 > /dev/null

done_testing
