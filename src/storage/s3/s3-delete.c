/*
 * Removing backups: every object under the id, metadata.json first when
 * the backup was complete.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/i18n.h"
#include "storage/storage.intern.h"
#include "storage/s3/s3.intern.h"

int
s3_delete_names(struct storage *st, struct s3_names *nm, bool metadata_first,
    struct vs_error *err)
{
	size_t i;
	const char *slash;
	int pass;

	/* Pass 0 removes metadata.json, so the backup stops counting as
	 * complete before any of its data goes. */
	for (pass = metadata_first ? 0 : 1; pass < 2; pass++) {
		for (i = 0; i < nm->n; i++) {
			slash = strrchr(nm->names[i], '/');
			if ((strcmp(slash != NULL ? slash + 1 : nm->names[i],
			    STORAGE_METADATA) == 0) != (pass == 0))
				continue;
			if (s3_delete_key(st, nm->names[i], err) != 0)
				return -1;
		}
	}
	return 0;
}

/* Everything under the backup id goes; failures are warned about. */
void
s3_remove_quietly(struct storage *st, const char *id)
{
	struct vs_error err;
	struct s3_names nm;
	int rc;

	error_clear(&err);
	rc = s3_list_backup(st, id, &nm, &err);
	if (rc == 0) {
		rc = s3_delete_names(st, &nm, true, &err);
		s3_names_free(&nm);
	}
	if (rc != 0)
		storage_warn(st, _("could not remove the unfinished backup %s from %s: %s"),
		    id, st->location, err.msg);
}

int
s3_remove(struct storage *st, const char *id, struct vs_error *err)
{
	struct s3_names nm;
	int rc;

	if (s3_list_backup(st, id, &nm, err) != 0)
		return -1;
	if (nm.n == 0) {
		s3_names_free(&nm);
		return error_set(err, VS_ERR_NOTFOUND, _("backup %s is not in %s"), id,
		    st->location);
	}
	rc = s3_delete_names(st, &nm, true, err);
	s3_names_free(&nm);
	if (rc != 0)
		error_prefix(err, _("removing backup %s"), id);
	return rc;
}

int
s3_remove_partial(struct storage *st, const char *id, struct vs_error *err)
{
	struct s3_names nm;
	int rc;

	if (s3_list_backup(st, id, &nm, err) != 0)
		return -1;
	if (nm.complete) {
		s3_names_free(&nm);
		return error_set(err, VS_ERR_REFUSED,
		    _("backup %s in %s is complete, not an unfinished upload"), id, st->location);
	}
	rc = s3_delete_names(st, &nm, false, err);
	s3_names_free(&nm);
	if (rc != 0)
		error_prefix(err, _("removing the unfinished backup %s"), id);
	return rc;
}
