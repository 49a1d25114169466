/* A growable byte buffer for building requests and collecting responses. */
#ifndef VS_S3_BUF_H
#define VS_S3_BUF_H

#include <stddef.h>

struct s3_buf {
	char *data;           /* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

void s3_buf_add(struct s3_buf *b, const void *data, size_t len);
void s3_buf_adds(struct s3_buf *b, const char *s);
void s3_buf_addc(struct s3_buf *b, char c);
void s3_buf_addf(struct s3_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append s with & < > " ' replaced by XML entities. */
void s3_buf_add_xml(struct s3_buf *b, const char *s);
/* Hand the contents over as a string ("" when empty) and reset b. */
char *s3_buf_steal(struct s3_buf *b);
void s3_buf_reset(struct s3_buf *b);
void s3_buf_free(struct s3_buf *b);

#endif
