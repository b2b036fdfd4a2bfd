/* Open-addressing hash table with backward-shift deletion, and random ids. */
#include "idtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* murmur3 finalizer: every key bit affects every hash bit, so sequential
 * ids spread over the whole array. */
static uint32_t idtable_hash(uint32_t k)
{
	k ^= k >> 16;
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	k *= 0xc2b2ae35u;
	k ^= k >> 16;
	return k;
}

static uint64_t idtable_rand(struct idtable *t)
{
	uint64_t s1 = t->rng[0];
	const uint64_t s0 = t->rng[1];

	t->rng[0] = s0;
	s1 ^= s1 << 23;
	t->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
	return t->rng[1] + s0;
}

int idtable_init(struct idtable *t, size_t initial_capacity)
{
	size_t cap = 16;

	memset(t, 0, sizeof(*t));
	while (cap < initial_capacity)
		cap <<= 1;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = cap - 1;
	if (getrandom(t->rng, sizeof(t->rng), 0) != (ssize_t)sizeof(t->rng)) {
		/* Only ids' unpredictability suffers; uniqueness does not. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t->rng[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u;
		t->rng[1] = (uint64_t)ts.tv_sec ^ (uintptr_t)t;
	}
	if (!t->rng[0] && !t->rng[1])
		t->rng[0] = 1;
	return 0;
}

void idtable_destroy(struct idtable *t)
{
	free(t->slots);
	t->slots = NULL;
	t->mask = 0;
	t->count = 0;
}

void *idtable_find(const struct idtable *t, uint32_t key)
{
	size_t i;

	if (!t->slots)
		return NULL;
	for (i = idtable_hash(key) & t->mask; t->slots[i].value; i = (i + 1) & t->mask)
		if (t->slots[i].key == key)
			return t->slots[i].value;
	return NULL;
}

/* Place without checks; the array has a free slot. */
static void idtable_place(struct idtable_slot *slots, size_t mask, uint32_t key, void *value)
{
	size_t i = idtable_hash(key) & mask;

	while (slots[i].value)
		i = (i + 1) & mask;
	slots[i].key = key;
	slots[i].value = value;
}

static int idtable_grow(struct idtable *t)
{
	size_t cap = (t->mask + 1) * 2;
	struct idtable_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i].value)
			idtable_place(slots, cap - 1, t->slots[i].key, t->slots[i].value);
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
	return 0;
}

int idtable_insert(struct idtable *t, uint32_t key, void *value)
{
	int rc;

	if (!value || !t->slots)
		return -EINVAL;
	if (idtable_find(t, key))
		return -EEXIST;
	if ((t->count + 1) * 2 > t->mask + 1) {
		rc = idtable_grow(t);
		if (rc < 0)
			return rc;
	}
	idtable_place(t->slots, t->mask, key, value);
	t->count++;
	return 0;
}

void *idtable_remove(struct idtable *t, uint32_t key)
{
	size_t i, j;
	void *value;

	if (!t->slots)
		return NULL;
	for (i = idtable_hash(key) & t->mask; t->slots[i].value; i = (i + 1) & t->mask)
		if (t->slots[i].key == key)
			break;
	if (!t->slots[i].value)
		return NULL;
	value = t->slots[i].value;
	t->slots[i].value = NULL;
	t->count--;

	/* Backward shift: move later members of the probe run into the hole
	 * when their home slot does not lie cyclically in (hole, j]. */
	for (j = (i + 1) & t->mask; t->slots[j].value; j = (j + 1) & t->mask) {
		size_t home = idtable_hash(t->slots[j].key) & t->mask;

		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			t->slots[j].value = NULL;
			i = j;
		}
	}
	return value;
}

size_t idtable_count(const struct idtable *t)
{
	return t->count;
}

uint16_t idtable_random_id(struct idtable *t, uint16_t prefix)
{
	uint32_t base = (uint32_t)prefix << 16;

	/* Random probes first: unpredictable ids (§9.1: blind injection
	 * needs the ids). When the space is nearly full, fall back to a scan
	 * from a random point so we never fail while an id is free. */
	for (int tries = 0; tries < 64; tries++) {
		uint16_t id = (uint16_t)idtable_rand(t);

		if (id && !idtable_find(t, base | id))
			return id;
	}
	uint16_t start = (uint16_t)idtable_rand(t);

	for (uint32_t n = 0; n < 65536; n++) {
		uint16_t id = (uint16_t)(start + n);

		if (id && !idtable_find(t, base | id))
			return id;
	}
	return 0;
}

int idtable_foreach(const struct idtable *t, int (*fn)(uint32_t key, void *value, void *arg),
		    void *arg)
{
	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		if (t->slots[i].value) {
			int rc = fn(t->slots[i].key, t->slots[i].value, arg);

			if (rc)
				return rc;
		}
	}
	return 0;
}
