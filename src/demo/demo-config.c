/*
 * The demo's vsbackup.conf, and the quoting of paths for a shell command
 * and for the configuration files (redis.conf and vsbackup.conf).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "config/conf.h"
#include "demo/demo.intern.h"

/* Quote s for a POSIX shell: 'it'\''s'. Plain words stay as they are. */
static char *
demo_shell_quote(const char *s)
{
	struct demo_buf b = { 0 };
	bool plain = *s != '\0';

	for (const char *p = s; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789/._-+:,=@%", *p) == NULL)
			plain = false;
	if (plain)
		return xstrdup(s);
	demo_buf_add(&b, "'");
	for (const char *p = s; *p != '\0'; p++) {
		char c[2] = { *p, '\0' };

		demo_buf_add(&b, *p == '\'' ? "'\\''" : c);
	}
	demo_buf_add(&b, "'");
	return b.p;
}

/* A double-quoted string for redis.conf and for libconfig: both take
 * backslash escapes for '\\' and '"'. */
char *
demo_conf_quote(const char *s)
{
	struct demo_buf b = { 0 };

	demo_buf_add(&b, "\"");
	for (const char *p = s; *p != '\0'; p++) {
		char c[2] = { *p, '\0' };

		if (*p == '\\' || *p == '"')
			demo_buf_add(&b, "\\");
		demo_buf_add(&b, c);
	}
	demo_buf_add(&b, "\"");
	return b.p;
}

int
demo_write_config(const struct demo_paths *p, const char *server, const char *cli,
    struct vs_error *err)
{
	char *q_conf = demo_shell_quote(p->redis_conf), *q_server = demo_shell_quote(server);
	char *q_sock = demo_shell_quote(p->socket), *q_pid = demo_shell_quote(p->redis_pid);
	char *start, *stop, *c_start, *c_stop, *c_backup, *c_sock, *c_data, *c_content,
	    *c_user, *text;
	struct config *cfg;
	int rc;

	start = xasprintf("%s %s", q_server, q_conf);
	if (cli != NULL) {
		char *q_cli = demo_shell_quote(cli);

		stop = xasprintf("%s -s %s shutdown nosave", q_cli, q_sock);
		free(q_cli);
	} else {
		stop = xasprintf("kill \"$(cat %s)\"", q_pid);
	}
	c_start = demo_conf_quote(start);
	c_stop = demo_conf_quote(stop);
	c_backup = demo_conf_quote(p->backup_dir);
	c_sock = demo_conf_quote(p->socket);
	c_data = demo_conf_quote(p->redis_dir);
	c_content = demo_conf_quote(p->content_index);
	c_user = demo_conf_quote(p->user_index);
	text = xasprintf(
	    "# vsbackup configuration of the demo in %s, written by 'vsbackup demo'.\n"
	    "# Everything it names lives in that directory; remove the directory to\n"
	    "# remove the demo (stop its server first: vsbackup demo --stop --dir DIR).\n"
	    "\n"
	    "backup_dir = %s;\n"
	    "\n"
	    "redis = {\n"
	    "  socket = %s;\n"
	    "  prefixes = [ \"chimera-vectors:\", \"chimera-users:\" ];\n"
	    "  data_dir = %s;\n"
	    "  dbfilename = \"dump.rdb\";\n"
	    "  # Used by restore to stop and start the server around placing the RDB.\n"
	    "  start_command = %s;\n"
	    "  stop_command = %s;\n"
	    "  start_timeout = 30;\n"
	    "};\n"
	    "\n"
	    "faiss = {\n"
	    "  content_index = %s;\n"
	    "  user_index = %s;\n"
	    "};\n"
	    "\n"
	    "retention = {\n"
	    "  daily = 7;\n"
	    "  weekly = 4;\n"
	    "  monthly = 6;\n"
	    "};\n",
	    p->dir, c_backup, c_sock, c_data, c_start, c_stop, c_content, c_user);
	rc = fs_write_atomic(p->config, text, strlen(text), 0600, err);
	free(text);
	free(q_conf);
	free(q_server);
	free(q_sock);
	free(q_pid);
	free(start);
	free(stop);
	free(c_start);
	free(c_stop);
	free(c_backup);
	free(c_sock);
	free(c_data);
	free(c_content);
	free(c_user);
	if (rc != 0)
		return -1;
	/* What we wrote must load: check it with the real loader. */
	if (config_load(p->config, &cfg, err) != 0)
		return error_prefix(err, _("the demo wrote a configuration that does not load"));
	config_free(cfg);
	return 0;
}
