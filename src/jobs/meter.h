/* Byte progress of a job's transfers, as a storage_progress: counts what
 * the storage drivers report (from several threads at once for parallel
 * S3 parts), reports it as job progress and turns a cancel into a stop. */
#ifndef VS_METER_H
#define VS_METER_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine/engine.h"
#include "storage/storage.h"

struct job_meter {
	struct job *job;
	char phase[128];        /* change only between transfers */
	_Atomic uint64_t done;
	uint64_t total;
	struct storage_progress progress; /* pass &meter->progress to storage */
};

void job_meter_init(struct job_meter *m, struct job *job, uint64_t total);

/* Name what is being moved now. */
void job_meter_phase(struct job_meter *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
