#!/bin/bash
# The bash completion (data/bash-completion/vsbackup) in a bash with no
# bash-completion package loaded, by setting COMP_WORDS and COMP_CWORD and
# calling the function 'complete -p' names: the commands; each command's
# options, which are those its --help shows; option values; backup ids
# from the program itself (with -c FILE, local or S3 by the command).
# Covers data/bash-completion/vsbackup.
. "$(dirname "$0")/../lib/harness.sh"

SRC=${VSBACKUP_SRCDIR:-$TESTS_DIR/..}
COMPL=$SRC/data/bash-completion/vsbackup
[ -x "$VSBACKUP" ] || bail_out "$VSBACKUP is not built"

# A configuration with a backup_dir holding two complete backups (only
# metadata.json is needed to be listed) and one unfinished.
mkdir -p "$TMP/backups"
for id in 20240301_020000 20240302_020000; do
	mkdir "$TMP/backups/$id"
	cat > "$TMP/backups/$id/metadata.json" <<EOF
{"format_version": 1, "backup_id": "$id"}
EOF
done
mkdir "$TMP/backups/20240303_020000.partial"
cat > "$TMP/vs.conf" <<EOF
backup_dir = "$TMP/backups";
EOF

# comp WORDS...: complete the last word (may be ""), print the candidates
# sorted on one line.
comp() {
	bash --norc --noprofile -c '
		. "$1"; shift
		spec=$(complete -p vsbackup) || exit 1
		fn=$(printf "%s\n" "$spec" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
	    comp "$COMPL" "$@"
}

spec=$(bash --norc --noprofile -c '. "$1"; complete -p vsbackup' x "$COMPL")
like "$spec" '^complete -F _vsbackup vsbackup$' "complete -p: vsbackup is completed by a function"

cmds=$("$VSBACKUP" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')
got=$(comp "$VSBACKUP" "")
missing=
for c in $cmds; do
	case " $got " in *" $c "*) ;; *) missing="$missing $c" ;; esac
done
is "$missing" "" "an empty word: every command of --help is offered"
is "$(comp "$VSBACKUP" ver)" "verify" "'ver' -> verify"
is "$(comp "$VSBACKUP" -c "$TMP/vs.conf" --json he)" "health" "  also after -c FILE and --json"
like "$(comp "$VSBACKUP" --)" '--config --help --json --quiet --version' "global options"

# Each command's options are the ones its --help shows.
for c in $cmds; do
	want=$("$VSBACKUP" "$c" --help | grep -oE -- '(^|[][ (|,])--[a-z][a-z-]*' |
	    sed -E 's/^[][ (|,]//' | sort -u)
	got=$(comp "$VSBACKUP" "$c" --)
	missing=
	for o in $want; do
		# --from in download's help speaks of restore's option.
		[ "$c" = download ] && [ "$o" = --from ] && continue
		case " $got " in *" $o "*) ;; *) missing="$missing $o" ;; esac
	done
	is "$missing" "" "'vsbackup $c --<TAB>' offers every option of its --help"
done
like "$(comp "$VSBACKUP" verify -)" '(^| )-v( |$)' "  short options too (verify -v)"

is "$(comp "$VSBACKUP" backup --type "")" "daily manual monthly weekly" "--type: the backup types"
is "$(comp "$VSBACKUP" list --location "")" "all local s3" "--location: local, s3, all"
is "$(comp "$VSBACKUP" restore --from "")" "local s3" "--from: local, s3"
mkdir -p "$TMP/dirs/alpha" "$TMP/dirs/beta"
touch "$TMP/dirs/afile"
is "$(comp "$VSBACKUP" restore --target-dir "$TMP/dirs/a")" "$TMP/dirs/alpha" "--target-dir: directories only"
is "$(comp "$VSBACKUP" -c "$TMP/dirs/a")" "$TMP/dirs/afile $TMP/dirs/alpha" "-c: files"

is "$(comp "$VSBACKUP" -c "$TMP/vs.conf" verify "")" "20240301_020000 20240302_020000 20240303_020000" \
    "backup ids from the program, for the configuration given with -c (the unfinished one too)"
is "$(comp "$VSBACKUP" -c "$TMP/vs.conf" show 2024030)" "20240301_020000 20240302_020000 20240303_020000" \
    "  completing a prefix"
is "$(comp "$VSBACKUP" -c "$TMP/vs.conf" show 20240302)" "20240302_020000" "  down to one"
is "$(comp "$VSBACKUP" -c "$TMP/vs.conf" restore --yes 20240302)" "20240302_020000" "  after options"
is "$(comp "$VSBACKUP" -c "$TMP/missing.conf" verify "")" "" "no configuration: no ids, and no error shown"
VSBACKUP_CONFIG=$TMP/vs.conf
export VSBACKUP_CONFIG
is "$(comp "$VSBACKUP" pin 20240301)" "20240301_020000" "\$VSBACKUP_CONFIG is honoured"
unset VSBACKUP_CONFIG
is "$(comp "$VSBACKUP" -c "$TMP/vs.conf" health "")" "" "commands without an id: nothing"

done_testing
