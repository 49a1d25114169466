#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "common/i18n.h"
#include "common/termsafe.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "storage/s3/s3-buf.h"
#include "storage/s3/s3-xml.h"

/*
 * A walk over a document: the path of open elements ("/A/B/C") and the text
 * of the innermost one, handed to a callback at each element's end.
 *
 * What a server sends is bounded before it is trusted: no DOCTYPE (S3 never
 * sends one; it is how entities that expand a small body into gigabytes
 * get in), at most S3_XML_MAX_DEPTH open elements, element names and texts
 * of bounded length. The length of the path at each depth is kept, so
 * closing an element costs the same whatever the depth.
 */
#define S3_XML_MAX_DEPTH 16
#define S3_XML_MAX_NAME 256
#define S3_XML_MAX_TEXT (64 * 1024)

enum s3_xml_refusal {
	S3_XML_OK,
	S3_XML_DOCTYPE,
	S3_XML_DEEP,
	S3_XML_LONG_NAME,
	S3_XML_LONG_TEXT,
};

struct s3_xml_walk {
	XML_Parser parser;
	struct s3_buf path;
	struct s3_buf text;
	size_t path_len[S3_XML_MAX_DEPTH + 1]; /* path.len before each open element */
	size_t depth;
	enum s3_xml_refusal refused;
	void (*start)(void *ud, const char *path);
	void (*end)(void *ud, const char *path, const char *text);
	void *ud;
};

static void
s3_xml_refuse(struct s3_xml_walk *w, enum s3_xml_refusal why)
{
	if (w->refused == S3_XML_OK)
		w->refused = why;
	XML_StopParser(w->parser, XML_FALSE);
}

static void XMLCALL
s3_xml_on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct s3_xml_walk *w = ud;
	size_t n = strlen(name);

	(void)attrs;
	if (w->refused != S3_XML_OK)
		return;
	if (w->depth == S3_XML_MAX_DEPTH)
		return s3_xml_refuse(w, S3_XML_DEEP);
	if (n > S3_XML_MAX_NAME)
		return s3_xml_refuse(w, S3_XML_LONG_NAME);
	w->path_len[w->depth++] = w->path.len;
	s3_buf_addc(&w->path, '/');
	s3_buf_add(&w->path, name, n);
	s3_buf_reset(&w->text);
	if (w->start != NULL)
		w->start(w->ud, w->path.data);
}

static void XMLCALL
s3_xml_on_end(void *ud, const XML_Char *name)
{
	struct s3_xml_walk *w = ud;

	(void)name;
	if (w->refused != S3_XML_OK || w->depth == 0)
		return;
	w->end(w->ud, w->path.data, w->text.data != NULL ? w->text.data : "");
	s3_buf_reset(&w->text);
	w->path.len = w->path_len[--w->depth];
	w->path.data[w->path.len] = '\0';
}

static void XMLCALL
s3_xml_on_text(void *ud, const XML_Char *s, int len)
{
	struct s3_xml_walk *w = ud;

	if (w->refused != S3_XML_OK)
		return;
	if (w->text.len + (size_t)len > S3_XML_MAX_TEXT)
		return s3_xml_refuse(w, S3_XML_LONG_TEXT);
	s3_buf_add(&w->text, s, (size_t)len);
}

static void XMLCALL
s3_xml_on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	s3_xml_refuse(ud, S3_XML_DOCTYPE);
}

static void XMLCALL
s3_xml_on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
    int value_len, const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
    const XML_Char *notation)
{
	(void)name;
	(void)is_param;
	(void)value;
	(void)value_len;
	(void)base;
	(void)sysid;
	(void)pubid;
	(void)notation;
	s3_xml_refuse(ud, S3_XML_DOCTYPE);
}

/* Why a walk refused its document, for messages ("" when it did not). */
static const char *
s3_xml_refusal_text(enum s3_xml_refusal why)
{
	static const char *const text[] = {
		[S3_XML_OK] = "",
		[S3_XML_DOCTYPE] = N_("it has a DOCTYPE (S3 never sends one; entities "
		    "declared there can expand a small answer without bound)"),
		[S3_XML_DEEP] = N_("its elements are nested more than 16 deep"),
		[S3_XML_LONG_NAME] = N_("an element name is longer than 256 bytes"),
		[S3_XML_LONG_TEXT] = N_("an element holds more than 64 KiB of text"),
	};

	return why == S3_XML_OK ? "" : _(text[why]);
}

/* Run a walk; -1 when the document is not well-formed XML or was refused
 * (w->refused then says why). */
static int
s3_xml_run(const char *body, size_t len, struct s3_xml_walk *w)
{
	XML_Parser p;
	int rc = 0;

	p = XML_ParserCreate("UTF-8");
	if (p == NULL)
		fatal("out of memory creating an XML parser");
	w->parser = p;
	w->depth = 0;
	w->refused = S3_XML_OK;
	s3_buf_adds(&w->path, "");
	s3_buf_adds(&w->text, "");
	XML_SetUserData(p, w);
	XML_SetElementHandler(p, s3_xml_on_start, s3_xml_on_end);
	XML_SetCharacterDataHandler(p, s3_xml_on_text);
	XML_SetStartDoctypeDeclHandler(p, s3_xml_on_doctype);
	XML_SetEntityDeclHandler(p, s3_xml_on_entity);
	XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
	if (len > INT32_MAX || XML_Parse(p, body, (int)len, 1) != XML_STATUS_OK ||
	    w->refused != S3_XML_OK)
		rc = -1;
	XML_ParserFree(p);
	s3_buf_free(&w->path);
	s3_buf_free(&w->text);
	return rc;
}

/* "2009-10-12T17:50:30.000Z": the fraction is dropped. */
static time_t
s3_xml_time(const char *s)
{
	char buf[ISO8601_SIZE];
	struct vs_error err;
	time_t t;

	if (strlen(s) < 19)
		return 0;
	memcpy(buf, s, 19);
	buf[19] = 'Z';
	buf[20] = '\0';
	if (time_parse(buf, &t, &err) != 0)
		return 0;
	return t;
}

struct s3_list_state {
	struct s3_list_page *page;
	size_t cap;
	bool is_list;
	const char *bad;      /* why a field is refused (untranslated), or NULL */
};

/* A byte count as S3 writes it: decimal digits only, no sign, no spaces,
 * no overflow. */
static int
s3_xml_size(const char *text, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (*text == '\0' || strlen(text) > 20)
		return -1;
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

static void
s3_list_start(void *ud, const char *path)
{
	struct s3_list_state *ls = ud;
	struct s3_list_page *pg = ls->page;

	if (strcmp(path, "/ListBucketResult") == 0)
		ls->is_list = true;
	if (strcmp(path, "/ListBucketResult/Contents") == 0) {
		if (pg->nobjects == ls->cap) {
			ls->cap = ls->cap == 0 ? 64 : ls->cap * 2;
			pg->objects = xreallocarray(pg->objects, ls->cap, sizeof *pg->objects);
		}
		memset(&pg->objects[pg->nobjects++], 0, sizeof *pg->objects);
	}
}

static void
s3_list_end(void *ud, const char *path, const char *text)
{
	struct s3_list_state *ls = ud;
	struct s3_list_page *pg = ls->page;
	struct s3_object *o = pg->nobjects > 0 ? &pg->objects[pg->nobjects - 1] : NULL;

	if (strcmp(path, "/ListBucketResult/IsTruncated") == 0)
		pg->truncated = strcmp(text, "true") == 0;
	else if (strcmp(path, "/ListBucketResult/NextContinuationToken") == 0) {
		free(pg->next_token);
		pg->next_token = xstrdup(text);
	} else if (o != NULL && strcmp(path, "/ListBucketResult/Contents/Key") == 0) {
		if (strlen(text) > S3_KEY_MAX) {
			if (ls->bad == NULL)
				ls->bad = N_("a key is longer than 1024 bytes, the most S3 allows");
			return;
		}
		free(o->key);
		o->key = xstrdup(text);
	} else if (o != NULL && strcmp(path, "/ListBucketResult/Contents/Size") == 0) {
		if (s3_xml_size(text, &o->size) != 0 && ls->bad == NULL)
			ls->bad = N_("a Size is not a number of bytes");
	} else if (o != NULL && strcmp(path, "/ListBucketResult/Contents/LastModified") == 0)
		o->mtime = s3_xml_time(text);
}

int
s3_xml_parse_list(const char *body, size_t len, struct s3_list_page *out,
    struct vs_error *err)
{
	struct s3_list_state ls = { .page = out };
	struct s3_xml_walk w = { .start = s3_list_start, .end = s3_list_end, .ud = &ls };
	size_t i;

	memset(out, 0, sizeof *out);
	if (s3_xml_run(body, len, &w) != 0) {
		s3_list_page_free(out);
		if (w.refused != S3_XML_OK)
			return error_set(err, VS_ERR_S3, _("the S3 listing answer is refused: %s"),
			    s3_xml_refusal_text(w.refused));
		return error_set(err, VS_ERR_S3,
		    _("the S3 listing answer is not a well-formed ListBucketResult"));
	}
	if (ls.bad != NULL) {
		s3_list_page_free(out);
		return error_set(err, VS_ERR_S3, _("the S3 listing answer is refused: %s"),
		    _(ls.bad));
	}
	if (!ls.is_list)
		goto bad;
	for (i = 0; i < out->nobjects; i++)
		if (out->objects[i].key == NULL)
			goto bad;
	if (out->truncated && (out->next_token == NULL || *out->next_token == '\0'))
		goto bad;
	return 0;
bad:
	s3_list_page_free(out);
	return error_set(err, VS_ERR_S3,
	    _("the S3 listing answer is not a well-formed ListBucketResult"));
}

void
s3_list_page_free(struct s3_list_page *page)
{
	size_t i;

	for (i = 0; i < page->nobjects; i++)
		free(page->objects[i].key);
	free(page->objects);
	free(page->next_token);
	memset(page, 0, sizeof *page);
}

struct s3_error_state {
	struct s3_xml_error *e;
	bool is_error;
};

static void
s3_error_start(void *ud, const char *path)
{
	struct s3_error_state *es = ud;

	if (strcmp(path, "/Error") == 0)
		es->is_error = true;
}

static void
s3_error_end(void *ud, const char *path, const char *text)
{
	struct s3_error_state *es = ud;
	char **slot = NULL;

	if (strcmp(path, "/Error/Code") == 0)
		slot = &es->e->code;
	else if (strcmp(path, "/Error/Message") == 0)
		slot = &es->e->message;
	else if (strcmp(path, "/Error/RequestId") == 0)
		slot = &es->e->request_id;
	if (slot != NULL) {
		free(*slot);
		*slot = xstrdup(text);
	}
}

static void
s3_xml_make_safe(char **s)
{
	char *safe;

	if (*s == NULL)
		return;
	safe = termsafe_dup(*s);
	free(*s);
	*s = safe;
}

int
s3_xml_parse_error(const char *body, size_t len, struct s3_xml_error *out)
{
	struct s3_error_state es = { .e = out };
	struct s3_xml_walk w = { .start = s3_error_start, .end = s3_error_end, .ud = &es };

	memset(out, 0, sizeof *out);
	if (body == NULL || len == 0)
		return -1;
	if (s3_xml_run(body, len, &w) != 0 || !es.is_error || out->code == NULL) {
		s3_xml_error_free(out);
		return -1;
	}
	if (out->message == NULL)
		out->message = xstrdup("");
	/* Only ever shown: what the server wrote cannot act on a terminal. */
	s3_xml_make_safe(&out->code);
	s3_xml_make_safe(&out->message);
	s3_xml_make_safe(&out->request_id);
	return 0;
}

void
s3_xml_error_free(struct s3_xml_error *e)
{
	free(e->code);
	free(e->message);
	free(e->request_id);
	memset(e, 0, sizeof *e);
}

struct s3_initiate_state {
	char *upload_id;
	bool is_result;
};

static void
s3_initiate_start(void *ud, const char *path)
{
	struct s3_initiate_state *is = ud;

	if (strcmp(path, "/InitiateMultipartUploadResult") == 0)
		is->is_result = true;
}

static void
s3_initiate_end(void *ud, const char *path, const char *text)
{
	struct s3_initiate_state *is = ud;

	if (strcmp(path, "/InitiateMultipartUploadResult/UploadId") == 0) {
		free(is->upload_id);
		is->upload_id = xstrdup(text);
	}
}

int
s3_xml_parse_initiate(const char *body, size_t len, char **upload_id,
    struct vs_error *err)
{
	struct s3_initiate_state is = { 0 };
	struct s3_xml_walk w = {
		.start = s3_initiate_start, .end = s3_initiate_end, .ud = &is,
	};

	*upload_id = NULL;
	if (s3_xml_run(body, len, &w) != 0 || !is.is_result || is.upload_id == NULL ||
	    *is.upload_id == '\0') {
		free(is.upload_id);
		return error_set(err, VS_ERR_S3,
		    _("the S3 answer to starting a multipart upload has no UploadId"));
	}
	*upload_id = is.upload_id;
	return 0;
}

/* CopyObjectResult / CopyPartResult: the ETag of what was copied. */
struct s3_copy_state {
	const char *root;
	char *etag;
	bool is_result;
};

static void
s3_copy_start(void *ud, const char *path)
{
	struct s3_copy_state *cs = ud;

	if (path[0] == '/' && strcmp(path + 1, cs->root) == 0)
		cs->is_result = true;
}

static void
s3_copy_end(void *ud, const char *path, const char *text)
{
	struct s3_copy_state *cs = ud;
	size_t rl = strlen(cs->root);

	if (path[0] == '/' && strncmp(path + 1, cs->root, rl) == 0 &&
	    strcmp(path + 1 + rl, "/ETag") == 0) {
		free(cs->etag);
		cs->etag = xstrdup(text);
	}
}

int
s3_xml_parse_copy(const char *body, size_t len, const char *root, char **etag,
    struct vs_error *err)
{
	struct s3_copy_state cs = { .root = root };
	struct s3_xml_walk w = {
		.start = s3_copy_start, .end = s3_copy_end, .ud = &cs,
	};

	*etag = NULL;
	if (s3_xml_run(body, len, &w) != 0 || !cs.is_result || cs.etag == NULL ||
	    *cs.etag == '\0') {
		free(cs.etag);
		return error_set(err, VS_ERR_S3, _("the S3 answer to a copy is no %s with an ETag"),
		    root);
	}
	s3_xml_make_safe(&cs.etag);
	*etag = cs.etag;
	return 0;
}
