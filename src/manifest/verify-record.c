#include "config.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "manifest/record-list.h"
#include "manifest/verify-record.h"

static cJSON *
record_json(const struct verify_record *rec)
{
	cJSON *o = cJSON_CreateObject();
	char at[ISO8601_SIZE];

	time_format_iso(rec->at, at);
	cJSON_AddStringToObject(o, "at", at);
	cJSON_AddStringToObject(o, "level", rec->deep ? "deep" : "quick");
	cJSON_AddBoolToObject(o, "ok", rec->ok);
	cJSON_AddStringToObject(o, "location", rec->location);
	if (rec->summary[0] != '\0')
		cJSON_AddStringToObject(o, "summary", rec->summary);
	return o;
}

char *
verify_record_add(const char *old_json, const struct verify_record *rec)
{
	return record_list_add(old_json, record_json(rec), VERIFY_RECORD_MAX, "verify.json");
}

int
verify_record_latest(const char *json, struct verify_record *out)
{
	cJSON *root;
	const cJSON *first, *v;

	memset(out, 0, sizeof *out);
	first = record_list_newest(json, &root, &out->at, &out->ok);
	if (first != NULL) {
		v = cJSON_GetObjectItemCaseSensitive(first, "level");
		out->deep = cJSON_IsString(v) && strcmp(v->valuestring, "deep") == 0;
		record_list_string(first, "location", out->location, sizeof out->location);
		record_list_string(first, "summary", out->summary, sizeof out->summary);
	}
	cJSON_Delete(root);
	return first != NULL ? 0 : -1;
}
