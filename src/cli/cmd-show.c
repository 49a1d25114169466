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
#include "redis/redis-slot.h"

extern const struct cmd_entry cmd_show_entry;

#define LABEL_W 14

static void
show_file(const char *label, const struct manifest_file *f)
{
	char size[24];

	if (!f->present) {
		cli_label(label, 9, "%s (%s)", _("absent at backup time"),
		    f->note ? f->note : _("no reason recorded"));
		return;
	}
	format_bytes(f->size, size, sizeof size);
	cli_label(label, 9, "%-20s %10s  sha256 %s", f->name, size, f->sha256);
}

static void
show_index(const char *label, const struct manifest_index *ix)
{
	show_file(label, &ix->file);
	if (!ix->file.present)
		return;
	if (ix->unreadable)
		cli_label("", 9, "%s", _("not a readable index when it was saved"));
	else
		cli_label("", 9, "ntotal %lld, dim %d, type %s", (long long)ix->ntotal, ix->dim,
		    ix->kind);
}

/* A cluster backup: each master's snapshot, its slots and keys. */
static void
show_shards(const struct manifest *m)
{
	cli_label(_("cluster"), LABEL_W, _("%zu masters, one RDB each"), m->redis.nshards);
	for (size_t i = 0; i < m->redis.nshards; i++) {
		const struct manifest_shard *sh = &m->redis.shards[i];
		char slots[160];

		redis_slots_format(sh->slots, sh->nslots, slots, sizeof slots);
		cli_label(_("master"), 9, _("%s (node %.8s), slots %s, %llu keys"), sh->addr,
		    sh->node_id, slots, (unsigned long long)sh->dbsize);
		show_file("", &sh->file);
	}
}

static void
show_human(const struct catalog *cat, const struct catalog_entry *e,
    const struct catalog_copy *c)
{
	const struct manifest *m = &c->m;
	char created[32], completed[32], at[32], where[512];

	format_local_time(m->created_at, created, sizeof created);
	format_local_time(m->completed_at, completed, sizeof completed);
	printf(_("Backup %s\n"), m->backup_id);
	cli_label(_("type"), LABEL_W, "%s%s", backup_type_name(m->type),
	    catalog_copy_is_safety(c) ? _(" (the live state saved before a restore; not counted "
	    "as the newest backup)") : "");
	if (catalog_copy_missing(c)) {
		char parts[128];

		catalog_missing_text(catalog_copy_missing(c), parts, sizeof parts);
		cli_label(_("PARTIAL"), LABEL_W, _("lacks %s; restoring it removes the live one"),
		    parts);
	}
	cli_label(_("created"), LABEL_W, "%s", created);
	cli_label(_("completed"), LABEL_W, "%s (%.0f s)", completed,
	    difftime(m->completed_at, m->created_at));
	cli_label(_("where"), LABEL_W, "%s", catalog_where(cat, e, where, sizeof where));
	cli_label(_("consistency"), LABEL_W, "%s", strcmp(m->consistency, "coordinated") == 0 ?
	    _("coordinated with the service (lock file)") : _("writes paused (best effort)"));
	cli_label(_("made by"), LABEL_W, "%s", m->tool_version);
	cli_label(_("pinned"), LABEL_W, "%s", c->pinned ? _("yes") : _("no"));
	if (catalog_copy_in_repo(c)) {
		char logical[24], added[24], ratio[24];

		format_bytes(manifest_total_size(m), logical, sizeof logical);
		format_bytes(catalog_copy_added(c), added, sizeof added);
		catalog_dedup_text(c, ratio, sizeof ratio);
		cli_label(_("stored"), LABEL_W, _("in the repository%s: %s of files, %s added by this "
		    "backup (%s), %llu chunks, %llu new"), m->repo.encrypted ? _(" (encrypted)") : "",
		    logical, added, ratio, (unsigned long long)m->repo.chunks,
		    (unsigned long long)m->repo.new_chunks);
	}
	if (c->has_verify) {
		format_local_time(c->verify.at, at, sizeof at);
		cli_label(_("verified"), LABEL_W, "%s %s (%s, %s)%s%s",
		    c->verify.ok ? _("ok") : _("FAILED"), at,
		    c->verify.deep ? _("deep") : _("quick"), c->verify.location,
		    c->verify.summary[0] ? ": " : "", c->verify.summary);
	} else {
		cli_label(_("verified"), LABEL_W, "%s", _("never"));
	}
	if (catalog_last_drill(e) != NULL) {
		const struct drill_record *d = catalog_last_drill(e);
		char text[512], phases[256] = "";
		size_t len = 0;

		drill_record_describe(d, time_now(), text, sizeof text);
		for (int p = 0; p < DRILL_PHASE__COUNT && len < sizeof phases; p++)
			len += (size_t)snprintf(phases + len, sizeof phases - len, "%s%s %.1f s",
			    p > 0 ? ", " : "", drill_phase_text(p), d->seconds[p]);
		cli_label(_("drill"), LABEL_W, "%s", text);
		cli_label("", LABEL_W, _("from %s: %s; target %.0f s"), d->location, phases,
		    d->target);
	} else {
		cli_label(_("drill"), LABEL_W, "%s", _("never (vsbackup drill)"));
	}
	if (e->disagree)
		printf("  %s\n", _("WARNING: the copies have different metadata"));
	printf(_("Redis %s (RDB version %d, db %d, from %s)\n"), m->redis.redis_version,
	    m->redis.rdb_version, m->redis.db, m->redis.source);
	if (manifest_is_cluster(m))
		show_shards(m);
	else
		show_file("rdb", &m->redis.file);
	cli_label(_("keys in db"), LABEL_W, "%llu", (unsigned long long)m->redis.dbsize);
	for (size_t i = 0; i < m->redis.ncounts; i++)
		cli_label(m->redis.counts[i].prefix, LABEL_W, "%llu",
		    (unsigned long long)m->redis.counts[i].count);
	printf("%s\n", _("Indexes"));
	show_index(_("content"), &m->content);
	show_index(_("user"), &m->user);
}

static const struct option cmd_show_longopts[] = {
	CLI_FROM_OPTION,
	CMD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static int
cmd_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *self = &cmd_show_entry;
	struct cli_where opts = { 0 };
	struct job_list_args *args;
	const struct catalog *cat;
	unsigned from;
	struct engine_event *done;
	struct catalog_entry *e;
	const struct catalog_copy *c;
	char id[BACKUP_ID_SIZE];
	int rc;

	if ((rc = cmd_parse_options(ctx, self, argc, argv, NULL, cmd_show_longopts,
	    cli_where_option, &opts)) >= 0)
		return rc;
	if ((rc = cli_take_id(ctx, self, argc, argv, id)) != 0)
		return rc;
	if (cmd_load_config(ctx) != 0)
		return 1;
	if ((rc = cli_where_set(ctx, self, "--from", opts.from, config_location_all(ctx->cfg),
	    &from)) != 0)
		return rc;
	args = xcalloc(1, sizeof *args);
	args->locations = from;
	if ((rc = cli_run(ctx, &job_list_type, args, &done)) != 0)
		return rc;
	cat = done->result;
	e = catalog_find(done->result, id);
	rc = VS_EXIT_FAILURE;
	if (e == NULL) {
		size_t l;

		for (l = 0; l < cat->nloc; l++)
			if (cat->locs[l].error != NULL)
				break;
		if (l < cat->nloc)
			cmd_error(ctx, _("backup %s not found; %s could not be listed: %s"), id,
			    catalog_location_label(cat, l), cat->locs[l].error);
		else
			cmd_error(ctx, _("backup %s not found (see 'vsbackup list')"), id);
		goto out;
	}
	/* The nearest copy. */
	c = &e->copies[0];
	for (size_t l = e->nloc; l > 0; l--)
		if (e->copies[l - 1].present)
			c = &e->copies[l - 1];
	if (!c->has_manifest) {
		cmd_error(ctx, _("backup %s has no usable metadata: %s"), id,
		    c->partial ? _("it is incomplete (an interrupted backup)") :
		    c->manifest_error ? c->manifest_error : _("unknown reason"));
		rc = VS_EXIT_INVALID;
		goto out;
	}
	if (ctx->json)
		cli_print_json(cli_manifest_json(&c->m));
	else
		show_human(cat, e, c);
	rc = VS_EXIT_OK;
out:
	engine_event_free(done);
	return rc;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = N_("ID [--from local|NAME|s3]"),
	.summary = N_("show a backup's metadata: files, checksums, key counts, index sizes"),
	.help = N_("With --json, prints the metadata as one JSON object (the fields of\n"
	           "metadata.json; see vsbackup(1)).\n"
	           "\n  --from L   read the copy in that location (local, a location's name, s3:\n"
	           "             any S3 location; default: the nearest copy, local first)\n"),
	.flags = CMD_NEEDS_CONFIG,
	.exec = cmd_show_exec,
};
