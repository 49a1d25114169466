/*
 * DESIGN
 * The engine owns a queue of pending jobs, a list of running jobs and a
 * queue of events, all guarded by eng->lock. Worker threads take the first
 * pending job that may start (an exclusive job starts only when nothing
 * runs, and nothing starts while it runs), run it with the lock released,
 * and queue its DONE event. Jobs queue progress and log events under the
 * lock; a job's latest progress event is updated in place until the client
 * drains it, so a fast job cannot flood the queue. Whenever the event queue
 * turns non-empty one byte is written to a non-blocking pipe, which the
 * client polls; engine_drain() empties the pipe and swaps the queue out.
 * A job's cancel flag is atomic: the client sets it, the job polls it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "engine/engine.h"

enum job_state { JOB_PENDING, JOB_RUNNING };

struct job {
	unsigned id;
	const struct job_type *type;
	void *args;
	struct engine *eng;
	enum job_state state;
	atomic_bool cancelled;
	atomic_bool shielded;                 /* see job_shield() */
	char backup_id[BACKUP_ID_SIZE];
	const struct config *aimed;           /* see job_aim(); worker only */
	int step, nsteps;                     /* guarded by eng->lock */
	struct engine_event *queued_progress; /* guarded by eng->lock */
	struct job *next;
};

struct engine {
	const struct config *cfg;
	pthread_mutex_t lock;
	pthread_cond_t work;       /* signalled when a job may start */
	struct job *pending;       /* FIFO */
	struct job *running;
	struct engine_event *ev_head, *ev_tail;
	int pipe_rd, pipe_wr;
	bool stopping;
	bool stopped;              /* the workers are joined (engine_stop) */
	unsigned next_id;
	unsigned nworkers;
	pthread_t *workers;
};

static void
engine_wake(struct engine *eng)
{
	char c = 1;

	/* EAGAIN means a wake-up byte is already waiting: fine. */
	if (write(eng->pipe_wr, &c, 1) < 0 && errno != EAGAIN)
		fatal("engine wake-up pipe: %s", strerror(errno));
}

/* Append an event; called with eng->lock held. */
static void
engine_push_locked(struct engine *eng, struct engine_event *ev)
{
	bool was_empty = eng->ev_head == NULL;

	ev->next = NULL;
	if (eng->ev_tail != NULL)
		eng->ev_tail->next = ev;
	else
		eng->ev_head = ev;
	eng->ev_tail = ev;
	if (was_empty)
		engine_wake(eng);
}

static struct engine_event *
event_new(enum engine_event_type type, const struct job *job)
{
	struct engine_event *ev = xcalloc(1, sizeof *ev);

	ev->type = type;
	ev->job = job->id;
	ev->jtype = job->type;
	return ev;
}

static void
list_remove(struct job **head, struct job *job)
{
	for (struct job **p = head; *p != NULL; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			job->next = NULL;
			return;
		}
	}
}

static bool
running_exclusive(const struct engine *eng)
{
	for (const struct job *j = eng->running; j != NULL; j = j->next)
		if (j->type->flags & JOB_EXCLUSIVE)
			return true;
	return false;
}

/* The first pending job allowed to start now, or NULL. Lock held. */
static struct job *
next_runnable(struct engine *eng)
{
	if (running_exclusive(eng))
		return NULL;
	for (struct job *j = eng->pending; j != NULL; j = j->next) {
		if ((j->type->flags & JOB_EXCLUSIVE) && eng->running != NULL)
			return NULL; /* keep FIFO order behind an exclusive job */
		return j;
	}
	return NULL;
}

static void
job_free(struct job *job)
{
	if (job->type->free_args != NULL && job->args != NULL)
		job->type->free_args(job->args);
	free(job);
}

/* Queue the DONE event of a job that ran or was dropped, and free it. */
static void
job_finish_locked(struct engine *eng, struct job *job, int status, void *result,
    const struct vs_error *err)
{
	struct engine_event *ev = event_new(ENGINE_EV_DONE, job);

	ev->status = status;
	ev->result = result;
	if (status != 0)
		ev->err = *err;
	else
		error_clear(&ev->err);
	job->queued_progress = NULL;
	engine_push_locked(eng, ev);
	job_free(job);
}

static void *
engine_worker(void *arg)
{
	struct engine *eng = arg;

	pthread_mutex_lock(&eng->lock);
	for (;;) {
		struct job *job;
		struct vs_error err;
		void *result = NULL;
		int status;

		while (!eng->stopping && (job = next_runnable(eng)) == NULL)
			pthread_cond_wait(&eng->work, &eng->lock);
		if (eng->stopping)
			break;
		list_remove(&eng->pending, job);
		job->state = JOB_RUNNING;
		job->next = eng->running;
		eng->running = job;
		pthread_mutex_unlock(&eng->lock);

		error_clear(&err);
		if (atomic_load(&job->cancelled))
			status = job_cancel_error(&err);
		else
			status = job->type->run(job, job->args, &result, &err);
		if (status == 0 && atomic_load(&job->cancelled) && result == NULL)
			status = job_cancel_error(&err);
		if (status != 0 && err.code == VS_OK)
			error_set(&err, VS_ERR_FAILED, _("%s failed"), job->type->name);

		pthread_mutex_lock(&eng->lock);
		list_remove(&eng->running, job);
		job_finish_locked(eng, job, status, result, &err);
		pthread_cond_broadcast(&eng->work);
	}
	pthread_mutex_unlock(&eng->lock);
	return NULL;
}

struct engine *
engine_new(const struct config *cfg, unsigned nworkers)
{
	struct engine *eng = xcalloc(1, sizeof *eng);
	int fds[2];

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		fatal("cannot create the engine's pipe: %s", strerror(errno));
	eng->pipe_rd = fds[0];
	eng->pipe_wr = fds[1];
	eng->cfg = cfg;
	eng->next_id = 1;
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->work, NULL);
	eng->nworkers = nworkers ? nworkers : 1;
	eng->workers = xcalloc(eng->nworkers, sizeof *eng->workers);
	for (unsigned i = 0; i < eng->nworkers; i++)
		if (pthread_create(&eng->workers[i], NULL, engine_worker, eng) != 0)
			fatal("cannot start a worker thread");
	return eng;
}

void
engine_stop(struct engine *eng)
{
	struct job *job;

	if (eng->stopped)
		return;
	pthread_mutex_lock(&eng->lock);
	eng->stopping = true;
	/* Queued jobs end here, each with a DONE event saying so. */
	while ((job = eng->pending) != NULL) {
		struct vs_error err;

		list_remove(&eng->pending, job);
		job_cancel_error(&err);
		job_finish_locked(eng, job, -1, NULL, &err);
	}
	for (job = eng->running; job != NULL; job = job->next)
		atomic_store(&job->cancelled, true);
	pthread_cond_broadcast(&eng->work);
	pthread_mutex_unlock(&eng->lock);

	/* Running jobs finish their current step and clean up. */
	for (unsigned i = 0; i < eng->nworkers; i++)
		pthread_join(eng->workers[i], NULL);
	eng->stopped = true;
}

void
engine_free(struct engine *eng)
{
	if (eng == NULL)
		return;
	engine_stop(eng);
	engine_event_free_list(eng->ev_head);
	close(eng->pipe_rd);
	close(eng->pipe_wr);
	pthread_cond_destroy(&eng->work);
	pthread_mutex_destroy(&eng->lock);
	free(eng->workers);
	free(eng);
}

int
engine_fd(const struct engine *eng)
{
	return eng->pipe_rd;
}

unsigned
engine_submit(struct engine *eng, const struct job_type *type, void *args)
{
	struct job *job = xcalloc(1, sizeof *job), **p;
	unsigned id;

	job->type = type;
	job->args = args;
	job->eng = eng;
	atomic_init(&job->cancelled, false);
	pthread_mutex_lock(&eng->lock);
	id = job->id = eng->next_id++;
	for (p = &eng->pending; *p != NULL; p = &(*p)->next)
		;
	*p = job;
	pthread_cond_broadcast(&eng->work);
	pthread_mutex_unlock(&eng->lock);
	return id;
}

void
engine_cancel(struct engine *eng, unsigned id)
{
	struct vs_error err;
	struct job *job;

	pthread_mutex_lock(&eng->lock);
	for (job = eng->pending; job != NULL; job = job->next) {
		if (job->id == id) {
			list_remove(&eng->pending, job);
			job_cancel_error(&err);
			job_finish_locked(eng, job, -1, NULL, &err);
			pthread_cond_broadcast(&eng->work);
			goto out;
		}
	}
	for (job = eng->running; job != NULL; job = job->next)
		if (job->id == id)
			atomic_store(&job->cancelled, true);
out:
	pthread_mutex_unlock(&eng->lock);
}

struct engine_event *
engine_drain(struct engine *eng)
{
	struct engine_event *head;
	char buf[64];

	while (read(eng->pipe_rd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&eng->lock);
	head = eng->ev_head;
	eng->ev_head = eng->ev_tail = NULL;
	for (struct job *j = eng->running; j != NULL; j = j->next)
		j->queued_progress = NULL;
	for (struct job *j = eng->pending; j != NULL; j = j->next)
		j->queued_progress = NULL;
	pthread_mutex_unlock(&eng->lock);
	return head;
}

void
engine_wait(struct engine *eng, int timeout_ms)
{
	struct pollfd pfd = { .fd = eng->pipe_rd, .events = POLLIN };

	while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
		;
}

void
engine_event_free(struct engine_event *ev)
{
	if (ev == NULL)
		return;
	if (ev->result != NULL && ev->jtype != NULL && ev->jtype->free_result != NULL)
		ev->jtype->free_result(ev->result);
	free(ev->text);
	free(ev);
}

void
engine_event_free_list(struct engine_event *ev)
{
	while (ev != NULL) {
		struct engine_event *next = ev->next;

		engine_event_free(ev);
		ev = next;
	}
}

unsigned
engine_busy(struct engine *eng)
{
	unsigned n = 0;

	pthread_mutex_lock(&eng->lock);
	for (struct job *j = eng->pending; j != NULL; j = j->next)
		n++;
	for (struct job *j = eng->running; j != NULL; j = j->next)
		n++;
	pthread_mutex_unlock(&eng->lock);
	return n;
}

bool
engine_backup_in_use(struct engine *eng, const char *backup_id)
{
	bool found = false;

	pthread_mutex_lock(&eng->lock);
	for (struct job *j = eng->running; j != NULL && !found; j = j->next)
		found = strcmp(j->backup_id, backup_id) == 0;
	pthread_mutex_unlock(&eng->lock);
	return found;
}

bool
job_backup_in_use(const struct job *job, const char *backup_id)
{
	struct engine *eng = job->eng;
	bool found = false;

	pthread_mutex_lock(&eng->lock);
	for (struct job *j = eng->running; j != NULL && !found; j = j->next)
		found = j != job && strcmp(j->backup_id, backup_id) == 0;
	pthread_mutex_unlock(&eng->lock);
	return found;
}

const struct config *
job_config(const struct job *job)
{
	return job->aimed != NULL ? job->aimed : job->eng->cfg;
}

void
job_aim(struct job *job, const struct config *cfg)
{
	job->aimed = cfg;
}

unsigned
job_id(const struct job *job)
{
	return job->id;
}

void
job_progress(struct job *job, const char *phase, uint64_t done, uint64_t total, bool bytes)
{
	struct engine *eng = job->eng;
	struct engine_event *ev;

	pthread_mutex_lock(&eng->lock);
	ev = job->queued_progress;
	if (ev == NULL) {
		ev = event_new(ENGINE_EV_PROGRESS, job);
		job->queued_progress = ev;
		engine_push_locked(eng, ev);
	}
	snprintf(ev->phase, sizeof ev->phase, "%s", phase);
	ev->done = done;
	ev->total = total;
	ev->bytes = bytes;
	ev->step = job->step;
	ev->nsteps = job->nsteps;
	pthread_mutex_unlock(&eng->lock);
}

void
job_log(struct job *job, enum log_level level, const char *fmt, ...)
{
	struct engine *eng = job->eng;
	struct engine_event *ev = event_new(ENGINE_EV_LOG, job);
	va_list ap;

	ev->level = level;
	va_start(ap, fmt);
	ev->text = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&eng->lock);
	/* Progress reported after this line must come after it. */
	job->queued_progress = NULL;
	engine_push_locked(eng, ev);
	pthread_mutex_unlock(&eng->lock);
}

void
job_set_step(struct job *job, int step, int nsteps)
{
	pthread_mutex_lock(&job->eng->lock);
	job->step = step;
	job->nsteps = nsteps;
	/* The next progress event starts the new step. */
	job->queued_progress = NULL;
	pthread_mutex_unlock(&job->eng->lock);
}

bool
job_cancelled(const struct job *job)
{
	struct job *j = (struct job *)job;

	return atomic_load(&j->cancelled) && !atomic_load(&j->shielded);
}

void
job_shield(struct job *job)
{
	atomic_store(&job->shielded, true);
}

int
job_cancel_error(struct vs_error *err)
{
	return error_set(err, VS_ERR_CANCELLED, _("cancelled"));
}

void
job_set_backup(struct job *job, const char *backup_id)
{
	pthread_mutex_lock(&job->eng->lock);
	snprintf(job->backup_id, sizeof job->backup_id, "%s", backup_id);
	pthread_mutex_unlock(&job->eng->lock);
}
