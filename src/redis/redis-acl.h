/*
 * Which of the commands vsbackup's work needs may the configured Redis
 * user run? Each command is asked about in a form that Redis checks
 * against the user's ACL and then refuses to carry out (a bad argument),
 * or queued in a MULTI that is discarded, so the check changes nothing on
 * the server. vsbackup.conf(5), REDIS ACL, documents the same lists.
 */
#ifndef VS_REDIS_ACL_H
#define VS_REDIS_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "config/conf.h"

/* The work a user may be meant for. Each includes what backup needs. */
enum redis_acl_task {
	REDIS_ACL_BACKUP,   /* a backup that reads the RDB file */
	REDIS_ACL_FETCH,    /* a backup that fetches it over replication */
	REDIS_ACL_RESTORE,  /* a restore (and its safety backup) */
	REDIS_ACL_NTASKS
};

enum redis_acl_state {
	REDIS_ACL_UNKNOWN,   /* could not be asked (see note) */
	REDIS_ACL_ALLOWED,
	REDIS_ACL_DENIED,    /* NOPERM */
	REDIS_ACL_MISSING,   /* unknown command: renamed or disabled */
};

#define REDIS_ACL_MAX_RULES 48

struct redis_acl_rule_result {
	char rule[160];        /* "+client|pause", "%R~chimera-users:*" */
	const char *command;   /* "CLIENT PAUSE", or "keys" */
	enum redis_acl_state state;
	unsigned tasks;        /* 1 << enum redis_acl_task: who needs it */
	const char *note;      /* why it is REDIS_ACL_UNKNOWN (translated) */
};

struct redis_acl_report {
	char *where;           /* "host:port" or the socket */
	char *user;            /* the user logged in as */
	size_t n;
	struct redis_acl_rule_result rules[REDIS_ACL_MAX_RULES];
};

/* The task's name as shown ("backup", "replication fetch", "restore"). */
const char *redis_acl_task_name(enum redis_acl_task t);

/* Its name in JSON ("backup", "fetch", "restore"). */
const char *redis_acl_task_key(enum redis_acl_task t);

/*
 * Connect as cfg says and ask about every command the tasks need with
 * this configuration (CONFIG GET only when redis.data_dir or
 * redis.dbfilename is empty, SHUTDOWN only without redis.stop_command),
 * and whether a restore may read the keys of each of redis.prefixes
 * (its count of keys with a TTL runs PTTL on them).
 * Fails only when the connection or the login does.
 */
int redis_acl_check(const struct config *cfg, struct redis_acl_report *r,
    struct vs_error *err);

/* Does task need rule i of r? */
bool redis_acl_needed(const struct redis_acl_report *r, size_t i,
    enum redis_acl_task t);

void redis_acl_report_clear(struct redis_acl_report *r);

/* The ACL key pattern for a prefix: its glob characters escaped, then
 * "*" ("chimera-users:*"). Allocated. */
char *redis_acl_key_pattern(const char *prefix);

#endif
