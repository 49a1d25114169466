/*
 * Loading an index with FAISS itself, in a child process with limits.
 *
 * FAISS's reader trusts the file: a 69-byte index can make it divide by
 * zero (SIGFPE kills the process), a 145-byte one allocate and clear a
 * gigabyte a size field names. Deep verification reads index files out of
 * backups, which may be damaged or crafted, so the load runs in a child:
 * the vsbackup binary itself, started again with FAISS_LOADER_ARG (exec,
 * not a bare fork: the parent has threads, and only exec gives the child a
 * clean process), with the file on its standard input, limits on its
 * memory (RLIMIT_DATA, or the sanitizer allocator's own limits in a
 * sanitized build, which cannot run under RLIMIT_DATA) and CPU time, no
 * core dump, and one line of answer on descriptor 3. A crash, a limit hit
 * or an answer that is not one is "the index does not load".
 *
 * posix_spawn starts the child; nothing runs between its fork and exec
 * but the file actions, so the parent's threads and locks do not matter.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_io_c.h>

#include "common/i18n.h"
#include "common/termsafe.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "faiss/faiss-index.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAISS_LOADER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAISS_LOADER_ASAN 1
#endif
#endif

/* Memory: a fixed allowance for the program itself plus twice the file
 * (FAISS holds an index in about its file's size). CPU: a minute plus
 * half a minute per GiB; the parent waits twice that in real time. */
#define FAISS_LOADER_BASE_MEM (512ULL << 20)
#define FAISS_LOADER_BASE_CPU 60
#define FAISS_LOADER_CPU_PER_GIB 30
#define FAISS_LOADER_RESULT_FD 3
#define FAISS_LOADER_ANSWER_MAX 4096

extern char **environ;

/* --- the child ------------------------------------------------------------ */

static void
faiss_loader_answer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
faiss_loader_answer(const char *fmt, ...)
{
	char buf[FAISS_LOADER_ANSWER_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	/* One line: a newline inside FAISS's message would end it early. */
	for (int i = 0; i < n - 1; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	if (write(FAISS_LOADER_RESULT_FD, buf, (size_t)n) < 0) {
		/* The parent is gone; nothing to tell. */
	}
}

static void
faiss_loader_limit(int resource, unsigned long long soft, unsigned long long hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	if (setrlimit(resource, &rl) != 0)
		_exit(4);
}

/* argv: program, FAISS_LOADER_ARG, memory bytes, CPU seconds. */
static int
faiss_loader_child(int argc, char **argv)
{
	unsigned long long mem, cpu;
	FaissIndex *index = NULL;
	FILE *fp;

	if (argc != 4)
		_exit(2);
	mem = strtoull(argv[2], NULL, 10);
	cpu = strtoull(argv[3], NULL, 10);
	faiss_loader_limit(RLIMIT_CORE, 0, 0);
	faiss_loader_limit(RLIMIT_FSIZE, 0, 0);
	faiss_loader_limit(RLIMIT_CPU, cpu, cpu + 5);
#ifndef FAISS_LOADER_ASAN
	faiss_loader_limit(RLIMIT_DATA, mem, mem);
#else
	(void)mem;            /* ASAN_OPTIONS carries the limits */
#endif
	if ((fp = fdopen(STDIN_FILENO, "rb")) == NULL)
		_exit(5);
	if (faiss_read_index(fp, 0, &index) != 0) {
		const char *msg = faiss_get_last_error();

		faiss_loader_answer("error %s\n", msg != NULL && *msg != '\0' ? msg : "?");
		_exit(1);
	}
	if (index == NULL) {
		faiss_loader_answer("empty\n");
		_exit(1);
	}
	faiss_loader_answer("ok %" PRId64 " %d\n", (int64_t)faiss_Index_ntotal(index),
	    faiss_Index_d(index));
	/* No cleanup: the process ends here (and _exit skips leak checks of
	 * what FAISS keeps). */
	_exit(0);
}

void
faiss_loader_dispatch(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], FAISS_LOADER_ARG) == 0)
		faiss_loader_child(argc, argv);
}

/* --- the parent ------------------------------------------------------------ */

/* The child's environment: ours, with one thread for OpenMP and OpenBLAS
 * (loading needs none, and each costs memory) and, in a sanitized build,
 * the allocator's limits. */
static char **
faiss_loader_env(unsigned long long mem)
{
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 4, sizeof *env);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "OMP_NUM_THREADS=", 16) != 0 &&
		    strncmp(environ[i], "OPENBLAS_NUM_THREADS=", 21) != 0 &&
		    strncmp(environ[i], "ASAN_OPTIONS=", 13) != 0)
			env[k++] = xstrdup(environ[i]);
	env[k++] = xstrdup("OMP_NUM_THREADS=1");
	env[k++] = xstrdup("OPENBLAS_NUM_THREADS=1");
#ifdef FAISS_LOADER_ASAN
	{
		const char *old = getenv("ASAN_OPTIONS");

		/* A crash is left to kill the child, as without ASan, so
		 * the parent names the signal. */
		env[k++] = xasprintf("ASAN_OPTIONS=%s%sallocator_may_return_null=1:"
		    "max_allocation_size_mb=%llu:hard_rss_limit_mb=%llu:detect_leaks=0:"
		    "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0",
		    old != NULL ? old : "", old != NULL && *old != '\0' ? ":" : "",
		    mem >> 20, (mem >> 20) + 256);
	}
#else
	(void)mem;
#endif
	env[k] = NULL;
	return env;
}

static void
faiss_loader_env_free(char **env)
{
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

static const char *
faiss_loader_signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGFPE, "SIGFPE" }, { SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" },
		{ SIGABRT, "SIGABRT" }, { SIGILL, "SIGILL" }, { SIGKILL, "SIGKILL" },
		{ SIGXCPU, "SIGXCPU" }, { SIGTRAP, "SIGTRAP" },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].sig == sig)
			return names[i].name;
	return "?";
}

static double
faiss_loader_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read the child's answer until it closes the pipe or the time is up;
 * false when the time ran out. */
static bool
faiss_loader_read(int fd, char *buf, size_t size, double deadline)
{
	size_t len = 0;

	buf[0] = '\0';
	for (;;) {
		double left = deadline - faiss_loader_now();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r;

		if (left <= 0)
			return false;
		r = poll(&pfd, 1, left > 1e6 ? 1000000000 : (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? false : true;
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;
		len += (size_t)n;
		buf[len] = '\0';
		if (len == size - 1)
			return true;
	}
}

/* Turn what the child said and how it ended into the result. */
static int
faiss_loader_judge(const char *path, const char *answer, bool in_time, int status,
    unsigned long long mem, unsigned long long cpu, int64_t *ntotal, int *dim,
    struct vs_error *err)
{
	long long nt;
	int d;
	char *safe;

	if (!in_time)
		return error_set(err, VS_ERR_FAISS,
		    _("FAISS cannot load index %s: it did not finish within %llu seconds "
		      "(the file is damaged or is not what its header says)"), path, cpu * 2);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig == SIGXCPU)
			return error_set(err, VS_ERR_FAISS,
			    _("FAISS cannot load index %s: reading it took more than %llu seconds "
			      "of CPU (the file is damaged or is not what its header says)"),
			    path, cpu);
		return error_set(err, VS_ERR_FAISS,
		    _("FAISS cannot load index %s: reading it crashed FAISS (%s); the file is "
		      "damaged or is not what its header says"), path,
		    faiss_loader_signal_name(sig));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    sscanf(answer, "ok %lld %d", &nt, &d) == 2) {
		*ntotal = (int64_t)nt;
		*dim = d;
		return 0;
	}
	if (WIFEXITED(status) && strncmp(answer, "empty", 5) == 0)
		return error_set(err, VS_ERR_FAISS,
		    _("FAISS cannot load index %s: the file holds an empty placeholder, not an index"),
		    path);
	if (WIFEXITED(status) && strncmp(answer, "error ", 6) == 0) {
		answer += 6;
		safe = termsafe_ndup(answer, strcspn(answer, "\n"), 512);
		if (strstr(answer, "bad_alloc") != NULL || strstr(answer, "Cannot allocate") != NULL)
			error_set(err, VS_ERR_FAISS,
			    _("FAISS cannot load index %s: it asks for more than %llu MiB of memory, "
			      "more than an index of its size holds (the file is damaged or is not "
			      "what its header says): %s"), path, mem >> 20, safe);
		else
			error_set(err, VS_ERR_FAISS, _("FAISS cannot load index %s: %s"), path, safe);
		free(safe);
		return -1;
	}
	return error_set(err, VS_ERR_FAISS,
	    _("FAISS cannot load index %s: the loader ended with status %d without an "
	      "answer (out of memory, or the file is damaged)"), path,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int
faiss_index_load_info(const char *path, int64_t *ntotal, int *dim,
    struct vs_error *err)
{
	char *argv[5], mem_arg[32], cpu_arg[32], answer[FAISS_LOADER_ANSWER_MAX], **env;
	posix_spawn_file_actions_t fa;
	unsigned long long mem, cpu;
	struct faiss_header h;
	int fd, pfd[2], status = 0, rc;
	bool in_time;
	pid_t pid;

	/*
	 * The header check first, on the descriptor the child will read: it
	 * names a missing, foreign or truncated file more clearly than FAISS.
	 * A link or a FIFO is not an index vsbackup put there.
	 */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return error_errno(err, errno == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, errno,
		    _("cannot open FAISS index %s"), path);
	if (faiss_header_read(fd, path, &h, err) != 0) {
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, 0) != 0 || pipe2(pfd, O_CLOEXEC) != 0) {
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot start the FAISS loader"));
		close(fd);
		return rc;
	}
	mem = FAISS_LOADER_BASE_MEM + 2 * (unsigned long long)h.file_size;
	cpu = FAISS_LOADER_BASE_CPU + FAISS_LOADER_CPU_PER_GIB *
	    ((unsigned long long)h.file_size >> 30);
	snprintf(mem_arg, sizeof mem_arg, "%llu", mem);
	snprintf(cpu_arg, sizeof cpu_arg, "%llu", cpu);
	argv[0] = (char *)"vsbackup-faiss-loader";
	argv[1] = (char *)FAISS_LOADER_ARG;
	argv[2] = mem_arg;
	argv[3] = cpu_arg;
	argv[4] = NULL;
	env = faiss_loader_env(mem);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], FAISS_LOADER_RESULT_FD);
	rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	faiss_loader_env_free(env);
	close(pfd[1]);
	close(fd);
	if (rc != 0) {
		close(pfd[0]);
		return error_errno(err, VS_ERR_FAISS, rc,
		    _("cannot start the FAISS loader (/proc/self/exe)"));
	}
	in_time = faiss_loader_read(pfd[0], answer, sizeof answer,
	    faiss_loader_now() + 2.0 * (double)cpu);
	close(pfd[0]);
	if (!in_time)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return faiss_loader_judge(path, answer, in_time, status, mem, cpu, ntotal, dim, err);
}
