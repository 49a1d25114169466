/*
 * The drill's side of the index probe: the request written, the probe
 * started (tied to the calling thread, so it dies with the drill), its
 * answer read and parsed.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "drill/probe.h"

#define PROBE_MAGIC "VSDPRB01"
#define PROBE_OUT_MAX (4 << 20)

static int
write_request(const char *path, const struct drill_probe_request *rq, struct vs_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int32_t dim = rq->dim, k = rq->k;
	uint64_t n = rq->n, m = rq->docs_known ? rq->ndocs : UINT64_MAX;
	int rc = -1;

	if (fd < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), path);
	if (fs_write_full(fd, PROBE_MAGIC, 8) != 0 || fs_write_full(fd, &dim, 4) != 0 ||
	    fs_write_full(fd, &k, 4) != 0 || fs_write_full(fd, &n, 8) != 0 ||
	    fs_write_full(fd, &m, 8) != 0 ||
	    fs_write_full(fd, rq->ids, rq->n * sizeof *rq->ids) != 0 ||
	    fs_write_full(fd, rq->vecs, rq->n * (size_t)rq->dim * sizeof *rq->vecs) != 0 ||
	    (rq->docs_known &&
	    fs_write_full(fd, rq->docids, rq->ndocs * sizeof *rq->docids) != 0)) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static void
ids_from_json(const cJSON *o, struct drill_probe_ids *x)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "count"), *e;

	memset(x, 0, sizeof *x);
	if (cJSON_IsNumber(v))
		x->count = (uint64_t)v->valuedouble;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "first")) {
		if (cJSON_IsNumber(e) && x->nfirst < DRILL_PROBE_FIRST)
			x->first[x->nfirst++] = (int64_t)e->valuedouble;
	}
}

static double
num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool
flag(const cJSON *o, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

static int
parse_answer(const char *text, struct drill_probe_result *res)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *kind;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return -1;
	}
	res->loaded = flag(o, "loaded");
	res->error = str(o, "error");
	if (res->error == NULL)
		res->error = str(o, "check_error");
	res->load_seconds = num(o, "load_seconds");
	res->check_seconds = num(o, "check_seconds");
	res->ntotal = (int64_t)num(o, "ntotal");
	res->dim = (int)num(o, "dim");
	res->metric = (int)num(o, "metric");
	kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
	if (cJSON_IsString(kind))
		snprintf(res->kind, sizeof res->kind, "%s", kind->valuestring);
	res->exact_search = flag(o, "exact_search");
	res->exact_storage = flag(o, "exact_storage");
	res->index_ids = (uint64_t)num(o, "index_ids");
	ids_from_json(cJSON_GetObjectItemCaseSensitive(o, "index_dup"), &res->index_dup);
	res->sample_checked = flag(o, "sample_checked");
	ids_from_json(cJSON_GetObjectItemCaseSensitive(o, "missing"), &res->missing);
	res->compared = flag(o, "compared");
	res->compare_note = str(o, "compare_note");
	res->ncompared = (uint64_t)num(o, "ncompared");
	ids_from_json(cJSON_GetObjectItemCaseSensitive(o, "differ"), &res->differ);
	res->max_diff = num(o, "max_diff");
	res->searched = flag(o, "searched");
	res->unit_norm = flag(o, "unit_norm");
	res->k = (int)num(o, "k");
	res->nsearched = (uint64_t)num(o, "nsearched");
	res->rank1 = (uint64_t)num(o, "rank1");
	res->topk = (uint64_t)num(o, "topk");
	ids_from_json(cJSON_GetObjectItemCaseSensitive(o, "not_found"), &res->not_found);
	res->divergence = flag(o, "divergence");
	ids_from_json(cJSON_GetObjectItemCaseSensitive(o, "docs_missing"), &res->docs_missing);
	ids_from_json(cJSON_GetObjectItemCaseSensitive(o, "unreferenced"), &res->unreferenced);
	cJSON_Delete(o);
	return 0;
}

/* The last line the probe wrote to its error file, for a message. */
static char *
error_tail(const char *path)
{
	char *text = NULL, *line;
	size_t len = 0;

	if (fs_read_all(path, 1 << 20, &text, &len, NULL) != 0 || len == 0) {
		free(text);
		return xstrdup("");
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	line = strrchr(text, '\n');
	line = xstrdup(line != NULL ? line + 1 : text);
	free(text);
	return line;
}

static pid_t
spawn(const char *exe, char *const argv[], int out_fd, const char *errpath,
    struct vs_error *err)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0) {
		error_errno(err, VS_ERR_FAILED, errno, _("cannot start the index probe %s"), exe);
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		sigset_t none;
		int fd;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		setpgid(0, 0);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0)
			dup2(fd, STDIN_FILENO);
		dup2(out_fd, STDOUT_FILENO);
		if ((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600)) >= 0)
			dup2(fd, STDERR_FILENO);
		close_range(3, ~0U, 0);
		execv(exe, argv);
		_exit(127);
	}
	return pid;
}

int
drill_probe_run(const char *exe, const char *dir, const char *name,
    const struct drill_probe_request *rq, bool (*cancelled)(void *), void *ud,
    struct drill_probe_result *res, struct vs_error *err)
{
	char *req = xasprintf("%s/probe-%s.req", dir, name);
	char *errpath = xasprintf("%s/probe-%s.err", dir, name);
	char limit[32], *out = xmalloc(PROBE_OUT_MAX + 1), *tail;
	char *argv[] = { (char *)exe, DRILL_PROBE_COMMAND, "--memory-limit", limit, req,
	    (char *)rq->index, NULL };
	size_t len = 0;
	int pfd[2] = { -1, -1 }, status = 0, rc = -1;
	pid_t pid = -1;
	bool killed = false;

	memset(res, 0, sizeof *res);
	snprintf(limit, sizeof limit, "%" PRIu64, rq->memory_limit);
	if (write_request(req, rq, err) != 0)
		goto out;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		error_errno(err, VS_ERR_FAILED, errno, _("cannot start the index probe"));
		goto out;
	}
	if ((pid = spawn(exe, argv, pfd[1], errpath, err)) < 0)
		goto out;
	close(pfd[1]);
	pfd[1] = -1;
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;
		int r = poll(&p, 1, 200);

		if (cancelled != NULL && cancelled(ud) && !killed) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (len >= PROBE_OUT_MAX) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(pfd[0], out + len, PROBE_OUT_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed) {
		error_set(err, VS_ERR_CANCELLED, _("cancelled"));
		goto out;
	}
	tail = error_tail(errpath);
	if (WIFSIGNALED(status)) {
		res->loaded = false;
		res->error = xasprintf(_("the index probe was killed by signal %d (%s) while "
		    "reading %s: a damaged or hostile index, or one larger than the memory limit "
		    "of %s bytes%s%s"), WTERMSIG(status), strsignal(WTERMSIG(status)), rq->index,
		    limit, tail[0] ? ": " : "", tail);
		free(tail);
		rc = 0;
		goto out;
	}
	if (parse_answer(out, res) != 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && tail[0] == '\0')
			error_set(err, VS_ERR_FAILED, _("cannot run the index probe %s"), exe);
		else
			error_set(err, VS_ERR_FAILED, _("the index probe for %s gave no answer "
			    "(exit status %d)%s%s"), rq->index, WIFEXITED(status) ?
			    WEXITSTATUS(status) : -1, tail[0] ? ": " : "", tail);
		free(tail);
		goto out;
	}
	free(tail);
	rc = 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	unlink(req);
	free(req);
	free(errpath);
	free(out);
	return rc;
}

void
drill_probe_result_clear(struct drill_probe_result *res)
{
	free(res->error);
	free(res->compare_note);
	memset(res, 0, sizeof *res);
}
