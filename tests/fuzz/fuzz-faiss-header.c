/*
 * The FAISS header reader (src/faiss/faiss-header.c, and through it the
 * search for inverted lists kept in another file, faiss-invlists.c) on an
 * untrusted index file, as a backup reads the live index and verify reads
 * a backup's copy. The input is the whole file, given on a descriptor as
 * the reader gets it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "faiss/faiss-header.h"
#include "fuzz.h"

static int fz_fd = -1;

void
fuzz_setup(void)
{
	fz_fd = memfd_create("index.faiss", MFD_CLOEXEC);
	if (fz_fd < 0) {
		perror("memfd_create");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct faiss_header h;
	struct vs_error err;
	size_t done = 0;

	if (ftruncate(fz_fd, 0) != 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(fz_fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	if (faiss_header_read(fz_fd, "index.faiss", &h, &err) == 0)
		(void)faiss_metric_name(h.metric);
	return 0;
}
