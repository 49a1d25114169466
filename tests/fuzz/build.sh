#!/bin/bash
# Build the libFuzzer harnesses of tests/fuzz with clang:
#
#   tests/fuzz/build.sh [BUILDDIR [OUTDIR]]
#
# BUILDDIR is a configured tree (default $VSBACKUP_BUILDDIR, else
# build-check/ in the source tree): its config.h is used, nothing in it
# changes. The harnesses go to OUTDIR (default BUILDDIR/fuzz), one program
# fuzz-NAME per harness; the build is incremental. Prints the directory.
# Exit status 77 when clang or its libFuzzer is missing.
#
# Run one:  OUTDIR/fuzz-rdb tests/fuzz/corpus/rdb        (until a crash)
# or all for a while: tests/fuzz/run.sh; a moment each: the suite
# tests/integration/fuzz-smoke.sh.
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${VSBACKUP_BUILDDIR:-$SRC/build-check}}
BUILD=$(cd "$BUILD" && pwd)
OUT=${2:-$BUILD/fuzz}
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null; then
	echo "build.sh: $CC is not installed (Debian: apt-get install clang)" >&2
	exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
    "$CC" -x c -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
	echo "build.sh: $CC cannot link -fsanitize=fuzzer,address,undefined (no libFuzzer)" >&2
	exit 77
fi
if [ ! -f "$BUILD/config.h" ]; then
	echo "build.sh: $BUILD has no config.h: configure a build there first (scripts/check does)" >&2
	exit 1
fi
mkdir -p "$OUT"
make -s -f "$SRC/tests/fuzz/fuzz.mk" -j"${FUZZ_JOBS:-2}" SRC="$SRC" BUILD="$BUILD" OUT="$OUT" \
    CC="$CC" >&2
echo "$OUT"
