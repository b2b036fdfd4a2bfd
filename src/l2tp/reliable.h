/* Reliable delivery of control messages, one per tunnel (RFC 2661 §5.8 and
 * Appendix A): Ns/Nr, the peer's receive window, retransmission with
 * exponential backoff, delayed ZLB acknowledgements, duplicate and
 * out-of-order handling, slow start and congestion avoidance.
 *
 * No I/O and no clock of its own: the owner passes the time (milliseconds,
 * any monotonic origin) to every call, sends through a callback, and calls
 * l2tp_rt_tick() at l2tp_rt_next_deadline(). It knows nothing of what the
 * messages mean. Callbacks may call l2tp_rt_send() but must not free the
 * transport; the owner frees it later, outside any callback. */
#ifndef L2TP_RELIABLE_H
#define L2TP_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define L2TP_RT_NO_DEADLINE UINT64_MAX
#define L2TP_RT_DEFAULT_PEER_WINDOW 4 /* §4.4.3: assumed when the peer sends no RWS AVP */

struct l2tp_rt_config {
	uint16_t receive_window;        /* ours: out-of-order messages we hold (>= 1) */
	uint32_t retransmit_initial_ms; /* first timeout; doubles per retry ... */
	uint32_t retransmit_cap_ms;     /* ... up to this */
	unsigned retransmit_max;        /* retries of one message before the peer is dead */
	uint32_t ack_delay_ms;          /* wait this long for a message to carry an ack before a ZLB */
	uint16_t ack_every;             /* ...but ack at once when this many are unacked (0 = never) */
	size_t max_queued;              /* messages waiting for the window; beyond it send fails */
};

struct l2tp_rt_ops {
	void *ctx;
	/* Put one datagram on the wire (a message, a retransmission or a ZLB). */
	void (*transmit)(void *ctx, const uint8_t *buf, size_t len);
	/* A new message, in order; buf is writable and valid for the call only. */
	void (*deliver)(void *ctx, uint8_t *buf, size_t len, const struct l2tp_header *h);
	/* The last retransmission of a message went unacknowledged. */
	void (*peer_dead)(void *ctx);
};

struct l2tp_rt_stats {
	uint64_t sent;              /* first transmissions of messages */
	uint64_t retransmitted;
	uint64_t delivered;
	uint64_t duplicates;        /* received again, re-acknowledged, dropped */
	uint64_t out_of_order;      /* held until the gap filled */
	uint64_t outside_window;    /* dropped: beyond our receive window */
	uint64_t zlb_sent;
	uint64_t zlb_received;
	uint64_t queue_full;        /* l2tp_rt_send() refused */
};

struct l2tp_rt;

struct l2tp_rt *l2tp_rt_new(const struct l2tp_rt_config *cfg, const struct l2tp_rt_ops *ops);
void l2tp_rt_free(struct l2tp_rt *rt);

/* Tunnel ID for ZLBs we build (the peer's id, learnt from its Assigned
 * Tunnel ID), and the peer's Receive Window Size (its RWS AVP). */
void l2tp_rt_set_peer_tunnel(struct l2tp_rt *rt, uint16_t peer_tunnel_id);
void l2tp_rt_set_peer_window(struct l2tp_rt *rt, uint16_t window);

/* Queue a built control message (copied); it goes out now if the window
 * allows, with Ns/Nr patched in. 0, or -ENOBUFS when max_queued is reached,
 * -ENOMEM; -EINVAL if len is not that of a message with at least one AVP
 * (a bare header would be read as a ZLB), -EPIPE after peer_dead. */
int l2tp_rt_send(struct l2tp_rt *rt, const uint8_t *msg, size_t len, uint64_t now);

/* A control message (or ZLB) from the peer whose header was parsed into h.
 * Acknowledges what its Nr covers, delivers it and any held successors in
 * order, or counts and drops it. */
void l2tp_rt_receive(struct l2tp_rt *rt, uint8_t *buf, size_t len, const struct l2tp_header *h,
		     uint64_t now);

/* Run timers due at now: retransmissions, the delayed ZLB, peer death. */
void l2tp_rt_tick(struct l2tp_rt *rt, uint64_t now);
uint64_t l2tp_rt_next_deadline(const struct l2tp_rt *rt);

/* Acknowledge now with a ZLB if anything received is unacknowledged (e.g.
 * before the owner goes away after the last message). */
void l2tp_rt_flush_ack(struct l2tp_rt *rt, uint64_t now);

/* Nothing unacknowledged nor waiting to be sent. */
bool l2tp_rt_idle(const struct l2tp_rt *rt);
size_t l2tp_rt_in_flight(const struct l2tp_rt *rt);
size_t l2tp_rt_queued(const struct l2tp_rt *rt);
uint16_t l2tp_rt_cwnd(const struct l2tp_rt *rt);
uint16_t l2tp_rt_ssthresh(const struct l2tp_rt *rt);
uint16_t l2tp_rt_next_ns(const struct l2tp_rt *rt);
uint16_t l2tp_rt_next_nr(const struct l2tp_rt *rt);
const struct l2tp_rt_stats *l2tp_rt_stats(const struct l2tp_rt *rt);

#endif
