/*
 * The documents a drill reads from the sandbox's Redis: JSON objects (the
 * demo's layout, and the service's) holding an integer id into the FAISS
 * index (field "faiss_id" by default, drill.id_field) and the vector
 * itself (field "embedding", drill.vector_field).
 */
#ifndef VS_DRILL_DOC_H
#define VS_DRILL_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What reading one document found, from the worst to the best. */
#define DRILL_DOC_STATUSES(X)                                                  \
	X(DRILL_DOC_NOT_STRING, "not-string", N_("not a string value"))         \
	X(DRILL_DOC_NOT_JSON, "not-json", N_("not a JSON object"))              \
	X(DRILL_DOC_NO_ID, "no-id", N_("no id field"))                          \
	X(DRILL_DOC_BAD_ID, "bad-id", N_("an id that is not an integer"))       \
	X(DRILL_DOC_NO_VECTOR, "no-vector", N_("no vector field"))              \
	X(DRILL_DOC_BAD_VECTOR, "bad-vector", N_("a vector that is not an array of numbers")) \
	X(DRILL_DOC_WRONG_DIM, "wrong-dim", N_("a vector of another dimension")) \
	X(DRILL_DOC_OK, "ok", N_("well-formed"))

enum drill_doc_status {
#define X(id, name, text) id,
	DRILL_DOC_STATUSES(X)
#undef X
	DRILL_DOC__COUNT
};

/* "not-json", ... (for JSON output) and the words for people (translated). */
const char *drill_doc_status_name(enum drill_doc_status st);
const char *drill_doc_status_text(enum drill_doc_status st);

/* What the id scanner found. */
enum drill_id_scan {
	DRILL_ID_FOUND,
	DRILL_ID_ABSENT,      /* a complete object without the field */
	DRILL_ID_BAD,         /* the field holds no integer */
	DRILL_ID_TRUNCATED,   /* text ends before the answer (more is needed) */
	DRILL_ID_INVALID,     /* not a JSON object */
};

/*
 * Find the top-level field of the JSON object in text without parsing
 * the rest: nested values and the vector's numbers are skipped, not
 * converted, so the id of every document of a large store is found
 * quickly. complete: text is the whole document (else a prefix of it,
 * and DRILL_ID_TRUNCATED asks for the rest). The id may be a JSON
 * integer or a string of one.
 */
enum drill_id_scan drill_doc_scan_id(const char *text, size_t len, bool complete,
    const char *field, int64_t *id);

/*
 * Parse a whole document: its id and its vector, which must have dim
 * numbers (written to vec). *got_dim receives the vector's length when it
 * is an array of numbers (for the report), else -1.
 */
enum drill_doc_status drill_doc_parse(const char *text, size_t len, const char *id_field,
    const char *vec_field, int dim, int64_t *id, float *vec, int *got_dim);

#endif
