/* Network byte order loads and stores for the codec: RFC 2661 §6.0, "All
 * data is sent in network order (high order octets first)". Internal to
 * src/l2tp; callers outside use the parsed structures. */
#ifndef L2TP_BYTEORDER_H
#define L2TP_BYTEORDER_H

#include <stdint.h>

static inline uint16_t l2tp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t l2tp_get32(const uint8_t *p)
{
	return (uint32_t)l2tp_get16(p) << 16 | l2tp_get16(p + 2);
}

static inline void l2tp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void l2tp_put32(uint8_t *p, uint32_t v)
{
	l2tp_put16(p, (uint16_t)(v >> 16));
	l2tp_put16(p + 2, (uint16_t)v);
}

#endif
