/*
 * The configuration: read once from a libconfig file into an immutable
 * struct. Every key is declared in one table (config.c); unknown keys and
 * wrong types are errors naming the file, line and key.
 */
#ifndef VS_CONF_H
#define VS_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CONFIG_DEFAULT_PATH "/etc/vsbackup/vsbackup.conf"

struct config_retention {
	int daily;            /* days a daily backup is kept */
	int weekly;           /* weeks a weekly backup is kept */
	int monthly;          /* calendar months a monthly backup is kept */
	int pre_restore_days; /* days a pre-restore safety backup is kept */
	int manual_days;      /* 0: manual backups are kept until deleted */
};

struct config {
	char *path;           /* the file this was read from */
	char *backup_dir;

	struct {
		char *host;
		int port;
		char *socket;
		char *username;       /* ACL user for AUTH; "" : AUTH with the password alone */
		char *password;
		int db;
		char **prefixes;
		size_t nprefixes;
		char *start_command;
		char *stop_command;
		char *data_dir;       /* "" : ask the server (CONFIG GET dir) */
		char *dbfilename;     /* "" : ask the server */
		int pause_ms;         /* upper bound of CLIENT PAUSE during capture */
		int timeout_ms;       /* connect and command timeout */
		int start_timeout;    /* seconds to wait for a restarted server */
		char *check_rdb_command; /* "" : redis-check-rdb beside the
					  * server binary, else from PATH */
		char *mode;           /* "standalone", "cluster" or "sentinel" */
		char **nodes;         /* cluster mode: seeds, "host:port" or a
				       * socket path; start_command,
				       * stop_command, data_dir and dbfilename
				       * may hold {host} and {port} */
		size_t nnodes;
		char **sentinels;     /* sentinel mode: "host:port" or a socket path */
		size_t nsentinels;
		char *master_name;    /* sentinel mode: the master they watch */
		char *sentinel_password; /* "" : the sentinels need none */
		bool from_replica;    /* snapshot from a replica: the master
				       * never forks */
	} redis;

	struct {
		char *content_index;
		char *user_index;
		char *lock_file;      /* "" : no coordination with the service */
	} faiss;

	struct {
		char *bucket;         /* "" : S3 is not used */
		char *prefix;
		char *region;
		char *endpoint;
		bool path_style;
		char *sse;            /* "AES256", "aws:kms" or "none" */
		char *sse_kms_key_id;
		char *access_key_id;
		char *secret_access_key;
		char *session_token;
		char *profile;
		char *ca_file;
		long long multipart_threshold;
		long long part_size;
		int concurrency;
		int max_attempts;
		int connect_timeout;
		int low_speed_time;
	} s3;

	struct config_retention retention;
	struct config_retention retention_s3;

	struct {
		int rpo_hours;
		int verify_max_age_hours;
		char *metrics_file;
	} monitoring;

	struct {
		char *file;
		bool syslog;
	} log;

	struct {
		char *dir;            /* "" : {backup_dir}/.drill */
		char *redis_server;   /* "" : beside start_command's, else PATH */
		int sample_size;      /* documents read whole per prefix */
		int seed;             /* of the sample */
		int search_k;         /* neighbours an approximate search may use */
		int min_recall_percent;
		int max_age_days;     /* health: WARNING without a good drill since */
		int rto_target_local; /* seconds, 0: none */
		int rto_target_s3;
		char *content_prefix; /* "" : redis.prefixes[0] */
		char *user_prefix;    /* "" : redis.prefixes[1] */
		char *id_field;       /* the document's id into the index */
		char *vector_field;   /* the document's vector */
	} drill;

	char *restore_reload_command; /* run after a successful restore, "" none */

	struct {
		int format;           /* of new backups: 1 plain files, 2 the repository (default) */
		char *compression;    /* "zstd" or "none" */
		int compression_level;
		char *passphrase_file; /* "" : VSBACKUP_PASSPHRASE, else no encryption */
		int gc_grace_minutes; /* unused packs stay marked this long */
	} repository;
};

/* Which file to read: explicit (from -c), else $VSBACKUP_CONFIG, else the
 * default path. The result is not allocated. */
const char *config_locate(const char *explicit_path);

/* Read and validate path. On success *out owns a new config. A world- or
 * group-readable file holding a password or secret logs a warning. */
int config_load(const char *path, struct config **out, struct vs_error *err);

/* A config holding only defaults, for the demo and tests. */
struct config *config_defaults(void);

void config_free(struct config *cfg);

/* A deep copy of cfg, to aim at another server; free with config_free(). */
struct config *config_dup(const struct config *cfg);

/* Split "host:port", "[v6]:port" or "/unix/socket" (port 0). Returns -1
 * when addr is none of these. */
int config_addr_parse(const char *addr, char *host, size_t size, int *port);
bool config_addr_valid(const char *addr);

#endif
