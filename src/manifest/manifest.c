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

static int
parse_redis(struct parse_ctx *pc, const cJSON *root, struct manifest *m)
{
	const cJSON *r, *counts, *c;
	const char *s;
	uint64_t v;

	if ((r = get(pc, root, "redis", "redis")) == NULL)
		return -1;
	if (!cJSON_IsObject(r))
		return bad(pc, "redis", _("not an object"));
	if (parse_file(pc, r, "redis", MANIFEST_RDB_FILE, &m->redis.file) != 0)
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
	return parse_expires(pc, r, m);
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
	memset(m, 0, sizeof *m);
}

const struct manifest_file *
manifest_file_by_name(const struct manifest *m, const char *name)
{
	const struct manifest_file *files[] = { &m->redis.file, &m->content.file, &m->user.file };

	for (size_t i = 0; i < 3; i++)
		if (files[i]->present && strcmp(files[i]->name, name) == 0)
			return files[i];
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
	return m->redis.file.size + m->content.file.size + m->user.file.size;
}
