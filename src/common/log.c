#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "common/i18n.h"
#include "common/log.h"

static _Atomic int log_level = VS_LOG_INFO;
static _Atomic int log_to_stderr = 1;

void
log_set_level(enum log_level level)
{
	log_level = (int)level;
}

enum log_level
log_get_level(void)
{
	return (enum log_level)log_level;
}

void
log_set_stderr(int enabled)
{
	log_to_stderr = enabled;
}

const char *
log_level_name(enum log_level level)
{
	static const char *const names[] = {
		[VS_LOG_ERROR] = N_("error"),
		[VS_LOG_WARN] = N_("warning"),
		[VS_LOG_INFO] = N_("info"),
		[VS_LOG_DEBUG] = N_("debug"),
	};

	return names[level];
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > log_level || !log_to_stderr)
		return;
	flockfile(stderr);
	if (level <= VS_LOG_WARN)
		fprintf(stderr, "vsbackup: %s: ", _(log_level_name(level)));
	else
		fputs("vsbackup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
