/* IPv4 address pools: FIFO free list over index arrays (see pool.h). */
#include "pool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POOL_NIL UINT32_MAX
#define POOL_USED (UINT32_MAX - 1)

void pool_init(struct pool *p)
{
	memset(p, 0, sizeof(*p));
	p->head = p->tail = POOL_NIL;
}

void pool_destroy(struct pool *p)
{
	free(p->ranges);
	free(p->by_base);
	free(p->next);
	free(p->prev);
	pool_init(p);
}

/* The range holding host-order address h: binary search over the few
 * ranges of a section. */
static const struct pool_range *pool_find_range(const struct pool *p, uint32_t h)
{
	size_t lo = 0, hi = p->n_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pool_range *r = &p->ranges[mid];

		if (h < r->first)
			hi = mid;
		else if (h > r->last)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

static uint32_t pool_index(const struct pool *p, struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);
	const struct pool_range *r = pool_find_range(p, h);

	return r ? r->base + (h - r->first) : POOL_NIL;
}

/* Index to address: binary search by base over the ranges in the order
 * they were added. */
static struct in_addr pool_addr(const struct pool *p, uint32_t i)
{
	size_t lo = 0, hi = p->n_ranges;
	struct in_addr a = { 0 };

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->by_base[mid].base <= i)
			lo = mid;
		else
			hi = mid;
	}
	if (p->n_ranges)
		a.s_addr = htonl(p->by_base[lo].first + (i - p->by_base[lo].base));
	return a;
}

static void pool_link_tail(struct pool *p, uint32_t i)
{
	p->next[i] = POOL_NIL;
	p->prev[i] = p->tail;
	if (p->tail != POOL_NIL)
		p->next[p->tail] = i;
	else
		p->head = i;
	p->tail = i;
	p->n_free++;
}

static void pool_unlink(struct pool *p, uint32_t i)
{
	if (p->prev[i] != POOL_NIL)
		p->next[p->prev[i]] = p->next[i];
	else
		p->head = p->next[i];
	if (p->next[i] != POOL_NIL)
		p->prev[p->next[i]] = p->prev[i];
	else
		p->tail = p->prev[i];
	p->next[i] = POOL_USED;
	p->prev[i] = POOL_NIL;
	p->n_free--;
}

int pool_add_range(struct pool *p, struct in_addr first, struct in_addr last)
{
	uint32_t f = ntohl(first.s_addr), l = ntohl(last.s_addr);
	struct pool_range *ranges, *by_base;
	uint32_t *next, *prev;
	uint64_t count;
	size_t pos;

	if (f > l || f == 0 || l == UINT32_MAX)
		return -EINVAL;
	count = (uint64_t)l - f + 1;
	if (count > POOL_SIZE_MAX - p->size)
		return -E2BIG;
	for (pos = 0; pos < p->n_ranges && p->ranges[pos].last < f; pos++)
		;
	if (pos < p->n_ranges && p->ranges[pos].first <= l)
		return -EEXIST;

	ranges = realloc(p->ranges, (p->n_ranges + 1) * sizeof(*ranges));
	if (!ranges)
		return -ENOMEM;
	p->ranges = ranges;
	by_base = realloc(p->by_base, (p->n_ranges + 1) * sizeof(*by_base));
	if (!by_base)
		return -ENOMEM;
	p->by_base = by_base;
	next = realloc(p->next, (p->size + count) * sizeof(*next));
	if (!next)
		return -ENOMEM;
	p->next = next;
	prev = realloc(p->prev, (p->size + count) * sizeof(*prev));
	if (!prev)
		return -ENOMEM;
	p->prev = prev;

	memmove(&ranges[pos + 1], &ranges[pos], (p->n_ranges - pos) * sizeof(*ranges));
	ranges[pos] = (struct pool_range){ .first = f, .last = l, .base = p->size };
	by_base[p->n_ranges] = ranges[pos];
	p->n_ranges++;
	for (uint64_t k = 0; k < count; k++)
		pool_link_tail(p, p->size + (uint32_t)k);
	p->size += (uint32_t)count;
	return 0;
}

int pool_alloc(struct pool *p, struct in_addr *out)
{
	uint32_t i = p->head;

	if (i == POOL_NIL)
		return -ENOSPC;
	pool_unlink(p, i);
	*out = pool_addr(p, i);
	return 0;
}

int pool_reserve(struct pool *p, struct in_addr a)
{
	uint32_t i = pool_index(p, a);

	if (i == POOL_NIL)
		return -ENOENT;
	if (p->next[i] == POOL_USED)
		return -EADDRINUSE;
	pool_unlink(p, i);
	return 0;
}

int pool_free(struct pool *p, struct in_addr a)
{
	uint32_t i = pool_index(p, a);

	if (i == POOL_NIL)
		return -ENOENT;
	if (p->next[i] != POOL_USED)
		return -EALREADY;
	pool_link_tail(p, i);
	return 0;
}

bool pool_contains(const struct pool *p, struct in_addr a)
{
	return pool_index(p, a) != POOL_NIL;
}

bool pool_in_use(const struct pool *p, struct in_addr a)
{
	uint32_t i = pool_index(p, a);

	return i != POOL_NIL && p->next[i] == POOL_USED;
}

uint32_t pool_size(const struct pool *p)
{
	return p->size;
}

uint32_t pool_available(const struct pool *p)
{
	return p->n_free;
}

size_t pool_memory(const struct pool *p)
{
	return sizeof(*p) + 2 * p->n_ranges * sizeof(*p->ranges) +
	       (size_t)p->size * (sizeof(*p->next) + sizeof(*p->prev));
}
