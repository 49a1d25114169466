#!/bin/bash
# Removing a directory tree in a directory another user can write (as the
# index directory and Redis's data directory are): that user swaps a
# directory of the tree for a symbolic link to a victim directory the
# moment the removal starts deleting in it. The removal deletes the tree
# and the link, never the victim's files. Also: links inside the tree are
# removed as links, a missing path is not an error, "." and ".." are
# refused. The attack is planted by an unprivileged user made for the test
# (as root; otherwise that part is skipped).
# Covers src/common/fs-remove.c.
# timeout: 60
. "$(dirname "$0")/../lib/harness.sh"

FSP=$VSBACKUP_BUILDDIR/tests/unit/fs-probe
[ -x "$FSP" ] || skip_all "fs-probe is not built (make check builds it)"
nfiles=3000
files() { (cd "$1" && seq -f "f%05g" 1 "$nfiles" | xargs touch); }
count() { find "$1" -type f | wc -l; }

# --- the plain cases --------------------------------------------------------
mkdir -p "$TMP/t/a/b" "$TMP/keep"
echo x > "$TMP/t/a/b/file"
echo y > "$TMP/keep/precious"
ln -s "$TMP/keep" "$TMP/t/a/dirlink"
ln -s "$TMP/keep/precious" "$TMP/t/filelink"
"$FSP" remove "$TMP/t" 2>"$TMP/err"
ok $? "a tree with files, directories and links is removed" || sed 's/^/# /' "$TMP/err"
[ ! -e "$TMP/t" ] && [ ! -L "$TMP/t" ]
ok $? "  nothing of it is left"
[ -f "$TMP/keep/precious" ]
ok $? "  and what its links named is left alone"
ln -s "$TMP/keep" "$TMP/toplink"
"$FSP" remove "$TMP/toplink/" && [ ! -L "$TMP/toplink" ] && [ -f "$TMP/keep/precious" ]
ok $? "a link given as the tree is removed as a link (also with a trailing slash)"
"$FSP" remove "$TMP/missing"
ok $? "a missing path is not an error"
"$FSP" remove "$TMP/keep/.." 2>"$TMP/err"
is $? 1 "\"..\" as the last name is refused"
[ -f "$TMP/keep/precious" ]
ok $? "  and removes nothing"

# --- a directory swapped for a link while the removal runs --------------------
if ! make_user; then
	skip 5 "planting files as another user needs root (and useradd)"
	done_testing
	exit
fi
W=$USER_TMP/shared
mkdir -m 1777 "$W"
mkdir "$TMP/victim"
files "$TMP/victim"
as_user mkdir -p "$W/tree/sub"
as_user bash -c "cd '$W/tree/sub' && seq -f 'f%05g' 1 $nfiles | xargs touch"
is "$(count "$W/tree")" "$nfiles" "user $TEST_USER made a tree of $nfiles files in a directory it can write"
rm -f "$TMP/attack.out"
as_user "$FSP" swap-on-delete "$W/tree/sub" "$TMP/victim" > "$TMP/attack.out" 2>&1 &
attacker=$!
harness_track "$attacker"
for _ in $(seq 100); do
	grep -q ready "$TMP/attack.out" && break
	sleep 0.05
done
"$FSP" remove "$W/tree" 2>"$TMP/err"
st=$?
wait "$attacker"
grep -q swapped "$TMP/attack.out"
ok $? "the user swapped the directory for a link to a victim directory while it was removed" ||
    sed 's/^/# /' "$TMP/attack.out"
is "$(count "$TMP/victim")" "$nfiles" "  every file of the victim directory is still there"
[ ! -e "$W/tree" ]
ok $? "  the tree itself is gone (status $st)" || sed 's/^/# /' "$TMP/err"
[ ! -e "$W/tree/sub" ] && [ ! -L "$W/tree/sub" ]
ok $? "  the link too"

done_testing
