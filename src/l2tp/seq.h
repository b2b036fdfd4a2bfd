/* 16-bit sequence number arithmetic with wraparound (RFC 2661 §5.8). */
#ifndef L2TP_SEQ_H
#define L2TP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 2661 §5.8: a message is new if Ns is within the window after next_nr. */
static inline bool seq_in_window(uint16_t ns, uint16_t next_nr, uint16_t window)
{
	return (uint16_t)(ns - next_nr) < window;
}

/* a < b in sequence space: b is ahead of a by less than half the space. */
static inline bool seq_before(uint16_t a, uint16_t b)
{
	return a != b && (uint16_t)(b - a) < 0x8000;
}

/* How far b is ahead of a. */
static inline uint16_t seq_distance(uint16_t a, uint16_t b)
{
	return (uint16_t)(b - a);
}

#endif
