#!/bin/bash
# The translations: po/POTFILES.in lists exactly the source files with
# translatable strings, and every language in po/LINGUAS is a valid
# catalogue with no message missing or fuzzy against a template extracted
# from the sources now (as "make update-po" would).
TESTS_DIR=$(cd "$(dirname "$0")/.." && pwd)
. "$TESTS_DIR/lib/tap.sh"
SRC=$(cd "$TESTS_DIR/.." && pwd)
PO=$SRC/po

for tool in xgettext msgmerge msgfmt msgattrib; do
	command -v "$tool" >/dev/null || bail_out "$tool is missing: install the Debian package gettext"
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vspo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- POTFILES.in -----------------------------------------------------------
# Required: each .c file under src/ and ui/ that calls _( or N_(, and each
# header that marks a string literal with one (a table in a header).
(
	cd "$SRC" || exit 1
	find src ui -name '*.c' -type f 2>/dev/null |
	    xargs -r grep -lE '(^|[^A-Za-z0-9_])N?_\(' 2>/dev/null
	find src ui -name '*.h' -type f 2>/dev/null |
	    xargs -r grep -lE '(^|[^A-Za-z0-9_])N?_\( *"' 2>/dev/null
) | sort -u > "$WORK/wanted"
sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' -e '/^$/d' \
    "$PO/POTFILES.in" | sort > "$WORK/listed"

missing=$(comm -23 "$WORK/wanted" "$WORK/listed")
extra=$(comm -13 "$WORK/wanted" "$WORK/listed")
ok "$([ -z "$missing" ]; echo $?)" "POTFILES.in lists every source file with _() or N_()"
[ -n "$missing" ] && printf '#   not listed: %s\n' $missing
ok "$([ -z "$extra" ]; echo $?)" "POTFILES.in lists no file without translatable strings"
[ -n "$extra" ] && printf '#   listed but has no _() or N_() (or does not exist): %s\n' $extra
is "$(sort "$WORK/listed" | uniq -d)" "" "POTFILES.in lists each file once"

# --- a fresh template --------------------------------------------------------
# The keywords and options are those of po/Makevars, as make update-po uses.
xopts=$(sed -n 's/^XGETTEXT_OPTIONS[[:space:]]*=[[:space:]]*//p' "$PO/Makevars")
# shellcheck disable=SC2086
(cd "$SRC" && xgettext --default-domain=vsbackup --directory="$SRC" \
    --add-comments=TRANSLATORS: $xopts --files-from="$PO/POTFILES.in" \
    --output="$WORK/fresh.pot") > "$WORK/xgettext.log" 2>&1
st=$?
ok "$st" "xgettext extracts a template from POTFILES.in (options: $xopts)"
[ "$st" -ne 0 ] && sed 's/^/#   /' "$WORK/xgettext.log"
nmsg=$(grep -c '^msgid ' "$WORK/fresh.pot" 2>/dev/null)
ok "$([ "${nmsg:-0}" -gt 1 ]; echo $?)" "the template has messages ($((${nmsg:-1} - 1)))"

# --- each language ----------------------------------------------------------
langs=$(sed -e 's/#.*//' "$PO/LINGUAS" | tr -s ' \t' '\n\n' | sed '/^$/d')
ok "$([ -n "$langs" ]; echo $?)" "po/LINGUAS names at least one language"
for lang in $langs; do
	po=$PO/$lang.po
	if ! ok "$([ -f "$po" ]; echo $?)" "po/$lang.po exists"; then
		continue
	fi
	out=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1)
	st=$?
	ok "$st" "msgfmt --check --statistics po/$lang.po: $(echo "$out" | tail -n 1)"
	[ "$st" -ne 0 ] && echo "$out" | sed 's/^/#   /'

	msgmerge --quiet --no-wrap -o "$WORK/$lang.po" "$po" "$WORK/fresh.pot" \
	    > "$WORK/msgmerge.log" 2>&1
	st=$?
	ok "$st" "msgmerge po/$lang.po with the fresh template"
	if [ "$st" -ne 0 ]; then
		sed 's/^/#   /' "$WORK/msgmerge.log"
		continue
	fi
	stats=$(msgfmt --statistics -o /dev/null "$WORK/$lang.po" 2>&1)
	untr=$(echo "$stats" | sed -n 's/.* \([0-9][0-9]*\) untranslated message.*/\1/p')
	fuzzy=$(echo "$stats" | sed -n 's/.* \([0-9][0-9]*\) fuzzy translation.*/\1/p')
	untr=${untr:-0} fuzzy=${fuzzy:-0}
	diag "against the fresh template: $stats"
	is "$untr" 0 "po/$lang.po: no untranslated message"
	if [ "$untr" -gt 0 ]; then
		msgattrib --untranslated --no-obsolete --no-wrap "$WORK/$lang.po" |
		    sed -n 's/^msgid "\(..*\)"$/#   untranslated: \1/p' | head -n 40
	fi
	is "$fuzzy" 0 "po/$lang.po: no fuzzy message"
	if [ "$fuzzy" -gt 0 ]; then
		msgattrib --only-fuzzy --no-obsolete --no-wrap "$WORK/$lang.po" |
		    sed -n 's/^msgid "\(..*\)"$/#   fuzzy: \1/p' | head -n 40
	fi
	# Placeholders must match, or a translation crashes printf.
	out=$(msgfmt --check-format -o /dev/null "$WORK/$lang.po" 2>&1)
	st=$?
	ok "$st" "po/$lang.po: every translation has the placeholders of its original"
	[ "$st" -ne 0 ] && echo "$out" | head -n 20 | sed 's/^/#   /'
done

done_testing
