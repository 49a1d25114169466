#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/meter.h"
#include "jobs/place.h"

int
place_file(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const char *phase, struct vs_error *err)
{
	struct job_meter meter;
	char *dir = fs_dirname(dest), *base = xstrdup(dest), *tmp;
	struct stat old, dst;
	int fd, rc = -1;

	job_meter_init(&meter, job, size);
	job_meter_phase(&meter, "%s", phase);
	tmp = xasprintf("%s/.%s.vsbackup-XXXXXX", dir, basename(base));
	free(base);
	if (fs_mkdir_p(dir, 0755, err) != 0)
		goto out;
	fd = mkstemp(tmp);
	if (fd < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create a temporary file in %s"), dir);
		goto out;
	}
	if (stat(dest, &old) == 0) {
		if (fchmod(fd, old.st_mode & 07777) != 0 ||
		    (geteuid() == 0 && fchown(fd, old.st_uid, old.st_gid) != 0))
			goto fail_errno;
	} else if (stat(dir, &dst) == 0 && geteuid() == 0) {
		if (fchown(fd, dst.st_uid, dst.st_gid) != 0)
			goto fail_errno;
	}
	if (storage_get(st, id, file, fd, size, &meter.progress, err) != 0) {
		/* The driver only knows a descriptor: name the file here. */
		error_prefix(err, _("placing %s"), dest);
		goto fail;
	}
	if (fsync(fd) != 0)
		goto fail_errno;
	if (close(fd) != 0) {
		fd = -1;
		goto fail_errno;
	}
	fd = -1;
	if (rename(tmp, dest) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), tmp, dest);
		goto fail;
	}
	rc = fs_fsync_dir(dir, err);
	goto out;
fail_errno:
	error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

int
place_move_aside(const char *dest, const char *suffix, struct vs_error *err)
{
	char *aside;
	int rc = 0;

	if (!fs_exists(dest))
		return 0;
	aside = xasprintf("%s.vsbackup-%s", dest, suffix);
	if (fs_exists(aside))
		fs_remove_tree(aside, NULL);
	if (rename(dest, aside) != 0)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot move %s aside to %s"), dest, aside);
	free(aside);
	return rc;
}
