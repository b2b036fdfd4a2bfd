/* Tunnels and calls of the LAC mode: SCCRQ/SCCRP/SCCCN with the §4.2
 * challenge both ways, ICRQ/ICRP/ICCN (§7.4.1) with proxy AVPs (§4.4.5),
 * CDN and StopCCN, HELLO. One reliable transport (reliable.h) per tunnel
 * does Ns/Nr, windows, retransmission and ZLB acks; what is built and
 * parsed is the project's codec (avp.h, msg.h, hidden.h).
 *
 * The LNS may be l2tpd, l2tpns or another l2tp-bench: what we need of a
 * message is checked, the rest is taken as it comes. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lb_lac.h"
#include "l2tp/hidden.h"
#include "l2tp/msg.h"
#include "l2tp/seq.h"

#define LB_MSG_MAX       1500
#define LB_PROTOCOL_VER  0x0100 /* Ver 1, Rev 0 (§4.4.3) */
#define LB_FIRMWARE      0x0001
#define LB_VENDOR        "l2tp-bench"
#define LB_CONNECT_SPEED 100000000u
/* Our receive window: the LNS may have this many messages unacked toward
 * us (a burst of ICRPs). */
#define LB_RECEIVE_WINDOW 1024

static const struct l2tp_rt_config lb_rt_config = {
    .receive_window = LB_RECEIVE_WINDOW,
    .retransmit_initial_ms = 1000,
    .retransmit_cap_ms = 8000,
    .retransmit_max = 6,
    /* Our ICCNs carry the acks of ICRPs; ZLBs are for CDNs and HELLOs,
     * sent soon so that the LNS's window stays open. */
    .ack_delay_ms = 50,
    .ack_every = 32,
    .max_queued = 1u << 22,
};

static struct lac *tlac(const struct lb_tunnel *t)
{
	return t->lac;
}

static void tunnel_update_deadline(struct lb_tunnel *t)
{
	t->deadline = l2tp_rt_next_deadline(t->rt);
}

static void rt_transmit(void *ctx, const uint8_t *buf, size_t len)
{
	struct lb_tunnel *t = ctx;

	lb_tx(tlac(t), t, buf, len);
}

static void tunnel_deliver(void *ctx, uint8_t *buf, size_t len, const struct l2tp_header *h);

void lb_tunnel_dead(struct lb_tunnel *t, const char *why)
{
	struct lac *l = tlac(t);

	if (t->state == LB_T_DEAD)
		return;
	if (t->state != LB_T_CLOSING && why)
		fprintf(stderr, "l2tp-bench: tunnel %u down: %s\n", t->id, why);
	t->state = LB_T_DEAD;
	for (uint32_t i = t->id - 1u; i < l->n_sess; i += l->n_tunnels)
		lb_sub_ended(l, i, -1, 0, true);
}

static void rt_peer_dead(void *ctx)
{
	lb_tunnel_dead(ctx, "no acknowledgement from the LNS");
}

int lb_ctl_init(struct lac *l)
{
	struct l2tp_rt_ops ops = {
	    .transmit = rt_transmit,
	    .deliver = tunnel_deliver,
	    .peer_dead = rt_peer_dead,
	};

	l->tunnels = calloc(l->n_tunnels, sizeof(*l->tunnels));
	if (!l->tunnels)
		return -ENOMEM;
	for (uint32_t k = 0; k < l->n_tunnels; k++) {
		struct lb_tunnel *t = &l->tunnels[k];

		t->lac = l;
		t->id = (uint16_t)(k + 1);
		t->peer = l->o.lns;
		t->deadline = L2TP_RT_NO_DEADLINE;
		ops.ctx = t;
		t->rt = l2tp_rt_new(&lb_rt_config, &ops);
		if (!t->rt)
			return -ENOMEM;
	}
	return 0;
}

void lb_ctl_fini(struct lac *l)
{
	for (uint32_t k = 0; l->tunnels && k < l->n_tunnels; k++) {
		const struct l2tp_rt_stats *st;

		if (!l->tunnels[k].rt)
			continue;
		st = l2tp_rt_stats(l->tunnels[k].rt);
		l->c.ctl_retransmitted += st->retransmitted;
		l2tp_rt_free(l->tunnels[k].rt);
	}
	free(l->tunnels);
	l->tunnels = NULL;
}

static void builder(struct lb_tunnel *t, struct l2tp_builder *b, uint8_t *buf, size_t cap,
                    uint16_t peer_sid, uint16_t type)
{
	const struct lb_opts *o = &tlac(t)->o;

	l2tp_builder_init(b, buf, cap, t->peer_id, peer_sid, type);
	if (o->secret) {
		b->secret.data = (const uint8_t *)o->secret;
		b->secret.len = strlen(o->secret);
	}
	/* Never in SCCRQ: the LNS picks the secret by our Host Name (as
	 * the daemon does, for xl2tpd's sake). */
	b->hide = o->hide && type != L2TP_MSG_SCCRQ;
}

/* Queue a built message; its Ns, or -1 if it could not be queued. */
static int send_msg(struct lb_tunnel *t, struct l2tp_builder *b)
{
	struct lac *l = tlac(t);
	int len = l2tp_builder_finish(b);
	uint16_t ns = (uint16_t)(l2tp_rt_next_ns(t->rt) + l2tp_rt_queued(t->rt));

	if (len < 0) {
		fprintf(stderr, "l2tp-bench: cannot build a message: %s\n", l2tp_strerror(len));
		return -1;
	}
	if (l2tp_rt_send(t->rt, b->buf, (size_t)len, l->now_ms) < 0)
		return -1;
	tunnel_update_deadline(t);
	if (t->deadline < l->rt_min)
		l->rt_min = t->deadline;
	return ns;
}

bool lb_tunnel_acked(const struct lb_tunnel *t, uint16_t ns)
{
	uint16_t una = (uint16_t)(l2tp_rt_next_ns(t->rt) - l2tp_rt_in_flight(t->rt));

	return seq_before(ns, una);
}

void lb_tunnel_open(struct lb_tunnel *t)
{
	const struct lb_opts *o = &tlac(t)->o;
	uint8_t buf[LB_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(t->id);

	builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put_u16(&b, L2TP_AVP_PROTOCOL_VERSION, LB_PROTOCOL_VER);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_CAPABILITIES,
	                     L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
	l2tp_builder_put(&b, L2TP_AVP_BEARER_CAPABILITIES, "\0\0\0\0", 4);
	l2tp_builder_put_u16(&b, L2TP_AVP_FIRMWARE_REVISION, LB_FIRMWARE);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, o->hostname);
	l2tp_builder_put_string(&b, L2TP_AVP_VENDOR_NAME, LB_VENDOR);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, &id, 2);
	l2tp_builder_put_u16(&b, L2TP_AVP_RECEIVE_WINDOW_SIZE, LB_RECEIVE_WINDOW);
	if (o->secret) {
		for (size_t k = 0; k < sizeof(t->challenge); k += 8) {
			uint64_t r = lb_random64(tlac(t));

			memcpy(t->challenge + k, &r, 8);
		}
		t->challenge_sent = true;
		l2tp_builder_put(&b, L2TP_AVP_CHALLENGE, t->challenge, sizeof(t->challenge));
	}
	t->state = LB_T_WAIT_REPLY;
	if (send_msg(t, &b) < 0)
		lb_tunnel_dead(t, "SCCRQ not sent");
}

void lb_tunnel_close(struct lb_tunnel *t)
{
	uint8_t buf[256];
	struct l2tp_builder b;
	uint16_t id = htons(t->id);

	if (t->state != LB_T_UP)
		return;
	builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_STOPCCN);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, &id, 2);
	l2tp_builder_put_result(&b, L2TP_STOPCCN_CLEAR, -1, NULL);
	t->state = LB_T_CLOSING;
	send_msg(t, &b);
}

/* We refuse the LNS's SCCRP: StopCCN 4 (§4.4.2), and the tunnel is done. */
static void refuse(struct lb_tunnel *t, const char *why)
{
	uint8_t buf[256];
	struct l2tp_builder b;
	uint16_t id = htons(t->id);

	fprintf(stderr, "l2tp-bench: tunnel %u refused: %s\n", t->id, why);
	builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_STOPCCN);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, &id, 2);
	l2tp_builder_put_result(&b, L2TP_STOPCCN_NOT_AUTHORIZED, -1, why);
	send_msg(t, &b);
	t->state = LB_T_CLOSING;
	lb_tunnel_dead(t, NULL);
}

static void on_sccrp(struct lb_tunnel *t, struct l2tp_msg *m)
{
	struct lac *l = tlac(t);
	struct l2tp_secret sec = {(const uint8_t *)l->o.secret,
	                          l->o.secret ? strlen(l->o.secret) : 0};
	const struct l2tp_avp_value *resp = &m->avp[L2TP_AVP_CHALLENGE_RESPONSE];
	const struct l2tp_avp_value *chal = &m->avp[L2TP_AVP_CHALLENGE];
	uint8_t buf[LB_MSG_MAX], expect[16];
	struct l2tp_builder b;

	t->peer_id = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	if (!t->peer_id) {
		lb_tunnel_dead(t, "SCCRP without an Assigned Tunnel ID");
		return;
	}
	l2tp_rt_set_peer_tunnel(t->rt, t->peer_id);
	if (m->avp[L2TP_AVP_RECEIVE_WINDOW_SIZE].present &&
	    l2tp_msg_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE))
		l2tp_rt_set_peer_window(t->rt, l2tp_msg_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE));
	if (t->challenge_sent) {
		l2tp_challenge_response(L2TP_MSG_SCCRP, &sec, t->challenge, sizeof(t->challenge),
		                        expect);
		if (!resp->present || resp->len != 16 || memcmp(resp->value, expect, 16)) {
			refuse(t, "bad challenge response from the LNS (secret?)");
			return;
		}
	}
	builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCCN);
	if (chal->present) {
		if (!sec.len) {
			refuse(t, "the LNS sent a challenge: --secret needed");
			return;
		}
		l2tp_challenge_response(L2TP_MSG_SCCCN, &sec, chal->value, chal->len, expect);
		l2tp_builder_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, expect, sizeof(expect));
	}
	if (send_msg(t, &b) < 0) {
		lb_tunnel_dead(t, "SCCCN not sent");
		return;
	}
	t->state = LB_T_UP;
	l->c.tunnels_up++;
}

static void on_stopccn(struct lb_tunnel *t, struct l2tp_msg *m)
{
	struct l2tp_result r = {0};
	char why[160];

	if (!t->peer_id && m->avp[L2TP_AVP_ASSIGNED_TUNNEL_ID].present) {
		t->peer_id = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
		l2tp_rt_set_peer_tunnel(t->rt, t->peer_id);
	}
	l2tp_msg_result(m, &r);
	snprintf(why, sizeof(why), "StopCCN result %u (%s)%s%.*s", r.result,
	         l2tp_result_name(L2TP_MSG_STOPCCN, r.result), r.message_len ? ": " : "",
	         (int)(r.message_len > 100 ? 100 : r.message_len), r.message ? r.message : "");
	if (t->state == LB_T_CLOSING) {
		t->state = LB_T_DEAD; /* both sides closing: done */
		return;
	}
	lb_tunnel_dead(t, why);
}

/* The session a message is about: from our session id in its header. */
static bool sess_of(struct lac *l, const struct lb_tunnel *t, uint16_t sid, uint32_t *i)
{
	uint64_t idx = (uint64_t)(sid - 1u) * l->n_tunnels + (t->id - 1u);

	if (!sid || idx >= l->n_sess)
		return false;
	*i = (uint32_t)idx;
	return true;
}

/* A CDN for a call the LNS has and we do not (any more). */
static void cdn_stray(struct lb_tunnel *t, uint16_t peer_sid)
{
	uint8_t buf[256];
	struct l2tp_builder b;
	uint16_t zero = 0;

	if (!peer_sid)
		return;
	builder(t, &b, buf, sizeof(buf), peer_sid, L2TP_MSG_CDN);
	l2tp_builder_put_result(&b, L2TP_CDN_GENERAL_ERROR, L2TP_ERR_BAD_SESSION_ID,
	                        "no such call");
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &zero, 2);
	send_msg(t, &b);
}

static void put_proxy(struct l2tp_builder *b, const struct ppp_proxy *px)
{
	uint8_t id[2] = {0, px->auth_id};

	/* §4.4.5: the subscriber's first request, the LAC's last one, the
	 * subscriber's last one (the same: it was acked at once). */
	l2tp_builder_put(b, L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ, px->lcp_recv, px->lcp_recv_len);
	l2tp_builder_put(b, L2TP_AVP_LAST_SENT_LCP_CONFREQ, px->lcp_sent, px->lcp_sent_len);
	l2tp_builder_put(b, L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ, px->lcp_recv, px->lcp_recv_len);
	l2tp_builder_put_u16(b, L2TP_AVP_PROXY_AUTHEN_TYPE, px->auth_type);
	l2tp_builder_put(b, L2TP_AVP_PROXY_AUTHEN_NAME, px->auth_name, px->auth_name_len);
	if (px->auth_challenge_len)
		l2tp_builder_put(b, L2TP_AVP_PROXY_AUTHEN_CHALLENGE, px->auth_challenge,
		                 px->auth_challenge_len);
	l2tp_builder_put(b, L2TP_AVP_PROXY_AUTHEN_ID, id, sizeof(id));
	l2tp_builder_put(b, L2TP_AVP_PROXY_AUTHEN_RESPONSE, px->auth_response,
	                 px->auth_response_len);
}

static void on_icrp(struct lb_tunnel *t, struct l2tp_msg *m)
{
	struct lac *l = tlac(t);
	uint16_t peer_sid = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID);
	uint8_t buf[LB_MSG_MAX];
	struct lb_proxy_buf pb;
	struct ppp_proxy px;
	struct l2tp_builder b;
	struct lb_sess *s;
	bool proxy;
	uint32_t i;
	int ns;

	if (!sess_of(l, t, m->hdr.session_id, &i) || l->sess[i].state != LB_S_WAIT_ICRP) {
		cdn_stray(t, peer_sid);
		return;
	}
	s = &l->sess[i];
	if (!peer_sid) {
		lb_sub_fail(l, i, LB_FAIL_CDN);
		return;
	}
	s->peer_sid = peer_sid;
	proxy = lb_sub_proxied(l, i);
	builder(t, &b, buf, sizeof(buf), peer_sid, L2TP_MSG_ICCN);
	l2tp_builder_put_u32(&b, L2TP_AVP_TX_CONNECT_SPEED, LB_CONNECT_SPEED);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_TYPE, L2TP_FRAMING_SYNC);
	if (proxy) {
		lb_sub_proxy(l, i, &px, &pb);
		put_proxy(&b, &px);
	}
	ns = send_msg(t, &b);
	if (ns < 0) {
		lb_call_cdn(l, i, L2TP_CDN_GENERAL_ERROR, "ICCN not sent");
		lb_sub_fail(l, i, LB_FAIL_TUNNEL);
		return;
	}
	s->ctl_ns = (uint16_t)ns;
	lb_sub_connected(l, i, proxy);
}

static void on_cdn(struct lb_tunnel *t, struct l2tp_msg *m)
{
	struct lac *l = tlac(t);
	struct l2tp_result r = {0};
	uint32_t i;

	const struct l2tp_avp_value *cause = &m->avp[L2TP_AVP_PPP_DISCONNECT_CAUSE];

	if (!sess_of(l, t, m->hdr.session_id, &i))
		return;
	if (l2tp_msg_result(m, &r) < 0)
		r.result = 0;
	/* RFC 3145: the LNS may say why its PPP ended (a proxied
	 * authentication it refused shows only there). */
	lb_sub_ended(l, i, r.result,
	             cause->present && cause->len >= 2 ? cause->value[0] << 8 | cause->value[1] : 0,
	             false);
}

static void tunnel_deliver(void *ctx, uint8_t *buf, size_t len, const struct l2tp_header *h)
{
	struct lb_tunnel *t = ctx;
	struct lac *l = tlac(t);
	struct l2tp_secret sec = {(const uint8_t *)l->o.secret,
	                          l->o.secret ? strlen(l->o.secret) : 0};
	struct l2tp_msg m;
	int rc;

	(void)h;
	if (t->state == LB_T_DEAD)
		return; /* the transport acks; nothing more to do */
	rc = l2tp_msg_parse(buf, len, sec.len ? &sec : NULL, &m);
	if (rc < 0) {
		l->c.rx_bad++;
		if (rc == -L2TP_E_UNKNOWN_MESSAGE && t->state == LB_T_UP) {
			fprintf(stderr, "l2tp-bench: tunnel %u: unknown mandatory message\n",
			        t->id);
			lb_tunnel_close(t);
			lb_tunnel_dead(t, NULL);
		}
		return;
	}
	switch (m.type) {
	case L2TP_MSG_SCCRP:
		if (t->state == LB_T_WAIT_REPLY)
			on_sccrp(t, &m);
		return;
	case L2TP_MSG_STOPCCN:
		on_stopccn(t, &m);
		return;
	case L2TP_MSG_HELLO:
		l->c.hello_received++;
		return;
	case L2TP_MSG_ICRP:
		if (t->state == LB_T_UP)
			on_icrp(t, &m);
		return;
	case L2TP_MSG_CDN:
		on_cdn(t, &m);
		return;
	default:
		return; /* SLI, WEN, ... nothing for us */
	}
}

/* Acks moved: sessions waiting for theirs may be done. */
static void tunnel_acks(struct lb_tunnel *t)
{
	struct lac *l = tlac(t);
	uint16_t una = (uint16_t)(l2tp_rt_next_ns(t->rt) - l2tp_rt_in_flight(t->rt));
	uint32_t k = t->ackwait.head;

	if (una == t->seen_una)
		return;
	t->seen_una = una;
	while (k != LB_NIL) {
		uint32_t i = k - 1;

		k = l->sess[i].next;
		if (!lb_tunnel_acked(t, l->sess[i].ctl_ns))
			continue;
		if (l->sess[i].state == LB_S_PPP)
			lb_sub_check_up(l, i);
		else if (l->sess[i].state == LB_S_CLOSING)
			lb_sub_closed(l, i);
	}
}

void lb_tunnel_input(struct lb_tunnel *t, uint8_t *buf, size_t len, const struct l2tp_header *h,
                     const union udp_addr *from)
{
	struct lac *l = tlac(t);

	if (!udp_addr_equal(from, &t->peer, true)) {
		/* §8.1: the LNS may answer from another port; take it from
		 * its first reply. */
		if (t->state != LB_T_WAIT_REPLY || !udp_addr_equal(from, &t->peer, false)) {
			l->c.rx_bad++;
			return;
		}
		t->peer = *from;
	}
	l2tp_rt_receive(t->rt, buf, len, h, l->now_ms);
	tunnel_acks(t);
	tunnel_update_deadline(t);
	if (t->deadline < l->rt_min)
		l->rt_min = t->deadline;
}

void lb_tunnel_tick(struct lb_tunnel *t)
{
	struct lac *l = tlac(t);

	if (t->deadline <= l->now_ms)
		l2tp_rt_tick(t->rt, l->now_ms);
	tunnel_acks(t);
	tunnel_update_deadline(t);
}

bool lb_call_start(struct lac *l, uint32_t i)
{
	struct lb_tunnel *t = lb_sess_tunnel(l, i);
	struct lb_sess *s = &l->sess[i];
	uint8_t buf[256];
	struct l2tp_builder b;
	uint16_t id = htons(lb_sess_id(l, i));

	if (t->state != LB_T_UP)
		return false;
	builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_ICRQ);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	l2tp_builder_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, i + 1);
	l2tp_builder_put_u32(&b, L2TP_AVP_BEARER_TYPE, L2TP_BEARER_DIGITAL);
	if (send_msg(t, &b) < 0)
		return false;
	s->t_start_us = (uint32_t)lb_elapsed_us(l);
	s->state = LB_S_WAIT_ICRP;
	return true;
}

bool lb_call_cdn(struct lac *l, uint32_t i, uint16_t result, const char *why)
{
	struct lb_tunnel *t = lb_sess_tunnel(l, i);
	struct lb_sess *s = &l->sess[i];
	uint8_t buf[256];
	struct l2tp_builder b;
	uint16_t id = htons(lb_sess_id(l, i));
	int ns;

	if (!s->peer_sid || t->state != LB_T_UP)
		return false;
	builder(t, &b, buf, sizeof(buf), s->peer_sid, L2TP_MSG_CDN);
	l2tp_builder_put_result(&b, result, why ? 0 : -1, why);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	ns = send_msg(t, &b);
	if (ns < 0)
		return false;
	s->ctl_ns = (uint16_t)ns;
	return true;
}
