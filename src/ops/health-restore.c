/*
 * The restore health check: an interrupted restore (its journal in
 * backup_dir) is CRITICAL until it is resumed or rolled back; copies a
 * restore moved aside and kept beside the index files or in the configured
 * Redis data directory are a WARNING until someone removes them.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/journal.h"
#include "ops/health.h"

/* Names ending "…vsbackup-before-…" in dir, appended to *list. */
static size_t
find_asides(const char *dir, char **list)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *p, *more;

		if (strstr(de->d_name, ".vsbackup-before-") == NULL)
			continue;
		p = fs_join(dir, de->d_name);
		more = *list ? xasprintf("%s, %s", *list, p) : xstrdup(p);
		free(*list);
		free(p);
		*list = more;
		n++;
	}
	closedir(d);
	return n;
}

static void
set(struct health_check *c, enum health_state state, char *text)
{
	free(c->text);
	c->text = text;
	c->state = state;
}

void
health_restore(const struct config *cfg, struct health_check *c)
{
	struct journal j;
	struct vs_error err;
	char *dirs[3], *list = NULL;
	size_t n = 0;
	int have;

	error_clear(&err);
	have = journal_load(cfg->backup_dir, &j, &err);
	if (have < 0) {
		set(c, HEALTH_CRITICAL, xstrdup(err.msg));
		return;
	}
	if (have == 1) {
		char started[ISO8601_SIZE];

		time_format_iso(j.started, started);
		if (j.rollback)
			set(c, HEALTH_CRITICAL, xasprintf(_("an interrupted rollback to %s (started %s): run 'vsbackup "
			    "restore --rollback' to finish it"), j.id, started));
		else if (j.safety_id[0] != '\0')
			set(c, HEALTH_CRITICAL, xasprintf(_("an interrupted restore of %s (started %s): 'vsbackup restore "
			    "%s' resumes it, 'vsbackup restore --rollback' returns to the safety "
			    "backup %s"), j.id, started, j.id, j.safety_id));
		else
			set(c, HEALTH_CRITICAL, xasprintf(_("an interrupted restore of %s (started "
			    "%s): 'vsbackup restore %s' resumes it"), j.id, started, j.id));
		journal_clear(&j);
		return;
	}
	dirs[0] = fs_dirname(cfg->faiss.content_index);
	dirs[1] = fs_dirname(cfg->faiss.user_index);
	dirs[2] = cfg->redis.data_dir[0] ? xstrdup(cfg->redis.data_dir) : NULL;
	n += find_asides(dirs[0], &list);
	if (strcmp(dirs[0], dirs[1]) != 0)
		n += find_asides(dirs[1], &list);
	if (dirs[2] != NULL)
		n += find_asides(dirs[2], &list);
	for (size_t i = 0; i < 3; i++)
		free(dirs[i]);
	if (n > 0) {
		set(c, HEALTH_WARNING, xasprintf(_("files a restore moved aside are kept (%zu): "
		    "%s; remove them once they are not needed"), n, list));
	} else {
		set(c, HEALTH_OK, xstrdup(_("no interrupted restore")));
	}
	free(list);
}
