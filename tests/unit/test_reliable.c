/* Reliable control transport (RFC 2661 §5.8, Appendix A): a fake clock
 * (each endpoint's now) and a fake wire that captures every datagram. Peers
 * are either played by hand (messages and ZLBs built here) or are a second
 * transport, with the test carrying each datagram across, or not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l2tp/reliable.h"

#define HDR_LEN 12
/* Our test messages: a control header and a 4-octet tag that names the
 * message. The transport never looks past the header, so the payload need
 * not be real AVPs. */
#define MSG_LEN (HDR_LEN + 4)
#define MAX_TX  1024
#define MAX_RX  1024
#define PKT_CAP 32

#define TUNNEL_A 0x1111
#define TUNNEL_B 0x2222

struct pkt {
	uint8_t buf[PKT_CAP];
	size_t len;
};

struct ep {
	struct l2tp_rt *rt;
	uint64_t now;
	uint16_t peer_tunnel; /* put in messages this endpoint builds */
	struct pkt tx[MAX_TX];
	size_t ntx;
	/* What was delivered, in order. */
	uint32_t rx_tag[MAX_RX];
	uint16_t rx_ns[MAX_RX];
	size_t nrx;
	uint64_t ndelivered;
	bool check_order; /* deliver() asserts tags arrive as 0, 1, 2, ... */
	uint32_t expect_tag;
	unsigned dead;
	bool reply; /* deliver() sends a message back (reentrant send) */
	int reply_rc;
	uint32_t next_tag;
};

struct world {
	struct ep a;
	struct ep b;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* A control message or ZLB as a peer builds it (§3.1: T, L, S, Ver 2). */
static size_t build_ctl(uint8_t *buf, uint16_t tunnel, uint16_t ns, uint16_t nr, bool zlb,
                        uint32_t tag)
{
	size_t len = zlb ? HDR_LEN : MSG_LEN;

	put16(buf, 0xC802);
	put16(buf + 2, (uint16_t)len);
	put16(buf + 4, tunnel);
	put16(buf + 6, 0);
	put16(buf + 8, ns);
	put16(buf + 10, nr);
	if (!zlb) {
		put16(buf + 12, (uint16_t)(tag >> 16));
		put16(buf + 14, (uint16_t)tag);
	}
	return len;
}

/* The parsed header, filled by hand from the fixed control layout. */
static void header_of(const uint8_t *buf, size_t len, struct l2tp_header *h)
{
	memset(h, 0, sizeof(*h));
	h->is_control = true;
	h->has_length = true;
	h->has_sequence = true;
	h->version = 2;
	h->length = (uint16_t)len;
	h->tunnel_id = get16(buf + 4);
	h->session_id = get16(buf + 6);
	h->ns = get16(buf + 8);
	h->nr = get16(buf + 10);
	h->header_len = HDR_LEN;
}

static void ep_transmit(void *ctx, const uint8_t *buf, size_t len)
{
	struct ep *ep = ctx;

	assert_true(ep->ntx < MAX_TX);
	assert_true(len <= PKT_CAP);
	memcpy(ep->tx[ep->ntx].buf, buf, len);
	ep->tx[ep->ntx].len = len;
	ep->ntx++;
}

static int ep_send(struct ep *ep)
{
	uint8_t buf[MSG_LEN];
	int rc;

	/* Ns/Nr are left 0xffff so a transport that forgot to patch them shows. */
	build_ctl(buf, ep->peer_tunnel, 0xffff, 0xffff, false, ep->next_tag);
	rc = l2tp_rt_send(ep->rt, buf, sizeof(buf), ep->now);
	if (rc == 0)
		ep->next_tag++;
	return rc;
}

static void ep_deliver(void *ctx, uint8_t *buf, size_t len, const struct l2tp_header *h)
{
	struct ep *ep = ctx;
	uint32_t tag;

	assert_int_equal(len, MSG_LEN);
	assert_int_equal(get16(buf + 8), h->ns);
	tag = get32(buf + 12);
	if (ep->check_order)
		assert_int_equal(tag, ep->expect_tag++);
	if (ep->nrx < MAX_RX) {
		ep->rx_tag[ep->nrx] = tag;
		ep->rx_ns[ep->nrx] = h->ns;
		ep->nrx++;
	}
	ep->ndelivered++;
	if (ep->reply)
		ep->reply_rc = ep_send(ep);
}

static void ep_peer_dead(void *ctx)
{
	struct ep *ep = ctx;

	ep->dead++;
}

static struct l2tp_rt_config default_config(void)
{
	struct l2tp_rt_config c = {
	    .receive_window = 4,
	    .retransmit_initial_ms = 1000,
	    .retransmit_cap_ms = 8000,
	    .retransmit_max = 5,
	    .ack_delay_ms = 100,
	    .max_queued = 64,
	};
	return c;
}

static void ep_init(struct ep *ep, const struct l2tp_rt_config *cfg, uint16_t peer_tunnel)
{
	struct l2tp_rt_ops ops = {
	    .ctx = ep,
	    .transmit = ep_transmit,
	    .deliver = ep_deliver,
	    .peer_dead = ep_peer_dead,
	};

	l2tp_rt_free(ep->rt);
	memset(ep, 0, sizeof(*ep));
	ep->rt = l2tp_rt_new(cfg, &ops);
	assert_non_null(ep->rt);
	ep->peer_tunnel = peer_tunnel;
	l2tp_rt_set_peer_tunnel(ep->rt, peer_tunnel);
}

static int world_setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct l2tp_rt_config cfg = default_config();

	if (!w)
		return -1;
	*state = w;
	ep_init(&w->a, &cfg, TUNNEL_B);
	ep_init(&w->b, &cfg, TUNNEL_A);
	return 0;
}

static int world_teardown(void **state)
{
	struct world *w = *state;

	l2tp_rt_free(w->a.rt);
	l2tp_rt_free(w->b.rt);
	free(w);
	return 0;
}

static uint16_t tx_ns(const struct ep *ep, size_t i)
{
	assert_true(i < ep->ntx);
	return get16(ep->tx[i].buf + 8);
}

static uint16_t tx_nr(const struct ep *ep, size_t i)
{
	assert_true(i < ep->ntx);
	return get16(ep->tx[i].buf + 10);
}

static bool tx_is_zlb(const struct ep *ep, size_t i)
{
	assert_true(i < ep->ntx);
	return ep->tx[i].len == HDR_LEN;
}

static uint32_t tx_tag(const struct ep *ep, size_t i)
{
	assert_false(tx_is_zlb(ep, i));
	return get32(ep->tx[i].buf + 12);
}

/* The peer (played by hand) sends a message or a ZLB to ep. */
static void hand_msg(struct ep *ep, uint16_t ns, uint16_t nr, uint32_t tag)
{
	uint8_t buf[MSG_LEN];
	struct l2tp_header h;
	size_t len = build_ctl(buf, TUNNEL_A, ns, nr, false, tag);

	header_of(buf, len, &h);
	l2tp_rt_receive(ep->rt, buf, len, &h, ep->now);
}

static void hand_zlb(struct ep *ep, uint16_t ns, uint16_t nr)
{
	uint8_t buf[HDR_LEN];
	struct l2tp_header h;
	size_t len = build_ctl(buf, TUNNEL_A, ns, nr, true, 0);

	header_of(buf, len, &h);
	l2tp_rt_receive(ep->rt, buf, len, &h, ep->now);
}

/* Carry datagram i of from's capture to to. */
static void carry(struct ep *from, size_t i, struct ep *to)
{
	uint8_t buf[PKT_CAP];
	struct l2tp_header h;
	size_t len;

	assert_true(i < from->ntx);
	len = from->tx[i].len;
	memcpy(buf, from->tx[i].buf, len);
	header_of(buf, len, &h);
	l2tp_rt_receive(to->rt, buf, len, &h, to->now);
}

static void set_now(struct world *w, uint64_t now)
{
	w->a.now = now;
	w->b.now = now;
}

/* Grow ep's cwnd to target (<= ssthresh) by lock-step exchanges that the
 * hand-played peer acknowledges with ZLBs; leaves nothing in flight and the
 * capture empty. */
static void ramp_cwnd(struct ep *ep, uint16_t target)
{
	while (l2tp_rt_cwnd(ep->rt) < target) {
		uint16_t ns = l2tp_rt_next_ns(ep->rt);

		assert_int_equal(ep_send(ep), 0);
		hand_zlb(ep, 0, (uint16_t)(ns + 1));
	}
	assert_int_equal(l2tp_rt_cwnd(ep->rt), target);
	assert_true(l2tp_rt_idle(ep->rt));
	ep->ntx = 0;
}

/* ------------------------------------------------------------------ */

static void test_new_rejects_bad_config(void **state)
{
	struct l2tp_rt_config c = default_config();
	struct l2tp_rt_ops ops = {.transmit = ep_transmit};
	struct l2tp_rt_ops no_tx = {0};

	(void)state;
	c.receive_window = 0;
	errno = 0;
	assert_null(l2tp_rt_new(&c, &ops));
	assert_int_equal(errno, EINVAL);
	c.receive_window = 0x8001; /* beyond half the sequence space */
	assert_null(l2tp_rt_new(&c, &ops));
	c = default_config();
	c.retransmit_initial_ms = 0;
	assert_null(l2tp_rt_new(&c, &ops));
	c = default_config();
	assert_null(l2tp_rt_new(&c, &no_tx));
	l2tp_rt_free(NULL);
}

/* The first message goes out as Ns 0, Nr 0 with its bytes intact; a reply
 * acknowledges it and a following message piggybacks the ack. */
static void test_send_patches_ns_nr(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	assert_int_equal(l2tp_rt_next_ns(a->rt), 0);
	assert_int_equal(l2tp_rt_next_nr(a->rt), 0);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 1);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), L2TP_RT_DEFAULT_PEER_WINDOW);
	assert_true(l2tp_rt_idle(a->rt));

	assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 1);
	assert_int_equal(a->tx[0].len, MSG_LEN);
	assert_int_equal(get16(a->tx[0].buf), 0xC802);
	assert_int_equal(get16(a->tx[0].buf + 4), TUNNEL_B);
	assert_int_equal(tx_ns(a, 0), 0);
	assert_int_equal(tx_nr(a, 0), 0);
	assert_int_equal(tx_tag(a, 0), 0);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 1);
	assert_int_equal(l2tp_rt_queued(a->rt), 0);
	assert_false(l2tp_rt_idle(a->rt));
	assert_int_equal(l2tp_rt_next_ns(a->rt), 1);
	assert_int_equal(l2tp_rt_stats(a->rt)->sent, 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1000);

	/* The peer's first message acknowledges ours (Nr 1). */
	a->now = 10;
	hand_msg(a, 0, 1, 500);
	assert_int_equal(a->ndelivered, 1);
	assert_int_equal(a->rx_tag[0], 500);
	assert_true(l2tp_rt_idle(a->rt));
	assert_int_equal(l2tp_rt_cwnd(a->rt), 2);
	assert_int_equal(l2tp_rt_next_nr(a->rt), 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 10 + 100); /* delayed ack */

	/* Our next message carries the ack: no ZLB follows. */
	a->now = 50;
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 2);
	assert_int_equal(tx_ns(a, 1), 1);
	assert_int_equal(tx_nr(a, 1), 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 50 + 1000);
	a->now = 110;
	l2tp_rt_tick(a->rt, a->now);
	assert_int_equal(a->ntx, 2);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent, 0);
}

/* Appendix A: CWND starts at 1, so a burst goes out one message at a time
 * until acks open the window; the ack of several counts each one. */
static void test_initial_cwnd_limits_burst(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	for (int i = 0; i < 6; i++)
		assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 1);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 1);
	assert_int_equal(l2tp_rt_queued(a->rt), 5);

	/* An Nr covering messages queued but never sent is bogus: ignored. */
	hand_zlb(a, 0, 3);
	assert_int_equal(a->ntx, 1);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 1);
	assert_int_equal(l2tp_rt_queued(a->rt), 5);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 1);

	hand_zlb(a, 0, 1);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 2);
	assert_int_equal(a->ntx, 3);
	assert_int_equal(tx_ns(a, 1), 1);
	assert_int_equal(tx_ns(a, 2), 2);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 2);
	assert_int_equal(l2tp_rt_queued(a->rt), 3);

	/* One Nr acknowledging two messages: +2, up to ssthresh = 4. */
	hand_zlb(a, 0, 3);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 4);
	assert_int_equal(a->ntx, 6);
	assert_int_equal(tx_ns(a, 5), 5);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 3);
	assert_int_equal(l2tp_rt_queued(a->rt), 0);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_received, 3);
	assert_int_equal(l2tp_rt_stats(a->rt)->sent, 6);
}

/* §5.8 sliding window: with the peer's window N, only N are outstanding;
 * the rest wait and go out as acks advance the window. */
static void test_window_full(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	l2tp_rt_set_peer_window(a->rt, 3);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 3);
	ramp_cwnd(a, 3);
	assert_int_equal(l2tp_rt_next_ns(a->rt), 2);

	for (int i = 0; i < 8; i++)
		assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 3);
	assert_int_equal(tx_ns(a, 0), 2);
	assert_int_equal(tx_ns(a, 2), 4);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 3);
	assert_int_equal(l2tp_rt_queued(a->rt), 5);

	/* Ack one: exactly one more goes out. */
	hand_zlb(a, 0, 3);
	assert_int_equal(a->ntx, 4);
	assert_int_equal(tx_ns(a, 3), 5);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 3);
	assert_int_equal(l2tp_rt_queued(a->rt), 4);
	/* CWND never exceeds the advertised window. */
	assert_int_equal(l2tp_rt_cwnd(a->rt), 3);

	/* An ack of what is not yet acknowledged-able changes nothing. */
	hand_zlb(a, 0, 3);
	assert_int_equal(a->ntx, 4);

	/* Ack three at once: three more. */
	hand_zlb(a, 0, 6);
	assert_int_equal(a->ntx, 7);
	assert_int_equal(tx_ns(a, 4), 6);
	assert_int_equal(tx_ns(a, 6), 8);
	assert_int_equal(l2tp_rt_queued(a->rt), 1);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 3);

	hand_zlb(a, 0, 9);
	assert_int_equal(a->ntx, 8);
	assert_int_equal(tx_ns(a, 7), 9);
	hand_zlb(a, 0, 10);
	assert_true(l2tp_rt_idle(a->rt));
	for (size_t i = 0; i < a->ntx; i++)
		assert_int_equal(tx_tag(a, i), i + 2);
	assert_int_equal(l2tp_rt_stats(a->rt)->retransmitted, 0);
}

/* A burst of 4 between two transports; message i is lost, for each i.
 * The receiver holds the later ones; the sender retransmits exactly the lost
 * one at its timeout, and one Nr then acknowledges everything. */
static void test_each_loss_in_turn(void **state)
{
	struct world *w = *state;
	struct l2tp_rt_config cfg = default_config();
	const unsigned k = 4;

	for (unsigned lost = 0; lost < k; lost++) {
		struct ep *a = &w->a;
		struct ep *b = &w->b;
		uint16_t first;
		uint64_t t0 = 5000;

		ep_init(a, &cfg, TUNNEL_B);
		ep_init(b, &cfg, TUNNEL_A);
		a->check_order = b->check_order = true;
		ramp_cwnd(a, 4);
		/* b did not see the ramp: let it start where a is. */
		for (uint32_t i = 0; i < l2tp_rt_next_ns(a->rt); i++)
			hand_msg(b, (uint16_t)i, 0, i);
		l2tp_rt_flush_ack(b->rt, b->now);
		b->ntx = 0;
		set_now(w, t0);

		first = l2tp_rt_next_ns(a->rt);
		for (unsigned i = 0; i < k; i++)
			assert_int_equal(ep_send(a), 0);
		assert_int_equal(a->ntx, k);
		for (unsigned i = 0; i < k; i++)
			if (i != lost)
				carry(a, i, b);
		assert_int_equal(b->ndelivered, 3 + lost);
		assert_int_equal(l2tp_rt_stats(b->rt)->out_of_order, k - 1 - lost);

		/* b's delayed ack reports the gap (if it delivered anything:
		 * held messages alone do not move Nr). */
		set_now(w, t0 + 100);
		l2tp_rt_tick(b->rt, b->now);
		if (lost == 0) {
			assert_int_equal(b->ntx, 0);
		} else {
			assert_int_equal(b->ntx, 1);
			assert_true(tx_is_zlb(b, 0));
			assert_int_equal(tx_nr(b, 0), (uint16_t)(first + lost));
			carry(b, 0, a);
		}
		assert_int_equal(l2tp_rt_in_flight(a->rt), k - lost);

		/* Nothing before the timeout of the (new) oldest message. */
		assert_int_equal(l2tp_rt_next_deadline(a->rt), t0 + 1000);
		set_now(w, t0 + 999);
		l2tp_rt_tick(a->rt, a->now);
		assert_int_equal(a->ntx, k);

		set_now(w, t0 + 1000);
		l2tp_rt_tick(a->rt, a->now);
		assert_int_equal(a->ntx, k + 1);
		assert_int_equal(tx_ns(a, k), (uint16_t)(first + lost));
		assert_int_equal(tx_tag(a, k), first + lost);
		assert_int_equal(l2tp_rt_stats(a->rt)->retransmitted, 1);
		assert_int_equal(l2tp_rt_cwnd(a->rt), 1);
		assert_int_equal(l2tp_rt_ssthresh(a->rt), 2);

		carry(a, k, b);
		assert_int_equal(b->ndelivered, 3 + k);
		assert_int_equal(l2tp_rt_next_nr(b->rt), (uint16_t)(first + k));
		set_now(w, t0 + 1100);
		l2tp_rt_tick(b->rt, b->now);
		assert_int_equal(b->ntx, lost == 0 ? 1 : 2);
		assert_true(tx_is_zlb(b, b->ntx - 1));
		assert_int_equal(tx_nr(b, b->ntx - 1), (uint16_t)(first + k));
		carry(b, b->ntx - 1, a);
		assert_true(l2tp_rt_idle(a->rt));
		assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);
		/* Nothing else was ever retransmitted. */
		l2tp_rt_tick(a->rt, t0 + 100000);
		assert_int_equal(a->ntx, k + 1);
		assert_int_equal(l2tp_rt_stats(a->rt)->retransmitted, 1);
		assert_int_equal(l2tp_rt_stats(b->rt)->duplicates, 0);
	}
}

/* A whole burst lost: the timeout retransmits only the oldest (cwnd 1);
 * each ack then lets the next ones out at the slow-start rate. */
static void test_timeout_goes_back_clocked_by_acks(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	ramp_cwnd(a, 4); /* Ns 0..2 used */
	a->now = 1000;
	for (int i = 0; i < 4; i++)
		assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 4);

	a->now = 2000;
	l2tp_rt_tick(a->rt, a->now);
	assert_int_equal(a->ntx, 5);
	assert_int_equal(tx_ns(a, 4), 3);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 1);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 2);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 4);
	/* The backed-off timeout of the oldest: 2 s from its retransmission. */
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 4000);

	a->now = 2100;
	hand_zlb(a, 0, 4);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 2);
	assert_int_equal(a->ntx, 7);
	assert_int_equal(tx_ns(a, 5), 4);
	assert_int_equal(tx_ns(a, 6), 5);
	assert_int_equal(l2tp_rt_stats(a->rt)->retransmitted, 3);
	/* Ack progress: the new oldest has the initial timeout again. */
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 3100);

	/* The peer had kept Ns 6: one Nr covers it, no retransmission of it. */
	hand_zlb(a, 0, 7);
	assert_true(l2tp_rt_idle(a->rt));
	assert_int_equal(a->ntx, 7);
	assert_int_equal(l2tp_rt_stats(a->rt)->retransmitted, 3);
	assert_int_equal(l2tp_rt_stats(a->rt)->sent, 3 + 4);
}

/* Out-of-order messages within our window are held and delivered in order
 * once the gap fills. */
static void test_reorder_held_and_delivered_in_order(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	static const uint16_t order[] = {2, 1, 3};

	a->check_order = true;
	a->now = 100;
	for (size_t i = 0; i < 3; i++)
		hand_msg(a, order[i], 0, order[i]);
	assert_int_equal(a->ndelivered, 0);
	assert_int_equal(l2tp_rt_stats(a->rt)->out_of_order, 3);
	assert_int_equal(l2tp_rt_next_nr(a->rt), 0);
	/* Holding is not an advance: nothing to acknowledge yet. */
	assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);

	a->now = 150;
	hand_msg(a, 0, 0, 0);
	assert_int_equal(a->ndelivered, 4);
	for (uint16_t i = 0; i < 4; i++)
		assert_int_equal(a->rx_ns[i], i);
	assert_int_equal(l2tp_rt_next_nr(a->rt), 4);
	assert_int_equal(l2tp_rt_stats(a->rt)->delivered, 4);

	assert_int_equal(l2tp_rt_next_deadline(a->rt), 250);
	l2tp_rt_tick(a->rt, 250);
	assert_int_equal(a->ntx, 1);
	assert_true(tx_is_zlb(a, 0));
	assert_int_equal(tx_nr(a, 0), 4);

	/* The slots are reused around the ring. */
	a->now = 300;
	hand_msg(a, 6, 0, 6);
	hand_msg(a, 5, 0, 5);
	hand_msg(a, 7, 0, 7);
	assert_int_equal(a->ndelivered, 4);
	hand_msg(a, 4, 0, 4);
	assert_int_equal(a->ndelivered, 8);
	assert_int_equal(l2tp_rt_next_nr(a->rt), 8);
}

/* §5.8: a duplicate is not delivered again but MUST be acknowledged: a ZLB
 * goes out at once. */
static void test_duplicate_reacked_not_redelivered(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	a->now = 100;
	hand_msg(a, 0, 0, 0);
	assert_int_equal(a->ndelivered, 1);
	l2tp_rt_tick(a->rt, 200);
	assert_int_equal(a->ntx, 1);
	assert_int_equal(tx_nr(a, 0), 1);

	/* Our ZLB was lost; the peer retransmits. */
	a->now = 1100;
	hand_msg(a, 0, 0, 0);
	assert_int_equal(a->ndelivered, 1);
	assert_int_equal(l2tp_rt_stats(a->rt)->duplicates, 1);
	assert_int_equal(a->ntx, 2);
	assert_true(tx_is_zlb(a, 1));
	assert_int_equal(tx_nr(a, 1), 1);
	assert_int_equal(tx_ns(a, 1), 0);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent, 2);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);

	/* A duplicate of a held message: dropped, re-acked, held copy kept. */
	hand_msg(a, 2, 0, 2);
	assert_int_equal(a->ntx, 2);
	hand_msg(a, 2, 0, 2);
	assert_int_equal(l2tp_rt_stats(a->rt)->duplicates, 2);
	assert_int_equal(a->ntx, 3);
	assert_true(tx_is_zlb(a, 2));
	assert_int_equal(tx_nr(a, 2), 1);
	hand_msg(a, 1, 0, 1);
	assert_int_equal(a->ndelivered, 3);
	assert_int_equal(a->rx_tag[2], 2);

	/* The farthest duplicate, 32768 back (§5.8 "preceding 32767 values"
	 * of the last received). */
	hand_msg(a, (uint16_t)(3 - 0x8000), 0, 99);
	assert_int_equal(l2tp_rt_stats(a->rt)->duplicates, 3);
	assert_int_equal(a->ndelivered, 3);
	assert_int_equal(l2tp_rt_stats(a->rt)->out_of_order, 1);
}

/* Beyond our receive window: dropped, counted, not held, not acked. */
static void test_receive_beyond_window_dropped(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	a->check_order = true;
	hand_msg(a, 4, 0, 4); /* window 4: Ns 0..3 acceptable */
	hand_msg(a, 0x7fff, 0, 0x7fff);
	assert_int_equal(l2tp_rt_stats(a->rt)->outside_window, 2);
	assert_int_equal(l2tp_rt_stats(a->rt)->out_of_order, 0);
	hand_msg(a, 3, 0, 3);
	assert_int_equal(l2tp_rt_stats(a->rt)->out_of_order, 1);
	assert_int_equal(a->ntx, 0);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);

	hand_msg(a, 0, 0, 0);
	hand_msg(a, 1, 0, 1);
	hand_msg(a, 2, 0, 2);
	assert_int_equal(a->ndelivered, 4);
	/* The dropped 4 was never delivered: it is simply next now. */
	assert_int_equal(l2tp_rt_next_nr(a->rt), 4);
	hand_msg(a, 4, 0, 4);
	assert_int_equal(a->ndelivered, 5);
}

/* 16-bit wraparound, driven through the API: 65533 lock-step exchanges
 * (each reply sent from deliver() piggybacks the ack), then a reordered,
 * lossy burst across 65535 -> 0 in both Ns and Nr. */
static void test_wraparound(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	struct ep *b = &w->b;
	const uint32_t n = 65533;

	a->check_order = b->check_order = true;
	b->reply = true;
	for (uint32_t i = 0; i < n; i++) {
		a->ntx = b->ntx = 0;
		assert_int_equal(ep_send(a), 0);
		assert_int_equal(a->ntx, 1);
		assert_int_equal(tx_ns(a, 0), (uint16_t)i);
		assert_int_equal(tx_nr(a, 0), (uint16_t)i);
		carry(a, 0, b);
		assert_int_equal(b->reply_rc, 0);
		assert_int_equal(b->ntx, 1);
		assert_int_equal(tx_ns(b, 0), (uint16_t)i);
		assert_int_equal(tx_nr(b, 0), (uint16_t)(i + 1));
		carry(b, 0, a);
		assert_true(l2tp_rt_idle(a->rt));
	}
	assert_int_equal(a->ndelivered, n);
	assert_int_equal(b->ndelivered, n);
	assert_int_equal(l2tp_rt_next_ns(a->rt), 65533);
	assert_int_equal(l2tp_rt_next_nr(a->rt), 65533);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent + l2tp_rt_stats(b->rt)->zlb_sent, 0);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 4);

	/* a's ack of b's last reply is pending; flush it. */
	l2tp_rt_flush_ack(a->rt, a->now);
	carry(a, 1, b);
	assert_true(l2tp_rt_idle(b->rt));

	/* Burst across the wrap: Ns 65533, 65534, 65535, 0 go out, 1, 2 wait. */
	b->reply = false;
	a->ntx = b->ntx = 0;
	set_now(w, 1000);
	for (int i = 0; i < 6; i++)
		assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 4);
	assert_int_equal(tx_ns(a, 3), 0);
	assert_int_equal(l2tp_rt_queued(a->rt), 2);
	/* b receives 65535, 0, 65534 (held), then 65533. */
	carry(a, 2, b);
	carry(a, 3, b);
	carry(a, 1, b);
	assert_int_equal(b->ndelivered, n);
	carry(a, 0, b);
	assert_int_equal(b->ndelivered, n + 4);
	assert_int_equal(l2tp_rt_next_nr(b->rt), 1);
	l2tp_rt_flush_ack(b->rt, b->now);
	assert_int_equal(tx_nr(b, 0), 1);
	carry(b, 0, a); /* Nr 1 acknowledges 65533..0 */
	assert_int_equal(l2tp_rt_in_flight(a->rt), 2);
	assert_int_equal(a->ntx, 6);
	assert_int_equal(tx_ns(a, 4), 1);
	assert_int_equal(tx_ns(a, 5), 2);

	/* Ns 1 lost, Ns 2 held; 1 retransmitted at its timeout. */
	carry(a, 5, b);
	assert_int_equal(b->ndelivered, n + 4);
	set_now(w, 2000);
	l2tp_rt_tick(a->rt, a->now);
	assert_int_equal(a->ntx, 7);
	assert_int_equal(tx_ns(a, 6), 1);
	carry(a, 6, b);
	assert_int_equal(b->ndelivered, n + 6);
	l2tp_rt_flush_ack(b->rt, b->now);
	carry(b, 1, a);
	assert_true(l2tp_rt_idle(a->rt));
	assert_int_equal(l2tp_rt_next_ns(a->rt), 3);

	/* An Nr of something never sent (ahead) or long gone is ignored. */
	hand_zlb(a, 0, 10);
	hand_zlb(a, 0, 65530);
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(tx_ns(a, 7), 3);
	hand_zlb(a, 0, 5);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 1);
	hand_zlb(a, 0, 4);
	assert_true(l2tp_rt_idle(a->rt));
}

/* Appendix A: CWND 1, 2, 3, ... per ack up to SSTHRESH (initially the
 * peer's window), never beyond that window; a timeout halves CWND into
 * SSTHRESH and restarts at 1; beyond SSTHRESH growth is one per CWND acks. */
static void test_slow_start_then_congestion_avoidance(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	uint16_t una = 0;

	l2tp_rt_set_peer_window(a->rt, 16);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 16);
	for (int i = 0; i < 60; i++)
		assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 1);

	/* Slow start: +1 per acknowledged message, up to 16. */
	for (uint16_t cwnd = 2; cwnd <= 16; cwnd++) {
		hand_zlb(a, 0, ++una);
		assert_int_equal(l2tp_rt_cwnd(a->rt), cwnd);
		assert_int_equal(l2tp_rt_in_flight(a->rt), cwnd);
	}
	/* At the advertised window it stays. */
	for (int i = 0; i < 20; i++) {
		hand_zlb(a, 0, ++una);
		assert_int_equal(l2tp_rt_cwnd(a->rt), 16);
		assert_int_equal(l2tp_rt_in_flight(a->rt), 16);
	}
	assert_int_equal(l2tp_rt_stats(a->rt)->sent, 16 + 35);

	/* Timeout: SSTHRESH = 16 / 2, CWND = 1, only the oldest resent. */
	a->now = l2tp_rt_next_deadline(a->rt);
	assert_int_equal(a->now, 1000);
	a->ntx = 0;
	l2tp_rt_tick(a->rt, a->now);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 1);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 8);
	assert_int_equal(a->ntx, 1);
	assert_int_equal(tx_ns(a, 0), una);

	/* Slow start again up to 8... */
	for (uint16_t cwnd = 2; cwnd <= 8; cwnd++) {
		hand_zlb(a, 0, ++una);
		assert_int_equal(l2tp_rt_cwnd(a->rt), cwnd);
	}
	/* ... then congestion avoidance: 9 after 8 more acks, 10 after 9. */
	for (uint16_t cwnd = 8; cwnd < 10; cwnd++) {
		for (uint16_t k = 1; k < cwnd; k++) {
			hand_zlb(a, 0, ++una);
			assert_int_equal(l2tp_rt_cwnd(a->rt), cwnd);
		}
		hand_zlb(a, 0, ++una);
		assert_int_equal(l2tp_rt_cwnd(a->rt), cwnd + 1);
	}
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 8);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 60 - una);
	assert_int_equal(l2tp_rt_queued(a->rt), 0);
	hand_zlb(a, 0, 60);
	assert_true(l2tp_rt_idle(a->rt));
}

/* §5.8 backoff: 1 s, then 2, 4, 8, capped at 8, against the fake clock;
 * each retransmission carries the same Ns. */
static void test_backoff_timings(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	struct l2tp_rt_config cfg = default_config();
	static const uint64_t at[] = {1500, 3500, 7500, 15500, 23500, 31500};

	cfg.retransmit_max = 6;
	ep_init(a, &cfg, TUNNEL_B);
	a->now = 500;
	assert_int_equal(ep_send(a), 0);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(l2tp_rt_next_deadline(a->rt), at[i]);
		l2tp_rt_tick(a->rt, at[i] - 1);
		assert_int_equal(a->ntx, i + 1);
		l2tp_rt_tick(a->rt, at[i]);
		assert_int_equal(a->ntx, i + 2);
		assert_int_equal(tx_ns(a, i + 1), 0);
		assert_int_equal(tx_tag(a, i + 1), 0);
		assert_int_equal(l2tp_rt_stats(a->rt)->retransmitted, i + 1);
		assert_int_equal(l2tp_rt_cwnd(a->rt), 1);
		assert_int_equal(l2tp_rt_ssthresh(a->rt), 1);
	}
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 39500);
	assert_int_equal(a->dead, 0);
	l2tp_rt_tick(a->rt, 39500);
	assert_int_equal(a->dead, 1);
	assert_int_equal(a->ntx, 7);
}

/* A retransmission carries the latest Nr (§5.8) and so replaces the ZLB. */
static void test_retransmission_carries_latest_nr(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	assert_int_equal(ep_send(a), 0);
	a->now = 950;
	hand_msg(a, 0, 0, 0); /* no ack of ours in it */
	hand_msg(a, 1, 0, 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1000); /* rtx before ZLB at 1050 */
	l2tp_rt_tick(a->rt, 1000);
	assert_int_equal(a->ntx, 2);
	assert_int_equal(tx_ns(a, 1), 0);
	assert_int_equal(tx_nr(a, 1), 2);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 3000);
	l2tp_rt_tick(a->rt, 1050);
	assert_int_equal(a->ntx, 2);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent, 0);
}

/* After retransmit_max unanswered retries: peer_dead, once; then silence. */
static void test_max_retries_peer_dead_once(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	struct l2tp_rt_config cfg = default_config();

	cfg.retransmit_max = 2;
	cfg.retransmit_initial_ms = 100;
	cfg.retransmit_cap_ms = 100;
	ep_init(a, &cfg, TUNNEL_B);
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(ep_send(a), 0); /* queued behind cwnd 1 */
	l2tp_rt_tick(a->rt, 100);
	l2tp_rt_tick(a->rt, 199);
	l2tp_rt_tick(a->rt, 200);
	assert_int_equal(a->ntx, 3);
	assert_int_equal(a->dead, 0);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 300);
	l2tp_rt_tick(a->rt, 300);
	assert_int_equal(a->dead, 1);
	assert_int_equal(a->ntx, 3);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);
	for (uint64_t t = 400; t < 100000; t += 1000)
		l2tp_rt_tick(a->rt, t);
	assert_int_equal(a->dead, 1);
	assert_int_equal(a->ntx, 3);
	assert_int_equal(ep_send(a), -EPIPE);

	/* A late ack frees what it covers but sends nothing more. */
	a->now = 100000;
	hand_zlb(a, 0, 1);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 0);
	assert_int_equal(l2tp_rt_queued(a->rt), 1);
	assert_int_equal(a->ntx, 3);
	assert_int_equal(a->dead, 1);
	/* Acks still go out: the peer should not retransmit into a void. */
	hand_msg(a, 0, 1, 0);
	l2tp_rt_flush_ack(a->rt, a->now);
	assert_int_equal(a->ntx, 4);
	assert_true(tx_is_zlb(a, 3));
}

/* Delayed ack: one ZLB ack_delay_ms after the first unacknowledged
 * delivery (later ones do not push it back); Ns not consumed; tunnel id the
 * peer's, session 0. */
/* ack_every: a burst the receiver has no reply to is acknowledged as soon
 * as that many messages are unacked, not after the delay; fewer still wait
 * for the delayed ZLB, and a reply resets the count. */
static void test_ack_every(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	struct l2tp_rt_config cfg = default_config();

	cfg.receive_window = 8;
	cfg.ack_every = 3;
	ep_init(a, &cfg, TUNNEL_B);
	a->now = 1000;
	hand_msg(a, 0, 0, 0);
	hand_msg(a, 1, 0, 1);
	assert_int_equal(a->ntx, 0);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1100);
	hand_msg(a, 2, 0, 2); /* the third: acked at once */
	assert_int_equal(a->ntx, 1);
	assert_true(tx_is_zlb(a, 0));
	assert_int_equal(tx_nr(a, 0), 3);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);

	/* Two more: below the threshold, the delayed ZLB acks them. */
	a->now = 2000;
	hand_msg(a, 3, 0, 3);
	hand_msg(a, 4, 0, 4);
	assert_int_equal(a->ntx, 1);
	l2tp_rt_tick(a->rt, 2100);
	assert_int_equal(a->ntx, 2);
	assert_true(tx_is_zlb(a, 1));
	assert_int_equal(tx_nr(a, 1), 5);

	/* One more, then a message of ours carries the ack: the count restarts. */
	a->now = 3000;
	hand_msg(a, 5, 0, 5);
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(tx_nr(a, 2), 6);
	hand_msg(a, 6, 0, 6);
	hand_msg(a, 7, 0, 7);
	assert_int_equal(a->ntx, 3); /* two unacked: no ZLB yet */
	hand_msg(a, 8, 0, 8);
	assert_int_equal(a->ntx, 4);
	assert_true(tx_is_zlb(a, 3));
	assert_int_equal(tx_nr(a, 3), 9);
	assert_int_equal(a->ndelivered, 9);
}

static void test_delayed_zlb(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	struct l2tp_rt_config cfg = default_config();

	cfg.ack_delay_ms = 200;
	ep_init(a, &cfg, TUNNEL_B);
	assert_int_equal(ep_send(a), 0); /* Ns 0 */
	a->now = 1000 - 500;
	hand_zlb(a, 0, 1);
	assert_true(l2tp_rt_idle(a->rt));
	assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);

	a->now = 1000;
	hand_msg(a, 0, 1, 0);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1200);
	a->now = 1150;
	hand_msg(a, 1, 1, 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1200);
	l2tp_rt_tick(a->rt, 1199);
	assert_int_equal(a->ntx, 1);
	l2tp_rt_tick(a->rt, 1200);
	assert_int_equal(a->ntx, 2);
	assert_true(tx_is_zlb(a, 1));
	assert_int_equal(get16(a->tx[1].buf), 0xC802);
	assert_int_equal(get16(a->tx[1].buf + 2), HDR_LEN);
	assert_int_equal(get16(a->tx[1].buf + 4), TUNNEL_B);
	assert_int_equal(get16(a->tx[1].buf + 6), 0);
	assert_int_equal(tx_ns(a, 1), 1);
	assert_int_equal(tx_nr(a, 1), 2);
	assert_int_equal(l2tp_rt_next_ns(a->rt), 1);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent, 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), L2TP_RT_NO_DEADLINE);
	l2tp_rt_tick(a->rt, 5000);
	assert_int_equal(a->ntx, 2);

	/* The next message still gets Ns 1. */
	a->now = 5000;
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(tx_ns(a, 2), 1);
	assert_int_equal(tx_nr(a, 2), 2);

	/* A peer tunnel id learnt later is used by later ZLBs. */
	l2tp_rt_set_peer_tunnel(a->rt, 0xBEEF);
	hand_msg(a, 2, 2, 2);
	l2tp_rt_flush_ack(a->rt, a->now);
	assert_int_equal(get16(a->tx[3].buf + 4), 0xBEEF);
	assert_int_equal(tx_nr(a, 3), 3);
	l2tp_rt_flush_ack(a->rt, a->now); /* nothing left to acknowledge */
	assert_int_equal(a->ntx, 4);
}

/* A message of ours within the delay carries the ack: no ZLB. */
static void test_piggyback_cancels_zlb(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	a->now = 1000;
	hand_msg(a, 0, 0, 0);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1100);
	a->now = 1060;
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 1);
	assert_false(tx_is_zlb(a, 0));
	assert_int_equal(tx_nr(a, 0), 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 2060);
	l2tp_rt_tick(a->rt, 1100);
	l2tp_rt_tick(a->rt, 1500);
	assert_int_equal(a->ntx, 1);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent, 0);

	/* A message that cannot go out (window) does not carry the ack. */
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 1);
	a->now = 1600;
	hand_msg(a, 1, 0, 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1700);
	l2tp_rt_tick(a->rt, 1700);
	assert_int_equal(a->ntx, 2);
	assert_true(tx_is_zlb(a, 1));
	assert_int_equal(tx_nr(a, 1), 2);
}

/* Beyond max_queued messages waiting for the window: -ENOBUFS, counted. */
static void test_max_queued(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	struct l2tp_rt_config cfg = default_config();
	uint8_t hdr[HDR_LEN];

	cfg.max_queued = 3;
	ep_init(a, &cfg, TUNNEL_B);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ep_send(a), 0);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 1);
	assert_int_equal(l2tp_rt_queued(a->rt), 3);
	assert_int_equal(ep_send(a), -ENOBUFS);
	assert_int_equal(ep_send(a), -ENOBUFS);
	assert_int_equal(l2tp_rt_stats(a->rt)->queue_full, 2);
	assert_int_equal(l2tp_rt_queued(a->rt), 3);

	/* A bare header is not a message. */
	build_ctl(hdr, TUNNEL_B, 0, 0, true, 0);
	assert_int_equal(l2tp_rt_send(a->rt, hdr, sizeof(hdr), a->now), -EINVAL);

	hand_zlb(a, 0, 1); /* cwnd 2: two leave the queue */
	assert_int_equal(l2tp_rt_queued(a->rt), 1);
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(ep_send(a), 0);
	assert_int_equal(ep_send(a), -ENOBUFS);
	for (uint16_t nr = 2; nr <= 6; nr++)
		hand_zlb(a, 0, nr);
	assert_true(l2tp_rt_idle(a->rt));
	for (size_t i = 0; i < a->ntx; i++)
		assert_int_equal(tx_tag(a, i), i);
	assert_int_equal(a->ntx, 6);
}

/* deliver() replying through l2tp_rt_send(): each reply carries the Nr
 * of the message it answers, including held ones delivered in a run, and
 * no ZLB is needed. */
static void test_reentrant_send_from_deliver(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	ramp_cwnd(a, 4); /* Ns 0..2 used */
	a->reply = true;
	a->now = 100;
	hand_msg(a, 1, 3, 1);
	hand_msg(a, 2, 3, 2);
	assert_int_equal(a->ntx, 0);
	hand_msg(a, 0, 3, 0);
	assert_int_equal(a->ndelivered, 3);
	assert_int_equal(a->reply_rc, 0);
	assert_int_equal(a->ntx, 3);
	for (uint16_t i = 0; i < 3; i++) {
		assert_int_equal(tx_ns(a, i), 3 + i);
		assert_int_equal(tx_nr(a, i), 1 + i);
	}
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent, 0);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 1100);

	/* Window closed (cwnd 1): the reply waits, and the ZLB acks. */
	{
		struct l2tp_rt_config cfg = default_config();

		ep_init(a, &cfg, TUNNEL_B);
	}
	assert_int_equal(ep_send(a), 0);
	a->reply = true;
	a->now = 200;
	hand_msg(a, 0, 0, 0);
	assert_int_equal(a->reply_rc, 0);
	assert_int_equal(a->ntx, 1);
	assert_int_equal(l2tp_rt_queued(a->rt), 1);
	assert_int_equal(l2tp_rt_next_deadline(a->rt), 300);
	/* The ack of our first lets the reply out, carrying Nr 1 (still
	 * inside the same receive: a message whose Nr acks ours). */
	hand_msg(a, 1, 1, 1);
	assert_int_equal(a->ntx, 3);
	assert_int_equal(tx_ns(a, 1), 1);
	assert_int_equal(tx_nr(a, 1), 2);
	assert_int_equal(tx_ns(a, 2), 2);
	assert_int_equal(tx_nr(a, 2), 2);
	assert_int_equal(l2tp_rt_stats(a->rt)->zlb_sent, 0);
}

/* Peer window changes take effect at the next call with a time; 0 is
 * invalid (§5.8) and ignored; CWND is cut to a smaller window. */
static void test_peer_window_change(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;

	l2tp_rt_set_peer_window(a->rt, 0);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 4);
	ramp_cwnd(a, 4);
	l2tp_rt_set_peer_window(a->rt, 2);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 2);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 2);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ep_send(a), 0);
	assert_int_equal(a->ntx, 2);
	l2tp_rt_set_peer_window(a->rt, 10);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 10);
	assert_int_equal(a->ntx, 2);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 2); /* grows by acks only */
	hand_zlb(a, 0, 4);
	assert_int_equal(l2tp_rt_cwnd(a->rt), 3);
	assert_int_equal(a->ntx, 4);
	/* A large advertisement is bounded to half the sequence space. */
	l2tp_rt_set_peer_window(a->rt, 0xffff);
	assert_int_equal(l2tp_rt_ssthresh(a->rt), 0x8000);
}

/* Non-control input is ignored, and freeing with messages queued, in
 * flight and held releases everything (checked by ASan / valgrind). */
static void test_free_with_everything_pending(void **state)
{
	struct world *w = *state;
	struct ep *a = &w->a;
	uint8_t buf[MSG_LEN];
	struct l2tp_header h;

	for (int i = 0; i < 20; i++)
		assert_int_equal(ep_send(a), 0);
	hand_msg(a, 2, 0, 2);
	hand_msg(a, 3, 0, 3);
	build_ctl(buf, TUNNEL_A, 0, 1, false, 0);
	header_of(buf, sizeof(buf), &h);
	h.is_control = false;
	l2tp_rt_receive(a->rt, buf, sizeof(buf), &h, a->now);
	assert_int_equal(a->ndelivered, 0);
	assert_int_equal(l2tp_rt_in_flight(a->rt), 1);
	assert_int_equal(l2tp_rt_queued(a->rt), 19);
	l2tp_rt_free(a->rt);
	a->rt = NULL;
}

/* ------------------------------------------------------------------ */
/* Two transports through an impaired link: loss, duplication, reordering
 * (random delays), from a fixed-seed PRNG. */

#define SIM_MAX_PKTS 4096

struct sim;

struct sim_ep {
	struct sim *sim;
	int id;
	struct l2tp_rt *rt;
	uint32_t sent;     /* messages accepted by l2tp_rt_send() */
	uint32_t received; /* delivered, asserted in order */
	unsigned dead;
};

struct sim_pkt {
	uint64_t at;
	uint64_t seq; /* tie-break: FIFO for equal times */
	int to;
	size_t len;
	uint8_t buf[PKT_CAP];
};

struct sim_params {
	uint64_t seed;
	unsigned loss_pct;
	unsigned dup_pct;
	uint16_t window[2];
	uint32_t messages;
};

struct sim {
	const struct sim_params *p;
	uint64_t rng;
	uint64_t now;
	uint64_t seq;
	struct sim_ep ep[2];
	struct sim_pkt q[SIM_MAX_PKTS];
	size_t nq;
	uint64_t lost;
	uint64_t duplicated;
};

static uint32_t sim_rand(struct sim *s)
{
	/* xorshift64* */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static void sim_enqueue(struct sim *s, int to, const uint8_t *buf, size_t len)
{
	struct sim_pkt *p;

	assert_true(s->nq < SIM_MAX_PKTS);
	assert_true(len <= PKT_CAP);
	p = &s->q[s->nq++];
	p->at = s->now + 5 + sim_rand(s) % 60; /* reorders freely */
	p->seq = s->seq++;
	p->to = to;
	p->len = len;
	memcpy(p->buf, buf, len);
}

static void sim_transmit(void *ctx, const uint8_t *buf, size_t len)
{
	struct sim_ep *ep = ctx;
	struct sim *s = ep->sim;

	if (sim_rand(s) % 100 < s->p->loss_pct) {
		s->lost++;
		return;
	}
	sim_enqueue(s, 1 - ep->id, buf, len);
	if (sim_rand(s) % 100 < s->p->dup_pct) {
		s->duplicated++;
		sim_enqueue(s, 1 - ep->id, buf, len);
	}
}

static void sim_deliver(void *ctx, uint8_t *buf, size_t len, const struct l2tp_header *h)
{
	struct sim_ep *ep = ctx;

	(void)h;
	assert_int_equal(len, MSG_LEN);
	/* Exactly once, in order. */
	assert_int_equal(get32(buf + 12), ep->received);
	ep->received++;
}

static void sim_peer_dead(void *ctx)
{
	struct sim_ep *ep = ctx;

	ep->dead++;
}

static void run_sim(const struct sim_params *p)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct l2tp_rt_config cfg = default_config();
	uint64_t steps = 0;

	assert_non_null(s);
	s->p = p;
	s->rng = p->seed;
	cfg.retransmit_initial_ms = 300;
	cfg.retransmit_max = 10;
	cfg.ack_delay_ms = 30;
	cfg.max_queued = 32;
	for (int i = 0; i < 2; i++) {
		struct l2tp_rt_ops ops = {
		    .ctx = &s->ep[i],
		    .transmit = sim_transmit,
		    .deliver = sim_deliver,
		    .peer_dead = sim_peer_dead,
		};

		s->ep[i].sim = s;
		s->ep[i].id = i;
		cfg.receive_window = p->window[i];
		s->ep[i].rt = l2tp_rt_new(&cfg, &ops);
		assert_non_null(s->ep[i].rt);
		l2tp_rt_set_peer_tunnel(s->ep[i].rt, (uint16_t)(100 + 1 - i));
	}
	for (int i = 0; i < 2; i++)
		l2tp_rt_set_peer_window(s->ep[i].rt, p->window[1 - i]);

	for (;;) {
		uint64_t next = L2TP_RT_NO_DEADLINE;
		size_t first = SIZE_MAX;
		bool done = true;

		/* Each side sends as fast as its queue allows. */
		for (int i = 0; i < 2; i++) {
			struct sim_ep *ep = &s->ep[i];

			while (ep->sent < p->messages) {
				uint8_t buf[MSG_LEN];
				int rc;

				build_ctl(buf, (uint16_t)(100 + 1 - i), 0, 0, false, ep->sent);
				rc = l2tp_rt_send(ep->rt, buf, sizeof(buf), s->now);
				if (rc == -ENOBUFS)
					break;
				assert_int_equal(rc, 0);
				ep->sent++;
			}
			done = done && ep->sent == p->messages && ep->received == p->messages &&
			       l2tp_rt_idle(ep->rt);
		}
		if (done)
			break;
		assert_true(++steps < 10000000);

		for (size_t i = 0; i < s->nq; i++)
			if (first == SIZE_MAX || s->q[i].at < s->q[first].at ||
			    (s->q[i].at == s->q[first].at && s->q[i].seq < s->q[first].seq))
				first = i;
		if (first != SIZE_MAX)
			next = s->q[first].at;
		for (int i = 0; i < 2; i++) {
			uint64_t d = l2tp_rt_next_deadline(s->ep[i].rt);

			if (d < next)
				next = d;
		}
		/* Something must always be pending until both are done. */
		assert_true(next != L2TP_RT_NO_DEADLINE);
		assert_true(next >= s->now);
		if (next > s->now)
			s->now = next;

		if (first != SIZE_MAX && s->q[first].at <= s->now) {
			struct sim_pkt pkt = s->q[first];
			struct l2tp_header h;

			s->q[first] = s->q[--s->nq];
			header_of(pkt.buf, pkt.len, &h);
			l2tp_rt_receive(s->ep[pkt.to].rt, pkt.buf, pkt.len, &h, s->now);
		}
		for (int i = 0; i < 2; i++)
			if (l2tp_rt_next_deadline(s->ep[i].rt) <= s->now)
				l2tp_rt_tick(s->ep[i].rt, s->now);
	}

	for (int i = 0; i < 2; i++) {
		const struct l2tp_rt_stats *st = l2tp_rt_stats(s->ep[i].rt);

		assert_int_equal(s->ep[i].dead, 0);
		assert_int_equal(s->ep[i].received, p->messages);
		assert_int_equal(st->delivered, p->messages);
		assert_int_equal(st->sent, p->messages);
		if (p->loss_pct)
			assert_true(st->retransmitted > 0);
		if (p->dup_pct)
			assert_true(st->duplicates > 0);
		print_message(
		    "  ep%d: sent %llu rtx %llu dup %llu ooo %llu outside %llu "
		    "zlb %llu/%llu cwnd %u ssthresh %u\n",
		    i, (unsigned long long)st->sent, (unsigned long long)st->retransmitted,
		    (unsigned long long)st->duplicates, (unsigned long long)st->out_of_order,
		    (unsigned long long)st->outside_window, (unsigned long long)st->zlb_sent,
		    (unsigned long long)st->zlb_received, l2tp_rt_cwnd(s->ep[i].rt),
		    l2tp_rt_ssthresh(s->ep[i].rt));
	}
	print_message("  link: lost %llu duplicated %llu, %llu ms simulated\n",
	              (unsigned long long)s->lost, (unsigned long long)s->duplicated,
	              (unsigned long long)s->now);
	for (int i = 0; i < 2; i++)
		l2tp_rt_free(s->ep[i].rt);
	free(s);
}

static void test_two_endpoints_lossy_link(void **state)
{
	static const struct sim_params p = {
	    .seed = 0x9E3779B97F4A7C15ULL,
	    .loss_pct = 10,
	    .dup_pct = 5,
	    .window = {8, 8},
	    .messages = 5000,
	};

	(void)state;
	run_sim(&p);
}

/* A window of 1 on one side: it holds nothing out of order, so everything
 * ahead of next_nr is dropped and retransmitted; the other holds up to 4. */
static void test_two_endpoints_small_windows(void **state)
{
	static const struct sim_params p = {
	    .seed = 12345,
	    .loss_pct = 15,
	    .dup_pct = 10,
	    .window = {1, 4},
	    .messages = 5000,
	};

	(void)state;
	run_sim(&p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_rejects_bad_config),
	    T(test_send_patches_ns_nr),
	    T(test_initial_cwnd_limits_burst),
	    T(test_window_full),
	    T(test_each_loss_in_turn),
	    T(test_timeout_goes_back_clocked_by_acks),
	    T(test_reorder_held_and_delivered_in_order),
	    T(test_duplicate_reacked_not_redelivered),
	    T(test_receive_beyond_window_dropped),
	    T(test_wraparound),
	    T(test_slow_start_then_congestion_avoidance),
	    T(test_backoff_timings),
	    T(test_retransmission_carries_latest_nr),
	    T(test_max_retries_peer_dead_once),
	    T(test_delayed_zlb),
	    T(test_ack_every),
	    T(test_piggyback_cancels_zlb),
	    T(test_max_queued),
	    T(test_reentrant_send_from_deliver),
	    T(test_peer_window_change),
	    T(test_free_with_everything_pending),
	    cmocka_unit_test(test_two_endpoints_lossy_link),
	    cmocka_unit_test(test_two_endpoints_small_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
