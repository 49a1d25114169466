/*
 * verify: quick (metadata well-formed, every file present, sizes and
 * SHA-256 as recorded) and deep (also: the RDB parses to the recorded key
 * counts and passes the server's RDB checker (skipped, not failed, when the
 * checker is older than the file); both indexes load through FAISS with
 * the recorded ntotal and dim). Every check is listed in the report; the
 * result is stored in verify.json beside the backup.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/termsafe.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "faiss/faiss-index.h"
#include "jobs/jobs.h"
#include "jobs/rdb-checker.h"
#include "jobs/tools.h"
#include "manifest/verify-record.h"
#include "redis/rdb-reader.h"
#include "redis/redis-slot.h"
#include "repo/repo.h"
#include "repo/view.h"
#include "storage/storage.h"

#define VERIFY_BUF (1024 * 1024)

struct verify_ctx {
	struct job *job;
	const struct config *cfg;
	struct storage *st;
	struct verify_report *rep;
	const char *id;
	bool presence;            /* format 2: chunks indexed and packs there */
	uint64_t done, total;
	char phase[128];
};

static void __attribute__((format(printf, 4, 5)))
check(struct verify_ctx *vc, const char *what, bool ok, const char *fmt, ...)
{
	struct verify_report *r = vc->rep;
	struct verify_check *c;
	va_list ap;

	r->checks = xreallocarray(r->checks, r->n + 1, sizeof *r->checks);
	c = &r->checks[r->n++];
	c->what = xstrdup(what);
	c->ok = ok;
	va_start(ap, fmt);
	c->detail = xvasprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		r->ok = false;
		job_log(vc->job, VS_LOG_ERROR, "%s %s: %s", vc->id, what, c->detail);
	}
}

void
verify_report_free(struct verify_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->checks[i].what);
		free(r->checks[i].detail);
	}
	free(r->checks);
	free(r);
}

/* Stream one file: its SHA-256, and the RDB reader when deep. Returns -1
 * only when the verification cannot go on (cancel, storage error). */
static int
verify_stream(struct verify_ctx *vc, const struct manifest_file *f, struct rdb_reader *rdb,
    unsigned char md[32], uint64_t *got, struct vs_error *err)
{
	struct storage_reader *r;
	EVP_MD_CTX *ctx;
	char *buf;
	int rc = -1;

	if (storage_open_read(vc->st, vc->id, f->name, &r, err) != 0)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatal("cannot initialise SHA-256");
	buf = xmalloc(VERIFY_BUF);
	*got = 0;
	snprintf(vc->phase, sizeof vc->phase, _("checking %s"), f->name);
	for (;;) {
		ssize_t n = storage_read(r, buf, VERIFY_BUF, err);

		if (n < 0)
			goto out;
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		if (rdb != NULL && rdb_reader_feed(rdb, buf, (size_t)n, NULL) != 0) {
			/* The reader keeps its error for rdb_reader_finish(). */
		}
		*got += (uint64_t)n;
		vc->done += (uint64_t)n;
		job_progress(vc->job, vc->phase, vc->done, vc->total, true);
		if (job_cancelled(vc->job)) {
			job_cancel_error(err);
			goto out;
		}
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	storage_reader_close(r);
	return rc;
}

static int
verify_file(struct verify_ctx *vc, const struct manifest_file *f, struct rdb_reader *rdb,
    struct vs_error *err)
{
	unsigned char md[32];
	char hex[65], what[96];
	uint64_t size, got;
	struct vs_error ferr;

	error_clear(&ferr);
	if (storage_stat(vc->st, vc->id, f->name, &size, &ferr) != 0) {
		if (ferr.code != VS_ERR_NOTFOUND) {
			*err = ferr;
			return -1;
		}
		check(vc, f->name, false, _("missing from the backup"));
		vc->total -= f->size;
		return 1;
	}
	if (size != f->size) {
		check(vc, f->name, false,
		    _("size is %llu bytes, metadata says %llu (truncated or altered)"),
		    (unsigned long long)size, (unsigned long long)f->size);
		vc->total -= f->size;
		return 1;
	}
	if (verify_stream(vc, f, rdb, md, &got, err) != 0)
		return -1;
	manifest_hex(md, hex);
	snprintf(what, sizeof what, "%s sha256", f->name);
	if (got != f->size)
		check(vc, what, false, _("read %llu bytes, metadata says %llu"),
		    (unsigned long long)got, (unsigned long long)f->size);
	else if (strcmp(hex, f->sha256) != 0)
		check(vc, what, false, _("SHA-256 is %s, metadata says %s (file altered or damaged)"),
		    hex, f->sha256);
	else
		check(vc, what, true, "%s", hex);
	return 0;
}

/*
 * What one RDB file of the backup must hold: the backup's counts, or in a
 * cluster backup its shard's, and then only keys of the slots the shard's
 * master served.
 */
struct rdb_expect {
	const struct manifest_file *f;
	const uint64_t *counts;        /* per prefix, m->redis.ncounts */
	uint64_t dbsize;
	bool shard;
	unsigned char owned[REDIS_SLOTS];
	uint64_t outside;              /* keys in a slot it did not serve */
	unsigned first_slot;
	char first_key[96];
};

static int
verify_key_slot(void *ud, const struct rdb_key *k, struct vs_error *err)
{
	struct rdb_expect *x = ud;
	unsigned slot = redis_key_slot(k->key, k->keylen);
	char *safe;

	(void)err;
	if (x->owned[slot])
		return 0;
	if (x->outside++ == 0) {
		safe = termsafe_ndup((const char *)k->key, k->keylen, 60);
		snprintf(x->first_key, sizeof x->first_key, "%s", safe);
		free(safe);
		x->first_slot = slot;
	}
	return 0;
}

static struct rdb_expect *
rdb_expect_new(const struct manifest *m, size_t i, uint64_t *counts)
{
	struct rdb_expect *x = xcalloc(1, sizeof *x);

	for (size_t p = 0; p < m->redis.ncounts; p++)
		counts[p] = m->redis.counts[p].count;
	x->counts = counts;
	x->dbsize = m->redis.dbsize;
	x->f = &m->redis.file;
	if (manifest_is_cluster(m)) {
		const struct manifest_shard *sh = &m->redis.shards[i];

		x->f = &sh->file;
		x->counts = sh->counts;
		x->dbsize = sh->dbsize;
		x->shard = true;
		for (size_t r = 0; r < sh->nslots; r++)
			memset(x->owned + sh->slots[r].first, 1,
			    (size_t)sh->slots[r].last - sh->slots[r].first + 1);
	}
	return x;
}

static void
verify_rdb_deep(struct verify_ctx *vc, const struct manifest *m, struct rdb_reader *rdb,
    const struct rdb_expect *x)
{
	struct rdb_summary sum;
	struct vs_error rerr;
	char what[160], *path;

	error_clear(&rerr);
	memset(&sum, 0, sizeof sum);
	if (rdb_reader_finish(rdb, &sum, &rerr) != 0 &&
	    !(sum.checksum_present && !sum.checksum_ok)) {
		snprintf(what, sizeof what, _("%s contents"), x->f->name);
		check(vc, what, false, "%s", rerr.msg);
		rdb_summary_clear(&sum);
		return;
	}
	snprintf(what, sizeof what, _("%s checksum"), x->f->name);
	if (!sum.checksum_present)
		check(vc, what, true, _("none stored (the server runs with rdbchecksum no)"));
	else
		check(vc, what, sum.checksum_ok, sum.checksum_ok ?
		    _("CRC-64 matches") : _("CRC-64 does not match: the file is damaged"));
	for (size_t i = 0; i < m->redis.ncounts && i < sum.nprefixes; i++) {
		if (x->shard)
			snprintf(what, sizeof what, _("%s key count %s"), x->f->name,
			    m->redis.counts[i].prefix);
		else
			snprintf(what, sizeof what, _("key count %s"), m->redis.counts[i].prefix);
		check(vc, what, sum.prefix_keys[i] == x->counts[i],
		    _("%llu keys in the RDB, metadata says %llu"),
		    (unsigned long long)sum.prefix_keys[i], (unsigned long long)x->counts[i]);
	}
	if (x->shard)
		snprintf(what, sizeof what, _("%s dbsize"), x->f->name);
	else
		snprintf(what, sizeof what, "%s", _("dbsize"));
	check(vc, what, sum.db_keys == x->dbsize, _("%llu keys in db %d, metadata says %llu"),
	    (unsigned long long)sum.db_keys, m->redis.db, (unsigned long long)x->dbsize);
	if (x->shard) {
		snprintf(what, sizeof what, _("%s slots"), x->f->name);
		if (x->outside > 0)
			check(vc, what, false, _("%llu keys lie in slots its master did not serve, "
			    "e.g. \"%s\" (slot %u): the file is not this shard's"),
			    (unsigned long long)x->outside, x->first_key, x->first_slot);
		else
			check(vc, what, true, "%s", _("every key lies in a slot its master served"));
	}

	path = vc->rep->deep ? storage_local_path(vc->st, vc->id, x->f->name) : NULL;
	if (path != NULL) {
		char detail[1024];
		enum rdb_check_result r;

		job_progress(vc->job, _("running the RDB checker"), 0, 0, false);
		r = rdb_checker_run(vc->cfg, path, sum.version, sum.server, detail,
		    sizeof detail);
		if (r == RDB_CHECK_SKIPPED)
			job_log(vc->job, VS_LOG_INFO, "%s redis-check-rdb %s", vc->id, detail);
		snprintf(what, sizeof what, x->shard ? "redis-check-rdb %s" : "redis-check-rdb",
		    x->f->name);
		check(vc, what, r != RDB_CHECK_FAILED, "%s", detail);
		free(path);
	}
	rdb_summary_clear(&sum);
}

static void
verify_index_deep(struct verify_ctx *vc, const struct manifest_index *ix, const char *path)
{
	struct faiss_header h;
	struct vs_error ferr;
	int64_t ntotal;
	int dim;
	char what[96];

	error_clear(&ferr);
	snprintf(what, sizeof what, _("%s header"), ix->file.name);
	if (faiss_header_read_path(path, &h, &ferr) != 0) {
		check(vc, what, false, "%s", ferr.msg);
		return;
	}
	check(vc, what, h.ntotal == ix->ntotal && h.dim == ix->dim,
	    _("ntotal %lld, dim %d (metadata: %lld, %d)"), (long long)h.ntotal, h.dim,
	    (long long)ix->ntotal, ix->dim);
	snprintf(what, sizeof what, _("%s loads in FAISS"), ix->file.name);
	job_progress(vc->job, what, 0, 0, false);
	if (faiss_index_load_info(path, &ntotal, &dim, &ferr) != 0) {
		check(vc, what, false, "%s", ferr.msg);
		return;
	}
	check(vc, what, ntotal == ix->ntotal && dim == ix->dim,
	    _("ntotal %lld, dim %d (metadata: %lld, %d)"), (long long)ntotal, dim,
	    (long long)ix->ntotal, ix->dim);
}

/* Deep checks need a file path; a remote copy is fetched to a temp file. */
static int
verify_indexes_deep(struct verify_ctx *vc, const struct manifest *m, struct vs_error *err)
{
	const struct manifest_index *ixs[] = { &m->content, &m->user };

	for (size_t i = 0; i < 2; i++) {
		const struct manifest_index *ix = ixs[i];
		char *path;
		int fd = -1;

		if (!ix->file.present)
			continue;
		if (ix->unreadable) {
			check(vc, ix->file.name, true, _("not a readable index when it was saved: %s"),
			    ix->file.note ? ix->file.note : "");
			continue;
		}
		path = storage_local_path(vc->st, vc->id, ix->file.name);
		if (path == NULL) {
			path = xasprintf("%s/.verify-%s-XXXXXX", vc->cfg->backup_dir, ix->file.name);
			if (fs_mkdir_p(vc->cfg->backup_dir, 0700, err) != 0)
				goto fail;
			fd = mkstemp(path);
			if (fd < 0) {
				error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), path);
				goto fail;
			}
			if (storage_get(vc->st, vc->id, ix->file.name, fd, ix->file.size, NULL, err) != 0)
				goto fail;
		}
		verify_index_deep(vc, ix, path);
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		continue;
fail:
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		return -1;
	}
	return 0;
}

static int
verify_chunk_progress(void *ud, uint64_t delta)
{
	struct verify_ctx *vc = ud;

	vc->done += delta;
	job_progress(vc->job, vc->phase, vc->done, vc->total, true);
	return job_cancelled(vc->job) ? -1 : 0;
}

/* Record a file's chunk check (read: each chunk was read, else only found
 * in the index): 1 when some chunks are not sound. */
static int
chunks_record(struct verify_ctx *vc, const char *what, const struct repo_file_check *fc,
    bool read)
{
	if (fc->bad > 0) {
		check(vc, what, false, _("%llu of %llu chunks damaged or missing: %s"),
		    (unsigned long long)fc->bad, (unsigned long long)fc->chunks, fc->first);
		return 1;
	}
	if (read)
		check(vc, what, true, _("%llu chunks read and matched their ids"),
		    (unsigned long long)fc->chunks);
	else
		check(vc, what, true, _("%llu chunks indexed in packs that are there"),
		    (unsigned long long)fc->chunks);
	return 0;
}

/* Format 2: read exactly the chunks the file uses, each checked against
 * its id. 0 when all are sound, 1 when some are not (recorded), -1 when
 * the check could not run. */
static int
verify_chunks(struct verify_ctx *vc, const struct manifest *m, const struct manifest_file *f,
    struct vs_error *err)
{
	struct storage_progress progress = { .fn = verify_chunk_progress, .ud = vc };
	struct repo_file_check fc;
	struct repo *r = repo_view_repo(vc->st, err);
	char what[96];

	if (r == NULL)
		return -1;
	snprintf(vc->phase, sizeof vc->phase, _("checking %s"), f->name);
	snprintf(what, sizeof what, _("%s chunks"), f->name);
	if (vc->presence) {
		if (repo_check_present(r, m, f->name, &fc, err) != 0)
			return -1;
		return chunks_record(vc, what, &fc, false);
	}
	if (repo_check_file(r, m, f->name, &progress, &fc, err) != 0) {
		if (err->code == VS_ERR_CANCELLED || job_cancelled(vc->job))
			job_cancel_error(err);
		return -1;
	}
	return chunks_record(vc, what, &fc, true);
}

struct find_ctx {
	const char *id;
	bool found;
};

static int
find_cb(void *ud, const struct storage_entry *e)
{
	struct find_ctx *fc = ud;

	if (strcmp(e->id, fc->id) == 0) {
		fc->found = true;
		return 1;
	}
	return 0;
}

/* Is there anything at all under id (complete or not)? */
static int
backup_exists(struct storage *st, const char *id, bool *found, struct vs_error *err)
{
	struct find_ctx fc = { id, false };

	if (storage_list(st, find_cb, &fc, err) != 0)
		return -1;
	*found = fc.found;
	return 0;
}

static int
record_result(struct verify_ctx *vc)
{
	struct verify_report *r = vc->rep;
	struct verify_record rec;
	struct vs_error err;
	char *old = NULL, *text;
	size_t len;
	int rc;

	memset(&rec, 0, sizeof rec);
	rec.at = time_now();
	rec.deep = r->deep;
	rec.ok = r->ok;
	snprintf(rec.location, sizeof rec.location, "%s", r->location);
	for (size_t i = 0; i < r->n; i++) {
		if (!r->checks[i].ok) {
			snprintf(rec.summary, sizeof rec.summary, "%s: %s", r->checks[i].what,
			    r->checks[i].detail);
			break;
		}
	}
	storage_read_small(vc->st, vc->id, VERIFY_RECORD_FILE, 1 << 20, &old, &len, NULL);
	text = verify_record_add(old, &rec);
	error_clear(&err);
	rc = storage_write_small(vc->st, vc->id, VERIFY_RECORD_FILE, text, strlen(text), &err);
	if (rc != 0)
		job_log(vc->job, VS_LOG_WARN, _("the result could not be recorded: %s"), err.msg);
	free(old);
	free(text);
	return rc;
}

static int
verify_run(struct job *job, struct storage *st, const char *id, bool deep, bool presence,
    bool record, struct verify_report **out, struct vs_error *err)
{
	struct verify_ctx vc = { .job = job, .cfg = job_config(job), .id = id, .st = st,
	    .presence = presence };
	struct verify_report *rep = xcalloc(1, sizeof *rep);
	struct manifest m;
	struct rdb_reader *rdb = NULL;
	const char **prefixes = NULL;
	uint64_t *counts = NULL;
	size_t nrdb;
	char *json = NULL, *where;
	size_t len;
	bool found;
	struct vs_error merr;
	int rc = -1;

	memset(&m, 0, sizeof m);
	vc.rep = rep;
	rep->ok = true;
	rep->deep = deep;
	snprintf(rep->id, sizeof rep->id, "%s", id);
	snprintf(rep->location, sizeof rep->location, "%s", storage_name(st));
	job_set_backup(job, id);
	job_progress(job, _("reading metadata"), 0, 0, false);

	where = xasprintf("%s/%s/%s", storage_location(st), id, STORAGE_METADATA);
	error_clear(&merr);
	if (storage_read_small(st, id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json, &len,
	    &merr) != 0) {
		free(where);
		if (merr.code != VS_ERR_NOTFOUND && merr.code != VS_ERR_FORMAT) {
			*err = merr;
			goto out;
		}
		if (merr.code == VS_ERR_NOTFOUND) {
			if (backup_exists(st, id, &found, err) != 0)
				goto out;
			if (!found) {
				error_set(err, VS_ERR_NOTFOUND, _("backup %s does not exist in %s"),
				    id, storage_location(st));
				goto out;
			}
		}
		check(&vc, STORAGE_METADATA, false, "%s", merr.msg);
		goto done;
	}
	if (manifest_parse(json, where, &m, &merr) != 0) {
		free(where);
		check(&vc, STORAGE_METADATA, false, "%s", merr.msg);
		goto done;
	}
	free(where);
	if (strcmp(m.backup_id, id) != 0) {
		check(&vc, STORAGE_METADATA, false, _("backup_id is %s, expected %s"),
		    m.backup_id, id);
		goto done;
	}
	check(&vc, STORAGE_METADATA, true, _("well-formed, format version %d"), m.format_version);

	vc.total = manifest_total_size(&m);
	prefixes = xcalloc(m.redis.ncounts + 1, sizeof *prefixes);
	for (size_t i = 0; i < m.redis.ncounts; i++)
		prefixes[i] = m.redis.counts[i].prefix;
	counts = xcalloc(m.redis.ncounts + 1, sizeof *counts);
	nrdb = manifest_is_cluster(&m) ? m.redis.nshards : 1;
	{
		const struct manifest_file *f;

		for (size_t i = 0; (f = manifest_file_at(&m, i)) != NULL; i++) {
			struct rdb_expect *x = NULL;
			int frc;

			if (!f->present) {
				check(&vc, f->name, true, _("absent at backup time: %s"),
				    f->note ? f->note : _("no reason recorded"));
				continue;
			}
			if (m.format_version >= 2) {
				/* Quick: the chunks themselves; deep: then the
				 * files reassembled from them. */
				frc = verify_chunks(&vc, &m, f, err);
				if (frc < 0)
					goto out;
				if (frc > 0 || !deep)
					continue;
			}
			if (deep && i < nrdb) {
				x = rdb_expect_new(&m, i, counts);
				rdb = rdb_reader_new(prefixes, m.redis.ncounts, m.redis.db);
				if (x->shard)
					rdb_reader_on_key(rdb, verify_key_slot, x, 0);
			}
			frc = verify_file(&vc, f, rdb, err);
			if (frc == 0 && rdb != NULL)
				verify_rdb_deep(&vc, &m, rdb, x);
			rdb_reader_free(rdb);
			rdb = NULL;
			free(x);
			if (frc < 0)
				goto out;
		}
	}
	/* A format 2 file with damaged chunks cannot be reassembled. */
	if (deep && (m.format_version < 2 || rep->ok) && verify_indexes_deep(&vc, &m, err) != 0)
		goto out;
done:
	/* Results are kept beside a backup's metadata; without metadata.json
	 * there is no complete backup to keep them with. */
	if (record && json != NULL && !(presence && m.format_version >= 2))
		rep->recorded = record_result(&vc) == 0;
	*out = rep;
	rep = NULL;
	rc = 0;
out:
	rdb_reader_free(rdb);
	free(prefixes);
	free(counts);
	manifest_clear(&m);
	free(json);
	verify_report_free(rep);
	return rc;
}

int
verify_backup(struct job *job, struct storage *st, const char *id, bool deep, bool record,
    struct verify_report **out, struct vs_error *err)
{
	return verify_run(job, st, id, deep, false, record, out, err);
}

int
verify_before_restore(struct job *job, struct storage *st, const char *id,
    struct verify_report **out, struct vs_error *err)
{
	return verify_run(job, st, id, false, true, true, out, err);
}

static int
job_verify_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_verify_args *args = argp;
	struct storage *st = NULL;
	struct verify_report *rep;
	int rc;

	if (jobs_storage_open(job, args->location, &st, err) != 0)
		return -1;
	rc = verify_backup(job, st, args->id, args->deep, true, &rep, err);
	storage_close(st);
	if (rc == 0)
		*result = rep;
	return rc;
}

static void
job_verify_free_result(void *r)
{
	verify_report_free(r);
}

static void
job_verify_describe(const void *r, char *buf, size_t bufsz)
{
	const struct verify_report *rep = r;
	const char *first = "";
	size_t failed = 0;

	for (size_t i = 0; i < rep->n; i++)
		if (!rep->checks[i].ok && failed++ == 0)
			first = rep->checks[i].what;
	if (rep->ok)
		snprintf(buf, bufsz, _("backup %s (%s) is valid: %zu checks passed (%s verification)"),
		    rep->id, rep->location, rep->n, rep->deep ? _("deep") : _("quick"));
	else
		snprintf(buf, bufsz, _("backup %s (%s) is INVALID: %zu of %zu checks failed, the "
		    "first: %s"), rep->id, rep->location, failed, rep->n, first);
}

static cJSON *
job_verify_json(const void *r)
{
	const struct verify_report *rep = r;
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "id", rep->id);
	cJSON_AddStringToObject(o, "location", rep->location);
	cJSON_AddStringToObject(o, "level", rep->deep ? "deep" : "quick");
	cJSON_AddBoolToObject(o, "valid", rep->ok);
	cJSON_AddBoolToObject(o, "recorded", rep->recorded);
	arr = cJSON_AddArrayToObject(o, "checks");
	for (size_t i = 0; i < rep->n; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "check", rep->checks[i].what);
		cJSON_AddBoolToObject(c, "ok", rep->checks[i].ok);
		cJSON_AddStringToObject(c, "detail", rep->checks[i].detail);
		cJSON_AddItemToArray(arr, c);
	}
	return o;
}

static bool
job_verify_failed(const void *r)
{
	return !((const struct verify_report *)r)->ok;
}

const struct job_type job_verify_type = {
	.name = "verify",
	.run = job_verify_run,
	.free_args = free,
	.free_result = job_verify_free_result,
	.describe = job_verify_describe,
	.to_json = job_verify_json,
	.failed = job_verify_failed,
};
