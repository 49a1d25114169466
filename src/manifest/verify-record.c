#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"
#include "common/xmalloc.h"
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
	cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "records");
	cJSON *old = old_json != NULL ? cJSON_Parse(old_json) : NULL;
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(old, "records"), *item;
	char *text, *out;
	int n = 1;

	cJSON_AddItemToArray(list, record_json(rec));
	cJSON_ArrayForEach(item, prev) {
		if (n++ >= VERIFY_RECORD_MAX)
			break;
		if (cJSON_IsObject(item))
			cJSON_AddItemToArray(list, cJSON_Duplicate(item, 1));
	}
	cJSON_Delete(old);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		fatal("out of memory serialising verify.json");
	out = xasprintf("%s\n", text);
	cJSON_free(text);
	return out;
}

int
verify_record_latest(const char *json, struct verify_record *out)
{
	cJSON *root = json != NULL ? cJSON_Parse(json) : NULL;
	const cJSON *first, *v;
	int rc = -1;

	memset(out, 0, sizeof *out);
	first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "records"), 0);
	if (!cJSON_IsObject(first))
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(first, "at");
	if (!cJSON_IsString(v) || time_parse(v->valuestring, &out->at, NULL) != 0)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(first, "ok");
	if (!cJSON_IsBool(v))
		goto out;
	out->ok = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(first, "level");
	out->deep = cJSON_IsString(v) && strcmp(v->valuestring, "deep") == 0;
	v = cJSON_GetObjectItemCaseSensitive(first, "location");
	if (cJSON_IsString(v))
		snprintf(out->location, sizeof out->location, "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(first, "summary");
	if (cJSON_IsString(v))
		snprintf(out->summary, sizeof out->summary, "%s", v->valuestring);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
