/*
 * DESIGN: a struct s3_client is shared by every thread of one storage.
 * Its configuration is read-only after s3_client_init. pool_lock guards
 * the list of idle curl handles (a request owns its handle alone while it
 * runs, so connections are reused without two threads touching one
 * handle); share_lock guards the DNS and TLS-session cache that libcurl
 * shares between handles. Credentials have their own lock (s3-cred.c).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3-options.h"
#include "storage/s3/s3-xml.h"

#define S3_BODY_MAX_DEFAULT (16 * 1024 * 1024)
#define S3_BACKOFF_BASE_MS 200
#define S3_BACKOFF_CAP_MS 20000
#define S3_POOL_MAX 16

static pthread_once_t s3_global_once = PTHREAD_ONCE_INIT;

static void
s3_global_init_once(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatal("curl_global_init failed");
}

void
s3_client_global_init(void)
{
	pthread_once(&s3_global_once, s3_global_init_once);
}

static void
s3_share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct s3_client *c = ud;

	(void)h;
	(void)data;
	(void)access;
	pthread_mutex_lock(&c->share_lock);
}

static void
s3_share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct s3_client *c = ud;

	(void)h;
	(void)data;
	pthread_mutex_unlock(&c->share_lock);
}

int
s3_client_init(struct s3_client *c, const struct s3_options *o, struct vs_error *err)
{
	CURLSH *sh;

	memset(c, 0, sizeof *c);
	s3_client_global_init();
	if (s3_endpoint_init(&c->ep, o->endpoint, o->region, o->bucket, o->path_style,
	    err) != 0)
		return -1;
	c->region = xstrdup(*o->region != '\0' ? o->region : "us-east-1");
	c->ca_file = o->ca_file != NULL && *o->ca_file != '\0' ? xstrdup(o->ca_file) : NULL;
	c->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout : 10;
	c->low_speed_time = o->low_speed_time > 0 ? o->low_speed_time : 30;
	c->max_attempts = o->max_attempts > 0 ? o->max_attempts : 5;
	pthread_mutex_init(&c->pool_lock, NULL);
	pthread_mutex_init(&c->share_lock, NULL);
	sh = curl_share_init();
	if (sh == NULL)
		fatal("curl_share_init failed");
	curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, s3_share_lock);
	curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, s3_share_unlock);
	curl_share_setopt(sh, CURLSHOPT_USERDATA, c);
	curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	c->share = sh;
	if (s3_cred_open(o, &c->cred, err) != 0) {
		s3_client_free(c);
		return -1;
	}
	return 0;
}

void
s3_client_free(struct s3_client *c)
{
	size_t i;

	for (i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	if (c->share != NULL)
		curl_share_cleanup(c->share);
	pthread_mutex_destroy(&c->pool_lock);
	pthread_mutex_destroy(&c->share_lock);
	s3_cred_close(c->cred);
	s3_endpoint_free(&c->ep);
	free(c->region);
	free(c->ca_file);
	memset(c, 0, sizeof *c);
}

static CURL *
s3_easy_get(struct s3_client *c)
{
	CURL *easy = NULL;

	pthread_mutex_lock(&c->pool_lock);
	if (c->npool > 0)
		easy = c->pool[--c->npool];
	pthread_mutex_unlock(&c->pool_lock);
	if (easy == NULL && (easy = curl_easy_init()) == NULL)
		fatal("curl_easy_init failed");
	return easy;
}

static void
s3_easy_put(struct s3_client *c, CURL *easy)
{
	pthread_mutex_lock(&c->pool_lock);
	if (c->npool < S3_POOL_MAX) {
		if (c->pool == NULL)
			c->pool = xcalloc(S3_POOL_MAX, sizeof *c->pool);
		c->pool[c->npool++] = easy;
		easy = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (easy != NULL)
		curl_easy_cleanup(easy);
}

void
s3_req_init(struct s3_req *req, const char *method, const char *key, const char *what)
{
	memset(req, 0, sizeof *req);
	req->method = method;
	req->key = key;
	req->what = what;
	req->body_fd = -1;
	req->out_fd = -1;
}

void
s3_req_query(struct s3_req *req, const char *name, const char *value)
{
	if (req->nquery == S3_MAX_QUERY)
		fatal("too many query parameters in an S3 request");
	req->query[req->nquery].name = name;
	req->query[req->nquery++].value = value;
}

void
s3_req_header(struct s3_req *req, const char *name, const char *value)
{
	if (req->nheaders == S3_MAX_HEADERS)
		fatal("too many headers in an S3 request");
	req->headers[req->nheaders].name = name;
	req->headers[req->nheaders++].value = value;
}

void
s3_resp_free(struct s3_resp *resp)
{
	s3_buf_free(&resp->body);
	free(resp->etag);
	free(resp->last_modified);
	memset(resp, 0, sizeof *resp);
}

bool
s3_retryable_status(long status, const char *code)
{
	/* A request S3 refused as such fails the same way every time. */
	if (status == 400 || status == 403 || status == 404)
		return false;
	if (status >= 500 || status == 429)
		return true;
	/* Throttling or a server fault reported inside a 200 answer. */
	return code != NULL && (strcmp(code, "SlowDown") == 0 ||
	    strcmp(code, "InternalError") == 0 || strcmp(code, "ServiceUnavailable") == 0);
}

long
s3_backoff_ms(int n)
{
	unsigned long long ceiling = S3_BACKOFF_BASE_MS;
	unsigned int r;

	while (--n > 0 && ceiling < S3_BACKOFF_CAP_MS)
		ceiling *= 2;
	if (ceiling > S3_BACKOFF_CAP_MS)
		ceiling = S3_BACKOFF_CAP_MS;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = (unsigned int)rand();
	return (long)(ceiling / 2 + r % (ceiling - ceiling / 2 + 1));
}

void
s3_delay_text(long ms, char *buf, size_t size)
{
	if (ms < 1000)
		snprintf(buf, size, "%ld ms", ms < 0 ? 0 : ms);
	else
		snprintf(buf, size, "%.1f s", (double)ms / 1000);
}

/* State of one attempt, seen by the curl callbacks. */
struct s3_xfer {
	struct s3_client *c;
	struct s3_req *req;
	struct s3_resp *resp;
	CURL *easy;
	uint64_t sent;            /* body bytes handed to curl */
	size_t body_max;
	int write_errno;          /* pwrite to out_fd failed */
	bool too_large;
	bool cancelled;
	bool error_cut;           /* an error body was cut at its limit */
	struct timespec error_since; /* when a non-2xx status was first seen */
	bool error_seen;
};

static bool
s3_status_ok(long status)
{
	return status >= 200 && status < 300;
}

/* Has the client's owner asked to stop? */
static bool
s3_client_cancelled(struct s3_client *c, const struct s3_req *req)
{
	if (c->cancelled != NULL && c->cancelled(c->cancel_ud) != 0)
		return true;
	/* A transfer's owner answers through its progress callback. */
	return req->progress != NULL && req->progress->fn != NULL &&
	    req->progress->fn(req->progress->ud, 0) != 0;
}

static size_t
s3_read_cb(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct s3_xfer *x = ud;
	struct s3_req *req = x->req;
	size_t want = size * nmemb;
	ssize_t n;

	if (x->sent >= req->body_len)
		return 0;
	if (want > req->body_len - x->sent)
		want = (size_t)(req->body_len - x->sent);
	if (req->body != NULL) {
		memcpy(buf, (const char *)req->body + x->sent, want);
		n = (ssize_t)want;
	} else {
		do
			n = pread(req->body_fd, buf, want, (off_t)(req->body_off + x->sent));
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			/* The file shrank or failed under us: stop the upload. */
			x->write_errno = n < 0 ? errno : EIO;
			return CURL_READFUNC_ABORT;
		}
	}
	x->sent += (uint64_t)n;
	return (size_t)n;
}

static int
s3_seek_cb(void *ud, curl_off_t offset, int origin)
{
	struct s3_xfer *x = ud;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > x->req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	x->sent = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t
s3_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct s3_xfer *x = ud;
	struct s3_req *req = x->req;
	size_t len = size * nmemb, done = 0;
	long status = 0;
	ssize_t n;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (s3_status_ok(status) && req->out_fd >= 0) {
		/* Never past what the object holds: a server sending more
		 * would otherwise fill the disk before sizes are compared. */
		if (req->out_max > 0 && len > req->out_max - x->resp->out_bytes) {
			x->too_large = true;
			return 0;
		}
		while (done < len) {
			n = pwrite(req->out_fd, ptr + done, len - done,
			    (off_t)(req->out_off + x->resp->out_bytes + done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				x->write_errno = n < 0 ? errno : EIO;
				return 0;
			}
			done += (size_t)n;
		}
		x->resp->out_bytes += len;
		if (req->landed != NULL)
			req->landed(req->landed_ud, x->resp->out_bytes);
		return len;
	}
	if (s3_status_ok(status)) {
		if (len > x->body_max - x->resp->body.len) {
			x->too_large = true;
			return 0;
		}
	} else if (len > S3_ERROR_BODY_MAX - x->resp->body.len) {
		/* Keep the start of a long error page and stop reading: the
		 * status says enough, and a body may never end. */
		s3_buf_add(&x->resp->body, ptr, S3_ERROR_BODY_MAX - x->resp->body.len);
		x->error_cut = true;
		return 0;
	}
	s3_buf_add(&x->resp->body, ptr, len);
	return len;
}

static bool
s3_header_is(const char *line, size_t len, const char *name, const char **value,
    size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return false;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	    line[len - 1] == ' '))
		len--;
	*value = line;
	*vlen = len;
	return true;
}

static size_t
s3_header_cb(char *line, size_t size, size_t nmemb, void *ud)
{
	struct s3_xfer *x = ud;
	size_t len = size * nmemb, vlen;
	const char *v;

	/* A new status line (after 100 Continue) starts a new set. */
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		free(x->resp->etag);
		x->resp->etag = NULL;
		free(x->resp->last_modified);
		x->resp->last_modified = NULL;
	} else if (s3_header_is(line, len, "ETag", &v, &vlen)) {
		free(x->resp->etag);
		x->resp->etag = xstrndup(v, vlen);
	} else if (s3_header_is(line, len, "Last-Modified", &v, &vlen)) {
		free(x->resp->last_modified);
		x->resp->last_modified = xstrndup(v, vlen);
	}
	return len;
}

static double
s3_seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/*
 * Called by curl about once a second while nothing moves, and after each
 * read or write: progress, cancellation, and the time an error body may
 * take.
 */
static int
s3_xferinfo_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct s3_xfer *x = ud;
	struct s3_req *req = x->req;
	uint64_t now;
	long status = 0;

	(void)dltotal;
	(void)ultotal;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300 || (status > 0 && status < 200)) {
		if (!x->error_seen) {
			x->error_seen = true;
			clock_gettime(CLOCK_MONOTONIC, &x->error_since);
		} else if (s3_seconds_since(&x->error_since) > S3_ERROR_BODY_SECONDS) {
			x->error_cut = true;
			return 1;
		}
	}
	if (x->c->cancelled != NULL && x->c->cancelled(x->c->cancel_ud) != 0) {
		x->cancelled = true;
		return 1;
	}
	if (req->progress == NULL || req->progress->fn == NULL)
		return 0;
	if (req->body_len > 0)
		now = (uint64_t)ulnow;
	else
		/* Only the bytes of a successful answer are progress. */
		now = s3_status_ok(status) ? (uint64_t)dlnow : 0;
	/* Called with 0 when nothing moved, so a stalled transfer still
	 * notices a cancel at once instead of after the low-speed timeout. */
	if (now >= req->progress_done) {
		uint64_t delta = now - req->progress_done;

		req->progress_done = now;
		if (req->progress->fn(req->progress->ud, delta) != 0) {
			x->cancelled = true;
			return 1;
		}
	}
	return 0;
}

static bool
s3_curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static void
s3_warn(struct s3_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
s3_warn(struct s3_client *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (c->warn == NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	c->warn(c->warn_ud, msg);
	free(msg);
}

/* Wait ms between attempts, in slices, so a cancel is seen within 0.1 s;
 * false when cancelled. */
static bool
s3_sleep_ms(struct s3_client *c, const struct s3_req *req, long ms)
{
	while (ms > 0) {
		long slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, slice * 1000000L };

		if (s3_client_cancelled(c, req))
			return false;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
	return !s3_client_cancelled(c, req);
}

/* Set up the handle and send one attempt; returns curl's result. */
static CURLcode
s3_attempt(struct s3_client *c, struct s3_xfer *x, const char *payload_hash,
    char errbuf[CURL_ERROR_SIZE], struct vs_error *err, bool *cred_failed)
{
	struct s3_req *req = x->req;
	struct curl_slist *hl = NULL;
	struct sigv4_pair hdr[S3_MAX_HEADERS + 4];
	struct s3_cred_value cv = { 0 };
	struct sigv4_result sig;
	struct sigv4_request sreq;
	struct sigv4_key skey;
	char date[SIGV4_DATE_SIZE], *query, *host, *path, *url, *line;
	bool has_ctype = false;
	CURL *easy = x->easy;
	size_t i, n = 0;
	CURLcode rc;

	*cred_failed = false;
	if (s3_cred_get(c->cred, &cv, err) != 0) {
		*cred_failed = true;
		return CURLE_LOGIN_DENIED;
	}
	sigv4_amz_date(time(NULL), date);
	query = sigv4_canonical_query(req->query, req->nquery);
	s3_endpoint_url(&c->ep, req->key, query, &host, &path, &url);

	hdr[n++] = (struct sigv4_pair){ "host", host };
	hdr[n++] = (struct sigv4_pair){ "x-amz-content-sha256", payload_hash };
	hdr[n++] = (struct sigv4_pair){ "x-amz-date", date };
	if (cv.token != NULL)
		hdr[n++] = (struct sigv4_pair){ "x-amz-security-token", cv.token };
	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, "content-type") == 0)
			has_ctype = true;
		hdr[n++] = req->headers[i];
	}
	sreq = (struct sigv4_request){
		.method = req->method, .path = path, .query = req->query,
		.nquery = req->nquery, .headers = hdr, .nheaders = n,
		.payload_hash = payload_hash,
	};
	skey = (struct sigv4_key){
		.access_key_id = cv.access_key_id, .secret = cv.secret,
		.region = c->region, .service = "s3", .amz_date = date,
	};
	sigv4_sign(&sreq, &skey, &sig);

	for (i = 0; i < n; i++) {
		line = xasprintf("%s: %s", hdr[i].name, hdr[i].value);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	line = xasprintf("Authorization: %s", sig.authorization);
	hl = curl_slist_append(hl, line);
	free(line);
	/* No 100-continue round trip, and no form content type on POST. */
	hl = curl_slist_append(hl, "Expect:");
	if (!has_ctype)
		hl = curl_slist_append(hl, "Content-Type:");

	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(easy, CURLOPT_SHARE, c->share);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
	/* Keys are sent as they are: no "." or ".." squashed into another
	 * object's name (the signature covers the path as written, too). */
	curl_easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L);
	if (req->error_in_200) {
		/* CompleteMultipartUpload: S3 may send only spaces for minutes. */
		curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(easy, CURLOPT_TIMEOUT, S3_COMPLETE_SECONDS);
	} else {
		curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, S3_LOW_SPEED);
		if (req->out_fd < 0 && req->body_fd < 0)
			curl_easy_setopt(easy, CURLOPT_TIMEOUT, S3_MEMORY_ANSWER_SECONDS);
	}
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, c->low_speed_time);
	/* A GET answer announcing more than it may hold is refused before any
	 * of it is read (error pages of up to 64 KiB still are read). Not for
	 * HEAD: its Content-Length is the object's. */
	if (strcmp(req->method, "GET") == 0) {
		uint64_t max = req->out_fd >= 0 ? req->out_max : x->body_max;

		if (req->out_fd < 0 || max > 0)
			curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(max >
			    S3_ERROR_BODY_MAX ? max : S3_ERROR_BODY_MAX));
	}
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, s3_write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, s3_header_cb);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, s3_xferinfo_cb);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	/* Bigger socket reads and writes than the 16 and 64 KiB defaults:
	 * fewer system calls and callbacks per byte on a fast link. */
	curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, S3_CURL_BUFFER);
	curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, S3_CURL_BUFFER);

	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "PUT") == 0) {
		curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
	if (strcmp(req->method, "PUT") == 0 || strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(easy, CURLOPT_READFUNCTION, s3_read_cb);
		curl_easy_setopt(easy, CURLOPT_READDATA, x);
		curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, s3_seek_cb);
		curl_easy_setopt(easy, CURLOPT_SEEKDATA, x);
	}

	errbuf[0] = '\0';
	rc = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &x->resp->status);
	if (rc == CURLE_OK) {
		curl_off_t cl = -1;

		curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		x->resp->has_length = cl >= 0;
		x->resp->content_length = cl >= 0 ? (uint64_t)cl : 0;
	}
	curl_slist_free_all(hl);
	sigv4_result_free(&sig);
	s3_cred_value_free(&cv);
	free(query);
	free(host);
	free(path);
	free(url);
	return rc;
}

/* The object the request is about, for messages: "s3://bucket/key". */
static char *
s3_request_target(struct s3_client *c, const struct s3_req *req)
{
	const char *what = req->key != NULL ? req->key : "";
	size_t i;

	/* A listing is about its prefix. */
	for (i = 0; req->key == NULL && i < req->nquery; i++)
		if (strcmp(req->query[i].name, "prefix") == 0 && req->query[i].value != NULL)
			what = req->query[i].value;
	return xasprintf("s3://%s/%s", c->ep.bucket, what);
}

int
s3_request(struct s3_client *c, struct s3_req *req, struct s3_resp *resp,
    struct vs_error *err)
{
	char errbuf[CURL_ERROR_SIZE], hash[SIGV4_HEX_SIZE], *target, *reason = NULL;
	struct s3_xml_error xe;
	struct s3_xfer x;
	bool cred_failed, retry, have_xe;
	enum vs_code code;
	const char *payload_hash = req->payload_hash;
	CURLcode rc;
	int attempt;
	long delay;
	char delay_text[32];

	memset(resp, 0, sizeof *resp);
	if (payload_hash == NULL) {
		if (req->body_fd >= 0)
			fatal("an S3 upload from a file needs its payload hash");
		sigv4_sha256_hex(req->body != NULL ? req->body : "", req->body != NULL ?
		    (size_t)req->body_len : 0, hash);
		payload_hash = hash;
	}
	target = s3_request_target(c, req);
	for (attempt = 1;; attempt++) {
		s3_resp_free(resp);
		if (s3_client_cancelled(c, req)) {
			error_set(err, VS_ERR_CANCELLED, _("%s %s: cancelled"), req->what, target);
			goto fail;
		}
		memset(&x, 0, sizeof x);
		x.c = c;
		x.req = req;
		x.resp = resp;
		x.body_max = req->body_max > 0 ? req->body_max : S3_BODY_MAX_DEFAULT;
		x.easy = s3_easy_get(c);
		rc = s3_attempt(c, &x, payload_hash, errbuf, err, &cred_failed);
		/* A handle whose transfer failed midway is not kept. */
		if (rc == CURLE_OK)
			s3_easy_put(c, x.easy);
		else
			curl_easy_cleanup(x.easy);
		if (cred_failed) {
			error_prefix(err, _("%s %s"), req->what, target);
			goto fail;
		}
		free(reason);
		reason = NULL;
		have_xe = false;
		if (x.cancelled) {
			error_set(err, VS_ERR_CANCELLED, _("%s %s: cancelled"), req->what, target);
			goto fail;
		}
		if (x.write_errno != 0) {
			error_errno(err, VS_ERR_IO, x.write_errno, _("%s %s: %s"), req->what,
			    target, req->body_len > 0 ? _("reading the local file") :
			    _("writing the local file"));
			goto fail;
		}
		if (x.too_large || (rc == CURLE_FILESIZE_EXCEEDED &&
		    s3_status_ok(resp->status))) {
			error_set(err, VS_ERR_S3,
			    _("%s %s: the server sent more than the %llu bytes expected"),
			    req->what, target, (unsigned long long)(req->out_fd >= 0 ?
			    req->out_max : x.body_max));
			goto fail;
		}
		/* An error status whose body was cut short (too long, too slow,
		 * announced too large) is judged by the status alone. */
		if ((x.error_cut || rc == CURLE_FILESIZE_EXCEEDED) && resp->status > 0 &&
		    !s3_status_ok(resp->status))
			rc = CURLE_OK;
		if (rc != CURLE_OK) {
			retry = s3_curl_retryable(rc);
			reason = xasprintf("%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
			code = VS_ERR_S3;
		} else {
			long st = resp->status;

			have_xe = s3_xml_parse_error(resp->body.data, resp->body.len, &xe) == 0;
			if (st >= 200 && st < 300 && !(req->error_in_200 && have_xe)) {
				if (have_xe)
					s3_xml_error_free(&xe);
				free(target);
				return 0;
			}
			retry = s3_retryable_status(st, have_xe ? xe.code : NULL);
			if (have_xe)
				reason = xasprintf("%s: %s (HTTP %ld)", xe.code, xe.message, st);
			else if (x.error_cut)
				reason = xasprintf(_("HTTP %ld (the rest of its body was not read: "
				    "more than %d bytes or %d seconds)"), st, S3_ERROR_BODY_MAX,
				    S3_ERROR_BODY_SECONDS);
			else if (st == 404)
				reason = xasprintf("NotFound (HTTP 404)");
			else if (st == 403)
				reason = xasprintf("Forbidden (HTTP 403)");
			else
				reason = xasprintf("HTTP %ld", st);
			code = st == 404 ? VS_ERR_NOTFOUND : VS_ERR_S3;
			if (have_xe && (strcmp(xe.code, "SignatureDoesNotMatch") == 0 ||
			    strcmp(xe.code, "InvalidAccessKeyId") == 0)) {
				char *more = xasprintf(_("%s; check the secret access key (credentials from %s)"),
				    reason, s3_cred_source(c->cred));

				free(reason);
				reason = more;
			}
			if (have_xe)
				s3_xml_error_free(&xe);
		}
		if (!retry || attempt >= c->max_attempts) {
			if (retry)
				error_set(err, code, _("%s %s failed after %d attempts: %s"),
				    req->what, target, attempt, reason);
			else
				error_set(err, code, _("%s %s failed: %s"), req->what, target,
				    reason);
			goto fail;
		}
		delay = s3_backoff_ms(attempt);
		s3_delay_text(delay, delay_text, sizeof delay_text);
		s3_warn(c, _("%s %s: %s; retrying in %s (attempt %d of %d)"), req->what,
		    target, reason, delay_text, attempt + 1, c->max_attempts);
		/* The owner may give up while we wait. */
		if (!s3_sleep_ms(c, req, delay)) {
			error_set(err, VS_ERR_CANCELLED, _("%s %s: cancelled"), req->what, target);
			goto fail;
		}
	}
fail:
	free(reason);
	free(target);
	return -1;
}
