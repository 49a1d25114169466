/*
 * The restore journal (src/jobs/journal.c), {backup_dir}/.restore-journal.json:
 * a restore that finds one resumes or rolls back from what it says, so
 * its text is checked before anything in it is used. The input is the
 * file, written as the journal's own writer would (this user's, 0600). A
 * journal accepted must be written back and read again unchanged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/journal.h"
#include "fuzz.h"

#define FZ_SAME(a, b) do { if (strcmp((a), (b)) != 0) { \
	fprintf(stderr, "journal round trip changed %s: \"%s\" -> \"%s\"\n", #a, (a), (b)); \
	abort(); } } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal j, back;
	struct vs_error err;

	fuzz_write(JOURNAL_FILE, data, size, 0600);
	if (journal_load(fuzz_dir(), &j, &err) != 1)
		return 0;
	if (journal_save(fuzz_dir(), &j, &err) != 0) {
		fprintf(stderr, "journal_save: %s\n", err.msg);
		abort();
	}
	if (journal_load(fuzz_dir(), &back, &err) != 1) {
		fprintf(stderr, "a journal written back is refused: %s\n", err.msg);
		abort();
	}
	FZ_SAME(j.id, back.id);
	FZ_SAME(j.safety_id, back.safety_id);
	FZ_SAME(j.from, back.from);
	FZ_SAME(j.data_dir, back.data_dir);
	FZ_SAME(j.dbfilename, back.dbfilename);
	FZ_SAME(j.aof_dir, back.aof_dir);
	FZ_SAME(j.aof_file, back.aof_file);
	FZ_SAME(j.logfile, back.logfile);
	if (j.done != back.done || j.rollback != back.rollback || j.aof != back.aof ||
	    j.nasides != back.nasides)
		abort();
	for (size_t i = 0; i < j.nasides; i++)
		FZ_SAME(j.asides[i], back.asides[i]);
	journal_clear(&back);
	journal_clear(&j);
	return 0;
}
