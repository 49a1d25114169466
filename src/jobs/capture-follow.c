/* Reading a Redis snapshot while Redis writes it (capture.h). */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/live-open.h"
#include "common/xmalloc.h"
#include "jobs/capture.h"
#include "redis/redis-info.h"

/* How long the child may take to create its file after the fork. */
#define FIND_MS 500
/* At the end of what is written: wait this long before reading again. */
#define WAIT_MS 4
/* While waiting: how often to ask Redis whether the save still runs. */
#define INFO_MS 250

struct capture_follow {
	int dirfd;
	int fd;
	char name[64];            /* temp-PID.rdb */
	dev_t dev;
	ino_t ino;
	uint64_t estimate;
	bool complete;            /* renamed into place and shown to be ours */
	int64_t info_ms;          /* when INFO was last asked */
};

/* Redis's name for the file a save writes: temp-PID.rdb. */
static bool
temp_name(const char *name)
{
	const char *p;

	if (strncmp(name, "temp-", 5) != 0)
		return false;
	for (p = name + 5; isdigit((unsigned char)*p); p++)
		;
	return p > name + 5 && strcmp(p, ".rdb") == 0 && strlen(name) < 64;
}

/* The one file in dirfd that a save started since since (wall clock,
 * seconds) is writing: 1 found (name), 0 none yet, -1 more than one. */
static int
find_temp(int dirfd, time_t since, char name[64])
{
	struct dirent *de;
	DIR *d;
	int fd = dup(dirfd), n = 0;

	if (fd < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (!temp_name(de->d_name) ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime < since)
			continue;
		snprintf(name, 64, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n > 1 ? -1 : n;
}

static void
follow_free(struct capture_follow *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f);
}

/* Is p's save still running? (A small one may be over before its file
 * is looked for.) */
static bool
save_running(struct capture_part *p)
{
	struct redis_persistence ps;
	struct vs_error err;

	error_clear(&err);
	if (redis_info_fetch_persistence(p->conn, &ps, &err) < 0)
		return false;
	return ps.bgsave_in_progress && (p->bs.saves < 0 || ps.saves == p->bs.saves);
}

/* Find and open the file part p's save is writing; NULL when not found. */
static struct capture_follow *
follow_open(struct job *job, struct capture_part *p, time_t since)
{
	struct capture_follow *f = xcalloc(1, sizeof *f);
	char *dir = fs_dirname(p->rdb_path), *path = NULL;
	int64_t until = redis_now_ms() + FIND_MS;
	struct vs_error err;
	struct stat st;
	int r;

	f->fd = -1;
	f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dirfd < 0)
		goto fail;
	if (fstatat(f->dirfd, strrchr(p->rdb_path, '/') != NULL ? strrchr(p->rdb_path, '/') + 1 :
	    p->rdb_path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
		f->estimate = (uint64_t)st.st_size;
	while ((r = find_temp(f->dirfd, since, f->name)) == 0 && redis_now_ms() < until &&
	    !job_cancelled(job) && save_running(p))
		redis_sleep_ms(WAIT_MS);
	if (r != 1)
		goto fail;
	path = xasprintf("%s/%s", dir, f->name);
	error_clear(&err);
	if (live_open("redis.dbfilename", path, 0, &f->fd, &st, &err) != 0)
		goto fail;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->info_ms = redis_now_ms();
	free(path);
	free(dir);
	return f;
fail:
	free(path);
	free(dir);
	follow_free(f);
	return NULL;
}

void
capture_follow_start(struct job *job, struct capture *c)
{
	struct timespec now;
	time_t since;

	/* The file's mtime is at least the moment of the fork, just now; a
	 * file older than that is left from an earlier save. */
	clock_gettime(CLOCK_REALTIME, &now);
	since = now.tv_sec - 2;
	for (size_t i = 0; i < c->nparts; i++) {
		struct capture_part *p = &c->parts[i];

		if (p->mode == CAPTURE_FILE && p->rdb_path != NULL && p->rdb_path[0] == '/')
			p->follow = follow_open(job, p, since);
	}
}

void
capture_follow_stop(struct capture_part *p)
{
	follow_free(p->follow);
	p->follow = NULL;
}

uint64_t
capture_follow_estimate(const struct capture_part *p)
{
	return p->follow != NULL ? p->follow->estimate : 0;
}

struct watch_ctx {
	struct job *job;
};

static void
watch_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	(void)done;
	(void)total;
}

static bool
watch_cancelled(void *arg)
{
	return job_cancelled(((struct watch_ctx *)arg)->job);
}

/*
 * At the end of what has been written: 0 while Redis still writes (after
 * a short wait), 1 when the save is complete and the file in place is the
 * one read, 2 when that cannot be shown (reader->fallback, err says why),
 * -1 on an error.
 */
static int
follow_check(struct capture_reader *cr, struct vs_error *err)
{
	struct watch_ctx wc = { cr->job };
	struct redis_watch w = { watch_progress, watch_cancelled, &wc };
	struct capture_part *p = cr->part;
	struct capture_follow *f = p->follow;
	struct stat st;
	char *path = NULL;
	int fd, r;

	if (fstatat(f->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino) {
		/* Still under its temporary name: being written, unless the
		 * save ended another way. */
		if (redis_now_ms() - f->info_ms >= INFO_MS) {
			struct redis_persistence ps;

			if (redis_info_fetch_persistence(p->conn, &ps, err) < 0)
				return -1;
			f->info_ms = redis_now_ms();
			if (!ps.bgsave_in_progress || (p->bs.saves >= 0 && ps.saves > p->bs.saves)) {
				cr->fallback = true;
				error_set(err, VS_ERR_FAILED, _("the save ended, but %s was not "
				    "renamed into place"), f->name);
				return 2;
			}
		}
		if (job_cancelled(cr->job)) {
			job_cancel_error(err);
			return -1;
		}
		redis_sleep_ms(WAIT_MS);
		return 0;
	}
	/*
	 * Renamed (or removed): the save is over. The rename is the last step
	 * of a save that succeeded (its data written and synced), and the
	 * same inode in place below shows that it was renamed; so Redis need
	 * not be waited for until it notices its child's exit (up to its cron
	 * period), except before 7.0, where that is how the file is shown to
	 * be current. Anything unexpected is left to the finished file's
	 * path, which reports a failed save as such.
	 */
	if (p->bs.saves < 0 && redis_bgsave_wait(p->conn, &p->bs, &w, err) != 0)
		return -1;
	r = redis_rdb_open(p->conn, &p->bs, &fd, &path, err);
	if (r != 0) {
		cr->fallback = true;
		return 2;
	}
	if (fstat(fd, &st) != 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
		close(fd);
		cr->fallback = true;
		error_set(err, VS_ERR_FAILED, _("%s is not the file Redis wrote as %s"), path,
		    f->name);
		free(path);
		return 2;
	}
	capture_take_rdb(p, fd, path, (uint64_t)st.st_size);
	f->complete = true;
	return 1;
}

static int
follow_read(void *ud, void *buf, size_t len, uint64_t off, size_t *got, struct vs_error *err)
{
	struct capture_reader *cr = ud;
	struct capture_follow *f = cr->part->follow;

	*got = 0;
	for (;;) {
		ssize_t n = pread(f->fd, buf, len, (off_t)off);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), f->name);
		if (n > 0) {
			*got = (size_t)n;
			return 0;
		}
		if (f->complete) {
			/* Everything up to the size of the file in place. */
			if (off != cr->part->rdb.size) {
				cr->fallback = true;
				return error_set(err, VS_ERR_FAILED, _("%s ended after %llu bytes, "
				    "%llu were expected"), f->name, (unsigned long long)off,
				    (unsigned long long)cr->part->rdb.size);
			}
			cr->part->followed = true;
			return 0;
		}
		r = follow_check(cr, err);
		if (r < 0 || r == 2)
			return -1;
	}
}

const struct repo_source capture_follow_source = { .read = follow_read };
