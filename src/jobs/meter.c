#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jobs/meter.h"

static int
job_meter_fn(void *ud, uint64_t delta)
{
	struct job_meter *m = ud;
	uint64_t done = atomic_fetch_add(&m->done, delta) + delta;

	/* A file stored as it is written may outgrow its estimate. */
	job_progress(m->job, m->phase, done, done > m->total ? done : m->total, true);
	return job_cancelled(m->job) ? -1 : 0;
}

void
job_meter_init(struct job_meter *m, struct job *job, uint64_t total)
{
	memset(m, 0, sizeof *m);
	m->job = job;
	m->total = total;
	atomic_init(&m->done, 0);
	m->progress.fn = job_meter_fn;
	m->progress.ud = m;
}

void
job_meter_phase(struct job_meter *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->phase, sizeof m->phase, fmt, ap);
	va_end(ap);
}
