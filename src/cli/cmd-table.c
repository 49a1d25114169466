#include "config.h"

#include <stddef.h>

#include "cli/cmd.h"

extern const struct cmd_entry cmd_cleanup_entry, cmd_restore_entry, cmd_backup_entry, cmd_demo_entry, cmd_list_entry, cmd_show_entry,
    cmd_verify_entry, cmd_check_entry, cmd_delete_entry, cmd_pin_entry, cmd_unpin_entry, cmd_config_entry;
extern const struct cmd_entry cmd_health_entry, cmd_metrics_entry;
extern const struct cmd_entry cmd_upload_entry, cmd_download_entry, cmd_copy_entry, cmd_sync_entry;
extern const struct cmd_entry cmd_tui_entry;
extern const struct cmd_entry cmd_drill_entry, cmd_drill_probe_entry;

/* Every command, in the order --help lists them. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_backup_entry,
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_verify_entry,
	&cmd_check_entry,
	&cmd_restore_entry,
	&cmd_drill_entry,
	&cmd_delete_entry,
	&cmd_upload_entry,
	&cmd_download_entry,
	&cmd_copy_entry,
	&cmd_sync_entry,
	&cmd_cleanup_entry,
	&cmd_pin_entry,
	&cmd_unpin_entry,
	&cmd_config_entry,
	&cmd_health_entry,
	&cmd_metrics_entry,
	&cmd_demo_entry,
	&cmd_tui_entry,
	&cmd_drill_probe_entry,
	NULL,
};
