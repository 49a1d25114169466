/*
 * The permission check: one table of the commands vsbackup sends, each
 * with a probe that Redis runs through its ACL check and then refuses to
 * carry out, so asking changes nothing: BGSAVE and SHUTDOWN with an
 * unknown option answer a syntax error, CLIENT PAUSE with a negative
 * timeout an error, PSYNC with an offset that is not a number an error
 * (Redis logs that a replica asked with a wrong offset), SCAN with a bad
 * cursor an error, PTTL of a key that does not exist -2 (and tells, for a
 * key under each prefix, whether the user may read it). CLIENT UNPAUSE
 * takes no argument to spoil: it is
 * queued in a MULTI that is discarded, when the user may run MULTI.
 * SELECT, INFO, DBSIZE, CONFIG GET and PING change nothing anyway.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "redis/redis-acl.h"
#include "redis/redis-cluster.h"
#include "redis/redis-conn.h"
#include "redis/redis.intern.h"

#define T(x) (1u << (x))
#define ALL_TASKS (T(REDIS_ACL_BACKUP) | T(REDIS_ACL_FETCH) | T(REDIS_ACL_RESTORE))

enum acl_when {
	ACL_ALWAYS,
	ACL_NO_RDB_PATH,      /* redis.data_dir or redis.dbfilename is empty */
	ACL_NO_STOP_COMMAND,  /* redis.stop_command is empty */
	ACL_CLUSTER,          /* redis.mode is "cluster" */
};

struct acl_rule {
	const char *rule;
	const char *command;
	const char *probe;    /* hiredis format (%d: redis.db); NULL: MULTI */
	unsigned tasks;       /* tasks that always need it */
	unsigned when_tasks;  /* tasks that need it when `when` holds */
	enum acl_when when;
};

static const struct acl_rule acl_rules[] = {
	{ "+select", "SELECT", "SELECT %d", ALL_TASKS, 0, ACL_ALWAYS },
	{ "+info", "INFO", "INFO server", ALL_TASKS, 0, ACL_ALWAYS },
	{ "+dbsize", "DBSIZE", "DBSIZE", ALL_TASKS, 0, ACL_ALWAYS },
	{ "+bgsave", "BGSAVE", "BGSAVE vsbackup-check", T(REDIS_ACL_BACKUP) |
	    T(REDIS_ACL_RESTORE), 0, ACL_ALWAYS },
	{ "+client|pause", "CLIENT PAUSE", "CLIENT PAUSE -1 WRITE", ALL_TASKS, 0,
	    ACL_ALWAYS },
	{ "+client|unpause", "CLIENT UNPAUSE", NULL, ALL_TASKS, 0, ACL_ALWAYS },
	{ "+config|get", "CONFIG GET", "CONFIG GET dir", T(REDIS_ACL_FETCH),
	    T(REDIS_ACL_BACKUP) | T(REDIS_ACL_RESTORE), ACL_NO_RDB_PATH },
	{ "+psync", "PSYNC", "PSYNC ? vsbackup-check", T(REDIS_ACL_FETCH), 0, ACL_ALWAYS },
	{ "+replconf", "REPLCONF", "REPLCONF vsbackup-check 1", T(REDIS_ACL_FETCH), 0,
	    ACL_ALWAYS },
	{ "+ping", "PING", "PING", T(REDIS_ACL_RESTORE), 0, ACL_ALWAYS },
	{ "+scan", "SCAN", "SCAN vsbackup-check", T(REDIS_ACL_RESTORE), 0, ACL_ALWAYS },
	{ "+shutdown", "SHUTDOWN", "SHUTDOWN vsbackup-check", 0, T(REDIS_ACL_RESTORE),
	    ACL_NO_STOP_COMMAND },
	/* A cluster's masters are found and confirmed with these; a restore
	 * into a cluster empties each master and loads the keys with
	 * RESTORE (a payload that cannot be one is refused unrun). */
	{ "+cluster|info", "CLUSTER INFO", "CLUSTER INFO", 0, ALL_TASKS, ACL_CLUSTER },
	{ "+cluster|shards", "CLUSTER SHARDS", "CLUSTER SHARDS", 0, ALL_TASKS, ACL_CLUSTER },
	{ "+cluster|myid", "CLUSTER MYID", "CLUSTER MYID", 0, ALL_TASKS, ACL_CLUSTER },
	{ "+cluster|nodes", "CLUSTER NODES", "CLUSTER NODES", 0, ALL_TASKS, ACL_CLUSTER },
	{ "+flushdb", "FLUSHDB", NULL, 0, T(REDIS_ACL_RESTORE), ACL_CLUSTER },
	{ "+restore", "RESTORE", "RESTORE vsbackup-check 0 not-a-payload", 0,
	    T(REDIS_ACL_RESTORE), ACL_CLUSTER },
	/* Last: acl_probe_keys() looks at the answer to PTTL. */
	{ "+pttl", "PTTL", "PTTL vsbackup-check", T(REDIS_ACL_RESTORE), 0, ACL_ALWAYS },
};

#define NRULES (sizeof acl_rules / sizeof acl_rules[0])

static const char *const task_names[REDIS_ACL_NTASKS] = {
	[REDIS_ACL_BACKUP] = N_("backup"),
	[REDIS_ACL_FETCH] = N_("replication fetch"),
	[REDIS_ACL_RESTORE] = N_("restore"),
};

static const char *const task_keys[REDIS_ACL_NTASKS] = {
	[REDIS_ACL_BACKUP] = "backup",
	[REDIS_ACL_FETCH] = "fetch",
	[REDIS_ACL_RESTORE] = "restore",
};

const char *
redis_acl_task_name(enum redis_acl_task t)
{
	return _(task_names[t]);
}

const char *
redis_acl_task_key(enum redis_acl_task t)
{
	return task_keys[t];
}

static bool
acl_when_holds(const struct config *cfg, enum acl_when w)
{
	switch (w) {
	case ACL_ALWAYS:
		return true;
	case ACL_NO_RDB_PATH:
		return cfg->redis.data_dir[0] == '\0' || cfg->redis.dbfilename[0] == '\0';
	case ACL_NO_STOP_COMMAND:
		/* A restore into a cluster stops no server. */
		return cfg->redis.stop_command[0] == '\0' &&
		    strcmp(cfg->redis.mode, "cluster") != 0;
	case ACL_CLUSTER:
		return strcmp(cfg->redis.mode, "cluster") == 0;
	}
	return true;
}

/* What an answer to a probe says about the permission. */
static enum redis_acl_state
acl_state_of(const redisReply *rep)
{
	if (rep->type != REDIS_REPLY_ERROR || rep->str == NULL)
		return REDIS_ACL_ALLOWED;
	/* A key the probe names may be out of the user's patterns: that is
	 * not a refusal of the command ("... to run the 'x' command"). */
	if (redis_reply_is(rep, "NOPERM") && strstr(rep->str, "to run the") != NULL)
		return REDIS_ACL_DENIED;
	if (strstr(rep->str, "unknown command") != NULL)
		return REDIS_ACL_MISSING;
	return REDIS_ACL_ALLOWED;
}

/* CLIENT UNPAUSE (or FLUSHDB) queued in a MULTI that is discarded. */
static int
acl_probe_multi(struct redis_conn *c, struct redis_acl_rule_result *res,
    struct vs_error *err)
{
	redisReply *rep;

	if ((rep = redis_conn_command_raw(c, err, "MULTI")) == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ERROR) {
		res->state = REDIS_ACL_UNKNOWN;
		res->note = _("not checked: only inside a MULTI can it be asked about "
		    "without running it, and this user may not run MULTI (+multi "
		    "+discard would let vsbackup config check it)");
		freeReplyObject(rep);
		return 0;
	}
	freeReplyObject(rep);
	if (strcmp(res->command, "FLUSHDB") == 0)
		rep = redis_conn_command_raw(c, err, "FLUSHDB");
	else
		rep = redis_conn_command_raw(c, err, "CLIENT UNPAUSE");
	if (rep == NULL)
		return -1;
	res->state = acl_state_of(rep);
	freeReplyObject(rep);
	if ((rep = redis_conn_command_raw(c, err, "DISCARD")) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/*
 * May the user read the keys under each prefix? PTTL of a key that does
 * not exist is checked against the key patterns and answers -2. Known only
 * when PTTL itself is allowed (the last rule probed).
 */
static int
acl_probe_keys(struct redis_conn *c, const struct config *cfg, struct redis_acl_report *r,
    struct vs_error *err)
{
	bool pttl = r->n > 0 && r->rules[r->n - 1].state == REDIS_ACL_ALLOWED;

	for (size_t i = 0; i < cfg->redis.nprefixes && r->n < REDIS_ACL_MAX_RULES; i++) {
		struct redis_acl_rule_result *res = &r->rules[r->n++];
		char *pattern = redis_acl_key_pattern(cfg->redis.prefixes[i]);
		redisReply *rep;

		snprintf(res->rule, sizeof res->rule, "%%R~%s", pattern);
		free(pattern);
		res->command = _("keys");
		res->tasks = T(REDIS_ACL_RESTORE);
		if (!pttl) {
			res->state = REDIS_ACL_UNKNOWN;
			res->note = _("not checked: reading a key is asked about with PTTL, "
			    "which this user may not run");
			continue;
		}
		rep = redis_conn_command_raw(c, err, "PTTL %s%s", cfg->redis.prefixes[i],
		    "vsbackup-check");
		if (rep == NULL)
			return -1;
		res->state = redis_reply_is(rep, "NOPERM") ? REDIS_ACL_DENIED : acl_state_of(rep);
		freeReplyObject(rep);
	}
	return 0;
}

char *
redis_acl_key_pattern(const char *prefix)
{
	char *out = xmalloc(strlen(prefix) * 2 + 2), *p = out;

	for (; *prefix != '\0'; prefix++) {
		if (strchr("*?[]\\", *prefix) != NULL)
			*p++ = '\\';
		*p++ = *prefix;
	}
	*p++ = '*';
	*p = '\0';
	return out;
}

int
redis_acl_check(const struct config *cfg, struct redis_acl_report *r,
    struct vs_error *err)
{
	struct redis_conn *c;
	struct config *seed = NULL;

	memset(r, 0, sizeof *r);
	if (strcmp(cfg->redis.mode, "cluster") == 0 && cfg->redis.nnodes > 0) {
		/* One user for every node: the first seed is asked. */
		char host[256];
		int port, rc;

		if (config_addr_parse(cfg->redis.nodes[0], host, sizeof host, &port) != 0)
			return error_set(err, VS_ERR_CONFIG, _("redis.nodes[0] \"%s\" is not "
			    "host:port"), cfg->redis.nodes[0]);
		seed = redis_config_aim(cfg, host, port);
		rc = redis_conn_open_noselect(seed, 3000, &c, err);
		if (rc != 0) {
			config_free(seed);
			return -1;
		}
	} else if (redis_conn_open_noselect(cfg, 3000, &c, err) != 0) {
		return -1;
	}
	r->where = xstrdup(redis_conn_where(c));
	r->user = xstrdup(redis_conn_user(cfg));
	for (size_t i = 0; i < NRULES && r->n < REDIS_ACL_MAX_RULES; i++) {
		const struct acl_rule *a = &acl_rules[i];
		struct redis_acl_rule_result *res = &r->rules[r->n++];
		redisReply *rep;

		if (a->when == ACL_CLUSTER && !acl_when_holds(cfg, a->when)) {
			r->n--;
			continue;
		}
		snprintf(res->rule, sizeof res->rule, "%s", a->rule);
		res->command = a->command;
		res->tasks = a->tasks;
		if (acl_when_holds(cfg, a->when))
			res->tasks |= a->when_tasks;
		if (a->probe == NULL) {
			if (acl_probe_multi(c, res, err) != 0)
				goto fail;
			continue;
		}
		/* The formats take at most redis.db; the others ignore it. */
		if ((rep = redis_conn_command_raw(c, err, a->probe, cfg->redis.db)) == NULL)
			goto fail;
		res->state = acl_state_of(rep);
		freeReplyObject(rep);
	}
	if (acl_probe_keys(c, cfg, r, err) != 0)
		goto fail;
	redis_conn_close(c);
	config_free(seed);
	return 0;

fail:
	redis_conn_close(c);
	config_free(seed);
	redis_acl_report_clear(r);
	return -1;
}

bool
redis_acl_needed(const struct redis_acl_report *r, size_t i, enum redis_acl_task t)
{
	return i < r->n && (r->rules[i].tasks & T(t)) != 0;
}

void
redis_acl_report_clear(struct redis_acl_report *r)
{
	free(r->where);
	free(r->user);
	memset(r, 0, sizeof *r);
}
