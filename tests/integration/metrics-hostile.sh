#!/bin/bash
# The Prometheus textfile directory is often writable by a group (the
# node exporter's): another user planting links there, at the metrics
# file's name and at every temporary name a writer by process id could
# use, cannot make vsbackup (root) write through them. The file written is
# a regular file, 0644, holding the metrics; the files the links name are
# left alone. The user is an unprivileged one made for the test (as root;
# otherwise the test is skipped).
# Covers src/ops/metrics.c (ops_metrics_write) and fs_write_atomic.
# timeout: 60
. "$(dirname "$0")/../lib/harness.sh"

make_user || skip_all "planting files as another user needs root (and useradd)"
T=$USER_TMP
mkdir -m 777 "$T/textfile"
printf 'precious\n' > "$TMP/victim"
printf 'precious too\n' > "$TMP/victim2"
chmod 644 "$TMP/victim" "$TMP/victim2"
write_config "$TMP/vs.conf" "backup_dir=\"$TMP/backups\"" \
    "monitoring.metrics_file=\"$T/textfile/vsbackup.prom\""

as_user ln -s "$TMP/victim" "$T/textfile/vsbackup.prom"
# A temporary name made of the process id is guessable: plant one for
# each of the next 30000 ids.
as_user /usr/bin/python3 -c 'import os, sys
first = int(sys.argv[2])
for pid in range(first, first + 30000):
    try:
        os.symlink(sys.argv[3], "%s/vsbackup.prom.tmp.%d" % (sys.argv[1], pid))
    except FileExistsError:
        pass' "$T/textfile" "$BASHPID" "$TMP/victim2"
n=$(find "$T/textfile" -type l | wc -l)
[ "$n" -gt 30000 ]
ok $? "user $TEST_USER planted $n links in the textfile directory"

"$VSBACKUP" -c "$TMP/vs.conf" metrics >"$TMP/out" 2>"$TMP/err"
ok $? "vsbackup metrics succeeds" || sed 's/^/# /' "$TMP/err"
is "$(cat "$TMP/victim")" precious "the file the link at the metrics file's name named is left alone"
is "$(cat "$TMP/victim2")" "precious too" "the file the temporary names' links named is left alone"
is "$(stat -c '%F %a %U' "$T/textfile/vsbackup.prom")" "regular file 644 root" \
    "the metrics file is a regular file, 0644, root's"
grep -q '^vsbackup_metrics_timestamp_seconds ' "$T/textfile/vsbackup.prom"
ok $? "  holding the metrics"
is "$(find "$T/textfile" -maxdepth 1 -type f | wc -l)" 1 "no temporary file is left"

done_testing
