#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "redis/redis.intern.h"

void
redis_note(struct redis_notes *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (n->len + 3 >= sizeof n->text)
		return;
	if (n->len > 0) {
		memcpy(n->text + n->len, "; ", 2);
		n->len += 2;
	}
	va_start(ap, fmt);
	k = vsnprintf(n->text + n->len, sizeof n->text - n->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		n->len += (size_t)k < sizeof n->text - n->len ? (size_t)k :
		    sizeof n->text - n->len - 1;
}
