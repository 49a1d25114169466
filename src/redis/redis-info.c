/*
 * INFO parsing. The reply is "# Section" headers and "key:value" lines
 * separated by CRLF; fields are kept in order and looked up by name (a
 * section has a few dozen, so a linear search is enough).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "redis/redis-info.h"

struct redis_info_field {
	char *key;
	char *value;
};

struct redis_info {
	char *source;
	struct redis_info_field *fields;
	size_t nfields;
};

struct redis_info *
redis_info_parse(const char *text, size_t len, const char *source)
{
	struct redis_info *info = xcalloc(1, sizeof *info);
	size_t alloc = 0;
	const char *p = text, *end = text + len;

	info->source = xstrdup(source);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol != NULL ? eol : end;
		const char *colon;

		if (line_end > p && line_end[-1] == '\r')
			line_end--;
		colon = memchr(p, ':', (size_t)(line_end - p));
		if (line_end > p && *p != '#' && colon != NULL) {
			if (info->nfields == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				info->fields = xreallocarray(info->fields, alloc,
				    sizeof *info->fields);
			}
			info->fields[info->nfields].key = xstrndup(p, (size_t)(colon - p));
			info->fields[info->nfields].value = xstrndup(colon + 1,
			    (size_t)(line_end - colon - 1));
			info->nfields++;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	return info;
}

int
redis_info_fetch(struct redis_conn *c, const char *section,
    struct redis_info **out, struct vs_error *err)
{
	redisReply *rep;
	char *source;

	*out = NULL;
	if (section != NULL && section[0] != '\0')
		rep = redis_conn_command(c, err, "INFO %s", section);
	else
		rep = redis_conn_command(c, err, "INFO");
	if (rep == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_STRING) {
		freeReplyObject(rep);
		return error_set(err, VS_ERR_REDIS, _("Redis at %s answered INFO "
		    "with something other than text"), redis_conn_where(c));
	}
	source = xasprintf(_("INFO %s from Redis at %s"),
	    section != NULL ? section : "", redis_conn_where(c));
	*out = redis_info_parse(rep->str, rep->len, source);
	free(source);
	freeReplyObject(rep);
	return 0;
}

void
redis_info_free(struct redis_info *info)
{
	if (info == NULL)
		return;
	for (size_t i = 0; i < info->nfields; i++) {
		free(info->fields[i].key);
		free(info->fields[i].value);
	}
	free(info->fields);
	free(info->source);
	free(info);
}

const char *
redis_info_get(const struct redis_info *info, const char *key)
{
	for (size_t i = 0; i < info->nfields; i++)
		if (strcmp(info->fields[i].key, key) == 0)
			return info->fields[i].value;
	return NULL;
}

static int
redis_info_parse_ll(const char *s, long long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

int
redis_info_get_ll(const struct redis_info *info, const char *key,
    long long *out, struct vs_error *err)
{
	const char *v = redis_info_get(info, key);

	if (v == NULL)
		return error_set(err, VS_ERR_REDIS, _("%s has no field %s (is this "
		    "Redis too old or a different server?)"), info->source, key);
	if (redis_info_parse_ll(v, out) < 0)
		return error_set(err, VS_ERR_REDIS, _("%s: field %s is \"%.64s\", "
		    "not an integer"), info->source, key, v);
	return 0;
}

long long
redis_info_ll(const struct redis_info *info, const char *key, long long dflt)
{
	long long v;

	if (redis_info_parse_ll(redis_info_get(info, key), &v) < 0)
		return dflt;
	return v;
}

double
redis_info_double(const struct redis_info *info, const char *key, double dflt)
{
	const char *s = redis_info_get(info, key);
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtod(s, &end);
	return *end == '\0' ? v : dflt;
}

const char *
redis_info_version(const struct redis_info *info)
{
	const char *v = redis_info_get(info, "redis_version");

	return v != NULL ? v : "";
}

int
redis_info_version_num(const struct redis_info *info)
{
	int major = 0, minor = 0, patch = 0;

	if (sscanf(redis_info_version(info), "%d.%d.%d", &major, &minor, &patch) < 2)
		return 0;
	return major * 10000 + minor * 100 + patch;
}

bool
redis_info_loading(const struct redis_info *info)
{
	return redis_info_ll(info, "loading", 0) != 0 ||
	    redis_info_ll(info, "async_loading", 0) != 0;
}

bool
redis_info_appendonly(const struct redis_info *info)
{
	return redis_info_ll(info, "aof_enabled", 0) != 0;
}

void
redis_info_db_keys(const struct redis_info *info, int db, long long *keys,
    long long *expires)
{
	char name[24];
	const char *v, *p;

	*keys = 0;
	if (expires != NULL)
		*expires = 0;
	snprintf(name, sizeof name, "db%d", db);
	if ((v = redis_info_get(info, name)) == NULL)
		return;
	if ((p = strstr(v, "keys=")) != NULL && (p == v || p[-1] == ','))
		*keys = strtoll(p + 5, NULL, 10);
	if (expires != NULL && (p = strstr(v, "expires=")) != NULL)
		*expires = strtoll(p + 8, NULL, 10);
}

int
redis_info_persistence(const struct redis_info *info,
    struct redis_persistence *p, struct vs_error *err)
{
	long long v;
	const char *status;

	memset(p, 0, sizeof *p);
	if (redis_info_get_ll(info, "loading", &v, err) < 0)
		return -1;
	p->loading = redis_info_loading(info);
	p->loading_perc = redis_info_double(info, "loading_loaded_perc", 0);
	p->loading_loaded_bytes = redis_info_ll(info, "loading_loaded_bytes", 0);
	p->loading_total_bytes = redis_info_ll(info, "loading_total_bytes", 0);
	if (redis_info_get_ll(info, "rdb_bgsave_in_progress", &v, err) < 0)
		return -1;
	p->bgsave_in_progress = v != 0;
	if ((status = redis_info_get(info, "rdb_last_bgsave_status")) == NULL)
		return redis_info_get_ll(info, "rdb_last_bgsave_status", &v, err);
	snprintf(p->last_bgsave_status, sizeof p->last_bgsave_status, "%s", status);
	if (redis_info_get_ll(info, "rdb_last_save_time", &p->last_save_time, err) < 0)
		return -1;
	p->saves = redis_info_ll(info, "rdb_saves", -1);
	p->changes_since_last_save = redis_info_ll(info, "rdb_changes_since_last_save", 0);
	p->keys_processed = redis_info_ll(info, "current_save_keys_processed", -1);
	p->keys_total = redis_info_ll(info, "current_save_keys_total", -1);
	p->aof_enabled = redis_info_ll(info, "aof_enabled", 0) != 0;
	p->aof_rewrite_in_progress = redis_info_ll(info, "aof_rewrite_in_progress", 0) != 0;
	p->aof_rewrite_scheduled = redis_info_ll(info, "aof_rewrite_scheduled", 0) != 0;
	return 0;
}

int
redis_info_fetch_persistence(struct redis_conn *c, struct redis_persistence *p,
    struct vs_error *err)
{
	struct redis_info *info;
	int rc;

	if (redis_info_fetch(c, "persistence", &info, err) < 0)
		return -1;
	rc = redis_info_persistence(info, p, err);
	redis_info_free(info);
	return rc;
}
