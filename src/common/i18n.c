#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include "common/i18n.h"

void
i18n_init(void)
{
	/* VSBACKUP_LOCALEDIR finds the catalogs of an uninstalled build. */
	const char *dir = getenv("VSBACKUP_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
	textdomain(PACKAGE);
}
