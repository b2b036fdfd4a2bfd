/* l2tp-bench --lns: tunnels and calls (RFC 2661 §7.2 as responder, §7.4.2
 * LNS incoming calls), on the project's codec and reliable transport.
 * Deliberately small: every tunnel and call is accepted; what a real LNS
 * decides (policy, limits, failover) is the daemon's business. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lb_lns.h"
#include "l2tp/hidden.h"
#include "l2tp/msg.h"

#define LNS_MSG_MAX          1024
#define LNS_PROTOCOL_VERSION 0x0100 /* Ver 1, Rev 0 (§4.4.3) */
#define LNS_FIRMWARE         0x0001
#define LNS_VENDOR           "l2tp-bench"
/* Our receive window: a LAC setting up thousands of calls on one tunnel
 * may have this many control messages in flight toward us. */
#define LNS_RWS 1024
/* Keep a closed tunnel a while so that a retransmitted StopCCN (our ack
 * lost) is acknowledged again (§5.7 asks for a full retransmission cycle;
 * 1 + 2 + 4 s covers three tries). */
#define LNS_LINGER_MS 8000

static const struct l2tp_rt_config lns_rt_config = {
    .receive_window = LNS_RWS,
    .retransmit_initial_ms = 1000,
    .retransmit_cap_ms = 8000,
    .retransmit_max = 5,
    /* A ZLB only when no reply carried the ack within 20 ms, or at once
     * for a quarter of our window. Acking every receive batch at once
     * (a ZLB per tunnel per recvmmsg) cost a datagram per two messages
     * and measured a third slower setups. */
    .ack_delay_ms = 20,
    .ack_every = LNS_RWS / 4,
    .max_queued = 65536,
};

static struct l2tp_secret lns_secret(const struct lns *l)
{
	struct l2tp_secret s = {0};

	if (l->o.secret && *l->o.secret) {
		s.data = (const uint8_t *)l->o.secret;
		s.len = strlen(l->o.secret);
	}
	return s;
}

/* ------------------------------------------------------------ transport */

static void lns_rt_transmit(void *ctx, const uint8_t *buf, size_t len)
{
	struct lns_tunnel *t = ctx;
	uint8_t *out;

	if (len > LNS_DGRAM)
		return;
	out = lns_tx_buf(t->l);
	memcpy(out, buf, len);
	lns_tx_queue(t->l, &t->peer, out, len);
}

static void lns_tunnel_message(struct lns_tunnel *t, uint8_t *buf, size_t len);

static void lns_rt_deliver(void *ctx, uint8_t *buf, size_t len, const struct l2tp_header *h)
{
	(void)h;
	lns_tunnel_message(ctx, buf, len);
}

static void lns_tunnel_linger(struct lns_tunnel *t, uint64_t ms);

static void lns_rt_peer_dead(void *ctx)
{
	struct lns_tunnel *t = ctx;

	if (t->state != LT_CLOSING) {
		t->l->c.tunnels_dead++;
		if (!t->l->o.quiet)
			fprintf(stderr, "lns: tunnel %u: peer silent, dropped (%u sessions)\n",
			        t->id, t->n_sessions);
	}
	lns_tunnel_linger(t, 0);
}

/* ------------------------------------------------------------ tunnels */

static void lns_builder(struct lns_tunnel *t, struct l2tp_builder *b, uint8_t *buf, size_t cap,
                        uint16_t peer_sid, uint16_t type)
{
	l2tp_builder_init(b, buf, cap, t->peer_id, peer_sid, type);
	b->secret = lns_secret(t->l);
}

static void lns_send(struct lns_tunnel *t, struct l2tp_builder *b)
{
	int len = l2tp_builder_finish(b);

	if (len < 0 || t->state == LT_CLOSING)
		return;
	l2tp_rt_send(t->rt, b->buf, (size_t)len, t->l->now);
}

static struct lns_tunnel *lns_tunnel_new(struct lns *l, const union udp_addr *peer,
                                         uint16_t peer_tid)
{
	struct l2tp_rt_ops ops = {
	    .transmit = lns_rt_transmit,
	    .deliver = lns_rt_deliver,
	    .peer_dead = lns_rt_peer_dead,
	};
	struct lns_tunnel *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	ops.ctx = t;
	t->l = l;
	t->peer = *peer;
	t->peer_id = peer_tid;
	t->rt = l2tp_rt_new(&lns_rt_config, &ops);
	t->id = t->rt ? idtable_random_id(&l->tunnels, 0) : 0;
	if (!t->id || idtable_insert(&l->tunnels, t->id, t) < 0) {
		if (t->rt)
			l2tp_rt_free(t->rt);
		free(t);
		return NULL;
	}
	l2tp_rt_set_peer_tunnel(t->rt, peer_tid);
	t->next = l->tunnel_list;
	if (l->tunnel_list)
		l->tunnel_list->prev = t;
	l->tunnel_list = t;
	l->n_tunnels++;
	return t;
}

static void lns_tunnel_linger(struct lns_tunnel *t, uint64_t ms)
{
	t->state = LT_CLOSING;
	t->linger_until = t->l->now + ms;
	while (t->sessions) {
		struct lns_sess *s = t->sessions;

		/* kill leaves it on the list until the reap: take it off
		 * here so the walk ends; the reap then skips the unlink. */
		t->sessions = s->tnext;
		s->tprev = s->tnext = NULL;
		lns_sess_kill(s, 0, NULL);
		t->n_sessions--;
	}
}

static void lns_tunnel_close(struct lns_tunnel *t, uint16_t result, int error, const char *why)
{
	uint8_t buf[LNS_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(t->id);

	if (t->state == LT_CLOSING)
		return;
	if (!t->l->o.quiet)
		fprintf(stderr, "lns: tunnel %u: closing, result %u: %s\n", t->id, result, why);
	lns_builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_STOPCCN);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, &id, 2);
	l2tp_builder_put_result(&b, result, error, why);
	lns_send(t, &b);
	lns_tunnel_linger(t, LNS_LINGER_MS);
}

static void lns_on_sccrq(struct lns_tunnel *t, const struct l2tp_msg *m)
{
	struct lns *l = t->l;
	struct l2tp_secret sec = lns_secret(l);
	const struct l2tp_avp_value *ch = &m->avp[L2TP_AVP_CHALLENGE];
	uint8_t buf[LNS_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(t->id);

	if ((l2tp_msg_u16(m, L2TP_AVP_PROTOCOL_VERSION) >> 8) != 1) {
		lns_tunnel_close(t, L2TP_STOPCCN_BAD_VERSION, LNS_PROTOCOL_VERSION,
		                 "protocol version not supported");
		return;
	}
	if (m->avp[L2TP_AVP_RECEIVE_WINDOW_SIZE].present) {
		uint16_t w = l2tp_msg_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE);

		if (!w) {
			lns_tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_BAD_VALUE,
			                 "receive window size 0");
			return;
		}
		l2tp_rt_set_peer_window(t->rt, w);
	}
	if (ch->present && !sec.len) {
		lns_tunnel_close(t, L2TP_STOPCCN_NOT_AUTHORIZED, -1,
		                 "challenge but no secret configured");
		return;
	}
	/* SCCRP: nothing hidden (the peer picks its secret by our Host Name). */
	lns_builder(t, &b, buf, sizeof(buf), 0, L2TP_MSG_SCCRP);
	l2tp_builder_put_u16(&b, L2TP_AVP_PROTOCOL_VERSION, LNS_PROTOCOL_VERSION);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_CAPABILITIES,
	                     L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
	l2tp_builder_put(&b, L2TP_AVP_BEARER_CAPABILITIES, "\0\0\0\0", 4);
	l2tp_builder_put_u16(&b, L2TP_AVP_FIRMWARE_REVISION, LNS_FIRMWARE);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, l->o.hostname);
	l2tp_builder_put_string(&b, L2TP_AVP_VENDOR_NAME, LNS_VENDOR);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, &id, 2);
	l2tp_builder_put_u16(&b, L2TP_AVP_RECEIVE_WINDOW_SIZE, LNS_RWS);
	if (ch->present) {
		uint8_t resp[16];

		/* §4.2: MD5 over the type of the message that answers. */
		l2tp_challenge_response(L2TP_MSG_SCCRP, &sec, ch->value, ch->len, resp);
		l2tp_builder_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, resp, sizeof(resp));
	}
	if (sec.len) {
		uint64_t r[2] = {lns_random64(l), lns_random64(l)};

		memcpy(t->challenge, r, sizeof(t->challenge));
		t->challenge_sent = true;
		l2tp_builder_put(&b, L2TP_AVP_CHALLENGE, t->challenge, sizeof(t->challenge));
	}
	t->state = LT_WAIT_CONN;
	lns_send(t, &b);
}

static void lns_on_scccn(struct lns_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_secret sec = lns_secret(t->l);

	if (t->challenge_sent) {
		const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_CHALLENGE_RESPONSE];
		uint8_t expect[16];

		l2tp_challenge_response(L2TP_MSG_SCCCN, &sec, t->challenge, sizeof(t->challenge),
		                        expect);
		if (!v->present || v->len != 16 || memcmp(v->value, expect, 16)) {
			lns_tunnel_close(t, L2TP_STOPCCN_NOT_AUTHORIZED, -1,
			                 "bad challenge response");
			return;
		}
	}
	t->state = LT_UP;
	t->l->c.tunnels_up++;
}

/* ------------------------------------------------------------ calls */

static void lns_send_cdn(struct lns_tunnel *t, uint16_t peer_sid, uint16_t our_sid, uint16_t result,
                         int error, const char *why)
{
	uint8_t buf[LNS_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(our_sid);

	if (t->state != LT_UP)
		return;
	lns_builder(t, &b, buf, sizeof(buf), peer_sid, L2TP_MSG_CDN);
	l2tp_builder_put_result(&b, result, error, why);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	lns_send(t, &b);
}

void lns_sess_kill(struct lns_sess *s, uint16_t result, const char *why)
{
	struct lns *l = s->t->l;

	if (s->flags & LS_DEAD)
		return;
	s->flags |= LS_DEAD;
	idtable_remove(&l->sessions, lns_sess_key(s->t->id, s->id));
	lns_timer_del(s);
	if (s->flags & LS_IP_UP)
		l->n_up--;
	s->flags &= (uint8_t)~LS_IP_UP;
	if (result)
		lns_send_cdn(s->t, s->peer_id, s->id, result, -1, why);
	s->dead_next = l->dead;
	l->dead = s;
	l->n_sessions--;
}

static void lns_on_icrq(struct lns_tunnel *t, const struct l2tp_msg *m)
{
	struct lns *l = t->l;
	uint16_t peer_sid = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID);
	uint8_t buf[LNS_MSG_MAX];
	struct l2tp_builder b;
	struct lns_sess *s;
	uint16_t id;

	if (!peer_sid)
		return;
	l->c.sessions_requested++;
	s = calloc(1, sizeof(*s));
	if (s)
		s->id = idtable_random_id(&l->sessions, t->id);
	if (!s || !s->id || idtable_insert(&l->sessions, lns_sess_key(t->id, s->id), s) < 0) {
		free(s);
		l->c.sessions_refused++;
		lns_send_cdn(t, peer_sid, 0, L2TP_CDN_NO_RESOURCES_TEMPORARY, L2TP_ERR_NO_RESOURCES,
		             "no session available");
		return;
	}
	s->t = t;
	s->peer_id = peer_sid;
	s->tnext = t->sessions;
	if (t->sessions)
		t->sessions->tprev = s;
	t->sessions = s;
	t->n_sessions++;
	l->n_sessions++;
	id = htons(s->id);
	lns_builder(t, &b, buf, sizeof(buf), peer_sid, L2TP_MSG_ICRP);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	lns_send(t, &b);
}

static void lns_on_iccn(struct lns_sess *s, const struct l2tp_msg *m)
{
	const struct l2tp_avp_value *sent = &m->avp[L2TP_AVP_LAST_SENT_LCP_CONFREQ];
	const struct l2tp_avp_value *recv = &m->avp[L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ];
	struct ppp_proxy px;

	if (s->flags & LS_CONNECTED) {
		lns_sess_kill(s, L2TP_CDN_GENERAL_ERROR, "unexpected ICCN");
		return;
	}
	s->flags |= LS_CONNECTED;
	/* §5.4: Sequencing Required: Ns on every data message we send. */
	if (m->avp[L2TP_AVP_SEQUENCING_REQUIRED].present)
		s->flags |= LS_SEQ;
	s->t->l->c.sessions_connected++;
	if (!sent->present || !recv->present) {
		lns_sess_connected(s, NULL);
		return;
	}
	/* §4.4.5: the LAC did LCP (and maybe authentication) with the
	 * subscriber; the values point into the message, which outlives the
	 * start of PPP (the engine copies what it keeps). */
	memset(&px, 0, sizeof(px));
	px.lcp_sent = sent->value;
	px.lcp_sent_len = sent->len;
	px.lcp_recv = recv->value;
	px.lcp_recv_len = recv->len;
	if (m->avp[L2TP_AVP_PROXY_AUTHEN_TYPE].present)
		px.auth_type = l2tp_msg_u16(m, L2TP_AVP_PROXY_AUTHEN_TYPE);
	if (m->avp[L2TP_AVP_PROXY_AUTHEN_NAME].present) {
		px.auth_name = m->avp[L2TP_AVP_PROXY_AUTHEN_NAME].value;
		px.auth_name_len = m->avp[L2TP_AVP_PROXY_AUTHEN_NAME].len;
	}
	if (m->avp[L2TP_AVP_PROXY_AUTHEN_CHALLENGE].present) {
		px.auth_challenge = m->avp[L2TP_AVP_PROXY_AUTHEN_CHALLENGE].value;
		px.auth_challenge_len = m->avp[L2TP_AVP_PROXY_AUTHEN_CHALLENGE].len;
	}
	if (m->avp[L2TP_AVP_PROXY_AUTHEN_ID].present && m->avp[L2TP_AVP_PROXY_AUTHEN_ID].len == 2)
		px.auth_id = m->avp[L2TP_AVP_PROXY_AUTHEN_ID].value[1];
	if (m->avp[L2TP_AVP_PROXY_AUTHEN_RESPONSE].present) {
		px.auth_response = m->avp[L2TP_AVP_PROXY_AUTHEN_RESPONSE].value;
		px.auth_response_len = m->avp[L2TP_AVP_PROXY_AUTHEN_RESPONSE].len;
	}
	lns_sess_connected(s, &px);
}

static void lns_session_message(struct lns_tunnel *t, const struct l2tp_msg *m, bool valid)
{
	struct lns_sess *s;

	if (m->type == L2TP_MSG_ICRQ) {
		if (valid)
			lns_on_icrq(t, m);
		else if (l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID))
			lns_send_cdn(t, l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID), 0,
			             L2TP_CDN_GENERAL_ERROR, L2TP_ERR_BAD_LENGTH, "bad ICRQ");
		return;
	}
	s = idtable_find(&t->l->sessions, lns_sess_key(t->id, m->hdr.session_id));
	if (!s)
		return;
	if (m->type == L2TP_MSG_CDN) {
		/* Never answer a CDN, whatever it holds. */
		t->l->c.sessions_cdn_received++;
		lns_sess_kill(s, 0, NULL);
		return;
	}
	if (!valid) {
		lns_sess_kill(s, L2TP_CDN_GENERAL_ERROR, "message without a required AVP");
		return;
	}
	switch (m->type) {
	case L2TP_MSG_ICCN:
		lns_on_iccn(s, m);
		break;
	case L2TP_MSG_WEN:
	case L2TP_MSG_SLI:
		break; /* informational (§6.13, §6.14) */
	default:
		lns_sess_kill(s, L2TP_CDN_GENERAL_ERROR, "unexpected message");
		break;
	}
}

static void lns_tunnel_message(struct lns_tunnel *t, uint8_t *buf, size_t len)
{
	struct l2tp_secret sec = lns_secret(t->l);
	const struct l2tp_msg_rule *rule;
	struct l2tp_msg m;
	uint16_t missing;
	bool valid;
	int rc;

	if (t->state == LT_CLOSING)
		return; /* the transport acks; nothing more (§5.7) */
	t->l->c.ctl_rx++;
	rc = l2tp_msg_parse(buf, len, sec.len ? &sec : NULL, &m);
	if (rc < 0) {
		lns_tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR,
		                 rc == -L2TP_E_AVP_VALUE ? L2TP_ERR_BAD_VALUE : L2TP_ERR_BAD_LENGTH,
		                 l2tp_strerror(rc));
		return;
	}
	rule = l2tp_msg_rule(m.type);
	if (!rule)
		return; /* unknown without M: ignored (§4.1) */
	valid = !m.unknown_mandatory && l2tp_msg_validate(&m, &missing) == 0;
	if (rule->session_scope) {
		if (t->state != LT_UP) {
			lns_tunnel_close(t, L2TP_STOPCCN_FSM_ERROR, -1, "call before the tunnel");
			return;
		}
		lns_session_message(t, &m, valid);
		return;
	}
	if (!valid) {
		lns_tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_BAD_LENGTH,
		                 "message without a required AVP");
		return;
	}
	switch (m.type) {
	case L2TP_MSG_SCCRQ:
		if (t->state == LT_WAIT_SCCRQ)
			lns_on_sccrq(t, &m);
		else
			lns_tunnel_close(t, L2TP_STOPCCN_FSM_ERROR, -1, "unexpected SCCRQ");
		break;
	case L2TP_MSG_SCCCN:
		if (t->state == LT_WAIT_CONN)
			lns_on_scccn(t, &m);
		else
			lns_tunnel_close(t, L2TP_STOPCCN_FSM_ERROR, -1, "unexpected SCCCN");
		break;
	case L2TP_MSG_STOPCCN:
		t->l->c.tunnels_closed_by_peer++;
		lns_tunnel_linger(t, LNS_LINGER_MS);
		break;
	case L2TP_MSG_HELLO:
		break; /* the transport's ack is the answer (§6.5) */
	default:
		lns_tunnel_close(t, L2TP_STOPCCN_FSM_ERROR, -1, "unexpected message");
		break;
	}
}

/* ------------------------------------------------------------ input */

/* An SCCRQ (tunnel id 0): a new tunnel, or a retransmission for one we
 * made (same peer, same Assigned Tunnel ID). Parsed from a copy: the
 * transport must get the datagram as it came (parsing unhides in place). */
static void lns_sccrq_input(struct lns *l, uint8_t *buf, size_t len, const struct l2tp_header *h,
                            const union udp_addr *from)
{
	uint8_t copy[UDP_MAX_DATAGRAM];
	struct l2tp_secret sec = lns_secret(l);
	struct lns_tunnel *t;
	struct l2tp_msg m;
	uint16_t peer_tid, missing;

	if (len <= L2TP_CONTROL_HEADER_LEN || len > sizeof(copy))
		return; /* a ZLB for a tunnel long gone */
	memcpy(copy, buf, len);
	if (l2tp_msg_parse(copy, len, sec.len ? &sec : NULL, &m) < 0 || m.type != L2TP_MSG_SCCRQ ||
	    l2tp_msg_validate(&m, &missing) < 0) {
		l->c.rx_bad++;
		return;
	}
	peer_tid = l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	if (!peer_tid)
		return;
	/* Dozens of tunnels: a walk is cheap, and SCCRQs are rare. */
	for (t = l->tunnel_list; t; t = t->next)
		if (t->peer_id == peer_tid && t->state != LT_CLOSING &&
		    udp_addr_equal(&t->peer, from, true))
			break;
	if (!t)
		t = lns_tunnel_new(l, from, peer_tid);
	if (!t) {
		l->c.rx_bad++;
		return;
	}
	l2tp_rt_receive(t->rt, buf, len, h, l->now);
}

void lns_ctl_input(struct lns *l, uint8_t *buf, size_t len, const struct l2tp_header *h,
                   const union udp_addr *from)
{
	struct lns_tunnel *t;

	if (!h->tunnel_id) {
		lns_sccrq_input(l, buf, len, h, from);
		return;
	}
	t = idtable_find(&l->tunnels, h->tunnel_id);
	if (!t || !udp_addr_equal(&t->peer, from, true)) {
		l->c.rx_unknown++;
		return;
	}
	l2tp_rt_receive(t->rt, buf, len, h, l->now);
}

void lns_ctl_tick(struct lns *l)
{
	for (struct lns_tunnel *t = l->tunnel_list; t; t = t->next)
		if (l2tp_rt_next_deadline(t->rt) <= l->now)
			l2tp_rt_tick(t->rt, l->now);
}

static void lns_tunnel_free(struct lns_tunnel *t)
{
	struct lns *l = t->l;

	l->c.ctl_retransmitted += l2tp_rt_stats(t->rt)->retransmitted;
	idtable_remove(&l->tunnels, t->id);
	if (t->prev)
		t->prev->next = t->next;
	else
		l->tunnel_list = t->next;
	if (t->next)
		t->next->prev = t->prev;
	l->n_tunnels--;
	l2tp_rt_free(t->rt);
	free(t);
}

void lns_ctl_reap(struct lns *l)
{
	struct lns_tunnel *t, *next;

	while (l->dead) {
		struct lns_sess *s = l->dead;
		struct lns_tunnel *st = s->t;

		l->dead = s->dead_next;
		/* Still on its tunnel's list unless the tunnel emptied it. */
		if (s->tprev || s->tnext || st->sessions == s) {
			if (s->tprev)
				s->tprev->tnext = s->tnext;
			else
				st->sessions = s->tnext;
			if (s->tnext)
				s->tnext->tprev = s->tprev;
			st->n_sessions--;
		}
		lns_sess_release(s);
		free(s);
	}
	for (t = l->tunnel_list; t; t = next) {
		next = t->next;
		if (t->state == LT_CLOSING && l->now >= t->linger_until)
			lns_tunnel_free(t);
	}
}

void lns_ctl_shutdown(struct lns *l)
{
	for (struct lns_tunnel *t = l->tunnel_list; t; t = t->next)
		if (t->state != LT_CLOSING)
			lns_tunnel_close(t, L2TP_STOPCCN_SHUTTING_DOWN, -1, "l2tp-bench exiting");
	lns_tx_flush(l);
}

void lns_ctl_fini(struct lns *l)
{
	for (struct lns_tunnel *t = l->tunnel_list; t; t = t->next)
		if (t->state != LT_CLOSING)
			lns_tunnel_linger(t, 0);
		else
			t->linger_until = 0;
	l->now = UINT64_MAX;
	lns_ctl_reap(l);
}
