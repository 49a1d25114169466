#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/run-job.h"
#include "common/format.h"
#include "common/i18n.h"
#include "common/xmalloc.h"

static volatile sig_atomic_t cli_interrupts;

static void
cli_on_signal(int sig)
{
	(void)sig;
	cli_interrupts++;
	if (cli_interrupts >= 2)
		_exit(130);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
cli_print_json(cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);

	if (s == NULL)
		fatal("out of memory printing JSON");
	printf("%s\n", s);
	fflush(stdout);
	cJSON_free(s);
	cJSON_Delete(obj);
}

struct bar {
	bool shown;
	char phase[128];
	double phase_start;
	double last_draw;
	uint64_t done, total;
	bool bytes;
};

static int
term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static void
bar_clear(struct bar *b)
{
	if (b->shown) {
		fputs("\r\033[K", stderr);
		b->shown = false;
	}
}

static void
bar_draw(struct bar *b, bool force)
{
	double t = now_seconds(), elapsed = t - b->phase_start;
	char left[160], right[96], rate[32] = "", eta[32] = "";
	int width = term_width(), barw;

	if (!force && t - b->last_draw < 0.1)
		return;
	b->last_draw = t;
	snprintf(left, sizeof left, "%.40s", b->phase);
	if (b->total > 0) {
		double frac = (double)b->done / (double)b->total;

		if (frac > 1)
			frac = 1;
		if (b->bytes && elapsed > 0.2) {
			char r[24];

			format_bytes((uint64_t)((double)b->done / elapsed), r, sizeof r);
			snprintf(rate, sizeof rate, "%s/s", r);
			if (b->done > 0 && b->done < b->total) {
				double rem = elapsed * (double)(b->total - b->done) / (double)b->done;

				snprintf(eta, sizeof eta, _("ETA %d:%02d"), (int)rem / 60, (int)rem % 60);
			}
		}
		snprintf(right, sizeof right, "%3d%% %s %s", (int)(frac * 100), rate, eta);
		barw = width - (int)strlen(left) - (int)strlen(right) - 6;
		if (barw > 40)
			barw = 40;
		fprintf(stderr, "\r\033[K%s [", left);
		for (int i = 0; i < barw; i++)
			fputc(i < (int)(frac * barw) ? '#' : '.', stderr);
		fprintf(stderr, "] %s", right);
	} else {
		static const char spin[] = "|/-\\";

		fprintf(stderr, "\r\033[K%s %c", left, spin[(int)(t * 8) % 4]);
	}
	fflush(stderr);
	b->shown = true;
}

static void
emit_json_event(const struct engine_event *ev)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "job", ev->jtype->name);
	switch (ev->type) {
	case ENGINE_EV_PROGRESS:
		cJSON_AddStringToObject(o, "event", "progress");
		cJSON_AddStringToObject(o, "phase", ev->phase);
		cJSON_AddNumberToObject(o, "done", (double)ev->done);
		cJSON_AddNumberToObject(o, "total", (double)ev->total);
		cJSON_AddStringToObject(o, "unit", ev->bytes ? "bytes" : "items");
		break;
	case ENGINE_EV_LOG:
		cJSON_AddStringToObject(o, "event", "log");
		cJSON_AddStringToObject(o, "level", log_level_name(ev->level));
		cJSON_AddStringToObject(o, "message", ev->text);
		break;
	case ENGINE_EV_DONE:
		cJSON_Delete(o);
		return; /* the command prints its own result */
	}
	cli_print_json(o);
}

struct engine_event *
cli_run_job(struct cmd_ctx *ctx, const struct job_type *type, void *args)
{
	struct engine *eng = engine_new(ctx->cfg, 1);
	struct engine_event *done = NULL;
	struct sigaction sa, old_int, old_term;
	bool tty = isatty(STDERR_FILENO) && !ctx->json && !ctx->quiet;
	/* Long work streams its events as JSON lines; a command that prints
	 * one document (list, show, cleanup) keeps stdout for it alone. */
	bool stream = ctx->json && ctx->stream_events;
	struct bar bar = { 0 };
	unsigned id;
	int seen_interrupts = 0;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cli_on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	/* Interrupted during an earlier job of this command (a restore's
	 * plan): the command ends, this job is cancelled before it starts. */
	seen_interrupts = cli_interrupts;
	id = engine_submit(eng, type, args);
	if (seen_interrupts > 0)
		engine_cancel(eng, id);
	while (done == NULL) {
		struct engine_event *evs, *ev, *next;

		engine_wait(eng, 100);
		if (cli_interrupts > seen_interrupts) {
			seen_interrupts = cli_interrupts;
			bar_clear(&bar);
			fprintf(stderr, _("vsbackup: interrupted: cancelling %s and cleaning up "
			                  "(press Ctrl-C again to exit at once)\n"), type->name);
			engine_cancel(eng, id);
		}
		evs = engine_drain(eng);
		for (ev = evs; ev != NULL; ev = next) {
			next = ev->next;
			if (stream)
				emit_json_event(ev);
			switch (ev->type) {
			case ENGINE_EV_PROGRESS:
				if (strcmp(bar.phase, ev->phase) != 0) {
					snprintf(bar.phase, sizeof bar.phase, "%s", ev->phase);
					bar.phase_start = now_seconds();
				}
				bar.done = ev->done;
				bar.total = ev->total;
				bar.bytes = ev->bytes;
				if (tty)
					bar_draw(&bar, false);
				break;
			case ENGINE_EV_LOG:
				/* The log file and syslog keep every line, also
				 * with --json and -q. */
				if (stream || ev->level > log_get_level()) {
					log_record(ev->level, ev->jtype->name, NULL, ev->text);
					break;
				}
				bar_clear(&bar);
				log_event(ev->level, ev->jtype->name, NULL, ev->text);
				if (tty && bar.phase[0])
					bar_draw(&bar, true);
				break;
			case ENGINE_EV_DONE:
				done = ev;
				ev->next = NULL;
				continue;
			}
			engine_event_free(ev);
		}
		if (tty && bar.shown)
			bar_draw(&bar, false);
	}
	bar_clear(&bar);
	engine_free(eng);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return done;
}

int
cli_report_failure(struct cmd_ctx *ctx, const struct engine_event *done)
{
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "event", "error");
		cJSON_AddStringToObject(o, "job", done->jtype->name);
		cJSON_AddStringToObject(o, "code", error_code_name(done->err.code));
		cJSON_AddStringToObject(o, "message", done->err.msg);
		cli_print_json(o);
	}
	fprintf(stderr, "vsbackup: %s\n", done->err.msg);
	log_record(VS_LOG_ERROR, done->jtype->name, NULL, done->err.msg);
	return error_exit_status(done->err.code);
}

int
cli_run(struct cmd_ctx *ctx, const struct job_type *type, void *args, struct engine_event **done)
{
	struct engine_event *ev = cli_run_job(ctx, type, args);
	int rc;

	if (ev->status == 0) {
		*done = ev;
		return 0;
	}
	rc = cli_report_failure(ctx, ev);
	engine_event_free(ev);
	*done = NULL;
	return rc;
}

void
cli_print_result(struct cmd_ctx *ctx, const struct engine_event *done, FILE *human)
{
	const struct job_type *type = done->jtype;
	char line[1024];

	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *r, *item;

		cJSON_AddStringToObject(o, "event", "result");
		if (type->to_json != NULL && done->result != NULL) {
			r = type->to_json(done->result);
			while ((item = r->child) != NULL) {
				cJSON_DetachItemViaPointer(r, item);
				cJSON_AddItemToObject(o, item->string, item);
			}
			cJSON_Delete(r);
		}
		cli_print_json(o);
		return;
	}
	if (ctx->quiet || human == NULL)
		return;
	if (type->describe != NULL && done->result != NULL)
		type->describe(done->result, line, sizeof line);
	else
		snprintf(line, sizeof line, _("%s: done"), type->name);
	/* On stderr a line is the program's message, named as such. */
	fprintf(human, "%s%s\n", human == stderr ? "vsbackup: " : "", line);
}
