/*
 * A backup's files written into a directory, touching nothing live: what
 * restore --target-dir hands the operator, and what a restore drill loads
 * into its sandbox. The files come through the storage's own reads, so
 * every kind of backup the storage can open (a local directory, S3, the
 * repository) materialises the same way.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/place.h"
#include "jobs/restore.h"

int
restore_materialise(struct job *job, struct storage *st, const struct manifest *m,
    const char *dir, struct vs_error *err)
{
	const struct manifest_file *f;
	/* For the operator who asked for them, not for a service. */
	const struct fs_owner own = { .known = false, .mode = 0600 };
	char **written = xcalloc(manifest_nfiles(m), sizeof *written), *json = NULL, *path;
	size_t len, nw = 0;
	int r = -1;

	if (fs_mkdir_p(dir, 0700, err) != 0) {
		free(written);
		return -1;
	}
	for (size_t i = 0; (f = manifest_file_at(m, i)) != NULL; i++) {
		char phase[128];

		if (!f->present)
			continue;
		path = fs_join(dir, f->name);
		snprintf(phase, sizeof phase, _("writing %s"), path);
		if (place_file(job, st, m->backup_id, f->name, f->size, path, &own,
		    phase, err) != 0) {
			free(path);
			goto out;
		}
		written[nw++] = path;
	}
	if (storage_read_small(st, m->backup_id, STORAGE_METADATA, MANIFEST_MAX_SIZE, &json,
	    &len, err) != 0)
		goto out;
	path = fs_join(dir, STORAGE_METADATA);
	r = fs_write_atomic(path, json, len, 0600, err);
	free(path);
	free(json);
out:
	/* All of it or none of it: a failure leaves no stray files in dir. */
	for (size_t i = 0; i < nw; i++) {
		if (r != 0)
			unlink(written[i]);
		free(written[i]);
	}
	free(written);
	return r;
}
