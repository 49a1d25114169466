#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

static const struct {
	int exit_status;
	const char *name;
} error_table[] = {
#define X(code, exitst, name) [code] = { exitst, name },
	VS_ERROR_CODES(X)
#undef X
};

void
error_clear(struct vs_error *err)
{
	err->code = VS_OK;
	err->msg[0] = '\0';
}

static void
error_vset(struct vs_error *err, enum vs_code code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int
error_set(struct vs_error *err, enum vs_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
error_errno(struct vs_error *err, enum vs_code code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	if (errnum == ENOSPC || errnum == EDQUOT)
		code = VS_ERR_NOSPACE;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof err->msg - len, ": %s", strerror(errnum));
	return -1;
}

int
error_prefix(struct vs_error *err, const char *fmt, ...)
{
	char head[VS_ERROR_MSG_MAX], old[VS_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s: %s", head, old);
	return -1;
}

int
error_exit_status(enum vs_code code)
{
	if ((unsigned)code >= VS_ERR__COUNT)
		return VS_EXIT_FAILURE;
	return error_table[code].exit_status;
}

const char *
error_code_name(enum vs_code code)
{
	if ((unsigned)code >= VS_ERR__COUNT)
		return "unknown";
	return error_table[code].name;
}
