#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "ops/state.h"

#define OPS_STATE_VERSION 1
#define OPS_STATE_MAX (64 * 1024)

static const char *const ops_names[] = {
#define X(id, name) [id] = name,
	OPS_OPERATIONS(X)
#undef X
};

const char *
ops_operation_name(enum ops_operation op)
{
	return ops_names[op];
}

int
ops_operation_find(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < OPS_OP__COUNT; i++)
		if (strcmp(ops_names[i], name) == 0)
			return i;
	return -1;
}

char *
ops_state_to_json(const struct ops_state *st)
{
	cJSON *root = cJSON_CreateObject(), *ops;
	char *text, *out;

	cJSON_AddNumberToObject(root, "format_version", OPS_STATE_VERSION);
	ops = cJSON_AddObjectToObject(root, "operations");
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		const struct ops_op_state *o = &st->op[i];
		cJSON *j;

		if (!o->seen)
			continue;
		j = cJSON_AddObjectToObject(ops, ops_names[i]);
		cJSON_AddNumberToObject(j, "last_run", (double)o->last_run);
		cJSON_AddNumberToObject(j, "last_success", (double)o->last_success);
		cJSON_AddNumberToObject(j, "last_duration_seconds", o->last_duration);
		cJSON_AddNumberToObject(j, "last_status", o->last_status);
		cJSON_AddNumberToObject(j, "runs_success", (double)o->runs_success);
		cJSON_AddNumberToObject(j, "runs_failure", (double)o->runs_failure);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		fatal("out of memory writing the state file");
	out = xasprintf("%s\n", text);
	cJSON_free(text);
	return out;
}

/* A non-negative number field, or -1 when missing or of the wrong type. */
static double
field_number(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e15)
		return -1;
	return v->valuedouble;
}

int
ops_state_parse(const char *json, struct ops_state *out)
{
	cJSON *root = cJSON_Parse(json), *ops;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (root == NULL || field_number(root, "format_version") != OPS_STATE_VERSION)
		goto done;
	ops = cJSON_GetObjectItemCaseSensitive(root, "operations");
	if (!cJSON_IsObject(ops))
		goto done;
	for (int i = 0; i < OPS_OP__COUNT; i++) {
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(ops, ops_names[i]);
		struct ops_op_state *o = &out->op[i];
		double run, ok, dur, status, nok, nfail;

		if (j == NULL)
			continue;
		run = field_number(j, "last_run");
		ok = field_number(j, "last_success");
		dur = field_number(j, "last_duration_seconds");
		status = field_number(j, "last_status");
		nok = field_number(j, "runs_success");
		nfail = field_number(j, "runs_failure");
		if (!cJSON_IsObject(j) || run < 0 || ok < 0 || dur < 0 || status < 0 ||
		    status > 255 || nok < 0 || nfail < 0) {
			memset(out, 0, sizeof *out);
			goto done;
		}
		o->seen = true;
		o->last_run = (time_t)run;
		o->last_success = (time_t)ok;
		o->last_duration = dur;
		o->last_status = (int)status;
		o->runs_success = (uint64_t)nok;
		o->runs_failure = (uint64_t)nfail;
	}
	rc = 0;
done:
	cJSON_Delete(root);
	return rc;
}

static int
state_read(const char *path, struct ops_state *out, bool *damaged, struct vs_error *err)
{
	char *text = NULL;
	size_t len;
	struct vs_error rerr;

	memset(out, 0, sizeof *out);
	if (damaged != NULL)
		*damaged = false;
	error_clear(&rerr);
	if (fs_read_all(path, OPS_STATE_MAX, &text, &len, &rerr) != 0) {
		if (rerr.code == VS_ERR_NOTFOUND)
			return 0;
		if (rerr.code == VS_ERR_FORMAT) {
			if (damaged != NULL)
				*damaged = true;
			return 0;
		}
		if (err != NULL)
			*err = rerr;
		return -1;
	}
	if (ops_state_parse(text, out) != 0 && damaged != NULL)
		*damaged = true;
	free(text);
	return 0;
}

int
ops_state_load(const char *backup_dir, struct ops_state *out, bool *damaged,
    struct vs_error *err)
{
	char *path = fs_join(backup_dir, OPS_STATE_FILE);
	int rc = state_read(path, out, damaged, err);

	free(path);
	return rc;
}

int
ops_state_record(const char *backup_dir, enum ops_operation op, int status,
    double seconds, time_t at, struct ops_state *out, struct vs_error *err)
{
	char *path = NULL, *text = NULL;
	struct ops_state st;
	struct ops_op_state *o;
	bool damaged;
	int dfd = -1, rc = -1;

	if (fs_mkdir_p(backup_dir, 0700, err) != 0)
		return -1;
	/* The read-modify-write of two processes ending at once would lose a
	 * run: an flock on the directory (not on the file, which is replaced)
	 * makes them take turns. */
	dfd = open(backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_errno(err, VS_ERR_IO, errno, _("cannot open %s"), backup_dir);
	while (flock(dfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			error_errno(err, VS_ERR_IO, errno, _("cannot lock %s"), backup_dir);
			goto out;
		}
	}
	path = fs_join(backup_dir, OPS_STATE_FILE);
	if (state_read(path, &st, &damaged, err) != 0)
		goto out;
	o = &st.op[op];
	o->seen = true;
	o->last_run = at;
	o->last_duration = seconds >= 0 ? seconds : 0;
	o->last_status = status;
	if (status == 0) {
		o->last_success = at;
		o->runs_success++;
	} else {
		o->runs_failure++;
	}
	text = ops_state_to_json(&st);
	if (fs_write_atomic(path, text, strlen(text), 0600, err) != 0)
		goto out;
	if (out != NULL)
		*out = st;
	rc = 0;
out:
	free(text);
	free(path);
	close(dfd); /* drops the flock */
	return rc;
}
