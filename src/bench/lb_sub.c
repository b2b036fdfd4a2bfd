/* The subscribers: one PPP client link (src/ppp, PPP_ROLE_CLIENT) per
 * session, from the ICCN until the session ends. The engine does the
 * negotiation and answers the LNS's LCP Echo-Requests; here are its
 * callbacks, the proxy data a LAC would have reported (§4.4.5), the active
 * list whose timers we tick, and the bookkeeping of setup: established,
 * or failed and why.
 *
 * A session is established when its IPCP is Opened and its ICCN was
 * acknowledged; its time to establish runs from its ICRQ. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lb_lac.h"
#include "l2tp/msg.h"
#include "ppp/chap.h"

/* PPP callbacks get the session; there is one LAC per process. */
static struct lac *g_lac;

#define LB_SUB_MRU 1492 /* what a PPPoE subscriber and its LAC agree on */

static uint32_t sess_index(const struct lac *l, const struct lb_sess *s)
{
	return (uint32_t)(s - l->sess);
}

static bool state_final(uint8_t st)
{
	return st == LB_S_CLOSING || st == LB_S_CLOSED || st == LB_S_FAILED || st == LB_S_DROPPED;
}

/* Free the link of a finished session, unless we are inside one of its
 * callbacks (the engine forbids that): then the caller of the engine does
 * it on the way out. */
static void settle(struct lac *l, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];

	if (s->ppp && state_final(s->state) && !l->ppp_depth) {
		ppp_free(s->ppp);
		s->ppp = NULL;
	}
}

/* Off every list; a session leaving setup never starts its PPP. */
static void leave_lists(struct lac *l, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];

	if (s->flags & LB_SF_ACTIVE)
		lb_list_del(l, &l->active, i);
	if (s->flags & LB_SF_ACKWAIT)
		lb_list_del(l, &lb_sess_tunnel(l, i)->ackwait, i);
	s->flags &= (uint8_t) ~(LB_SF_ACTIVE | LB_SF_ACKWAIT | LB_SF_PPP_WAIT);
}

static void make_active(struct lac *l, uint32_t i)
{
	if (!(l->sess[i].flags & LB_SF_ACTIVE)) {
		lb_list_add(l, &l->active, i);
		l->sess[i].flags |= LB_SF_ACTIVE;
	}
}

enum ppp_auth_method lb_sub_method(const struct lac *l, uint32_t i)
{
	static const enum ppp_auth_method methods[] = {PPP_AUTH_PAP, PPP_AUTH_CHAP_MD5,
	                                               PPP_AUTH_MSCHAPV2};

	return methods[l->o.auth == LB_AUTH_MIX ? i % 3 : (uint32_t)l->o.auth];
}

/* Every k-th session for a share of P percent: i is proxied when
 * floor((i + 1) P / 100) steps up, which spreads them evenly. MS-CHAPv2
 * has no proxy authentication type. */
bool lb_sub_proxied(const struct lac *l, uint32_t i)
{
	uint64_t p = l->o.proxy_percent;

	if (!p || lb_sub_method(l, i) == PPP_AUTH_MSCHAPV2)
		return false;
	return ((uint64_t)i + 1) * p / 100 != (uint64_t)i * p / 100;
}

const char *lb_sub_user(struct lac *l, uint32_t i)
{
	char *out, *end;
	const char *f;

	if (!l->users)
		return l->o.user_fmt;
	out = l->users + (size_t)i * l->user_len;
	end = out + l->user_len - 1;
	for (f = l->o.user_fmt; *f && out < end; f++) {
		if (f[0] == '%' && f[1] == 'u') {
			out += snprintf(out, (size_t)(end - out) + 1, "%u", i);
			f++;
			continue;
		}
		*out++ = *f;
	}
	*out = '\0';
	return l->users + (size_t)i * l->user_len;
}

/* splitmix64 of (seed, session, k): the session's k-th random word. */
static uint64_t sess_random(const struct lac *l, uint32_t i, uint64_t k)
{
	uint64_t z = l->seed + ((uint64_t)i << 8 | k) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t nonzero32(const struct lac *l, uint32_t i, uint64_t k, uint32_t avoid)
{
	uint32_t v;

	do
		v = (uint32_t)sess_random(l, i, k++);
	while (v == 0 || v == avoid);
	return v;
}

static void put_magic(uint8_t *p, uint32_t magic)
{
	p[0] = PPP_LCP_OPT_MAGIC;
	p[1] = 6;
	ppp_put32(p + 2, magic);
}

void lb_sub_proxy(struct lac *l, uint32_t i, struct ppp_proxy *px, struct lb_proxy_buf *pb)
{
	bool chap = lb_sub_method(l, i) == PPP_AUTH_CHAP_MD5;
	uint32_t lac_magic = nonzero32(l, i, 0, 0), sub_magic = nonzero32(l, i, 16, lac_magic);
	const char *user = lb_sub_user(l, i);
	uint8_t *lcp_sent = pb->lcp_sent, *lcp_recv = pb->lcp_recv;
	uint8_t *challenge = pb->challenge, *response = pb->response;
	uint64_t r = sess_random(l, i, 32);
	size_t n = 0;

	memset(px, 0, sizeof(*px));
	/* The subscriber's request: MRU and Magic-Number. */
	lcp_recv[0] = PPP_LCP_OPT_MRU;
	lcp_recv[1] = 4;
	ppp_put16(lcp_recv + 2, LB_SUB_MRU);
	put_magic(lcp_recv + 4, sub_magic);
	/* The LAC's: MRU, the session's method, its own Magic-Number. */
	lcp_sent[n++] = PPP_LCP_OPT_MRU;
	lcp_sent[n++] = 4;
	ppp_put16(lcp_sent + n, LB_SUB_MRU);
	n += 2;
	lcp_sent[n++] = PPP_LCP_OPT_AUTH;
	lcp_sent[n++] = chap ? 5 : 4;
	ppp_put16(lcp_sent + n, chap ? PPP_PROTO_CHAP : PPP_PROTO_PAP);
	n += 2;
	if (chap)
		lcp_sent[n++] = PPP_CHAP_MD5;
	put_magic(lcp_sent + n, lac_magic);
	px->lcp_sent = lcp_sent;
	px->lcp_sent_len = n + 6;
	px->lcp_recv = lcp_recv;
	px->lcp_recv_len = 10;
	px->auth_name = (const uint8_t *)user;
	px->auth_name_len = strlen(user);
	px->auth_id = (uint8_t)r;
	if (!chap) {
		px->auth_type = PPP_PROXY_AUTHEN_PAP;
		px->auth_response = (const uint8_t *)l->o.password;
		px->auth_response_len = strlen(l->o.password);
		return;
	}
	/* The challenge the LAC chose and the subscriber's answer to it. */
	px->auth_type = PPP_PROXY_AUTHEN_CHAP;
	r = sess_random(l, i, 33);
	memcpy(challenge, &r, 8);
	r = sess_random(l, i, 34);
	memcpy(challenge + 8, &r, 8);
	ppp_chap_md5(px->auth_id, (const uint8_t *)l->o.password, strlen(l->o.password), challenge,
	             16, response);
	px->auth_challenge = challenge;
	px->auth_challenge_len = 16;
	px->auth_response = response;
	px->auth_response_len = PPP_MD5_LEN;
}

/* The frame's protocol and, for control protocols, its code; 0 if
 * malformed. */
static uint16_t frame_proto(const uint8_t *f, size_t len, size_t *off)
{
	size_t o = (len >= 2 && f[0] == PPP_HDLC_ADDRESS && f[1] == PPP_HDLC_CONTROL) ? 2 : 0;

	if (o >= len)
		return 0;
	if (f[o] & 1) {
		*off = o + 1;
		return f[o];
	}
	if (len - o < 2)
		return 0;
	*off = o + 2;
	return ppp_get16(f + o);
}

/* Frame-level counts: every LCP Configure-* and every PAP/CHAP packet of
 * a proxied session either way (there should be none), and our answers
 * to the LNS's keepalives. */
static void count_frame(struct lac *l, const struct lb_sess *s, const uint8_t *f, size_t len,
                        bool sent)
{
	size_t off = 0;
	uint16_t proto = frame_proto(f, len, &off);
	uint8_t code = off < len ? f[off] : 0;

	if (proto == PPP_PROTO_LCP) {
		if ((s->flags & LB_SF_PROXY) && code >= PPP_CONF_REQ && code <= PPP_CONF_REJ)
			l->c.proxy_lcp_configure++;
		if (sent && code == PPP_ECHO_REP)
			l->c.echo_answered++;
	} else if ((proto == PPP_PROTO_PAP || proto == PPP_PROTO_CHAP) &&
	           (s->flags & LB_SF_PROXY)) {
		l->c.proxy_auth_packets++;
	}
}

uint8_t *lb_sub_data_slot(struct lac *l, uint32_t i, size_t *hlen)
{
	struct lb_sess *s = &l->sess[i];
	struct lb_tunnel *t = lb_sess_tunnel(l, i);
	struct l2tp_data_options o = {.sequence = (s->flags & LB_SF_SEQ) != 0};
	uint8_t *slot = lb_tx_slot(l, t);
	int n;

	if (o.sequence)
		o.ns = s->data_ns++;
	n = l2tp_header_put_data(slot, LB_DGRAM_MAX, t->peer_id, s->peer_sid, &o);
	*hlen = n > 0 ? (size_t)n : 0;
	return slot + *hlen;
}

static void op_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct lac *l = g_lac;
	struct lb_sess *s = ctx;
	uint32_t i = sess_index(l, s);
	size_t hlen;
	uint8_t *p;

	if (lb_sess_tunnel(l, i)->state != LB_T_UP || len > LB_DGRAM_MAX - 16)
		return;
	count_frame(l, s, frame, len, true);
	p = lb_sub_data_slot(l, i, &hlen);
	memcpy(p, frame, len);
	lb_tx_commit(l, hlen + len, false);
}

static void op_data(void *ctx, uint16_t proto, uint8_t *pkt, size_t len)
{
	if (proto == PPP_PROTO_IP)
		lb_traffic_rx(g_lac, sess_index(g_lac, ctx), pkt, len);
}

static void op_up(void *ctx, const struct ppp_net *net)
{
	struct lb_sess *s = ctx;

	if (net->proto != PPP_PROTO_IPCP)
		return;
	s->ip = net->local.s_addr;
	s->flags |= LB_SF_IPCP;
	lb_sub_check_up(g_lac, sess_index(g_lac, s));
}

static void op_ncp_down(void *ctx, uint16_t proto)
{
	if (proto == PPP_PROTO_IPCP)
		((struct lb_sess *)ctx)->flags &= (uint8_t)~LB_SF_IPCP;
}

static enum lb_fail classify(const struct lb_sess *s, const struct ppp_cause *cause)
{
	if (s->flags & LB_SF_AUTHFAIL)
		return LB_FAIL_AUTH;
	switch (cause->code) {
	case PPP_CAUSE_AUTH_TIMEOUT:
	case PPP_CAUSE_AUTH_PROTO:
	case PPP_CAUSE_AUTH_FAILED:
		return LB_FAIL_AUTH;
	case PPP_CAUSE_NCP_TIMEOUT:
	case PPP_CAUSE_NO_NCP:
	case PPP_CAUSE_NCP_CONVERGE:
	case PPP_CAUSE_NCP_ADDRESS:
		return LB_FAIL_IPCP;
	default:
		return LB_FAIL_LCP;
	}
}

static void op_down(void *ctx, const struct ppp_cause *cause)
{
	struct lac *l = g_lac;
	struct lb_sess *s = ctx;
	uint32_t i = sess_index(l, s);

	if (s->state == LB_S_PPP) {
		lb_call_cdn(l, i, L2TP_CDN_GENERAL_ERROR, cause->reason);
		lb_sub_fail(l, i, classify(s, cause));
	} else if (s->state == LB_S_UP) {
		lb_call_cdn(l, i, L2TP_CDN_GENERAL_ERROR, cause->reason);
		leave_lists(l, i);
		s->state = LB_S_DROPPED;
		l->c.dropped++;
		l->c.up_now--;
	}
}

static void op_auth_done(void *ctx, enum ppp_auth_method m, bool ok, const char *msg)
{
	(void)m;
	(void)msg;
	if (!ok)
		((struct lb_sess *)ctx)->flags |= LB_SF_AUTHFAIL;
}

static void op_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	(void)ctx;
	while (len) {
		uint64_t r = lb_random64(g_lac);
		size_t n = len < 8 ? len : 8;

		memcpy(p, &r, n);
		p += n;
		len -= n;
	}
}

int lb_sub_init(struct lac *l)
{
	static const uint8_t methods[3] = {PPP_AUTH_PAP, PPP_AUTH_CHAP_MD5, PPP_AUTH_MSCHAPV2};
	const char *f = l->o.user_fmt;
	size_t per = 0;

	g_lac = l;
	for (int m = 0; m < 3; m++) {
		struct ppp_config *cfg = &l->ppp_cfg[m];

		/* The subscriber agrees to its one method (a Nak names it),
		 * keeps no keepalive of its own, asks only for an address. */
		ppp_config_init(cfg, PPP_ROLE_CLIENT);
		memset(cfg->auth, PPP_AUTH_NONE, sizeof(cfg->auth));
		cfg->auth[0] = methods[m];
		cfg->echo_interval_ms = 0;
		cfg->request_dns = false;
	}
	l->ppp_ops = (struct ppp_ops){
	    .send = op_send,
	    .data = op_data,
	    .up = op_up,
	    .ncp_down = op_ncp_down,
	    .down = op_down,
	    .auth_done = op_auth_done,
	    .random = op_random,
	};
	/* --user with %u: one name per session, room for the widest index. */
	for (; (f = strstr(f, "%u")); f += 2)
		per += 10;
	if (!per)
		return 0;
	l->user_len = strlen(l->o.user_fmt) + per + 1;
	l->users = calloc(l->n_sess, l->user_len);
	return l->users ? 0 : -ENOMEM;
}

void lb_sub_fail(struct lac *l, uint32_t i, enum lb_fail why)
{
	struct lb_sess *s = &l->sess[i];

	if (s->state != LB_S_WAIT_ICRP && s->state != LB_S_PPP)
		return;
	leave_lists(l, i);
	s->state = LB_S_FAILED;
	l->c.failed++;
	l->c.fail[why]++;
	l->setup_in_flight--;
	settle(l, i);
}

void lb_sub_connected(struct lac *l, uint32_t i, bool proxied)
{
	struct lb_sess *s = &l->sess[i];

	s->state = LB_S_PPP;
	s->flags |= LB_SF_PPP_WAIT;
	if (proxied) {
		s->flags |= LB_SF_PROXY;
		l->c.proxied++;
	}
}

static void sub_start(struct lac *l, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];
	struct lb_proxy_buf pb;
	struct ppp_proxy px;
	int rc = -1;

	s->flags &= (uint8_t)~LB_SF_PPP_WAIT;
	s->ppp = ppp_new(&l->ppp_cfg[lb_sub_method(l, i) - PPP_AUTH_PAP], &l->ppp_ops, s);
	if (!s->ppp) {
		lb_call_cdn(l, i, L2TP_CDN_NO_RESOURCES_TEMPORARY, "out of memory");
		lb_sub_fail(l, i, LB_FAIL_LCP);
		return;
	}
	ppp_set_credentials(s->ppp, lb_sub_user(l, i), l->o.password);
	l->ppp_depth++;
	if (s->flags & LB_SF_PROXY) {
		lb_sub_proxy(l, i, &px, &pb);
		rc = ppp_start_proxy(s->ppp, &px, l->now_ms);
		if (rc < 0 && !l->proxy_warned) {
			l->proxy_warned = true;
			fprintf(stderr, "l2tp-bench: subscriber refused its own proxy data: %s\n",
			        strerror(-rc));
		}
	}
	if (rc < 0)
		ppp_start(s->ppp, l->now_ms);
	l->ppp_depth--;
	settle(l, i);
}

void lb_sub_check_up(struct lac *l, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];
	struct lb_tunnel *t = lb_sess_tunnel(l, i);

	if (s->state != LB_S_PPP || !(s->flags & LB_SF_IPCP))
		return;
	if (!lb_tunnel_acked(t, s->ctl_ns)) {
		if (!(s->flags & LB_SF_ACKWAIT)) {
			leave_lists(l, i);
			lb_list_add(l, &t->ackwait, i);
			s->flags |= LB_SF_ACKWAIT;
		}
		return;
	}
	leave_lists(l, i);
	s->state = LB_S_UP;
	l->tte_us[l->c.established++] = (uint32_t)lb_elapsed_us(l) - s->t_start_us;
	l->up[l->n_up++] = i;
	l->setup_in_flight--;
	if (++l->c.up_now > l->c.up_max)
		l->c.up_max = l->c.up_now;
	if (s->flags & LB_SF_PROXY)
		l->c.proxied_up++;
	l->last_up_ns = lb_now_ns();
	if (s->ppp && !l->ppp_bytes)
		l->ppp_bytes = ppp_memory(s->ppp);
	if (s->ppp && ppp_next_deadline(s->ppp) != PPP_NO_DEADLINE)
		make_active(l, i);
}

void lb_sub_closed(struct lac *l, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];

	if (s->state != LB_S_CLOSING)
		return;
	leave_lists(l, i);
	s->state = LB_S_CLOSED;
	l->c.torn_down++;
	l->closing_in_flight--;
	l->last_cdn_ack_ns = lb_now_ns();
	settle(l, i);
}

void lb_sub_ended(struct lac *l, uint32_t i, int result, unsigned ppp_cause, bool tunnel)
{
	struct lb_sess *s = &l->sess[i];
	enum lb_fail why = LB_FAIL_CDN;

	switch (s->state) {
	case LB_S_WAIT_ICRP:
	case LB_S_PPP:
		if (tunnel) {
			why = LB_FAIL_TUNNEL;
		} else {
			l->c.cdn_result[result > 0 && result < LB_CDN_RESULTS ? result : 0]++;
			/* An LNS may clear the call instead of a PAP Nak or a
			 * CHAP Failure (l2tpns on a RADIUS reject), or refuse
			 * proxied credentials, saying so in the cause only. */
			if ((s->flags & LB_SF_AUTHFAIL) ||
			    (s->ppp && ppp_auth_awaiting_verdict(s->ppp)) ||
			    ppp_cause == PPP_CAUSE_AUTH_TIMEOUT ||
			    ppp_cause == PPP_CAUSE_AUTH_PROTO || ppp_cause == PPP_CAUSE_AUTH_FAILED)
				why = LB_FAIL_AUTH;
		}
		lb_sub_fail(l, i, why);
		break;
	case LB_S_UP:
		leave_lists(l, i);
		s->state = LB_S_DROPPED;
		l->c.dropped++;
		l->c.up_now--;
		break;
	case LB_S_CLOSING:
		lb_sub_closed(l, i);
		break;
	default:
		break;
	}
	settle(l, i);
}

void lb_sub_input(struct lac *l, uint32_t i, uint8_t *frame, size_t len)
{
	struct lb_sess *s = &l->sess[i];
	size_t off = 0;
	uint16_t proto;

	if ((s->flags & LB_SF_PPP_WAIT) && s->state == LB_S_PPP)
		sub_start(l, i); /* the LNS runs PPP: so may we */
	if (!s->ppp || (s->state != LB_S_PPP && s->state != LB_S_UP))
		return;
	proto = frame_proto(frame, len, &off);
	/* The data path: IP straight to the traffic counters. */
	if (proto == PPP_PROTO_IP && (s->flags & LB_SF_IPCP)) {
		lb_traffic_rx(l, i, frame + off, len - off);
		return;
	}
	count_frame(l, s, frame, len, false);
	l->ppp_depth++;
	ppp_input(s->ppp, frame, len, l->now_ms);
	l->ppp_depth--;
	if (s->state == LB_S_UP && s->ppp && ppp_next_deadline(s->ppp) != PPP_NO_DEADLINE)
		make_active(l, i);
	settle(l, i);
}

void lb_sub_tick(struct lac *l)
{
	uint32_t now_us = (uint32_t)lb_elapsed_us(l);
	uint32_t timeout_us = (uint32_t)(l->o.timeout_s * 1e6);
	uint32_t k = l->active.head;

	while (k != LB_NIL) {
		uint32_t i = k - 1;
		struct lb_sess *s = &l->sess[i];

		k = s->next;
		if ((s->flags & LB_SF_PPP_WAIT) && lb_tunnel_acked(lb_sess_tunnel(l, i), s->ctl_ns))
			sub_start(l, i);
		if (s->ppp && ppp_next_deadline(s->ppp) <= l->now_ms) {
			l->ppp_depth++;
			ppp_tick(s->ppp, l->now_ms);
			l->ppp_depth--;
		}
		if ((s->state == LB_S_WAIT_ICRP || s->state == LB_S_PPP) &&
		    now_us - s->t_start_us > timeout_us) {
			lb_call_cdn(l, i, L2TP_CDN_ADMIN, "setup timed out");
			lb_sub_fail(l, i, LB_FAIL_TIMEOUT);
		} else if (s->state == LB_S_UP &&
		           (!s->ppp || ppp_next_deadline(s->ppp) == PPP_NO_DEADLINE)) {
			leave_lists(l, i);
		}
		settle(l, i);
	}
}

/* Teardown: our CDN for an established session, its link freed at once
 * (the subscriber hung up). false if it could not be sent. */
bool lb_sub_hangup(struct lac *l, uint32_t i)
{
	struct lb_sess *s = &l->sess[i];
	struct lb_tunnel *t = lb_sess_tunnel(l, i);

	if (s->state != LB_S_UP || !lb_call_cdn(l, i, L2TP_CDN_ADMIN, NULL))
		return false;
	leave_lists(l, i);
	s->state = LB_S_CLOSING;
	l->c.up_now--;
	l->closing_in_flight++;
	lb_list_add(l, &t->ackwait, i);
	s->flags |= LB_SF_ACKWAIT;
	settle(l, i);
	return true;
}
