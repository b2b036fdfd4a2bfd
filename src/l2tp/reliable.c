/* Reliable delivery of control messages (RFC 2661 §5.8 and Appendix A).
 *
 * Send side: one FIFO ring holds every message from the oldest
 * unacknowledged one on. Entry i carries Ns = una + i, so Ns never has to be
 * stored: acknowledgements only ever remove entries from the head. Three
 * counts split the ring:
 *
 *	[0, nxt)           in flight now: counted against min(cwnd, peer window)
 *	[nxt, sent_count)  sent before, to be sent again (after a timeout)
 *	[sent_count, count) never sent: waiting for the window (max_queued)
 *
 * Receive side: next_nr, and a ring of receive_window slots for messages
 * that arrived ahead of it; slot (held_head + d) % receive_window holds the
 * message with Ns = next_nr + d.
 *
 * Every callback may call l2tp_rt_send(): all state is updated before a
 * callback runs and nothing (iterator, entry pointer) is kept across one.
 * transmit() must not feed a datagram back into this transport's
 * l2tp_rt_receive() synchronously: an ack there would free the buffer it is
 * transmitting (a real socket never does; test links queue instead). */
#include "reliable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seq.h"

/* §5.8: a received Ns in the 32768 values up to next_nr - 1 is a duplicate.
 * Windows beyond half the sequence space would make new and old
 * indistinguishable, on both sides, so neither window may exceed it. */
#define RT_MAX_WINDOW 0x8000u

#define RT_INITIAL_RING 8

struct rt_msg {
	uint8_t *buf;
	size_t len;
	uint64_t sent_at; /* last (re)transmission */
};

struct rt_held {
	uint8_t *buf; /* NULL: slot empty */
	size_t len;
	struct l2tp_header h;
};

struct l2tp_rt {
	struct l2tp_rt_config cfg;
	struct l2tp_rt_ops ops;
	struct l2tp_rt_stats stats;

	/* Send side. */
	struct rt_msg *msgs;
	size_t cap; /* power of two */
	size_t head;
	size_t count;
	size_t sent_count;
	size_t nxt;
	uint16_t una; /* Ns of msgs[head] */
	uint16_t peer_tunnel;
	uint32_t peer_window;
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t ca_acks;      /* acks counted toward the next congestion-avoidance step */
	bool ssthresh_initial; /* still the advertised window: no timeout yet */
	uint32_t rto;          /* current retransmission timeout of the oldest message */
	unsigned retries;      /* timeouts of the oldest message */
	bool dead;

	/* Receive side. */
	uint16_t next_nr;
	struct rt_held *held;
	size_t held_head;
	size_t held_count;
	bool ack_pending; /* next_nr not yet sent to the peer */
	uint64_t ack_deadline;
	uint16_t unacked; /* messages delivered since next_nr was last sent */
};

static struct rt_msg *rt_msg_at(const struct l2tp_rt *rt, size_t i)
{
	return &rt->msgs[(rt->head + i) & (rt->cap - 1)];
}

static uint32_t rt_send_window(const struct l2tp_rt *rt)
{
	return rt->cwnd < rt->peer_window ? rt->cwnd : rt->peer_window;
}

static uint32_t rt_rto_cap(const struct l2tp_rt *rt)
{
	/* A cap below the first timeout would shrink it; treat it as no cap. */
	return rt->cfg.retransmit_cap_ms > rt->cfg.retransmit_initial_ms
	           ? rt->cfg.retransmit_cap_ms
	           : rt->cfg.retransmit_initial_ms;
}

struct l2tp_rt *l2tp_rt_new(const struct l2tp_rt_config *cfg, const struct l2tp_rt_ops *ops)
{
	struct l2tp_rt *rt;

	if (!cfg || !ops || !ops->transmit || cfg->receive_window == 0 ||
	    cfg->receive_window > RT_MAX_WINDOW || cfg->retransmit_initial_ms == 0) {
		errno = EINVAL;
		return NULL;
	}
	rt = calloc(1, sizeof(*rt));
	if (!rt)
		return NULL;
	rt->cfg = *cfg;
	rt->ops = *ops;
	rt->cap = RT_INITIAL_RING;
	rt->msgs = calloc(rt->cap, sizeof(*rt->msgs));
	rt->held = calloc(cfg->receive_window, sizeof(*rt->held));
	if (!rt->msgs || !rt->held) {
		free(rt->msgs);
		free(rt->held);
		free(rt);
		errno = ENOMEM;
		return NULL;
	}
	/* Appendix A: CWND starts at one packet, SSTHRESH at the advertised
	 * window; §4.4.3: 4 until the peer's RWS AVP says otherwise. */
	rt->peer_window = L2TP_RT_DEFAULT_PEER_WINDOW;
	rt->cwnd = 1;
	rt->ssthresh = rt->peer_window;
	rt->ssthresh_initial = true;
	rt->rto = cfg->retransmit_initial_ms;
	return rt;
}

void l2tp_rt_free(struct l2tp_rt *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->count; i++)
		free(rt_msg_at(rt, i)->buf);
	for (size_t i = 0; i < rt->cfg.receive_window; i++)
		free(rt->held[i].buf);
	free(rt->msgs);
	free(rt->held);
	free(rt);
}

void l2tp_rt_set_peer_tunnel(struct l2tp_rt *rt, uint16_t peer_tunnel_id)
{
	rt->peer_tunnel = peer_tunnel_id;
}

/* Takes effect for the next transmission decision, i.e. at the next send,
 * receive or tick (there is no time here to stamp a transmission with). In
 * practice it is called from deliver() while the SCCRQ/SCCRP is processed,
 * and l2tp_rt_receive() sends what the new window allows on its way out. */
void l2tp_rt_set_peer_window(struct l2tp_rt *rt, uint16_t window)
{
	/* §5.8: "A value of 0 for the Receive Window Size AVP is invalid."
	 * The tunnel layer rejects it; here it changes nothing. */
	if (window == 0)
		return;
	rt->peer_window = window < RT_MAX_WINDOW ? window : RT_MAX_WINDOW;
	/* Appendix A: SSTHRESH starts at the advertised window; once a
	 * timeout has lowered it, keep that (bounded by the new window). */
	if (rt->ssthresh_initial || rt->ssthresh > rt->peer_window)
		rt->ssthresh = rt->peer_window;
	/* Appendix A: CWND is never allowed to exceed the advertised window. */
	if (rt->cwnd > rt->peer_window)
		rt->cwnd = rt->peer_window;
}

/* A ZLB ACK (§5.8): header only; Ns is the next one we will use and is not
 * consumed, Nr is what we expect next. */
static void rt_send_zlb(struct l2tp_rt *rt)
{
	uint8_t zlb[L2TP_CONTROL_HEADER_LEN];

	l2tp_header_put_control(zlb, rt->peer_tunnel, 0, (uint16_t)(rt->una + rt->sent_count),
				rt->next_nr);
	rt->ack_pending = false;
	rt->unacked = 0;
	rt->stats.zlb_sent++;
	rt->ops.transmit(rt->ops.ctx, zlb, sizeof(zlb));
}

/* Transmit what min(cwnd, peer window) allows: retransmissions owed after a
 * timeout first (they are older), then new messages. Ns/Nr are patched at
 * every transmission so a retransmission carries the latest Nr (§5.8). */
static void rt_pump(struct l2tp_rt *rt, uint64_t now)
{
	while (!rt->dead && rt->nxt < rt->count && rt->nxt < rt_send_window(rt)) {
		size_t i = rt->nxt++;
		struct rt_msg *m = rt_msg_at(rt, i);
		uint8_t *buf = m->buf;
		size_t len = m->len;

		if (i < rt->sent_count) {
			rt->stats.retransmitted++;
		} else {
			rt->sent_count++;
			rt->stats.sent++;
		}
		m->sent_at = now;
		l2tp_header_set_sequence(buf, (uint16_t)(rt->una + i), rt->next_nr);
		/* It carries the current Nr: no ZLB needed for it. */
		rt->ack_pending = false;
		rt->unacked = 0;
		/* m may move if transmit() sends (the ring grows); buf does not. */
		rt->ops.transmit(rt->ops.ctx, buf, len);
	}
}

/* One message acknowledged: Appendix A window growth. Counted per message
 * rather than per acknowledging packet: the peer may acknowledge several
 * with one Nr (delayed or lost acks), and each is one packet that has left
 * the network. */
static void rt_open_cwnd(struct l2tp_rt *rt)
{
	if (rt->cwnd >= rt->peer_window) {
		rt->ca_acks = 0;
		return;
	}
	if (rt->cwnd < rt->ssthresh) {
		/* Slow start: +1 per ACK, doubling per round trip. */
		rt->cwnd++;
		return;
	}
	/* Congestion avoidance: +1/CWND per ACK, i.e. +1 after CWND ACKs;
	 * counted in whole acks to stay in integers. */
	if (++rt->ca_acks >= rt->cwnd) {
		rt->cwnd++;
		rt->ca_acks = 0;
	}
}

/* Nr from the peer acknowledges every message with Ns before it (§5.8). */
static void rt_process_ack(struct l2tp_rt *rt, uint16_t nr)
{
	uint16_t acked = seq_distance(rt->una, nr);

	/* Nothing new, an old Nr (reordered), or one that acknowledges what
	 * was never sent: a peer bug or a forgery; ignore it whole. */
	if (acked == 0 || acked > rt->sent_count)
		return;
	for (uint16_t k = 0; k < acked; k++) {
		struct rt_msg *m = rt_msg_at(rt, 0);

		free(m->buf);
		m->buf = NULL;
		rt->head = (rt->head + 1) & (rt->cap - 1);
		rt->count--;
		rt->sent_count--;
		if (rt->nxt > 0)
			rt->nxt--;
		rt->una++;
		rt_open_cwnd(rt);
	}
	/* The peer is alive: the next oldest message starts its own backoff
	 * from the initial timeout, measured from its last transmission. */
	rt->retries = 0;
	rt->rto = rt->cfg.retransmit_initial_ms;
}

static bool rt_rtx_armed(const struct l2tp_rt *rt)
{
	return !rt->dead && rt->nxt > 0;
}

static uint64_t rt_rtx_deadline(const struct l2tp_rt *rt)
{
	return rt_msg_at(rt, 0)->sent_at + rt->rto;
}

/* The oldest message went unacknowledged for rto.
 *
 * Only the oldest is retransmitted now. Appendix A sets CWND to one on a
 * retransmission, so one message is all the window allows; the others in
 * flight are no longer counted (nxt = 0, go-back-N) and are sent again as
 * the window reopens, clocked by the acks. This is also what usually
 * works best: §5.8 lets the peer queue out-of-order messages, so the one
 * missing message often fills the gap and a single Nr acknowledges all the
 * rest, which are then never retransmitted; if the peer discarded them, the
 * ack of the oldest grows CWND and lets them out at the slow-start rate
 * instead of as a burst into a path that just lost something. */
static void rt_retransmit_timeout(struct l2tp_rt *rt, uint64_t now)
{
	uint64_t rto;

	if (rt->retries >= rt->cfg.retransmit_max) {
		/* §5.8: no response after several retransmissions: the
		 * tunnel must be cleared. Said once; nothing is sent after. */
		rt->dead = true;
		if (rt->ops.peer_dead)
			rt->ops.peer_dead(rt->ops.ctx);
		return;
	}
	rt->retries++;
	/* §5.8: exponential backoff, capped (the cap is the owner's, >= 8 s). */
	rto = (uint64_t)rt->rto * 2;
	rt->rto = rto < rt_rto_cap(rt) ? (uint32_t)rto : rt_rto_cap(rt);
	/* Appendix A: "one half of the CWND is saved in SSTHRESH, and CWND is
	 * set to one". Half of one is kept at one so the window can open. */
	rt->ssthresh = rt->cwnd / 2 > 1 ? rt->cwnd / 2 : 1;
	rt->ssthresh_initial = false;
	rt->cwnd = 1;
	rt->ca_acks = 0;
	rt->nxt = 0;
	rt_pump(rt, now);
}

static void rt_ack_now(struct l2tp_rt *rt, uint64_t now);

/* Acknowledge soon: the delayed ack timer, started by the first message
 * that moved next_nr and not pushed back by later ones, so a steady stream
 * still gets acknowledged every ack_delay_ms. But with ack_every set, ack at
 * once when that many are unacknowledged: a peer sending a burst it gets
 * no replies to (ICCNs, CDNs) would otherwise stall on a full window for
 * ack_delay_ms each time -- ~150 sessions/s at RWS 16 and 100 ms. */
static void rt_ack_later(struct l2tp_rt *rt, uint64_t now)
{
	if (rt->cfg.ack_every && ++rt->unacked >= rt->cfg.ack_every) {
		rt_ack_now(rt, now);
		return;
	}
	if (!rt->ack_pending) {
		rt->ack_pending = true;
		rt->ack_deadline = now + rt->cfg.ack_delay_ms;
	}
}

/* Acknowledge now (a duplicate: §5.8, our ack was probably lost), unless
 * something transmitted before the end of this receive carries it. */
static void rt_ack_now(struct l2tp_rt *rt, uint64_t now)
{
	if (!rt->ack_pending || rt->ack_deadline > now)
		rt->ack_deadline = now;
	rt->ack_pending = true;
}

/* Deliver the message with Ns == next_nr, then any held ones that follow. */
static void rt_deliver_run(struct l2tp_rt *rt, uint8_t *buf, size_t len,
                           const struct l2tp_header *h, uint64_t now)
{
	size_t win = rt->cfg.receive_window;

	/* State first, so a reply sent from deliver() carries the new Nr. */
	rt->next_nr++;
	rt->held_head = (rt->held_head + 1) % win;
	rt_ack_later(rt, now);
	rt->stats.delivered++;
	if (rt->ops.deliver)
		rt->ops.deliver(rt->ops.ctx, buf, len, h);

	for (;;) {
		struct rt_held *slot = &rt->held[rt->held_head];
		struct rt_held m;

		if (!slot->buf)
			break;
		m = *slot;
		slot->buf = NULL;
		rt->held_count--;
		rt->next_nr++;
		rt->held_head = (rt->held_head + 1) % win;
		rt_ack_later(rt, now);
		rt->stats.delivered++;
		if (rt->ops.deliver)
			rt->ops.deliver(rt->ops.ctx, m.buf, m.len, &m.h);
		free(m.buf);
	}
}

/* A message (not a ZLB): deliver, hold, or count and drop it (§5.8). */
static void rt_accept(struct l2tp_rt *rt, uint8_t *buf, size_t len, const struct l2tp_header *h,
                      uint64_t now)
{
	uint16_t d = seq_distance(rt->next_nr, h->ns);
	struct rt_held *slot;

	if (d == 0) {
		rt_deliver_run(rt, buf, len, h, now);
		return;
	}
	if (seq_in_window(h->ns, rt->next_nr, rt->cfg.receive_window)) {
		slot = &rt->held[(rt->held_head + d) % rt->cfg.receive_window];
		if (slot->buf) {
			/* Retransmitted while we hold it: the peer has no
			 * ack for it yet (none is possible before the gap
			 * fills); re-ack what we can, as for any duplicate. */
			rt->stats.duplicates++;
			rt_ack_now(rt, now);
			return;
		}
		slot->buf = malloc(len);
		if (!slot->buf)
			return; /* as if lost: the peer retransmits it */
		memcpy(slot->buf, buf, len);
		slot->len = len;
		slot->h = *h;
		rt->held_count++;
		rt->stats.out_of_order++;
		return;
	}
	/* §5.8: Ns in the 32768 values ending at next_nr - 1 is "less than or
	 * equal to the last received number": a duplicate, which MUST be
	 * acknowledged. With receive_window <= 0x8000 this is d >= 0x8000. */
	if (d >= 0x8000) {
		rt->stats.duplicates++;
		rt_ack_now(rt, now);
		return;
	}
	rt->stats.outside_window++;
}

int l2tp_rt_send(struct l2tp_rt *rt, const uint8_t *msg, size_t len, uint64_t now)
{
	struct rt_msg *m;
	bool goes_now;
	uint8_t *copy;

	/* A message has at least one AVP (Message Type): a bare header would
	 * be taken for a ZLB and would not be acknowledged. */
	if (len <= L2TP_CONTROL_HEADER_LEN || len > UINT16_MAX)
		return -EINVAL;
	if (rt->dead)
		return -EPIPE;
	goes_now = rt->nxt == rt->count && rt->nxt < rt_send_window(rt);
	if (!goes_now && rt->count - rt->sent_count >= rt->cfg.max_queued) {
		rt->stats.queue_full++;
		return -ENOBUFS;
	}
	if (rt->count == rt->cap) {
		/* Double and unroll the ring; bounded by the peer window
		 * (<= 0x8000) plus max_queued. */
		struct rt_msg *grown = calloc(rt->cap * 2, sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		for (size_t i = 0; i < rt->count; i++)
			grown[i] = *rt_msg_at(rt, i);
		free(rt->msgs);
		rt->msgs = grown;
		rt->head = 0;
		rt->cap *= 2;
	}
	copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	m = rt_msg_at(rt, rt->count);
	m->buf = copy;
	m->len = len;
	m->sent_at = now;
	rt->count++;
	rt_pump(rt, now);
	return 0;
}

void l2tp_rt_receive(struct l2tp_rt *rt, uint8_t *buf, size_t len, const struct l2tp_header *h,
                     uint64_t now)
{
	/* The owner parsed and validated the header; still, never act on
	 * something that cannot be a control message. */
	if (!h->is_control || !h->has_sequence || len < h->header_len)
		return;

	/* Nr first, so the upper layer sees acknowledged messages gone while
	 * it handles this one; transmission waits until after delivery so
	 * that what goes out carries the Nr this message advanced. */
	rt_process_ack(rt, h->nr);
	if (len == h->header_len)
		rt->stats.zlb_received++; /* §5.8: its Ns does not count */
	else
		rt_accept(rt, buf, len, h, now);
	rt_pump(rt, now);
	if (rt->ack_pending && rt->ack_deadline <= now)
		rt_send_zlb(rt);
}

void l2tp_rt_tick(struct l2tp_rt *rt, uint64_t now)
{
	if (rt_rtx_armed(rt) && now >= rt_rtx_deadline(rt))
		rt_retransmit_timeout(rt, now);
	/* A window changed by l2tp_rt_set_peer_window() may let more out. */
	rt_pump(rt, now);
	if (rt->ack_pending && now >= rt->ack_deadline)
		rt_send_zlb(rt);
}

uint64_t l2tp_rt_next_deadline(const struct l2tp_rt *rt)
{
	uint64_t deadline = L2TP_RT_NO_DEADLINE;

	if (rt_rtx_armed(rt))
		deadline = rt_rtx_deadline(rt);
	if (rt->ack_pending && rt->ack_deadline < deadline)
		deadline = rt->ack_deadline;
	return deadline;
}

void l2tp_rt_flush_ack(struct l2tp_rt *rt, uint64_t now)
{
	(void)now;
	if (rt->ack_pending)
		rt_send_zlb(rt);
}

bool l2tp_rt_idle(const struct l2tp_rt *rt)
{
	return rt->count == 0;
}

size_t l2tp_rt_in_flight(const struct l2tp_rt *rt)
{
	return rt->sent_count;
}

size_t l2tp_rt_queued(const struct l2tp_rt *rt)
{
	return rt->count - rt->sent_count;
}

uint16_t l2tp_rt_cwnd(const struct l2tp_rt *rt)
{
	return (uint16_t)rt->cwnd;
}

uint16_t l2tp_rt_ssthresh(const struct l2tp_rt *rt)
{
	return (uint16_t)rt->ssthresh;
}

uint16_t l2tp_rt_next_ns(const struct l2tp_rt *rt)
{
	return (uint16_t)(rt->una + rt->sent_count);
}

uint16_t l2tp_rt_next_nr(const struct l2tp_rt *rt)
{
	return rt->next_nr;
}

const struct l2tp_rt_stats *l2tp_rt_stats(const struct l2tp_rt *rt)
{
	return &rt->stats;
}
