/* Allocation that never returns NULL: running out of memory is fatal. */
#ifndef VS_XMALLOC_H
#define VS_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Set the allocator up (first thing in main): large buffers are given
 * back to the system when freed rather than kept by each thread. */
void xmalloc_init(void);

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Print a message about a bug or exhausted memory and abort. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
