#ifndef VS_MANIFEST_RECORD_LIST_H
#define VS_MANIFEST_RECORD_LIST_H

/*
 * The records a backup keeps of what was done with it (verify.json,
 * drill.json): one JSON object {"records": [...]}, newest first, at most
 * a fixed number of them. Every record has "at" (ISO 8601, UTC) and "ok".
 */

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The document old_json (NULL or unreadable: none) with item put first
 * and at most max records in all, as text ending in a newline; what is
 * the file's name for the message should serialising fail. Takes item. */
char *record_list_add(const char *old_json, cJSON *item, int max, const char *what);

/* Parses json into *root (always to be freed with cJSON_Delete) and
 * returns its newest record with its time and outcome, or NULL when there
 * is none or it lacks a valid "at" or "ok". */
const cJSON *record_list_newest(const char *json, cJSON **root, time_t *at, bool *ok);

/* Copies the string member name of o into buf, or leaves buf alone. */
void record_list_string(const cJSON *o, const char *name, char *buf, size_t size);

#endif
