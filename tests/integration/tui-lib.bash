# Helpers shared by the tests/integration/tui-*.sh scripts (sourced after
# the harness; not a suite itself).
#
#   tui_require [s3]     skip the test without tmux or redis-server (with s3,
#                        also without s3rver)
#   tui_demo [VECTORS [USERS [DIM]]]  (after tui_require) build a demo
#                        sandbox (vsbackup demo --no-tui; default 2000
#                        vectors, 200 users, dim 32) in /tmp/vstui.XXXXXX/demo
#                        (a path of fixed length, so that screens do not
#                        depend on TMPDIR) and set DEMO, CONF and SOCK; its
#                        server is stopped when the test exits
#   vsb ARGS             vsbackup -c $CONF ARGS
#   tui_s3               start s3rver and add its bucket to CONF (s3 = {...})
#   tui_backup [ARGS]    vsbackup -q backup ARGS on CONF, its errors as TAP
#                        comments; TUI_ID is then the newest backup's id
#   tui_format2          switch the demo's configuration to the repository
#                        (format 2) for the backups that follow
#   tui_start W H [ENV=VALUE...]  run the TUI on CONF in a WxH tmux pane
#                        under a shell that records the terminal settings
#                        before and after (TMP/stty.before, TMP/stty.after)
#   tui_mask             filter: hide what changes from run to run (clock
#                        times in the log, free disk space, durations,
#                        the temporary directory; with TUI_MASK_IDS=1 also
#                        backup ids and dates, for runs on the real clock;
#                        with TUI_MASK_BYTES=1 also the digits of sizes and
#                        ratios, which vary with the chunks a repository
#                        cuts)
#   tui_golden NAME DESC compare the masked screen with tests/golden/tui/
#                        NAME.txt; VSBACKUP_UPDATE_GOLDEN=1 rewrites it
#
# The golden screens are taken with the clock fixed (VSBACKUP_NOW, TZ=UTC)
# on backups made at fixed times, so ids, dates, ages and retention are the
# same on every run and stay unmasked: a column that moves, a rule that is
# too long or a pane that disappears changes the text and fails the test.

GOLDEN_DIR=$TESTS_DIR/golden/tui

# A sanitizer report of the TUI would go to its pane, which the full-screen
# front end has taken over: it goes to files instead, printed as TAP
# comments when the test ends.
TUI_ASAN_LOG=$TMP/tui-asan
tui_sanitizer_reports() {
	local f
	for f in "$TUI_ASAN_LOG".*; do
		[ -f "$f" ] || continue
		echo "# sanitizer report of the TUI ($f):"
		sed 's/^/#   /' "$f"
	done
	return 0
}
harness_at_exit tui_sanitizer_reports

tui_require() {
	command -v tmux >/dev/null || skip_all "tmux is not installed"
	command -v redis-server >/dev/null || skip_all "redis-server is not installed"
	if [ "${1:-}" = s3 ]; then
		[ -f "$S3RVER_JS" ] || skip_all "s3rver is not installed (npm ci in tests/)"
	fi
	return 0
}

vsb() { "$VSBACKUP" -c "$CONF" "$@"; }

tui_demo() {
	# A path of fixed length whatever TMPDIR is: the screens show it.
	TUI_DIR=$(mktemp -d /tmp/vstui.XXXXXX) || return 1
	DEMO=$TUI_DIR/demo
	CONF=$DEMO/vsbackup.conf
	SOCK=$DEMO/redis.sock
	# In this order: the server goes before its directory.
	harness_at_exit "redis-cli -s '$SOCK' shutdown nosave >/dev/null 2>&1"
	harness_at_exit "rm -rf '$TUI_DIR'"
	"$VSBACKUP" demo --no-tui --dir "$DEMO" --vectors "${1:-2000}" --users "${2:-200}" \
	    --dim "${3:-32}" \
	    >"$TMP/demo.out" 2>&1 || { sed 's/^/# /' "$TMP/demo.out"; return 1; }
	printf 'repository = { format = 1; };\n' >> "$DEMO/vsbackup.conf"
	local pid
	pid=$(cat "$DEMO/redis/redis.pid" 2>/dev/null)
	[ -n "$pid" ] && harness_track_detached "$pid"
	return 0
}

tui_s3() {
	start_s3rver || bail_out "s3rver did not start"
	cat >> "$CONF" <<CONF

s3 = {
  bucket = "$S3_BUCKET";
  endpoint = "$S3_ENDPOINT";
  region = "$AWS_REGION";
  path_style = true;
  sse = "none";
  access_key_id = "$AWS_ACCESS_KEY_ID";
  secret_access_key = "$AWS_SECRET_ACCESS_KEY";
};
CONF
}

tui_backup() {
	"$VSBACKUP" -q -c "$CONF" backup "$@" >/dev/null 2>"$TMP/err" || sed 's/^/# /' "$TMP/err"
	TUI_ID=$(ls "$DEMO/backups" | grep -E '^[0-9]{8}_[0-9]{6}$' | tail -1)
}

tui_format2() {
	sed -i 's|^repository = { format = 1; };|repository = { format = 2; };|' "$CONF"
}

tui_start() {
	local w=$1 h=$2
	shift 2
	rm -f "$TMP/stty.before" "$TMP/stty.after"
	tmux_start "$w" "$h" env LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$TUI_ASAN_LOG" "$@" \
	    bash -c 'stty -g > "$1/stty.before"; "$2" -c "$3" tui; rc=$?; stty -g > "$1/stty.after"; exit $rc' \
	    tui "$TMP" "$VSBACKUP" "$CONF"
}

tui_mask() {
	perl -CSD -pe '
		if ($ENV{TUI_MASK_IDS}) {
			s/\b\d{8}_\d{6}\b/YYYYMMDD_hhmmss/g;
			s/\b\d{4}-\d\d-\d\d \d\d:\d\d\b/YYYY-MM-DD hh:mm/g;
		}
		s/^ \d\d:\d\d:\d\d / hh:mm:ss /;
		# The free space first: its digits move what follows, and a
		# path cut off at the edge then ends elsewhere.
		s/\b(Free )[\d.]+ (?:B|KiB|MiB|GiB|TiB)/$1~~~/g;
		s/vstui\.\w{6}/vstui.XXXXXX/g;
		s/vstui\.\w{1,5}\x{2026}/vstui.XXXXXX\x{2026}/g;
		s/vstui\.\w{1,5}~/vstui.XXXXXX~/g;
		s/(written by vsbackup )\d+\.\d+\.\d+/$1x.y.z/g;
		# A restore drill measures its recovery time.
		s/\b(RTO )[\d.]+ s\b/$1~/g;
		s/\b(sha256 )[0-9a-f]{64}\b/$1 . ("h" x 64)/ge;
		s/\b[\d.]+ (?:B|KiB|MiB|GiB|TiB) free\b/~ free/g;
		s/ *\b\d+[smhd](?: \d+[smhd])?\b/~/g;
		# Digits of sizes and ratios, keeping their width ("##.# XiB").
		if ($ENV{TUI_MASK_BYTES}) {
			s{\b(\d+(?:\.\d)?) (B|KiB|MiB|GiB|TiB)\b}{(my $n = $1) =~ tr/0-9/#/; "$n " . ($2 eq "B" ? "B" : "XiB")}ge;
			s{\b(\d+\.\d)x\b}{(my $n = $1) =~ tr/0-9/#/; "${n}x"}ge;
		}
		s/[ \t]+$//;
	'
}

tui_golden() {
	local name=$1 desc=$2 file=$GOLDEN_DIR/$1.txt got
	got=$(tmux_capture | tui_mask)
	if [ "${VSBACKUP_UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$GOLDEN_DIR"
		printf '%s\n' "$got" > "$file"
		ok 0 "$desc (golden $name.txt rewritten)"
		return 0
	fi
	if [ ! -f "$file" ]; then
		ok 1 "$desc: no golden file $file (run with VSBACKUP_UPDATE_GOLDEN=1)"
		printf '%s\n' "$got" | sed 's/^/#   |/'
		return 1
	fi
	if printf '%s\n' "$got" | diff -u "$file" - > "$TMP/golden.diff"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		sed 's/^/#   /' "$TMP/golden.diff"
		return 1
	fi
}

# tui_wait_stable: wait until two captures 0.3 s apart are equal (spinners
# stopped, jobs reported), at most SECONDS (default 10).
tui_wait_stable() {
	local secs=${1:-10} end a b
	end=$((SECONDS + secs))
	a=$(tmux_capture)
	while [ "$SECONDS" -lt "$end" ]; do
		sleep 0.3
		b=$(tmux_capture)
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	return 1
}

# tui_wait_gone REGEX [SECONDS]: wait until the screen no longer matches the
# extended REGEX, at most SECONDS (default 10); 1 when it still does.
tui_wait_gone() {
	local end=$((SECONDS + ${2:-10}))
	while tmux_capture | grep -Eq -- "$1"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
	return 0
}

# tui_fixture: backups made with the clock fixed, for the golden screens:
#   20240201_020000 monthly    20240206_020000 daily (expired by the 15th)
#   20240212_020000 weekly     20240214_020000 daily (verified, deep, drilled)
#   20240215_020000 daily      20240215_090000 manual (pinned)
# The TUI then runs at TUI_NOW.
TUI_NOW=2024-02-15T12:00:00Z
tui_fixture() {
	local t
	for t in 2024-02-01T02:00:00Z 2024-02-06T02:00:00Z 2024-02-12T02:00:00Z \
	    2024-02-14T02:00:00Z 2024-02-15T02:00:00Z; do
		VSBACKUP_NOW=$t "$VSBACKUP" -q -c "$CONF" backup >>"$TMP/fixture.log" 2>&1 || return 1
	done
	VSBACKUP_NOW=2024-02-15T09:00:00Z "$VSBACKUP" -q -c "$CONF" backup --type manual \
	    >>"$TMP/fixture.log" 2>&1 || return 1
	VSBACKUP_NOW=2024-02-15T10:00:00Z "$VSBACKUP" -q -c "$CONF" verify --deep 20240214_020000 \
	    >>"$TMP/fixture.log" 2>&1 || return 1
	VSBACKUP_NOW=2024-02-15T10:30:00Z "$VSBACKUP" -q -c "$CONF" drill 20240214_020000 \
	    >>"$TMP/fixture.log" 2>&1 || return 1
	"$VSBACKUP" -q -c "$CONF" pin 20240215_090000 >>"$TMP/fixture.log" 2>&1 || return 1
}
