#!/bin/bash
# Redis with ACL users, as hardened deployments run it: redis.username
# logs in as an ACL user (AUTH user pass); with the default user off a
# login without a user name is not blamed on the password; the documented
# backup rules are enough for a backup, and each of them is needed (the
# backup fails naming the command and the rule to add, NOPERM on CLIENT
# PAUSE included); 'vsbackup config' shows the Redis settings and which
# rules the configured user lacks.
# Covers src/redis/redis-conn.c, redis-snapshot.c, redis-acl.c,
# src/cli/cmd-config.c, src/config/conf.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/acl-lib.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

faiss_indexes 7 3

start_redis "$TMP/r" || exit 1
acl_admin
rcli debug populate 40 chimera-vectors: 10 >/dev/null
acl_user vsbackup bk-Pw-1 "${ACL_BACKUP_RULES[@]}" >/dev/null
acl_default_off
is "$(redis-cli -s "$REDIS_SOCK" ping 2>&1)" "NOAUTH Authentication required." \
	"fixture: the default user is off"

re() { printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'; }

# --- logging in ----------------------------------------------------------------------------
write_config "$TMP/nouser.conf" 'redis.password="bk-Pw-1"'
backup_with "$TMP/nouser.conf"
show "$OUT"
ok "$(( RC == 0 ))" "no redis.username with the default user off: the backup fails"
like "$OUT" "redis\.username" "the message names redis.username"
case $OUT in *"rejected the password"*) ok 1 "it does not blame the password alone" ;;
*) ok 0 "it does not blame the password alone" ;; esac

write_config "$TMP/nopw.conf"
backup_with "$TMP/nopw.conf"
like "$OUT" "Authentication required.*redis\.username" \
	"no credentials at all: the message names redis.username too"

write_config "$TMP/wrongpw.conf" 'redis.username="vsbackup"' 'redis.password="guess-0815"'
backup_with "$TMP/wrongpw.conf"
show "$OUT"
like "$OUT" "user vsbackup.*WRONGPASS.*redis\.username and redis\.password" \
	"a wrong password for a user: names the user and both settings"
case $OUT in *guess-0815*) ok 1 "the password is not shown" ;; *) ok 0 "the password is not shown" ;; esac

# --- the documented rules are enough -----------------------------------------------------------
write_config "$TMP/vs.conf" 'redis.username="vsbackup"' 'redis.password="bk-Pw-1"'
backup_with "$TMP/vs.conf"
show "$OUT"
is "$RC" 0 "a backup as user vsbackup with the documented rules succeeds"
rm -rf "${TMP:?}/backups"

# --- and each of them is needed -----------------------------------------------------------------
for rule in "${ACL_BACKUP_RULES[@]}"; do
	rest=()
	for r in "${ACL_BACKUP_RULES[@]}"; do [ "$r" = "$rule" ] || rest+=("$r"); done
	acl_user vsbackup bk-Pw-1 "${rest[@]}" >/dev/null
	backup_with "$TMP/vs.conf"
	ok "$(( RC == 0 ))" "without $rule the backup fails"
	show "$OUT"
	like "$OUT" "ACL SETUSER vsbackup $(re "$rule")" "and the message says to add $rule to user vsbackup"
	case $OUT in *"6.2 or later"*) ok 1 "without $rule: no word of Redis versions" ;;
	*) ok 0 "without $rule: no word of Redis versions" ;; esac
	is "$(rcli set after-failure 1)" OK "without $rule: writes are not left paused"
	is "$(backups)" "" "without $rule: nothing is left behind"
	OUT=$("$VSBACKUP" -c "$TMP/vs.conf" config 2>&1)
	if [ "$rule" = '+client|unpause' ]; then
		# Asking without running it takes MULTI, which this user lacks.
		like "$OUT" "$(re "$rule") +CLIENT UNPAUSE not checked: .*MULTI" \
			"without $rule: vsbackup config says it could not check it"
		acl_user vsbackup bk-Pw-1 "${rest[@]}" +multi +discard >/dev/null
		OUT=$("$VSBACKUP" -c "$TMP/vs.conf" config 2>&1)
	fi
	like "$OUT" "backup .*lacks .*$(re "$rule")" "without $rule: vsbackup config names the missing rule"
	like "$OUT" "ACL SETUSER vsbackup $(re "$rule")" "and the rule to add"
done
acl_user vsbackup bk-Pw-1 "${ACL_BACKUP_RULES[@]}" >/dev/null

# --- vsbackup config ------------------------------------------------------------------------------
OUT=$("$VSBACKUP" -c "$TMP/vs.conf" config 2>&1); RC=$?
show "$OUT"
is "$RC" 0 "vsbackup config succeeds"
like "$OUT" "redis\.username +vsbackup" "it shows redis.username"
like "$OUT" "redis\.data_dir +$TMP/r" "it shows redis.data_dir"
like "$OUT" "redis\.dbfilename +dump\.rdb" "it shows redis.dbfilename"
like "$OUT" "redis\.pause_ms +2000" "it shows redis.pause_ms"
like "$OUT" "backup +ok" "the backup rules are all there"
like "$OUT" "restore +lacks .*\+ping.*\+scan.*\+shutdown" "the restore rules that are missing"
case $OUT in *bk-Pw-1*) ok 1 "the password is not shown" ;; *) ok 0 "the password is not shown" ;; esac
OUT=$("$VSBACKUP" -c "$TMP/vs.conf" --json config 2>&1)
is "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; j=json.load(sys.stdin); r=j["redis"]; print(r["username"], r["pause_ms"], r["dbfilename"], " ".join(j["redis_access"]["restore"]["lacks"]))')" \
	"vsbackup 2000 dump.rdb +ping +scan +shutdown +pttl" "config --json: the same"

acl_user vsbackup bk-Pw-1 "${ACL_BACKUP_RULES[@]}" "${ACL_RESTORE_RULES[@]}" "${ACL_FETCH_RULES[@]}" >/dev/null
OUT=$("$VSBACKUP" -c "$TMP/vs.conf" config 2>&1)
like "$OUT" "restore +ok" "with the restore rules: restore ok"
like "$OUT" "replication fetch +ok" "with the fetch rules: replication fetch ok"

# --- under Sentinel every user needs ROLE ------------------------------------------------------
read -r MP SP < <(free_ports 2)
mkdir -p "$TMP/m" "$TMP/s"
printf '%s\n' "bind 127.0.0.1" "port $MP" "dir $TMP/m" 'save ""' "appendonly no" \
	"logfile $TMP/m/redis.log" "user vsadmin on >$ACL_ADMIN_PW ~* &* +@all" > "$TMP/m/redis.conf"
redis-server "$TMP/m/redis.conf" &
harness_track $!
printf '%s\n' "bind 127.0.0.1" "port $SP" "dir $TMP/s" "logfile $TMP/s/sentinel.log" \
	"sentinel monitor vsm 127.0.0.1 $MP 1" "sentinel auth-user vsm vsadmin" \
	"sentinel auth-pass vsm $ACL_ADMIN_PW" > "$TMP/s/sentinel.conf"
redis-server "$TMP/s/sentinel.conf" --sentinel &
harness_track $!
mcli() { redis-cli -p "$MP" --user vsadmin --pass "$ACL_ADMIN_PW" --no-auth-warning "$@"; }
for _ in $(seq 200); do
	[ "$(mcli ping 2>/dev/null)" = PONG ] &&
	    [ "$(redis-cli -p "$SP" sentinel get-master-addr-by-name vsm 2>/dev/null | tail -n 1)" = "$MP" ] &&
	    break
	sleep 0.05
done
mcli acl setuser vsbackup reset on '>bk-Pw-1' "${ACL_BACKUP_RULES[@]}" >/dev/null
REDIS_SOCK='' write_config "$TMP/sentinel.conf" 'redis.mode="sentinel"' \
	"redis.sentinels=[ \"127.0.0.1:$SP\" ]" 'redis.master_name="vsm"' \
	'redis.username="vsbackup"' 'redis.password="bk-Pw-1"' \
	"redis.data_dir=\"$TMP/m\"" 'redis.dbfilename="dump.rdb"'
OUT=$("$VSBACKUP" -c "$TMP/sentinel.conf" config 2>&1)
show "$OUT"
like "$OUT" "ACL SETUSER vsbackup \+role" "sentinel mode without +role: config names the rule"
mcli acl setuser vsbackup +role >/dev/null
OUT=$("$VSBACKUP" -c "$TMP/sentinel.conf" config 2>&1)
like "$OUT" "backup +ok" "with +role: backup ok under Sentinel"

done_testing
