/* Tunnels: the control connection state machine (RFC 2661 §7.2). */
#include "tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/hidden.h"
#include "config.h"
#include "daemon.h"
#include "destination.h"
#include "session.h"

#define TUNNEL_MSG_MAX 1500
#define L2TP_PROTOCOL_VERSION 0x0100 /* Ver 1, Rev 0 (§4.4.3) */
#define TUNNEL_FIRMWARE 0x0001
#define TUNNEL_VENDOR "l2tpd"
#define TUNNEL_CHALLENGE_LEN 16

static const char *const state_names[] = {
	[TUNNEL_IDLE] = "idle",
	[TUNNEL_WAIT_CTL_REPLY] = "wait-ctl-reply",
	[TUNNEL_WAIT_CTL_CONN] = "wait-ctl-conn",
	[TUNNEL_ESTABLISHED] = "established",
	[TUNNEL_CLOSING] = "closing",
};

const char *tunnel_state_name(enum tunnel_state s)
{
	return s <= TUNNEL_CLOSING ? state_names[s] : "?";
}

const char *tunnel_role_name(enum tunnel_role r)
{
	return r == TUNNEL_ROLE_LAC ? "lac" : "lns";
}

void tunnel_params_from_config(struct tunnel_params *p, const struct config_tunnel *ct,
			       const char *secret, bool hide_avps, unsigned max_sessions)
{
	memset(p, 0, sizeof(*p));
	if (secret) {
		p->secret_len = strlen(secret);
		if (p->secret_len > sizeof(p->secret))
			p->secret_len = sizeof(p->secret);
		memcpy(p->secret, secret, p->secret_len);
	}
	p->hide_avps = hide_avps && p->secret_len > 0;
	p->hello_interval = ct->hello_interval;
	p->rt.receive_window = (uint16_t)(ct->receive_window ? ct->receive_window : 16);
	p->rt.retransmit_initial_ms = (ct->retransmit_initial ? ct->retransmit_initial : 1) * 1000;
	p->rt.retransmit_cap_ms = (ct->retransmit_cap ? ct->retransmit_cap : 8) * 1000;
	p->rt.retransmit_max = ct->retransmit_max ? ct->retransmit_max : 5;
	/* A reply (ICRP to an ICRQ, ...) is built while its request is
	 * handled, in the same loop iteration, and carries the ack; the delay
	 * only has to outlast that. 100 ms held the ack of the last messages
	 * of every burst that long: the p99 time to establish a session and
	 * a peer's window-bound teardown (l2tp-bench). */
	p->rt.ack_delay_ms = 20;
	/* Ack at once at half the window we advertise: see l2tp_rt_config. */
	p->rt.ack_every = p->rt.receive_window / 2 ? p->rt.receive_window / 2 : 1;
	p->rt.max_queued = 16384;
	p->max_sessions = max_sessions ? max_sessions : 65535;
}

double tunnel_linger_seconds(const struct tunnel_params *p)
{
	/* §5.7: a full retransmission cycle: the first try and every retry. */
	uint64_t total = 0, timeout = p->rt.retransmit_initial_ms;

	for (unsigned i = 0; i <= p->rt.retransmit_max; i++) {
		total += timeout;
		timeout *= 2;
		if (timeout > p->rt.retransmit_cap_ms)
			timeout = p->rt.retransmit_cap_ms;
	}
	return (double)total / 1000.0;
}

static struct log *tlog(struct tunnel *t)
{
	return &t->d->log;
}

static void tunnel_arm_rt(struct tunnel *t)
{
	uint64_t deadline, now;
	double after;

	if (t->reaping)
		return;
	ev_timer_stop(t->d->loop, &t->rt_timer);
	deadline = l2tp_rt_next_deadline(t->rt);
	if (deadline == L2TP_RT_NO_DEADLINE)
		return;
	now = l2tpd_now_ms(t->d);
	/* 1 ms of slack: our clock is the loop's, truncated to ms. */
	after = deadline > now ? (double)(deadline - now) / 1000.0 : 0.0;
	ev_timer_set(&t->rt_timer, after + 0.001, 0.0);
	ev_timer_start(t->d->loop, &t->rt_timer);
}

void tunnel_set_half_open(struct tunnel *t, bool on)
{
	if (on && !list_linked(&t->half_open_node)) {
		list_add_tail(&t->d->half_open, &t->half_open_node);
		t->d->n_half_open++;
	} else if (!on && list_linked(&t->half_open_node)) {
		list_del(&t->half_open_node);
		t->d->n_half_open--;
	}
}

/* Transport callbacks: they run inside l2tp_rt_* calls, so they may send
 * but never free the tunnel (the reaper does, see l2tpd_schedule_reap). */
static void tunnel_rt_transmit(void *ctx, const uint8_t *buf, size_t len)
{
	struct tunnel *t = ctx;
	int rc = udp_send(t->sock, &t->peer, &t->local, buf, len);

	if (rc < 0)
		log_ratelimited(tlog(t), LOG_LEVEL_WARN, "send failed tunnel=%u peer=%s error=%s",
				t->id, t->peer_str, strerror(-rc));
}

static void tunnel_handle_message(struct tunnel *t, uint8_t *buf, size_t len);

static void tunnel_rt_deliver(void *ctx, uint8_t *buf, size_t len, const struct l2tp_header *h)
{
	(void)h;
	tunnel_handle_message(ctx, buf, len);
}

static void tunnel_release_sessions(struct tunnel *t, bool failover, const char *why)
{
	struct list_node *pos, *tmp;

	if (failover && t->dest && !t->was_established)
		destination_tunnel_gone(t); /* may move waiting sessions elsewhere */
	list_for_each_safe(pos, tmp, &t->sessions)
		session_free(list_entry(pos, struct session, tunnel_node), why);
}

static void tunnel_rt_peer_dead(void *ctx)
{
	struct tunnel *t = ctx;

	if (t->dead || t->reaping)
		return;
	t->dead = true;
	if (t->state != TUNNEL_CLOSING) {
		t->d->stats.tunnels_peer_dead++;
		log_warn(tlog(t),
			 "tunnel peer dead tunnel=%u peer_tunnel=%u peer=%s state=%s sessions=%u "
			 "reason=no acknowledgement after %u retransmissions",
			 t->id, t->peer_id, t->peer_str, tunnel_state_name(t->state), t->n_sessions,
			 t->p.rt.retransmit_max);
	}
	/* Sessions are freed (and failover done) by the reaper, outside this
	 * callback. */
	l2tpd_schedule_reap(t->d, t);
}

static void tunnel_rt_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tunnel *t = w->data;

	(void)loop;
	(void)revents;
	l2tp_rt_tick(t->rt, l2tpd_now_ms(t->d));
	tunnel_arm_rt(t);
}

static void tunnel_linger_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tunnel *t = w->data;

	(void)loop;
	(void)revents;
	log_debug(tlog(t), "tunnel linger over tunnel=%u", t->id);
	l2tpd_schedule_reap(t->d, t);
}

void tunnel_builder(struct tunnel *t, struct l2tp_builder *b, uint8_t *buf, size_t cap,
		    uint16_t peer_sid, uint16_t type)
{
	l2tp_builder_init(b, buf, cap, t->peer_id, peer_sid, type);
	if (t->p.secret_len) {
		b->secret.data = t->p.secret;
		b->secret.len = t->p.secret_len;
	}
	b->hide = t->p.hide_avps;
}

/* Put an AVP, hidden per policy: hide_max_len keeps long values clear for
 * peers whose unhiding of long AVPs is broken (l2tpns). */
static void tunnel_put(struct tunnel *t, struct l2tp_builder *b, uint16_t type, const void *v,
		       size_t len)
{
	bool hide = b->hide; /* the message's policy (SCCRQ hides nothing) */

	b->hide = hide && (!t->p.hide_max_len || len <= t->p.hide_max_len);
	l2tp_builder_put(b, type, v, len);
	b->hide = hide;
}

int tunnel_send_msg(struct tunnel *t, struct l2tp_builder *b, uint16_t type)
{
	int len = l2tp_builder_finish(b);
	int rc;

	if (len < 0) {
		log_err(tlog(t), "cannot build message tunnel=%u type=%s reason=%s", t->id,
			l2tp_msg_name(type), l2tp_strerror(len));
		return -EINVAL;
	}
	rc = l2tp_rt_send(t->rt, b->buf, (size_t)len, l2tpd_now_ms(t->d));
	if (rc < 0) {
		log_ratelimited(tlog(t), LOG_LEVEL_WARN,
				"control queue full tunnel=%u type=%s queued=%zu", t->id,
				l2tp_msg_name(type), l2tp_rt_queued(t->rt));
		return rc;
	}
	if (type < L2TP_MSG_TYPE_LIMIT)
		t->d->stats.tx_msg[type]++;
	tunnel_arm_rt(t);
	return 0;
}

int tunnel_send_raw(struct tunnel *t, const void *buf, size_t len)
{
	return udp_send(t->sock, &t->peer, &t->local, buf, len);
}

struct tunnel *tunnel_alloc(struct l2tpd *d, struct udp_sock *s, const union udp_addr *peer,
				   const struct tunnel_params *p, int *err)
{
	struct l2tp_rt_ops ops = {
		.transmit = tunnel_rt_transmit,
		.deliver = tunnel_rt_deliver,
		.peer_dead = tunnel_rt_peer_dead,
	};
	struct tunnel *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;

	if (!t)
		goto fail;
	t->d = d;
	t->p = *p;
	t->sock = s;
	t->peer = *peer;
	udp_addr_str(peer, t->peer_str, sizeof(t->peer_str));
	list_init(&t->sessions);
	list_init(&t->half_open_node);
	list_init(&t->reap_node);
	list_init(&t->dest_node);
	ops.ctx = t;
	t->rt = l2tp_rt_new(&t->p.rt, &ops);
	if (!t->rt)
		goto fail;
	t->id = idtable_random_id(&d->tunnels, 0);
	rc = t->id ? idtable_insert(&d->tunnels, t->id, t) : -EAGAIN;
	if (rc < 0)
		goto fail;
	ev_init(&t->rt_timer, tunnel_rt_timer_cb);
	t->rt_timer.data = t;
	ev_init(&t->linger_timer, tunnel_linger_cb);
	t->linger_timer.data = t;
	ev_init(&t->hello_timer, NULL); /* callback set when established */
	t->hello_timer.data = t;
	t->created = ev_now(d->loop);
	t->last_rx = t->created;
	list_add_tail(&d->tunnel_list, &t->node);
	d->n_tunnels++;
	return t;
fail:
	if (t && t->rt)
		l2tp_rt_free(t->rt);
	free(t);
	*err = rc;
	return NULL;
}

/* The AVPs SCCRQ and SCCRP share. Nothing in these two messages is hidden,
 * whatever hide_avps says: the peer picks the shared secret by the Host Name
 * they carry, and may only look it up after parsing the whole message
 * (xl2tpd does, and drops the tunnel on a hidden AVP there). Hiding starts
 * with SCCCN and applies to every message after. */
static void tunnel_put_common(struct tunnel *t, struct l2tp_builder *b)
{
	const char *host = t->d->cfg->global.hostname ? t->d->cfg->global.hostname : "l2tpd";

	b->hide = false;

	l2tp_builder_put_u16(b, L2TP_AVP_PROTOCOL_VERSION, L2TP_PROTOCOL_VERSION);
	l2tp_builder_put_u32(b, L2TP_AVP_FRAMING_CAPABILITIES,
			     L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
	tunnel_put(t, b, L2TP_AVP_BEARER_CAPABILITIES, "\0\0\0\0", 4);
	l2tp_builder_put_u16(b, L2TP_AVP_FIRMWARE_REVISION, TUNNEL_FIRMWARE);
	l2tp_builder_put_string(b, L2TP_AVP_HOST_NAME, host);
	tunnel_put(t, b, L2TP_AVP_VENDOR_NAME, TUNNEL_VENDOR, strlen(TUNNEL_VENDOR));
	{
		uint16_t id = htons(t->id);

		tunnel_put(t, b, L2TP_AVP_ASSIGNED_TUNNEL_ID, &id, 2);
	}
	l2tp_builder_put_u16(b, L2TP_AVP_RECEIVE_WINDOW_SIZE, t->p.rt.receive_window);
}

static void tunnel_put_challenge(struct tunnel *t, struct l2tp_builder *b)
{
	if (!t->p.secret_len)
		return;
	l2tpd_random(t->challenge, sizeof(t->challenge));
	t->challenge_sent = true;
	tunnel_put(t, b, L2TP_AVP_CHALLENGE, t->challenge, sizeof(t->challenge));
}

struct tunnel *tunnel_open(struct l2tpd *d, struct destination *dest, const union udp_addr *peer,
			   const struct tunnel_params *p, bool tie_breaker, int *err)
{
	uint8_t buf[TUNNEL_MSG_MAX];
	struct l2tp_builder b;
	struct udp_sock *s = l2tpd_sock_for(d, peer);
	struct tunnel *t;

	if (!s) {
		*err = -EAFNOSUPPORT;
		return NULL;
	}
	t = tunnel_alloc(d, s, peer, p, err);
	if (!t)
		return NULL;
	t->initiator = true;
	t->role = TUNNEL_ROLE_LAC;
	if (dest)
		destination_attach(dest, t);

	tunnel_builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRQ);
	tunnel_put_common(t, &b);
	if (tie_breaker) {
		l2tpd_random(t->tie_breaker, sizeof(t->tie_breaker));
		t->tie_breaker_sent = true;
		l2tp_builder_put(&b, L2TP_AVP_TIE_BREAKER, t->tie_breaker, 8);
	}
	tunnel_put_challenge(t, &b);
	t->state = TUNNEL_WAIT_CTL_REPLY;
	tunnel_set_half_open(t, true);
	log_info(&d->log, "tunnel opening tunnel=%u peer=%s destination=%s", t->id, t->peer_str,
		 dest ? dest->name : "-");
	if (tunnel_send_msg(t, &b, L2TP_MSG_SCCRQ) < 0) {
		*err = -EIO;
		t->state = TUNNEL_CLOSING;
		l2tpd_schedule_reap(d, t);
		return NULL;
	}
	return t;
}

static void tunnel_start_linger(struct tunnel *t)
{
	t->state = TUNNEL_CLOSING;
	tunnel_set_half_open(t, false);
	ev_timer_stop(t->d->loop, &t->hello_timer);
	ev_timer_set(&t->linger_timer, tunnel_linger_seconds(&t->p), 0.0);
	ev_timer_start(t->d->loop, &t->linger_timer);
}

void tunnel_close(struct tunnel *t, uint16_t result, int error, const char *message)
{
	uint8_t buf[TUNNEL_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(t->id);

	if (t->state == TUNNEL_CLOSING || t->reaping)
		return;
	t->stop_result = result;
	t->d->stats.tunnels_down_sent[result < 8 ? result : 0]++;
	log_info(tlog(t),
		 "tunnel closing tunnel=%u peer_tunnel=%u peer=%s state=%s sessions=%u "
		 "result=%u error=%d sent=%s reason=%s",
		 t->id, t->peer_id, t->peer_str, tunnel_state_name(t->state), t->n_sessions,
		 result, error, t->peer_id ? "StopCCN" : "none",
		 message ? message : l2tp_result_name(L2TP_MSG_STOPCCN, result));
	/* Before the peer told us its tunnel id there is nobody to address a
	 * StopCCN to (§7.2.1 wait-ctl-reply, local close): just clean up. */
	if (!t->peer_id) {
		tunnel_release_sessions(t, false, "tunnel closed");
		t->state = TUNNEL_CLOSING;
		tunnel_set_half_open(t, false);
		l2tpd_schedule_reap(t->d, t);
		return;
	}
	tunnel_builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_STOPCCN);
	tunnel_put(t, &b, L2TP_AVP_ASSIGNED_TUNNEL_ID, &id, 2);
	l2tp_builder_put_result(&b, result, error, message);
	tunnel_send_msg(t, &b, L2TP_MSG_STOPCCN);
	/* §5.7: an implementation may end every session with the StopCCN.
	 * An SCCRP we refused (authentication, version) sends the waiting
	 * sessions to the next peer. */
	tunnel_release_sessions(t,
				t->state == TUNNEL_WAIT_CTL_REPLY &&
					result != L2TP_STOPCCN_SHUTTING_DOWN,
				"tunnel closed");
	tunnel_start_linger(t);
}

void tunnel_destroy(struct tunnel *t)
{
	struct l2tpd *d = t->d;
	const struct l2tp_rt_stats *st = l2tp_rt_stats(t->rt);

	tunnel_release_sessions(t, t->dead, t->dead ? "peer dead" : "tunnel freed");
	if (t->dest)
		destination_tunnel_gone(t);
	if (!t->was_established)
		d->stats.tunnels_failed++;
	d->stats.rt_retransmitted += st->retransmitted;
	d->stats.rt_duplicates += st->duplicates;
	d->stats.rt_out_of_order += st->out_of_order;
	d->stats.rt_outside_window += st->outside_window;
	d->stats.rt_zlb_sent += st->zlb_sent;
	d->stats.rt_zlb_received += st->zlb_received;
	d->stats.rt_queue_full += st->queue_full;
	ev_timer_stop(d->loop, &t->rt_timer);
	ev_timer_stop(d->loop, &t->linger_timer);
	ev_timer_stop(d->loop, &t->hello_timer);
	tunnel_set_half_open(t, false);
	list_del(&t->reap_node);
	list_del(&t->node);
	idtable_remove(&d->tunnels, t->id);
	d->n_tunnels--;
	log_debug(&d->log, "tunnel freed tunnel=%u", t->id);
	l2tp_rt_free(t->rt);
	free(t);
}

static void tunnel_hello_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tunnel *t = w->data;
	double idle, interval = t->p.hello_interval;

	(void)revents;
	if (t->state != TUNNEL_ESTABLISHED)
		return;
	/* Data messages bypass the control path (the fast path counts them,
	 * it does not touch timers per packet): any since the last look
	 * count as activity now. A HELLO thus follows at most two
	 * intervals of silence instead of one, a clock read per packet
	 * saved. */
	if (t->fp.rx_packets != t->hello_rx_seen) {
		t->hello_rx_seen = t->fp.rx_packets;
		t->last_rx = ev_now(loop);
	}
	idle = ev_now(loop) - t->last_rx;
	if (idle >= interval) {
		/* §5.5: silence for hello_interval: a HELLO, whose reliable
		 * delivery proves the peer alive (or the transport declares it
		 * dead). */
		uint8_t buf[64];
		struct l2tp_builder b;

		tunnel_builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_HELLO);
		tunnel_send_msg(t, &b, L2TP_MSG_HELLO);
		t->last_rx = ev_now(loop); /* next HELLO after another silent interval */
		idle = 0;
	}
	w->repeat = interval - idle;
	if (w->repeat < 0.001)
		w->repeat = 0.001;
	ev_timer_again(loop, w);
}

/* The data path's copy of the peer and our source address: at
 * establishment, when they are final (§8.1: the initiator took the port
 * from the SCCRP, and both learnt the local address from the first
 * message received), and again should either change later. */
static void tunnel_fp_sync(struct tunnel *t)
{
	uint64_t rx = t->fp.rx_packets;

	fastpath_tunnel_init(&t->fp, t->sock->fd, t->id, t->peer_id, &t->peer, &t->local);
	t->fp.rx_packets = rx;
}

static void tunnel_up(struct tunnel *t)
{
	struct l2tpd *d = t->d;

	t->state = TUNNEL_ESTABLISHED;
	t->was_established = true;
	tunnel_set_half_open(t, false);
	d->stats.tunnels_up++;
	tunnel_fp_sync(t);
	if (t->role == TUNNEL_ROLE_LNS && !t->dest)
		destination_attach_lns(t);
	log_info(&d->log,
		 "tunnel established tunnel=%u peer_tunnel=%u peer=%s peer_hostname=%s role=%s "
		 "destination=%s",
		 t->id, t->peer_id, t->peer_str, t->peer_hostname[0] ? t->peer_hostname : "-",
		 tunnel_role_name(t->role), t->dest ? t->dest->name : "-");
	if (t->p.hello_interval) {
		ev_set_cb(&t->hello_timer, tunnel_hello_cb);
		t->hello_timer.repeat = t->p.hello_interval;
		ev_timer_again(d->loop, &t->hello_timer);
	}
	session_tunnel_up(t);
}

static void tunnel_auth_failed(struct tunnel *t, const char *reason)
{
	t->d->stats.auth_failures++;
	log_warn(tlog(t), "tunnel authentication failed tunnel=%u peer=%s peer_hostname=%s reason=%s",
		 t->id, t->peer_str, t->peer_hostname[0] ? t->peer_hostname : "-", reason);
	tunnel_close(t, L2TP_STOPCCN_NOT_AUTHORIZED, -1, reason);
}

/* Verify the peer's Challenge Response to our challenge (§4.4.3): the
 * response is computed with the type of the message carrying it. */
static bool tunnel_check_response(struct tunnel *t, const struct l2tp_msg *m, uint8_t type)
{
	const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_CHALLENGE_RESPONSE];
	struct l2tp_secret sec = { t->p.secret, t->p.secret_len };
	uint8_t expect[16];

	if (!v->present) {
		tunnel_auth_failed(t, "missing challenge response");
		return false;
	}
	l2tp_challenge_response(type, &sec, t->challenge, sizeof(t->challenge), expect);
	if (v->len != 16 || memcmp(v->value, expect, 16) != 0) {
		tunnel_auth_failed(t, "bad challenge response");
		return false;
	}
	return true;
}

/* The peer's challenge: answer it, or refuse when we have no secret. Puts
 * the response into b. */
static bool tunnel_answer_challenge(struct tunnel *t, const struct l2tp_msg *m,
				    struct l2tp_builder *b, uint8_t type)
{
	const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_CHALLENGE];
	struct l2tp_secret sec = { t->p.secret, t->p.secret_len };
	uint8_t resp[16];

	if (!v->present)
		return true;
	if (!t->p.secret_len) {
		tunnel_auth_failed(t, "peer sent a challenge but no secret is configured");
		return false;
	}
	l2tp_challenge_response(type, &sec, v->value, v->len, resp);
	tunnel_put(t, b, L2TP_AVP_CHALLENGE_RESPONSE, resp, sizeof(resp));
	return true;
}

/* What SCCRQ and SCCRP tell about the peer. false: refused (closed). */
static bool tunnel_learn_peer(struct tunnel *t, const struct l2tp_msg *m)
{
	const struct l2tp_avp_value *v;
	uint16_t window;

	t->peer_protocol = l2tp_msg_u16(m, L2TP_AVP_PROTOCOL_VERSION);
	t->peer_framing = (uint16_t)l2tp_msg_u32(m, L2TP_AVP_FRAMING_CAPABILITIES);
	v = &m->avp[L2TP_AVP_HOST_NAME];
	if (v->present)
		log_sanitize(t->peer_hostname, sizeof(t->peer_hostname), v->value, v->len);
	v = &m->avp[L2TP_AVP_VENDOR_NAME];
	if (v->present)
		log_sanitize(t->peer_vendor, sizeof(t->peer_vendor), v->value, v->len);
	t->peer_id = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	if (!t->peer_id) {
		/* Nobody to answer: §5.3 forbids 0. */
		log_ratelimited(tlog(t), LOG_LEVEL_WARN,
				"tunnel refused tunnel=%u peer=%s reason=assigned tunnel id 0", t->id,
				t->peer_str);
		t->state = TUNNEL_CLOSING;
		l2tpd_schedule_reap(t->d, t);
		return false;
	}
	l2tp_rt_set_peer_tunnel(t->rt, t->peer_id);
	if ((t->peer_protocol >> 8) != 1) {
		/* §4.4.2 result 5: Error Code carries the version we support. */
		tunnel_close(t, L2TP_STOPCCN_BAD_VERSION, L2TP_PROTOCOL_VERSION,
			     "protocol version not supported");
		return false;
	}
	if (m->avp[L2TP_AVP_RECEIVE_WINDOW_SIZE].present) {
		window = l2tp_msg_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE);
		if (!window) {
			tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_BAD_VALUE,
				     "receive window size 0");
			return false;
		}
		t->peer_window = window;
		l2tp_rt_set_peer_window(t->rt, window);
	} else {
		t->peer_window = L2TP_RT_DEFAULT_PEER_WINDOW;
	}
	return true;
}

static void tunnel_on_sccrq(struct tunnel *t, struct l2tp_msg *m)
{
	uint8_t buf[TUNNEL_MSG_MAX];
	struct l2tp_builder b;

	if (!tunnel_learn_peer(t, m))
		return;
	tunnel_builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRP);
	tunnel_put_common(t, &b);
	if (!tunnel_answer_challenge(t, m, &b, L2TP_MSG_SCCRP))
		return;
	tunnel_put_challenge(t, &b);
	t->state = TUNNEL_WAIT_CTL_CONN;
	tunnel_send_msg(t, &b, L2TP_MSG_SCCRP);
	log_debug(tlog(t), "tunnel sccrp sent tunnel=%u peer_tunnel=%u peer=%s", t->id,
		  t->peer_id, t->peer_str);
}

static void tunnel_on_sccrp(struct tunnel *t, struct l2tp_msg *m)
{
	uint8_t buf[TUNNEL_MSG_MAX];
	struct l2tp_builder b;

	if (!tunnel_learn_peer(t, m))
		return;
	if (t->challenge_sent && !tunnel_check_response(t, m, L2TP_MSG_SCCRP))
		return;
	tunnel_builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCCN);
	if (!tunnel_answer_challenge(t, m, &b, L2TP_MSG_SCCCN))
		return;
	if (tunnel_send_msg(t, &b, L2TP_MSG_SCCCN) < 0)
		return;
	tunnel_up(t);
}

static void tunnel_on_scccn(struct tunnel *t, struct l2tp_msg *m)
{
	if (t->challenge_sent && !tunnel_check_response(t, m, L2TP_MSG_SCCCN))
		return;
	tunnel_up(t);
}

static void tunnel_on_stopccn(struct tunnel *t, struct l2tp_msg *m)
{
	struct l2tp_result r = { 0 };
	char text[128] = "";
	bool failover;

	l2tp_msg_result(m, &r);
	log_sanitize(text, sizeof(text), r.message, r.message_len);
	/* §4.4.3: a StopCCN refusing our SCCRQ carries the peer's Assigned
	 * Tunnel ID so that we can address our acknowledgement to it; without
	 * this our ZLB goes to tunnel 0 and the peer retransmits until it gives up. */
	if (!t->peer_id && (m->present & L2TP_AVP_BIT(L2TP_AVP_ASSIGNED_TUNNEL_ID))) {
		t->peer_id = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
		l2tp_rt_set_peer_tunnel(t->rt, t->peer_id);
	}
	t->stop_result = r.result;
	t->d->stats.tunnels_down_received[r.result < 8 ? r.result : 0]++;
	log_info(tlog(t),
		 "tunnel closed by peer tunnel=%u peer_tunnel=%u peer=%s state=%s sessions=%u "
		 "result=%u error=%d received=StopCCN reason=%s%s%s",
		 t->id, t->peer_id, t->peer_str, tunnel_state_name(t->state), t->n_sessions,
		 r.result, r.error_code, l2tp_result_name(L2TP_MSG_STOPCCN, r.result),
		 text[0] ? ": " : "", text);
	/* A refusal during setup sends the waiting sessions to the next peer. */
	failover = t->state == TUNNEL_WAIT_CTL_REPLY;
	tunnel_release_sessions(t, failover, "tunnel closed by peer");
	/* §5.7: keep the state a full retransmission cycle so a retransmitted
	 * StopCCN (our ZLB lost) is acknowledged again by the transport. */
	tunnel_start_linger(t);
}

/* §7.2.1 as a table: the states in which each tunnel message is expected.
 * Anything else is an FSM error that clears the connection. */
#define ST(s) (1u << (s))
struct tunnel_event {
	uint16_t type;
	unsigned states;
	void (*fn)(struct tunnel *t, struct l2tp_msg *m);
};

static const struct tunnel_event tunnel_events[] = {
	{ L2TP_MSG_SCCRQ, ST(TUNNEL_IDLE), tunnel_on_sccrq },
	{ L2TP_MSG_SCCRP, ST(TUNNEL_WAIT_CTL_REPLY), tunnel_on_sccrp },
	{ L2TP_MSG_SCCCN, ST(TUNNEL_WAIT_CTL_CONN), tunnel_on_scccn },
	{ L2TP_MSG_STOPCCN,
	  ST(TUNNEL_IDLE) | ST(TUNNEL_WAIT_CTL_REPLY) | ST(TUNNEL_WAIT_CTL_CONN) |
		  ST(TUNNEL_ESTABLISHED),
	  tunnel_on_stopccn },
	{ L2TP_MSG_HELLO, ST(TUNNEL_WAIT_CTL_CONN) | ST(TUNNEL_ESTABLISHED), NULL },
};

static void tunnel_fsm_error(struct tunnel *t, uint16_t type)
{
	char why[96];

	snprintf(why, sizeof(why), "unexpected %s in state %s", l2tp_msg_name(type),
		 tunnel_state_name(t->state));
	log_ratelimited(tlog(t), LOG_LEVEL_WARN, "tunnel fsm error tunnel=%u peer=%s reason=%s",
			t->id, t->peer_str, why);
	if (t->state == TUNNEL_IDLE) {
		/* Not even an SCCRQ yet: nothing to keep. */
		t->state = TUNNEL_CLOSING;
		l2tpd_schedule_reap(t->d, t);
		return;
	}
	tunnel_close(t, L2TP_STOPCCN_FSM_ERROR, -1, why);
}

static void tunnel_handle_message(struct tunnel *t, uint8_t *buf, size_t len)
{
	struct l2tpd *d = t->d;
	struct l2tp_secret sec = { t->p.secret, t->p.secret_len };
	const struct l2tp_msg_rule *rule;
	struct l2tp_msg m;
	char why[128];
	uint16_t missing;
	int rc;

	if (t->state == TUNNEL_CLOSING || t->reaping)
		return; /* the transport acknowledges; nothing more to do (§5.7) */
	rc = l2tp_msg_parse(buf, len, t->p.secret_len ? &sec : NULL, &m);
	if (rc == -L2TP_E_UNKNOWN_MESSAGE) {
		/* §7.1: an unknown mandatory message type is an invalid message. */
		d->stats.malformed[L2TP_E_UNKNOWN_MESSAGE]++;
		tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_BAD_VALUE,
			     "unknown mandatory message type");
		return;
	}
	if (rc < 0) {
		/* §7.1: malformed control message: clear the connection. */
		d->stats.malformed[-rc < L2TP_E_COUNT ? -rc : 0]++;
		snprintf(why, sizeof(why), "malformed message: %s", l2tp_strerror(rc));
		tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR,
			     rc == -L2TP_E_AVP_VALUE ? L2TP_ERR_BAD_VALUE : L2TP_ERR_BAD_LENGTH,
			     why);
		return;
	}
	rule = l2tp_msg_rule(m.type);
	if (!rule) {
		d->stats.rx_unknown_msg++; /* unknown without M: ignored (§4.1) */
		log_ratelimited(tlog(t), LOG_LEVEL_INFO,
				"ignored unknown message tunnel=%u peer=%s type=%u", t->id,
				t->peer_str, m.type);
		return;
	}
	d->stats.rx_msg[m.type]++;
	log_debug(tlog(t), "received tunnel=%u session=%u type=%s", t->id, m.hdr.session_id,
		  rule->name);

	if (m.unknown_mandatory || l2tp_msg_validate(&m, &missing) < 0) {
		uint16_t err;

		if (m.unknown_mandatory) {
			/* §4.1 and §4.4.2 error 8: name the AVP. */
			snprintf(why, sizeof(why), "unknown mandatory AVP vendor %u type %u",
				 m.unknown_vendor, m.unknown_type);
			err = L2TP_ERR_UNKNOWN_MANDATORY_AVP;
		} else {
			snprintf(why, sizeof(why), "%s without required AVP %s", rule->name,
				 l2tp_avp_name(0, missing));
			err = L2TP_ERR_BAD_LENGTH;
		}
		log_ratelimited(tlog(t), LOG_LEVEL_WARN,
				"bad message tunnel=%u peer=%s type=%s reason=%s", t->id,
				t->peer_str, rule->name, why);
		if (rule->session_scope && t->state == TUNNEL_ESTABLISHED)
			session_refuse(t, &m, L2TP_CDN_GENERAL_ERROR, err, why);
		else if (t->state == TUNNEL_IDLE && !t->peer_id)
			tunnel_fsm_error(t, m.type);
		else
			tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, err, why);
		return;
	}

	if (rule->session_scope) {
		if (t->state != TUNNEL_ESTABLISHED) {
			tunnel_fsm_error(t, m.type);
			return;
		}
		session_input(t, &m);
		return;
	}
	for (size_t i = 0; i < sizeof(tunnel_events) / sizeof(tunnel_events[0]); i++) {
		const struct tunnel_event *e = &tunnel_events[i];

		if (e->type != m.type)
			continue;
		if (!(e->states & ST(t->state))) {
			tunnel_fsm_error(t, m.type);
			return;
		}
		if (e->fn)
			e->fn(t, &m);
		return;
	}
}

void tunnel_input(struct tunnel *t, struct udp_rx *rx, const struct l2tp_header *h)
{
	struct l2tpd *d = t->d;

	if (t->reaping)
		return;
	if (!udp_addr_equal(&rx->peer, &t->peer, true)) {
		/* §8.1: the responder may answer from another port than the
		 * one we sent to; the initiator takes it from the SCCRP. */
		if (t->state == TUNNEL_WAIT_CTL_REPLY && udp_addr_equal(&rx->peer, &t->peer, false)) {
			t->peer = rx->peer;
			udp_addr_str(&t->peer, t->peer_str, sizeof(t->peer_str));
		} else {
			char from[UDP_ADDRSTR_LEN];

			d->stats.wrong_peer++;
			log_ratelimited(&d->log, LOG_LEVEL_WARN,
					"dropped control message tunnel=%u peer=%s from=%s "
					"reason=wrong peer address",
					t->id, t->peer_str, udp_addr_str(&rx->peer, from, sizeof(from)));
			return;
		}
	}
	if (!t->local.set && rx->local.set) {
		t->local = rx->local;
		if (t->state == TUNNEL_ESTABLISHED)
			tunnel_fp_sync(t);
	}
	t->last_rx = ev_now(d->loop);
	if (h->length == L2TP_CONTROL_HEADER_LEN)
		d->stats.rx_msg[L2TP_MSG_ZLB]++;
	l2tp_rt_receive(t->rt, rx->buf, h->length, h, l2tpd_now_ms(d));
	tunnel_arm_rt(t);
}

