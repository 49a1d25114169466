#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/lock.h"
#include "ops/health.h"
#include "ops/live.h"
#include "ops/survey.h"
#include "redis/redis-cluster.h"
#include "redis/redis-conn.h"
#include "redis/redis-info.h"
#include "redis/redis-sentinel.h"
#include <stdint.h>

/* Instance-role credentials are refreshed by the driver five minutes
 * before they expire; ones that still run out sooner than this after a
 * refresh will fail the next long upload. */
#define HEALTH_CRED_MIN_SECONDS (15 * 60)

static const char *const health_names[] = {
#define X(id, name) [id] = name,
	HEALTH_CHECKS(X)
#undef X
};

const char *
health_state_name(enum health_state s)
{
	switch (s) {
	case HEALTH_OK:
		return "OK";
	case HEALTH_WARNING:
		return "WARNING";
	case HEALTH_CRITICAL:
		return "CRITICAL";
	case HEALTH_UNKNOWN:
		break;
	}
	return "UNKNOWN";
}

static int
health_rank(enum health_state s)
{
	switch (s) {
	case HEALTH_OK:
		return 0;
	case HEALTH_WARNING:
		return 1;
	case HEALTH_UNKNOWN:
		return 2;
	case HEALTH_CRITICAL:
		break;
	}
	return 3;
}

enum health_state
health_worst(enum health_state a, enum health_state b)
{
	return health_rank(a) >= health_rank(b) ? a : b;
}

enum health_state
health_age_state(long long age, int limit_hours)
{
	long long limit = (long long)limit_hours * 3600;

	if (age <= limit)
		return HEALTH_OK;
	if (age <= 2 * limit)
		return HEALTH_WARNING;
	return HEALTH_CRITICAL;
}

enum health_state
health_space_state(uint64_t free_bytes, uint64_t need)
{
	if (need == 0 || free_bytes / 2 >= need)
		return HEALTH_OK;
	if (free_bytes >= need)
		return HEALTH_WARNING;
	return HEALTH_CRITICAL;
}

static void
check_set(struct health_check *c, enum health_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
check_set(struct health_check *c, enum health_state state, const char *fmt, ...)
{
	va_list ap;

	free(c->text);
	va_start(ap, fmt);
	c->text = xvasprintf(fmt, ap);
	va_end(ap);
	c->state = state;
}

/* A check that does not apply or cannot be made; state says which. */
static void
check_skip(struct health_check *c, enum health_state state, const char *why)
{
	check_set(c, state, "%s", why);
	c->skipped = true;
}

static void
check_value(struct health_check *c, const char *label, double value, const char *unit,
    double warn, double crit, bool low)
{
	c->has_value = true;
	free(c->label);
	c->label = xstrdup(label);
	c->value = value;
	c->unit = unit;
	c->warn = warn;
	c->crit = crit;
	c->low = low;
}

/* --- Redis ------------------------------------------------------------------ */

/*
 * Reachable means a server answers on the socket at all, before any
 * password: a PING answered with NOAUTH or LOADING still proves it. The
 * connection code of src/redis authenticates as it connects, so this one
 * probe talks to hiredis itself.
 */
static void
health_redis_reachable(const struct config *cfg, struct health_check *c, bool *loading)
{
	struct timeval tv;
	redisContext *ctx;
	redisReply *rep;
	char *where;
	int ms = cfg->redis.timeout_ms > 0 ? cfg->redis.timeout_ms : 10000;
	bool unix_socket = cfg->redis.socket[0] != '\0';

	*loading = false;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (unix_socket) {
		where = xstrdup(cfg->redis.socket);
		ctx = redisConnectUnixWithTimeout(cfg->redis.socket, tv);
	} else {
		where = xasprintf("%s:%d", cfg->redis.host, cfg->redis.port);
		ctx = redisConnectWithTimeout(cfg->redis.host, cfg->redis.port, tv);
	}
	if (ctx == NULL)
		fatal("out of memory connecting to Redis");
	if (ctx->err != 0) {
		check_set(c, HEALTH_CRITICAL, _("cannot connect to Redis at %s: %s (%s in %s)"), where,
		    ctx->errstr, unix_socket ? "redis.socket" : "redis.host, redis.port", cfg->path);
		goto out;
	}
	redisSetTimeout(ctx, tv);
	rep = redisCommand(ctx, "PING");
	if (rep == NULL) {
		check_set(c, HEALTH_CRITICAL, _("Redis at %s does not answer PING: %s"), where,
		    ctx->errstr[0] ? ctx->errstr : strerror(errno));
		goto out;
	}
	if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "LOADING", 7) == 0)
		*loading = true;
	if (rep->type == REDIS_REPLY_ERROR)
		check_set(c, HEALTH_OK, _("Redis at %s answers (%.40s)"), where, rep->str);
	else
		check_set(c, HEALTH_OK, _("Redis at %s answers"), where);
	freeReplyObject(rep);
out:
	redisFree(ctx);
	free(where);
}

static void
health_redis_at(const struct config *cfg, struct health_report *r)
{
	struct health_check *reach = HEALTH_CHECK(r, HEALTH_REDIS_REACHABLE);
	struct health_check *auth = HEALTH_CHECK(r, HEALTH_REDIS_AUTH);
	struct health_check *bgsave = HEALTH_CHECK(r, HEALTH_REDIS_BGSAVE);
	struct health_check *loading = HEALTH_CHECK(r, HEALTH_REDIS_LOADING);
	struct redis_persistence p;
	struct redis_conn *conn = NULL;
	struct vs_error err;
	bool ping_loading;

	health_redis_reachable(cfg, reach, &ping_loading);
	if (reach->state != HEALTH_OK) {
		check_skip(auth, HEALTH_UNKNOWN, _("not checked: Redis is not reachable"));
		check_skip(bgsave, HEALTH_UNKNOWN, _("not checked: Redis is not reachable"));
		check_skip(loading, HEALTH_UNKNOWN, _("not checked: Redis is not reachable"));
		return;
	}
	error_clear(&err);
	if (redis_conn_open(cfg, &conn, &err) != 0) {
		if (ping_loading) {
			check_skip(auth, HEALTH_UNKNOWN, err.msg);
			check_skip(bgsave, HEALTH_UNKNOWN, _("not checked: Redis is loading"));
			check_set(loading, HEALTH_CRITICAL, _("Redis is loading its data set"));
			return;
		}
		check_set(auth, HEALTH_CRITICAL, "%s", err.msg);
		check_skip(bgsave, HEALTH_UNKNOWN, _("not checked: not logged in to Redis"));
		check_skip(loading, HEALTH_UNKNOWN, _("not checked: not logged in to Redis"));
		return;
	}
	if (cfg->redis.username[0] != '\0')
		check_set(auth, HEALTH_OK, _("logged in with redis.password as user %s, db %d "
		    "selected"), cfg->redis.username, cfg->redis.db);
	else if (cfg->redis.password[0] != '\0')
		check_set(auth, HEALTH_OK, _("logged in with redis.password, db %d selected"),
		    cfg->redis.db);
	else
		check_set(auth, HEALTH_OK, _("no password needed, db %d selected"), cfg->redis.db);
	if (redis_info_fetch_persistence(conn, &p, &err) != 0) {
		check_set(bgsave, HEALTH_UNKNOWN, "%s", err.msg);
		check_set(loading, HEALTH_UNKNOWN, "%s", err.msg);
		redis_conn_close(conn);
		return;
	}
	redis_conn_close(conn);
	if (strcmp(p.last_bgsave_status, "ok") != 0)
		check_set(bgsave, HEALTH_CRITICAL, _("the last background save failed "
		    "(rdb_last_bgsave_status:%s): backups cannot take a snapshot; see the "
		    "Redis log"), p.last_bgsave_status);
	else if (p.bgsave_in_progress)
		check_set(bgsave, HEALTH_OK, _("the last background save succeeded; one is "
		    "running now"));
	else
		check_set(bgsave, HEALTH_OK, _("the last background save succeeded"));
	if (p.loading)
		check_set(loading, HEALTH_CRITICAL, _("Redis is loading its data set (%.0f%% done)"),
		    p.loading_perc);
	else
		check_set(loading, HEALTH_OK, _("Redis is not loading"));
}

/* The keys a server holds in its db, -1 when it does not say. */
static long long
health_dbsize(const struct config *cfg)
{
	struct redis_conn *c;
	struct vs_error e;
	redisReply *rep;
	long long n = -1;

	error_clear(&e);
	if (redis_conn_open(cfg, &c, &e) != 0)
		return -1;
	rep = redis_conn_command(c, &e, "DBSIZE");
	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		n = rep->integer;
	if (rep != NULL)
		freeReplyObject(rep);
	redis_conn_close(c);
	return n;
}

/*
 * A Redis Cluster: the cluster must be whole (every slot served, state
 * ok), and each Redis check is made on every master, the worst counting;
 * each line names the masters, the reachable one with its keys.
 */
static void
health_cluster(const struct config *cfg, struct health_report *r)
{
	static const int ids[] = {
		HEALTH_REDIS_REACHABLE, HEALTH_REDIS_AUTH, HEALTH_REDIS_BGSAVE, HEALTH_REDIS_LOADING,
	};
	struct health_report one;
	struct redis_cluster cl;
	struct vs_error err;
	char *text[4] = { NULL, NULL, NULL, NULL };
	enum health_state st[4] = { HEALTH_OK, HEALTH_OK, HEALTH_OK, HEALTH_OK };

	error_clear(&err);
	if (redis_cluster_discover(cfg, &cl, &err) != 0) {
		check_set(HEALTH_CHECK(r, HEALTH_REDIS_REACHABLE), HEALTH_CRITICAL, "%s", err.msg);
		for (size_t k = 1; k < 4; k++)
			check_skip(HEALTH_CHECK(r, ids[k]), HEALTH_UNKNOWN,
			    _("not checked: the cluster is not whole"));
		return;
	}
	for (size_t i = 0; i < cl.n; i++) {
		const struct redis_master *m = &cl.masters[i];
		long long keys;

		/* The master's own checks, in a report of their own. */
		health_report_init(&one, m->cfg);
		health_redis_at(m->cfg, &one);
		keys = HEALTH_CHECK(&one, HEALTH_REDIS_REACHABLE)->state == HEALTH_OK ?
		    health_dbsize(m->cfg) : -1;
		for (size_t k = 0; k < 4; k++) {
			const struct health_check *c = HEALTH_CHECK(&one, ids[k]);
			char *prev = text[k], keystext[64] = "";

			if (k == 0 && keys >= 0)
				snprintf(keystext, sizeof keystext, _(", %lld keys"), keys);
			st[k] = health_worst(st[k], c->state);
			text[k] = xasprintf("%s%s%s%s: %s", prev ? prev : "", prev ? "; " : "",
			    m->addr, keystext, c->text ? c->text : "");
			free(prev);
		}
		health_report_clear(&one);
	}
	for (size_t k = 0; k < 4; k++) {
		if (k == 0)
			check_set(HEALTH_CHECK(r, ids[k]), st[k], ngettext("a cluster of %zu master: %s",
			    "a cluster of %zu masters: %s", cl.n), cl.n, text[k]);
		else
			check_set(HEALTH_CHECK(r, ids[k]), st[k], "%s", text[k]);
		free(text[k]);
	}
	redis_cluster_clear(&cl);
}

/* Under Sentinel, the checks are of the master the sentinels name now. */
static void
health_redis(const struct config *cfg, struct health_report *r)
{
	struct redis_target t;
	struct vs_error err;

	if (redis_cluster_mode(cfg)) {
		health_cluster(cfg, r);
		return;
	}
	if (!redis_sentinel_mode(cfg)) {
		health_redis_at(cfg, r);
		return;
	}
	error_clear(&err);
	if (redis_sentinel_discover(cfg, false, &t, &err) != 0) {
		check_set(HEALTH_CHECK(r, HEALTH_REDIS_REACHABLE), HEALTH_CRITICAL, "%s", err.msg);
		check_skip(HEALTH_CHECK(r, HEALTH_REDIS_AUTH), HEALTH_UNKNOWN,
		    _("not checked: Redis is not reachable"));
		check_skip(HEALTH_CHECK(r, HEALTH_REDIS_BGSAVE), HEALTH_UNKNOWN,
		    _("not checked: Redis is not reachable"));
		check_skip(HEALTH_CHECK(r, HEALTH_REDIS_LOADING), HEALTH_UNKNOWN,
		    _("not checked: Redis is not reachable"));
		return;
	}
	health_redis_at(t.master, r);
	redis_target_clear(&t);
}

/* --- locations ------------------------------------------------------------- */

static void
health_loc_reach(const struct ops_survey *s, size_t l, struct health_check *reach)
{
	const struct ops_location *loc = &s->locs[l];

	if (loc->listed)
		check_set(reach, HEALTH_OK, ngettext("%s listed: %zu complete backup",
		    "%s listed: %zu complete backups", loc->complete), loc->where, loc->complete);
	else
		check_set(reach, HEALTH_CRITICAL, "%s", loc->error);
}

/* Instance-role credentials are refreshed before they expire; ones that
 * still run out soon will fail the next long upload. */
static void
health_loc_credentials(const struct config_location *cl, struct health_check *cred)
{
	struct vs_error err;
	char when[ISO8601_SIZE], *source = NULL, *label;
	time_t exp = 0;

	if (cl->driver->credentials == NULL) {
		check_skip(cred, HEALTH_OK, _("this kind of location needs no credentials"));
		return;
	}
	error_clear(&err);
	if (cl->driver->credentials(cl, &source, &exp, &err) != 0) {
		check_set(cred, HEALTH_CRITICAL, "%s", err.msg);
		return;
	}
	if (exp == 0) {
		check_set(cred, HEALTH_OK, _("from %s; when they expire cannot be told (only "
		    "instance-role credentials carry an expiry)"), source);
		cred->skipped = true;
	} else {
		long long left = (long long)(exp - time(NULL));

		time_format_iso(exp, when);
		if (left < HEALTH_CRED_MIN_SECONDS)
			check_set(cred, HEALTH_WARNING, _("from %s; they expire at %s, in %lld s, "
			    "and could not be renewed for longer"), source, when, left);
		else
			check_set(cred, HEALTH_OK, _("from %s; renewed automatically, the current "
			    "ones expire at %s"), source, when);
		label = xasprintf("%s_credentials_left", cl->name);
		check_value(cred, label, (double)left, "s", HEALTH_CRED_MIN_SECONDS, 0, true);
		free(label);
	}
	free(source);
}

/* --- the live index files and the keys -------------------------------------------- */

/* A missing or unreadable live index leaves the service without it. */
static void
health_index(const struct live_index *li, enum live_index_id i, struct health_check *c)
{
	static const char *const labels[LIVE_NINDEX] = { "content_vectors", "user_vectors" };
	char age[32];

	if (!li->present) {
		check_set(c, HEALTH_CRITICAL, _("the live %s index is missing: %s; restore it "
		    "('vsbackup restore ID --plan' shows what a restore brings back)"),
		    live_index_name(i), li->error);
		return;
	}
	if (!li->readable) {
		check_set(c, HEALTH_CRITICAL, _("the live %s index cannot be read: %s"),
		    live_index_name(i), li->error);
		return;
	}
	time_format_age(time_now() > li->mtime ? (long long)(time_now() - li->mtime) : 0, age,
	    sizeof age);
	check_set(c, HEALTH_OK, ngettext("%s: %lld vector of dim %d, written %s ago",
	    "%s: %lld vectors of dim %d, written %s ago", (unsigned long)li->ntotal), li->path,
	    (long long)li->ntotal, li->dim, age);
	check_value(c, labels[i], (double)li->ntotal, "", 0, 0, false);
}

/* An empty Redis where the newest backup holds keys: the data was lost. */
static void
health_keys(const struct ops_survey *s, const struct live_state *live, struct health_check *c)
{
	const struct live_redis *lr = &live->redis;
	const struct catalog_entry *e;
	const struct catalog_copy *b;

	if (!lr->ok || !lr->dbsize_ok) {
		check_skip(c, HEALTH_UNKNOWN, lr->loading ? _("not checked: Redis is loading") :
		    _("not checked: Redis is not reachable"));
		return;
	}
	check_value(c, "keys", (double)lr->dbsize, "", 0, 0, false);
	e = s != NULL && s->cat != NULL ? catalog_newest(s->cat, CATALOG_ALL_LOCATIONS, false,
	    NULL) : NULL;
	b = e != NULL ? catalog_usable(e) : NULL;
	if (lr->dbsize == 0 && b != NULL && b->m.redis.dbsize > 0) {
		check_set(c, HEALTH_WARNING, _("Redis holds no keys, the newest backup %s holds %llu: "
		    "was the data lost? 'vsbackup restore %s --plan' shows what a restore brings "
		    "back"), e->id, (unsigned long long)b->m.redis.dbsize, e->id);
		return;
	}
	if (e == NULL || b == NULL)
		check_set(c, HEALTH_OK, ngettext("%llu key in the database",
		    "%llu keys in the database", (unsigned long)lr->dbsize),
		    (unsigned long long)lr->dbsize);
	else
		check_set(c, HEALTH_OK, ngettext("%llu key in the database (the newest backup %s "
		    "holds %llu)", "%llu keys in the database (the newest backup %s holds %llu)",
		    (unsigned long)lr->dbsize), (unsigned long long)lr->dbsize, e->id,
		    (unsigned long long)b->m.redis.dbsize);
}

/* --- backups ------------------------------------------------------------------ */

/*
 * The newest copy in one location against the RPO: a location that stopped
 * receiving copies goes WARNING past monitoring.rpo_hours, CRITICAL past
 * twice it. A location that backups send to (upload = true) and that lacks
 * the newest backup made is a WARNING at once: a copy is missing there.
 */
static void
health_fresh(const struct config *cfg, const struct ops_survey *s, size_t l,
    struct health_check *c)
{
	const struct ops_location *loc = &s->locs[l];
	long long age, limit = (long long)cfg->monitoring.rpo_hours * 3600;
	const struct catalog_entry *newest;
	enum health_state st;
	char agebuf[32], *label;

	if (!loc->listed) {
		check_set(c, HEALTH_CRITICAL, _("the backups in %s cannot be listed: %s"),
		    loc->where, loc->error);
		return;
	}
	if (loc->newest == NULL) {
		check_set(c, HEALTH_CRITICAL, _("no complete backup in %s"), loc->where);
		return;
	}
	age = ops_survey_age(s, loc->newest_copy->m.created_at);
	time_format_age(age, agebuf, sizeof agebuf);
	label = xasprintf("%s_age", loc->name);
	check_value(c, label, (double)age, "s", (double)limit, (double)(2 * limit), false);
	free(label);
	st = health_age_state(age, cfg->monitoring.rpo_hours);
	newest = catalog_newest(s->cat, CATALOG_ALL_LOCATIONS, false, NULL);
	if (l > 0 && l < cfg->nlocations && cfg->locations[l].upload && newest != NULL &&
	    newest != loc->newest && !catalog_copy_counts(catalog_copy_at(newest, l))) {
		check_set(c, health_worst(st, HEALTH_WARNING), _("the newest backup %s has no copy "
		    "in %s ('vsbackup sync --to %s' sends it); the newest there, %s, is %s old "
		    "(monitoring.rpo_hours %d)"), newest->id, loc->where, loc->name,
		    loc->newest->id, agebuf, cfg->monitoring.rpo_hours);
		return;
	}
	check_set(c, st, _("newest backup in %s, %s, is %s old (monitoring.rpo_hours %d)"),
	    loc->where, loc->newest->id, agebuf, cfg->monitoring.rpo_hours);
}

/* Could any location be listed? */
static bool
health_any_listed(const struct ops_survey *s)
{
	for (size_t l = 0; l < s->nloc; l++)
		if (s->locs[l].listed)
			return true;
	return false;
}

static void
health_verified(const struct config *cfg, const struct ops_survey *s, struct health_check *c)
{
	long long age, limit = (long long)cfg->monitoring.verify_max_age_hours * 3600;
	char agebuf[32];
	enum health_state st;

	if (!health_any_listed(s)) {
		check_set(c, HEALTH_CRITICAL, _("no backups could be listed"));
		return;
	}
	if (s->verified == NULL) {
		check_set(c, HEALTH_CRITICAL, _("no backup has passed a verification "
		    "(run 'vsbackup verify ID')"));
		return;
	}
	age = ops_survey_age(s, s->verified_copy->m.created_at);
	time_format_age(age, agebuf, sizeof agebuf);
	st = health_age_state(age, cfg->monitoring.verify_max_age_hours);
	check_value(c, "verified_age", (double)age, "s", (double)limit, (double)(2 * limit),
	    false);
	/* A verification that failed since is worth knowing even when an
	 * older backup is still fine. */
	if (s->last_verify != NULL && !s->last_verify_copy->verify.ok) {
		check_set(c, health_worst(st, HEALTH_WARNING), _("the latest verification, of %s "
		    "(%s), failed: %s; the newest verified backup %s is %s old"),
		    s->last_verify->id, s->last_verify_copy->verify.location,
		    s->last_verify_copy->verify.summary, s->verified->id, agebuf);
		return;
	}
	check_set(c, st, _("newest verified backup %s is %s old "
	    "(monitoring.verify_max_age_hours %d)"), s->verified->id, agebuf,
	    cfg->monitoring.verify_max_age_hours);
}

/* A restore drill must have passed lately, and the last one must not
 * have failed. */
static void
health_drill(const struct config *cfg, const struct ops_survey *s, struct health_check *c)
{
	long long age, limit = (long long)cfg->drill.max_age_days * 86400;
	char agebuf[32], when[32];

	if (!health_any_listed(s)) {
		check_set(c, HEALTH_CRITICAL, _("no backups could be listed"));
		return;
	}
	if (s->last_drill != NULL && !s->last_drill_rec->ok) {
		time_format_age(ops_survey_age(s, s->last_drill_rec->at), when, sizeof when);
		check_set(c, HEALTH_CRITICAL, _("the last restore drill, of %s (%s, %s ago), failed: "
		    "%s; run 'vsbackup drill %s' for every check"), s->last_drill->id,
		    s->last_drill_rec->location, when, s->last_drill_rec->summary,
		    s->last_drill->id);
		return;
	}
	if (s->drilled == NULL) {
		check_set(c, HEALTH_WARNING, _("no restore drill has passed yet (run 'vsbackup "
		    "drill', weekly: vsbackup-drill.timer)"));
		return;
	}
	age = ops_survey_age(s, s->drilled_rec->at);
	time_format_age(age, agebuf, sizeof agebuf);
	check_value(c, "drill_age", (double)age, "s", (double)limit, 0, false);
	check_set(c, age > limit ? HEALTH_WARNING : HEALTH_OK, _("the last restore drill, of %s "
	    "(%s), passed %s ago with an RTO of %.1f s (drill.max_age_days %d)"), s->drilled->id,
	    s->drilled_rec->location, agebuf, s->drilled_rec->rto, cfg->drill.max_age_days);
}

static void
health_space(const struct config *cfg, const struct ops_survey *s, struct health_check *c)
{
	uint64_t need;
	char freebuf[32], needbuf[32];

	if (!s->have_free) {
		check_set(c, HEALTH_CRITICAL, "%s", s->free_error);
		return;
	}
	need = s->nloc > 0 && s->locs[0].newest != NULL ?
	    manifest_total_size(&s->locs[0].newest_copy->m) : 0;
	snprintf(freebuf, sizeof freebuf, "%llu", (unsigned long long)s->free_bytes);
	if (need == 0) {
		check_set(c, HEALTH_OK, _("%s bytes free in %s (no local backup to compare with)"),
		    freebuf, cfg->backup_dir);
		check_value(c, "free", (double)s->free_bytes, "B", 0, 0, true);
		return;
	}
	snprintf(needbuf, sizeof needbuf, "%llu", (unsigned long long)need);
	check_set(c, health_space_state(s->free_bytes, need), _("%s bytes free in %s; the "
	    "newest backup takes %s bytes (room for two is wanted)"), freebuf, cfg->backup_dir,
	    needbuf);
	check_value(c, "free", (double)s->free_bytes, "B", 2.0 * (double)need, (double)need, true);
}

static void
health_lock(const struct config *cfg, struct health_check *c)
{
	struct bdlock_holder h;
	struct vs_error err;
	char when[ISO8601_SIZE];
	int held;

	error_clear(&err);
	held = bdlock_probe(cfg->backup_dir, &h, &err);
	if (held < 0) {
		check_set(c, HEALTH_UNKNOWN, "%s", err.msg);
		return;
	}
	time_format_iso(h.started, when);
	if (held == 1 && h.pid <= 0)
		check_set(c, HEALTH_OK, _("held by a process that left no details in %s/%s"),
		    cfg->backup_dir, LOCK_FILE_NAME);
	else if (held == 1)
		check_set(c, HEALTH_OK, _("held by %s (pid %ld on %s) since %s"),
		    h.operation[0] ? h.operation : "?", (long)h.pid, h.host, when);
	else if (h.pid > 0)
		check_set(c, HEALTH_WARNING, _("stale lock: %s (pid %ld on %s, since %s) ended "
		    "without releasing %s/%s; the next operation takes it over"),
		    h.operation[0] ? h.operation : "?", (long)h.pid, h.host, when, cfg->backup_dir,
		    LOCK_FILE_NAME);
	else
		check_set(c, HEALTH_OK, _("free"));
}

/* --- the two halves, and the job ------------------------------------------------------ */

/* A check of a kind of location that is not used at all. */
static void
health_unused(struct health_check *c, const struct config_driver *d)
{
	check_set(c, HEALTH_OK, _("%s is not used (%s)"), _(d->label), _(d->unset));
	c->skipped = true;
}

static void
health_add(struct health_report *r, const char *name)
{
	r->checks = xreallocarray(r->checks, r->n + 1, sizeof *r->checks);
	memset(&r->checks[r->n], 0, sizeof r->checks[r->n]);
	r->checks[r->n++].name = xstrdup(name);
}

void
health_report_init(struct health_report *r, const struct config *cfg)
{
	memset(r, 0, sizeof *r);
	r->nloc = cfg->nlocations;
	r->loc = xcalloc(r->nloc * HEALTH_LOC__COUNT + 1, sizeof *r->loc);
	for (size_t i = 0; i < r->nloc * HEALTH_LOC__COUNT; i++)
		r->loc[i] = SIZE_MAX;
	for (size_t i = 0; i < HEALTH__COUNT; i++) {
		if (i == HEALTH_LOCATIONS_BEFORE) {
			/* A kind of location not used at all keeps its checks,
			 * skipped and saying so: monitoring that watches
			 * "s3.reachable" sees why it is not checked. */
			size_t unused[16], nunused = 0;

			for (size_t d = 1; config_drivers[d] != NULL && nunused < 16; d++) {
				unsigned set;

				if (config_drivers[d]->unset != NULL &&
				    config_location_select(cfg, config_drivers[d]->name, &set,
				    NULL) != 0)
					unused[nunused++] = d;
			}
			for (size_t k = 0; k < nunused; k++) {
				const struct config_driver *d = config_drivers[unused[k]];
				char *n = xasprintf("%s.reachable", d->name);

				health_add(r, n);
				health_unused(&r->checks[r->n - 1], d);
				free(n);
				n = xasprintf("%s.credentials", d->name);
				health_add(r, n);
				health_unused(&r->checks[r->n - 1], d);
				free(n);
			}
			for (size_t l = 1; l < r->nloc; l++) {
				char *n = xasprintf("%s.reachable", cfg->locations[l].name);

				r->loc[l * HEALTH_LOC__COUNT + HEALTH_LOC_REACHABLE] = r->n;
				health_add(r, n);
				free(n);
				n = xasprintf("%s.credentials", cfg->locations[l].name);
				r->loc[l * HEALTH_LOC__COUNT + HEALTH_LOC_CREDENTIALS] = r->n;
				health_add(r, n);
				free(n);
			}
			for (size_t l = 0; l < r->nloc; l++) {
				char *n = xasprintf("backup.age.%s", cfg->locations[l].name);

				r->loc[l * HEALTH_LOC__COUNT + HEALTH_LOC_AGE] = r->n;
				health_add(r, n);
				free(n);
			}
			for (size_t k = 0; k < nunused; k++) {
				const struct config_driver *d = config_drivers[unused[k]];
				char *n = xasprintf("backup.age.%s", d->name);

				health_add(r, n);
				health_unused(&r->checks[r->n - 1], d);
				free(n);
			}
		}
		r->idx[i] = r->n;
		health_add(r, health_names[i]);
	}
	r->at = time_now();
}

struct health_check *
health_location_check(struct health_report *r, size_t l, enum health_loc_check c)
{
	size_t i;

	if (l >= r->nloc || (i = r->loc[l * HEALTH_LOC__COUNT + c]) == SIZE_MAX)
		return NULL;
	return &r->checks[i];
}

void
health_check_live(const struct config *cfg, struct job *job, const struct health_live_opts *o,
    struct health_report *r, struct live_state *live)
{
	if (job != NULL)
		job_progress(job, _("checking Redis"), 0, 0, false);
	health_redis(cfg, r);
	live_read(cfg, job, o->count_keys, o->max_keys, live);
	for (int i = 0; i < LIVE_NINDEX; i++)
		health_index(&live->index[i], (enum live_index_id)i,
		    HEALTH_CHECK(r, HEALTH_INDEX_CONTENT + i));
	health_lock(cfg, HEALTH_CHECK(r, HEALTH_LOCK));
	health_restore(cfg, HEALTH_CHECK(r, HEALTH_RESTORE));
	for (size_t l = 1; l < r->nloc && l < cfg->nlocations; l++) {
		struct health_check *cred = health_location_check(r, l, HEALTH_LOC_CREDENTIALS);

		if (o->s3_credentials)
			health_loc_credentials(&cfg->locations[l], cred);
		else if (cred->text == NULL)
			check_skip(cred, HEALTH_OK, _("not checked yet"));
	}
}

void
health_check_backups(const struct config *cfg, const struct ops_survey *s,
    const struct live_state *live, struct health_report *r)
{
	for (size_t l = 0; l < r->nloc && l < s->nloc; l++) {
		struct health_check *reach = health_location_check(r, l, HEALTH_LOC_REACHABLE);

		if (reach != NULL)
			health_loc_reach(s, l, reach);
		health_fresh(cfg, s, l, health_location_check(r, l, HEALTH_LOC_AGE));
	}
	health_keys(s, live, HEALTH_CHECK(r, HEALTH_REDIS_KEYS));
	health_verified(cfg, s, HEALTH_CHECK(r, HEALTH_VERIFIED));
	health_drill(cfg, s, HEALTH_CHECK(r, HEALTH_DRILL));
	health_space(cfg, s, HEALTH_CHECK(r, HEALTH_SPACE));
	r->state = HEALTH_OK;
	for (size_t i = 0; i < r->n; i++)
		r->state = health_worst(r->state, r->checks[i].state);
}

static int
job_health_run(struct job *job, void *args, void **result, struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct health_report *r = xcalloc(1, sizeof *r);
	struct health_live_opts o = { .s3_credentials = true };
	struct live_state live;
	struct ops_survey s;

	(void)args;
	(void)err;
	health_report_init(r, cfg);
	health_check_live(cfg, job, &o, r, &live);
	ops_survey_take(cfg, job, &s);
	health_check_backups(cfg, &s, &live, r);
	ops_survey_clear(&s);
	live_clear(&live);
	*result = r;
	return 0;
}

void
health_report_clear(struct health_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->checks[i].name);
		free(r->checks[i].text);
		free(r->checks[i].label);
	}
	free(r->checks);
	free(r->loc);
	memset(r, 0, sizeof *r);
}

void
health_report_free(struct health_report *r)
{
	if (r == NULL)
		return;
	health_report_clear(r);
	free(r);
}

static void
job_health_free_result(void *r)
{
	health_report_free(r);
}

const struct job_type job_health_type = {
	.name = "health",
	.run = job_health_run,
	.free_result = job_health_free_result,
};

static void
perf_number(char *out, size_t outsz, double v)
{
	snprintf(out, outsz, "%.0f", v);
}

char *
health_perfdata(const struct health_report *r)
{
	char *out = xstrdup(""), *next;

	for (size_t i = 0; i < r->n; i++) {
		const struct health_check *c = &r->checks[i];
		char v[32], w[40] = "", k[40] = "";

		if (!c->has_value)
			continue;
		perf_number(v, sizeof v, c->value);
		if (c->warn > 0 || c->crit > 0) {
			perf_number(w, sizeof w, c->warn);
			/* No critical threshold: an empty field, never 0. */
			if (c->crit > 0)
				perf_number(k, sizeof k, c->crit);
			/* "N:" alerts below N, for the values that must stay high. */
			if (c->low) {
				strcat(w, ":");
				if (k[0] != '\0')
					strcat(k, ":");
			}
		}
		next = xasprintf("%s%s%s=%s%s;%s;%s;0", out, out[0] ? " " : "", c->label, v,
		    c->unit, w, k);
		free(out);
		out = next;
	}
	return out;
}
