/*
 * The demo sandbox (see demo.h for the layout of its directory).
 *
 * Documents are generated, sent to Redis and added to the FAISS index one
 * batch at a time, so memory holds one batch of text (plus FAISS's own copy
 * of the vectors). The Redis pipeline keeps one batch in flight while the
 * next is generated: Redis parses on one core while we format on the other.
 *
 * Vectors are unit length (inner product = cosine similarity, the metric of
 * the indexes, see faiss-index.h) and grouped around one centre per
 * category or segment, so similar documents really are near each other.
 * Every component is rounded to six decimals before it goes anywhere: the
 * JSON text and the float in the index are then the same number.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "config/conf.h"
#include "demo/demo.h"
#include "faiss/faiss-index.h"

#define DEMO_MARKER ".vsbackup-demo"
#define DEMO_MARKER_MAGIC "vsbackup demo directory\n"
#define DEMO_BATCH 256

/* Timestamps in the documents end here (2025-06-01T00:00:00Z), so the same
 * seed gives the same documents whenever the demo runs. */
#define DEMO_TIME_END 1748736000LL

#define DEMO_START_TIMEOUT_MS 10000
#define DEMO_STOP_TIMEOUT_MS 10000

struct demo_paths {
	char *dir;
	char *marker;
	char *config;
	char *socket;
	char *redis_dir;
	char *redis_conf;
	char *redis_pid;
	char *redis_log;
	char *index_dir;
	char *content_index;
	char *user_index;
	char *backup_dir;
};

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

/* ---- random numbers: splitmix64, small and fast, fixed by the seed ---- */

struct demo_rng {
	uint64_t s;
};

static uint64_t
demo_rand(struct demo_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
demo_rand_below(struct demo_rng *r, uint32_t n)
{
	return (uint32_t)(((demo_rand(r) >> 32) * n) >> 32);
}

/* Roughly normal with mean 0 and deviation 1: the sum of four 16-bit
 * uniforms (one draw) is close enough once vectors are normalised. */
static double
demo_rand_normal(struct demo_rng *r)
{
	uint64_t v = demo_rand(r);
	double sum = (double)(v & 0xffff) + (double)((v >> 16) & 0xffff) +
	    (double)((v >> 32) & 0xffff) + (double)(v >> 48);

	/* four uniforms on [0, 65535]: mean 131070, deviation 65536/sqrt(3) */
	return (sum - 131070.0) * (1.7320508075688772 / 65536.0);
}

/* ---- the text of the documents ---- */

struct demo_buf {
	char *p;
	size_t len, cap;
};

static void
demo_buf_reserve(struct demo_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	while (b->len + more + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	b->p = xrealloc(b->p, b->cap);
}

static void
demo_buf_add(struct demo_buf *b, const char *s)
{
	size_t n = strlen(s);

	demo_buf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Add "name":"value", (value must need no JSON escaping: it comes from
 * the tables below). */
static void
demo_buf_field(struct demo_buf *b, const char *name, const char *value)
{
	demo_buf_add(b, "\"");
	demo_buf_add(b, name);
	demo_buf_add(b, "\":\"");
	demo_buf_add(b, value);
	demo_buf_add(b, "\",");
}

static void
demo_buf_field_int(struct demo_buf *b, const char *name, long long v)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", v);
	demo_buf_add(b, "\"");
	demo_buf_add(b, name);
	demo_buf_add(b, "\":");
	demo_buf_add(b, num);
	demo_buf_add(b, ",");
}

static void
demo_buf_field_time(struct demo_buf *b, const char *name, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	demo_buf_field(b, name, s);
}

/* A random version 4 UUID. */
static void
demo_uuid(struct demo_rng *r, char out[37])
{
	uint64_t hi = demo_rand(r), lo = demo_rand(r);

	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
	snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx",
	    (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xffff), (unsigned)(hi & 0xffff),
	    (unsigned)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
}

/*
 * Component q / 1e6 with exactly six decimals, |q| <= 1000000. Formatting
 * by hand is several times faster than printf for millions of numbers.
 */
static char *
demo_fmt_q6(char *p, int32_t q)
{
	int32_t ip, fp;

	if (q < 0) {
		*p++ = '-';
		q = -q;
	}
	ip = q / 1000000;
	fp = q % 1000000;
	*p++ = (char)('0' + ip);
	*p++ = '.';
	for (int k = 5; k >= 0; k--) {
		p[k] = (char)('0' + fp % 10);
		fp /= 10;
	}
	return p + 6;
}

static const struct {
	const char *name;
	const char *topics[4];
} demo_categories[] = {
	{ "technology",
	    { "vector databases", "edge computing", "Rust in production", "zero-trust networks" } },
	{ "science",
	    { "CRISPR screening", "exoplanet atmospheres", "quantum error correction", "deep-sea microbes" } },
	{ "business",
	    { "usage-based pricing", "supply chain resilience", "remote-first teams", "the SaaS playbook" } },
	{ "health",
	    { "sleep and memory", "strength training after 40", "gut microbiome", "intermittent fasting" } },
	{ "sports",
	    { "marathon pacing", "tactical periodisation", "the modern pressing game", "climbing injuries" } },
	{ "travel",
	    { "night trains in Europe", "Kyoto in winter", "the Patagonia W trek", "Lisbon on a budget" } },
	{ "food",
	    { "sourdough hydration", "fermentation at home", "one-pot weeknight dinners", "regional ramen" } },
	{ "finance",
	    { "index fund investing", "interest rate cycles", "emergency funds", "retirement drawdown" } },
	{ "education",
	    { "spaced repetition", "project-based learning", "learning to code at 50", "math anxiety" } },
	{ "entertainment",
	    { "prestige TV", "indie game design", "film scores", "the vinyl revival" } },
	{ "environment",
	    { "heat pumps", "urban tree canopies", "grid-scale storage", "rewilding" } },
	{ "culture",
	    { "translated fiction", "street photography", "brutalist architecture", "museum audio guides" } },
};

/* Titles are a head, the topic and a tail. */
static const struct {
	const char *head, *tail;
} demo_title_forms[] = {
	{ "A practical guide to ", "" }, { "Understanding ", "" },
	{ "What nobody tells you about ", "" }, { "", ", explained" },
	{ "Ten lessons from ", "" }, { "The future of ", "" },
	{ "Getting started with ", "" }, { "Notes on ", "" },
	{ "Why ", " matters now" }, { "A closer look at ", "" },
};

static const char *const demo_languages[] = {
	"en", "en", "en", "en", "en", "en", "de", "de", "fr", "es", "es", "pt", "it", "ja", "nl",
};

static const char *const demo_first_names[] = {
	"Ada", "Alan", "Amara", "Björn", "Carlos", "Chen", "Dana", "Elif", "Emma", "Farid",
	"Grace", "Hana", "Ines", "Jonas", "Kwame", "Lea", "Luca", "Maya", "Mateo", "Nadia",
	"Noah", "Olga", "Priya", "Rafael", "Sara", "Sven", "Tomás", "Yuki", "Zoe", "Omar",
};

static const char *const demo_last_names[] = {
	"Fischer", "García", "Hoffmann", "Ivanova", "Johansson", "Kim", "Kowalski", "Lopez",
	"Martin", "Müller", "Nakamura", "Nguyen", "Okafor", "Patel", "Rossi", "Santos",
	"Schmidt", "Silva", "Singh", "Smith", "Tanaka", "Weber", "Wong", "Yilmaz",
};

static const char *const demo_segments[] = {
	"new_user", "casual_reader", "power_user", "subscriber", "churn_risk", "enterprise",
};

static const char *const demo_countries[] = {
	"US", "US", "US", "DE", "DE", "GB", "FR", "ES", "BR", "IN", "JP", "CA", "NL", "SE",
	"PL", "IT", "MX", "AU", "KR", "NG",
};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static const char *
demo_pick(struct demo_rng *r, const char *const *table, size_t n)
{
	return table[demo_rand_below(r, (uint32_t)n)];
}

static void
demo_content_fields(struct demo_buf *b, struct demo_rng *r, uint32_t cluster)
{
	const char *topic = demo_categories[cluster].topics[demo_rand_below(r, 4)];
	uint32_t form = demo_rand_below(r, NELEM(demo_title_forms));
	char title[160], author[96];

	snprintf(title, sizeof title, "%s%s%s", demo_title_forms[form].head, topic,
	    demo_title_forms[form].tail);
	title[0] = (char)(title[0] >= 'a' && title[0] <= 'z' ? title[0] - 32 : title[0]);
	snprintf(author, sizeof author, "%s %s",
	    demo_pick(r, demo_first_names, NELEM(demo_first_names)),
	    demo_pick(r, demo_last_names, NELEM(demo_last_names)));
	demo_buf_field(b, "title", title);
	demo_buf_field(b, "category", demo_categories[cluster].name);
	demo_buf_field(b, "language", demo_pick(r, demo_languages, NELEM(demo_languages)));
	demo_buf_field(b, "author", author);
	demo_buf_field_int(b, "word_count", 300 + demo_rand_below(r, 2700));
	demo_buf_field_time(b, "created_at", DEMO_TIME_END - demo_rand_below(r, 730 * 86400));
}

static void
demo_user_fields(struct demo_buf *b, struct demo_rng *r, uint32_t cluster)
{
	char name[96];
	long long signup = DEMO_TIME_END - 86400 - demo_rand_below(r, 1500 * 86400);
	long long active = DEMO_TIME_END - demo_rand_below(r, 90 * 86400);

	if (active < signup)
		active = signup;
	snprintf(name, sizeof name, "%s %s",
	    demo_pick(r, demo_first_names, NELEM(demo_first_names)),
	    demo_pick(r, demo_last_names, NELEM(demo_last_names)));
	demo_buf_field(b, "name", name);
	demo_buf_field(b, "segment", demo_segments[cluster]);
	demo_buf_field(b, "country", demo_pick(r, demo_countries, NELEM(demo_countries)));
	demo_buf_field_time(b, "signup_at", signup);
	demo_buf_field_time(b, "last_active", active);
}

struct demo_collection {
	const char *prefix;
	const char *phase_store;   /* N_() */
	const char *phase_index;   /* N_() */
	long long count;
	uint32_t nclusters;
	uint64_t stream;           /* mixed into the seed */
	void (*fields)(struct demo_buf *, struct demo_rng *, uint32_t);
	const char *index_path;
};

/* ---- small helpers ---- */

static double
demo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
demo_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
demo_progress(const struct demo_options *opt, const char *phase, uint64_t done,
    uint64_t total)
{
	if (opt->progress != NULL)
		opt->progress(opt->progress_arg, phase, done, total);
}

static int
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

/* Quote s for a POSIX shell: 'it'\''s'. Plain words stay as they are. */
static char *
demo_shell_quote(const char *s)
{
	struct demo_buf b = { 0 };
	bool plain = *s != '\0';

	for (const char *p = s; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789/._-+:,=@%", *p) == NULL)
			plain = false;
	if (plain)
		return xstrdup(s);
	demo_buf_add(&b, "'");
	for (const char *p = s; *p != '\0'; p++) {
		char c[2] = { *p, '\0' };

		demo_buf_add(&b, *p == '\'' ? "'\\''" : c);
	}
	demo_buf_add(&b, "'");
	return b.p;
}

/* A double-quoted string for redis.conf and for libconfig: both take
 * backslash escapes for '\\' and '"'. */
static char *
demo_conf_quote(const char *s)
{
	struct demo_buf b = { 0 };

	demo_buf_add(&b, "\"");
	for (const char *p = s; *p != '\0'; p++) {
		char c[2] = { *p, '\0' };

		if (*p == '\\' || *p == '"')
			demo_buf_add(&b, "\\");
		demo_buf_add(&b, c);
	}
	demo_buf_add(&b, "\"");
	return b.p;
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

/* The last lines of a log, at most max bytes, for an error message. */
static char *
demo_log_tail(const char *path, size_t max)
{
	char *data, *start;
	size_t len;
	struct vs_error err;

	if (fs_read_all(path, 1 << 24, &data, &len, &err) != 0)
		return xstrdup(_("(no log was written)"));
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
		data[--len] = '\0';
	start = len > max ? data + len - max : data;
	if (start != data) {
		char *nl = strchr(start, '\n');

		if (nl != NULL)
			start = nl + 1;
	}
	start = *start != '\0' ? xstrdup(start) : xstrdup(_("(the log is empty)"));
	free(data);
	return start;
}

/* ---- the private redis-server ---- */

/* The pid in the pidfile when that process exists and is a redis-server. */
static pid_t
demo_redis_pid(const char *pidfile)
{
	char *data, comm[64], *commpath;
	size_t len;
	long pid;
	struct vs_error err;
	FILE *fp;

	if (fs_read_all(pidfile, 64, &data, &len, &err) != 0)
		return 0;
	pid = strtol(data, NULL, 10);
	free(data);
	if (pid <= 1 || kill((pid_t)pid, 0) != 0)
		return 0;
	commpath = xasprintf("/proc/%ld/comm", pid);
	fp = fopen(commpath, "r");
	free(commpath);
	if (fp == NULL)
		return (pid_t)pid; /* no /proc: trust the pidfile */
	if (fgets(comm, sizeof comm, fp) == NULL)
		comm[0] = '\0';
	fclose(fp);
	return strncmp(comm, "redis-server", 12) == 0 ? (pid_t)pid : 0;
}

/* A connection to the socket when the server answers PING (LOADING counts
 * as not answering yet). */
static redisContext *
demo_redis_connect(const char *sock, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *r;

	if (c == NULL)
		return NULL;
	if (c->err != 0) {
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	r = redisCommand(c, "PING");
	if (r == NULL || r->type != REDIS_REPLY_STATUS) {
		if (r != NULL)
			freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

static int
demo_write_redis_conf(const struct demo_paths *p, struct vs_error *err)
{
	char *sock = demo_conf_quote(p->socket), *pid = demo_conf_quote(p->redis_pid);
	char *log = demo_conf_quote(p->redis_log), *dir = demo_conf_quote(p->redis_dir);
	char *text;
	int rc;

	text = xasprintf(
	    "# The private Redis server of the vsbackup demo in this directory.\n"
	    "# Start: redis-server redis.conf   Stop: vsbackup demo --stop --dir DIR\n"
	    "port 0\n"
	    "unixsocket %s\n"
	    "unixsocketperm 700\n"
	    "daemonize yes\n"
	    "pidfile %s\n"
	    "logfile %s\n"
	    "dir %s\n"
	    "dbfilename dump.rdb\n"
	    "save \"\"\n"
	    "appendonly no\n"
	    "enable-debug-command local\n",
	    sock, pid, log, dir);
	rc = fs_write_atomic(p->redis_conf, text, strlen(text), 0600, err);
	free(text);
	free(sock);
	free(pid);
	free(log);
	free(dir);
	return rc;
}

static int
demo_redis_start(const struct demo_paths *p, const char *server, struct vs_error *err)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"redis-server", p->redis_conf, NULL };
	char *tail;
	pid_t pid;
	int rc, status;
	redisContext *c = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, p->redis_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	rc = posix_spawn(&pid, server, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return error_errno(err, VS_ERR_REDIS, rc, _("cannot run %s"), server);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return error_errno(err, VS_ERR_REDIS, errno, _("cannot wait for %s"), server);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		tail = demo_log_tail(p->redis_log, 600);
		error_set(err, VS_ERR_REDIS,
		    _("redis-server failed to start with %s; the end of %s:\n%s"),
		    p->redis_conf, p->redis_log, tail);
		free(tail);
		return -1;
	}
	/* With daemonize the parent exits at once; wait until it answers. */
	for (int waited = 0; waited < DEMO_START_TIMEOUT_MS; waited += 50) {
		if ((c = demo_redis_connect(p->socket, 1000)) != NULL)
			break;
		demo_sleep_ms(50);
	}
	if (c == NULL) {
		tail = demo_log_tail(p->redis_log, 600);
		error_set(err, VS_ERR_REDIS,
		    _("redis-server did not answer on %s within %d s; the end of %s:\n%s"),
		    p->socket, DEMO_START_TIMEOUT_MS / 1000, p->redis_log, tail);
		free(tail);
		return -1;
	}
	redisFree(c);
	return 0;
}

/* Stop the server on sock (or with the pid in pidfile) and wait for it. */
static int
demo_redis_shutdown(const char *sock, const char *pidfile, bool *was_running,
    struct vs_error *err)
{
	pid_t pid = demo_redis_pid(pidfile);
	redisContext *c = demo_redis_connect(sock, 2000);
	int waited;

	*was_running = false;
	if (c != NULL) {
		redisReply *r = redisCommand(c, "SHUTDOWN NOSAVE");

		/* Success closes the connection: no reply. */
		if (r != NULL && r->type == REDIS_REPLY_ERROR) {
			error_set(err, VS_ERR_REDIS, _("the Redis server on %s refused to shut down: %s"),
			    sock, r->str);
			freeReplyObject(r);
			redisFree(c);
			return -1;
		}
		if (r != NULL)
			freeReplyObject(r);
		redisFree(c);
		*was_running = true;
	} else if (pid > 0) {
		if (kill(pid, SIGTERM) != 0 && errno != ESRCH)
			return error_errno(err, VS_ERR_REDIS, errno,
			    _("cannot stop redis-server (pid %ld from %s)"), (long)pid, pidfile);
		*was_running = true;
	} else {
		return 0;
	}
	for (waited = 0; waited < DEMO_STOP_TIMEOUT_MS; waited += 50) {
		bool alive;

		if (pid > 0) {
			alive = kill(pid, 0) == 0;
		} else {
			redisContext *t = demo_redis_connect(sock, 500);

			alive = t != NULL;
			if (t != NULL)
				redisFree(t);
		}
		if (!alive)
			return 0;
		demo_sleep_ms(50);
	}
	if (pid > 0)
		return error_set(err, VS_ERR_REDIS,
		    _("redis-server (pid %ld) is still running %d s after it was told to stop"),
		    (long)pid, DEMO_STOP_TIMEOUT_MS / 1000);
	return error_set(err, VS_ERR_REDIS,
	    _("the Redis server on %s still answers %d s after it was told to stop"),
	    sock, DEMO_STOP_TIMEOUT_MS / 1000);
}

/* ---- the documents and the indexes ---- */

static int
demo_read_replies(redisContext *c, const char *sock, size_t n, struct vs_error *err)
{
	for (size_t i = 0; i < n; i++) {
		redisReply *r;

		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL)
			return error_set(err, VS_ERR_REDIS,
			    _("lost the connection to the demo Redis server on %s: %s"), sock,
			    c->errstr[0] ? c->errstr : _("no reply"));
		if (r->type == REDIS_REPLY_ERROR) {
			error_set(err, VS_ERR_REDIS,
			    _("the demo Redis server on %s refused a document: %s"), sock, r->str);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

/* n unit vectors around the cluster centres, rounded to six decimals. */
static void
demo_unit_vector(struct demo_rng *r, const float *centre, int dim, double *tmp,
    int32_t *q, float *out)
{
	double norm = 0, scale = 0.8 / sqrt((double)dim);

	for (int j = 0; j < dim; j++) {
		tmp[j] = centre[j] + demo_rand_normal(r) * scale;
		norm += tmp[j] * tmp[j];
	}
	norm = sqrt(norm);
	if (norm == 0) {
		tmp[0] = 1;
		norm = 1;
	}
	for (int j = 0; j < dim; j++) {
		long v = lround(tmp[j] / norm * 1e6);

		if (v > 1000000)
			v = 1000000;
		if (v < -1000000)
			v = -1000000;
		q[j] = (int32_t)v;
		out[j] = (float)((double)v / 1e6);
	}
}

static int
demo_fill(const struct demo_options *opt, redisContext *c, const char *sock,
    const struct demo_collection *col, struct vs_error *err)
{
	struct demo_rng rng = { opt->seed ^ col->stream };
	struct faiss_index_writer *w = NULL;
	size_t dim = (size_t)opt->dim, pending = 0;
	float *centres = xcalloc(col->nclusters * dim, sizeof *centres);
	float *x = xcalloc(DEMO_BATCH * dim, sizeof *x);
	int64_t *ids = xcalloc(DEMO_BATCH, sizeof *ids);
	double *tmp = xcalloc(dim, sizeof *tmp);
	int32_t *q = xcalloc(dim, sizeof *q);
	struct demo_buf doc = { 0 }, key = { 0 };
	int rc = -1;

	/* One unit-length centre per category or segment. */
	for (uint32_t k = 0; k < col->nclusters; k++) {
		double norm = 0;

		for (size_t j = 0; j < dim; j++) {
			tmp[j] = demo_rand_normal(&rng);
			norm += tmp[j] * tmp[j];
		}
		norm = sqrt(norm) > 0 ? sqrt(norm) : 1;
		for (size_t j = 0; j < dim; j++)
			centres[k * dim + j] = (float)(tmp[j] / norm);
	}
	if (faiss_index_writer_new(opt->dim, &w, err) != 0)
		goto out;

	for (long long i = 0; i < col->count;) {
		size_t n = col->count - i < DEMO_BATCH ? (size_t)(col->count - i) : DEMO_BATCH;

		for (size_t k = 0; k < n; k++) {
			uint32_t cluster = demo_rand_below(&rng, col->nclusters);
			float *row = x + k * dim;
			const char *argv[3];
			size_t argvlen[3];
			char uuid[37], *p;

			ids[k] = i + (long long)k + 1;
			demo_uuid(&rng, uuid);
			demo_unit_vector(&rng, centres + cluster * dim, opt->dim, tmp, q, row);

			doc.len = 0;
			demo_buf_add(&doc, "{");
			demo_buf_field(&doc, "id", uuid);
			demo_buf_field_int(&doc, "faiss_id", ids[k]);
			col->fields(&doc, &rng, cluster);
			demo_buf_add(&doc, "\"embedding\":[");
			demo_buf_reserve(&doc, dim * 10 + 2);
			p = doc.p + doc.len;
			for (size_t j = 0; j < dim; j++) {
				if (j > 0)
					*p++ = ',';
				p = demo_fmt_q6(p, q[j]);
			}
			*p++ = ']';
			*p++ = '}';
			*p = '\0';
			doc.len = (size_t)(p - doc.p);

			key.len = 0;
			demo_buf_add(&key, col->prefix);
			demo_buf_add(&key, uuid);

			argv[0] = "SET";
			argvlen[0] = 3;
			argv[1] = key.p;
			argvlen[1] = key.len;
			argv[2] = doc.p;
			argvlen[2] = doc.len;
			if (redisAppendCommandArgv(c, 3, argv, argvlen) != REDIS_OK) {
				error_set(err, VS_ERR_REDIS, _("cannot queue a command for %s: %s"),
				    sock, c->errstr);
				goto out;
			}
		}
		pending += n;
		if (faiss_index_writer_add(w, n, x, ids, err) != 0)
			goto out;
		/* Keep one batch in flight while the next one is generated. */
		if (pending > DEMO_BATCH) {
			if (demo_read_replies(c, sock, pending - DEMO_BATCH, err) != 0)
				goto out;
			pending = DEMO_BATCH;
		}
		i += (long long)n;
		demo_progress(opt, _(col->phase_store), (uint64_t)i, (uint64_t)col->count);
		if (demo_cancelled(opt, err) != 0)
			goto out;
	}
	if (demo_read_replies(c, sock, pending, err) != 0)
		goto out;
	pending = 0;

	demo_progress(opt, _(col->phase_index), 0, 0);
	if (faiss_index_writer_save(w, col->index_path, 0644, err) != 0)
		goto out;
	rc = 0;
out:
	faiss_index_writer_free(w);
	free(centres);
	free(x);
	free(ids);
	free(tmp);
	free(q);
	free(doc.p);
	free(key.p);
	return rc;
}

/* ---- the configuration ---- */

static int
demo_write_config(const struct demo_paths *p, const char *server, const char *cli,
    struct vs_error *err)
{
	char *q_conf = demo_shell_quote(p->redis_conf), *q_server = demo_shell_quote(server);
	char *q_sock = demo_shell_quote(p->socket), *q_pid = demo_shell_quote(p->redis_pid);
	char *start, *stop, *c_start, *c_stop, *c_backup, *c_sock, *c_data, *c_content,
	    *c_user, *text;
	struct config *cfg;
	int rc;

	start = xasprintf("%s %s", q_server, q_conf);
	if (cli != NULL) {
		char *q_cli = demo_shell_quote(cli);

		stop = xasprintf("%s -s %s shutdown nosave", q_cli, q_sock);
		free(q_cli);
	} else {
		stop = xasprintf("kill \"$(cat %s)\"", q_pid);
	}
	c_start = demo_conf_quote(start);
	c_stop = demo_conf_quote(stop);
	c_backup = demo_conf_quote(p->backup_dir);
	c_sock = demo_conf_quote(p->socket);
	c_data = demo_conf_quote(p->redis_dir);
	c_content = demo_conf_quote(p->content_index);
	c_user = demo_conf_quote(p->user_index);
	text = xasprintf(
	    "# vsbackup configuration of the demo in %s, written by 'vsbackup demo'.\n"
	    "# Everything it names lives in that directory; remove the directory to\n"
	    "# remove the demo (stop its server first: vsbackup demo --stop --dir DIR).\n"
	    "\n"
	    "backup_dir = %s;\n"
	    "\n"
	    "redis = {\n"
	    "  socket = %s;\n"
	    "  prefixes = [ \"chimera-vectors:\", \"chimera-users:\" ];\n"
	    "  data_dir = %s;\n"
	    "  dbfilename = \"dump.rdb\";\n"
	    "  # Used by restore to stop and start the server around placing the RDB.\n"
	    "  start_command = %s;\n"
	    "  stop_command = %s;\n"
	    "  start_timeout = 30;\n"
	    "};\n"
	    "\n"
	    "faiss = {\n"
	    "  content_index = %s;\n"
	    "  user_index = %s;\n"
	    "};\n"
	    "\n"
	    "retention = {\n"
	    "  daily = 7;\n"
	    "  weekly = 4;\n"
	    "  monthly = 6;\n"
	    "};\n",
	    p->dir, c_backup, c_sock, c_data, c_start, c_stop, c_content, c_user);
	rc = fs_write_atomic(p->config, text, strlen(text), 0600, err);
	free(text);
	free(q_conf);
	free(q_server);
	free(q_sock);
	free(q_pid);
	free(start);
	free(stop);
	free(c_start);
	free(c_stop);
	free(c_backup);
	free(c_sock);
	free(c_data);
	free(c_content);
	free(c_user);
	if (rc != 0)
		return -1;
	/* What we wrote must load: check it with the real loader. */
	if (config_load(p->config, &cfg, err) != 0)
		return error_prefix(err, _("the demo wrote a configuration that does not load"));
	config_free(cfg);
	return 0;
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
		  N_("writing the content index"), opt->vectors, NELEM(demo_categories),
		  0x636f6e74656e74ULL, demo_content_fields, p.content_index },
		{ "chimera-users:", N_("storing user documents in Redis"),
		  N_("writing the user index"), opt->users, NELEM(demo_segments),
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
