/*
 * The small state file {backup_dir}/.vsbackup-state.json, beside the lock:
 * for each operation (backup, verify, restore, cleanup, upload, download,
 * drill)
 * when it last ran, how long it took, how it ended, when it last
 * succeeded, and how many runs succeeded and failed. The metrics file is
 * rebuilt from it, so these survive between runs. Replaced atomically;
 * updates of several processes are serialised by an flock on backup_dir.
 */
#ifndef VS_OPS_STATE_H
#define VS_OPS_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/error.h"

#define OPS_STATE_FILE ".vsbackup-state.json"

#define OPS_OPERATIONS(X) \
	X(OPS_OP_BACKUP, "backup") \
	X(OPS_OP_VERIFY, "verify") \
	X(OPS_OP_RESTORE, "restore") \
	X(OPS_OP_CLEANUP, "cleanup") \
	X(OPS_OP_UPLOAD, "upload") \
	X(OPS_OP_DOWNLOAD, "download") \
	X(OPS_OP_DRILL, "drill")

enum ops_operation {
#define X(id, name) id,
	OPS_OPERATIONS(X)
#undef X
	OPS_OP__COUNT
};

struct ops_op_state {
	bool seen;               /* has run at least once */
	time_t last_run;         /* when the last run ended */
	time_t last_success;     /* when the last successful run ended, 0 never */
	double last_duration;    /* seconds */
	int last_status;         /* exit status of the last run, 0 success */
	uint64_t runs_success;
	uint64_t runs_failure;
};

struct ops_state {
	struct ops_op_state op[OPS_OP__COUNT];
};

/* "backup", ... */
const char *ops_operation_name(enum ops_operation op);

/* The operation called name, or -1 when it is not one tracked here. */
int ops_operation_find(const char *name);

/* Read the state of backup_dir; a missing file is an empty state. A damaged
 * file is an empty state too, and *damaged (if not NULL) says so: the
 * counters start again rather than every metric failing. */
int ops_state_load(const char *backup_dir, struct ops_state *out, bool *damaged,
    struct vs_error *err);

/* Record one run of op that ended at `at` with exit status, and write the
 * file back atomically; *out (if not NULL) receives the new state. */
int ops_state_record(const char *backup_dir, enum ops_operation op, int status,
    double seconds, time_t at, struct ops_state *out, struct vs_error *err);

/* The file's text for st (exposed for tests). */
char *ops_state_to_json(const struct ops_state *st);

/* Parse the file's text; -1 when it is not a state file. */
int ops_state_parse(const char *json, struct ops_state *out);

#endif
