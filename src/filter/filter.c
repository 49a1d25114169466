/* The filter chain: dispatch, chaining, finishing and freeing. */
#include "config.h"

#include <stdlib.h>

#include "common/xmalloc.h"
#include "filter/filter.h"

struct filter *
filter_new(const struct filter_type *type, void *priv)
{
	struct filter *f = xcalloc(1, sizeof *f);

	f->type = type;
	f->priv = priv;
	return f;
}

struct filter *
filter_chain(struct filter *f, struct filter *next)
{
	struct filter *last = f;

	if (f == NULL)
		return next;
	while (last->next != NULL)
		last = last->next;
	last->next = next;
	return f;
}

int
filter_write(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	if (f == NULL)
		return 0;
	return f->type->write(f, buf, len, err);
}

int
filter_pass(struct filter *f, const void *buf, size_t len, struct vs_error *err)
{
	return filter_write(f->next, buf, len, err);
}

int
filter_finish(struct filter *f, struct vs_error *err)
{
	for (; f != NULL; f = f->next) {
		if (f->finished)
			continue;
		f->finished = true;
		if (f->type->finish != NULL && f->type->finish(f, err) != 0)
			return -1;
	}
	return 0;
}

void
filter_chain_free(struct filter *f)
{
	while (f != NULL) {
		struct filter *next = f->next;

		if (f->type->free != NULL)
			f->type->free(f);
		free(f);
		f = next;
	}
}
