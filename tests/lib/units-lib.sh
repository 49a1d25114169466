# The tests of the systemd units in data/ (schedule-units, drill-units).
# Source it after harness.sh:
#   . "$(dirname "$0")/../lib/units-lib.sh"
# It provides:
#   SRC                  the source tree
#   units_install NAME   data/NAME.service and data/NAME.timer installed in
#                        U ($TMP/units) as data/local.am does it, @bindir@
#                        being the build directory (so the ExecStart programs
#                        exist); checks that no @placeholder@ is left
#   unit_values FILE KEY the values of KEY= in a unit file, one a line
#   skip DESC REASON     count one check, DESC, as skipped for REASON

SRC=$TESTS_DIR/..
U=$TMP/units

units_install() {
	mkdir -p "$U"
	sed -e "s|@bindir[@]|$VSBACKUP_BUILDDIR|g" "$SRC/data/$1.service" > "$U/$1.service"
	cp "$SRC/data/$1.timer" "$U/$1.timer"
	is "$(grep -c '@[a-z_]*@' "$U/$1.service")" 0 "the installed service has no @placeholder@ left"
}

unit_values() { sed -n "s/^$2=//p" "$1"; }

skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
