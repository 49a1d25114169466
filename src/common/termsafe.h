/*
 * Text that came from outside (a file another user can write, a server's
 * answer) made safe to show on a terminal: control characters could move
 * the cursor, rewrite the window title or hide what is printed after them.
 */
#ifndef VS_TERMSAFE_H
#define VS_TERMSAFE_H

#include <stddef.h>

/* At most this many bytes of the input are shown by termsafe_dup(). */
#define TERMSAFE_MAX 1024

/*
 * A new string showing the first len bytes of s (at most max of them, then
 * "...") with every control character (C0, DEL and the C1 range), every
 * byte that is not part of valid UTF-8 and every backslash written as an
 * escape ("\x1b", "\\"), so nothing in it acts on the terminal and two
 * different inputs never look the same.
 */
char *termsafe_ndup(const char *s, size_t len, size_t max);

/* termsafe_ndup() of a NUL-terminated string, at most TERMSAFE_MAX bytes;
 * NULL gives "". */
char *termsafe_dup(const char *s);

/* Copy termsafe_dup(s) into out (outsz bytes, cut at a character). */
void termsafe_copy(char *out, size_t outsz, const char *s);

#endif
