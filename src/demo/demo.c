/*
 * The demo sandbox (see demo.h for the layout of its directory).
 *
 * This file creates, checks and stops the demo: it chooses and prepares
 * the directory, then has demo-redis.c start the server, demo-fill.c fill
 * it and the indexes with what demo-generate.c makes, and demo-config.c
 * write the configuration.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "demo/demo.h"
#include "demo/demo.intern.h"

#define DEMO_MARKER ".vsbackup-demo"
#define DEMO_MARKER_MAGIC "vsbackup demo directory\n"

static void
demo_paths_init(struct demo_paths *p, const char *dir)
{
	p->dir = xstrdup(dir);
	p->marker = fs_join(dir, DEMO_MARKER);
	p->config = fs_join(dir, "vsbackup.conf");
	p->socket = fs_join(dir, "redis.sock");
	p->redis_dir = fs_join(dir, "redis");
	p->redis_conf = fs_join(p->redis_dir, "redis.conf");
	p->redis_pid = fs_join(p->redis_dir, "redis.pid");
	p->redis_log = fs_join(p->redis_dir, "redis.log");
	p->index_dir = fs_join(dir, "indexes");
	p->content_index = fs_join(p->index_dir, "content_index.faiss");
	p->user_index = fs_join(p->index_dir, "user_index.faiss");
	p->backup_dir = fs_join(dir, "backups");
}

static void
demo_paths_free(struct demo_paths *p)
{
	free(p->dir);
	free(p->marker);
	free(p->config);
	free(p->socket);
	free(p->redis_dir);
	free(p->redis_conf);
	free(p->redis_pid);
	free(p->redis_log);
	free(p->index_dir);
	free(p->content_index);
	free(p->user_index);
	free(p->backup_dir);
}

/* ---- small helpers ---- */

static double
demo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
demo_progress(const struct demo_options *opt, const char *phase, uint64_t done,
    uint64_t total)
{
	if (opt->progress != NULL)
		opt->progress(opt->progress_arg, phase, done, total);
}

int
demo_cancelled(const struct demo_options *opt, struct vs_error *err)
{
	if (opt->cancel != NULL && *opt->cancel)
		return error_set(err, VS_ERR_CANCELLED, _("demo creation interrupted"));
	return 0;
}

/* path made absolute against the working directory, without trailing '/'. */
static char *
demo_abspath(const char *path)
{
	char *abs, cwd[4096];
	size_t n;

	if (path[0] == '/') {
		abs = xstrdup(path);
	} else {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return xstrdup(path);
		abs = fs_join(cwd, path);
	}
	n = strlen(abs);
	while (n > 1 && abs[n - 1] == '/')
		abs[--n] = '\0';
	return abs;
}

/* The absolute path of an executable found in $PATH, or NULL. */
static char *
demo_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;

	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		char *full = fs_join(*dir ? dir : ".", name);
		struct stat st;

		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
			free(copy);
			return full;
		}
		free(full);
	}
	free(copy);
	return NULL;
}

/* ---- the directory ---- */

static bool
demo_dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool empty = true;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = false;
			break;
		}
	closedir(d);
	return empty;
}

static bool
demo_has_marker(const char *dir)
{
	char *marker = fs_join(dir, DEMO_MARKER), *data;
	size_t len;
	struct vs_error err;
	bool yes = false;

	if (fs_read_all(marker, 4096, &data, &len, &err) == 0) {
		yes = strncmp(data, DEMO_MARKER_MAGIC, strlen(DEMO_MARKER_MAGIC)) == 0;
		free(data);
	}
	free(marker);
	return yes;
}

bool
demo_is_running(const char *dir)
{
	struct demo_paths p;
	redisContext *c;
	bool running;

	demo_paths_init(&p, dir);
	running = demo_redis_pid(p.redis_pid) > 0;
	if (!running && (c = demo_redis_connect(p.socket, 1000)) != NULL) {
		running = true;
		redisFree(c);
	}
	demo_paths_free(&p);
	return running;
}

/*
 * Choose and prepare the directory: a new one, an empty one, or a stopped
 * demo whose old data goes (its backups stay). Sets *created when the call
 * made the directory, so a failure can remove it again.
 */
static int
demo_prepare_dir(const struct demo_options *opt, char **out, bool *created,
    struct vs_error *err)
{
	struct stat st;
	char *dir;

	*created = false;
	if (opt->dir == NULL) {
		const char *base = getenv("TMPDIR");
		char *abs;

		if (base == NULL || *base == '\0')
			base = "/tmp";
		abs = demo_abspath(base);
		dir = xasprintf("%s/vsbackup-demo.XXXXXX", abs);
		free(abs);
		if (mkdtemp(dir) == NULL) {
			error_errno(err, VS_ERR_IO, errno, _("cannot create a directory like %s"), dir);
			free(dir);
			return -1;
		}
		*created = true;
		*out = dir;
		return 0;
	}

	dir = demo_abspath(opt->dir);
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT) {
			error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), dir);
			free(dir);
			return -1;
		}
		if (fs_mkdir_p(dir, 0700, err) != 0) {
			free(dir);
			return -1;
		}
		*created = true;
		*out = dir;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		error_set(err, VS_ERR_REFUSED, _("%s exists and is not a directory; choose another --dir"),
		    dir);
		free(dir);
		return -1;
	}
	if (!demo_dir_is_empty(dir)) {
		struct demo_paths p;
		int rc = 0;

		if (!demo_has_marker(dir)) {
			error_set(err, VS_ERR_REFUSED,
			    _("%s is not empty and is not a vsbackup demo directory; "
			      "choose a new or empty directory, or leave out --dir to create one"), dir);
			free(dir);
			return -1;
		}
		if (demo_is_running(dir)) {
			error_set(err, VS_ERR_REFUSED,
			    _("a demo is already running in %s; stop it first with: "
			      "vsbackup demo --stop --dir %s"), dir, dir);
			free(dir);
			return -1;
		}
		/* A stopped demo: rebuild it, keep what was backed up. */
		demo_paths_init(&p, dir);
		if (fs_remove_tree(p.redis_dir, err) != 0 ||
		    fs_remove_tree(p.index_dir, err) != 0 ||
		    fs_remove_tree(p.socket, err) != 0 ||
		    fs_remove_tree(p.config, err) != 0)
			rc = -1;
		demo_paths_free(&p);
		if (rc != 0) {
			free(dir);
			return -1;
		}
	}
	*out = dir;
	return 0;
}

static int
demo_write_marker(const struct demo_paths *p, const struct demo_options *opt,
    struct vs_error *err)
{
	char *text = xasprintf("%s"
	    "vectors=%lld\nusers=%lld\ndim=%d\nseed=%llu\n",
	    DEMO_MARKER_MAGIC, opt->vectors, opt->users, opt->dim,
	    (unsigned long long)opt->seed);
	int rc = fs_write_atomic(p->marker, text, strlen(text), 0644, err);

	free(text);
	return rc;
}

int
demo_create(const struct demo_options *opt, struct demo_result *res,
    struct vs_error *err)
{
	struct sockaddr_un sa;
	struct demo_paths p;
	char *dir = NULL, *server = NULL, *cli = NULL;
	bool created = false, started = false, dummy;
	redisContext *c = NULL;
	double t0 = demo_now();
	struct vs_error ignored;
	int rc = -1;

	memset(res, 0, sizeof *res);
	if (opt->vectors < 0 || opt->vectors > DEMO_MAX_DOCUMENTS ||
	    opt->users < 0 || opt->users > DEMO_MAX_DOCUMENTS ||
	    opt->dim < 1 || opt->dim > DEMO_MAX_DIM)
		return error_set(err, VS_ERR_USAGE, _("demo sizes out of range"));

	/* Find the programs before touching anything. */
	if ((server = demo_which("redis-server")) == NULL)
		return error_set(err, VS_ERR_NOTFOUND,
		    _("redis-server was not found in PATH; the demo runs its own Redis server. "
		      "On Debian or Ubuntu install it with: apt-get install redis-server"));
	cli = demo_which("redis-cli");

	if (demo_prepare_dir(opt, &dir, &created, err) != 0)
		goto out_free;
	demo_paths_init(&p, dir);
	if (strlen(p.socket) >= sizeof sa.sun_path) {
		error_set(err, VS_ERR_REFUSED,
		    _("the socket path %s is %zu bytes long, more than a unix socket allows (%zu); "
		      "choose a shorter --dir"), p.socket, strlen(p.socket), sizeof sa.sun_path - 1);
		goto out;
	}
	if (demo_write_marker(&p, opt, err) != 0 ||
	    fs_mkdir_p(p.redis_dir, 0700, err) != 0 ||
	    fs_mkdir_p(p.index_dir, 0755, err) != 0 ||
	    fs_mkdir_p(p.backup_dir, 0700, err) != 0 ||
	    demo_write_redis_conf(&p, err) != 0)
		goto out;

	demo_progress(opt, _("starting redis-server"), 0, 0);
	if (demo_redis_start(&p, server, err) != 0)
		goto out;
	started = true;
	if ((c = demo_redis_connect(p.socket, 30000)) == NULL) {
		error_set(err, VS_ERR_REDIS, _("cannot connect to the demo Redis server on %s"),
		    p.socket);
		goto out;
	}

	const struct demo_collection cols[] = {
		{ "chimera-vectors:", N_("storing content documents in Redis"),
		  N_("writing the content index"), opt->vectors, demo_ncategories,
		  0x636f6e74656e74ULL, demo_content_fields, p.content_index },
		{ "chimera-users:", N_("storing user documents in Redis"),
		  N_("writing the user index"), opt->users, demo_nsegments,
		  0x7573657273ULL, demo_user_fields, p.user_index },
	};
	for (size_t i = 0; i < NELEM(cols); i++)
		if (demo_fill(opt, c, p.socket, &cols[i], err) != 0)
			goto out;

	demo_progress(opt, _("writing vsbackup.conf"), 0, 0);
	if (demo_write_config(&p, server, cli, err) != 0)
		goto out;

	res->dir = xstrdup(p.dir);
	res->config_path = xstrdup(p.config);
	res->socket = xstrdup(p.socket);
	res->content_index = xstrdup(p.content_index);
	res->user_index = xstrdup(p.user_index);
	res->backup_dir = xstrdup(p.backup_dir);
	res->seconds = demo_now() - t0;
	rc = 0;
out:
	if (c != NULL)
		redisFree(c);
	if (rc != 0) {
		/* Undo: the server must not outlive a failed demo. */
		if (started)
			demo_redis_shutdown(p.socket, p.redis_pid, &dummy, &ignored);
		if (created)
			fs_remove_tree(p.dir, &ignored);
	}
	demo_paths_free(&p);
out_free:
	free(dir);
	free(server);
	free(cli);
	return rc;
}

void
demo_result_free(struct demo_result *res)
{
	free(res->dir);
	free(res->config_path);
	free(res->socket);
	free(res->content_index);
	free(res->user_index);
	free(res->backup_dir);
	memset(res, 0, sizeof *res);
}

int
demo_stop(const char *dir, bool *was_running, struct vs_error *err)
{
	struct demo_paths p;
	char *abs = demo_abspath(dir);
	struct stat st;
	int rc;

	*was_running = false;
	if (stat(abs, &st) != 0) {
		rc = error_errno(err, errno == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, errno,
		    _("cannot stop the demo in %s"), abs);
		free(abs);
		return rc;
	}
	if (!demo_has_marker(abs)) {
		rc = error_set(err, VS_ERR_REFUSED,
		    _("%s is not a vsbackup demo directory (it has no %s file); nothing was stopped"),
		    abs, DEMO_MARKER);
		free(abs);
		return rc;
	}
	demo_paths_init(&p, abs);
	rc = demo_redis_shutdown(p.socket, p.redis_pid, was_running, err);
	demo_paths_free(&p);
	free(abs);
	return rc;
}
