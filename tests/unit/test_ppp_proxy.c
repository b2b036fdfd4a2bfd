/* Proxy LCP and proxy authentication from both ends of the link (RFC 2661
 * §4.4.5): a LAC negotiated LCP and PAP or CHAP with the subscriber and
 * passed the result on, so the LNS (a server link) and the subscriber (a
 * client link, as l2tp-bench plays it) both start from the same proxy
 * data. Back to back they must reach IPCP Opened with no LCP
 * Configure-Request/Ack/Nak/Reject and no PAP or CHAP packet on the wire,
 * keep LCP echoes working with the proxied Magic-Numbers, refuse what a
 * client could not have negotiated without changing anything, and follow a
 * server that renegotiates after all. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "ppp/chap.h"
#include "ppp/ppp.h"

#define QLEN      64
#define FRAME_CAP 1600
#define USER      "alice"
#define PASSWORD  "wonderland"

struct frame {
	uint8_t buf[FRAME_CAP];
	size_t len;
};

struct end {
	struct ppp *ppp;
	struct ppp_config cfg;
	struct frame q[QLEN]; /* sent, not yet delivered */
	size_t qhead, qtail;
	uint64_t rng;
	int up4, down, verifies, proxied_verifies;
	unsigned lcp_configure, auth_packets, echo_req, echo_rep; /* frames sent */
	struct ppp_net net4;
};

static struct end srv, cli;
static uint64_t now;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void cb_random(void *ctx, void *buf, size_t len)
{
	struct end *e = ctx;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)xorshift(&e->rng);
}

/* Count what matters at the frame level: the protocol and, for LCP, the
 * code of every frame an end puts on the wire. */
static void cb_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct end *e = ctx;
	size_t off = (len >= 2 && frame[0] == 0xff && frame[1] == 0x03) ? 2 : 0;
	uint16_t proto;
	uint8_t code;

	assert_true(len <= FRAME_CAP && len > off + 2);
	assert_true(e->qtail - e->qhead < QLEN);
	proto = (frame[off] & 1) ? frame[off] : (uint16_t)(frame[off] << 8 | frame[off + 1]);
	off += (frame[off] & 1) ? 1 : 2;
	code = off < len ? frame[off] : 0;
	if (proto == PPP_PROTO_LCP && code >= PPP_CONF_REQ && code <= PPP_CONF_REJ)
		e->lcp_configure++;
	if (proto == PPP_PROTO_LCP && code == PPP_ECHO_REQ)
		e->echo_req++;
	if (proto == PPP_PROTO_LCP && code == PPP_ECHO_REP)
		e->echo_rep++;
	if (proto == PPP_PROTO_PAP || proto == PPP_PROTO_CHAP)
		e->auth_packets++;
	memcpy(e->q[e->qtail % QLEN].buf, frame, len);
	e->q[e->qtail++ % QLEN].len = len;
}

static void cb_data(void *ctx, uint16_t proto, uint8_t *pkt, size_t len)
{
	(void)ctx;
	(void)proto;
	(void)pkt;
	(void)len;
}

static void cb_up(void *ctx, const struct ppp_net *net)
{
	struct end *e = ctx;

	if (net->proto == PPP_PROTO_IPCP) {
		e->up4++;
		e->net4 = *net;
	}
}

static void cb_down(void *ctx, const struct ppp_cause *cause)
{
	(void)cause;
	((struct end *)ctx)->down++;
}

static void cb_verify(void *ctx, const struct ppp_auth_request *req)
{
	struct end *e = ctx;
	uint8_t authresp[PPP_MSCHAPV2_AUTHRESP_LEN];
	bool ok = ppp_auth_check(req, PASSWORD, authresp) && !strcmp(req->user, USER);

	e->verifies++;
	if (req->proxied)
		e->proxied_verifies++;
	ppp_auth_result(e->ppp, ok, NULL, authresp, now);
}

static const struct ppp_ops ops = {
    .send = cb_send,
    .data = cb_data,
    .up = cb_up,
    .down = cb_down,
    .verify = cb_verify,
    .random = cb_random,
};

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* The LNS offers CHAP, MS-CHAPv2 and PAP and keeps the link alive with
 * echoes; the subscriber agrees to one method only. */
static void ends_new(uint8_t client_method)
{
	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	now = 1000;
	srv.rng = 0x1234567;
	cli.rng = 0x89abcdef;
	ppp_config_init(&srv.cfg, PPP_ROLE_SERVER);
	srv.cfg.echo_interval_ms = 10000;
	ppp_config_init(&cli.cfg, PPP_ROLE_CLIENT);
	memset(cli.cfg.auth, PPP_AUTH_NONE, sizeof(cli.cfg.auth));
	cli.cfg.auth[0] = client_method;
	cli.cfg.request_dns = false;
	srv.ppp = ppp_new(&srv.cfg, &ops, &srv);
	cli.ppp = ppp_new(&cli.cfg, &ops, &cli);
	assert_non_null(srv.ppp);
	assert_non_null(cli.ppp);
	ppp_set_ipv4(srv.ppp, ip("10.0.0.1"), ip("10.0.0.2"));
	ppp_set_credentials(cli.ppp, USER, PASSWORD);
}

static void ends_free(void)
{
	ppp_free(srv.ppp);
	ppp_free(cli.ppp);
}

/* Deliver every queued frame both ways, and run the timers, until quiet. */
static void run(void)
{
	for (int guard = 0; guard < 1000; guard++) {
		bool moved = false;

		while (srv.qhead != srv.qtail) {
			struct frame *f = &srv.q[srv.qhead++ % QLEN];

			ppp_input(cli.ppp, f->buf, f->len, now);
			moved = true;
		}
		while (cli.qhead != cli.qtail) {
			struct frame *f = &cli.q[cli.qhead++ % QLEN];

			ppp_input(srv.ppp, f->buf, f->len, now);
			moved = true;
		}
		if (!moved)
			return;
	}
	fail_msg("the two ends never went quiet");
}

/* LCP options (RFC 1661 §6) as the LAC would report them. */
static const uint8_t lac_req_pap[] = {1,    4, 0x05, 0xd4, 3,    4,    0xc0,
                                      0x23, 5, 6,    0x11, 0x22, 0x33, 0x44};
static const uint8_t lac_req_chap[] = {1,    4, 0x05, 0xd4, 3,    5,    0xc2, 0x23,
                                       0x05, 5, 6,    0x11, 0x22, 0x33, 0x44};
static const uint8_t subscriber_req[] = {1, 4, 0x05, 0xd4, 5, 6, 0x55, 0x66, 0x77, 0x88};
static const uint8_t challenge[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};

static void proxy_pap(struct ppp_proxy *px)
{
	memset(px, 0, sizeof(*px));
	px->lcp_sent = lac_req_pap;
	px->lcp_sent_len = sizeof(lac_req_pap);
	px->lcp_recv = subscriber_req;
	px->lcp_recv_len = sizeof(subscriber_req);
	px->auth_type = PPP_PROXY_AUTHEN_PAP;
	px->auth_name = (const uint8_t *)USER;
	px->auth_name_len = strlen(USER);
	px->auth_id = 1;
	px->auth_response = (const uint8_t *)PASSWORD;
	px->auth_response_len = strlen(PASSWORD);
}

static void proxy_chap(struct ppp_proxy *px, uint8_t response[PPP_MD5_LEN])
{
	proxy_pap(px);
	px->lcp_sent = lac_req_chap;
	px->lcp_sent_len = sizeof(lac_req_chap);
	px->auth_type = PPP_PROXY_AUTHEN_CHAP;
	px->auth_id = 0x42;
	px->auth_challenge = challenge;
	px->auth_challenge_len = sizeof(challenge);
	ppp_chap_md5(px->auth_id, (const uint8_t *)PASSWORD, strlen(PASSWORD), challenge,
	             sizeof(challenge), response);
	px->auth_response = response;
	px->auth_response_len = PPP_MD5_LEN;
}

static void assert_ipcp_without_lcp_or_auth(void)
{
	assert_int_equal(ppp_state(srv.ppp, PPP_PROTO_IPCP), PPP_FSM_OPENED);
	assert_int_equal(ppp_state(cli.ppp, PPP_PROTO_IPCP), PPP_FSM_OPENED);
	assert_int_equal(srv.up4, 1);
	assert_int_equal(cli.up4, 1);
	assert_int_equal(cli.net4.local.s_addr, ip("10.0.0.2").s_addr);
	assert_int_equal(cli.net4.peer.s_addr, ip("10.0.0.1").s_addr);
	assert_int_equal(srv.lcp_configure + cli.lcp_configure, 0);
	assert_int_equal(srv.auth_packets + cli.auth_packets, 0);
	assert_int_equal(srv.down + cli.down, 0);
	assert_int_equal(ppp_phase(cli.ppp), PPP_PHASE_NETWORK);
}

static void test_pap_proxy_both_ends(void **state)
{
	struct ppp_proxy px;

	(void)state;
	ends_new(PPP_AUTH_PAP);
	proxy_pap(&px);
	assert_int_equal(ppp_start_proxy(srv.ppp, &px, now), 0);
	assert_int_equal(ppp_start_proxy(cli.ppp, &px, now), 0);
	assert_int_equal(srv.proxied_verifies, 1);
	/* Both sides know the method the LAC settled on. */
	assert_int_equal(ppp_auth_method(srv.ppp), PPP_AUTH_PAP);
	assert_int_equal(ppp_auth_method(cli.ppp), PPP_AUTH_PAP);
	run();
	assert_ipcp_without_lcp_or_auth();
	/* The subscriber took the MRU the LAC asked of it. */
	assert_int_equal(cli.net4.peer_mru, 1492);
	ends_free();
}

static void test_chap_proxy_both_ends(void **state)
{
	struct ppp_proxy px;
	uint8_t response[PPP_MD5_LEN];

	(void)state;
	ends_new(PPP_AUTH_CHAP_MD5);
	proxy_chap(&px, response);
	assert_int_equal(ppp_start_proxy(cli.ppp, &px, now), 0);
	assert_int_equal(ppp_start_proxy(srv.ppp, &px, now), 0);
	assert_int_equal(srv.proxied_verifies, 1);
	run();
	assert_ipcp_without_lcp_or_auth();
	ends_free();
}

/* Keepalives across a proxied link: the server's Echo-Requests are answered
 * with the subscriber's proxied Magic-Number, which the server expects, and
 * none of this is a configure packet. */
static void test_echo_after_proxy(void **state)
{
	struct ppp_proxy px;

	(void)state;
	ends_new(PPP_AUTH_PAP);
	proxy_pap(&px);
	assert_int_equal(ppp_start_proxy(srv.ppp, &px, now), 0);
	assert_int_equal(ppp_start_proxy(cli.ppp, &px, now), 0);
	run();
	for (int i = 0; i < 5; i++) {
		now += srv.cfg.echo_interval_ms;
		ppp_tick(srv.ppp, now);
		ppp_tick(cli.ppp, now);
		run();
	}
	assert_int_equal(srv.echo_req, 5);
	assert_int_equal(cli.echo_rep, 5);
	assert_int_equal(cli.echo_req, 0); /* no keepalive of its own */
	assert_ipcp_without_lcp_or_auth();
	ends_free();
}

/* A client never asks its server to authenticate, and agrees only to its
 * methods: such proxy data is refused and the link is as before, so the
 * owner can still negotiate. */
static void test_client_refusals_change_nothing(void **state)
{
	static const uint8_t subscriber_wants_auth[] = {3, 4, 0xc0, 0x23, 5, 6, 1, 2, 3, 4};
	struct ppp_proxy px;
	uint8_t response[PPP_MD5_LEN];

	(void)state;
	ends_new(PPP_AUTH_PAP);
	proxy_chap(&px, response);
	assert_int_equal(ppp_start_proxy(cli.ppp, &px, now), -EPROTO);
	proxy_pap(&px);
	px.lcp_recv = subscriber_wants_auth;
	px.lcp_recv_len = sizeof(subscriber_wants_auth);
	assert_int_equal(ppp_start_proxy(cli.ppp, &px, now), -EPROTO);
	assert_int_equal(ppp_state(cli.ppp, PPP_PROTO_LCP), PPP_FSM_INITIAL);
	assert_int_equal(ppp_phase(cli.ppp), PPP_PHASE_DEAD);
	assert_int_equal(cli.qtail, 0);
	/* Negotiation still works from scratch. */
	assert_int_equal(ppp_start(cli.ppp, now), 0);
	assert_int_equal(ppp_start(srv.ppp, now), 0);
	run();
	assert_int_equal(ppp_state(cli.ppp, PPP_PROTO_IPCP), PPP_FSM_OPENED);
	assert_int_equal(ppp_auth_method(srv.ppp), PPP_AUTH_PAP);
	assert_true(cli.lcp_configure > 0 && cli.auth_packets > 0);
	ends_free();
}

/* An LNS that does not take proxy LCP negotiates from the start: the
 * proxied client, in Opened, renegotiates with it (RFC 1661 RCR in Opened)
 * and authenticates itself, and IPCP opens once, after that. */
static void test_server_renegotiates(void **state)
{
	struct ppp_proxy px;

	(void)state;
	ends_new(PPP_AUTH_PAP);
	proxy_pap(&px);
	assert_int_equal(ppp_start_proxy(cli.ppp, &px, now), 0);
	assert_int_equal(ppp_start(srv.ppp, now), 0);
	run();
	assert_int_equal(ppp_state(cli.ppp, PPP_PROTO_IPCP), PPP_FSM_OPENED);
	assert_int_equal(ppp_state(srv.ppp, PPP_PROTO_IPCP), PPP_FSM_OPENED);
	assert_int_equal(srv.verifies, 1);
	assert_int_equal(srv.proxied_verifies, 0);
	assert_int_equal(srv.up4, 1);
	assert_true(srv.lcp_configure > 0 && cli.lcp_configure > 0);
	assert_true(cli.auth_packets > 0);
	ends_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pap_proxy_both_ends),
	    cmocka_unit_test(test_chap_proxy_both_ends),
	    cmocka_unit_test(test_echo_after_proxy),
	    cmocka_unit_test(test_client_refusals_change_nothing),
	    cmocka_unit_test(test_server_renegotiates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
