/* A hash table from 32-bit keys to pointers, and random non-zero unique
 * 16-bit ids. Tunnels are keyed by their local tunnel id, sessions by
 * (local tunnel id << 16 | local session id).
 *
 * Open addressing with linear probing over a power-of-two array, keys
 * scrambled by a real hash (peers and attackers use incrementing or chosen
 * ids, and an identity hash would cluster), backward-shift deletion (no
 * tombstones), growth at 1/2 load. O(1) expected for find, insert, remove. */
#ifndef L2TPD_IDTABLE_H
#define L2TPD_IDTABLE_H

#include <stddef.h>
#include <stdint.h>

struct idtable_slot {
	uint32_t key;
	void *value;          /* NULL = empty slot */
};

struct idtable {
	struct idtable_slot *slots;
	size_t mask;          /* capacity - 1 */
	size_t count;
	uint64_t rng[2];      /* xorshift128+ state for ids, seeded by getrandom */
};

int idtable_init(struct idtable *t, size_t initial_capacity);
void idtable_destroy(struct idtable *t);

void *idtable_find(const struct idtable *t, uint32_t key);
/* 0, -EEXIST if the key is present, -ENOMEM, -EINVAL for a NULL value. */
int idtable_insert(struct idtable *t, uint32_t key, void *value);
/* The removed value, or NULL if absent. */
void *idtable_remove(struct idtable *t, uint32_t key);
size_t idtable_count(const struct idtable *t);

/* A random id in 1..65535 such that (prefix << 16 | id) is not in t, or 0
 * when none was found (the table holds most of that id space). */
uint16_t idtable_random_id(struct idtable *t, uint16_t prefix);

/* Visit every entry (the table must not change during the walk);
 * stops early if fn returns non-zero, and returns that value. */
int idtable_foreach(const struct idtable *t, int (*fn)(uint32_t key, void *value, void *arg),
		    void *arg);

#endif
