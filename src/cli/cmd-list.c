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
		if (e->disagree)
			snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "%s%s",
			    notes[0] ? ", " : "", _("local and S3 metadata differ"));
		if (dr != NULL)
			drill = dr->ok ? _("ok") : _("FAILED");
		{
			const char *row[] = { e->id, type, created, age, size, catalog_where(e),
			    verified, drill, notes };

			cli_row(w, 9, row);
		}
		shown++;
	}
	if (shown == 0)
		printf("%s\n", _("(no backups yet: run 'vsbackup backup')"));
	list_repo_totals(_("local"), &cat->repo_local);
	list_repo_totals("S3", &cat->repo_s3);
}

static const struct option cmd_list_longopts[] = {
	CLI_LOCATION_OPTION,
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cli_where opts = { .local = true, .s3 = true };
	struct job_list_args *args;
	struct engine_event *done;
	const struct catalog *cat;
	int rc;

	if ((rc = cmd_parse_options(ctx, self(), argc, argv, "l:", cmd_list_longopts,
	    cli_where_option, &opts)) >= 0)
		return rc;
	if ((rc = cmd_no_operands(self(), argc, argv)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	args = xcalloc(1, sizeof *args);
	args->local = opts.local;
	args->s3 = opts.s3;
	if ((rc = cli_run(ctx, &job_list_type, args, &done)) != 0)
		return rc;
	cat = done->result;
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();
		struct retention_decision *dec = xcalloc(cat->n * CATALOG_NLOC + 1, sizeof *dec);
		time_t now = time_now();

		/* What cleanup would decide for each copy now. */
		catalog_retention(cat, ctx->cfg, now, NULL, NULL, NULL, dec);
		for (size_t i = 0; i < cat->n; i++) {
			cJSON *o = cli_catalog_entry_json(&cat->entries[i]);

			for (size_t l = 0; l < CATALOG_NLOC; l++) {
				cJSON *c = cJSON_GetObjectItemCaseSensitive(o, catalog_location_name(l));

				if (cJSON_IsObject(c))
					cJSON_AddItemToObject(c, "retention",
					    cli_retention_json(&dec[i * CATALOG_NLOC + l]));
			}
			cJSON_AddItemToArray(arr, o);
		}
		free(dec);
		cli_print_json(arr);
	} else {
		list_human(cat, time_now());
		if (cat->s3_error != NULL)
			fprintf(stderr, _("vsbackup: S3 could not be listed: %s\n"), cat->s3_error);
	}
	rc = cat->s3_error != NULL || cat->local_error != NULL ? 1 : 0;
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = N_("[--location local|s3|all]"),
	.summary = N_("list backups, local and on S3, with type, age, size and verification"),
	.help = N_("Lists every backup found in backup_dir and, when s3.bucket is set, in S3,\n"
	           "merged by id: one row per backup saying where it is (local, s3, both).\n"
	           "Incomplete backups (left by an interrupted run) are shown as such.\n"
	           "With --json: an array of objects (see vsbackup(1) for the fields).\n"
	           "\n  --location L  only local, only s3, or all (default)\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_list_exec,
};

static const struct cmd_entry *
self(void)
{
	return &cmd_list_entry;
}
