#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/termsafe.h"
#include "common/xmalloc.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t
termsafe_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF, and the C1 controls
	 * (U+0080..U+009F, which some terminals obey as escapes). */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp <= 0x9f)
		return 0;
	return len;
}

char *
termsafe_ndup(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t i = 0, o = 0, n, shown;
	char *out;

	if (s == NULL)
		len = 0;
	shown = len < max ? len : max;
	/* Each byte takes at most 4 ("\xHH"), plus "..." and the NUL. */
	out = xmalloc(shown * 4 + 4);
	while (i < shown) {
		n = termsafe_utf8_len(p + i, shown - i);
		if (n == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\') {
			out[o++] = (char)p[i++];
		} else if (n > 1) {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
		} else if (p[i] == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
			i++;
		} else {
			snprintf(out + o, 5, "\\x%02x", p[i]);
			o += 4;
			i++;
		}
	}
	if (shown < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

char *
termsafe_dup(const char *s)
{
	return termsafe_ndup(s, s != NULL ? strlen(s) : 0, TERMSAFE_MAX);
}

void
termsafe_copy(char *out, size_t outsz, const char *s)
{
	char *safe = termsafe_dup(s);
	size_t n = strlen(safe);

	if (outsz == 0) {
		free(safe);
		return;
	}
	if (n >= outsz) {
		/* Cut before an escape or a UTF-8 sequence that would not fit. */
		n = outsz - 1;
		while (n > 0 && ((unsigned char)safe[n] & 0xc0) == 0x80)
			n--;
		for (size_t k = n >= 3 ? n - 3 : 0; k < n; k++)
			if (safe[k] == '\\' && k + 4 > n && safe[k + 1] == 'x') {
				n = k;
				break;
			}
	}
	memcpy(out, safe, n);
	out[n] = '\0';
	free(safe);
}
