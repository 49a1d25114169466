#!/bin/bash
# The manual pages agree with the program: every command in 'vsbackup
# --help' has a section in vsbackup.1 naming every option its own --help
# shows; the global and common options are in OPTIONS; every JSON field a
# command prints (src/cli) is in JSON OUTPUT; every key of the
# configuration table (src/config/conf.c) is in vsbackup.conf.5 and every
# key documented there exists; both pages render without a warning.
# Covers data/vsbackup.1 and data/vsbackup.conf.5.
. "$(dirname "$0")/../lib/harness.sh"

SRC=${VSBACKUP_SRCDIR:-$TESTS_DIR/..}
MAN1=$SRC/data/vsbackup.1
MAN5=$SRC/data/vsbackup.conf.5
[ -x "$VSBACKUP" ] || bail_out "$VSBACKUP is not built"

# The roff source as text: no font changes, plain hyphens and quotes.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(dq/"/g' -e 's/\\(aq/'"'"'/g' \
	    -e 's/\\&//g' -e 's/\\c$//' "$1"
}
plain "$MAN1" > "$TMP/man1"
plain "$MAN5" > "$TMP/man5"
# section FILE HEADING: the lines of one .SH section
section() { awk -v h="$2" '/^\.SH /{ on = (substr($0, 5) == h || substr($0, 5) == "\"" h "\"") ; next } on' "$1"; }
# subsection NAME: the lines of ".SS NAME" in vsbackup.1, up to the next .SS or .SH
subsection() { awk -v c="$1" '/^\.S[SH] /{ on = ($1 == ".SS" && ($2 == c || $2 == "\"" c "\"")); next } on' "$TMP/man1"; }
# has TEXT WORD: WORD appears in TEXT, not as part of a longer option or name
has() { printf '%s\n' "$1" | grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)"; }
# options OUTPUT: the options (-x, --long-name) named in a help text
options() {
	printf '%s\n' "$1" | grep -oE -- '(^|[][ (|,/])--?[A-Za-z][A-Za-z-]*' |
	    sed -E 's/^[][ (|,/]//' | sort -u
}

# --- commands and their options -------------------------------------------------------
help=$("$VSBACKUP" --help)
cmds=$(printf '%s\n' "$help" | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
ok "$([ "$(echo $cmds | wc -w)" -ge 10 ]; echo $?)" "vsbackup --help lists the commands ($(echo $cmds))"
common=$(options "$("$VSBACKUP" list --help | grep '^Common options:')")
opts_section=$(section "$TMP/man1" OPTIONS)
missing=
for o in $(options "$(printf '%s\n' "$help" | sed -n '/^Options:/,/^$/p')") $common; do
	has "$opts_section" "$o" || missing="$missing $o"
done
is "$missing" "" "OPTIONS in vsbackup.1 names every global and common option"

for c in $cmds; do
	sec=$(subsection "$c")
	if ! ok "$([ -n "$sec" ]; echo $?)" "vsbackup.1 has a section for '$c'"; then
		continue
	fi
	chelp=$("$VSBACKUP" "$c" --help | grep -v '^Common options:')
	missing=
	for o in $(options "$chelp"); do
		has "$common" "$o" && continue
		has "$sec" "$o" || missing="$missing $o"
	done
	is "$missing" "" "  it names every option of 'vsbackup $c --help'"
	summary=$(printf '%s\n' "$chelp" | sed -n 2p)
	ok "$([ -n "$summary" ]; echo $?)" "  ('$c': $summary)"
done
ss=$(awk '/^\.SS /{ gsub(/"/, "", $2); print $2 }' "$TMP/man1" | sort)
extra=
for s in $ss; do
	has "$(echo $cmds) tui" "$s" || extra="$extra $s"
done
is "$extra" "" "every command section of vsbackup.1 is a command there is"

# --- exit codes and JSON fields ---------------------------------------------------------
exits=$(section "$TMP/man1" "EXIT STATUS")
for n in 0 1 2 3; do
	printf '%s\n' "$exits" | grep -qx "\.B $n"
	ok $? "EXIT STATUS explains $n"
done
json=$(section "$TMP/man1" "JSON OUTPUT")
fields=$(cd "$SRC" && grep -ohE 'cJSON_Add[A-Za-z]*ToObject\([a-z]+, "[a-z_]+"' src/cli/*.c |
    sed -E 's/.*"([a-z_]+)"$/\1/' | sort -u)
ok "$([ "$(echo $fields | wc -w)" -ge 20 ]; echo $?)" "the commands print JSON fields ($(echo $fields | wc -w))"
missing=
for f in $fields; do
	has "$json" "$f" || missing="$missing $f"
done
is "$missing" "" "JSON OUTPUT in vsbackup.1 names every field the commands print"
for c in list show verify backup restore health cleanup; do
	printf '%s\n' "$json" | grep -qE "^\\.B[R]? \"?$c -?-json"
	ok $? "JSON OUTPUT has an entry for '$c --json'"
done

# --- configuration keys -----------------------------------------------------------------
keys=$(cd "$SRC" && {
	grep -oE '\b(STR|SECRET|CHOICE|INT|INT64|BOOL|STRLIST)\((NULL|"[a-z_0-9]+"), "[a-z_0-9]+"' src/config/conf.c |
	    sed -E 's/^[A-Z0-9]+\(NULL, "([a-z_0-9]+)"/\1/; s/^[A-Z0-9]+\("([a-z_0-9]+)", "([a-z_0-9]+)"/\1.\2/'
	grep -oE '\{ "[a-z_0-9]+", "[a-z_0-9]+", CFG_STRLIST' src/config/conf.c |
	    sed -E 's/^\{ "([a-z_0-9]+)", "([a-z_0-9]+)".*/\1.\2/'
	rkeys=$(grep -oE 'INT\(g, "[a-z_]+"' src/config/conf.c | cut -d'"' -f2)
	for g in $(grep -oE 'RETENTION\("[a-z_0-9]+"' src/config/conf.c | cut -d'"' -f2); do
		for k in $rkeys; do
			echo "$g.$k"
		done
	done
	# Each driver's group (src/storage/*/*-options.c): its own keys, the
	# keys every location has, and retention_DRIVER.
	for f in src/storage/*/*-options.c; do
		d=$(grep -oE '^\s*\.name = "[a-z0-9]+"' "$f" | cut -d'"' -f2)
		grep -oE '\b(STR|SECRET|CHOICE|INT|INT64|BOOL)\("[a-z_0-9]+"' "$f" | cut -d'"' -f2 |
		    sed "s/^/$d./"
		printf '%s\n' "$d.name" "$d.upload" "$d.retention"
		for k in $rkeys; do
			echo "retention_$d.$k"
		done
	done
} | sort -u)
ok "$([ "$(echo $keys | wc -w)" -ge 40 ]; echo $?)" "src/config/conf.c has the keys ($(echo $keys | wc -w))"
documented=$(awk 'prev == ".TP" && $1 == ".B" { print $2 } { prev = $1 }' "$TMP/man5" | sort -u)
missing=
for k in $keys; do
	printf '%s\n' "$documented" | grep -qxF "$k" || missing="$missing $k"
done
is "$missing" "" "vsbackup.conf.5 documents every key of the configuration table"
extra=
for k in $documented; do
	case $k in */*) continue ;; esac
	printf '%s\n' "$keys" | grep -qxF "$k" || extra="$extra $k"
done
is "$extra" "" "every key vsbackup.conf.5 documents exists"
# The keys in the running program agree: config --json shows the groups.
OUT=$("$VSBACKUP" -c "$SRC/data/vsbackup.conf" --json config 2>/dev/null | tail -n 1)
for g in redis faiss s3 retention; do
	like "$OUT" "\"$g\":\\{" "config --json has the group $g"
	grep -q "^\\.SH \"\\?$(echo "$g" | tr a-z A-Z) GROUP" "$MAN5"
	ok $? "  and vsbackup.conf.5 a section for it"
done

# --- rendering ----------------------------------------------------------------------------
if command -v groff >/dev/null; then
	for f in "$MAN1" "$MAN5"; do
		out=$(groff -man -ww -z "$f" 2>&1)
		is "$out" "" "groff -man -ww: $(basename "$f") has no warning"
	done
else
	for _ in 1 2; do TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP groff is not installed"; done
fi
if command -v mandoc >/dev/null; then
	for f in "$MAN1" "$MAN5"; do
		out=$(mandoc -T lint -W warning "$f" 2>&1)
		is "$out" "" "mandoc -T lint: $(basename "$f") has no warning"
	done
fi
if command -v man >/dev/null && command -v groff >/dev/null; then
	for f in "$MAN1" "$MAN5"; do
		MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$f" > "$TMP/out" 2> "$TMP/err"
		ok "$([ -s "$TMP/out" ] && [ ! -s "$TMP/err" ]; echo $?)" "man -l $(basename "$f") renders, quietly"
		sed 's/^/#   /' "$TMP/err"
	done
fi

done_testing
