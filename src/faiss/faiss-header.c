#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "faiss/faiss-header.h"
#include "faiss/faiss-invlists.h"

/* How the bytes after a type code are laid out. */
enum fh_kind {
	FH_STANDARD,  /* the common header, then type-specific data */
	FH_FLAT,      /* common header, float count, the floats */
	FH_IDMAP,     /* common header, the wrapped index, id count, the ids */
	FH_LATTICE,   /* four int32 parameters, then the common header */
	FH_BINARY,    /* a binary index: a different header, not supported */
};

static const struct {
	char fourcc[5];
	enum fh_kind kind;
} fh_types[] = {
	{ "IxFI", FH_FLAT }, { "IxF2", FH_FLAT }, { "IxFl", FH_FLAT },
	{ "IxMp", FH_IDMAP }, { "IxM2", FH_IDMAP },
	{ "IxLa", FH_LATTICE },

	/* LSH, PQ, additive quantizers and their fast-scan forms */
	{ "IxHE", FH_STANDARD }, { "IxHe", FH_STANDARD },
	{ "IxPQ", FH_STANDARD }, { "IxPo", FH_STANDARD }, { "IxPq", FH_STANDARD },
	{ "IxRQ", FH_STANDARD }, { "IxRq", FH_STANDARD }, { "IxLS", FH_STANDARD },
	{ "IxPR", FH_STANDARD }, { "IxPL", FH_STANDARD }, { "ImRQ", FH_STANDARD },
	{ "ILfs", FH_STANDARD }, { "IRfs", FH_STANDARD }, { "IPRf", FH_STANDARD },
	{ "IPLf", FH_STANDARD }, { "IPfs", FH_STANDARD }, { "IxSQ", FH_STANDARD },
	{ "Imiq", FH_STANDARD }, { "Ix2L", FH_STANDARD },
	/* IVF: the IVF header begins with the common header */
	{ "IvFl", FH_STANDARD }, { "IvFL", FH_STANDARD }, { "IwFd", FH_STANDARD },
	{ "IwFl", FH_STANDARD }, { "IvSQ", FH_STANDARD }, { "IwSQ", FH_STANDARD },
	{ "IwSq", FH_STANDARD }, { "IwLS", FH_STANDARD }, { "IwRQ", FH_STANDARD },
	{ "IwPL", FH_STANDARD }, { "IwPR", FH_STANDARD }, { "IwSh", FH_STANDARD },
	{ "IvPQ", FH_STANDARD }, { "IvQR", FH_STANDARD }, { "IwPQ", FH_STANDARD },
	{ "IwQR", FH_STANDARD }, { "IwIQ", FH_STANDARD }, { "IwPf", FH_STANDARD },
	{ "IVLf", FH_STANDARD }, { "IVRf", FH_STANDARD }, { "NPLf", FH_STANDARD },
	{ "NPRf", FH_STANDARD },
	/* graphs and wrappers */
	{ "IHNf", FH_STANDARD }, { "IHNp", FH_STANDARD }, { "IHNs", FH_STANDARD },
	{ "IHN2", FH_STANDARD }, { "IHNc", FH_STANDARD }, { "INSf", FH_STANDARD },
	{ "INSp", FH_STANDARD }, { "INSs", FH_STANDARD }, { "INNf", FH_STANDARD },
	{ "IxPT", FH_STANDARD }, { "IxRF", FH_STANDARD }, { "IRMf", FH_STANDARD },
	{ "IRMh", FH_STANDARD },

	{ "IBxF", FH_BINARY }, { "IBwF", FH_BINARY }, { "IBFf", FH_BINARY },
	{ "IBHf", FH_BINARY }, { "IBMp", FH_BINARY }, { "IBM2", FH_BINARY },
	{ "IBHh", FH_BINARY }, { "IBHm", FH_BINARY },
};

/* Sizes in the file: d, ntotal, two unused int64, is_trained, metric_type. */
#define FH_COMMON_LEN (4 + 8 + 8 + 8 + 1 + 4)
#define FH_METRIC_ARG_LEN 4
#define FH_LATTICE_PARAMS_LEN 16

/* Implausible values mean the bytes are not a header at all. */
#define FH_MAX_DIM (1 << 24)
#define FH_MAX_NTOTAL (INT64_C(1) << 48)

struct fh_common {
	int32_t d;
	int64_t ntotal;
	uint8_t is_trained;
	int32_t metric;
	float metric_arg;
	int64_t end;   /* offset of the first byte after the header */
};

const char *
faiss_metric_name(int metric)
{
	switch (metric) {
	case FAISS_METRIC_INNER_PRODUCT:
		return "inner_product";
	case FAISS_METRIC_L2:
		return "l2";
	case FAISS_METRIC_L1:
		return "l1";
	case FAISS_METRIC_LINF:
		return "linf";
	case FAISS_METRIC_LP:
		return "lp";
	case FAISS_METRIC_CANBERRA:
		return "canberra";
	case FAISS_METRIC_BRAYCURTIS:
		return "braycurtis";
	case FAISS_METRIC_JENSENSHANNON:
		return "jensenshannon";
	default:
		return "unknown";
	}
}

static bool
fh_metric_known(int32_t m)
{
	return (m >= FAISS_METRIC_INNER_PRODUCT && m <= FAISS_METRIC_LP) ||
	    (m >= FAISS_METRIC_CANBERRA && m <= FAISS_METRIC_JENSENSHANNON);
}

static int
fh_kind(const char *fourcc, enum fh_kind *kind)
{
	for (size_t i = 0; i < sizeof fh_types / sizeof fh_types[0]; i++) {
		if (memcmp(fh_types[i].fourcc, fourcc, 4) == 0) {
			*kind = fh_types[i].kind;
			return 0;
		}
	}
	return -1;
}

/* A type code for a message: printable bytes as they are, others as \xNN. */
static void
fh_printable(const char *fourcc, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < 4 && o < len; i++) {
		unsigned char c = (unsigned char)fourcc[i];
		int n;

		if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
			n = snprintf(buf + o, len - o, "%c", c);
		else
			n = snprintf(buf + o, len - o, "\\x%02x", c);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/* Read exactly len bytes at off; a short read is a truncated file. */
static int
fh_read(int fd, const char *path, void *buf, size_t len, int64_t off,
    const char *what, struct vs_error *err)
{
	ssize_t n = fs_pread_full(fd, buf, len, (off_t)off);

	if (n < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), path);
	if ((size_t)n != len)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: truncated FAISS index: the file ends inside the %s at byte %" PRId64),
		    path, what, off + (int64_t)n);
	return 0;
}

static int
fh_read_fourcc(int fd, const char *path, int64_t off, char fourcc[5],
    enum fh_kind *kind, struct vs_error *err)
{
	char shown[32];

	if (fh_read(fd, path, fourcc, 4, off, _("index type"), err) != 0)
		return -1;
	fourcc[4] = '\0';
	if (fh_kind(fourcc, kind) != 0) {
		fh_printable(fourcc, shown, sizeof shown);
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: not a FAISS index (unknown type '%s')"), path, shown);
	}
	if (*kind == FH_BINARY)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: a binary FAISS index (type '%s'); only float indexes are supported"),
		    path, fourcc);
	return 0;
}

/* The common header at off, after the type code fourcc. */
static int
fh_read_common(int fd, const char *path, const char *fourcc, int64_t off,
    struct fh_common *h, struct vs_error *err)
{
	unsigned char buf[FH_COMMON_LEN];
	char what[64];

	snprintf(what, sizeof what, _("'%s' header"), fourcc);
	if (fh_read(fd, path, buf, sizeof buf, off, what, err) != 0)
		return -1;
	memcpy(&h->d, buf, 4);
	memcpy(&h->ntotal, buf + 4, 8);
	h->is_trained = buf[4 + 8 + 8 + 8];
	memcpy(&h->metric, buf + 4 + 8 + 8 + 8 + 1, 4);
	h->metric_arg = 0;
	h->end = off + FH_COMMON_LEN;
	if (h->d <= 0 || h->d > FH_MAX_DIM || h->ntotal < 0 ||
	    h->ntotal > FH_MAX_NTOTAL || h->is_trained > 1 ||
	    !fh_metric_known(h->metric))
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: not a valid FAISS index: the '%s' header holds impossible values "
		      "(dimension %" PRId32 ", %" PRId64 " vectors, metric %" PRId32 ")"),
		    path, fourcc, h->d, h->ntotal, h->metric);
	if (h->metric > FAISS_METRIC_L2) {
		if (fh_read(fd, path, &h->metric_arg, FH_METRIC_ARG_LEN, h->end, what, err) != 0)
			return -1;
		h->end += FH_METRIC_ARG_LEN;
	}
	return 0;
}

/* The type code at off and the header after it. */
static int
fh_read_index_start(int fd, const char *path, int64_t off, char fourcc[5],
    enum fh_kind *kind, struct fh_common *h, struct vs_error *err)
{
	if (fh_read_fourcc(fd, path, off, fourcc, kind, err) != 0)
		return -1;
	off += 4;
	if (*kind == FH_LATTICE)
		off += FH_LATTICE_PARAMS_LEN;
	return fh_read_common(fd, path, fourcc, off, h, err);
}

static int
fh_read_count(int fd, const char *path, int64_t off, const char *what,
    int64_t *count, struct vs_error *err)
{
	uint64_t v;

	if (fh_read(fd, path, &v, sizeof v, off, what, err) != 0)
		return -1;
	if (v > (uint64_t)INT64_MAX)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: not a valid FAISS index: impossible %s %" PRIu64), path, what, v);
	*count = (int64_t)v;
	return 0;
}

/*
 * Flat storage at off: a count of floats that must be ntotal * d, then the
 * floats. Sets *end to the offset after them.
 */
static int
fh_check_flat(int fd, const char *path, int64_t off, const struct fh_common *h,
    int64_t *end, struct vs_error *err)
{
	int64_t count, want, bytes;

	if (fh_read_count(fd, path, off, _("count of vector components"), &count, err) != 0)
		return -1;
	if (__builtin_mul_overflow(h->ntotal, (int64_t)h->d, &want) ||
	    __builtin_mul_overflow(want, (int64_t)sizeof(float), &bytes) ||
	    __builtin_add_overflow(bytes, off + 8, end))
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: not a valid FAISS index: %" PRId64 " vectors of dimension %d "
		      "cannot be stored"), path, h->ntotal, h->d);
	if (count != want)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: inconsistent FAISS index: the header says %" PRId64 " vectors of "
		      "dimension %d (%" PRId64 " floats) but the data holds %" PRId64 " floats"),
		    path, h->ntotal, h->d, want, count);
	return 0;
}

/* The file must end exactly at want. */
static int
fh_check_size(const char *path, int64_t size, int64_t want,
    const struct fh_common *h, struct vs_error *err)
{
	if (size < want)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: truncated FAISS index: %" PRId64 " vectors of dimension %d need "
		      "%" PRId64 " bytes but the file has %" PRId64),
		    path, h->ntotal, h->d, want, size);
	if (size > want)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: damaged FAISS index: %" PRId64 " vectors of dimension %d need "
		      "%" PRId64 " bytes but the file has %" PRId64 " (%" PRId64 " unexpected "
		      "bytes at the end)"),
		    path, h->ntotal, h->d, want, size, size - want);
	return 0;
}

static int
fh_check_idmap(int fd, const char *path, int64_t size, const struct fh_common *outer,
    struct faiss_header *out, struct vs_error *err)
{
	struct fh_common inner;
	enum fh_kind kind;
	int64_t end, ids, want;

	if (fh_read_index_start(fd, path, outer->end, out->inner_fourcc, &kind, &inner,
	    err) != 0)
		return -1;
	if (inner.d != outer->d || inner.ntotal != outer->ntotal)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: inconsistent FAISS index: '%s' holds %" PRId64 " vectors of "
		      "dimension %d but the '%s' it wraps holds %" PRId64 " of dimension %d"),
		    path, out->fourcc, outer->ntotal, outer->d, out->inner_fourcc,
		    inner.ntotal, inner.d);
	if (kind != FH_FLAT) {
		/* Only the id map's own size is known: it must at least fit. */
		if (size - inner.end < 8 + 8 * outer->ntotal)
			return error_set(err, VS_ERR_FORMAT,
			    _("%s: truncated FAISS index: %" PRId64 " ids cannot fit in the "
			      "%" PRId64 " bytes after the headers"),
			    path, outer->ntotal, size - inner.end);
		return 0;
	}
	if (fh_check_flat(fd, path, inner.end, &inner, &end, err) != 0)
		return -1;
	if (fh_read_count(fd, path, end, _("count of ids"), &ids, err) != 0)
		return -1;
	if (ids != outer->ntotal)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: inconsistent FAISS index: %" PRId64 " vectors but %" PRId64 " ids"),
		    path, outer->ntotal, ids);
	/* ids <= ntotal <= 2^48, so this cannot overflow */
	want = end + 8 + ids * 8;
	if (fh_check_size(path, size, want, outer, err) != 0)
		return -1;
	out->size_checked = true;
	return 0;
}

int
faiss_header_read(int fd, const char *path, struct faiss_header *out,
    struct vs_error *err)
{
	struct fh_common h;
	enum fh_kind kind;
	struct stat st;
	int64_t end;

	memset(out, 0, sizeof *out);
	if (fstat(fd, &st) != 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot examine %s"), path);
	if (!S_ISREG(st.st_mode))
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: not a FAISS index (not a regular file)"), path);
	if (st.st_size < 4)
		return error_set(err, VS_ERR_FORMAT,
		    _("%s: not a FAISS index (the file has only %lld bytes)"), path,
		    (long long)st.st_size);
	out->file_size = (int64_t)st.st_size;

	if (fh_read_index_start(fd, path, 0, out->fourcc, &kind, &h, err) != 0)
		return -1;
	out->dim = h.d;
	out->ntotal = h.ntotal;
	out->metric = h.metric;
	out->metric_arg = h.metric_arg;
	out->is_trained = h.is_trained != 0;

	switch (kind) {
	case FH_FLAT:
		if (fh_check_flat(fd, path, h.end, &h, &end, err) != 0 ||
		    fh_check_size(path, out->file_size, end, &h, err) != 0)
			return -1;
		out->size_checked = true;
		return 0;
	case FH_IDMAP:
		if (fh_check_idmap(fd, path, out->file_size, &h, out, err) != 0)
			return -1;
		if (faiss_invlists_possible(out->inner_fourcc))
			return faiss_invlists_check(fd, path, h.end, out->file_size, err);
		return 0;
	case FH_STANDARD:
		if (faiss_invlists_possible(out->fourcc))
			return faiss_invlists_check(fd, path, h.end, out->file_size, err);
		return 0;
	case FH_LATTICE:
	case FH_BINARY:
		break;
	}
	return 0;
}

int
faiss_header_read_path(const char *path, struct faiss_header *out,
    struct vs_error *err)
{
	int fd, rc;

	/* Neither a link nor a FIFO is an index vsbackup put there. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return error_errno(err, errno == ENOENT ? VS_ERR_NOTFOUND : VS_ERR_IO, errno,
		    _("cannot open FAISS index %s"), path);
	rc = faiss_header_read(fd, path, out, err);
	close(fd);
	return rc;
}
