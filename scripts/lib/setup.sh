# Shared by scripts/check and scripts/demo: install what is missing, then
# configure and build, each step quiet with its output in a log file that is
# printed when the step fails. Source it; it sets SRCDIR.

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages: to build, to run, and to test.
VS_PKGS_BUILD="build-essential autoconf automake libtool pkg-config gettext
	autopoint libncurses-dev libhiredis-dev libcurl4-openssl-dev libssl-dev
	libcjson-dev libconfig-dev libfaiss-dev libopenblas-dev libexpat1-dev libzstd-dev"
VS_PKGS_RUN="redis-server redis-tools"
# The tests also need: tmux (TUI tests), awscli and s3rver on Node.js (S3),
# python3-faiss and numpy (index files made the way the service makes them),
# prometheus (promtool checks the metrics file), curl, tzdata and procps.
VS_PKGS_TEST="tmux awscli python3-faiss python3-numpy nodejs npm prometheus groff-base
	curl ca-certificates tzdata procps"

VS_LOGDIR=

# vs_note TEXT: one line of progress.
vs_note() { printf '==> %s\n' "$*"; }

# vs_fail LOG TEXT: say what failed, show the end of its log, and exit.
vs_fail() {
	local log=$1; shift
	echo "FAILED: $*"
	if [ -s "$log" ]; then
		echo "--- last 60 lines of $log:"
		tail -n 60 "$log"
		echo "---"
	fi
	exit 1
}

# vs_step LOGNAME TEXT CMD...: run CMD with its output in the log.
vs_step() {
	local log=$VS_LOGDIR/$1.log text=$2
	shift 2
	vs_note "$text"
	"$@" > "$log" 2>&1 < /dev/null || vs_fail "$log" "$text (log: $log)"
}

# A package counts as present when dpkg says it is installed. Node.js and
# npm count as present when the commands work: a Node.js from another
# source (NodeSource ships npm inside its nodejs) must not be replaced.
vs_missing_packages() {
	local p missing=
	for p in "$@"; do
		case $p in
		nodejs) command -v node >/dev/null 2>&1 && continue ;;
		npm) command -v npm >/dev/null 2>&1 && continue ;;
		esac
		if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
			missing="$missing $p"
		fi
	done
	echo "$missing"
}

# vs_install PKG...: apt-get install the ones that are missing, as root or
# through sudo.
vs_install() {
	local missing sudo=
	if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
		vs_note "not a Debian system: not installing packages; the build says what is missing"
		return 0
	fi
	missing=$(vs_missing_packages "$@")
	[ -z "${missing// /}" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "FAILED: these packages are missing and installing them needs root (no sudo here):"
			echo "   $missing"
			echo "Run as root: apt-get install$missing"
			exit 1
		fi
		sudo="sudo"
		# Ask for the password now, on the terminal, not inside a step
		# whose output goes to a log.
		if [ -t 0 ]; then
			sudo -v || exit 1
		elif ! sudo -n true 2>/dev/null; then
			echo "FAILED: these packages are missing and sudo needs a password (no terminal here):"
			echo "   $missing"
			exit 1
		fi
	fi
	vs_step apt-update "apt-get update" $sudo env DEBIAN_FRONTEND=noninteractive \
	    apt-get update
	vs_step apt-install "installing:$missing" $sudo env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y --no-install-recommends $missing
}

# npm ci in tests/ when node_modules is missing or was installed from another
# package-lock.json (a stamp records the lock file's hash).
vs_npm_ci() {
	local lock=$SRCDIR/tests/package-lock.json stamp=$SRCDIR/tests/node_modules/.vsbackup-lock
	local sum
	[ -f "$lock" ] || return 0
	sum=$(sha256sum < "$lock" | cut -d' ' -f1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] &&
	    [ -f "$SRCDIR/tests/node_modules/s3rver/bin/s3rver.js" ]; then
		return 0
	fi
	vs_step npm-ci "npm ci in tests/ (s3rver)" sh -c \
	    'cd "$1/tests" && npm ci --no-audit --no-fund --loglevel=error' sh "$SRCDIR"
	echo "$sum" > "$stamp"
}

vs_autoreconf() {
	vs_step autoreconf "autoreconf -fi" sh -c 'cd "$1" && autoreconf -fi' sh "$SRCDIR"
}

# vs_configure BUILDDIR ARGS...: configure in BUILDDIR.
vs_configure() {
	local dir=$1; shift
	mkdir -p "$dir"
	vs_step configure "configure $* (in ${dir#"$SRCDIR"/})" \
	    sh -c 'cd "$1" && shift && "$0" "$@"' "$SRCDIR/configure" "$dir" "$@"
}

# vs_make LOGNAME BUILDDIR [TARGET...]
vs_make() {
	local log=$1 dir=$2 text
	shift 2
	text="make -j$(nproc)"
	[ $# -gt 0 ] && text="$text $*"
	vs_step "$log" "$text" make -C "$dir" -j"$(nproc)" "$@"
}

# The check_PROGRAMS of a configured tree, asked of make itself.
vs_check_programs() {
	make -s --no-print-directory -C "$1" -o Makefile -f Makefile -f - \
	    vs-print-check-programs <<'EOF'
vs-print-check-programs:
	@echo $(check_PROGRAMS)
EOF
}
