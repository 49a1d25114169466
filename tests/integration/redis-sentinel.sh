#!/bin/bash
# Redis under Sentinel: three sentinels watch a master with one replica, on
# loopback ports. A backup asks the sentinels for the master and takes the
# snapshot there; after a failover it follows the new master; with
# redis.from_replica the snapshot comes from the replica and the master
# does not fork (INFO persistence and INFO stats on the master show no new
# save, no new fork); a failover during the capture fails the backup
# cleanly, naming the failover; wrong sentinel settings say what to fix; a
# restore goes into the current master and its replica resyncs.
# Covers src/redis/redis-sentinel.c, src/jobs/capture.c, restore-target.c,
# src/ops/health.c, src/config/conf.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

read -r P1 P2 S1 S2 S3 < <(free_ports 5)

start_server() {
	local dir=$1 port=$2; shift 2
	mkdir -p "$dir"
	{
		echo "bind 127.0.0.1"
		echo "port $port"
		echo "unixsocket $dir/redis.sock"
		echo "unixsocketperm 700"
		echo "dir $dir"
		echo "dbfilename dump.rdb"
		echo "logfile $dir/redis.log"
		echo "save \"\""
		echo "appendonly no"
		echo "enable-debug-command local"
		echo "repl-diskless-sync-delay 0"
		echo "pidfile $dir/redis.pid"
		local line
		for line in "$@"; do echo "$line"; done
	} > "$dir/redis.conf"
	redis-server "$dir/redis.conf" &
	harness_track $!
}

start_sentinel() {
	local dir=$1 port=$2
	mkdir -p "$dir"
	cat > "$dir/sentinel.conf" <<EOF
bind 127.0.0.1
port $port
dir $dir
logfile $dir/sentinel.log
sentinel monitor mymaster 127.0.0.1 $P1 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 4000
EOF
	redis-server "$dir/sentinel.conf" --sentinel &
	harness_track $!
}

wait_for() {
	local what=$1 i; shift
	for i in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "# timed out waiting for $what"
	return 1
}

r1() { redis-cli -p "$P1" "$@"; }
r2() { redis-cli -p "$P2" "$@"; }
info_field() { redis-cli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }
master_port() { redis-cli -p "$1" sentinel get-master-addr-by-name mymaster | sed -n 2p; }
all_name() {
	local s
	for s in $S1 $S2 $S3; do [ "$(master_port "$s")" = "$1" ] || return 1; done
}
synced() { [ "$(info_field "$1" replication master_link_status)" = up ]; }
replica_known() { redis-cli -p "$1" sentinel replicas mymaster | grep -qx "$2"; }
# SENTINEL FAILOVER, until the sentinel accepts it (it refuses while it
# does not yet know a replica good enough).
failover() { [ "$(redis-cli -p "$1" sentinel failover mymaster)" = OK ]; }

start_server "$TMP/r1" "$P1"
start_server "$TMP/r2" "$P2" "replicaof 127.0.0.1 $P1"
wait_for "the master" r1 ping
wait_for "the replica's sync" synced "$P2"
for s in $S1 $S2 $S3; do start_sentinel "$TMP/s$s" "$s"; done
for s in $S1 $S2 $S3; do wait_for "sentinel $s" replica_known "$s" "$P2"; done

# Data: documents under both prefixes, and the two indexes.
{
	for i in $(seq 300); do echo "SET chimera-vectors:$i '{\"id\":$i}'"; done
	for i in $(seq 40); do echo "SET chimera-users:$i '{\"id\":$i}'"; done
} | r1 > /dev/null
faiss_indexes 300 40
CONF=$TMP/vsbackup.conf
BK=$TMP/backups
write_config "$CONF" redis.mode='"sentinel"' redis.master_name='"mymaster"' \
    "redis.sentinels=[ \"127.0.0.1:$S1\", \"127.0.0.1:$S2\", \"127.0.0.1:$S3\" ]"

saves() { echo "$(info_field "$1" persistence rdb_saves)/$(info_field "$1" stats total_forks)"; }

# --- a backup from the master the sentinels name ---------------------------
m1=$(saves "$P1")
r2s=$(saves "$P2")
eng_backup_ok "sentinel mode: the backup succeeds"
ID1=$ID
like "$ERR" "the master of \"mymaster\" is 127.0.0.1:$P1" "it says which master the sentinels named"
is "$(meta "$ID1" 'm["redis"]["key_counts"]["chimera-vectors:"], m["redis"]["dbsize"]')" \
    "(300, 340)" "the snapshot holds the master's keys"
ok "$([ "$(saves "$P1")" != "$m1" ]; echo $?)" "the master saved (it forked for the snapshot)"
is "$(saves "$P2")" "$r2s" "the replica did not"

# --- redis.from_replica: the master never forks ----------------------------
r1 set chimera-vectors:301 '{"id":301}' > /dev/null
wait_for "the replica to catch up" sh -c "[ \"\$(redis-cli -p $P2 dbsize)\" = 341 ]"
sed -i 's/^redis = {/redis = {\n\tfrom_replica = true;/' "$CONF"
m1=$(saves "$P1")
r2s=$(saves "$P2")
eng_backup_ok "from_replica: the backup succeeds"
ID2=$ID
like "$ERR" "the snapshot comes from its replica 127.0.0.1:$P2" "it names the replica"
is "$(saves "$P1")" "$m1" "from_replica: no save and no fork on the master (rdb_saves/total_forks)"
ok "$([ "$(saves "$P2")" != "$r2s" ]; echo $?)" "the replica forked for the snapshot"
is "$(meta "$ID2" 'm["redis"]["key_counts"]["chimera-vectors:"], m["redis"]["dbsize"]')" \
    "(301, 341)" "the replica's snapshot holds every key of the master"
run verify "$ID2" --deep
is "$RC" 0 "the replica's backup verifies (deep)"
sed -i '/from_replica = true;/d' "$CONF"

# --- a failover before the backup is followed -------------------------------
wait_for "the sentinel to start a failover" failover "$S1"
wait_for "the sentinels to name the new master" all_name "$P2"
# Sentinel turns the old master into a replica only after 8 s; do it now.
r1 replicaof 127.0.0.1 "$P2" > /dev/null
wait_for "the old master to follow" synced "$P1"
r2 set chimera-users:41 '{"id":41}' > /dev/null
m2=$(saves "$P2")
eng_backup_ok "after a failover: the backup succeeds"
ID3=$ID
like "$ERR" "the master of \"mymaster\" is 127.0.0.1:$P2" "it follows the new master"
ok "$([ "$(saves "$P2")" != "$m2" ]; echo $?)" "the new master took the snapshot"
is "$(meta "$ID3" 'm["redis"]["key_counts"]["chimera-users:"]')" 41 \
    "the snapshot holds the write made on the new master"

# --- a failover during the capture fails the backup cleanly -----------------
# A slow save (rdb-key-save-delay, microseconds a key) leaves time for it.
r2 config set rdb-key-save-delay 10000 > /dev/null
n=$(ls "$BK" | wc -l)
tick
vsb backup > "$TMP/fo.out" 2> "$TMP/fo.err" &
bpid=$!
saving() { [ "$(info_field "$P2" persistence rdb_bgsave_in_progress)" = 1 ]; }
wait_for "the snapshot to start" saving
wait_for "the sentinel to start a failover" failover "$S2"
wait "$bpid"
RC=$?
is "$RC" 1 "a failover during the capture: the backup fails (exit 1)"
like "$(cat "$TMP/fo.err")" "a failover of \"mymaster\" happened during the backup: .*127.0.0.1:$P2.*run the backup again" \
    "it says a failover happened, naming the old master, and what to do"
is "$(ls "$BK" | wc -l)" "$n" "no backup (and no partial one) is left behind"
wait_for "the sentinels to name the new master" all_name "$P1"
r2 config set rdb-key-save-delay 0 > /dev/null
r2 replicaof 127.0.0.1 "$P1" > /dev/null

# --- a restore goes into the current master; the replica resyncs -----------
# The restore stops the master (SHUTDOWN NOSAVE) and starts it again with
# redis.start_command: a daemon this test stops at the end.
harness_at_exit 'for p in "$P1" "$P2"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1; done'
sed -i "s|^redis = {|redis = {\n\tstart_command = \"redis-server $TMP/r1/redis.conf --daemonize yes\";|" "$CONF"
sed -i "s|^redis = {|redis = {\n\tstart_timeout = 30;|" "$CONF"
r1 set chimera-vectors:late 1 > /dev/null
r1 del chimera-users:41 > /dev/null
run restore "$ID3" --yes
is "$RC" 0 "restore under Sentinel succeeds"
[ "$RC" = 0 ] || show "$ERR"
like "$ERR" "restoring into 127.0.0.1:$P1, the current master of \"mymaster\"; its replicas will resync" \
    "it says which master it restores into and that the replicas will resync"
is "$(r1 exists chimera-vectors:late)/$(r1 exists chimera-users:41)/$(r1 dbsize)" "0/1/342" \
    "the master holds the backup's data"
resynced() { [ "$(r2 dbsize)" = 342 ] && [ "$(r2 exists chimera-vectors:late)" = 0 ] && synced "$P2"; }
wait_for "the replica to resync" resynced
is "$(r2 debug digest)" "$(r1 debug digest)" "the replica resynced: its digest is the master's"
is "$(master_port "$S3")" "$P1" "the sentinels still name the same master"

# --- health checks the master the sentinels name ----------------------------
run health
like "$OUT" "Redis at 127.0.0.1:$P1 answers" "health reaches the master the sentinels name"
like "$OUT" "last background save succeeded" "and checks its saves"

# --- settings that lead nowhere ------------------------------------------------
cp "$CONF" "$TMP/good.conf"
sed -i 's/master_name = "mymaster"/master_name = "nosuch"/' "$CONF"
tick
run backup
is "$RC" 1 "an unknown master name: the backup fails"
like "$ERR" "no sentinel led to the master \"nosuch\" \(redis.sentinels, redis.master_name in $CONF\): sentinel 127.0.0.1:$S1: watches no master named \"nosuch\"" \
    "it names each sentinel and what it said"
cp "$TMP/good.conf" "$CONF"
sed -i "s/\"127.0.0.1:$S1\", \"127.0.0.1:$S2\", \"127.0.0.1:$S3\"/\"127.0.0.1:1\", \"127.0.0.1:$S3\"/" "$CONF"
tick
run backup
is "$RC" 0 "a sentinel that is down: the next one is asked"
cp "$TMP/good.conf" "$CONF"
sed -i 's/mode = "sentinel";/mode = "sentinel";\n\tmaster_name = "";/' "$CONF"
sed -i '0,/master_name = "mymaster";/{/master_name = "mymaster";/d}' "$CONF"
run config
is "$RC" 1 "sentinel mode without a master name is a configuration error"
like "$ERR" "redis.mode is \"sentinel\" but redis.sentinels or redis.master_name is empty" \
    "it says what is missing"
cp "$TMP/good.conf" "$CONF"

done_testing
