# The libFuzzer harnesses, built with clang by tests/fuzz/build.sh (which
# sets SRC, BUILD and OUT): each tests/fuzz/fuzz-NAME.c linked with the
# project's sources it needs, all compiled with
# -fsanitize=fuzzer,address,undefined into OUT. BUILD is a configured tree
# (its config.h is used); nothing of it is rebuilt.
#
# Every harness links against one archive of the sources below: a harness
# takes from it only what it calls. A new harness, or a parser that starts
# calling a file outside FUZZ_DIRS, may need a source added to FUZZ_SOURCES
# (the link then says which symbol is missing).

FUZZERS = rdb faiss-header manifest journal lock s3-xml config drill-doc repo-objects

# Whole folders where files come and go (the common helpers, the
# configuration, the storage drivers); single files elsewhere.
FUZZ_DIRS = src/common src/config src/storage src/storage/posix src/storage/s3
FUZZ_SOURCES = \
	$(patsubst $(SRC)/%,%,$(wildcard $(FUZZ_DIRS:%=$(SRC)/%/*.c))) \
	src/drill/doc.c \
	src/engine/lock.c \
	src/faiss/faiss-header.c src/faiss/faiss-invlists.c \
	src/filter/filter.c src/filter/filter-basic.c \
	src/jobs/journal.c \
	src/manifest/drill-record.c src/manifest/manifest.c src/manifest/record-list.c \
	src/manifest/verify-record.c \
	src/ops/state.c \
	src/redis/rdb-crc64.c src/redis/rdb-reader.c src/redis/redis-slot.c \
	src/repo/blob.c src/repo/chunker.c src/repo/crypto.c src/repo/index.c src/repo/order.c \
	src/repo/plan.c src/repo/prefetch.c \
	src/repo/repo.c

DEPS = libcrypto libcjson expat libzstd libconfig libcurl
CC = clang
SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CPPFLAGS = -I$(BUILD) -I$(SRC)/src -I$(SRC) -I$(SRC)/tests/fuzz \
	-DLOCALEDIR=\"/nonexistent\" -DSYSCONFDIR=\"/etc\"
CFLAGS = -std=c11 -g -O1 -Wall -Wextra $(SAN) $(shell pkg-config --cflags $(DEPS))
LIBS = $(shell pkg-config --libs $(DEPS)) -lpthread -lm

OBJ = $(OUT)/obj
LIB = $(OUT)/libvsfuzz.a
LIB_OBJS = $(FUZZ_SOURCES:%.c=$(OBJ)/%.o)

all: $(FUZZERS:%=$(OUT)/fuzz-%)

# The project's sources: instrumented for coverage, without libFuzzer's main.
$(OBJ)/src/%.o: $(SRC)/src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# The harnesses' own code must compile without a warning.
$(OBJ)/tests/fuzz/%.o: $(SRC)/tests/fuzz/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Werror -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(OUT)/fuzz-%: $(OBJ)/tests/fuzz/fuzz-%.o $(OBJ)/tests/fuzz/fuzz-util.o $(LIB)
	$(CC) $(SAN) -fsanitize=fuzzer $^ $(LIBS) -o $@

.PHONY: all
# Keep the harnesses' objects; only they (the project's objects are listed
# prerequisites): a bare .SECONDARY would let a source file that is new
# but older than the archive never be compiled.
.SECONDARY: $(FUZZERS:%=$(OBJ)/tests/fuzz/fuzz-%.o) $(OBJ)/tests/fuzz/fuzz-util.o
.DELETE_ON_ERROR:

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
