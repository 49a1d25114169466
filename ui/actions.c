/*
 * The actions of the front end: the dialogs that ask for them (backup,
 * verify, drill, delete, cancel, quit) and tui_act(), which turns a typed action
 * into engine jobs. Nothing here draws; a dialog is a form_spec whose
 * update function writes the field values into the action and rewords the
 * text to follow them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/job-transfer.h"
#include "ui/tui.h"

/* The locations a new backup is sent to (upload = true), as bits. */
static unsigned
upload_locations(const struct tui *t)
{
	unsigned set = 0;

	for (size_t i = 1; i < t->cfg->nlocations; i++)
		if (t->cfg->locations[i].upload)
			set |= 1u << i;
	return set;
}

/* Labels of locations for the dialogs, which keep pointers to them: the
 * front end's own buffers (the UI thread alone uses them). */
static char ui_label_buf[1][256];

/* --- backup --- */

static void
backup_update(struct tui *t, struct form_spec *f)
{
	struct act_backup *b = &f->action.u.backup;
	int type = form_value(f, 0);

	(void)t;
	b->by_schedule = type < 0;
	b->type = type < 0 ? BACKUP_DAILY : (enum backup_type)type;
	b->upload = f->nfields > 1 && form_value(f, 1) != 0;
}

void
tui_ask_backup(struct tui *t)
{
	static const enum backup_type types[] = { BACKUP_DAILY, BACKUP_WEEKLY, BACKUP_MONTHLY,
		BACKUP_MANUAL };
	struct form_spec f;
	struct form_field *ff = &f.fields[0];

	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, "%s", _("Take a backup"));
	snprintf(f.text[0], sizeof f.text[0], "%s",
	    _("Redis is snapshotted and both index files copied at the same moment."));
	snprintf(f.text[1], sizeof f.text[1], "%s",
	    _("\"by schedule\" picks daily, weekly or monthly from the date, as the "
	      "command line does."));
	ff->label = _("Type");
	ff->choices[0] = _("by schedule");
	ff->vals[0] = -1;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		ff->choices[i + 1] = backup_type_name(types[i]);
		ff->vals[i + 1] = (int)types[i];
	}
	ff->nchoices = 5;
	/* The same default as 'vsbackup backup': the schedule decides. */
	ff->value = 0;
	f.nfields = 1;
	if (upload_locations(t) != 0) {
		char where[200];

		/* "Upload to S3", or to each location backups are sent to. */
		where[0] = '\0';
		for (size_t i = 1, n = 0; i < t->cfg->nlocations; i++)
			if (upload_locations(t) & (1u << i))
				snprintf(where + strlen(where), sizeof where - strlen(where), "%s%s",
				    n++ ? ", " : "", config_location_label(t->cfg, i));
		snprintf(ui_label_buf[0], sizeof ui_label_buf[0], _("Upload to %s"), where);
		f.fields[1].label = ui_label_buf[0];
		f.fields[1].choices[0] = _("no");
		f.fields[1].choices[1] = _("yes");
		f.fields[1].vals[1] = 1;
		f.fields[1].nchoices = 2;
		f.fields[1].value = 1;
		f.nfields = 2;
	}
	f.action.kind = ACT_BACKUP;
	f.update = backup_update;
	tui_open_form(t, &f);
}

/*
 * The "Copy" field of a dialog on one backup: a choice per location that
 * holds a copy (only the usable ones when usable), the best one chosen.
 */
static void
copy_choices(struct tui *t, const struct tui_row *r, struct form_field *copy, bool usable)
{
	copy->label = _("Copy");
	for (size_t i = 0; i < r->e->nloc && copy->nchoices < FORM_MAX_CHOICES; i++) {
		const struct catalog_copy *c = catalog_copy_at(r->e, i);

		if (usable ? !catalog_copy_usable(c) : !c->present)
			continue;
		if (c == r->best)
			copy->value = copy->nchoices;
		copy->choices[copy->nchoices] = catalog_location_label(t->m.cat, i);
		copy->vals[copy->nchoices++] = (int)i;
	}
}

/* --- verify --- */

static void
verify_update(struct tui *t, struct form_spec *f)
{
	(void)t;
	f->action.u.verify.deep = form_value(f, 0) != 0;
	f->action.u.verify.location = f->nfields > 1 ? (size_t)form_value(f, 1) :
	    f->action.u.verify.location;
}

void
tui_ask_verify(struct tui *t, const struct tui_row *r)
{
	struct form_spec f;
	struct form_field *copy = &f.fields[1];

	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, _("Verify backup %s"), r->e->id);
	snprintf(f.text[0], sizeof f.text[0], "%s",
	    _("quick: every file present, sizes and SHA-256 as recorded."));
	snprintf(f.text[1], sizeof f.text[1], "%s",
	    _("deep: also loads the snapshot and both indexes and compares the counts."));
	f.fields[0].label = _("Level");
	f.fields[0].choices[0] = _("quick");
	f.fields[0].choices[1] = _("deep");
	f.fields[0].vals[1] = 1;
	f.fields[0].nchoices = 2;
	f.nfields = 1;
	/* Only the copies there are: no S3 choice without S3. */
	copy_choices(t, r, copy, false);
	if (copy->nchoices > 1)
		f.nfields = 2;
	f.action.kind = ACT_VERIFY;
	snprintf(f.action.u.verify.id, sizeof f.action.u.verify.id, "%s", r->e->id);
	f.action.u.verify.location = copy->nchoices > 0 ? (size_t)copy->vals[copy->value] : 0;
	f.update = verify_update;
	tui_open_form(t, &f);
}

/* --- drill --- */

static void
drill_update(struct tui *t, struct form_spec *f)
{
	(void)t;
	if (f->nfields > 0)
		f->action.u.drill.location = (size_t)form_value(f, 0);
}

void
tui_ask_drill(struct tui *t, const struct tui_row *r)
{
	struct form_spec f;
	struct form_field *copy = &f.fields[0];

	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, _("Restore drill of backup %s"), r->e->id);
	snprintf(f.text[0], sizeof f.text[0], "%s",
	    _("Restores it into a private sandbox (its own Redis, the indexes in a process of "
	      "their own) and checks keys, documents and both indexes."));
	snprintf(f.text[1], sizeof f.text[1], "%s",
	    _("Nothing live is touched; the recovery time is measured and kept with the backup."));
	copy_choices(t, r, copy, true);
	if (copy->nchoices > 1)
		f.nfields = 1;
	f.action.kind = ACT_DRILL;
	snprintf(f.action.u.drill.id, sizeof f.action.u.drill.id, "%s", r->e->id);
	f.action.u.drill.location = copy->nchoices > 0 ? (size_t)copy->vals[copy->value] : 0;
	f.update = drill_update;
	tui_open_form(t, &f);
}

/* --- delete --- */

/* What deleting these copies does, in the dialog's words. */
static void
delete_words(struct tui *t, const struct catalog_entry *e, unsigned locs, char *what,
    size_t whatsz, char *loss, size_t losssz)
{
	struct catalog_loss l;
	char keep[128] = "", names[160];
	unsigned present = 0, kept = 0;
	size_t ndel = 0;

	for (size_t i = 0; i < e->nloc; i++) {
		if (!catalog_copy_at(e, i)->present)
			continue;
		present |= 1u << i;
		if (locs & (1u << i))
			ndel++;
		else
			kept |= 1u << i;
	}
	if (kept != 0 && (kept & (kept - 1)) == 0) {
		/* TRANSLATORS: %s is "local", "S3" or a location's name. */
		snprintf(keep, sizeof keep, _(" The %s copy stays."), config_location_label(t->cfg,
		    (size_t)config_location_first(t->cfg, kept)));
	} else if (kept != 0) {
		jobs_where_text(t->cfg, kept, names, sizeof names);
		/* TRANSLATORS: %s is "local storage, eu-west and us-east". */
		snprintf(keep, sizeof keep, _(" The copies in %s stay."), names);
	}
	if (ndel > 1 && (locs & present) == present && ndel == 2)
		snprintf(what, whatsz, _("Deletes both copies, %s."), (jobs_where_text(t->cfg,
		    locs & present, names, sizeof names), names));
	else if (ndel > 1)
		snprintf(what, whatsz, _("Deletes the copies in %s.%s"), (jobs_where_text(t->cfg,
		    locs & present, names, sizeof names), names), keep);
	else if (locs & 1)
		snprintf(what, whatsz, _("Deletes the local copy in %s.%s"), t->cfg->backup_dir, keep);
	else {
		int li = config_location_first(t->cfg, locs);
		char *where = li >= 0 ? config_location_describe(t->cfg, (size_t)li) : xstrdup("?");

		snprintf(what, whatsz, _("Deletes the %s copy in %s.%s"), li >= 0 ?
		    config_location_label(t->cfg, (size_t)li) : "?", where, keep);
		free(where);
	}
	catalog_delete_loss(t->m.cat, e, locs, &l);
	catalog_loss_text(&l, e->id, loss, losssz);
}

static void
delete_update(struct tui *t, struct form_spec *f)
{
	struct act_delete *d = &f->action.u.del;
	const struct tui_row *r = model_find_row(&t->m, d->id);
	char loss[256];

	d->locations = (unsigned)form_value(f, 0);
	if (r == NULL)
		return;
	delete_words(t, r->e, d->locations, f->text[0], sizeof f->text[0], loss, sizeof loss);
	snprintf(f->text[1], sizeof f->text[1], "%s%s%s", loss, loss[0] ? " " : "",
	    _("It cannot be undone."));
}

void
tui_ask_delete(struct tui *t, const struct tui_row *r)
{
	struct form_spec f;
	struct form_field *ff = &f.fields[0];
	unsigned present = 0;

	for (size_t i = 0; i < r->e->nloc; i++) {
		const struct catalog_copy *c = catalog_copy_at(r->e, i);

		if (c->pinned) {
			tui_message(t, COL_WARN, _("%s is pinned: it cannot be deleted; unpin it first "
			    "(p)"), r->e->id);
			return;
		}
		if (c->present)
			present |= 1u << i;
	}
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, _("Delete backup %s"), r->e->id);
	ff->label = _("Copies");
	for (size_t i = 0; i < r->e->nloc && ff->nchoices < FORM_MAX_CHOICES - 1; i++) {
		if (!(present & (1u << i)))
			continue;
		/* The copy the list and the detail describe is the default;
		 * never all at once. */
		if (catalog_copy_at(r->e, i) == r->best)
			ff->value = ff->nchoices;
		ff->choices[ff->nchoices] = catalog_location_label(t->m.cat, i);
		ff->vals[ff->nchoices++] = (int)(1u << i);
	}
	if (ff->nchoices > 1) {
		ff->choices[ff->nchoices] = ff->nchoices == 2 ? _("both") : _("all");
		ff->vals[ff->nchoices++] = (int)present;
	}
	f.nfields = 1;
	f.danger = true;
	f.action.kind = ACT_DELETE;
	snprintf(f.action.u.del.id, sizeof f.action.u.del.id, "%s", r->e->id);
	f.update = delete_update;
	tui_open_form(t, &f);
}

/* The second question, for a deletion that loses something named. */
static bool
delete_ask_again(struct tui *t, const struct act_delete *d)
{
	const struct tui_row *r = model_find_row(&t->m, d->id);
	struct form_spec f;
	char what[256], loss[256];

	if (r == NULL || d->confirmed)
		return false;
	delete_words(t, r->e, d->locations, what, sizeof what, loss, sizeof loss);
	if (loss[0] == '\0')
		return false;
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, _("Delete %s: are you sure?"), d->id);
	snprintf(f.text[0], sizeof f.text[0], "%s", what);
	snprintf(f.text[1], sizeof f.text[1], "%s", loss);
	snprintf(f.text[2], sizeof f.text[2], "%s", _("Press y once more to delete it; it cannot "
	    "be undone."));
	f.danger = true;
	f.action.kind = ACT_DELETE;
	f.action.u.del = *d;
	f.action.u.del.confirmed = true;
	tui_open_form(t, &f);
	return true;
}

/* --- cancel and quit --- */

void
tui_ask_cancel(struct tui *t, const struct tui_job *j)
{
	struct tui_action a = { .kind = ACT_CANCEL_JOB };
	struct form_spec f;

	a.u.cancel.job = j->id;
	if (j->type != &job_restore_type) {
		tui_act(t, &a);
		return;
	}
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, "%s", _("Cancel the restore?"));
	snprintf(f.text[0], sizeof f.text[0], "%s",
	    _("If it has begun to change the live data, that is rolled back to the safety backup."));
	f.danger = true;
	f.action = a;
	tui_open_form(t, &f);
}

/* Returns true when the program may quit at once. */
bool
tui_ask_quit(struct tui *t)
{
	size_t n = model_jobs_running(&t->m, true);
	struct form_spec f;
	bool restoring = false;

	if (n == 0)
		return true;
	for (size_t i = 0; i < t->m.njobs; i++)
		if (!t->m.jobs[i].finished && t->m.jobs[i].type == &job_restore_type)
			restoring = true;
	memset(&f, 0, sizeof f);
	snprintf(f.title, sizeof f.title, "%s", _("Quit vsbackup?"));
	snprintf(f.text[0], sizeof f.text[0],
	    ngettext("%zu job is still running: quitting cancels it (what it wrote is removed).",
	        "%zu jobs are still running: quitting cancels them (what they wrote is removed).", n),
	    n);
	if (restoring)
		snprintf(f.text[1], sizeof f.text[1], "%s",
		    _("A running restore stops; what it changed live is rolled back to the safety backup."));
	f.danger = true;
	f.action.kind = ACT_QUIT;
	tui_open_form(t, &f);
	return false;
}

/* --- undo the last restore --- */

void
tui_ask_undo(struct tui *t)
{
	const struct tui_status *s = t->m.status;
	const struct tui_row *last = NULL;
	struct form_spec f;

	if (model_restoring(&t->m)) {
		tui_message(t, COL_WARN, "%s", _("a restore is running: x in the jobs pane cancels it, "
		    "which rolls it back"));
		return;
	}
	/* A restore that was interrupted: its journal names the way back. */
	if (s != NULL && s->journal) {
		if (s->journal_safety[0] == '\0') {
			tui_message(t, COL_BAD, _("the interrupted restore of %s took no safety backup: "
			    "there is nothing to roll back to; restore another backup"), s->journal_id);
			return;
		}
		memset(&f, 0, sizeof f);
		snprintf(f.title, sizeof f.title, "%s", _("Undo the interrupted restore?"));
		snprintf(f.text[0], sizeof f.text[0], _("The restore of %s did not finish. This puts "
		    "the live data back as it was before it: the safety backup %s ('vsbackup restore "
		    "--rollback')."), s->journal_id, s->journal_safety);
		f.danger = true;
		f.action.kind = ACT_ROLLBACK;
		tui_open_form(t, &f);
		return;
	}
	/* After a finished restore: the safety backup it took. */
	for (size_t i = 0; i < t->m.nrows; i++) {
		const struct tui_row *r = &t->m.rows[i];

		if (r->safety && catalog_usable(r->e) != NULL &&
		    (last == NULL || strcmp(r->e->id, last->e->id) > 0))
			last = r;
	}
	if (last == NULL) {
		tui_message(t, COL_WARN, "%s", _("there is no restore to undo: no pre-restore safety "
		    "backup is listed"));
		return;
	}
	tui_push(t, screen_restore_undo(t, last->e->id));
}

/* --- carrying out --- */

static void
act_rollback(struct tui *t)
{
	struct job_restore_args *a = xcalloc(1, sizeof *a);
	const struct tui_status *s = t->m.status;
	char title[96];

	a->rollback = true;
	snprintf(a->from, sizeof a->from, "%s", "local");
	snprintf(title, sizeof title, _("roll back to %s"), s != NULL ? s->journal_safety : "?");
	tui_submit(t, &job_restore_type, a, true, title, s != NULL ? s->journal_safety : NULL);
}

static void
act_backup(struct tui *t, const struct act_backup *a)
{
	struct job_backup_args *b = xcalloc(1, sizeof *b);
	char title[96];

	b->take_lock = true;
	b->upload = a->upload;
	b->type_given = !a->by_schedule;
	b->type = a->type;
	{
		char where[64] = "";

		jobs_where_text(t->cfg, upload_locations(t), where, sizeof where);
		snprintf(title, sizeof title, _("backup (%s%s%s)"), a->by_schedule ?
		    _("by schedule") : backup_type_name(b->type), b->upload ? _(", upload to ") : "",
		    b->upload ? where : "");
	}
	tui_submit(t, &job_backup_type, b, true, title, NULL);
}

static void
act_verify(struct tui *t, const struct act_verify *a)
{
	struct job_verify_args *v = xcalloc(1, sizeof *v);
	char title[96];

	snprintf(v->id, sizeof v->id, "%s", a->id);
	v->deep = a->deep;
	snprintf(v->location, sizeof v->location, "%s", t->cfg->locations[a->location].name);
	snprintf(title, sizeof title, _("verify %s (%s, %s)"), a->id,
	    v->deep ? _("deep") : _("quick"), v->location);
	tui_submit(t, &job_verify_type, v, true, title, a->id);
}

static void
act_drill(struct tui *t, const struct act_drill *a)
{
	struct job_drill_args *d = xcalloc(1, sizeof *d);
	char title[96];

	snprintf(d->id, sizeof d->id, "%s", a->id);
	snprintf(d->from, sizeof d->from, "%s", t->cfg->locations[a->location].name);
	snprintf(title, sizeof title, _("drill %s (%s)"), a->id, d->from);
	tui_submit(t, &job_drill_type, d, true, title, a->id);
}

static void
act_delete(struct tui *t, const struct act_delete *a)
{
	struct job_delete_args *d;
	char title[96];

	if (a->locations == 0 || delete_ask_again(t, a))
		return;
	d = xcalloc(1, sizeof *d);
	snprintf(d->id, sizeof d->id, "%s", a->id);
	d->locations = a->locations;
	{
		char where[80];

		jobs_where_text(t->cfg, a->locations, where, sizeof where);
		snprintf(title, sizeof title, _("delete %s (%s)"), a->id, where);
	}
	tui_submit(t, &job_delete_type, d, true, title, a->id);
}

static void
act_pin(struct tui *t, const struct act_pin *a)
{
	struct job_pin_args *p = xcalloc(1, sizeof *p);
	char title[96];

	snprintf(p->id, sizeof p->id, "%s", a->id);
	p->pin = a->pin;
	p->locations = a->locations;
	snprintf(title, sizeof title, p->pin ? _("pin %s") : _("unpin %s"), a->id);
	tui_submit(t, &job_pin_type, p, true, title, a->id);
}

static void
act_transfer(struct tui *t, const struct act_transfer *a, bool upload)
{
	struct job_transfer_args *x = xcalloc(1, sizeof *x);
	char title[96];

	snprintf(x->id, sizeof x->id, "%s", a->id);
	/* Upload: to every location backups are sent to; download: from the
	 * nearest holding it. */
	{
		char where[64];
		unsigned set = upload_locations(t);

		jobs_where_text(t->cfg, set != 0 ? set : config_location_remote(t->cfg), where,
		    sizeof where);
		snprintf(title, sizeof title, upload ? _("upload %s to %s") :
		    _("download %s from %s"), a->id, where);
	}
	tui_submit(t, upload ? &job_upload_type : &job_download_type, x, true, title, a->id);
}

static void
act_cleanup(struct tui *t, const struct act_cleanup *a)
{
	struct job_cleanup_args *c = xcalloc(1, sizeof *c);

	c->locations = config_location_all(t->cfg);
	c->at = a->at;
	c->dry_run = a->dry_run;
	c->retain_days = c->retain_weekly = c->retain_monthly = -1;
	tui_submit(t, &job_cleanup_type, c, !c->dry_run,
	    c->dry_run ? _("cleanup (dry run)") : _("cleanup"), NULL);
}

void
tui_act(struct tui *t, const struct tui_action *a)
{
	switch (a->kind) {
	case ACT_NONE:
		break;
	case ACT_BACKUP:
		act_backup(t, &a->u.backup);
		break;
	case ACT_VERIFY:
		act_verify(t, &a->u.verify);
		break;
	case ACT_DELETE:
		act_delete(t, &a->u.del);
		break;
	case ACT_PIN:
		act_pin(t, &a->u.pin);
		break;
	case ACT_UPLOAD:
	case ACT_DOWNLOAD:
		act_transfer(t, &a->u.transfer, a->kind == ACT_UPLOAD);
		break;
	case ACT_CLEANUP:
		act_cleanup(t, &a->u.cleanup);
		break;
	case ACT_QUIT:
		tui_quit(t);
		break;
	case ACT_CANCEL_JOB:
		tui_cancel_job(t, a->u.cancel.job);
		break;
	case ACT_DRILL:
		act_drill(t, &a->u.drill);
		break;
	case ACT_ROLLBACK:
		act_rollback(t);
		break;
	}
	t->dirty = true;
}
