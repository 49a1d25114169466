/*
 * The options of one S3 location: the keys of an s3 group of the
 * configuration (vsbackup.conf(5)), read by the driver alone.
 */
#ifndef VS_S3_OPTIONS_H
#define VS_S3_OPTIONS_H

#include <stdbool.h>

#include "config/conf.h"

struct s3_options {
	char *bucket;
	char *prefix;
	char *region;
	char *endpoint;
	bool path_style;
	char *sse;            /* "AES256", "aws:kms" or "none" */
	char *sse_kms_key_id;
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	char *profile;
	char *ca_file;
	long long multipart_threshold;
	long long part_size;
	int concurrency;
	int max_attempts;
	int connect_timeout;
	int low_speed_time;
};

/* The S3 kind of location, for the table of drivers. */
extern const struct config_driver storage_s3_kind;

/* The options of an S3 location. */
static inline const struct s3_options *
s3_options_of(const struct config_location *loc)
{
	return loc->opts;
}

/* Options with every default (strings allocated), for tests; free with
 * s3_options_free. */
struct s3_options *s3_options_new(void);
void s3_options_free(struct s3_options *o);

#endif
