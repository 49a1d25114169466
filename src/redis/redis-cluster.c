/*
 * The masters of a Redis Cluster and their slots (redis-cluster.h). Seeds
 * and masters are reached through redis_conn_open() with configurations
 * aimed at them; replies are checked field by field, since a reply of a
 * server is input like any other.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "redis/redis-cluster.h"
#include "redis/redis-conn.h"
#include "redis/redis-info.h"
#include "redis/redis.intern.h"

/* Longest host name accepted from a node. */
#define CLUSTER_HOST_MAX 255
bool
redis_cluster_mode(const struct config *cfg)
{
	return strcmp(cfg->redis.mode, "cluster") == 0;
}

/* Replace {host} and {port} in text. */
static char *
expand(const char *text, const char *host, int port)
{
	size_t cap = strlen(text) + 1, len = 0;
	char *out = xmalloc(cap), pbuf[16];

	snprintf(pbuf, sizeof pbuf, "%d", port);
	for (const char *p = text; *p != '\0';) {
		const char *with = NULL;
		size_t skip = 0, wl;

		if (strncmp(p, "{host}", 6) == 0) {
			with = host;
			skip = 6;
		} else if (strncmp(p, "{port}", 6) == 0) {
			with = pbuf;
			skip = 6;
		}
		if (with == NULL) {
			with = p;
			skip = 1;
			wl = 1;
		} else {
			wl = strlen(with);
		}
		if (len + wl + 1 > cap) {
			cap = (len + wl + 1) * 2;
			out = xrealloc(out, cap);
		}
		memcpy(out + len, with, wl);
		len += wl;
		p += skip;
	}
	out[len] = '\0';
	return out;
}

char *
redis_config_expand(const struct config *cfg, const char *text)
{
	const char *host = cfg->redis.socket[0] != '\0' ? cfg->redis.socket : cfg->redis.host;

	return expand(text, host, cfg->redis.socket[0] != '\0' ? 0 : cfg->redis.port);
}

struct config *
redis_config_aim(const struct config *cfg, const char *host, int port)
{
	struct config *c = config_dup(cfg);
	char *s;

	free(c->redis.host);
	free(c->redis.socket);
	if (port == 0) {
		c->redis.host = xstrdup("");
		c->redis.socket = xstrdup(host);
	} else {
		c->redis.host = xstrdup(host);
		c->redis.socket = xstrdup("");
	}
	c->redis.port = port;
	free(c->redis.mode);
	c->redis.mode = xstrdup("standalone");
	c->redis.from_replica = false;
	/* A data directory or file name of its own, when they name the node
	 * ({port}); otherwise the node says where its file is. */
	s = c->redis.data_dir;
	c->redis.data_dir = strstr(s, "{") != NULL ? expand(s, host, port) : xstrdup("");
	free(s);
	s = c->redis.dbfilename;
	c->redis.dbfilename = strstr(s, "{") != NULL || c->redis.data_dir[0] != '\0' ?
	    expand(s, host, port) : xstrdup("");
	free(s);
	/* Each node is stopped and started with its own commands. */
	s = c->redis.start_command;
	c->redis.start_command = expand(s, host, port);
	free(s);
	s = c->redis.stop_command;
	c->redis.stop_command = expand(s, host, port);
	free(s);
	return c;
}

static void
format_addr(char *buf, size_t size, const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", host, port);
	else
		snprintf(buf, size, "%s:%d", host, port);
}

static bool
is_str(const redisReply *r)
{
	return r != NULL && (r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS) && r->str != NULL;
}

static bool
is_int(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_INTEGER;
}

static bool
node_id_valid(const char *s, size_t len)
{
	if (len != REDIS_NODE_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void
redis_cluster_clear(struct redis_cluster *cl)
{
	for (size_t i = 0; i < cl->n; i++) {
		free(cl->masters[i].slots);
		config_free(cl->masters[i].cfg);
	}
	free(cl->masters);
	memset(cl, 0, sizeof *cl);
}

static struct redis_master *
master_add(struct redis_cluster *cl, const char *id, const char *host, int port)
{
	struct redis_master *m;

	for (size_t i = 0; i < cl->n; i++)
		if (strcmp(cl->masters[i].id, id) == 0)
			return &cl->masters[i];
	cl->masters = xreallocarray(cl->masters, cl->n + 1, sizeof *cl->masters);
	m = &cl->masters[cl->n++];
	memset(m, 0, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", id);
	snprintf(m->host, sizeof m->host, "%s", host);
	m->port = port;
	format_addr(m->addr, sizeof m->addr, host, port);
	return m;
}

static int
range_add(struct redis_master *m, long long first, long long last)
{
	if (first < 0 || last < first || last >= REDIS_SLOTS)
		return -1;
	m->slots = xreallocarray(m->slots, m->nslots + 1, sizeof *m->slots);
	m->slots[m->nslots].first = (uint16_t)first;
	m->slots[m->nslots].last = (uint16_t)last;
	m->nslots++;
	return 0;
}

/* A field of a flat name, value array (RESP2 maps). */
static const redisReply *
map_get(const redisReply *map, const char *key)
{
	if (map == NULL || map->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < map->elements; i += 2)
		if (is_str(map->element[i]) && strcmp(map->element[i]->str, key) == 0)
			return map->element[i + 1];
	return NULL;
}

/* CLUSTER SHARDS (Redis 7): each shard's slots and its master. */
static int
parse_shards(const redisReply *rep, struct redis_cluster *cl, char *why, size_t size)
{
	if (rep->type != REDIS_REPLY_ARRAY) {
		snprintf(why, size, "%s", _("answered CLUSTER SHARDS with something other "
		    "than a list of shards"));
		return -1;
	}
	for (size_t i = 0; i < rep->elements; i++) {
		const redisReply *sh = rep->element[i], *slots = map_get(sh, "slots"),
		    *nodes = map_get(sh, "nodes");
		const redisReply *master = NULL;
		struct redis_master *m;

		if (slots == NULL || nodes == NULL || slots->type != REDIS_REPLY_ARRAY ||
		    nodes->type != REDIS_REPLY_ARRAY || slots->elements % 2 != 0) {
			snprintf(why, size, "%s", _("answered CLUSTER SHARDS with a shard "
			    "without slots or nodes"));
			return -1;
		}
		if (slots->elements == 0)
			continue;       /* a master without slots holds no data */
		for (size_t k = 0; k < nodes->elements; k++) {
			const redisReply *role = map_get(nodes->element[k], "role");

			if (is_str(role) && strcmp(role->str, "master") == 0)
				master = nodes->element[k];
		}
		if (master == NULL) {
			snprintf(why, size, _("says no master serves slots %lld-%lld"),
			    is_int(slots->element[0]) ? slots->element[0]->integer : -1,
			    is_int(slots->element[1]) ? slots->element[1]->integer : -1);
			return -1;
		}
		{
			const redisReply *id = map_get(master, "id"), *ep = map_get(master, "endpoint"),
			    *ip = map_get(master, "ip"), *port = map_get(master, "port"),
			    *health = map_get(master, "health");
			const char *host;

			if (!is_str(id) || !node_id_valid(id->str, id->len) || !is_int(port) ||
			    port->integer < 1 || port->integer > 65535) {
				snprintf(why, size, "%s", _("answered CLUSTER SHARDS with a master "
				    "without a valid id or port"));
				return -1;
			}
			host = is_str(ep) && ep->len > 0 && strcmp(ep->str, "?") != 0 ? ep->str :
			    is_str(ip) ? ip->str : "";
			if (host[0] == '\0' || strlen(host) > CLUSTER_HOST_MAX) {
				snprintf(why, size, _("names no address for the master %.40s"),
				    id->str);
				return -1;
			}
			m = master_add(cl, id->str, host, (int)port->integer);
			if (is_str(health) && strcmp(health->str, "online") != 0) {
				snprintf(why, size, _("says the master %s (%.40s) is %.20s, not "
				    "online"), m->addr, m->id, health->str);
				return -1;
			}
		}
		for (size_t k = 0; k < slots->elements; k += 2) {
			if (!is_int(slots->element[k]) || !is_int(slots->element[k + 1]) ||
			    range_add(m, slots->element[k]->integer,
			    slots->element[k + 1]->integer) != 0) {
				snprintf(why, size, "%s", _("answered CLUSTER SHARDS with slots "
				    "out of range"));
				return -1;
			}
		}
	}
	return 0;
}

/* CLUSTER SLOTS (before Redis 7): ranges, each with its master first. */
static int
parse_slots(const redisReply *rep, struct redis_cluster *cl, char *why, size_t size)
{
	if (rep->type != REDIS_REPLY_ARRAY) {
		snprintf(why, size, "%s", _("answered CLUSTER SLOTS with something other "
		    "than a list of ranges"));
		return -1;
	}
	for (size_t i = 0; i < rep->elements; i++) {
		const redisReply *r = rep->element[i], *node;
		struct redis_master *m;

		if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || !is_int(r->element[0]) ||
		    !is_int(r->element[1]) || (node = r->element[2])->type != REDIS_REPLY_ARRAY ||
		    node->elements < 3 || !is_str(node->element[0]) || !is_int(node->element[1]) ||
		    !is_str(node->element[2]) || node->element[0]->len == 0 ||
		    node->element[0]->len > CLUSTER_HOST_MAX ||
		    !node_id_valid(node->element[2]->str, node->element[2]->len) ||
		    node->element[1]->integer < 1 || node->element[1]->integer > 65535) {
			snprintf(why, size, "%s", _("answered CLUSTER SLOTS with a range "
			    "without a valid master"));
			return -1;
		}
		m = master_add(cl, node->element[2]->str, node->element[0]->str,
		    (int)node->element[1]->integer);
		if (range_add(m, r->element[0]->integer, r->element[1]->integer) != 0) {
			snprintf(why, size, "%s", _("answered CLUSTER SLOTS with slots out of "
			    "range"));
			return -1;
		}
	}
	return 0;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct redis_slot_range *x = a, *y = b;

	return (int)x->first - (int)y->first;
}

/* Sort m's ranges and merge those that touch. */
static void
ranges_merge(struct redis_master *m)
{
	size_t k = 0;

	qsort(m->slots, m->nslots, sizeof *m->slots, cmp_range);
	for (size_t j = 0; j < m->nslots; j++) {
		if (k > 0 && m->slots[k - 1].last + 1 == m->slots[j].first)
			m->slots[k - 1].last = m->slots[j].last;
		else
			m->slots[k++] = m->slots[j];
	}
	m->nslots = k;
}

static int
cmp_master(const void *a, const void *b)
{
	const struct redis_master *x = a, *y = b;

	return (int)x->slots[0].first - (int)y->slots[0].first;
}

/* Sort, merge adjacent ranges, and check every slot is served once. */
static int
check_coverage(struct redis_cluster *cl, char *why, size_t size)
{
	unsigned char seen[REDIS_SLOTS];
	unsigned missing = 0, first_missing = 0;

	memset(seen, 0, sizeof seen);
	for (size_t i = 0; i < cl->n; i++) {
		struct redis_master *m = &cl->masters[i];

		for (size_t j = 0; j < m->nslots; j++) {
			for (unsigned s = m->slots[j].first; s <= m->slots[j].last; s++) {
				if (seen[s]) {
					snprintf(why, size, _("names two masters for slot %u"), s);
					return -1;
				}
				seen[s] = 1;
			}
		}
		ranges_merge(m);
	}
	for (unsigned s = 0; s < REDIS_SLOTS; s++)
		if (!seen[s] && missing++ == 0)
			first_missing = s;
	if (missing > 0) {
		snprintf(why, size, _("serves only %u of the %u slots (slot %u has no master): a "
		    "backup would miss data; assign every slot (redis-cli --cluster fix) first"),
		    REDIS_SLOTS - missing, REDIS_SLOTS, first_missing);
		return -1;
	}
	qsort(cl->masters, cl->n, sizeof *cl->masters, cmp_master);
	return 0;
}

/* CLUSTER INFO's state must be ok. */
static int
check_state(struct redis_conn *c, char *why, size_t size)
{
	struct vs_error e;
	redisReply *rep;
	struct redis_info *info;
	const char *state;
	long long failed;
	int rc = 0;

	error_clear(&e);
	rep = redis_conn_command(c, &e, "CLUSTER INFO");
	if (rep == NULL) {
		snprintf(why, size, "%s", e.msg);
		return -1;
	}
	if (!is_str(rep)) {
		freeReplyObject(rep);
		snprintf(why, size, "%s", _("answered CLUSTER INFO with something other "
		    "than text"));
		return -1;
	}
	info = redis_info_parse(rep->str, rep->len, redis_conn_where(c));
	freeReplyObject(rep);
	state = info != NULL ? redis_info_get(info, "cluster_state") : NULL;
	failed = info != NULL ? redis_info_ll(info, "cluster_slots_fail", 0) : 0;
	if (state == NULL || strcmp(state, "ok") != 0) {
		snprintf(why, size, _("says the cluster state is %.20s, not ok (a master is "
		    "down or slots are not served): a backup would miss data"),
		    state != NULL ? state : "?");
		rc = -1;
	} else if (failed > 0) {
		snprintf(why, size, _("says %lld slots are served by a failed master"), failed);
		rc = -1;
	}
	redis_info_free(info);
	return rc;
}

/* Ask one seed for the masters. */
static int
ask_seed(const struct config *seed, struct redis_cluster *cl, char *why, size_t size)
{
	struct redis_conn *c;
	struct vs_error e;
	redisReply *rep;
	int rc;

	error_clear(&e);
	if (redis_conn_open(seed, &c, &e) != 0) {
		snprintf(why, size, "%s", e.msg);
		return -1;
	}
	if (check_state(c, why, size) != 0) {
		if (strstr(why, "cluster support disabled") != NULL)
			snprintf(why, size, "%s", _("is not in cluster mode (cluster-enabled no): "
			    "set redis.mode to \"standalone\" for it"));
		redis_conn_close(c);
		return -1;
	}
	rep = redis_conn_command_raw(c, &e, "CLUSTER SHARDS");
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR &&
	    strstr(rep->str, "unknown") != NULL) {
		freeReplyObject(rep);
		rep = redis_conn_command_raw(c, &e, "CLUSTER SLOTS");
		rc = rep == NULL ? -1 : rep->type == REDIS_REPLY_ERROR ? -1 :
		    parse_slots(rep, cl, why, size);
	} else {
		rc = rep == NULL ? -1 : rep->type == REDIS_REPLY_ERROR ? -1 :
		    parse_shards(rep, cl, why, size);
	}
	if (rep == NULL)
		snprintf(why, size, "%s", e.msg);
	else if (rep->type == REDIS_REPLY_ERROR)
		snprintf(why, size, "%.200s", rep->str);
	if (rep != NULL)
		freeReplyObject(rep);
	redis_conn_close(c);
	if (rc == 0 && cl->n == 0) {
		snprintf(why, size, "%s", _("names no master with slots"));
		rc = -1;
	}
	return rc == 0 ? check_coverage(cl, why, size) : -1;
}

/* The slots field of a CLUSTER NODES line: what follows its 8th field. */
static const char *
own_slots_text(const char *line)
{
	const char *p = line;

	for (int f = 0; f < 8 && p != NULL; f++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return p != NULL ? p : "";
}

/* Does the node's own line name exactly the slots m was said to serve? */
static bool
own_slots_match(const char *line, const struct redis_master *m)
{
	struct redis_master own;
	const char *p = own_slots_text(line);
	bool same = false;

	memset(&own, 0, sizeof own);
	while (*p != '\0') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			goto out;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (range_add(&own, a, b) != 0 || (*end != ' ' && *end != '\0'))
			goto out;
		p = end + strspn(end, " ");
	}
	if (own.nslots == 0)
		goto out;
	ranges_merge(&own);
	same = redis_slots_equal(own.slots, own.nslots, m->slots, m->nslots);
out:
	free(own.slots);
	return same;
}

/* Does the master itself confirm: its role, its id, no slot in motion? */
static int
confirm_master(struct redis_master *m, char *why, size_t size)
{
	struct redis_conn *c;
	struct redis_info *info = NULL;
	struct vs_error e;
	redisReply *rep = NULL;
	int rc = -1;

	error_clear(&e);
	if (redis_conn_open(m->cfg, &c, &e) != 0) {
		snprintf(why, size, "%s", e.msg);
		return -1;
	}
	if ((rep = redis_conn_command(c, &e, "CLUSTER MYID")) == NULL) {
		snprintf(why, size, "%s", e.msg);
		goto out;
	}
	if (!is_str(rep) || strcmp(rep->str, m->id) != 0) {
		snprintf(why, size, _("it says its node id is %.40s, not %s"),
		    is_str(rep) ? rep->str : "?", m->id);
		goto out;
	}
	freeReplyObject(rep);
	if ((rep = redis_conn_command(c, &e, "CLUSTER NODES")) == NULL || !is_str(rep)) {
		snprintf(why, size, "%s", rep == NULL ? e.msg : _("CLUSTER NODES gave no text"));
		goto out;
	}
	/* Its own line: "id addr flags(myself,master) ... slots [5460->-id]". */
	for (char *line = rep->str, *nl; line != NULL && *line != '\0'; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (strncmp(line, m->id, REDIS_NODE_ID_LEN) != 0)
			continue;
		if (strstr(line, "myself") == NULL || strstr(line, "master") == NULL) {
			snprintf(why, size, "%s", _("it does not say it is a master (a failover "
			    "is under way?)"));
			goto out;
		}
		if (strchr(line, '[') != NULL) {
			const char *b = strchr(line, '[');

			snprintf(why, size, _("a slot of it is being migrated (%.60s): wait until "
			    "the resharding is over"), b);
			goto out;
		}
		if (!own_slots_match(line, m)) {
			snprintf(why, size, _("it does not serve exactly those slots itself (its "
			    "own view: %.100s): the cluster is not settled (slots being "
			    "assigned or removed)"), own_slots_text(line));
			goto out;
		}
	}
	if (redis_info_fetch(c, "replication", &info, &e) != 0) {
		snprintf(why, size, "%s", e.msg);
		goto out;
	}
	if (strcmp(redis_info_get(info, "role") ? redis_info_get(info, "role") : "",
	    "master") != 0) {
		snprintf(why, size, "%s", _("it says it is a replica, not a master (a failover "
		    "is under way?)"));
		goto out;
	}
	snprintf(m->replid, sizeof m->replid, "%s",
	    redis_info_get(info, "master_replid") ? redis_info_get(info, "master_replid") : "");
	rc = 0;
out:
	redis_info_free(info);
	if (rep != NULL)
		freeReplyObject(rep);
	redis_conn_close(c);
	return rc;
}

int
redis_cluster_discover(const struct config *cfg, struct redis_cluster *cl,
    struct vs_error *err)
{
	struct redis_notes n = { .len = 0 };

	memset(cl, 0, sizeof *cl);
	for (size_t i = 0; i < cfg->redis.nnodes; i++) {
		const char *s = cfg->redis.nodes[i];
		char host[256], why[VS_ERROR_MSG_MAX / 2];
		struct redis_cluster cand;
		struct config *seed;
		int port;

		memset(&cand, 0, sizeof cand);
		if (config_addr_parse(s, host, sizeof host, &port) != 0) {
			redis_note(&n, _("%s: not host:port"), s);
			continue;
		}
		seed = redis_config_aim(cfg, host, port);
		if (ask_seed(seed, &cand, why, sizeof why) != 0) {
			config_free(seed);
			redis_cluster_clear(&cand);
			redis_note(&n, _("node %s %s"), s, why);
			continue;
		}
		config_free(seed);
		for (size_t k = 0; k < cand.n; k++) {
			struct redis_master *m = &cand.masters[k];

			m->cfg = redis_config_aim(cfg, m->host, m->port);
			if (confirm_master(m, why, sizeof why) != 0) {
				error_set(err, VS_ERR_REDIS, _("node %s names %s (%s) as the master of "
				    "slots %u-%u, but %s"), s, m->addr, m->id, m->slots[0].first,
				    m->slots[0].last, why);
				redis_cluster_clear(&cand);
				return -1;
			}
		}
		*cl = cand;
		return 0;
	}
	return error_set(err, VS_ERR_REDIS, _("no node of redis.nodes led to a whole cluster "
	    "(redis.nodes in %s): %s"), redis_conf_name(cfg), n.text);
}

int
redis_cluster_all_ok(const struct redis_cluster *cl, struct vs_error *err)
{
	for (size_t i = 0; i < cl->n; i++) {
		struct redis_conn *c;
		char why[VS_ERROR_MSG_MAX / 2];
		int r;

		if (redis_conn_open(cl->masters[i].cfg, &c, err) != 0)
			return -1;
		r = check_state(c, why, sizeof why);
		redis_conn_close(c);
		if (r != 0)
			return error_set(err, VS_ERR_REDIS, _("the master %s %s"), cl->masters[i].addr,
			    why);
	}
	return 0;
}

const struct redis_master *
redis_cluster_master_of(const struct redis_cluster *cl, unsigned slot)
{
	for (size_t i = 0; i < cl->n; i++)
		if (redis_slots_contain(cl->masters[i].slots, cl->masters[i].nslots, slot))
			return &cl->masters[i];
	return NULL;
}

int
redis_cluster_confirm(const struct config *cfg, const struct redis_cluster *cl,
    struct vs_error *err)
{
	struct redis_cluster now;
	struct vs_error e;
	char was[200], is[200];
	int rc = -1;

	error_clear(&e);
	if (redis_cluster_discover(cfg, &now, &e) != 0)
		return error_set(err, VS_ERR_REDIS, _("after the snapshot the cluster is no longer "
		    "whole, a failover may be under way: %s; run the backup again"), e.msg);
	for (size_t i = 0; i < cl->n; i++) {
		const struct redis_master *m = &cl->masters[i], *o = NULL;

		for (size_t k = 0; k < now.n && o == NULL; k++)
			if (strcmp(now.masters[k].id, m->id) == 0)
				o = &now.masters[k];
		redis_slots_format(m->slots, m->nslots, was, sizeof was);
		if (o == NULL) {
			const struct redis_master *t = redis_cluster_master_of(&now,
			    m->slots[0].first);

			error_set(err, VS_ERR_REDIS, _("a failover happened during the backup: "
			    "slots %s were served by the master %s (%s), now by %s (%s); the "
			    "snapshot may miss writes made on the new master: run the backup "
			    "again"), was, m->addr, m->id, t != NULL ? t->addr : "?",
			    t != NULL ? t->id : "?");
			goto out;
		}
		redis_slots_format(o->slots, o->nslots, is, sizeof is);
		if (!redis_slots_equal(m->slots, m->nslots, o->slots, o->nslots)) {
			error_set(err, VS_ERR_REDIS, _("slots moved during the backup: the master %s "
			    "served slots %s, now %s; the snapshot may hold keys twice or miss "
			    "them: run the backup again once the resharding is over"), m->addr,
			    was, is);
			goto out;
		}
		if (strcmp(o->addr, m->addr) != 0 || strcmp(o->replid, m->replid) != 0) {
			error_set(err, VS_ERR_REDIS, _("a failover happened during the backup: the "
			    "master %s (%s) of slots %s restarted or changed its replication id; the "
			    "snapshot may miss writes: run the backup again"), m->addr, m->id, was);
			goto out;
		}
	}
	rc = 0;
out:
	redis_cluster_clear(&now);
	return rc;
}
