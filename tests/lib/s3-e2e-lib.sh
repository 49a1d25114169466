# Common ground of the S3 end-to-end tests. Source after harness.sh and
# s3-env.sh, and after s3_setup (the proxy in front of s3rver runs). It
# skips the test when redis-server is not installed; PY is the python3 with
# faiss.
#   s3_e2e_demo VECTORS  a demo sandbox in $TMP/demo (VECTORS content
#                        documents, 200 users, dimension 32), stopped when
#                        the test exits; sets D (its directory), B (its
#                        backup_dir), P (the S3 prefix) and, by s3_e2e_main,
#                        C, R and S3R; rcli talks to it
#   conf NAME [KEY=VALUE...]
#                        the demo's configuration plus an s3 group (the
#                        proxy, path style, s3rver's keys), with these s3
#                        keys changed (after those in S3_CONF_DEFAULTS), or
#                        backup_dir=DIR replacing backup_dir; prints the path
#   s3_e2e_main [KEY=VALUE...]  C, the configuration "main" (conf main
#                        KEY=VALUE...); R, the local repository; S3R, the
#                        repository as s3rver stores it
#   s3_e2e_format2 [SETTINGS]  switch C to the repository (format 2), with
#                        more repository SETTINGS ('passphrase_file = "F";')
#   vs ARGS              vsbackup -c $C ARGS
#   tick                 advance a fixed clock (from 2024-07-02T12:00:00Z)
#                        one minute and export it as VSBACKUP_NOW
S3_CONF_DEFAULTS=${S3_CONF_DEFAULTS:-}
PY=/usr/bin/python3
command -v redis-server >/dev/null || skip_all "redis-server is not installed"

# The demo's server daemonizes (and restore restarts it): stop it by its
# socket, and by its pid file when that still names our server.
demo_stop() {
	local pid
	pid=$(cat "$D/redis/redis.pid" 2>/dev/null)
	redis-cli -s "$D/redis.sock" shutdown nosave > /dev/null 2>&1
	[ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$D/" &&
	    kill "$pid" 2> /dev/null
	return 0
}

s3_e2e_demo() {
	D=$TMP/demo
	B=$D/backups
	P=vector_store_backups
	harness_at_exit demo_stop
	"$VSBACKUP" demo --no-tui --dir "$D" --vectors "$1" --users 200 --dim 32 >/dev/null \
	    2>"$TMP/err" ||
	    { sed 's/^/# /' "$TMP/err"; bail_out "the demo sandbox could not be made"; }
	printf 'repository = { format = 1; };\n' >> "$D/vsbackup.conf"
	s3_e2e_main
}

rcli() { redis-cli -s "$D/redis.sock" "$@"; }

conf() {
	local name=$1 kv k bdir=$B
	shift
	declare -A s3=([bucket]="\"$S3_BUCKET\"" [endpoint]="\"$S3_ENDPOINT\"" [path_style]=true
	    [region]='"us-east-1"' [access_key_id]='"S3RVER"' [secret_access_key]='"S3RVER"')
	# shellcheck disable=SC2086
	for kv in $S3_CONF_DEFAULTS "$@"; do
		case $kv in
		backup_dir=*) bdir=${kv#*=} ;;
		*) s3[${kv%%=*}]=${kv#*=} ;;
		esac
	done
	{
		sed "s|^backup_dir = .*|backup_dir = \"$bdir\";|" "$D/vsbackup.conf"
		echo "s3 = {"
		for k in "${!s3[@]}"; do echo "  $k = ${s3[$k]};"; done
		echo "};"
	} > "$TMP/$name.conf"
	chmod 600 "$TMP/$name.conf"
	echo "$TMP/$name.conf"
}

s3_e2e_main() {
	C=$(conf main "$@")
	R=$B/repository
	S3R=$S3RVER_DIR/data/$S3_BUCKET/$P/repository
}

s3_e2e_format2() {
	sed -i "s|^repository = { format = 1; };|repository = { format = 2;${1:+ $1} };|" "$C"
}

vs() { "$VSBACKUP" -c "$C" "$@"; }

S3_E2E_CLOCK=$(date -u -d 2024-07-02T12:00:00Z +%s)
tick() {
	S3_E2E_CLOCK=$((S3_E2E_CLOCK + 60))
	export VSBACKUP_NOW=$(date -u -d "@$S3_E2E_CLOCK" +%Y-%m-%dT%H:%M:%SZ)
}
