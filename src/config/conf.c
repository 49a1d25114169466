#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "config/conf.h"

#define OFF(field) offsetof(struct config, field)
#define STR(g, n, f) { g, n, CFG_STRING, OFF(f), 0, 0, NULL, false, 0 }
#define SECRET(g, n, f) { g, n, CFG_STRING, OFF(f), 0, 0, NULL, true, 0 }
#define CHOICE(g, n, f, c) { g, n, CFG_STRING, OFF(f), 0, 0, c, false, 0 }
#define INT(g, n, f, lo, hi) { g, n, CFG_INT, OFF(f), lo, hi, NULL, false, 0 }
#define INT64(g, n, f, lo, hi) { g, n, CFG_INT64, OFF(f), lo, hi, NULL, false, 0 }
#define BOOL(g, n, f) { g, n, CFG_BOOL, OFF(f), 0, 0, NULL, false, 0 }
#define GROUP(n) { NULL, n, CFG_GROUP, 0, 0, 0, NULL, false, 0 }
#define STRLIST(g, n, f, c) { g, n, CFG_STRLIST, OFF(f), 0, 0, NULL, false, OFF(c) }

static const char *const redis_mode_choices[] = { "standalone", "cluster", "sentinel", NULL };
static const char *const compression_choices[] = { "zstd", "none", NULL };

#define MiB (1024LL * 1024LL)
#define RETENTION(g, f) \
	INT(g, "daily", f.daily, 0, 100000), \
	INT(g, "weekly", f.weekly, 0, 100000), \
	INT(g, "monthly", f.monthly, 0, 100000), \
	INT(g, "pre_restore_days", f.pre_restore_days, 0, 100000), \
	INT(g, "manual_days", f.manual_days, 0, 100000)

static const struct config_key cfg_keys[] = {
	STR(NULL, "backup_dir", backup_dir),
	STR(NULL, "restore_reload_command", restore_reload_command),

	GROUP("redis"),
	STR("redis", "host", redis.host),
	INT("redis", "port", redis.port, 1, 65535),
	STR("redis", "socket", redis.socket),
	STR("redis", "username", redis.username),
	SECRET("redis", "password", redis.password),
	INT("redis", "db", redis.db, 0, 1000000),
	STRLIST("redis", "prefixes", redis.prefixes, redis.nprefixes),
	STR("redis", "start_command", redis.start_command),
	STR("redis", "stop_command", redis.stop_command),
	STR("redis", "data_dir", redis.data_dir),
	STR("redis", "dbfilename", redis.dbfilename),
	INT("redis", "pause_ms", redis.pause_ms, 10, 60000),
	INT("redis", "timeout_ms", redis.timeout_ms, 100, 600000),
	INT("redis", "start_timeout", redis.start_timeout, 1, 86400),
	STR("redis", "check_rdb_command", redis.check_rdb_command),
	CHOICE("redis", "mode", redis.mode, redis_mode_choices),
	STRLIST("redis", "sentinels", redis.sentinels, redis.nsentinels),
	STRLIST("redis", "nodes", redis.nodes, redis.nnodes),
	STR("redis", "master_name", redis.master_name),
	SECRET("redis", "sentinel_password", redis.sentinel_password),
	BOOL("redis", "from_replica", redis.from_replica),

	GROUP("faiss"),
	STR("faiss", "content_index", faiss.content_index),
	STR("faiss", "user_index", faiss.user_index),
	STR("faiss", "lock_file", faiss.lock_file),

	GROUP("retention"),
	RETENTION("retention", retention),

	GROUP("monitoring"),
	INT("monitoring", "rpo_hours", monitoring.rpo_hours, 1, 100000),
	INT("monitoring", "verify_max_age_hours", monitoring.verify_max_age_hours, 1, 100000),
	STR("monitoring", "metrics_file", monitoring.metrics_file),

	GROUP("repository"),
	INT("repository", "format", repository.format, 1, 2),
	CHOICE("repository", "compression", repository.compression, compression_choices),
	INT("repository", "compression_level", repository.compression_level, 1, 19),
	INT("repository", "compression_min_gain", repository.compression_min_gain, 0, 99),
	STR("repository", "passphrase_file", repository.passphrase_file),
	INT("repository", "gc_grace_minutes", repository.gc_grace_minutes, 0, 1000000),

	GROUP("log"),
	STR("log", "file", log.file),
	BOOL("log", "syslog", log.syslog),

	GROUP("drill"),
	STR("drill", "dir", drill.dir),
	STR("drill", "redis_server", drill.redis_server),
	INT("drill", "sample_size", drill.sample_size, 1, 10000000),
	INT("drill", "seed", drill.seed, 0, 2147483647),
	INT("drill", "search_k", drill.search_k, 1, 10000),
	INT("drill", "min_recall_percent", drill.min_recall_percent, 0, 100),
	INT("drill", "max_age_days", drill.max_age_days, 1, 100000),
	INT("drill", "rto_target_local", drill.rto_target_local, 0, 100000000),
	INT("drill", "rto_target_s3", drill.rto_target_s3, 0, 100000000),
	STR("drill", "content_prefix", drill.content_prefix),
	STR("drill", "user_prefix", drill.user_prefix),
	STR("drill", "id_field", drill.id_field),
	STR("drill", "vector_field", drill.vector_field),
};

#define NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

/* The retention keys, for a location's own retention group and
 * retention_DRIVER (offsets into struct config_retention). */
#define RKEY(n, f) { NULL, n, CFG_INT, offsetof(struct config_retention, f), 0, 100000, NULL, \
	false, 0 }
static const struct config_key retention_keys[] = {
	RKEY("daily", daily),
	RKEY("weekly", weekly),
	RKEY("monthly", monthly),
	RKEY("pre_restore_days", pre_restore_days),
	RKEY("manual_days", manual_days),
};
#define NRKEYS (sizeof retention_keys / sizeof retention_keys[0])

static void *
key_field(void *base, const struct config_key *k)
{
	return (char *)base + k->offset;
}

static void *
field(struct config *cfg, const struct config_key *k)
{
	return key_field(cfg, k);
}

static void
set_string(void *base, size_t off, const char *v)
{
	char **p = (char **)((char *)base + off);

	free(*p);
	*p = xstrdup(v);
}

static void
strlist_free(void *base, const struct config_key *k)
{
	char ***p = (char ***)key_field(base, k);
	size_t *n = (size_t *)((char *)base + k->count_offset);

	for (size_t i = 0; i < *n; i++)
		free((*p)[i]);
	free(*p);
	*p = NULL;
	*n = 0;
}

/* Free the strings and lists of the keys of base. */
static void
keys_free(void *base, const struct config_key *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].type == CFG_STRING)
			free(*(char **)key_field(base, &keys[i]));
		else if (keys[i].type == CFG_STRLIST)
			strlist_free(base, &keys[i]);
	}
}

/* Copy the strings and lists of the keys of base (a shallow copy) anew. */
static void
keys_dup(void *base, const struct config_key *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++) {
		const struct config_key *k = &keys[i];

		if (k->type == CFG_STRING) {
			char **p = (char **)key_field(base, k);

			*p = xstrdup(*p);
		} else if (k->type == CFG_STRLIST) {
			char ***p = (char ***)key_field(base, k);
			size_t n = *(size_t *)((char *)base + k->count_offset);
			char **v = xcalloc(n + 1, sizeof *v);

			for (size_t j = 0; j < n; j++)
				v[j] = xstrdup((*p)[j]);
			*p = v;
		}
	}
}

const struct config_driver *
config_driver_find(const char *name)
{
	for (size_t i = 0; config_drivers[i] != NULL; i++)
		if (strcmp(config_drivers[i]->name, name) == 0)
			return config_drivers[i];
	return NULL;
}

/* A new location of driver d with its defaults, added to cfg. */
static struct config_location *
location_add(struct config *cfg, const struct config_driver *d, const char *name)
{
	struct config_location *l;

	cfg->locations = xreallocarray(cfg->locations, cfg->nlocations + 1,
	    sizeof *cfg->locations);
	l = &cfg->locations[cfg->nlocations++];
	memset(l, 0, sizeof *l);
	l->name = xstrdup(name);
	l->driver = d;
	l->upload = true;
	l->retention = cfg->retention;
	if (d->opts_size > 0) {
		l->opts = xcalloc(1, d->opts_size);
		for (size_t i = 0; i < d->nkeys; i++)
			if (d->keys[i].type == CFG_STRING)
				set_string(l->opts, d->keys[i].offset, "");
		if (d->defaults != NULL)
			d->defaults(l->opts);
	}
	return l;
}

static void
location_clear(struct config_location *l)
{
	if (l->opts != NULL) {
		keys_free(l->opts, l->driver->keys, l->driver->nkeys);
		free(l->opts);
	}
	free(l->name);
}

struct config *
config_defaults(void)
{
	static const char *const prefixes[] = { "chimera-vectors:", "chimera-users:" };
	struct config *cfg = xcalloc(1, sizeof *cfg);

	/* Every string key starts as "" so callers never see NULL. */
	for (size_t i = 0; i < NKEYS; i++)
		if (cfg_keys[i].type == CFG_STRING)
			set_string(cfg, cfg_keys[i].offset, "");
	cfg->path = xstrdup("");
	set_string(cfg, OFF(backup_dir), "/var/backups/vector_store");
	set_string(cfg, OFF(redis.mode), "standalone");
	set_string(cfg, OFF(redis.host), "127.0.0.1");
	cfg->redis.port = 6379;
	cfg->redis.nprefixes = 2;
	cfg->redis.prefixes = xcalloc(3, sizeof(char *));
	for (size_t i = 0; i < 2; i++)
		cfg->redis.prefixes[i] = xstrdup(prefixes[i]);
	cfg->redis.pause_ms = 2000;
	cfg->redis.timeout_ms = 10000;
	cfg->redis.start_timeout = 300;
	set_string(cfg, OFF(faiss.content_index), "/var/lib/chimera/content_index.faiss");
	set_string(cfg, OFF(faiss.user_index), "/var/lib/chimera/user_index.faiss");
	cfg->retention.daily = 7;
	cfg->retention.weekly = 4;
	cfg->retention.monthly = 6;
	cfg->retention.pre_restore_days = 7;
	cfg->retention.manual_days = 0;
	cfg->repository.format = 2;
	set_string(cfg, OFF(repository.compression), "zstd");
	cfg->repository.compression_level = 3;
	cfg->repository.compression_min_gain = 15;
	cfg->repository.gc_grace_minutes = 60;
	cfg->monitoring.rpo_hours = 24;
	cfg->monitoring.verify_max_age_hours = 168;
	cfg->drill.sample_size = 1000;
	cfg->drill.seed = 1;
	cfg->drill.search_k = 10;
	cfg->drill.min_recall_percent = 90;
	cfg->drill.max_age_days = 8;
	cfg->drill.rto_target_local = 300;
	cfg->drill.rto_target_s3 = 900;
	set_string(cfg, OFF(drill.id_field), "faiss_id");
	set_string(cfg, OFF(drill.vector_field), "embedding");
	/* backup_dir is always the first location. */
	location_add(cfg, config_drivers[0], config_drivers[0]->name);
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	keys_free(cfg, cfg_keys, NKEYS);
	for (size_t i = 0; i < cfg->nlocations; i++)
		location_clear(&cfg->locations[i]);
	free(cfg->locations);
	free(cfg->path);
	free(cfg);
}

struct config *
config_dup(const struct config *src)
{
	struct config *cfg = xmalloc(sizeof *cfg);

	*cfg = *src;
	keys_dup(cfg, cfg_keys, NKEYS);
	cfg->path = xstrdup(src->path);
	cfg->locations = xcalloc(src->nlocations + 1, sizeof *cfg->locations);
	for (size_t i = 0; i < src->nlocations; i++) {
		struct config_location *l = &cfg->locations[i];
		const struct config_driver *d = src->locations[i].driver;

		*l = src->locations[i];
		l->name = xstrdup(l->name);
		if (l->opts != NULL) {
			l->opts = xmalloc(d->opts_size);
			memcpy(l->opts, src->locations[i].opts, d->opts_size);
			keys_dup(l->opts, d->keys, d->nkeys);
		}
	}
	return cfg;
}

/* --- locations ------------------------------------------------------------- */

const struct config_location *
config_location_find(const struct config *cfg, const char *name)
{
	int i = config_location_index(cfg, name);

	return i < 0 ? NULL : &cfg->locations[i];
}

int
config_location_index(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nlocations; i++)
		if (strcmp(cfg->locations[i].name, name) == 0)
			return (int)i;
	return -1;
}

unsigned
config_location_all(const struct config *cfg)
{
	return cfg->nlocations >= CONFIG_LOCATION_MAX ? ~0u : (1u << cfg->nlocations) - 1;
}

unsigned
config_location_remote(const struct config *cfg)
{
	return config_location_all(cfg) & ~1u;
}

int
config_location_first(const struct config *cfg, unsigned set)
{
	for (size_t i = 0; i < cfg->nlocations; i++)
		if (set & (1u << i))
			return (int)i;
	return -1;
}

const char *
config_location_label(const struct config *cfg, size_t i)
{
	const struct config_location *l = &cfg->locations[i];

	/* The single location of a kind keeps the kind's label: "S3". */
	if (i == 0 || strcmp(l->name, l->driver->name) == 0)
		return _(l->driver->label);
	return l->name;
}

char *
config_location_brief(const struct config *cfg, size_t i)
{
	const struct config_location *l = &cfg->locations[i];

	if (l->driver->brief != NULL)
		return l->driver->brief(l);
	return xstrdup(config_location_label(cfg, i));
}

char *
config_location_describe(const struct config *cfg, size_t i)
{
	const struct config_location *l = &cfg->locations[i];

	return l->driver->describe(cfg, l);
}

int
config_location_select(const struct config *cfg, const char *word, unsigned *set,
    struct vs_error *err)
{
	const struct config_driver *d;
	char names[512];
	int i;

	*set = 0;
	if ((i = config_location_index(cfg, word)) >= 0) {
		*set = 1u << i;
		return 0;
	}
	if (strcmp(word, "all") == 0) {
		*set = config_location_all(cfg);
		return 0;
	}
	if ((d = config_driver_find(word)) != NULL) {
		for (size_t k = 0; k < cfg->nlocations; k++)
			if (cfg->locations[k].driver == d)
				*set |= 1u << k;
		if (*set == 0)
			return error_set(err, VS_ERR_CONFIG, _("%s is not configured: %s in %s"),
			    _(d->label), d->unset != NULL ? _(d->unset) : d->name, cfg->path[0] ?
			    cfg->path : _("the configuration"));
		return 0;
	}
	config_location_words(cfg, names, sizeof names);
	return error_set(err, VS_ERR_USAGE, _("unknown location '%s': use %s"), word, names);
}

void
config_location_words(const struct config *cfg, char *buf, size_t bufsz)
{
	const char *words[CONFIG_LOCATION_MAX + 16];
	size_t n = 0, len = 0;

	for (size_t k = 0; k < cfg->nlocations; k++)
		words[n++] = cfg->locations[k].name;
	for (size_t k = 1; config_drivers[k] != NULL && n < CONFIG_LOCATION_MAX + 15; k++)
		if (config_location_index(cfg, config_drivers[k]->name) < 0)
			words[n++] = config_drivers[k]->name;
	words[n++] = "all";
	buf[0] = '\0';
	for (size_t k = 0; k < n && len < bufsz; k++)
		len += (size_t)snprintf(buf + len, bufsz - len, "%s%s",
		    k == 0 ? "" : k + 1 == n ? _(" or ") : ", ", words[k]);
}

const struct config_key *
config_location_key(const struct config_location *loc, const char *key)
{
	for (size_t i = 0; i < loc->driver->nkeys; i++)
		if (strcmp(loc->driver->keys[i].name, key) == 0)
			return &loc->driver->keys[i];
	return NULL;
}

const char *
config_locate(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL && *explicit_path != '\0')
		return explicit_path;
	env = getenv("VSBACKUP_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

static const char *
type_name(enum config_type t)
{
	static const char *const names[] = {
		[CFG_STRING] = N_("a string in double quotes"),
		[CFG_INT] = N_("an integer"),
		[CFG_INT64] = N_("an integer"),
		[CFG_BOOL] = N_("true or false"),
		[CFG_STRLIST] = N_("a list of strings [ \"a\", \"b\" ]"),
		[CFG_GROUP] = N_("a group { ... }"),
	};

	return _(names[t]);
}

static const struct config_key *
find_key(const char *group, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &cfg_keys[i];

		if (strcmp(k->name, name) != 0)
			continue;
		if ((group == NULL) != (k->group == NULL))
			continue;
		if (group != NULL && strcmp(group, k->group) != 0)
			continue;
		return k;
	}
	return NULL;
}

static int
key_error(struct vs_error *err, const char *file, config_setting_t *s,
    const char *fullname, const char *what)
{
	return error_set(err, VS_ERR_CONFIG, "%s:%d: %s: %s", file,
	    config_setting_source_line(s), fullname, what);
}

/* The file's text, for checking integers (below). */
static __thread const char *cfg_source_text;

/*
 * libconfig 1.5 keeps only the low 32 bits of an integer written without
 * an L suffix, so 4311744512 would silently read as 16777216. Read the
 * number again from the setting's line in the file's own text.
 * Returns 0 with *out when found there.
 */
static int
source_integer(config_setting_t *s, long long *out)
{
	const char *text = cfg_source_text, *line, *p;
	const char *name = config_setting_name(s);
	int want = config_setting_source_line(s), n = 1;
	size_t nlen;

	if (text == NULL || name == NULL || want < 1)
		return -1;
	for (line = text; n < want && line != NULL; n++) {
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	if (line == NULL)
		return -1;
	nlen = strlen(name);
	for (p = line; *p != '\0' && *p != '\n'; p++) {
		char *end;
		const char *q;

		if (strncmp(p, name, nlen) != 0 || (p > line && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '_')))
			continue;
		q = p + nlen;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		errno = 0;
		*out = strtoll(q, &end, 0);
		if (end == q || errno != 0)
			return -1;
		return 0;
	}
	return -1;
}

static int
store_value(void *base, const struct config_key *k, config_setting_t *s,
    const char *file, const char *fullname, struct vs_error *err)
{
	int t = config_setting_type(s);
	char buf[512];

	switch (k->type) {
	case CFG_STRING: {
		const char *v;

		if (t != CONFIG_TYPE_STRING)
			goto wrong_type;
		v = config_setting_get_string(s);
		if (k->choices != NULL) {
			size_t i;

			for (i = 0; k->choices[i] != NULL; i++)
				if (strcmp(k->choices[i], v) == 0)
					break;
			if (k->choices[i] == NULL) {
				size_t len = 0;

				buf[0] = '\0';
				for (i = 0; k->choices[i] != NULL; i++)
					len += (size_t)snprintf(buf + len, sizeof buf - len,
					    "%s\"%s\"", i ? ", " : "", k->choices[i]);
				char *msg = xasprintf(_("\"%s\" is not allowed; use one of %s"), v, buf);
				key_error(err, file, s, fullname, msg);
				free(msg);
				return -1;
			}
		}
		set_string(base, k->offset, v);
		return 0;
	}
	case CFG_INT:
	case CFG_INT64: {
		long long v;

		long long src;

		if (t == CONFIG_TYPE_INT)
			v = config_setting_get_int(s);
		else if (t == CONFIG_TYPE_INT64)
			v = config_setting_get_int64(s);
		else
			goto wrong_type;
		if (source_integer(s, &src) == 0)
			v = src;
		if (v < k->min || v > k->max) {
			char *msg = xasprintf(_("%lld is out of range (%lld to %lld)"), v, k->min, k->max);
			key_error(err, file, s, fullname, msg);
			free(msg);
			return -1;
		}
		if (k->type == CFG_INT)
			*(int *)key_field(base, k) = (int)v;
		else
			*(long long *)key_field(base, k) = v;
		return 0;
	}
	case CFG_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			goto wrong_type;
		*(bool *)key_field(base, k) = config_setting_get_bool(s) != 0;
		return 0;
	case CFG_STRLIST: {
		bool prefixes = k->group != NULL && strcmp(k->group, "redis") == 0 &&
		    strcmp(k->name, "prefixes") == 0;
		char ***list = (char ***)key_field(base, k);
		int n;

		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			goto wrong_type;
		n = config_setting_length(s);
		for (int i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				goto wrong_type;
			if (*config_setting_get_string(e) == '\0')
				return key_error(err, file, s, fullname, prefixes ?
				    _("an empty prefix would match every key") :
				    _("an empty string is no address"));
		}
		if (n == 0 && prefixes)
			return key_error(err, file, s, fullname, _("at least one prefix is needed"));
		strlist_free(base, k);
		*list = xcalloc((size_t)n + 1, sizeof(char *));
		*(size_t *)((char *)base + k->count_offset) = (size_t)n;
		for (int i = 0; i < n; i++)
			(*list)[i] = xstrdup(
			    config_setting_get_string(config_setting_get_elem(s, (unsigned)i)));
		return 0;
	}
	case CFG_GROUP:
		break;
	}
wrong_type:
	snprintf(buf, sizeof buf, _("wrong type: expected %s"), type_name(k->type));
	return key_error(err, file, s, fullname, buf);
}

static int
wrong_group(struct vs_error *err, const char *file, config_setting_t *s, const char *fullname)
{
	char buf[256];

	snprintf(buf, sizeof buf, _("wrong type: expected %s"), type_name(CFG_GROUP));
	return key_error(err, file, s, fullname, buf);
}

/* The members of a group s into base through keys; each secret with a
 * value sets *has_secret. */
static int
load_keys(void *base, const struct config_key *keys, size_t nkeys, config_setting_t *s,
    const char *group, const char *file, bool *has_secret, struct vs_error *err)
{
	int n = config_setting_length(s);

	for (int i = 0; i < n; i++) {
		config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(m);
		const struct config_key *k = NULL;
		char fullname[256];

		snprintf(fullname, sizeof fullname, "%s.%s", group, name);
		for (size_t j = 0; j < nkeys && k == NULL; j++)
			if (strcmp(keys[j].name, name) == 0)
				k = &keys[j];
		if (k == NULL)
			return key_error(err, file, m, fullname,
			    _("unknown key (see vsbackup.conf(5) for the keys there are)"));
		if (store_value(base, k, m, file, fullname, err) != 0)
			return -1;
		if (k->secret && **(char **)key_field(base, k) != '\0')
			*has_secret = true;
	}
	return 0;
}

bool
config_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CONFIG_NAME_MAX || name[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		    name[i] == '-'))
			return false;
	return true;
}

/* One group of driver d (an element of its list when list): name,
 * upload, retention and the driver's own keys. */
static int
load_location(struct config *cfg, const struct config_driver *d, config_setting_t *g,
    bool list, const char *file, bool *has_secret, struct vs_error *err)
{
	config_setting_t *m;
	struct config_location *l;
	char where[64];
	const char *name = d->name;
	int n = config_setting_length(g);

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return wrong_group(err, file, g, d->name);
	if ((m = config_setting_get_member(g, "name")) != NULL) {
		if (config_setting_type(m) != CONFIG_TYPE_STRING)
			return key_error(err, file, m, "name", _("wrong type: expected a string in "
			    "double quotes"));
		name = config_setting_get_string(m);
		if (!config_name_valid(name))
			return key_error(err, file, m, "name", _("a location's name is 1 to 32 of "
			    "a-z, 0-9 and - (not first)"));
		if (strcmp(name, "all") == 0 || strcmp(name, config_drivers[0]->name) == 0 ||
		    (config_driver_find(name) != NULL && config_driver_find(name) != d))
			return key_error(err, file, m, "name", _("\"all\", \"local\" and the "
			    "names of other kinds of location mean more than one place: pick "
			    "another name"));
	} else if (list) {
		return key_error(err, file, g, d->name, _("each group of the list needs a name "
		    "(name = \"eu-west\";)"));
	}
	if (config_location_index(cfg, name) >= 0)
		return key_error(err, file, m != NULL ? m : g, "name", _("two locations have "
		    "this name: each needs its own"));
	if (cfg->nlocations >= CONFIG_LOCATION_MAX)
		return key_error(err, file, g, d->name, _("too many locations (at most 32)"));
	l = location_add(cfg, d, name);
	snprintf(where, sizeof where, "%s", d->name);
	for (int i = 0; i < n; i++) {
		const char *key;
		config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		char fullname[256];

		key = config_setting_name(e);
		snprintf(fullname, sizeof fullname, "%s.%s", d->name, key);
		if (strcmp(key, "name") == 0)
			continue;
		if (strcmp(key, "upload") == 0) {
			if (config_setting_type(e) != CONFIG_TYPE_BOOL)
				return key_error(err, file, e, fullname, _("wrong type: expected true "
				    "or false"));
			l->upload = config_setting_get_bool(e) != 0;
			continue;
		}
		if (strcmp(key, "retention") == 0) {
			if (config_setting_type(e) != CONFIG_TYPE_GROUP)
				return wrong_group(err, file, e, fullname);
			/* Read after retention and retention_DRIVER: see resolve. */
			continue;
		}
		{
			const struct config_key *k = config_location_key(l, key);

			if (k == NULL)
				return key_error(err, file, e, fullname,
				    _("unknown key (see vsbackup.conf(5) for the keys there are)"));
			if (store_value(l->opts, k, e, file, fullname, err) != 0)
				return -1;
			if (k->secret && **(char **)key_field(l->opts, k) != '\0')
				*has_secret = true;
		}
	}
	if (d->validate != NULL && d->validate(l->opts, file, l->name, err) != 0)
		return -1;
	if (d->used != NULL && !d->used(l->opts)) {
		/* The single group of old that configures nothing (s3 without
		 * a bucket) is no location; in a list it is a mistake. */
		if (list)
			return key_error(err, file, g, l->name, d->unset != NULL ? _(d->unset) :
			    _("this location is not configured"));
		location_clear(l);
		cfg->nlocations--;
	}
	return 0;
}

/* A driver's group: one group, or a list of them. */
static int
load_driver(struct config *cfg, const struct config_driver *d, config_setting_t *s,
    const char *file, bool *has_secret, struct vs_error *err)
{
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_GROUP)
		return load_location(cfg, d, s, false, file, has_secret, err);
	if (t != CONFIG_TYPE_LIST)
		return key_error(err, file, s, d->name, _("wrong type: expected a group { ... } "
		    "or a list of groups ( { ... }, { ... } )"));
	for (int i = 0; i < config_setting_length(s); i++)
		if (load_location(cfg, d, config_setting_get_elem(s, (unsigned)i), true, file,
		    has_secret, err) != 0)
			return -1;
	return 0;
}

/* retention_DRIVER: the driver whose name follows "retention_", or NULL. */
static const struct config_driver *
retention_driver(const char *name)
{
	static const char pfx[] = "retention_";

	if (strncmp(name, pfx, sizeof pfx - 1) != 0)
		return NULL;
	return config_driver_find(name + sizeof pfx - 1);
}

static int
load_group(struct config *cfg, config_setting_t *parent, const char *group,
    const char *file, bool *has_secret, struct vs_error *err)
{
	int n = config_setting_length(parent);

	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(parent, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct config_driver *d;
		char fullname[256];
		const struct config_key *k;

		if (group != NULL)
			snprintf(fullname, sizeof fullname, "%s.%s", group, name);
		else
			snprintf(fullname, sizeof fullname, "%s", name);
		if (group == NULL && (d = config_driver_find(name)) != NULL && d->keys != NULL) {
			if (load_driver(cfg, d, s, file, has_secret, err) != 0)
				return -1;
			continue;
		}
		if (group == NULL && (d = retention_driver(name)) != NULL && d->keys != NULL) {
			/* Checked here, applied when the locations are resolved. */
			struct config_retention scratch = cfg->retention;

			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return wrong_group(err, file, s, fullname);
			if (load_keys(&scratch, retention_keys, NRKEYS, s, name, file, has_secret,
			    err) != 0)
				return -1;
			continue;
		}
		k = find_key(group, name);
		if (k == NULL)
			return key_error(err, file, s, fullname,
			    _("unknown key (see vsbackup.conf(5) for the keys there are)"));
		if (k->type == CFG_GROUP) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP)
				return wrong_group(err, file, s, fullname);
			if (load_group(cfg, s, name, file, has_secret, err) != 0)
				return -1;
			continue;
		}
		if (store_value(cfg, k, s, file, fullname, err) != 0)
			return -1;
		if (k->secret && **(char **)field(cfg, k) != '\0')
			*has_secret = true;
	}
	return 0;
}

/*
 * Each location's retention, key by key: its own retention group, else
 * retention_DRIVER (retention_s3 of the single-S3 days), else retention.
 */
static int
resolve_retention(struct config *cfg, config_t *lc, const char *file, struct vs_error *err)
{
	bool dummy = false;
	size_t nth[16] = { 0 };   /* the how-manieth group of its driver */

	for (size_t i = 0; i < cfg->nlocations; i++) {
		struct config_location *l = &cfg->locations[i];
		config_setting_t *dg, *own = NULL, *g;
		char path[64];
		size_t di = 0;

		l->retention = cfg->retention;
		l->own_retention = false;
		if (l->driver == config_drivers[0])
			continue;
		for (size_t k = 0; config_drivers[k] != NULL; k++)
			if (config_drivers[k] == l->driver)
				di = k;
		snprintf(path, sizeof path, "retention_%s", l->driver->name);
		if ((g = config_lookup(lc, path)) != NULL) {
			if (load_keys(&l->retention, retention_keys, NRKEYS, g, path, file, &dummy,
			    err) != 0)
				return -1;
			l->own_retention = true;
		}
		/* This location's own group in the file: the nth of its driver
		 * (single groups that configured nothing were never added, and
		 * come only alone). */
		dg = config_lookup(lc, l->driver->name);
		if (dg != NULL && config_setting_type(dg) == CONFIG_TYPE_LIST)
			dg = config_setting_get_elem(dg, (unsigned)nth[di < 16 ? di : 15]);
		nth[di < 16 ? di : 15]++;
		if (dg != NULL)
			own = config_setting_get_member(dg, "retention");
		if (own != NULL) {
			snprintf(path, sizeof path, "%s.retention", l->name);
			if (load_keys(&l->retention, retention_keys, NRKEYS, own, path, file, &dummy,
			    err) != 0)
				return -1;
			l->own_retention = true;
		}
	}
	return 0;
}

int
config_addr_parse(const char *addr, char *host, size_t size, int *port)
{
	const char *colon, *h = addr;
	size_t hl;
	char *end;
	long p;

	if (addr[0] == '/') {
		if (snprintf(host, size, "%s", addr) >= (int)size)
			return -1;
		*port = 0;
		return 0;
	}
	colon = strrchr(addr, ':');
	if (colon == NULL || colon == addr)
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[') {
		if (hl < 3 || addr[hl - 1] != ']')
			return -1;
		h = addr + 1;
		hl -= 2;
	} else if (memchr(addr, ':', hl) != NULL) {
		return -1;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || p < 1 || p > 65535 ||
	    hl >= size)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

bool
config_addr_valid(const char *addr)
{
	char host[256];
	int port;

	return config_addr_parse(addr, host, sizeof host, &port) == 0;
}

static int
validate(struct config *cfg, const char *file, struct vs_error *err)
{
	if (*cfg->backup_dir == '\0' || cfg->backup_dir[0] != '/')
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: backup_dir must be an absolute path"), file);
	if (*cfg->faiss.content_index == '\0' || *cfg->faiss.user_index == '\0')
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: faiss.content_index and faiss.user_index must both be set"), file);
	if (strcmp(cfg->redis.mode, "sentinel") == 0 &&
	    (cfg->redis.nsentinels == 0 || *cfg->redis.master_name == '\0'))
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: redis.mode is \"sentinel\" but redis.sentinels or "
		      "redis.master_name is empty: list the sentinels (\"host:port\") "
		      "and name the master they watch"), file);
	for (size_t i = 0; i < cfg->redis.nsentinels; i++)
		if (!config_addr_valid(cfg->redis.sentinels[i]))
			return error_set(err, VS_ERR_CONFIG,
			    _("%s: redis.sentinels: \"%s\" is not \"host:port\" (port 1 "
			      "to 65535; an IPv6 address in brackets) or the absolute path "
			      "of a unix socket"), file, cfg->redis.sentinels[i]);
	if (strcmp(cfg->redis.mode, "cluster") == 0 && cfg->redis.db != 0)
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: redis.db is %d, but a Redis Cluster has db 0 only: remove redis.db "
		      "or set it to 0"), file, cfg->redis.db);
	if (strcmp(cfg->redis.mode, "cluster") == 0 && cfg->redis.nnodes == 0)
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: redis.mode is \"cluster\" but redis.nodes is empty: list one "
		      "or more nodes of the cluster (\"host:port\")"), file);
	for (size_t i = 0; i < cfg->redis.nnodes; i++)
		if (!config_addr_valid(cfg->redis.nodes[i]))
			return error_set(err, VS_ERR_CONFIG,
			    _("%s: redis.nodes: \"%s\" is not \"host:port\" (port 1 to "
			      "65535; an IPv6 address in brackets) or the absolute path of a "
			      "unix socket"), file, cfg->redis.nodes[i]);
	if (strcmp(cfg->redis.mode, "cluster") == 0 &&
	    ((*cfg->redis.data_dir != '\0' && strchr(cfg->redis.data_dir, '{') == NULL &&
	    strchr(cfg->redis.dbfilename, '{') == NULL) ||
	    (*cfg->redis.data_dir == '\0' && *cfg->redis.dbfilename != '\0')))
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: in a cluster each node keeps its own RDB file: put {port} (or "
		      "{host}) in redis.data_dir or redis.dbfilename, e.g. "
		      "\"/var/lib/redis/{port}\", or leave both empty to ask each node"),
		    file);
	if (*cfg->drill.id_field == '\0' || *cfg->drill.vector_field == '\0')
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: drill.id_field and drill.vector_field must name the documents' "
		      "fields"), file);
	if (*cfg->drill.dir != '\0' && cfg->drill.dir[0] != '/')
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: drill.dir must be an absolute path"), file);
	if (cfg->redis.from_replica && strcmp(cfg->redis.mode, "sentinel") != 0)
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: redis.from_replica needs redis.mode = \"sentinel\": the "
		      "sentinels say which replicas there are"), file);
	return 0;
}

int
config_load(const char *path, struct config **out, struct vs_error *err)
{
	config_t lc;
	struct config *cfg;
	struct stat st;
	bool has_secret = false;
	char *source = NULL;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return error_set(err, VS_ERR_CONFIG,
			    _("configuration file %s does not exist; pass -c FILE or set VSBACKUP_CONFIG "
			      "(a commented example is installed as vsbackup.conf in the documentation "
			      "directory, and 'vsbackup demo' writes a working one)"), path);
		return error_errno(err, VS_ERR_CONFIG, errno, _("cannot read configuration file %s"), path);
	}
	config_init(&lc);
	fs_read_all(path, 16 << 20, &source, NULL, NULL);
	cfg_source_text = source;
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		const char *f = config_error_file(&lc);

		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			error_errno(err, VS_ERR_CONFIG, errno, _("cannot read configuration file %s"), path);
		else
			error_set(err, VS_ERR_CONFIG, "%s:%d: %s", f ? f : path,
			    config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		cfg_source_text = NULL;
		free(source);
		return -1;
	}
	cfg = config_defaults();
	free(cfg->path);
	cfg->path = xstrdup(path);
	if (load_group(cfg, config_root_setting(&lc), NULL, path, &has_secret, err) != 0 ||
	    validate(cfg, path, err) != 0 || resolve_retention(cfg, &lc, path, err) != 0) {
		config_destroy(&lc);
		config_free(cfg);
		cfg_source_text = NULL;
		free(source);
		return -1;
	}
	cfg_source_text = NULL;
	free(source);
	config_destroy(&lc);
	if (has_secret && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		log_msg(VS_LOG_WARN,
		    _("%s holds a password or secret key and is readable by other users; "
		      "run: chmod 600 %s"), path, path);
	*out = cfg;
	return 0;
}

/* value, as text, into the key k of base. */
static int
set_text(void *base, const struct config_key *k, const char *key, const char *value,
    struct vs_error *err)
{
	char *end;
	long long v;

	switch (k->type) {
	case CFG_STRING:
		set_string(base, k->offset, value);
		return 0;
	case CFG_INT:
	case CFG_INT64:
		errno = 0;
		v = strtoll(value, &end, 0);
		if (errno != 0 || end == value || *end != '\0' || v < k->min || v > k->max)
			return error_set(err, VS_ERR_USAGE, _("%s: '%s' is not an integer from %lld "
			    "to %lld"), key, value, k->min, k->max);
		if (k->type == CFG_INT)
			*(int *)key_field(base, k) = (int)v;
		else
			*(long long *)key_field(base, k) = v;
		return 0;
	case CFG_BOOL:
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return error_set(err, VS_ERR_USAGE, _("%s: use true or false"), key);
		*(bool *)key_field(base, k) = strcmp(value, "true") == 0;
		return 0;
	case CFG_STRLIST:
	case CFG_GROUP:
		break;
	}
	return error_set(err, VS_ERR_USAGE, _("%s cannot be set this way"), key);
}

int
config_set(struct config *cfg, const char *key, const char *value, struct vs_error *err)
{
	const char *dot = strchr(key, '.');
	const struct config_driver *d;
	const struct config_key *k;
	char group[CONFIG_NAME_SIZE + 16];
	int li;

	if (dot == NULL) {
		k = find_key(NULL, key);
		return k != NULL ? set_text(cfg, k, key, value, err) :
		    error_set(err, VS_ERR_USAGE, _("unknown key %s"), key);
	}
	if ((size_t)(dot - key) >= sizeof group)
		return error_set(err, VS_ERR_USAGE, _("unknown key %s"), key);
	memcpy(group, key, (size_t)(dot - key));
	group[dot - key] = '\0';
	li = config_location_index(cfg, group);
	if (li < 0 && (d = config_driver_find(group)) != NULL && d->keys != NULL) {
		location_add(cfg, d, group);
		li = (int)cfg->nlocations - 1;
	}
	if (li >= 0) {
		struct config_location *l = &cfg->locations[li];

		if (strcmp(dot + 1, "upload") == 0)
			return set_text(l, &(struct config_key){ .name = "upload", .type = CFG_BOOL,
			    .offset = offsetof(struct config_location, upload) }, key, value, err);
		if (l->opts == NULL || (k = config_location_key(l, dot + 1)) == NULL)
			return error_set(err, VS_ERR_USAGE, _("unknown key %s"), key);
		return set_text(l->opts, k, key, value, err);
	}
	k = find_key(group, dot + 1);
	return k != NULL ? set_text(cfg, k, key, value, err) :
	    error_set(err, VS_ERR_USAGE, _("unknown key %s"), key);
}
