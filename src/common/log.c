/*
 * DESIGN: the level and the stderr switch are atomics read on every call.
 * Everything else (the log file descriptor, syslog, the secrets to mask,
 * the operation and backup id) is guarded by log_lock, taken for the
 * whole of one message so lines from several threads never interleave.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "config/conf.h"

/* Secrets shorter than this are not masked: replacing a two-letter
 * password everywhere would garble every message and hide nothing. */
#define LOG_SECRET_MIN 4
#define LOG_MAX_SECRETS 80
#define LOG_HELD_MAX 32

static _Atomic int log_level = VS_LOG_INFO;
static _Atomic int log_to_stderr = 1;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;
static bool log_syslog_open;
static char *log_secrets[LOG_MAX_SECRETS];
static size_t log_nsecrets;
static char log_operation[64];
static char log_backup[BACKUP_ID_SIZE];
static bool log_holding;
static struct log_held log_held_msgs[LOG_HELD_MAX];
static size_t log_nheld;

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

/* With log_lock held. */
static void
log_close_locked(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	if (log_syslog_open)
		closelog();
	log_syslog_open = false;
	for (size_t i = 0; i < log_nsecrets; i++) {
		explicit_bzero(log_secrets[i], strlen(log_secrets[i]));
		free(log_secrets[i]);
	}
	log_nsecrets = 0;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	log_close_locked();
	pthread_mutex_unlock(&log_lock);
}

/* With log_lock held. */
static void
log_add_secret(const char *s)
{
	if (s == NULL || strlen(s) < LOG_SECRET_MIN || log_nsecrets == LOG_MAX_SECRETS)
		return;
	for (size_t i = 0; i < log_nsecrets; i++)
		if (strcmp(log_secrets[i], s) == 0)
			return;
	log_secrets[log_nsecrets++] = xstrdup(s);
}

void
log_configure(const struct config *cfg)
{
	char *problem = NULL;

	pthread_mutex_lock(&log_lock);
	log_close_locked();
	if (cfg == NULL) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	log_add_secret(cfg->redis.password);
	/* Every secret key of every location's driver. */
	for (size_t i = 0; i < cfg->nlocations; i++) {
		const struct config_location *l = &cfg->locations[i];

		for (size_t k = 0; l->opts != NULL && k < l->driver->nkeys; k++)
			if (l->driver->keys[k].secret)
				log_add_secret(*(char **)((char *)l->opts +
				    l->driver->keys[k].offset));
	}
	/* The S3 driver may take its keys from the environment. */
	log_add_secret(getenv("AWS_SECRET_ACCESS_KEY"));
	log_add_secret(getenv("AWS_SESSION_TOKEN"));
	if (cfg->log.file != NULL && cfg->log.file[0] != '\0') {
		log_fd = open(cfg->log.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (log_fd < 0)
			problem = xasprintf(_("cannot open the log file %s (log.file in %s): %s; "
			    "logging to stderr only"), cfg->log.file, cfg->path, strerror(errno));
	}
	if (cfg->log.syslog) {
		openlog("vsbackup", LOG_PID, LOG_USER);
		log_syslog_open = true;
	}
	pthread_mutex_unlock(&log_lock);
	if (problem != NULL) {
		log_msg(VS_LOG_WARN, "%s", problem);
		free(problem);
	}
}

void
log_set_operation(const char *operation)
{
	pthread_mutex_lock(&log_lock);
	snprintf(log_operation, sizeof log_operation, "%s", operation ? operation : "");
	pthread_mutex_unlock(&log_lock);
}

void
log_set_backup(const char *backup_id)
{
	pthread_mutex_lock(&log_lock);
	if (backup_id != NULL && backup_id_valid(backup_id))
		snprintf(log_backup, sizeof log_backup, "%s", backup_id);
	else
		log_backup[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

/* A copy of text with every known secret replaced by "***" (log_lock
 * held). */
static char *
log_mask(const char *text)
{
	char *out = xstrdup(text);

	for (size_t i = 0; i < log_nsecrets; i++) {
		const char *s = log_secrets[i];
		size_t slen = strlen(s);
		char *hit;

		while ((hit = strstr(out, s)) != NULL) {
			char *next = xasprintf("%.*s***%s", (int)(hit - out), out, hit + slen);

			free(out);
			out = next;
		}
	}
	return out;
}

/* The first backup id text names as a word of its own, into id. */
static bool
log_find_backup(const char *text, char id[BACKUP_ID_SIZE])
{
	size_t n = strlen(text), w = BACKUP_ID_SIZE - 1;

	for (size_t i = 0; i + w <= n; i++) {
		if (i > 0 && (text[i - 1] == '_' || (text[i - 1] >= '0' && text[i - 1] <= '9')))
			continue;
		if (i + w < n && (text[i + w] == '_' || (text[i + w] >= '0' && text[i + w] <= '9')))
			continue;
		memcpy(id, text + i, w);
		id[w] = '\0';
		if (backup_id_valid(id))
			return true;
	}
	return false;
}

static int
log_syslog_priority(enum log_level level)
{
	switch (level) {
	case VS_LOG_ERROR:
		return LOG_ERR;
	case VS_LOG_WARN:
		return LOG_WARNING;
	case VS_LOG_INFO:
		return LOG_INFO;
	case VS_LOG_DEBUG:
		break;
	}
	return LOG_DEBUG;
}

/* Write to the log file and syslog (log_lock held). */
static void
log_sinks(enum log_level level, const char *operation, const char *backup_id,
    const char *text)
{
	int threshold = log_level > VS_LOG_INFO ? log_level : VS_LOG_INFO;
	char id[BACKUP_ID_SIZE], when[ISO8601_SIZE], *line, *masked;
	const char *op;

	if ((int)level > threshold || (log_fd < 0 && !log_syslog_open))
		return;
	op = operation != NULL && operation[0] != '\0' ? operation :
	    log_operation[0] != '\0' ? log_operation : "-";
	if (backup_id != NULL && backup_id_valid(backup_id))
		snprintf(id, sizeof id, "%s", backup_id);
	else if (log_backup[0] != '\0')
		snprintf(id, sizeof id, "%s", log_backup);
	else if (!log_find_backup(text, id))
		snprintf(id, sizeof id, "-");
	masked = log_mask(text);
	/* One entry, one line: a message with newlines is joined up. */
	for (char *p = masked; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (log_fd >= 0) {
		time_format_iso(time(NULL), when);
		line = xasprintf("%s [%ld] %s %s %s: %s\n", when, (long)getpid(),
		    log_level_name(level), op, id, masked);
		/* One write per line: O_APPEND keeps lines of several
		 * processes whole. A full disk is not worth failing over. */
		if (fs_write_full(log_fd, line, strlen(line)) != 0) {
			/* nothing better to do */
		}
		free(line);
	}
	if (log_syslog_open)
		syslog(log_syslog_priority(level), "%s %s: %s", op, id, masked);
	free(masked);
}

static void
log_stderr(enum log_level level, const char *text)
{
	char *masked;

	if ((int)level > log_level)
		return;
	if (log_holding) {
		if (log_nheld < LOG_HELD_MAX) {
			log_held_msgs[log_nheld].level = level;
			log_held_msgs[log_nheld].text = log_mask(text);
			log_nheld++;
		}
		return;
	}
	if (!log_to_stderr)
		return;
	masked = log_mask(text);
	flockfile(stderr);
	if (level <= VS_LOG_WARN)
		fprintf(stderr, "vsbackup: %s: %s\n", _(log_level_name(level)), masked);
	else
		fprintf(stderr, "vsbackup: %s\n", masked);
	funlockfile(stderr);
	free(masked);
}

void
log_event(enum log_level level, const char *operation, const char *backup_id,
    const char *text)
{
	pthread_mutex_lock(&log_lock);
	log_stderr(level, text);
	log_sinks(level, operation, backup_id, text);
	pthread_mutex_unlock(&log_lock);
}

void
log_hold(void)
{
	pthread_mutex_lock(&log_lock);
	log_holding = true;
	pthread_mutex_unlock(&log_lock);
}

size_t
log_release(struct log_held **out)
{
	struct log_held *held;
	size_t n;

	pthread_mutex_lock(&log_lock);
	log_holding = false;
	n = log_nheld;
	log_nheld = 0;
	held = xcalloc(n > 0 ? n : 1, sizeof *held);
	memcpy(held, log_held_msgs, n * sizeof *held);
	if (out == NULL) {
		for (size_t i = 0; i < n; i++) {
			log_stderr(held[i].level, held[i].text);
			free(held[i].text);
		}
		free(held);
	}
	pthread_mutex_unlock(&log_lock);
	if (out != NULL)
		*out = held;
	return n;
}

void
log_record(enum log_level level, const char *operation, const char *backup_id,
    const char *text)
{
	pthread_mutex_lock(&log_lock);
	log_sinks(level, operation, backup_id, text);
	pthread_mutex_unlock(&log_lock);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	log_event(level, NULL, NULL, text);
	free(text);
}
