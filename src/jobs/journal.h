/*
 * The restore journal, {backup_dir}/.restore-journal.json: which restore
 * runs, its safety backup, what it learnt about the server before stopping
 * it, and each step finished. Rewritten atomically after every step, so a
 * restore killed at any point can be resumed or rolled back; removed when
 * the restore completes.
 */
#ifndef VS_JOURNAL_H
#define VS_JOURNAL_H

#include <stdbool.h>
#include <time.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "config/conf.h"

#define JOURNAL_FILE ".restore-journal.json"
/* The largest "done" a journal may hold (one bit per restore step). */
#define JOURNAL_DONE_MAX 1023

struct journal {
	char id[BACKUP_ID_SIZE];          /* the backup being restored */
	char safety_id[BACKUP_ID_SIZE];   /* "" when none was taken */
	bool rollback;                    /* this run restores the safety backup */
	char from[CONFIG_NAME_SIZE];
	time_t started;
	unsigned done;                    /* bit i: step i finished */
	/* Learnt from the server before it was stopped. */
	char *data_dir;
	char *dbfilename;
	bool aof;
	char *aof_dir;                    /* appenddirname (Redis 7), "" before 7 */
	char *aof_file;                   /* appendfilename */
	char *logfile;                    /* the server's log file, "" unknown */
	/* Live files this restore moved aside (dest.vsbackup-before-ID...),
	 * removed once it ends well when a safety backup holds them. */
	char **asides;
	size_t nasides;
};

/* Load the journal of backup_dir: 1 and *j filled when there is one, 0 when
 * there is none, -1 when it cannot be read or is not trusted
 * (VS_ERR_REFUSED: a link, a file others may write or another user's, a
 * field out of range, a name with a directory part, a relative path). */
int journal_load(const char *backup_dir, struct journal *j, struct vs_error *err);

/* Write it (atomically). */
int journal_save(const char *backup_dir, const struct journal *j, struct vs_error *err);

/* Remove it once the restore is complete. */
int journal_remove(const char *backup_dir, struct vs_error *err);

/* Note that a live file was moved aside to path. */
void journal_add_aside(struct journal *j, const char *path);

void journal_clear(struct journal *j);

#endif
