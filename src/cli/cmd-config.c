#include "config.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The options of a location's driver as JSON (secrets left out). */
static cJSON *
config_options_json(const struct config_driver *d, const void *opts)
{
	cJSON *g = cJSON_CreateObject();

	for (size_t k = 0; opts != NULL && k < d->nkeys; k++) {
		const struct config_key *key = &d->keys[k];
		const char *p = (const char *)opts + key->offset;

		if (key->secret)
			continue;
		switch (key->type) {
		case CFG_STRING:
			cJSON_AddStringToObject(g, key->name, *(char *const *)p);
			break;
		case CFG_INT:
			cJSON_AddNumberToObject(g, key->name, *(const int *)p);
			break;
		case CFG_INT64:
			cJSON_AddNumberToObject(g, key->name, (double)*(const long long *)p);
			break;
		case CFG_BOOL:
			cJSON_AddBoolToObject(g, key->name, *(const bool *)p);
			break;
		case CFG_STRLIST:
		case CFG_GROUP:
			break;
		}
	}
	return g;
}

static cJSON *
config_retention_json(const struct config_retention *r)
{
	cJSON *g = cJSON_CreateObject();

	cJSON_AddNumberToObject(g, "daily", r->daily);
	cJSON_AddNumberToObject(g, "weekly", r->weekly);
	cJSON_AddNumberToObject(g, "monthly", r->monthly);
	cJSON_AddNumberToObject(g, "pre_restore_days", r->pre_restore_days);
	cJSON_AddNumberToObject(g, "manual_days", r->manual_days);
	return g;
}

/* "locations": every location with its kind, where, upload and retention;
 * and for each kind of location its group as the single form had it (the
 * first location of the kind, else the defaults). */
static void
config_locations_json(const struct config *c, cJSON *o)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "locations");

	for (size_t i = 0; i < c->nlocations; i++) {
		const struct config_location *l = &c->locations[i];
		cJSON *x = cJSON_CreateObject();
		char *where = config_location_describe(c, i);

		cJSON_AddStringToObject(x, "name", l->name);
		cJSON_AddStringToObject(x, "kind", l->driver->name);
		cJSON_AddStringToObject(x, "where", where);
		cJSON_AddBoolToObject(x, "upload", i == 0 || l->upload);
		cJSON_AddItemToObject(x, "retention", config_retention_json(&l->retention));
		if (l->opts != NULL)
			cJSON_AddItemToObject(x, "options", config_options_json(l->driver, l->opts));
		cJSON_AddItemToArray(arr, x);
		free(where);
	}
	for (size_t d = 1; config_drivers[d] != NULL; d++) {
		const struct config_driver *dr = config_drivers[d];
		const void *opts = NULL;

		for (size_t i = 0; i < c->nlocations && opts == NULL; i++)
			if (c->locations[i].driver == dr)
				opts = c->locations[i].opts;
		if (opts == NULL && dr->opts_size > 0) {
			struct config *tmp = config_defaults();
			struct vs_error err;
			char key[64];

			/* The defaults of the kind, through a scratch location. */
			snprintf(key, sizeof key, "%s.upload", dr->name);
			error_clear(&err);
			if (config_set(tmp, key, "true", &err) == 0) {
				cJSON_AddItemToObject(o, dr->name, config_options_json(dr,
				    tmp->locations[tmp->nlocations - 1].opts));
			}
			config_free(tmp);
			continue;
		}
		cJSON_AddItemToObject(o, dr->name, config_options_json(dr, opts));
	}
}

/* One line per location, then the kinds not used. */
static void
config_locations_print(const struct config *c)
{
	char policy[256];

	for (size_t i = 1; i < c->nlocations; i++) {
		const struct config_location *l = &c->locations[i];
		char *where = config_location_describe(c, i);

		printf("  %-21s %s (%s%s)\n", l->name, where, l->driver->name,
		    l->upload ? _(", backups are sent here") : _(", upload = false"));
		retention_policy_describe(&l->retention, policy, sizeof policy);
		printf("  %-21s %s%s\n", "", policy, l->own_retention ? "" :
		    _(" (as retention)"));
		free(where);
	}
	for (size_t d = 1; config_drivers[d] != NULL; d++) {
		unsigned set;

		if (config_drivers[d]->unset != NULL &&
		    config_location_select(c, config_drivers[d]->name, &set, NULL) != 0)
			printf("  %-21s (%s: %s)\n", config_drivers[d]->name, _("not used"),
			    _(config_drivers[d]->unset));
	}
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
		config_locations_json(c, o);
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
	retention_policy_describe(&c->retention, policy, sizeof policy);
	printf("  retention             %s\n", policy);
	config_locations_print(c);
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
