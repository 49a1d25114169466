/*
 * Index files (where each chunk is stored) and the local index cache: all
 * index files of a repository merged into one sorted file on local disk,
 * {backup_dir}/.repo-cache/{location}-{repository id}.idx. Memory stays
 * flat as the repository grows: a lookup reads one bucket of the file
 * (found through a 64k-entry fan-out table of the first two bytes), and
 * the cache is built by merging sorted runs of the index files, one file
 * decoded at a time. The cache records which index files it holds; when
 * those change it is built again.
 *
 * Index file body (in an envelope of kind "VSIX"; integers little-endian):
 *   version(1)=1 0 0 0 | npacks u32 | npacks x (pack id[32] kind u8 size u64)
 *   | nentries u32 | nentries x (chunk id[32] pack u32 offset u32
 *   stored u32 raw u32), sorted by chunk id
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/repo.intern.h"

#define CACHE_MAGIC "VSIC"
#define CACHE_VERSION 1
#define CACHE_HEADER 64
#define FANOUT 65536
#define CACHE_PACK 48
#define RUN_BUF 1024

static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static void
entry_pack(unsigned char *p, const struct index_entry *e)
{
	memcpy(p, e->id, REPO_ID_SIZE);
	put_u32(p + 32, e->pack);
	put_u32(p + 36, e->offset);
	put_u32(p + 40, e->stored);
	put_u32(p + 44, e->raw);
}

static void
entry_unpack(const unsigned char *p, struct index_entry *e)
{
	memcpy(e->id, p, REPO_ID_SIZE);
	e->pack = get_u32(p + 32);
	e->offset = get_u32(p + 36);
	e->stored = get_u32(p + 40);
	e->raw = get_u32(p + 44);
}

static int
index_file_put(struct repo *r, const struct index_pack *packs, size_t np,
    struct index_entry *entries, size_t ne, char **keyout, struct vs_error *err)
{
	size_t blen = 4 + 4 + np * INDEX_PACK + 4 + ne * INDEX_ENTRY, olen;
	unsigned char *body = xmalloc(blen), *p = body, *obj, name[REPO_ID_SIZE];
	char *key;
	int rc;

	repo_sort_by_id(entries, ne, sizeof *entries);
	memcpy(p, "\1\0\0\0", 4);
	put_u32(p + 4, (uint32_t)np);
	p += 8;
	for (size_t i = 0; i < np; i++, p += INDEX_PACK) {
		memcpy(p, packs[i].id, REPO_ID_SIZE);
		p[32] = packs[i].kind;
		put_u64(p + 33, packs[i].size);
	}
	put_u32(p, (uint32_t)ne);
	p += 4;
	for (size_t i = 0; i < ne; i++, p += INDEX_ENTRY)
		entry_pack(p, &entries[i]);
	obj = env_encode(&r->codec, "VSIX", body, blen, &olen);
	free(body);
	EVP_Digest(obj, olen, name, NULL, EVP_sha256(), NULL);
	key = repo_index_key(name);
	rc = repo_put_named(r, key, obj, olen, err);
	if (rc == 0 && keyout != NULL)
		*keyout = key;
	else
		free(key);
	free(obj);
	return rc;
}

static int
entry_pack_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct index_entry *)a)->pack, y = ((const struct index_entry *)b)->pack;

	return x < y ? -1 : x > y;
}

int
index_file_write(struct repo *r, const struct index_pack *packs, size_t np,
    struct index_entry *entries, size_t ne, char ***keys, size_t *nkeys, struct vs_error *err)
{
	size_t s = 0, p0 = 0;
	int rc = 0;

	if (keys != NULL) {
		*keys = NULL;
		*nkeys = 0;
	}
	/* Few entries: one file naming every pack. */
	if (ne <= INDEX_FILE_MAX) {
		char *key = NULL;

		if (index_file_put(r, packs, np, entries, ne, keys != NULL ? &key : NULL, err) != 0)
			return -1;
		if (keys != NULL) {
			*keys = xcalloc(1, sizeof **keys);
			(*keys)[0] = key;
			*nkeys = 1;
		}
		return 0;
	}
	/* Many: files of whole packs, INDEX_FILE_MAX entries or fewer each
	 * (more only for one pack that alone has more), so that no reader
	 * needs the whole index in memory at once. */
	qsort(entries, ne, sizeof *entries, entry_pack_cmp);
	while (s < ne && rc == 0) {
		size_t t = s, p1;
		char *key = NULL;

		p1 = entries[s].pack + 1;
		while (t < ne && entries[t].pack < p1)
			t++;
		while (t < ne) {
			size_t u = t;

			while (u < ne && entries[u].pack == entries[t].pack)
				u++;
			if (u - s > INDEX_FILE_MAX)
				break;
			p1 = entries[t].pack + 1;
			t = u;
		}
		/* The last file also names the packs after it with no entry. */
		if (t == ne)
			p1 = np;
		for (size_t i = s; i < t; i++)
			entries[i].pack -= (uint32_t)p0;
		rc = index_file_put(r, packs + p0, p1 - p0, entries + s, t - s,
		    keys != NULL ? &key : NULL, err);
		if (rc == 0 && keys != NULL) {
			*keys = xreallocarray(*keys, *nkeys + 1, sizeof **keys);
			(*keys)[(*nkeys)++] = key;
		}
		s = t;
		p0 = p1;
	}
	if (rc != 0 && keys != NULL) {
		for (size_t i = 0; i < *nkeys; i++)
			free((*keys)[i]);
		free(*keys);
		*keys = NULL;
		*nkeys = 0;
	}
	return rc;
}

int
index_file_parse(const unsigned char *body, size_t len, const char *where,
    struct index_pack **packs, size_t *np, struct index_entry **entries, size_t *ne,
    struct vs_error *err)
{
	const unsigned char *p = body, *end = body + len;
	uint32_t npk, nen;

	*packs = NULL;
	*entries = NULL;
	if (len < 12 || p[0] != 1)
		goto bad;
	npk = get_u32(p + 4);
	p += 8;
	if ((size_t)(end - p) / INDEX_PACK < npk)
		goto bad;
	*packs = xcalloc((size_t)npk + 1, sizeof **packs);
	for (uint32_t i = 0; i < npk; i++, p += INDEX_PACK) {
		memcpy((*packs)[i].id, p, REPO_ID_SIZE);
		(*packs)[i].kind = p[32];
		(*packs)[i].size = get_u64(p + 33);
		if ((*packs)[i].kind >= REPO_NKINDS)
			goto bad;
	}
	if (end - p < 4)
		goto bad;
	nen = get_u32(p);
	p += 4;
	if ((size_t)(end - p) != (size_t)nen * INDEX_ENTRY)
		goto bad;
	*entries = xcalloc((size_t)nen + 1, sizeof **entries);
	for (uint32_t i = 0; i < nen; i++, p += INDEX_ENTRY) {
		entry_unpack(p, &(*entries)[i]);
		/* Sizes bound what a reader allocates for the chunk. */
		if ((*entries)[i].pack >= npk || (*entries)[i].raw > REPO_RAW_MAX ||
		    (*entries)[i].stored > REPO_STORED_MAX ||
		    (i > 0 && memcmp((*entries)[i - 1].id, (*entries)[i].id, REPO_ID_SIZE) >= 0))
			goto bad;
	}
	*np = npk;
	*ne = nen;
	return 0;
bad:
	free(*packs);
	free(*entries);
	*packs = NULL;
	*entries = NULL;
	return error_set(err, VS_ERR_VERIFY, _("%s is not a valid index file (damaged or "
	    "truncated)"), where);
}

/* --- the cache -------------------------------------------------------------- */

struct repo_index {
	int fd;
	uint64_t n;
	uint32_t *fanout;         /* FANOUT entries: end of each bucket */
	struct index_pack *packs;
	size_t npacks;
	uint64_t entries_off;     /* of entry 0 in the file */
};

uint64_t
repo_index_count(const struct repo_index *ix)
{
	return ix->n;
}

size_t
repo_index_npacks(const struct repo_index *ix)
{
	return ix->npacks;
}

const struct index_pack *
repo_index_pack(const struct repo_index *ix, size_t i)
{
	return &ix->packs[i];
}

void
repo_index_close(struct repo_index *ix)
{
	if (ix == NULL)
		return;
	close(ix->fd);
	free(ix->fanout);
	free(ix->packs);
	free(ix);
}

void
repo_index_drop(struct repo *r)
{
	/* The plans name packs by their place in this index's table. */
	repo_plan_drop(r);
	repo_index_close(r->idx);
	r->idx = NULL;
}

int
repo_index_entries(struct repo_index *ix, uint64_t first, size_t n, struct index_entry *out,
    struct vs_error *err)
{
	unsigned char *buf = xmalloc(n * INDEX_ENTRY + 1);
	ssize_t got = fs_pread_full(ix->fd, buf, n * INDEX_ENTRY,
	    (off_t)(ix->entries_off + first * INDEX_ENTRY));

	if (got < 0 || (size_t)got != n * INDEX_ENTRY) {
		free(buf);
		return error_errno(err, VS_ERR_IO, got < 0 ? errno : EIO,
		    _("cannot read the repository's index cache"));
	}
	for (size_t i = 0; i < n; i++)
		entry_unpack(buf + i * INDEX_ENTRY, &out[i]);
	free(buf);
	return 0;
}

/* The entry at p (position pos of the cache) as a location; false when
 * it names a pack the cache does not list. */
static bool
entry_loc(const struct repo_index *ix, const unsigned char *p, uint64_t pos,
    struct repo_loc *loc)
{
	struct index_entry e;

	entry_unpack(p, &e);
	if (e.pack >= ix->npacks)
		return false;
	memcpy(loc->pack, ix->packs[e.pack].id, REPO_ID_SIZE);
	loc->kind = ix->packs[e.pack].kind;
	loc->pack_no = e.pack;
	loc->offset = e.offset;
	loc->stored = e.stored;
	loc->raw = e.raw;
	loc->pos = pos;
	return true;
}

/* Find id among the n entries at buf (positions from first on): 1 found,
 * 0 not. */
static int
bucket_find(const struct repo_index *ix, const unsigned char *buf, uint64_t n, uint64_t first,
    const unsigned char id[REPO_ID_SIZE], struct repo_loc *loc)
{
	for (uint64_t i = 0; i < n; i++) {
		const unsigned char *p = buf + i * INDEX_ENTRY;
		int c = memcmp(p, id, REPO_ID_SIZE);

		if (c < 0)
			continue;
		return c == 0 && entry_loc(ix, p, first + i, loc) ? 1 : 0;
	}
	return 0;
}

int
repo_index_find(struct repo_index *ix, const unsigned char id[REPO_ID_SIZE],
    struct repo_loc *loc, struct vs_error *err)
{
	unsigned b = (unsigned)id[0] << 8 | id[1];
	uint64_t lo = b > 0 ? ix->fanout[b - 1] : 0, hi = ix->fanout[b];
	unsigned char stackbuf[64 * INDEX_ENTRY], *buf = stackbuf;
	int rc = 0;

	if (hi <= lo)
		return 0;
	if (hi - lo > 64)
		buf = xmalloc((size_t)(hi - lo) * INDEX_ENTRY);
	if (fs_pread_full(ix->fd, buf, (size_t)(hi - lo) * INDEX_ENTRY,
	    (off_t)(ix->entries_off + lo * INDEX_ENTRY)) != (ssize_t)((hi - lo) * INDEX_ENTRY))
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot read the repository's index cache"));
	else
		rc = bucket_find(ix, buf, hi - lo, lo, id, loc);
	if (buf != stackbuf)
		free(buf);
	return rc;
}

/* Entries read at once when many ids are looked up together. */
#define LOCATE_WINDOW 16384
/* One read of a bucket costs about as much as copying this many entries
 * more in a long read: with at least one id per LOCATE_SPAN entries of
 * the cache, reading it through is cheaper than a read per id. */
#define LOCATE_SPAN 200

int
repo_index_locate(struct repo_index *ix, struct fetch_item *items, size_t n, bool *found,
    struct vs_error *err)
{
	struct repo_order *order = xcalloc(n + 1, sizeof *order);
	unsigned char *win = NULL;
	uint64_t wlo = 0, whi = 0, stride;
	size_t cap = 0;
	int rc = -1;

	/* In the order of their buckets, the lookups walk the cache once
	 * from start to end. */
	for (size_t i = 0; i < n; i++) {
		order[i].key = (uint64_t)items[i].id[0] << 8 | items[i].id[1];
		order[i].at = i;
	}
	repo_order_keys(order, n);
	/* Many ids for the size of the cache: read it in long windows;
	 * few: just the bucket of each. */
	stride = (uint64_t)n * LOCATE_SPAN >= ix->n ? LOCATE_WINDOW : 0;
	for (size_t k = 0; k < n; k++) {
		struct fetch_item *it = &items[order[k].at];
		unsigned b = (unsigned)it->id[0] << 8 | it->id[1];
		uint64_t lo = b > 0 ? ix->fanout[b - 1] : 0, hi = ix->fanout[b];

		found[order[k].at] = false;
		if (hi <= lo)
			continue;
		if (lo < wlo || hi > whi) {
			uint64_t end = lo + stride > hi ? lo + stride : hi;
			size_t want;

			if (end > ix->n)
				end = ix->n;
			want = (size_t)(end - lo) * INDEX_ENTRY;
			if (want > cap) {
				free(win);
				cap = want;
				win = xmalloc(cap);
			}
			if (fs_pread_full(ix->fd, win, want, (off_t)(ix->entries_off + lo * INDEX_ENTRY)) !=
			    (ssize_t)want) {
				error_errno(err, VS_ERR_IO, errno,
				    _("cannot read the repository's index cache"));
				goto out;
			}
			wlo = lo;
			whi = end;
		}
		found[order[k].at] = bucket_find(ix, win + (lo - wlo) * INDEX_ENTRY, hi - lo, lo, it->id,
		    &it->loc) == 1;
	}
	rc = 0;
out:
	free(win);
	free(order);
	return rc;
}

/* The index files of the repository, sorted. */
struct names {
	char **v;
	size_t n;
};

static int
names_cb(void *ud, const struct storage_object *o)
{
	struct names *nm = ud;

	if (o->dir)
		return 0;
	nm->v = xreallocarray(nm->v, nm->n + 1, sizeof *nm->v);
	nm->v[nm->n++] = xstrdup(o->key);
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_free(struct names *nm)
{
	for (size_t i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
}

static void
names_digest(const struct names *nm, unsigned char md[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (size_t i = 0; i < nm->n; i++)
		EVP_DigestUpdate(c, nm->v[i], strlen(nm->v[i]) + 1);
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
}

/* Open the cache file when it holds exactly the index files of digest. */
static int
cache_open(const char *path, const unsigned char digest[32], struct repo_index **out)
{
	unsigned char hdr[CACHE_HEADER], *buf = NULL;
	struct repo_index *ix;
	uint32_t np;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	if (fs_pread_full(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr ||
	    memcmp(hdr, CACHE_MAGIC, 4) != 0 || get_u32(hdr + 4) != CACHE_VERSION ||
	    memcmp(hdr + 8, digest, 32) != 0) {
		close(fd);
		return -1;
	}
	ix = xcalloc(1, sizeof *ix);
	ix->fd = fd;
	ix->n = get_u64(hdr + 40);
	np = get_u32(hdr + 48);
	ix->npacks = np;
	ix->fanout = xmalloc(FANOUT * sizeof *ix->fanout);
	buf = xmalloc(FANOUT * 4 + (size_t)np * CACHE_PACK + 1);
	if (fs_pread_full(fd, buf, FANOUT * 4 + (size_t)np * CACHE_PACK, CACHE_HEADER) !=
	    (ssize_t)(FANOUT * 4 + (size_t)np * CACHE_PACK))
		goto bad;
	for (size_t i = 0; i < FANOUT; i++)
		ix->fanout[i] = get_u32(buf + 4 * i);
	if (ix->fanout[FANOUT - 1] != ix->n)
		goto bad;
	ix->packs = xcalloc((size_t)np + 1, sizeof *ix->packs);
	for (uint32_t i = 0; i < np; i++) {
		const unsigned char *p = buf + FANOUT * 4 + (size_t)i * CACHE_PACK;

		memcpy(ix->packs[i].id, p, REPO_ID_SIZE);
		ix->packs[i].kind = p[32];
		ix->packs[i].size = get_u64(p + 40);
	}
	ix->entries_off = CACHE_HEADER + FANOUT * 4 + (uint64_t)np * CACHE_PACK;
	free(buf);
	*out = ix;
	return 0;
bad:
	free(buf);
	repo_index_close(ix);
	return -1;
}

/* The packs of the cache being built: ids to numbers. */
struct pack_set {
	struct index_pack *v;
	size_t n, cap;
	uint32_t *slots;          /* open addressing, 0 empty, else number + 1 */
	size_t nslots;
};

static uint32_t
pack_set_add(struct pack_set *ps, const struct index_pack *p)
{
	size_t h;

	if (2 * (ps->n + 1) > ps->nslots) {
		size_t old = ps->nslots;
		uint32_t *slots = ps->slots;

		ps->nslots = old ? 2 * old : 1024;
		ps->slots = xcalloc(ps->nslots, sizeof *ps->slots);
		for (size_t i = 0; i < old; i++) {
			if (slots[i] == 0)
				continue;
			h = get_u32(ps->v[slots[i] - 1].id) & (ps->nslots - 1);
			while (ps->slots[h] != 0)
				h = (h + 1) & (ps->nslots - 1);
			ps->slots[h] = slots[i];
		}
		free(slots);
	}
	h = get_u32(p->id) & (ps->nslots - 1);
	while (ps->slots[h] != 0) {
		if (memcmp(ps->v[ps->slots[h] - 1].id, p->id, REPO_ID_SIZE) == 0)
			return ps->slots[h] - 1;
		h = (h + 1) & (ps->nslots - 1);
	}
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 256;
		ps->v = xreallocarray(ps->v, ps->cap, sizeof *ps->v);
	}
	ps->v[ps->n] = *p;
	ps->slots[h] = (uint32_t)ps->n + 1;
	return (uint32_t)ps->n++;
}

/* A sorted run of entries in a temp file, read back through a buffer. */
struct run {
	FILE *f;
	unsigned char buf[RUN_BUF * INDEX_ENTRY];
	size_t len, pos;
	bool done;
};

static bool
run_peek(struct run *rn, const unsigned char **e)
{
	if (rn->pos == rn->len) {
		if (rn->done)
			return false;
		rn->len = fread(rn->buf, INDEX_ENTRY, RUN_BUF, rn->f);
		rn->pos = 0;
		if (rn->len == 0) {
			rn->done = true;
			return false;
		}
	}
	*e = rn->buf + rn->pos * INDEX_ENTRY;
	return true;
}

static int
cache_build(struct repo *r, const struct names *nm, const unsigned char digest[32],
    const char *path, struct vs_error *err)
{
	struct pack_set ps = { 0 };
	struct repo_prefetch *pf = NULL;
	struct run **runs = xcalloc(nm->n + 1, sizeof *runs);
	size_t nruns = 0;
	uint32_t *fanout = xcalloc(FANOUT, sizeof *fanout);
	unsigned char hdr[CACHE_HEADER], *buf = NULL, last[REPO_ID_SIZE];
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	bool have_last = false;
	uint64_t count = 0;
	FILE *out = NULL;
	int fd = -1, rc = -1;

	/* The next index files are fetched while one is merged. */
	pf = repo_prefetch_start(r, nm->v, nm->n, ENV_MAX);
	for (size_t i = 0; i < nm->n; i++) {
		unsigned char *obj = NULL, *body = NULL;
		struct index_pack *packs = NULL;
		struct index_entry *entries = NULL;
		size_t olen, blen, np, ne;
		char *where = xasprintf("%s/%s", storage_location(r->st), nm->v[i]);
		int ok = -1;

		if (repo_prefetch_take(pf, i, &obj, &olen, err) == 0 &&
		    env_decode(&r->codec, "VSIX", obj, olen, where, &body, &blen, err) == 0 &&
		    index_file_parse(body, blen, where, &packs, &np, &entries, &ne, err) == 0) {
			uint32_t *map = xcalloc(np + 1, sizeof *map);
			struct run *rn = xcalloc(1, sizeof *rn);
			unsigned char e[INDEX_ENTRY];

			for (size_t k = 0; k < np; k++)
				map[k] = pack_set_add(&ps, &packs[k]);
			rn->f = tmpfile();
			if (rn->f == NULL) {
				error_errno(err, VS_ERR_IO, errno, _("cannot create a temporary file"));
				free(rn);
			} else {
				for (size_t k = 0; k < ne; k++) {
					entries[k].pack = map[entries[k].pack];
					entry_pack(e, &entries[k]);
					fwrite(e, INDEX_ENTRY, 1, rn->f);
				}
				rewind(rn->f);
				runs[nruns++] = rn;
				ok = 0;
			}
			free(map);
		}
		free(obj);
		free(body);
		free(packs);
		free(entries);
		free(where);
		if (ok != 0)
			goto out;
	}
	repo_prefetch_end(pf);
	pf = NULL;
	if (fs_mkdir_p(r->cache_dir, 0700, err) != 0)
		goto out;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || (out = fdopen(fd, "w")) == NULL) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create %s"), tmp);
		goto out;
	}
	fd = -1;
	/* Header and fan-out are rewritten once the entries are counted. */
	memset(hdr, 0, sizeof hdr);
	fwrite(hdr, sizeof hdr, 1, out);
	fwrite(fanout, 4, FANOUT, out);
	for (size_t i = 0; i < ps.n; i++) {
		unsigned char p[CACHE_PACK];

		memset(p, 0, sizeof p);
		memcpy(p, ps.v[i].id, REPO_ID_SIZE);
		p[32] = ps.v[i].kind;
		put_u64(p + 40, ps.v[i].size);
		fwrite(p, sizeof p, 1, out);
	}
	/* Merge the runs; a chunk in two index files counts once. */
	for (;;) {
		const unsigned char *best = NULL, *e;
		size_t bi = 0;

		for (size_t i = 0; i < nruns; i++)
			if (run_peek(runs[i], &e) && (best == NULL ||
			    memcmp(e, best, REPO_ID_SIZE) < 0)) {
				best = e;
				bi = i;
			}
		if (best == NULL)
			break;
		if (!have_last || memcmp(last, best, REPO_ID_SIZE) != 0) {
			fwrite(best, INDEX_ENTRY, 1, out);
			fanout[(unsigned)best[0] << 8 | best[1]]++;
			memcpy(last, best, REPO_ID_SIZE);
			have_last = true;
			count++;
		}
		runs[bi]->pos++;
	}
	for (size_t i = 1; i < FANOUT; i++)
		fanout[i] += fanout[i - 1];
	memcpy(hdr, CACHE_MAGIC, 4);
	put_u32(hdr + 4, CACHE_VERSION);
	memcpy(hdr + 8, digest, 32);
	put_u64(hdr + 40, count);
	put_u32(hdr + 48, (uint32_t)ps.n);
	buf = xmalloc(FANOUT * 4);
	for (size_t i = 0; i < FANOUT; i++)
		put_u32(buf + 4 * i, fanout[i]);
	if (fseek(out, 0, SEEK_SET) != 0 || fwrite(hdr, sizeof hdr, 1, out) != 1 ||
	    fwrite(buf, 4, FANOUT, out) != FANOUT || fflush(out) != 0 || ferror(out)) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		goto out;
	}
	if (fclose(out) != 0) {
		out = NULL;
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		goto out;
	}
	out = NULL;
	if (rename(tmp, path) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), tmp, path);
		goto out;
	}
	rc = 0;
out:
	repo_prefetch_end(pf);
	if (out != NULL)
		fclose(out);
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	for (size_t i = 0; i < nruns; i++) {
		fclose(runs[i]->f);
		free(runs[i]);
	}
	free(runs);
	free(ps.v);
	free(ps.slots);
	free(fanout);
	free(buf);
	free(tmp);
	return rc;
}

int
repo_index_get(struct repo *r, struct repo_index **out, struct vs_error *err)
{
	struct names nm = { 0 };
	unsigned char digest[32];
	char *path;
	int rc = -1;

	if (r->idx != NULL) {
		*out = r->idx;
		return 0;
	}
	if (storage_obj_list(r->st, REPO_INDEX, 0, names_cb, &nm, err) != 0)
		return -1;
	if (nm.n > 0)
		qsort(nm.v, nm.n, sizeof *nm.v, str_cmp);
	names_digest(&nm, digest);
	path = xasprintf("%s/%s", r->cache_dir, r->cache_name);
	if (cache_open(path, digest, &r->idx) != 0) {
		if (cache_build(r, &nm, digest, path, err) != 0) {
			error_prefix(err, _("reading the index of the repository in %s"),
			    storage_location(r->st));
			goto out;
		}
		if (cache_open(path, digest, &r->idx) != 0) {
			error_set(err, VS_ERR_IO, _("the index cache %s cannot be read back"), path);
			goto out;
		}
	}
	*out = r->idx;
	rc = 0;
out:
	free(path);
	names_free(&nm);
	return rc;
}
