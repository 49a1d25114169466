#!/bin/bash
# health's free-space check measures backup_dir against what the next
# backup will take: the newest backup of the live data, not a tiny
# pre-restore safety backup of a broken state that happens to be newer.
# Covers src/ops/health.c, src/ops/survey.c.
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/d" 2000 200 16
eng_backup
is "$RC" 0 "a backup of the demo"
size=$(meta "$ID" 'm["redis"]["size"] + m["indices"]["content"]["size"] + m["indices"]["user"]["size"]')

# The live state breaks: the restore's safety backup of it is tiny.
dcli flushall >/dev/null
rm -f "$CI" "$UI"
tick
run restore "$ID" --yes
is "$RC" 0 "a restore of it"
eng_track_redis
safety=$(ls "$BK" | sort | tail -n 1)
is "$(meta "$safety" 'm["type"]')" "pre-restore" "fixture: the newest backup is the pre-restore one"
small=$(meta "$safety" 'm["redis"]["size"]')
ok "$(( small < size / 10 ? 0 : 1 ))" "fixture: it is tiny ($small bytes against $size)"

tick
OUT=$(vsb health 2>/dev/null)
line=$(printf '%s\n' "$OUT" | awk '$2 == "storage.free"')
printf '%s\n' "$line" | sed 's/^/#   | /'
like "$line" "the newest backup takes $size bytes" "storage.free compares with the newest backup of the live data ($size bytes)"

done_testing
