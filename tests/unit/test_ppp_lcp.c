/* LCP at the link level, one link against a peer played by hand: option
 * judgements, Protocol-Reject both ways, Echo, Magic-Number loops,
 * compressed headers, malformed frames, and proxy LCP and authentication
 * from a LAC (RFC 2661 §4.4.5). */
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
#include "ppp/internal.h"
#include "ppp/ppp.h"
#include "ppp_hand_peer.h"

/* The last request verified; its pointers are valid in the call only,
 * so the name is kept. */
static struct ppp_auth_request verified;
static char verified_user[256];

static void cb_verify(const struct ppp_auth_request *req)
{
	uint8_t authresp[20];
	bool ok;

	verified = *req;
	snprintf(verified_user, sizeof(verified_user), "%s", req->user);
	verified.user = verified_user;
	ok = ppp_auth_check(req, h.secret, authresp);
	assert_true(req->proxied);
	ppp_auth_result(h.ppp, ok, NULL, authresp, h.now);
}

/* The hand-played peer, answering authentication with cb_verify. */
static void lcp_init(enum ppp_role role)
{
	ph_init(role);
	h.verify = cb_verify;
}

static const uint8_t magic_opt[] = {PPP_LCP_OPT_MAGIC, 6, 0x01, 0x02, 0x03, 0x04};

static void test_protocol_reject_sent(void **state)
{
	uint8_t big[1800];
	static const uint8_t mru200[] = {PPP_LCP_OPT_MRU, 4, 0, 200};
	const uint8_t *p;
	size_t len;

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	ph_new();
	ppp_start(h.ppp, h.now);
	/* §5.7: only in Opened; dropped before */
	ph_peer_send(0x80fd, PPP_CONF_REQ, 1, NULL, 0);
	assert_null(ph_sent(PPP_PROTO_LCP, PPP_PROTO_REJ, NULL));
	assert_int_equal(ppp_stats(h.ppp)->rx_discarded, 1);
	ph_free();

	lcp_init(PPP_ROLE_SERVER);
	ph_new();
	ph_lcp_up(mru200, sizeof(mru200));
	ph_peer_send(0x80fd, PPP_CONF_REQ, 7, "\x11\x22", 2); /* CCP */
	p = ph_sent(PPP_PROTO_LCP, PPP_PROTO_REJ, &len);
	assert_non_null(p);
	assert_int_equal(len, 4 + 2 + 6);
	assert_int_equal(ppp_get16(p + 4), 0x80fd);
	assert_memory_equal(p + 6, "\x01\x07\x00\x06\x11\x22", 6);
	assert_int_equal(ppp_stats(h.ppp)->rx_proto_rejected, 1);
	/* truncated to the peer's MRU, with a new Identifier each time */
	memset(big, 0x5a, sizeof(big));
	ph_peer_send(0x4021, 1, 1, big, sizeof(big));
	p = ph_sent(PPP_PROTO_LCP, PPP_PROTO_REJ, &len);
	assert_int_equal(len, 200);
	assert_int_equal(ppp_get16(p + 2), 200);
	assert_int_equal(ppp_get16(p + 4), 0x4021);
	assert_int_equal(ph_count(PPP_PROTO_LCP, PPP_PROTO_REJ), 2);
	/* IPV6CP while disabled: rejected as well */
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_REQ, 1, NULL, 0);
	p = ph_sent(PPP_PROTO_LCP, PPP_PROTO_REJ, &len);
	assert_int_equal(ppp_get16(p + 4), PPP_PROTO_IPV6CP);
	assert_int_equal(h.down, 0);
	ph_free();
}

/* A Protocol-Reject of an NCP stops that NCP, not the link; with no NCP
 * left the link ends with RFC 3145 code 18. */
static void test_protocol_reject_received(void **state)
{
	uint8_t rej[2];

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	h.cfg.ipv6 = true;
	ph_new();
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	assert_non_null(ph_sent(PPP_PROTO_IPCP, PPP_CONF_REQ, NULL));
	assert_non_null(ph_sent(PPP_PROTO_IPV6CP, PPP_CONF_REQ, NULL));
	ppp_put16(rej, PPP_PROTO_IPV6CP);
	ph_peer_send(PPP_PROTO_LCP, PPP_PROTO_REJ, 3, rej, 2);
	assert_int_equal(ppp_state(h.ppp, PPP_PROTO_IPV6CP), PPP_FSM_STOPPED);
	assert_int_equal(ppp_state(h.ppp, PPP_PROTO_LCP), PPP_FSM_OPENED);
	assert_int_equal(h.down, 0);
	/* IPCP still comes up */
	ph_peer_ack(PPP_PROTO_IPCP);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 1, "\x03\x06\x0a\x00\x00\x02", 6);
	assert_int_equal(h.up4, 1);
	/* then IPCP rejected too: nothing left to carry */
	ppp_put16(rej, PPP_PROTO_IPCP);
	ph_peer_send(PPP_PROTO_LCP, PPP_PROTO_REJ, 4, rej, 2);
	assert_int_equal(h.ncp_down, 1);
	assert_int_equal(ppp_phase(h.ppp), PPP_PHASE_NETWORK); /* IPCP Stopping first */
	h.now += 3000;
	ppp_tick(h.ppp, h.now); /* IPCP Terminate-Request, again rejected */
	ph_peer_send(PPP_PROTO_LCP, PPP_PROTO_REJ, 5, rej, 2);
	assert_int_equal(ppp_phase(h.ppp), PPP_PHASE_TERMINATE);
	assert_non_null(ph_sent(PPP_PROTO_LCP, PPP_TERM_REQ, NULL));
	ph_peer_send(PPP_PROTO_LCP, PPP_TERM_ACK, 1, NULL, 0);
	assert_int_equal(h.down, 1);
	assert_int_equal(h.cause.code, PPP_CAUSE_NO_NCP);
	ph_free();

	/* A Protocol-Reject of LCP itself is catastrophic (RXJ-). */
	lcp_init(PPP_ROLE_SERVER);
	ph_new();
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	ppp_put16(rej, PPP_PROTO_LCP);
	ph_peer_send(PPP_PROTO_LCP, PPP_PROTO_REJ, 3, rej, 2);
	assert_int_equal(ppp_state(h.ppp, PPP_PROTO_LCP), PPP_FSM_STOPPING);
	ph_free();
}

/* §5.8: an Echo-Reply with our Magic-Number and the peer's data; nothing
 * before Opened. A peer's Echo carrying our own number: a loop (code 7). */
static void test_echo(void **state)
{
	uint8_t data[8] = {0x01, 0x02, 0x03, 0x04, 'p', 'i', 'n', 'g'};
	const uint8_t *p;
	size_t len;

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	ph_new();
	ppp_start(h.ppp, h.now);
	ph_peer_send(PPP_PROTO_LCP, PPP_ECHO_REQ, 0x77, data, sizeof(data));
	assert_null(ph_sent(PPP_PROTO_LCP, PPP_ECHO_REP, NULL));
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	ph_peer_send(PPP_PROTO_LCP, PPP_ECHO_REQ, 0x77, data, sizeof(data));
	p = ph_sent(PPP_PROTO_LCP, PPP_ECHO_REP, &len);
	assert_non_null(p);
	assert_int_equal(p[1], 0x77);
	assert_int_equal(len, 12);
	assert_int_equal(ppp_get32(p + 4), h.ppp->lcp.magic);
	assert_memory_equal(p + 8, "ping", 4);
	/* too short for a Magic-Number: dropped */
	ph_peer_send(PPP_PROTO_LCP, PPP_ECHO_REQ, 0x78, data, 3);
	assert_int_equal(ph_sent(PPP_PROTO_LCP, PPP_ECHO_REP, NULL)[1], 0x77);
	/* our own number: looped back */
	ppp_put32(data, h.ppp->lcp.magic);
	ph_peer_send(PPP_PROTO_LCP, PPP_ECHO_REQ, 0x79, data, sizeof(data));
	assert_int_equal(ppp_phase(h.ppp), PPP_PHASE_TERMINATE);
	assert_int_equal(h.ppp->cause.code, PPP_CAUSE_LOOPBACK);
	ph_free();
}

/* §6.4: a link wired to itself sees its own Configure-Requests; the
 * Magic-Number Naks come back too, and the loop is detected. */
static void test_magic_loopback(void **state)
{
	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	ph_new();
	ppp_start(h.ppp, h.now);
	for (int i = 0; i < PH_MAX_OUT - 1 && !h.down; i++) {
		if (i < h.nout) {
			struct ph_frame f = h.out[i];

			ppp_input(h.ppp, f.buf, f.len, h.now);
		} else {
			h.now = ppp_next_deadline(h.ppp);
			ppp_tick(h.ppp, h.now);
		}
	}
	assert_int_equal(h.down, 1);
	assert_int_equal(h.cause.code, PPP_CAUSE_LOOPBACK);
	assert_int_equal(h.cause.proto, PPP_PROTO_LCP);
	ph_free();
}

/* RFC 1661 §6.5, §6.6, RFC 1662 §3.2: the peer's PFC and ACFC shorten our
 * data headers; LCP keeps the full header; compressed frames are read. */
static void test_compression(void **state)
{
	static const uint8_t opts[] = {PPP_LCP_OPT_PFC, 2, PPP_LCP_OPT_ACFC, 2};
	uint8_t hdr[4], frame[16];

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	ph_new();
	assert_int_equal(ppp_data_header(h.ppp, PPP_PROTO_IP, hdr), 4);
	assert_memory_equal(hdr, "\xff\x03\x00\x21", 4);
	ph_lcp_up(opts, sizeof(opts));
	assert_int_equal(ppp_data_header(h.ppp, PPP_PROTO_IP, hdr), 1);
	assert_int_equal(hdr[0], 0x21);
	assert_int_equal(ppp_data_header(h.ppp, PPP_PROTO_IPV6, hdr), 1);
	assert_int_equal(hdr[0], 0x57);
	/* IPCP's request went out without Address and Control */
	assert_int_equal(h.out[h.nout - 1].buf[0], 0x80);
	/* LCP never compressed */
	ph_peer_send(PPP_PROTO_LCP, PPP_ECHO_REQ, 1, "\0\0\0\0", 4);
	assert_memory_equal(h.out[h.nout - 1].buf, "\xff\x03\xc0\x21", 4);
	/* IPCP up, then an IPv4 packet with a one-octet header */
	ph_peer_ack(PPP_PROTO_IPCP);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 1, "\x03\x06\x0a\x00\x00\x02", 6);
	assert_int_equal(h.up4, 1);
	memcpy(frame, "\x21\x45\x00", 3);
	ppp_input(h.ppp, frame, 3, h.now);
	memcpy(frame, "\x00\x21\x45\x00", 4);
	ppp_input(h.ppp, frame, 4, h.now);
	memcpy(frame, "\xff\x03\x21\x45", 4);
	ppp_input(h.ppp, frame, 4, h.now);
	assert_int_equal(h.data, 3);
	ph_free();
}

/* Frames from the network are never trusted. */
static void test_malformed_frames(void **state)
{
	static const uint8_t bad[][6] = {
	    {0xff, 0x03},             /* nothing after Address/Control */
	    {0x00},                   /* a Protocol cut short */
	    {0x02, 0x02, 0x00},       /* even low octet: not a Protocol */
	    {0xff, 0x03, 0x00},       /* Protocol cut short after Address/Control */
	    {0xc0, 0x21, 1, 1, 0, 9}, /* LCP Length past the end */
	    {0xc0, 0x21, 1, 1, 0, 2}, /* LCP Length under the header */
	};
	static const size_t lens[] = {2, 1, 3, 3, 6, 6};
	uint8_t f[8];
	int nout;

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	ph_new();
	ppp_input(h.ppp, f, 0, h.now); /* not started: discarded */
	ppp_start(h.ppp, h.now);
	nout = h.nout;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(f, bad[i], lens[i]);
		ppp_input(h.ppp, f, lens[i], h.now);
	}
	ppp_input(h.ppp, f, 0, h.now);
	assert_int_equal(ppp_stats(h.ppp)->rx_malformed, 7);
	assert_int_equal(h.nout, nout);
	/* IP before IPCP is Opened: counted, not delivered */
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	memcpy(f, "\x00\x21\x45\x00", 4);
	ppp_input(h.ppp, f, 4, h.now);
	assert_int_equal(h.data, 0);
	assert_int_equal(ppp_stats(h.ppp)->rx_data_dropped, 1);
	ph_free();
}

/* The server judges the peer's LCP options. */
static void test_server_lcp_options(void **state)
{
	static const uint8_t req[] = {PPP_LCP_OPT_MRU,
	                              4,
	                              0,
	                              64,
	                              PPP_LCP_OPT_ACCM,
	                              6,
	                              0,
	                              0,
	                              0,
	                              0,
	                              PPP_LCP_OPT_MAGIC,
	                              6,
	                              0,
	                              0,
	                              0,
	                              0};
	static const uint8_t req2[] = {PPP_LCP_OPT_MAGIC, 6, 1,    2,   3, 4, 13, 3, 6,
	                               PPP_LCP_OPT_AUTH,  4, 0xc0, 0x23};
	const uint8_t *p;
	size_t len;

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	h.cfg.auth[0] = PPP_AUTH_MSCHAPV2;
	ph_new();
	ppp_start(h.ppp, h.now);
	/* our request offers MS-CHAPv2: c223, algorithm 0x81 */
	p = ph_sent(PPP_PROTO_LCP, PPP_CONF_REQ, &len);
	assert_memory_equal(p + 4, "\x03\x05\xc2\x23\x81", 5);
	/* MRU too small and Magic-Number zero: Nak'd; ACCM accepted */
	ph_peer_send(PPP_PROTO_LCP, PPP_CONF_REQ, 1, req, sizeof(req));
	p = ph_sent(PPP_PROTO_LCP, PPP_CONF_NAK, &len);
	assert_non_null(p);
	assert_int_equal(len, 4 + 4 + 6);
	assert_memory_equal(p + 4, "\x01\x04\x00\x80\x05\x06", 6);
	assert_int_not_equal(ppp_get32(p + 10), 0);
	/* Callback and a request that we authenticate: rejected, in order */
	ph_peer_send(PPP_PROTO_LCP, PPP_CONF_REQ, 2, req2, sizeof(req2));
	p = ph_sent(PPP_PROTO_LCP, PPP_CONF_REJ, &len);
	assert_int_equal(len, 4 + 3 + 4);
	assert_memory_equal(p + 4, "\x0d\x03\x06\x03\x04\xc0\x23", 7);
	ph_free();
}

/* The client takes the method the server asks for if it may, and Naks with
 * its own preference otherwise (§6.2). */
static void test_client_auth_option(void **state)
{
	static const uint8_t chap[] = {PPP_LCP_OPT_AUTH, 5, 0xc2, 0x23, 0x05};
	static const uint8_t mschap[] = {PPP_LCP_OPT_AUTH, 5, 0xc2, 0x23, 0x81};
	static const uint8_t eap[] = {PPP_LCP_OPT_AUTH, 4, 0xc2, 0x27};
	const uint8_t *p;
	size_t len;

	(void)state;
	lcp_init(PPP_ROLE_CLIENT);
	h.cfg.auth[0] = PPP_AUTH_MSCHAPV2;
	ph_new();
	ppp_start(h.ppp, h.now);
	ph_peer_send(PPP_PROTO_LCP, PPP_CONF_REQ, 1, chap, sizeof(chap));
	p = ph_sent(PPP_PROTO_LCP, PPP_CONF_NAK, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(p + 4, mschap, sizeof(mschap));
	ph_peer_send(PPP_PROTO_LCP, PPP_CONF_REQ, 2, eap, sizeof(eap));
	assert_int_equal(ph_count(PPP_PROTO_LCP, PPP_CONF_NAK), 2);
	ph_peer_send(PPP_PROTO_LCP, PPP_CONF_REQ, 3, mschap, sizeof(mschap));
	assert_non_null(ph_sent(PPP_PROTO_LCP, PPP_CONF_ACK, NULL));
	assert_int_equal(ppp_auth_method(h.ppp), PPP_AUTH_MSCHAPV2);
	ph_free();

	/* without credentials the option is rejected */
	lcp_init(PPP_ROLE_CLIENT);
	h.cfg.auth[0] = PPP_AUTH_MSCHAPV2;
	h.ppp = ppp_new(&h.cfg, &ph_ops, NULL);
	ppp_start(h.ppp, h.now);
	ph_peer_send(PPP_PROTO_LCP, PPP_CONF_REQ, 1, mschap, sizeof(mschap));
	assert_non_null(ph_sent(PPP_PROTO_LCP, PPP_CONF_REJ, NULL));
	ph_free();
}

/* ---- proxy LCP and authentication (RFC 2661 §4.4.5) ------------------ */

static const uint8_t lac_sent[] = {PPP_LCP_OPT_MRU,
                                   4,
                                   0x05,
                                   0xd4,
                                   PPP_LCP_OPT_AUTH,
                                   5,
                                   0xc2,
                                   0x23,
                                   0x05,
                                   PPP_LCP_OPT_MAGIC,
                                   6,
                                   0x11,
                                   0x22,
                                   0x33,
                                   0x44};
static const uint8_t lac_recv[] = {PPP_LCP_OPT_ACCM,
                                   6,
                                   0,
                                   0,
                                   0,
                                   0,
                                   PPP_LCP_OPT_MAGIC,
                                   6,
                                   0x55,
                                   0x66,
                                   0x77,
                                   0x88,
                                   PPP_LCP_OPT_PFC,
                                   2,
                                   PPP_LCP_OPT_ACFC,
                                   2};

static void proxy_chap(struct ppp_proxy *px, uint8_t *resp, const char *password)
{
	static const uint8_t chal[16] = "0123456789abcdef";

	memset(px, 0, sizeof(*px));
	px->lcp_sent = lac_sent;
	px->lcp_sent_len = sizeof(lac_sent);
	px->lcp_recv = lac_recv;
	px->lcp_recv_len = sizeof(lac_recv);
	px->auth_type = PPP_PROXY_AUTHEN_CHAP;
	px->auth_name = (const uint8_t *)"alice";
	px->auth_name_len = 5;
	px->auth_challenge = chal;
	px->auth_challenge_len = sizeof(chal);
	px->auth_id = 9;
	ppp_chap_md5(9, (const uint8_t *)password, strlen(password), chal, sizeof(chal), resp);
	px->auth_response = resp;
	px->auth_response_len = 16;
}

static void test_proxy_accepted(void **state)
{
	struct ppp_proxy px;
	uint8_t resp[16], hdr[4];

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	h.cfg.auth[0] = PPP_AUTH_CHAP_MD5;
	ph_new();
	proxy_chap(&px, resp, "wonderland");
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), 0);
	/* no LCP negotiation, straight to IPCP */
	assert_int_equal(ph_count(PPP_PROTO_LCP, PPP_CONF_REQ), 0);
	assert_int_equal(ppp_state(h.ppp, PPP_PROTO_LCP), PPP_FSM_OPENED);
	assert_int_equal(h.verifies, 1);
	assert_string_equal(verified.user, "alice");
	assert_int_equal(verified.id, 9);
	assert_int_equal(ppp_phase(h.ppp), PPP_PHASE_NETWORK);
	assert_non_null(ph_sent(PPP_PROTO_IPCP, PPP_CONF_REQ, NULL));
	/* the negotiated values hold: the peer's PFC/ACFC, our magic, MRU */
	assert_int_equal(ppp_data_header(h.ppp, PPP_PROTO_IP, hdr), 1);
	assert_int_equal(h.ppp->lcp.magic, 0x11223344);
	assert_int_equal(h.ppp->lcp.peer_magic, 0x55667788);
	assert_int_equal(h.ppp->lcp.mru, 1492);
	assert_int_equal(ppp_auth_method(h.ppp), PPP_AUTH_CHAP_MD5);
	ph_free();

	/* no proxy authentication: we challenge ourselves, with the method
	 * the LAC negotiated */
	lcp_init(PPP_ROLE_SERVER);
	h.cfg.auth[0] = PPP_AUTH_CHAP_MD5;
	ph_new();
	proxy_chap(&px, resp, "wonderland");
	px.auth_type = PPP_PROXY_AUTHEN_NONE_GIVEN;
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), 0);
	assert_non_null(ph_sent(PPP_PROTO_CHAP, PPP_CHAP_CHALLENGE, NULL));
	ph_free();

	/* proxied credentials that do not check out: code 16 */
	lcp_init(PPP_ROLE_SERVER);
	h.cfg.auth[0] = PPP_AUTH_CHAP_MD5;
	ph_new();
	proxy_chap(&px, resp, "looking-glass");
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), 0);
	assert_int_equal(ppp_phase(h.ppp), PPP_PHASE_TERMINATE);
	assert_int_equal(h.ppp->cause.code, PPP_CAUSE_AUTH_FAILED);
	assert_null(ph_sent(PPP_PROTO_CHAP, PPP_CHAP_FAILURE, NULL)); /* the LAC spoke for us */
	ph_free();
}

static void test_proxy_rejected(void **state)
{
	static const uint8_t callback[] = {13, 3, 6};
	static const uint8_t wants_auth[] = {PPP_LCP_OPT_AUTH, 4, 0xc0, 0x23};
	static const uint8_t same_magic[] = {PPP_LCP_OPT_MAGIC, 6, 0x11, 0x22, 0x33, 0x44};
	static const uint8_t truncated[] = {PPP_LCP_OPT_MRU, 4, 0x05};
	static const uint8_t pap_sent[] = {PPP_LCP_OPT_AUTH, 4, 0xc0, 0x23};
	struct ppp_proxy px;
	uint8_t resp[16];

	(void)state;
	lcp_init(PPP_ROLE_SERVER);
	h.cfg.auth[0] = PPP_AUTH_CHAP_MD5;
	ph_new();
	proxy_chap(&px, resp, "wonderland");
	px.lcp_recv = callback;
	px.lcp_recv_len = sizeof(callback);
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), -EPROTO);
	px.lcp_recv = wants_auth; /* the peer wants us to authenticate */
	px.lcp_recv_len = sizeof(wants_auth);
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), -EPROTO);
	px.lcp_recv = same_magic; /* the LAC saw a loop */
	px.lcp_recv_len = sizeof(same_magic);
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), -EPROTO);
	px.lcp_recv = truncated;
	px.lcp_recv_len = sizeof(truncated);
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), -EINVAL);
	px.lcp_recv = lac_recv;
	px.lcp_recv_len = sizeof(lac_recv);
	px.lcp_sent = pap_sent; /* a method we do not accept */
	px.lcp_sent_len = sizeof(pap_sent);
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), -EPROTO);
	px.lcp_sent = lac_sent;
	px.lcp_sent_len = sizeof(lac_sent);
	px.auth_type = PPP_PROXY_AUTHEN_MSCHAPV1;
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), -ENOTSUP);
	px.auth_type = PPP_PROXY_AUTHEN_CHAP;
	px.auth_response_len = 15;
	assert_int_equal(ppp_start_proxy(h.ppp, &px, h.now), -EINVAL);
	/* nothing changed: a normal start still works */
	assert_int_equal(h.nout, 0);
	assert_int_equal(h.verifies, 0);
	assert_int_equal(ppp_state(h.ppp, PPP_PROTO_LCP), PPP_FSM_INITIAL);
	assert_int_equal(ppp_start(h.ppp, h.now), 0);
	assert_int_equal(ph_count(PPP_PROTO_LCP, PPP_CONF_REQ), 1);
	assert_int_not_equal(h.ppp->lcp.magic, 0x11223344);
	ph_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_protocol_reject_sent),
	    cmocka_unit_test(test_protocol_reject_received),
	    cmocka_unit_test(test_echo),
	    cmocka_unit_test(test_magic_loopback),
	    cmocka_unit_test(test_compression),
	    cmocka_unit_test(test_malformed_frames),
	    cmocka_unit_test(test_server_lcp_options),
	    cmocka_unit_test(test_client_auth_option),
	    cmocka_unit_test(test_proxy_accepted),
	    cmocka_unit_test(test_proxy_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
