/*
 * The drill's report: its checks, each named for machines and worded for
 * people, and how the report is freed.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "jobs/drill.h"

/* Every check of a drill: its stable name and its label for people. */
static const struct {
	const char *name;
	const char *label;     /* "%s": the subject */
} drill_labels[] = {
	{ "metadata", "%s" },
	{ "sha256", N_("%s sha256") },
	{ "redis_load", N_("Redis loads %s") },
	{ "key_count", N_("key count %s") },
	{ "dbsize", N_("DBSIZE of %s") },
	{ "documents", N_("documents %s") },
	{ "index_load", N_("%s loads") },
	{ "ids", N_("ids of %s in the index") },
	{ "vectors", N_("vectors of %s") },
	{ "search", N_("search %s") },
	{ "divergence", N_("divergence %s") },
	{ "rto", N_("recovery time from %s") },
};

const char *
drill_check_label(const char *name)
{
	for (size_t i = 0; i < sizeof drill_labels / sizeof drill_labels[0]; i++)
		if (strcmp(drill_labels[i].name, name) == 0)
			return _(drill_labels[i].label);
	return "%s";
}

double
drill_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct drill_check *
check_add(struct drill_ctx *dc, const char *name, const char *subject)
{
	struct drill_report *r = dc->rep;
	struct drill_check *c;
	char what[256];

	r->checks = xreallocarray(r->checks, r->n + 1, sizeof *r->checks);
	c = &r->checks[r->n++];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->subject = xstrdup(subject != NULL ? subject : "");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(what, sizeof what, drill_check_label(name), subject != NULL ? subject : "");
#pragma GCC diagnostic pop
	c->what = xstrdup(what);
	return c;
}

void
drill_check(struct drill_ctx *dc, const char *name, const char *subject, bool ok,
    cJSON *counts, const char *fmt, ...)
{
	struct drill_check *c = check_add(dc, name, subject);
	va_list ap;

	c->ok = ok;
	c->counts = counts;
	va_start(ap, fmt);
	c->detail = xvasprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		dc->rep->ok = false;
		job_log(dc->job, VS_LOG_ERROR, _("drill of %s: %s: %s"), dc->rep->id, c->what,
		    c->detail);
	} else {
		job_log(dc->job, VS_LOG_DEBUG, "%s: %s", c->what, c->detail);
	}
}

void
drill_skip(struct drill_ctx *dc, const char *name, const char *subject, const char *fmt, ...)
{
	struct drill_check *c = check_add(dc, name, subject);
	va_list ap;

	c->ok = true;
	c->skipped = true;
	va_start(ap, fmt);
	c->detail = xvasprintf(fmt, ap);
	va_end(ap);
	job_log(dc->job, VS_LOG_DEBUG, _("%s: not checked: %s"), c->what, c->detail);
}

void
drill_ids_text(const struct drill_probe_ids *x, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < x->nfirst && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%" PRId64, i > 0 ? ", " : "",
		    x->first[i]);
	if (x->count > x->nfirst && len < size)
		snprintf(buf + len, size - len, ", ...");
}

void
drill_report_free(struct drill_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->checks[i].name);
		free(r->checks[i].subject);
		free(r->checks[i].what);
		free(r->checks[i].detail);
		cJSON_Delete(r->checks[i].counts);
	}
	free(r->checks);
	free(r->kept_dir);
	free(r->kept_socket);
	free(r);
}

static double
ms(double x)
{
	return floor(x * 1000 + 0.5) / 1000;
}

cJSON *
drill_report_json(const struct drill_report *r)
{
	static const char *const sides[2] = { "content", "user" };
	cJSON *o = cJSON_CreateObject(), *ph, *rc, *arr;
	char at[ISO8601_SIZE];

	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "location", r->location);
	cJSON_AddBoolToObject(o, "ok", r->ok);
	time_format_iso(r->at, at);
	cJSON_AddStringToObject(o, "at", at);
	cJSON_AddBoolToObject(o, "recorded", r->recorded);
	cJSON_AddStringToObject(o, "server", r->server);
	cJSON_AddNumberToObject(o, "sample_size", r->sample_size);
	cJSON_AddNumberToObject(o, "seed", r->seed);
	cJSON_AddNumberToObject(o, "rto_seconds", ms(r->rto));
	cJSON_AddNumberToObject(o, "rto_target_seconds", r->target);
	ph = cJSON_AddObjectToObject(o, "phases");
	for (int p = 0; p < DRILL_PHASE__COUNT; p++)
		cJSON_AddNumberToObject(ph, drill_phase_name(p), ms(r->seconds[p]));
	rc = cJSON_AddObjectToObject(o, "recall");
	for (int i = 0; i < 2; i++)
		if (r->recall[i] >= 0)
			cJSON_AddNumberToObject(rc, sides[i], ms(r->recall[i]));
	arr = cJSON_AddArrayToObject(o, "checks");
	for (size_t i = 0; i < r->n; i++) {
		const struct drill_check *c = &r->checks[i];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "check", c->what);
		cJSON_AddStringToObject(e, "name", c->name);
		cJSON_AddStringToObject(e, "subject", c->subject);
		cJSON_AddBoolToObject(e, "ok", c->ok);
		cJSON_AddBoolToObject(e, "skipped", c->skipped);
		cJSON_AddStringToObject(e, "detail", c->detail);
		if (c->counts != NULL)
			cJSON_AddItemToObject(e, "counts", cJSON_Duplicate(c->counts, 1));
		cJSON_AddItemToArray(arr, e);
	}
	if (r->kept_dir != NULL) {
		cJSON *k = cJSON_AddObjectToObject(o, "kept");

		cJSON_AddStringToObject(k, "dir", r->kept_dir);
		if (r->kept_socket != NULL)
			cJSON_AddStringToObject(k, "socket", r->kept_socket);
	}
	return o;
}

void
drill_report_describe(const struct drill_report *r, char *buf, size_t size)
{
	size_t failed = 0;
	const char *first = NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (!r->checks[i].ok) {
			if (first == NULL)
				first = r->checks[i].what;
			failed++;
		}
	}
	if (r->ok)
		snprintf(buf, size, _("backup %s (%s) drilled: ok, %zu checks, RTO %.1f s"), r->id,
		    r->location, r->n, r->rto);
	else
		snprintf(buf, size, _("backup %s (%s) drill FAILED: %zu of %zu checks (first: %s), "
		    "RTO %.1f s"), r->id, r->location, failed, r->n, first != NULL ? first : "?",
		    r->rto);
}
