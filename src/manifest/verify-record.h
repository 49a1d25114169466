/*
 * verify.json, beside metadata.json: the history of verifications of a
 * backup (newest first, at most VERIFY_RECORD_MAX), so list, retention and
 * the TUI can show and use the last result. metadata.json never changes;
 * this file is replaced atomically on each verification.
 */
#ifndef VS_VERIFY_RECORD_H
#define VS_VERIFY_RECORD_H

#include <stdbool.h>
#include <time.h>

#include "common/error.h"

#define VERIFY_RECORD_FILE "verify.json"
#define VERIFY_RECORD_MAX 20

struct verify_record {
	time_t at;
	bool deep;
	bool ok;
	char location[33];   /* the location's name ("local", "eu-west"): where the checked copy was */
	char summary[256];   /* first failure, or "" */
};

/* Add rec in front of the history in old_json (may be NULL or damaged, in
 * which case the history starts again) and return the new file's text. */
char *verify_record_add(const char *old_json, const struct verify_record *rec);

/* The newest record in json; -1 when there is none or it cannot be read. */
int verify_record_latest(const char *json, struct verify_record *out);

#endif
