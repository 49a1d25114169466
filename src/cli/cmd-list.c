#include "config.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "cli/output.h"
#include "cli/run-job.h"
#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/jobs.h"

static const struct cmd_entry *self(void);

static void
list_repo_totals(const char *where, const struct catalog_repo *rp)
{
	char stored[24], logical[24];

	if (!rp->present)
		return;
	format_bytes(rp->logical, logical, sizeof logical);
	if (rp->error != NULL) {
		printf(_("repository (%s): %zu backups; cannot be read: %s\n"), where, rp->backups,
		    rp->error);
		return;
	}
	format_bytes(rp->bytes, stored, sizeof stored);
	printf(_("repository (%s): %zu backups of %s in %s stored (%.1fx)\n"), where, rp->backups,
	    logical, stored, (double)rp->logical / (double)(rp->bytes > 0 ? rp->bytes : 1));
}

static void
list_human(const struct catalog *cat, time_t now)
{
	char where[512];
	size_t shown = 0;

	static const int w[] = { 15, 11, 19, -8, -10, 5, 8, 6, 0 };
	const char *head[] = { _("ID"), _("TYPE"), _("CREATED"), _("AGE"), _("SIZE"), _("WHERE"),
	    _("VERIFIED"), _("DRILL"), _("NOTES") };

	cli_row(w, 9, head);
	/* Newest first, as the front end lists them. */
	for (size_t k = cat->n; k > 0; k--) {
		const struct catalog_entry *e = &cat->entries[k - 1];
		const struct catalog_copy *c = catalog_best(e);
		char created[32] = "-", age[24] = "-", size[24], verified[16] = "-", notes[320] = "";
		const char *type = "-", *drill = "-";
		const struct drill_record *dr = catalog_last_drill(e);

		if (c->has_manifest) {
			format_local_time(c->m.created_at, created, sizeof created);
			time_format_age((long long)(now - c->m.created_at), age, sizeof age);
			type = backup_type_name(c->m.type);
		}
		format_bytes(c->has_manifest ? manifest_total_size(&c->m) : c->bytes, size,
		    sizeof size);
		if (catalog_copy_missing(c))
			snprintf(verified, sizeof verified, "%s", _("partial"));
		else if (c->has_verify)
			snprintf(verified, sizeof verified, "%s", c->verify.ok ?
			    (c->verify.deep ? _("ok deep") : _("ok")) : _("FAILED"));
		if (catalog_copy_missing(c)) {
			char parts[128];

			catalog_missing_text(catalog_copy_missing(c), parts, sizeof parts);
			snprintf(notes, sizeof notes, _("PARTIAL: lacks %s"), parts);
		}
		if (catalog_copy_is_safety(c))
			snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "%s%s",
			    notes[0] ? ", " : "", _("safety backup taken before a restore"));
		if (c->partial)
			snprintf(notes, sizeof notes, "%s", _("incomplete (interrupted backup)"));
		else if (!c->complete)
			snprintf(notes, sizeof notes, "%s", _("incomplete: metadata.json missing"));
		else if (c->repo_unreadable)
			snprintf(notes, sizeof notes, "%s", _("repository unreadable (see below)"));
		else if (!c->has_manifest)
			snprintf(notes, sizeof notes, "%s", _("metadata unreadable: run verify"));
		if (c->has_manifest && manifest_is_cluster(&c->m)) {
			char shards[64];

			snprintf(shards, sizeof shards, ngettext("Redis Cluster, %zu shard",
			    "Redis Cluster, %zu shards", c->m.redis.nshards), c->m.redis.nshards);
			snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "%s%s",
			    notes[0] ? ", " : "", shards);
		}
		if (c->pinned)
			snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "%s%s",
			    notes[0] ? ", " : "", _("pinned"));
		if (e->disagree) {
			char which[160] = "";
			size_t n = 0, len = 0;

			/* "local and S3 metadata differ": the copies that have one. */
			for (size_t l = 0; l < e->nloc; l++)
				n += e->copies[l].has_manifest;
			for (size_t l = 0, m = 0; l < e->nloc && len < sizeof which; l++) {
				if (!e->copies[l].has_manifest)
					continue;
				m++;
				len += (size_t)snprintf(which + len, sizeof which - len, "%s%s",
				    m == 1 ? "" : m == n ? _(" and ") : ", ",
				    catalog_location_label(cat, l));
			}
			snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "%s",
			    notes[0] ? ", " : "");
			snprintf(notes + strlen(notes), sizeof notes - strlen(notes),
			    _("%s metadata differ"), which);
		}
		if (dr != NULL)
			drill = dr->ok ? _("ok") : _("FAILED");
		{
			const char *row[] = { e->id, type, created, age, size,
			    catalog_where(cat, e, where, sizeof where), verified, drill, notes };

			cli_row(w, 9, row);
		}
		shown++;
	}
	if (shown == 0)
		printf("%s\n", _("(no backups yet: run 'vsbackup backup')"));
	for (size_t l = 0; l < cat->nloc; l++)
		list_repo_totals(catalog_location_label(cat, l), &cat->locs[l].repo);
}

/*
 * The state of each location asked for, so "empty" and "unreachable" are
 * told apart (list --json --locations):
 *   {"location":"eu-west","kind":"s3","where":"s3://b/p","state":"empty","backups":0}
 * state is "ok" (backups found), "empty" (listed, none) or "unreachable"
 * (with "error").
 */
static cJSON *
list_locations_json(const struct config *cfg, const struct catalog *cat)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t l = 0; l < cat->nloc; l++) {
		const struct catalog_location *loc = &cat->locs[l];
		cJSON *o;

		if (!loc->wanted)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "location", loc->name);
		cJSON_AddStringToObject(o, "kind", l < cfg->nlocations ?
		    cfg->locations[l].driver->name : "");
		cJSON_AddStringToObject(o, "where", loc->where);
		if (!loc->listed) {
			cJSON_AddStringToObject(o, "state", "unreachable");
			cJSON_AddStringToObject(o, "error", loc->error ? loc->error : "");
			cJSON_AddNullToObject(o, "backups");
		} else {
			size_t n = 0;

			for (size_t i = 0; i < cat->n; i++)
				n += cat->entries[i].copies[l].present;
			cJSON_AddStringToObject(o, "state", n > 0 ? "ok" : "empty");
			cJSON_AddNumberToObject(o, "backups", (double)n);
		}
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static const struct option cmd_list_longopts[] = {
	CLI_LOCATION_OPTION,
	{ "locations", no_argument, NULL, 'L' },
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct list_opts {
	struct cli_where where;
	bool locations;
};

static int
list_option(const struct cmd_entry *e, void *ud, int opt, const char *arg)
{
	struct list_opts *o = ud;

	if (opt == 'L') {
		o->locations = true;
		return 0;
	}
	return cli_where_option(e, &o->where, opt, arg);
}

static int
cmd_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct list_opts opts = { { 0 }, false };
	bool by_location;
	struct job_list_args *args;
	struct engine_event *done;
	const struct catalog *cat;
	int rc;

	if ((rc = cmd_parse_options(ctx, self(), argc, argv, "l:", cmd_list_longopts,
	    list_option, &opts)) >= 0)
		return rc;
	by_location = opts.locations;
	if ((rc = cmd_no_operands(self(), argc, argv)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	args = xcalloc(1, sizeof *args);
	if ((rc = cli_where_set(ctx, self(), "--location", opts.where.location,
	    config_location_all(ctx->cfg), &args->locations)) != 0) {
		free(args);
		return rc;
	}
	if ((rc = cli_run(ctx, &job_list_type, args, &done)) != 0)
		return rc;
	cat = done->result;
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();
		struct retention_decision *dec = xcalloc(cat->n * cat->nloc + 1, sizeof *dec);
		time_t now = time_now();

		/* What cleanup would decide for each copy now. */
		catalog_retention(cat, ctx->cfg, now, NULL, NULL, NULL, dec);
		for (size_t i = 0; i < cat->n; i++) {
			cJSON *o = cli_catalog_entry_json(cat, &cat->entries[i]);
			cJSON *copies = cJSON_GetObjectItemCaseSensitive(o, "copies");

			for (size_t l = 0; l < cat->nloc; l++) {
				const char *name = catalog_location_name(cat, l);
				cJSON *c[2] = { cJSON_GetObjectItemCaseSensitive(o, name),
				    cJSON_GetObjectItemCaseSensitive(copies, name) };

				for (int k = 0; k < 2; k++)
					if (cJSON_IsObject(c[k]))
						cJSON_AddItemToObject(c[k], "retention",
						    cli_retention_json(&dec[i * cat->nloc + l]));
			}
			cJSON_AddItemToArray(arr, o);
		}
		free(dec);
		if (by_location) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddItemToObject(o, "locations", list_locations_json(ctx->cfg, cat));
			cJSON_AddItemToObject(o, "backups", arr);
			arr = o;
		}
		cli_print_json(arr);
	} else {
		list_human(cat, time_now());
		for (size_t l = 0; l < cat->nloc; l++)
			if (l > 0 && cat->locs[l].error != NULL)
				fprintf(stderr, _("vsbackup: %s could not be listed: %s\n"),
				    catalog_location_label(cat, l), cat->locs[l].error);
	}
	rc = catalog_any_failed(cat) ? 1 : 0;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = N_("[--location local|NAME|s3|all] [--locations]"),
	.summary = N_("list backups in every location, with type, age, size and verification"),
	.help = N_("Lists every backup found in backup_dir and in every configured location (each\n"
	           "S3 group), merged by id: one row per backup saying where it is (local, a\n"
	           "location's name, both when it is in both of two, all, or names joined by\n"
	           "commas). Incomplete backups (left by an interrupted run) are shown as such.\n"
	           "With --json: an array of objects (see vsbackup(1) for the fields). Exit\n"
	           "status 1 when a location could not be listed.\n"
	           "\n  --location L  local, a location's name, s3 (every S3 location) or all\n"
	           "                (default)\n"
	           "  --locations   with --json, an object: \"locations\" says of each location\n"
	           "                whether it was listed and holds backups (ok), is empty, or\n"
	           "                is unreachable (with the error); \"backups\" is the array\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_list_exec,
};

static const struct cmd_entry *
self(void)
{
	return &cmd_list_entry;
}
