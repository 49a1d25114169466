#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "ops/survey.h"
#include "storage/storage.h"

static void
survey_warn(void *ud, const char *msg)
{
	job_log(ud, VS_LOG_WARN, "%s", msg);
}

static int
survey_cancelled(void *ud)
{
	return job_cancelled(ud);
}

static void
survey_list(const struct config *cfg, struct job *job, struct catalog *cat,
    const char *location, struct ops_location *loc)
{
	struct storage *st = NULL;
	struct vs_error err;

	error_clear(&err);
	loc->configured = true;
	if (storage_open(cfg, location, &st, &err) == 0) {
		if (job != NULL) {
			storage_set_warn(st, survey_warn, job);
			storage_set_cancel(st, survey_cancelled, job);
		}
		if (catalog_add_location(cat, st, &err) == 0)
			loc->listed = true;
	}
	if (!loc->listed)
		loc->error = xstrdup(err.msg);
	storage_close(st);
}

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
	for (size_t i = 0; i < s->cat->n; i++) {
		const struct catalog_entry *e = &s->cat->entries[i];

		survey_count(&s->local, e, &e->local);
		survey_count(&s->s3, e, &e->s3);
		survey_verify(s, e, &e->local);
		survey_verify(s, e, &e->s3);
		survey_drill(s, e, &e->local);
		survey_drill(s, e, &e->s3);
	}
}

void
ops_survey_of(const struct config *cfg, struct catalog *cat, time_t now, struct ops_survey *s)
{
	memset(s, 0, sizeof *s);
	s->now = now;
	s->cat = cat;
	s->borrowed = true;
	s->local.configured = true;
	s->local.listed = cat->local_error == NULL;
	if (cat->local_error != NULL)
		s->local.error = xstrdup(cat->local_error);
	s->s3.configured = cfg->s3.bucket[0] != '\0';
	s->s3.listed = s->s3.configured && cat->s3_error == NULL;
	if (s->s3.configured && cat->s3_error != NULL)
		s->s3.error = xstrdup(cat->s3_error);
	survey_derive(s);
}

void
ops_survey_take(const struct config *cfg, struct job *job, struct ops_survey *s)
{
	struct vs_error err;

	memset(s, 0, sizeof *s);
	s->now = time_now();
	s->cat = catalog_new();
	if (job != NULL)
		job_progress(job, _("listing backups"), 0, 0, false);
	survey_list(cfg, job, s->cat, "local", &s->local);
	if (cfg->s3.bucket[0] != '\0' && (job == NULL || !job_cancelled(job))) {
		if (job != NULL)
			job_progress(job, _("listing backups in S3"), 0, 0, false);
		survey_list(cfg, job, s->cat, "s3", &s->s3);
	}
	catalog_finish(s->cat);
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
	free(s->local.error);
	free(s->s3.error);
	free(s->free_error);
	memset(s, 0, sizeof *s);
}

long long
ops_survey_age(const struct ops_survey *s, time_t t)
{
	return s->now > t ? (long long)(s->now - t) : 0;
}
