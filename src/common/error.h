/*
 * Errors returned by every module: a code from one table and a message that
 * names what failed and on what (a path, a key, a backup id). Functions that
 * can fail return 0 or -1 and fill a caller-owned struct vs_error, so workers
 * never share error state.
 */
#ifndef VS_ERROR_H
#define VS_ERROR_H

#include <stddef.h>

/* code, process exit status, short name */
#define VS_ERROR_CODES(X)                         \
	X(VS_OK,           0, "ok")               \
	X(VS_ERR_FAILED,   1, "failed")           \
	X(VS_ERR_IO,       1, "io")               \
	X(VS_ERR_NOSPACE,  1, "no-space")         \
	X(VS_ERR_CONFIG,   1, "config")           \
	X(VS_ERR_REDIS,    1, "redis")            \
	X(VS_ERR_FAISS,    1, "faiss")            \
	X(VS_ERR_S3,       1, "s3")               \
	X(VS_ERR_FORMAT,   1, "format")           \
	X(VS_ERR_NOTFOUND, 1, "not-found")        \
	X(VS_ERR_CANCELLED, 1, "cancelled")       \
	X(VS_ERR_USAGE,    2, "usage")            \
	X(VS_ERR_REFUSED,  2, "refused")          \
	X(VS_ERR_LOCKED,   2, "locked")           \
	X(VS_ERR_VERIFY,   3, "verify")

enum vs_code {
#define X(code, exitst, name) code,
	VS_ERROR_CODES(X)
#undef X
	VS_ERR__COUNT
};

/* Exit codes used by every command. */
enum {
	VS_EXIT_OK = 0,
	VS_EXIT_FAILURE = 1,
	VS_EXIT_USAGE = 2,
	VS_EXIT_INVALID = 3
};

#define VS_ERROR_MSG_MAX 1024

struct vs_error {
	enum vs_code code;
	char msg[VS_ERROR_MSG_MAX];
};

/* Clear an error struct before use. */
void error_clear(struct vs_error *err);

/* Set code and formatted message; always returns -1 so callers can
 * "return error_set(...)". err may be NULL. */
int error_set(struct vs_error *err, enum vs_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As error_set, appending ": strerror(errnum)". */
int error_errno(struct vs_error *err, enum vs_code code, int errnum,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Put "context: " in front of an existing message. */
int error_prefix(struct vs_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The process exit status for a code. */
int error_exit_status(enum vs_code code);

/* The stable short name of a code ("io", "verify", ...), for JSON output. */
const char *error_code_name(enum vs_code code);

#endif
