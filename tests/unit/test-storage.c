/* Covers src/storage/storage.c (object keys, the object operations),
 * src/storage/storage-backup.c (format 1 backups on objects, and what a
 * listing of the backups asks the posix driver for) and the posix driver,
 * in a temp directory; and src/filter (the byte filters). The same
 * listing in S3 is counted by tests/integration/s3-driver.sh and
 * repo-s3-list.sh. */
#include "config.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/xmalloc.h"
#include "config/conf.h"
#include "filter/filter.h"
#include "storage/storage.h"
#include "storage/storage.intern.h"
#include "tap.h"

static void
test_keys(void)
{
	static const struct { const char *key; bool ok; } cases[] = {
		{ "20240215_120000/redis.rdb", true },
		{ "repository/packs/ab/abcdef", true },
		{ "repository/", true },
		{ "a", true },
		{ "", false },
		{ "/etc/passwd", false },
		{ "a//b", false },
		{ "../x", false },
		{ "a/../b", false },
		{ "a/./b", false },
		{ "a/.hidden", false },
		{ ".lock", false },
		{ "a/b c", false },
		{ "a\\b", false },
		{ "a//", false },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		is_int(storage_key_valid(cases[i].key), cases[i].ok, "key '%s' is %s", cases[i].key,
		    cases[i].ok ? "valid" : "refused");
}

struct seen {
	char keys[16][128];
	size_t n;
	char warnings[8][512];
	size_t nwarn;
};

static int
seen_cb(void *ud, const struct storage_object *o)
{
	struct seen *s = ud;

	if (s->n < 16)
		snprintf(s->keys[s->n++], sizeof s->keys[0], "%s%s", o->key, o->dir ? "" : "");
	return 0;
}

static bool
seen_has(const struct seen *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->keys[i], key) == 0)
			return true;
	return false;
}

static void
warn_cb(void *ud, const char *msg)
{
	struct seen *s = ud;

	if (s->nwarn < 8)
		snprintf(s->warnings[s->nwarn++], sizeof s->warnings[0], "%s", msg);
}

static int
count_tap(void *ud, const void *buf, size_t len, struct vs_error *err)
{
	(void)buf;
	(void)err;
	*(uint64_t *)ud += len;
	return 0;
}

static void
test_objects(struct storage *st, const char *dir)
{
	struct vs_error err;
	struct storage_body body = storage_body_mem("hello, world", 12);
	struct storage_sink sink = { .fd = -1 };
	struct storage_stat sb;
	struct seen seen;
	char buf[16], *path, *data;
	size_t len;
	int fd;

	error_clear(&err);
	is_int(storage_obj_put(st, "repository/packs/ab/abc", &body, NULL, &err), 0,
	    "put from memory creates the folders");
	is_int(storage_obj_head(st, "repository/packs/ab/abc", &sb, &err), 0, "head");
	is_int((int)sb.size, 12, "  size");
	memset(buf, 0, sizeof buf);
	sink.buf = buf;
	is_int(storage_obj_get(st, "repository/packs/ab/abc", 7, 5, &sink, NULL, NULL, &err), 0,
	    "ranged get into memory");
	is_str(buf, "world", "  the range");
	is_int(storage_obj_get(st, "repository/packs/ab/abc", 10, 5, &sink, NULL, NULL, &err), -1,
	    "a range past the end fails");
	is_int(storage_obj_head(st, "repository/none", &sb, &err), -1, "head of nothing fails");
	is_int(err.code, VS_ERR_NOTFOUND, "  with not-found");
	is_int(storage_obj_put(st, "../escape", &body, NULL, &err), -1, "a key with .. is refused");

	/* A body from a file, shown to a tap; and a spooled file moved. */
	path = xasprintf("%s/src", dir);
	fs_write_atomic(path, "0123456789", 10, 0600, &err);
	fd = open(path, O_RDONLY);
	{
		uint64_t n = 0;
		struct storage_body fb = storage_body_fd(fd, 2, 6);

		fb.tap = filter_tap_new(count_tap, &n);
		is_int(storage_obj_put(st, "x/y", &fb, NULL, &err), 0, "put a range of a file");
		is_int((int)n, 6, "  the tap saw every byte");
		filter_chain_free(fb.tap);
	}
	close(fd);
	is_int(storage_obj_read(st, "x/y", 100, &data, &len, &err), 0, "read it whole");
	is_str(data, "234567", "  the bytes of the range");
	free(data);
	is_int(storage_obj_read(st, "x/y", 3, &data, &len, &err), -1,
	    "reading more than the limit fails");
	{
		char *spool;
		struct storage_body sbody;
		const struct config *cfg = NULL;

		(void)cfg;
		spool = xasprintf("%s/.spool-test", dir);
		fs_write_atomic(spool, "spooled", 7, 0600, &err);
		fd = open(spool, O_RDONLY);
		sbody = storage_body_fd(fd, 0, 7);
		sbody.spool_path = spool;
		is_int(storage_obj_put(st, "x/z", &sbody, NULL, &err), 0, "put a spooled file");
		ok(!fs_exists(spool), "  it was moved, not copied");
		close(fd);
		free(spool);
	}

	memset(&seen, 0, sizeof seen);
	is_int(storage_obj_list(st, "repository/", 0, seen_cb, &seen, &err), 0, "list a prefix");
	ok(seen_has(&seen, "repository/packs/ab/abc"), "  finds the deep object");
	ok(!seen_has(&seen, "x/y"), "  and nothing outside the prefix");
	memset(&seen, 0, sizeof seen);
	storage_obj_list(st, "", 1, seen_cb, &seen, &err);
	ok(seen_has(&seen, "x/") && !seen_has(&seen, "x/y"), "depth 1: folders of the root only");
	memset(&seen, 0, sizeof seen);
	storage_obj_list(st, "x/", 0, seen_cb, &seen, &err);
	is_int((int)seen.n, 2, "no hidden temp files are listed");
	is_int(storage_obj_remove(st, "x/y", &err), 0, "remove");
	is_int(storage_obj_remove(st, "x/y", &err), 0, "removing it again is fine");
	is_int(storage_obj_remove_prefix(st, "x/", &err), 0, "remove a folder");
	free(path);
	path = xasprintf("%s/x", dir);
	ok(!fs_exists(path), "  it is gone");
	free(path);
}

static int
list_cb(void *ud, const struct storage_entry *e)
{
	char *out = ud;

	snprintf(out + strlen(out), 512 - strlen(out), "%s:%s%s ", e->id,
	    e->complete ? "complete" : "", e->partial ? "partial" : "");
	return 0;
}

static void
test_backups(struct storage *st, const char *dir)
{
	struct storage_txn *txn;
	struct vs_error err;
	struct seen seen;
	unsigned char md[32], want[32];
	char listing[512] = "", *path, *data;
	size_t len;
	int fd;

	error_clear(&err);
	path = xasprintf("%s/data", dir);
	fs_write_atomic(path, "redis data", 10, 0600, &err);
	fd = open(path, O_RDONLY);
	is_int(storage_begin(st, "20240101_000000", &txn, &err), 0, "begin a backup");
	is_int(storage_put(txn, "redis.rdb", fd, 10, NULL, md, &err), 0, "put a file");
	EVP_Digest("redis data", 10, want, NULL, EVP_sha256(), NULL);
	ok(memcmp(md, want, 32) == 0, "  its SHA-256 comes from the filter");
	is_int(storage_put(txn, "evil", fd, 10, NULL, md, &err), -1, "an unknown file is refused");
	free(path);
	path = xasprintf("%s/20240101_000000.partial/redis.rdb", dir);
	ok(fs_exists(path), "  it is written under {id}.partial");
	free(path);
	storage_list(st, list_cb, listing, &err);
	is_str(listing, "20240101_000000:partial ", "listed as partial while written");
	is_int(storage_commit(txn, "{}", 2, &err), 0, "commit");
	listing[0] = '\0';
	storage_list(st, list_cb, listing, &err);
	is_str(listing, "20240101_000000:complete ", "listed as complete");
	is_int(storage_begin(st, "20240101_000000", &txn, &err), -1, "the same id again is refused");
	is_int(storage_read_small(st, "20240101_000000", "metadata.json", 100, &data, &len, &err), 0,
	    "read metadata");
	is_str(data, "{}", "  as written");
	free(data);
	is_int(storage_write_small(st, "20240102_000000", "pinned", "", 0, &err), -1,
	    "no sidecar for a backup that does not exist");

	is_int(storage_begin(st, "20240103_000000", &txn, &err), 0, "begin another");
	storage_put(txn, "redis.rdb", fd, 10, NULL, md, &err);
	storage_abort(txn);
	listing[0] = '\0';
	storage_list(st, list_cb, listing, &err);
	is_str(listing, "20240101_000000:complete ", "an aborted backup leaves nothing");

	/* Foreign objects are reported, not listed. */
	memset(&seen, 0, sizeof seen);
	storage_set_warn(st, warn_cb, &seen);
	{
		struct storage_body b = storage_body_mem("x", 1);

		storage_obj_put(st, "20240101_000000/evil.sh", &b, NULL, &err);
		storage_obj_put(st, "notanid/metadata.json", &b, NULL, &err);
		storage_obj_put(st, "repository/config", &b, NULL, &err);
	}
	listing[0] = '\0';
	storage_list(st, list_cb, listing, &err);
	is_str(listing, "20240101_000000:complete ", "foreign objects are not backups");
	is_int((int)seen.nwarn, 2, "each foreign file is warned about, the repository is not");
	is_int(storage_remove(st, "20240101_000000", &err), 0, "remove the backup");
	is_int(storage_remove(st, "20240101_000000", &err), -1, "removing it again fails");
	is_int(err.code, VS_ERR_NOTFOUND, "  with not-found");
	close(fd);
}


/* --- what listing the backups asks a driver for -------------------------- */

struct count {
	size_t complete, total;
};

static int
count_cb(void *ud, const struct storage_entry *e)
{
	struct count *c = ud;

	c->total++;
	c->complete += e->complete;
	return 0;
}

/* The local disk: a listing of the backups walks two levels, never the
 * packs. */
struct walk_count {
	const struct storage_driver *real;
	size_t deep;              /* keys of more than two components shown */
	size_t manifests_calls;
	storage_object_cb cb;
	void *ud;
};

static struct walk_count *walk_count_of;

static int
walk_count_cb(void *ud, const struct storage_object *o)
{
	struct walk_count *wc = ud;
	int comps = 1;

	for (const char *p = o->key; p[0] != '\0' && p[1] != '\0'; p++)
		comps += *p == '/';
	if (comps > 2 && strncmp(o->key, "repository/manifests/", 21) != 0)
		wc->deep++;
	return wc->cb(wc->ud, o);
}

static int
walk_count_list(struct storage *st, const char *prefix, int depth, storage_object_cb cb,
    void *ud, struct vs_error *err)
{
	struct walk_count *wc = walk_count_of;

	if (strcmp(prefix, "repository/manifests/") == 0)
		wc->manifests_calls++;
	wc->cb = cb;
	wc->ud = ud;
	return wc->real->list(st, prefix, depth, walk_count_cb, wc, err);
}

static void
test_listing_local(struct storage *st)
{
	struct storage_driver drv = *st->drv;
	struct walk_count wc = { .real = st->drv };
	struct storage_body b = storage_body_mem("x", 1);
	struct vs_error err;
	struct count c = { 0 };
	char key[160];

	error_clear(&err);
	storage_set_warn(st, NULL, NULL);
	for (int i = 0; i < 40; i++) {
		snprintf(key, sizeof key, "repository/packs/%02x/%064x", i, i);
		storage_obj_put(st, key, &b, NULL, &err);
	}
	storage_obj_put(st, "repository/manifests/20240301_000000", &b, NULL, &err);
	drv.list = walk_count_list;
	walk_count_of = &wc;
	st->drv = &drv;
	is_int(storage_list(st, count_cb, &c, &err), 0, "local disk with a repository: listed");
	st->drv = wc.real;
	is_int((int)c.complete, 1, "  its backup is there");
	is_int((int)wc.deep, 0, "  no key below the repository's folders is walked");
	is_int((int)wc.manifests_calls, 1, "  its manifests are listed once");
}

static void
test_filters(void)
{
	struct filter *chain = filter_sha256_new();
	struct vs_error err;
	unsigned char md[32], want[32];
	uint64_t n = 0, bytes;

	filter_chain(chain, filter_tap_new(count_tap, &n));
	error_clear(&err);
	filter_write(chain, "abc", 3, &err);
	filter_write(chain, "def", 3, &err);
	is_int(filter_finish(chain, &err), 0, "a chain finishes");
	filter_sha256_result(chain, md, &bytes);
	EVP_Digest("abcdef", 6, want, NULL, EVP_sha256(), NULL);
	ok(memcmp(md, want, 32) == 0 && bytes == 6, "sha256 filter: digest and size");
	is_int((int)n, 6, "the bytes pass on to the next filter");
	filter_chain_free(chain);
}

int
main(void)
{
	char tmpl[] = "/tmp/vs-test-storage-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct config *cfg = config_defaults();
	struct storage *st;
	struct vs_error err;

	free(cfg->backup_dir);
	cfg->backup_dir = xstrdup(dir);
	test_keys();
	test_filters();
	if (storage_open_local(cfg, &st, &err) != 0) {
		ok(0, "open: %s", err.msg);
		return tap_done();
	}
	test_objects(st, dir);
	test_backups(st, dir);
	test_listing_local(st);
	storage_close(st);
	fs_remove_tree(dir, NULL);
	config_free(cfg);
	return tap_done();
}
