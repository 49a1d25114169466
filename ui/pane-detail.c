/*
 * The main screen's detail pane: everything known about the selected
 * backup (its metadata, copies, verification history and retention), as
 * lines built afresh on each draw and scrolled in the pane. The
 * verification history is read by a job once the selection rests.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

#define DETAIL_MAX 80
struct dline {
	attr_t attr;
	char text[256];
};

/* --- the verification history --- */

void
main_want_history(struct tui *t, struct main_state *st)
{
	struct tui_row *r = main_selected(t, st);
	struct tui_history_args *a;
	char key[sizeof st->hist_key];
	const char *loc;

	if (r == NULL || st->hist_job != 0 || tui_clock() - st->sel_changed < 0.25)
		return;
	loc = "local";
	for (size_t l = r->e->nloc; l > 0; l--)
		if (catalog_copy_at(r->e, l - 1)->present)
			loc = t->cfg->locations[l - 1].name;
	snprintf(key, sizeof key, "%s/%s", r->e->id, loc);
	if (strcmp(key, st->hist_key) == 0)
		return;
	if (!r->best->complete)
		return;
	snprintf(st->hist_key, sizeof st->hist_key, "%s", key);
	a = xcalloc(1, sizeof *a);
	snprintf(a->id, sizeof a->id, "%s", r->e->id);
	snprintf(a->location, sizeof a->location, "%s", loc);
	memset(&st->hist, 0, sizeof st->hist);
	st->hist_job = tui_submit(t, &tui_history_type, a, false, "history", NULL);
}

/* --- drawing --- */

static void
dl_add(struct dline *d, int *n, attr_t a, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
dl_add(struct dline *d, int *n, attr_t a, const char *fmt, ...)
{
	va_list ap;

	if (*n >= DETAIL_MAX)
		return;
	d[*n].attr = a;
	va_start(ap, fmt);
	vsnprintf(d[*n].text, sizeof d[*n].text, fmt, ap);
	va_end(ap);
	(*n)++;
}

static void
detail_copy(struct dline *d, int *n, const char *name, const struct catalog_copy *c)
{
	char size[32], when[32];
	const char *state;

	if (!c->present)
		return;
	format_bytes(c->bytes, size, sizeof size);
	state = c->partial ? _("incomplete (interrupted backup)") : !c->complete ?
	    _("no metadata.json") : c->repo_unreadable ? _("repository unreadable") :
	    !c->has_manifest ? _("metadata unreadable") : _("complete");
	dl_add(d, n, c->partial || !c->has_manifest ? theme_attr(COL_BAD) : A_NORMAL,
	    "  %-6s %s, %s%s", name, state, size, c->pinned ? _(", pinned") : "");
	if (c->manifest_error != NULL)
		dl_add(d, n, theme_attr(COL_BAD), "         %s", c->manifest_error);
	if (c->has_verify) {
		fmt_local_time_short(c->verify.at, when, sizeof when);
		dl_add(d, n, theme_attr(c->verify.ok ? COL_OK : COL_BAD), _("         last verified %s: %s (%s)%s%s"),
		    when, c->verify.ok ? _("ok") : _("FAILED"), c->verify.deep ? _("deep") : _("quick"),
		    c->verify.summary[0] ? ": " : "", c->verify.summary);
	} else {
		dl_add(d, n, theme_attr(COL_DIM), "%s", _("         never verified"));
	}
}

static int
detail_build(struct tui *t, struct main_state *st, struct tui_row *r, struct dline *d)
{
	const struct catalog_copy *c = r->best;
	const struct manifest *m = &c->m;
	char a[128], b[64], text[RETENTION_DESCRIBE_SIZE];
	int n = 0;

	dl_add(d, &n, theme_attr(COL_HEADING), _("Backup %s  (%s)"), r->e->id, r->where);
	if (r->safety)
		dl_add(d, &n, theme_attr(COL_WARN), "%s", _("  pre-restore: the live state saved before "
		    "a restore; not counted as the newest backup"));
	if (r->missing) {
		catalog_missing_text(r->missing, a, sizeof a);
		dl_add(d, &n, theme_attr(COL_BAD), _("  PARTIAL: it lacks %s"), a);
		dl_add(d, &n, theme_attr(COL_BAD), "%s", _("  (missing when it was taken); restoring "
		    "it removes the live one"));
	}
	if (c->has_manifest) {
		char iso[ISO8601_SIZE];

		format_local_time(m->created_at, a, sizeof a);
		time_format_iso(m->created_at, iso);
		dl_add(d, &n, A_NORMAL, _("  type         %s"), backup_type_name(m->type));
		dl_add(d, &n, A_NORMAL, _("  created      %s  (%s)"), a, iso);
		format_local_time(m->completed_at, a, sizeof a);
		dl_add(d, &n, A_NORMAL, _("  completed    %s"), a);
		dl_add(d, &n, A_NORMAL, _("  format       %d, written by %s"), m->format_version,
		    m->tool_version ? m->tool_version : "?");
		dl_add(d, &n, A_NORMAL, _("  consistency  %s"),
		    m->consistency != NULL && strcmp(m->consistency, "coordinated") == 0 ?
		    _("coordinated with the service (lock file)") : _("writes paused (best effort)"));
		format_bytes(manifest_total_size(m), a, sizeof a);
		dl_add(d, &n, A_NORMAL, _("  size         %s"), a);
		if (catalog_copy_in_repo(c)) {
			format_bytes(catalog_copy_added(c), a, sizeof a);
			catalog_dedup_text(c, b, sizeof b);
			dl_add(d, &n, A_NORMAL, _("  stored       %s added by this backup (%s)%s"), a, b,
			    m->repo.encrypted ? _(", encrypted") : "");
		}
		dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Redis"));
		dl_add(d, &n, A_NORMAL, _("  version %s, RDB %d, db %d, %llu keys, source %s"),
		    m->redis.redis_version ? m->redis.redis_version : "?", m->redis.rdb_version,
		    m->redis.db, (unsigned long long)m->redis.dbsize,
		    m->redis.source ? m->redis.source : "?");
		if ((m->redis.data_dir && m->redis.data_dir[0]) ||
		    (m->redis.dbfilename && m->redis.dbfilename[0]))
			dl_add(d, &n, A_NORMAL, _("  data dir %s, file %s"),
			    m->redis.data_dir && m->redis.data_dir[0] ? m->redis.data_dir : "?",
			    m->redis.dbfilename && m->redis.dbfilename[0] ? m->redis.dbfilename : "?");
		for (size_t i = 0; i < m->redis.ncounts; i++)
			dl_add(d, &n, A_NORMAL, _("  %-20s %llu keys"), m->redis.counts[i].prefix,
			    (unsigned long long)m->redis.counts[i].count);
		if (manifest_is_cluster(m)) {
			dl_add(d, &n, A_NORMAL, _("  Redis Cluster: %zu masters, one RDB each"),
			    m->redis.nshards);
			for (size_t i = 0; i < m->redis.nshards; i++) {
				const struct manifest_shard *sh = &m->redis.shards[i];
				char slots[64];

				redis_slots_format(sh->slots, sh->nslots, slots, sizeof slots);
				dl_add(d, &n, A_NORMAL, _("    %-21s slots %-11s %llu keys"), sh->addr,
				    slots, (unsigned long long)sh->dbsize);
			}
		}
		dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Indexes"));
		{
			const struct manifest_index *ix[2] = { &m->content, &m->user };
			const char *nm[2] = { N_("content"), N_("user") };

			for (int k = 0; k < 2; k++) {
				if (ix[k]->unreadable)
					dl_add(d, &n, theme_attr(COL_WARN), _("  %-8s unreadable: %s"), _(nm[k]),
					    ix[k]->file.note ? ix[k]->file.note : "");
				else
					dl_add(d, &n, A_NORMAL, _("  %-8s ntotal %lld, dimension %d, %s"),
					    _(nm[k]), (long long)ix[k]->ntotal, ix[k]->dim, ix[k]->kind);
			}
		}
		dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Files"));
		{
			const struct manifest_file *f;

			for (size_t k = 0; (f = manifest_file_at(m, k)) != NULL; k++) {
				if (!f->present) {
					dl_add(d, &n, theme_attr(COL_WARN), _("  %-20s missing: %s"), f->name,
					    f->note ? f->note : "");
					continue;
				}
				format_bytes(f->size, a, sizeof a);
				dl_add(d, &n, A_NORMAL, "  %-20s %10s", f->name, a);
				dl_add(d, &n, theme_attr(COL_DIM), "    sha256 %s", f->sha256);
			}
		}
	} else if (c->repo_unreadable) {
		/* Nothing wrong with the backup itself, perhaps: never advise
		 * deleting it. */
		dl_add(d, &n, theme_attr(COL_BAD), "%s", _("  the repository holding it cannot be "
		    "read (the error is under Copies)"));
	} else {
		dl_add(d, &n, theme_attr(COL_BAD), "%s", c->partial ?
		    _("  incomplete: left by an interrupted backup") :
		    _("  metadata.json is missing or unreadable: verify or delete this backup"));
	}
	dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Copies"));
	for (size_t l = 0; l < r->e->nloc; l++)
		detail_copy(d, &n, catalog_location_label(t->m.cat, l), catalog_copy_at(r->e, l));
	if (r->e->disagree)
		dl_add(d, &n, theme_attr(COL_BAD), "%s", _("  the copies' metadata differ"));
	dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Verification history"));
	if (st->hist_job != 0 || strncmp(st->hist_key, r->e->id, strlen(r->e->id)) != 0) {
		dl_add(d, &n, theme_attr(COL_DIM), "  %s", draw_spinner(t));
	} else if (st->hist.n == 0) {
		dl_add(d, &n, theme_attr(COL_DIM), "%s", _("  no verification recorded"));
	} else {
		dl_add(d, &n, A_NORMAL, _("  %d runs (%s): %d passed, %d failed, %d deep"), st->hist.n,
		    st->hist.location, st->hist.nok, st->hist.nfailed, st->hist.ndeep);
		if (st->hist.last_ok) {
			fmt_local_time_short(st->hist.last_ok, a, sizeof a);
			dl_add(d, &n, theme_attr(COL_OK), _("  last passed %s"), a);
		}
		if (st->hist.last_failed) {
			fmt_local_time_short(st->hist.last_failed, b, sizeof b);
			dl_add(d, &n, theme_attr(COL_BAD), _("  last failed %s: %s"), b,
			    st->hist.last_failure);
		}
	}
	dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Restore drill"));
	if (catalog_last_drill(r->e) == NULL) {
		dl_add(d, &n, theme_attr(COL_DIM), "%s", _("  never drilled (t drills it)"));
	} else {
		const struct drill_record *dr = catalog_last_drill(r->e);
		char said[512];

		drill_record_describe(dr, time_now(), said, sizeof said);
		dl_add(d, &n, theme_attr(dr->ok ? COL_OK : COL_BAD), "  %s", said);
		dl_add(d, &n, A_NORMAL, _("  from the %s copy, against a target of %.0f s"),
		    dr->location, dr->target);
	}
	dl_add(d, &n, theme_attr(COL_HEADING), "%s", _("Retention"));
	retention_describe(&r->item, &r->ret, r->policy, t->m.evaluated_at, text, sizeof text);
	/* TRANSLATORS: "local policy", "S3 policy", "eu-west policy". */
	dl_add(d, &n, theme_attr((enum tui_color)r->ret_color), _("  %s (%s policy)"), text,
	    config_location_label(t->cfg, r->policy_loc));
	return n;
}

void
main_draw_detail(struct tui *t, struct main_state *st)
{
	const struct tui_rect *R = &t->lay.detail;
	struct tui_row *r = main_selected(t, st);
	bool focus = t->focus == FOCUS_DETAIL || t->detail_zoom;
	static struct dline d[DETAIL_MAX];
	int n, x = R->x + (t->lay.detail_beside ? 1 : 0), w = R->w - (t->lay.detail_beside ? 1 : 0);

	if (t->lay.detail_beside)
		for (int y = R->y; y < R->y + R->h; y++)
			draw_text(y, R->x, 1, theme_attr(focus ? COL_PANE_FOCUS : COL_PANE),
			    theme_glyphs()->vline);
	draw_rule(R->y, x, w, t->detail_zoom ? _("Detail (Enter or Esc: back to the list)") :
	    _("Detail"), focus);
	if (r == NULL) {
		draw_text(R->y + 1, x + 1, w - 2, theme_attr(COL_DIM), _("no backup selected"));
		return;
	}
	n = detail_build(t, st, r, d);
	if (st->detail_scroll > n - (R->h - 1))
		st->detail_scroll = n - (R->h - 1) > 0 ? n - (R->h - 1) : 0;
	for (int i = 0; i < R->h - 1 && st->detail_scroll + i < n; i++)
		draw_text(R->y + 1 + i, x + 1, w - 2, d[st->detail_scroll + i].attr,
		    d[st->detail_scroll + i].text);
}
