#!/bin/bash
# Plain backups (format 1) and backups in the repository (format 2) side by
# side, locally and in S3 through the signature-checking proxy, through
# every command: list, show, verify (quick and deep), check, pin and unpin,
# upload and download, restore (live, into a directory, from S3), health,
# metrics, cleanup (dry run and real), delete. Each restore gives back its
# own backup's data (DEBUG DIGEST, byte-identical index files), whichever
# format holds it, and deleting one kind leaves the other whole.
# Covers src/jobs/catalog.c, src/jobs/job-*.c and src/repo/view.c on a
# backup_dir and a bucket holding both formats.
# timeout: 300
. "$(dirname "$0")/../lib/harness.sh"
. "$TESTS_DIR/lib/s3-env.sh"
s3_setup
. "$TESTS_DIR/lib/s3-e2e-lib.sh"
s3_e2e_demo 500
CI=$D/indexes/content_index.faiss UI=$D/indexes/user_index.faiss
# The state each backup holds: DEBUG DIGEST and the index files.
keep_state() {
	rcli debug digest > "$TMP/digest.$1"
	cp "$CI" "$TMP/ci.$1"
	cp "$UI" "$TMP/ui.$1"
}
# Is the live state (or the files in directory $2) the one of backup $1?
live_is() {
	[ "$(rcli debug digest)" = "$(cat "$TMP/digest.$1")" ] && cmp -s "$CI" "$TMP/ci.$1" &&
	    cmp -s "$UI" "$TMP/ui.$1"
}
dir_is() {
	cmp -s "$2/content_index.faiss" "$TMP/ci.$1" && cmp -s "$2/user_index.faiss" "$TMP/ui.$1"
}
proxy_ok() { is "$(proxy_ctl log | grep -Ec '^[A-Z]+ (400|403) ')" 0 "  the proxy accepted every signature"; }

# --- one plain backup, then two in the repository -------------------------------------
proxy_ctl reset-log >/dev/null
tick
p1=$(vs backup 2>"$TMP/err" | tail -1)
ok $? "a plain backup (format 1), uploaded" || sed 's/^/# /' "$TMP/err"
keep_state p1
s3_e2e_format2
for n in 1 2; do
	rcli set "chimera-vectors:mixed-$n" "{\"n\": $n}" >/dev/null
	rcli del "chimera-vectors:$n" >/dev/null
	tick
	eval "r$n=\$(vs backup 2>\"$TMP/err\" | tail -1)"
	ok $? "backup $n in the repository (format 2), uploaded" || sed 's/^/# /' "$TMP/err"
	keep_state "r$n"
done
ok "$([ -f "$B/$p1/metadata.json" ] && [ -d "$B/repository/manifests" ]; echo $?)" \
    "backup_dir holds both: $p1 plain, $r1 and $r2 in repository/"
proxy_ok

# --- list, show -------------------------------------------------------------------------
for loc in local s3; do
	vs list --location "$loc" >"$TMP/out" 2>"$TMP/err"
	ok $? "list --location $loc" || sed 's/^/# /' "$TMP/err"
	is "$(grep -cE "^($p1|$r1|$r2) " "$TMP/out")" 3 "  shows all three backups"
done
vs --json list >"$TMP/out" 2>"$TMP/err"
is "$(grep -oE "\"id\": *\"($p1|$r1|$r2)\"" "$TMP/out" | sort -u | wc -l)" 3 "list --json names all three"
for id in "$p1" "$r2"; do
	vs show "$id" >"$TMP/out" 2>"$TMP/err"
	ok $? "show $id" || sed 's/^/# /' "$TMP/err"
	like "$(cat "$TMP/out")" "content_index.faiss" "  names its files"
done
like "$(vs show "$r2" 2>&1)" "added by this backup" "show of a backup in the repository says what it added"

# --- verify, check ----------------------------------------------------------------------
for id in "$p1" "$r1" "$r2"; do
	vs verify "$id" >"$TMP/out" 2>&1
	is "$?" 0 "verify $id (quick)" || sed 's/^/# /' "$TMP/out"
done
for id in "$p1" "$r2"; do
	vs verify --deep "$id" >"$TMP/out" 2>&1
	is "$?" 0 "verify --deep $id" || sed 's/^/# /' "$TMP/out"
	vs verify "$id" --from s3 >"$TMP/out" 2>&1
	is "$?" 0 "  and its copy in S3" || sed 's/^/# /' "$TMP/out"
done
vs check >"$TMP/out" 2>&1
is "$?" 0 "check of the repository beside a plain backup" || sed 's/^/# /' "$TMP/out"
vs check --from s3 >"$TMP/out" 2>&1
is "$?" 0 "  and of the one in S3" || sed 's/^/# /' "$TMP/out"

# --- pin, unpin -------------------------------------------------------------------------
vs pin "$p1" >/dev/null 2>&1 && vs pin "$r1" >/dev/null 2>&1
ok $? "pin one backup of each kind"
vs delete "$r1" --yes >"$TMP/out" 2>&1
is "$?" 2 "  a pinned backup in the repository is not deleted"
vs delete "$p1" --yes >"$TMP/out" 2>&1
is "$?" 2 "  nor a pinned plain one"
vs unpin "$p1" >/dev/null 2>&1 && vs unpin "$r1" >/dev/null 2>&1
ok $? "unpin both"

# --- restore: live, into a directory, from S3 --------------------------------------------
tick
vs restore "$p1" --yes --no-safety-backup >"$TMP/out" 2>&1
ok $? "live restore of the plain backup" || sed 's/^/# /' "$TMP/out"
ok "$(live_is p1; echo $?)" "  gives back its data and index files"
tick
vs restore "$r1" --yes --no-safety-backup >"$TMP/out" 2>&1
ok $? "live restore of the first backup in the repository" || sed 's/^/# /' "$TMP/out"
ok "$(live_is r1; echo $?)" "  gives back its data and index files"
vs restore "$p1" --target-dir "$TMP/t-p1" >"$TMP/out" 2>&1 &&
    vs restore "$r2" --target-dir "$TMP/t-r2" >"$TMP/out" 2>&1
ok $? "restore --target-dir of each kind" || sed 's/^/# /' "$TMP/out"
ok "$(dir_is p1 "$TMP/t-p1" && dir_is r2 "$TMP/t-r2"; echo $?)" "  each directory holds its own backup's index files"
tick
vs restore "$r2" --from s3 --yes --no-safety-backup >"$TMP/out" 2>&1
ok $? "live restore from S3 of the second backup in the repository" || sed 's/^/# /' "$TMP/out"
ok "$(live_is r2; echo $?)" "  gives back its data"
tick
vs restore "$p1" --from s3 --yes --no-safety-backup >"$TMP/out" 2>&1
ok $? "live restore from S3 of the plain backup" || sed 's/^/# /' "$TMP/out"
ok "$(live_is p1; echo $?)" "  gives back its data"

# --- download, upload -------------------------------------------------------------------
vs delete "$p1" --yes >/dev/null 2>&1 && vs delete "$r1" --yes >/dev/null 2>&1
ok $? "delete the local copies of one backup of each kind"
vs download "$p1" >"$TMP/out" 2>&1 && vs download "$r1" >>"$TMP/out" 2>&1
ok $? "download both from S3" || sed 's/^/# /' "$TMP/out"
vs verify "$p1" >/dev/null 2>&1 && vs verify "$r1" >/dev/null 2>&1
ok $? "  both verify locally"
vs delete "$p1" --location s3 --yes >/dev/null 2>&1 && vs delete "$r2" --location s3 --yes >/dev/null 2>&1
ok $? "delete the S3 copies of one backup of each kind"
proxy_ctl reset-log >/dev/null
vs upload "$p1" >"$TMP/out" 2>&1 && vs upload "$r2" >>"$TMP/out" 2>&1
ok $? "upload both again" || sed 's/^/# /' "$TMP/out"
vs list --location s3 >"$TMP/out" 2>&1
is "$(grep -cE "^($p1|$r1|$r2) " "$TMP/out")" 3 "  S3 lists all three again"
proxy_ok

# --- health, metrics --------------------------------------------------------------------
vs health >"$TMP/out" 2>&1
rc=$?
ok "$([ "$rc" -le 1 ]; echo $?)" "health runs (exit $rc)" || sed 's/^/# /' "$TMP/out"
unlike "$(cat "$TMP/out")" "unreadable|cannot be read" "  and reads every backup"
vs metrics --stdout >"$TMP/metrics" 2>"$TMP/err"
ok $? "metrics" || sed 's/^/# /' "$TMP/err"
like "$(cat "$TMP/metrics")" 'vsbackup_repository_size_bytes\{location="local"\} [1-9]' "  the local repository's size"
is "$(awk '/^vsbackup_backups\{location="local"/ { n += $2 } END { print n + 0 }' "$TMP/metrics")" 3 \
    "  three local backups counted, of both kinds" || grep '^vsbackup_backups' "$TMP/metrics" | sed 's/^/# /'

# --- cleanup, delete --------------------------------------------------------------------
vs cleanup --dry-run --location local >"$TMP/out" 2>&1
ok $? "cleanup --dry-run" || sed 's/^/# /' "$TMP/out"
is "$(grep -cE "($p1|$r1|$r2)" "$TMP/out")" 3 "  judges all three"
vs delete "$p1" --location all --yes >/dev/null 2>&1 && vs delete "$r1" --location all --yes >/dev/null 2>&1
ok $? "delete one backup of each kind everywhere"
tick
vs cleanup --location all >"$TMP/out" 2>&1
ok $? "cleanup collects what the deleted backup alone used" || sed 's/^/# /' "$TMP/out"
vs list >"$TMP/out" 2>&1
ok "$(grep -q "^$r2 " "$TMP/out" && ! grep -qE "^($p1|$r1) " "$TMP/out"; echo $?)" "  the remaining backup is listed, the deleted ones are not"
vs verify --deep "$r2" >"$TMP/out" 2>&1
is "$?" 0 "  it still verifies deep" || sed 's/^/# /' "$TMP/out"
vs restore "$r2" --target-dir "$TMP/t-r2b" >"$TMP/out" 2>&1
ok "$(dir_is r2 "$TMP/t-r2b"; echo $?)" "  and restores exactly" || sed 's/^/# /' "$TMP/out"
proxy_ok

done_testing
