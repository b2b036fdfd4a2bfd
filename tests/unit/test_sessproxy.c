/* Proxy LCP and proxy authentication on the LNS (RFC 2661 §4.4.5, our
 * accept_proxy): an ICCN carrying the proxy AVPs, built and parsed with the
 * codec (hidden ones included), kept by session_proxy_from_msg(), handed to
 * a server PPP link with session_proxy_ppp() and ppp_start_proxy(), as
 * sessppp.c does. The link must open LCP at once and pass the proxied
 * credentials to ops->verify; what it cannot take must leave it untouched
 * so that ppp_start() (renegotiation) still works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/session.h"
#include "l2tp/msg.h"
#include "ppp/chap.h"
#include "ppp/ppp.h"

#define SECRET   "tunnel-secret"
#define USER     "alice"
#define PASSWORD "wonderland"

/* LCP options (RFC 1661 §6): MRU 1400, Auth-Protocol, Magic-Number. */
static const uint8_t lcp_sent_pap[] = { 1, 4, 0x05, 0x78, 3, 4, 0xc0, 0x23,
					5, 6, 0x11, 0x22, 0x33, 0x44 };
static const uint8_t lcp_sent_chap[] = { 1, 4, 0x05, 0x78, 3, 5, 0xc2, 0x23, 5,
					 5, 6, 0x11, 0x22, 0x33, 0x44 };
static const uint8_t lcp_recv[] = { 1, 4, 0x05, 0x78, 5, 6, 0x55, 0x66, 0x77, 0x88 };
static const uint8_t challenge[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

struct link {
	unsigned sent, verified, up, down;
	char user[64];
	bool proxied, ok;
	enum ppp_auth_method method;
	struct ppp *ppp;
};

static void op_send(void *ctx, const uint8_t *frame, size_t len)
{
	(void)frame;
	(void)len;
	((struct link *)ctx)->sent++;
}

static void op_data(void *ctx, uint16_t proto, uint8_t *pkt, size_t len)
{
	(void)ctx;
	(void)proto;
	(void)pkt;
	(void)len;
}

static void op_up(void *ctx, const struct ppp_net *net)
{
	(void)net;
	((struct link *)ctx)->up++;
}

static void op_down(void *ctx, const struct ppp_cause *cause)
{
	(void)cause;
	((struct link *)ctx)->down++;
}

/* What sessppp's verify does with a users file of one line. */
static void op_verify(void *ctx, const struct ppp_auth_request *req)
{
	struct link *l = ctx;

	l->verified++;
	l->method = req->method;
	l->proxied = req->proxied;
	snprintf(l->user, sizeof(l->user), "%.*s", (int)req->user_len, req->user);
	l->ok = !strcmp(l->user, USER) && ppp_auth_check(req, PASSWORD, NULL);
	assert_int_equal(ppp_auth_result(l->ppp, l->ok, l->ok ? "Welcome" : "No", NULL, 1000), 0);
}

static const struct ppp_ops ops = {
	.send = op_send, .data = op_data, .up = op_up, .down = op_down, .verify = op_verify,
};

/* ICCN parts: which proxy AVPs to put in. */
struct iccn {
	const uint8_t *sent;
	size_t sent_len;
	bool recv;
	uint16_t auth_type; /* 0: no proxy authentication AVPs */
	const uint8_t *response;
	size_t response_len;
	bool hide;
};

/* Build the ICCN into buf and parse it back into m, as the tunnel does. */
static void iccn(const struct iccn *c, uint8_t *buf, size_t cap, struct l2tp_msg *m)
{
	struct l2tp_secret sec = { (const uint8_t *)SECRET, strlen(SECRET) };
	struct l2tp_builder b;
	int len;

	l2tp_builder_init(&b, buf, cap, 7, 9, L2TP_MSG_ICCN);
	b.secret = sec;
	l2tp_builder_put_u32(&b, L2TP_AVP_TX_CONNECT_SPEED, 1000000);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_TYPE, 1);
	/* A LAC hides the credentials when it can (§4.3), the rest stays clear. */
	if (c->sent) {
		l2tp_builder_put(&b, L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ, lcp_recv,
				 sizeof(lcp_recv));
		l2tp_builder_put(&b, L2TP_AVP_LAST_SENT_LCP_CONFREQ, c->sent, c->sent_len);
	}
	if (c->recv)
		l2tp_builder_put(&b, L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ, lcp_recv,
				 sizeof(lcp_recv));
	if (c->auth_type) {
		b.hide = c->hide;
		l2tp_builder_put_u16(&b, L2TP_AVP_PROXY_AUTHEN_TYPE, c->auth_type);
		l2tp_builder_put_string(&b, L2TP_AVP_PROXY_AUTHEN_NAME, USER);
		if (c->auth_type == PPP_PROXY_AUTHEN_CHAP)
			l2tp_builder_put(&b, L2TP_AVP_PROXY_AUTHEN_CHALLENGE, challenge,
					 sizeof(challenge));
		l2tp_builder_put_u16(&b, L2TP_AVP_PROXY_AUTHEN_ID, 0x0042);
		l2tp_builder_put(&b, L2TP_AVP_PROXY_AUTHEN_RESPONSE, c->response, c->response_len);
	}
	len = l2tp_builder_finish(&b);
	assert_true(len > 0);
	assert_int_equal(l2tp_msg_parse(buf, (size_t)len, &sec, m), 0);
	assert_int_equal(m->type, L2TP_MSG_ICCN);
}

static struct session_proxy *proxy_of(const struct iccn *c)
{
	uint8_t buf[1024];
	struct l2tp_msg m;
	struct session_proxy *p;

	iccn(c, buf, sizeof(buf), &m);
	p = session_proxy_from_msg(&m);
	/* The values are copies: the datagram buffer is reused at once. */
	memset(buf, 0xee, sizeof(buf));
	return p;
}

static struct ppp *server(struct link *l, struct ppp_config *cfg, enum ppp_auth_method method)
{
	ppp_config_init(cfg, PPP_ROLE_SERVER);
	memset(cfg->auth, PPP_AUTH_NONE, sizeof(cfg->auth));
	cfg->auth[0] = (uint8_t)method;
	memset(l, 0, sizeof(*l));
	l->ppp = ppp_new(cfg, &ops, l);
	assert_non_null(l->ppp);
	return l->ppp;
}

/* PAP, credentials hidden: LCP Opened without a frame, the proxied user
 * verified, on to IPCP. */
static void test_pap_hidden(void **state)
{
	struct iccn c = { lcp_sent_pap, sizeof(lcp_sent_pap), true, PPP_PROXY_AUTHEN_PAP,
			  (const uint8_t *)PASSWORD, strlen(PASSWORD), true };
	struct session_proxy *p = proxy_of(&c);
	struct ppp_config cfg;
	struct ppp_proxy px;
	struct link l;

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->auth_type, PPP_PROXY_AUTHEN_PAP);
	assert_int_equal(p->auth_id, 0x42);
	assert_int_equal(p->len[SESSION_PV_INITIAL_LCP], sizeof(lcp_recv));
	assert_memory_equal(p->val[SESSION_PV_LAST_SENT_LCP], lcp_sent_pap, sizeof(lcp_sent_pap));
	assert_memory_equal(p->val[SESSION_PV_LAST_RECV_LCP], lcp_recv, sizeof(lcp_recv));
	assert_int_equal(p->len[SESSION_PV_AUTH_NAME], strlen(USER));
	assert_memory_equal(p->val[SESSION_PV_AUTH_NAME], USER, strlen(USER));
	assert_memory_equal(p->val[SESSION_PV_AUTH_RESPONSE], PASSWORD, strlen(PASSWORD));
	assert_null(p->val[SESSION_PV_AUTH_CHALLENGE]);

	assert_int_equal(session_proxy_ppp(p, &px), 0);
	server(&l, &cfg, PPP_AUTH_PAP);
	assert_int_equal(ppp_start_proxy(l.ppp, &px, 1000), 0);
	free(p); /* as sessppp does once PPP has started */
	assert_int_equal(ppp_state(l.ppp, PPP_PROTO_LCP), PPP_FSM_OPENED);
	assert_int_equal(l.verified, 1);
	assert_true(l.proxied);
	assert_true(l.ok);
	assert_int_equal(l.method, PPP_AUTH_PAP);
	assert_string_equal(l.user, USER);
	assert_int_equal(ppp_phase(l.ppp), PPP_PHASE_NETWORK);
	assert_int_equal(l.down, 0);
	ppp_free(l.ppp);
}

/* CHAP-MD5: the LAC's Challenge and the peer's Response. */
static void test_chap(void **state)
{
	uint8_t resp[PPP_MD5_LEN];
	struct iccn c = { lcp_sent_chap, sizeof(lcp_sent_chap), true, PPP_PROXY_AUTHEN_CHAP,
			  resp, sizeof(resp), false };
	struct session_proxy *p;
	struct ppp_config cfg;
	struct ppp_proxy px;
	struct link l;

	(void)state;
	ppp_chap_md5(0x42, (const uint8_t *)PASSWORD, strlen(PASSWORD), challenge,
		     sizeof(challenge), resp);
	p = proxy_of(&c);
	assert_non_null(p);
	assert_memory_equal(p->val[SESSION_PV_AUTH_CHALLENGE], challenge, sizeof(challenge));
	assert_int_equal(session_proxy_ppp(p, &px), 0);
	server(&l, &cfg, PPP_AUTH_CHAP_MD5);
	assert_int_equal(ppp_start_proxy(l.ppp, &px, 1000), 0);
	free(p);
	assert_int_equal(l.verified, 1);
	assert_true(l.ok);
	assert_int_equal(l.method, PPP_AUTH_CHAP_MD5);
	assert_int_equal(ppp_phase(l.ppp), PPP_PHASE_NETWORK);
	ppp_free(l.ppp);
}

/* A wrong proxied password: refused like a negotiated one, link down. */
static void test_pap_wrong_password(void **state)
{
	struct iccn c = { lcp_sent_pap, sizeof(lcp_sent_pap), true, PPP_PROXY_AUTHEN_PAP,
			  (const uint8_t *)"guess", 5, false };
	struct session_proxy *p = proxy_of(&c);
	struct ppp_config cfg;
	struct ppp_proxy px;
	struct link l;

	(void)state;
	assert_int_equal(session_proxy_ppp(p, &px), 0);
	server(&l, &cfg, PPP_AUTH_PAP);
	assert_int_equal(ppp_start_proxy(l.ppp, &px, 1000), 0);
	free(p);
	assert_int_equal(l.verified, 1);
	assert_false(l.ok);
	assert_int_not_equal(ppp_phase(l.ppp), PPP_PHASE_NETWORK);
	ppp_free(l.ppp);
}

/* What the LNS cannot take: the link stays as it was, ppp_start() works
 * (sessppp's fallback: renegotiate). */
static void test_fallbacks(void **state)
{
	static const uint8_t truncated[] = { 1, 4, 0x05, 0x78, 3, 9, 0xc0 };
	struct iccn cases[] = {
		/* LCP options cut short (no proxy authentication: the LCP
		 * check is what refuses it) */
		{ truncated, sizeof(truncated), true, 0, NULL, 0, false },
		/* PAP proxied to an LNS that wants CHAP only */
		{ lcp_sent_pap, sizeof(lcp_sent_pap), true, PPP_PROXY_AUTHEN_PAP,
		  (const uint8_t *)PASSWORD, strlen(PASSWORD), false },
		/* MS-CHAPv1: not supported */
		{ lcp_sent_chap, sizeof(lcp_sent_chap), true, PPP_PROXY_AUTHEN_MSCHAPV1,
		  (const uint8_t *)PASSWORD, strlen(PASSWORD), false },
	};
	struct ppp_config cfg;
	struct link l;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct session_proxy *p = proxy_of(&cases[i]);
		struct ppp_proxy px;

		assert_non_null(p);
		assert_int_equal(session_proxy_ppp(p, &px), 0);
		server(&l, &cfg, PPP_AUTH_CHAP_MD5);
		if (ppp_start_proxy(l.ppp, &px, 1000) >= 0)
			fail_msg("case %zu: proxy taken", i);
		free(p);
		assert_int_equal(l.verified, 0);
		assert_int_equal(l.sent, 0);
		assert_int_equal(ppp_state(l.ppp, PPP_PROTO_LCP), PPP_FSM_INITIAL);
		assert_int_equal(ppp_start(l.ppp, 1000), 0);
		assert_int_equal(l.sent, 1); /* our LCP Configure-Request */
		ppp_free(l.ppp);
	}
}

/* Proxy authentication without proxy LCP: nothing to take over. No proxy
 * AVPs at all: nothing kept. */
static void test_incomplete(void **state)
{
	struct iccn auth_only = { NULL, 0, false, PPP_PROXY_AUTHEN_PAP,
				  (const uint8_t *)PASSWORD, strlen(PASSWORD), false };
	struct iccn sent_only = { lcp_sent_pap, sizeof(lcp_sent_pap), false, 0, NULL, 0, false };
	struct iccn none = { NULL, 0, false, 0, NULL, 0, false };
	struct session_proxy *p;
	struct ppp_proxy px;

	(void)state;
	p = proxy_of(&auth_only);
	assert_non_null(p);
	assert_int_equal(session_proxy_ppp(p, &px), -ENOENT);
	free(p);
	p = proxy_of(&sent_only);
	assert_non_null(p);
	assert_int_equal(p->auth_type, 0);
	assert_int_equal(session_proxy_ppp(p, &px), -ENOENT);
	free(p);
	assert_null(proxy_of(&none));
	assert_int_equal(session_proxy_ppp(NULL, &px), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pap_hidden),
		cmocka_unit_test(test_chap),
		cmocka_unit_test(test_pap_wrong_password),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_incomplete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
