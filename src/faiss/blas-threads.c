/*
 * vsbackup reads, writes and checks FAISS indexes but does no linear
 * algebra, yet the BLAS that FAISS links against may be OpenBLAS, which
 * starts a thread per core as the program loads and lets each spin for a
 * tenth of a second waiting for work: on a large host every run of the
 * tool (a health check each minute, say) would burn seconds of CPU. This
 * stops that pool at start; with another BLAS it does nothing.
 */
#include "config.h"

#include "faiss/faiss-index.h"

/* OpenBLAS's own entry points, absent (NULL) with any other BLAS. */
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

void
faiss_blas_threads_stop(void)
{
	/* One thread from now on, so a later BLAS call starts no pool. */
	if (openblas_set_num_threads != NULL)
		openblas_set_num_threads(1);
	if (blas_thread_shutdown_ != NULL)
		blas_thread_shutdown_();
}
