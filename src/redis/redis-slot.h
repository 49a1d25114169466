/*
 * Redis Cluster's key slots: CRC-16 (XMODEM: polynomial 0x1021, initial
 * value 0) of the key, or of its hash tag, modulo 16384. A hash tag is what
 * lies between the first '{' and the first '}' after it, when that is not
 * empty: "{user1}.a" and "{user1}.b" share a slot. Pure code.
 */
#ifndef VS_REDIS_SLOT_H
#define VS_REDIS_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define REDIS_SLOTS 16384

/* The CRC-16 Redis Cluster uses. */
uint16_t redis_crc16(const void *buf, size_t len);

/* The slot of a key (0 to REDIS_SLOTS - 1). */
unsigned redis_key_slot(const void *key, size_t len);

#endif
