/*
 * One signed S3 request with retries: the URL and headers are built, signed
 * with SigV4 (again for each attempt, as the date changes), sent with
 * libcurl, and retried with exponential backoff and jitter on
 * connection errors, timeouts, 5xx, 429 and SlowDown, never on other 4xx.
 * Each retry is reported through the warning hook with its reason.
 *
 * Nothing a server sends is read without bound: an answer collected in
 * memory stops at body_max, one written to a file at out_max, an error
 * body at 64 KiB and S3_ERROR_BODY_SECONDS after its status line; a
 * transfer slower than S3_LOW_SPEED bytes/s for low_speed_time seconds is
 * given up, and an answer held in memory must be complete within
 * S3_MEMORY_ANSWER_SECONDS. The cancel hook is asked at least once a
 * second during every transfer and between retries.
 */
#ifndef VS_S3_CLIENT_H
#define VS_S3_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "config/conf.h"
#include "storage/storage.h"
#include "storage/s3/s3-addr.h"
#include "storage/s3/s3-buf.h"
#include "storage/s3/s3-cred.h"
#include "storage/s3/sigv4.h"

#define S3_MAX_QUERY 6
#define S3_MAX_HEADERS 8
/* Bytes curl moves per socket read or write (its buffers, per request). */
#define S3_CURL_BUFFER (256L * 1024)
/* Limits of one request (see above). */
#define S3_ERROR_BODY_MAX (64 * 1024)
#define S3_ERROR_BODY_SECONDS 5
#define S3_LOW_SPEED 1024L
#define S3_MEMORY_ANSWER_SECONDS 300L
/* CompleteMultipartUpload may take minutes, S3 sending spaces meanwhile. */
#define S3_COMPLETE_SECONDS 1800L

struct s3_client {
	struct s3_endpoint ep;
	char *region;
	char *ca_file;            /* NULL: the system's CA store */
	long connect_timeout;     /* seconds */
	long low_speed_time;      /* seconds below 1 byte/s before giving up */
	int max_attempts;
	struct s3_cred *cred;
	/* Called with each retry's reason; may run on any thread. */
	void (*warn)(void *ud, const char *msg);
	void *warn_ud;
	/* Asked during every transfer and between retries, from any thread:
	 * nonzero stops the request with VS_ERR_CANCELLED. May be NULL. */
	int (*cancelled)(void *ud);
	void *cancel_ud;

	/* Idle curl handles kept for their open connections; the lock
	 * guards the list. Handles are never shared between threads at
	 * once: a request takes one out and puts it back. */
	pthread_mutex_t pool_lock;
	void **pool;
	size_t npool;
	void *share;              /* CURLSH: DNS and TLS sessions */
	pthread_mutex_t share_lock;
};

struct s3_req {
	const char *method;       /* GET HEAD PUT POST DELETE */
	const char *key;          /* object key; NULL addresses the bucket */
	struct sigv4_pair query[S3_MAX_QUERY];
	size_t nquery;
	struct sigv4_pair headers[S3_MAX_HEADERS]; /* extra headers, all signed */
	size_t nheaders;

	/* The body: body_len bytes of memory at body, or of body_fd read
	 * with pread from body_off (then payload_hash must be given). */
	const void *body;
	int body_fd;              /* -1: none */
	uint64_t body_off;
	uint64_t body_len;
	const char *payload_hash; /* hex SHA-256; NULL: computed for memory bodies */

	/* A successful answer's body goes to out_fd at out_off with pwrite
	 * when out_fd >= 0, else it is collected up to body_max bytes. */
	int out_fd;
	uint64_t out_off;
	uint64_t out_max;         /* with out_fd: the bytes expected; more is an error */
	size_t body_max;          /* 0: 16 MiB */
	/* Told the count of this answer's bytes in out_fd after each write;
	 * a retried attempt starts again from 0. */
	void (*landed)(void *ud, uint64_t written);
	void *landed_ud;

	const struct storage_progress *progress;
	uint64_t progress_done;   /* bytes already reported, kept across attempts */
	bool error_in_200;        /* a 200 may carry <Error> (CompleteMultipartUpload) */
	const char *what;         /* "uploading", "listing", ... for messages */
};

struct s3_resp {
	long status;
	struct s3_buf body;
	char *etag;
	uint64_t content_length;  /* of the answer, when has_length */
	bool has_length;
	uint64_t out_bytes;       /* written to out_fd */
	char *last_modified;
};

/* Once per process, before any thread runs a request. */
void s3_client_global_init(void);

/* Set up a client from a location's options (endpoint, region, TLS,
 * timeouts, retries) and resolve the credentials. */
struct s3_options;
int s3_client_init(struct s3_client *c, const struct s3_options *o, struct vs_error *err);
void s3_client_free(struct s3_client *c);

/* A request with everything zero but body_fd and out_fd (-1). */
void s3_req_init(struct s3_req *req, const char *method, const char *key,
    const char *what);
void s3_req_query(struct s3_req *req, const char *name, const char *value);
void s3_req_header(struct s3_req *req, const char *name, const char *value);

/* Run req to completion. 0 on a 2xx answer; else -1 with an error naming
 * the operation, the object and S3's code and message: VS_ERR_NOTFOUND for
 * 404, VS_ERR_CANCELLED when the progress callback asked to stop, VS_ERR_IO
 * when writing out_fd failed, VS_ERR_S3 otherwise. resp is filled in both
 * cases and must be freed. */
int s3_request(struct s3_client *c, struct s3_req *req, struct s3_resp *resp,
    struct vs_error *err);
void s3_resp_free(struct s3_resp *resp);

/* Is this HTTP status / S3 error code worth another attempt? */
bool s3_retryable_status(long status, const char *code);

/* The delay before attempt n+1 (n >= 1): uniform in [c/2, c] where
 * c = min(cap, base*2^(n-1)): spread, yet never next to nothing. */
long s3_backoff_ms(int n);

/* A delay as the retry's warning shows it: "150 ms" under a second, else
 * seconds to a tenth ("2.5 s"). */
void s3_delay_text(long ms, char *buf, size_t size);

#endif
