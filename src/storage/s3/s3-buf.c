#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "storage/s3/s3-buf.h"

static void
s3_buf_reserve(struct s3_buf *b, size_t more)
{
	size_t need = b->len + more + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void
s3_buf_add(struct s3_buf *b, const void *data, size_t len)
{
	s3_buf_reserve(b, len);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
s3_buf_adds(struct s3_buf *b, const char *s)
{
	s3_buf_add(b, s, strlen(s));
}

void
s3_buf_addc(struct s3_buf *b, char c)
{
	s3_buf_add(b, &c, 1);
}

void
s3_buf_addf(struct s3_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	s3_buf_adds(b, s);
	free(s);
}

void
s3_buf_add_xml(struct s3_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			s3_buf_adds(b, "&amp;");
			break;
		case '<':
			s3_buf_adds(b, "&lt;");
			break;
		case '>':
			s3_buf_adds(b, "&gt;");
			break;
		case '"':
			s3_buf_adds(b, "&quot;");
			break;
		case '\'':
			s3_buf_adds(b, "&apos;");
			break;
		default:
			s3_buf_addc(b, *s);
		}
	}
}

char *
s3_buf_steal(struct s3_buf *b)
{
	char *s = b->data != NULL ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void
s3_buf_reset(struct s3_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
s3_buf_free(struct s3_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
