/*
 * The server's own RDB checker (redis-check-rdb, valkey-check-rdb) as the
 * last of the deep checks of a backup's RDB. A checker older than the file
 * cannot read it; that is no damage, so it is reported as skipped, never
 * as a failure: the built-in reader has already checked the structure, the
 * CRC and the key counts.
 */
#ifndef VS_RDB_CHECKER_H
#define VS_RDB_CHECKER_H

#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"

enum rdb_check_result {
	RDB_CHECK_OK,       /* the checker read the file and found it sound */
	RDB_CHECK_FAILED,   /* the checker found damage */
	RDB_CHECK_SKIPPED,  /* no checker, or none that can read this version */
};

/*
 * Which checker to run for an RDB of the server family ("redis", "valkey"
 * or "" when unknown): redis.check_rdb_command when set; else the checker
 * in the directory of the server binary that redis.start_command names (a
 * word ending in /redis-server or /valkey-server); else redis-check-rdb
 * (valkey-check-rdb first for a Valkey file) from PATH. Writes the program
 * into prog; returns 1 when it came from the configuration, 0 otherwise.
 */
int rdb_checker_pick(const struct config *cfg, const char *family, char *prog,
    size_t size);

/*
 * The server binary redis.start_command (cmd) names: its first word that
 * is an absolute path ending in /redis-server or /valkey-server and can
 * be run. Writes it into prog and returns true; false when there is none.
 */
bool rdb_server_from_command(const char *cmd, char *prog, size_t size);

/*
 * Run the chosen checker on path, an RDB of format rdb_version written by
 * family. detail gets the text for the report: "OK (redis-check-rdb
 * 7.4.1)", the checker's complaint, or "skipped: redis-check-rdb 7.0.15
 * cannot read RDB version 12 ...".
 */
enum rdb_check_result rdb_checker_run(const struct config *cfg, const char *path,
    int rdb_version, const char *family, char *detail, size_t size);

#endif
