#!/bin/bash
# The release tarball holds what a build and the tests need: every tracked
# source, test, translation and data file ('make distcheck' builds and
# tests from it; this catches a file missing from the Makefiles quickly).
. "$(dirname "$0")/../lib/harness.sh"

SRC=$(cd "$TESTS_DIR/.." && pwd)
[ -f "$VSBACKUP_BUILDDIR/Makefile" ] || skip_all "no configured build tree in $VSBACKUP_BUILDDIR"
command -v git >/dev/null && git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 ||
    skip_all "not a git checkout: nothing to compare the tarball with"

# A copy of the build tree's Makefiles would do, but distdir wants to be
# relative to it: make the tarball there under a name of this test's own.
make -s -C "$VSBACKUP_BUILDDIR" dist-gzip distdir=vsbackup-disttest-$$ >"$TMP/make.log" 2>&1
ok $? "make dist succeeds" || sed 's/^/# /' "$TMP/make.log" | tail -20
mkdir -p "$TMP/x" && tar -xzf "$VSBACKUP_BUILDDIR/vsbackup-disttest-$$.tar.gz" -C "$TMP/x" &&
    mv "$TMP/x/vsbackup-disttest-$$" "$TMP/dist"
ok $? "  and the tarball unpacks"
rm -f "$VSBACKUP_BUILDDIR/vsbackup-disttest-$$.tar.gz"

missing=$(cd "$SRC" && git ls-files src ui tests po data bench scripts .ci configure.ac Makefile.am \
    README ChangeLog HACKING |
    while read -r f; do [ -e "$TMP/dist/$f" ] || echo "$f"; done)
is "$missing" "" "every tracked source, test, translation and data file is in the tarball"
[ -n "$missing" ] && diag "$(echo "$missing" | head -20)"

for f in configure Makefile.in po/Makefile.in.in; do
	[ -f "$TMP/dist/$f" ]
	ok $? "the tarball has $f"
done
done_testing
