# Helpers for the retention tests (tests/integration/cleanup-*.sh and
# schedule-*.sh); source after harness.sh (and s3-env.sh when S3 is used).
#
#   cleanup_sandbox          a demo sandbox in $TMP/demo (vsbackup demo, 500
#                            documents of dimension 8): sets D and B (its
#                            backup_dir); its Redis is stopped at exit
#   cleanup_conf FILE [TEXT...]  FILE: the demo's configuration without its
#                            retention group, an s3 group for the proxy when
#                            S3 is set up (s3_setup), then each TEXT as a line
#                            (e.g. 'retention = { daily = 7; };'); a TEXT
#                            's3.KEY = VALUE;' goes into the s3 group; sets C
#   vs ARGS                  vsbackup -c $C ARGS
#   at DATETIME ARGS         vs ARGS with VSBACKUP_NOW=DATETIME
#   bk DATETIME [ARGS]       a real backup made at DATETIME (YYYY-MM-DDTHH:MM:SSZ);
#                            bails out unless its id is that time
#   plan_rows                read cleanup --json output, print one line per
#                            row: "location id type action reason_code reason"
#   expand_rows              read a hand-written table whose location column
#                            may be "both" and print it as plan_rows would
#   local_ids                the backup ids (and ID.partial directories) in
#                            backup_dir, one a line, sorted
#   s3_snapshot              list the S3 prefix now (s3cli s3 ls --recursive);
#                            s3_ids and s3_keys answer from that listing:
#   s3_ids                   the backup ids under the S3 prefix, sorted
#   s3_keys ID               the object names under ID, sorted, on one line
#   table_is GOT WANT DESC   is, but showing a diff of the two tables
#   todo STATUS DESC WHY     a TAP result marked "# TODO WHY": a known
#                            defect, shown but not counted as a failure
PY=/usr/bin/python3
S3_PREFIX=vector_store_backups

cleanup_sandbox() {
	command -v redis-server >/dev/null || skip_all "redis-server is not installed"
	D=$TMP/demo
	B=$D/backups
	# Its server daemonizes, and a restore restarts it: stop it by the
	# demo's own command, which finds it by its socket; registered first,
	# so a demo that fails half-way is stopped too.
	harness_at_exit "'$VSBACKUP' demo --stop --dir '$D' >/dev/null 2>&1"
	"$VSBACKUP" demo --no-tui --dir "$D" --vectors 500 --users 50 --dim 8 \
	    >/dev/null 2>"$TMP/demo.err" ||
	    { sed 's/^/# /' "$TMP/demo.err"; bail_out "the demo sandbox could not be made"; }
	printf 'repository = { format = 1; };\n' >> "$D/vsbackup.conf"
}

cleanup_conf() {
	local file=$1 line
	shift
	{
		# The demo's retention group spans several lines: leave it out.
		awk '/^retention[ \t]*=/ { skip = 1 } !skip { print } skip && /};/ { skip = 0 }' \
		    "$D/vsbackup.conf"
		if [ -n "${S3_ENDPOINT:-}" ]; then
			echo "s3 = {"
			echo "  bucket = \"$S3_BUCKET\";"
			echo "  endpoint = \"$S3_ENDPOINT\";"
			echo "  path_style = true;"
			echo "  region = \"us-east-1\";"
			echo "  access_key_id = \"S3RVER\";"
			echo "  secret_access_key = \"S3RVER\";"
			for line; do
				case $line in s3.*) echo "  ${line#s3.}" ;; esac
			done
			echo "};"
		fi
		for line; do
			case $line in s3.*) ;; *) echo "$line" ;; esac
		done
	} > "$file"
	chmod 600 "$file"
	C=$file
}

vs() { "$VSBACKUP" -c "$C" "$@"; }
at() { local t=$1; shift; VSBACKUP_NOW=$t "$VSBACKUP" -c "$C" "$@"; }

bk() {
	local t=$1 id want
	shift
	want=$(echo "$t" | sed 's/^\(....\)-\(..\)-\(..\)T\(..\):\(..\):\(..\)Z$/\1\2\3_\4\5\6/')
	id=$(at "$t" -q backup "$@" 2>"$TMP/bk.err" | tail -1)
	[ "$id" = "$want" ] ||
	    { sed 's/^/# /' "$TMP/bk.err"; bail_out "backup at $t gave '$id', not $want"; }
}

plan_rows() {
	tail -1 | $PY -c 'import json, sys
for r in json.load(sys.stdin):
    print(r["location"], r["id"], r["type"], r["action"], r["reason_code"], r["reason"])'
}

expand_rows() {
	local loc rest
	grep -v '^[[:space:]]*\(#\|$\)' | while read -r loc rest; do
		case $loc in
		both) echo "local $rest"; echo "s3 $rest" ;;
		*) echo "$loc $rest" ;;
		esac
	done | sort -k1,1 -k2,2
}

local_ids() { (cd "$B" && ls | sort); }

# The AWS CLI takes most of a second to start: list the bucket once
# (s3_snapshot) and answer s3_ids and s3_keys from that listing.
s3_snapshot() {
	s3cli s3 ls --recursive "s3://$S3_BUCKET/$S3_PREFIX/" > "$TMP/s3.ls" 2>"$TMP/s3.err" ||
	    { [ -s "$TMP/s3.err" ] && sed 's/^/# /' "$TMP/s3.err"; }
	return 0
}

s3_ids() { awk '{ print $4 }' "$TMP/s3.ls" | cut -d/ -f2 | sort -u; }

s3_keys() {
	awk '{ print $4 }' "$TMP/s3.ls" | awk -F/ -v id="$1" '$2 == id { print $3 }' |
	    sort | tr '\n' ' ' | sed 's/ $//'
}

table_is() {
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$@"
	else
		ok 1 "$@"
		diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
		echo "#   (< expected, > got)"
		return 1
	fi
}

todo() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TAP_N - $2 # TODO $3"
	else
		echo "not ok $TAP_N - $2 # TODO $3"
	fi
}
