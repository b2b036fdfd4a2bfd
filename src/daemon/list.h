/* Intrusive circular doubly-linked list (for iteration and ownership, never
 * for lookups: lookups go through idtable). */
#ifndef L2TPD_LIST_H
#define L2TPD_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

static inline void list_init(struct list_node *h)
{
	h->next = h->prev = h;
}

static inline bool list_empty(const struct list_node *h)
{
	return h->next == h;
}

static inline bool list_linked(const struct list_node *n)
{
	return n->next && n->next != n;
}

static inline void list_add_tail(struct list_node *h, struct list_node *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

/* Unlink and leave the node self-linked (so list_linked() is false). */
static inline void list_del(struct list_node *n)
{
	if (!n->next)
		return;
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#define list_entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Safe against removal of the current node. */
#define list_for_each_safe(pos, tmp, head)                                                         \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                           \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
