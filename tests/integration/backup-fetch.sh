#!/bin/bash
# A backup that cannot read the RDB file and fetches the snapshot over
# replication, against servers where CONFIG is renamed away or denied by
# the ACL: with the default diskless delay (5 s, which vsbackup cannot
# read) the backup fails saying what is actually needed (the RDB file's
# location, or repl-diskless-sync-delay 0), not "raise redis.pause_ms";
# with the delay at 0 it succeeds as an ACL user holding only the
# documented backup and fetch rules, and fails naming +psync without it.
# Covers src/jobs/capture.c, src/redis/redis-sync.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/acl-lib.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

faiss_indexes 7 3

# The advice a late fork must give, whatever made vsbackup fetch.
check_advice() {
	local what=$1
	ok "$(( RC == 0 ))" "$what: the backup fails"
	show "$OUT"
	like "$OUT" "repl-diskless-sync-delay 0" "$what: it names repl-diskless-sync-delay 0"
	like "$OUT" "redis\.data_dir and redis\.dbfilename" "$what: and the settings that avoid the fetch"
	case $OUT in *"raise redis.pause_ms"*) ok 1 "$what: it does not say to raise redis.pause_ms" ;;
	*) ok 0 "$what: it does not say to raise redis.pause_ms" ;; esac
	is "$(backups)" "" "$what: nothing is left behind"
}

# --- CONFIG renamed away, Redis 7.0's default diskless delay ----------------------------
start_redis "$TMP/r" 'rename-command CONFIG ""' 'repl-diskless-sync yes' || exit 1
rcli debug populate 60 chimera-vectors: 10 >/dev/null
write_config "$TMP/renamed.conf" 'redis.data_dir=""' 'redis.dbfilename=""'
backup_with "$TMP/renamed.conf"
check_advice "CONFIG renamed"
is "$(rcli set k after)" OK "CONFIG renamed: writes flow again"

# --- CONFIG denied by the ACL ---------------------------------------------------------------
start_redis "$TMP/r2" 'repl-diskless-sync yes' || exit 1
acl_admin
rcli debug populate 60 chimera-vectors: 10 >/dev/null
acl_user vsbackup bk-Pw-2 "${ACL_BACKUP_RULES[@]}" +psync +replconf >/dev/null
write_config "$TMP/denied.conf" 'redis.data_dir=""' 'redis.dbfilename=""' \
	'redis.username="vsbackup"' 'redis.password="bk-Pw-2"'
backup_with "$TMP/denied.conf"
check_advice "CONFIG denied"
like "$OUT" "ACL SETUSER vsbackup \+config\|get" "CONFIG denied: it names the rule that lets vsbackup ask"

# --- the delay at 0: the fetch works with the documented rules -------------------------------
rcli config set repl-diskless-sync-delay 0 >/dev/null
backup_with "$TMP/denied.conf"
show "$OUT"
is "$RC" 0 "delay 0, CONFIG denied: the backup over replication succeeds"
id=$(printf '%s\n' "$OUT" | tail -n 1)
is "$("$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["redis"]["source"], m["redis"]["dbsize"])' "$TMP/backups/$id/metadata.json" 2>&1)" \
	"replication 60" "it was fetched over replication and holds every key"
redis-check-rdb "$TMP/backups/$id/redis.rdb" >/dev/null 2>&1
ok "$?" "redis-check-rdb accepts the fetched snapshot"
rm -rf "${TMP:?}/backups"

acl_user vsbackup bk-Pw-2 "${ACL_BACKUP_RULES[@]}" +replconf >/dev/null
backup_with "$TMP/denied.conf"
ok "$(( RC == 0 ))" "without +psync the fetch fails"
show "$OUT"
like "$OUT" "ACL SETUSER vsbackup \+psync" "and names the rule to add"

# --- CONFIG readable: the delay, and repl-diskless-sync-max-replicas ------------------------
# The RDB file is out of reach (a data_dir that does not exist here), so
# the backup fetches; Redis tells its delay.
rcli config set repl-diskless-sync-delay 5 >/dev/null
write_config "$TMP/far.conf" "redis.data_dir=\"$TMP/not-here\"" 'redis.dbfilename="dump.rdb"'
backup_with "$TMP/far.conf"
ok "$(( RC == 0 ))" "delay 5 s, read from CONFIG: the backup fails before pausing"
show "$OUT"
like "$OUT" "would start 5 s late \(repl-diskless-sync-delay\).*redis\.data_dir and redis\.dbfilename" \
	"saying so, and what avoids the fetch"
# With max-replicas 1 Redis forks as soon as this one replica asks.
rcli config set repl-diskless-sync-max-replicas 1 >/dev/null
backup_with "$TMP/far.conf"
is "$RC" 0 "delay 5 s but repl-diskless-sync-max-replicas 1: the fetch starts at once and succeeds"
show "$OUT"
rm -rf "${TMP:?}/backups"

done_testing
