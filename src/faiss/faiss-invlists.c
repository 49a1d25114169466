/*
 * The block FAISS writes for an index's inverted lists (impl/index_write.cpp,
 * write_InvertedLists and OnDiskInvertedListsIOHook):
 *	"ilar" nlist:u64 code_size:u64 list_type:u32 ...   in the file
 *	"ilod" nlist:u64 code_size:u64 lists:vector<{u64 size, capacity,
 *	       offset}> slots:vector<{u64 offset, capacity}> filename:vector<char>
 *	       totsize:u64                                  in filename
 * It follows the quantizer and other fields whose layout depends on the
 * index type, so it is found by its type code and checked by the values
 * after it, which random vector data does not reproduce. The search stops
 * at the first block found: the lists come before the bulk of the data.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/xmalloc.h"
#include "faiss/faiss-invlists.h"

#define IL_CHUNK (1024 * 1024)
#define IL_PEEK 40              /* bytes read after a candidate type code */
#define IL_MAX_NLIST (INT64_C(1) << 32)
#define IL_MAX_CODE (1 << 20)
#define IL_MAX_NAME 4096

bool
faiss_invlists_possible(const char *fourcc)
{
	static const char *const wrappers[] = { "IxPT", "IxRF", "IRMf", "IRMh", "NPLf",
	    "NPRf" };

	if (fourcc[0] == 'I' && (fourcc[1] == 'v' || fourcc[1] == 'w' || fourcc[1] == 'V'))
		return true;
	for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
		if (memcmp(fourcc, wrappers[i], 4) == 0)
			return true;
	return false;
}

static uint64_t
il_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Is there a plausible list block at p (IL_PEEK bytes)? 'a' or 'o', else 0. */
static char
il_block(const unsigned char *p)
{
	uint64_t nlist = il_u64(p + 4), code = il_u64(p + 12);

	if (nlist == 0 || nlist > IL_MAX_NLIST || code == 0 || code > IL_MAX_CODE)
		return 0;
	if (memcmp(p, "ilar", 4) == 0 &&
	    (memcmp(p + 20, "full", 4) == 0 || memcmp(p + 20, "sprs", 4) == 0))
		return 'a';
	if (memcmp(p, "ilod", 4) == 0 && il_u64(p + 20) == nlist)
		return 'o';
	return 0;
}

/* The side file's name after an "ilod" block at off; allocated. */
static char *
il_side_name(int fd, int64_t off, int64_t size)
{
	unsigned char b[8];
	uint64_t nlist, nslots, len;
	int64_t p = off + 4;
	char *name;

	if (fs_pread_full(fd, b, 8, (off_t)p) != 8)
		return NULL;
	nlist = il_u64(b);
	p += 8 + 8 + 8 + (int64_t)nlist * 24;   /* nlist, code_size, lists */
	if (p > size || fs_pread_full(fd, b, 8, (off_t)p) != 8)
		return NULL;
	nslots = il_u64(b);
	if (nslots > (uint64_t)size)
		return NULL;
	p += 8 + (int64_t)nslots * 16;
	if (p > size || fs_pread_full(fd, b, 8, (off_t)p) != 8)
		return NULL;
	len = il_u64(b);
	if (len == 0 || len > IL_MAX_NAME || p + 8 + (int64_t)len > size)
		return NULL;
	name = xmalloc(len + 1);
	if (fs_pread_full(fd, name, len, (off_t)(p + 8)) != (ssize_t)len) {
		free(name);
		return NULL;
	}
	name[len] = '\0';
	for (uint64_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			name[i] = '?';
	return name;
}

int
faiss_invlists_check(int fd, const char *path, int64_t off, int64_t size,
    struct vs_error *err)
{
	unsigned char *buf = xmalloc(IL_CHUNK + IL_PEEK);
	int rc = 0;

	while (off + IL_PEEK <= size) {
		ssize_t n = fs_pread_full(fd, buf, IL_CHUNK + IL_PEEK, (off_t)off);
		size_t scan;
		char kind = 0;
		size_t at = 0;

		if (n < 0) {
			rc = error_errno(err, VS_ERR_IO, errno, _("cannot read %s"), path);
			break;
		}
		if ((size_t)n < IL_PEEK)
			break;
		scan = (size_t)n - IL_PEEK + 1;
		for (size_t i = 0; i < scan; i++) {
			if (buf[i] != 'i' || buf[i + 1] != 'l')
				continue;
			if ((kind = il_block(buf + i)) != 0) {
				at = i;
				break;
			}
		}
		if (kind == 'a')
			break;
		if (kind == 'o') {
			char *side = il_side_name(fd, off + (int64_t)at, size);

			rc = error_set(err, VS_ERR_FORMAT, _("%s: an on-disk IVF index: its "
			    "inverted lists are not in this file but in %s "
			    "(OnDiskInvertedLists), which FAISS opens by that path; vsbackup "
			    "copies an index as one file and cannot take or check one whose "
			    "data lives elsewhere: keep the lists in the index file "
			    "(ArrayInvertedLists) to back it up"), path,
			    side != NULL ? side : _("another file"));
			free(side);
			break;
		}
		off += (int64_t)scan;
	}
	free(buf);
	return rc;
}
