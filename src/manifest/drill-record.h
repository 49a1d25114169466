/*
 * drill.json, beside metadata.json: the history of restore drills of a
 * backup (newest first, at most DRILL_RECORD_MAX), so list, show, health,
 * metrics and the front end can show the last one. Replaced atomically
 * on each drill; metadata.json never changes.
 */
#ifndef VS_DRILL_RECORD_H
#define VS_DRILL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define DRILL_RECORD_FILE "drill.json"
#define DRILL_RECORD_MAX 20

/* The phases of a drill's recovery time, in the order they run. */
#define DRILL_PHASES(X)                                   \
	X(DRILL_PHASE_DOWNLOAD, "download", N_("download"))    \
	X(DRILL_PHASE_REDIS, "redis_load", N_("Redis load"))   \
	X(DRILL_PHASE_INDEX, "index_load", N_("index load"))   \
	X(DRILL_PHASE_CHECKS, "checks", N_("checks"))

enum drill_phase {
#define X(id, name, text) id,
	DRILL_PHASES(X)
#undef X
	DRILL_PHASE__COUNT
};

/* "redis_load" (JSON, metrics) and "Redis load" (people, translated). */
const char *drill_phase_name(enum drill_phase p);
const char *drill_phase_text(enum drill_phase p);

struct drill_record {
	time_t at;                      /* when the drill ended */
	bool ok;
	char location[33];              /* where the drilled copy was (a location's name) */
	double seconds[DRILL_PHASE__COUNT];
	double rto;                     /* their sum */
	double target;                  /* seconds; 0: none */
	double recall[2];               /* content, user; < 0: not measured */
	char summary[256];              /* the first failed check, or "" */
};

/* Add rec in front of the history in old_json (may be NULL or damaged,
 * then the history starts again) and return the new file's text. */
char *drill_record_add(const char *old_json, const struct drill_record *rec);

/* The newest record in json; -1 when there is none or it cannot be read. */
int drill_record_latest(const char *json, struct drill_record *out);

/* A record as the JSON object drill.json holds (list --json shows it). */
struct cJSON;
struct cJSON *drill_record_json(const struct drill_record *rec);

/* "drilled 2d 3h ago: ok, RTO 14 s", or with FAILED and the first failed
 * check (translated); the age is measured at now. */
void drill_record_describe(const struct drill_record *rec, time_t now, char *buf,
    size_t size);

#endif
