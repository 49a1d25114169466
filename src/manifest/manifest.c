#include "config.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "manifest/manifest.h"

void
manifest_hex(const unsigned char digest[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}

static void
add_time(cJSON *obj, const char *key, time_t t)
{
	char buf[ISO8601_SIZE];

	time_format_iso(t, buf);
	cJSON_AddStringToObject(obj, key, buf);
}

static void
add_owner(cJSON *obj, const char *key, const struct manifest_owner *o)
{
	cJSON *ow;
	char mode[8];

	if (!o->known)
		return;
	ow = cJSON_AddObjectToObject(obj, key);
	cJSON_AddNumberToObject(ow, "uid", o->uid);
	cJSON_AddNumberToObject(ow, "gid", o->gid);
	snprintf(mode, sizeof mode, "%04o", o->mode & 0777);
	cJSON_AddStringToObject(ow, "mode", mode);
}

void
manifest_owner_from_stat(const struct stat *sb, struct manifest_owner *o)
{
	o->known = true;
	o->uid = (uint32_t)sb->st_uid;
	o->gid = (uint32_t)sb->st_gid;
	o->mode = (unsigned)(sb->st_mode & 0777);
}

static void
add_file(cJSON *obj, const struct manifest_file *f)
{
	if (!f->present) {
		cJSON_AddNullToObject(obj, "file");
		cJSON_AddBoolToObject(obj, "missing", 1);
		if (f->note != NULL)
			cJSON_AddStringToObject(obj, "note", f->note);
		return;
	}
	cJSON_AddStringToObject(obj, "file", f->name);
	cJSON_AddNumberToObject(obj, "size", (double)f->size);
	cJSON_AddStringToObject(obj, "sha256", f->sha256);
	add_owner(obj, "owner", &f->owner);
	if (f->recipe_levels > 0) {
		cJSON *r = cJSON_AddObjectToObject(obj, "recipe"), *ids;

		cJSON_AddNumberToObject(obj, "chunks", (double)f->chunks);
		cJSON_AddNumberToObject(r, "levels", f->recipe_levels);
		ids = cJSON_AddArrayToObject(r, "ids");
		for (size_t i = 0; i < f->nrecipe; i++) {
			char hex[65];

			manifest_hex(f->recipe[i], hex);
			cJSON_AddItemToArray(ids, cJSON_CreateString(hex));
		}
	}
}

static cJSON *
index_json(const struct manifest_index *ix)
{
	cJSON *o = cJSON_CreateObject();

	add_file(o, &ix->file);
	if (ix->file.present && ix->unreadable) {
		cJSON_AddNullToObject(o, "ntotal");
		cJSON_AddNullToObject(o, "dim");
		if (ix->file.note != NULL)
			cJSON_AddStringToObject(o, "note", ix->file.note);
	} else if (ix->file.present) {
		cJSON_AddNumberToObject(o, "ntotal", (double)ix->ntotal);
		cJSON_AddNumberToObject(o, "dim", ix->dim);
		cJSON_AddStringToObject(o, "faiss_type", ix->kind);
	}
	return o;
}

/* Counts per prefix ("key_counts", "key_expires") of obj. */
static void
add_counts(cJSON *obj, const struct manifest *m, const uint64_t *counts,
    const uint64_t *expires, uint64_t dbsize, uint64_t db_expires)
{
	cJSON *c;

	cJSON_AddNumberToObject(obj, "dbsize", (double)dbsize);
	c = cJSON_AddObjectToObject(obj, "key_counts");
	for (size_t i = 0; i < m->redis.ncounts; i++)
		cJSON_AddNumberToObject(c, m->redis.counts[i].prefix, (double)counts[i]);
	if (m->redis.expires_known) {
		cJSON_AddNumberToObject(obj, "dbsize_expires", (double)db_expires);
		c = cJSON_AddObjectToObject(obj, "key_expires");
		for (size_t i = 0; i < m->redis.ncounts; i++)
			cJSON_AddNumberToObject(c, m->redis.counts[i].prefix, (double)expires[i]);
	}
}

static cJSON *
shard_json(const struct manifest *m, const struct manifest_shard *sh)
{
	cJSON *o = cJSON_CreateObject(), *slots;

	add_file(o, &sh->file);
	cJSON_AddStringToObject(o, "node_id", sh->node_id);
	cJSON_AddStringToObject(o, "address", sh->addr ? sh->addr : "");
	slots = cJSON_AddArrayToObject(o, "slots");
	for (size_t i = 0; i < sh->nslots; i++) {
		cJSON *r = cJSON_CreateArray();

		cJSON_AddItemToArray(r, cJSON_CreateNumber(sh->slots[i].first));
		cJSON_AddItemToArray(r, cJSON_CreateNumber(sh->slots[i].last));
		cJSON_AddItemToArray(slots, r);
	}
	cJSON_AddStringToObject(o, "redis_version", sh->redis_version ? sh->redis_version : "");
	cJSON_AddNumberToObject(o, "rdb_version", sh->rdb_version);
	add_counts(o, m, sh->counts, sh->expires, sh->dbsize, sh->db_expires);
	cJSON_AddStringToObject(o, "source", sh->source ? sh->source : "file");
	cJSON_AddStringToObject(o, "data_dir", sh->data_dir ? sh->data_dir : "");
	cJSON_AddStringToObject(o, "dbfilename", sh->dbfilename ? sh->dbfilename : "");
	add_owner(o, "data_dir_owner", &sh->dir_owner);
	return o;
}

char *
manifest_to_json(const struct manifest *m)
{
	cJSON *root = cJSON_CreateObject(), *redis, *counts, *indices;
	char *text, *out;

	cJSON_AddNumberToObject(root, "format_version", m->format_version);
	cJSON_AddStringToObject(root, "backup_id", m->backup_id);
	cJSON_AddStringToObject(root, "type", backup_type_name(m->type));
	add_time(root, "created_at", m->created_at);
	add_time(root, "completed_at", m->completed_at);
	cJSON_AddStringToObject(root, "tool_version", m->tool_version ? m->tool_version : "");
	cJSON_AddStringToObject(root, "consistency", m->consistency ? m->consistency : "paused");

	redis = cJSON_AddObjectToObject(root, "redis");
	if (manifest_is_cluster(m))
		cJSON_AddStringToObject(redis, "mode", "cluster");
	else
		add_file(redis, &m->redis.file);
	cJSON_AddStringToObject(redis, "redis_version",
	    m->redis.redis_version ? m->redis.redis_version : "");
	cJSON_AddNumberToObject(redis, "rdb_version", m->redis.rdb_version);
	cJSON_AddNumberToObject(redis, "db", m->redis.db);
	cJSON_AddNumberToObject(redis, "dbsize", (double)m->redis.dbsize);
	counts = cJSON_AddObjectToObject(redis, "key_counts");
	for (size_t i = 0; i < m->redis.ncounts; i++)
		cJSON_AddNumberToObject(counts, m->redis.counts[i].prefix,
		    (double)m->redis.counts[i].count);
	if (m->redis.expires_known) {
		cJSON_AddNumberToObject(redis, "dbsize_expires", (double)m->redis.db_expires);
		counts = cJSON_AddObjectToObject(redis, "key_expires");
		for (size_t i = 0; i < m->redis.ncounts; i++)
			cJSON_AddNumberToObject(counts, m->redis.counts[i].prefix,
			    (double)m->redis.counts[i].expires);
	}
	cJSON_AddStringToObject(redis, "source", m->redis.source ? m->redis.source : "file");
	cJSON_AddStringToObject(redis, "data_dir", m->redis.data_dir ? m->redis.data_dir : "");
	cJSON_AddStringToObject(redis, "dbfilename", m->redis.dbfilename ? m->redis.dbfilename : "");
	add_owner(redis, "data_dir_owner", &m->redis.dir_owner);
	if (manifest_is_cluster(m)) {
		cJSON *shards = cJSON_AddArrayToObject(redis, "shards");

		for (size_t i = 0; i < m->redis.nshards; i++)
			cJSON_AddItemToArray(shards, shard_json(m, &m->redis.shards[i]));
	}

	indices = cJSON_AddObjectToObject(root, "indices");
	cJSON_AddItemToObject(indices, "content", index_json(&m->content));
	cJSON_AddItemToObject(indices, "user", index_json(&m->user));
	if (m->format_version >= 2) {
		cJSON *r = cJSON_AddObjectToObject(root, "repository");

		cJSON_AddStringToObject(r, "id", m->repo.id);
		cJSON_AddBoolToObject(r, "encrypted", m->repo.encrypted);
		cJSON_AddNumberToObject(r, "chunks", (double)m->repo.chunks);
		cJSON_AddNumberToObject(r, "new_chunks", (double)m->repo.new_chunks);
		cJSON_AddNumberToObject(r, "added", (double)m->repo.added);
	}

	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		fatal("out of memory serialising metadata");
	out = xasprintf("%s\n", text);
	cJSON_free(text);
	return out;
}

/* --- parsing --- */

struct parse_ctx {
	const char *where;
	struct vs_error *err;
	int version;
};

static int
bad(struct parse_ctx *pc, const char *field, const char *what)
{
	return error_set(pc->err, VS_ERR_FORMAT, _("%s: field \"%s\": %s"), pc->where, field, what);
}

static const cJSON *
get(struct parse_ctx *pc, const cJSON *obj, const char *field, const char *path)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	if (v == NULL)
		bad(pc, path, _("missing"));
	return v;
}

static int
get_string(struct parse_ctx *pc, const cJSON *obj, const char *field, const char *path,
    const char **out)
{
	const cJSON *v = get(pc, obj, field, path);

	if (v == NULL)
		return -1;
	if (!cJSON_IsString(v))
		return bad(pc, path, _("not a string"));
	*out = v->valuestring;
	return 0;
}

static int
get_uint(struct parse_ctx *pc, const cJSON *obj, const char *field, const char *path,
    uint64_t max, uint64_t *out)
{
	const cJSON *v = get(pc, obj, field, path);

	if (v == NULL)
		return -1;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble > (double)max)
		return bad(pc, path, _("not a non-negative integer in range"));
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int
get_time(struct parse_ctx *pc, const cJSON *obj, const char *field, time_t *out)
{
	const char *s;

	if (get_string(pc, obj, field, field, &s) != 0)
		return -1;
	if (time_parse(s, out, NULL) != 0)
		return bad(pc, field, _("not an ISO 8601 UTC time"));
	return 0;
}

static bool
is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* An optional owner: absent is fine, malformed is an error. */
static int
parse_owner(struct parse_ctx *pc, const cJSON *obj, const char *key, const char *path,
    struct manifest_owner *o)
{
	const cJSON *ow = cJSON_GetObjectItemCaseSensitive(obj, key);
	char fpath[64];
	uint64_t uid, gid;
	const char *mode;
	char *end;
	unsigned long bits;

	memset(o, 0, sizeof *o);
	if (ow == NULL)
		return 0;
	snprintf(fpath, sizeof fpath, "%s.%s", path, key);
	if (!cJSON_IsObject(ow))
		return bad(pc, fpath, _("not an object"));
	if (get_uint(pc, ow, "uid", fpath, UINT32_MAX - 1, &uid) != 0 ||
	    get_uint(pc, ow, "gid", fpath, UINT32_MAX - 1, &gid) != 0 ||
	    get_string(pc, ow, "mode", fpath, &mode) != 0)
		return -1;
	bits = strtoul(mode, &end, 8);
	if (mode[0] < '0' || mode[0] > '7' || *end != '\0' || strlen(mode) > 4 || bits > 0777)
		return bad(pc, fpath, _("mode is not an octal permission (at most 0777)"));
	o->known = true;
	o->uid = (uint32_t)uid;
	o->gid = (uint32_t)gid;
	o->mode = (unsigned)bits;
	return 0;
}

static int
hex_bytes(const char *s, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + k];

			v <<= 4;
			v |= c >= 'a' ? c - 'a' + 10 : c - '0';
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* A format 2 file's recipe: chunk count, levels, the top ids. */
static int
parse_recipe(struct parse_ctx *pc, const cJSON *obj, const char *path, struct manifest_file *f)
{
	const cJSON *r, *ids, *id;
	char fpath[64];
	uint64_t v;

	snprintf(fpath, sizeof fpath, "%s.chunks", path);
	if (get_uint(pc, obj, "chunks", fpath, UINT64_C(1) << 40, &f->chunks) != 0)
		return -1;
	snprintf(fpath, sizeof fpath, "%s.recipe", path);
	if ((r = get(pc, obj, "recipe", fpath)) == NULL)
		return -1;
	if (!cJSON_IsObject(r))
		return bad(pc, fpath, _("not an object"));
	snprintf(fpath, sizeof fpath, "%s.recipe.levels", path);
	if (get_uint(pc, r, "levels", fpath, 16, &v) != 0)
		return -1;
	if (v < 1)
		return bad(pc, fpath, _("not a non-negative integer in range"));
	f->recipe_levels = (int)v;
	snprintf(fpath, sizeof fpath, "%s.recipe.ids", path);
	if ((ids = get(pc, r, "ids", fpath)) == NULL)
		return -1;
	if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) > MANIFEST_RECIPE_MAX)
		return bad(pc, fpath, _("not an array of chunk ids"));
	f->recipe = xcalloc((size_t)cJSON_GetArraySize(ids) + 1, sizeof *f->recipe);
	cJSON_ArrayForEach(id, ids) {
		if (!cJSON_IsString(id) || !is_hex64(id->valuestring))
			return bad(pc, fpath, _("not 64 lowercase hex digits"));
		hex_bytes(id->valuestring, f->recipe[f->nrecipe++]);
	}
	return 0;
}

static int
parse_file(struct parse_ctx *pc, const cJSON *obj, const char *path, const char *expect,
    struct manifest_file *f)
{
	const cJSON *file = get(pc, obj, "file", path);
	const char *s;
	char fpath[64];

	memset(f, 0, sizeof *f);
	if (file == NULL)
		return -1;
	if (cJSON_IsNull(file)) {
		const cJSON *note = cJSON_GetObjectItemCaseSensitive(obj, "note");

		f->present = false;
		if (cJSON_IsString(note))
			f->note = xstrdup(note->valuestring);
		return 0;
	}
	snprintf(fpath, sizeof fpath, "%s.file", path);
	if (!cJSON_IsString(file))
		return bad(pc, fpath, _("not a string"));
	if (strcmp(file->valuestring, expect) != 0)
		return bad(pc, fpath, _("unexpected file name"));
	f->present = true;
	snprintf(f->name, sizeof f->name, "%s", expect);
	snprintf(fpath, sizeof fpath, "%s.size", path);
	if (get_uint(pc, obj, "size", fpath, UINT64_C(1) << 53, &f->size) != 0)
		return -1;
	snprintf(fpath, sizeof fpath, "%s.sha256", path);
	if (get_string(pc, obj, "sha256", fpath, &s) != 0)
		return -1;
	if (!is_hex64(s))
		return bad(pc, fpath, _("not 64 lowercase hex digits"));
	memcpy(f->sha256, s, 65);
	if (parse_owner(pc, obj, "owner", path, &f->owner) != 0)
		return -1;
	if (pc->version >= 2)
		return parse_recipe(pc, obj, path, f);
	return 0;
}

static int
parse_index(struct parse_ctx *pc, const cJSON *indices, const char *name, const char *expect,
    struct manifest_index *ix)
{
	char path[64];
	const cJSON *o;
	uint64_t v;

	snprintf(path, sizeof path, "indices.%s", name);
	if ((o = get(pc, indices, name, path)) == NULL)
		return -1;
	if (!cJSON_IsObject(o))
		return bad(pc, path, _("not an object"));
	if (parse_file(pc, o, path, expect, &ix->file) != 0)
		return -1;
	if (!ix->file.present)
		return 0;
	if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "ntotal"))) {
		const cJSON *note = cJSON_GetObjectItemCaseSensitive(o, "note");

		ix->unreadable = true;
		if (cJSON_IsString(note))
			ix->file.note = xstrdup(note->valuestring);
		return 0;
	}
	snprintf(path, sizeof path, "indices.%s.ntotal", name);
	if (get_uint(pc, o, "ntotal", path, UINT64_C(1) << 53, &v) != 0)
		return -1;
	ix->ntotal = (int64_t)v;
	snprintf(path, sizeof path, "indices.%s.dim", name);
	if (get_uint(pc, o, "dim", path, 1 << 20, &v) != 0)
		return -1;
	ix->dim = (int)v;
	o = cJSON_GetObjectItemCaseSensitive(o, "faiss_type");
	if (cJSON_IsString(o))
		snprintf(ix->kind, sizeof ix->kind, "%s", o->valuestring);
	return 0;
}

/* Optional: keys with a TTL, in all and per prefix (each at most its count). */
static int
parse_expires(struct parse_ctx *pc, const cJSON *r, struct manifest *m)
{
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(r, "key_expires");
	uint64_t v;

	if (ex == NULL && cJSON_GetObjectItemCaseSensitive(r, "dbsize_expires") == NULL)
		return 0;
	if (get_uint(pc, r, "dbsize_expires", "redis.dbsize_expires", m->redis.dbsize, &v) != 0)
		return -1;
	m->redis.db_expires = v;
	if (ex == NULL)
		return bad(pc, "redis.key_expires", _("missing"));
	if (!cJSON_IsObject(ex))
		return bad(pc, "redis.key_expires", _("not an object"));
	for (size_t i = 0; i < m->redis.ncounts; i++) {
		if (get_uint(pc, ex, m->redis.counts[i].prefix, "redis.key_expires",
		    m->redis.counts[i].count, &v) != 0)
			return -1;
		m->redis.counts[i].expires = v;
	}
	m->redis.expires_known = true;
	return 0;
}

/* Per-prefix counts of a shard: the prefixes of the totals, each. */
static int
parse_shard_counts(struct parse_ctx *pc, const cJSON *o, const char *path,
    const struct manifest *m, struct manifest_shard *sh)
{
	const cJSON *counts, *ex;
	char fpath[96];
	uint64_t v;

	sh->counts = xcalloc(m->redis.ncounts + 1, sizeof *sh->counts);
	sh->expires = xcalloc(m->redis.ncounts + 1, sizeof *sh->expires);
	snprintf(fpath, sizeof fpath, "%s.dbsize", path);
	if (get_uint(pc, o, "dbsize", fpath, UINT64_C(1) << 53, &sh->dbsize) != 0)
		return -1;
	snprintf(fpath, sizeof fpath, "%s.key_counts", path);
	if ((counts = get(pc, o, "key_counts", fpath)) == NULL)
		return -1;
	if (!cJSON_IsObject(counts))
		return bad(pc, fpath, _("not an object"));
	for (size_t i = 0; i < m->redis.ncounts; i++)
		if (get_uint(pc, counts, m->redis.counts[i].prefix, fpath, sh->dbsize,
		    &sh->counts[i]) != 0)
			return -1;
	if (!m->redis.expires_known)
		return 0;
	snprintf(fpath, sizeof fpath, "%s.dbsize_expires", path);
	if (get_uint(pc, o, "dbsize_expires", fpath, sh->dbsize, &sh->db_expires) != 0)
		return -1;
	snprintf(fpath, sizeof fpath, "%s.key_expires", path);
	if ((ex = get(pc, o, "key_expires", fpath)) == NULL)
		return -1;
	if (!cJSON_IsObject(ex))
		return bad(pc, fpath, _("not an object"));
	for (size_t i = 0; i < m->redis.ncounts; i++) {
		if (get_uint(pc, ex, m->redis.counts[i].prefix, fpath, sh->counts[i], &v) != 0)
			return -1;
		sh->expires[i] = v;
	}
	return 0;
}

static int
parse_shard(struct parse_ctx *pc, const cJSON *o, size_t idx, const struct manifest *m,
    unsigned char *owned, struct manifest_shard *sh)
{
	char path[64], fpath[96], name[MANIFEST_NAME_MAX];
	const cJSON *slots, *r, *c;
	const char *s;
	uint64_t v;

	snprintf(path, sizeof path, "redis.shards[%zu]", idx);
	if (!cJSON_IsObject(o))
		return bad(pc, path, _("not an object"));
	snprintf(fpath, sizeof fpath, "%s.node_id", path);
	if (get_string(pc, o, "node_id", fpath, &s) != 0)
		return -1;
	if (strlen(s) != 40 || strspn(s, "0123456789abcdef") != 40)
		return bad(pc, fpath, _("not a node id (40 lowercase hex digits)"));
	memcpy(sh->node_id, s, 41);
	manifest_shard_file_name(sh->node_id, name);
	if (parse_file(pc, o, path, name, &sh->file) != 0)
		return -1;
	if (!sh->file.present)
		return bad(pc, path, _("a shard's RDB file cannot be missing"));
	snprintf(fpath, sizeof fpath, "%s.address", path);
	if (get_string(pc, o, "address", fpath, &s) != 0)
		return -1;
	sh->addr = xstrdup(s);
	snprintf(fpath, sizeof fpath, "%s.slots", path);
	if ((slots = get(pc, o, "slots", fpath)) == NULL)
		return -1;
	if (!cJSON_IsArray(slots) || cJSON_GetArraySize(slots) < 1 ||
	    cJSON_GetArraySize(slots) > REDIS_SLOTS)
		return bad(pc, fpath, _("not a list of slot ranges"));
	sh->slots = xcalloc((size_t)cJSON_GetArraySize(slots), sizeof *sh->slots);
	cJSON_ArrayForEach(r, slots) {
		const cJSON *a = cJSON_GetArrayItem(r, 0), *b = cJSON_GetArrayItem(r, 1);

		if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) != 2 || !cJSON_IsNumber(a) ||
		    !cJSON_IsNumber(b) || a->valuedouble < 0 || b->valuedouble < a->valuedouble ||
		    b->valuedouble >= REDIS_SLOTS || a->valuedouble != floor(a->valuedouble) ||
		    b->valuedouble != floor(b->valuedouble))
			return bad(pc, fpath, _("not a list of [first, last] slot ranges "
			    "within 0-16383"));
		sh->slots[sh->nslots].first = (uint16_t)a->valuedouble;
		sh->slots[sh->nslots].last = (uint16_t)b->valuedouble;
		for (unsigned k = sh->slots[sh->nslots].first; k <= sh->slots[sh->nslots].last;
		    k++) {
			if (owned[k])
				return bad(pc, fpath, _("a slot belongs to two shards"));
			owned[k] = 1;
		}
		sh->nslots++;
	}
	snprintf(fpath, sizeof fpath, "%s.redis_version", path);
	if (get_string(pc, o, "redis_version", fpath, &s) != 0)
		return -1;
	sh->redis_version = xstrdup(s);
	snprintf(fpath, sizeof fpath, "%s.rdb_version", path);
	if (get_uint(pc, o, "rdb_version", fpath, 1000, &v) != 0)
		return -1;
	sh->rdb_version = (int)v;
	c = cJSON_GetObjectItemCaseSensitive(o, "source");
	sh->source = xstrdup(cJSON_IsString(c) ? c->valuestring : "file");
	c = cJSON_GetObjectItemCaseSensitive(o, "data_dir");
	sh->data_dir = xstrdup(cJSON_IsString(c) ? c->valuestring : "");
	c = cJSON_GetObjectItemCaseSensitive(o, "dbfilename");
	sh->dbfilename = xstrdup(cJSON_IsString(c) ? c->valuestring : "");
	if (parse_owner(pc, o, "data_dir_owner", path, &sh->dir_owner) != 0)
		return -1;
	return parse_shard_counts(pc, o, path, m, sh);
}

/* A cluster backup: its shards cover every slot once, and add up to the
 * totals. */
static int
parse_shards(struct parse_ctx *pc, const cJSON *r, struct manifest *m)
{
	const cJSON *shards = cJSON_GetObjectItemCaseSensitive(r, "shards"), *o;
	unsigned char *owned = xcalloc(REDIS_SLOTS, 1);
	uint64_t dbsize = 0, db_expires = 0;
	size_t i = 0;
	int rc = -1;

	if (!cJSON_IsArray(shards) || cJSON_GetArraySize(shards) < 1 ||
	    cJSON_GetArraySize(shards) > REDIS_SLOTS) {
		bad(pc, "redis.shards", _("not a list of shards"));
		goto out;
	}
	m->redis.shards = xcalloc((size_t)cJSON_GetArraySize(shards), sizeof *m->redis.shards);
	cJSON_ArrayForEach(o, shards) {
		struct manifest_shard *sh = &m->redis.shards[i];

		m->redis.nshards = ++i;
		if (parse_shard(pc, o, i - 1, m, owned, sh) != 0)
			goto out;
		for (size_t k = 0; k + 1 < i; k++)
			if (strcmp(m->redis.shards[k].node_id, sh->node_id) == 0) {
				bad(pc, "redis.shards", _("two shards have the same node id"));
				goto out;
			}
		dbsize += sh->dbsize;
		db_expires += sh->db_expires;
	}
	if (memchr(owned, 0, REDIS_SLOTS) != NULL) {
		bad(pc, "redis.shards", _("the shards do not cover every slot"));
		goto out;
	}
	if (dbsize != m->redis.dbsize || (m->redis.expires_known &&
	    db_expires != m->redis.db_expires)) {
		bad(pc, "redis.shards", _("the shards' key counts do not add up to dbsize"));
		goto out;
	}
	for (size_t p = 0; p < m->redis.ncounts; p++) {
		uint64_t n = 0, e = 0;

		for (size_t k = 0; k < m->redis.nshards; k++) {
			n += m->redis.shards[k].counts[p];
			e += m->redis.shards[k].expires[p];
		}
		if (n != m->redis.counts[p].count ||
		    (m->redis.expires_known && e != m->redis.counts[p].expires)) {
			bad(pc, "redis.shards", _("the shards' key counts do not add up to "
			    "key_counts"));
			goto out;
		}
	}
	rc = 0;
out:
	free(owned);
	return rc;
}

static int
parse_redis(struct parse_ctx *pc, const cJSON *root, struct manifest *m)
{
	const cJSON *r, *counts, *c;
	const char *s;
	uint64_t v;
	bool cluster;

	if ((r = get(pc, root, "redis", "redis")) == NULL)
		return -1;
	if (!cJSON_IsObject(r))
		return bad(pc, "redis", _("not an object"));
	c = cJSON_GetObjectItemCaseSensitive(r, "mode");
	cluster = cJSON_IsString(c) && strcmp(c->valuestring, "cluster") == 0;
	if (c != NULL && !cluster && !(cJSON_IsString(c) &&
	    strcmp(c->valuestring, "standalone") == 0))
		return bad(pc, "redis.mode", _("not \"standalone\" or \"cluster\""));
	if (!cluster && parse_file(pc, r, "redis", MANIFEST_RDB_FILE, &m->redis.file) != 0)
		return -1;
	if (get_string(pc, r, "redis_version", "redis.redis_version", &s) != 0)
		return -1;
	m->redis.redis_version = xstrdup(s);
	if (get_uint(pc, r, "dbsize", "redis.dbsize", UINT64_C(1) << 53, &m->redis.dbsize) != 0)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(r, "rdb_version") != NULL) {
		if (get_uint(pc, r, "rdb_version", "redis.rdb_version", 1000, &v) != 0)
			return -1;
		m->redis.rdb_version = (int)v;
	}
	if (cJSON_GetObjectItemCaseSensitive(r, "db") != NULL) {
		if (get_uint(pc, r, "db", "redis.db", 1000000, &v) != 0)
			return -1;
		m->redis.db = (int)v;
	}
	c = cJSON_GetObjectItemCaseSensitive(r, "source");
	m->redis.source = xstrdup(cJSON_IsString(c) ? c->valuestring : "file");
	c = cJSON_GetObjectItemCaseSensitive(r, "data_dir");
	m->redis.data_dir = xstrdup(cJSON_IsString(c) ? c->valuestring : "");
	c = cJSON_GetObjectItemCaseSensitive(r, "dbfilename");
	m->redis.dbfilename = xstrdup(cJSON_IsString(c) ? c->valuestring : "");
	if (parse_owner(pc, r, "data_dir_owner", "redis", &m->redis.dir_owner) != 0)
		return -1;
	if ((counts = get(pc, r, "key_counts", "redis.key_counts")) == NULL)
		return -1;
	if (!cJSON_IsObject(counts))
		return bad(pc, "redis.key_counts", _("not an object"));
	m->redis.ncounts = (size_t)cJSON_GetArraySize(counts);
	m->redis.counts = xcalloc(m->redis.ncounts + 1, sizeof *m->redis.counts);
	m->redis.ncounts = 0;
	cJSON_ArrayForEach(c, counts) {
		/* At most 2^53, where doubles still count exactly: a count
		 * such as 1e400 (infinity) is never cast to an integer. */
		if (!cJSON_IsNumber(c) || c->valuedouble < 0 ||
		    c->valuedouble != floor(c->valuedouble) ||
		    c->valuedouble > (double)(UINT64_C(1) << 53))
			return bad(pc, "redis.key_counts", _("counts must be non-negative integers"));
		m->redis.counts[m->redis.ncounts].prefix = xstrdup(c->string);
		m->redis.counts[m->redis.ncounts].count = (uint64_t)c->valuedouble;
		m->redis.ncounts++;
	}
	if (parse_expires(pc, r, m) != 0)
		return -1;
	return cluster ? parse_shards(pc, r, m) : 0;
}

static int
parse_repo(struct parse_ctx *pc, const cJSON *root, struct manifest *m)
{
	const cJSON *r, *e;
	const char *s;

	if ((r = get(pc, root, "repository", "repository")) == NULL)
		return -1;
	if (!cJSON_IsObject(r))
		return bad(pc, "repository", _("not an object"));
	if (get_string(pc, r, "id", "repository.id", &s) != 0)
		return -1;
	snprintf(m->repo.id, sizeof m->repo.id, "%s", s);
	e = cJSON_GetObjectItemCaseSensitive(r, "encrypted");
	m->repo.encrypted = cJSON_IsTrue(e);
	if (get_uint(pc, r, "chunks", "repository.chunks", UINT64_C(1) << 53, &m->repo.chunks) != 0 ||
	    get_uint(pc, r, "new_chunks", "repository.new_chunks", UINT64_C(1) << 53,
	    &m->repo.new_chunks) != 0 ||
	    get_uint(pc, r, "added", "repository.added", UINT64_C(1) << 53, &m->repo.added) != 0)
		return -1;
	return 0;
}

int
manifest_parse(const char *json, const char *where, struct manifest *m, struct vs_error *err)
{
	struct parse_ctx pc = { where, err, 1 };
	cJSON *root;
	const cJSON *indices;
	const char *s;
	uint64_t v;
	int rc = -1;

	memset(m, 0, sizeof *m);
	root = cJSON_Parse(json);
	if (root == NULL) {
		const char *at = cJSON_GetErrorPtr();
		long off = at != NULL && at >= json ? (long)(at - json) : -1;

		return error_set(err, VS_ERR_FORMAT,
		    _("%s: not valid JSON (error near byte %ld); the file is damaged or truncated"),
		    where, off);
	}
	if (!cJSON_IsObject(root)) {
		error_set(err, VS_ERR_FORMAT, _("%s: not a JSON object"), where);
		goto out;
	}
	if (get_uint(&pc, root, "format_version", "format_version", 1000, &v) != 0)
		goto out;
	m->format_version = (int)v;
	if (m->format_version < 1 || m->format_version > MANIFEST_FORMAT_MAX) {
		error_set(err, VS_ERR_FORMAT,
		    _("%s: format_version %d is not supported by this vsbackup (up to %d); "
		      "use a newer vsbackup"), where, m->format_version, MANIFEST_FORMAT_MAX);
		goto out;
	}
	pc.version = m->format_version;
	if (get_string(&pc, root, "backup_id", "backup_id", &s) != 0)
		goto out;
	if (!backup_id_valid(s)) {
		bad(&pc, "backup_id", _("not a backup id (YYYYMMDD_HHMMSS)"));
		goto out;
	}
	memcpy(m->backup_id, s, BACKUP_ID_SIZE);
	if (get_string(&pc, root, "type", "type", &s) != 0)
		goto out;
	if (backup_type_parse(s, &m->type) != 0) {
		bad(&pc, "type", _("not one of daily, weekly, monthly, manual, pre-restore"));
		goto out;
	}
	if (get_time(&pc, root, "created_at", &m->created_at) != 0 ||
	    get_time(&pc, root, "completed_at", &m->completed_at) != 0)
		goto out;
	if (get_string(&pc, root, "tool_version", "tool_version", &s) != 0)
		goto out;
	m->tool_version = xstrdup(s);
	indices = cJSON_GetObjectItemCaseSensitive(root, "consistency");
	m->consistency = xstrdup(cJSON_IsString(indices) ? indices->valuestring : "paused");
	if (parse_redis(&pc, root, m) != 0)
		goto out;
	if ((indices = get(&pc, root, "indices", "indices")) == NULL)
		goto out;
	if (!cJSON_IsObject(indices)) {
		bad(&pc, "indices", _("not an object"));
		goto out;
	}
	if (parse_index(&pc, indices, "content", MANIFEST_CONTENT_FILE, &m->content) != 0 ||
	    parse_index(&pc, indices, "user", MANIFEST_USER_FILE, &m->user) != 0)
		goto out;
	if (m->format_version >= 2 && parse_repo(&pc, root, m) != 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc != 0)
		manifest_clear(m);
	return rc;
}

void
manifest_clear(struct manifest *m)
{
	free(m->tool_version);
	free(m->consistency);
	free(m->redis.redis_version);
	free(m->redis.source);
	free(m->redis.data_dir);
	free(m->redis.dbfilename);
	free(m->redis.file.note);
	free(m->content.file.note);
	free(m->user.file.note);
	free(m->redis.file.recipe);
	free(m->content.file.recipe);
	free(m->user.file.recipe);
	for (size_t i = 0; i < m->redis.ncounts; i++)
		free(m->redis.counts[i].prefix);
	free(m->redis.counts);
	for (size_t i = 0; i < m->redis.nshards; i++) {
		struct manifest_shard *sh = &m->redis.shards[i];

		free(sh->file.note);
		free(sh->file.recipe);
		free(sh->addr);
		free(sh->slots);
		free(sh->redis_version);
		free(sh->counts);
		free(sh->expires);
		free(sh->source);
		free(sh->data_dir);
		free(sh->dbfilename);
	}
	free(m->redis.shards);
	memset(m, 0, sizeof *m);
}

bool
manifest_is_cluster(const struct manifest *m)
{
	return m->redis.nshards > 0;
}

size_t
manifest_nfiles(const struct manifest *m)
{
	return (manifest_is_cluster(m) ? m->redis.nshards : 1) + 2;
}

const struct manifest_file *
manifest_file_at(const struct manifest *m, size_t i)
{
	size_t nrdb = manifest_is_cluster(m) ? m->redis.nshards : 1;

	if (i < nrdb)
		return manifest_is_cluster(m) ? &m->redis.shards[i].file : &m->redis.file;
	if (i == nrdb)
		return &m->content.file;
	if (i == nrdb + 1)
		return &m->user.file;
	return NULL;
}

bool
manifest_has_rdb(const struct manifest *m)
{
	return manifest_is_cluster(m) || m->redis.file.present;
}

uint64_t
manifest_rdb_size(const struct manifest *m)
{
	uint64_t n = m->redis.file.present ? m->redis.file.size : 0;

	for (size_t i = 0; i < m->redis.nshards; i++)
		n += m->redis.shards[i].file.size;
	return n;
}

bool
manifest_rdb_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (strcmp(name, MANIFEST_RDB_FILE) == 0)
		return true;
	return len == 6 + 40 + 4 && strncmp(name, "redis-", 6) == 0 &&
	    strspn(name + 6, "0123456789abcdef") == 40 && strcmp(name + 46, ".rdb") == 0;
}

void
manifest_shard_file_name(const char *node_id, char out[MANIFEST_NAME_MAX])
{
	snprintf(out, MANIFEST_NAME_MAX, "redis-%.40s.rdb", node_id);
}

const struct manifest_file *
manifest_file_by_name(const struct manifest *m, const char *name)
{
	const struct manifest_file *f;

	for (size_t i = 0; (f = manifest_file_at(m, i)) != NULL; i++)
		if (f->present && strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

const struct manifest_count *
manifest_count_entry(const struct manifest *m, const char *prefix)
{
	for (size_t i = 0; i < m->redis.ncounts; i++)
		if (strcmp(m->redis.counts[i].prefix, prefix) == 0)
			return &m->redis.counts[i];
	return NULL;
}

long long
manifest_count_for(const struct manifest *m, const char *prefix)
{
	for (size_t i = 0; i < m->redis.ncounts; i++)
		if (strcmp(m->redis.counts[i].prefix, prefix) == 0)
			return (long long)m->redis.counts[i].count;
	return -1;
}

uint64_t
manifest_total_size(const struct manifest *m)
{
	return manifest_rdb_size(m) + m->content.file.size + m->user.file.size;
}
