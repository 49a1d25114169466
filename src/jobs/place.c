#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

/* A file made in a directory: the directory's owner and group, its mode
 * without execute bits and never writable by others. */
static void
owner_from_dir(const struct stat *d, struct fs_owner *out)
{
	out->known = true;
	out->uid = d->st_uid;
	out->gid = d->st_gid;
	out->mode = d->st_mode & 0664;
}

static void
owner_from_record(const struct manifest_owner *r, struct fs_owner *out, mode_t mask)
{
	out->known = true;
	out->uid = (uid_t)r->uid;
	out->gid = (gid_t)r->gid;
	out->mode = (mode_t)r->mode & mask;
}

void
place_owner(const char *dest, const struct manifest_owner *recorded, struct fs_owner *out)
{
	struct stat sb;
	char *dir;

	/* A link at dest is replaced, never followed: its target says nothing. */
	if (lstat(dest, &sb) == 0 && S_ISREG(sb.st_mode)) {
		out->known = true;
		out->uid = sb.st_uid;
		out->gid = sb.st_gid;
		out->mode = sb.st_mode & 0777;
		return;
	}
	if (recorded != NULL && recorded->known) {
		owner_from_record(recorded, out, 0666);
		return;
	}
	dir = fs_dirname(dest);
	if (stat(dir, &sb) == 0)
		owner_from_dir(&sb, out);
	else
		*out = (struct fs_owner){ .known = false, .mode = 0600 };
	free(dir);
}

/* Make one directory with own, set on its descriptor. */
static int
mkdir_owned(const char *path, const struct fs_owner *own, struct vs_error *err)
{
	int fd;

	if (mkdir(path, 0700) != 0) {
		if (errno == EEXIST)
			return 0;
		return error_errno(err, VS_ERR_IO, errno, _("cannot create directory %s"), path);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fs_owner_apply(fd, own) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return error_errno(err, VS_ERR_IO, e, _("cannot set the owner and mode of %s"), path);
	}
	close(fd);
	return 0;
}

int
place_mkdir(const char *dir, const struct manifest_owner *recorded, struct vs_error *err)
{
	struct stat sb;
	struct fs_owner own;
	char *parent;
	int rc;

	if (lstat(dir, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return 0;
		return error_set(err, VS_ERR_IO, _("%s is not a directory"), dir);
	}
	if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
		return error_errno(err, VS_ERR_IO, ENOENT, _("cannot create directory %s"), dir);
	parent = fs_dirname(dir);
	rc = place_mkdir(parent, NULL, err);
	if (rc == 0) {
		if (recorded != NULL && recorded->known) {
			owner_from_record(recorded, &own, 0777);
		} else if (stat(parent, &sb) == 0) {
			own = (struct fs_owner){ .known = true, .uid = sb.st_uid, .gid = sb.st_gid,
			    .mode = sb.st_mode & 0775 };
		} else {
			own = (struct fs_owner){ .known = false, .mode = 0700 };
		}
		rc = mkdir_owned(dir, &own, err);
	}
	free(parent);
	return rc;
}

int
place_file(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const struct fs_owner *own, const char *phase,
    struct vs_error *err)
{
	struct job_meter meter;
	struct fs_owner mine;
	char *dir = fs_dirname(dest), *tmp = NULL;
	int fd = -1, rc = -1;

	job_meter_init(&meter, job, size);
	job_meter_phase(&meter, "%s", phase);
	if (own == NULL) {
		place_owner(dest, NULL, &mine);
		own = &mine;
	}
	if (place_mkdir(dir, NULL, err) != 0)
		goto out;
	fd = fs_temp_beside(dest, &tmp, err);
	if (fd < 0)
		goto out;
	if (fs_owner_apply(fd, own) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot set the owner and mode of %s"), tmp);
		goto fail;
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

char *
place_aside_name(const char *dest, const char *suffix)
{
	char *aside = xasprintf("%s.vsbackup-%s", dest, suffix);

	/* An earlier copy of the same name is someone's data: never reuse it. */
	for (int n = 2; fs_exists(aside); n++) {
		free(aside);
		aside = xasprintf("%s.vsbackup-%s.%d", dest, suffix, n);
	}
	return aside;
}

int
place_move_aside(const char *dest, const char *suffix, char **aside_out,
    struct vs_error *err)
{
	char *aside;
	int rc = 0;

	if (aside_out != NULL)
		*aside_out = NULL;
	if (!fs_exists(dest))
		return 0;
	aside = place_aside_name(dest, suffix);
	if (rename(dest, aside) != 0) {
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot move %s aside to %s"), dest, aside);
		free(aside);
		return rc;
	}
	if (aside_out != NULL)
		*aside_out = aside;
	else
		free(aside);
	return 0;
}
