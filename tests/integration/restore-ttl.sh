#!/bin/bash
# Keys with a TTL may expire between the backup and the check after a
# restore. The backup records, per prefix and for its database, how many of
# its keys carry a TTL; the check wants every key without a TTL back and at
# most as many with one. A correct restore of a snapshot whose TTL keys
# expired since passes, leaves no journal, and the next restore runs. A
# backup made before those counts were recorded is checked the same way
# (the counts are taken from its RDB). A key count that is really wrong
# fails the check (exit 3) without leaving the operator stuck: the journal
# is gone, the message names the safety backup to go back to, and another
# restore runs.
# Covers src/jobs/job-restore.c (check_live), restore-redis.c
# (restore_redis_count), backup.c and manifest.c (key_expires).
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/r" 300 30 8
# The short-lived keys must still be there when the backup takes its
# snapshot, also on a loaded machine, and gone by the restore: they are set
# in one go with a TTL of 6 s, and the restore waits until they expired.
{
	for i in $(seq 20); do echo "SET chimera-vectors:short-$i x EX 6"; done
	for i in $(seq 5); do echo "SET chimera-users:long-$i x EX 3600"; done
	for i in $(seq 7); do echo "SET other:short-$i x EX 6"; done
} | dcli > /dev/null
eng_backup
is "$RC" 0 "backup succeeds"
is "$(meta "$ID" "m['redis']['key_expires']['chimera-vectors:']")" 20 \
    "metadata.json records the keys with a TTL under chimera-vectors:"
is "$(meta "$ID" "m['redis']['key_expires']['chimera-users:']")" 5 "  and under chimera-users:"
is "$(meta "$ID" "m['redis']['dbsize_expires']")" 32 "  and in the whole database"
nv=$(meta "$ID" "m['redis']['key_counts']['chimera-vectors:']")
# EXISTS removes a key whose TTL has run out.
short_left() { dcli exists chimera-vectors:short-{1..20} other:short-{1..7}; }
for _ in $(seq 300); do [ "$(short_left)" = 0 ] && break; sleep 0.1; done
is "$(short_left)" 0 "the keys with a short TTL have expired since the backup"
dcli set chimera-vectors:later x >/dev/null

tick
run restore "$ID" --yes
is "$RC" 0 "a restore whose TTL keys expired since the backup succeeds" || show "$ERR"
eng_track_redis
like "$ERR" "$((nv - 20)) keys under chimera-vectors:, as recorded but for 20 with a TTL that expired" \
    "  the check says how many keys with a TTL expired" || show "$ERR"
is "$(dcli dbsize)" "$(( $(meta "$ID" "m['redis']['dbsize']") - 27 ))" \
    "  Redis holds every key without a TTL and the long-lived ones"
is "$(dcli exists chimera-users:long-3)" 1 "  a key whose TTL has not run out is there"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "  no journal is left"

# --- a backup made before the TTL counts were recorded ---------------------
"$PY" -c 'import json, sys
m = json.load(open(sys.argv[1]))
del m["redis"]["key_expires"], m["redis"]["dbsize_expires"]
json.dump(m, open(sys.argv[1], "w"), indent=1)' "$BK/$ID/metadata.json"
tick
run restore "$ID" --yes
is "$RC" 0 "the same restore from a metadata.json without TTL counts succeeds" || show "$ERR"
eng_track_redis
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "  no journal is left"

# --- a count that is really wrong -------------------------------------------------
tick
run backup
ID2=$(last_line "$OUT")
"$PY" -c 'import json, sys
m = json.load(open(sys.argv[1]))
m["redis"]["key_counts"]["chimera-users:"] += 1
json.dump(m, open(sys.argv[1], "w"), indent=1)' "$BK/$ID2/metadata.json"
tick
SAFETY=$(date -u -d "$VSBACKUP_NOW" +%Y%m%d_%H%M%S)
run restore "$ID2" --yes
is "$RC" 3 "a restore whose key count is really wrong fails its check (exit 3)"
eng_track_redis
like "$ERR" "chimera-users:" "  the message names the prefix" || show "$ERR"
like "$ERR" "vsbackup restore $SAFETY" "  and how to go back to the safety backup $SAFETY"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "  no journal is left to block the next restore"
tick
run restore "$SAFETY" --yes
is "$RC" 0 "restoring the safety backup then works" || show "$ERR"
eng_track_redis
ok "$([ "$(dcli ping)" = PONG ]; echo $?)" "Redis serves"

done_testing
