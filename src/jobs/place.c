#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
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

/* Make the staged copy of file in a temp file beside at. */
static int
stage_beside(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const char *at, const struct fs_owner *own,
    const char *phase, struct place_staged *out, struct vs_error *err)
{
	struct job_meter meter;
	struct fs_owner mine;
	char *dir = fs_dirname(at), *tmp = NULL;
	int fd = -1, rc = -1;

	out->dest = NULL;
	out->tmp = NULL;
	job_meter_init(&meter, job, size);
	job_meter_phase(&meter, "%s", phase);
	if (own == NULL) {
		place_owner(dest, NULL, &mine);
		own = &mine;
	}
	if (place_mkdir(dir, NULL, err) != 0)
		goto out;
	fd = fs_temp_beside(at, &tmp, err);
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
	out->dest = xstrdup(dest);
	out->tmp = tmp;
	tmp = NULL;
	rc = 0;
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
place_stage(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const struct fs_owner *own, const char *phase,
    struct place_staged *out, struct vs_error *err)
{
	return stage_beside(job, st, id, file, size, dest, dest, own, phase, out, err);
}

int
place_stage_in(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const char *dir, const struct fs_owner *own,
    const char *phase, struct place_staged *out, struct vs_error *err)
{
	const char *slash = strrchr(dest, '/');
	char *at = fs_join(dir, slash != NULL ? slash + 1 : dest), *pattern;
	glob_t g;
	int rc;

	/* Left by a run that was killed: only names fs_temp_beside makes. */
	pattern = xasprintf("%s/.%s.vsbackup-??????", dir, slash != NULL ? slash + 1 : dest);
	if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
	free(pattern);
	rc = stage_beside(job, st, id, file, size, dest, at, own, phase, out, err);
	free(at);
	return rc;
}

/* Copy the staged file src into a new temp file beside dest, with src's
 * owner and mode; its name to *tmp. */
static int
copy_beside(const char *src, const char *dest, char **tmp, struct vs_error *err)
{
	char *buf = NULL;
	struct stat sb;
	struct fs_owner own;
	ssize_t n;
	int in, out = -1, rc = -1;

	*tmp = NULL;
	in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 || fstat(in, &sb) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), src);
		goto out;
	}
	own = (struct fs_owner){ .known = true, .uid = sb.st_uid, .gid = sb.st_gid,
	    .mode = sb.st_mode & 0777 };
	if ((out = fs_temp_beside(dest, tmp, err)) < 0)
		goto out;
	if (fs_owner_apply(out, &own) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot set the owner and mode of %s"), *tmp);
		goto out;
	}
	buf = xmalloc(1024 * 1024);
	while ((n = read(in, buf, 1024 * 1024)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), src);
			goto out;
		}
		if (fs_write_full(out, buf, (size_t)n) != 0) {
			error_errno(err, errno == ENOSPC ? VS_ERR_NOSPACE : VS_ERR_IO, errno,
			    _("cannot write %s"), *tmp);
			goto out;
		}
	}
	if (fsync(out) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), *tmp);
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), *tmp);
	if (rc != 0 && *tmp != NULL) {
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	free(buf);
	return rc;
}

int
place_commit(struct place_staged *s, struct vs_error *err)
{
	char *dir = fs_dirname(s->dest), *copy = NULL;
	int rc = -1;

	if (rename(s->tmp, s->dest) == 0) {
		free(s->tmp);
		s->tmp = NULL;
		rc = fs_fsync_dir(dir, err);
	} else if (errno != EXDEV) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), s->tmp, s->dest);
	} else if (copy_beside(s->tmp, s->dest, &copy, err) == 0) {
		/* Staged on another file system: copied beside dest, then
		 * renamed as above. */
		if (rename(copy, s->dest) != 0) {
			error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), copy, s->dest);
			unlink(copy);
		} else {
			rc = fs_fsync_dir(dir, err);
		}
	}
	free(copy);
	free(dir);
	place_unstage(s);
	return rc;
}

void
place_unstage(struct place_staged *s)
{
	if (s->tmp != NULL)
		unlink(s->tmp);
	free(s->tmp);
	free(s->dest);
	s->tmp = s->dest = NULL;
}

int
place_file(struct job *job, struct storage *st, const char *id, const char *file,
    uint64_t size, const char *dest, const struct fs_owner *own, const char *phase,
    struct vs_error *err)
{
	struct place_staged s;

	if (place_stage(job, st, id, file, size, dest, own, phase, &s, err) != 0)
		return -1;
	return place_commit(&s, err);
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
