#!/bin/bash
# Restores that involve a Redis Cluster, the keys routed by slot with
# RESTORE (TTL kept, REPLACE): a 3-master cluster's backup back into the
# same cluster (DEBUG DIGEST of each master as at the backup), into a
# 2-master cluster and into a standalone server (every key's value, by
# DEBUG DIGEST-VALUE, and absolute TTL equal: a DUMP of a hash table set
# depends on the order of insertion), and a standalone server's backup
# into the 2-master cluster. Keys written after the backup are gone; a safety
# backup of the cluster is taken first.
# Covers src/jobs/restore-route.c, src/jobs/job-restore.c (routed apply,
# counts over the masters), src/jobs/preflight.c (a cluster target).
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/cluster-lib.sh"
cluster_require

BK=$TMP/backups

# restored ID FROM DUMP INTO SERVER...: restore backup ID (of FROM) with CONF
# and no safety backup; every key of the SERVERs (ports or a socket) with its
# value (DEBUG DIGEST-VALUE) and absolute TTL must then be those in DUMP, and
# no other key.
restored() {
	local id=$1 from=$2 dump=$3 into=$4
	shift 4
	tick
	run restore "$id" --yes --no-safety-backup
	is "$RC" 0 "restore of the backup of $from into $into"
	[ "$RC" = 0 ] || show "$ERR"
	is "$(cluster_dump "$@")" "$dump" \
	    "every key's value (DEBUG DIGEST-VALUE) and absolute TTL in $into are those of $from, and no other key"
}

# --- cluster A: three masters --------------------------------------------------
cluster_setup a 3
A_MASTERS=("${CL_MASTERS[@]}")
A_SEED=$CL_SEED
A_DIR=$CL_DIR
CONF_A=$TMP/a.conf
cluster_config "$CONF_A"
CONF=$CONF_A
eng_backup_ok "a backup of cluster A"
IDA=$ID
DIG_A=$(cluster_digests)
DUMP_A=$(cluster_dump "${A_MASTERS[@]}")
is "$(wc -l <<< "$DUMP_A")" 408 "cluster A holds every key filled (408)"

# --- back into the same cluster ------------------------------------------------
"$PY" "$CLUSTER_PY" fill "$A_SEED" 350 0 > /dev/null
ccli "${A_MASTERS[1]}" flushall > /dev/null
BEFORE=$(cluster_count chimera-vectors:)
run restore "$IDA" --plan
like "$OUT" "each master gets its own RDB file back" "the plan: each master gets its own file back"
like "$OUT" "each master with redis.start_command" "  and is started with its own command"
tick
run restore "$IDA" --yes
is "$RC" 0 "restore of cluster A's backup into cluster A"
[ "$RC" = 0 ] || show "$ERR"
like "$ERR" "the cluster's 3 masters answer" "the pre-flight checks name the cluster's masters"
like "$ERR" "the cluster has the backup's layout: each of its 3 masters gets its own RDB file back" \
    "the same layout: each master gets its own RDB file back"
like "$ERR" "restoring the master 127.0.0.1:${A_MASTERS[2]} \(node [0-9a-f]{8}, redis-[0-9a-f]{40}.rdb\)" \
    "  naming each master and its file"
is "$(cluster_digests)" "$DIG_A" "DEBUG DIGEST of each master is the one at the backup"
is "$(ls "$BK" | wc -l)" 2 "a safety backup of the cluster was taken first"
SAFE=$(ls "$BK" | grep -v "^$IDA$" | head -1)
is "$(meta "$SAFE" 'm["type"], len(m["redis"]["shards"]), m["redis"]["key_counts"]["chimera-vectors:"]')" \
    "('pre-restore', 3, $BEFORE)" "the safety backup holds the three masters' state before"

# --- into a 2-master cluster ----------------------------------------------------
cluster_start b 2 || bail_out "cluster B did not start"
B_MASTERS=("${CL_MASTERS[@]}")
B_SEED=$CL_SEED
CONF_B=$TMP/b.conf
cluster_config "$CONF_B"
"$PY" "$CLUSTER_PY" fill "$B_SEED" 5 5 > /dev/null
ccli "${B_MASTERS[0]}" set "{x}other" 1 > /dev/null
CONF=$CONF_B
run restore "$IDA" --plan
like "$OUT" "408 keys loaded with RESTORE, each into the master of its slot" \
    "the plan into another layout: the keys loaded with RESTORE"
like "$OUT" "nothing is stopped" "  nothing stopped"
restored "$IDA" "cluster A (3 masters)" "$DUMP_A" "cluster B (2 masters)" "${B_MASTERS[@]}"
ok "$(for p in "${B_MASTERS[@]}"; do [ "$(ccli "$p" dbsize)" -gt 100 ] || exit 1; done; echo $?)" \
    "both masters of cluster B took their slots' keys"

# --- into a standalone server ---------------------------------------------------------
start_redis "$TMP/st" || bail_out "the standalone server did not start"
CONF_S=$TMP/s.conf
write_config "$CONF_S" redis.start_command="\"redis-server $TMP/st/redis.conf --daemonize yes\""
rcli set stale 1 > /dev/null
CONF=$CONF_S
restored "$IDA" "cluster A" "$DUMP_A" "a standalone server" "$REDIS_SOCK"

# --- a standalone backup into a cluster --------------------------------------------------
rcli set "chimera-users:late" '{"id":"late"}' > /dev/null
rcli pexpireat "chimera-users:late" 4102444800123 > /dev/null
faiss_add "$TMP/faiss/user_index.faiss" 1 999
tick
run backup
is "$RC" 0 "a backup of the standalone server"
IDS=$(last_line "$OUT")
DUMP_S=$(cluster_dump "$REDIS_SOCK")
CONF=$CONF_B
restored "$IDS" "the standalone server" "$DUMP_S" "cluster B" "${B_MASTERS[@]}"

done_testing
