/*
 * The main screen's keys: one list from which the bindings (screen-main.c
 * expands it into a table of handlers main_req_NAME), the help screen and
 * the shortcut bar (screen-help.c, tui_keyhelp[]) are all generated, so
 * they cannot disagree.
 *
 * X(name, key, alternative key or 0, key as shown, bar label or NULL, help)
 */
#ifndef VS_TUI_KEYS_H
#define VS_TUI_KEYS_H

#include <curses.h>

#include "common/i18n.h"

#define TUI_KEYS(X)                                                                       \
	X(backup, 'b', 0, "b", N_("backup"),                                              \
	    N_("take a backup now: choose its type and whether it goes to S3 too"))       \
	X(verify, 'v', 0, "v", N_("verify"),                                              \
	    N_("verify the selected backup: quick (sizes and checksums) or deep (loads the " \
	       "snapshot and both indexes), the local or the S3 copy"))                   \
	X(restore, 'r', 0, "r", N_("restore"),                                            \
	    N_("guided restore of the selected backup: source, pre-flight checks, plan, "  \
	       "confirmation by typing its id, then the steps as a checklist"))           \
	X(drill, 't', 0, "t", NULL,                                                       \
	    N_("restore drill of the selected backup: restore it into a private sandbox "  \
	       "and prove it works (keys, documents, both indexes, recovery time); "       \
	       "nothing live is touched"))                                                  \
	X(upload, 'u', 0, "u", NULL, N_("upload the selected backup to S3"))             \
	X(download, 'f', 0, "f", NULL,                                                    \
	    N_("fetch: download the selected backup from S3 into backup_dir"))           \
	X(delete, 'd', 0, "d", NULL,                                                      \
	    N_("delete the selected backup (asks which copies, then for confirmation)"))  \
	X(pin, 'p', 0, "p", NULL,                                                         \
	    N_("pin or unpin the selected backup: cleanup never deletes a pinned backup")) \
	X(undo, 'z', 0, "z", NULL,                                                        \
	    N_("undo the last restore: roll an interrupted one back to its safety backup, " \
	       "or restore the safety backup the last restore took (the wizard, from its "  \
	       "checks)"))                                                                 \
	X(cleanup, 'c', 0, "c", N_("cleanup"),                                            \
	    N_("retention view: what cleanup would delete and why, then run it"))         \
	X(filter, '/', 0, "/", N_("filter"),                                              \
	    N_("filter the list by id, type, location, verification or retention; "       \
	       "Enter keeps the filter, Esc clears it"))                                  \
	X(sort, 's', 0, "s", N_("sort"),                                                  \
	    N_("sort by the next column: created, type, size, where, verified, retention")) \
	X(reverse, 'S', 0, "S", NULL, N_("reverse the sort order"))                       \
	X(cancel, 'x', 0, "x", NULL, N_("cancel the selected job (jobs pane: Up/Down selects)")) \
	X(dismiss, 'D', 0, "D", NULL, N_("remove the finished jobs from the jobs pane"))  \
	X(log, 'L', 0, "L", NULL,                                                         \
	    N_("the log full screen: every line whole, wrapped; / searches"))             \
	X(refresh, 'R', KEY_F(5), "R F5", NULL,                                           \
	    N_("read the backup list and the status again"))                             \
	X(focus, '\t', 0, "Tab", NULL,                                                    \
	    N_("move between the list, detail, jobs and log panes"))                     \
	X(focus_back, KEY_BTAB, 0, "S-Tab", NULL, N_("move to the previous pane"))        \
	X(up, KEY_UP, 'k', "Up k", NULL, N_("previous backup, job or line"))             \
	X(down, KEY_DOWN, 'j', "Down j", NULL, N_("next backup, job or line"))           \
	X(page_up, KEY_PPAGE, 0, "PgUp", NULL, N_("one page up"))                        \
	X(page_down, KEY_NPAGE, ' ', "PgDn Space", NULL, N_("one page down"))            \
	X(home, KEY_HOME, 'g', "Home g", NULL, N_("first backup or line"))              \
	X(end, KEY_END, 'G', "End G", NULL, N_("last backup or line"))                   \
	X(detail, '\n', KEY_ENTER, "Enter", NULL,                                         \
	    N_("show the selected backup's detail in place of the list (when the "        \
	       "terminal is too small to show both); again to go back"))                  \
	X(back, 27, 0, "Esc", NULL, N_("back to the list; clears the filter"))           \
	X(help, '?', KEY_F(1), "? F1", N_("help"), N_("this help"))                       \
	X(quit, 'q', 0, "q", N_("quit"),                                                  \
	    N_("quit; asks first when jobs are still running (they are cancelled)"))

#endif
