/* upload and download: copy one backup between backup_dir and S3 as a job
 * of its own (the backup job uploads by itself; restore --from s3
 * downloads by itself). The copying is transfer_copy's (transfer.h). */
#ifndef VS_JOB_TRANSFER_H
#define VS_JOB_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "engine/engine.h"

/* upload / download: args struct job_transfer_args (free with free()),
 * result struct job_transfer_result */
struct job_transfer_args {
	char id[BACKUP_ID_SIZE];
};
struct job_transfer_result {
	char id[BACKUP_ID_SIZE];
	bool already;         /* a complete copy was at the destination: nothing moved */
	uint64_t size;        /* bytes of the backup's data files */
	double seconds;
	char *from;           /* storage_location() of each side */
	char *to;
};

/* Copies backup id from backup_dir to S3; fails with VS_ERR_CONFIG when
 * s3.bucket is not set. */
extern const struct job_type job_upload_type;

/* Copies backup id from S3 into backup_dir, each file checked against the
 * SHA-256 in metadata.json before the copy counts as complete. */
extern const struct job_type job_download_type;

#endif
