#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "ops/survey.h"
#include "storage/storage.h"

/* Count one copy into its location and keep the newest one that counts
 * (catalog_copy_counts). */
static void
survey_count(struct ops_location *loc, const struct catalog_entry *e,
    const struct catalog_copy *c)
{
	if (!c->present)
		return;
	if (c->pinned)
		loc->pinned++;
	if (!catalog_copy_usable(c)) {
		loc->incomplete++;
		return;
	}
	loc->complete++;
	loc->by_type[c->m.type]++;
	loc->bytes += manifest_total_size(&c->m);
	/* Safety backups and partial ones are no answer to "how old is the
	 * newest backup". */
	if (!catalog_copy_counts(c))
		return;
	if (loc->newest == NULL || c->m.created_at >= loc->newest_copy->m.created_at) {
		loc->newest = e;
		loc->newest_copy = c;
	}
}

static void
survey_verify(struct ops_survey *s, const struct catalog_entry *e, const struct catalog_copy *c)
{
	if (!c->present || !c->has_verify)
		return;
	if (s->last_verify == NULL || c->verify.at > s->last_verify_copy->verify.at) {
		s->last_verify = e;
		s->last_verify_copy = c;
	}
	if (!catalog_copy_verified(c) || !catalog_copy_counts(c))
		return;
	if (s->verified == NULL || c->m.created_at > s->verified_copy->m.created_at) {
		s->verified = e;
		s->verified_copy = c;
	}
}

static void
survey_drill(struct ops_survey *s, const struct catalog_entry *e, const struct catalog_copy *c)
{
	if (!c->present || !c->has_drill)
		return;
	if (s->last_drill == NULL || c->drill.at > s->last_drill_rec->at) {
		s->last_drill = e;
		s->last_drill_rec = &c->drill;
	}
	if (c->drill.ok && (s->drilled == NULL || c->drill.at > s->drilled_rec->at)) {
		s->drilled = e;
		s->drilled_rec = &c->drill;
	}
}

static void
survey_derive(struct ops_survey *s)
{
	s->nloc = s->cat->nloc;
	s->locs = xcalloc(s->nloc + 1, sizeof *s->locs);
	for (size_t l = 0; l < s->nloc; l++) {
		const struct catalog_location *cl = &s->cat->locs[l];
		struct ops_location *loc = &s->locs[l];

		loc->name = cl->name;
		loc->label = cl->label;
		loc->where = cl->where;
		loc->configured = true;
		loc->listed = cl->listed;
		if (!cl->listed)
			loc->error = xstrdup(cl->error != NULL ? cl->error : _("not listed"));
	}
	for (size_t i = 0; i < s->cat->n; i++) {
		const struct catalog_entry *e = &s->cat->entries[i];

		for (size_t l = 0; l < e->nloc && l < s->nloc; l++) {
			survey_count(&s->locs[l], e, &e->copies[l]);
			survey_verify(s, e, &e->copies[l]);
			survey_drill(s, e, &e->copies[l]);
		}
	}
}

void
ops_survey_of(const struct config *cfg, struct catalog *cat, time_t now, struct ops_survey *s)
{
	memset(s, 0, sizeof *s);
	s->now = now;
	s->cat = cat;
	s->borrowed = true;
	(void)cfg;
	survey_derive(s);
}

void
ops_survey_take(const struct config *cfg, struct job *job, struct ops_survey *s)
{
	struct vs_error err;

	memset(s, 0, sizeof *s);
	s->now = time_now();
	s->cat = catalog_read(cfg, job, config_location_all(cfg));
	survey_derive(s);
	error_clear(&err);
	if (fs_free_bytes(cfg->backup_dir, &s->free_bytes, &err) == 0)
		s->have_free = true;
	else
		s->free_error = xstrdup(err.msg);
}

void
ops_survey_clear(struct ops_survey *s)
{
	if (!s->borrowed)
		catalog_free(s->cat);
	for (size_t l = 0; l < s->nloc; l++)
		free(s->locs[l].error);
	free(s->locs);
	free(s->free_error);
	memset(s, 0, sizeof *s);
}

long long
ops_survey_age(const struct ops_survey *s, time_t t)
{
	return s->now > t ? (long long)(s->now - t) : 0;
}
