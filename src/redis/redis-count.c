#include "config.h"

#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "common/i18n.h"
#include "redis/redis-count.h"

static int
count_dbsize(struct redis_conn *c, uint64_t *out, struct vs_error *err)
{
	redisReply *r = redis_conn_command(c, err, "DBSIZE");

	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) {
		freeReplyObject(r);
		return error_set(err, VS_ERR_REDIS, _("unexpected answer to DBSIZE from Redis at %s"),
		    redis_conn_where(c));
	}
	*out = (uint64_t)r->integer;
	freeReplyObject(r);
	return 0;
}

int
redis_count_prefixes(struct redis_conn *c, const char *const *prefixes, size_t n,
    uint64_t *counts, uint64_t *dbsize, uint64_t max_keys, redis_count_stop_fn *stop,
    void *ud, struct vs_error *err)
{
	char cursor[32] = "0";
	uint64_t keys = 0;

	if ((dbsize != NULL || max_keys > 0) && count_dbsize(c, &keys, err) != 0)
		return -1;
	if (dbsize != NULL)
		*dbsize = keys;
	if (counts == NULL || n == 0)
		return 0;
	if (max_keys > 0 && keys > max_keys)
		return 1;
	memset(counts, 0, n * sizeof *counts);
	do {
		redisReply *r = redis_conn_command(c, err, "SCAN %s COUNT 1000", cursor);

		if (r == NULL)
			return -1;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return error_set(err, VS_ERR_REDIS, _("unexpected answer to SCAN from Redis at %s"),
			    redis_conn_where(c));
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (size_t k = 0; k < r->element[1]->elements; k++) {
			const redisReply *key = r->element[1]->element[k];

			if (key->type != REDIS_REPLY_STRING)
				continue;
			for (size_t i = 0; i < n; i++) {
				size_t plen = strlen(prefixes[i]);

				if ((size_t)key->len >= plen && memcmp(key->str, prefixes[i], plen) == 0)
					counts[i]++;
			}
		}
		freeReplyObject(r);
		if (stop != NULL && stop(ud))
			return error_set(err, VS_ERR_CANCELLED, "%s", _("cancelled"));
	} while (strcmp(cursor, "0") != 0);
	return 0;
}
