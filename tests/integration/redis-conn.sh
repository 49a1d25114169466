#!/bin/bash
# src/redis/redis-conn.c, redis-info.c and the file/shutdown parts of
# redis-snapshot.c against real servers: what each connection failure
# says (server down, refused port, password missing or wrong, bad db, a
# server that does not answer), that the password never shows, INFO
# fields, where the RDB file is, SHUTDOWN NOSAVE.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/redis-probe-lib.sh"

PW='pw-Secret-4711'


start_redis "$TMP/r1" || exit 1
R1_SOCK=$REDIS_SOCK
R1_PID=$REDIS_PID

# --- server down / unreachable -----------------------------------------------
write_config "$TMP/down.conf" "redis.socket=\"$TMP/nosuch/redis.sock\""
probe "$TMP/down.conf" ping
is "$?" 1 "no server: exit status 1"
like "$OUT" "^error \(redis\): cannot connect to Redis at $TMP/nosuch/redis.sock: No such file or directory \(is redis-server running\? redis.socket in $TMP/down.conf\)$" \
	"no server: names the socket, the error, the key and the file"

write_config "$TMP/tcp.conf" 'redis.socket=""' 'redis.host="127.0.0.1"' 'redis.port=1'
probe "$TMP/tcp.conf" ping
like "$OUT" "cannot connect to Redis at 127.0.0.1:1: Connection refused \(is redis-server running\? redis.host, redis.port in $TMP/tcp.conf\)" \
	"refused TCP port: names host:port and the keys"

# --- a working connection, INFO --------------------------------------------
write_config "$TMP/r1.conf"
probe "$TMP/r1.conf" ping
is "$OUT" PONG "socket connection answers PING"

rcli debug populate 300 chimera-vectors: 10 >/dev/null
rcli set chimera-users:1 x ex 1000 >/dev/null
probe "$TMP/r1.conf" info keyspace db0
want_version=$(rcli info server | tr -d '\r' | sed -n 's/^redis_version://p')
like "$OUT" "db_keys=301" "INFO keyspace: keys= of db 0"
like "$OUT" "db_expires=1" "INFO keyspace: expires= of db 0"
probe "$TMP/r1.conf" info server redis_version
like "$OUT" "value=$want_version" "INFO server: redis_version by name"
like "$OUT" "version_num=[1-9][0-9]{4}" "INFO server: version as a number"
probe "$TMP/r1.conf" persistence
like "$OUT" "loading=0" "INFO persistence: not loading"
like "$OUT" "status=ok" "INFO persistence: rdb_last_bgsave_status"

write_config "$TMP/db99.conf" 'redis.db=99'
probe "$TMP/db99.conf" ping
like "$OUT" "Redis at $R1_SOCK refused SELECT 99: ERR DB index is out of range \(check redis.db in $TMP/db99.conf\)" \
	"db out of range: says which key to check"

# --- passwords ------------------------------------------------------------
start_redis "$TMP/r2" "requirepass $PW" || exit 1
write_config "$TMP/nopw.conf"
probe "$TMP/nopw.conf" ping
like "$OUT" "^error \(redis\): Redis at $REDIS_SOCK requires a password: NOAUTH .*\(set redis.password in $TMP/nopw.conf, and redis.username to log in as an ACL user\)$" \
	"password required but not configured: NOAUTH and the key to set"

write_config "$TMP/wrongpw.conf" 'redis.password="wrong-Guess-0815"'
probe "$TMP/wrongpw.conf" ping
like "$OUT" "^error \(redis\): Redis at $REDIS_SOCK refused the login of its default user: WRONGPASS .*\(check redis.password in $TMP/wrongpw.conf; if the default user is off, set redis.username and redis.password to those of an ACL user\)$" \
	"wrong password: WRONGPASS and the key to check"
case $OUT in *wrong-Guess-0815*) ok 1 "the wrong password is not shown" ;;
*) ok 0 "the wrong password is not shown" ;; esac

write_config "$TMP/pw.conf" "redis.password=\"$PW\""
probe "$TMP/pw.conf" ping
is "$OUT" PONG "right password: connected"

write_config "$TMP/pw99.conf" "redis.password=\"$PW\"" 'redis.db=99'
probe "$TMP/pw99.conf" ping
case $OUT in *"$PW"*) ok 1 "no message ever shows the password" ;;
*) ok 0 "no message ever shows the password" ;; esac

# A password set while the server has none is accepted.
write_config "$TMP/r1pw.conf" "redis.socket=\"$R1_SOCK\"" 'redis.password="unused"'
probe "$TMP/r1pw.conf" ping
is "$OUT" PONG "a password for a server without one is harmless"

# --- a server that does not answer ----------------------------------------
write_config "$TMP/slow.conf" "redis.socket=\"$R1_SOCK\"" 'redis.timeout_ms=300'
kill -STOP "$R1_PID"
t0=$(date +%s%3N)
probe "$TMP/slow.conf" ping
t1=$(date +%s%3N)
kill -CONT "$R1_PID"
like "$OUT" "Redis at $R1_SOCK did not answer SELECT within 300 ms \(redis.timeout_ms in $TMP/slow.conf\)" \
	"stopped server: timeout named with its key"
ok "$(( t1 - t0 < 3000 ? 0 : 1 ))" "the timeout is honoured ($(( t1 - t0 )) ms)"

# --- where the RDB file is ------------------------------------------------
REDIS_SOCK=$R1_SOCK
write_config "$TMP/ask.conf" "redis.socket=\"$R1_SOCK\"" 'redis.data_dir=""' 'redis.dbfilename=""'
probe "$TMP/ask.conf" rdb-path
is "$OUT" "path=$TMP/r1/dump.rdb" "RDB path from CONFIG GET dir and dbfilename"
write_config "$TMP/given.conf" "redis.socket=\"$R1_SOCK\"" 'redis.data_dir="/srv/redis"' 'redis.dbfilename="snap.rdb"'
probe "$TMP/given.conf" rdb-path
is "$OUT" "path=/srv/redis/snap.rdb" "redis.data_dir and redis.dbfilename win when set"

start_redis "$TMP/r3" 'rename-command CONFIG ""' || exit 1
write_config "$TMP/noconf.conf" 'redis.data_dir=""' 'redis.dbfilename=""'
probe "$TMP/noconf.conf" rdb-path
like "$OUT" "cannot find the RDB file of Redis at $REDIS_SOCK \(set redis.data_dir and redis.dbfilename in $TMP/noconf.conf\): Redis at $REDIS_SOCK refused CONFIG GET: ERR unknown command" \
	"CONFIG disabled and no data_dir: says which keys to set"
write_config "$TMP/noconf2.conf"
probe "$TMP/noconf2.conf" rdb-path
is "$OUT" "path=$TMP/r3/dump.rdb" "CONFIG disabled: falls back to redis.data_dir/dbfilename"

# --- SHUTDOWN NOSAVE ------------------------------------------------------
R3_PID=$REDIS_PID
probe "$TMP/noconf2.conf" shutdown
is "$OUT" stopped "SHUTDOWN NOSAVE: the closed connection is success"
for _ in $(seq 50); do kill -0 "$R3_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$R3_PID" 2>/dev/null
ok "$(( $? != 0 ? 0 : 1 ))" "the server process is gone"
ok "$( [ ! -e "$TMP/r3/dump.rdb" ]; echo $?)" "NOSAVE: no RDB file was written"

done_testing
