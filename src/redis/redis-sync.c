/*
 * The replication fetch. After the handshake through hiredis the socket is
 * read directly: the payload is raw bytes, framed either by a length or by
 * a 40-byte end mark that must be held back from the sink until more data
 * proves it is not the end.
 *
 * A disk-based transfer announces its length only once the whole save is
 * written, long after the fork. So while waiting for the preamble, a
 * second connection watches INFO persistence: a save that starts after
 * SYNC (rdb_saves grows, or a save is now running where none was) is our
 * fork, and redis_sync_start() returns then; redis_sync_read() finishes
 * reading the preamble.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "redis/redis-info.h"
#include "redis/redis-sync.h"
#include "redis/redis.intern.h"

#define REDIS_SYNC_BUF (256 * 1024)
#define REDIS_SYNC_MARK 40
/* How often a blocked read looks at the cancel hook. */
#define REDIS_SYNC_SLICE_MS 100
/* How often the fork is looked for in INFO while the preamble is awaited. */
#define REDIS_SYNC_FORK_POLL_MS 25

struct redis_sync {
	struct redis_conn *conn;
	int fd;
	int timeout_ms;
	bool preamble_done;
	bool fullresync;          /* +FULLRESYNC arrived: Redis forked for us */
	int64_t last_byte_ms;     /* when the server last sent anything */
	bool diskless;
	uint64_t size;
	char mark[REDIS_SYNC_MARK];
	unsigned char *buf;       /* REDIS_SYNC_BUF + REDIS_SYNC_MARK bytes */
	size_t start, end;        /* unread bytes are buf[start..end) */
};

/*
 * Read more bytes into s->buf at s->end, waiting at most max_ms (-1: until
 * redis.timeout_ms of silence). Returns the number read, 0 at end of
 * stream, -1 with err (silence, cancel, I/O); when max_ms passes with
 * nothing to read, -2.
 */
static ssize_t
redis_sync_fill(struct redis_sync *s, const struct redis_watch *w,
    const char *what, int max_ms, struct vs_error *err)
{
	int64_t until = max_ms >= 0 ? redis_now_ms() + max_ms : 0;
	size_t room = REDIS_SYNC_BUF + REDIS_SYNC_MARK - s->end;

	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int64_t left = s->last_byte_ms + s->timeout_ms - redis_now_ms();
		int slice = REDIS_SYNC_SLICE_MS;
		ssize_t n;
		int rc;

		if (redis_watch_check(w, what, err) < 0)
			return -1;
		if (left <= 0)
			return error_set(err, VS_ERR_REDIS, _("Redis at %s sent nothing "
			    "for %d ms while %s (redis.timeout_ms in %s)"),
			    redis_conn_where(s->conn), s->timeout_ms, what,
			    redis_conf_name(redis_conn_config(s->conn)));
		if (until > 0) {
			if (redis_now_ms() >= until)
				return -2;
			if (until - redis_now_ms() < slice)
				slice = (int)(until - redis_now_ms());
		}
		if (left < slice)
			slice = (int)left;
		rc = poll(&pfd, 1, slice);
		if (rc == -1 && errno != EINTR)
			return error_errno(err, VS_ERR_REDIS, errno, _("poll on the "
			    "replication connection to Redis at %s"),
			    redis_conn_where(s->conn));
		if (rc <= 0)
			continue;
		n = read(s->fd, s->buf + s->end, room);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1)
			return error_errno(err, VS_ERR_REDIS, errno, _("reading from "
			    "Redis at %s while %s"), redis_conn_where(s->conn), what);
		s->end += (size_t)n;
		s->last_byte_ms = redis_now_ms();
		return n;
	}
}

/*
 * Parse the preamble lines in buf[start..end): 1 done, 0 need more, -1.
 * "+FULLRESYNC <id> <offset>" (the answer to PSYNC, sent as Redis forks
 * for us) comes first and is only noted.
 */
static int
redis_sync_preamble(struct redis_sync *s, struct vs_error *err)
{
	for (;;) {
		unsigned char *p, *nl;
		size_t len;
		char *line, *endp;

		/* Lone newlines keep the link alive while Redis prepares. */
		while (s->start < s->end && s->buf[s->start] == '\n')
			s->start++;
		p = s->buf + s->start;
		nl = memchr(p, '\n', s->end - s->start);
		if (nl == NULL) {
			if (s->end - s->start > 1024)
				return error_set(err, VS_ERR_REDIS, _("Redis at %s answered "
				    "PSYNC with an overlong line"), redis_conn_where(s->conn));
			return 0;
		}
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		line = xstrndup((const char *)p, len);
		s->start += (size_t)(nl - p) + 1;

		if (strncmp(line, "+FULLRESYNC", 11) == 0) {
			s->fullresync = true;
			free(line);
			continue;
		}
		if (line[0] == '-') {
			char hint[VS_ERROR_MSG_MAX / 2] = "";

			if (strncmp(line + 1, "NOPERM", 6) == 0)
				redis_noperm_hint(redis_conn_config(s->conn), line + 1, hint,
				    sizeof hint);
			error_set(err, VS_ERR_REDIS, _("Redis at %s refused PSYNC: %.200s%s"),
			    redis_conn_where(s->conn), line + 1, hint);
			free(line);
			return -1;
		}
		if (strncmp(line, "$EOF:", 5) == 0 && strlen(line + 5) == REDIS_SYNC_MARK) {
			s->diskless = true;
			memcpy(s->mark, line + 5, REDIS_SYNC_MARK);
			free(line);
			return 1;
		}
		if (line[0] == '$' && line[1] >= '0' && line[1] <= '9') {
			errno = 0;
			s->size = strtoull(line + 1, &endp, 10);
			if (errno == 0 && *endp == '\0') {
				free(line);
				return 1;
			}
		}
		error_set(err, VS_ERR_REDIS, _("Redis at %s answered PSYNC with \"%.60s\", "
		    "not an RDB transfer"), redis_conn_where(s->conn), line);
		free(line);
		return -1;
	}
}

/*
 * Read until the preamble is complete. With aux (a second connection to
 * watch INFO on), return early, *forked set, once +FULLRESYNC arrived or
 * INFO shows the fork; return REDIS_SYNC_LATE when deadline (a
 * redis_now_ms() time, 0 for none) passes first.
 */
static int
redis_sync_await(struct redis_sync *s, struct redis_conn *aux,
    const struct redis_persistence *before, int64_t deadline,
    const struct redis_watch *w, bool *forked, struct vs_error *err)
{
	const char *what = _("waiting for Redis to start the replication snapshot");

	if (forked != NULL)
		*forked = false;
	for (;;) {
		int rc = redis_sync_preamble(s, err);
		ssize_t n;

		if (rc < 0)
			return -1;
		if (rc > 0) {
			s->preamble_done = true;
			return 0;
		}
		if (aux != NULL && s->fullresync) {
			*forked = true;
			return 0;
		}
		if (aux != NULL && deadline > 0 && redis_now_ms() > deadline)
			return REDIS_SYNC_LATE;
		/* Keep the partial line at the start of the buffer. */
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
		n = redis_sync_fill(s, w, what, aux != NULL ?
		    REDIS_SYNC_FORK_POLL_MS : -1, err);
		if (n == -1)
			return -1;
		if (n == 0)
			return error_set(err, VS_ERR_REDIS, _("Redis at %s closed the "
			    "replication connection before sending the snapshot "
			    "(see its log)"), redis_conn_where(s->conn));
		if (n == -2) {
			struct redis_persistence p;

			if (redis_info_fetch_persistence(aux, &p, err) < 0)
				return -1;
			if ((before->saves >= 0 && p.saves > before->saves) ||
			    (!before->bgsave_in_progress && p.bgsave_in_progress)) {
				*forked = true;
				return 0;
			}
		}
	}
}

int
redis_sync_start(const struct config *cfg, int64_t deadline, const struct redis_watch *w,
    struct redis_sync **out, struct vs_error *err)
{
	struct redis_sync *s;
	struct redis_conn *aux = NULL;
	struct redis_persistence before;
	redisContext *ctx;
	redisReply *rep;
	const char *where;
	bool forked;
	int rc;

	*out = NULL;
	s = xcalloc(1, sizeof *s);
	s->timeout_ms = cfg->redis.timeout_ms > 0 ? cfg->redis.timeout_ms : 10000;
	if (redis_conn_open(cfg, &s->conn, err) < 0)
		goto fail;
	where = redis_conn_where(s->conn);
	if ((rep = redis_conn_command(s->conn, err, "REPLCONF capa eof")) == NULL) {
		error_prefix(err, _("cannot fetch the RDB over replication"));
		goto fail;
	}
	freeReplyObject(rep);
	/* Redis 7 then closes the link after the snapshot instead of going on
	 * with the command stream; older servers refuse the option. */
	if ((rep = redis_conn_command_raw(s->conn, err, "REPLCONF rdb-only 1")) == NULL)
		goto fail;
	freeReplyObject(rep);

	/* The watcher, and the state before our SYNC. */
	if (redis_conn_open(cfg, &aux, err) < 0 ||
	    redis_info_fetch_persistence(aux, &before, err) < 0)
		goto fail;

	ctx = redis_conn_context(s->conn);
	s->fd = ctx->fd;
	s->buf = xmalloc(REDIS_SYNC_BUF + REDIS_SYNC_MARK);
	/* Anything hiredis read past the last reply belongs to us. */
	if (ctx->reader != NULL && ctx->reader->len > ctx->reader->pos) {
		size_t n = ctx->reader->len - ctx->reader->pos;

		if (n > REDIS_SYNC_BUF)
			n = REDIS_SYNC_BUF;
		memcpy(s->buf, ctx->reader->buf + ctx->reader->pos, n);
		s->end = n;
	}
	/* PSYNC with no history asks for a full copy; unlike SYNC it can be
	 * checked against the ACL without running it (redis-acl.c). */
	if (fs_write_full(s->fd, "PSYNC ? -1\r\n", 12) < 0) {
		error_errno(err, VS_ERR_REDIS, errno, _("cannot send PSYNC to Redis "
		    "at %s"), where);
		goto fail;
	}
	s->last_byte_ms = redis_now_ms();
	rc = redis_sync_await(s, aux, &before, deadline, w, &forked, err);
	if (rc < 0)
		goto fail;
	if (rc == REDIS_SYNC_LATE) {
		redis_conn_close(aux);
		redis_sync_free(s);
		return REDIS_SYNC_LATE;
	}
	redis_conn_close(aux);
	*out = s;
	return 0;

fail:
	redis_conn_close(aux);
	redis_sync_free(s);
	return -1;
}

uint64_t
redis_sync_size(const struct redis_sync *s)
{
	return s->preamble_done && !s->diskless ? s->size : 0;
}

bool
redis_sync_diskless(const struct redis_sync *s)
{
	return s->diskless;
}

/* Move unread bytes (at most the mark's length) to the buffer start. */
static void
redis_sync_compact(struct redis_sync *s)
{
	memmove(s->buf, s->buf + s->start, s->end - s->start);
	s->end -= s->start;
	s->start = 0;
}

int
redis_sync_read_to(struct redis_sync *s, redis_sync_sink sink, void *arg,
    const struct redis_watch *w, uint64_t *nbytes, struct vs_error *err)
{
	const char *what = _("receiving the replication snapshot");
	uint64_t done = 0;

	if (nbytes != NULL)
		*nbytes = 0;
	if (!s->preamble_done && redis_sync_await(s, NULL, NULL, 0, w, NULL, err) < 0)
		return -1;
	for (;;) {
		size_t avail = s->end - s->start;
		ssize_t n;

		if (!s->diskless) {
			uint64_t left = s->size - done;
			size_t k = avail < left ? avail : (size_t)left;

			if (k > 0 && sink(arg, s->buf + s->start, k, err) < 0)
				return -1;
			done += k;
			s->start += k;
			if (done == s->size)
				break;
		} else if (avail >= REDIS_SYNC_MARK &&
		    memcmp(s->buf + s->end - REDIS_SYNC_MARK, s->mark,
		    REDIS_SYNC_MARK) == 0) {
			size_t k = avail - REDIS_SYNC_MARK;

			if (k > 0 && sink(arg, s->buf + s->start, k, err) < 0)
				return -1;
			done += k;
			s->start = s->end;
			break;
		} else if (avail > REDIS_SYNC_MARK) {
			/* Hold back what could be the start of the end mark. */
			size_t k = avail - REDIS_SYNC_MARK;

			if (sink(arg, s->buf + s->start, k, err) < 0)
				return -1;
			done += k;
			s->start += k;
		}
		redis_watch_progress(w, done, redis_sync_size(s));
		redis_sync_compact(s);
		n = redis_sync_fill(s, w, what, -1, err);
		if (n < 0)
			return -1;
		if (n == 0)
			return error_set(err, VS_ERR_REDIS, _("Redis at %s closed the "
			    "replication connection after %llu bytes of the snapshot "
			    "(see its log)"), redis_conn_where(s->conn),
			    (unsigned long long)done);
	}
	redis_watch_progress(w, done, s->diskless ? done : s->size);
	if (nbytes != NULL)
		*nbytes = done;
	return 0;
}

struct redis_sync_fd {
	int fd;
	const char *where;
};

static int
redis_sync_to_fd(void *arg, const void *buf, size_t len, struct vs_error *err)
{
	const struct redis_sync_fd *t = arg;

	if (fs_write_full(t->fd, buf, len) < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot write the RDB "
		    "fetched from Redis at %s"), t->where);
	return 0;
}

int
redis_sync_read(struct redis_sync *s, int fd, const struct redis_watch *w,
    uint64_t *nbytes, struct vs_error *err)
{
	struct redis_sync_fd t = { fd, redis_conn_where(s->conn) };

	return redis_sync_read_to(s, redis_sync_to_fd, &t, w, nbytes, err);
}

void
redis_sync_free(struct redis_sync *s)
{
	if (s == NULL)
		return;
	redis_conn_close(s->conn);
	free(s->buf);
	free(s);
}

int
redis_sync_fork_delay(struct redis_conn *c, int *seconds, struct vs_error *err)
{
	redisReply *rep;
	bool diskless = false;
	int delay = -1, max_replicas = 0;

	*seconds = -1;
	rep = redis_conn_command_raw(c, err, "CONFIG GET repl-diskless-sync*");
	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 1 < rep->elements; i += 2) {
			const char *k = rep->element[i]->str, *v = rep->element[i + 1]->str;

			if (k == NULL || v == NULL)
				continue;
			if (strcmp(k, "repl-diskless-sync") == 0)
				diskless = strcmp(v, "yes") == 0;
			else if (strcmp(k, "repl-diskless-sync-delay") == 0)
				delay = atoi(v);
			else if (strcmp(k, "repl-diskless-sync-max-replicas") == 0)
				max_replicas = atoi(v);
		}
		/* Redis 7 forks before the delay once max-replicas replicas
		 * wait: with 1, at once for us. */
		if (delay >= 0)
			*seconds = diskless && max_replicas != 1 ? delay : 0;
	}
	freeReplyObject(rep);
	return 0;
}
