/*
 * The configuration (src/config/conf.c through libconfig): config_load()
 * on a file holding the input, as vsbackup reads -c FILE. The file is
 * root's and trusted in what it asks for, but whatever it holds must be
 * refused with a message, never crash the loader. Inputs that @include
 * another file are skipped: what such a file holds is libconfig's to read,
 * and a name like /dev/zero would only measure the disk.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "fuzz.h"

/*
 * libconfig 1.5 leaks the text of a string token when a parse error follows
 * it (a file holding only "" is enough): its scanner's buffer, never
 * vsbackup's, and once per process for vsbackup. Reported leaks whose
 * allocation lies in that scanner are not the loader's.
 */
const char *__lsan_default_suppressions(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libconfig_yylex\nleak:strbuf_append\n";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg, *copy;
	struct vs_error err;
	const char *path;

	if (memmem(data, size, "@include", 8) != NULL)
		return 0;
	path = fuzz_write("vsbackup.conf", data, size, 0600);
	if (config_load(path, &cfg, &err) != 0)
		return 0;
	copy = config_dup(cfg);
	config_free(copy);
	config_free(cfg);
	return 0;
}
