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
cli_parse_location(const char *s, bool allow_all, bool *local, bool *s3)
{
	if (strcmp(s, "local") == 0) {
		*local = true;
		*s3 = false;
	} else if (strcmp(s, "s3") == 0) {
		*local = false;
		*s3 = true;
	} else if (allow_all && strcmp(s, "all") == 0) {
		*local = *s3 = true;
	} else {
		return -1;
	}
	return 0;
}

int
cli_where_option(const struct cmd_entry *e, void *ud, int opt, const char *arg)
{
	struct cli_where *w = ud;

	if (opt == 'l' && cli_parse_location(arg, true, &w->local, &w->s3) != 0)
		return cmd_usage_error(e, _("--location takes local, s3 or all"));
	if (opt == 'f' && cli_parse_location(arg, false, &w->local, &w->s3) != 0)
		return cmd_usage_error(e, _("--from takes local or s3"));
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
cli_catalog_entry_json(const struct catalog_entry *e)
{
	const struct catalog_copy *best = catalog_best(e);
	cJSON *o = cJSON_CreateObject();
	char at[ISO8601_SIZE];

	cJSON_AddStringToObject(o, "id", e->id);
	cJSON_AddStringToObject(o, "location", catalog_where(e));
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
	cJSON_AddBoolToObject(o, "pinned", e->local.pinned || e->s3.pinned);
	cJSON_AddBoolToObject(o, "metadata_differs", e->disagree);
	cJSON_AddItemToObject(o, "local", copy_json(&e->local));
	cJSON_AddItemToObject(o, "s3", copy_json(&e->s3));
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
	a->local = true;
	a->s3 = ctx->cfg->s3.bucket[0] != '\0';
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
