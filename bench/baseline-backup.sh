#!/bin/bash
# The backup an operator would write without vsbackup: ask Redis for a
# snapshot, wait for it, copy the snapshot and both index files into a new
# directory and record their SHA-256. It is what bench/run compares
# "vsbackup backup" against.
#
#   baseline-backup.sh [--sync] SOCKET RDB CONTENT_INDEX USER_INDEX DEST
#
# SOCKET is the Redis unix socket, RDB the file BGSAVE writes (dir +
# dbfilename), DEST a directory that must not exist yet. --sync ends with
# sync(1) so the copies are on disk when it returns, as vsbackup's are
# (it fsyncs every file and the directory).
set -eu

sync_at_end=0
if [ "${1:-}" = --sync ]; then
	sync_at_end=1
	shift
fi
[ $# -eq 5 ] || { echo "usage: $0 [--sync] SOCKET RDB CONTENT USER DEST" >&2; exit 2; }
sock=$1 rdb=$2 content=$3 user=$4 dest=$5

info() { redis-cli -s "$sock" INFO persistence | tr -d '\r'; }
field() { sed -n "s/^$1://p"; }

before=$(info | field rdb_saves)
redis-cli -s "$sock" BGSAVE > /dev/null
# Poll as a cron script would, ten times a second, until our save is over:
# none in progress and the count of saves moved on.
while :; do
	i=$(info)
	if [ "$(echo "$i" | field rdb_bgsave_in_progress)" = 0 ]; then
		[ "$(echo "$i" | field rdb_saves)" != "$before" ] && break
		if [ "$(echo "$i" | field rdb_last_bgsave_status)" != ok ]; then
			echo "$0: BGSAVE failed" >&2
			exit 1
		fi
	fi
	sleep 0.1
done

mkdir "$dest"
cp "$rdb" "$dest/redis.rdb"
cp "$content" "$dest/content_index.faiss"
cp "$user" "$dest/user_index.faiss"
(cd "$dest" && sha256sum redis.rdb content_index.faiss user_index.faiss > SHA256SUMS)
if [ "$sync_at_end" = 1 ]; then
	sync
fi
