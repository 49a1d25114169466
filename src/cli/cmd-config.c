#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/run-job.h"
#include "common/i18n.h"
#include "redis/redis-acl.h"
#include "retention/retention.h"

extern const struct cmd_entry cmd_config_entry;

/* The rules task needs that the user lacks, as "+a +b" (for ACL SETUSER);
 * with details, as "+a (A), +b (B: renamed or disabled)". */
static void
access_lacks(const struct redis_acl_report *r, enum redis_acl_task t, bool details,
    char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n && len < size; i++) {
		const struct redis_acl_rule_result *x = &r->rules[i];

		if (!redis_acl_needed(r, i, t) || x->state == REDIS_ACL_ALLOWED ||
		    x->state == REDIS_ACL_UNKNOWN)
			continue;
		if (!details)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "",
			    x->rule);
		else if (x->state == REDIS_ACL_MISSING)
			len += (size_t)snprintf(buf + len, size - len, _("%s%s (%s: renamed "
			    "or disabled)"), len ? ", " : "", x->rule, x->command);
		else
			len += (size_t)snprintf(buf + len, size - len, "%s%s (%s)",
			    len ? ", " : "", x->rule, x->command);
	}
}

/* The rules task needs that could not be checked, as "+a +b"; false if none. */
static bool
access_unchecked(const struct redis_acl_report *r, enum redis_acl_task t, char *buf,
    size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n && len < size; i++)
		if (redis_acl_needed(r, i, t) && r->rules[i].state == REDIS_ACL_UNKNOWN)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "",
			    r->rules[i].rule);
	return len > 0;
}

static void
access_print(const struct config *c)
{
	struct redis_acl_report r;
	struct vs_error err;
	char lacks[4096], rules[2048];

	error_clear(&err);
	if (redis_acl_check(c, &r, &err) != 0) {
		printf("  %-21s %s\n", _("redis access"), _("not checked:"));
		printf("    %s\n", err.msg);
		return;
	}
	printf(_("Redis at %s, user %s, may run what these need:\n"), r.where, r.user);
	for (int t = 0; t < REDIS_ACL_NTASKS; t++) {
		access_lacks(&r, (enum redis_acl_task)t, true, lacks, sizeof lacks);
		if (lacks[0] == '\0' && access_unchecked(&r, (enum redis_acl_task)t, rules,
		    sizeof rules))
			printf("  %-21s %s (%s %s)\n", redis_acl_task_name((enum redis_acl_task)t),
			    _("ok"), _("not checked:"), rules);
		else if (lacks[0] == '\0')
			printf("  %-21s %s\n", redis_acl_task_name((enum redis_acl_task)t), _("ok"));
		else
			printf("  %-21s %s %s\n", redis_acl_task_name((enum redis_acl_task)t),
			    _("lacks"), lacks);
		access_lacks(&r, (enum redis_acl_task)t, false, rules, sizeof rules);
		if (rules[0] != '\0')
			printf("  %-21s ACL SETUSER %s %s\n", "", r.user, rules);
	}
	for (size_t i = 0; i < r.n; i++)
		if (r.rules[i].state == REDIS_ACL_UNKNOWN)
			printf("  %-21s %s %s\n", r.rules[i].rule, r.rules[i].command,
			    r.rules[i].note);
	redis_acl_report_clear(&r);
}

static void
access_json(const struct config *c, cJSON *o)
{
	struct redis_acl_report r;
	struct vs_error err;
	cJSON *a = cJSON_AddObjectToObject(o, "redis_access");

	error_clear(&err);
	if (redis_acl_check(c, &r, &err) != 0) {
		cJSON_AddBoolToObject(a, "checked", false);
		cJSON_AddStringToObject(a, "error", err.msg);
		return;
	}
	cJSON_AddBoolToObject(a, "checked", true);
	cJSON_AddStringToObject(a, "where", r.where);
	cJSON_AddStringToObject(a, "user", r.user);
	for (int t = 0; t < REDIS_ACL_NTASKS; t++) {
		cJSON *g = cJSON_AddObjectToObject(a, redis_acl_task_key((enum redis_acl_task)t));
		cJSON *lacks = cJSON_AddArrayToObject(g, "lacks");
		cJSON *unchecked = cJSON_AddArrayToObject(g, "unchecked");

		for (size_t i = 0; i < r.n; i++) {
			if (!redis_acl_needed(&r, i, (enum redis_acl_task)t))
				continue;
			if (r.rules[i].state == REDIS_ACL_DENIED ||
			    r.rules[i].state == REDIS_ACL_MISSING)
				cJSON_AddItemToArray(lacks, cJSON_CreateString(r.rules[i].rule));
			else if (r.rules[i].state == REDIS_ACL_UNKNOWN)
				cJSON_AddItemToArray(unchecked, cJSON_CreateString(r.rules[i].rule));
		}
		cJSON_AddBoolToObject(g, "ok", cJSON_GetArraySize(lacks) == 0);
	}
	redis_acl_report_clear(&r);
}

static int
cmd_config_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_config_entry;
	const struct config *c;
	char policy[256];
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, NULL, NULL, NULL)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self, argc, argv)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	c = ctx->cfg;
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *g, *p;

		cJSON_AddStringToObject(o, "file", c->path);
		cJSON_AddStringToObject(o, "backup_dir", c->backup_dir);
		g = cJSON_AddObjectToObject(o, "redis");
		cJSON_AddStringToObject(g, "host", c->redis.host);
		cJSON_AddNumberToObject(g, "port", c->redis.port);
		cJSON_AddStringToObject(g, "socket", c->redis.socket);
		cJSON_AddStringToObject(g, "username", c->redis.username);
		cJSON_AddBoolToObject(g, "password_set", c->redis.password[0] != '\0');
		cJSON_AddNumberToObject(g, "db", c->redis.db);
		p = cJSON_AddArrayToObject(g, "prefixes");
		for (size_t i = 0; i < c->redis.nprefixes; i++)
			cJSON_AddItemToArray(p, cJSON_CreateString(c->redis.prefixes[i]));
		cJSON_AddStringToObject(g, "start_command", c->redis.start_command);
		cJSON_AddStringToObject(g, "stop_command", c->redis.stop_command);
		cJSON_AddStringToObject(g, "mode", c->redis.mode);
		p = cJSON_AddArrayToObject(g, "nodes");
		for (size_t i = 0; i < c->redis.nnodes; i++)
			cJSON_AddItemToArray(p, cJSON_CreateString(c->redis.nodes[i]));
		p = cJSON_AddArrayToObject(g, "sentinels");
		for (size_t i = 0; i < c->redis.nsentinels; i++)
			cJSON_AddItemToArray(p, cJSON_CreateString(c->redis.sentinels[i]));
		cJSON_AddStringToObject(g, "master_name", c->redis.master_name);
		cJSON_AddBoolToObject(g, "from_replica", c->redis.from_replica);
		cJSON_AddStringToObject(g, "data_dir", c->redis.data_dir);
		cJSON_AddStringToObject(g, "dbfilename", c->redis.dbfilename);
		cJSON_AddNumberToObject(g, "pause_ms", c->redis.pause_ms);
		cJSON_AddNumberToObject(g, "timeout_ms", c->redis.timeout_ms);
		cJSON_AddNumberToObject(g, "start_timeout", c->redis.start_timeout);
		g = cJSON_AddObjectToObject(o, "faiss");
		cJSON_AddStringToObject(g, "content_index", c->faiss.content_index);
		cJSON_AddStringToObject(g, "user_index", c->faiss.user_index);
		cJSON_AddStringToObject(g, "lock_file", c->faiss.lock_file);
		g = cJSON_AddObjectToObject(o, "s3");
		cJSON_AddStringToObject(g, "bucket", c->s3.bucket);
		cJSON_AddStringToObject(g, "prefix", c->s3.prefix);
		cJSON_AddStringToObject(g, "region", c->s3.region);
		cJSON_AddStringToObject(g, "endpoint", c->s3.endpoint);
		cJSON_AddStringToObject(g, "sse", c->s3.sse);
		cJSON_AddBoolToObject(g, "path_style", c->s3.path_style);
		cJSON_AddNumberToObject(g, "multipart_threshold", (double)c->s3.multipart_threshold);
		cJSON_AddNumberToObject(g, "part_size", (double)c->s3.part_size);
		cJSON_AddNumberToObject(g, "concurrency", c->s3.concurrency);
		cJSON_AddNumberToObject(g, "max_attempts", c->s3.max_attempts);
		g = cJSON_AddObjectToObject(o, "retention");
		cJSON_AddNumberToObject(g, "daily", c->retention.daily);
		cJSON_AddNumberToObject(g, "weekly", c->retention.weekly);
		cJSON_AddNumberToObject(g, "monthly", c->retention.monthly);
		cJSON_AddNumberToObject(g, "pre_restore_days", c->retention.pre_restore_days);
		cJSON_AddNumberToObject(g, "manual_days", c->retention.manual_days);
		access_json(c, o);
		g = cJSON_AddObjectToObject(o, "drill");
		cJSON_AddStringToObject(g, "dir", c->drill.dir);
		cJSON_AddStringToObject(g, "redis_server", c->drill.redis_server);
		cJSON_AddNumberToObject(g, "sample_size", c->drill.sample_size);
		cJSON_AddNumberToObject(g, "seed", c->drill.seed);
		cJSON_AddNumberToObject(g, "search_k", c->drill.search_k);
		cJSON_AddNumberToObject(g, "min_recall_percent", c->drill.min_recall_percent);
		cJSON_AddNumberToObject(g, "max_age_days", c->drill.max_age_days);
		cJSON_AddNumberToObject(g, "rto_target_local", c->drill.rto_target_local);
		cJSON_AddNumberToObject(g, "rto_target_s3", c->drill.rto_target_s3);
		cJSON_AddStringToObject(g, "content_prefix", c->drill.content_prefix);
		cJSON_AddStringToObject(g, "user_prefix", c->drill.user_prefix);
		cJSON_AddStringToObject(g, "id_field", c->drill.id_field);
		cJSON_AddStringToObject(g, "vector_field", c->drill.vector_field);
		cli_print_json(o);
		return 0;
	}
	printf(_("%s: configuration is valid\n"), c->path);
	printf("  backup_dir            %s\n", c->backup_dir);
	if (strcmp(c->redis.mode, "sentinel") == 0) {
		printf(_("  redis                 master %s of the sentinels, db %d%s\n"),
		    c->redis.master_name, c->redis.db, c->redis.from_replica ?
		    _(", snapshots from a replica") : "");
		for (size_t i = 0; i < c->redis.nsentinels; i++)
			printf("  redis.sentinels[%zu]    %s\n", i, c->redis.sentinels[i]);
	} else if (strcmp(c->redis.mode, "cluster") == 0) {
		printf(_("  redis                 a Redis Cluster, found through %zu nodes\n"),
		    c->redis.nnodes);
		for (size_t i = 0; i < c->redis.nnodes; i++)
			printf("  redis.nodes[%zu]        %s\n", i, c->redis.nodes[i]);
	} else if (c->redis.socket[0] != '\0')
		printf("  redis                 unix:%s db %d\n", c->redis.socket, c->redis.db);
	else
		printf("  redis                 %s:%d db %d\n", c->redis.host, c->redis.port, c->redis.db);
	printf("  redis.username        %s\n", c->redis.username[0] ? c->redis.username :
	    _("(none: the default user)"));
	printf("  redis.password        %s\n", c->redis.password[0] ? _("(set)") : _("(none)"));
	for (size_t i = 0; i < c->redis.nprefixes; i++)
		printf("  redis.prefixes[%zu]     %s\n", i, c->redis.prefixes[i]);
	printf("  redis.start_command   %s\n", c->redis.start_command[0] ? c->redis.start_command :
	    _("(none: restore cannot restart Redis)"));
	printf("  redis.stop_command    %s\n", c->redis.stop_command[0] ? c->redis.stop_command :
	    _("(none: SHUTDOWN NOSAVE is used)"));
	printf("  redis.data_dir        %s\n", c->redis.data_dir[0] ? c->redis.data_dir :
	    _("(none: asked from the server, CONFIG GET dir)"));
	printf("  redis.dbfilename      %s\n", c->redis.dbfilename[0] ? c->redis.dbfilename :
	    _("(none: asked from the server, CONFIG GET dbfilename)"));
	printf("  redis.pause_ms        %d\n", c->redis.pause_ms);
	printf("  redis.timeout_ms      %d\n", c->redis.timeout_ms);
	printf("  redis.start_timeout   %d\n", c->redis.start_timeout);
	printf("  faiss.content_index   %s\n", c->faiss.content_index);
	printf("  faiss.user_index      %s\n", c->faiss.user_index);
	printf("  faiss.lock_file       %s\n", c->faiss.lock_file[0] ? c->faiss.lock_file :
	    _("(none: capture is best effort)"));
	if (c->s3.bucket[0] != '\0')
		printf("  s3                    s3://%s/%s (%s%s%s, sse %s)\n", c->s3.bucket,
		    c->s3.prefix, c->s3.region, c->s3.endpoint[0] ? ", " : "", c->s3.endpoint,
		    c->s3.sse);
	else
		printf("  s3                    %s\n", _("(not used: s3.bucket is empty)"));
	retention_policy_describe(&c->retention, policy, sizeof policy);
	printf("  retention             %s\n", policy);
	retention_policy_describe(&c->retention_s3, policy, sizeof policy);
	printf("  retention_s3          %s\n", policy);
	access_print(c);
	printf(_("  drill                 sample %d (seed %d), RTO targets %d s local, %d s S3, "
	    "a good drill every %d days\n"), c->drill.sample_size, c->drill.seed,
	    c->drill.rto_target_local, c->drill.rto_target_s3, c->drill.max_age_days);
	return 0;
}

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.usage = "",
	.summary = N_("check the configuration file and show the settings in effect"),
	.help = N_("Reads the configuration (-c FILE, else $VSBACKUP_CONFIG, else\n"
	           "/etc/vsbackup/vsbackup.conf), reports the first error with its file, line\n"
	           "and key, and prints the settings in effect. Passwords and secret keys are\n"
	           "never printed. Then it logs in to Redis as configured and shows which\n"
	           "of the commands a backup, a backup over replication and a restore need\n"
	           "the Redis user lacks, with the ACL SETUSER rules that would allow them;\n"
	           "the check runs nothing that changes the server.\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_config_exec,
};
