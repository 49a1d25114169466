#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* A plain file name: no directory part, not "." or "..". */
static bool
plain_name(const char *s)
{
	return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

/* An absolute path without "." or ".." components (or empty: unknown). */
static bool
clean_path(const char *s)
{
	const char *p;

	if (s[0] == '\0')
		return true;
	if (s[0] != '/')
		return false;
	for (p = s; *p != '\0'; p = *p == '/' ? p + 1 : p + strcspn(p, "/")) {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (n == 0 && *p != '/')
			break;
	}
	return true;
}

/*
 * Read the journal without following a link, and only when it is a
 * regular file of this user that nobody else may write: backup_dir may be
 * writable by others, and the journal decides what a restore writes.
 */
static int
journal_read(const char *path, char **text, struct vs_error *err)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return error_set(err, VS_ERR_REFUSED, _("%s is a symbolic link, not a journal "
			    "this tool wrote; look at it, then remove it to start over"), path);
		return error_errno(err, VS_ERR_IO, errno, _("cannot open %s"), path);
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 022) != 0 || sb.st_size > (1 << 20)) {
		close(fd);
		return error_set(err, VS_ERR_REFUSED, _("%s is not a regular file of this user that "
		    "only it may write (it is writable by others, another user's, or too large): "
		    "it is not trusted; look at it, then remove it to start over"), path);
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	n = fs_pread_full(fd, buf, (size_t)sb.st_size, 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), path);
	}
	buf[n] = '\0';
	*text = buf;
	return 1;
}

int
journal_load(const char *backup_dir, struct journal *j, struct vs_error *err)
{
	char *path = fs_join(backup_dir, JOURNAL_FILE), *text = NULL;
	const char *bad = NULL;
	cJSON *root;
	const cJSON *v;
	time_t t;
	int rc;

	memset(j, 0, sizeof *j);
	rc = journal_read(path, &text, err);
	if (rc <= 0)
		goto out;
	rc = -1;
	root = cJSON_Parse(text);
	if (root == NULL || !cJSON_IsObject(root) || !backup_id_valid(jstr(root, "id"))) {
		error_set(err, VS_ERR_REFUSED,
		    _("%s is damaged; look at it, then remove it to start over"), path);
		cJSON_Delete(root);
		goto out;
	}
	snprintf(j->id, sizeof j->id, "%s", jstr(root, "id"));
	if (backup_id_valid(jstr(root, "safety_id")))
		snprintf(j->safety_id, sizeof j->safety_id, "%s", jstr(root, "safety_id"));
	else if (jstr(root, "safety_id")[0] != '\0')
		bad = "safety_id";
	snprintf(j->from, sizeof j->from, "%s", jstr(root, "from"));
	if (!config_name_valid(j->from))
		bad = "from";
	j->rollback = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "rollback"));
	j->aof = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "aof"));
	if (time_parse(jstr(root, "started"), &t, NULL) == 0)
		j->started = t;
	v = cJSON_GetObjectItemCaseSensitive(root, "done");
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > JOURNAL_DONE_MAX ||
	    v->valuedouble != (double)(unsigned)v->valuedouble)
		bad = "done";
	else
		j->done = (unsigned)v->valuedouble;
	j->data_dir = xstrdup(jstr(root, "data_dir"));
	j->dbfilename = xstrdup(jstr(root, "dbfilename"));
	j->aof_dir = xstrdup(jstr(root, "aof_dir"));
	j->aof_file = xstrdup(jstr(root, "aof_file"));
	j->logfile = xstrdup(jstr(root, "logfile"));
	v = cJSON_GetObjectItemCaseSensitive(root, "asides");
	if (v != NULL && !cJSON_IsArray(v)) {
		bad = "asides";
	} else if (v != NULL) {
		const cJSON *a;

		cJSON_ArrayForEach(a, v) {
			if (!cJSON_IsString(a) || a->valuestring[0] != '/' ||
			    !clean_path(a->valuestring) ||
			    strstr(a->valuestring, ".vsbackup-before-") == NULL) {
				bad = "asides";
				break;
			}
			journal_add_aside(j, a->valuestring);
		}
	}
	cJSON_Delete(root);
	if (!clean_path(j->data_dir))
		bad = "data_dir";
	else if (j->dbfilename[0] != '\0' && !plain_name(j->dbfilename))
		bad = "dbfilename";
	else if (j->aof_dir[0] != '\0' && !plain_name(j->aof_dir))
		bad = "aof_dir";
	else if (j->aof_file[0] != '\0' && !plain_name(j->aof_file))
		bad = "aof_file";
	else if (!clean_path(j->logfile))
		bad = "logfile";
	if (bad != NULL) {
		error_set(err, VS_ERR_REFUSED, _("%s: field \"%s\" is not valid, so the journal is "
		    "not trusted; look at it, then remove it to start over"), path, bad);
		journal_clear(j);
		goto out;
	}
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
	{
		cJSON *a = cJSON_AddArrayToObject(o, "asides");

		for (size_t i = 0; i < j->nasides; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(j->asides[i]));
	}
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
journal_add_aside(struct journal *j, const char *path)
{
	j->asides = xrealloc(j->asides, (j->nasides + 1) * sizeof *j->asides);
	j->asides[j->nasides++] = xstrdup(path);
}

void
journal_clear(struct journal *j)
{
	for (size_t i = 0; i < j->nasides; i++)
		free(j->asides[i]);
	free(j->asides);
	free(j->data_dir);
	free(j->dbfilename);
	free(j->aof_dir);
	free(j->aof_file);
	free(j->logfile);
	memset(j, 0, sizeof *j);
}
