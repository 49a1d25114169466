#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "faiss/faiss-header.h"
#include "faiss/faiss-index.h"

struct faiss_index_writer {
	FaissIndex *index;
	int dim;
};

/* FAISS's message for the failed call on this thread. */
static const char *
fi_last_error(void)
{
	const char *msg = faiss_get_last_error();

	return msg != NULL && *msg != '\0' ? msg : _("unknown FAISS error");
}

int
faiss_index_writer_new(int dim, struct faiss_index_writer **out,
    struct vs_error *err)
{
	struct faiss_index_writer *w;
	FaissIndex *index = NULL;

	if (dim <= 0)
		return error_set(err, VS_ERR_FAISS,
		    _("cannot create a FAISS index of dimension %d"), dim);
	if (faiss_index_factory(&index, dim, "IDMap,Flat", METRIC_INNER_PRODUCT) != 0)
		return error_set(err, VS_ERR_FAISS,
		    _("cannot create a FAISS \"IDMap,Flat\" index of dimension %d: %s"),
		    dim, fi_last_error());
	w = xcalloc(1, sizeof *w);
	w->index = index;
	w->dim = dim;
	*out = w;
	return 0;
}

int
faiss_index_writer_add(struct faiss_index_writer *w, size_t n, const float *x,
    const int64_t *ids, struct vs_error *err)
{
	if (n == 0)
		return 0;
	if (faiss_Index_add_with_ids(w->index, (idx_t)n, x, ids) != 0)
		return error_set(err, VS_ERR_FAISS,
		    _("cannot add %zu vectors to the FAISS index: %s"), n, fi_last_error());
	return 0;
}

int64_t
faiss_index_writer_ntotal(const struct faiss_index_writer *w)
{
	return faiss_Index_ntotal(w->index);
}

int
faiss_index_writer_save(struct faiss_index_writer *w, const char *path,
    mode_t mode, struct vs_error *err)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	char *dir = fs_dirname(path);
	FILE *fp = NULL;
	int fd, rc = -1;

	if ((fd = mkstemp(tmp)) < 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot create a temporary file next to %s"),
		    path);
		goto out_free;
	}
	if (fchmod(fd, mode) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot set the mode of %s"), tmp);
		close(fd);
		goto out_unlink;
	}
	if ((fp = fdopen(fd, "wb")) == NULL) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		close(fd);
		goto out_unlink;
	}
	if (faiss_write_index(w->index, fp) != 0) {
		error_set(err, VS_ERR_FAISS, _("FAISS cannot write index %s: %s"), tmp,
		    fi_last_error());
		goto out_close;
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		goto out_close;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		error_errno(err, VS_ERR_IO, errno, _("cannot write %s"), tmp);
		goto out_unlink;
	}
	fp = NULL;
	if (rename(tmp, path) != 0) {
		error_errno(err, VS_ERR_IO, errno, _("cannot rename %s to %s"), tmp, path);
		goto out_unlink;
	}
	rc = fs_fsync_dir(dir, err);
	goto out_free;

out_close:
	fclose(fp);
out_unlink:
	unlink(tmp);
out_free:
	free(tmp);
	free(dir);
	return rc;
}

void
faiss_index_writer_free(struct faiss_index_writer *w)
{
	if (w == NULL)
		return;
	faiss_Index_free(w->index);
	free(w);
}
