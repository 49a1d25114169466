#!/bin/bash
# The libFuzzer harnesses of tests/fuzz, a moment each: built with clang
# (-fsanitize=fuzzer,address,undefined), each replays its committed seed
# corpus (tests/fuzz/corpus/NAME: real files, made by tests/fuzz/seed.sh,
# and every input that once crashed a parser), then fuzzes for a second
# from it with a fixed seed. A crash, leak, undefined behaviour, hang or an
# allocation past 1 GiB fails the harness and shows libFuzzer's report.
# Skipped when clang or its libFuzzer is missing. Longer runs:
# tests/fuzz/run.sh.
# Covers tests/fuzz/*, and through them the parsers: src/redis/rdb-reader.c,
# src/faiss/faiss-header.c, src/manifest/*.c, src/ops/state.c,
# src/jobs/journal.c, src/engine/lock.c, src/storage/s3/s3-xml.c,
# src/config/conf.c, src/drill/doc.c, src/repo/ (objects).
# timeout: 240
. "$(dirname "$0")/../lib/harness.sh"

SRC=$(cd "$TESTS_DIR/.." && pwd)
[ -f "$VSBACKUP_BUILDDIR/config.h" ] || skip_all "no configured build tree in $VSBACKUP_BUILDDIR"
FUZZ=$("$SRC/tests/fuzz/build.sh" "$VSBACKUP_BUILDDIR" 2>"$TMP/build.log")
rc=$?
[ "$rc" = 77 ] && skip_all "$(tail -1 "$TMP/build.log")"
ok "$rc" "the harnesses build with clang" || { sed 's/^/#   /' "$TMP/build.log" | tail -30; done_testing; exit 1; }

mapfile -t names < <(cd "$SRC/tests/fuzz" && ls fuzz-*.c | sed 's/^fuzz-//; s/\.c$//; /^util$/d')
# libFuzzer's own sanitizer settings, not the harness's for vsbackup.
unset ASAN_OPTIONS
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
limits=(-rss_limit_mb=1024 -timeout=10 -artifact_prefix="$TMP/" -print_final_stats=1)
for n in "${names[@]}"; do
	seeds=$SRC/tests/fuzz/corpus/$n
	nseeds=$(ls "$seeds" 2>/dev/null | wc -l)
	ok "$([ "$nseeds" -gt 0 ]; echo $?)" "$n: a seed corpus ($nseeds inputs)"
	"$FUZZ/fuzz-$n" -runs=0 "${limits[@]}" "$seeds" >"$TMP/$n.replay" 2>&1
	ok $? "$n: every seed is parsed cleanly" || tail -30 "$TMP/$n.replay" | sed 's/^/#   /'
	mkdir -p "$TMP/new-$n"
	"$FUZZ/fuzz-$n" -max_total_time=1 -seed=1 "${limits[@]}" "$TMP/new-$n" "$seeds" \
	    >"$TMP/$n.fuzz" 2>&1
	ok $? "$n: a second of fuzzing finds nothing" || tail -30 "$TMP/$n.fuzz" | sed 's/^/#   /'
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$n.fuzz")
	diag "$n: ${runs:-?} inputs tried"
done

# The harnesses do see a bad input: a parser that crashed is reported.
cat > "$TMP/fuzz-canary.c" <<'C'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	int a[4] = { 0 };
	return n > 0 && d[0] == 'X' ? a[n + 4] : 0;
}
C
clang -fsanitize=fuzzer,address,undefined -g -o "$TMP/fuzz-canary" "$TMP/fuzz-canary.c" 2>"$TMP/canary.log"
mkdir -p "$TMP/canary"
printf 'Xabc' > "$TMP/canary/seed"
"$TMP/fuzz-canary" -runs=0 -artifact_prefix="$TMP/" "$TMP/canary" >"$TMP/canary.out" 2>&1
canary=$?
ok "$([ "$canary" -ne 0 ] && grep -Eq 'AddressSanitizer|runtime error' "$TMP/canary.out"; echo $?)" \
    "a seed that overflows a buffer fails the replay (exit $canary)"
done_testing
