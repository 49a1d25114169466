/*
 * CRC-64/Jones, table driven and sliced sixteen bytes at a time: the RDB
 * reader checksums every byte of a backup, so this loop sets its speed.
 * Tables are built once on first use.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "redis/rdb-crc64.h"

#define RDB_CRC64_POLY 0x95ac9329ac4bc9b5ULL
#define RDB_CRC64_SLICES 16

static uint64_t rdb_crc64_table[RDB_CRC64_SLICES][256];
static pthread_once_t rdb_crc64_once = PTHREAD_ONCE_INIT;

static void
rdb_crc64_init(void)
{
	for (unsigned i = 0; i < 256; i++) {
		uint64_t crc = i;

		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (crc >> 1) ^ RDB_CRC64_POLY : crc >> 1;
		rdb_crc64_table[0][i] = crc;
	}
	/* Table k advances a byte through k further zero bytes. */
	for (unsigned i = 0; i < 256; i++) {
		uint64_t crc = rdb_crc64_table[0][i];

		for (int k = 1; k < RDB_CRC64_SLICES; k++) {
			crc = rdb_crc64_table[0][crc & 0xff] ^ (crc >> 8);
			rdb_crc64_table[k][i] = crc;
		}
	}
}

static inline uint64_t
rdb_crc64_load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

uint64_t
rdb_crc64(uint64_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	const uint64_t (*t)[256] = rdb_crc64_table;

	pthread_once(&rdb_crc64_once, rdb_crc64_init);
	while (len >= 16) {
		uint64_t a = rdb_crc64_load64(p) ^ crc;
		uint64_t b = rdb_crc64_load64(p + 8);

		crc = t[15][a & 0xff] ^ t[14][(a >> 8) & 0xff] ^
		    t[13][(a >> 16) & 0xff] ^ t[12][(a >> 24) & 0xff] ^
		    t[11][(a >> 32) & 0xff] ^ t[10][(a >> 40) & 0xff] ^
		    t[9][(a >> 48) & 0xff] ^ t[8][a >> 56] ^
		    t[7][b & 0xff] ^ t[6][(b >> 8) & 0xff] ^
		    t[5][(b >> 16) & 0xff] ^ t[4][(b >> 24) & 0xff] ^
		    t[3][(b >> 32) & 0xff] ^ t[2][(b >> 40) & 0xff] ^
		    t[1][(b >> 48) & 0xff] ^ t[0][b >> 56];
		p += 16;
		len -= 16;
	}
	while (len-- > 0)
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}
