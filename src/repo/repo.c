/*
 * Opening and creating a repository: its config object, the master keys
 * wrapped by a passphrase, the objects named by their hash.
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "repo/repo.intern.h"

/* scrypt cost of new key files: 32 MiB and about 0.1 s here. */
#define KDF_N 32768
#define KDF_R 8
#define KDF_P 1
#define PASSPHRASE_MAX 4096
#define KEY_AAD "vsbackup repository key"

/* The chunker parameters of new repositories, chosen with the churn
 * benchmark (bench/RESULTS.md). */
static const struct chunker_params default_params[REPO_NKINDS] = {
	[REPO_KIND_RDB] = { 1024, 2048, 65536 },
	[REPO_KIND_FAISS] = { 512, 2048, 16384 },
	[REPO_KIND_META] = { 256, 1024, 8192 },
};

static const char *const kind_names[REPO_NKINDS] = { "rdb", "faiss", "meta" };

char *
repo_pack_key(const unsigned char id[REPO_ID_SIZE])
{
	char hex[2 * REPO_ID_SIZE + 1];

	repo_hex(id, REPO_ID_SIZE, hex);
	return xasprintf(REPO_PACKS "%.2s/%s", hex, hex);
}

char *
repo_index_key(const unsigned char id[REPO_ID_SIZE])
{
	char hex[2 * REPO_ID_SIZE + 1];

	repo_hex(id, REPO_ID_SIZE, hex);
	return xasprintf(REPO_INDEX "%s", hex);
}

char *
repo_manifest_key(const char *backup_id)
{
	return xasprintf(REPO_MANIFESTS "%s", backup_id);
}

const char *
repo_id(const struct repo *r)
{
	return r->id;
}

bool
repo_encrypted(const struct repo *r)
{
	return r->keys.encrypted;
}

struct storage *
repo_storage(const struct repo *r)
{
	return r->st;
}

int
repo_get_object(struct repo *r, const char *key, size_t max, unsigned char **data,
    size_t *len, struct vs_error *err)
{
	char *buf;

	if (storage_obj_read(r->st, key, max, &buf, len, err) != 0)
		return -1;
	*data = (unsigned char *)buf;
	return 0;
}

int
repo_put_named(struct repo *r, const char *key, const void *data, size_t len,
    struct vs_error *err)
{
	struct storage_body body = storage_body_mem(data, len);

	return storage_obj_put(r->st, key, &body, NULL, err);
}

int
repo_exists(struct storage *st, struct vs_error *err)
{
	struct storage_stat sb;
	struct vs_error herr;

	error_clear(&herr);
	if (storage_obj_head(st, REPO_CONFIG, &sb, &herr) == 0)
		return 1;
	if (herr.code == VS_ERR_NOTFOUND)
		return 0;
	*err = herr;
	return -1;
}

/* --- the passphrase --------------------------------------------------------- */

/* The passphrase from repository.passphrase_file, else VSBACKUP_PASSPHRASE;
 * NULL (no error) when neither is set. */
static int
passphrase_get(const struct config *cfg, char **out, struct vs_error *err)
{
	const char *env = getenv("VSBACKUP_PASSPHRASE");
	size_t len;

	*out = NULL;
	if (cfg->repository.passphrase_file[0] != '\0') {
		char *data;

		if (fs_read_all(cfg->repository.passphrase_file, PASSPHRASE_MAX, &data, &len,
		    err) != 0)
			return error_prefix(err, _("repository.passphrase_file"));
		/* One line: a trailing newline is not part of it. */
		while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
			data[--len] = '\0';
		if (len == 0) {
			free(data);
			return error_set(err, VS_ERR_CONFIG, _("repository.passphrase_file %s is "
			    "empty"), cfg->repository.passphrase_file);
		}
		*out = data;
		return 0;
	}
	if (env != NULL && *env != '\0')
		*out = xstrdup(env);
	return 0;
}

static void
passphrase_free(char *p)
{
	if (p != NULL) {
		repo_wipe(p, strlen(p));
		free(p);
	}
}

/* --- key files -------------------------------------------------------------- */

static char *
key_file_make(const struct repo_keys *k, const char *pass, struct vs_error *err)
{
	unsigned char salt[32], kek[32], master[96], sealed[96 + REPO_SEAL_OVERHEAD];
	char hsalt[65], hdata[2 * sizeof sealed + 1], *text;
	cJSON *o;

	repo_random(salt, sizeof salt);
	if (repo_scrypt(pass, strlen(pass), salt, sizeof salt, KDF_N, KDF_R, KDF_P, kek, err) != 0)
		return NULL;
	memcpy(master, k->enc, 32);
	memcpy(master + 32, k->mac, 32);
	memcpy(master + 64, k->seed, 32);
	repo_gcm_seal(kek, KEY_AAD, strlen(KEY_AAD), master, sizeof master, sealed);
	repo_wipe(master, sizeof master);
	repo_wipe(kek, sizeof kek);
	repo_hex(salt, sizeof salt, hsalt);
	repo_hex(sealed, sizeof sealed, hdata);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kdf", "scrypt");
	cJSON_AddNumberToObject(o, "n", KDF_N);
	cJSON_AddNumberToObject(o, "r", KDF_R);
	cJSON_AddNumberToObject(o, "p", KDF_P);
	cJSON_AddStringToObject(o, "salt", hsalt);
	cJSON_AddStringToObject(o, "cipher", "aes-256-gcm");
	cJSON_AddStringToObject(o, "data", hdata);
	text = cJSON_Print(o);
	cJSON_Delete(o);
	return text;
}

/* 0: opened; 1: not this passphrase; -1: the file is not a key file. */
static int
key_file_open(const char *text, const char *where, const char *pass, struct repo_keys *k,
    struct vs_error *err)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *n, *r, *p, *salt, *data, *kdf;
	unsigned char bsalt[32], sealed[96 + REPO_SEAL_OVERHEAD], master[96], kek[32];
	int rc = -1;

	if (o == NULL) {
		error_set(err, VS_ERR_FORMAT, _("%s is not a key file (not JSON)"), where);
		return -1;
	}
	kdf = cJSON_GetObjectItemCaseSensitive(o, "kdf");
	n = cJSON_GetObjectItemCaseSensitive(o, "n");
	r = cJSON_GetObjectItemCaseSensitive(o, "r");
	p = cJSON_GetObjectItemCaseSensitive(o, "p");
	salt = cJSON_GetObjectItemCaseSensitive(o, "salt");
	data = cJSON_GetObjectItemCaseSensitive(o, "data");
	if (!cJSON_IsString(kdf) || strcmp(kdf->valuestring, "scrypt") != 0 ||
	    !cJSON_IsNumber(n) || !cJSON_IsNumber(r) || !cJSON_IsNumber(p) ||
	    n->valuedouble < 2 || n->valuedouble > (1 << 22) || r->valuedouble < 1 ||
	    r->valuedouble > 64 || p->valuedouble < 1 || p->valuedouble > 16 ||
	    !cJSON_IsString(salt) || repo_unhex(salt->valuestring, bsalt, sizeof bsalt) != 0 ||
	    !cJSON_IsString(data) || repo_unhex(data->valuestring, sealed, sizeof sealed) != 0) {
		error_set(err, VS_ERR_FORMAT, _("%s is not a key file of this vsbackup"), where);
		goto out;
	}
	if (repo_scrypt(pass, strlen(pass), bsalt, sizeof bsalt, (uint64_t)n->valuedouble,
	    (uint64_t)r->valuedouble, (uint64_t)p->valuedouble, kek, err) != 0)
		goto out;
	if (repo_gcm_open(kek, KEY_AAD, strlen(KEY_AAD), sealed, sizeof sealed, master) != 0) {
		rc = 1;
		goto out;
	}
	k->encrypted = true;
	memcpy(k->enc, master, 32);
	memcpy(k->mac, master + 32, 32);
	memcpy(k->seed, master + 64, 32);
	rc = 0;
out:
	repo_wipe(master, sizeof master);
	repo_wipe(kek, sizeof kek);
	cJSON_Delete(o);
	return rc;
}

struct key_names {
	char **keys;
	size_t n;
};

static int
key_names_cb(void *ud, const struct storage_object *o)
{
	struct key_names *kn = ud;

	if (o->dir)
		return 0;
	kn->keys = xreallocarray(kn->keys, kn->n + 1, sizeof *kn->keys);
	kn->keys[kn->n++] = xstrdup(o->key);
	return 0;
}

static void
key_names_free(struct key_names *kn)
{
	for (size_t i = 0; i < kn->n; i++)
		free(kn->keys[i]);
	free(kn->keys);
}

/* Try each key file with the passphrase. */
static int
keys_unlock(struct repo *r, const char *pass, struct vs_error *err)
{
	struct key_names kn = { 0 };
	int rc = -1, tried = 0;

	if (storage_obj_list(r->st, REPO_KEYS, 0, key_names_cb, &kn, err) != 0)
		return -1;
	for (size_t i = 0; i < kn.n && rc != 0; i++) {
		char *text, *where;
		size_t len;
		int k;

		if (storage_obj_read(r->st, kn.keys[i], REPO_CONFIG_MAX, &text, &len, err) != 0)
			goto out;
		where = xasprintf("%s/%s", storage_location(r->st), kn.keys[i]);
		k = key_file_open(text, where, pass, &r->keys, err);
		free(where);
		free(text);
		if (k < 0)
			goto out;
		tried++;
		if (k == 0)
			rc = 0;
	}
	if (rc != 0 && tried == 0)
		error_set(err, VS_ERR_FORMAT, _("the encrypted repository in %s has no key file "
		    "(%s is empty): it cannot be opened"), storage_location(r->st), REPO_KEYS);
	else if (rc != 0)
		error_set(err, VS_ERR_REFUSED, _("the passphrase does not open the repository in %s "
		    "(wrong passphrase?); check repository.passphrase_file or VSBACKUP_PASSPHRASE"),
		    storage_location(r->st));
out:
	key_names_free(&kn);
	return rc;
}

/* --- the config object ------------------------------------------------------ */

static char *
config_make(const struct repo *r)
{
	cJSON *o = cJSON_CreateObject(), *ch;
	char when[ISO8601_SIZE], *text, *out;

	cJSON_AddNumberToObject(o, "format", REPO_FORMAT);
	cJSON_AddStringToObject(o, "id", r->id);
	time_format_iso(time_now(), when);
	cJSON_AddStringToObject(o, "created_at", when);
	cJSON_AddStringToObject(o, "encryption", r->keys.encrypted ? "aes-256-gcm" : "none");
	ch = cJSON_AddObjectToObject(o, "chunker");
	cJSON_AddStringToObject(ch, "algorithm", "fastcdc-gear");
	for (int k = 0; k < REPO_NKINDS; k++) {
		cJSON *p = cJSON_AddObjectToObject(ch, kind_names[k]);

		cJSON_AddNumberToObject(p, "min", r->cp[k].min);
		cJSON_AddNumberToObject(p, "avg", r->cp[k].avg);
		cJSON_AddNumberToObject(p, "max", r->cp[k].max);
	}
	if (!r->keys.encrypted) {
		char seed[65];

		repo_hex(r->keys.seed, sizeof r->keys.seed, seed);
		cJSON_AddStringToObject(ch, "seed", seed);
	}
	text = cJSON_Print(o);
	cJSON_Delete(o);
	out = xasprintf("%s\n", text);
	cJSON_free(text);
	return out;
}

static int
num_field(const cJSON *o, const char *name, uint32_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
	    v->valuedouble != floor(v->valuedouble))
		return -1;
	*out = (uint32_t)v->valuedouble;
	return 0;
}

static int
config_parse(struct repo *r, const char *text, bool *encrypted, struct vs_error *err)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *v, *ch, *seed;
	char *where = xasprintf("%s/%s", storage_location(r->st), REPO_CONFIG);
	int rc = -1;

	if (o == NULL || !cJSON_IsObject(o)) {
		error_set(err, VS_ERR_FORMAT, _("%s is not a repository config (not JSON); the "
		    "repository is damaged"), where);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "format");
	if (!cJSON_IsNumber(v) || v->valuedouble != REPO_FORMAT) {
		error_set(err, VS_ERR_FORMAT, _("%s: repository format %g is not supported by this "
		    "vsbackup (it reads format %d)"), where, cJSON_IsNumber(v) ? v->valuedouble : 0,
		    REPO_FORMAT);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, "id");
	if (!cJSON_IsString(v) || strlen(v->valuestring) != 32) {
		error_set(err, VS_ERR_FORMAT, _("%s: no repository id"), where);
		goto out;
	}
	snprintf(r->id, sizeof r->id, "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(o, "encryption");
	if (!cJSON_IsString(v) || (strcmp(v->valuestring, "none") != 0 &&
	    strcmp(v->valuestring, "aes-256-gcm") != 0)) {
		error_set(err, VS_ERR_FORMAT, _("%s: unknown encryption"), where);
		goto out;
	}
	*encrypted = strcmp(v->valuestring, "none") != 0;
	ch = cJSON_GetObjectItemCaseSensitive(o, "chunker");
	for (int k = 0; k < REPO_NKINDS; k++) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(ch, kind_names[k]);

		if (!cJSON_IsObject(p) || num_field(p, "min", &r->cp[k].min) != 0 ||
		    num_field(p, "avg", &r->cp[k].avg) != 0 || num_field(p, "max", &r->cp[k].max) != 0 ||
		    !chunker_params_valid(&r->cp[k])) {
			error_set(err, VS_ERR_FORMAT, _("%s: the chunker parameters of %s are not "
			    "usable"), where, kind_names[k]);
			goto out;
		}
	}
	seed = cJSON_GetObjectItemCaseSensitive(ch, "seed");
	if (!*encrypted && (!cJSON_IsString(seed) ||
	    repo_unhex(seed->valuestring, r->keys.seed, sizeof r->keys.seed) != 0)) {
		error_set(err, VS_ERR_FORMAT, _("%s: no chunker seed"), where);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(o);
	free(where);
	return rc;
}

/* Make a new repository in r->st. */
static int
repo_create(struct repo *r, const char *pass, struct repo *template, struct vs_error *err)
{
	char *text = NULL, *key = NULL;
	unsigned char rnd[16];
	int rc = -1;

	if (template != NULL) {
		/* The same repository in another place: config and keys as
		 * they are, so chunk ids and packs mean the same in both. */
		struct key_names kn = { 0 };

		if (storage_obj_list(template->st, REPO_KEYS, 0, key_names_cb, &kn, err) != 0)
			return -1;
		for (size_t i = 0; i < kn.n; i++) {
			size_t len;

			if (storage_obj_read(template->st, kn.keys[i], REPO_CONFIG_MAX, &text, &len,
			    err) != 0 || repo_put_named(r, kn.keys[i], text, len, err) != 0) {
				key_names_free(&kn);
				free(text);
				return -1;
			}
			free(text);
			text = NULL;
		}
		key_names_free(&kn);
		r->keys = template->keys;
		memcpy(r->cp, template->cp, sizeof r->cp);
		memcpy(r->id, template->id, sizeof r->id);
	} else {
		repo_random(rnd, sizeof rnd);
		repo_hex(rnd, sizeof rnd, r->id);
		memcpy(r->cp, default_params, sizeof r->cp);
		repo_random(r->keys.seed, sizeof r->keys.seed);
		if (pass != NULL) {
			r->keys.encrypted = true;
			repo_random(r->keys.enc, sizeof r->keys.enc);
			repo_random(r->keys.mac, sizeof r->keys.mac);
			if ((text = key_file_make(&r->keys, pass, err)) == NULL)
				return -1;
			repo_random(rnd, 8);
			{
				char name[17];

				repo_hex(rnd, 8, name);
				key = xasprintf(REPO_KEYS "%s", name);
			}
			rc = repo_put_named(r, key, text, strlen(text), err);
			free(text);
			text = NULL;
			if (rc != 0)
				goto out;
			rc = -1;
		}
	}
	/* The config last: a repository exists once it does. */
	text = config_make(r);
	rc = repo_put_named(r, REPO_CONFIG, text, strlen(text), err);
out:
	free(key);
	free(text);
	return rc;
}

int
repo_open(const struct config *cfg, struct storage *st, bool create, struct repo *template,
    struct repo **out, struct vs_error *err)
{
	struct repo *r = xcalloc(1, sizeof *r);
	char *text = NULL, *pass = NULL;
	bool encrypted = false;
	size_t len;
	int have;

	r->cfg = cfg;
	r->st = st;
	if ((have = repo_exists(st, err)) < 0)
		goto fail;
	if (have == 0) {
		if (!create) {
			error_set(err, VS_ERR_NOTFOUND, _("there is no repository in %s (%s is "
			    "missing)"), storage_location(st), REPO_CONFIG);
			goto fail;
		}
		if (template == NULL && passphrase_get(cfg, &pass, err) != 0)
			goto fail;
		if (repo_create(r, pass, template, err) != 0) {
			error_prefix(err, _("creating the repository in %s"), storage_location(st));
			goto fail;
		}
	} else {
		if (storage_obj_read(st, REPO_CONFIG, REPO_CONFIG_MAX, &text, &len, err) != 0)
			goto fail;
		if (config_parse(r, text, &encrypted, err) != 0)
			goto fail;
		if (encrypted) {
			if (passphrase_get(cfg, &pass, err) != 0)
				goto fail;
			if (pass == NULL) {
				error_set(err, VS_ERR_CONFIG, _("the repository in %s is encrypted: set "
				    "repository.passphrase_file or VSBACKUP_PASSPHRASE"),
				    storage_location(st));
				goto fail;
			}
			if (keys_unlock(r, pass, err) != 0)
				goto fail;
		}
	}
	r->codec.keys = &r->keys;
	r->codec.level = strcmp(cfg->repository.compression, "none") == 0 ? 0 :
	    cfg->repository.compression_level;
	r->codec.min_gain = cfg->repository.compression_min_gain;
	codec_pool_init(&r->codec);
	r->cache_dir = xasprintf("%s/.repo-cache", cfg->backup_dir);
	r->cache_name = xasprintf("%s-%s.idx", storage_name(st), r->id);
	passphrase_free(pass);
	free(text);
	*out = r;
	return 0;
fail:
	passphrase_free(pass);
	free(text);
	repo_wipe(&r->keys, sizeof r->keys);
	free(r);
	return -1;
}

void
repo_close(struct repo *r)
{
	if (r == NULL)
		return;
	repo_index_drop(r);
	codec_pool_free(&r->codec);
	repo_wipe(&r->keys, sizeof r->keys);
	free(r->cache_dir);
	free(r->cache_name);
	free(r);
}

int
repo_open_local(const struct config *cfg, struct storage *st, struct repo **out,
    struct vs_error *err)
{
	struct repo *remote = NULL;
	struct storage *other = NULL;
	struct vs_error serr;
	int have, rc;

	if ((have = repo_exists(st, err)) < 0)
		return -1;
	if (have == 1 || cfg->nlocations < 2)
		return repo_open(cfg, st, true, NULL, out, err);
	/* The first other location holding a repository is the one this must
	 * be a copy of (so copies send only what the other lacks). */
	for (size_t l = 1; l < cfg->nlocations && remote == NULL; l++) {
		storage_close(other);
		other = NULL;
		error_clear(&serr);
		if (storage_open_at(cfg, l, &other, &serr) != 0)
			continue;
		storage_cancel_with(other, st);
		if (repo_exists(other, &serr) != 1)
			continue;
		if (repo_open(cfg, other, false, NULL, &remote, err) != 0) {
			error_prefix(err, _("%s holds a repository this one must be a copy of"),
			    storage_location(other));
			storage_close(other);
			return -1;
		}
	}
	rc = repo_open(cfg, st, true, remote, out, err);
	repo_close(remote);
	storage_close(other);
	return rc;
}
