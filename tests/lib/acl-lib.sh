# Redis ACL fixtures for a server started by start_redis (harness.sh).
# Source it after harness.sh. It provides:
#   ACL_BACKUP_RULES   the rules a backup user needs (vsbackup.conf(5),
#                      REDIS ACL), redis.data_dir and redis.dbfilename set
#   ACL_FETCH_RULES    added for the replication fetch
#   ACL_RESTORE_RULES  added for a restore (with SHUTDOWN NOSAVE)
#   acl_admin          create user vsadmin with every permission and make
#                      rcli log in as it (so it keeps working once the
#                      default user is off)
#   acl_user NAME PASS RULE...  (re)create user NAME with exactly RULEs
#   acl_default_off    disable the default user
#   acl_conf_lines NAME PASS RULE...  the same user as a redis.conf line,
#                      for a server that restarts (restore)
ACL_BACKUP_RULES=(+select +info +dbsize +bgsave '+client|pause' '+client|unpause')
ACL_FETCH_RULES=(+psync +replconf '+config|get')
ACL_RESTORE_RULES=(+ping +scan +shutdown +pttl '%R~chimera-vectors:*' '%R~chimera-users:*')
ACL_ADMIN_PW=admin-Pw-31337

acl_admin() {
	redis-cli -s "$REDIS_SOCK" acl setuser vsadmin reset on ">$ACL_ADMIN_PW" '~*' '&*' +@all >/dev/null
	rcli() { redis-cli -s "$REDIS_SOCK" --user vsadmin --pass "$ACL_ADMIN_PW" --no-auth-warning "$@"; }
}

acl_user() {
	local name=$1 pass=$2
	shift 2
	rcli acl setuser "$name" reset on ">$pass" "$@"
}

acl_default_off() { rcli acl setuser default off >/dev/null; }

acl_conf_lines() {
	local name=$1 pass=$2
	shift 2
	echo "user $name on >$pass $*"
}
