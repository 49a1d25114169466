#include "config.h"

#include <stddef.h>

#include "cli/cmd.h"

extern const struct cmd_entry cmd_demo_entry;

/* Every command, in the order --help lists them. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_demo_entry,
	NULL,
};
