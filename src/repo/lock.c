/*
 * Lock objects: repository/locks/{kind}-{unix time}-{random}, holding who
 * took it. They announce, they never exclude: a backup announces itself
 * before it stores its first pack, and garbage collection leaves alone
 * what a backup that started before its marks may still reference. A lock
 * is only ever removed by its owner (a killed owner's lock stays until an
 * operator removes it; gc names it and its age).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "repo/gc.h"
#include "repo/repo.intern.h"

int
repo_lock_take(struct repo *r, const char *kind, char **name, struct vs_error *err)
{
	unsigned char rnd[8];
	char hex[17], host[256] = "", *text;
	int rc;

	repo_random(rnd, sizeof rnd);
	repo_hex(rnd, sizeof rnd, hex);
	gethostname(host, sizeof host - 1);
	*name = xasprintf(REPO_LOCKS "%s-%lld-%s", kind, (long long)time_now(), hex);
	text = xasprintf("{\"kind\": \"%s\", \"host\": \"%s\", \"pid\": %ld, \"time\": %lld}\n",
	    kind, host, (long)getpid(), (long long)time_now());
	rc = repo_put_named(r, *name, text, strlen(text), err);
	free(text);
	if (rc != 0) {
		free(*name);
		*name = NULL;
	}
	return rc;
}

void
repo_lock_release(struct repo *r, const char *name)
{
	struct vs_error err;

	if (name == NULL)
		return;
	error_clear(&err);
	if (storage_obj_remove(r->st, name, &err) != 0)
		storage_warn(r->st, _("could not remove the lock %s/%s: %s"),
		    storage_location(r->st), name, err.msg);
}
