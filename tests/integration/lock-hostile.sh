#!/bin/bash
# The backup_dir lock against what another local user can plant: a lock
# file that is a link to a victim file, a backup_dir (or a parent of it)
# that others can write, a lock file of another user, and holder details
# with terminal escapes and a year past 9999. vsbackup refuses, says how
# to fix it, leaves the victim alone and prints nothing raw from the file.
# The attacks are planted by an unprivileged user made for the test (as
# root; otherwise those checks are skipped).
# Covers src/engine/lock.c, src/common/termsafe.c, src/common/timeutil.c.
# timeout: 60
. "$(dirname "$0")/../lib/harness.sh"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ID=20240101_000000
esc=$(printf '\033')
bel=$(printf '\007')
# Any command that takes the lock: deleting a backup that is not there.
take_lock() { "$VSBACKUP" -c "$1" delete "$ID" --yes >"$TMP/out" 2>"$TMP/err"; }
conf_for() { write_config "$TMP/$2.conf" "backup_dir=\"$1\""; echo "$TMP/$2.conf"; }
victim() { printf 'precious\n' > "$TMP/victim"; chmod 644 "$TMP/victim"; }
victim_intact() { [ "$(cat "$TMP/victim")" = precious ]; }

# --- a private backup_dir works as before ------------------------------------------
mkdir -m 700 "$TMP/bk"
C=$(conf_for "$TMP/bk" private)
take_lock "$C"
is $? 1 "a private backup_dir: the lock is taken (the missing backup then fails)"
like "$(cat "$TMP/err")" "not found" "  with the backup's own error"
is "$(stat -c '%a %U' "$TMP/bk/.vsbackup.lock")" "600 $(id -un)" "  the lock file is 0600 and ours"
chmod 666 "$TMP/bk/.vsbackup.lock"
take_lock "$C"
is "$(stat -c %a "$TMP/bk/.vsbackup.lock")" 600 "a lock file of ours left 0666 is put back to 0600"

# --- a lock file that is a symbolic link -----------------------------------------------
victim
rm -f "$TMP/bk/.vsbackup.lock"
ln -s "$TMP/victim" "$TMP/bk/.vsbackup.lock"
take_lock "$C"
is $? 2 "a lock file that is a symbolic link is refused (exit 2)"
like "$(cat "$TMP/err")" "symbolic link.*rm $TMP/bk/.vsbackup.lock" "  saying how to fix it"
victim_intact
ok $? "  and the file it names is left alone"
rm -f "$TMP/bk/.vsbackup.lock"
mkfifo "$TMP/bk/.vsbackup.lock"
take_lock "$C"
is $? 2 "a lock file that is a pipe is refused"
rm -f "$TMP/bk/.vsbackup.lock"

# --- holder details with terminal escapes and an impossible date ---------------------
printf 'pid=1\nhost=\033]0;pwned\007evil\033[2J\noperation=backup\033[31m\nstarted=253402300800\n' \
    > "$TMP/bk/.vsbackup.lock"
chmod 600 "$TMP/bk/.vsbackup.lock"
/usr/bin/python3 -c 'import fcntl, sys, time
f = open(sys.argv[1])
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(30)' "$TMP/bk/.vsbackup.lock" &
holder=$!
harness_track "$holder"
for _ in $(seq 50); do
	flock -n "$TMP/bk/.vsbackup.lock" true 2>/dev/null || break
	sleep 0.1
done
take_lock "$C"
is $? 2 "a lock held by another process is refused"
like "$(cat "$TMP/err")" 'locked by another operation: backup\\x1b\[31m \(pid 1 on \\x1b\]0;pwned\\x07evil\\x1b\[2J, since \?\?\?\?-' \
    "  its holder shown with the escapes as text and the year 10000 as unknown"
grep -q -e "$esc" -e "$bel" "$TMP/err"
is $? 1 "  and no escape or bell character reaches the terminal"
"$VSBACKUP" -c "$C" health >"$TMP/out" 2>&1
grep -q -e "$esc" -e "$bel" "$TMP/out"
is $? 1 "health shows the holder without escape characters either"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
rm -f "$TMP/bk/.vsbackup.lock"

# --- what another user can plant -------------------------------------------------------
if ! make_user; then
	skip 13 "planting files as another user needs root (and useradd)"
	done_testing
	exit
fi
T=$USER_TMP

# backup_dir writable by others: the user plants a link to a victim.
mkdir -m 777 "$T/open"
victim
as_user ln -s "$TMP/victim" "$T/open/.vsbackup.lock"
[ -L "$T/open/.vsbackup.lock" ]
ok $? "user $TEST_USER planted the lock file as a link to a victim"
C=$(conf_for "$T/open" open)
take_lock "$C"
is $? 2 "a backup_dir others can write is refused (exit 2)"
like "$(cat "$TMP/err")" "backup_dir $T/open can be written by its group or by others \(mode 0777\).*chmod go-w $T/open" \
    "  saying how to fix it"
victim_intact
ok $? "  and the victim the user's link names is left alone"
chmod 1777 "$T/open"
take_lock "$C"
is $? 2 "  also with the sticky bit"

# backup_dir owned by the user.
mkdir -m 700 "$T/theirs"
chown "$TEST_USER" "$T/theirs"
C=$(conf_for "$T/theirs" theirs)
take_lock "$C"
is $? 2 "a backup_dir that belongs to another user is refused"
like "$(cat "$TMP/err")" "belongs to uid $TEST_UID.*chown $(id -u) $T/theirs" "  saying how to fix it"
is "$(ls -A "$T/theirs")" "" "  and nothing is created in it"

# A lock file of the user's in a private backup_dir (left from a time the
# directory was open to them): not trusted, not held forever.
mkdir -m 700 "$T/bk2"
printf 'pid=999999\nhost=x\noperation=backup\nstarted=0\n' > "$T/bk2/.vsbackup.lock"
chmod 666 "$T/bk2/.vsbackup.lock"
chown "$TEST_USER" "$T/bk2/.vsbackup.lock"
C=$(conf_for "$T/bk2" bk2)
take_lock "$C"
is $? 2 "a lock file that belongs to another user is refused"
like "$(cat "$TMP/err")" "lock file $T/bk2/.vsbackup.lock belongs to uid $TEST_UID.*rm $T/bk2/.vsbackup.lock" \
    "  saying how to fix it"

# A parent of backup_dir that others can write: they could swap backup_dir.
mkdir -m 777 "$T/parent"
mkdir -m 700 "$T/parent/bk"
C=$(conf_for "$T/parent/bk" parent)
take_lock "$C"
is $? 2 "a backup_dir whose parent others can write is refused"
like "$(cat "$TMP/err")" "$T/parent, a parent directory of backup_dir $T/parent/bk.*chmod go-w $T/parent" \
    "  naming the parent and the fix"
mkdir -m 755 "$T/uparent"
chown "$TEST_USER" "$T/uparent"
mkdir -m 700 "$T/uparent/bk"
C=$(conf_for "$T/uparent/bk" uparent)
take_lock "$C"
is $? 2 "a backup_dir whose parent belongs to another user is refused"

done_testing
