/*
 * The ncurses front end: one UI thread that owns the terminal, an engine
 * whose workers do every piece of I/O, and a stack of screens.
 *
 * Screens are objects: an event handler that returns flags (handled,
 * redraw, resize, quit, close) and a draw function. They never call each
 * other: a screen that wants another one (a dialog, help, the restore
 * wizard) asks the application with tui_open_*(), and a dialog's answer
 * comes back to the application as a struct tui_action, which tui_act()
 * turns into engine jobs. Engine events update the model first
 * (model.c), then every screen sees them, so the wizard can follow its own
 * jobs. One function, tui_layout(), computes every rectangle from
 * LINES/COLS; the draw functions only read it.
 */
#ifndef VS_TUI_H
#define VS_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curses.h>

#include "common/format.h"
#include "config/conf.h"
#include "engine/engine.h"
#include "jobs/jobs.h"
#include "retention/retention.h"
#include "ui/tui-jobs.h"

/* --- theme: colours by meaning, glyphs by terminal (theme.c) --- */

/* element, foreground, background, colour attributes, monochrome attributes */
#define TUI_COLORS(X)                                                           \
	X(COL_NORMAL, -1, -1, A_NORMAL, A_NORMAL)                               \
	X(COL_TITLE, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE)                \
	X(COL_PANE, COLOR_CYAN, -1, A_NORMAL, A_NORMAL)                         \
	X(COL_PANE_FOCUS, COLOR_CYAN, -1, A_BOLD, A_BOLD)                       \
	X(COL_HEADING, -1, -1, A_BOLD, A_BOLD)                                  \
	X(COL_SELECTED, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)           \
	X(COL_SELECTED_DIM, COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_UNDERLINE)    \
	X(COL_OK, COLOR_GREEN, -1, A_NORMAL, A_NORMAL)                          \
	X(COL_WARN, COLOR_YELLOW, -1, A_BOLD, A_BOLD)                           \
	X(COL_BAD, COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE)                 \
	X(COL_DIM, COLOR_BLUE, -1, A_BOLD, A_DIM)                               \
	X(COL_BAR_DONE, COLOR_GREEN, -1, A_NORMAL, A_NORMAL)                    \
	X(COL_BAR_TODO, COLOR_BLUE, -1, A_BOLD, A_DIM)                          \
	X(COL_KEY, COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)                \
	X(COL_KEY_LABEL, -1, -1, A_NORMAL, A_NORMAL)                            \
	X(COL_DIALOG, -1, -1, A_NORMAL, A_NORMAL)                               \
	X(COL_DIALOG_TITLE, COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE)         \
	X(COL_INPUT, COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_UNDERLINE)

enum tui_color {
#define X(name, fg, bg, attr, mono) name,
	TUI_COLORS(X)
#undef X
	COL__COUNT
};

/* Line drawing and symbols: UTF-8 when the locale's codeset is UTF-8,
 * else ASCII (also forced by VSBACKUP_ASCII=1). */
struct tui_glyphs {
	const char *hline, *vline, *bar_done, *bar_todo, *tick, *cross, *arrow,
	    *pending, *up, *down, *ellipsis, *warn, *tl, *tr, *bl, *br;
	const char *const *spinner;
	int nspinner;
};

/* Set up colours (none when NO_COLOR is set or the terminal has none) and
 * glyphs; after initscr(). */
void theme_init(void);
attr_t theme_attr(enum tui_color c);
const struct tui_glyphs *theme_glyphs(void);
bool theme_utf8(void);

/* --- drawing helpers (draw.c); every x/y is a screen position --- */

/* Draw s (UTF-8) at y,x in at most w columns; returns columns used.
 * Text that does not fit ends in an ellipsis. */
int draw_text(int y, int x, int w, attr_t attr, const char *s);
/* As draw_text, right-aligned in w columns. */
int draw_text_right(int y, int x, int w, attr_t attr, const char *s);
/* printf-style draw_text. */
int draw_printf(int y, int x, int w, attr_t attr, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Display columns of a UTF-8 string. */
int draw_width(const char *s);
/* Fill w columns with spaces (or a glyph repeated). */
void draw_fill(int y, int x, int w, attr_t attr, const char *glyph);
/* A pane's top rule with a title, in the focus colour when focused. */
void draw_rule(int y, int x, int w, const char *title, bool focus);
/* A progress bar of w columns for frac in [0, 1]. */
void draw_bar(int y, int x, int w, double frac);
/* A framed box with a title (dialogs), cleared inside. */
void draw_box(int y, int x, int h, int w, const char *title);
/* Draw s at y,x, ending before column end; returns the column after it. */
int draw_seg(int y, int x, int end, attr_t a, const char *s);
/* Draw s word-wrapped in w columns, at most maxrows rows; returns the rows
 * used (with y < 0, only counts them). */
int draw_wrapped(int y, int x, int w, int maxrows, attr_t attr, const char *s);

struct tui;
/* The spinner's frame for the current tick. */
const char *draw_spinner(const struct tui *t);

/* Formatting shared by the screens. */
void fmt_local_time_short(time_t t, char *out, size_t outsz);
void fmt_duration(double seconds, char *out, size_t outsz);
double tui_clock(void);

/* --- the model (model.c) --- */

enum tui_sort {
	SORT_CREATED,
	SORT_TYPE,
	SORT_SIZE,
	SORT_WHERE,
	SORT_VERIFIED,
	SORT_RETENTION,
	SORT__COUNT
};

enum verify_state { VERIFY_NONE, VERIFY_OK, VERIFY_FAILED };

struct tui_row {
	struct catalog_entry *e;
	const struct catalog_copy *best;
	enum backup_type type;
	bool type_known;
	unsigned missing;             /* parts the best copy lacks (catalog_copy_missing) */
	bool safety;                  /* a pre-restore safety backup */
	time_t created;               /* 0 unknown */
	uint64_t size;
	enum verify_state vstate;
	bool vdeep;
	time_t vat;
	struct retention_item item;
	struct retention_decision ret;
	const struct config_retention *policy;
	size_t policy_loc;            /* the location whose decision the row shows */
	char where[160];              /* catalog_where() */
	char ret_short[64];
	int ret_color;                /* enum tui_color */
	char search[160];             /* what the filter matches against */
};

/* A job the UI submitted, with its progress merged from events. */
struct tui_job {
	unsigned id;
	const struct job_type *type;
	bool visible;                 /* has a job pane (user actions) */
	bool visible_hidden;          /* finished, older than the ones the pane shows */
	char title[96];
	char backup[BACKUP_ID_SIZE];
	bool running, finished;
	bool cancelled;               /* finished because it was cancelled */
	bool cancelling;              /* asked to stop (a restore rolls back meanwhile) */
	int status;
	char error[VS_ERROR_MSG_MAX];
	char result_text[160];
	char phase[128];
	uint64_t done, total;
	bool bytes;
	int step, nsteps;
	double submitted, started, phase_started, ended;
	uint64_t phase_base;          /* done at the start of the phase */
	double rate;                  /* bytes/s in the current phase, 0 unknown */
	uint64_t bytes_moved;         /* bytes over all phases (for throughput) */
	double bytes_seconds;         /* seconds spent moving them */
};

#define TUI_LOG_MAX 2000
struct tui_logline {
	time_t at;
	enum log_level level;
	char *text;
};

struct tui_model {
	const struct config *cfg;
	/* catalog */
	struct catalog *cat;
	bool cat_loading, cat_loaded;
	char *cat_error;
	struct tui_row *rows;
	size_t nrows;
	size_t *view;                 /* indexes into rows, sorted and filtered */
	size_t nview;
	enum tui_sort sort;
	bool sort_reverse;
	char filter[64];
	time_t evaluated_at;
	/* status */
	struct tui_status *status;   /* its health report completed by model_health */
	bool status_loading;
	bool counts_stale;            /* DBSIZE moved since the keys were counted */
	uint64_t counted_dbsize;      /* DBSIZE when they were */
	bool dir_changed;             /* backup_dir changed since the last status */
	/* jobs, oldest first */
	struct tui_job *jobs;
	size_t njobs;
	/* log ring */
	struct tui_logline log[TUI_LOG_MAX];
	size_t log_start, log_n;
	unsigned log_seq;             /* bumped on each new line */
	char *last_bg_line;           /* the last line a background job logged */
};

void model_init(struct tui_model *m, const struct config *cfg);
void model_free(struct tui_model *m);
/* Take a new catalog (the model owns it) and recompute rows, retention,
 * order and filter. */
void model_set_catalog(struct tui_model *m, struct catalog *cat, time_t now);
/* Recompute retention (after a job started or ended, or time passed). */
void model_evaluate(struct tui_model *m, time_t now);
/* Re-sort and re-filter the view. */
void model_apply_view(struct tui_model *m);
/* Index in view of the backup id, or -1. */
long model_find_view(const struct tui_model *m, const char *id);
/* The row shown at view position i. */
struct tui_row *model_view_row(struct tui_model *m, size_t i);
struct tui_row *model_find_row(struct tui_model *m, const char *id);
/* The newest backup that counts for the RPO (catalog_newest: complete,
 * every part, not a safety backup), or NULL. */
const struct tui_row *model_newest_complete(const struct tui_model *m);

/* Take a new status (the model owns it). One that did not count the keys
 * keeps the last counts; counts_stale says when DBSIZE moved since, and
 * dir_changed when backup_dir did. */
void model_set_status(struct tui_model *m, struct tui_status *s);
/* Complete the status's health report with the checks on the backups
 * (ops/health.h), after the catalog or the status changed: the header
 * shows exactly what 'vsbackup health' says. */
void model_health(struct tui_model *m);
/* A restore is running (the header says so while Redis is down). */
bool model_restoring(const struct tui_model *m);

struct tui_job *model_job_add(struct tui_model *m, unsigned id, const struct job_type *type,
    bool visible, const char *title, const char *backup);
struct tui_job *model_job_find(struct tui_model *m, unsigned id);
void model_job_remove(struct tui_model *m, size_t i);
/* Merge a progress or done event into its job record. */
void model_job_event(struct tui_model *m, const struct engine_event *ev, double now);
size_t model_jobs_running(const struct tui_model *m, bool visible_only);
bool model_backup_busy(const struct tui_model *m, const char *id);

void model_log(struct tui_model *m, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Line i of the log, 0 the oldest kept. */
const struct tui_logline *model_log_line(const struct tui_model *m, size_t i);

const char *sort_name(enum tui_sort s);

/* --- screens --- */

enum {
	SCR_HANDLED = 1 << 0,   /* the event was used */
	SCR_REDRAW = 1 << 1,    /* draw again */
	SCR_RESIZE = 1 << 2,    /* lay out again (sizes of panes changed) */
	SCR_QUIT = 1 << 3,      /* leave the program */
	SCR_CLOSE = 1 << 4,     /* remove this screen from the stack */
};

enum tui_event_type {
	TUI_EV_KEY,             /* key from wgetch (wint_t or KEY_*) */
	TUI_EV_JOB,             /* an engine event (already merged into the model) */
	TUI_EV_TICK,            /* a tenth of a second passed (animations) */
	TUI_EV_MODEL,           /* catalog or status changed */
};

struct tui_event {
	enum tui_event_type type;
	int key;
	bool fkey;              /* key is a KEY_* code, not a character */
	struct engine_event *job; /* a screen that keeps the result takes it
	                             (sets job->result to NULL) */
};

struct tui;
struct screen;

struct screen_type {
	const char *name;
	bool overlay;           /* drawn over the screens below it */
	int (*event)(struct tui *t, struct screen *s, const struct tui_event *ev);
	void (*draw)(struct tui *t, struct screen *s);
	void (*free)(struct screen *s);
};

struct screen {
	const struct screen_type *type;
	void *data;
};

struct screen *screen_main_new(struct tui *t);
struct screen *screen_help_new(struct tui *t);
struct screen *screen_log_new(struct tui *t);
struct screen *screen_cleanup_new(struct tui *t);
struct screen *screen_restore_new(struct tui *t, const char *id);
/* The wizard undoing the last restore: on safety backup id, from its checks. */
struct screen *screen_restore_undo(struct tui *t, const char *id);

/* --- actions: what a dialog or a key asks the application to do --- */

enum tui_action_kind {
	ACT_NONE,
	ACT_BACKUP,
	ACT_VERIFY,
	ACT_DELETE,
	ACT_PIN,
	ACT_UPLOAD,
	ACT_DOWNLOAD,
	ACT_CLEANUP,
	ACT_QUIT,
	ACT_CANCEL_JOB,
	ACT_ROLLBACK,           /* restore --rollback: back to the safety backup */
	ACT_DRILL,
};

struct act_backup {
	bool by_schedule;       /* else type */
	enum backup_type type;
	bool upload;
};
struct act_verify {
	char id[BACKUP_ID_SIZE];
	bool deep;
	size_t location;        /* catalog location number */
};
struct act_delete {
	char id[BACKUP_ID_SIZE];
	unsigned locations;     /* bit i: catalog location i */
	bool confirmed;         /* the second question (what is lost) was answered */
};
struct act_pin {
	char id[BACKUP_ID_SIZE];
	bool pin;
	unsigned locations;
};
struct act_transfer {
	char id[BACKUP_ID_SIZE];
};
struct act_cleanup {
	time_t at;
	bool dry_run;
};
struct act_cancel {
	unsigned job;
};
struct act_drill {
	char id[BACKUP_ID_SIZE];
	size_t location;        /* catalog location number */
};

struct tui_action {
	enum tui_action_kind kind;
	union {
		struct act_backup backup;
		struct act_verify verify;
		struct act_delete del;
		struct act_pin pin;
		struct act_transfer transfer;
		struct act_cleanup cleanup;
		struct act_cancel cancel;
		struct act_drill drill;
	} u;
};

/* --- dialogs (screen-form.c): a few choice fields and a yes/no --- */

#define FORM_MAX_FIELDS 3
#define FORM_MAX_CHOICES 6
#define FORM_MAX_TEXT 4
struct form_field {
	const char *label;      /* translated */
	const char *choices[FORM_MAX_CHOICES]; /* copied when the form opens */
	int vals[FORM_MAX_CHOICES]; /* what each choice stands for (update reads it) */
	int nchoices;
	int value;              /* the chosen index */
};

struct form_spec {
	char title[96];
	char text[FORM_MAX_TEXT][256];
	struct form_field fields[FORM_MAX_FIELDS];
	int nfields;
	bool danger;            /* only 'y' accepts, Enter does not */
	struct tui_action action;
	/* When the dialog opens and after each change of a field: write the
	 * field values into action and let the text follow them. NULL: the
	 * action is complete as given. */
	void (*update)(struct tui *t, struct form_spec *f);
};

/* The value of field i's chosen choice. */
int form_value(const struct form_spec *f, int i);

struct screen *screen_form_new(struct tui *t, const struct form_spec *spec);

/* --- the application (tui.c) --- */

struct tui_rect {
	int y, x, h, w;
};

struct tui_layout {
	bool too_small;
	struct tui_rect header, list, detail, jobs, log, bar, dialog, full;
	bool detail_shown;      /* beside or below the list (else on Enter) */
	bool detail_beside;
	int job_rows;           /* lines of the jobs pane below its rule */
};

enum tui_focus { FOCUS_LIST, FOCUS_DETAIL, FOCUS_JOBS, FOCUS_LOG, FOCUS__COUNT };

#define TUI_MAX_SCREENS 8
#define TUI_FINISHED_SHOWN 3      /* finished jobs the jobs pane shows (one line each) */

/* How often the front end reads what changes under it (seconds). */
#define TUI_STATUS_SECONDS 3      /* Redis INFO and DBSIZE, the index files, the lock */
#define TUI_COUNT_SECONDS 60      /* keys per prefix (a SCAN of the database) */
#define TUI_COUNT_MIN_SECONDS 5   /* ... at most this often when DBSIZE moved */
#define TUI_CREDS_SECONDS 300     /* the S3 credentials */
#define TUI_S3_LIST_SECONDS 180   /* the list of backups in S3 */

struct tui {
	const struct config *cfg;
	struct engine *eng;
	struct tui_model m;
	struct screen *stack[TUI_MAX_SCREENS];
	int nstack;
	struct tui_layout lay;
	bool quit;
	bool quitting;          /* asked to quit: waiting for the cancelled jobs */
	int quit_signal;        /* the signal that asked, or 0 */
	double quit_at;         /* when */
	bool dirty;
	unsigned tick;
	double last_status;     /* when the status job was last submitted */
	double last_count;      /* when it last counted the keys */
	double last_creds;      /* when it last fetched the S3 credentials */
	double last_list;       /* when the list job was last submitted */
	bool status_again;      /* count the keys when the running status ends */
	bool catalog_again;     /* list once more when the running list job ends */
	double last_eval;
	/* a line of feedback shown in the shortcut bar */
	char message[256];
	int message_color;
	double message_until;
	/* the main screen's view state the layout needs */
	enum tui_focus focus;
	bool detail_zoom;       /* small terminal: the detail replaces the list */
	char select_hint[BACKUP_ID_SIZE]; /* select this backup once it is listed */
	/* where startup timings go (VSBACKUP_TUI_TIMINGS), or NULL */
	FILE *timings;
	bool first_paint_done;
};

/* Lay everything out again from LINES/COLS (layout.c). */
void tui_layout(struct tui *t);
/* The screen stack (stack.c). Push a screen (the stack owns it); pop and
 * free one; apply the flags a screen's handler returned (true: stop the
 * program); give an event to every screen, top first (a screen may close
 * itself). */
void tui_push(struct tui *t, struct screen *s);
void tui_pop_screen(struct tui *t, struct screen *s);
bool tui_flags(struct tui *t, struct screen *s, int flags);
void tui_broadcast(struct tui *t, const struct tui_event *ev);
/* Open a dialog / help / cleanup / restore wizard above the current screen. */
void tui_open_form(struct tui *t, const struct form_spec *spec);
void tui_open_help(struct tui *t);
void tui_open_cleanup(struct tui *t);
void tui_open_restore(struct tui *t, const char *id);
/* Carry out an action (submit jobs, quit, ...): actions.c. */
void tui_act(struct tui *t, const struct tui_action *a);
/* The dialogs that ask for an action (actions.c). */
void tui_ask_backup(struct tui *t);
void tui_ask_verify(struct tui *t, const struct tui_row *r);
void tui_ask_drill(struct tui *t, const struct tui_row *r);
void tui_ask_delete(struct tui *t, const struct tui_row *r);
void tui_ask_cancel(struct tui *t, const struct tui_job *j);
/* Undo the last restore: roll an interrupted one back (a yes/no), else
 * the wizard on the newest pre-restore safety backup, from its checks. */
void tui_ask_undo(struct tui *t);
/* Asks when jobs are running; true when the program may quit at once. */
bool tui_ask_quit(struct tui *t);
/* Cancel a job the UI submitted (logged by its title). */
void tui_cancel_job(struct tui *t, unsigned id);
/* Quit: at once when no job of the user's runs, else cancel them and
 * stay, showing how they stop (a restore rolls back), until they have. */
void tui_quit(struct tui *t);
/* Engine events into the model and the screens (events.c). */
void tui_handle_engine(struct tui *t);
/* Submit a job and record it; visible jobs get a pane. */
unsigned tui_submit(struct tui *t, const struct job_type *type, void *args, bool visible,
    const char *title, const char *backup);
/* Refresh the catalog / the status header (count_keys: also count the
 * keys per prefix, a scan of the whole database). */
void tui_refresh_catalog(struct tui *t);
void tui_refresh_status(struct tui *t, bool count_keys);
/* Show feedback in the shortcut bar for a few seconds (and log it). */
void tui_message(struct tui *t, int color, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Run the TUI until the user quits; returns the exit status. */
int tui_run(const struct config *cfg);

/* The key table's help, for the help screen and the shortcut bar. */
struct tui_keyhelp {
	const char *keyname;
	const char *bar;        /* short label for the bar, NULL: not in the bar */
	const char *help;
	const char *group;      /* the request's name ("help", "quit", ...) */
};
extern const struct tui_keyhelp tui_keyhelp[];
extern const size_t tui_nkeyhelp;

#endif
