/* The s3 group of the configuration: its keys, defaults and checks. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/s3/s3-cred.h"
#include "storage/s3/s3-options.h"
#include "storage/storage.h"

#define MiB (1024LL * 1024LL)
#define O(f) offsetof(struct s3_options, f)
#define STR(n, f) { NULL, n, CFG_STRING, O(f), 0, 0, NULL, false, 0 }
#define SECRET(n, f) { NULL, n, CFG_STRING, O(f), 0, 0, NULL, true, 0 }
#define CHOICE(n, f, c) { NULL, n, CFG_STRING, O(f), 0, 0, c, false, 0 }
#define INT(n, f, lo, hi) { NULL, n, CFG_INT, O(f), lo, hi, NULL, false, 0 }
#define INT64(n, f, lo, hi) { NULL, n, CFG_INT64, O(f), lo, hi, NULL, false, 0 }
#define BOOL(n, f) { NULL, n, CFG_BOOL, O(f), 0, 0, NULL, false, 0 }

static const char *const sse_choices[] = { "AES256", "aws:kms", "none", NULL };

static const struct config_key s3_keys[] = {
	STR("bucket", bucket),
	STR("prefix", prefix),
	STR("region", region),
	STR("endpoint", endpoint),
	BOOL("path_style", path_style),
	CHOICE("sse", sse, sse_choices),
	STR("sse_kms_key_id", sse_kms_key_id),
	STR("access_key_id", access_key_id),
	SECRET("secret_access_key", secret_access_key),
	SECRET("session_token", session_token),
	STR("profile", profile),
	STR("ca_file", ca_file),
	INT64("multipart_threshold", multipart_threshold, 5 * MiB, 5LL * 1024 * 1024 * MiB),
	INT64("part_size", part_size, 5 * MiB, 5LL * 1024 * MiB),
	INT("concurrency", concurrency, 1, 64),
	INT("max_attempts", max_attempts, 1, 100),
	INT("connect_timeout", connect_timeout, 1, 3600),
	INT("low_speed_time", low_speed_time, 1, 3600),
};

static void
s3_set(char **p, const char *v)
{
	free(*p);
	*p = xstrdup(v);
}

static void
s3_defaults(void *opts)
{
	struct s3_options *o = opts;

	s3_set(&o->prefix, "vector_store_backups");
	s3_set(&o->region, "us-east-1");
	s3_set(&o->sse, "AES256");
	o->multipart_threshold = 64 * MiB;
	o->part_size = 16 * MiB;
	o->concurrency = 4;
	o->max_attempts = 5;
	o->connect_timeout = 10;
	o->low_speed_time = 30;
}

static bool
s3_used(const void *opts)
{
	return ((const struct s3_options *)opts)->bucket[0] != '\0';
}

static int
s3_validate(void *opts, const char *file, const char *name, struct vs_error *err)
{
	struct s3_options *o = opts;

	(void)name;
	if (strcmp(o->sse, "aws:kms") == 0 && *o->sse_kms_key_id == '\0')
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: s3.sse is \"aws:kms\" but s3.sse_kms_key_id is empty"), file);
	if (o->part_size > o->multipart_threshold)
		o->multipart_threshold = o->part_size;
	return 0;
}

static char *
s3_describe(const struct config *cfg, const struct config_location *loc)
{
	const struct s3_options *o = loc->opts;
	size_t plen = strlen(o->prefix);
	const char *p = o->prefix;

	(void)cfg;
	while (*p == '/')
		p++, plen--;
	while (plen > 0 && p[plen - 1] == '/')
		plen--;
	if (plen == 0)
		return xasprintf("s3://%s", o->bucket);
	return xasprintf("s3://%s/%.*s", o->bucket, (int)plen, p);
}

static char *
s3_brief(const struct config_location *loc)
{
	return xstrdup(((const struct s3_options *)loc->opts)->bucket);
}

static int
s3_credentials(const struct config_location *loc, char **source, time_t *expires,
    struct vs_error *err)
{
	struct s3_cred *sc = NULL;
	struct s3_cred_value v;

	if (s3_cred_open(loc->opts, &sc, err) != 0)
		return -1;
	memset(&v, 0, sizeof v);
	if (s3_cred_get(sc, &v, err) != 0) {
		s3_cred_close(sc);
		return -1;
	}
	s3_cred_value_free(&v);
	*expires = s3_cred_expiration(sc);
	*source = xstrdup(s3_cred_source(sc));
	s3_cred_close(sc);
	return 0;
}

const struct config_driver storage_s3_kind = {
	.name = "s3",
	.label = "S3",
	.unset = N_("s3.bucket is empty"),
	.keys = s3_keys,
	.nkeys = sizeof s3_keys / sizeof s3_keys[0],
	.opts_size = sizeof(struct s3_options),
	.defaults = s3_defaults,
	.used = s3_used,
	.validate = s3_validate,
	.describe = s3_describe,
	.brief = s3_brief,
	.open = storage_open_s3,
	.credentials = s3_credentials,
};

struct s3_options *
s3_options_new(void)
{
	struct s3_options *o = xcalloc(1, sizeof *o);

	for (size_t i = 0; i < storage_s3_kind.nkeys; i++)
		if (s3_keys[i].type == CFG_STRING)
			s3_set((char **)((char *)o + s3_keys[i].offset), "");
	s3_defaults(o);
	return o;
}

void
s3_options_free(struct s3_options *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < storage_s3_kind.nkeys; i++)
		if (s3_keys[i].type == CFG_STRING)
			free(*(char **)((char *)o + s3_keys[i].offset));
	free(o);
}
