/*
 * A command-line client of the storage interface (storage.h only), for the
 * S3 integration tests (tests/integration/s3-*.sh):
 *
 *   s3-probe [-c FILE] [-o LOCATION.KEY=VALUE]... [-l LOCATION] COMMAND ARGS
 *
 *   list                       one line per backup: ID complete|partial BYTES
 *   put ID FILE...             begin, put each file (named by its basename),
 *                              commit; prints "sha256 NAME HEX" per file
 *   put-abort ID FILE...       begin, put, then abort
 *   stat ID NAME               the size
 *   get ID NAME OUT            storage_get into OUT
 *   read ID NAME OUT           storage_open_read/storage_read into OUT
 *   read-small ID NAME         storage_read_small to stdout
 *   write-small ID NAME FILE   storage_write_small
 *   remove-small ID NAME
 *   remove ID
 *   remove-partial ID
 *   copy-from LOCATION ID NAME...  the files of backup ID in LOCATION copied
 *                              into this storage by the server
 *                              (storage_put_copy), then committed
 *
 * Without -c the configuration is the defaults plus S3_ENDPOINT and
 * S3_BUCKET from the environment (endpoint path-style). Warnings go to
 * stderr as "warning: ..."; a failure prints "error [CODE]: ..." and exits 1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "config/conf.h"
#include "storage/storage.h"

static void
probe_warn(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "warning: %s\n", msg);
}


static int
probe_option(struct config *cfg, const char *opt)
{
	const char *eq = strchr(opt, '=');
	const char *v;
	char name[64];
	size_t n;
	struct vs_error err;

	if (eq == NULL || (n = (size_t)(eq - opt)) >= sizeof name)
		return -1;
	memcpy(name, opt, n);
	name[n] = '\0';
	v = eq + 1;
	if (strcmp(v, "1") == 0 && strstr(name, "path_style") != NULL)
		v = "true";
	error_clear(&err);
	return config_set(cfg, name, v, &err);
}

static int
probe_fail(const struct vs_error *err)
{
	fprintf(stderr, "error [%s]: %s\n", error_code_name(err->code), err->msg);
	return 1;
}

static int
probe_list_cb(void *ud, const struct storage_entry *e)
{
	(void)ud;
	printf("%s %s %llu\n", e->id, e->complete ? "complete" : "partial",
	    (unsigned long long)e->bytes);
	return 0;
}

static int
probe_progress(void *ud, uint64_t delta)
{
	uint64_t *total = ud;

	__atomic_add_fetch(total, delta, __ATOMIC_RELAXED);
	return 0;
}

static int
probe_put(struct storage *st, int argc, char **argv, bool commit, struct vs_error *err)
{
	struct storage_txn *txn;
	unsigned char md[32];
	uint64_t moved = 0;
	struct storage_progress prog = { .fn = probe_progress, .ud = &moved };
	struct stat sb;
	const char *name;
	char *meta;
	int i, fd;

	if (storage_begin(st, argv[0], &txn, err) != 0)
		return -1;
	for (i = 1; i < argc; i++) {
		name = strrchr(argv[i], '/');
		name = name != NULL ? name + 1 : argv[i];
		fd = open(argv[i], O_RDONLY);
		if (fd < 0 || fstat(fd, &sb) != 0) {
			error_errno(err, VS_ERR_IO, errno, "%s", argv[i]);
			storage_abort(txn);
			return -1;
		}
		if (storage_put(txn, name, fd, (uint64_t)sb.st_size, &prog, md, err) != 0) {
			close(fd);
			storage_abort(txn);
			return -1;
		}
		close(fd);
		printf("sha256 %s ", name);
		for (size_t j = 0; j < sizeof md; j++)
			printf("%02x", md[j]);
		printf("\n");
	}
	printf("progress %llu\n", (unsigned long long)moved);
	if (!commit) {
		storage_abort(txn);
		return 0;
	}
	meta = xasprintf("{\"backup_id\": \"%s\"}\n", argv[0]);
	i = storage_commit(txn, meta, strlen(meta), err);
	free(meta);
	return i;
}

static int
probe_out(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
}

/* The configuration, for commands that open a second location. */
static struct config *probe_cfg;

/* copy-from LOCATION ID FILE...: backup ID's files in LOCATION stored in
 * this storage as copies made by the server (storage_put_copy), then a
 * metadata.json as put writes it. */
static int
probe_copy_from(struct storage *st, int argc, char **argv, struct vs_error *err)
{
	struct storage *src = NULL;
	struct storage_txn *txn;
	uint64_t size;
	char *meta;
	int rc = -1;

	if (storage_open(probe_cfg, argv[0], &src, err) != 0)
		return -1;
	if (storage_begin(st, argv[1], &txn, err) != 0)
		goto out;
	for (int i = 2; i < argc; i++) {
		if (storage_stat(src, argv[1], argv[i], &size, err) != 0 ||
		    storage_put_copy(txn, argv[i], src, argv[1], size, err) != 0) {
			storage_abort(txn);
			goto out;
		}
		printf("copied %s %llu\n", argv[i], (unsigned long long)size);
	}
	meta = xasprintf("{\"backup_id\": \"%s\"}\n", argv[1]);
	rc = storage_commit(txn, meta, strlen(meta), err);
	free(meta);
out:
	storage_close(src);
	return rc;
}

static int
probe_run(struct storage *st, int argc, char **argv, struct vs_error *err)
{
	const char *cmd = argv[0];
	uint64_t size, moved = 0;
	struct storage_progress prog = { .fn = probe_progress, .ud = &moved };
	struct storage_reader *r;
	char *data, buf[7777];
	size_t len;
	ssize_t n;
	int fd, rc;

	argc--;
	argv++;
	if (strcmp(cmd, "list") == 0)
		return storage_list(st, probe_list_cb, NULL, err);
	if (strcmp(cmd, "put") == 0 && argc >= 1)
		return probe_put(st, argc, argv, true, err);
	if (strcmp(cmd, "put-abort") == 0 && argc >= 1)
		return probe_put(st, argc, argv, false, err);
	if (strcmp(cmd, "copy-from") == 0 && argc >= 3)
		return probe_copy_from(st, argc, argv, err);
	if (strcmp(cmd, "stat") == 0 && argc == 2) {
		if (storage_stat(st, argv[0], argv[1], &size, err) != 0)
			return -1;
		printf("%llu\n", (unsigned long long)size);
		return 0;
	}
	if (strcmp(cmd, "get") == 0 && argc == 3) {
		if (storage_stat(st, argv[0], argv[1], &size, err) != 0)
			return -1;
		if ((fd = probe_out(argv[2])) < 0)
			return error_errno(err, VS_ERR_IO, errno, "%s", argv[2]);
		rc = storage_get(st, argv[0], argv[1], fd, size, &prog, err);
		close(fd);
		if (rc == 0)
			printf("progress %llu\n", (unsigned long long)moved);
		return rc;
	}
	if (strcmp(cmd, "read") == 0 && argc == 3) {
		if (storage_open_read(st, argv[0], argv[1], &r, err) != 0)
			return -1;
		if ((fd = probe_out(argv[2])) < 0) {
			storage_reader_close(r);
			return error_errno(err, VS_ERR_IO, errno, "%s", argv[2]);
		}
		/* An odd buffer size crosses the reader's chunk boundaries. */
		while ((n = storage_read(r, buf, sizeof buf, err)) > 0)
			if (write(fd, buf, (size_t)n) != n) {
				n = error_errno(err, VS_ERR_IO, errno, "%s", argv[2]);
				break;
			}
		close(fd);
		storage_reader_close(r);
		return n < 0 ? -1 : 0;
	}
	if (strcmp(cmd, "read-small") == 0 && argc == 2) {
		if (storage_read_small(st, argv[0], argv[1], 1024 * 1024, &data, &len, err) != 0)
			return -1;
		fwrite(data, 1, len, stdout);
		free(data);
		return 0;
	}
	if (strcmp(cmd, "write-small") == 0 && argc == 3) {
		char *content;

		fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			return error_errno(err, VS_ERR_IO, errno, "%s", argv[2]);
		content = xmalloc(1024 * 1024);
		n = read(fd, content, 1024 * 1024);
		close(fd);
		rc = n < 0 ? error_errno(err, VS_ERR_IO, errno, "%s", argv[2]) :
		    storage_write_small(st, argv[0], argv[1], content, (size_t)n, err);
		free(content);
		return rc;
	}
	if (strcmp(cmd, "remove-small") == 0 && argc == 2)
		return storage_remove_small(st, argv[0], argv[1], err);
	if (strcmp(cmd, "remove") == 0 && argc == 1)
		return storage_remove(st, argv[0], err);
	if (strcmp(cmd, "remove-partial") == 0 && argc == 1)
		return storage_remove_partial(st, argv[0], err);
	return error_set(err, VS_ERR_USAGE, "unknown command or wrong arguments: %s", cmd);
}

/* Run without arguments (as the test runner does with every check
 * program): what storage_open_s3 accepts, without any server. */
static int
probe_selftest(void)
{
	struct config *cfg = config_defaults();
	struct storage *st = NULL;
	struct vs_error err;
	int failed = 0, n = 0;

#define CHECK(cond, what) do {                                                  \
	int pass_ = (cond);                                                     \
	printf("%s %d - %s\n", pass_ ? "ok" : "not ok", ++n, what);            \
	failed += !pass_;                                                       \
} while (0)
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	error_clear(&err);
	CHECK(storage_open(cfg, "s3", &st, &err) == -1 && err.code == VS_ERR_CONFIG &&
	    strstr(err.msg, "s3.bucket") != NULL, "no s3.bucket: a configuration error naming it");
	probe_option(cfg, "s3.bucket=b");
	probe_option(cfg, "s3.access_key_id=AKIDEXAMPLE");
	probe_option(cfg, "s3.secret_access_key=not-shown-anywhere");
	probe_option(cfg, "s3.sse=aws:other");
	CHECK(storage_open(cfg, "s3", &st, &err) == -1 && err.code == VS_ERR_CONFIG &&
	    strstr(err.msg, "aws:other") != NULL, "unknown s3.sse: a configuration error");
	probe_option(cfg, "s3.sse=AES256");
	probe_option(cfg, "s3.prefix=/backups/prod/");
	CHECK(storage_open(cfg, "s3", &st, &err) == 0, "a bucket and credentials: opens");
	if (st != NULL) {
		CHECK(strcmp(storage_name(st), "s3") == 0, "location name s3");
		CHECK(strcmp(storage_location(st), "s3://b/backups/prod") == 0,
		    "location s3://bucket/prefix, slashes trimmed");
		storage_close(st);
	}
	probe_option(cfg, "s3.prefix=");
	probe_option(cfg, "s3.endpoint=gopher://x");
	CHECK(storage_open(cfg, "s3", &st, &err) == -1 && err.code == VS_ERR_CONFIG &&
	    strstr(err.msg, "not-shown-anywhere") == NULL, "bad endpoint: an error without the secret");
#undef CHECK
	printf("1..%d\n", n);
	config_free(cfg);
	return failed != 0;
}

int
main(int argc, char **argv)
{
	struct config *cfg = NULL;
	struct storage *st;
	struct vs_error err;
	const char *conf = NULL, *location = "s3", *v;
	int i, opt, rc;
	char **opts = xcalloc((size_t)argc, sizeof *opts);
	int nopts = 0;

	error_clear(&err);
	while ((opt = getopt(argc, argv, "c:o:l:")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'o':
			opts[nopts++] = optarg;
			break;
		case 'l':
			location = optarg;
			break;
		default:
			fprintf(stderr, "usage: s3-probe [-c FILE] [-o KEY=VALUE]... COMMAND\n");
			free(opts);
			return 2;
		}
	}
	if (argc == 1) {
		free(opts);
		return probe_selftest();
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: s3-probe [-c FILE] [-o KEY=VALUE]... COMMAND\n");
		free(opts);
		return 2;
	}
	if (conf != NULL) {
		if (config_load(conf, &cfg, &err) != 0) {
			free(opts);
			return probe_fail(&err);
		}
	} else {
		cfg = config_defaults();
		if ((v = getenv("S3_ENDPOINT")) != NULL) {
			config_set(cfg, "s3.endpoint", v, &err);
			config_set(cfg, "s3.path_style", "true", &err);
		}
		if ((v = getenv("S3_BUCKET")) != NULL)
			config_set(cfg, "s3.bucket", v, &err);
	}
	for (i = 0; i < nopts; i++)
		if (probe_option(cfg, opts[i]) != 0) {
			fprintf(stderr, "s3-probe: unknown option %s\n", opts[i]);
			free(opts);
			config_free(cfg);
			return 2;
		}
	free(opts);
	if (storage_open(cfg, location, &st, &err) != 0) {
		config_free(cfg);
		return probe_fail(&err);
	}
	storage_set_warn(st, probe_warn, NULL);
	probe_cfg = cfg;
	rc = probe_run(st, argc - optind, argv + optind, &err);
	fflush(stdout);
	storage_close(st);
	config_free(cfg);
	return rc != 0 ? probe_fail(&err) : 0;
}
