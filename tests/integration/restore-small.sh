#!/bin/bash
# Smaller promises of a restore. The free-space check asks for what the
# files need plus a margin in proportion, not a fixed 16 MiB: a small
# safety backup fits on an almost full disk. A safety backup taken in the
# same second as another backup waits for the next second, and the log
# names the id it really got. A file moved aside never replaces an earlier
# copy of the same name. A resumed restore whose Redis was started again
# meanwhile says that Redis answers, not that it is down.
# Covers src/jobs/preflight.c (check_space), backup.c (the id in the log),
# place.c (place_aside_name).
# timeout: 90
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/r" 200 20 8
eng_backup
is "$RC" 0 "backup succeeds"

# --- an almost full backup_dir: a small safety backup still fits ------------
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/small" && mount -t tmpfs -o size=6m,mode=0700 tmpfs "$TMP/small" 2>/dev/null; then
	harness_at_exit "umount '$TMP/small'"
	cp -a "$BK/$ID" "$TMP/small/"
	sed "s|^backup_dir = .*|backup_dir = \"$TMP/small\";|" "$CONF" > "$TMP/small.conf"
	chmod 600 "$TMP/small.conf"
	fallocate -l $(( $(df -B1 --output=avail "$TMP/small" | tail -1) - 2 * 1048576 )) "$TMP/small/filler"
	diag "free in the small backup_dir: $(df -h --output=avail "$TMP/small" | tail -1); backup $(du -sh "$BK/$ID" | cut -f1)"
	tick
	OUT=$("$VSBACKUP" -c "$TMP/small.conf" restore "$ID" --yes 2>"$TMP/err"); RC=$?
	is "$RC" 0 "with 2 MiB free a restore's small safety backup is not refused" || show "$(cat "$TMP/err")"
	eng_track_redis
	rm -f "$TMP/small/filler"
else
	skip 1 "needs root to mount a small tmpfs"
fi

# --- a safety backup in the same second as another backup --------------------
# Without VSBACKUP_NOW the ids are real seconds: backups already there for
# the next seconds make the safety backup wait for a free one.
now=$(date -u +%s)
for s in 0 1 2; do
	cp -a "$BK/$ID" "$BK/$(date -u -d "@$((now + s))" +%Y%m%d_%H%M%S)"
done
OUT=$(env -u VSBACKUP_NOW "$VSBACKUP" -c "$CONF" restore "$ID" --yes 2>"$TMP/err"); RC=$?
ERR=$(cat "$TMP/err")
eng_track_redis
is "$RC" 0 "a restore whose safety backup must wait for a free second succeeds" || show "$ERR"
SID=$(printf '%s' "$OUT" | sed -n 's/.*the state before it is in backup \([0-9_]*\).*/\1/p')
started=$(printf '%s\n' "$ERR" | sed -n 's/.*backup \([0-9_]*\) (pre-restore) started.*/\1/p')
ok "$([ -n "$SID" ] && [ "$started" = "$SID" ]; echo $?)" \
    "the log names the id the safety backup got ($SID), not one already taken ($started)"
for s in 0 1 2; do rm -rf "$BK/$(date -u -d "@$((now + s))" +%Y%m%d_%H%M%S)"; done

# --- an earlier copy moved aside is never replaced -----------------------------------
tick
run backup
ID2=$(last_line "$OUT")
"$PY" -c 'import json, sys
m = json.load(open(sys.argv[1]))
m["indices"]["user"] = {"file": None, "missing": True, "note": "test: not in this backup"}
json.dump(m, open(sys.argv[1], "w"), indent=1)' "$BK/$ID2/metadata.json"
rm "$BK/$ID2/user_index.faiss"
echo "an earlier copy" > "$UI.vsbackup-before-$ID2"
ui0=$(sha "$UI")
tick
run restore "$ID2" --yes --no-safety-backup --allow-partial
is "$RC" 0 "a restore of a backup without the user index succeeds" || show "$ERR"
eng_track_redis
is "$(cat "$UI.vsbackup-before-$ID2")" "an earlier copy" "  the earlier copy moved aside is still there"
is "$(sha "$UI.vsbackup-before-$ID2.2")" "$ui0" "  the live index went to a new name beside it"
like "$ERR" "$UI was moved aside to $UI.vsbackup-before-$ID2.2" "  and the log says where"
like "$ERR" "$UI.vsbackup-before-$ID2.2 is kept: it holds what was live before the restore, and no safety backup does" \
    "  without a safety backup it is kept, and the log says so"

# --- with a safety backup, what was moved aside is removed once the restore ends well ---
cp "$UI.vsbackup-before-$ID2.2" "$UI"
tick
run restore "$ID2" --yes --allow-partial
is "$RC" 0 "the same restore with a safety backup succeeds" || show "$ERR"
eng_track_redis
ok "$([ ! -e "$UI.vsbackup-before-$ID2.3" ]; echo $?)" "  the copy it moved aside is removed at the end"
like "$ERR" "removed $UI.vsbackup-before-$ID2.3, moved aside by the restore: the safety backup [0-9_]* holds it" \
    "  and the log says the safety backup holds it"
is "$(cat "$UI.vsbackup-before-$ID2")" "an earlier copy" "  copies of earlier restores are left alone"

# --- a resumed restore whose Redis was started again meanwhile --------------
real_start=$(sed -n 's/^ *start_command = "\(.*\)";$/\1/p' "$CONF")
cp "$CONF" "$TMP/conf.good"
sed -i "s|^\( *start_command = \).*|\1\"sh -c 'exit 1'\";|" "$CONF"
tick
run restore "$ID" --yes --no-safety-backup
is "$RC" 1 "a restore whose start command fails stops with its journal" || show "$ERR"
sh -c "$real_start"
for _ in $(seq 100); do [ "$(dcli ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
eng_track_redis
cp "$TMP/conf.good" "$CONF"
tick
run restore "$ID" --yes --no-safety-backup
is "$RC" 0 "resumed, it completes" || show "$ERR"
eng_track_redis
like "$ERR" "Redis answers again" "  saying that Redis answers again" || show "$ERR"
ok "$(printf '%s' "$ERR" | grep -q 'Redis is down'; echo $((! $?)))" "  not that it is down"

done_testing
