# A Redis Cluster on loopback ports for the tests. Source it after
# harness.sh and engine-lib.sh:
#   . "$(dirname "$0")/../lib/cluster-lib.sh"
# It provides:
#   cluster_require          skip the test when redis-server or redis-cli
#                            cannot make a cluster (or eng_require skips it)
#   cluster_start NAME M [R] start M masters (and R replicas each; none when
#                            M < 3) under
#                            $TMP/NAME/PORT/ (redis.conf, dump.rdb, nodes.conf,
#                            redis.log, redis.pid; daemonized, stopped when the
#                            test exits), join them with redis-cli --cluster
#                            create and wait until every node says the state
#                            is ok; sets CL_DIR ($TMP/NAME), CL_PORTS (every
#                            node), CL_MASTERS (the masters, in slot order)
#                            and CL_SEED ("127.0.0.1:PORT")
#   cluster_setup NAME M [R] what the cluster tests start from: cluster_start
#                            NAME M R, cluster_fill 300 40 and the two
#                            FAISS indexes (faiss_indexes 300 40); bails out
#                            when the cluster does not start or fill
#   cluster_node_start DIR   start the node whose directory is DIR again
#   ccli PORT ARGS           redis-cli -p PORT ARGS
#   cluster_ok PORT          the node says cluster_state:ok
#   cluster_wait_ok          wait until every node of CL_PORTS says so
#   cluster_fill N U         documents (N content, U user) and other types
#                            into the cluster (tests/lib/cluster.py fill)
#   cluster_dump PORT...     every key of these servers (a port, or a socket
#                            path) with its TTL, type and value digest
#   cluster_digests          "PORT DIGEST" of each master (DEBUG DIGEST)
#   cluster_count PREFIX     keys under PREFIX in the whole cluster
#   cluster_replica_of PORT  the port of a replica of the master at PORT
#   cluster_info_field PORT SECTION FIELD   a field of INFO SECTION
#   cluster_wait_for WHAT CMD...  poll CMD for up to 30 s; non-zero when it
#                            never succeeds (and says so)
#   cluster_config FILE [GROUP.KEY=VALUE...]  write_config for this cluster:
#                            redis.mode "cluster", its seeds, data_dir
#                            "$CL_DIR/{port}" and a start_command that starts
#                            a node from its redis.conf

CLUSTER_PY=$TESTS_DIR/lib/cluster.py

cluster_require() {
	eng_require
	command -v redis-server >/dev/null || skip_all "redis-server is not installed"
	command -v redis-cli >/dev/null || skip_all "redis-cli is not installed"
}

ccli() { local p=$1; shift; redis-cli -p "$p" "$@"; }

cluster_ok() { ccli "$1" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'; }

cluster_node_start() {
	local dir=$1 pid
	redis-server "$dir/redis.conf" >/dev/null 2>&1
	for _ in $(seq 100); do
		pid=$(cat "$dir/redis.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && break
		sleep 0.05
	done
	[ -n "$pid" ] && harness_track_detached "$pid"
	return 0
}

# Is the server answering on port $1 the node of directory $2? (Another
# suite may have taken a port between its choice and the node's start.)
cluster_node_ours() {
	[ "$(ccli "$1" config get dir 2>/dev/null | sed -n 2p)" = "$2" ]
}

cluster_stop_all() {
	local d
	for d in "${1:-$CL_DIR}"/*/; do
		[ -f "$d/redis.conf" ] || continue
		cluster_node_ours "$(basename "$d")" "${d%/}" || continue
		ccli "$(basename "$d")" shutdown nosave >/dev/null 2>&1
	done
	return 0
}

cluster_wait_ok() {
	local p i
	for p in "${CL_PORTS[@]}"; do
		for i in $(seq 300); do
			cluster_ok "$p" && break
			sleep 0.1
		done
		cluster_ok "$p" || { echo "# node $p never said cluster_state:ok"; return 1; }
	done
}

# cluster_ports N DIR: N nodes started in DIR/PORT on free loopback ports
# (CL_PORTS), each answering PING or given up on.
cluster_ports() {
	local n=$1 base=$2 p dir okp
	# Ports whose bus port (+10000) is also below 65536.
	while :; do
		read -r -a CL_PORTS < <(free_ports "$n")
		okp=1
		for p in "${CL_PORTS[@]}"; do [ "$p" -lt 55535 ] || okp=0; done
		[ "$okp" = 1 ] && break
	done
	for p in "${CL_PORTS[@]}"; do
		dir=$base/$p
		mkdir -p "$dir"
		cat > "$dir/redis.conf" <<EOF
bind 127.0.0.1
port $p
dir $dir
dbfilename dump.rdb
logfile $dir/redis.log
pidfile $dir/redis.pid
daemonize yes
save ""
appendonly no
enable-debug-command local
cluster-enabled yes
cluster-config-file $dir/nodes.conf
cluster-node-timeout 2000
repl-diskless-sync-delay 0
EOF
		cluster_node_start "$dir"
	done
	for p in "${CL_PORTS[@]}"; do
		for _ in $(seq 100); do ccli "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
	done
}

cluster_start() {
	local name=$1 m=$2 r=${3:-0} n ports p dir addrs attempt ours=0
	n=$((m * (1 + r)))
	CL_DIR=$TMP/$name
	for attempt in 1 2 3; do
		cluster_ports "$n" "$CL_DIR"
		ports=("${CL_PORTS[@]}")
		addrs=()
		for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
		ours=1
		for p in "${ports[@]}"; do cluster_node_ours "$p" "$CL_DIR/$p" || ours=0; done
		[ "$ours" = 1 ] && break
		echo "# a port of the cluster $name was taken meanwhile (attempt $attempt); starting it on others"
		for p in "${ports[@]}"; do
			[ -f "$CL_DIR/$p/redis.pid" ] && kill "$(cat "$CL_DIR/$p/redis.pid")" 2>/dev/null
		done
		sleep 0.2
		rm -rf "$CL_DIR"
	done
	[ "$ours" = 1 ] || { echo "# the cluster $name found no free ports"; return 1; }
	harness_at_exit "cluster_stop_all '$CL_DIR'"
	if [ "$m" -lt 3 ]; then
		# redis-cli --cluster create wants three masters: fewer (without
		# replicas) are joined by hand, the slots split evenly.
		local i first last
		for i in $(seq 0 $((m - 1))); do
			first=$((i * 16384 / m))
			last=$(((i + 1) * 16384 / m - 1))
			ccli "${ports[$i]}" cluster set-config-epoch $((i + 1)) > /dev/null
			ccli "${ports[$i]}" cluster addslotsrange "$first" "$last" > "$CL_DIR/create.log" 2>&1 ||
			    { sed 's/^/# /' "$CL_DIR/create.log"; return 1; }
			[ "$i" -gt 0 ] && ccli "${ports[$i]}" cluster meet 127.0.0.1 "${ports[0]}" > /dev/null
		done
	else
		redis-cli --cluster create "${addrs[@]}" --cluster-replicas "$r" --cluster-yes \
		    > "$CL_DIR/create.log" 2>&1 || { sed 's/^/# /' "$CL_DIR/create.log"; return 1; }
	fi
	cluster_wait_ok || return 1
	# Replicas must have synced before anything is measured.
	for p in "${ports[@]}"; do
		for _ in $(seq 200); do
			local role link
			role=$(ccli "$p" info replication | tr -d '\r' | sed -n 's/^role://p')
			link=$(ccli "$p" info replication | tr -d '\r' | sed -n 's/^master_link_status://p')
			[ "$role" = master ] || [ "$link" = up ] && break
			sleep 0.05
		done
	done
	CL_SEED=127.0.0.1:${ports[0]}
	mapfile -t CL_MASTERS < <("$PY" "$CLUSTER_PY" masters "$CL_SEED")
}

cluster_setup() {
	cluster_start "$@" || bail_out "the cluster $1 did not start"
	cluster_fill 300 40 || bail_out "the cluster $1 could not be filled"
	faiss_indexes 300 40
}

cluster_info_field() { ccli "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }

cluster_replica_of() {
	local id
	id=$(ccli "$1" cluster myid)
	ccli "$1" cluster nodes | awk -v id="$id" '$4 == id { split($2, a, "[:@]"); print a[2]; exit }'
}

cluster_wait_for() {
	local what=$1 i
	shift
	for i in $(seq 300); do
		"$@" && return 0
		sleep 0.1
	done
	echo "# timed out waiting for $what"
	return 1
}

cluster_fill() { "$PY" "$CLUSTER_PY" fill "$CL_SEED" "$1" "$2"; }

cluster_dump() {
	local a=() p
	for p in "$@"; do
		case $p in /*) a+=("$p") ;; *) a+=("127.0.0.1:$p") ;; esac
	done
	"$PY" "$CLUSTER_PY" dump "${a[@]}"
}

cluster_digests() {
	local p
	for p in "${CL_MASTERS[@]}"; do echo "$p $(ccli "$p" debug digest)"; done
}

cluster_count() { "$PY" "$CLUSTER_PY" count "$CL_SEED" "$1"; }

cluster_config() {
	local file=$1 p seeds=""
	shift
	for p in "${CL_MASTERS[@]}"; do seeds="$seeds\"127.0.0.1:$p\", "; done
	write_config "$file" redis.mode='"cluster"' "redis.nodes=[ ${seeds%, } ]" \
	    redis.data_dir="\"$CL_DIR/{port}\"" redis.dbfilename='"dump.rdb"' \
	    redis.start_command="\"redis-server $CL_DIR/{port}/redis.conf\"" \
	    redis.start_timeout=30 "$@"
}
