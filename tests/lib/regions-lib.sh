# Several S3 "regions" for the location tests: each its own s3rver behind
# its own signature-checking proxy (tests/lib/s3-proxy.js). Source after
# harness.sh and s3-env.sh, and after s3_setup (which checks that node,
# s3rver and the probe are there).
#   region_start NAME     start s3rver (bucket vs-NAME) and a proxy for it;
#                         REGION_EP[NAME] is the proxy's URL, REGION_DIR[NAME]
#                         s3rver's data directory
#   region_down NAME      stop the region's proxy: its endpoint refuses
#                         connections, as a region that is down does
#   region_up NAME        start the proxy again on the same port
#   region_ctl NAME PATH  GET a control URL of the region's proxy
#   region_objects NAME [PREFIX]  the keys stored in the region, sorted
#   region_empty NAME     delete every object of the region's bucket
#   region_group NAME [KEY=VALUE...]  an s3 list element for the region:
#                         name, bucket, endpoint, path style, s3rver's keys
declare -A REGION_EP REGION_DIR REGION_PORT REGION_PROXY REGION_UPSTREAM

region_proxy() {
	local name=$1 port=${2:-0} p=
	rm -f "$TMP/proxy-$name.port"
	node "$TESTS_DIR/lib/s3-proxy.js" --upstream "${REGION_UPSTREAM[$name]}" --port "$port" \
	    --port-file "$TMP/proxy-$name.port" > "$TMP/proxy-$name.log" 2>&1 &
	REGION_PROXY[$name]=$!
	harness_track "${REGION_PROXY[$name]}"
	for _ in $(seq 100); do
		[ -s "$TMP/proxy-$name.port" ] && p=$(cat "$TMP/proxy-$name.port") && break
		sleep 0.05
	done
	[ -n "$p" ] || bail_out "the proxy of region $name did not start"
	REGION_PORT[$name]=$p
	REGION_EP[$name]=http://127.0.0.1:$p
}

region_start() {
	local name=$1 saved_ep=$S3_ENDPOINT saved_bucket=$S3_BUCKET saved_dir=$S3RVER_DIR
	start_s3rver "$TMP/s3-$name" "vs-$name" || bail_out "s3rver of region $name"
	REGION_UPSTREAM[$name]=$S3_ENDPOINT
	REGION_DIR[$name]=$S3RVER_DIR/data/vs-$name
	export S3_ENDPOINT=$saved_ep S3_BUCKET=$saved_bucket
	S3RVER_DIR=$saved_dir
	region_proxy "$name"
}

region_down() {
	kill "${REGION_PROXY[$1]}" 2>/dev/null
	wait "${REGION_PROXY[$1]}" 2>/dev/null
	return 0
}

region_up() { region_proxy "$1" "${REGION_PORT[$1]}"; }

region_ctl() { curl -fsS "${REGION_EP[$1]}/__proxy/$2"; }

region_objects() {
	local d=${REGION_DIR[$1]}
	[ -d "$d" ] || return 0
	(cd "$d" && find . -name '*._S3rver_object' | sed 's|^\./||; s|\._S3rver_object$||' |
	    grep "^${2:-}" | sort)
}

region_empty() {
	local d=${REGION_DIR[$1]}
	[ -n "$d" ] && [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
}

region_group() {
	local name=$1 kv
	shift
	printf '  { name = "%s"; bucket = "vs-%s"; endpoint = "%s"; path_style = true;\n' \
	    "$name" "$name" "${REGION_EP[$name]}"
	printf '    access_key_id = "S3RVER"; secret_access_key = "S3RVER";'
	for kv in "$@"; do printf ' %s = %s;' "${kv%%=*}" "${kv#*=}"; done
	printf ' }'
}
