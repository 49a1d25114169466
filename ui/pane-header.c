/*
 * The main screen's status header, read every few seconds by the status
 * job and checked as 'vsbackup health' checks (the model completes the
 * same health report): the title row with the overall health or the jobs
 * running; Redis (version, keys and keys per prefix, BGSAVE; "restoring"
 * while a restore has it stopped); each live index file and the last
 * scheduled run and the last restore drill; S3, the newest backup against
 * the RPO and the free space.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

static attr_t
state_attr(enum health_state st)
{
	return theme_attr(st == HEALTH_OK ? COL_OK : st == HEALTH_WARNING ? COL_WARN : COL_BAD);
}

static void
header_title(struct tui *t, const struct tui_rect *R)
{
	const struct tui_status *s = t->m.status;
	const struct config *cfg = t->cfg;
	int end = R->x + R->w, x, right;
	size_t running = model_jobs_running(&t->m, true);
	char buf[256];

	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	x = draw_seg(R->y, R->x + 1, end, theme_attr(COL_TITLE), "vsbackup");
	snprintf(buf, sizeof buf, "  %s", cfg->path ? cfg->path : "");
	draw_seg(R->y, x, end - 26, theme_attr(COL_TITLE), buf);
	if (running > 0) {
		snprintf(buf, sizeof buf, ngettext("%zu job running", "%zu jobs running", running),
		    running);
		draw_text_right(R->y, end - 25, 24, theme_attr(COL_TITLE), buf);
		return;
	}
	right = end - 1 - draw_width(_("? help"));
	draw_text(R->y, right, end - right, theme_attr(COL_TITLE), _("? help"));
	/* Another process at work: who holds the lock. */
	if (s != NULL && s->locked) {
		snprintf(buf, sizeof buf, _("locked: %s (pid %ld)"), s->holder.operation[0] ?
		    s->holder.operation : "?", (long)s->holder.pid);
		draw_text_right(R->y, right - 34, 32, theme_attr(COL_WARN) | A_REVERSE, buf);
		return;
	}
	if (s == NULL || t->m.cat == NULL)
		return;
	/* The overall state, as 'vsbackup health' says it. */
	snprintf(buf, sizeof buf, _("health %s"), health_state_name(s->health.state));
	draw_text_right(R->y, right - 18, 16, s->health.state == HEALTH_OK ?
	    theme_attr(COL_TITLE) : state_attr(s->health.state) | A_REVERSE, buf);
}

/* "chimera-vectors: 2000": the prefix as configured, then its count. */
static int
header_count(int y, int x, int end, attr_t a, const char *prefix, uint64_t n)
{
	char buf[160];

	snprintf(buf, sizeof buf, "  %s %llu", prefix, (unsigned long long)n);
	return draw_seg(y, x, end, a, buf);
}

/* A restore runs, here or in another process (which then holds the lock). */
static bool
header_restoring(const struct tui *t)
{
	const struct tui_status *s = t->m.status;

	return model_restoring(&t->m) || (s != NULL && s->locked &&
	    strcmp(s->holder.operation, "restore") == 0);
}

static void
header_redis(struct tui *t, const struct tui_rect *R)
{
	const struct tui_glyphs *g = theme_glyphs();
	const struct tui_status *s = t->m.status;
	const struct live_redis *r;
	const struct health_check *keys;
	int y = R->y + 1, end = R->x + R->w, x;
	char buf[256];

	x = draw_seg(y, R->x + 1, end, theme_attr(COL_HEADING), "Redis ");
	if (s == NULL) {
		snprintf(buf, sizeof buf, "%s %s", draw_spinner(t), _("connecting…"));
		draw_seg(y, x, end, theme_attr(COL_DIM), buf);
		return;
	}
	r = &s->live.redis;
	if (!r->ok && header_restoring(t)) {
		snprintf(buf, sizeof buf, "%s %s", g->warn, _("restoring: Redis is stopped"));
		draw_seg(y, x, end, theme_attr(COL_WARN), buf);
		return;
	}
	if (!r->ok) {
		snprintf(buf, sizeof buf, "%s %s", g->cross, r->error);
		draw_seg(y, x, end, theme_attr(COL_BAD), buf);
		return;
	}
	snprintf(buf, sizeof buf, "%s %s", g->tick, r->version);
	x = draw_seg(y, x, end, theme_attr(COL_OK), buf);
	if (r->masters > 0) {
		snprintf(buf, sizeof buf, ngettext("  cluster of %zu master",
		    "  cluster of %zu masters", r->masters), r->masters);
		x = draw_seg(y, x, end, A_NORMAL, buf);
	}
	if (r->loading) {
		x = draw_seg(y, x, end, theme_attr(COL_WARN), _("  loading"));
	} else if (r->dbsize_ok) {
		/* Fewer keys than the newest backup holds, none at all: the
		 * health check's warning, in colour. */
		keys = HEALTH_CHECK(&s->health, HEALTH_REDIS_KEYS);
		attr_t a = keys->state != HEALTH_OK && !keys->skipped ? theme_attr(COL_BAD) : A_NORMAL;

		snprintf(buf, sizeof buf, _("  keys %llu"), (unsigned long long)r->dbsize);
		x = draw_seg(y, x, end, a, buf);
		if (a != A_NORMAL)
			x = draw_seg(y, x, end, a, _(" (the newest backup has more)"));
		for (size_t i = 0; r->counts_ok && i < r->ncounts; i++)
			x = header_count(y, x, end, t->m.counts_stale ? theme_attr(COL_DIM) : A_NORMAL,
			    r->prefixes[i], r->counts[i]);
	}
	x = draw_seg(y, x, end, A_NORMAL, "  BGSAVE ");
	if (r->bgsave_in_progress)
		x = draw_seg(y, x, end, theme_attr(COL_WARN), _("running"));
	else if (strcmp(r->last_bgsave, "ok") == 0)
		x = draw_seg(y, x, end, theme_attr(COL_OK), _("ok"));
	else
		x = draw_seg(y, x, end, theme_attr(COL_BAD), r->last_bgsave[0] ? r->last_bgsave : "?");
	if (t->m.status_loading)
		draw_seg(y, x + 1, end, theme_attr(COL_DIM), draw_spinner(t));
}

/* The last restore drill of any backup: how long ago, and whether it
 * passed (stale past drill.max_age_days, as health says). Left out when
 * it does not fit whole: the title's health state counts it anyway. */
static int
header_drill(struct tui *t, int y, int x, int end)
{
	const struct tui_glyphs *g = theme_glyphs();
	const struct drill_record *last = NULL;
	const char *head = _("  Drill ");
	char buf[96], age[32];
	enum tui_color col = COL_WARN;
	long long a = 0;

	if (!t->m.cat_loaded || t->m.cat == NULL)
		return x;
	for (size_t i = 0; i < t->m.cat->n; i++) {
		const struct drill_record *d = catalog_last_drill(&t->m.cat->entries[i]);

		if (d != NULL && (last == NULL || d->at > last->at))
			last = d;
	}
	if (last == NULL) {
		snprintf(buf, sizeof buf, "%s", _("never"));
	} else {
		a = (long long)(time_now() - last->at);
		time_format_age(a < 0 ? 0 : a, age, sizeof age);
		snprintf(buf, sizeof buf, last->ok ? _("%s %s ago") : _("%s failed %s ago"),
		    last->ok ? g->tick : g->cross, age);
		col = !last->ok ? COL_BAD : a > (long long)t->cfg->drill.max_age_days * 86400 ?
		    COL_WARN : COL_OK;
	}
	if (x + draw_width(head) + draw_width(buf) > end)
		return x;
	x = draw_seg(y, x, end, theme_attr(COL_HEADING), head);
	return draw_seg(y, x, end, theme_attr(col), buf);
}

/* Each live index (missing or unreadable in red), then the last run and
 * the last restore drill. */
static void
header_indexes(struct tui *t, const struct tui_rect *R)
{
	const struct tui_glyphs *g = theme_glyphs();
	const struct tui_status *s = t->m.status;
	int y = R->y + 2, end = R->x + R->w, x;
	char buf[256], age[32];

	x = draw_seg(y, R->x + 1, end, theme_attr(COL_HEADING), _("Indexes"));
	if (s == NULL) {
		draw_seg(y, x + 1, end, theme_attr(COL_DIM), draw_spinner(t));
		return;
	}
	for (int i = 0; i < LIVE_NINDEX; i++) {
		const struct live_index *li = &s->live.index[i];
		long long a = s->at > li->mtime ? (long long)(s->at - li->mtime) : 0;

		if (!li->present)
			snprintf(buf, sizeof buf, _("  %s %s missing"), live_index_name(i), g->cross);
		else if (!li->readable)
			snprintf(buf, sizeof buf, _("  %s %s unreadable"), live_index_name(i), g->cross);
		else {
			time_format_age(a, age, sizeof age);
			snprintf(buf, sizeof buf, "  %s %s %lld%s%d %s", live_index_name(i), g->tick,
			    (long long)li->ntotal, theme_utf8() ? "\u00d7" : "x", li->dim, age);
		}
		x = draw_seg(y, x, end, li->present && li->readable ? A_NORMAL :
		    theme_attr(COL_BAD), buf);
	}
	/* The last backup of any run: a timer's, the command line's, ours. */
	if (s->ops_ok && s->ops.op[OPS_OP_BACKUP].seen) {
		const struct ops_op_state *b = &s->ops.op[OPS_OP_BACKUP];
		long long a = s->at > b->last_run ? (long long)(s->at - b->last_run) : 0;

		time_format_age(a, age, sizeof age);
		x = draw_seg(y, x, end, theme_attr(COL_HEADING), _("  Last backup "));
		snprintf(buf, sizeof buf, b->last_status == 0 ? _("%s %s ago") : _("%s failed %s ago"),
		    b->last_status == 0 ? g->tick : g->cross, age);
		x = draw_seg(y, x, end, theme_attr(b->last_status == 0 ? COL_OK : COL_BAD), buf);
	}
	header_drill(t, y, x, end);
}

/* What an S3 listing failure says, short enough for the header: the
 * answers an operator meets most, in words; else the reason the listing
 * gave. The whole message is in the log (L). */
static void
header_s3_error(const char *bucket, const char *error, char *buf, size_t bufsz)
{
	static const struct {
		const char *code;
		const char *text;
	} known[] = {
		{ "NoSuchBucket", N_("does not exist (404 NoSuchBucket)") },
		{ "AccessDenied", N_("is closed to these credentials (403 AccessDenied)") },
		{ "InvalidAccessKeyId", N_("cannot be used: S3 does not know the access key "
		    "(403 InvalidAccessKeyId)") },
		{ "SignatureDoesNotMatch", N_("cannot be used: the secret key is wrong "
		    "(403 SignatureDoesNotMatch)") },
		{ "Could not connect", N_("cannot be reached: no connection to the endpoint") },
		{ "Couldn't connect", N_("cannot be reached: no connection to the endpoint") },
		{ "timed out", N_("cannot be reached: the endpoint does not answer") },
	};
	const char *reason;

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (strstr(error, known[i].code) != NULL) {
			/* TRANSLATORS: "bucket NAME does not exist (...)". */
			snprintf(buf, bufsz, _("bucket %s %s"), bucket, _(known[i].text));
			return;
		}
	}
	reason = strstr(error, "failed: ");
	snprintf(buf, bufsz, "%s: %s", bucket, reason != NULL ? reason + 8 : error);
}

/* What the repositories store for the size of their backups' files
 * ("1.1 MiB for 4.3 MiB (3.9x)", per location when several have one), as
 * list ends with. Left out unless it fits whole with room for the free
 * space after it. */
static int
header_repo(struct tui *t, int y, int x, int end)
{
	const char *head = _("  Repository ");
	char buf[256] = "", stored[32], logical[32];
	size_t nrepo = 0;

	if (!t->m.cat_loaded || t->m.cat == NULL || !catalog_has_repo(t->m.cat))
		return x;
	for (size_t i = 0; i < t->m.cat->nloc; i++)
		nrepo += catalog_repo_at(t->m.cat, i)->present;
	for (size_t i = 0; i < t->m.cat->nloc; i++) {
		const struct catalog_repo *rp = catalog_repo_at(t->m.cat, i);
		size_t len = strlen(buf);

		if (!rp->present)
			continue;
		format_bytes(rp->logical, logical, sizeof logical);
		if (nrepo > 1)
			snprintf(buf + len, sizeof buf - len, "%s%s ", len > 0 ? ", " : "",
			    catalog_location_label(t->m.cat, i));
		len = strlen(buf);
		if (rp->error != NULL) {
			snprintf(buf + len, sizeof buf - len, _("%zu backups, unreadable"),
			    rp->backups);
			continue;
		}
		format_bytes(rp->bytes, stored, sizeof stored);
		snprintf(buf + len, sizeof buf - len, _("%s for %s (%.1fx)"), stored, logical,
		    (double)rp->logical / (double)(rp->bytes > 0 ? rp->bytes : 1));
	}
	if (x + draw_width(head) + draw_width(buf) + draw_width(_("  Free ")) + 10 > end)
		return x;
	x = draw_seg(y, x, end, theme_attr(COL_HEADING), head);
	return draw_seg(y, x, end, A_NORMAL, buf);
}

static void
header_backups(struct tui *t, const struct tui_rect *R)
{
	const struct tui_glyphs *g = theme_glyphs();
	const struct tui_status *s = t->m.status;
	const struct config *cfg = t->cfg;
	int y = R->y + 3, end = R->x + R->w, x;
	char buf[512], num[32];

	x = R->x + 1;
	if (cfg->nlocations < 2) {
		/* The kind of location there would be: "S3 not configured". */
		snprintf(buf, sizeof buf, "%s ", _(config_drivers[1]->label));
		x = draw_seg(y, x, end, theme_attr(COL_HEADING), buf);
		x = draw_seg(y, x, end, theme_attr(COL_DIM), _("not configured"));
	}
	/* Each location but local: its label and state; with one, its bucket
	 * and what went wrong in words, as S3 answered. */
	for (size_t l = 1; l < cfg->nlocations; l++) {
		const struct catalog_location *cl = t->m.cat != NULL && l < t->m.cat->nloc ?
		    &t->m.cat->locs[l] : NULL;
		char *brief = config_location_brief(cfg, l);
		bool one = cfg->nlocations == 2;

		snprintf(buf, sizeof buf, "%s%s ", l > 1 ? "  " : "", config_location_label(cfg, l));
		x = draw_seg(y, x, end, theme_attr(COL_HEADING), buf);
		if (cl == NULL || (!cl->listed && cl->error == NULL)) {
			snprintf(buf, sizeof buf, "%s%s%s", draw_spinner(t), one ? " " : "",
			    one ? brief : "");
			x = draw_seg(y, x, end, theme_attr(COL_DIM), buf);
		} else if (!cl->listed) {
			char what[256];

			header_s3_error(brief, cl->error, what, sizeof what);
			snprintf(buf, sizeof buf, "%s%s%s", g->cross, one ? " " : "", one ? what : "");
			x = draw_seg(y, x, end, theme_attr(COL_BAD), buf);
		} else {
			snprintf(buf, sizeof buf, "%s%s%s", g->tick, one ? " " : "", one ? brief : "");
			x = draw_seg(y, x, end, theme_attr(COL_OK), buf);
		}
		free(brief);
	}
	x = draw_seg(y, x, end, theme_attr(COL_HEADING), _("  Newest "));
	if (!t->m.cat_loaded) {
		x = draw_seg(y, x, end, theme_attr(COL_DIM), draw_spinner(t));
	} else {
		const struct tui_row *n = model_newest_complete(&t->m);

		if (n == NULL) {
			x = draw_seg(y, x, end, theme_attr(COL_BAD), t->m.nrows == 0 ?
			    _("none yet (b takes one)") : _("none complete"));
		} else {
			long long age = (long long)(time_now() - n->created);

			time_format_age(age < 0 ? 0 : age, num, sizeof num);
			snprintf(buf, sizeof buf, _("%s ago (RPO %dh)"), num, cfg->monitoring.rpo_hours);
			x = draw_seg(y, x, end, state_attr(health_age_state(age < 0 ? 0 : age,
			    cfg->monitoring.rpo_hours)), buf);
		}
	}
	x = header_repo(t, y, x, end);
	x = draw_seg(y, x, end, theme_attr(COL_HEADING), _("  Free "));
	if (s == NULL) {
		draw_seg(y, x, end, theme_attr(COL_DIM), draw_spinner(t));
	} else if (!s->disk_ok) {
		draw_seg(y, x, end, theme_attr(COL_BAD), s->disk_error);
	} else {
		format_bytes(s->disk_free, num, sizeof num);
		snprintf(buf, sizeof buf, _("%s in %s"), num, cfg->backup_dir);
		draw_seg(y, x, end, A_NORMAL, buf);
	}
}

void
main_draw_header(struct tui *t)
{
	const struct tui_rect *R = &t->lay.header;

	header_title(t, R);
	header_redis(t, R);
	header_indexes(t, R);
	header_backups(t, R);
}
