# Helpers for the engine tests (backup, verify, restore, faults, lock).
# Source it after harness.sh:
#   . "$(dirname "$0")/../lib/harness.sh"
#   . "$(dirname "$0")/../lib/engine-lib.sh"
# It provides:
#   PY                 /usr/bin/python3 (the one with faiss and numpy)
#   eng_require        skip the test when redis-server or faiss is missing
#   eng_demo DIR [N U D]  build a demo sandbox in DIR (N content, U user
#                      documents of dimension D; default 2000 200 16) and
#                      stop its server when the test exits; sets D (DIR),
#                      CONF, SOCK, CI and UI (the two index paths), BK
#                      (backup_dir)
#                      (with repository.format = 1: plain backups)
#   eng_format2 [KEYS] switch it to the repository (format 2)
#   eng_track_redis [DIR]  list the demo server's pid for the runner
#   eng_redis_stop     stop the demo's server with its stop_command (from
#                      CONF) and wait until it no longer answers (at most 10 s)
#   eng_redis_start    start it with its start_command and wait until it
#                      answers PONG (at most 30 s); its pid is tracked
#   vsb ARGS           the vsbackup under test with -c $CONF
#   run ARGS           vsb ARGS with stdout in OUT, stderr in ERR, status RC
#   eng_backup         tick, then run backup; ID is the new backup's id (the
#                      last line of OUT)
#   eng_backup_ok DESC eng_backup, and a check (DESC) that it exited 0; its
#                      stderr shown when it did not
#   backup_with FILE   vsbackup -c FILE backup, stdout and stderr together in
#                      OUT, status RC
#   backups            the ids of the backups in $TMP/backups, sorted
#   rdig               DEBUG DIGEST of the demo's server
#   dcli ARGS          redis-cli on the demo's socket
#   tick               advance the fixed clock one minute and export it as
#                      VSBACKUP_NOW, so every backup gets its own id
#   last_line TEXT     the last line of TEXT
#   ntotal FILE        the ntotal FAISS (Python) reads from FILE
#   meta ID EXPR       a value of backup ID's metadata.json (Python
#                      expression on m, e.g. 'm["indices"]["user"]["ntotal"]')
#   sha FILE           the SHA-256 of FILE
#   snapshot_live NAME remember digest and index checksums as NAME
#   live_same NAME     0 when the live state still equals snapshot NAME
#   tree_sum DIR       one checksum of every file (name, content) under DIR
#   data_sum DIR       one checksum of a backup's own files (metadata.json and
#                      the three data files; not verify.json or pinned, which
#                      verify and pin write beside them)

PY=/usr/bin/python3

eng_require() {
	command -v redis-server >/dev/null || skip_all "redis-server is not installed"
	"$PY" -c 'import faiss, numpy' 2>/dev/null || skip_all "$PY cannot import faiss"
}

eng_demo_stop() {
	local dir=$1
	[ -S "$dir/redis.sock" ] && redis-cli -s "$dir/redis.sock" shutdown nosave >/dev/null 2>&1
	"$VSBACKUP" demo --stop --dir "$dir" >/dev/null 2>&1
	return 0
}

eng_demo() {
	local dir=$1 n=${2:-2000} u=${3:-200} dim=${4:-16}
	if ! "$VSBACKUP" demo --no-tui --dir "$dir" --vectors "$n" --users "$u" --dim "$dim" \
	    >"$TMP/demo.out" 2>&1; then
		sed 's/^/# /' "$TMP/demo.out"
		eng_demo_stop "$dir"
		bail_out "vsbackup demo failed in $dir"
	fi
	harness_at_exit eng_demo_stop "$dir"
	eng_track_redis "$dir"
	D=$dir
	CONF=$dir/vsbackup.conf
	# Plain backups (format 1): these suites look at a backup's files;
	# the repository's suites switch to format 2 with eng_format2.
	printf 'repository = { format = 1; };\n' >> "$CONF"
	SOCK=$dir/redis.sock
	CI=$dir/indexes/content_index.faiss
	UI=$dir/indexes/user_index.faiss
	BK=$dir/backups
}

# The demo server daemonizes: list its pid for the runner, which stops it
# even when this shell is killed. Call again after a restore restarted it.
eng_track_redis() {
	local pid
	pid=$(cat "${1:-$D}/redis/redis.pid" 2>/dev/null)
	[ -n "$pid" ] && harness_track_detached "$pid"
	return 0
}

eng_redis_stop() {
	sh -c "$(sed -n 's/^ *stop_command = "\(.*\)";$/\1/p' "$CONF")" >/dev/null 2>&1
	for _ in $(seq 200); do dcli ping >/dev/null 2>&1 || return 0; sleep 0.05; done
	return 1
}

eng_redis_start() {
	sh -c "$(sed -n 's/^ *start_command = "\(.*\)";$/\1/p' "$CONF")" >/dev/null 2>&1
	for _ in $(seq 600); do [ "$(dcli ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
	eng_track_redis
	[ "$(dcli ping 2>/dev/null)" = PONG ]
}

vsb() { "$VSBACKUP" -c "$CONF" "$@"; }

# Switch the demo's configuration to the repository (format 2), with more
# repository keys when given ("passphrase_file = \"...\";").
eng_format2() {
	sed -i "s|^repository = { format = 1; };|repository = { format = 2; ${1:-} };|" "$CONF"
}

run() {
	OUT=$(vsb "$@" 2>"$TMP/run.err")
	RC=$?
	ERR=$(cat "$TMP/run.err")
}

eng_backup() {
	tick
	run backup
	ID=$(last_line "$OUT")
}

eng_backup_ok() {
	eng_backup
	is "$RC" 0 "$1"
	[ "$RC" = 0 ] || show "$ERR"
}

backup_with() {
	OUT=$("$VSBACKUP" -c "$1" backup 2>&1)
	RC=$?
}
backups() { find "$TMP/backups" -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' 2>/dev/null | sort; }

dcli() { redis-cli -s "$SOCK" "$@"; }
rdig() { redis-cli -s "$SOCK" debug digest; }

ENG_CLOCK=$(date -u -d 2024-07-02T12:00:00Z +%s)
tick() {
	ENG_CLOCK=$((ENG_CLOCK + 60))
	VSBACKUP_NOW=$(date -u -d "@$ENG_CLOCK" +%Y-%m-%dT%H:%M:%SZ)
	export VSBACKUP_NOW
}

last_line() { printf '%s\n' "$1" | tail -n 1; }

ntotal() {
	"$PY" -c 'import sys, faiss; print(faiss.read_index(sys.argv[1]).ntotal)' "$1" 2>&1
}

meta() {
	"$PY" -c 'import json, sys; m = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$BK/$1/metadata.json" "$2" 2>&1
}

sha() {
	if [ -e "$1" ]; then sha256sum < "$1" | cut -d' ' -f1; else echo "(no $1)"; fi
}

declare -A ENG_SNAP=()
snapshot_live() {
	ENG_SNAP[$1]="$(rdig) $(sha "$CI") $(sha "$UI")"
}
live_same() {
	local now
	now="$(rdig) $(sha "$CI") $(sha "$UI")"
	[ "$now" = "${ENG_SNAP[$1]}" ] && return 0
	echo "#   live state now:  $now"
	echo "#   live state then: ${ENG_SNAP[$1]}"
	return 1
}

tree_sum() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) |
	    sha256sum | cut -d' ' -f1
}

data_sum() {
	(cd "$1" && sha256sum metadata.json redis.rdb content_index.faiss user_index.faiss 2>&1) |
	    sha256sum | cut -d' ' -f1
}

# A comment block with a text, for diagnostics.
show() { printf '%s\n' "$@" | sed 's/^/#   | /'; }
