#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/i18n.h"
#include "jobs/jobs.h"
#include "storage/storage.h"

static int
jobs_storage_cancelled(void *ud)
{
	return job_cancelled(ud);
}

int
jobs_storage_open(struct job *job, const char *location, struct storage **out,
    struct vs_error *err)
{
	if (storage_open(job_config(job), location, out, err) != 0)
		return -1;
	storage_set_cancel(*out, jobs_storage_cancelled, job);
	return 0;
}

int
jobs_storage_open_at(struct job *job, size_t i, struct storage **out, struct vs_error *err)
{
	if (storage_open_at(job_config(job), i, out, err) != 0)
		return -1;
	storage_set_cancel(*out, jobs_storage_cancelled, job);
	return 0;
}

const char *
jobs_location_label(const struct config *cfg, size_t i)
{
	return i == 0 ? _("local storage") : config_location_label(cfg, i);
}

void
jobs_where_text(const struct config *cfg, unsigned set, char *buf, size_t bufsz)
{
	size_t n = 0, total = 0, len = 0;

	for (size_t i = 0; i < cfg->nlocations; i++)
		total += (set >> i) & 1u;
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->nlocations && len < bufsz; i++) {
		if (!(set & (1u << i)))
			continue;
		n++;
		len += (size_t)snprintf(buf + len, bufsz - len, "%s%s",
		    n == 1 ? "" : n == total ? _(" and ") : ", ", jobs_location_label(cfg, i));
	}
}
