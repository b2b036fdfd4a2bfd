/* Address -> session hash table (see iptable.h). */
#include "iptable.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define IPTABLE_V4_TAG 0xffffffff00000000ull
#define IPTABLE_MIN_CAP 16

/* murmur3's 64-bit finalizer over the seeded key: every input bit flips
 * about half of the output bits. */
static size_t iptable_slot(const struct iptable *t, uint64_t k)
{
	k ^= t->seed;
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return (size_t)k & t->mask;
}

static uint64_t iptable_key4(struct in_addr a)
{
	return IPTABLE_V4_TAG | ntohl(a.s_addr);
}

static uint64_t iptable_key6(const struct in6_addr *a)
{
	uint64_t k = 0;

	for (int i = 0; i < 8; i++)
		k = k << 8 | a->s6_addr[i];
	return k;
}

static int iptable_alloc(struct iptable *t, size_t cap)
{
	t->keys = calloc(cap, sizeof(*t->keys));
	t->values = calloc(cap, sizeof(*t->values));
	if (!t->keys || !t->values) {
		free(t->keys);
		free(t->values);
		t->keys = NULL;
		t->values = NULL;
		return -ENOMEM;
	}
	t->mask = cap - 1;
	return 0;
}

int iptable_init(struct iptable *t, size_t expected)
{
	size_t cap = IPTABLE_MIN_CAP;

	memset(t, 0, sizeof(*t));
	while (cap / 4 * 3 < expected)
		cap <<= 1;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t->seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uintptr_t)t;
	}
	return iptable_alloc(t, cap);
}

void iptable_destroy(struct iptable *t)
{
	free(t->keys);
	free(t->values);
	memset(t, 0, sizeof(*t));
}

static void iptable_place(struct iptable *t, uint64_t key, void *value)
{
	size_t i = iptable_slot(t, key);

	while (t->keys[i])
		i = (i + 1) & t->mask;
	t->keys[i] = key;
	t->values[i] = value;
}

static int iptable_grow(struct iptable *t)
{
	struct iptable old = *t;
	int rc;

	rc = iptable_alloc(t, (old.mask + 1) * 2);
	if (rc < 0) {
		*t = old;
		return rc;
	}
	for (size_t i = 0; i <= old.mask; i++)
		if (old.keys[i])
			iptable_place(t, old.keys[i], old.values[i]);
	free(old.keys);
	free(old.values);
	return 0;
}

static void *iptable_find(const struct iptable *t, uint64_t key)
{
	size_t i;

	if (!t->keys)
		return NULL;
	for (i = iptable_slot(t, key); t->keys[i]; i = (i + 1) & t->mask)
		if (t->keys[i] == key)
			return t->values[i];
	return NULL;
}

static int iptable_insert(struct iptable *t, uint64_t key, void *value)
{
	int rc;

	if (!value)
		return -EINVAL;
	if (iptable_find(t, key))
		return -EEXIST;
	if ((t->count + 1) * 4 > (t->mask + 1) * 3) {
		rc = iptable_grow(t);
		if (rc < 0)
			return rc;
	}
	iptable_place(t, key, value);
	t->count++;
	return 0;
}

/* Backward-shift deletion: pull later members of the probe run into the
 * hole when their home slot allows, so lookups never need tombstones. */
static void *iptable_remove(struct iptable *t, uint64_t key)
{
	size_t i, j;
	void *value;

	if (!t->keys)
		return NULL;
	for (i = iptable_slot(t, key); t->keys[i] != key; i = (i + 1) & t->mask)
		if (!t->keys[i])
			return NULL;
	value = t->values[i];
	for (j = (i + 1) & t->mask; t->keys[j]; j = (j + 1) & t->mask) {
		size_t home = iptable_slot(t, t->keys[j]);

		/* Move j to i unless its home lies cyclically in (i, j]. */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->keys[i] = t->keys[j];
			t->values[i] = t->values[j];
			i = j;
		}
	}
	t->keys[i] = 0;
	t->values[i] = NULL;
	t->count--;
	return value;
}

int iptable_insert4(struct iptable *t, struct in_addr a, void *value)
{
	if (a.s_addr == 0)
		return -EINVAL;
	return iptable_insert(t, iptable_key4(a), value);
}

void *iptable_find4(const struct iptable *t, struct in_addr a)
{
	return iptable_find(t, iptable_key4(a));
}

void *iptable_remove4(struct iptable *t, struct in_addr a)
{
	return iptable_remove(t, iptable_key4(a));
}

int iptable_insert6(struct iptable *t, const struct in6_addr *prefix, void *value)
{
	uint64_t key = iptable_key6(prefix);

	if (key == 0 || prefix->s6_addr[0] == 0xff)
		return -EINVAL;
	return iptable_insert(t, key, value);
}

/* Multicast never matches: ff.. is where the IPv4 keys live. */
void *iptable_find6(const struct iptable *t, const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff ? NULL : iptable_find(t, iptable_key6(a));
}

void *iptable_remove6(struct iptable *t, const struct in6_addr *prefix)
{
	return prefix->s6_addr[0] == 0xff ? NULL : iptable_remove(t, iptable_key6(prefix));
}

size_t iptable_count(const struct iptable *t)
{
	return t->count;
}

size_t iptable_memory(const struct iptable *t)
{
	return sizeof(*t) + (t->keys ? (t->mask + 1) * (sizeof(*t->keys) + sizeof(*t->values)) : 0);
}
