#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "drill/doc.h"

static const char *const doc_names[DRILL_DOC__COUNT] = {
#define X(id, name, text) [id] = name,
	DRILL_DOC_STATUSES(X)
#undef X
};

static const char *const doc_texts[DRILL_DOC__COUNT] = {
#define X(id, name, text) [id] = text,
	DRILL_DOC_STATUSES(X)
#undef X
};

const char *
drill_doc_status_name(enum drill_doc_status st)
{
	return doc_names[st];
}

const char *
drill_doc_status_text(enum drill_doc_status st)
{
	return _(doc_texts[st]);
}

/* A cursor over the text; at the end, p == end. */
struct scan {
	const char *p, *end;
};

static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
	    *s->p == '\r'))
		s->p++;
}

/* Skip a string whose opening quote is at p; 0, or -1 at the end. */
static int
scan_string(struct scan *s, const char **start, size_t *len, bool *escaped)
{
	const char *q = ++s->p;

	*escaped = false;
	while (q < s->end && *q != '"') {
		if (*q == '\\') {
			*escaped = true;
			q++;
		}
		q++;
	}
	if (q >= s->end)
		return -1;
	*start = s->p;
	*len = (size_t)(q - s->p);
	s->p = q + 1;
	return 0;
}

/* Skip one value of any kind; 0, 1 when it is malformed, -1 at the end. */
static int
scan_value(struct scan *s)
{
	const char *str;
	size_t len;
	bool esc;
	int depth = 0;

	scan_ws(s);
	if (s->p >= s->end)
		return -1;
	if (*s->p == '"')
		return scan_string(s, &str, &len, &esc);
	if (*s->p != '{' && *s->p != '[') {
		/* number, true, false, null: up to the next delimiter */
		const char *q = s->p;

		while (q < s->end && strchr(",}] \t\r\n", *q) == NULL)
			q++;
		if (q == s->p)
			return 1;
		if (q >= s->end)
			return -1;
		s->p = q;
		return 0;
	}
	while (s->p < s->end) {
		char c = *s->p;

		if (c == '"') {
			if (scan_string(s, &str, &len, &esc) != 0)
				return -1;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			depth--;
		s->p++;
		if (depth == 0)
			return 0;
	}
	return -1;
}

/* An integer in [start, start+len): digits with an optional minus. */
static bool
scan_int(const char *start, size_t len, int64_t *out)
{
	char buf[32], *end;
	long long v;

	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, start, len);
	buf[len] = '\0';
	for (size_t i = buf[0] == '-' ? 1 : 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return false;
	if (buf[0] == '-' && len == 1)
		return false;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (int64_t)v;
	return true;
}

enum drill_id_scan
drill_doc_scan_id(const char *text, size_t len, bool complete, const char *field,
    int64_t *id)
{
	struct scan s = { text, text + len };
	size_t flen = strlen(field);
	const enum drill_id_scan short_text = complete ? DRILL_ID_INVALID : DRILL_ID_TRUNCATED;

	scan_ws(&s);
	if (s.p >= s.end)
		return short_text;
	if (*s.p != '{')
		return DRILL_ID_INVALID;
	s.p++;
	for (;;) {
		const char *key;
		size_t klen;
		bool esc;
		int r;

		scan_ws(&s);
		if (s.p >= s.end)
			return short_text;
		if (*s.p == '}')
			return DRILL_ID_ABSENT;
		if (*s.p != '"')
			return DRILL_ID_INVALID;
		if (scan_string(&s, &key, &klen, &esc) != 0)
			return short_text;
		scan_ws(&s);
		if (s.p >= s.end)
			return short_text;
		if (*s.p++ != ':')
			return DRILL_ID_INVALID;
		scan_ws(&s);
		if (s.p >= s.end)
			return short_text;
		if (!esc && klen == flen && memcmp(key, field, flen) == 0) {
			const char *v = s.p;

			if (*v == '"') {
				const char *str;
				size_t slen;

				if (scan_string(&s, &str, &slen, &esc) != 0)
					return short_text;
				return scan_int(str, slen, id) ? DRILL_ID_FOUND : DRILL_ID_BAD;
			}
			r = scan_value(&s);
			if (r < 0)
				return short_text;
			if (r > 0)
				return DRILL_ID_INVALID;
			return scan_int(v, (size_t)(s.p - v), id) ? DRILL_ID_FOUND : DRILL_ID_BAD;
		}
		r = scan_value(&s);
		if (r < 0)
			return short_text;
		if (r > 0)
			return DRILL_ID_INVALID;
		scan_ws(&s);
		if (s.p >= s.end)
			return short_text;
		if (*s.p == ',') {
			s.p++;
			continue;
		}
		if (*s.p == '}')
			return DRILL_ID_ABSENT;
		return DRILL_ID_INVALID;
	}
}

enum drill_doc_status
drill_doc_parse(const char *text, size_t len, const char *id_field, const char *vec_field,
    int dim, int64_t *id, float *vec, int *got_dim)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *v, *x;
	enum drill_doc_status st = DRILL_DOC_OK;
	int n = 0;

	*got_dim = -1;
	if (!cJSON_IsObject(root)) {
		st = DRILL_DOC_NOT_JSON;
		goto out;
	}
	switch (drill_doc_scan_id(text, len, true, id_field, id)) {
	case DRILL_ID_FOUND:
		break;
	case DRILL_ID_ABSENT:
		st = DRILL_DOC_NO_ID;
		goto out;
	case DRILL_ID_BAD:
		st = DRILL_DOC_BAD_ID;
		goto out;
	default:
		st = DRILL_DOC_NOT_JSON;
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, vec_field);
	if (v == NULL) {
		st = DRILL_DOC_NO_VECTOR;
		goto out;
	}
	if (!cJSON_IsArray(v)) {
		st = DRILL_DOC_BAD_VECTOR;
		goto out;
	}
	cJSON_ArrayForEach(x, v) {
		if (!cJSON_IsNumber(x)) {
			st = DRILL_DOC_BAD_VECTOR;
			goto out;
		}
		if (n < dim)
			vec[n] = (float)x->valuedouble;
		if (n < INT_MAX)
			n++;
	}
	*got_dim = n;
	if (n != dim)
		st = DRILL_DOC_WRONG_DIM;
out:
	cJSON_Delete(root);
	return st;
}
