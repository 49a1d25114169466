/*
 * Redis Cluster's key slots: CRC-16 (XMODEM: polynomial 0x1021, initial
 * value 0) of the key, or of its hash tag, modulo 16384. A hash tag is what
 * lies between the first '{' and the first '}' after it, when that is not
 * empty: "{user1}.a" and "{user1}.b" share a slot. Pure code.
 */
#ifndef VS_REDIS_SLOT_H
#define VS_REDIS_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REDIS_SLOTS 16384

/* Slots first to last, both included. */
struct redis_slot_range {
	uint16_t first, last;
};

/* The CRC-16 Redis Cluster uses. */
uint16_t redis_crc16(const void *buf, size_t len);

/* The slot of a key (0 to REDIS_SLOTS - 1). */
unsigned redis_key_slot(const void *key, size_t len);

/* "0-5460,10923" for messages, at most size bytes. */
void redis_slots_format(const struct redis_slot_range *r, size_t n, char *buf, size_t size);

/* Do two lists of ranges name the same slots? */
bool redis_slots_equal(const struct redis_slot_range *a, size_t na,
    const struct redis_slot_range *b, size_t nb);

/* Is slot in one of the ranges? */
bool redis_slots_contain(const struct redis_slot_range *r, size_t n, unsigned slot);

#endif
