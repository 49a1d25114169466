/*
 * DESIGN: one struct s3_cred per open storage, shared by every transfer
 * thread. Its lock guards the current value and its expiration; a thread
 * that finds instance-role credentials about to expire fetches new ones
 * while holding it, so only one refresh runs at a time.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "storage/s3/s3-buf.h"
#include "storage/s3/s3-cred.h"
#include "storage/s3/s3-options.h"

#define S3_IMDS_DEFAULT "http://169.254.169.254"
#define S3_IMDS_TTL "21600"
/* Fetch new role credentials this long before they expire. */
#define S3_CRED_REFRESH_MARGIN (5 * 60)
#define S3_CRED_FILE_MAX (1024 * 1024)

enum s3_cred_kind { S3_CRED_STATIC, S3_CRED_IMDS };

struct s3_cred {
	pthread_mutex_t lock;
	enum s3_cred_kind kind;
	char *source;
	struct s3_cred_value value;
	time_t expiration;
	char *imds;           /* metadata endpoint, for refreshes */
};

static char *
s3_cred_dup(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static void
s3_cred_wipe(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void
s3_cred_value_free(struct s3_cred_value *v)
{
	free(v->access_key_id);
	s3_cred_wipe(v->secret);
	s3_cred_wipe(v->token);
	memset(v, 0, sizeof *v);
}

static struct s3_cred *
s3_cred_new(enum s3_cred_kind kind, char *source)
{
	struct s3_cred *c = xcalloc(1, sizeof *c);

	pthread_mutex_init(&c->lock, NULL);
	c->kind = kind;
	c->source = source;
	return c;
}

/* A pair of settings that must come together; -1 when only one is set. */
static int
s3_cred_static(const char *id, const char *secret, const char *token, char *source,
    const char *id_name, const char *secret_name, struct s3_cred **out,
    struct vs_error *err)
{
	bool has_id = id != NULL && *id != '\0';
	bool has_secret = secret != NULL && *secret != '\0';

	if (!has_id && !has_secret) {
		free(source);
		return 1;
	}
	if (!has_id || !has_secret) {
		error_set(err, VS_ERR_CONFIG, _("S3 credentials from %s: %s is set but %s is not"),
		    source, has_id ? id_name : secret_name, has_id ? secret_name : id_name);
		free(source);
		return -1;
	}
	*out = s3_cred_new(S3_CRED_STATIC, source);
	(*out)->value.access_key_id = xstrdup(id);
	(*out)->value.secret = xstrdup(secret);
	(*out)->value.token = s3_cred_dup(token);
	return 0;
}

static char *
s3_cred_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * The INI form of the shared credentials file: "[profile]" sections (also
 * "[profile name]", as in ~/.aws/config), "key = value" lines, '#' and ';'
 * comments. 1 when the profile is not in the file.
 */
static int
s3_cred_file(const char *path, const char *profile, bool profile_named,
    struct s3_cred **out, struct vs_error *err)
{
	char *data, *line, *next, *eq, *name, *id = NULL, *secret = NULL, *token = NULL;
	bool in = false, found = false;
	size_t len;
	int rc;

	if (!fs_exists(path))
		return 1;
	if (fs_read_all(path, S3_CRED_FILE_MAX, &data, &len, err) != 0)
		return error_prefix(err, _("reading S3 credentials"));
	for (line = data; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = s3_cred_trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');

			if (end == NULL)
				continue;
			*end = '\0';
			name = s3_cred_trim(line + 1);
			if (strncmp(name, "profile ", 8) == 0)
				name = s3_cred_trim(name + 8);
			in = strcmp(name, profile) == 0;
			found = found || in;
			continue;
		}
		if (!in || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		name = s3_cred_trim(line);
		if (strcmp(name, "aws_access_key_id") == 0)
			id = s3_cred_trim(eq + 1);
		else if (strcmp(name, "aws_secret_access_key") == 0)
			secret = s3_cred_trim(eq + 1);
		else if (strcmp(name, "aws_session_token") == 0)
			token = s3_cred_trim(eq + 1);
	}
	if (!found) {
		rc = 1;
		if (profile_named)
			rc = error_set(err, VS_ERR_CONFIG,
			    _("S3 credentials: profile '%s' is not in %s"), profile, path);
	} else {
		rc = s3_cred_static(id, secret, token,
		    xasprintf(_("shared credentials file %s (profile %s)"), path, profile),
		    "aws_access_key_id", "aws_secret_access_key", out, err);
		if (rc == 1)
			rc = error_set(err, VS_ERR_CONFIG,
			    _("S3 credentials: profile '%s' in %s has no aws_access_key_id"),
			    profile, path);
	}
	OPENSSL_cleanse(data, len);
	free(data);
	return rc;
}

static size_t
s3_cred_collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct s3_buf *b = ud;

	/* Metadata answers are small; a huge one is not the service. */
	if (b->len + size * nmemb > 64 * 1024)
		return 0;
	s3_buf_add(b, ptr, size * nmemb);
	return size * nmemb;
}

/* One request to the metadata service with short timeouts, so a host that
 * is not on EC2 fails in about a second. */
static int
s3_cred_imds_call(const char *base, const char *method, const char *path,
    const char *token, struct s3_buf *body, struct vs_error *err)
{
	struct curl_slist *hdr = NULL;
	char *url, *h;
	long status = 0;
	CURLcode rc;
	CURL *easy;

	easy = curl_easy_init();
	if (easy == NULL)
		fatal("curl_easy_init failed");
	url = xasprintf("%s%s", base, path);
	s3_buf_reset(body);
	s3_buf_adds(body, "");
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		hdr = curl_slist_append(hdr, "X-aws-ec2-metadata-token-ttl-seconds: " S3_IMDS_TTL);
	}
	if (token != NULL) {
		h = xasprintf("X-aws-ec2-metadata-token: %s", token);
		hdr = curl_slist_append(hdr, h);
		s3_cred_wipe(h);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, s3_cred_collect);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(easy);
	if (rc == CURLE_OK)
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(easy);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK)
		error_set(err, VS_ERR_CONFIG, _("EC2 metadata service %s: %s"), url,
		    curl_easy_strerror(rc));
	else if (status != 200)
		error_set(err, VS_ERR_CONFIG, _("EC2 metadata service %s: HTTP %ld"), url,
		    status);
	free(url);
	return rc == CURLE_OK && status == 200 ? 0 : -1;
}

/* Token, role name, then the role's credentials document. */
static int
s3_cred_imds_fetch(const char *base, char **role_out, struct s3_cred_value *v,
    time_t *expiration, struct vs_error *err)
{
	struct s3_buf b = { 0 };
	char *token = NULL, *role = NULL, *path, *nl;
	cJSON *doc = NULL, *code, *id, *secret, *tok, *exp;
	int rc = -1;

	memset(v, 0, sizeof *v);
	if (s3_cred_imds_call(base, "PUT", "/latest/api/token", NULL, &b, err) != 0)
		goto out;
	token = xstrdup(s3_cred_trim(b.data));
	if (s3_cred_imds_call(base, "GET", "/latest/meta-data/iam/security-credentials/",
	    token, &b, err) != 0)
		goto out;
	nl = strchr(b.data, '\n');
	if (nl != NULL)
		*nl = '\0';
	role = xstrdup(s3_cred_trim(b.data));
	if (*role == '\0' || strchr(role, '/') != NULL) {
		error_set(err, VS_ERR_CONFIG,
		    _("EC2 metadata service %s: this instance has no IAM role"), base);
		goto out;
	}
	path = xasprintf("/latest/meta-data/iam/security-credentials/%s", role);
	rc = s3_cred_imds_call(base, "GET", path, token, &b, err);
	free(path);
	if (rc != 0)
		goto out;
	rc = -1;
	doc = cJSON_ParseWithLength(b.data, b.len);
	code = cJSON_GetObjectItemCaseSensitive(doc, "Code");
	id = cJSON_GetObjectItemCaseSensitive(doc, "AccessKeyId");
	secret = cJSON_GetObjectItemCaseSensitive(doc, "SecretAccessKey");
	tok = cJSON_GetObjectItemCaseSensitive(doc, "Token");
	exp = cJSON_GetObjectItemCaseSensitive(doc, "Expiration");
	if (!cJSON_IsString(id) || !cJSON_IsString(secret) || !cJSON_IsString(exp) ||
	    (cJSON_IsString(code) && strcmp(code->valuestring, "Success") != 0)) {
		error_set(err, VS_ERR_CONFIG,
		    _("EC2 metadata service %s: the credentials of role %s are not usable"
		    " (Code %s)"), base, role, cJSON_IsString(code) ? code->valuestring : "?");
		goto out;
	}
	if (time_parse(exp->valuestring, expiration, err) != 0) {
		error_prefix(err, _("EC2 metadata service %s: Expiration"), base);
		goto out;
	}
	v->access_key_id = xstrdup(id->valuestring);
	v->secret = xstrdup(secret->valuestring);
	v->token = cJSON_IsString(tok) ? s3_cred_dup(tok->valuestring) : NULL;
	*role_out = role;
	role = NULL;
	rc = 0;
out:
	if (doc != NULL) {
		/* The document held the secret. */
		OPENSSL_cleanse(b.data, b.len);
		cJSON_Delete(doc);
	}
	s3_cred_wipe(token);
	free(role);
	s3_buf_free(&b);
	return rc;
}

static bool
s3_cred_env_true(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

int
s3_cred_open(const struct s3_options *o, struct s3_cred **out, struct vs_error *err)
{
	const char *home, *file, *profile, *base;
	bool named = true;
	char *path, *role = NULL;
	struct s3_cred_value v;
	time_t exp;
	int rc;

	*out = NULL;
	rc = s3_cred_static(o->access_key_id, o->secret_access_key, o->session_token, xstrdup(_("the configuration")), "s3.access_key_id",
	    "s3.secret_access_key", out, err);
	if (rc <= 0)
		return rc;
	rc = s3_cred_static(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
	    getenv("AWS_SESSION_TOKEN"), xstrdup(_("the environment")), "AWS_ACCESS_KEY_ID",
	    "AWS_SECRET_ACCESS_KEY", out, err);
	if (rc <= 0)
		return rc;

	profile = o->profile;
	if (profile == NULL || *profile == '\0')
		profile = getenv("AWS_PROFILE");
	if (profile == NULL || *profile == '\0') {
		profile = "default";
		named = false;
	}
	file = getenv("AWS_SHARED_CREDENTIALS_FILE");
	if (file != NULL && *file != '\0')
		path = xstrdup(file);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		path = xasprintf("%s/.aws/credentials", home);
	else
		path = NULL;
	if (path != NULL) {
		rc = s3_cred_file(path, profile, named, out, err);
		free(path);
		if (rc <= 0)
			return rc;
	}

	if (s3_cred_env_true("AWS_EC2_METADATA_DISABLED"))
		return error_set(err, VS_ERR_CONFIG,
		    _("no S3 credentials: set s3.access_key_id and s3.secret_access_key, "
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in "
		    "~/.aws/credentials (the EC2 metadata service is disabled by "
		    "AWS_EC2_METADATA_DISABLED)"));
	base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (base == NULL || *base == '\0')
		base = S3_IMDS_DEFAULT;
	if (s3_cred_imds_fetch(base, &role, &v, &exp, err) != 0)
		return error_prefix(err,
		    _("no S3 credentials: none in s3.access_key_id, AWS_ACCESS_KEY_ID or "
		    "~/.aws/credentials, and no EC2 instance role"));
	*out = s3_cred_new(S3_CRED_IMDS, xasprintf(_("EC2 instance role %s"), role));
	(*out)->value = v;
	(*out)->expiration = exp;
	(*out)->imds = xstrdup(base);
	free(role);
	size_t n = strlen((*out)->imds);
	while (n > 0 && (*out)->imds[n - 1] == '/')
		(*out)->imds[--n] = '\0';
	return 0;
}

int
s3_cred_get(struct s3_cred *c, struct s3_cred_value *out, struct vs_error *err)
{
	struct s3_cred_value v;
	char *role = NULL;
	time_t exp;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (c->kind == S3_CRED_IMDS && time(NULL) + S3_CRED_REFRESH_MARGIN >= c->expiration) {
		if (s3_cred_imds_fetch(c->imds, &role, &v, &exp, err) == 0) {
			s3_cred_value_free(&c->value);
			c->value = v;
			c->expiration = exp;
			free(role);
		} else if (time(NULL) >= c->expiration) {
			error_prefix(err, _("refreshing the expired S3 credentials of %s"),
			    c->source);
			rc = -1;
		}
		/* Else the old ones are still valid for a few minutes: use them. */
	}
	if (rc == 0) {
		out->access_key_id = xstrdup(c->value.access_key_id);
		out->secret = xstrdup(c->value.secret);
		out->token = c->value.token != NULL ? xstrdup(c->value.token) : NULL;
	}
	pthread_mutex_unlock(&c->lock);
	return rc;
}

const char *
s3_cred_source(const struct s3_cred *c)
{
	return c->source;
}

time_t
s3_cred_expiration(struct s3_cred *c)
{
	time_t t;

	pthread_mutex_lock(&c->lock);
	t = c->expiration;
	pthread_mutex_unlock(&c->lock);
	return t;
}

void
s3_cred_close(struct s3_cred *c)
{
	if (c == NULL)
		return;
	s3_cred_value_free(&c->value);
	pthread_mutex_destroy(&c->lock);
	free(c->source);
	free(c->imds);
	free(c);
}
