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

enum cfg_type { CFG_STRING, CFG_INT, CFG_INT64, CFG_BOOL, CFG_STRLIST, CFG_GROUP };

struct cfg_key {
	const char *group;   /* NULL for top-level keys */
	const char *name;
	enum cfg_type type;
	size_t offset;       /* into struct config */
	long long min, max;  /* for integers */
	const char *const *choices; /* for strings: allowed values, NULL-ended */
	bool secret;
	size_t count_offset;  /* for string lists: where their length goes */
};

#define OFF(field) offsetof(struct config, field)
#define STR(g, n, f) { g, n, CFG_STRING, OFF(f), 0, 0, NULL, false, 0 }
#define SECRET(g, n, f) { g, n, CFG_STRING, OFF(f), 0, 0, NULL, true, 0 }
#define CHOICE(g, n, f, c) { g, n, CFG_STRING, OFF(f), 0, 0, c, false, 0 }
#define INT(g, n, f, lo, hi) { g, n, CFG_INT, OFF(f), lo, hi, NULL, false, 0 }
#define INT64(g, n, f, lo, hi) { g, n, CFG_INT64, OFF(f), lo, hi, NULL, false, 0 }
#define BOOL(g, n, f) { g, n, CFG_BOOL, OFF(f), 0, 0, NULL, false, 0 }
#define GROUP(n) { NULL, n, CFG_GROUP, 0, 0, 0, NULL, false, 0 }
#define STRLIST(g, n, f, c) { g, n, CFG_STRLIST, OFF(f), 0, 0, NULL, false, OFF(c) }

static const char *const sse_choices[] = { "AES256", "aws:kms", "none", NULL };
static const char *const redis_mode_choices[] = { "standalone", "cluster", "sentinel", NULL };
static const char *const compression_choices[] = { "zstd", "none", NULL };

#define MiB (1024LL * 1024LL)
#define RETENTION(g, f) \
	INT(g, "daily", f.daily, 0, 100000), \
	INT(g, "weekly", f.weekly, 0, 100000), \
	INT(g, "monthly", f.monthly, 0, 100000), \
	INT(g, "pre_restore_days", f.pre_restore_days, 0, 100000), \
	INT(g, "manual_days", f.manual_days, 0, 100000)

static const struct cfg_key cfg_keys[] = {
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

	GROUP("s3"),
	STR("s3", "bucket", s3.bucket),
	STR("s3", "prefix", s3.prefix),
	STR("s3", "region", s3.region),
	STR("s3", "endpoint", s3.endpoint),
	BOOL("s3", "path_style", s3.path_style),
	CHOICE("s3", "sse", s3.sse, sse_choices),
	STR("s3", "sse_kms_key_id", s3.sse_kms_key_id),
	STR("s3", "access_key_id", s3.access_key_id),
	SECRET("s3", "secret_access_key", s3.secret_access_key),
	SECRET("s3", "session_token", s3.session_token),
	STR("s3", "profile", s3.profile),
	STR("s3", "ca_file", s3.ca_file),
	INT64("s3", "multipart_threshold", s3.multipart_threshold, 5 * MiB, 5LL * 1024 * 1024 * MiB),
	INT64("s3", "part_size", s3.part_size, 5 * MiB, 5LL * 1024 * MiB),
	INT("s3", "concurrency", s3.concurrency, 1, 64),
	INT("s3", "max_attempts", s3.max_attempts, 1, 100),
	INT("s3", "connect_timeout", s3.connect_timeout, 1, 3600),
	INT("s3", "low_speed_time", s3.low_speed_time, 1, 3600),

	GROUP("retention"),
	RETENTION("retention", retention),
	GROUP("retention_s3"),
	RETENTION("retention_s3", retention_s3),

	GROUP("monitoring"),
	INT("monitoring", "rpo_hours", monitoring.rpo_hours, 1, 100000),
	INT("monitoring", "verify_max_age_hours", monitoring.verify_max_age_hours, 1, 100000),
	STR("monitoring", "metrics_file", monitoring.metrics_file),

	GROUP("repository"),
	INT("repository", "format", repository.format, 1, 2),
	CHOICE("repository", "compression", repository.compression, compression_choices),
	INT("repository", "compression_level", repository.compression_level, 1, 19),
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

static void *
field(struct config *cfg, const struct cfg_key *k)
{
	return (char *)cfg + k->offset;
}

static void
set_string(struct config *cfg, size_t off, const char *v)
{
	char **p = (char **)((char *)cfg + off);

	free(*p);
	*p = xstrdup(v);
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
	set_string(cfg, OFF(s3.prefix), "vector_store_backups");
	set_string(cfg, OFF(s3.region), "us-east-1");
	set_string(cfg, OFF(s3.sse), "AES256");
	cfg->s3.multipart_threshold = 64 * MiB;
	cfg->s3.part_size = 16 * MiB;
	cfg->s3.concurrency = 4;
	cfg->s3.max_attempts = 5;
	cfg->s3.connect_timeout = 10;
	cfg->s3.low_speed_time = 30;
	cfg->retention.daily = 7;
	cfg->retention.weekly = 4;
	cfg->retention.monthly = 6;
	cfg->retention.pre_restore_days = 7;
	cfg->retention.manual_days = 0;
	cfg->retention_s3 = cfg->retention;
	cfg->repository.format = 2;
	set_string(cfg, OFF(repository.compression), "zstd");
	cfg->repository.compression_level = 3;
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
	return cfg;
}

static void
strlist_free(struct config *cfg, const struct cfg_key *k)
{
	char ***p = (char ***)field(cfg, k);
	size_t *n = (size_t *)((char *)cfg + k->count_offset);

	for (size_t i = 0; i < *n; i++)
		free((*p)[i]);
	free(*p);
	*p = NULL;
	*n = 0;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		if (cfg_keys[i].type == CFG_STRING)
			free(*(char **)field(cfg, &cfg_keys[i]));
		else if (cfg_keys[i].type == CFG_STRLIST)
			strlist_free(cfg, &cfg_keys[i]);
	}
	free(cfg->path);
	free(cfg);
}

struct config *
config_dup(const struct config *src)
{
	struct config *cfg = xmalloc(sizeof *cfg);

	*cfg = *src;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->type == CFG_STRING) {
			char **p = (char **)field(cfg, k);

			*p = xstrdup(*p);
		} else if (k->type == CFG_STRLIST) {
			char ***p = (char ***)field(cfg, k);
			size_t n = *(size_t *)((char *)cfg + k->count_offset);
			char **v = xcalloc(n + 1, sizeof *v);

			for (size_t j = 0; j < n; j++)
				v[j] = xstrdup((*p)[j]);
			*p = v;
		}
	}
	cfg->path = xstrdup(src->path);
	return cfg;
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
type_name(enum cfg_type t)
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

static const struct cfg_key *
find_key(const char *group, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

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
store_value(struct config *cfg, const struct cfg_key *k, config_setting_t *s,
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
		set_string(cfg, k->offset, v);
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
			*(int *)field(cfg, k) = (int)v;
		else
			*(long long *)field(cfg, k) = v;
		return 0;
	}
	case CFG_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			goto wrong_type;
		*(bool *)field(cfg, k) = config_setting_get_bool(s) != 0;
		return 0;
	case CFG_STRLIST: {
		bool prefixes = k->offset == OFF(redis.prefixes);
		char ***list = (char ***)field(cfg, k);
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
		strlist_free(cfg, k);
		*list = xcalloc((size_t)n + 1, sizeof(char *));
		*(size_t *)((char *)cfg + k->count_offset) = (size_t)n;
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
load_group(struct config *cfg, config_setting_t *parent, const char *group,
    const char *file, bool *has_secret, struct vs_error *err)
{
	int n = config_setting_length(parent);

	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(parent, (unsigned)i);
		const char *name = config_setting_name(s);
		char fullname[256];
		const struct cfg_key *k;

		if (group != NULL)
			snprintf(fullname, sizeof fullname, "%s.%s", group, name);
		else
			snprintf(fullname, sizeof fullname, "%s", name);
		k = find_key(group, name);
		if (k == NULL)
			return key_error(err, file, s, fullname,
			    _("unknown key (see vsbackup.conf(5) for the keys there are)"));
		if (k->type == CFG_GROUP) {
			if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
				char buf[256];

				snprintf(buf, sizeof buf, _("wrong type: expected %s"), type_name(CFG_GROUP));
				return key_error(err, file, s, fullname, buf);
			}
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
	if (strcmp(cfg->s3.sse, "aws:kms") == 0 && *cfg->s3.sse_kms_key_id == '\0')
		return error_set(err, VS_ERR_CONFIG,
		    _("%s: s3.sse is \"aws:kms\" but s3.sse_kms_key_id is empty"), file);
	if (cfg->s3.part_size > cfg->s3.multipart_threshold)
		cfg->s3.multipart_threshold = cfg->s3.part_size;
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
	bool retention_s3_set;
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
	retention_s3_set = config_lookup(&lc, "retention_s3") != NULL;
	if (load_group(cfg, config_root_setting(&lc), NULL, path, &has_secret, err) != 0 ||
	    validate(cfg, path, err) != 0) {
		config_destroy(&lc);
		config_free(cfg);
		cfg_source_text = NULL;
		free(source);
		return -1;
	}
	cfg_source_text = NULL;
	free(source);
	/* S3 follows the local retention unless it has numbers of its own;
	 * keys missing from retention_s3 also fall back to the local ones. */
	if (!retention_s3_set) {
		cfg->retention_s3 = cfg->retention;
	} else {
		config_setting_t *g = config_lookup(&lc, "retention_s3");
		static const struct { const char *name; size_t off; } rk[] = {
			{ "daily", offsetof(struct config_retention, daily) },
			{ "weekly", offsetof(struct config_retention, weekly) },
			{ "monthly", offsetof(struct config_retention, monthly) },
			{ "pre_restore_days", offsetof(struct config_retention, pre_restore_days) },
			{ "manual_days", offsetof(struct config_retention, manual_days) },
		};
		for (size_t i = 0; i < sizeof rk / sizeof rk[0]; i++)
			if (config_setting_get_member(g, rk[i].name) == NULL)
				*(int *)((char *)&cfg->retention_s3 + rk[i].off) =
				    *(int *)((char *)&cfg->retention + rk[i].off);
	}
	config_destroy(&lc);
	if (has_secret && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		log_msg(VS_LOG_WARN,
		    _("%s holds a password or secret key and is readable by other users; "
		      "run: chmod 600 %s"), path, path);
	*out = cfg;
	return 0;
}
