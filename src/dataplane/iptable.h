/* Subscriber address -> session, for packets from the TUN: an IPv4 address
 * or an IPv6 /64 prefix to a pointer, O(1) expected, no allocation on
 * lookup.
 *
 * Open addressing, linear probing, power-of-two array, backward-shift
 * deletion (no tombstones), growth at 3/4 load. Keys and values live in two
 * arrays so a probe walks eight keys per cache line. Both families share
 * one table: an IPv4 key is 0xffffffff:<address>, which as a /64 would be
 * a multicast prefix (ff00::/8), never a subscriber's. Keys are hashed with
 * a per-table random seed and a full 64-bit mixer: pool addresses are
 * consecutive, and an identity hash would cluster them into long runs that
 * every miss (traffic to an unassigned address, a cheap attack) would have
 * to walk. */
#ifndef L2TPD_DATAPLANE_IPTABLE_H
#define L2TPD_DATAPLANE_IPTABLE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct iptable {
	uint64_t *keys; /* 0 = empty slot */
	void **values;
	size_t mask;    /* capacity - 1 */
	size_t count;
	uint64_t seed;
};

/* Room for expected entries before the first growth. 0 or -ENOMEM. */
int iptable_init(struct iptable *t, size_t expected);
void iptable_destroy(struct iptable *t);

/* 0, -EEXIST, -EINVAL (0.0.0.0, NULL value), -ENOMEM. */
int iptable_insert4(struct iptable *t, struct in_addr a, void *value);
void *iptable_find4(const struct iptable *t, struct in_addr a);
/* The removed value, or NULL. */
void *iptable_remove4(struct iptable *t, struct in_addr a);

/* By the /64 of the address (the rest is ignored). Insert: -EINVAL for
 * ::/64 and multicast. */
int iptable_insert6(struct iptable *t, const struct in6_addr *prefix, void *value);
void *iptable_find6(const struct iptable *t, const struct in6_addr *a);
void *iptable_remove6(struct iptable *t, const struct in6_addr *prefix);

size_t iptable_count(const struct iptable *t);
size_t iptable_memory(const struct iptable *t);

#endif
