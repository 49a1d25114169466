#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "ops/metrics.h"

/* Commands that change nothing: no reason to list S3 again after them. */
static const char *const metrics_readonly[] = {
	"list", "show", "config", "health", "metrics", "demo", "tui", NULL,
};

struct mbuf {
	char *s;
	size_t len, cap;
	size_t samples;
	/* HELP and TYPE wait for the family's first sample: a family with
	 * no sample is left out. */
	const char *fam_name, *fam_type, *fam_help;
};

static void
mb_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			fatal("cannot format a metric");
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n;
		b->s = xrealloc(b->s, b->cap);
	}
	b->len += (size_t)n;
}

/* HELP and TYPE of a family; help text is English, as Prometheus wants. */
static void
mb_family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	b->fam_name = name;
	b->fam_type = type;
	b->fam_help = help;
}

static void
mb_header(struct mbuf *b, const char *name)
{
	if (b->fam_name == NULL || strcmp(b->fam_name, name) != 0)
		return;
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, b->fam_help, name, b->fam_type);
	b->fam_name = NULL;
}

static void
mb_int(struct mbuf *b, const char *name, const char *labels, long long v)
{
	mb_header(b, name);
	mb_printf(b, "%s%s %lld\n", name, labels, v);
	b->samples++;
}

static void
mb_double(struct mbuf *b, const char *name, const char *labels, double v)
{
	mb_header(b, name);
	mb_printf(b, "%s%s %.3f\n", name, labels, v);
	b->samples++;
}

static void
render_operations(struct mbuf *b, const struct ops_state *st)
{
	char labels[96];

	mb_family(b, "vsbackup_last_success_timestamp_seconds", "gauge",
	    "When the operation last ended successfully, in seconds since the epoch (0: never).");
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		snprintf(labels, sizeof labels, "{operation=\"%s\"}", ops_operation_name(i));
		mb_int(b, "vsbackup_last_success_timestamp_seconds", labels,
		    (long long)st->op[i].last_success);
	}
	mb_family(b, "vsbackup_last_run_timestamp_seconds", "gauge",
	    "When the last run of the operation ended, in seconds since the epoch.");
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		if (!st->op[i].seen)
			continue;
		snprintf(labels, sizeof labels, "{operation=\"%s\"}", ops_operation_name(i));
		mb_int(b, "vsbackup_last_run_timestamp_seconds", labels, (long long)st->op[i].last_run);
	}
	mb_family(b, "vsbackup_last_run_duration_seconds", "gauge",
	    "How long the last run of the operation took.");
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		if (!st->op[i].seen)
			continue;
		snprintf(labels, sizeof labels, "{operation=\"%s\"}", ops_operation_name(i));
		mb_double(b, "vsbackup_last_run_duration_seconds", labels, st->op[i].last_duration);
	}
	mb_family(b, "vsbackup_last_run_exit_status", "gauge",
	    "Exit status of the last run of the operation (0 success, 1 failure, "
	    "2 usage error or refused, 3 verification failed).");
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		if (!st->op[i].seen)
			continue;
		snprintf(labels, sizeof labels, "{operation=\"%s\"}", ops_operation_name(i));
		mb_int(b, "vsbackup_last_run_exit_status", labels, st->op[i].last_status);
	}
	mb_family(b, "vsbackup_last_run_success", "gauge",
	    "1 when the last run of the operation succeeded, else 0.");
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		if (!st->op[i].seen)
			continue;
		snprintf(labels, sizeof labels, "{operation=\"%s\"}", ops_operation_name(i));
		mb_int(b, "vsbackup_last_run_success", labels, st->op[i].last_status == 0);
	}
	mb_family(b, "vsbackup_runs_total", "counter",
	    "Runs of the operation recorded in the state file, by result.");
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		snprintf(labels, sizeof labels, "{operation=\"%s\",result=\"success\"}",
		    ops_operation_name(i));
		mb_int(b, "vsbackup_runs_total", labels, (long long)st->op[i].runs_success);
		snprintf(labels, sizeof labels, "{operation=\"%s\",result=\"failure\"}",
		    ops_operation_name(i));
		mb_int(b, "vsbackup_runs_total", labels, (long long)st->op[i].runs_failure);
	}
}

/* The deduplicating repositories (format 2): what they hold and cost. */
static void
render_repository(struct mbuf *b, const struct ops_survey *s, const struct catalog_copy *newest)
{
	char labels[96];
	bool any = false;

	if (s->cat == NULL)
		return;
	for (size_t i = 0; i < s->cat->nloc; i++)
		any |= s->cat->locs[i].repo.present;
	if (!any)
		return;
	mb_family(b, "vsbackup_repository_size_bytes", "gauge",
	    "Bytes stored in the location's repository (the packs its index names, manifests).");
	for (size_t i = 0; i < s->cat->nloc; i++) {
		if (!s->cat->locs[i].repo.present || s->cat->locs[i].repo.error != NULL)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->cat->locs[i].name);
		mb_int(b, "vsbackup_repository_size_bytes", labels,
		    (long long)s->cat->locs[i].repo.bytes);
	}
	mb_family(b, "vsbackup_repository_logical_bytes", "gauge",
	    "Size of the files of every backup in the location's repository, added up.");
	for (size_t i = 0; i < s->cat->nloc; i++) {
		if (!s->cat->locs[i].repo.present)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->cat->locs[i].name);
		mb_int(b, "vsbackup_repository_logical_bytes", labels,
		    (long long)s->cat->locs[i].repo.logical);
	}
	if (newest != NULL && catalog_copy_in_repo(newest)) {
		mb_family(b, "vsbackup_last_backup_added_bytes", "gauge",
		    "Bytes the newest complete backup added to its repository.");
		mb_int(b, "vsbackup_last_backup_added_bytes", "",
		    (long long)catalog_copy_added(newest));
	}
}

/* Does every other location of the kind of location l hold a usable copy
 * of e? (For the per-kind series of old: vsbackup_s3_newest_backup_uploaded.) */
static void
render_copied(struct mbuf *b, const struct config *cfg, const struct ops_survey *s)
{
	const struct catalog_entry *e = s->nloc > 0 ? s->locs[0].newest : NULL;
	char labels[96], name[96];

	if (e == NULL || cfg == NULL)
		return;
	mb_family(b, "vsbackup_newest_backup_copied", "gauge",
	    "1 when the newest complete local backup also has a complete copy in the location.");
	for (size_t i = 1; i < s->nloc; i++) {
		if (!s->locs[i].listed)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->locs[i].name);
		mb_int(b, "vsbackup_newest_backup_copied", labels,
		    catalog_copy_usable(catalog_copy_at(e, i)));
	}
	for (size_t d = 1; config_drivers[d] != NULL; d++) {
		bool listed = false, all = true;

		for (size_t i = 1; i < s->nloc && i < cfg->nlocations; i++) {
			if (cfg->locations[i].driver != config_drivers[d] || !s->locs[i].listed)
				continue;
			listed = true;
			all &= catalog_copy_usable(catalog_copy_at(e, i));
		}
		if (!listed)
			continue;
		snprintf(name, sizeof name, "vsbackup_%s_newest_backup_uploaded",
		    config_drivers[d]->name);
		mb_family(b, name, "gauge", "1 when the newest complete local backup also has a "
		    "complete copy in every location of this kind.");
		mb_int(b, name, "", all);
	}
}

static void
render_backups(struct mbuf *b, const struct config *cfg, const struct ops_survey *s)
{
	const struct catalog_copy *newest = NULL;
	char labels[96];

	/* The newest backup anywhere. */
	for (size_t i = 0; i < s->nloc; i++)
		if (s->locs[i].newest != NULL && (newest == NULL ||
		    s->locs[i].newest_copy->m.created_at > newest->m.created_at))
			newest = s->locs[i].newest_copy;
	if (newest != NULL) {
		mb_family(b, "vsbackup_last_backup_size_bytes", "gauge",
		    "Size of the data files of the newest complete backup.");
		mb_int(b, "vsbackup_last_backup_size_bytes", "",
		    (long long)manifest_total_size(&newest->m));
		mb_family(b, "vsbackup_last_backup_duration_seconds", "gauge",
		    "How long the newest complete backup took, from start to metadata.json.");
		mb_int(b, "vsbackup_last_backup_duration_seconds", "",
		    (long long)(newest->m.completed_at > newest->m.created_at ?
		    newest->m.completed_at - newest->m.created_at : 0));
	}

	mb_family(b, "vsbackup_storage_up", "gauge",
	    "1 when the location could be listed, else 0.");
	for (size_t i = 0; i < s->nloc; i++) {
		if (!s->locs[i].configured)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->locs[i].name);
		mb_int(b, "vsbackup_storage_up", labels, s->locs[i].listed);
	}
	mb_family(b, "vsbackup_backups", "gauge",
	    "Complete backups in the location, by type.");
	for (size_t i = 0; i < s->nloc; i++) {
		if (!s->locs[i].listed)
			continue;
		for (int t = 0; t < BACKUP_TYPE__COUNT; t++) {
			snprintf(labels, sizeof labels, "{location=\"%s\",type=\"%s\"}",
			    s->locs[i].name, backup_type_name(t));
			mb_int(b, "vsbackup_backups", labels, (long long)s->locs[i].by_type[t]);
		}
	}
	mb_family(b, "vsbackup_backups_incomplete", "gauge",
	    "Backups in the location that are unfinished or have unreadable metadata.");
	for (size_t i = 0; i < s->nloc; i++) {
		if (!s->locs[i].listed)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->locs[i].name);
		mb_int(b, "vsbackup_backups_incomplete", labels, (long long)s->locs[i].incomplete);
	}
	mb_family(b, "vsbackup_backups_pinned", "gauge",
	    "Pinned backups in the location (never removed by cleanup).");
	for (size_t i = 0; i < s->nloc; i++) {
		if (!s->locs[i].listed)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->locs[i].name);
		mb_int(b, "vsbackup_backups_pinned", labels, (long long)s->locs[i].pinned);
	}
	mb_family(b, "vsbackup_backups_size_bytes", "gauge",
	    "Total size of the complete backups in the location.");
	for (size_t i = 0; i < s->nloc; i++) {
		if (!s->locs[i].listed)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->locs[i].name);
		mb_int(b, "vsbackup_backups_size_bytes", labels, (long long)s->locs[i].bytes);
	}
	mb_family(b, "vsbackup_newest_backup_timestamp_seconds", "gauge",
	    "When the newest complete backup in the location was taken, in seconds since the epoch.");
	for (size_t i = 0; i < s->nloc; i++) {
		if (s->locs[i].newest == NULL)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->locs[i].name);
		mb_int(b, "vsbackup_newest_backup_timestamp_seconds", labels,
		    (long long)s->locs[i].newest_copy->m.created_at);
	}
	mb_family(b, "vsbackup_newest_backup_age_seconds", "gauge",
	    "Age of the newest complete backup in the location when this file was written.");
	for (size_t i = 0; i < s->nloc; i++) {
		if (s->locs[i].newest == NULL)
			continue;
		snprintf(labels, sizeof labels, "{location=\"%s\"}", s->locs[i].name);
		mb_int(b, "vsbackup_newest_backup_age_seconds", labels,
		    ops_survey_age(s, s->locs[i].newest_copy->m.created_at));
	}
	if (s->verified != NULL) {
		mb_family(b, "vsbackup_newest_verified_backup_timestamp_seconds", "gauge",
		    "When the newest backup whose last verification passed was taken.");
		mb_int(b, "vsbackup_newest_verified_backup_timestamp_seconds", "",
		    (long long)s->verified_copy->m.created_at);
	}
	render_copied(b, cfg, s);
	render_repository(b, s, newest);
	if (s->have_free) {
		mb_family(b, "vsbackup_backup_dir_free_bytes", "gauge",
		    "Bytes free for unprivileged users on the file system of backup_dir.");
		mb_int(b, "vsbackup_backup_dir_free_bytes", "", (long long)s->free_bytes);
	}
}

/* The last restore drill: when, how it ended, its recovery time by phase
 * and the recall of its searches. */
static void
render_drill(struct mbuf *b, const struct ops_survey *s)
{
	const struct drill_record *d = s->last_drill_rec;
	static const char *const sides[2] = { "content", "user" };
	char labels[96];

	if (d == NULL)
		return;
	mb_family(b, "vsbackup_drill_last_timestamp_seconds", "gauge",
	    "When the last restore drill of any backup ended, in seconds since the epoch.");
	mb_int(b, "vsbackup_drill_last_timestamp_seconds", "", (long long)d->at);
	mb_family(b, "vsbackup_drill_last_success", "gauge",
	    "1 when every check of the last restore drill passed, else 0.");
	mb_int(b, "vsbackup_drill_last_success", "", d->ok);
	if (s->drilled_rec != NULL) {
		mb_family(b, "vsbackup_drill_last_success_timestamp_seconds", "gauge",
		    "When the last restore drill that passed ended, in seconds since the epoch.");
		mb_int(b, "vsbackup_drill_last_success_timestamp_seconds", "",
		    (long long)s->drilled_rec->at);
	}
	mb_family(b, "vsbackup_drill_rto_seconds", "gauge",
	    "Recovery time measured by the last restore drill, by phase and in total.");
	for (int p = 0; p < DRILL_PHASE__COUNT; p++) {
		snprintf(labels, sizeof labels, "{phase=\"%s\"}", drill_phase_name(p));
		mb_double(b, "vsbackup_drill_rto_seconds", labels, d->seconds[p]);
	}
	mb_double(b, "vsbackup_drill_rto_seconds", "{phase=\"total\"}", d->rto);
	if (d->target > 0) {
		mb_family(b, "vsbackup_drill_rto_target_seconds", "gauge",
		    "The recovery time objective the last restore drill was measured against.");
		mb_double(b, "vsbackup_drill_rto_target_seconds", "", d->target);
	}
	mb_family(b, "vsbackup_drill_recall", "gauge",
	    "Share of sampled vectors whose search found their own id, in the last restore "
	    "drill, by index.");
	for (int i = 0; i < 2; i++) {
		if (d->recall[i] < 0)
			continue;
		snprintf(labels, sizeof labels, "{index=\"%s\"}", sides[i]);
		mb_double(b, "vsbackup_drill_recall", labels, d->recall[i]);
	}
}

char *
ops_metrics_render(const struct config *cfg, const struct ops_survey *s,
    const struct ops_state *st, size_t *nsamples)
{
	struct mbuf b = { .cap = 8192 };

	(void)cfg;
	b.s = xmalloc(b.cap);
	b.s[0] = '\0';
	render_operations(&b, st);
	render_backups(&b, cfg, s);
	render_drill(&b, s);
	mb_family(&b, "vsbackup_metrics_timestamp_seconds", "gauge",
	    "When this file was written, in seconds since the epoch.");
	mb_int(&b, "vsbackup_metrics_timestamp_seconds", "", (long long)s->now);
	if (nsamples != NULL)
		*nsamples = b.samples;
	return b.s;
}

int
ops_metrics_write(const char *path, const char *text, struct vs_error *err)
{
	if (fs_write_atomic(path, text, strlen(text), 0644, err) != 0)
		return error_prefix(err, _("metrics file (monitoring.metrics_file)"));
	return 0;
}

/* Survey, render and (unless no_write) write; job may be NULL. */
static int
metrics_produce(const struct config *cfg, struct job *job, const char *path,
    const struct ops_state *known, struct ops_metrics_result *res, struct vs_error *err)
{
	struct ops_survey s;
	struct ops_state st;
	struct vs_error serr;

	memset(res, 0, sizeof *res);
	if (known != NULL) {
		st = *known;
	} else {
		error_clear(&serr);
		if (ops_state_load(cfg->backup_dir, &st, &res->state_damaged, &serr) != 0) {
			/* Unreadable: the backups part is still worth writing. */
			memset(&st, 0, sizeof st);
			res->state_damaged = true;
		}
	}
	ops_survey_take(cfg, job, &s);
	res->text = ops_metrics_render(cfg, &s, &st, &res->samples);
	ops_survey_clear(&s);
	if (path == NULL || path[0] == '\0')
		return 0;
	if (ops_metrics_write(path, res->text, err) != 0)
		return -1;
	res->file = xstrdup(path);
	return 0;
}

int
ops_metrics_after_command(const struct config *cfg, const char *operation, int status,
    double seconds, struct vs_error *err)
{
	struct ops_metrics_result res;
	struct ops_state st;
	bool have_state = false;
	int op = ops_operation_find(operation), rc;

	if (cfg == NULL || operation == NULL)
		return 0;
	if (op >= 0) {
		if (ops_state_record(cfg->backup_dir, op, status, seconds, time_now(), &st, err) != 0)
			return error_prefix(err, _("state file %s"), OPS_STATE_FILE);
		have_state = true;
	}
	if (cfg->monitoring.metrics_file[0] == '\0')
		return 0;
	for (size_t i = 0; metrics_readonly[i] != NULL; i++)
		if (strcmp(metrics_readonly[i], operation) == 0)
			return 0;
	rc = metrics_produce(cfg, NULL, cfg->monitoring.metrics_file, have_state ? &st : NULL,
	    &res, err);
	ops_metrics_result_free(&res);
	return rc;
}

/* --- the job --------------------------------------------------------------------- */

static int
job_metrics_run(struct job *job, void *argp, void **result, struct vs_error *err)
{
	const struct ops_metrics_args *args = argp;
	const struct config *cfg = job_config(job);
	struct ops_metrics_result *res = xcalloc(1, sizeof *res);
	const char *path = NULL;

	if (args == NULL || !args->no_write)
		path = args != NULL && args->output != NULL ? args->output :
		    cfg->monitoring.metrics_file;
	if (metrics_produce(cfg, job, path, NULL, res, err) != 0) {
		ops_metrics_result_free(res);
		free(res);
		return -1;
	}
	if (res->state_damaged)
		job_log(job, VS_LOG_WARN, _("the state file %s/%s is unreadable; the per-operation "
		    "values start again from the next run"), cfg->backup_dir, OPS_STATE_FILE);
	*result = res;
	return 0;
}

void
ops_metrics_args_free(void *p)
{
	struct ops_metrics_args *args = p;

	if (args == NULL)
		return;
	free(args->output);
	free(args);
}

void
ops_metrics_result_free(struct ops_metrics_result *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->file);
	memset(r, 0, sizeof *r);
}

static void
job_metrics_free_result(void *r)
{
	ops_metrics_result_free(r);
	free(r);
}

const struct job_type job_metrics_type = {
	.name = "metrics",
	.run = job_metrics_run,
	.free_args = ops_metrics_args_free,
	.free_result = job_metrics_free_result,
};
