#!/bin/bash
# Backups in the deduplicating repository (repository.format = 2): the round
# trip restores the exact dataset (DEBUG DIGEST) and byte-identical index
# files that FAISS reads; a second backup of unchanged data adds almost
# nothing; list, show, verify (quick and deep) and restore --target-dir work
# on it as on plain backups. Encrypted: a distinctive string stored in Redis
# appears in no object of the repository, and a wrong passphrase fails
# with a clear message and changes nothing.
# Covers src/repo/*.c, src/jobs/backup-target.c, src/storage/storage-backup.c
# (format 2 dispatch), src/cli/cmd-check.c, src/jobs/job-check.c.
# timeout: 180
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/engine-lib.sh"
eng_require

eng_demo "$TMP/demo"
eng_format2
R=$BK/repository
redis_settle "$SOCK"

# --- round trip, plain ---------------------------------------------------------
d0=$(rdig)
cp "$CI" "$TMP/ci.orig"; cp "$UI" "$TMP/ui.orig"
tick
run backup
is "$RC" 0 "a format 2 backup succeeds" || show "$ERR"
id1=$(last_line "$OUT")
ok "$([ -f "$R/config" ] && [ -f "$R/manifests/$id1" ]; echo $?)" "  the repository holds its config and the manifest"
ok "$([ ! -e "$BK/$id1" ]; echo $?)" "  and no plain backup folder"
npacks=$(find "$R/packs" -type f | wc -l)
ok "$([ "$npacks" -ge 2 ]; echo $?)" "  its chunks are in packs ($npacks)"
run list
like "$OUT" "$id1" "list shows it"
run show "$id1"
like "$OUT" "chimera-vectors: 2000" "show reads its manifest"
run verify "$id1"
is "$RC" 0 "quick verify passes" || show "$OUT" "$ERR"
run verify --deep "$id1"
is "$RC" 0 "deep verify passes" || show "$OUT" "$ERR"

before=$(du -sb "$R" | cut -f1)
tick
run backup
is "$RC" 0 "a second backup of the same data" || show "$ERR"
id2=$(last_line "$OUT")
added=$(( $(du -sb "$R" | cut -f1) - before ))
logical=$(( $(stat -c %s "$CI") + $(stat -c %s "$UI") + $(redis-cli -s "$SOCK" config get dir >/dev/null; stat -c %s "$TMP/demo/redis/dump.rdb" 2>/dev/null || echo 1000000) ))
ok "$([ "$added" -lt $((logical / 20)) ]; echo $?)" "  adds little to the repository ($added bytes for $logical logical)"

run restore "$id1" --target-dir "$TMP/out"
is "$RC" 0 "restore --target-dir" || show "$ERR"
cmp -s "$TMP/out/content_index.faiss" "$TMP/ci.orig" && cmp -s "$TMP/out/user_index.faiss" "$TMP/ui.orig"
ok $? "  the index files are byte-identical to the originals"
is "$(ntotal "$TMP/out/content_index.faiss")" 2000 "  FAISS reads the restored index"

dcli flushall >/dev/null
dcli set chimera-vectors:intruder x >/dev/null
rm -f "$CI"
tick
run restore "$id1" --yes
is "$RC" 0 "restore of the format 2 backup onto the live system" || show "$ERR"
eng_track_redis
is "$(rdig)" "$d0" "  DEBUG DIGEST is the one at backup time"
cmp -s "$CI" "$TMP/ci.orig" && cmp -s "$UI" "$TMP/ui.orig"
ok $? "  both live index files are byte-identical to the originals"

# --- a damaged chunk is found ----------------------------------------------------
# A pack the first backup uses: the restore's safety backup wrote packs of
# its own, which the listing may give first.
pack=
for p in $(find "$R/packs" -type f -size +100k); do
	cp "$p" "$TMP/pack.save"
	printf '\xff' | dd of="$p" bs=1 seek=5000 conv=notrunc 2>/dev/null
	vsb verify "$id1" >/dev/null 2>&1
	[ $? -eq 3 ] && { pack=$p; break; }
	cp "$TMP/pack.save" "$p"
done
[ -n "$pack" ] || bail_out "no pack of the first backup took the damage"
run verify "$id1"
is "$RC" 3 "a flipped byte in a pack: verify exits 3" || show "$OUT" "$ERR"
like "$OUT" "chunks damaged or missing" "  naming the damaged chunks"
run verify "$id2"
is "$RC" 3 "  the other backup sharing that chunk fails too"
run check
is "$RC" 3 "check of the whole repository exits 3"
like "$OUT" "DAMAGED  $id1  [a-z_.]+: 1 chunks damaged" "  naming the first backup and its file"
like "$OUT" "DAMAGED  $id2  " "  and the second, which shares the chunk"
run restore "$id1" --target-dir "$TMP/out2"
ok "$([ "$RC" -ne 0 ]; echo $?)" "  restore refuses it" 
cp "$TMP/pack.save" "$pack"

# The check before a restore reads no chunk: the restore's own reads check
# each one. A damaged chunk in the middle of a pack of the snapshot (placed
# last) is found while the files are written beside their destinations,
# before anything live changed.
# The largest pack of the snapshot (kind 0 in its header): the first
# backup's, which the second only adds to.
rpack=
for p in $(find "$R/packs" -type f -size +100k -printf '%s %p\n' | sort -rn | cut -d' ' -f2); do
	[ "$(od -An -tu1 -j5 -N1 "$p" | tr -d ' ')" = 0 ] && { rpack=$p; break; }
done
cp "$rpack" "$TMP/rpack.save"
printf '\xff' | dd of="$rpack" bs=1 seek=$(( $(stat -c %s "$rpack") / 2 )) conv=notrunc 2>/dev/null
cp "$CI" "$TMP/ci.live"; cp "$UI" "$TMP/ui.live"; dlive=$(rdig)
tick
run restore "$id1" --yes
ok "$([ "$RC" -ne 0 ]; echo $?)" "a live restore with a damaged chunk in the snapshot fails" || show "$OUT"
like "$ERR" "before the live data was changed.*(does not match its id|does not decompress)" "  finding it while placing, before anything live changed" || show "$ERR"
cmp -s "$CI" "$TMP/ci.live" && cmp -s "$UI" "$TMP/ui.live"
ok $? "  both live index files are unchanged"
is "$(rdig)" "$dlive" "  Redis holds the data of before"
ok "$([ ! -e "$BK/.restore-journal.json" ]; echo $?)" "  no journal is left"
is "$(find "$BK" "$(dirname "$CI")" "$(dirname "$UI")" -maxdepth 1 -name '.*.vsbackup-*' | wc -l)" 0 \
    "  nor any copy written for placing"
cp "$TMP/rpack.save" "$rpack"
run check
is "$RC" 0 "with the pack repaired check finds the repository sound" || show "$OUT" "$ERR"
run show "$id2"
like "$OUT" "stored +in the repository: .* added by this backup \([0-9.]+x\)" "show tells what the backup added and its ratio"
run list
like "$OUT" "repository \(local\): [0-9]+ backups of .* stored" "list ends with the repository's totals"

# --- encrypted --------------------------------------------------------------------
eng_demo "$TMP/enc"
dcli set chimera-vectors:secret-doc '{"text":"Zanzibar-Quokka-7731 classified"}' >/dev/null
printf 'correct horse battery staple\n' > "$TMP/pass"
chmod 600 "$TMP/pass"
eng_format2 "passphrase_file = \"$TMP/pass\";"
R=$BK/repository
d0=$(rdig)
tick
run backup
is "$RC" 0 "an encrypted backup succeeds" || show "$ERR"
id3=$(last_line "$OUT")
like "$(cat "$R/config")" '"encryption":[[:space:]]*"aes-256-gcm"' "  the repository is encrypted"
hits=$(grep -rl 'Zanzibar-Quokka' "$R" | wc -l)
is "$hits" 0 "  the distinctive string is in no object of the repository"
hits=$(grep -rl 'chimera-vectors' "$R" | wc -l)
is "$hits" 0 "  nor any key name"
grep -rqs 'correct horse' "$BK" "$TMP/enc/vsbackup.conf"
is $? 1 "  the passphrase is stored nowhere"
run verify --deep "$id3"
is "$RC" 0 "  deep verify of the encrypted backup passes" || show "$OUT" "$ERR"
dcli flushall >/dev/null
tick
run restore "$id3" --yes
is "$RC" 0 "  restore of the encrypted backup" || show "$ERR"
eng_track_redis
is "$(rdig)" "$d0" "  DEBUG DIGEST is the one at backup time"

printf 'wrong horse\n' > "$TMP/pass"
snap=$(tree_sum "$R")
run verify "$id3"
is "$RC" 2 "a wrong passphrase fails (exit 2)"
like "$ERR" "passphrase does not open the repository" "  saying so"
unlike "$ERR$OUT" "wrong horse" "  without echoing it"
tick
run backup
ok "$([ "$RC" -ne 0 ]; echo $?)" "  a backup with it fails too"
is "$(tree_sum "$R")" "$snap" "  and nothing in the repository changed"
: > "$TMP/pass"
run verify "$id3"
like "$ERR$OUT" "passphrase_file .* is empty" "an empty passphrase file is an error naming it"
rm -f "$TMP/pass"
sed -i "s|passphrase_file = \"[^\"]*\";||" "$CONF"
VSBACKUP_PASSPHRASE='correct horse battery staple' vsb verify "$id3" >/dev/null 2>&1
is $? 0 "VSBACKUP_PASSPHRASE opens it too"
run verify "$id3"
like "$ERR$OUT" "encrypted: set repository.passphrase_file or VSBACKUP_PASSPHRASE" "without a passphrase the message says where to give one"

done_testing
