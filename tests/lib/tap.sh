# TAP helpers for the integration tests (bash). Source it, call ok/is/...,
# finish with done_testing.
TAP_N=0
TAP_FAILED=0

# ok COND-STATUS DESCRIPTION: pass when the status is 0
ok() {
	local status=$1; shift
	TAP_N=$((TAP_N + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		echo "not ok $TAP_N - $*"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	return "$status"
}

# is GOT WANT DESCRIPTION
is() {
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$@"
	else
		ok 1 "$@"
		echo "#   got:  '$got'"
		echo "#   want: '$want'"
		return 1
	fi
}

# like TEXT REGEX DESCRIPTION
like() {
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 0 "$@"
	else
		ok 1 "$@"
		echo "#   '$got'"
		echo "#   does not match /$re/"
		return 1
	fi
}

# unlike TEXT REGEX DESCRIPTION: pass when TEXT does not match
unlike() {
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 1 "$@"
		echo "#   '$got'"
		echo "#   matches /$re/"
		return 1
	fi
	ok 0 "$@"
}

# skip N REASON: count the next N checks as skipped
skip() {
	local n=$1 i; shift
	for ((i = 0; i < n; i++)); do
		TAP_N=$((TAP_N + 1))
		echo "ok $TAP_N # SKIP $*"
	done
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

diag() { echo "# $*"; }

# bail_out REASON: stop the whole test; tests/run counts it as a failure
bail_out() {
	echo "Bail out! $*"
	exit 1
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
