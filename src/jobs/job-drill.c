/*
 * drill: restore a backup into a sandbox and prove it is a working,
 * self-consistent vector store, without touching anything live. The
 * backup's files are copied into a scratch directory (the way restore
 * --target-dir writes them) and their checksums checked; a private
 * redis-server loads the RDB; the key counts, a sample of documents and
 * every document's id are checked; each index is loaded and checked
 * against the documents in a probe process. The time of each phase adds
 * up to the recovery time this backup would have. The result is kept
 * beside the backup (drill.json); the sandbox is removed, also after a
 * failure or a cancel (a killed drill's is removed by the next one).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/format.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "drill/server.h"
#include "jobs/catalog.h"
#include "jobs/drill.h"
#include "jobs/restore.h"
#include "storage/storage.h"

static const char *const drill_step_texts[DRILL_NSTEPS] = {
#define X(id, text) [id] = text,
	DRILL_STEPS(X)
#undef X
};

static void
step(struct drill_ctx *dc, enum drill_step s)
{
	job_set_step(dc->job, (int)s + 1, DRILL_NSTEPS);
	job_progress(dc->job, _(drill_step_texts[s]), 0, 0, false);
}

/* Add the time since the last phase ended to phase p. */
static void
phase_end(struct drill_ctx *dc, enum drill_phase p)
{
	double now = drill_now();

	dc->rep->seconds[p] += now - dc->phase_start;
	dc->phase_start = now;
}

/* The newest complete backup in st (safety backups taken by a restore
 * aside: they hold whatever state the restore replaced). "" when none. */
static int
newest_backup(const struct config *cfg, struct storage *st, char id[BACKUP_ID_SIZE],
    struct vs_error *err)
{
	struct catalog *cat = catalog_new(cfg);
	const struct catalog_copy *best = NULL;

	id[0] = '\0';
	if (catalog_add_location(cat, st, err) != 0) {
		catalog_free(cat);
		return -1;
	}
	catalog_finish(cat);
	for (size_t i = 0; i < cat->n; i++) {
		const struct catalog_entry *e = &cat->entries[i];
		const struct catalog_copy *c = catalog_copy_at(e, (size_t)storage_index(st));

		if (!c->present || !c->complete || !c->has_manifest ||
		    c->m.type == BACKUP_PRE_RESTORE)
			continue;
		if (best == NULL || c->m.created_at >= best->m.created_at) {
			best = c;
			snprintf(id, BACKUP_ID_SIZE, "%s", e->id);
		}
	}
	catalog_free(cat);
	return 0;
}

static bool
has_backup(struct storage *st, const char *id)
{
	uint64_t size;

	return storage_stat(st, id, STORAGE_METADATA, &size, NULL) == 0;
}

/* Which backup, from where: --from, else the nearest location that holds
 * it (local first, then the order of the configuration). */
static int
choose(struct drill_ctx *dc, struct job_drill_args *a, struct vs_error *err)
{
	size_t n = dc->cfg->nlocations;

	if (a->from[0] != '\0') {
		if (jobs_storage_open(dc->job, a->from, &dc->st, err) != 0)
			return -1;
		if (a->id[0] == '\0' && newest_backup(dc->cfg, dc->st, a->id, err) != 0)
			return -1;
	} else {
		char want[BACKUP_ID_SIZE];

		snprintf(want, sizeof want, "%s", a->id);
		for (size_t l = 0; l < n; l++) {
			storage_close(dc->st);
			dc->st = NULL;
			if (jobs_storage_open_at(dc->job, l, &dc->st, err) != 0) {
				if (l + 1 < n)
					continue;
				return -1;
			}
			if (want[0] == '\0' && newest_backup(dc->cfg, dc->st, a->id, err) != 0 && l + 1 == n)
				return -1;
			if (a->id[0] != '\0' && has_backup(dc->st, a->id))
				break;
			if (want[0] == '\0')
				a->id[0] = '\0';
		}
	}
	if (a->id[0] == '\0')
		return error_set(err, VS_ERR_NOTFOUND, _("there is no complete backup to drill in "
		    "%s%s"), storage_location(dc->st), n > 1 && !a->from[0] ?
		    _(" nor in any other location") : "");
	snprintf(dc->rep->id, sizeof dc->rep->id, "%s", a->id);
	snprintf(dc->rep->location, sizeof dc->rep->location, "%s", storage_name(dc->st));
	return 0;
}

/* The backup's metadata; a damaged one is a failed check (returns 1). */
static int
read_manifest(struct drill_ctx *dc, struct vs_error *err)
{
	const char *id = dc->rep->id;
	char *json = NULL, *where;
	size_t len;
	struct vs_error merr;
	int r;

	error_clear(&merr);
	if (storage_read_small(dc->st, id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json, &len,
	    &merr) != 0) {
		if (merr.code == VS_ERR_NOTFOUND) {
			error_set(err, VS_ERR_NOTFOUND, _("backup %s does not exist in %s (or is "
			    "unfinished)"), id, storage_location(dc->st));
			return -1;
		}
		if (merr.code != VS_ERR_FORMAT) {
			*err = merr;
			return -1;
		}
		drill_check(dc, "metadata", STORAGE_METADATA, false, NULL, "%s", merr.msg);
		return 1;
	}
	where = xasprintf("%s/%s/%s", storage_location(dc->st), id, STORAGE_METADATA);
	r = manifest_parse(json, where, &dc->m, &merr);
	free(where);
	free(json);
	if (r == 0 && strcmp(dc->m.backup_id, id) != 0)
		r = error_set(&merr, VS_ERR_FORMAT, _("backup_id is %s, expected %s"),
		    dc->m.backup_id, id);
	if (r != 0) {
		drill_check(dc, "metadata", STORAGE_METADATA, false, NULL, "%s", merr.msg);
		return 1;
	}
	return 0;
}

/* SHA-256 of a copy in the sandbox against the metadata. */
static int
check_copy(struct drill_ctx *dc, const struct manifest_file *f, struct vs_error *err)
{
	char *path = fs_join(dc->sb->dir, f->name), hex[65], phase[160];
	unsigned char md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *buf = xmalloc(1 << 20);
	uint64_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		fatal("cannot initialise SHA-256");
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot open %s"), path);
		goto out;
	}
	snprintf(phase, sizeof phase, _("checking %s"), f->name);
	while ((n = read(fd, buf, 1 << 20)) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		got += (uint64_t)n;
		job_progress(dc->job, phase, got, f->size, true);
		if (job_cancelled(dc->job)) {
			job_cancel_error(err);
			goto out;
		}
	}
	if (n < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), path);
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	manifest_hex(md, hex);
	if (got != f->size)
		drill_check(dc, "sha256", f->name, false, NULL, _("%llu bytes, metadata says %llu"),
		    (unsigned long long)got, (unsigned long long)f->size);
	else if (strcmp(hex, f->sha256) != 0)
		drill_check(dc, "sha256", f->name, false, NULL, _("SHA-256 is %s, metadata says %s "
		    "(file altered or damaged)"), hex, f->sha256);
	else
		drill_check(dc, "sha256", f->name, true, NULL, "%s", hex);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	free(buf);
	free(path);
	return rc;
}

static void
load_progress(void *ud, uint64_t done, uint64_t total)
{
	job_progress(ud, _("loading the RDB into the sandbox's Redis"), done, total, true);
}

static bool
load_cancelled(void *ud)
{
	return job_cancelled(ud);
}

/* Start the sandbox's server on the RDB. 1: it refused the RDB. */
static int
start_redis(struct drill_ctx *dc, bool keep, struct vs_error *err)
{
	const struct manifest *m = &dc->m;
	char prog[1024], ver[64], why[1024];
	struct drill_server_opts o = {
		.prog = prog,
		.rdb = m->redis.file.name,
		.db = m->redis.db,
		.tie = !keep,
		.timeout_s = dc->cfg->redis.start_timeout,
		.progress = load_progress,
		.cancelled = load_cancelled,
		.ud = dc->job,
	};
	double t0 = drill_now();
	int r;

	if (drill_server_pick(dc->cfg, NULL, prog, sizeof prog, err) != 0)
		return -1;
	drill_server_version(prog, ver, sizeof ver);
	snprintf(dc->rep->server, sizeof dc->rep->server, "%s%s%s%s", prog, ver[0] ? " (" : "",
	    ver, ver[0] ? ")" : "");
	r = drill_server_start(dc->sb, &o, &dc->redis, why, sizeof why, err);
	if (r < 0) {
		if (err->code != VS_ERR_CANCELLED)
			error_prefix(err, _("drill of %s (RDB format version %d, written by Redis "
			    "%s)"), dc->rep->id, m->redis.rdb_version, m->redis.redis_version ?
			    m->redis.redis_version : "?");
		return -1;
	}
	if (r > 0) {
		drill_check(dc, "redis_load", m->redis.file.name, false, NULL, _("%s refused it: %s"),
		    dc->rep->server, why);
		return 1;
	}
	drill_check(dc, "redis_load", m->redis.file.name, true, NULL, _("loaded in %.2f s by %s, "
	    "serving on %s"), drill_now() - t0, dc->rep->server, dc->sb->sock);
	return 0;
}

/* Which prefix's documents point into which index. */
static void
map_sides(struct drill_ctx *dc)
{
	const struct config *cfg = dc->cfg;
	const char *want[2] = { cfg->drill.content_prefix, cfg->drill.user_prefix };

	dc->side[0].name = "content";
	dc->side[0].ix = &dc->m.content;
	dc->side[1].name = "user";
	dc->side[1].ix = &dc->m.user;
	for (size_t i = 0; i < 2; i++) {
		if (want[i][0] != '\0')
			dc->side[i].prefix = want[i];
		else if (i < cfg->redis.nprefixes)
			dc->side[i].prefix = cfg->redis.prefixes[i];
	}
}

static void
check_rto(struct drill_ctx *dc)
{
	struct drill_report *r = dc->rep;
	/* Every location but backup_dir is fetched first: the remote target. */
	bool s3 = config_location_index(dc->cfg, r->location) != 0;
	int target = s3 ? dc->cfg->drill.rto_target_s3 : dc->cfg->drill.rto_target_local;
	char parts[256] = "";
	size_t len = 0;

	r->rto = 0;
	for (int p = 0; p < DRILL_PHASE__COUNT; p++) {
		r->rto += r->seconds[p];
		len += (size_t)snprintf(parts + len, sizeof parts - len, "%s%s %.1f s",
		    p > 0 ? ", " : "", drill_phase_text(p), r->seconds[p]);
		if (len >= sizeof parts)
			break;
	}
	r->target = target;
	if (target <= 0)
		drill_skip(dc, "rto", r->location, _("%.1f s (%s); no target set "
		    "(drill.rto_target_%s)"), r->rto, parts, s3 ? "s3" : "local");
	else
		drill_check(dc, "rto", r->location, r->rto <= target, NULL, r->rto <= target ?
		    _("%.1f s (%s), within the target of %d s") : _("%.1f s (%s), over the target "
		    "of %d s"), r->rto, parts, target);
}

static void
record(struct drill_ctx *dc)
{
	struct drill_report *r = dc->rep;
	struct drill_record rec;
	struct vs_error err;
	char *old = NULL, *text;
	size_t len;

	memset(&rec, 0, sizeof rec);
	rec.at = r->at;
	rec.ok = r->ok;
	snprintf(rec.location, sizeof rec.location, "%s", r->location);
	for (int p = 0; p < DRILL_PHASE__COUNT; p++)
		rec.seconds[p] = r->seconds[p];
	rec.rto = r->rto;
	rec.target = r->target;
	rec.recall[0] = r->recall[0];
	rec.recall[1] = r->recall[1];
	for (size_t i = 0; i < r->n; i++) {
		if (!r->checks[i].ok) {
			snprintf(rec.summary, sizeof rec.summary, "%s: %s", r->checks[i].what,
			    r->checks[i].detail);
			break;
		}
	}
	storage_read_small(dc->st, r->id, DRILL_RECORD_FILE, 1 << 20, &old, &len, NULL);
	text = drill_record_add(old, &rec);
	error_clear(&err);
	if (storage_write_small(dc->st, r->id, DRILL_RECORD_FILE, text, strlen(text), &err) == 0)
		r->recorded = true;
	else
		job_log(dc->job, VS_LOG_WARN, _("the result could not be recorded: %s"), err.msg);
	free(old);
	free(text);
}

/* Room in the sandbox for a copy of the backup, with a margin: a drill
 * that fills the disk half-way proves nothing and may hurt. */
static int
check_space(struct drill_ctx *dc, struct vs_error *err)
{
	uint64_t need = manifest_total_size(&dc->m), margin = need / 20 + (64u << 20), avail;
	char nb[32], ab[32];

	if (fs_free_bytes(dc->sb->dir, &avail, err) != 0)
		return -1;
	if (avail >= need + margin)
		return 0;
	format_bytes(need + margin, nb, sizeof nb);
	format_bytes(avail, ab, sizeof ab);
	return error_set(err, VS_ERR_NOSPACE, _("the drill of %s needs %s in %s for its copy of "
	    "the backup, and %s are free: free some space or set drill.dir to a larger file "
	    "system; the drill could not run"), dc->rep->id, nb, dc->sb->root, ab);
}

static void
reaped(void *ud, const char *dir)
{
	job_log(ud, VS_LOG_INFO, _("removed %s, the sandbox of a drill that did not finish"), dir);
}

/* Everything after the backup is chosen; the sandbox is made here. */
static int
drill_run(struct drill_ctx *dc, struct job_drill_args *a, struct vs_error *err)
{
	const struct manifest_file *f;
	char *root = drill_sandbox_root(dc->cfg);
	unsigned removed;
	struct vs_error rerr;
	int r;

	error_clear(&rerr);
	if (drill_sandbox_reap(root, false, reaped, dc->job, &removed, &rerr) != 0)
		job_log(dc->job, VS_LOG_WARN, "%s", rerr.msg);
	r = drill_sandbox_create(root, &dc->sb, err);
	free(root);
	if (r != 0 || check_space(dc, err) != 0)
		return -1;
	job_log(dc->job, VS_LOG_INFO, _("drilling %s (%s) in %s"), dc->rep->id,
	    storage_location(dc->st), dc->sb->dir);
	dc->phase_start = drill_now();

	step(dc, DRILL_STEP_FETCH);
	if (restore_materialise(dc->job, dc->st, &dc->m, dc->sb->dir, err) != 0)
		return -1;
	step(dc, DRILL_STEP_CHECKSUMS);
	for (size_t i = 0; (f = manifest_file_at(&dc->m, i)) != NULL; i++) {
		if (!f->present)
			continue;
		if (check_copy(dc, f, err) != 0)
			return -1;
	}
	phase_end(dc, DRILL_PHASE_DOWNLOAD);

	step(dc, DRILL_STEP_REDIS);
	map_sides(dc);
	r = 1;
	if (manifest_is_cluster(&dc->m))
		drill_skip(dc, "redis_load", MANIFEST_RDB_FILE, _("a Redis Cluster backup: "
		    "%zu shards, one RDB each, which a drill does not load; 'vsbackup verify "
		    "--deep' reads every shard"), dc->m.redis.nshards);
	else if (!dc->m.redis.file.present)
		drill_skip(dc, "redis_load", MANIFEST_RDB_FILE, _("the backup holds no RDB: %s"),
		    dc->m.redis.file.note ? dc->m.redis.file.note : _("no reason recorded"));
	else if ((r = start_redis(dc, a->keep, err)) < 0)
		return -1;
	phase_end(dc, DRILL_PHASE_REDIS);

	step(dc, DRILL_STEP_DOCS);
	if (r == 0 && drill_redis_checks(dc, err) != 0)
		return -1;
	else if (r != 0)
		drill_skip(dc, "key_count", "", _("Redis did not load the snapshot"));
	phase_end(dc, DRILL_PHASE_CHECKS);

	for (size_t i = 0; i < 2; i++) {
		struct drill_side *s = &dc->side[i];

		step(dc, i == 0 ? DRILL_STEP_CONTENT : DRILL_STEP_USER);
		if (job_cancelled(dc->job))
			return job_cancel_error(err);
		if (drill_index_checks(dc, s, err) != 0)
			return -1;
		phase_end(dc, DRILL_PHASE_CHECKS);
		if (s->probed) {
			dc->rep->seconds[DRILL_PHASE_INDEX] += s->probe.load_seconds;
			dc->rep->seconds[DRILL_PHASE_CHECKS] -= s->probe.load_seconds;
		}
	}
	check_rto(dc);
	return 0;
}

static void
ctx_clear(struct drill_ctx *dc)
{
	for (size_t i = 0; i < 2; i++) {
		free(dc->side[i].sample_ids);
		free(dc->side[i].sample_vecs);
		free(dc->side[i].docids);
		drill_probe_result_clear(&dc->side[i].probe);
	}
	if (dc->redis != NULL)
		redisFree(dc->redis);
	dc->redis = NULL;
	manifest_clear(&dc->m);
	storage_close(dc->st);
}

static int
job_drill_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	struct job_drill_args *a = argp;
	struct drill_report *rep = xcalloc(1, sizeof *rep);
	struct drill_ctx dc = { .job = job, .cfg = job_config(job), .rep = rep };
	struct vs_error cerr;
	ssize_t n;
	int r = -1;

	rep->ok = true;
	rep->recall[0] = rep->recall[1] = -1;
	rep->sample_size = dc.cfg->drill.sample_size;
	rep->seed = dc.cfg->drill.seed;
	n = readlink("/proc/self/exe", dc.exe, sizeof dc.exe - 1);
	if (n <= 0) {
		error_errno(err, VS_ERR_FAILED, errno, _("cannot find this program's own file "
		    "(/proc/self/exe) to run the index probe"));
		goto out;
	}
	dc.exe[n] = '\0';
	job_progress(job, _("choosing the backup"), 0, 0, false);
	if (choose(&dc, a, err) != 0)
		goto out;
	job_set_backup(job, rep->id);
	r = read_manifest(&dc, err);
	if (r < 0)
		goto out;
	if (r > 0) {
		/* Nothing to restore from and nothing to keep the result with. */
		rep->at = time_now();
		*result = rep;
		rep = NULL;
		r = 0;
		goto out;
	}
	if (drill_run(&dc, a, err) != 0) {
		r = -1;
		goto out;
	}
	rep->at = time_now();
	step(&dc, DRILL_STEP_RECORD);
	record(&dc);
	if (a->keep) {
		error_clear(&cerr);
		if (drill_sandbox_keep(dc.sb, &cerr) != 0)
			job_log(job, VS_LOG_WARN, "%s", cerr.msg);
		rep->kept_dir = xstrdup(dc.sb->dir);
		rep->kept_socket = dc.redis != NULL ? xstrdup(dc.sb->sock) : NULL;
		drill_sandbox_forget(dc.sb);
		dc.sb = NULL;
	}
	*result = rep;
	rep = NULL;
	r = 0;
out:
	if (dc.redis != NULL) {
		redisFree(dc.redis);
		dc.redis = NULL;
	}
	error_clear(&cerr);
	if (dc.sb != NULL && drill_sandbox_destroy(dc.sb, &cerr) != 0)
		job_log(job, VS_LOG_WARN, _("the drill's sandbox could not be removed: %s"), cerr.msg);
	ctx_clear(&dc);
	drill_report_free(rep);
	return r;
}

static void
job_drill_free_result(void *r)
{
	drill_report_free(r);
}

static void
job_drill_describe(const void *r, char *buf, size_t bufsz)
{
	drill_report_describe(r, buf, bufsz);
}

static struct cJSON *
job_drill_json(const void *r)
{
	return drill_report_json(r);
}

static bool
job_drill_failed(const void *r)
{
	return !((const struct drill_report *)r)->ok;
}

static const char *
job_drill_backup(const void *r)
{
	return ((const struct drill_report *)r)->id;
}

const struct job_type job_drill_type = {
	.name = "drill",
	.run = job_drill_run,
	.free_args = free,
	.free_result = job_drill_free_result,
	.describe = job_drill_describe,
	.to_json = job_drill_json,
	.failed = job_drill_failed,
	.result_backup = job_drill_backup,
};
