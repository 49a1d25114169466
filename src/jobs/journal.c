#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "jobs/journal.h"

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

int
journal_load(const char *backup_dir, struct journal *j, struct vs_error *err)
{
	char *path = fs_join(backup_dir, JOURNAL_FILE), *text = NULL;
	struct vs_error rerr;
	cJSON *root;
	const cJSON *v;
	time_t t;
	int rc = -1;

	memset(j, 0, sizeof *j);
	error_clear(&rerr);
	if (fs_read_all(path, 1 << 20, &text, NULL, &rerr) != 0) {
		if (rerr.code == VS_ERR_NOTFOUND) {
			rc = 0;
		} else {
			*err = rerr;
		}
		goto out;
	}
	root = cJSON_Parse(text);
	if (root == NULL || !backup_id_valid(jstr(root, "id"))) {
		error_set(err, VS_ERR_FORMAT,
		    _("%s is damaged; look at it, then remove it to start over"), path);
		cJSON_Delete(root);
		goto out;
	}
	snprintf(j->id, sizeof j->id, "%s", jstr(root, "id"));
	if (backup_id_valid(jstr(root, "safety_id")))
		snprintf(j->safety_id, sizeof j->safety_id, "%s", jstr(root, "safety_id"));
	snprintf(j->from, sizeof j->from, "%s", jstr(root, "from"));
	j->rollback = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "rollback"));
	j->aof = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "aof"));
	if (time_parse(jstr(root, "started"), &t, NULL) == 0)
		j->started = t;
	v = cJSON_GetObjectItemCaseSensitive(root, "done");
	if (cJSON_IsNumber(v))
		j->done = (unsigned)v->valuedouble;
	j->data_dir = xstrdup(jstr(root, "data_dir"));
	j->dbfilename = xstrdup(jstr(root, "dbfilename"));
	j->aof_dir = xstrdup(jstr(root, "aof_dir"));
	j->aof_file = xstrdup(jstr(root, "aof_file"));
	j->logfile = xstrdup(jstr(root, "logfile"));
	cJSON_Delete(root);
	rc = 1;
out:
	free(text);
	free(path);
	return rc;
}

int
journal_save(const char *backup_dir, const struct journal *j, struct vs_error *err)
{
	char *path = fs_join(backup_dir, JOURNAL_FILE), *text;
	cJSON *o = cJSON_CreateObject();
	char at[ISO8601_SIZE];
	int rc;

	cJSON_AddStringToObject(o, "id", j->id);
	cJSON_AddStringToObject(o, "safety_id", j->safety_id);
	cJSON_AddBoolToObject(o, "rollback", j->rollback);
	cJSON_AddStringToObject(o, "from", j->from);
	time_format_iso(j->started, at);
	cJSON_AddStringToObject(o, "started", at);
	cJSON_AddNumberToObject(o, "done", j->done);
	cJSON_AddStringToObject(o, "data_dir", j->data_dir ? j->data_dir : "");
	cJSON_AddStringToObject(o, "dbfilename", j->dbfilename ? j->dbfilename : "");
	cJSON_AddBoolToObject(o, "aof", j->aof);
	cJSON_AddStringToObject(o, "aof_dir", j->aof_dir ? j->aof_dir : "");
	cJSON_AddStringToObject(o, "aof_file", j->aof_file ? j->aof_file : "");
	cJSON_AddStringToObject(o, "logfile", j->logfile ? j->logfile : "");
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (text == NULL)
		fatal("out of memory writing the restore journal");
	rc = fs_write_atomic(path, text, strlen(text), 0600, err);
	cJSON_free(text);
	free(path);
	return rc;
}

int
journal_remove(const char *backup_dir, struct vs_error *err)
{
	char *path = fs_join(backup_dir, JOURNAL_FILE);
	int rc = 0;

	if (unlink(path) != 0 && errno != ENOENT)
		rc = error_errno(err, VS_ERR_IO, errno, _("cannot remove %s"), path);
	else
		rc = fs_fsync_dir(backup_dir, err);
	free(path);
	return rc;
}

void
journal_clear(struct journal *j)
{
	free(j->data_dir);
	free(j->dbfilename);
	free(j->aof_dir);
	free(j->aof_file);
	free(j->logfile);
	memset(j, 0, sizeof *j);
}
