/*
 * The configuration: read once from a libconfig file into an immutable
 * struct. Every key is declared in one table (config.c); unknown keys and
 * wrong types are errors naming the file, line and key.
 */
#ifndef VS_CONF_H
#define VS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/error.h"

#define CONFIG_DEFAULT_PATH "/etc/vsbackup/vsbackup.conf"

struct config_retention {
	int daily;            /* days a daily backup is kept */
	int weekly;           /* weeks a weekly backup is kept */
	int monthly;          /* calendar months a monthly backup is kept */
	int pre_restore_days; /* days a pre-restore safety backup is kept */
	int manual_days;      /* 0: manual backups are kept until deleted */
};

/*
 * The keys of a group: a table of these (type, offset into the struct the
 * group fills, bounds). Drivers of locations declare theirs beside their
 * code (struct config_driver.keys).
 */
enum config_type { CFG_STRING, CFG_INT, CFG_INT64, CFG_BOOL, CFG_STRLIST, CFG_GROUP };

struct config_key {
	const char *group;   /* NULL for top-level keys and a driver's keys */
	const char *name;
	enum config_type type;
	size_t offset;       /* into the struct the group fills */
	long long min, max;  /* for integers */
	const char *const *choices; /* for strings: allowed values, NULL-ended */
	bool secret;
	size_t count_offset;  /* for string lists: where their length goes */
};

struct config;
struct config_location;
struct storage;

/*
 * A kind of location (a storage driver), registered in one table
 * (config_drivers, src/storage/drivers.c). Its name is the group that
 * configures it ("s3") and the --location word for every location of it;
 * its keys fill an options struct of its own, which only the driver reads.
 * Adding a driver touches its folder and that table, nothing else.
 */
struct config_driver {
	const char *name;             /* "s3"; "local" for backup_dir */
	const char *label;            /* for people: "S3" */
	/* Why no location of this kind is configured, for people:
	 * "s3.bucket is empty" (N_; NULL for local). */
	const char *unset;
	const struct config_key *keys; /* its group's keys (NULL: none) */
	size_t nkeys;
	size_t opts_size;             /* of the options struct they fill */
	/* Defaults of the options (strings are "" before it is called). */
	void (*defaults)(void *opts);
	/* A single group that configures nothing (s3 without a bucket) makes
	 * no location; NULL: every group does. */
	bool (*used)(const void *opts);
	/* Check the options of location name after loading; may adjust them. */
	int (*validate)(void *opts, const char *file, const char *name, struct vs_error *err);
	/* Where for people: "s3://bucket/prefix" (a new string). */
	char *(*describe)(const struct config *cfg, const struct config_location *loc);
	/* Optional: the same in a word, for a crowded line: the bucket (a
	 * new string). */
	char *(*brief)(const struct config_location *loc);
	/* Open the location (storage.h). */
	int (*open)(const struct config *cfg, const struct config_location *loc,
	    struct storage **out, struct vs_error *err);
	/* Optional: check that the credentials of the location can be had
	 * (health): 0 with where they come from (a new string) and when they
	 * expire (0: cannot be told). */
	int (*credentials)(const struct config_location *loc, char **source, time_t *expires,
	    struct vs_error *err);
};

/* The table of drivers, NULL-ended; [0] is the one of backup_dir. */
extern const struct config_driver *const config_drivers[];
const struct config_driver *config_driver_find(const char *name);

#define CONFIG_NAME_MAX 32
#define CONFIG_NAME_SIZE (CONFIG_NAME_MAX + 1)
/* Locations are sets of bits (bit i: locations[i]). */
#define CONFIG_LOCATION_MAX 32

struct config_location {
	char *name;                   /* "local", "s3", "eu-west": [a-z0-9-] */
	const struct config_driver *driver;
	void *opts;                   /* the driver's options; NULL for local */
	bool upload;                  /* backup sends each new backup here */
	struct config_retention retention; /* resolved: its own, else retention_DRIVER, else retention */
	bool own_retention;           /* numbers of its own (or of retention_DRIVER) */
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

	/* Of backup_dir, and of every other location without numbers of its
	 * own (struct config_location.retention holds each one's). */
	struct config_retention retention;

	/* Where backups are kept: [0] is "local" (backup_dir), then each
	 * group of every driver's list (s3 = { ... } or s3 = ( { ... }, ... )),
	 * in the order of the file: nearest first. */
	struct config_location *locations;
	size_t nlocations;

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
		int compression_min_gain; /* percent zstd must save to be kept on a chunk */
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

/* Is name a possible location's name: 1 to 32 of a-z, 0-9 and '-' (not
 * first)? */
bool config_name_valid(const char *name);

/* The location called name, or NULL. */
const struct config_location *config_location_find(const struct config *cfg,
    const char *name);
/* Its index in cfg->locations, or -1. */
int config_location_index(const struct config *cfg, const char *name);

/*
 * What a --location or --from word names, as a set of location bits:
 * "local", a location's name, a driver's name (every location of it: "s3")
 * or "all". VS_ERR_USAGE naming the choices otherwise. A word naming a
 * driver with no location configured is VS_ERR_CONFIG ("S3 is not
 * configured").
 */
int config_location_select(const struct config *cfg, const char *word, unsigned *set,
    struct vs_error *err);
/* The words --location takes, for messages: "local, s3 or all". */
void config_location_words(const struct config *cfg, char *buf, size_t bufsz);
/* Every location. */
unsigned config_location_all(const struct config *cfg);
/* The locations other than local ("is anything but backup_dir configured"). */
unsigned config_location_remote(const struct config *cfg);
/* The first location of set (nearest first), or -1 when set is empty. */
int config_location_first(const struct config *cfg, unsigned set);

/* Location i for people: "local" (translated), "S3" (the single S3
 * location named after its kind), else its name. */
const char *config_location_label(const struct config *cfg, size_t i);

/* Location i in a word: the bucket (the driver's brief), else its label
 * (a new string). */
char *config_location_brief(const struct config *cfg, size_t i);

/* Where location i is, for people: backup_dir, "s3://bucket/prefix"
 * (a new string). */
char *config_location_describe(const struct config *cfg, size_t i);

/* A driver option of a location by its key name: the value's address, or
 * NULL (for tests and probes). */
const struct config_key *config_location_key(const struct config_location *loc,
    const char *key);

/* Set "group.key" or "location.key" to value as the file would (for
 * probes and tests); "s3.bucket" on a config without a location "s3"
 * adds it. */
int config_set(struct config *cfg, const char *key, const char *value,
    struct vs_error *err);

/* Split "host:port", "[v6]:port" or "/unix/socket" (port 0). Returns -1
 * when addr is none of these. */
int config_addr_parse(const char *addr, char *host, size_t size, int *port);
bool config_addr_valid(const char *addr);

#endif
