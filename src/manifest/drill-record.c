#include "config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "manifest/drill-record.h"
#include "manifest/record-list.h"

static const char *const phase_names[DRILL_PHASE__COUNT] = {
#define X(id, name, text) [id] = name,
	DRILL_PHASES(X)
#undef X
};

static const char *const phase_texts[DRILL_PHASE__COUNT] = {
#define X(id, name, text) [id] = text,
	DRILL_PHASES(X)
#undef X
};

static const char *const index_names[2] = { "content", "user" };

const char *
drill_phase_name(enum drill_phase p)
{
	return phase_names[p];
}

const char *
drill_phase_text(enum drill_phase p)
{
	return _(phase_texts[p]);
}

/* Seconds to the millisecond: what a clock measured, without noise. */
static double
ms(double x)
{
	return floor(x * 1000 + 0.5) / 1000;
}

cJSON *
drill_record_json(const struct drill_record *rec)
{
	cJSON *o = cJSON_CreateObject(), *ph, *rc;
	char at[ISO8601_SIZE];

	time_format_iso(rec->at, at);
	cJSON_AddStringToObject(o, "at", at);
	cJSON_AddBoolToObject(o, "ok", rec->ok);
	cJSON_AddStringToObject(o, "location", rec->location);
	cJSON_AddNumberToObject(o, "rto_seconds", ms(rec->rto));
	ph = cJSON_AddObjectToObject(o, "phases");
	for (int i = 0; i < DRILL_PHASE__COUNT; i++)
		cJSON_AddNumberToObject(ph, phase_names[i], ms(rec->seconds[i]));
	cJSON_AddNumberToObject(o, "rto_target_seconds", rec->target);
	rc = cJSON_AddObjectToObject(o, "recall");
	for (int i = 0; i < 2; i++)
		if (rec->recall[i] >= 0)
			cJSON_AddNumberToObject(rc, index_names[i], ms(rec->recall[i]));
	if (rec->summary[0] != '\0')
		cJSON_AddStringToObject(o, "summary", rec->summary);
	return o;
}

char *
drill_record_add(const char *old_json, const struct drill_record *rec)
{
	return record_list_add(old_json, drill_record_json(rec), DRILL_RECORD_MAX, "drill.json");
}

static double
seconds(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : 0;
}

int
drill_record_latest(const char *json, struct drill_record *out)
{
	cJSON *root;
	const cJSON *first, *v, *ph, *rc;

	memset(out, 0, sizeof *out);
	out->recall[0] = out->recall[1] = -1;
	first = record_list_newest(json, &root, &out->at, &out->ok);
	if (first != NULL) {
		record_list_string(first, "location", out->location, sizeof out->location);
		out->rto = seconds(first, "rto_seconds");
		out->target = seconds(first, "rto_target_seconds");
		ph = cJSON_GetObjectItemCaseSensitive(first, "phases");
		for (int i = 0; i < DRILL_PHASE__COUNT; i++)
			out->seconds[i] = seconds(ph, phase_names[i]);
		rc = cJSON_GetObjectItemCaseSensitive(first, "recall");
		for (int i = 0; i < 2; i++) {
			v = cJSON_GetObjectItemCaseSensitive(rc, index_names[i]);
			if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1)
				out->recall[i] = v->valuedouble;
		}
		record_list_string(first, "summary", out->summary, sizeof out->summary);
	}
	cJSON_Delete(root);
	return first != NULL ? 0 : -1;
}

void
drill_record_describe(const struct drill_record *rec, time_t now, char *buf, size_t size)
{
	char age[32], rto[32];

	time_format_age(now > rec->at ? (long long)(now - rec->at) : 0, age, sizeof age);
	snprintf(rto, sizeof rto, rec->rto < 10 ? "%.1f s" : "%.0f s", rec->rto);
	if (rec->ok)
		snprintf(buf, size, _("drilled %s ago: ok, RTO %s"), age, rto);
	else if (rec->summary[0] != '\0')
		snprintf(buf, size, _("drilled %s ago: FAILED, RTO %s (%s)"), age, rto, rec->summary);
	else
		snprintf(buf, size, _("drilled %s ago: FAILED, RTO %s"), age, rto);
}
