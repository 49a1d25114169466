/*
 * A restore by RESTORE, for layouts that differ: a cluster backup into a
 * standalone server, a standalone backup into a cluster, a cluster backup
 * into a cluster (of any number of masters). The backup's RDB files are
 * read in order and each key of the backup's database goes, with its TTL
 * (absolute, ABSTTL) and REPLACE, to the master serving its slot, or to
 * the one server. The servers keep running: nothing is stopped or placed.
 *
 * DESIGN: the job's worker reads the files and queues RESTORE commands on
 * one connection per target; when one target has ROUTE_DEPTH commands
 * queued, every target's queue is sent and then every reply read, so all
 * targets load at the same time while the worker reads. Nothing here is
 * shared with another thread.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/restore.h"
#include "redis/rdb-reader.h"
#include "redis/redis-cluster.h"
#include "redis/redis-conn.h"
#include "redis/redis-slot.h"

/* Commands queued on one target before the queues are sent and drained. */
#define ROUTE_DEPTH 512
#define ROUTE_BUF (1024 * 1024)

struct route_target {
	const struct config *cfg;
	struct redis_conn *conn;
	size_t pending;
	uint64_t keys;
};

struct route {
	struct job *job;
	struct redis_cluster cl;       /* a cluster target: its masters */
	struct route_target *t;
	size_t nt;
	uint16_t owner[REDIS_SLOTS];   /* slot -> target */
	struct rdb_reader *rdb;
	uint64_t src_db;
	uint64_t other_db;             /* keys of other databases, left out */
	uint64_t done, total;          /* bytes read */
	char phase[160];
};

bool
restore_routed(const struct config *cfg, const struct manifest *m)
{
	return redis_cluster_mode(cfg) || manifest_is_cluster(m);
}

/* Read every reply queued on t; the first error reply fails. */
static int
drain(struct route_target *t, struct vs_error *err)
{
	int rc = 0;

	for (; t->pending > 0; t->pending--) {
		redisReply *r = redis_conn_reply(t->conn, "RESTORE", err);

		if (r == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ERROR && rc == 0)
			rc = redis_conn_reply_error(t->conn, "RESTORE", r, err);
		freeReplyObject(r);
	}
	return rc;
}

/* Send every target's queue, then take every reply. */
static int
drain_all(struct route *rt, struct vs_error *err)
{
	for (size_t i = 0; i < rt->nt; i++)
		if (rt->t[i].pending > 0 && redis_conn_flush(rt->t[i].conn, err) != 0)
			return -1;
	for (size_t i = 0; i < rt->nt; i++)
		if (drain(&rt->t[i], err) != 0)
			return -1;
	return 0;
}

static int
route_key(void *ud, const struct rdb_key *k, struct vs_error *err)
{
	struct route *rt = ud;
	struct route_target *t;
	uint8_t *payload;
	size_t len;
	int r;

	if (k->db != rt->src_db) {
		rt->other_db++;
		return 0;
	}
	t = &rt->t[rt->nt == 1 ? 0 : rt->owner[redis_key_slot(k->key, k->keylen)]];
	payload = rdb_dump_payload(k, rdb_reader_version(rt->rdb), &len);
	r = redis_conn_append(t->conn, err, "RESTORE %b %lld %b REPLACE ABSTTL", k->key,
	    k->keylen, (long long)(k->expire_ms < 0 ? 0 : k->expire_ms), payload, len);
	free(payload);
	if (r != 0)
		return -1;
	t->keys++;
	if (++t->pending >= ROUTE_DEPTH)
		return drain_all(rt, err);
	return 0;
}

static void
route_free(struct route *rt)
{
	for (size_t i = 0; i < rt->nt; i++)
		redis_conn_close(rt->t[i].conn);
	free(rt->t);
	redis_cluster_clear(&rt->cl);
	rdb_reader_free(rt->rdb);
}

/* The servers the keys go to: every master of the cluster, or the one
 * server of the configuration. */
static int
route_open(struct route *rt, const struct config *cfg, struct vs_error *err)
{
	if (redis_cluster_mode(cfg)) {
		job_progress(rt->job, _("asking the cluster for its masters"), 0, 0, false);
		if (redis_cluster_discover(cfg, &rt->cl, err) != 0)
			return -1;
		rt->nt = rt->cl.n;
		rt->t = xcalloc(rt->nt, sizeof *rt->t);
		for (size_t i = 0; i < rt->cl.n; i++) {
			const struct redis_master *m = &rt->cl.masters[i];

			rt->t[i].cfg = m->cfg;
			for (size_t r = 0; r < m->nslots; r++)
				for (unsigned s = m->slots[r].first; s <= m->slots[r].last; s++)
					rt->owner[s] = (uint16_t)i;
		}
	} else {
		rt->nt = 1;
		rt->t = xcalloc(1, sizeof *rt->t);
		rt->t[0].cfg = cfg;
	}
	for (size_t i = 0; i < rt->nt; i++)
		if (redis_conn_open(rt->t[i].cfg, &rt->t[i].conn, err) != 0)
			return -1;
	return 0;
}

/* Empty each target's database: the restored state is the backup's only. */
static int
route_flush(struct route *rt, struct vs_error *err)
{
	for (size_t i = 0; i < rt->nt; i++) {
		redisReply *r = redis_conn_command(rt->t[i].conn, err, "FLUSHDB");

		if (r == NULL) {
			error_prefix(err, _("nothing was loaded"));
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

/* Stream one RDB file of the backup through the reader. */
static int
route_file(struct route *rt, struct storage *st, const struct manifest *m,
    const struct manifest_file *f, struct vs_error *err)
{
	struct storage_reader *sr;
	struct rdb_summary sum;
	char *buf;
	ssize_t n;
	int rc = -1;

	memset(&sum, 0, sizeof sum);
	rt->rdb = rdb_reader_new(NULL, 0, rt->src_db > INT32_MAX ? 0 : (int)rt->src_db);
	rdb_reader_on_key(rt->rdb, route_key, rt, RDB_KEYS_VALUES);
	if (storage_open_read(st, m->backup_id, f->name, &sr, err) != 0)
		return -1;
	snprintf(rt->phase, sizeof rt->phase, _("loading the keys of %s into Redis (RESTORE)"),
	    f->name);
	buf = xmalloc(ROUTE_BUF);
	while ((n = storage_read(sr, buf, ROUTE_BUF, err)) > 0) {
		if (rdb_reader_feed(rt->rdb, buf, (size_t)n, err) != 0)
			goto out;
		rt->done += (uint64_t)n;
		job_progress(rt->job, rt->phase, rt->done, rt->total, true);
		if (job_cancelled(rt->job)) {
			job_cancel_error(err);
			goto out;
		}
	}
	if (n < 0 || rdb_reader_finish(rt->rdb, &sum, err) != 0 || drain_all(rt, err) != 0)
		goto out;
	rc = 0;
out:
	free(buf);
	rdb_summary_clear(&sum);
	rdb_reader_free(rt->rdb);
	rt->rdb = NULL;
	storage_reader_close(sr);
	return rc;
}

int
restore_route_load(struct job *job, struct storage *st, const struct manifest *m,
    struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	struct route *rt = xcalloc(1, sizeof *rt);
	const struct manifest_file *f;
	size_t nrdb = manifest_is_cluster(m) ? m->redis.nshards : 1;
	int rc = -1;

	rt->job = job;
	rt->src_db = manifest_is_cluster(m) ? 0 : (uint64_t)m->redis.db;
	rt->total = manifest_rdb_size(m);
	if (route_open(rt, cfg, err) != 0 || route_flush(rt, err) != 0)
		goto out;
	if (rt->nt > 1)
		job_log(job, VS_LOG_INFO, _("loading the backup's keys into the %zu masters of the "
		    "cluster, each key to the master of its slot"), rt->nt);
	for (size_t i = 0; i < nrdb && (f = manifest_file_at(m, i)) != NULL; i++) {
		if (!f->present)
			continue;
		if (route_file(rt, st, m, f, err) != 0) {
			error_prefix(err, _("loading %s"), f->name);
			goto out;
		}
	}
	for (size_t i = 0; i < rt->nt; i++)
		job_log(job, VS_LOG_INFO, _("%llu keys restored into %s"),
		    (unsigned long long)rt->t[i].keys, redis_conn_where(rt->t[i].conn));
	if (rt->other_db > 0)
		job_log(job, VS_LOG_WARN, _("%llu keys of databases other than db %d were left "
		    "out: a cluster has db 0 only"), (unsigned long long)rt->other_db,
		    m->redis.db);
	rc = 0;
out:
	route_free(rt);
	free(rt);
	return rc;
}

int
restore_route_count(struct job *job, const bool *with_ttl, struct restore_counts *out,
    struct vs_error *err)
{
	const struct config *cfg = job_config(job);
	size_t np = cfg->redis.nprefixes;
	struct redis_cluster cl;
	struct restore_counts one = {
		.keys = xcalloc(np + 1, sizeof (uint64_t)),
		.volatile_keys = xcalloc(np + 1, sizeof (uint64_t)),
	};
	int rc = -1;

	if (!redis_cluster_mode(cfg)) {
		rc = restore_redis_count(job, with_ttl, out, err);
		goto out_free;
	}
	if (redis_cluster_discover(cfg, &cl, err) != 0)
		goto out_free;
	memset(out->keys, 0, np * sizeof *out->keys);
	memset(out->volatile_keys, 0, np * sizeof *out->volatile_keys);
	out->dbsize = out->db_expires = 0;
	for (size_t i = 0; i < cl.n; i++) {
		int r;

		job_aim(job, cl.masters[i].cfg);
		r = restore_redis_count(job, with_ttl, &one, err);
		job_aim(job, NULL);
		if (r != 0)
			goto out;
		for (size_t p = 0; p < np; p++) {
			out->keys[p] += one.keys[p];
			out->volatile_keys[p] += one.volatile_keys[p];
		}
		out->dbsize += one.dbsize;
		out->db_expires += one.db_expires;
	}
	rc = 0;
out:
	redis_cluster_clear(&cl);
out_free:
	free(one.keys);
	free(one.volatile_keys);
	return rc;
}

int
restore_route_check(const struct config *cfg, char *detail, size_t size)
{
	struct redis_cluster cl;
	struct vs_error e;
	size_t len = 0;

	error_clear(&e);
	if (redis_cluster_discover(cfg, &cl, &e) != 0) {
		snprintf(detail, size, "%s", e.msg);
		return -1;
	}
	for (size_t i = 0; i < cl.n && len < size; i++) {
		char slots[128];
		int k;

		redis_slots_format(cl.masters[i].slots, cl.masters[i].nslots, slots, sizeof slots);
		k = snprintf(detail + len, size - len, "%s%s (%s)", i > 0 ? ", " : "",
		    cl.masters[i].addr, slots);
		if (k < 0)
			break;
		len += (size_t)k;
	}
	{
		char masters[VS_ERROR_MSG_MAX / 2];

		snprintf(masters, sizeof masters, "%s", detail);
		snprintf(detail, size, _("the cluster's %zu masters answer: %s; the keys will be "
		    "loaded into them with RESTORE, each to the master of its slot"), cl.n, masters);
	}
	redis_cluster_clear(&cl);
	return 0;
}
