/* Covers src/storage/s3/s3-cred.c: the order of the credential sources,
 * the shared credentials file (with a temporary HOME), and that secrets
 * never reach messages. The instance-role source is covered by
 * tests/integration/s3-cred.sh against a local metadata endpoint. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "config/conf.h"
#include "storage/s3/s3-client.h"
#include "storage/s3/s3-cred.h"
#include "storage/s3/s3-options.h"
#include "tap.h"

static char home[] = "/tmp/vs-s3cred.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* Resolve and return "ID SECRET TOKEN|-" or "error: MSG". */
static char *
resolve(struct s3_options *cfg, char *source, size_t sourcesz)
{
	struct s3_cred_value v;
	struct vs_error err;
	struct s3_cred *c;
	char *s;

	error_clear(&err);
	if (s3_cred_open(cfg, &c, &err) != 0)
		return xasprintf("error: %s", err.msg);
	if (s3_cred_get(c, &v, &err) != 0) {
		s3_cred_close(c);
		return xasprintf("error: %s", err.msg);
	}
	snprintf(source, sourcesz, "%s", s3_cred_source(c));
	s = xasprintf("%s %s %s", v.access_key_id, v.secret, v.token != NULL ? v.token : "-");
	s3_cred_value_free(&v);
	s3_cred_close(c);
	return s;
}

static void
set_str(char **f, const char *v)
{
	free(*f);
	*f = xstrdup(v);
}

int
main(void)
{
	struct s3_options *cfg = s3_options_new();
	char source[256], *r, *path;
	time_t t0;

	s3_client_global_init();
	if (mkdtemp(home) == NULL)
		return 1;
	setenv("HOME", home, 1);
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SESSION_TOKEN");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);

	setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	set_str(&cfg->access_key_id, "CFGID");
	set_str(&cfg->secret_access_key, "cfgsecret");
	set_str(&cfg->session_token, "cfgtoken");
	r = resolve(cfg, source, sizeof source);
	is_str(r, "CFGID cfgsecret cfgtoken", "the configuration comes first");
	is_str(source, "the configuration", "  source named");
	free(r);

	set_str(&cfg->secret_access_key, "");
	r = resolve(cfg, source, sizeof source);
	ok(strstr(r, "error: ") == r && strstr(r, "s3.secret_access_key") != NULL,
	    "key id without secret in the configuration is an error naming the key");
	ok(strstr(r, "ENVID") == NULL, "  and does not fall through to the environment");
	free(r);

	set_str(&cfg->access_key_id, "");
	set_str(&cfg->session_token, "");
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	r = resolve(cfg, source, sizeof source);
	is_str(r, "ENVID envsecret envtoken", "then the environment, with its session token");
	free(r);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");

	path = xasprintf("%s/.aws", home);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/.aws/credentials", home);
	write_file(path,
	    "# comment\n"
	    "[default]\n"
	    "aws_access_key_id = DEFID\n"
	    "aws_secret_access_key=defsecret\n"
	    "\n"
	    "; other comment\n"
	    "[profile work]\n"
	    "  aws_access_key_id =  WORKID  \n"
	    "aws_secret_access_key = work/secret+x\n"
	    "aws_session_token = worktoken\n"
	    "[broken]\n"
	    "aws_secret_access_key = only-a-secret\n");
	r = resolve(cfg, source, sizeof source);
	is_str(r, "DEFID defsecret -", "then ~/.aws/credentials, profile default");
	ok(strstr(source, "profile default") != NULL, "  source names the profile");
	free(r);

	setenv("AWS_PROFILE", "work", 1);
	r = resolve(cfg, source, sizeof source);
	is_str(r, "WORKID work/secret+x worktoken", "AWS_PROFILE picks the profile");
	free(r);

	set_str(&cfg->profile, "default");
	r = resolve(cfg, source, sizeof source);
	is_str(r, "DEFID defsecret -", "s3.profile overrides AWS_PROFILE");
	free(r);

	set_str(&cfg->profile, "missing");
	r = resolve(cfg, source, sizeof source);
	ok(strstr(r, "error: ") == r && strstr(r, "'missing'") != NULL,
	    "a named profile that is not in the file is an error");
	free(r);

	set_str(&cfg->profile, "broken");
	r = resolve(cfg, source, sizeof source);
	ok(strstr(r, "error: ") == r && strstr(r, "only-a-secret") == NULL,
	    "a profile without key id is an error that does not show its secret");
	free(r);
	set_str(&cfg->profile, "");
	unsetenv("AWS_PROFILE");

	write_file(path, "[default]\naws_access_key_id = OTHERID\naws_secret_access_key = o\n");
	free(path);
	path = xasprintf("%s/elsewhere", home);
	write_file(path, "[default]\naws_access_key_id = FILEID\naws_secret_access_key = f\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	r = resolve(cfg, source, sizeof source);
	is_str(r, "FILEID f -", "AWS_SHARED_CREDENTIALS_FILE moves the file");
	free(r);
	unlink(path);
	free(path);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);

	r = resolve(cfg, source, sizeof source);
	ok(strstr(r, "error: no S3 credentials") == r && strstr(r, "AWS_EC2_METADATA_DISABLED"),
	    "nothing found, metadata service disabled: a clear error");
	free(r);

	/* A metadata endpoint that refuses connections: fails fast. */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
	t0 = time(NULL);
	r = resolve(cfg, source, sizeof source);
	ok(strstr(r, "error: no S3 credentials") == r && strstr(r, "127.0.0.1:1") != NULL,
	    "no metadata service: an error naming it");
	ok(time(NULL) - t0 <= 4, "  within a few seconds");
	free(r);

	path = xasprintf("%s/.aws/credentials", home);
	unlink(path);
	free(path);
	path = xasprintf("%s/.aws", home);
	rmdir(path);
	free(path);
	rmdir(home);
	s3_options_free(cfg);
	return tap_done();
}
