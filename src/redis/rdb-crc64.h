/*
 * The CRC-64 that Redis appends to RDB files ("crc-64-jones": reflected
 * polynomial 0x95ac9329ac4bc9b5, initial value 0, no final xor).
 */
#ifndef VS_RDB_CRC64_H
#define VS_RDB_CRC64_H

#include <stddef.h>
#include <stdint.h>

/* Continue crc over len bytes of buf; start a new checksum with crc 0.
 * Safe to call from any thread. */
uint64_t rdb_crc64(uint64_t crc, const void *buf, size_t len);

#endif
