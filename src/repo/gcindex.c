/*
 * The garbage collector's view of the index (gcindex.h): each index file's
 * entries go to a temporary file as one sorted run; the runs are merged
 * into a second temporary file in id order, and only the 8-byte prefix
 * and the pack of each entry stay in memory.
 *
 * A prefix may be shared by two different ids (never by chance at
 * repository sizes, but ids of unencrypted data are plain SHA-256, and
 * someone who writes the data can make prefixes meet). Marking by
 * prefix keeps both; the "walked" shortcut for recipe chunks is taken
 * only for a prefix held by one id, after the whole id was compared
 * with the entry in the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "repo/gcindex.h"

/* Entries read or written at once (24 KiB). */
#define GCIDX_BUF 512
#define ENT sizeof(struct index_entry)

struct gcx_run {
	uint64_t off, n, pos;     /* in entries, in the runs file */
	struct index_entry *buf;
	size_t len, at;
};

struct gc_index {
	char *dir;                /* of the temporary files (NULL: tmpfile) */
	FILE *runs_f;             /* every run, one after another */
	uint64_t runs_n;
	struct gcx_run *runs;
	size_t nruns;
	FILE *f;                  /* the entries merged, in id order */
	size_t n;
	uint64_t *pfx;            /* first 8 bytes of each id, big-endian */
	uint32_t *pack;
	unsigned char *live;      /* bits per entry */
	unsigned char *walked;    /* at the first entry of a prefix */
	unsigned char *shared;    /* the prefix is held by different ids */
	struct index_entry *rbuf; /* gcidx_next */
	size_t rlen, rat, rpos;
};

static bool
bit(const unsigned char *set, size_t i)
{
	return (set[i / 8] >> (i % 8) & 1) != 0;
}

static void
bit_set(unsigned char *set, size_t i)
{
	set[i / 8] |= (unsigned char)(1u << (i % 8));
}

/* A temporary file, created exclusively and unlinked at once: nothing is
 * left behind whatever happens to the process. */
static int
tmp_open(const struct gc_index *x, FILE **f, struct vs_error *err)
{
	char *path;
	int fd;

	if (*f != NULL)
		return 0;
	if (x->dir == NULL) {
		*f = tmpfile();
		if (*f == NULL)
			return error_errno(err, VS_ERR_IO, errno, _("cannot create a temporary file"));
		return 0;
	}
	if (fs_mkdir_p(x->dir, 0700, err) != 0)
		return -1;
	path = xasprintf("%s/gc-XXXXXX", x->dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	if (fd < 0 || (*f = fdopen(fd, "w+")) == NULL) {
		error_errno(err, errno == ENOSPC ? VS_ERR_NOSPACE : VS_ERR_IO, errno,
		    _("cannot create a temporary file in %s"), x->dir);
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int
read_at(FILE *f, void *buf, size_t n, uint64_t first, struct vs_error *err)
{
	ssize_t got = fs_pread_full(fileno(f), buf, n * ENT, (off_t)(first * ENT));

	if (got < 0 || (size_t)got != n * ENT)
		return error_errno(err, VS_ERR_IO, got < 0 ? errno : EIO,
		    _("cannot read the temporary copy of the index"));
	return 0;
}

struct gc_index *
gcidx_new(const char *dir)
{
	struct gc_index *x = xcalloc(1, sizeof *x);

	x->dir = dir != NULL ? xstrdup(dir) : NULL;
	return x;
}

void
gcidx_free(struct gc_index *x)
{
	if (x == NULL)
		return;
	if (x->runs_f != NULL)
		fclose(x->runs_f);
	for (size_t i = 0; i < x->nruns; i++)
		free(x->runs[i].buf);
	free(x->runs);
	if (x->f != NULL)
		fclose(x->f);
	free(x->pfx);
	free(x->pack);
	free(x->live);
	free(x->walked);
	free(x->shared);
	free(x->rbuf);
	free(x->dir);
	free(x);
}

int
gcidx_add_file(struct gc_index *x, const struct index_entry *e, size_t n,
    const uint32_t *packmap, struct vs_error *err)
{
	struct index_entry buf[64];

	if (n == 0)
		return 0;
	if (tmp_open(x, &x->runs_f, err) != 0)
		return -1;
	for (size_t i = 0; i < n;) {
		size_t k = n - i < 64 ? n - i : 64;

		for (size_t j = 0; j < k; j++) {
			buf[j] = e[i + j];
			buf[j].pack = packmap[e[i + j].pack];
		}
		if (fs_write_full(fileno(x->runs_f), buf, k * ENT) != 0)
			return error_errno(err, VS_ERR_IO, errno,
			    _("cannot write the temporary copy of the index"));
		i += k;
	}
	x->runs = xreallocarray(x->runs, x->nruns + 1, sizeof *x->runs);
	memset(&x->runs[x->nruns], 0, sizeof x->runs[0]);
	x->runs[x->nruns].off = x->runs_n;
	x->runs[x->nruns].n = n;
	x->nruns++;
	x->runs_n += n;
	return 0;
}

/* The next entry of run rn, or NULL at its end (err set on failure). */
static const struct index_entry *
run_peek(struct gc_index *x, struct gcx_run *rn, struct vs_error *err, int *rc)
{
	if (rn->at == rn->len) {
		size_t k = rn->n - rn->pos < GCIDX_BUF ? (size_t)(rn->n - rn->pos) : GCIDX_BUF;

		if (k == 0)
			return NULL;
		if (rn->buf == NULL)
			rn->buf = xcalloc(GCIDX_BUF, ENT);
		if (read_at(x->runs_f, rn->buf, k, rn->off + rn->pos, err) != 0) {
			*rc = -1;
			return NULL;
		}
		rn->pos += k;
		rn->len = k;
		rn->at = 0;
	}
	return &rn->buf[rn->at];
}

static int
heap_less(struct gc_index *x, const size_t *heap, size_t a, size_t b)
{
	const struct gcx_run *ra = &x->runs[heap[a]], *rb = &x->runs[heap[b]];
	int c = memcmp(ra->buf[ra->at].id, rb->buf[rb->at].id, REPO_ID_SIZE);

	/* The same chunk in several files: in the order of the files. */
	return c < 0 || (c == 0 && heap[a] < heap[b]);
}

static void
heap_down(struct gc_index *x, size_t *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i, t;

		if (l < n && heap_less(x, heap, l, m))
			m = l;
		if (l + 1 < n && heap_less(x, heap, l + 1, m))
			m = l + 1;
		if (m == i)
			return;
		t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

int
gcidx_finish(struct gc_index *x, struct vs_error *err)
{
	size_t *heap = xcalloc(x->nruns + 1, sizeof *heap), nh = 0, group = 0;
	struct index_entry *out = NULL, last;
	size_t nout = 0;
	bool multi = false;
	int rc = 0;

	memset(&last, 0, sizeof last);
	x->n = (size_t)x->runs_n;
	x->pfx = xcalloc(x->n + 1, sizeof *x->pfx);
	x->pack = xcalloc(x->n + 1, sizeof *x->pack);
	x->live = xcalloc(x->n / 8 + 1, 1);
	x->walked = xcalloc(x->n / 8 + 1, 1);
	x->shared = xcalloc(x->n / 8 + 1, 1);
	if (tmp_open(x, &x->f, err) != 0) {
		free(heap);
		return -1;
	}
	for (size_t i = 0; i < x->nruns; i++) {
		if (run_peek(x, &x->runs[i], err, &rc) != NULL)
			heap[nh++] = i;
		if (rc != 0)
			goto out;
	}
	for (size_t i = nh; i-- > 0;)
		heap_down(x, heap, nh, i);
	out = xcalloc(GCIDX_BUF, ENT);
	for (size_t i = 0; nh > 0; i++) {
		struct gcx_run *rn = &x->runs[heap[0]];
		const struct index_entry *e = &rn->buf[rn->at];
		uint64_t p = repo_be64(e->id);

		/* Entries of one prefix are neighbours; held by more than one
		 * id, the whole group is flagged. */
		if (i == 0 || p != x->pfx[i - 1]) {
			group = i;
			multi = false;
		} else if (memcmp(e->id, last.id, REPO_ID_SIZE) != 0) {
			multi = true;
			for (size_t j = group; j < i; j++)
				bit_set(x->shared, j);
		}
		if (multi)
			bit_set(x->shared, i);
		x->pfx[i] = p;
		x->pack[i] = e->pack;
		last = *e;
		out[nout++] = *e;
		if (nout == GCIDX_BUF) {
			if (fs_write_full(fileno(x->f), out, nout * ENT) != 0) {
				rc = error_errno(err, VS_ERR_IO, errno,
				    _("cannot write the temporary copy of the index"));
				goto out;
			}
			nout = 0;
		}
		rn->at++;
		if (run_peek(x, rn, err, &rc) == NULL) {
			if (rc != 0)
				goto out;
			heap[0] = heap[--nh];
		}
		heap_down(x, heap, nh, 0);
	}
	if (nout > 0 && fs_write_full(fileno(x->f), out, nout * ENT) != 0)
		rc = error_errno(err, VS_ERR_IO, errno,
		    _("cannot write the temporary copy of the index"));
out:
	free(out);
	free(heap);
	/* The runs are not needed any more. */
	for (size_t i = 0; i < x->nruns; i++)
		free(x->runs[i].buf);
	free(x->runs);
	x->runs = NULL;
	x->nruns = 0;
	if (x->runs_f != NULL)
		fclose(x->runs_f);
	x->runs_f = NULL;
	return rc;
}

size_t
gcidx_count(const struct gc_index *x)
{
	return x->n;
}

uint32_t
gcidx_pack(const struct gc_index *x, size_t i)
{
	return x->pack[i];
}

bool
gcidx_live(const struct gc_index *x, size_t i)
{
	return bit(x->live, i);
}

/* Is entry i's whole id id? */
static int
same_id(struct gc_index *x, size_t i, const unsigned char id[REPO_ID_SIZE],
    struct vs_error *err)
{
	struct index_entry e;

	if (read_at(x->f, &e, 1, i, err) != 0)
		return -1;
	return memcmp(e.id, id, REPO_ID_SIZE) == 0;
}

int
gcidx_mark(struct gc_index *x, const unsigned char id[REPO_ID_SIZE], bool meta,
    struct vs_error *err)
{
	uint64_t p = repo_be64(id);
	size_t lo = 0, hi = x->n, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->pfx[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* A chunk no index names is not the collector's to keep or delete. */
	if (lo == x->n || x->pfx[lo] != p)
		return 0;
	if (meta && !bit(x->shared, lo)) {
		/* One id holds this prefix: is it this one? An id no index
		 * names may share it, and must be walked. */
		int same = same_id(x, lo, id, err);

		if (same < 0)
			return -1;
		if (same && bit(x->walked, lo))
			return 1;
		if (same)
			bit_set(x->walked, lo);
	}
	for (i = lo; i < x->n && x->pfx[i] == p; i++)
		bit_set(x->live, i);
	return 0;
}

void
gcidx_marked(struct gc_index *x)
{
	free(x->pfx);
	free(x->pack);
	free(x->walked);
	free(x->shared);
	x->pfx = NULL;
	x->pack = NULL;
	x->walked = x->shared = NULL;
}

void
gcidx_rewind(struct gc_index *x)
{
	x->rlen = x->rat = x->rpos = 0;
}

int
gcidx_next(struct gc_index *x, struct index_entry *e, size_t *i, struct vs_error *err)
{
	if (x->rat == x->rlen) {
		size_t k = x->n - x->rpos < GCIDX_BUF ? x->n - x->rpos : GCIDX_BUF;

		if (k == 0)
			return 0;
		if (x->rbuf == NULL)
			x->rbuf = xcalloc(GCIDX_BUF, ENT);
		if (read_at(x->f, x->rbuf, k, x->rpos, err) != 0)
			return -1;
		x->rlen = k;
		x->rat = 0;
	}
	*e = x->rbuf[x->rat++];
	*i = x->rpos++;
	return 1;
}
