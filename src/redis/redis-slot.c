#include "config.h"

#include <stdio.h>
#include <string.h>

#include "redis/redis-slot.h"

uint16_t
redis_crc16(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

unsigned
redis_key_slot(const void *key, size_t len)
{
	const char *k = key, *open = memchr(k, '{', len), *close;

	if (open != NULL) {
		size_t rest = len - (size_t)(open - k) - 1;

		close = memchr(open + 1, '}', rest);
		if (close != NULL && close > open + 1)
			return redis_crc16(open + 1, (size_t)(close - open - 1)) & (REDIS_SLOTS - 1);
	}
	return redis_crc16(k, len) & (REDIS_SLOTS - 1);
}

void
redis_slots_format(const struct redis_slot_range *r, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 1 < size; i++) {
		int k = r[i].first == r[i].last ?
		    snprintf(buf + len, size - len, "%s%u", i ? "," : "", r[i].first) :
		    snprintf(buf + len, size - len, "%s%u-%u", i ? "," : "", r[i].first, r[i].last);

		if (k < 0 || (size_t)k >= size - len)
			break;
		len += (size_t)k;
	}
}

bool
redis_slots_equal(const struct redis_slot_range *a, size_t na,
    const struct redis_slot_range *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].first != b[i].first || a[i].last != b[i].last)
			return false;
	return true;
}

bool
redis_slots_contain(const struct redis_slot_range *r, size_t n, unsigned slot)
{
	for (size_t i = 0; i < n; i++)
		if (slot >= r[i].first && slot <= r[i].last)
			return true;
	return false;
}
