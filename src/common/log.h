/*
 * Process-wide log: messages for people on stderr, and, when the
 * configuration asks for them, a log file (log.file) and syslog
 * (log.syslog) for unattended runs. Jobs log through engine events; the
 * CLI hands those to log_event(). Safe to call from any thread.
 *
 * A log file line is
 *   2024-02-15T12:00:00Z [1234] warning backup 20240215_120000: text
 * (UTC time, process id, level, operation, backup id or "-", message on
 * one line). Syslog gets "operation backup_id: text" under the ident
 * "vsbackup" with the level as priority. Passwords and secret keys of the
 * configuration are replaced by "***" in everything written, as a last
 * line of defence: no message is meant to hold one.
 */
#ifndef VS_LOG_H
#define VS_LOG_H

struct config;

enum log_level {
	VS_LOG_ERROR,
	VS_LOG_WARN,
	VS_LOG_INFO,
	VS_LOG_DEBUG
};

/* Messages above this level are dropped from stderr (default VS_LOG_INFO).
 * The log file and syslog always get info and above, and debug when this
 * level is debug, so -q keeps a full record of unattended runs. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* When set, nothing goes to stderr (the TUI owns the terminal). */
void log_set_stderr(int enabled);

/* A message kept back from stderr by log_hold(). */
struct log_held {
	enum log_level level;
	char *text;               /* masked like stderr's; free() it */
};

/* Keep what would go to stderr (at most 32 messages) instead of printing
 * it: for what is said before a front end owns the terminal (reading the
 * configuration), which that front end shows its own way. */
void log_hold(void);

/* Stop keeping; *out gets what was kept (free each text, then the array)
 * and the count is returned. With out NULL, the messages kept are printed
 * on stderr now, as they would have been. */
size_t log_release(struct log_held **out);

/* Open log.file (appending, created 0600) and syslog as cfg says, and
 * remember cfg's secrets to mask them. Called again with another
 * configuration, it closes what the previous one opened. A log file that
 * cannot be opened is reported on stderr; the command goes on. cfg may be
 * NULL (closes everything). */
void log_configure(const struct config *cfg);

/* Close the log file and syslog. */
void log_close(void);

/* What this process is doing ("backup", "verify", ...) and on which backup
 * ("" or NULL when none), for the log file and syslog. */
void log_set_operation(const char *operation);
void log_set_backup(const char *backup_id);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A message from a job: operation is the job's name; backup_id may be
 * NULL, then the context's, else the first backup id the text names. */
void log_event(enum log_level level, const char *operation, const char *backup_id,
    const char *text);

/* As log_event, to the log file and syslog only: for text the caller has
 * already shown on the terminal in its own way (a command's final error). */
void log_record(enum log_level level, const char *operation, const char *backup_id,
    const char *text);

/* "error", "warning", "info", "debug" */
const char *log_level_name(enum log_level level);

#endif
