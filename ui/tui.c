/*
 * DESIGN
 * The UI thread runs tui_run(): it owns curses, the model and the screen
 * stack. The engine's workers do all I/O (listing, status, backups, ...)
 * and report through events; the loop polls the terminal, the engine's
 * wake-up pipe and a self-pipe for signals together, so it never blocks on
 * anything but poll(). Worker threads are created with the terminal
 * signals blocked, so SIGWINCH, SIGTERM and SIGINT reach this thread only.
 *
 * Each round: drain the engine's events and merge them into the model,
 * then hand each to every screen (the restore wizard follows its own
 * jobs); read keys and give them to the top screen; on KEY_RESIZE lay
 * everything out again; draw when something changed. Curses sends only
 * the cells that differ, and the list draws only its visible rows, so a
 * catalog of 10,000 backups costs what a screenful costs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "jobs/job-transfer.h"
#include "ui/tui.h"

/* The terminal state is process-wide; these let the exit paths restore it. */
static volatile sig_atomic_t tui_curses_active;
static int tui_sigpipe[2] = { -1, -1 };
static SCREEN *tui_screen;

static void
tui_on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	if (tui_sigpipe[1] >= 0)
		(void)!write(tui_sigpipe[1], &c, 1);
	errno = saved;
}

/* A crash must not leave the operator's terminal in raw mode. */
static void
tui_on_crash(int sig)
{
	if (tui_curses_active)
		endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
tui_at_exit(void)
{
	if (tui_curses_active) {
		endwin();
		tui_curses_active = 0;
	}
}

/* --- messages --- */

void
tui_message(struct tui *t, int color, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->message, sizeof t->message, fmt, ap);
	va_end(ap);
	t->message_color = color;
	t->message_until = tui_clock() + 6;
	model_log(&t->m, color == COL_BAD ? VS_LOG_ERROR : color == COL_WARN ? VS_LOG_WARN :
	    VS_LOG_INFO, "%s", t->message);
	t->dirty = true;
}

/* --- jobs --- */

unsigned
tui_submit(struct tui *t, const struct job_type *type, void *args, bool visible,
    const char *title, const char *backup)
{
	unsigned id = engine_submit(t->eng, type, args);
	size_t nvisible = 0;

	model_job_add(&t->m, id, type, visible, title, backup);
	if (visible) {
		/* Keep at most eight finished panes: the oldest go first. */
		for (size_t i = 0; i < t->m.njobs; i++)
			if (t->m.jobs[i].visible && t->m.jobs[i].finished)
				nvisible++;
		for (size_t i = 0; i < t->m.njobs && nvisible > 8;) {
			if (t->m.jobs[i].visible && t->m.jobs[i].finished) {
				model_job_remove(&t->m, i);
				nvisible--;
			} else {
				i++;
			}
		}
		model_log(&t->m, VS_LOG_INFO, _("started: %s"), title);
		tui_layout(t);
	}
	t->dirty = true;
	return id;
}

static bool
tui_job_pending(struct tui *t, const struct job_type *type)
{
	for (size_t i = 0; i < t->m.njobs; i++)
		if (t->m.jobs[i].type == type && !t->m.jobs[i].finished)
			return true;
	return false;
}

void
tui_refresh_catalog(struct tui *t)
{
	struct job_list_args *a;

	if (tui_job_pending(t, &job_list_type)) {
		t->catalog_again = true;
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->locations = config_location_all(t->cfg);
	t->m.cat_loading = true;
	t->last_list = tui_clock();
	tui_submit(t, &job_list_type, a, false, "list", NULL);
}

void
tui_refresh_status(struct tui *t, bool count_keys)
{
	struct tui_status_args *a;
	double now = tui_clock();

	if (tui_job_pending(t, &tui_status_type)) {
		t->status_again |= count_keys;
		return;
	}
	a = xcalloc(1, sizeof *a);
	a->count_keys = count_keys;
	a->s3_credentials = t->last_creds == 0 || now - t->last_creds >= TUI_CREDS_SECONDS;
	t->m.status_loading = true;
	t->last_status = now;
	if (count_keys)
		t->last_count = now;
	if (a->s3_credentials)
		t->last_creds = now;
	tui_submit(t, &tui_status_type, a, false, "status", NULL);
}

/* What the clock asks for: the status every few seconds (DBSIZE and INFO
 * are cheap), the key counts now and then or when DBSIZE moved, S3's list
 * every few minutes (backup_dir is read again when it changes). */
static void
tui_refresh_due(struct tui *t, double now)
{
	bool count = now - t->last_count >= TUI_COUNT_SECONDS ||
	    (t->m.counts_stale && now - t->last_count >= TUI_COUNT_MIN_SECONDS);

	if (now - t->last_status >= TUI_STATUS_SECONDS)
		tui_refresh_status(t, count);
	if (config_location_remote(t->cfg) != 0 && now - t->last_list >= TUI_S3_LIST_SECONDS)
		tui_refresh_catalog(t);
}

void
tui_cancel_job(struct tui *t, unsigned id)
{
	struct tui_job *j = model_job_find(&t->m, id);

	if (j == NULL || j->finished || j->cancelling)
		return;
	engine_cancel(t->eng, id);
	j->cancelling = true;
	if (j->visible)
		model_log(&t->m, VS_LOG_INFO, j->running && (j->type->flags & JOB_ROLLS_BACK) ?
		    _("cancelling: %s (what it changed is rolled back)") : _("cancelling: %s"), j->title);
	t->dirty = true;
}

void
tui_quit(struct tui *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->m.njobs; i++) {
		struct tui_job *j = &t->m.jobs[i];

		if (j->visible && !j->finished) {
			tui_cancel_job(t, j->id);
			n++;
		}
	}
	if (n == 0) {
		t->quit = true;
		return;
	}
	/* The screen stays: the operator sees the rollback, not a wait. */
	t->quitting = true;
	t->quit_at = tui_clock();
	tui_message(t, COL_WARN, "%s", _("quitting once the running jobs have stopped (a restore "
	    "rolls back first)"));
}

/* --- drawing --- */

static void
tui_draw(struct tui *t)
{
	int base = 0;

	for (int i = t->nstack - 1; i >= 0; i--)
		if (!t->stack[i]->type->overlay) {
			base = i;
			break;
		}
	erase();
	if (t->lay.too_small) {
		draw_text(0, 0, COLS, theme_attr(COL_WARN),
		    _("The terminal is too small: vsbackup needs at least 50x12 (80x24 is best)."));
		draw_text(1, 0, COLS, A_NORMAL, _("Make the window larger, or press q to quit."));
	} else {
		for (int i = base; i < t->nstack; i++)
			t->stack[i]->type->draw(t, t->stack[i]);
	}
	wnoutrefresh(stdscr);
	doupdate();
	t->dirty = false;
	if (!t->first_paint_done) {
		t->first_paint_done = true;
		if (t->timings != NULL) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			fprintf(t->timings, "first_paint %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
			fflush(t->timings);
		}
	}
}

static bool
tui_animating(const struct tui *t)
{
	return t->m.cat_loading || t->m.status_loading || model_jobs_running(&t->m, false) > 0 ||
	    t->message_until > 0;
}

/* Read every waiting key and hand it on. */
static void
tui_handle_keys(struct tui *t)
{
	wint_t wc;
	int r;

	while ((r = get_wch(&wc)) != ERR) {
		struct tui_event ev = { .type = TUI_EV_KEY, .key = (int)wc, .fkey = r == KEY_CODE_YES };

		if (ev.fkey && wc == KEY_RESIZE) {
			tui_layout(t);
			continue;
		}
		if (t->lay.too_small && !ev.fkey && (wc == 'q' || wc == 3)) {
			if (model_jobs_running(&t->m, true) == 0)
				t->quit = true;
		}
		if (t->nstack > 0) {
			struct screen *top = t->stack[t->nstack - 1];

			tui_flags(t, top, top->type->event(t, top, &ev));
		}
		if (t->quit)
			return;
	}
}

static int
tui_init_terminal(void)
{
	if ((tui_screen = newterm(NULL, stdout, stdin)) == NULL)
		return -1;
	tui_curses_active = 1;
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	theme_init();
	return 0;
}

/* After the screen is gone: how the jobs with a pane that quitting
 * cancelled ended (a restore may have rolled back), on stderr where the
 * operator sees it. The TUI's own background jobs are not reported.
 * Returns true when one of them failed rather than stopped cleanly (a
 * rollback that failed, say). */
static bool
tui_report_unfinished(struct tui *t)
{
	struct engine_event *evs = engine_drain(t->eng);
	bool failed = false;

	/* Those that stopped while the screen showed them stopping. */
	for (size_t i = 0; t->quitting && i < t->m.njobs; i++) {
		const struct tui_job *j = &t->m.jobs[i];

		if (!j->visible || !j->finished || j->status == 0 || j->ended < t->quit_at)
			continue;
		fprintf(stderr, "vsbackup: %s: %s\n", j->type->name, j->error);
		if (!j->cancelled)
			failed = true;
	}
	for (struct engine_event *ev = evs; ev != NULL; ev = ev->next) {
		struct tui_job *j = model_job_find(&t->m, ev->job);

		if (ev->type != ENGINE_EV_DONE || ev->status == 0 || j == NULL || !j->visible)
			continue;
		fprintf(stderr, "vsbackup: %s: %s\n", ev->jtype->name, ev->err.msg);
		if (ev->err.code != VS_ERR_CANCELLED)
			failed = true;
	}
	engine_event_free_list(evs);
	return failed;
}

int
tui_run(const struct config *cfg)
{
	struct tui t;
	struct sigaction sa, old_int, old_term, old_hup;
	sigset_t block, old_mask;
	const char *timings = getenv("VSBACKUP_TUI_TIMINGS");
	double last_tick;
	int got_signal = 0;
	bool unfinished_failed = false;

	memset(&t, 0, sizeof t);
	t.cfg = cfg;
	model_init(&t.m, cfg);
	if (timings != NULL && *timings != '\0')
		t.timings = fopen(timings, "a");

	if (pipe(tui_sigpipe) != 0) {
		log_release(NULL);
		fprintf(stderr, _("vsbackup: cannot create a pipe: %s\n"), strerror(errno));
		return VS_EXIT_FAILURE;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(tui_sigpipe[i], F_SETFL, fcntl(tui_sigpipe[i], F_GETFL) | O_NONBLOCK);
		fcntl(tui_sigpipe[i], F_SETFD, FD_CLOEXEC);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tui_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
#ifndef VS_DEBUG
	/* Debug builds leave these to AddressSanitizer, whose report matters more. */
	signal(SIGSEGV, tui_on_crash);
	signal(SIGBUS, tui_on_crash);
	signal(SIGFPE, tui_on_crash);
#endif
	signal(SIGABRT, tui_on_crash);
	atexit(tui_at_exit);

	/* Messages of the process log must not scribble over the screen. */
	log_set_stderr(0);
	if (tui_init_terminal() != 0) {
		log_set_stderr(1);
		log_release(NULL);
		fprintf(stderr, _("vsbackup: cannot start the terminal interface (TERM=%s); "
		                  "use the commands instead: vsbackup --help\n"),
		    getenv("TERM") ? getenv("TERM") : "");
		return VS_EXIT_FAILURE;
	}

	/* What was said before the terminal was ours (warnings about the
	 * configuration) goes to the log pane. */
	{
		struct log_held *held;
		size_t nheld = log_release(&held);

		for (size_t i = 0; i < nheld; i++) {
			model_log(&t.m, held[i].level, "%s", held[i].text);
			free(held[i].text);
		}
		free(held);
	}

	/* First paint, before any answer from a job. */
	tui_push(&t, screen_main_new(&t));
	t.m.cat_loading = true;
	t.m.status_loading = true;
	tui_layout(&t);
	tui_draw(&t);

	/* Workers inherit the mask: terminal signals stay with this thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	t.eng = engine_new(cfg, 4);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

	tui_refresh_catalog(&t);
	tui_refresh_status(&t, true);
	last_tick = tui_clock();

	while (!t.quit) {
		struct pollfd pfd[3] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = engine_fd(t.eng), .events = POLLIN },
			{ .fd = tui_sigpipe[0], .events = POLLIN },
		};
		int timeout = tui_animating(&t) ? 100 : 1000;
		double now;

		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[2].revents & POLLIN) {
			unsigned char c;

			while (read(tui_sigpipe[0], &c, 1) == 1)
				got_signal = c;
			/* A first INT or TERM stops the jobs in view, as q does; a
			 * second one, or a hangup (no terminal left), leaves now. */
			if (got_signal && (got_signal == SIGHUP || t.quit_signal != 0))
				break;
			if (got_signal) {
				t.quit_signal = got_signal;
				tui_quit(&t);
			}
		}
		tui_handle_engine(&t);
		/* After EINTR too: a SIGWINCH makes get_wch() return KEY_RESIZE. */
		tui_handle_keys(&t);
		if (t.quitting && model_jobs_running(&t.m, true) == 0)
			t.quit = true;
		if (t.quit)
			break;
		now = tui_clock();
		if (now - last_tick >= 0.1) {
			struct tui_event tick = { .type = TUI_EV_TICK };

			last_tick = now;
			t.tick++;
			if (t.message_until > 0 && now > t.message_until) {
				t.message_until = 0;
				t.dirty = true;
			}
			if (tui_animating(&t))
				t.dirty = true;
			tui_broadcast(&t, &tick);
		}
		/* Ages and expiries move with the clock; Redis changes under us. */
		if (t.m.cat_loaded && now - t.last_eval >= 30) {
			t.last_eval = now;
			model_evaluate(&t.m, time_now());
			model_apply_view(&t.m);
			{
				struct tui_event mev = { .type = TUI_EV_MODEL };

				tui_broadcast(&t, &mev);
			}
			t.dirty = true;
		}
		tui_refresh_due(&t, now);
		if (t.dirty)
			tui_draw(&t);
	}

	/* Leave the terminal first: cancelling running jobs may take a moment. */
	endwin();
	tui_curses_active = 0;
	log_set_stderr(1);
	if (got_signal)
		fprintf(stderr, _("vsbackup: %s: cancelling running jobs and exiting\n"),
		    strsignal(got_signal));
	else if (t.quitting || model_jobs_running(&t.m, true) > 0)
		fprintf(stderr, _("vsbackup: cancelling running jobs\n"));
	engine_stop(t.eng);
	unfinished_failed = tui_report_unfinished(&t);
	engine_free(t.eng);
	while (t.nstack > 0)
		tui_pop_screen(&t, t.stack[t.nstack - 1]);
	model_free(&t.m);
	if (t.timings != NULL)
		fclose(t.timings);
	delscreen(tui_screen);
	tui_screen = NULL;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	close(tui_sigpipe[0]);
	close(tui_sigpipe[1]);
	tui_sigpipe[0] = tui_sigpipe[1] = -1;
	if (got_signal)
		return 128 + (t.quit_signal ? t.quit_signal : got_signal);
	return unfinished_failed ? VS_EXIT_FAILURE : VS_EXIT_OK;
}
