/*
 * DESIGN
 * The model is what the screens show: the catalog from the last list job
 * as rows (with retention decided at one moment), the view of those rows
 * (sorted, filtered), the status from the last status job, the jobs the UI
 * submitted with their merged progress, and a ring of log lines. Only the
 * UI thread reads or writes it; jobs reach it through engine events, which
 * tui.c applies here. Nothing in this file does I/O: retention is a pure
 * function and the catalog arrives already read.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "ops/survey.h"
#include "ui/tui.h"

void
model_init(struct tui_model *m, const struct config *cfg)
{
	memset(m, 0, sizeof *m);
	m->cfg = cfg;
	m->sort = SORT_CREATED;
}

void
model_free(struct tui_model *m)
{
	catalog_free(m->cat);
	free(m->cat_error);
	free(m->rows);
	free(m->view);
	tui_status_free(m->status);
	free(m->jobs);
	for (size_t i = 0; i < m->log_n; i++)
		free(m->log[(m->log_start + i) % TUI_LOG_MAX].text);
	free(m->last_bg_line);
	memset(m, 0, sizeof *m);
}

const char *
sort_name(enum tui_sort s)
{
	static const char *const names[] = {
		[SORT_CREATED] = N_("created"),
		[SORT_TYPE] = N_("type"),
		[SORT_SIZE] = N_("size"),
		[SORT_WHERE] = N_("where"),
		[SORT_VERIFIED] = N_("verified"),
		[SORT_RETENTION] = N_("retention"),
	};

	return _(names[s]);
}

static void
row_retention_text(struct tui_row *r, time_t now)
{
	const struct retention_decision *d = &r->ret;
	char when[32];

	r->ret_color = COL_NORMAL;
	switch (d->reason) {
	case RETENTION_KEEP_PINNED:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("pinned"));
		break;
	case RETENTION_KEEP_IN_USE:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("in use"));
		r->ret_color = COL_WARN;
		break;
	case RETENTION_KEEP_FUTURE:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("future date"));
		r->ret_color = COL_WARN;
		break;
	case RETENTION_KEEP_MANUAL:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("until deleted"));
		break;
	case RETENTION_KEEP_NEWEST_VERIFIED:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("newest verified"));
		break;
	case RETENTION_KEEP_NEWEST_COMPLETE:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("newest complete"));
		break;
	case RETENTION_KEEP_SCHEDULE:
		if (d->expires > now && d->expires - now < 7 * 86400) {
			/* The words cleanup uses: "2 days left". */
			retention_left(d->expires, now, r->ret_short, sizeof r->ret_short);
			if (d->expires - now < 86400)
				r->ret_color = COL_WARN;
		} else {
			struct tm tm;

			localtime_r(&d->expires, &tm);
			strftime(when, sizeof when, "%Y-%m-%d", &tm);
			snprintf(r->ret_short, sizeof r->ret_short, _("until %s"), when);
		}
		break;
	case RETENTION_DELETE_EXPIRED:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("expired"));
		r->ret_color = COL_BAD;
		break;
	case RETENTION_DELETE_INCOMPLETE:
		snprintf(r->ret_short, sizeof r->ret_short, "%s", _("incomplete"));
		r->ret_color = COL_BAD;
		break;
	default:
		snprintf(r->ret_short, sizeof r->ret_short, "-");
		break;
	}
}

static void
row_search_text(struct tui_row *r)
{
	const char *v = r->vstate == VERIFY_OK ? "ok" : r->vstate == VERIFY_FAILED ? "failed" : "";

	snprintf(r->search, sizeof r->search, "%s %s %s %s %s%s", r->e->id,
	    r->type_known ? backup_type_name(r->type) : "-", r->where, v, r->ret_short,
	    r->missing ? _(" partial") : "");
	for (char *p = r->search; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static bool
model_in_use(const char *id, void *ud)
{
	return model_backup_busy(ud, id);
}

void
model_evaluate(struct tui_model *m, time_t now)
{
	const struct config *cfg = m->cfg;
	struct retention_item *items;
	struct retention_decision *dec;

	m->evaluated_at = now;
	if (m->nrows == 0 || m->cat == NULL)
		return;
	items = xcalloc(m->nrows * m->cat->nloc + 1, sizeof *items);
	dec = xcalloc(m->nrows * m->cat->nloc + 1, sizeof *dec);
	catalog_retention(m->cat, cfg, now, model_in_use, m, items, dec);
	for (size_t i = 0; i < m->nrows; i++) {
		struct tui_row *r = &m->rows[i];
		size_t nloc = m->cat->nloc;

		/* The row shows the decision of the nearest copy (local first). */
		for (size_t l = nloc; l > 0; l--) {
			if (!catalog_copy_at(r->e, l - 1)->present || l - 1 >= cfg->nlocations)
				continue;
			r->item = items[i * nloc + l - 1];
			r->ret = dec[i * nloc + l - 1];
			r->policy = &cfg->locations[l - 1].retention;
			r->policy_loc = l - 1;
		}
		row_retention_text(r, now);
		row_search_text(r);
	}
	free(items);
	free(dec);
}

static int
row_compare(const void *a, const void *b, void *arg)
{
	const struct tui_model *m = arg;
	const struct tui_row *x = &m->rows[*(const size_t *)a], *y = &m->rows[*(const size_t *)b];
	int c = 0;

	switch (m->sort) {
	case SORT_CREATED:
		break;
	case SORT_TYPE:
		c = strcmp(x->type_known ? backup_type_name(x->type) : "~",
		    y->type_known ? backup_type_name(y->type) : "~");
		break;
	case SORT_SIZE:
		c = x->size > y->size ? -1 : x->size < y->size ? 1 : 0;
		break;
	case SORT_WHERE:
		c = strcmp(x->where, y->where);
		break;
	case SORT_VERIFIED:
		/* failed first, then never verified, then passed */
		{
			static const int rank[] = { [VERIFY_FAILED] = 0, [VERIFY_NONE] = 1,
				[VERIFY_OK] = 2 };

			c = rank[x->vstate] - rank[y->vstate];
		}
		break;
	case SORT_RETENTION:
		/* deleted first, then the soonest expiry, then kept without one */
		{
			long long ex = x->ret.keep ? (x->ret.expires ? (long long)x->ret.expires :
			    (long long)1 << 62) : -1;
			long long ey = y->ret.keep ? (y->ret.expires ? (long long)y->ret.expires :
			    (long long)1 << 62) : -1;

			c = ex < ey ? -1 : ex > ey ? 1 : 0;
		}
		break;
	default:
		break;
	}
	if (c == 0)
		c = -strcmp(x->e->id, y->e->id); /* newest first */
	return m->sort_reverse ? -c : c;
}

void
model_apply_view(struct tui_model *m)
{
	char f[sizeof m->filter];
	size_t n = 0;

	for (size_t i = 0; i < sizeof f; i++) {
		f[i] = (char)tolower((unsigned char)m->filter[i]);
		if (f[i] == '\0')
			break;
	}
	f[sizeof f - 1] = '\0';
	free(m->view);
	m->view = xcalloc(m->nrows > 0 ? m->nrows : 1, sizeof *m->view);
	for (size_t i = 0; i < m->nrows; i++)
		if (f[0] == '\0' || strstr(m->rows[i].search, f) != NULL)
			m->view[n++] = i;
	m->nview = n;
	qsort_r(m->view, n, sizeof *m->view, row_compare, m);
}

void
model_set_catalog(struct tui_model *m, struct catalog *cat, time_t now)
{
	catalog_free(m->cat);
	free(m->rows);
	m->cat = cat;
	m->nrows = cat->n;
	m->rows = xcalloc(cat->n > 0 ? cat->n : 1, sizeof *m->rows);
	for (size_t i = 0; i < cat->n; i++) {
		struct tui_row *r = &m->rows[i];
		const struct catalog_copy *c;
		struct vs_error err;
		time_t t;

		r->e = &cat->entries[i];
		r->best = c = catalog_best(r->e);
		r->missing = catalog_copy_missing(c);
		r->safety = catalog_copy_is_safety(c);
		if (c->has_manifest) {
			r->type = c->m.type;
			r->type_known = true;
			r->created = c->m.created_at;
			r->size = manifest_total_size(&c->m);
		} else {
			r->size = c->bytes;
			if (backup_id_parse(r->e->id, &t, &err) == 0)
				r->created = t;
		}
		catalog_where(cat, r->e, r->where, sizeof r->where);
		/* The newest verification of any copy. */
		for (size_t k = 0; k < r->e->nloc; k++) {
			const struct catalog_copy *cc = &r->e->copies[k];

			if (cc->present && cc->has_verify && cc->verify.at >= r->vat) {
				r->vat = cc->verify.at;
				r->vstate = cc->verify.ok ? VERIFY_OK : VERIFY_FAILED;
				r->vdeep = cc->verify.deep;
			}
		}
	}
	m->cat_loaded = true;
	model_evaluate(m, now);
	model_apply_view(m);
	model_health(m);
}

long
model_find_view(const struct tui_model *m, const char *id)
{
	for (size_t i = 0; i < m->nview; i++)
		if (strcmp(m->rows[m->view[i]].e->id, id) == 0)
			return (long)i;
	return -1;
}

struct tui_row *
model_view_row(struct tui_model *m, size_t i)
{
	return i < m->nview ? &m->rows[m->view[i]] : NULL;
}

struct tui_row *
model_find_row(struct tui_model *m, const char *id)
{
	struct catalog_entry *e;

	if (m->cat == NULL || (e = catalog_find(m->cat, id)) == NULL)
		return NULL;
	return &m->rows[e - m->cat->entries];
}

const struct tui_row *
model_newest_complete(const struct tui_model *m)
{
	const struct catalog_entry *e;

	if (m->cat == NULL)
		return NULL;
	e = catalog_newest(m->cat, CATALOG_ALL_LOCATIONS, false, NULL);
	return e != NULL ? &m->rows[e - m->cat->entries] : NULL;
}

/* --- status and health --- */

void
model_set_status(struct tui_model *m, struct tui_status *s)
{
	struct tui_status *old = m->status;
	struct live_redis *nr = &s->live.redis;

	m->dir_changed = old != NULL && s->dir_ok && old->dir_ok &&
	    (s->dir_mtime.tv_sec != old->dir_mtime.tv_sec ||
	    s->dir_mtime.tv_nsec != old->dir_mtime.tv_nsec);
	if (nr->counts_ok) {
		m->counted_dbsize = nr->dbsize;
		m->counts_stale = false;
	} else if (nr->ok && !nr->loading && old != NULL && old->live.redis.counts_ok &&
	    old->live.redis.ncounts == nr->ncounts) {
		/* A refresh without counting keeps the last counts. */
		memcpy(nr->counts, old->live.redis.counts, nr->ncounts * sizeof *nr->counts);
		nr->counts_ok = true;
		m->counts_stale = !nr->dbsize_ok || nr->dbsize != m->counted_dbsize;
	} else if (nr->ok && !nr->loading) {
		/* No counts to keep (Redis was down): count again soon. */
		m->counts_stale = true;
	}
	tui_status_free(old);
	m->status = s;
	model_health(m);
}

void
model_health(struct tui_model *m)
{
	struct ops_survey sv;

	if (m->status == NULL || m->cat == NULL)
		return;
	ops_survey_of(m->cfg, m->cat, time_now(), &sv);
	sv.have_free = m->status->disk_ok;
	sv.free_bytes = m->status->disk_free;
	if (!sv.have_free)
		sv.free_error = xstrdup(m->status->disk_error);
	health_check_backups(m->cfg, &sv, &m->status->live, &m->status->health);
	ops_survey_clear(&sv);
}

bool
model_restoring(const struct tui_model *m)
{
	for (size_t i = 0; i < m->njobs; i++)
		if (!m->jobs[i].finished && m->jobs[i].type == &job_restore_type)
			return true;
	return false;
}

/* --- jobs --- */

struct tui_job *
model_job_add(struct tui_model *m, unsigned id, const struct job_type *type, bool visible,
    const char *title, const char *backup)
{
	struct tui_job *j;

	m->jobs = xreallocarray(m->jobs, m->njobs + 1, sizeof *m->jobs);
	j = &m->jobs[m->njobs++];
	memset(j, 0, sizeof *j);
	j->id = id;
	j->type = type;
	j->visible = visible;
	snprintf(j->title, sizeof j->title, "%s", title);
	snprintf(j->backup, sizeof j->backup, "%s", backup != NULL ? backup : "");
	j->submitted = tui_clock();
	return j;
}

struct tui_job *
model_job_find(struct tui_model *m, unsigned id)
{
	for (size_t i = 0; i < m->njobs; i++)
		if (m->jobs[i].id == id)
			return &m->jobs[i];
	return NULL;
}

void
model_job_remove(struct tui_model *m, size_t i)
{
	if (i >= m->njobs)
		return;
	memmove(&m->jobs[i], &m->jobs[i + 1], (m->njobs - i - 1) * sizeof *m->jobs);
	m->njobs--;
}

void
model_job_event(struct tui_model *m, const struct engine_event *ev, double now)
{
	struct tui_job *j = model_job_find(m, ev->job);

	if (j == NULL)
		return;
	switch (ev->type) {
	case ENGINE_EV_PROGRESS:
		if (!j->running && !j->finished) {
			j->running = true;
			j->started = now;
		}
		if (strcmp(j->phase, ev->phase) != 0 || ev->done < j->done) {
			snprintf(j->phase, sizeof j->phase, "%s", ev->phase);
			j->phase_started = now;
			j->phase_base = ev->done;
			j->rate = 0;
		} else if (ev->bytes && ev->done > j->done) {
			j->bytes_moved += ev->done - j->done;
		}
		j->done = ev->done;
		j->total = ev->total;
		j->bytes = ev->bytes;
		j->step = ev->step;
		j->nsteps = ev->nsteps;
		if (ev->bytes && now - j->phase_started > 0.3 && ev->done > j->phase_base)
			j->rate = (double)(ev->done - j->phase_base) / (now - j->phase_started);
		break;
	case ENGINE_EV_DONE:
		if (!j->running)
			j->started = now;
		j->running = false;
		j->finished = true;
		j->ended = now;
		j->status = ev->status;
		j->cancelled = ev->status != 0 && ev->err.code == VS_ERR_CANCELLED;
		if (ev->status != 0)
			snprintf(j->error, sizeof j->error, "%s", ev->err.msg);
		break;
	case ENGINE_EV_LOG:
		if (!j->running && !j->finished) {
			j->running = true;
			j->started = now;
		}
		break;
	}
}

size_t
model_jobs_running(const struct tui_model *m, bool visible_only)
{
	size_t n = 0;

	for (size_t i = 0; i < m->njobs; i++)
		if (!m->jobs[i].finished && (!visible_only || m->jobs[i].visible))
			n++;
	return n;
}

bool
model_backup_busy(const struct tui_model *m, const char *id)
{
	for (size_t i = 0; i < m->njobs; i++)
		if (!m->jobs[i].finished && m->jobs[i].visible && strcmp(m->jobs[i].backup, id) == 0)
			return true;
	return false;
}

/* --- log --- */

void
model_log(struct tui_model *m, enum log_level level, const char *fmt, ...)
{
	struct tui_logline *l;
	va_list ap;

	if (m->log_n == TUI_LOG_MAX) {
		free(m->log[m->log_start].text);
		m->log_start = (m->log_start + 1) % TUI_LOG_MAX;
		m->log_n--;
	}
	l = &m->log[(m->log_start + m->log_n) % TUI_LOG_MAX];
	m->log_n++;
	l->at = time(NULL);
	l->level = level;
	va_start(ap, fmt);
	l->text = xvasprintf(fmt, ap);
	va_end(ap);
	m->log_seq++;
}

const struct tui_logline *
model_log_line(const struct tui_model *m, size_t i)
{
	if (i >= m->log_n)
		return NULL;
	return &m->log[(m->log_start + i) % TUI_LOG_MAX];
}
