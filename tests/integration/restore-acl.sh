#!/bin/bash
# The documented ACL rules are enough for real work: with the default user
# off, a user holding only the backup and restore rules (no key patterns)
# backs up and restores the demo (SHUTDOWN NOSAVE, start, key counts),
# and the data comes back; 'vsbackup config' says so, and names each
# restore rule a user lacks.
# Covers src/redis/redis-conn.c, src/redis/redis-acl.c, src/cli/cmd-config.c
# against the restore path.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
. "$(dirname "$0")/../lib/acl-lib.sh"
eng_require

eng_demo "$TMP/d" 300 30 8
show() { printf '%s\n' "$@" | sed 's/^/#   | /'; }
re() { printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'; }

# The users live in redis.conf: a restore restarts the server.
PW=rs-Pw-77
dcli save >/dev/null
dcli shutdown nosave >/dev/null 2>&1
for _ in $(seq 100); do [ -S "$SOCK" ] || break; sleep 0.05; done
{
	acl_conf_lines vsadmin "$ACL_ADMIN_PW" '~*' '&*' +@all
	acl_conf_lines vsrestore "$PW" "${ACL_BACKUP_RULES[@]}" "${ACL_RESTORE_RULES[@]}"
	echo "user default off"
} >> "$D/redis/redis.conf"
redis-server "$D/redis/redis.conf" || bail_out "the demo server does not start with ACL users"
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
eng_track_redis
dcli() { redis-cli -s "$SOCK" --user vsadmin --pass "$ACL_ADMIN_PW" --no-auth-warning "$@"; }
rdig() { dcli debug digest; }
is "$(redis-cli -s "$SOCK" ping 2>&1)" "NOAUTH Authentication required." "fixture: the default user is off"

# As the restore user; restore stops Redis with SHUTDOWN NOSAVE.
sed -i -e "s|^\( *socket = .*\)$|\1\n  username = \"vsrestore\";\n  password = \"$PW\";|" \
	-e '/^ *stop_command = /d' "$CONF"

OUT=$(vsb config 2>&1)
show "$OUT"
like "$OUT" "backup +ok" "config: the backup rules are there"
like "$OUT" "restore +ok" "config: the restore rules are there"

# Keys with a TTL make the restore count them apart (PTTL on each key).
for i in 1 2 3; do dcli set "chimera-vectors:ttl-$i" x ex 86400 >/dev/null; done
D0=$(rdig)
tick
run backup
show "$ERR"
is "$RC" 0 "a backup as vsrestore succeeds"
ID=$(last_line "$OUT")
dcli flushall >/dev/null
dcli set chimera-vectors:intruder x >/dev/null
tick
run restore "$ID" --yes
show "$ERR"
is "$RC" 0 "a restore as vsrestore succeeds (SHUTDOWN NOSAVE, start, key counts)"
eng_track_redis
is "$(dcli dbsize)" "$(( 330 + 3 ))" "every key is back, the three with a TTL too"
is "$(dcli exists chimera-vectors:intruder)" 0 "the key written after the backup is gone"

# Each restore rule is reported when it is missing.
for rule in "${ACL_RESTORE_RULES[@]}"; do
	rest=()
	for r in "${ACL_RESTORE_RULES[@]}"; do [ "$r" = "$rule" ] || rest+=("$r"); done
	dcli acl setuser vsrestore reset on ">$PW" "${ACL_BACKUP_RULES[@]}" "${rest[@]}" >/dev/null
	OUT=$(vsb config 2>&1)
	like "$OUT" "restore +lacks $(re "$rule")" "without $rule: config names it"
	like "$OUT" "backup +ok" "without $rule: backup is still ok"
done

# A restore the user may not finish is refused before anything live
# changes: after the server restarts a restore counts the keys (SCAN, PTTL
# on each, read access to each prefix), so each of those rules is proven
# first; the data, the files and the running server stay as they were.
setrestore() {
	dcli acl setuser vsrestore reset on ">$PW" "${ACL_BACKUP_RULES[@]}" "$@" >/dev/null
	grep -v '^user vsrestore ' "$D/redis/redis.conf" > "$TMP/redis.conf"
	acl_conf_lines vsrestore "$PW" "${ACL_BACKUP_RULES[@]}" "$@" >> "$TMP/redis.conf"
	cat "$TMP/redis.conf" > "$D/redis/redis.conf"
}
dcli set chimera-vectors:after x >/dev/null
D1=$(rdig)
RDB1=$(sha256sum < "$D/redis/dump.rdb")
CI1=$(sha256sum < "$CI")
for rule in +scan +pttl '%R~chimera-users:*'; do
	rest=()
	for r in "${ACL_RESTORE_RULES[@]}"; do [ "$r" = "$rule" ] || rest+=("$r"); done
	# In redis.conf too, as a deployment keeps its users: the server a
	# restore starts again has the same rules.
	setrestore "${rest[@]}"
	tick
	run restore "$ID" --yes
	show "$ERR"
	is "$RC" 2 "without $rule: the restore is refused"
	like "$ERR" "$(re "$rule")" "  naming the rule it lacks"
	is "$(rdig)" "$D1" "  the data is untouched"
	is "$(dcli ping)" PONG "  Redis still serves"
	is "$(sha256sum < "$D/redis/dump.rdb")" "$RDB1" "  the RDB file is untouched"
	is "$(sha256sum < "$CI")" "$CI1" "  the content index is untouched"
	[ ! -e "$BK/.restore-journal.json" ]
	ok $? "  no journal is left"
done
setrestore "${ACL_RESTORE_RULES[@]}"

done_testing
