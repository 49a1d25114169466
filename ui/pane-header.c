/*
 * The main screen's status header: the title row, Redis (version, key
 * counts, BGSAVE), S3, the newest complete backup against the RPO, and the
 * free space in backup_dir.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "ui/screen-main.h"
#include "ui/tui.h"

void
main_draw_header(struct tui *t)
{
	const struct tui_rect *R = &t->lay.header;
	const struct tui_glyphs *g = theme_glyphs();
	const struct tui_status *s = t->m.status;
	const struct config *cfg = t->cfg;
	int end = R->x + R->w, x;
	char buf[256], num[32];
	size_t running = model_jobs_running(&t->m, true);

	/* Row 0: title */
	draw_fill(R->y, R->x, R->w, theme_attr(COL_TITLE), " ");
	x = draw_seg(R->y, R->x + 1, end, theme_attr(COL_TITLE), "vsbackup");
	snprintf(buf, sizeof buf, "  %s", cfg->path ? cfg->path : "");
	x = draw_seg(R->y, x, end - 24, theme_attr(COL_TITLE), buf);
	if (running > 0)
		snprintf(buf, sizeof buf, ngettext("%zu job running", "%zu jobs running", running), running);
	else
		snprintf(buf, sizeof buf, "%s", _("? help"));
	draw_text_right(R->y, end - 22, 21, theme_attr(COL_TITLE), buf);

	/* Row 1: Redis */
	x = draw_seg(R->y + 1, R->x + 1, end, theme_attr(COL_HEADING), "Redis ");
	if (s == NULL) {
		snprintf(buf, sizeof buf, "%s %s", draw_spinner(t), _("connecting…"));
		draw_seg(R->y + 1, x, end, theme_attr(COL_DIM), buf);
	} else if (!s->redis_ok) {
		snprintf(buf, sizeof buf, "%s %s", g->cross, s->redis_error);
		draw_seg(R->y + 1, x, end, theme_attr(COL_BAD), buf);
	} else {
		snprintf(buf, sizeof buf, "%s %s", g->tick, s->redis_version);
		x = draw_seg(R->y + 1, x, end, theme_attr(COL_OK), buf);
		if (s->loading) {
			x = draw_seg(R->y + 1, x, end, theme_attr(COL_WARN), _("  loading"));
		} else if (s->counts_ok) {
			for (size_t i = 0; i < s->ncounts && i < cfg->redis.nprefixes; i++) {
				snprintf(buf, sizeof buf, "  %s %llu", cfg->redis.prefixes[i],
				    (unsigned long long)s->counts[i]);
				x = draw_seg(R->y + 1, x, end, A_NORMAL, buf);
			}
		}
		x = draw_seg(R->y + 1, x, end, A_NORMAL, "  BGSAVE ");
		if (s->bgsave_in_progress)
			x = draw_seg(R->y + 1, x, end, theme_attr(COL_WARN), _("running"));
		else if (strcmp(s->last_bgsave, "ok") == 0)
			x = draw_seg(R->y + 1, x, end, theme_attr(COL_OK), _("ok"));
		else
			x = draw_seg(R->y + 1, x, end, theme_attr(COL_BAD), s->last_bgsave[0] ?
			    s->last_bgsave : "?");
		if (t->m.status_loading)
			draw_seg(R->y + 1, x + 1, end, theme_attr(COL_DIM), draw_spinner(t));
	}

	/* Row 2: S3, RPO, disk */
	x = draw_seg(R->y + 2, R->x + 1, end, theme_attr(COL_HEADING), "S3 ");
	if (cfg->s3.bucket == NULL || cfg->s3.bucket[0] == '\0') {
		x = draw_seg(R->y + 2, x, end, theme_attr(COL_DIM), _("not configured"));
	} else if (t->m.cat == NULL) {
		snprintf(buf, sizeof buf, "%s %s", draw_spinner(t), cfg->s3.bucket);
		x = draw_seg(R->y + 2, x, end, theme_attr(COL_DIM), buf);
	} else if (t->m.cat->s3_error != NULL) {
		snprintf(buf, sizeof buf, "%s %s: %s", g->cross, cfg->s3.bucket, _("unreachable"));
		x = draw_seg(R->y + 2, x, end, theme_attr(COL_BAD), buf);
	} else {
		snprintf(buf, sizeof buf, "%s %s", g->tick, cfg->s3.bucket);
		x = draw_seg(R->y + 2, x, end, theme_attr(COL_OK), buf);
	}
	x = draw_seg(R->y + 2, x, end, theme_attr(COL_PANE), "  ");
	x = draw_seg(R->y + 2, x, end, theme_attr(COL_HEADING), _("Newest "));
	if (!t->m.cat_loaded) {
		x = draw_seg(R->y + 2, x, end, theme_attr(COL_DIM), draw_spinner(t));
	} else {
		const struct tui_row *n = model_newest_complete(&t->m);
		long long rpo = (long long)cfg->monitoring.rpo_hours * 3600;

		if (n == NULL) {
			x = draw_seg(R->y + 2, x, end, theme_attr(COL_BAD), _("no complete backup"));
		} else {
			long long age = (long long)(time_now() - n->created);
			char hrpo[32];

			time_format_age(age < 0 ? 0 : age, num, sizeof num);
			snprintf(hrpo, sizeof hrpo, "%dh", cfg->monitoring.rpo_hours);
			snprintf(buf, sizeof buf, _("%s ago (RPO %s)"), num, hrpo);
			x = draw_seg(R->y + 2, x, end, theme_attr(age > 2 * rpo ? COL_BAD : age > rpo ?
			    COL_WARN : COL_OK), buf);
		}
	}
	x = draw_seg(R->y + 2, x, end, A_NORMAL, "  ");
	x = draw_seg(R->y + 2, x, end, theme_attr(COL_HEADING), _("Free "));
	if (s == NULL) {
		draw_seg(R->y + 2, x, end, theme_attr(COL_DIM), draw_spinner(t));
	} else if (!s->disk_ok) {
		draw_seg(R->y + 2, x, end, theme_attr(COL_BAD), s->disk_error);
	} else {
		format_bytes(s->disk_free, num, sizeof num);
		snprintf(buf, sizeof buf, _("%s in %s"), num, cfg->backup_dir);
		draw_seg(R->y + 2, x, end, A_NORMAL, buf);
	}
}
