#!/bin/bash
# log.file and log.syslog on a demo sandbox: one line per message with UTC
# time, pid, level, operation, backup id and text; info lines recorded also
# with -q and --json; a command's final error recorded; the file created
# 0600 and appended to; a log file that cannot be opened is a warning, not
# a failure; syslog(3) under the ident vsbackup with the right priorities
# (received on a /dev/log socket of a private mount namespace).
# Covers src/common/log.c and its use in src/cli/run-job.c and cmd.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/engine-lib.sh"

eng_require
eng_demo "$TMP/demo" 300 30 8
L=$TMP/log/vsbackup.log
mkdir -p "$TMP/log"
cp "$CONF" "$TMP/plain.conf"
echo "log = { file = \"$L\"; };" >> "$CONF"
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \[[0-9]+\]'

eng_backup
is "$RC" 0 "backup with log.file set"
like "$ERR" "vsbackup: backup $ID \\(daily\\) started" "  stderr as before"
ok "$([ -f "$L" ]; echo $?)" "  the log file is created"
is "$(stat -c %a "$L")" 600 "  mode 0600"
like "$(cat "$L")" "^$TS info backup $ID: backup $ID \\(daily\\) started\$" \
    "  a line: time, pid, level, operation, backup id, message"
like "$(cat "$L")" "$TS info backup $ID: backup $ID complete in " "  the completion too"
is "$(grep -vcE "^$TS (error|warning|info|debug) [a-z-]+ ([0-9]{8}_[0-9]{6}|-): " "$L")" 0 \
    "  every line has that form"

n=$(wc -l < "$L")
run -q verify "$ID"
is "$RC:$ERR" "0:" "verify -q: nothing on stderr"
ok "$([ "$(wc -l < "$L")" -ge "$n" ]; echo $?)" "  the file is appended to, not replaced"
n=$(wc -l < "$L")
run --json list
ok "$([ "$(wc -l < "$L")" -ge "$n" ]; echo $?)" "--json: the file still gets the job's lines"

run -q verify 20200101_000000
is "$RC" 1 "a verify that fails"
like "$(cat "$L")" "$TS error verify 20200101_000000: backup 20200101_000000 does not exist" \
    "  its error is in the log, with the backup id"

sed "s|$L|$TMP/no/such/dir/v.log|" "$CONF" > "$TMP/bad.conf"
chmod 600 "$TMP/bad.conf"
OUT=$("$VSBACKUP" -c "$TMP/bad.conf" list 2>"$TMP/err"); RC=$?
is "$RC" 0 "a log file that cannot be opened: the command still runs"
like "$(cat "$TMP/err")" "warning: cannot open the log file $TMP/no/such/dir/v.log \\(log.file in $TMP/bad.conf\\)" \
    "  with a warning naming the file and the key"

# --- syslog -------------------------------------------------------------------------------
# glibc's syslog(3) writes to /dev/log: a private mount namespace gets a
# /dev of its own with a receiving socket there.
if ! unshare --mount --propagation private true 2>/dev/null; then
	for _ in 1 2 3 4; do TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP no private mount namespace (unshare) here"; done
	done_testing
	exit
fi
sed 's|^log = .*|log = { syslog = true; };|' "$CONF" > "$TMP/syslog.conf"
chmod 600 "$TMP/syslog.conf"
cat > "$TMP/syslog.sh" <<'EOF'
set -u
mkdir -p "$TMP/olddev"
mount --bind /dev "$TMP/olddev" || exit 1
mount -t tmpfs none /dev || exit 1
for d in null zero random urandom tty; do
	touch "/dev/$d" && mount --bind "$TMP/olddev/$d" "/dev/$d"
done
"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "ab", buffering=0)
print("ready", flush=True)
while True:
	out.write(s.recv(65536) + b"\n")' "$TMP/syslog.out" > "$TMP/recv.ready" &
rpid=$!
for _ in $(seq 100); do grep -q ready "$TMP/recv.ready" 2>/dev/null && break; sleep 0.05; done
"$VSBACKUP" -c "$TMP/syslog.conf" pin "$ID" >/dev/null 2>&1
"$VSBACKUP" -c "$TMP/syslog.conf" -q verify 20200101_000000 >/dev/null 2>&1
# Until the receiver has written the last line out (at most 10 s).
for _ in $(seq 200); do grep -q 'verify 20200101_000000' "$TMP/syslog.out" 2>/dev/null && break; sleep 0.05; done
kill "$rpid"
EOF
n=$(wc -l < "$L")
TMP=$TMP PY=$PY VSBACKUP=$VSBACKUP ID=$ID unshare --mount --propagation private bash "$TMP/syslog.sh" \
    > "$TMP/syslog.log" 2>&1
ok $? "syslog: a private /dev/log receiver ran" || sed 's/^/#   /' "$TMP/syslog.log"
S=$(cat "$TMP/syslog.out" 2>/dev/null)
like "$S" "^<14>.* vsbackup\\[[0-9]+\\]: pin $ID: pinned $ID in " "  info lines under ident vsbackup, facility user, priority info"
like "$S" "<11>.* vsbackup\\[[0-9]+\\]: verify 20200101_000000: backup 20200101_000000 does not exist" \
    "  errors with priority err"
is "$(wc -l < "$L")" "$n" "  and the log file of the other configuration got nothing"

done_testing
