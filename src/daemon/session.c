/* Sessions: incoming and outgoing calls, LAC and LNS side (RFC 2661 §7.4,
 * §7.5), CDN, WEN, SLI, and the data message hook (§5.3, §5.4). */
#include "session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppp/ppp.h"
#include "config.h"
#include "daemon.h"
#include "destination.h"
#include "sessppp.h"
#include "tunnel.h"

#define SESSION_MSG_MAX 1024
#define SESSION_CONNECT_SPEED 100000000u /* bps we report: no real bearer */

static const char *const state_names[] = {
	[SESSION_WAIT_TUNNEL] = "wait-tunnel",
	[SESSION_WAIT_REPLY] = "wait-reply",
	[SESSION_WAIT_CONNECT] = "wait-connect",
	[SESSION_WAIT_CS_ANSWER] = "wait-cs-answer",
	[SESSION_ESTABLISHED] = "established",
};

const char *session_state_name(enum session_state st)
{
	return st <= SESSION_ESTABLISHED ? state_names[st] : "?";
}

bool session_is_lac(const struct session *s)
{
	return s->kind == SESSION_LAC_IC || s->kind == SESSION_LAC_OC;
}

const char *session_role_name(const struct session *s)
{
	if (s->client ||
	    (s->kind == SESSION_LAC_IC && s->t->dest && s->t->dest->role == DEST_CLIENT))
		return "client";
	return session_is_lac(s) ? "lac" : "lns";
}

static const char *session_kind_name(enum session_kind k)
{
	static const char *const names[] = { "lac-incoming", "lns-incoming", "lac-outgoing",
					     "lns-outgoing" };

	return names[k];
}

const char *session_ip_str(const struct session *s, char buf[INET_ADDRSTRLEN])
{
	if (!s->ip.s_addr)
		return "-";
	return inet_ntop(AF_INET, &s->ip, buf, INET_ADDRSTRLEN);
}

struct session *session_find(struct l2tpd *d, uint16_t tid, uint16_t sid)
{
	return idtable_find(&d->sessions, session_key(tid, sid));
}

size_t session_find_all(struct l2tpd *d, uint16_t sid, struct session **out, size_t max)
{
	struct list_node *pos;
	size_t n = 0;

	/* One O(1) lookup per tunnel, not a walk over every session: at a
	 * million sessions there are still at most 65,535 tunnels. */
	for (pos = d->tunnel_list.next; pos != &d->tunnel_list; pos = pos->next) {
		struct session *s = session_find(d, list_entry(pos, struct tunnel, node)->id, sid);

		if (s && n++ < max)
			out[n - 1] = s;
	}
	return n;
}

static struct session *session_alloc(struct tunnel *t, enum session_kind kind, int *err)
{
	struct l2tpd *d = t->d;
	unsigned max = d->cfg->global.max_sessions;
	struct session *s;
	int rc = -EAGAIN;

	/* Bounds first: a flood of ICRQs cannot exhaust memory. */
	if ((max && d->n_sessions >= max) || t->n_sessions >= t->p.max_sessions)
		goto fail;
	rc = -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail;
	s->t = t;
	s->kind = kind;
	/* RFC 2661 §3.1: a Session ID is unique only within its tunnel, so
	 * each tunnel has 65,535 of its own and the daemon is not capped at
	 * 65,535 sessions in all. */
	s->id = idtable_random_id(&d->sessions, t->id);
	rc = s->id ? idtable_insert(&d->sessions, session_key(t->id, s->id), s) : -EAGAIN;
	if (rc < 0) {
		free(s);
		goto fail;
	}
	l2tpd_random(&s->serial, sizeof(s->serial));
	list_add_tail(&t->sessions, &s->tunnel_node);
	t->n_sessions++;
	t->n_sessions_setup++;
	d->n_sessions++;
	return s;
fail:
	*err = rc;
	return NULL;
}

void session_free(struct session *s, const char *why)
{
	struct tunnel *t = s->t;
	struct l2tpd *d = t->d;

	sessppp_session_gone(s);
	/* Whoever set its addresses, they leave the fast path's table with
	 * it: no packet from the TUN may find a freed session. */
	if (d->fp)
		fastpath_session_detach(d->fp, &s->fp);
	if (s->state != SESSION_ESTABLISHED) {
		d->stats.sessions_failed++;
		t->n_sessions_setup--;
	}
	free(s->proxy_values); /* PPP never started */
	log_debug(&d->log, "session freed session=%u tunnel=%u reason=%s", s->id, t->id, why);
	idtable_remove(&d->sessions, session_key(t->id, s->id));
	list_del(&s->tunnel_node);
	t->n_sessions--;
	d->n_sessions--;
	free(s);
}

static void session_up(struct session *s)
{
	struct l2tpd *d = s->t->d;

	s->state = SESSION_ESTABLISHED;
	s->t->n_sessions_setup--;
	d->stats.sessions_up++;
	/* Data before this point was not for us to take: Ns and Nr start
	 * here, which is when the peer may start sending (§5.4 numbers each
	 * session's data from 0). */
	fastpath_session_init(&s->fp, &s->t->fp, s->id, s->peer_id, s);
	/* §5.4: with Sequencing Required, sequence numbers at all times;
	 * without, the LNS decides and the LAC follows what it sends. */
	s->fp.seq_required = s->seq_required;
	/* An LNS configured for it turns sequencing on with its first data
	 * message; the LAC then numbers its own (§5.4). */
	s->fp.seq_send = s->seq_required || (!session_is_lac(s) && s->t->p.data_sequencing);
	s->fp.lac = session_is_lac(s);
	/* No address indexed yet: every frame is the PPP layer's until it
	 * gives the fast path the subscriber's address. */
	s->fp.slow_ip = true;
	log_info(&d->log,
		 "session established session=%u peer_session=%u tunnel=%u peer=%s role=%s "
		 "call=%s user=%s seq=%s",
		 s->id, s->peer_id, s->t->id, s->t->peer_str, session_role_name(s),
		 session_kind_name(s->kind), s->user[0] ? s->user : "-",
		 s->seq_required ? "required" : s->fp.seq_send ? "on" : "off");
	sessppp_session_up(s);
}

/* A CDN to the peer's session peer_sid; our_sid 0 when we allocated none;
 * s (may be NULL) adds its PPP Disconnect Cause. */
static void session_send_cdn_from(struct tunnel *t, const struct session *s, uint16_t peer_sid,
				  uint16_t our_sid, uint16_t result, int error,
				  const char *message, int q931)
{
	uint8_t buf[SESSION_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(our_sid);

	if (t->state != TUNNEL_ESTABLISHED)
		return;
	t->d->stats.sessions_down_sent[result < 12 ? result : 0]++;
	tunnel_builder(t, &b, buf, sizeof(buf), peer_sid, L2TP_MSG_CDN);
	l2tp_builder_put_result(&b, result, error, message);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	if (q931 >= 0) {
		/* §4.4.4: cause code (2), message code (1), no advisory text. */
		uint8_t cause[3] = { (uint8_t)(q931 >> 8), (uint8_t)q931, 0 };

		l2tp_builder_put(&b, L2TP_AVP_Q931_CAUSE_CODE, cause, sizeof(cause));
	}
	if (s && s->ppp_cause_set) {
		/* RFC 3145 §3.1: code (2), control protocol (2), direction (1). */
		uint8_t ppp[5] = { (uint8_t)(s->ppp_cause_code >> 8), (uint8_t)s->ppp_cause_code,
				   (uint8_t)(s->ppp_cause_proto >> 8), (uint8_t)s->ppp_cause_proto,
				   s->ppp_cause_dir };

		l2tp_builder_put(&b, L2TP_AVP_PPP_DISCONNECT_CAUSE, ppp, sizeof(ppp));
	}
	tunnel_send_msg(t, &b, L2TP_MSG_CDN);
}

static void session_send_cdn(struct tunnel *t, uint16_t peer_sid, uint16_t our_sid,
			     uint16_t result, int error, const char *message, int q931)
{
	session_send_cdn_from(t, NULL, peer_sid, our_sid, result, error, message, q931);
}

void session_close(struct session *s, uint16_t result, int error, const char *message, int q931)
{
	struct tunnel *t = s->t;

	log_info(&t->d->log,
		 "session closing session=%u peer_session=%u tunnel=%u peer=%s state=%s "
		 "result=%u error=%d sent=CDN reason=%s",
		 s->id, s->peer_id, t->id, t->peer_str, session_state_name(s->state), result,
		 error, message ? message : l2tp_result_name(L2TP_MSG_CDN, result));
	/* Before the peer assigned its id (ICRQ/OCRQ still unanswered) a CDN
	 * could not be addressed; if its reply comes, it gets a CDN then. */
	if (s->peer_id)
		session_send_cdn_from(t, s, s->peer_id, s->id, result, error, message, q931);
	session_free(s, "closed");
}

static void session_send_icrq(struct session *s)
{
	uint8_t buf[SESSION_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(s->id);

	tunnel_builder(s->t, &b, buf, sizeof(buf), 0, L2TP_MSG_ICRQ);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	l2tp_builder_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, s->serial);
	l2tp_builder_put_u32(&b, L2TP_AVP_BEARER_TYPE, L2TP_BEARER_DIGITAL);
	s->state = SESSION_WAIT_REPLY;
	tunnel_send_msg(s->t, &b, L2TP_MSG_ICRQ);
}

static void session_send_ocrq(struct session *s)
{
	uint8_t buf[SESSION_MSG_MAX];
	struct l2tp_builder b;
	uint16_t id = htons(s->id);

	tunnel_builder(s->t, &b, buf, sizeof(buf), 0, L2TP_MSG_OCRQ);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	l2tp_builder_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, s->serial);
	l2tp_builder_put_u32(&b, L2TP_AVP_MINIMUM_BPS, 0);
	l2tp_builder_put_u32(&b, L2TP_AVP_MAXIMUM_BPS, SESSION_CONNECT_SPEED);
	l2tp_builder_put_u32(&b, L2TP_AVP_BEARER_TYPE, L2TP_BEARER_DIGITAL);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_TYPE, L2TP_FRAMING_SYNC);
	l2tp_builder_put_string(&b, L2TP_AVP_CALLED_NUMBER, "");
	s->state = SESSION_WAIT_REPLY;
	tunnel_send_msg(s->t, &b, L2TP_MSG_OCRQ);
}

/* ICCN (LAC incoming) or OCCN (LAC outgoing): the call is connected. */
static void session_send_connected(struct session *s, uint16_t type)
{
	uint8_t buf[SESSION_MSG_MAX];
	struct l2tp_builder b;

	tunnel_builder(s->t, &b, buf, sizeof(buf), s->peer_id, type);
	l2tp_builder_put_u32(&b, L2TP_AVP_TX_CONNECT_SPEED, SESSION_CONNECT_SPEED);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_TYPE, L2TP_FRAMING_SYNC);
	/* §5.4: the LAC asks for sequence numbers on every data message. */
	if (s->t->p.data_sequencing) {
		l2tp_builder_put(&b, L2TP_AVP_SEQUENCING_REQUIRED, NULL, 0);
		s->seq_required = true;
	}
	tunnel_send_msg(s->t, &b, type);
}

/* The first message of a call we place: ICRQ as LAC, OCRQ as LNS. */
static void session_send_request(struct session *s)
{
	if (s->kind == SESSION_LAC_IC)
		session_send_icrq(s);
	else
		session_send_ocrq(s);
}

/* A call we place waits for its tunnel, or starts at once if it is up. */
static struct session *session_place_call(struct tunnel *t, enum session_kind kind, int *err)
{
	struct session *s = session_alloc(t, kind, err);

	if (!s)
		return NULL;
	s->state = SESSION_WAIT_TUNNEL;
	if (t->state == TUNNEL_ESTABLISHED)
		session_send_request(s);
	return s;
}

struct session *session_new_lac_ic(struct tunnel *t, int *err)
{
	return session_place_call(t, SESSION_LAC_IC, err);
}

struct session *session_new_lns_oc(struct tunnel *t, int *err)
{
	return session_place_call(t, SESSION_LNS_OC, err);
}

void session_tunnel_up(struct tunnel *t)
{
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &t->sessions) {
		struct session *s = list_entry(pos, struct session, tunnel_node);

		if (s->state == SESSION_WAIT_TUNNEL)
			session_send_request(s);
	}
}

void session_move_waiting(struct tunnel *from, struct tunnel *to)
{
	struct l2tpd *d = from->d;
	struct list_node *pos, *tmp;

	list_for_each_safe(pos, tmp, &from->sessions) {
		struct session *s = list_entry(pos, struct session, tunnel_node);
		uint16_t id;

		if (s->state != SESSION_WAIT_TUNNEL)
			continue;
		/* Its id may be taken in the new tunnel: it gets a fresh one.
		 * Nobody depends on the old one. Only calls we place wait for
		 * a tunnel (ICRQ as [lac] or [client]; an LNS places OCRQs on
		 * established tunnels only), and a waiting call's request has
		 * not gone out: no peer has seen its id, nor the data path.
		 * The operator's TUNNEL/SESSION name changes with the tunnel
		 * anyway. */
		id = to->n_sessions < to->p.max_sessions ? idtable_random_id(&d->sessions, to->id)
							 : 0;
		if (!id || idtable_insert(&d->sessions, session_key(to->id, id), s) < 0) {
			/* Left behind, it fails with its tunnel, as it
			 * would have without a new one to go to. */
			log_warn(&d->log,
				 "session not moved session=%u tunnel=%u to_tunnel=%u "
				 "reason=no session id free there",
				 s->id, from->id, to->id);
			continue;
		}
		log_debug(&d->log,
			  "session moved session=%u tunnel=%u new_session=%u new_tunnel=%u", s->id,
			  from->id, id, to->id);
		idtable_remove(&d->sessions, session_key(from->id, s->id));
		list_del(&s->tunnel_node);
		from->n_sessions--;
		from->n_sessions_setup--;
		s->t = to;
		s->id = id;
		list_add_tail(&to->sessions, &s->tunnel_node);
		to->n_sessions++;
		to->n_sessions_setup++;
		if (to->state == TUNNEL_ESTABLISHED)
			session_send_request(s);
	}
}

/* Refuse a new call before allocating anything. */
static bool session_may_accept(struct tunnel *t, uint16_t peer_sid, const char *what)
{
	struct l2tpd *d = t->d;
	unsigned max = d->cfg->global.max_sessions;
	const char *why = NULL;

	if (d->draining || d->stopping)
		why = "draining";
	else if (max && d->n_sessions >= max)
		why = "too many sessions";
	else if (t->n_sessions >= t->p.max_sessions)
		why = "too many sessions on this tunnel";
	if (!why)
		return true;
	d->stats.sessions_refused++;
	log_ratelimited(&d->log, LOG_LEVEL_WARN,
			"session refused tunnel=%u peer=%s peer_session=%u call=%s result=4 "
			"error=4 reason=%s",
			t->id, t->peer_str, peer_sid, what, why);
	session_send_cdn(t, peer_sid, 0, L2TP_CDN_NO_RESOURCES_TEMPORARY, L2TP_ERR_NO_RESOURCES,
			 why, -1);
	return false;
}

static void session_on_icrq(struct tunnel *t, struct l2tp_msg *m)
{
	uint16_t peer_sid = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID);
	uint8_t buf[SESSION_MSG_MAX];
	struct l2tp_builder b;
	struct session *s;
	uint16_t id;
	int err;

	if (!peer_sid || !session_may_accept(t, peer_sid, "lns-incoming"))
		return;
	s = session_alloc(t, SESSION_LNS_IC, &err);
	if (!s) {
		t->d->stats.sessions_refused++;
		session_send_cdn(t, peer_sid, 0, L2TP_CDN_NO_RESOURCES_TEMPORARY,
				 L2TP_ERR_NO_RESOURCES, "no session available", -1);
		return;
	}
	s->peer_id = peer_sid;
	s->serial = l2tp_msg_u32(m, L2TP_AVP_CALL_SERIAL_NUMBER);
	id = htons(s->id);
	tunnel_builder(t, &b, buf, sizeof(buf), peer_sid, L2TP_MSG_ICRP);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	s->state = SESSION_WAIT_CONNECT;
	tunnel_send_msg(t, &b, L2TP_MSG_ICRP);
}

static void session_on_ocrq(struct tunnel *t, struct l2tp_msg *m)
{
	uint16_t peer_sid = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID);
	uint8_t buf[SESSION_MSG_MAX];
	struct l2tp_builder b;
	struct session *s;
	const char *why;
	uint16_t id, result;
	int err;

	if (!peer_sid || !session_may_accept(t, peer_sid, "lac-outgoing"))
		return;
	/* There is no bearer to place the call on: it is answered only by a
	 * local PPP endpoint, a [client] with accept_outgoing. Without one,
	 * §7.5.1 "cannot place call": CDN. */
	why = sessppp_outgoing_refusal(t, &result);
	if (why) {
		t->d->stats.sessions_refused++;
		log_ratelimited(&t->d->log, LOG_LEVEL_WARN,
				"outgoing call refused tunnel=%u peer=%s peer_hostname=%s "
				"peer_session=%u result=%u reason=%s",
				t->id, t->peer_str, t->peer_hostname[0] ? t->peer_hostname : "-",
				peer_sid, result, why);
		/* Error code 0 (§4.4.2) so that the message can follow it. */
		session_send_cdn(t, peer_sid, 0, result, L2TP_ERR_NONE, why, -1);
		return;
	}
	s = session_alloc(t, SESSION_LAC_OC, &err);
	if (!s) {
		t->d->stats.sessions_refused++;
		session_send_cdn(t, peer_sid, 0, L2TP_CDN_NO_RESOURCES_TEMPORARY,
				 L2TP_ERR_NO_RESOURCES, "no session available", -1);
		return;
	}
	s->peer_id = peer_sid;
	sessppp_outgoing_bind(s);
	s->serial = l2tp_msg_u32(m, L2TP_AVP_CALL_SERIAL_NUMBER);
	id = htons(s->id);
	tunnel_builder(t, &b, buf, sizeof(buf), peer_sid, L2TP_MSG_OCRP);
	l2tp_builder_put(&b, L2TP_AVP_ASSIGNED_SESSION_ID, &id, 2);
	s->state = SESSION_WAIT_CS_ANSWER;
	if (tunnel_send_msg(t, &b, L2TP_MSG_OCRP) < 0)
		return;
	/* No real bearer to dial (§7.5.1 wait-cs-answer): the call is
	 * answered at once. */
	session_send_connected(s, L2TP_MSG_OCCN);
	session_up(s);
}

struct session_proxy *session_proxy_from_msg(const struct l2tp_msg *m)
{
	static const uint16_t types[SESSION_PV_N] = {
		[SESSION_PV_INITIAL_LCP] = L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ,
		[SESSION_PV_LAST_SENT_LCP] = L2TP_AVP_LAST_SENT_LCP_CONFREQ,
		[SESSION_PV_LAST_RECV_LCP] = L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ,
		[SESSION_PV_AUTH_NAME] = L2TP_AVP_PROXY_AUTHEN_NAME,
		[SESSION_PV_AUTH_CHALLENGE] = L2TP_AVP_PROXY_AUTHEN_CHALLENGE,
		[SESSION_PV_AUTH_RESPONSE] = L2TP_AVP_PROXY_AUTHEN_RESPONSE,
	};
	const struct l2tp_avp_value *id = &m->avp[L2TP_AVP_PROXY_AUTHEN_ID];
	bool auth = m->avp[L2TP_AVP_PROXY_AUTHEN_TYPE].present;
	struct session_proxy *p;
	size_t total = 0, off = 0;

	for (int i = 0; i < SESSION_PV_N; i++)
		if (m->avp[types[i]].present)
			total += m->avp[types[i]].len;
	if (!total && !auth)
		return NULL;
	p = calloc(1, sizeof(*p) + total);
	if (!p)
		return NULL;
	for (int i = 0; i < SESSION_PV_N; i++) {
		const struct l2tp_avp_value *v = &m->avp[types[i]];

		if (!v->present)
			continue;
		p->len[i] = v->len;
		p->val[i] = p->data + off;
		if (v->len)
			memcpy(p->data + off, v->value, v->len);
		off += v->len;
	}
	if (auth)
		p->auth_type = l2tp_msg_u16(m, L2TP_AVP_PROXY_AUTHEN_TYPE);
	/* §4.4.5: Reserved (0), then the ID; the codec checked the length. */
	if (id->present && id->len == 2)
		p->auth_id = id->value[1];
	return p;
}

struct session_proxy *session_take_proxy(struct session *s)
{
	struct session_proxy *p = s->proxy_values;

	s->proxy_values = NULL;
	return p;
}

int session_proxy_ppp(const struct session_proxy *p, struct ppp_proxy *px)
{
	memset(px, 0, sizeof(*px));
	if (!p || !p->val[SESSION_PV_LAST_SENT_LCP] || !p->val[SESSION_PV_LAST_RECV_LCP])
		return -ENOENT;
	px->lcp_sent = p->val[SESSION_PV_LAST_SENT_LCP];
	px->lcp_sent_len = p->len[SESSION_PV_LAST_SENT_LCP];
	px->lcp_recv = p->val[SESSION_PV_LAST_RECV_LCP];
	px->lcp_recv_len = p->len[SESSION_PV_LAST_RECV_LCP];
	px->auth_type = p->auth_type;
	px->auth_name = p->val[SESSION_PV_AUTH_NAME];
	px->auth_name_len = p->len[SESSION_PV_AUTH_NAME];
	px->auth_challenge = p->val[SESSION_PV_AUTH_CHALLENGE];
	px->auth_challenge_len = p->len[SESSION_PV_AUTH_CHALLENGE];
	px->auth_id = p->auth_id;
	px->auth_response = p->val[SESSION_PV_AUTH_RESPONSE];
	px->auth_response_len = p->len[SESSION_PV_AUTH_RESPONSE];
	return 0;
}

/* What ICCN and OCCN tell that we use: sequencing, proxies. */
static void session_learn_connected(struct session *s, const struct l2tp_msg *m)
{
	const struct l2tp_avp_value *v;

	s->seq_required = m->avp[L2TP_AVP_SEQUENCING_REQUIRED].present;
	/* §4.4.5: the LAC's view of LCP and authentication, for the PPP layer
	 * to accept or renegotiate. */
	if (m->avp[L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ].present)
		s->proxy |= SESSION_PROXY_INITIAL_LCP;
	if (m->avp[L2TP_AVP_LAST_SENT_LCP_CONFREQ].present)
		s->proxy |= SESSION_PROXY_LAST_SENT_LCP;
	if (m->avp[L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ].present)
		s->proxy |= SESSION_PROXY_LAST_RECV_LCP;
	if (m->avp[L2TP_AVP_PROXY_AUTHEN_TYPE].present) {
		s->proxy |= SESSION_PROXY_AUTH;
		s->proxy_auth_type = l2tp_msg_u16(m, L2TP_AVP_PROXY_AUTHEN_TYPE);
	}
	v = &m->avp[L2TP_AVP_PROXY_AUTHEN_NAME];
	if (v->present)
		log_sanitize(s->user, sizeof(s->user), v->value, v->len);
	free(s->proxy_values);
	s->proxy_values = s->proxy ? session_proxy_from_msg(m) : NULL;
}

static void session_on_icrp(struct session *s, struct l2tp_msg *m)
{
	s->peer_id = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID);
	if (!s->peer_id) {
		session_close(s, L2TP_CDN_GENERAL_ERROR, L2TP_ERR_BAD_VALUE,
			      "assigned session id 0", -1);
		return;
	}
	session_send_connected(s, L2TP_MSG_ICCN);
	session_up(s);
}

static void session_on_iccn(struct session *s, struct l2tp_msg *m)
{
	session_learn_connected(s, m);
	session_up(s);
}

static void session_on_ocrp(struct session *s, struct l2tp_msg *m)
{
	s->peer_id = l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID);
	if (!s->peer_id) {
		session_close(s, L2TP_CDN_GENERAL_ERROR, L2TP_ERR_BAD_VALUE,
			      "assigned session id 0", -1);
		return;
	}
	s->state = SESSION_WAIT_CONNECT;
}

static void session_on_occn(struct session *s, struct l2tp_msg *m)
{
	session_learn_connected(s, m);
	session_up(s);
}

static void session_on_cdn(struct session *s, struct l2tp_msg *m)
{
	struct l2tpd *d = s->t->d;
	struct l2tp_result r = { 0 };
	const struct l2tp_avp_value *q = &m->avp[L2TP_AVP_Q931_CAUSE_CODE];
	char text[128] = "";
	int cause = -1;

	l2tp_msg_result(m, &r);
	log_sanitize(text, sizeof(text), r.message, r.message_len);
	if (q->present && q->len >= 3)
		cause = q->value[0] << 8 | q->value[1];
	d->stats.sessions_down_received[r.result < 12 ? r.result : 0]++;
	log_info(&d->log,
		 "session closed by peer session=%u peer_session=%u tunnel=%u peer=%s state=%s "
		 "result=%u error=%d q931=%d received=CDN reason=%s%s%s",
		 s->id, s->peer_id, s->t->id, s->t->peer_str, session_state_name(s->state),
		 r.result, r.error_code, cause, l2tp_result_name(L2TP_MSG_CDN, r.result),
		 text[0] ? ": " : "", text);
	sessppp_session_cleared(s, r.result);
	session_free(s, "closed by peer");
}

/* §6.13, §6.14: informational. Counted and logged, never a reason to tear
 * anything down, even from the unexpected side. */
static void session_on_wen(struct session *s, struct l2tp_msg *m)
{
	const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_CALL_ERRORS];
	uint32_t e[6] = { 0 };

	s->wen_received++;
	s->t->d->stats.wen_received++;
	if (v->present && v->len >= 26)
		for (int i = 0; i < 6; i++)
			e[i] = (uint32_t)v->value[2 + 4 * i] << 24 | v->value[3 + 4 * i] << 16 |
			       v->value[4 + 4 * i] << 8 | v->value[5 + 4 * i];
	log_info(&s->t->d->log,
		 "wen received session=%u tunnel=%u crc=%u framing=%u hw_overruns=%u "
		 "buffer_overruns=%u timeouts=%u alignment=%u%s",
		 s->id, s->t->id, e[0], e[1], e[2], e[3], e[4], e[5],
		 session_is_lac(s) ? " unexpected=yes" : "");
}

static void session_on_sli(struct session *s, struct l2tp_msg *m)
{
	const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_ACCM];
	uint32_t send = 0, recv = 0;

	s->sli_received++;
	s->t->d->stats.sli_received++;
	if (v->present && v->len >= 10) {
		send = (uint32_t)v->value[2] << 24 | v->value[3] << 16 | v->value[4] << 8 |
		       v->value[5];
		recv = (uint32_t)v->value[6] << 24 | v->value[7] << 16 | v->value[8] << 8 |
		       v->value[9];
	}
	log_info(&s->t->d->log, "sli received session=%u tunnel=%u send_accm=0x%08x recv_accm=0x%08x%s",
		 s->id, s->t->id, send, recv, session_is_lac(s) ? "" : " unexpected=yes");
}

/* §7.4.1, §7.4.2, §7.5.1, §7.5.2 as a table: the expected message per
 * call kind and state. CDN, WEN and SLI are valid in every state. Any
 * other call message is an FSM error: CDN and clean up. */
#define ST(s) (1u << (s))
struct session_event {
	enum session_kind kind;
	unsigned states;
	uint16_t type;
	void (*fn)(struct session *s, struct l2tp_msg *m);
};

static const struct session_event session_events[] = {
	{ SESSION_LAC_IC, ST(SESSION_WAIT_REPLY), L2TP_MSG_ICRP, session_on_icrp },
	{ SESSION_LNS_IC, ST(SESSION_WAIT_CONNECT), L2TP_MSG_ICCN, session_on_iccn },
	{ SESSION_LNS_OC, ST(SESSION_WAIT_REPLY), L2TP_MSG_OCRP, session_on_ocrp },
	{ SESSION_LNS_OC, ST(SESSION_WAIT_CONNECT), L2TP_MSG_OCCN, session_on_occn },
};

void session_input(struct tunnel *t, struct l2tp_msg *m)
{
	struct l2tpd *d = t->d;
	struct session *s;
	char why[96];

	if (m->type == L2TP_MSG_ICRQ) {
		session_on_icrq(t, m);
		return;
	}
	if (m->type == L2TP_MSG_OCRQ) {
		session_on_ocrq(t, m);
		return;
	}
	s = session_find(d, t->id, m->hdr.session_id);
	if (!s) {
		/* §7.4.1/§7.4.2 idle: a reply for no call gets a CDN so the
		 * peer frees its side; anything else is cleaned up quietly. */
		log_ratelimited(&d->log, LOG_LEVEL_INFO,
				"message for unknown session tunnel=%u session=%u type=%s", t->id,
				m->hdr.session_id, l2tp_msg_name(m->type));
		if ((m->type == L2TP_MSG_ICRP || m->type == L2TP_MSG_OCRP) &&
		    l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID))
			session_send_cdn(t, l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID), 0,
					 L2TP_CDN_GENERAL_ERROR, L2TP_ERR_BAD_SESSION_ID,
					 "no such session", -1);
		return;
	}
	switch (m->type) {
	case L2TP_MSG_CDN:
		session_on_cdn(s, m);
		return;
	case L2TP_MSG_WEN:
		session_on_wen(s, m);
		return;
	case L2TP_MSG_SLI:
		session_on_sli(s, m);
		return;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(session_events) / sizeof(session_events[0]); i++) {
		const struct session_event *e = &session_events[i];

		if (e->kind == s->kind && e->type == m->type && (e->states & ST(s->state))) {
			e->fn(s, m);
			return;
		}
	}
	snprintf(why, sizeof(why), "unexpected %s in state %s", l2tp_msg_name(m->type),
		 session_state_name(s->state));
	session_close(s, L2TP_CDN_GENERAL_ERROR, L2TP_ERR_NONE, why, -1);
}

void session_refuse(struct tunnel *t, const struct l2tp_msg *m, uint16_t result, int error,
		    const char *message)
{
	struct session *s = NULL;

	if (m->hdr.session_id)
		s = session_find(t->d, t->id, m->hdr.session_id);
	if (s) {
		if (m->type == L2TP_MSG_CDN)
			session_free(s, "bad CDN from peer"); /* never answer a CDN */
		else
			session_close(s, result, error, message, -1);
		return;
	}
	if (m->avp[L2TP_AVP_ASSIGNED_SESSION_ID].present && m->type != L2TP_MSG_CDN &&
	    l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID))
		session_send_cdn(t, l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID), 0, result, error,
				 message, -1);
}

void session_set_data_cb(struct session *s, session_data_fn fn, void *arg)
{
	s->data_cb = fn;
	s->data_arg = arg;
}

int session_send_data(struct session *s, const void *buf, size_t len)
{
	struct l2tpd *d = s->t->d;

	if (s->state != SESSION_ESTABLISHED || !d->fp)
		return -ENOTCONN;
	/* Through the fast path, so that PPP's frames and the IP it carries
	 * share one Ns counter when sequencing is on. */
	return fastpath_send_frame(d->fp, &s->fp, buf, len);
}

int session_send_wen(struct session *s)
{
	uint8_t buf[SESSION_MSG_MAX];
	uint8_t errors[26] = { 0 };
	struct l2tp_builder b;
	int rc;

	if (!session_is_lac(s))
		return -EINVAL;
	if (s->state != SESSION_ESTABLISHED)
		return -ENOTCONN;
	tunnel_builder(s->t, &b, buf, sizeof(buf), s->peer_id, L2TP_MSG_WEN);
	l2tp_builder_put(&b, L2TP_AVP_CALL_ERRORS, errors, sizeof(errors));
	rc = tunnel_send_msg(s->t, &b, L2TP_MSG_WEN);
	if (rc == 0)
		s->t->d->stats.wen_sent++;
	return rc;
}

int session_send_sli(struct session *s)
{
	uint8_t buf[SESSION_MSG_MAX];
	/* §4.4.6: reserved, send ACCM, receive ACCM: the PPP default (all
	 * control characters escaped) until PPP negotiates one. */
	uint8_t accm[10] = { 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct l2tp_builder b;
	int rc;

	if (session_is_lac(s))
		return -EINVAL;
	if (s->state != SESSION_ESTABLISHED)
		return -ENOTCONN;
	tunnel_builder(s->t, &b, buf, sizeof(buf), s->peer_id, L2TP_MSG_SLI);
	l2tp_builder_put(&b, L2TP_AVP_ACCM, accm, sizeof(accm));
	rc = tunnel_send_msg(s->t, &b, L2TP_MSG_SLI);
	if (rc == 0)
		s->t->d->stats.sli_sent++;
	return rc;
}
