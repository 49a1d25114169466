/*
 * Finding the master (and a replica) through Sentinel, and noticing a
 * failover after the fact. The sentinels are spoken to with plain hiredis
 * contexts: they have no databases to SELECT and a password of their own
 * (redis.sentinel_password). The servers they name are reached through
 * redis_conn_open() with a configuration aimed at them.
 */
#include "config.h"

#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "redis/redis-info.h"
#include "redis/redis-sentinel.h"
#include "redis/redis.intern.h"

/* Longest host name accepted from a sentinel. */
#define SENTINEL_HOST_MAX 255
bool
redis_sentinel_mode(const struct config *cfg)
{
	return strcmp(cfg->redis.mode, "sentinel") == 0;
}

void
redis_target_clear(struct redis_target *t)
{
	config_free(t->master);
	if (t->source != t->master)
		config_free(t->source);
	memset(t, 0, sizeof *t);
}

static void
format_addr(char *buf, size_t size, const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", host, port);
	else
		snprintf(buf, size, "%s:%d", host, port);
}

/* A configuration aimed at host:port, as a standalone server. */
static struct config *
aim(const struct config *cfg, const char *host, int port)
{
	struct config *c = config_dup(cfg);

	free(c->redis.host);
	c->redis.host = xstrdup(host);
	c->redis.port = port;
	free(c->redis.socket);
	c->redis.socket = xstrdup("");
	free(c->redis.mode);
	c->redis.mode = xstrdup("standalone");
	c->redis.from_replica = false;
	return c;
}

/* Connect to one sentinel and authenticate; NULL with *why on failure. */
static redisContext *
sentinel_open(const struct config *cfg, const char *addr, char *why, size_t size)
{
	char host[256];
	int port, ms = cfg->redis.timeout_ms > 0 ? cfg->redis.timeout_ms : 10000;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	redisContext *ctx;
	redisReply *rep;

	if (config_addr_parse(addr, host, sizeof host, &port) != 0) {
		snprintf(why, size, "%s", _("not host:port"));
		return NULL;
	}
	ctx = port == 0 ? redisConnectUnixWithTimeout(host, tv) :
	    redisConnectWithTimeout(host, port, tv);
	if (ctx == NULL)
		fatal("out of memory connecting to a sentinel");
	if (ctx->err != 0 || redisSetTimeout(ctx, tv) != REDIS_OK) {
		snprintf(why, size, "%s", ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	if (cfg->redis.sentinel_password[0] == '\0')
		return ctx;
	rep = redisCommand(ctx, "AUTH %s", cfg->redis.sentinel_password);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, size, _("refused redis.sentinel_password: %.200s"),
		    rep != NULL ? rep->str : ctx->errstr);
		if (rep != NULL)
			freeReplyObject(rep);
		redisFree(ctx);
		return NULL;
	}
	freeReplyObject(rep);
	return ctx;
}

static bool
is_str(const redisReply *r)
{
	return r != NULL && (r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS) && r->str != NULL;
}

/* The master's address from one sentinel. */
static int
ask_master(redisContext *ctx, const char *name, char *host, int *port, char *why,
    size_t size)
{
	redisReply *rep = redisCommand(ctx, "SENTINEL get-master-addr-by-name %s", name);
	char *end;
	long p;
	int rc = -1;

	if (rep == NULL) {
		snprintf(why, size, "%s", ctx->errstr);
		return -1;
	}
	if (rep->type == REDIS_REPLY_NIL) {
		snprintf(why, size, _("watches no master named \"%s\""), name);
	} else if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, size, "%.200s", rep->str);
	} else if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    !is_str(rep->element[0]) || !is_str(rep->element[1]) ||
	    rep->element[0]->len == 0 || rep->element[0]->len > SENTINEL_HOST_MAX) {
		snprintf(why, size, "%s", _("answered SENTINEL get-master-addr-by-name "
		    "with something other than a host and a port"));
	} else {
		p = strtol(rep->element[1]->str, &end, 10);
		if (*end != '\0' || p < 1 || p > 65535) {
			snprintf(why, size, _("named port \"%.20s\""), rep->element[1]->str);
		} else {
			memcpy(host, rep->element[0]->str, rep->element[0]->len);
			host[rep->element[0]->len] = '\0';
			*port = (int)p;
			rc = 0;
		}
	}
	freeReplyObject(rep);
	return rc;
}

/* A field of one entry of SENTINEL replicas (a flat name, value array). */
static const char *
entry_get(const redisReply *e, const char *key)
{
	for (size_t i = 0; i + 1 < e->elements; i += 2)
		if (is_str(e->element[i]) && strcmp(e->element[i]->str, key) == 0 &&
		    is_str(e->element[i + 1]))
			return e->element[i + 1]->str;
	return NULL;
}

/* The healthy replica furthest along, from one sentinel. */
static int
ask_replica(redisContext *ctx, const char *name, char *host, int *port, char *why,
    size_t size)
{
	redisReply *rep = redisCommand(ctx, "SENTINEL replicas %s", name);
	long long best = -1;
	int rc = -1;

	if (rep == NULL) {
		snprintf(why, size, "%s", ctx->errstr);
		return -1;
	}
	if (rep->type != REDIS_REPLY_ARRAY) {
		snprintf(why, size, "%.200s", rep->type == REDIS_REPLY_ERROR ? rep->str :
		    _("answered SENTINEL replicas with something other than a list"));
		freeReplyObject(rep);
		return -1;
	}
	for (size_t i = 0; i < rep->elements; i++) {
		const redisReply *e = rep->element[i];
		const char *ip, *p, *flags, *link, *off;
		long long offset;
		long pn;

		if (e->type != REDIS_REPLY_ARRAY)
			continue;
		ip = entry_get(e, "ip");
		p = entry_get(e, "port");
		flags = entry_get(e, "flags");
		link = entry_get(e, "master-link-status");
		off = entry_get(e, "slave-repl-offset");
		if (ip == NULL || p == NULL || flags == NULL || strlen(ip) > SENTINEL_HOST_MAX ||
		    strstr(flags, "s_down") != NULL || strstr(flags, "o_down") != NULL ||
		    strstr(flags, "disconnected") != NULL ||
		    link == NULL || strcmp(link, "ok") != 0)
			continue;
		pn = strtol(p, NULL, 10);
		offset = off != NULL ? strtoll(off, NULL, 10) : 0;
		if (pn < 1 || pn > 65535 || offset <= best)
			continue;
		best = offset;
		snprintf(host, SENTINEL_HOST_MAX + 1, "%s", ip);
		*port = (int)pn;
		rc = 0;
	}
	if (rc != 0)
		snprintf(why, size, _("knows no healthy replica of \"%s\" (%zu listed)"),
		    name, rep->elements);
	freeReplyObject(rep);
	return rc;
}

/*
 * ROLE of the server at cfg: *role gets "master" or "slave" ("replica"),
 * and for a replica the master it follows and the link state.
 */
struct role {
	char role[16];
	char master_host[SENTINEL_HOST_MAX + 1];
	int master_port;
	char state[24];
};

static int
ask_role(struct redis_conn *c, struct role *r, struct vs_error *err)
{
	redisReply *rep = redis_conn_command(c, err, "ROLE");

	memset(r, 0, sizeof *r);
	if (rep == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 1 || !is_str(rep->element[0])) {
		freeReplyObject(rep);
		return error_set(err, VS_ERR_REDIS, _("Redis at %s answered ROLE with "
		    "something other than a role"), redis_conn_where(c));
	}
	snprintf(r->role, sizeof r->role, "%s", rep->element[0]->str);
	if (strcmp(r->role, "slave") == 0 && rep->elements >= 4 &&
	    is_str(rep->element[1]) && rep->element[2]->type == REDIS_REPLY_INTEGER &&
	    is_str(rep->element[3])) {
		snprintf(r->master_host, sizeof r->master_host, "%s", rep->element[1]->str);
		r->master_port = (int)rep->element[2]->integer;
		snprintf(r->state, sizeof r->state, "%s", rep->element[3]->str);
	}
	freeReplyObject(rep);
	return 0;
}

/* Open the master at cfg and confirm its role; *replid gets its id. */
static int
confirm_master(const struct config *cfg, char *replid, size_t size, char *why,
    size_t wsize)
{
	struct redis_conn *c;
	struct redis_info *info = NULL;
	struct vs_error e;
	struct role r;
	int rc = -1;

	error_clear(&e);
	if (redis_conn_open(cfg, &c, &e) != 0) {
		snprintf(why, wsize, "%s", e.msg);
		return -1;
	}
	if (ask_role(c, &r, &e) != 0 || redis_info_fetch(c, "replication", &info, &e) != 0) {
		snprintf(why, wsize, "%s", e.msg);
	} else if (strcmp(r.role, "master") != 0) {
		snprintf(why, wsize, _("it says it is a %s, not the master (a failover is "
		    "under way?)"), r.role);
	} else {
		const char *id = redis_info_get(info, "master_replid");

		snprintf(replid, size, "%s", id != NULL ? id : "");
		rc = 0;
	}
	redis_info_free(info);
	redis_conn_close(c);
	return rc;
}

/* Open the replica at cfg and confirm it follows the master at host:port. */
static int
confirm_replica(const struct config *cfg, const char *mhost, int mport, char *why,
    size_t wsize)
{
	struct redis_conn *c;
	struct vs_error e;
	struct role r;
	int rc = -1;

	error_clear(&e);
	if (redis_conn_open(cfg, &c, &e) != 0) {
		snprintf(why, wsize, "%s", e.msg);
		return -1;
	}
	if (ask_role(c, &r, &e) != 0)
		snprintf(why, wsize, "%s", e.msg);
	else if (strcmp(r.role, "slave") != 0)
		snprintf(why, wsize, _("it says it is a %s, not a replica"), r.role);
	else if (r.master_port != mport || strcmp(r.master_host, mhost) != 0)
		snprintf(why, wsize, _("it replicates from %s:%d, not from the master"),
		    r.master_host, r.master_port);
	else if (strcmp(r.state, "connected") != 0)
		snprintf(why, wsize, _("its link to the master is %s, not connected"),
		    r.state);
	else
		rc = 0;
	redis_conn_close(c);
	return rc;
}

int
redis_sentinel_discover(const struct config *cfg, bool want_replica,
    struct redis_target *t, struct vs_error *err)
{
	struct redis_notes n = { .len = 0 };

	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < cfg->redis.nsentinels; i++) {
		const char *s = cfg->redis.sentinels[i];
		char mhost[SENTINEL_HOST_MAX + 1], rhost[SENTINEL_HOST_MAX + 1];
		char why[VS_ERROR_MSG_MAX / 2], addr[300];
		int mport = 0, rport = 0;
		redisContext *ctx = sentinel_open(cfg, s, why, sizeof why);
		struct redis_target cand;

		if (ctx == NULL) {
			redis_note(&n, _("sentinel %s: %s"), s, why);
			continue;
		}
		if (ask_master(ctx, cfg->redis.master_name, mhost, &mport, why,
		    sizeof why) != 0 || (want_replica && ask_replica(ctx,
		    cfg->redis.master_name, rhost, &rport, why, sizeof why) != 0)) {
			redisFree(ctx);
			redis_note(&n, _("sentinel %s: %s"), s, why);
			continue;
		}
		redisFree(ctx);

		memset(&cand, 0, sizeof cand);
		format_addr(addr, sizeof addr, mhost, mport);
		cand.master = aim(cfg, mhost, mport);
		cand.source = cand.master;
		snprintf(cand.master_addr, sizeof cand.master_addr, "%s", addr);
		snprintf(cand.source_addr, sizeof cand.source_addr, "%s", addr);
		if (confirm_master(cand.master, cand.master_replid,
		    sizeof cand.master_replid, why, sizeof why) != 0) {
			redis_note(&n, _("sentinel %s names %s as the master, but %s"), s, addr, why);
			redis_target_clear(&cand);
			continue;
		}
		if (want_replica) {
			/* redis.data_dir and redis.dbfilename describe the
			 * master: the replica is asked where its file is. */
			cand.source = aim(cfg, rhost, rport);
			free(cand.source->redis.data_dir);
			cand.source->redis.data_dir = xstrdup("");
			free(cand.source->redis.dbfilename);
			cand.source->redis.dbfilename = xstrdup("");
			format_addr(cand.source_addr, sizeof cand.source_addr, rhost, rport);
			if (confirm_replica(cand.source, mhost, mport, why, sizeof why) != 0) {
				redis_note(&n, _("sentinel %s names %s as a replica, but %s"), s,
				    cand.source_addr, why);
				redis_target_clear(&cand);
				continue;
			}
		}
		*t = cand;
		return 0;
	}
	return error_set(err, VS_ERR_REDIS, _("no sentinel led to the master \"%s\" "
	    "(redis.sentinels, redis.master_name in %s): %s"), cfg->redis.master_name,
	    redis_conf_name(cfg), n.text);
}

int
redis_sentinel_confirm(const struct config *cfg, const struct redis_target *t,
    struct vs_error *err)
{
	char replid[48], why[VS_ERROR_MSG_MAX / 2];
	struct redis_notes n = { .len = 0 };

	if (confirm_master(t->master, replid, sizeof replid, why, sizeof why) != 0)
		return error_set(err, VS_ERR_REDIS, _("a failover of \"%s\" happened during "
		    "the backup: %s was its master, but now %s; the snapshot may miss "
		    "writes made on the new master: run the backup again"),
		    cfg->redis.master_name, t->master_addr, why);
	if (strcmp(replid, t->master_replid) != 0)
		return error_set(err, VS_ERR_REDIS, _("a failover of \"%s\" happened during "
		    "the backup: its master %s has a new replication id (%s, was %s); "
		    "run the backup again"), cfg->redis.master_name, t->master_addr,
		    replid, t->master_replid);
	for (size_t i = 0; i < cfg->redis.nsentinels; i++) {
		const char *s = cfg->redis.sentinels[i];
		char host[SENTINEL_HOST_MAX + 1], addr[300];
		int port;
		redisContext *ctx = sentinel_open(cfg, s, why, sizeof why);

		if (ctx == NULL) {
			redis_note(&n, _("sentinel %s: %s"), s, why);
			continue;
		}
		if (ask_master(ctx, cfg->redis.master_name, host, &port, why, sizeof why) != 0) {
			redisFree(ctx);
			redis_note(&n, _("sentinel %s: %s"), s, why);
			continue;
		}
		redisFree(ctx);
		format_addr(addr, sizeof addr, host, port);
		if (strcmp(addr, t->master_addr) != 0)
			return error_set(err, VS_ERR_REDIS, _("a failover of \"%s\" happened "
			    "during the backup: sentinel %s now names %s as its master (it "
			    "was %s); run the backup again"), cfg->redis.master_name, s,
			    addr, t->master_addr);
		return 0;
	}
	return error_set(err, VS_ERR_REDIS, _("after the snapshot no sentinel could say "
	    "whether %s is still the master of \"%s\": %s"), t->master_addr,
	    cfg->redis.master_name, n.text);
}

int
redis_replica_catch_up(struct redis_conn *master, struct redis_conn *replica,
    int64_t deadline, const struct redis_watch *w, struct vs_error *err)
{
	struct redis_info *info = NULL;
	long long target, at = -1;
	const char *link;

	if (redis_info_fetch(master, "replication", &info, err) != 0)
		return -1;
	if (redis_info_get_ll(info, "master_repl_offset", &target, err) != 0) {
		redis_info_free(info);
		return -1;
	}
	redis_info_free(info);
	for (;;) {
		if (redis_info_fetch(replica, "replication", &info, err) != 0)
			return -1;
		link = redis_info_get(info, "master_link_status");
		at = redis_info_ll(info, "slave_repl_offset", -1);
		if (link == NULL || strcmp(link, "up") != 0) {
			error_set(err, VS_ERR_REDIS, _("the replica %s lost its link to the "
			    "master (master_link_status %s) while writes were paused"),
			    redis_conn_where(replica), link != NULL ? link : "?");
			redis_info_free(info);
			return -1;
		}
		redis_info_free(info);
		if (at >= target)
			return 0;
		if (redis_now_ms() > deadline)
			return error_set(err, VS_ERR_REDIS, _("the replica %s had not caught up "
			    "with the master (offset %lld of %lld) before the write pause "
			    "ended (redis.pause_ms %d); raise redis.pause_ms, or look into "
			    "the replication lag"), redis_conn_where(replica), at, target,
			    redis_conn_config(master)->redis.pause_ms);
		if (redis_watch_check(w, _("waiting for the replica"), err) != 0)
			return -1;
		redis_sleep_ms(2);
	}
}

/* Do two socket addresses name the same IP address? */
static bool
same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a == NULL || b == NULL || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
	return false;
}

static bool
loopback(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	if (a->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
	return false;
}

bool
redis_host_is_local(const char *host)
{
	struct addrinfo hints, *res = NULL;
	struct ifaddrs *ifs = NULL;
	bool local = false;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	if (getifaddrs(&ifs) != 0)
		ifs = NULL;
	for (const struct addrinfo *a = res; a != NULL && !local; a = a->ai_next) {
		local = loopback(a->ai_addr);
		for (const struct ifaddrs *i = ifs; i != NULL && !local; i = i->ifa_next)
			local = same_ip(a->ai_addr, i->ifa_addr);
	}
	freeifaddrs(ifs);
	freeaddrinfo(res);
	return local;
}

int
redis_sentinel_still_master(const struct config *cfg, const struct redis_target *t,
    struct vs_error *err)
{
	char replid[48], why[VS_ERROR_MSG_MAX / 2];

	for (size_t i = 0; i < cfg->redis.nsentinels; i++) {
		const char *s = cfg->redis.sentinels[i];
		char host[SENTINEL_HOST_MAX + 1], addr[300];
		int port;
		redisContext *ctx = sentinel_open(cfg, s, why, sizeof why);

		if (ctx == NULL)
			continue;
		if (ask_master(ctx, cfg->redis.master_name, host, &port, why, sizeof why) != 0) {
			redisFree(ctx);
			continue;
		}
		redisFree(ctx);
		format_addr(addr, sizeof addr, host, port);
		if (strcmp(addr, t->master_addr) != 0)
			return error_set(err, VS_ERR_REDIS, _("sentinel %s now names %s as the "
			    "master of \"%s\", not %s"), s, addr, cfg->redis.master_name,
			    t->master_addr);
		break;
	}
	if (confirm_master(t->master, replid, sizeof replid, why, sizeof why) != 0)
		return error_set(err, VS_ERR_REDIS, _("%s is no longer the master of "
		    "\"%s\": %s"), t->master_addr, cfg->redis.master_name, why);
	return 0;
}
