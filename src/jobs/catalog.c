#include "config.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "jobs/catalog.h"
#include "repo/view.h"

struct catalog *
catalog_new(const struct config *cfg)
{
	struct catalog *cat = xcalloc(1, sizeof *cat);

	cat->nloc = cfg->nlocations;
	cat->locs = xcalloc(cat->nloc + 1, sizeof *cat->locs);
	for (size_t l = 0; l < cat->nloc; l++) {
		struct catalog_location *loc = &cat->locs[l];

		snprintf(loc->name, sizeof loc->name, "%s", cfg->locations[l].name);
		snprintf(loc->label, sizeof loc->label, "%s", config_location_label(cfg, l));
		loc->where = config_location_describe(cfg, l);
	}
	return cat;
}

static void
copy_clear(struct catalog_copy *c)
{
	if (c->has_manifest)
		manifest_clear(&c->m);
	free(c->manifest_error);
}

void
catalog_free(struct catalog *cat)
{
	if (cat == NULL)
		return;
	for (size_t i = 0; i < cat->n; i++) {
		for (size_t l = 0; l < cat->entries[i].nloc; l++)
			copy_clear(&cat->entries[i].copies[l]);
		free(cat->entries[i].copies);
	}
	for (size_t l = 0; l < cat->nloc; l++) {
		free(cat->locs[l].error);
		free(cat->locs[l].where);
		free(cat->locs[l].repo.error);
	}
	free(cat->locs);
	free(cat->entries);
	free(cat);
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct catalog_entry *)a)->id, ((const struct catalog_entry *)b)->id);
}

struct catalog_entry *
catalog_find(struct catalog *cat, const char *id)
{
	struct catalog_entry key;

	snprintf(key.id, sizeof key.id, "%s", id);
	if (cat->n == 0)
		return NULL;
	return bsearch(&key, cat->entries, cat->n, sizeof *cat->entries, entry_cmp);
}

struct list_ctx {
	struct catalog *cat;
	size_t cap;
	size_t loc;         /* the location being read */
	size_t first_new;   /* entries added by this location start here */
};

static struct catalog_entry *
entry_for(struct list_ctx *lc, const char *id)
{
	struct catalog *cat = lc->cat;
	struct catalog_entry *e;

	struct catalog_entry key;

	/* Entries of earlier locations are sorted: find a copy there. */
	memcpy(key.id, id, BACKUP_ID_SIZE);
	if (lc->first_new > 0) {
		e = bsearch(&key, cat->entries, lc->first_new, sizeof *cat->entries, entry_cmp);
		if (e != NULL)
			return e;
	}
	if (cat->n == lc->cap) {
		lc->cap = lc->cap ? lc->cap * 2 : 64;
		cat->entries = xreallocarray(cat->entries, lc->cap, sizeof *cat->entries);
	}
	e = &cat->entries[cat->n++];
	memset(e, 0, sizeof *e);
	memcpy(e->id, id, BACKUP_ID_SIZE);
	e->nloc = cat->nloc;
	e->copies = xcalloc(cat->nloc + 1, sizeof *e->copies);
	return e;
}

static int
list_cb(void *ud, const struct storage_entry *se)
{
	struct list_ctx *lc = ud;
	struct catalog_entry *e = entry_for(lc, se->id);
	struct catalog_copy *c = &e->copies[lc->loc];

	c->present = true;
	c->complete = se->complete;
	c->partial = se->partial;
	c->bytes = se->bytes;
	c->mtime = se->mtime;
	return 0;
}

static void
digest_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	manifest_hex(md, out);
}

static void
load_details(struct storage *st, const char *id, struct catalog_copy *c)
{
	struct vs_error err;
	char *data = NULL, *where;
	size_t len;
	uint64_t size;

	error_clear(&err);
	if (storage_read_small(st, id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &data, &len, &err) != 0) {
		c->manifest_error = xstrdup(err.msg);
	} else {
		where = xasprintf("%s/%s/%s", storage_location(st), id, STORAGE_METADATA);
		digest_hex(data, len, c->meta_digest);
		if (manifest_parse(data, where, &c->m, &err) == 0) {
			if (strcmp(c->m.backup_id, id) == 0) {
				c->has_manifest = true;
			} else {
				c->manifest_error = xasprintf(_("%s: backup_id is %s, not %s"),
				    where, c->m.backup_id, id);
				manifest_clear(&c->m);
			}
		} else {
			c->manifest_error = xstrdup(err.msg);
		}
		free(where);
		free(data);
	}
	data = NULL;
	if (storage_read_small(st, id, VERIFY_RECORD_FILE, 1 << 20, &data, &len, NULL) == 0)
		c->has_verify = verify_record_latest(data, &c->verify) == 0;
	free(data);
	data = NULL;
	if (storage_read_small(st, id, DRILL_RECORD_FILE, 1 << 20, &data, &len, NULL) == 0)
		c->has_drill = drill_record_latest(data, &c->drill) == 0;
	free(data);
	c->pinned = storage_stat(st, id, "pinned", &size, NULL) == 0;
}

uint64_t
catalog_copy_added(const struct catalog_copy *c)
{
	return catalog_copy_in_repo(c) ? c->m.repo.added : 0;
}

bool
catalog_copy_in_repo(const struct catalog_copy *c)
{
	return c->has_manifest && c->m.format_version >= 2;
}

void
catalog_dedup_text(const struct catalog_copy *c, char *buf, size_t bufsz)
{
	uint64_t added = catalog_copy_added(c);

	if (!catalog_copy_in_repo(c))
		snprintf(buf, bufsz, "%s", "");
	else
		snprintf(buf, bufsz, "%.1fx", (double)manifest_total_size(&c->m) /
		    (double)(added > 0 ? added : 1));
}

const struct catalog_repo *
catalog_repo_at(const struct catalog *cat, size_t i)
{
	return &cat->locs[i].repo;
}

bool
catalog_has_repo(const struct catalog *cat)
{
	for (size_t i = 0; i < cat->nloc; i++)
		if (catalog_repo_at(cat, i)->present)
			return true;
	return false;
}

int
catalog_add_location(struct catalog *cat, struct storage *st, struct vs_error *err)
{
	struct list_ctx lc = { .cat = cat, .cap = cat->n, .first_new = cat->n };
	int index = storage_index(st);
	struct catalog_location *loc;
	struct catalog_repo *rp;

	if (index < 0 || (size_t)index >= cat->nloc)
		return error_set(err, VS_ERR_USAGE, _("%s is not one of the configured locations"),
		    storage_location(st));
	lc.loc = (size_t)index;
	loc = &cat->locs[lc.loc];
	loc->wanted = true;
	if (storage_list(st, list_cb, &lc, err) != 0) {
		catalog_location_failed(cat, lc.loc, err->msg);
		return -1;
	}
	loc->listed = true;
	if (cat->n > 0)
		qsort(cat->entries, cat->n, sizeof *cat->entries, entry_cmp);
	for (size_t i = 0; i < cat->n; i++) {
		struct catalog_copy *c = &cat->entries[i].copies[lc.loc];

		if (c->present && c->complete && !c->has_manifest && c->manifest_error == NULL)
			load_details(st, cat->entries[i].id, c);
		/* A listing gives no size for a backup in the repository: that
		 * of its files. */
		if (catalog_copy_in_repo(c) && c->bytes == 0)
			c->bytes = manifest_total_size(&c->m);
		if (catalog_copy_usable(c))
			loc->complete++;
	}
	/* What the repository holds: its backups from the listing, its size
	 * from its index. */
	rp = &loc->repo;
	if (repo_view_present(st)) {
		struct vs_error serr;

		error_clear(&serr);
		rp->present = true;
		if (repo_view_size(st, &rp->bytes, &serr) != 0)
			rp->error = xstrdup(serr.msg);
		for (size_t i = 0; i < cat->n; i++) {
			struct catalog_copy *c = &cat->entries[i].copies[lc.loc];

			if (!c->present || !repo_view_known(st, cat->entries[i].id))
				continue;
			rp->backups++;
			if (catalog_copy_in_repo(c))
				rp->logical += manifest_total_size(&c->m);
			else if (rp->error != NULL)
				c->repo_unreadable = true;
		}
	}
	return 0;
}

void
catalog_location_failed(struct catalog *cat, size_t l, const char *why)
{
	if (l >= cat->nloc)
		return;
	cat->locs[l].wanted = true;
	cat->locs[l].listed = false;
	free(cat->locs[l].error);
	cat->locs[l].error = xstrdup(why);
}

bool
catalog_any_failed(const struct catalog *cat)
{
	for (size_t l = 0; l < cat->nloc; l++)
		if (cat->locs[l].wanted && !cat->locs[l].listed)
			return true;
	return false;
}

bool
catalog_all_failed(const struct catalog *cat)
{
	bool any = false;

	for (size_t l = 0; l < cat->nloc; l++) {
		if (!cat->locs[l].wanted)
			continue;
		if (cat->locs[l].listed)
			return false;
		any = true;
	}
	return any;
}

static void
catalog_read_warn(void *ud, const char *msg)
{
	job_log(ud, VS_LOG_WARN, "%s", msg);
}

static int
catalog_read_cancelled(void *ud)
{
	return job_cancelled(ud);
}

struct catalog *
catalog_read(const struct config *cfg, struct job *job, unsigned set)
{
	struct catalog *cat = catalog_new(cfg);

	for (size_t l = 0; l < cat->nloc; l++) {
		struct storage *st = NULL;
		struct vs_error err;

		if (!(set & (1u << l)))
			continue;
		if (job != NULL && job_cancelled(job)) {
			catalog_location_failed(cat, l, _("cancelled"));
			continue;
		}
		if (job != NULL) {
			char *phase = l == 0 ? xstrdup(_("listing backups")) :
			    xasprintf(_("listing backups in %s"), cat->locs[l].label);

			job_progress(job, phase, 0, 0, false);
			free(phase);
		}
		error_clear(&err);
		if (storage_open_at(cfg, l, &st, &err) != 0) {
			catalog_location_failed(cat, l, err.msg);
			continue;
		}
		if (job != NULL) {
			storage_set_warn(st, catalog_read_warn, job);
			storage_set_cancel(st, catalog_read_cancelled, job);
		}
		/* A failure is recorded in the location: each client reports it once. */
		(void)catalog_add_location(cat, st, &err);
		storage_close(st);
	}
	catalog_finish(cat);
	return cat;
}

void
catalog_finish(struct catalog *cat)
{
	if (cat->n > 0)
		qsort(cat->entries, cat->n, sizeof *cat->entries, entry_cmp);
	for (size_t i = 0; i < cat->n; i++) {
		struct catalog_entry *e = &cat->entries[i];
		const struct catalog_copy *first = NULL;

		e->disagree = false;
		for (size_t l = 0; l < e->nloc; l++) {
			const struct catalog_copy *c = &e->copies[l];

			if (!c->has_manifest)
				continue;
			if (first == NULL)
				first = c;
			else if (strcmp(first->meta_digest, c->meta_digest) != 0)
				e->disagree = true;
		}
	}
}

const struct catalog_copy *
catalog_best(const struct catalog_entry *e)
{
	for (size_t l = 0; l < e->nloc; l++)
		if (e->copies[l].present && e->copies[l].complete)
			return &e->copies[l];
	for (size_t l = 0; l < e->nloc; l++)
		if (e->copies[l].present)
			return &e->copies[l];
	return &e->copies[0];
}

const char *
catalog_where(const struct catalog *cat, const struct catalog_entry *e, char *buf,
    size_t bufsz)
{
	size_t n = 0, len = 0, present = 0;
	bool complete = false;

	/* An unfinished copy beside a complete one does not count: "both"
	 * must never make the only complete copy look redundant. */
	for (size_t l = 0; l < e->nloc; l++)
		complete |= e->copies[l].present && e->copies[l].complete;
	buf[0] = '\0';
	for (size_t l = 0; l < e->nloc; l++) {
		const struct catalog_copy *c = &e->copies[l];

		if (!c->present)
			continue;
		present++;
		if (complete && !c->complete)
			continue;
		if (len < bufsz)
			len += (size_t)snprintf(buf + len, bufsz - len, "%s%s", n ? "," : "",
			    catalog_location_name(cat, l));
		n++;
	}
	(void)present;
	if (n == 2 && cat->nloc == 2)
		snprintf(buf, bufsz, "%s", "both");
	else if (n > 2 && n == cat->nloc)
		snprintf(buf, bufsz, "%s", "all");
	return buf;
}

/* --- the facts about a copy, decided once ----------------------------------- */

const char *
catalog_location_name(const struct catalog *cat, size_t i)
{
	return i < cat->nloc ? cat->locs[i].name : "";
}

const char *
catalog_location_label(const struct catalog *cat, size_t i)
{
	return i < cat->nloc ? cat->locs[i].label : "";
}

const struct catalog_copy *
catalog_copy_at(const struct catalog_entry *e, size_t i)
{
	return &e->copies[i];
}

bool
catalog_copy_usable(const struct catalog_copy *c)
{
	return c->present && c->complete && !c->partial && c->has_manifest;
}

unsigned
catalog_copy_missing(const struct catalog_copy *c)
{
	unsigned m = 0;

	if (!catalog_copy_usable(c))
		return 0;
	if (!manifest_has_rdb(&c->m))
		m |= CATALOG_PART_RDB;
	if (!c->m.content.file.present || c->m.content.unreadable)
		m |= CATALOG_PART_CONTENT;
	if (!c->m.user.file.present || c->m.user.unreadable)
		m |= CATALOG_PART_USER;
	return m;
}

static const struct {
	const char *file;
	const char *text;
} catalog_parts[CATALOG_NPARTS] = {
	{ MANIFEST_RDB_FILE, N_("the Redis snapshot") },
	{ MANIFEST_CONTENT_FILE, N_("the content index") },
	{ MANIFEST_USER_FILE, N_("the user index") },
};

const char *
catalog_part_file(unsigned part)
{
	return part < CATALOG_NPARTS ? catalog_parts[part].file : "";
}

const char *
catalog_part_text(unsigned part)
{
	return part < CATALOG_NPARTS ? _(catalog_parts[part].text) : "";
}

void
catalog_missing_text(unsigned missing, char *buf, size_t bufsz)
{
	const char *names[CATALOG_NPARTS];
	size_t n = 0;

	for (unsigned i = 0; i < CATALOG_NPARTS; i++)
		if (missing & (1u << i))
			names[n++] = catalog_part_text(i);
	if (n == 0)
		snprintf(buf, bufsz, "%s", "");
	else if (n == 1)
		snprintf(buf, bufsz, "%s", names[0]);
	else if (n == 2)
		/* TRANSLATORS: two parts of a backup, e.g. "the content index
		 * and the user index". */
		snprintf(buf, bufsz, _("%s and %s"), names[0], names[1]);
	else
		snprintf(buf, bufsz, _("%s, %s and %s"), names[0], names[1], names[2]);
}

bool
catalog_copy_is_safety(const struct catalog_copy *c)
{
	return c->has_manifest && c->m.type == BACKUP_PRE_RESTORE;
}

const struct drill_record *
catalog_last_drill(const struct catalog_entry *e)
{
	const struct drill_record *last = NULL;

	for (size_t i = 0; i < e->nloc; i++) {
		const struct catalog_copy *c = catalog_copy_at(e, i);

		if (c->present && c->has_drill && (last == NULL || c->drill.at > last->at))
			last = &c->drill;
	}
	return last;
}

bool
catalog_copy_verified(const struct catalog_copy *c)
{
	return c->present && c->has_verify && c->verify.ok;
}

bool
catalog_copy_counts(const struct catalog_copy *c)
{
	return catalog_copy_usable(c) && catalog_copy_missing(c) == 0 &&
	    !catalog_copy_is_safety(c);
}

const struct catalog_copy *
catalog_usable(const struct catalog_entry *e)
{
	for (size_t i = 0; i < e->nloc; i++)
		if (catalog_copy_usable(catalog_copy_at(e, i)))
			return catalog_copy_at(e, i);
	return NULL;
}

void
catalog_retention_item(const struct catalog_entry *e, const struct catalog_copy *c,
    struct retention_item *it)
{
	time_t t = 0;

	memset(it, 0, sizeof *it);
	it->id = e->id;
	backup_id_parse(e->id, &t, NULL);
	it->created = c->has_manifest ? c->m.created_at : t;
	it->type = c->has_manifest ? c->m.type : backup_type_for_time(t);
	it->complete = c->complete && c->has_manifest;
	it->partial = c->partial;
	it->pinned = c->pinned;
	it->verified_ok = catalog_copy_verified(c);
	it->second_rate = catalog_copy_usable(c) && !catalog_copy_counts(c);
}

void
catalog_retention(const struct catalog *cat, const struct config *cfg, time_t now,
    bool (*in_use)(const char *id, void *ud), void *ud, struct retention_item *items,
    struct retention_decision *out)
{
	struct retention_item *it = xcalloc(cat->n + 1, sizeof *it);
	struct retention_decision *d = xcalloc(cat->n + 1, sizeof *d);
	size_t *idx = xcalloc(cat->n + 1, sizeof *idx);

	/* Each location decides alone, as cleanup does. */
	for (size_t l = 0; l < cat->nloc && l < cfg->nlocations; l++) {
		size_t n = 0;

		for (size_t i = 0; i < cat->n; i++) {
			const struct catalog_copy *c = catalog_copy_at(&cat->entries[i], l);

			if (!c->present)
				continue;
			catalog_retention_item(&cat->entries[i], c, &it[n]);
			it[n].in_use = in_use != NULL && in_use(cat->entries[i].id, ud);
			idx[n++] = i;
		}
		retention_evaluate(it, n, &cfg->locations[l].retention, now, d);
		for (size_t k = 0; k < n; k++) {
			if (items != NULL)
				items[idx[k] * cat->nloc + l] = it[k];
			out[idx[k] * cat->nloc + l] = d[k];
		}
	}
	free(it);
	free(d);
	free(idx);
}

const struct catalog_entry *
catalog_newest(const struct catalog *cat, unsigned locations, bool verified,
    const struct catalog_entry *skip)
{
	const struct catalog_entry *best = NULL;
	time_t best_at = 0;

	for (size_t i = 0; i < cat->n; i++) {
		const struct catalog_entry *e = &cat->entries[i];

		if (e == skip)
			continue;
		for (size_t l = 0; l < e->nloc; l++) {
			const struct catalog_copy *c = catalog_copy_at(e, l);

			if (!(locations & (1u << l)) || !catalog_copy_counts(c) ||
			    (verified && !catalog_copy_verified(c)))
				continue;
			if (best == NULL || c->m.created_at > best_at ||
			    (c->m.created_at == best_at && strcmp(e->id, best->id) > 0)) {
				best = e;
				best_at = c->m.created_at;
			}
		}
	}
	return best;
}

void
catalog_delete_loss(const struct catalog *cat, const struct catalog_entry *e,
    unsigned locations, struct catalog_loss *out)
{
	bool had_usable = false, kept_usable = false, kept_verified = false, any = false;

	memset(out, 0, sizeof *out);
	for (size_t l = 0; l < e->nloc; l++) {
		const struct catalog_copy *c = catalog_copy_at(e, l);

		if (!c->present)
			continue;
		if (locations & (1u << l)) {
			any = true;
			out->pinned |= c->pinned;
			had_usable |= catalog_copy_usable(c);
		} else {
			kept_usable |= catalog_copy_usable(c);
			kept_verified |= catalog_copy_counts(c) && catalog_copy_verified(c);
		}
	}
	out->absent = !any;
	out->last_copy = had_usable && !kept_usable;
	if (!kept_verified && catalog_newest(cat, CATALOG_ALL_LOCATIONS, true, NULL) == e) {
		out->newest_verified = true;
		out->next_verified = catalog_newest(cat, CATALOG_ALL_LOCATIONS, true, e);
		out->only_verified = out->next_verified == NULL;
	}
}

void
catalog_loss_text(const struct catalog_loss *l, const char *id, char *buf, size_t bufsz)
{
	buf[0] = '\0';
	if (l->last_copy && l->only_verified)
		snprintf(buf, bufsz, _("%s is the last copy of the only verified backup: no verified "
		    "backup is left after it."), id);
	else if (l->last_copy && l->newest_verified)
		snprintf(buf, bufsz, _("%s is the last copy of the newest verified backup: the newest "
		    "verified one is then %s."), id, l->next_verified->id);
	else if (l->only_verified)
		snprintf(buf, bufsz, _("%s is the only verified backup: no verified copy is left after "
		    "it."), id);
	else if (l->newest_verified)
		snprintf(buf, bufsz, _("%s is the newest verified backup: the newest verified one is then "
		    "%s."), id, l->next_verified->id);
	else if (l->last_copy)
		snprintf(buf, bufsz, _("This is the last copy of %s anywhere: the backup is gone after "
		    "it."), id);
}
