# The tests of src/redis through tests/unit/redis-probe (redis-conn,
# redis-restart, redis-snapshot, redis-sync). Source it after harness.sh:
#   . "$(dirname "$0")/../lib/redis-probe-lib.sh"
# It skips the test when redis-probe is not built or redis-server is not
# installed, and provides:
#   PROBE          the redis-probe binary
#   probe ARGS     run it; stdout and stderr together in OUT
#   field NAME     the value of the first NAME=VALUE line of OUT

PROBE=$VSBACKUP_BUILDDIR/tests/unit/redis-probe
[ -x "$PROBE" ] || skip_all "redis-probe not built"
command -v redis-server >/dev/null || skip_all "redis-server not installed"

probe() { OUT=$("$PROBE" "$@" 2>&1); }
field() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | head -1; }
