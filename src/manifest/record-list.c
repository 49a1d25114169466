#include "config.h"

#include <stdio.h>

#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "manifest/record-list.h"

char *
record_list_add(const char *old_json, cJSON *item, int max, const char *what)
{
	cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "records");
	cJSON *old = old_json != NULL ? cJSON_Parse(old_json) : NULL;
	const cJSON *prev = cJSON_GetObjectItemCaseSensitive(old, "records"), *it;
	char *text, *out;
	int n = 1;

	cJSON_AddItemToArray(list, item);
	cJSON_ArrayForEach(it, prev) {
		if (n++ >= max)
			break;
		if (cJSON_IsObject(it))
			cJSON_AddItemToArray(list, cJSON_Duplicate(it, 1));
	}
	cJSON_Delete(old);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		fatal("out of memory serialising %s", what);
	out = xasprintf("%s\n", text);
	cJSON_free(text);
	return out;
}

const cJSON *
record_list_newest(const char *json, cJSON **root, time_t *at, bool *ok)
{
	const cJSON *first, *v;

	*root = json != NULL ? cJSON_Parse(json) : NULL;
	first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(*root, "records"), 0);
	if (!cJSON_IsObject(first))
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(first, "at");
	if (!cJSON_IsString(v) || time_parse(v->valuestring, at, NULL) != 0)
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(first, "ok");
	if (!cJSON_IsBool(v))
		return NULL;
	*ok = cJSON_IsTrue(v);
	return first;
}

void
record_list_string(const cJSON *o, const char *name, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(v))
		snprintf(buf, size, "%s", v->valuestring);
}
