/*
 * The JSON files beside a backup and in backup_dir, which whoever can
 * write there controls: metadata.json (src/manifest/manifest.c, also the
 * repository's manifests), verify.json and drill.json (the records of
 * verifications and drills) and the state file of the metrics
 * (src/ops/state.c). The first input byte picks the file; the rest is its
 * text. What a parser accepts must survive a round trip: written out
 * again and read back, it is accepted again and unchanged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest/drill-record.h"
#include "manifest/manifest.h"
#include "manifest/verify-record.h"
#include "ops/state.h"
#include "fuzz.h"

#define FZ_CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: round trip broken: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

static void
fz_manifest(const char *text)
{
	struct manifest m, again;
	struct vs_error err;
	char *out, *out2;

	if (manifest_parse(text, "metadata.json", &m, &err) != 0)
		return;
	(void)manifest_total_size(&m);
	(void)manifest_count_for(&m, "chimera-vectors:");
	(void)manifest_file_by_name(&m, MANIFEST_RDB_FILE);
	out = manifest_to_json(&m);
	if (manifest_parse(out, "metadata.json (written again)", &again, &err) != 0) {
		fprintf(stderr, "accepted:\n%s\nwritten:\n%s\nrefused: %s\n", text, out,
		    err.msg);
		abort();
	}
	out2 = manifest_to_json(&again);
	FZ_CHECK(strcmp(out, out2) == 0);
	free(out2);
	free(out);
	manifest_clear(&again);
	manifest_clear(&m);
}

static void
fz_verify(const char *text)
{
	struct verify_record rec, back;
	char *out;

	if (verify_record_latest(text, &rec) != 0)
		rec = (struct verify_record){ .at = 1700000000, .location = "local" };
	out = verify_record_add(text, &rec);
	FZ_CHECK(verify_record_latest(out, &back) == 0);
	FZ_CHECK(back.at == rec.at && back.ok == rec.ok && back.deep == rec.deep);
	FZ_CHECK(strcmp(back.location, rec.location) == 0);
	FZ_CHECK(strcmp(back.summary, rec.summary) == 0);
	free(out);
}

static void
fz_drill(const char *text)
{
	struct drill_record rec, back;
	char line[512], *out;

	if (drill_record_latest(text, &rec) != 0)
		return;
	drill_record_describe(&rec, 1700000000, line, sizeof line);
	drill_record_describe(&rec, rec.at, line, sizeof line);
	out = drill_record_add(text, &rec);
	FZ_CHECK(drill_record_latest(out, &back) == 0);
	FZ_CHECK(back.at == rec.at && back.ok == rec.ok);
	FZ_CHECK(strcmp(back.summary, rec.summary) == 0);
	free(out);
}

static void
fz_state(const char *text)
{
	struct ops_state st, back;
	char *out;

	if (ops_state_parse(text, &st) != 0)
		return;
	out = ops_state_to_json(&st);
	FZ_CHECK(ops_state_parse(out, &back) == 0);
	for (int i = 0; i < OPS_OP__COUNT; i++)
		FZ_CHECK(back.op[i].seen == st.op[i].seen &&
		    back.op[i].last_run == st.op[i].last_run &&
		    back.op[i].runs_success == st.op[i].runs_success);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void (*const parsers[])(const char *) = {
		fz_manifest, fz_verify, fz_drill, fz_state,
	};
	char *text;

	if (size < 1)
		return 0;
	text = fuzz_text(data + 1, size - 1);
	parsers[data[0] % (sizeof parsers / sizeof parsers[0])](text);
	free(text);
	return 0;
}
