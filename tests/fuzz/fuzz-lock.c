/*
 * The backup_dir lock file (src/engine/lock.c), {backup_dir}/.vsbackup.lock:
 * its holder's pid, host, operation and start time are read to name the
 * holder when another run is refused, and printed. The input is the file
 * (this user's, 0600, as the lock's own writer leaves it). What is read
 * must be safe to print: no control character may come through.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "engine/lock.h"
#include "fuzz.h"

/* No C0 control, DEL or C1 control (U+0080 to U+009F in UTF-8) in s. */
static void
fz_printable(const char *what, const char *s, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;

	if (memchr(s, '\0', size) == NULL) {
		fprintf(stderr, "%s is not terminated\n", what);
		abort();
	}
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) {
			fprintf(stderr, "%s holds control character 0x%02x\n", what, *p);
			abort();
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bdlock_holder h;
	struct vs_error err;
	char when[ISO8601_SIZE], line[1024];

	fuzz_write(LOCK_FILE_NAME, data, size, 0600);
	if (bdlock_probe(fuzz_dir(), &h, &err) < 0)
		return 0;
	fz_printable("host", h.host, sizeof h.host);
	fz_printable("operation", h.operation, sizeof h.operation);
	time_format_iso(h.started, when);
	fz_printable("started", when, sizeof when);
	snprintf(line, sizeof line, "%s (pid %ld on %s, since %s)", h.operation, (long)h.pid,
	    h.host, when);
	return 0;
}
