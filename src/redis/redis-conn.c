/*
 * The Redis connection: connect, authenticate, select the database, and
 * turn hiredis failures and error replies into messages that say what
 * failed, on which server, and what to check.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "redis/redis-acl.h"
#include "redis/redis-conn.h"
#include "redis/redis-sentinel.h"
#include "redis/redis.intern.h"

struct redis_conn {
	const struct config *cfg;
	struct config *aimed;   /* Sentinel: cfg aimed at the master, owned */
	redisContext *ctx;
	char *where;
	bool broken;
	bool default_nopass;  /* AUTH said the default user has no password */
};

/* Longest part of a server's error text quoted in a message. */
#define REDIS_QUOTE_MAX 300

int64_t
redis_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
redis_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
redis_watch_check(const struct redis_watch *w, const char *what,
    struct vs_error *err)
{
	if (w != NULL && w->cancelled != NULL && w->cancelled(w->arg))
		return error_set(err, VS_ERR_CANCELLED, _("cancelled while %s"), what);
	return 0;
}

void
redis_watch_progress(const struct redis_watch *w, uint64_t done, uint64_t total)
{
	if (w != NULL && w->progress != NULL)
		w->progress(w->arg, done, total);
}

const char *
redis_conf_name(const struct config *cfg)
{
	if (cfg->path != NULL && cfg->path[0] != '\0')
		return cfg->path;
	return _("the configuration");
}

bool
redis_reply_is(const redisReply *rep, const char *code)
{
	size_t n = strlen(code);

	return rep != NULL && rep->type == REDIS_REPLY_ERROR && rep->str != NULL &&
	    strncmp(rep->str, code, n) == 0 && (rep->str[n] == ' ' || rep->str[n] == '\0');
}

const char *
redis_conn_where(const struct redis_conn *c)
{
	return c->where;
}

const struct config *
redis_conn_config(const struct redis_conn *c)
{
	return c->cfg;
}

redisContext *
redis_conn_context(struct redis_conn *c)
{
	return c->ctx;
}

bool
redis_conn_broken(const struct redis_conn *c)
{
	return c->broken;
}

/* The command's name in fmt: the text before the first '%'. */
static void
redis_conn_what(const char *fmt, char *buf, size_t size)
{
	size_t n = strcspn(fmt, "%");

	while (n > 0 && fmt[n - 1] == ' ')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(buf, fmt, n);
	buf[n] = '\0';
}

/* An I/O failure (or timeout) of the context during what. */
static void
redis_conn_io_error(struct redis_conn *c, const char *what, int saved_errno,
    struct vs_error *err)
{
	const redisContext *ctx = c->ctx;

	c->broken = true;
	if (ctx->err == REDIS_ERR_EOF) {
		error_set(err, VS_ERR_REDIS, _("Redis at %s closed the connection "
		    "during %s (did it stop or restart? see its log)"), c->where, what);
	} else if (ctx->err == REDIS_ERR_IO && (saved_errno == EAGAIN ||
	    saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT)) {
		error_set(err, VS_ERR_REDIS, _("Redis at %s did not answer %s within "
		    "%d ms (redis.timeout_ms in %s)"), c->where, what,
		    c->cfg->redis.timeout_ms, redis_conf_name(c->cfg));
	} else {
		error_set(err, VS_ERR_REDIS, _("lost the connection to Redis at %s "
		    "during %s: %s"), c->where, what, ctx->errstr);
	}
}

const char *
redis_conn_user(const struct config *cfg)
{
	return cfg->redis.username[0] != '\0' ? cfg->redis.username : "default";
}

/*
 * NOPERM names the command as Redis's ACL does ("... to run the
 * 'client|pause' command"): say which rule to add for which user.
 */
void
redis_noperm_hint(const struct config *cfg, const char *text, char *buf, size_t size)
{
	const char *user = redis_conn_user(cfg);
	const char *q = strstr(text, "to run the '"), *end = NULL;

	if (q != NULL) {
		q += strlen("to run the '");
		end = strchr(q, '\'');
	}
	if (strstr(text, "access one of the keys") != NULL ||
	    strstr(text, "access a key") != NULL) {
		size_t len = (size_t)snprintf(buf, size, _(" (the Redis user %s may not "
		    "read these keys: allow it with ACL SETUSER %s"), user, user);

		for (size_t i = 0; i < cfg->redis.nprefixes && len < size; i++) {
			char *pat = redis_acl_key_pattern(cfg->redis.prefixes[i]);

			len += (size_t)snprintf(buf + len, size - len, " %%R~%s", pat);
			free(pat);
		}
		if (len < size)
			snprintf(buf + len, size - len, "%s", _("; vsbackup.conf(5), REDIS ACL, "
			    "lists what vsbackup needs)"));
		return;
	}
	if (end != NULL && end > q && end - q < 64)
		snprintf(buf, size, _(" (the Redis user %s may not run it: allow it with "
		    "ACL SETUSER %s +%.*s; vsbackup.conf(5), REDIS ACL, lists what "
		    "vsbackup needs)"), user, user, (int)(end - q), q);
	else
		snprintf(buf, size, _(" (the Redis user %s lacks the permission; "
		    "vsbackup.conf(5), REDIS ACL, lists what vsbackup needs)"), user);
}

int
redis_conn_reply_error(struct redis_conn *c, const char *what,
    const redisReply *rep, struct vs_error *err)
{
	const char *text = rep->str != NULL ? rep->str : "";
	const char *hint = "";
	char hintbuf[VS_ERROR_MSG_MAX / 2];

	if (redis_reply_is(rep, "NOAUTH")) {
		snprintf(hintbuf, sizeof hintbuf, _(" (Redis needs a password: set "
		    "redis.password in %s)"), redis_conf_name(c->cfg));
		hint = hintbuf;
	} else if (redis_reply_is(rep, "NOPERM")) {
		redis_noperm_hint(c->cfg, text, hintbuf, sizeof hintbuf);
		hint = hintbuf;
	} else if (redis_reply_is(rep, "LOADING")) {
		hint = _(" (Redis is still loading its data; try again when it is done)");
	} else if (strstr(text, "unknown command") != NULL) {
		hint = _(" (the command may be renamed or disabled in redis.conf)");
	}
	return error_set(err, VS_ERR_REDIS, _("Redis at %s refused %s: %.*s%s"),
	    c->where, what, REDIS_QUOTE_MAX, text, hint);
}

static redisReply *
redis_conn_vcommand(struct redis_conn *c, bool errors_ok, struct vs_error *err,
    const char *fmt, va_list ap)
{
	char what[64];
	redisReply *rep;
	int saved_errno;

	redis_conn_what(fmt, what, sizeof what);
	if (c->broken) {
		error_set(err, VS_ERR_REDIS, _("cannot send %s: the connection to "
		    "Redis at %s was lost earlier"), what, c->where);
		return NULL;
	}
	errno = 0;
	rep = redisvCommand(c->ctx, fmt, ap);
	saved_errno = errno;
	if (rep == NULL) {
		redis_conn_io_error(c, what, saved_errno, err);
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR && !errors_ok) {
		redis_conn_reply_error(c, what, rep, err);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

redisReply *
redis_conn_command(struct redis_conn *c, struct vs_error *err, const char *fmt, ...)
{
	redisReply *rep;
	va_list ap;

	va_start(ap, fmt);
	rep = redis_conn_vcommand(c, false, err, fmt, ap);
	va_end(ap);
	return rep;
}

redisReply *
redis_conn_command_raw(struct redis_conn *c, struct vs_error *err,
    const char *fmt, ...)
{
	redisReply *rep;
	va_list ap;

	va_start(ap, fmt);
	rep = redis_conn_vcommand(c, true, err, fmt, ap);
	va_end(ap);
	return rep;
}

int
redis_conn_append(struct redis_conn *c, struct vs_error *err, const char *fmt, ...)
{
	char what[64];
	va_list ap;
	int rc;

	redis_conn_what(fmt, what, sizeof what);
	if (c->broken)
		return error_set(err, VS_ERR_REDIS, _("cannot send %s: the connection "
		    "to Redis at %s was lost earlier"), what, c->where);
	va_start(ap, fmt);
	rc = redisvAppendCommand(c->ctx, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK)
		fatal("out of memory formatting a Redis command");
	return 0;
}

int
redis_conn_flush(struct redis_conn *c, struct vs_error *err)
{
	int done = 0;

	if (c->broken)
		return error_set(err, VS_ERR_REDIS, _("cannot send to Redis at %s: the "
		    "connection was lost earlier"), c->where);
	while (!done) {
		errno = 0;
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK) {
			redis_conn_io_error(c, _("the queued commands"), errno, err);
			return -1;
		}
	}
	return 0;
}

redisReply *
redis_conn_reply(struct redis_conn *c, const char *what, struct vs_error *err)
{
	void *rep = NULL;
	int saved_errno;

	if (c->broken) {
		error_set(err, VS_ERR_REDIS, _("no answer to %s: the connection to "
		    "Redis at %s was lost earlier"), what, c->where);
		return NULL;
	}
	errno = 0;
	if (redisGetReply(c->ctx, &rep) != REDIS_OK || rep == NULL) {
		saved_errno = errno;
		redis_conn_io_error(c, what, saved_errno, err);
		return NULL;
	}
	return rep;
}

/* Authenticate; a server without a password accepts any. */
static int
redis_conn_auth(struct redis_conn *c, enum redis_open_result *result,
    struct vs_error *err)
{
	const struct config *cfg = c->cfg;
	redisReply *rep;

	if (cfg->redis.username[0] != '\0')
		rep = redis_conn_command_raw(c, err, "AUTH %s %s", cfg->redis.username,
		    cfg->redis.password);
	else
		rep = redis_conn_command_raw(c, err, "AUTH %s", cfg->redis.password);
	if (rep == NULL) {
		*result = REDIS_OPEN_UNREACHABLE;
		return -1;
	}
	if (rep->type != REDIS_REPLY_ERROR) {
		freeReplyObject(rep);
		return 0;
	}
	/* Redis says so when it has no password at all: nothing to check. */
	if (strstr(rep->str, "without any password configured") != NULL ||
	    strstr(rep->str, "no password is set") != NULL) {
		c->default_nopass = true;
		freeReplyObject(rep);
		return 0;
	}
	*result = REDIS_OPEN_REFUSED;
	if (cfg->redis.username[0] != '\0' && redis_reply_is(rep, "WRONGPASS"))
		error_set(err, VS_ERR_REDIS, _("Redis at %s refused the login of user "
		    "%s: %.*s (check redis.username and redis.password in %s, and that "
		    "the user is on: ACL GETUSER %s)"), c->where, cfg->redis.username,
		    REDIS_QUOTE_MAX, rep->str, redis_conf_name(cfg), cfg->redis.username);
	else if (redis_reply_is(rep, "WRONGPASS"))
		/* Since Redis 6 this is also the answer when the default user
		 * is off, whatever the password. */
		error_set(err, VS_ERR_REDIS, _("Redis at %s refused the login of its "
		    "default user: %.*s (check redis.password in %s; if the default user "
		    "is off, set redis.username and redis.password to those of an ACL "
		    "user)"), c->where, REDIS_QUOTE_MAX, rep->str, redis_conf_name(cfg));
	else if (strstr(rep->str, "invalid password") != NULL)
		error_set(err, VS_ERR_REDIS, _("Redis at %s rejected the password: "
		    "%.*s (check redis.password in %s)"), c->where, REDIS_QUOTE_MAX,
		    rep->str, redis_conf_name(cfg));
	else if (cfg->redis.username[0] != '\0' &&
	    strstr(rep->str, "wrong number of arguments") != NULL)
		error_set(err, VS_ERR_REDIS, _("Redis at %s does not know ACL users: "
		    "%.*s (redis.username needs Redis 6 or later; leave it empty in %s)"),
		    c->where, REDIS_QUOTE_MAX, rep->str, redis_conf_name(cfg));
	else
		redis_conn_reply_error(c, "AUTH", rep, err);
	freeReplyObject(rep);
	return -1;
}

/* SELECT the database; also how a missing password shows up (NOAUTH). */
static int
redis_conn_select(struct redis_conn *c, enum redis_open_result *result,
    struct vs_error *err)
{
	const struct config *cfg = c->cfg;
	redisReply *rep;

	rep = redis_conn_command_raw(c, err, "SELECT %d", cfg->redis.db);
	if (rep == NULL) {
		*result = REDIS_OPEN_UNREACHABLE;
		return -1;
	}
	if (rep->type != REDIS_REPLY_ERROR) {
		freeReplyObject(rep);
		return 0;
	}
	*result = REDIS_OPEN_REFUSED;
	if (redis_reply_is(rep, "NOAUTH") && c->default_nopass) {
		/* A default user without a password that still needs a login
		 * is off ("user default off"). */
		error_set(err, VS_ERR_REDIS, _("Redis at %s does not let its default "
		    "user in: %.*s (the default user has no password and is off: set "
		    "redis.username and redis.password in %s to those of an ACL user)"),
		    c->where, REDIS_QUOTE_MAX, rep->str, redis_conf_name(cfg));
	} else if (redis_reply_is(rep, "NOAUTH")) {
		error_set(err, VS_ERR_REDIS, _("Redis at %s requires a password: "
		    "%.*s (set redis.password in %s, and redis.username to log in as "
		    "an ACL user)"), c->where, REDIS_QUOTE_MAX, rep->str,
		    redis_conf_name(cfg));
	} else if (redis_reply_is(rep, "NOPERM")) {
		redis_conn_reply_error(c, "SELECT", rep, err);
	} else if (redis_reply_is(rep, "LOADING")) {
		*result = REDIS_OPEN_LOADING;
		redis_conn_reply_error(c, "SELECT", rep, err);
	} else {
		error_set(err, VS_ERR_REDIS, _("Redis at %s refused SELECT %d: %.*s "
		    "(check redis.db in %s)"), c->where, cfg->redis.db,
		    REDIS_QUOTE_MAX, rep->str, redis_conf_name(cfg));
	}
	freeReplyObject(rep);
	return -1;
}

static int redis_conn_open_master(const struct config *cfg, int connect_ms, bool select,
    struct redis_conn **out, enum redis_open_result *result, struct vs_error *err);

static int
redis_conn_open_as(const struct config *cfg, int connect_ms, bool select,
    struct redis_conn **out, enum redis_open_result *result,
    struct vs_error *err)
{
	struct redis_conn *c;
	struct timeval tv;
	bool unix_socket = cfg->redis.socket != NULL && cfg->redis.socket[0] != '\0';
	int ms = cfg->redis.timeout_ms > 0 ? cfg->redis.timeout_ms : 10000;

	*out = NULL;
	*result = REDIS_OPEN_UNREACHABLE;
	if (redis_sentinel_mode(cfg))
		return redis_conn_open_master(cfg, connect_ms, select, out, result, err);
	if (connect_ms <= 0)
		connect_ms = ms;
	c = xcalloc(1, sizeof *c);
	c->cfg = cfg;
	if (unix_socket) {
		c->where = xstrdup(cfg->redis.socket);
		tv.tv_sec = connect_ms / 1000;
		tv.tv_usec = (connect_ms % 1000) * 1000;
		c->ctx = redisConnectUnixWithTimeout(cfg->redis.socket, tv);
	} else {
		const char *host = cfg->redis.host[0] != '\0' ? cfg->redis.host : "127.0.0.1";

		c->where = strchr(host, ':') != NULL ?
		    xasprintf("[%s]:%d", host, cfg->redis.port) :
		    xasprintf("%s:%d", host, cfg->redis.port);
		tv.tv_sec = connect_ms / 1000;
		tv.tv_usec = (connect_ms % 1000) * 1000;
		c->ctx = redisConnectWithTimeout(host, cfg->redis.port, tv);
	}
	if (c->ctx == NULL)
		fatal("out of memory connecting to Redis");
	if (c->ctx->err != 0) {
		error_set(err, VS_ERR_REDIS, _("cannot connect to Redis at %s: %s "
		    "(is redis-server running? %s in %s)"), c->where,
		    c->ctx->errstr, unix_socket ? "redis.socket" :
		    "redis.host, redis.port", redis_conf_name(cfg));
		redis_conn_close(c);
		return -1;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (redisSetTimeout(c->ctx, tv) != REDIS_OK) {
		error_set(err, VS_ERR_REDIS, _("cannot set the timeout on the "
		    "connection to Redis at %s: %s"), c->where, c->ctx->errstr);
		redis_conn_close(c);
		return -1;
	}
	if (((cfg->redis.password != NULL && cfg->redis.password[0] != '\0') ||
	    cfg->redis.username[0] != '\0') && redis_conn_auth(c, result, err) < 0) {
		redis_conn_close(c);
		return -1;
	}
	if (select && redis_conn_select(c, result, err) < 0) {
		redis_conn_close(c);
		return -1;
	}
	*result = REDIS_OPEN_OK;
	*out = c;
	return 0;
}

/* Under Sentinel: connect to the master the sentinels name now. */
static int
redis_conn_open_master(const struct config *cfg, int connect_ms, bool select,
    struct redis_conn **out, enum redis_open_result *result, struct vs_error *err)
{
	struct redis_target t;

	if (redis_sentinel_discover(cfg, false, &t, err) != 0)
		return -1;
	if (redis_conn_open_as(t.master, connect_ms, select, out, result, err) != 0) {
		redis_target_clear(&t);
		return -1;
	}
	(*out)->aimed = t.master;
	t.master = t.source = NULL;
	redis_target_clear(&t);
	return 0;
}

int
redis_conn_open_result(const struct config *cfg, int connect_ms,
    struct redis_conn **out, enum redis_open_result *result,
    struct vs_error *err)
{
	return redis_conn_open_as(cfg, connect_ms, true, out, result, err);
}

int
redis_conn_open_noselect(const struct config *cfg, int connect_ms,
    struct redis_conn **out, struct vs_error *err)
{
	enum redis_open_result result;

	return redis_conn_open_as(cfg, connect_ms, false, out, &result, err);
}

int
redis_conn_open(const struct config *cfg, struct redis_conn **out,
    struct vs_error *err)
{
	enum redis_open_result result;

	return redis_conn_open_result(cfg, 0, out, &result, err);
}

void
redis_conn_close(struct redis_conn *c)
{
	if (c == NULL)
		return;
	if (c->ctx != NULL)
		redisFree(c->ctx);
	config_free(c->aimed);
	free(c->where);
	free(c);
}
