/* Covers src/common/termsafe.c: what reaches a terminal from text read
 * from files and servers. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/termsafe.h"
#include "tap.h"

static void
check(const char *in, size_t len, size_t max, const char *want, const char *what)
{
	char *got = termsafe_ndup(in, len, max);

	is_str(got, want, "%s", what);
	free(got);
}

int
main(void)
{
	char buf[16], *s;

	check("plain text 123", 14, 100, "plain text 123", "printable ASCII is unchanged");
	check("caf\xc3\xa9 \xe2\x82\xac", 9, 100, "caf\xc3\xa9 \xe2\x82\xac",
	    "valid UTF-8 is unchanged");
	check("\x1b[2J\x1b]0;t\x07", 10, 100, "\\x1b[2J\\x1b]0;t\\x07",
	    "ESC and BEL are shown as escapes");
	check("a\rb\nc\td\x7f", 8, 100, "a\\x0db\\x0ac\\x09d\\x7f", "CR, LF, TAB and DEL too");
	check("\xc2\x9b" "31m", 5, 100, "\\xc2\\x9b31m", "a C1 control (CSI) is escaped");
	check("\xff\xfe\xc3", 3, 100, "\\xff\\xfe\\xc3", "bytes that are not UTF-8 are escaped");
	check("\xe0\x80\xaf", 3, 100, "\\xe0\\x80\\xaf", "an overlong encoding is escaped");
	check("\xed\xa0\x80", 3, 100, "\\xed\\xa0\\x80", "a surrogate is escaped");
	check("a\\x1b", 5, 100, "a\\\\x1b", "a backslash is doubled, so text cannot fake an escape");
	check("a\0b", 3, 100, "a\\x00b", "a NUL inside the length is shown");
	check("abcdefgh", 8, 3, "abc...", "longer input is cut at max and marked");
	check("\xc3\xa9\xc3\xa9", 4, 3, "\xc3\xa9\\xc3...", "a cut inside a character escapes its start");
	s = termsafe_dup(NULL);
	is_str(s, "", "NULL gives an empty string");
	free(s);
	termsafe_copy(buf, sizeof buf, "host\x1b[31mname-long");
	is_str(buf, "host\\x1b[31mnam", "termsafe_copy fits the escaped text into the buffer");
	termsafe_copy(buf, 6, "ab\x1b[31m");
	is_str(buf, "ab", "  cutting before an escape rather than inside it");
	termsafe_copy(buf, 4, "a\xc3\xa9\xc3\xa9");
	is_str(buf, "a\xc3\xa9", "  and before a UTF-8 character that does not fit");
	return tap_done();
}
