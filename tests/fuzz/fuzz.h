/*
 * What the libFuzzer harnesses share: the entry point's prototype, a
 * private directory for parsers that read a file (the journal, the lock
 * file, the configuration), and a NUL-terminated copy of the input for
 * parsers that take text.
 *
 * A harness feeds one parser the bytes of an input the project does not
 * trust. A refusal is the expected outcome; a crash, a leak, undefined
 * behaviour, a hang or an allocation beyond libFuzzer's -rss_limit_mb is a
 * bug. Built by tests/fuzz/build.sh.
 */
#ifndef VS_FUZZ_H
#define VS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The harness's own directory (mode 0700, removed at exit). */
const char *fuzz_dir(void);

/* Replace fuzz_dir()/name with the bytes given, with mode (0600 for a
 * file the project writes itself). Aborts on failure: that is the
 * harness's fault, not the parser's. Returns the path (static storage). */
const char *fuzz_write(const char *name, const void *data, size_t size, mode_t mode);

/* A copy of the input ending in NUL (free() it). */
char *fuzz_text(const uint8_t *data, size_t size);

/* Silence the project's log on stderr: refusals are expected by the
 * thousand. */
void fuzz_quiet(void);

/* Once per process before the first input, after fuzz_quiet(): a harness
 * that needs more set up defines it (fuzz-util.c's LLVMFuzzerInitialize
 * calls it when it is there). */
void fuzz_setup(void) __attribute__((weak));

#endif
