#!/bin/bash
# Backups of newer servers (the RDB files that Redis 7.2, 7.4, 8.0 and
# Valkey 8 wrote, in tests/fixtures/rdb) pass verify --deep although
# Debian's redis-check-rdb 7.0 cannot read their RDB versions: that check
# is reported as skipped, never as a failure, while the built-in reader
# still checks their key counts (a wrong count still fails). The checker is
# redis.check_rdb_command when set, else the one beside the server binary
# that redis.start_command names, else PATH's.
# Covers src/jobs/job-verify.c, src/jobs/rdb-checker.c, src/redis/rdb-reader.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require
command -v redis-check-rdb >/dev/null || skip_all "redis-check-rdb is not installed"

FIX=$TESTS_DIR/fixtures/rdb
eng_demo "$TMP/v" 200 20 8
eng_backup
is "$RC" 0 "backup succeeds"
B=$BK/$ID
cp -a "$B" "$TMP/pristine"
CHECKER_VER=$(redis-check-rdb -v | head -1)

# graft FIXTURE [EXTRA]: make the backup hold FIXTURE as its RDB, with the
# metadata the server's own counts in FIXTURE's .expect give (db 0); EXTRA
# is added to the first prefix's count.
graft() {
	local rdb=$1 extra=${2:-0}
	rm -rf "$B"
	cp -a "$TMP/pristine" "$B"
	cp "$rdb" "$B/redis.rdb"
	"$PY" - "$B/metadata.json" "$B/redis.rdb" "${rdb%.rdb}.expect" "$extra" <<'EOF'
import hashlib, json, os, sys
meta, rdb, expect, extra = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
m = json.load(open(meta))
r = m["redis"]
data = open(rdb, "rb").read()
r["size"] = len(data)
r["sha256"] = hashlib.sha256(data).hexdigest()
for line in open(expect):
    w = line.split()
    if w and w[0] == "rdb_version":
        r["rdb_version"] = int(w[1])
    if w and w[0] == "server":
        r["redis_version"] = w[2]
    if w[:2] == ["db", "0"]:
        kv = dict(zip(w[2::2], w[3::2]))
        r["db"] = 0
        r["dbsize"] = int(kv["keys"])
        r["key_counts"] = {p: int(kv[p]) for p in r["key_counts"]}
first = next(iter(r["key_counts"]))
r["key_counts"][first] += extra
json.dump(m, open(meta, "w"), indent=2)
EOF
}

n=0
for rdb in "$FIX"/*.rdb; do
	name=$(basename "$rdb")
	ver=$(sed -n 's/^rdb_version //p' "${rdb%.rdb}.expect")
	graft "$rdb"
	run verify "$ID" --deep -v
	is "$RC" 0 "$name (RDB version $ver): verify --deep says valid"
	[ "$RC" = 0 ] || show "$OUT" "$ERR"
	like "$OUT" "key count chimera-vectors:.*keys in the RDB" "$name: the key counts were checked"
	if [ "$ver" -gt 10 ]; then
		like "$OUT" "redis-check-rdb +skipped: $CHECKER_VER cannot read RDB version $ver" \
		    "$name: the older checker is reported as skipped, naming both versions"
	fi
	graft "$rdb" 1
	run verify "$ID" --deep
	is "$RC" 3 "$name: a key count one off still fails (exit 3)"
	n=$((n + 1))
done
ok "$([ "$n" -ge 7 ]; echo $?)" "every fixture was tried ($n)"

# The checker comes from redis.check_rdb_command: a wrapper in front of
# Debian's that notes each call.
rm -rf "$B"
cp -a "$TMP/pristine" "$B"
mkdir -p "$TMP/bin"
cat > "$TMP/bin/redis-check-rdb" <<EOF
#!/bin/sh
echo "\$@" >> "$TMP/checker.calls"
exec redis-check-rdb "\$@"
EOF
chmod +x "$TMP/bin/redis-check-rdb"
cp "$CONF" "$TMP/conf.orig"
sed -i "s|^redis = {|redis = {\n  check_rdb_command = \"$TMP/bin/redis-check-rdb\";|" "$CONF"
run verify "$ID" --deep -v
is "$RC" 0 "redis.check_rdb_command: the backup is valid"
like "$OUT" "redis-check-rdb +OK \\($CHECKER_VER\\)" "the checker's version is shown"
grep -q "$B/redis.rdb" "$TMP/checker.calls" 2>/dev/null
ok $? "redis.check_rdb_command was run on the backup's RDB"

sed -i "s|check_rdb_command = \"[^\"]*\"|check_rdb_command = \"$TMP/none/redis-check-rdb\"|" "$CONF"
run verify "$ID" --deep -v
is "$RC" 0 "a checker that is not there: still valid"
like "$OUT" "redis-check-rdb +skipped: $TMP/none/redis-check-rdb was not found \\(redis.check_rdb_command" \
    "a checker that is not there is named with its key"

# Without it, the checker beside the server binary of start_command.
cp "$TMP/conf.orig" "$CONF"
: > "$TMP/checker.calls"
ln -s "$(command -v redis-server)" "$TMP/bin/redis-server"
sed -i "s|start_command = \"[^\"]*\"|start_command = \"$TMP/bin/redis-server $D/redis/redis.conf\"|" "$CONF"
run verify "$ID" --deep -v
is "$RC" 0 "checker beside the server binary: valid"
grep -q "$B/redis.rdb" "$TMP/checker.calls" 2>/dev/null
ok $? "the redis-check-rdb beside start_command's redis-server was run"

done_testing
