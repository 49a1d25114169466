#!/bin/bash
# The backup commands as scripts and operators use them: backup (--type, the
# default schedule from the date, the id as the last line of stdout, --json
# events, -q), list (table and --json array), show (table and --json equal
# to metadata.json), verify quick and --deep, pin / unpin, delete (--yes;
# refused without it when stdin is not a terminal).
# Covers src/cli/cmd-backup.c, cmd-list.c, cmd-show.c, cmd-verify.c,
# cmd-pin.c, cmd-delete.c, src/jobs/job-*.c, src/jobs/catalog.c.
# timeout: 120
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/c"

# Every line of $1 is JSON; prints nothing when so, else the bad lines.
bad_json_lines() {
	printf '%s\n' "$1" | "$PY" -c '
import json, sys
for n, line in enumerate(sys.stdin, 1):
    try:
        json.loads(line)
    except ValueError:
        print("line %d: %s" % (n, line.rstrip()))'
}
# jq-like: evaluate a Python expression on the JSON of the last line of $1.
jlast() {
	last_line "$1" | "$PY" -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2" 2>&1
}

# --- nothing yet -------------------------------------------------------------------
run list
is "$RC" 0 "list with no backups succeeds"
like "$OUT" "no backups yet" "and says there are none"
run --json list
is "$(last_line "$OUT")" "[]" "list --json with no backups: an empty array"

# --- the default schedule ---------------------------------------------------------------
# 2024-07-01 is a Monday and the 1st: monthly wins. 2024-07-08 is a Monday,
# 2024-07-09 a Tuesday, 2024-09-01 a Sunday and the 1st.
for case in 2024-07-01T10:00:00Z:20240701_100000:monthly \
    2024-07-08T10:00:00Z:20240708_100000:weekly \
    2024-07-09T10:00:00Z:20240709_100000:daily \
    2024-09-01T23:59:59Z:20240901_235959:monthly; do
	now=${case%%Z:*}Z
	rest=${case#*Z:}
	want_id=${rest%%:*}
	want_type=${rest#*:}
	OUT=$(VSBACKUP_NOW=$now vsb backup 2>"$TMP/err")
	RC=$?
	is "$RC" 0 "backup at $now succeeds"
	is "$OUT" "$want_id" "backup at $now: stdout is the id alone, $want_id"
	is "$(meta "$want_id" 'm["type"]')" "$want_type" "backup at $now is $want_type"
	like "$(cat "$TMP/err")" "complete: $want_type, " "stderr says it was a $want_type backup"
done

# --- --type ---------------------------------------------------------------------------------
export VSBACKUP_NOW=2024-07-09T11:00:00Z
run backup --type manual
is "$RC" 0 "backup --type manual on a Tuesday succeeds"
MANUAL=$(last_line "$OUT")
is "$(meta "$MANUAL" 'm["type"]')" manual "its type is manual"
for t in weekly monthly daily; do
	export VSBACKUP_NOW=2024-07-09T11:0$(( ${#t} )):00Z
	run backup --type "$t"
	is "$(meta "$(last_line "$OUT")" 'm["type"]')" "$t" "backup --type $t gives a $t backup on a Tuesday"
done
for t in hourly pre-restore ""; do
	run backup --type "$t"
	is "$RC" 2 "backup --type '$t' is a usage error (exit 2)"
	like "$ERR" "--type takes daily, weekly, monthly or manual" "and says which types exist"
done
run backup extra
is "$RC" 2 "backup with an extra argument is a usage error"

# --- --json and -q --------------------------------------------------------------------------
export VSBACKUP_NOW=2024-07-10T08:00:00Z
run --json backup
is "$RC" 0 "backup --json succeeds"
is "$(bad_json_lines "$OUT")" "" "every line of backup --json is JSON"
ok "$(printf '%s\n' "$OUT" | grep -q '"event":"progress"'; echo $?)" "there are progress events"
ok "$(printf '%s\n' "$OUT" | grep -q '"event":"log"'; echo $?)" "there are log events"
is "$(jlast "$OUT" 'j["event"], j["id"], j["type"], j["metadata"]["backup_id"]')" \
    "('result', '20240710_080000', 'daily', '20240710_080000')" "the last line is the result with the id"
JSONID=20240710_080000
export VSBACKUP_NOW=2024-07-10T08:01:00Z
run -q backup
is "$RC" 0 "backup -q succeeds"
is "$OUT" 20240710_080100 "backup -q prints only the id"
is "$ERR" "" "and nothing on stderr"
export VSBACKUP_NOW=2024-07-10T08:02:00Z
run backup -q
is "$OUT" 20240710_080200 "-q after the command works too"
QID=20240710_080200

# The same id twice: refused, the first one untouched.
before=$(tree_sum "$BK/$QID")
run backup
is "$RC" 2 "a second backup in the same second is refused (exit 2)"
like "$ERR" "$QID already exists" "and names the id"
is "$(tree_sum "$BK/$QID")" "$before" "the existing backup is untouched"
unset VSBACKUP_NOW

# --- list -------------------------------------------------------------------------------
ALL="20240701_100000 20240708_100000 20240709_100000 20240709_110000 20240709_110600 20240709_110700 20240709_110500 20240710_080000 20240710_080100 20240710_080200 20240901_235959"
run list
is "$RC" 0 "list succeeds"
like "$(printf '%s\n' "$OUT" | head -1)" '^ID +TYPE +CREATED +AGE +SIZE +WHERE +VERIFIED' "list has a header"
is "$(printf '%s\n' "$OUT" | sed 1d | wc -l)" 11 "one row per backup (11)"
is "$(printf '%s\n' "$OUT" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" \
    "$(printf '%s\n' $ALL | sort -r | tr '\n' ' ')" "rows sorted by id, newest first as in the front end"
like "$(printf '%s\n' "$OUT" | grep '^20240708_100000')" '^20240708_100000 +weekly +.* local ' \
    "the weekly row says weekly, local"
run --json list
is "$(bad_json_lines "$OUT")" "" "every line of list --json is JSON"
is "$(jlast "$OUT" 'type(j).__name__, len(j)')" "('list', 11)" "its last line is an array of 11"
is "$(jlast "$OUT" '" ".join(e["id"] for e in j)')" "$(printf '%s\n' $ALL | sort | tr '\n' ' ' | sed 's/ $//')" \
    "with every id"
is "$(jlast "$OUT" '[(e["type"], e["complete"], e["location"], e["size"] > 0) for e in j if e["id"] == "20240701_100000"]')" \
    "[('monthly', True, 'local', True)]" "each entry has type, complete, location, size"

# --- show ------------------------------------------------------------------------------------
run show 20240709_100000
is "$RC" 0 "show succeeds"
like "$OUT" "Backup 20240709_100000" "show names the backup"
like "$OUT" "type +daily" "and its type"
like "$OUT" "chimera-vectors: +2000" "and the key count of each prefix"
like "$OUT" "ntotal 2000, dim 16" "and each index's ntotal and dimension"
run --json show 20240709_100000
is "$RC" 0 "show --json succeeds"
is "$(bad_json_lines "$OUT")" "" "every line of show --json is JSON"
last_line "$OUT" > "$TMP/show.json"
"$PY" - "$TMP/show.json" "$BK/20240709_100000/metadata.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
sys.exit(a != b)
EOF
ok $? "show --json equals metadata.json"
run show 20240709_235900
is "$RC" 1 "show of a backup that does not exist fails (exit 1)"
like "$ERR" "20240709_235900 not found" "and names the id"

# --- verify --------------------------------------------------------------------------------------
run verify 20240709_100000
is "$RC" 0 "verify (quick) of a good backup: exit 0"
like "$OUT" "20240709_100000 .*is valid.*quick" "it says valid, quick"
run verify 20240709_100000 --deep
is "$RC" 0 "verify --deep of a good backup: exit 0"
like "$OUT" "is valid.*deep" "it says valid, deep"
run verify 20240709_100000 --deep -v
for c in "redis.rdb sha256" "content_index.faiss sha256" "user_index.faiss sha256" \
    "key count chimera-vectors:" "key count chimera-users:" "redis-check-rdb" \
    "content_index.faiss loads in FAISS" "user_index.faiss loads in FAISS"; do
	like "$OUT" "ok +$c" "verify --deep -v lists the passed check: $c"
done
run --json verify 20240709_100000 --deep
is "$(bad_json_lines "$OUT")" "" "every line of verify --json is JSON"
is "$(jlast "$OUT" 'j["event"], j["valid"], j["level"], all(c["ok"] for c in j["checks"])')" \
    "('result', True, 'deep', True)" "verify --json: valid, deep, every check ok"
run --json list
is "$(jlast "$OUT" '[e["local"]["last_verify"]["level"] for e in j if e["id"] == "20240709_100000"]')" \
    "['deep']" "list --json records the last verification"
run list
like "$(printf '%s\n' "$OUT" | grep '^20240709_100000')" " ok deep( |$)" "list shows it verified (deep)"
run verify 20240709_235900
is "$RC" 1 "verify of a backup that does not exist: exit 1 (could not run)"
like "$ERR" "20240709_235900 does not exist" "and names the id"

# --- pin / unpin ----------------------------------------------------------------------------------
run pin 20240709_110000
is "$RC" 0 "pin succeeds"
ok "$([ -f "$BK/20240709_110000/pinned" ]; echo $?)" "the pinned marker is beside metadata.json"
run --json list
is "$(jlast "$OUT" '[e["id"] for e in j if e["pinned"]]')" "['20240709_110000']" "list --json: only that one is pinned"
run list
like "$(printf '%s\n' "$OUT" | grep '^20240709_110000')" "pinned" "list notes it as pinned"
run verify 20240709_110000
is "$RC" 0 "a pinned backup still verifies (the marker is not a backup file)"
run unpin 20240709_110000
is "$RC" 0 "unpin succeeds"
run --json list
is "$(jlast "$OUT" '[e["id"] for e in j if e["pinned"]]')" "[]" "list --json: nothing pinned after unpin"
run pin 20240709_235900
is "$RC" 1 "pin of a backup that does not exist fails (exit 1)"
like "$ERR" "20240709_235900" "and names the id"

# --- delete ------------------------------------------------------------------------------------
VICTIM=20240710_080100
OUT=$(vsb delete "$VICTIM" 2>"$TMP/err" </dev/null)
is "$?" 2 "delete without --yes and stdin not a terminal is refused (exit 2)"
like "$(cat "$TMP/err")" "confirm with --yes" "and says to confirm with --yes"
OUT=$(echo y | vsb delete "$VICTIM" 2>"$TMP/err")
is "$?" 2 "a 'y' piped into delete does not count as a confirmation"
ok "$([ -f "$BK/$VICTIM/metadata.json" ]; echo $?)" "the backup is still there"
run delete "$VICTIM" --yes
is "$RC" 0 "delete --yes succeeds"
like "$OUT" "deleted $VICTIM" "and says so"
ok "$([ ! -e "$BK/$VICTIM" ]; echo $?)" "its directory is gone"
run --json list
is "$(jlast "$OUT" 'len(j), "'$VICTIM'" in [e["id"] for e in j]')" "(10, False)" "list no longer shows it"
run delete "$VICTIM" --yes
is "$RC" 1 "deleting it again fails (exit 1)"
like "$ERR" "$VICTIM was not found" "and says it was not found"
run verify 20240710_080200 --deep
is "$RC" 0 "the backup next to it is untouched (verify --deep)"

done_testing
