/*
 * Where the S3 credentials come from; the first source found wins:
 *   1. s3.access_key_id / s3.secret_access_key / s3.session_token
 *   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *   3. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 *      ~/.aws/credentials), profile s3.profile, else AWS_PROFILE, else
 *      "default"
 *   4. the EC2 instance role through IMDSv2 (AWS_EC2_METADATA_DISABLED=true
 *      turns it off; AWS_EC2_METADATA_SERVICE_ENDPOINT moves it), refreshed
 *      before it expires.
 * Secrets are never put into messages; only the source and key id are.
 */
#ifndef VS_S3_CRED_H
#define VS_S3_CRED_H

#include <time.h>

#include "common/error.h"
#include "config/conf.h"

struct s3_cred;

/* A copy of the current credentials, owned by the caller. */
struct s3_cred_value {
	char *access_key_id;
	char *secret;
	char *token;          /* NULL when there is no session token */
};

/* Resolve the chain once. VS_ERR_CONFIG when no source has credentials. */
struct s3_options;
int s3_cred_open(const struct s3_options *o, struct s3_cred **out, struct vs_error *err);

/* The current credentials (thread-safe); instance-role credentials are
 * fetched again when they expire within five minutes. */
int s3_cred_get(struct s3_cred *c, struct s3_cred_value *out, struct vs_error *err);

/* Wipe and free a copy. */
void s3_cred_value_free(struct s3_cred_value *v);

/* Where they came from, for messages: "configuration", "environment",
 * "shared credentials file ... (profile ...)", "EC2 instance role ...". */
const char *s3_cred_source(const struct s3_cred *c);

/* When instance-role credentials expire; 0 for the other sources. */
time_t s3_cred_expiration(struct s3_cred *c);

void s3_cred_close(struct s3_cred *c);

#endif
