/*
 * Streaming RDB reader.
 *
 * DESIGN: the file is a sequence of items (opcodes, key/value pairs). Each
 * item is described by a tiny program (one byte per instruction, see
 * rdb_insn) that a step function runs one primitive at a time: a length, a
 * string header, a fixed-size field. Primitives are at most
 * RDB_PRIM_MAX bytes; when one straddles two chunks its bytes wait in a
 * small carry buffer. String bodies and fixed fields are skipped by
 * counting, never copied, except the few bytes of a key that the prefixes
 * (or an error message) need. The CRC-64 runs over each chunk as fed, so
 * the data is touched once. The reader owns everything it uses; it is not
 * shared between threads.
 *
 * With a key hook, keys are captured whole; in value mode every byte the
 * run loop consumes between the end of a key and the end of its value is
 * also appended to a buffer, whichever way it was consumed (skipped,
 * captured, or parsed as a primitive), so the value comes out exactly as
 * encoded without the parser knowing the value types any better.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "common/xmalloc.h"
#include "redis/rdb-crc64.h"
#include "redis/rdb-reader.h"

enum {
	RDB_OP_SLOT_INFO = 244,
	RDB_OP_FUNCTION2 = 245,
	RDB_OP_FUNCTION_PRE_GA = 246,
	RDB_OP_MODULE_AUX = 247,
	RDB_OP_IDLE = 248,
	RDB_OP_FREQ = 249,
	RDB_OP_AUX = 250,
	RDB_OP_RESIZEDB = 251,
	RDB_OP_EXPIRETIME_MS = 252,
	RDB_OP_EXPIRETIME = 253,
	RDB_OP_SELECTDB = 254,
	RDB_OP_EOF = 255,
};

/* Module value element opcodes (module type version 2 and module aux). */
enum {
	RDB_MOD_EOF = 0,
	RDB_MOD_SINT = 1,
	RDB_MOD_UINT = 2,
	RDB_MOD_FLOAT = 3,
	RDB_MOD_DOUBLE = 4,
	RDB_MOD_STRING = 5,
};

/* The instructions items are described with. */
enum rdb_insn {
	I_END,       /* the item is complete */
	I_KEY,       /* the key: a string, partly decoded */
	I_STR,       /* a string, skipped */
	I_LEN,       /* a length, ignored */
	I_FIX1,      /* fixed-size fields, skipped */
	I_FIX4,
	I_FIX8,
	I_FIX16,
	I_DBLSTR,    /* a double in the old string form (1-byte length) */
	I_REP,       /* read a count, run the body up to I_ENDREP that often */
	I_ENDREP,
	I_QLCONT,    /* quicklist node container: 1 (plain) or 2 (packed) */
	I_MODULE,    /* module elements up to their EOF mark */
	I_MODPREGA,  /* a pre-release module value: cannot be skipped */
	I_WHENOP,    /* module aux: the "when" opcode, must be UINT */
	I_SELECTDB,  /* the database of the keys that follow */
	I_EXPIRE_S,  /* expire time of the next key, seconds */
	I_EXPIRE_MS, /* expire time of the next key, milliseconds */
	I_AUXKEY,    /* aux field name, decoded */
	I_AUXVAL,    /* aux field value, decoded */
	I_SLOTLEN,   /* a length of a SLOT_INFO record, kept */
};

/* Value types, by RDB type byte. */
static const uint8_t p_string[] = { I_KEY, I_STR, I_END };
static const uint8_t p_strings[] = { I_KEY, I_REP, I_STR, I_ENDREP, I_END };
static const uint8_t p_zset[] = { I_KEY, I_REP, I_STR, I_DBLSTR, I_ENDREP, I_END };
static const uint8_t p_hash[] = { I_KEY, I_REP, I_STR, I_STR, I_ENDREP, I_END };
static const uint8_t p_zset2[] = { I_KEY, I_REP, I_STR, I_FIX8, I_ENDREP, I_END };
static const uint8_t p_module_pre_ga[] = { I_KEY, I_MODPREGA, I_END };
static const uint8_t p_module2[] = { I_KEY, I_LEN, I_MODULE, I_END };
static const uint8_t p_quicklist2[] = {
	I_KEY, I_REP, I_QLCONT, I_STR, I_ENDREP, I_END
};
static const uint8_t p_hash_meta_pre_ga[] = {
	I_KEY, I_REP, I_LEN, I_STR, I_STR, I_ENDREP, I_END
};
static const uint8_t p_hash_meta[] = {
	I_KEY, I_FIX8, I_REP, I_LEN, I_STR, I_STR, I_ENDREP, I_END
};
static const uint8_t p_hash_lp_ex[] = { I_KEY, I_FIX8, I_STR, I_END };

/*
 * Streams: listpacks (node id, listpack), length, last id; from version 2
 * also first id, max deleted id and entries added; then consumer groups,
 * each with a name, last id (version 2: entries read), a global PEL (id,
 * delivery time, delivery count) and consumers (name, seen time, version 3:
 * active time, and their own PEL of ids).
 */
#define STREAM_HEAD \
	I_KEY, I_REP, I_STR, I_STR, I_ENDREP, I_LEN, I_LEN, I_LEN
#define STREAM_PEL I_REP, I_FIX16, I_FIX8, I_LEN, I_ENDREP
static const uint8_t p_stream1[] = {
	STREAM_HEAD,
	I_REP, I_STR, I_LEN, I_LEN, STREAM_PEL,
	I_REP, I_STR, I_FIX8, I_REP, I_FIX16, I_ENDREP, I_ENDREP,
	I_ENDREP, I_END
};
static const uint8_t p_stream2[] = {
	STREAM_HEAD, I_LEN, I_LEN, I_LEN, I_LEN, I_LEN,
	I_REP, I_STR, I_LEN, I_LEN, I_LEN, STREAM_PEL,
	I_REP, I_STR, I_FIX8, I_REP, I_FIX16, I_ENDREP, I_ENDREP,
	I_ENDREP, I_END
};
static const uint8_t p_stream3[] = {
	STREAM_HEAD, I_LEN, I_LEN, I_LEN, I_LEN, I_LEN,
	I_REP, I_STR, I_LEN, I_LEN, I_LEN, STREAM_PEL,
	I_REP, I_STR, I_FIX8, I_FIX8, I_REP, I_FIX16, I_ENDREP, I_ENDREP,
	I_ENDREP, I_END
};

static const struct rdb_type {
	const char *name;
	const uint8_t *prog;
} rdb_types[RDB_TYPE_MAX + 1] = {
	[0] = { "string", p_string },
	[1] = { "list", p_strings },
	[2] = { "set", p_strings },
	[3] = { "zset", p_zset },
	[4] = { "hash", p_hash },
	[5] = { "zset2", p_zset2 },
	[6] = { "module-pre-ga", p_module_pre_ga },
	[7] = { "module2", p_module2 },
	[9] = { "hash-zipmap", p_string },
	[10] = { "list-ziplist", p_string },
	[11] = { "set-intset", p_string },
	[12] = { "zset-ziplist", p_string },
	[13] = { "hash-ziplist", p_string },
	[14] = { "list-quicklist", p_strings },
	[15] = { "stream", p_stream1 },
	[16] = { "hash-listpack", p_string },
	[17] = { "zset-listpack", p_string },
	[18] = { "list-quicklist2", p_quicklist2 },
	[19] = { "stream2", p_stream2 },
	[20] = { "set-listpack", p_string },
	[21] = { "stream3", p_stream3 },
	[22] = { "hash-metadata-pre-ga", p_hash_meta_pre_ga },
	[23] = { "hash-listpack-ex-pre-ga", p_string },
	[24] = { "hash-metadata", p_hash_meta },
	[25] = { "hash-listpack-ex", p_hash_lp_ex },
};

/* Opcodes that are not keys. */
static const uint8_t p_selectdb[] = { I_SELECTDB, I_END };
static const uint8_t p_resizedb[] = { I_LEN, I_LEN, I_END };
static const uint8_t p_aux[] = { I_AUXKEY, I_AUXVAL, I_END };
static const uint8_t p_expire_s[] = { I_EXPIRE_S, I_END };
static const uint8_t p_expire_ms[] = { I_EXPIRE_MS, I_END };
static const uint8_t p_idle[] = { I_LEN, I_END };
static const uint8_t p_freq[] = { I_FIX1, I_END };
static const uint8_t p_module_aux[] = { I_LEN, I_WHENOP, I_LEN, I_MODULE, I_END };
static const uint8_t p_function2[] = { I_STR, I_END };
static const uint8_t p_slot_info[] = { I_SLOTLEN, I_SLOTLEN, I_SLOTLEN, I_END };

/* The longest primitive: an LZF string header (type byte, two 9-byte lengths). */
#define RDB_PRIM_MAX 19
#define RDB_CARRY_SIZE 64
#define RDB_LOOP_MAX 4
/* Bytes of a key kept for messages even when no prefix needs them. */
#define RDB_KEY_SHOW 64

enum rdb_phase { PH_MAGIC, PH_BODY, PH_CHECKSUM, PH_DONE };
enum rdb_capture { CAP_NONE, CAP_KEY, CAP_AUXKEY, CAP_AUXVAL };

struct rdb_reader {
	char **prefixes;
	size_t *prefix_len;
	size_t nprefixes;
	int db;

	enum rdb_phase phase;
	int version;
	uint64_t off;          /* offset of the next byte to parse */
	void (*on_item)(void *ud, uint64_t off);
	void *on_item_ud;
	uint64_t fed;          /* bytes fed so far */
	uint64_t crc;
	uint64_t crc_end;      /* the checksum covers [0, crc_end) */
	bool crc_end_known;
	uint64_t stored_crc;

	uint8_t carry[RDB_CARRY_SIZE];
	size_t carry_len;
	uint64_t skip;         /* bytes to pass over before the next primitive */

	/* The item being parsed. */
	const uint8_t *prog;
	size_t pc;
	int type;              /* value type, -1 for an opcode */
	uint64_t item_off;
	struct {
		uint64_t left;
		size_t start;
	} loop[RDB_LOOP_MAX];
	int depth;
	int mod_pending;       /* module element whose value comes next */
	uint64_t curdb;
	bool has_expire;

	/* A string being captured. */
	enum rdb_capture cap_mode;
	uint64_t cap_left;     /* body bytes still to come */
	uint64_t cap_total;    /* body length (compressed for LZF) */
	bool cap_lzf;
	uint64_t cap_strlen;   /* decoded length of the string */
	uint8_t *cap;          /* what is kept of the body */
	size_t cap_size, cap_len;
	uint8_t *dec;          /* the decoded start of the string */
	size_t dec_size, dec_len;
	char auxkey[16];       /* the aux field name when it is one we want */

	/* Keys handed over whole (rdb_reader_on_key()). */
	int (*on_key)(void *ud, const struct rdb_key *k, struct vs_error *err);
	void *on_key_ud;
	bool want_values;
	int64_t expire_ms;     /* of the next key, -1 none */
	bool val_on;           /* the value of the current key is being kept */
	uint8_t *val;
	size_t val_len, val_size;
	void (*on_slot)(void *ud, uint64_t slot, uint64_t keys, uint64_t expires);
	void *on_slot_ud;
	uint64_t slot_vals[3];
	int nslot_vals;

	/* Results. */
	uint64_t *prefix_keys;
	uint64_t *prefix_expires;
	uint64_t db_keys, db_expires, all_keys;
	uint64_t type_keys[RDB_TYPE_MAX + 1];
	char redis_ver[32];
	char valkey_ver[32];
	long long ctime;

	bool failed;
	struct vs_error err;
};

static int __attribute__((format(printf, 2, 3)))
rdb_fail(struct rdb_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->err.code = VS_ERR_FORMAT;
	vsnprintf(r->err.msg, sizeof r->err.msg, fmt, ap);
	va_end(ap);
	r->failed = true;
	return -1;
}

struct rdb_reader *
rdb_reader_new(const char *const *prefixes, size_t nprefixes, int db)
{
	struct rdb_reader *r = xcalloc(1, sizeof *r);
	size_t longest = RDB_KEY_SHOW;

	r->nprefixes = nprefixes;
	r->prefixes = xcalloc(nprefixes + 1, sizeof *r->prefixes);
	r->prefix_len = xcalloc(nprefixes + 1, sizeof *r->prefix_len);
	r->prefix_keys = xcalloc(nprefixes + 1, sizeof *r->prefix_keys);
	r->prefix_expires = xcalloc(nprefixes + 1, sizeof *r->prefix_expires);
	for (size_t i = 0; i < nprefixes; i++) {
		r->prefixes[i] = xstrdup(prefixes[i]);
		r->prefix_len[i] = strlen(prefixes[i]);
		if (r->prefix_len[i] > longest)
			longest = r->prefix_len[i];
	}
	r->db = db;
	r->dec_size = longest;
	r->dec = xmalloc(r->dec_size + 1);
	/* LZF never spends more than two input bytes per output byte (a
	 * one-byte literal run), plus one op header cut short. */
	r->cap_size = 2 * longest + 8;
	r->cap = xmalloc(r->cap_size);
	r->type = -1;
	r->ctime = -1;
	r->expire_ms = -1;
	return r;
}

void
rdb_reader_on_key(struct rdb_reader *r,
    int (*fn)(void *ud, const struct rdb_key *k, struct vs_error *err), void *ud,
    unsigned flags)
{
	r->on_key = fn;
	r->on_key_ud = ud;
	r->want_values = (flags & RDB_KEYS_VALUES) != 0;
}

void
rdb_reader_on_slot_info(struct rdb_reader *r,
    void (*fn)(void *ud, uint64_t slot, uint64_t keys, uint64_t expires), void *ud)
{
	r->on_slot = fn;
	r->on_slot_ud = ud;
}

int
rdb_reader_version(const struct rdb_reader *r)
{
	return r->version;
}

uint8_t *
rdb_dump_payload(const struct rdb_key *k, int rdb_version, size_t *len)
{
	size_t n = k->valuelen;
	uint8_t *p = xmalloc(n + 10);
	uint64_t crc;

	memcpy(p, k->value, n);
	p[n] = (uint8_t)(rdb_version & 0xff);
	p[n + 1] = (uint8_t)((rdb_version >> 8) & 0xff);
	crc = rdb_crc64(0, p, n + 2);
	for (int i = 0; i < 8; i++)
		p[n + 2 + i] = (uint8_t)(crc >> (8 * i));
	*len = n + 10;
	return p;
}

void
rdb_reader_on_item(struct rdb_reader *r, void (*fn)(void *ud, uint64_t off), void *ud)
{
	r->on_item = fn;
	r->on_item_ud = ud;
}

void
rdb_reader_free(struct rdb_reader *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nprefixes; i++)
		free(r->prefixes[i]);
	free(r->prefixes);
	free(r->prefix_len);
	free(r->prefix_keys);
	free(r->prefix_expires);
	free(r->cap);
	free(r->dec);
	free(r->val);
	free(r);
}

void
rdb_summary_clear(struct rdb_summary *s)
{
	free(s->prefix_keys);
	free(s->prefix_expires);
	memset(s, 0, sizeof *s);
}

/* The decoded start of the current key, printable, for messages. */
static const char *
rdb_key_show(const struct rdb_reader *r, char *buf, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < r->dec_len && i < RDB_KEY_SHOW && n + 2 < size; i++) {
		unsigned char c = r->dec[i];
		buf[n++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
	}
	buf[n] = '\0';
	if (r->cap_strlen > n && n + 4 < size)
		strcat(buf, "...");
	return buf;
}

static const char *
rdb_type_name(int type)
{
	if (type >= 0 && type <= RDB_TYPE_MAX && rdb_types[type].name != NULL)
		return rdb_types[type].name;
	return "?";
}

/*
 * Parse an RDB length at p. Returns the bytes used, 0 when n is too short,
 * -1 when the first byte is no length. *special is set for the 11xxxxxx
 * string encodings, with the encoding in *val.
 */
static int
rdb_parse_len(const uint8_t *p, size_t n, uint64_t *val, bool *special)
{
	uint8_t b = p[0];

	*special = false;
	switch (b >> 6) {
	case 0:
		*val = b & 0x3f;
		return 1;
	case 1:
		if (n < 2)
			return 0;
		*val = ((uint64_t)(b & 0x3f) << 8) | p[1];
		return 2;
	case 3:
		*special = true;
		*val = b & 0x3f;
		return 1;
	}
	if (b == 0x80) {
		if (n < 5)
			return 0;
		*val = (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 |
		    (uint64_t)p[3] << 8 | p[4];
		return 5;
	}
	if (b == 0x81) {
		if (n < 9)
			return 0;
		*val = 0;
		for (int i = 1; i <= 8; i++)
			*val = *val << 8 | p[i];
		return 9;
	}
	return -1;
}

static uint64_t
rdb_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/*
 * Decompress LZF data until want bytes are out or the input ends. When
 * complete is set the input is the whole compressed string, so running out
 * of it early means the data is damaged. Returns the bytes written or -1.
 */
static long
rdb_lzf_prefix(const uint8_t *in, size_t inlen, uint8_t *out, size_t want,
    bool complete)
{
	size_t ip = 0, op = 0;

	while (op < want && ip < inlen) {
		unsigned ctrl = in[ip++];

		if (ctrl < 32) {
			size_t run = ctrl + 1;

			if (run > inlen - ip) {
				if (complete)
					return -1;
				run = inlen - ip;
			}
			if (run > want - op)
				run = want - op;
			memcpy(out + op, in + ip, run);
			op += run;
			ip += run;
		} else {
			size_t len = ctrl >> 5, back;

			if (len == 7) {
				if (ip >= inlen)
					break;
				len += in[ip++];
			}
			if (ip >= inlen)
				break;
			back = ((size_t)(ctrl & 0x1f) << 8) + in[ip++] + 1;
			if (back > op)
				return -1;
			len += 2;
			for (size_t i = 0; i < len && op < want; i++, op++)
				out[op] = out[op - back];
		}
	}
	if (op < want && complete)
		return -1;
	return (long)op;
}

/* The captured string is complete: decode its start and use it. */
static int
rdb_capture_done(struct rdb_reader *r)
{
	size_t want = r->cap_strlen < r->dec_size ? (size_t)r->cap_strlen : r->dec_size;

	if (r->cap_lzf) {
		long n = rdb_lzf_prefix(r->cap, r->cap_len, r->dec, want,
		    r->cap_len == r->cap_total);

		if (n < 0 || (size_t)n < want)
			return rdb_fail(r, _("damaged LZF-compressed string in the "
			    "item at offset %" PRIu64), r->item_off);
		r->dec_len = (size_t)n;
	} else {
		r->dec_len = r->cap_len < want ? r->cap_len : want;
		memcpy(r->dec, r->cap, r->dec_len);
	}
	r->dec[r->dec_len] = '\0';

	switch (r->cap_mode) {
	case CAP_AUXKEY:
		r->auxkey[0] = '\0';
		if (r->dec_len == r->cap_strlen && r->dec_len < sizeof r->auxkey)
			memcpy(r->auxkey, r->dec, r->dec_len + 1);
		break;
	case CAP_AUXVAL:
		if (strcmp(r->auxkey, "redis-ver") == 0) {
			snprintf(r->redis_ver, sizeof r->redis_ver, "%s",
			    (const char *)r->dec);
		} else if (strcmp(r->auxkey, "valkey-ver") == 0) {
			snprintf(r->valkey_ver, sizeof r->valkey_ver, "%s",
			    (const char *)r->dec);
		} else if (strcmp(r->auxkey, "ctime") == 0) {
			char *end;
			long long v = strtoll((const char *)r->dec, &end, 10);

			if (end != (char *)r->dec && *end == '\0')
				r->ctime = v;
		} else if (strcmp(r->auxkey, "slot-info") == 0 && r->on_slot != NULL) {
			/* Valkey 8: "slot,keys,expires" before the slot's keys. */
			unsigned long long v[3];
			int used = 0;

			if (r->dec_len == r->cap_strlen &&
			    sscanf((const char *)r->dec, "%llu,%llu,%llu%n", &v[0], &v[1], &v[2],
			    &used) == 3 && (size_t)used == r->dec_len)
				r->on_slot(r->on_slot_ud, v[0], v[1], v[2]);
		}
		break;
	case CAP_KEY:
	case CAP_NONE:
		break;
	}
	r->cap_mode = CAP_NONE;
	return 0;
}

/*
 * Keys handed over whole: room to capture all of this one (its body, LZF
 * compressed or not, and its decoded bytes).
 */
static int
rdb_key_room(struct rdb_reader *r)
{
	if (r->cap_strlen > RDB_KEY_MAX || r->cap_left > RDB_KEY_MAX)
		return rdb_fail(r, _("the key at offset %" PRIu64 " is %" PRIu64 " bytes long, "
		    "more than the %u this tool reads whole: the file is damaged"), r->item_off,
		    r->cap_strlen, RDB_KEY_MAX);
	if (r->cap_size < r->cap_left) {
		r->cap_size = (size_t)r->cap_left;
		r->cap = xrealloc(r->cap, r->cap_size);
	}
	if (r->dec_size < r->cap_strlen) {
		r->dec_size = (size_t)r->cap_strlen;
		r->dec = xrealloc(r->dec, r->dec_size + 1);
	}
	return 0;
}

/*
 * A string header. Integer encodings are complete here; other bodies are
 * captured (mode other than CAP_NONE) or skipped by the run loop.
 */
static int
rdb_string(struct rdb_reader *r, const uint8_t *p, size_t n,
    enum rdb_capture mode)
{
	uint64_t v, clen, len;
	bool special, sp2;
	int used, u2;

	used = rdb_parse_len(p, n, &v, &special);
	if (used <= 0)
		goto bad_or_short;
	if (!special) {
		if (mode == CAP_NONE) {
			r->skip = v;
			return used;
		}
		r->cap_lzf = false;
		r->cap_strlen = v;
		r->cap_left = v;
		goto capture;
	}
	if (v <= 2) {
		int width = 1 << v;
		int64_t iv;

		if (n < (size_t)(1 + width))
			return 0;
		switch (width) {
		case 1:
			iv = (int8_t)p[1];
			break;
		case 2:
			iv = (int16_t)rdb_le(p + 1, 2);
			break;
		default:
			iv = (int32_t)rdb_le(p + 1, 4);
			break;
		}
		if (mode != CAP_NONE) {
			char num[24];
			int len2 = snprintf(num, sizeof num, "%" PRId64, iv);

			r->cap_mode = mode;
			r->cap_lzf = false;
			r->cap_strlen = (uint64_t)len2;
			r->cap_len = (size_t)len2 < r->dec_size ? (size_t)len2 : r->dec_size;
			r->cap_total = r->cap_len;
			memcpy(r->cap, num, r->cap_len);
			if (rdb_capture_done(r) < 0)
				return -1;
		}
		return 1 + width;
	}
	if (v != 3)
		return rdb_fail(r, _("unknown string encoding %" PRIu64 " at offset %"
		    PRIu64), v, r->off);
	/* LZF: compressed length, then decompressed length. */
	if (n < 2)
		return 0;
	u2 = rdb_parse_len(p + 1, n - 1, &clen, &sp2);
	if (u2 == 0)
		return 0;
	if (u2 < 0 || sp2)
		return rdb_fail(r, _("bad LZF string header at offset %" PRIu64), r->off);
	used = 1 + u2;
	if ((size_t)used >= n)
		return 0;
	u2 = rdb_parse_len(p + used, n - (size_t)used, &len, &sp2);
	if (u2 == 0)
		return 0;
	if (u2 < 0 || sp2)
		return rdb_fail(r, _("bad LZF string header at offset %" PRIu64), r->off);
	used += u2;
	if (mode == CAP_NONE) {
		r->skip = clen;
		return used;
	}
	r->cap_lzf = true;
	r->cap_strlen = len;
	r->cap_left = clen;
capture:
	if (mode == CAP_KEY && r->on_key != NULL && rdb_key_room(r) < 0)
		return -1;
	r->cap_mode = mode;
	r->cap_total = r->cap_left;
	r->cap_len = 0;
	if (r->cap_left == 0 && rdb_capture_done(r) < 0)
		return -1;
	return used;

bad_or_short:
	if (used == 0)
		return 0;
	return rdb_fail(r, _("bad string length byte 0x%02x at offset %" PRIu64),
	    p[0], r->off);
}

/* Read a plain length (no string encodings allowed). */
static int
rdb_length(struct rdb_reader *r, const uint8_t *p, size_t n, uint64_t *v)
{
	bool special;
	int used = rdb_parse_len(p, n, v, &special);

	if (used < 0 || special)
		return rdb_fail(r, _("bad length byte 0x%02x at offset %" PRIu64),
		    p[0], r->off);
	return used;
}

/* Where the body of the loop starting at pc ends (past its I_ENDREP). */
static size_t
rdb_skip_loop(const uint8_t *prog, size_t pc)
{
	int depth = 0;

	for (;; pc++) {
		if (prog[pc] == I_REP)
			depth++;
		else if (prog[pc] == I_ENDREP && depth-- == 0)
			return pc + 1;
	}
}

static void
rdb_module_name(uint64_t id, char name[10])
{
	static const char cset[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	id >>= 10;
	for (int j = 8; j >= 0; j--) {
		name[j] = cset[id & 63];
		id >>= 6;
	}
	name[9] = '\0';
}

/* The key is complete with its value: count it. */
static void
rdb_count_key(struct rdb_reader *r)
{
	r->all_keys++;
	r->type_keys[r->type]++;
	if (r->curdb != (uint64_t)r->db)
		return;
	r->db_keys++;
	if (r->has_expire)
		r->db_expires++;
	for (size_t i = 0; i < r->nprefixes; i++) {
		if (r->prefix_len[i] <= r->dec_len &&
		    memcmp(r->dec, r->prefixes[i], r->prefix_len[i]) == 0) {
			r->prefix_keys[i]++;
			if (r->has_expire)
				r->prefix_expires[i]++;
		}
	}
}

/* Value mode: keep n more bytes of the current value. */
static void
rdb_val_append(struct rdb_reader *r, const uint8_t *p, size_t n)
{
	if (r->val_len + n > r->val_size) {
		size_t want = r->val_size > 0 ? r->val_size : 4096;

		while (want < r->val_len + n)
			want *= 2;
		r->val = xrealloc(r->val, want);
		r->val_size = want;
	}
	memcpy(r->val + r->val_len, p, n);
	r->val_len += n;
}

/* The key and its value are complete: hand them over. */
static int
rdb_hand_key(struct rdb_reader *r)
{
	struct rdb_key k = {
		.key = r->dec,
		.keylen = r->dec_len,
		.type = r->type,
		.db = r->curdb,
		.expire_ms = r->has_expire ? r->expire_ms : -1,
		.off = r->item_off,
		.value = r->want_values ? r->val : NULL,
		.valuelen = r->want_values ? r->val_len : 0,
	};
	struct vs_error herr;

	r->val_on = false;
	error_clear(&herr);
	if (r->on_key(r->on_key_ud, &k, &herr) == 0)
		return 0;
	r->err = herr;
	if (r->err.code == VS_OK)
		r->err.code = VS_ERR_FAILED;
	r->failed = true;
	return -1;
}

/* "Redis 7.4.1", "Valkey 8.0.1" or "Redis" from the aux fields seen so far. */
static const char *
rdb_writer(const struct rdb_reader *r, char *buf, size_t size)
{
	if (r->valkey_ver[0] != '\0')
		snprintf(buf, size, "Valkey %s", r->valkey_ver);
	else if (r->redis_ver[0] != '\0')
		snprintf(buf, size, "Redis %s", r->redis_ver);
	else
		snprintf(buf, size, "Redis");
	return buf;
}

/* Read the decimal digits p[0..n) into *v; false when one is no digit. */
static bool
rdb_digits(const uint8_t *p, size_t n, int *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

/*
 * The 9-byte signature: "REDIS" and four digits of format version, or,
 * from Valkey 9 on, "VALKEY" and three digits, a format of Valkey's own.
 */
static int
rdb_magic(struct rdb_reader *r, const uint8_t *p)
{
	int v;

	if (memcmp(p, "VALKEY", 6) == 0) {
		if (!rdb_digits(p + 6, 3, &v))
			return rdb_fail(r, _("not an RDB file: bad version digits "
			    "in the Valkey signature"));
		return rdb_fail(r, _("this RDB file was written by Valkey 9 or "
		    "newer (signature VALKEY%03d, Valkey's own format %d), which "
		    "this tool cannot read: it reads RDB versions 1 to %d, "
		    "written by Redis up to 8.4 and Valkey up to 8.1"), v, v,
		    RDB_VERSION_MAX);
	}
	if (memcmp(p, "REDIS", 5) != 0)
		return rdb_fail(r, _("not an RDB file: no REDIS signature "
		    "at offset 0"));
	if (!rdb_digits(p + 5, 4, &v))
		return rdb_fail(r, _("not an RDB file: bad version digits "
		    "in the signature"));
	if (v < 1)
		return rdb_fail(r, _("not an RDB file: RDB format version 0"));
	if (v > RDB_VERSION_MAX)
		return rdb_fail(r, _("RDB format version %d is not supported: it "
		    "is written by Redis 8.6 or newer; this tool reads versions "
		    "1 to %d, written by Redis up to 8.4 and Valkey up to 8.1"),
		    v, RDB_VERSION_MAX);
	r->version = v;
	return 0;
}

/* Start the item whose first byte (a type or an opcode) is b. */
static int
rdb_begin_item(struct rdb_reader *r, uint8_t b)
{
	r->item_off = r->off;
	if (r->on_item != NULL)
		r->on_item(r->on_item_ud, r->off);
	r->pc = 0;
	r->depth = 0;
	r->mod_pending = -1;
	r->type = -1;
	switch (b) {
	case RDB_OP_EOF:
		r->crc_end = r->off + 1;
		r->crc_end_known = true;
		r->phase = r->version >= 5 ? PH_CHECKSUM : PH_DONE;
		return 1;
	case RDB_OP_SELECTDB:
		r->prog = p_selectdb;
		return 1;
	case RDB_OP_RESIZEDB:
		r->prog = p_resizedb;
		return 1;
	case RDB_OP_AUX:
		r->prog = p_aux;
		return 1;
	case RDB_OP_EXPIRETIME:
		r->prog = p_expire_s;
		return 1;
	case RDB_OP_EXPIRETIME_MS:
		r->prog = p_expire_ms;
		return 1;
	case RDB_OP_IDLE:
		r->prog = p_idle;
		return 1;
	case RDB_OP_FREQ:
		r->prog = p_freq;
		return 1;
	case RDB_OP_MODULE_AUX:
		r->prog = p_module_aux;
		return 1;
	case RDB_OP_FUNCTION2:
		r->prog = p_function2;
		return 1;
	case RDB_OP_SLOT_INFO:
		r->prog = p_slot_info;
		return 1;
	case RDB_OP_FUNCTION_PRE_GA:
		return rdb_fail(r, _("offset %" PRIu64 " holds a function library "
		    "in the pre-release format of Redis 7.0 release candidates, "
		    "which is not supported"), r->off);
	}
	if (b > RDB_TYPE_MAX || rdb_types[b].prog == NULL) {
		char who[48];

		return rdb_fail(r, _("unknown value type %u at offset %" PRIu64
		    " (RDB version %d, written by %s): the file is damaged, or "
		    "holds a type newer than this tool knows"), b, r->off,
		    r->version, rdb_writer(r, who, sizeof who));
	}
	r->type = b;
	r->prog = rdb_types[b].prog;
	return 1;
}

/*
 * Parse one primitive from p[0..n), n > 0. Returns the bytes used, 0 when
 * more input is needed first, -1 on error.
 */
static int
rdb_step(struct rdb_reader *r, const uint8_t *p, size_t n)
{
	uint64_t v;
	int used;
	char show[RDB_KEY_SHOW + 8];

	switch (r->phase) {
	case PH_MAGIC:
		if (n < 9)
			return 0;
		if (rdb_magic(r, p) != 0)
			return -1;
		r->phase = PH_BODY;
		return 9;
	case PH_CHECKSUM:
		if (n < 8)
			return 0;
		r->stored_crc = rdb_le(p, 8);
		r->phase = PH_DONE;
		return 8;
	case PH_DONE:
		return rdb_fail(r, _("unexpected data after the end of the RDB "
		    "file at offset %" PRIu64), r->off);
	case PH_BODY:
		break;
	}

	for (;;) {
		if (r->prog == NULL)
			return rdb_begin_item(r, p[0]);

		/* Past the key: from here on the bytes are its value. */
		if (r->want_values && r->type >= 0 && r->pc == 1 && !r->val_on) {
			r->val_on = true;
			r->val_len = 0;
			rdb_val_append(r, (const uint8_t[]){ (uint8_t)r->type }, 1);
		}

		switch (r->prog[r->pc]) {
		case I_END:
			if (r->type >= 0) {
				rdb_count_key(r);
				if (r->on_key != NULL && rdb_hand_key(r) < 0)
					return -1;
				r->has_expire = false;
				r->expire_ms = -1;
			} else if (r->prog == p_slot_info && r->on_slot != NULL) {
				r->on_slot(r->on_slot_ud, r->slot_vals[0], r->slot_vals[1],
				    r->slot_vals[2]);
			}
			r->nslot_vals = 0;
			r->prog = NULL;
			continue;
		case I_ENDREP:
			if (--r->loop[r->depth - 1].left > 0) {
				r->pc = r->loop[r->depth - 1].start;
			} else {
				r->depth--;
				r->pc++;
			}
			continue;
		case I_KEY:
			used = rdb_string(r, p, n, CAP_KEY);
			break;
		case I_AUXKEY:
			used = rdb_string(r, p, n, CAP_AUXKEY);
			break;
		case I_AUXVAL:
			used = rdb_string(r, p, n, CAP_AUXVAL);
			break;
		case I_STR:
			used = rdb_string(r, p, n, CAP_NONE);
			break;
		case I_LEN:
			used = rdb_length(r, p, n, &v);
			break;
		case I_FIX1:
		case I_FIX4:
		case I_FIX8:
		case I_FIX16: {
			static const uint8_t width[] = {
				[I_FIX1] = 1, [I_FIX4] = 4, [I_FIX8] = 8, [I_FIX16] = 16
			};
			r->skip = width[r->prog[r->pc]];
			r->pc++;
			/* The run loop passes over the field. */
			return 0;
		}
		case I_DBLSTR:
			/* 253, 254, 255: NaN and infinities, no digits follow. */
			if (p[0] < 253)
				r->skip = p[0];
			used = 1;
			break;
		case I_REP:
			used = rdb_length(r, p, n, &v);
			if (used <= 0)
				return used;
			if (v == 0) {
				r->pc = rdb_skip_loop(r->prog, r->pc + 1);
				return used;
			}
			if (r->depth == RDB_LOOP_MAX)
				fatal("rdb reader: loops nested too deep");
			r->loop[r->depth].left = v;
			r->loop[r->depth].start = r->pc + 1;
			r->depth++;
			r->pc++;
			return used;
		case I_QLCONT:
			used = rdb_length(r, p, n, &v);
			if (used > 0 && v != 1 && v != 2)
				return rdb_fail(r, _("bad quicklist node container %"
				    PRIu64 " at offset %" PRIu64 " in the value of key "
				    "\"%s\""), v, r->off,
				    rdb_key_show(r, show, sizeof show));
			break;
		case I_WHENOP:
			used = rdb_length(r, p, n, &v);
			if (used > 0 && v != RDB_MOD_UINT)
				return rdb_fail(r, _("bad module aux data at offset %"
				    PRIu64), r->item_off);
			break;
		case I_MODPREGA: {
			char name[10];

			used = rdb_length(r, p, n, &v);
			if (used <= 0)
				return used;
			rdb_module_name(v, name);
			return rdb_fail(r, _("key \"%s\" at offset %" PRIu64 " holds a "
			    "value of module type %s in the pre-release module "
			    "format, which cannot be read without the module"),
			    rdb_key_show(r, show, sizeof show), r->item_off, name);
		}
		case I_MODULE:
			if (r->mod_pending == RDB_MOD_STRING) {
				used = rdb_string(r, p, n, CAP_NONE);
				if (used > 0)
					r->mod_pending = -1;
				return used;
			}
			if (r->mod_pending == RDB_MOD_SINT ||
			    r->mod_pending == RDB_MOD_UINT) {
				used = rdb_length(r, p, n, &v);
				if (used > 0)
					r->mod_pending = -1;
				return used;
			}
			used = rdb_length(r, p, n, &v);
			if (used <= 0)
				return used;
			switch (v) {
			case RDB_MOD_EOF:
				r->pc++;
				break;
			case RDB_MOD_SINT:
			case RDB_MOD_UINT:
			case RDB_MOD_STRING:
				r->mod_pending = (int)v;
				break;
			case RDB_MOD_FLOAT:
				r->skip = 4;
				break;
			case RDB_MOD_DOUBLE:
				r->skip = 8;
				break;
			default:
				return rdb_fail(r, _("unknown module data opcode %"
				    PRIu64 " at offset %" PRIu64 " in the item at "
				    "offset %" PRIu64), v, r->off, r->item_off);
			}
			return used;
		case I_SELECTDB:
			used = rdb_length(r, p, n, &v);
			if (used > 0)
				r->curdb = v;
			break;
		case I_SLOTLEN:
			used = rdb_length(r, p, n, &v);
			if (used > 0 && r->nslot_vals < 3)
				r->slot_vals[r->nslot_vals++] = v;
			break;
		case I_EXPIRE_S:
		case I_EXPIRE_MS:
			used = r->prog[r->pc] == I_EXPIRE_S ? 4 : 8;
			if (n < (size_t)used)
				return 0;
			r->has_expire = true;
			/* Seconds are a signed 32-bit time, milliseconds 64-bit;
			 * both little-endian. */
			r->expire_ms = used == 4 ? (int64_t)(int32_t)rdb_le(p, 4) * 1000 :
			    (int64_t)rdb_le(p, 8);
			break;
		default:
			fatal("rdb reader: bad instruction %d", r->prog[r->pc]);
		}
		if (used > 0)
			r->pc++;
		return used;
	}
}

/* Value mode: keep bytes consumed inside a value, within the bound. */
static int
rdb_val_keep(struct rdb_reader *r, const uint8_t *p, size_t n)
{
	if ((uint64_t)r->val_len + n > RDB_VALUE_MAX)
		return rdb_fail(r, _("the value of the key at offset %" PRIu64 " is larger than "
		    "the %" PRIu64 " bytes this tool reads whole"), r->item_off, RDB_VALUE_MAX);
	rdb_val_append(r, p, n);
	return 0;
}

/*
 * Parse p[0..n) until it is used up, more input is needed, or (when
 * stop_after is not SIZE_MAX) at least stop_after bytes were used.
 * Returns the bytes used, or -1 on error.
 */
static long
rdb_run(struct rdb_reader *r, const uint8_t *p, size_t n, size_t stop_after)
{
	size_t used = 0;

	while (used < n && used < stop_after) {
		size_t avail = n - used;

		if (r->skip > 0) {
			size_t k = r->skip < avail ? (size_t)r->skip : avail;

			if (r->val_on && rdb_val_keep(r, p + used, k) < 0)
				return -1;
			r->skip -= k;
			used += k;
			r->off += k;
		} else if (r->cap_mode != CAP_NONE) {
			size_t k = r->cap_left < avail ? (size_t)r->cap_left : avail;
			size_t room = r->cap_size - r->cap_len;
			size_t keep = k < room ? k : room;

			if (r->val_on && rdb_val_keep(r, p + used, k) < 0)
				return -1;
			memcpy(r->cap + r->cap_len, p + used, keep);
			r->cap_len += keep;
			r->cap_left -= k;
			used += k;
			r->off += k;
			if (r->cap_left == 0 && rdb_capture_done(r) < 0)
				return -1;
		} else {
			/* A step that ends a value begins the next item, and one
			 * that starts a value consumes its first primitive: what
			 * a step consumes belongs to the value when it records
			 * after the step. */
			int k = rdb_step(r, p + used, avail);

			if (k < 0)
				return -1;
			if (k == 0) {
				/* A fixed field was queued: pass over it. */
				if (r->skip > 0)
					continue;
				break;
			}
			if (r->val_on && rdb_val_keep(r, p + used, (size_t)k) < 0)
				return -1;
			used += (size_t)k;
			r->off += (uint64_t)k;
		}
	}
	return (long)used;
}

int
rdb_reader_feed(struct rdb_reader *r, const void *buf, size_t len,
    struct vs_error *err)
{
	const uint8_t *p = buf;
	uint64_t chunk_off = r->fed;
	size_t crc_len;
	long used;

	if (r->failed)
		goto fail;
	if (len == 0)
		return 0;
	r->fed += len;

	if (r->carry_len > 0) {
		/* Finish the primitive split by the previous chunk, using a
		 * copy of its bytes followed by the start of this chunk. */
		size_t old = r->carry_len;
		size_t take = RDB_CARRY_SIZE - old < len ? RDB_CARRY_SIZE - old : len;

		memcpy(r->carry + old, p, take);
		used = rdb_run(r, r->carry, old + take, old);
		if (used < 0)
			goto fail;
		if ((size_t)used < old) {
			/* Still not enough: all of this chunk is in the carry. */
			memmove(r->carry, r->carry + used, old + take - (size_t)used);
			r->carry_len = old + take - (size_t)used;
			goto checksum;
		}
		p += (size_t)used - old;
		len -= (size_t)used - old;
		r->carry_len = 0;
	}

	used = rdb_run(r, p, len, SIZE_MAX);
	if (used < 0)
		goto fail;
	if ((size_t)used < len) {
		r->carry_len = len - (size_t)used;
		if (r->carry_len > RDB_PRIM_MAX)
			fatal("rdb reader: %zu bytes left unparsed", r->carry_len);
		memcpy(r->carry, p + used, r->carry_len);
	}

checksum:
	/* Checksum this chunk up to the byte after the EOF opcode. */
	p = buf;
	len = (size_t)(r->fed - chunk_off);
	crc_len = len;
	if (r->crc_end_known) {
		if (r->crc_end <= chunk_off)
			crc_len = 0;
		else if (r->crc_end - chunk_off < len)
			crc_len = (size_t)(r->crc_end - chunk_off);
	}
	r->crc = rdb_crc64(r->crc, p, crc_len);
	return 0;

fail:
	if (err != NULL)
		*err = r->err;
	return -1;
}

/* What the parser was in the middle of, for a truncation message. */
static void
rdb_describe_position(const struct rdb_reader *r, char *buf, size_t size)
{
	char show[RDB_KEY_SHOW + 8];

	switch (r->phase) {
	case PH_MAGIC:
		snprintf(buf, size, "%s", _("the file header"));
		return;
	case PH_CHECKSUM:
		snprintf(buf, size, "%s", _("the checksum"));
		return;
	case PH_DONE:
		buf[0] = '\0';
		return;
	case PH_BODY:
		break;
	}
	if (r->prog == NULL)
		snprintf(buf, size, "%s", _("the data, before the end-of-file mark"));
	else if (r->type < 0)
		snprintf(buf, size, _("the item at offset %" PRIu64), r->item_off);
	else if (r->pc == 0 || r->cap_mode == CAP_KEY)
		snprintf(buf, size, _("the key at offset %" PRIu64), r->item_off);
	else
		snprintf(buf, size, _("the %s value of key \"%s\" at offset %" PRIu64),
		    rdb_type_name(r->type), rdb_key_show(r, show, sizeof show),
		    r->item_off);
}

int
rdb_reader_finish(struct rdb_reader *r, struct rdb_summary *out,
    struct vs_error *err)
{
	char where[256];

	memset(out, 0, sizeof *out);
	if (r->failed) {
		if (err != NULL)
			*err = r->err;
		return -1;
	}
	if (r->phase != PH_DONE || r->carry_len > 0 || r->skip > 0 ||
	    r->cap_mode != CAP_NONE) {
		rdb_describe_position(r, where, sizeof where);
		return error_set(err, VS_ERR_FORMAT, _("the RDB data ends at offset "
		    "%" PRIu64 " inside %s: the file is truncated"), r->fed, where);
	}

	out->version = r->version;
	memcpy(out->redis_ver, r->redis_ver, sizeof out->redis_ver);
	if (r->valkey_ver[0] != '\0') {
		snprintf(out->server, sizeof out->server, "valkey");
		memcpy(out->server_ver, r->valkey_ver, sizeof out->server_ver);
	} else if (r->redis_ver[0] != '\0') {
		snprintf(out->server, sizeof out->server, "redis");
		memcpy(out->server_ver, r->redis_ver, sizeof out->server_ver);
	}
	out->ctime = r->ctime;
	out->nprefixes = r->nprefixes;
	out->prefix_keys = xcalloc(r->nprefixes + 1, sizeof *out->prefix_keys);
	memcpy(out->prefix_keys, r->prefix_keys, r->nprefixes * sizeof *r->prefix_keys);
	out->prefix_expires = xcalloc(r->nprefixes + 1, sizeof *out->prefix_expires);
	memcpy(out->prefix_expires, r->prefix_expires, r->nprefixes * sizeof *r->prefix_expires);
	out->db_keys = r->db_keys;
	out->db_expires = r->db_expires;
	out->all_keys = r->all_keys;
	memcpy(out->type_keys, r->type_keys, sizeof out->type_keys);
	out->bytes = r->fed;
	out->checksum = r->stored_crc;
	out->checksum_present = r->version >= 5 && r->stored_crc != 0;
	out->checksum_ok = out->checksum_present && r->stored_crc == r->crc;
	if (out->checksum_present && !out->checksum_ok)
		return error_set(err, VS_ERR_FORMAT, _("RDB checksum mismatch: the "
		    "file says %016" PRIx64 ", its %" PRIu64 " bytes give %016"
		    PRIx64 ": the file is damaged"), r->stored_crc, r->crc_end,
		    r->crc);
	return 0;
}
