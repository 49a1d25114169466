/* upload, download and copy: one backup copied between locations as a job
 * of its own (the backup job sends by itself; restore --from LOCATION
 * fetches by itself). The copying is transfer_copy's (transfer.h). */
#ifndef VS_JOB_TRANSFER_H
#define VS_JOB_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "config/conf.h"
#include "engine/engine.h"

/* upload / download / copy: args struct job_transfer_args (free with
 * free()), result struct job_transfer_result */
struct job_transfer_args {
	char id[BACKUP_ID_SIZE];
	/* The source location; "" : upload from local, download from the
	 * nearest location holding the backup. */
	char from[CONFIG_NAME_SIZE];
	/* The destinations (bits of cfg->locations); 0 : upload to every
	 * location with upload = true, download to local. */
	unsigned to;
};

/* One destination of a copy. */
struct job_transfer_dest {
	char name[CONFIG_NAME_SIZE];
	char *where;          /* storage_location() */
	bool already;         /* a complete copy was there: nothing moved */
	bool done;            /* complete there now */
	char *error;          /* else why not */
};

struct job_transfer_result {
	char id[BACKUP_ID_SIZE];
	bool already;         /* a complete copy was at every destination: nothing moved */
	uint64_t size;        /* bytes of the backup's data files */
	double seconds;
	char *from;           /* storage_location() of each side (to: the first destination) */
	char *to;
	struct job_transfer_dest *dests;
	size_t ndests;
	size_t failed;        /* destinations without a complete copy */
};

/* Copies backup id from backup_dir to the locations (VS_ERR_CONFIG when
 * there are none). */
extern const struct job_type job_upload_type;

/* Copies backup id from a location into backup_dir, each file checked
 * against the SHA-256 in metadata.json before the copy counts as complete. */
extern const struct job_type job_download_type;

/* Copies backup id from one location to others: what they lack, checked,
 * the manifest last. */
extern const struct job_type job_copy_type;

#endif
