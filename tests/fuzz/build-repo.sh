#!/bin/bash
# Build the repository's libFuzzer harnesses with clang against the
# project's sources (a configured build directory provides config.h):
#
#   tests/fuzz/build-repo.sh [BUILDDIR] [OUTDIR]
#
# then run e.g. OUTDIR/fuzz-repo-objects -max_total_time=60.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-check}
OUT=${2:-$BUILD/fuzz}
mkdir -p "$OUT"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -I$BUILD -I$SRC/src -I$SRC"
srcs="src/repo/blob.c src/repo/crypto.c src/repo/index.c src/repo/repo.c src/repo/pack.c
	src/repo/fetch.c src/repo/recipe.c src/repo/view.c src/repo/lock.c src/repo/chunker.c
	src/manifest/manifest.c src/common/error.c src/common/xmalloc.c src/common/timeutil.c
	src/common/btype.c src/common/fsutil.c src/common/i18n.c src/common/log.c
	src/common/format.c src/filter/filter.c src/filter/filter-basic.c"
objs=
for s in $srcs; do
	o=$OUT/$(echo "$s" | tr / _).o
	clang $CFLAGS -fsanitize=fuzzer-no-link -c "$SRC/$s" -o "$o"
	objs="$objs $o"
done
# The storage layer is linked from the project's library only for the
# symbols the objects above name; the harness never reaches storage.
clang $CFLAGS "$SRC/tests/fuzz/fuzz-repo-objects.c" $objs -o "$OUT/fuzz-repo-objects" \
    -Wl,--unresolved-symbols=ignore-all \
    $(pkg-config --libs libcrypto libzstd libcjson) -lpthread
echo "$OUT/fuzz-repo-objects"
