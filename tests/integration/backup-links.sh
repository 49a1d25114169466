#!/bin/bash
# vsbackup runs as root and reads files a service user controls: the index
# files in the service's directory and the RDB in Redis's. Planted by that
# user (the tests create it with useradd --system), a symbolic link to a
# root-only file, a FIFO, a file in its directory owned by someone else,
# or a hard link root made to a root-only file, never bring that file into
# a backup (nor into a restore's safety backup while Redis is down): the
# backup fails naming the setting and the reason, without hanging. A link
# to a file in the same directory (a versioned index) is followed; a
# faiss.lock_file planted as a link is neither followed nor created.
# Covers src/common/live-open.c, src/jobs/capture.c, src/redis/redis-snapshot.c.
# timeout: 150
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/deploy-lib.sh"
deploy_require

deploy_redis "$TMP/dep" rdb
deploy_fill 30 5
SVC=$DEPLOY_USER
deploy_indexes "$TMP/svc" "$SVC:$SVC" 0640
deploy_config "$TMP/vs.conf" "redis.data_dir=\"$DEPLOY_DATA\"" 'redis.dbfilename="dump.rdb"'
as_svc() { runuser -u "$SVC" -- "$@"; }
show() { printf '%s\n' "$@" | sed 's/^/#   | /'; }
vsb() { timeout 30 "$VSBACKUP" -c "$TMP/vs.conf" "$@"; }
run() { OUT=$(vsb "$@" 2>&1); RC=$?; }

# A root-only secret, as /etc/shadow is; a FAISS index of its own, so
# that nothing but the rules on links and owners keeps it out.
mkdir -m 0700 "$TMP/rootonly"
"$PY" - "$TMP/rootonly/secret" <<'EOF2' || bail_out "cannot write the secret index"
import sys, numpy as np, faiss
ix = faiss.index_factory(8, "IDMap,Flat")
ix.add_with_ids(np.random.rand(11, 8).astype('float32'), np.arange(11, dtype='int64') + 4242)
faiss.write_index(ix, sys.argv[1])
EOF2
chmod 0600 "$TMP/rootonly/secret"
SECRET_SUM=$(sha256sum < "$TMP/rootonly/secret" | cut -d' ' -f1)
leaked() {
	find "$TMP/backups" -type f -exec sha256sum {} + 2>/dev/null |
	    awk -v s="$SECRET_SUM" '$1 == s { print $2 }'
}

run -q backup
is "$RC" 0 "the deployment backs up"
ID=$(printf '%s\n' "$OUT" | tail -n 1)
cp -p "$DEPLOY_CI" "$TMP/ci.orig"

# --- a link to a root-only file ---------------------------------------------------------
as_svc ln -sf "$TMP/rootonly/secret" "$DEPLOY_CI"
ok "$([ -L "$DEPLOY_CI" ]; echo $?)" "fixture: the service user replaced its index by a link"
run backup
ok "$(( RC == 0 ))" "index linked to a root-only file: the backup fails"
show "$OUT"
like "$OUT" "faiss\.content_index $DEPLOY_CI is a symbolic link" "the message names the setting and says it is a link"
is "$(leaked)" "" "the linked file is in no backup"

# The safety backup of a restore takes live files as they are: not this.
deploy_stop
cp -p "$DEPLOY_DATA/dump.rdb" "$TMP/dump.orig"
as_svc ln -sf "$TMP/rootonly/secret" "$DEPLOY_DATA/dump.rdb"
run restore "$ID" --yes
show "$OUT"
is "$(leaked)" "" "restore with both linked and Redis down: the linked file is in no safety backup"
if [ -L "$DEPLOY_DATA/dump.rdb" ]; then
	rm -f "$DEPLOY_DATA/dump.rdb"
	cp -p "$TMP/dump.orig" "$DEPLOY_DATA/dump.rdb"
fi
deploy_up || deploy_start
for _ in $(seq 100); do deploy_up && break; sleep 0.05; done
deploy_track
is "$(sha256sum < "$TMP/rootonly/secret" | cut -d' ' -f1)" "$SECRET_SUM" "the root-only file is untouched"
is "$(stat -c '%U %a' "$TMP/rootonly/secret")" "root 600" "and still root's, mode 600"
is "$(find "$TMP/svc" "$DEPLOY_DATA" -type f -user "$SVC" -exec sha256sum {} + |
	awk -v s="$SECRET_SUM" '$1 == s { print $2 }')" "" "the service user owns no copy of it"

# --- a link inside the directory is followed ------------------------------------------------
rm -f "$DEPLOY_CI"
cp -p "$TMP/ci.orig" "$TMP/svc/content_index.v2.faiss"
as_svc ln -sf content_index.v2.faiss "$DEPLOY_CI"
run -q backup
is "$RC" 0 "a link to a file in the same directory: the backup succeeds"
show "$OUT"
id2=$(printf '%s\n' "$OUT" | tail -n 1)
cmp -s "$TMP/backups/$id2/content_index.faiss" "$TMP/ci.orig"
ok "$?" "and holds the file it points to"
as_svc ln -sf ../rootonly/secret "$DEPLOY_CI"
run backup
ok "$(( RC == 0 ))" "a relative link out of the directory: the backup fails"
like "$OUT" "symbolic link" "saying it is a link"
rm -f "$DEPLOY_CI" "$TMP/svc/content_index.v2.faiss"

# --- a FIFO does not hang the backup -------------------------------------------------------------
as_svc mkfifo "$DEPLOY_CI"
run backup
ok "$(( RC == 0 || RC == 124 ))" "a FIFO as the index: the backup fails, and does not hang (rc $RC)"
like "$OUT" "faiss\.content_index $DEPLOY_CI .*not a regular file" "saying it is not a regular file"
rm -f "$DEPLOY_CI"

# --- owners ------------------------------------------------------------------------------------------
cp -p "$TMP/ci.orig" "$DEPLOY_CI"
chown nobody "$DEPLOY_CI"
run backup
ok "$(( RC == 0 ))" "an index owned by a third user: the backup fails"
show "$OUT"
like "$OUT" "faiss\.content_index $DEPLOY_CI belongs to nobody" "the message names the owner"
chown "$SVC:$SVC" "$DEPLOY_CI"

# A hard link to a root-only file, as a user could make where
# fs.protected_hardlinks is 0 (made by root here).
rm -f "$DEPLOY_CI"
ln "$TMP/rootonly/secret" "$DEPLOY_CI"
run backup
ok "$(( RC == 0 ))" "a hard link to a root-only file: the backup fails"
show "$OUT"
like "$OUT" "hard link" "saying it is a hard link"
is "$(leaked)" "" "the linked file is in no backup"
rm -f "$DEPLOY_CI"
cp -p "$TMP/ci.orig" "$DEPLOY_CI"

# A root-owned index (as a restore by root may leave it) is fine.
chown root:root "$DEPLOY_CI"
run -q backup
is "$RC" 0 "a root-owned index in the service's directory: the backup succeeds"
chown "$SVC:$SVC" "$DEPLOY_CI"

# --- the lock file ---------------------------------------------------------------------------------------
as_svc ln -sf "$TMP/rootonly/created-by-root" "$TMP/svc/service.lock"
deploy_config "$TMP/vs.conf" "redis.data_dir=\"$DEPLOY_DATA\"" 'redis.dbfilename="dump.rdb"' \
	"faiss.lock_file=\"$TMP/svc/service.lock\""
run backup
ok "$(( RC == 0 ))" "faiss.lock_file planted as a link: the backup fails"
show "$OUT"
like "$OUT" "faiss\.lock_file $TMP/svc/service\.lock is a symbolic link" "saying so"
ok "$([ ! -e "$TMP/rootonly/created-by-root" ]; echo $?)" "its target was not created"

done_testing
