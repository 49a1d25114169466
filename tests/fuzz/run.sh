#!/bin/bash
# Fuzz for a while: build the harnesses (tests/fuzz/build.sh) and run each
# named one (default: all) for SECONDS (default 60) on its seed corpus.
#
#   tests/fuzz/run.sh [-t SECONDS] [NAME...]
#
# NAME is a harness (rdb, faiss-header, manifest, journal, lock, s3-xml,
# config, drill-doc, repo-objects). New inputs go to BUILD/fuzz/corpus-NAME
# (kept between runs); a crash, leak, undefined behaviour, hang or large
# allocation leaves its input in BUILD/fuzz/ (crash-*, leak-*, timeout-*,
# oom-*) and makes the exit status 1. Such an input, once fixed, belongs
# in tests/fuzz/corpus/NAME/ with a test of the fix. Exit 77 when clang or
# libFuzzer is missing. The suite tests/integration/fuzz-smoke.sh runs every
# harness for a moment only.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
secs=60
while [ $# -gt 0 ]; do
	case $1 in
	-t) secs=${2:?-t needs seconds}; shift 2 ;;
	-h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
OUT=$("$SRC/tests/fuzz/build.sh") || exit $?
names=("$@")
[ ${#names[@]} -gt 0 ] ||
    mapfile -t names < <(cd "$SRC/tests/fuzz" && ls fuzz-*.c | sed 's/^fuzz-//; s/\.c$//; /^util$/d')
status=0
for n in "${names[@]}"; do
	[ -x "$OUT/fuzz-$n" ] || { echo "run.sh: no harness $n" >&2; status=1; continue; }
	mkdir -p "$OUT/corpus-$n"
	echo "== $n: $secs s"
	if ! nice "$OUT/fuzz-$n" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$OUT/" -rss_limit_mb=2048 \
	    "$OUT/corpus-$n" "$SRC/tests/fuzz/corpus/$n" 2>"$OUT/$n.log"; then
		tail -40 "$OUT/$n.log"
		echo "== $n: FAILED (log $OUT/$n.log)"
		status=1
	else
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done [0-9]+ runs' "$OUT/$n.log"
	fi
done
exit $status
