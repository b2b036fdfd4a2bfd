/* IPv4 address pools for subscribers: the ranges of one [lns] section,
 * O(1) allocate, free and reserve.
 *
 * Free addresses sit in a FIFO doubly linked through two index arrays
 * (8 octets per address: a /12 of a million addresses is 8 MB). Allocation
 * takes the address freed longest ago, so an address that just left one
 * subscriber is not handed to the next one at once (stale state at the far
 * end, and abuse reports that name an address and a time stay
 * unambiguous). Reserving a particular address (a user's static IP) unlinks
 * it from the middle of the list in O(1). */
#ifndef L2TPD_DATAPLANE_POOL_H
#define L2TPD_DATAPLANE_POOL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool_range {
	uint32_t first, last; /* host byte order, inclusive */
	uint32_t base;        /* index of first */
};

struct pool {
	struct pool_range *ranges;  /* sorted by address: address -> index */
	struct pool_range *by_base; /* in the order added, so by base: index -> address */
	size_t n_ranges;
	uint32_t *next, *prev;     /* per index: free-list links; next = POOL_USED when taken */
	uint32_t size;             /* addresses in all ranges */
	uint32_t n_free;
	uint32_t head, tail;       /* allocate at head, free to tail */
};

#define POOL_SIZE_MAX (1u << 28) /* 2 GB of links; far beyond any one box */

void pool_init(struct pool *p);
void pool_destroy(struct pool *p);

/* Add first..last (network byte order, inclusive), all free. Allowed while
 * addresses are in use. 0, -EINVAL (first > last, 0.0.0.0 or
 * 255.255.255.255 inside), -EEXIST (overlaps a range), -E2BIG, -ENOMEM. */
int pool_add_range(struct pool *p, struct in_addr first, struct in_addr last);

/* The free address freed longest ago: 0, or -ENOSPC when none is left. */
int pool_alloc(struct pool *p, struct in_addr *out);
/* Take this address (static per-user IP): 0, -ENOENT (not in the pool),
 * -EADDRINUSE. */
int pool_reserve(struct pool *p, struct in_addr a);
/* Give back an allocated or reserved address: 0, -ENOENT, -EALREADY (free). */
int pool_free(struct pool *p, struct in_addr a);

bool pool_contains(const struct pool *p, struct in_addr a);
bool pool_in_use(const struct pool *p, struct in_addr a);
uint32_t pool_size(const struct pool *p);
uint32_t pool_available(const struct pool *p);
size_t pool_memory(const struct pool *p);

#endif
