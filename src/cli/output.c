#include "config.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/output.h"
#include "cli/run-job.h"
#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"

int
cli_where_option(const struct cmd_entry *e, void *ud, int opt, const char *arg)
{
	struct cli_where *w = ud;

	(void)e;
	if (opt == 'l')
		w->location = arg;
	else if (opt == 'f')
		w->from = arg;
	else if (opt == 't')
		w->to = arg;
	return 0;
}

int
cli_where_set(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *option,
    const char *word, unsigned def, unsigned *set)
{
	struct vs_error err;

	if (word == NULL) {
		*set = def & config_location_all(ctx->cfg);
		return 0;
	}
	error_clear(&err);
	if (config_location_select(ctx->cfg, word, set, &err) == 0)
		return 0;
	if (err.code == VS_ERR_USAGE) {
		char words[512];

		config_location_words(ctx->cfg, words, sizeof words);
		return cmd_usage_error(e, _("%s takes %s, not '%s'"), option, words, word);
	}
	cmd_error(ctx, "%s", err.msg);
	return VS_EXIT_FAILURE;
}

int
cli_where_one(struct cmd_ctx *ctx, const struct cmd_entry *e, const char *option,
    const char *word, const char *def, char name[CONFIG_NAME_SIZE])
{
	unsigned set;
	int rc, l;

	if (word == NULL)
		word = def;
	if ((rc = cli_where_set(ctx, e, option, word, 0, &set)) != 0)
		return rc;
	l = config_location_first(ctx->cfg, set);
	snprintf(name, CONFIG_NAME_SIZE, "%s", l >= 0 ? ctx->cfg->locations[l].name : word);
	return 0;
}

cJSON *
cli_manifest_json(const struct manifest *m)
{
	char *text = manifest_to_json(m);
	cJSON *o = cJSON_Parse(text);

	free(text);
	if (o == NULL)
		fatal("metadata serialisation produced invalid JSON");
	return o;
}

cJSON *
cli_retention_json(const struct retention_decision *d)
{
	cJSON *o = cJSON_CreateObject();
	char at[ISO8601_SIZE];

	cJSON_AddBoolToObject(o, "keep", d->keep);
	cJSON_AddStringToObject(o, "reason", retention_reason_name(d->reason));
	if (d->expires != 0) {
		time_format_iso(d->expires, at);
		cJSON_AddStringToObject(o, "expires", at);
	} else {
		cJSON_AddNullToObject(o, "expires");
	}
	return o;
}

cJSON *
cli_missing_json(unsigned missing)
{
	cJSON *a = cJSON_CreateArray();

	for (unsigned i = 0; i < CATALOG_NPARTS; i++)
		if (missing & (1u << i))
			cJSON_AddItemToArray(a, cJSON_CreateString(catalog_part_file(i)));
	return a;
}

static cJSON *
copy_json(const struct catalog_copy *c)
{
	cJSON *o;
	char at[ISO8601_SIZE];

	if (!c->present)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "complete", c->complete);
	cJSON_AddBoolToObject(o, "partial", c->partial);
	cJSON_AddBoolToObject(o, "usable", catalog_copy_usable(c));
	cJSON_AddItemToObject(o, "missing", cli_missing_json(catalog_copy_missing(c)));
	cJSON_AddNumberToObject(o, "bytes", (double)c->bytes);
	cJSON_AddBoolToObject(o, "pinned", c->pinned);
	if (c->manifest_error != NULL)
		cJSON_AddStringToObject(o, "metadata_error", c->manifest_error);
	if (c->has_verify) {
		cJSON *v = cJSON_AddObjectToObject(o, "last_verify");

		time_format_iso(c->verify.at, at);
		cJSON_AddStringToObject(v, "at", at);
		cJSON_AddStringToObject(v, "level", c->verify.deep ? "deep" : "quick");
		cJSON_AddBoolToObject(v, "ok", c->verify.ok);
		if (c->verify.summary[0])
			cJSON_AddStringToObject(v, "summary", c->verify.summary);
	} else {
		cJSON_AddNullToObject(o, "last_verify");
	}
	if (c->has_drill)
		cJSON_AddItemToObject(o, "last_drill", drill_record_json(&c->drill));
	else
		cJSON_AddNullToObject(o, "last_drill");
	return o;
}

cJSON *
cli_catalog_entry_json(const struct catalog *cat, const struct catalog_entry *e)
{
	const struct catalog_copy *best = catalog_best(e);
	cJSON *o = cJSON_CreateObject();
	char at[ISO8601_SIZE], where[512];

	cJSON_AddStringToObject(o, "id", e->id);
	cJSON_AddStringToObject(o, "location", catalog_where(cat, e, where, sizeof where));
	cJSON_AddBoolToObject(o, "complete", best->complete && best->has_manifest);
	/* The facts of the best copy: safe to restore, whole, a safety backup. */
	cJSON_AddBoolToObject(o, "usable", catalog_copy_usable(best));
	cJSON_AddItemToObject(o, "missing", cli_missing_json(catalog_copy_missing(best)));
	cJSON_AddBoolToObject(o, "pre_restore", catalog_copy_is_safety(best));
	if (best->has_manifest) {
		cJSON_AddStringToObject(o, "type", backup_type_name(best->m.type));
		time_format_iso(best->m.created_at, at);
		cJSON_AddStringToObject(o, "created_at", at);
		time_format_iso(best->m.completed_at, at);
		cJSON_AddStringToObject(o, "completed_at", at);
		cJSON_AddNumberToObject(o, "size", (double)manifest_total_size(&best->m));
		/* A Redis Cluster's backup: its masters' snapshots, else 0. */
		cJSON_AddNumberToObject(o, "shards", (double)best->m.redis.nshards);
	} else {
		cJSON_AddNullToObject(o, "type");
		cJSON_AddNullToObject(o, "created_at");
		cJSON_AddNullToObject(o, "completed_at");
		cJSON_AddNumberToObject(o, "size", (double)best->bytes);
	}
	{
		bool pinned = false;

		for (size_t l = 0; l < e->nloc; l++)
			pinned |= e->copies[l].present && e->copies[l].pinned;
		cJSON_AddBoolToObject(o, "pinned", pinned);
	}
	cJSON_AddBoolToObject(o, "metadata_differs", e->disagree);
	/* One member per location, named as the location ("local", "s3",
	 * "eu-west"); the same under "copies". */
	{
		cJSON *copies = cJSON_CreateObject();

		for (size_t l = 0; l < e->nloc; l++) {
			const char *name = catalog_location_name(cat, l);

			if (cJSON_GetObjectItemCaseSensitive(o, name) == NULL)
				cJSON_AddItemToObject(o, name, copy_json(&e->copies[l]));
			cJSON_AddItemToObject(copies, name, copy_json(&e->copies[l]));
		}
		cJSON_AddItemToObject(o, "copies", copies);
	}
	if (catalog_last_drill(e) != NULL)
		cJSON_AddItemToObject(o, "drill", drill_record_json(catalog_last_drill(e)));
	else
		cJSON_AddNullToObject(o, "drill");
	return o;
}

void
cli_verify_report_print(const struct verify_report *r, bool verbose)
{
	for (size_t i = 0; i < r->n; i++) {
		static const int w[] = { 6, 32, 0 };
		const char *cells[] = { r->checks[i].ok ? _("ok") : _("FAIL"), r->checks[i].what,
		    r->checks[i].detail };

		if (r->checks[i].ok && !verbose)
			continue;
		fputs("  ", stdout);
		cli_row(w, 3, cells);
	}
}

/* "latest" and "latest-verified": the newest backup that counts (not a
 * safety backup, every part there), or the newest one verified. */
static int
cli_resolve_latest(struct cmd_ctx *ctx, const struct cmd_entry *e, bool verified,
    char id[BACKUP_ID_SIZE])
{
	struct job_list_args *a;
	struct engine_event *done;
	const struct catalog_entry *n;
	int rc;

	if (cmd_load_config(ctx) != 0)
		return VS_EXIT_FAILURE;
	a = xcalloc(1, sizeof *a);
	a->locations = config_location_all(ctx->cfg);
	if ((rc = cli_run(ctx, &job_list_type, a, &done)) != 0)
		return rc;
	n = catalog_newest(done->result, CATALOG_ALL_LOCATIONS, verified, NULL);
	if (n == NULL) {
		engine_event_free(done);
		(void)e;
		cmd_error(ctx, verified ? _("no backup has passed a verification yet: "
		    "'latest-verified' names none") : _("there is no complete backup yet: 'latest' "
		    "names none"));
		return VS_EXIT_FAILURE;
	}
	snprintf(id, BACKUP_ID_SIZE, "%s", n->id);
	engine_event_free(done);
	return 0;
}

int
cli_take_id(struct cmd_ctx *ctx, const struct cmd_entry *e, int argc, char **argv,
    char id[BACKUP_ID_SIZE])
{
	struct vs_error err;
	time_t t;

	if (optind >= argc)
		return cmd_usage_error(e, _("a backup id is needed (see 'vsbackup list')"));
	if (optind + 1 < argc)
		return cmd_usage_error(e, _("unexpected argument '%s'"), argv[optind + 1]);
	if (strcmp(argv[optind], "latest") == 0 || strcmp(argv[optind], "latest-verified") == 0)
		return cli_resolve_latest(ctx, e, strcmp(argv[optind], "latest-verified") == 0, id);
	error_clear(&err);
	if (backup_id_parse(argv[optind], &t, &err) != 0)
		return cmd_usage_error(e, _("%s (or 'latest', 'latest-verified')"), err.msg);
	snprintf(id, BACKUP_ID_SIZE, "%s", argv[optind]);
	return 0;
}

void
cli_row(const int *widths, size_t n, const char *const *cells)
{
	char line[4096], cell[1024];
	size_t len = 0;

	line[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof line; i++) {
		if (i + 1 < n)
			format_pad(cell, sizeof cell, cells[i], widths[i]);
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
		    i + 1 < n ? cell : cells[i], i + 1 < n ? "  " : "");
	}
	len = strlen(line);
	/* No trailing spaces after an empty last cell. */
	while (len > 0 && line[len - 1] == ' ')
		line[--len] = '\0';
	puts(line);
}

void
cli_label(const char *label, int width, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	format_pad(buf, sizeof buf, label, width);
	printf("  %s ", buf);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}
