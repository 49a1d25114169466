/*
 * Process-wide log for messages outside jobs (start-up, configuration).
 * Jobs log through engine events instead; the CLI and TUI route those here
 * or to their own panes. Safe to call from any thread.
 */
#ifndef VS_LOG_H
#define VS_LOG_H

enum log_level {
	VS_LOG_ERROR,
	VS_LOG_WARN,
	VS_LOG_INFO,
	VS_LOG_DEBUG
};

/* Messages above this level are dropped (default VS_LOG_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* When set, nothing goes to stderr (the TUI owns the terminal). */
void log_set_stderr(int enabled);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "error", "warning", "info", "debug" */
const char *log_level_name(enum log_level level);

#endif
