/* Translation of user-visible text through gettext. */
#ifndef VS_I18N_H
#define VS_I18N_H

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)
#define ngettext_(s, p, n) ngettext((s), (p), (n))

/* Bind the text domain and the locale; called once at start-up. */
void i18n_init(void);

#endif
