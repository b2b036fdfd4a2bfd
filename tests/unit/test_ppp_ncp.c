/* IPCP (RFC 1332, RFC 1877) and IPV6CP (RFC 5072) option by option, one
 * link against a peer played by hand, as server and as client. */
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

#include "ppp/internal.h"
#include "ppp/ppp.h"
#include "ppp_hand_peer.h"

static const uint8_t magic_opt[] = {PPP_LCP_OPT_MAGIC, 6, 0x01, 0x02, 0x03, 0x04};

#define ADDR(a, b, c, d) a, b, c, d

/* LCP up, and the frames sent so far forgotten, but for the NCP request. */
static void ncp_start(enum ppp_role role, bool v4, bool v6)
{
	ph_init(role);
	h.cfg.ipv4 = v4;
	h.cfg.ipv6 = v6;
	h.cfg.dns[0] = ph_ip("10.0.0.53");
	h.cfg.dns[1] = ph_ip("10.0.0.54");
}

/* The request, reply code and options of an exchange with the link. */
static const uint8_t *reply(uint16_t proto, uint8_t code, size_t *olen)
{
	size_t len;
	const uint8_t *p = ph_sent(proto, code, &len);

	assert_non_null(p);
	*olen = len - 4;
	return p + 4;
}

static void test_ipcp_server(void **state)
{
	static const uint8_t ask_all[] = {3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0};
	static const uint8_t nak_all[] = {3,   6, ADDR(10, 0, 0, 2), 129, 6, ADDR(10, 0, 0, 53),
	                                  131, 6, ADDR(10, 0, 0, 54)};
	static const uint8_t ask_other[] = {3, 6, ADDR(10, 9, 9, 9)};
	static const uint8_t vj[] = {3, 6, ADDR(10, 0, 0, 2), 2, 6, 0x00, 0x2d, 15, 1};
	static const uint8_t nbns[] = {130, 6, 0, 0, 0, 0, 3, 6, ADDR(10, 0, 0, 2)};
	static const uint8_t good[] = {3, 6, ADDR(10, 0, 0, 2), 129, 6, ADDR(10, 0, 0, 53)};
	const uint8_t *o;
	size_t n;

	(void)state;
	ncp_start(PPP_ROLE_SERVER, true, false);
	ph_new();
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_REQ, &n);
	assert_int_equal(n, 6);
	assert_memory_equal(o, "\x03\x06\x0a\x00\x00\x01", 6);
	/* 0.0.0.0 and zero DNS: Nak'd with the assigned values */
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 1, ask_all, sizeof(ask_all));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_NAK, &n);
	assert_int_equal(n, sizeof(nak_all));
	assert_memory_equal(o, nak_all, sizeof(nak_all));
	/* another address: Nak'd with the assigned one */
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 2, ask_other, sizeof(ask_other));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_NAK, &n);
	assert_memory_equal(o, "\x03\x06\x0a\x00\x00\x02", 6);
	/* VJ compression and NBNS (none configured): rejected, alone */
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 3, vj, sizeof(vj));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_REJ, &n);
	assert_int_equal(n, 6);
	assert_memory_equal(o, vj + 6, 6);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 4, nbns, sizeof(nbns));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_REJ, &n);
	assert_int_equal(n, 6);
	assert_int_equal(o[0], 130);
	/* the right values: Ack; with our request acked, IPCP is up */
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 5, good, sizeof(good));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_ACK, &n);
	assert_memory_equal(o, good, sizeof(good));
	assert_int_equal(h.up4, 0);
	ph_peer_ack(PPP_PROTO_IPCP);
	assert_int_equal(h.up4, 1);
	assert_int_equal(h.net4.peer.s_addr, ph_ip("10.0.0.2").s_addr);
	assert_int_equal(h.net4.local.s_addr, ph_ip("10.0.0.1").s_addr);
	ph_free();
}

/* RFC 1332 §3.3: a peer that asks no address is prompted once by an
 * appended IP-Address; NBNS is given when configured; a per-session DNS
 * overrides the configuration. */
static void test_ipcp_server_prompts(void **state)
{
	static const uint8_t nbns[] = {130, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0};
	const uint8_t *o;
	size_t n;

	(void)state;
	ncp_start(PPP_ROLE_SERVER, true, false);
	h.cfg.nbns[0] = ph_ip("10.0.0.60");
	ph_new();
	ppp_set_dns(h.ppp, ph_ip("192.0.2.53"), ph_ip("192.0.2.54"));
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 1, NULL, 0);
	o = reply(PPP_PROTO_IPCP, PPP_CONF_NAK, &n);
	assert_int_equal(n, 6);
	assert_memory_equal(o, "\x03\x06\x0a\x00\x00\x02", 6);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 2, NULL, 0);
	assert_non_null(ph_sent(PPP_PROTO_IPCP, PPP_CONF_ACK, NULL));
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 3, nbns, sizeof(nbns));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_NAK, &n);
	assert_int_equal(n, 12);
	assert_memory_equal(o, "\x82\x06\x0a\x00\x00\x3c\x81\x06\xc0\x00\x02\x35", 12);
	ph_free();
}

/* A peer that insists on its own address: after Max-Failure Naks the link
 * ends with RFC 3145 code 19, "too many Naks sent" (direction 2). */
static void test_ipcp_no_converge(void **state)
{
	static const uint8_t ask_other[] = {3, 6, ADDR(10, 9, 9, 9)};

	(void)state;
	ncp_start(PPP_ROLE_SERVER, true, false);
	ph_new();
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	for (uint8_t id = 1; id <= h.cfg.fsm.max_failure; id++) {
		ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, id, ask_other, sizeof(ask_other));
		/* a retransmission, same Identifier: not one more failure */
		if (id < h.cfg.fsm.max_failure)
			ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, id, ask_other, sizeof(ask_other));
	}
	assert_int_equal(ph_count(PPP_PROTO_IPCP, PPP_CONF_NAK), 2 * h.cfg.fsm.max_failure - 1);
	assert_int_equal(ppp_phase(h.ppp), PPP_PHASE_NETWORK);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 99, ask_other, sizeof(ask_other));
	assert_int_equal(ppp_phase(h.ppp), PPP_PHASE_TERMINATE);
	assert_int_equal(h.ppp->cause.code, PPP_CAUSE_NCP_CONVERGE);
	assert_int_equal(h.ppp->cause.proto, PPP_PROTO_IPCP);
	assert_int_equal(h.ppp->cause.direction, PPP_DIR_LOCAL);
	ph_free();
}

/* The client asks for 0.0.0.0 and DNS, takes what the Nak offers, drops
 * what is rejected, and rejects what it cannot honour. */
static void test_ipcp_client(void **state)
{
	static const uint8_t first[] = {3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0};
	static const uint8_t nak[] = {3, 6, ADDR(10, 0, 0, 2), 129, 6, ADDR(10, 0, 0, 53)};
	static const uint8_t second[] = {
	    3, 6, ADDR(10, 0, 0, 2), 129, 6, ADDR(10, 0, 0, 53), 131, 6, 0, 0, 0, 0};
	static const uint8_t rej[] = {131, 6, 0, 0, 0, 0};
	static const uint8_t srv_req[] = {3, 6, ADDR(10, 0, 0, 1), 2, 6, 0x00, 0x2d, 15, 1};
	static const uint8_t srv_req2[] = {3, 6, ADDR(10, 0, 0, 1)};
	const uint8_t *o, *req;
	size_t n;

	(void)state;
	ncp_start(PPP_ROLE_CLIENT, true, false);
	ph_new();
	ppp_set_ipv4(h.ppp, ph_ip("0.0.0.0"), ph_ip("0.0.0.0"));
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_REQ, &n);
	assert_int_equal(n, sizeof(first));
	assert_memory_equal(o, first, sizeof(first));
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_NAK, o[-3], nak, sizeof(nak));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_REQ, &n);
	assert_int_equal(n, sizeof(second));
	assert_memory_equal(o, second, sizeof(second));
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REJ, o[-3], rej, sizeof(rej));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_REQ, &n);
	assert_int_equal(n, 12);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 7, srv_req, sizeof(srv_req));
	o = reply(PPP_PROTO_IPCP, PPP_CONF_REJ, &n);
	assert_memory_equal(o, srv_req + 6, 6);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 8, srv_req2, sizeof(srv_req2));
	assert_non_null(ph_sent(PPP_PROTO_IPCP, PPP_CONF_ACK, NULL));
	req = ph_sent(PPP_PROTO_IPCP, PPP_CONF_REQ, &n);
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_ACK, req[1], req + 4, n - 4);
	assert_int_equal(h.up4, 1);
	assert_int_equal(h.net4.local.s_addr, ph_ip("10.0.0.2").s_addr);
	assert_int_equal(h.net4.peer.s_addr, ph_ip("10.0.0.1").s_addr);
	assert_int_equal(h.net4.dns[0].s_addr, ph_ip("10.0.0.53").s_addr);
	assert_int_equal(h.net4.dns[1].s_addr, 0);
	ph_free();

	/* the server acks 0.0.0.0: no address, RFC 3145 code 20 */
	ncp_start(PPP_ROLE_CLIENT, true, false);
	h.cfg.request_dns = false;
	ph_new();
	ppp_set_ipv4(h.ppp, ph_ip("0.0.0.0"), ph_ip("0.0.0.0"));
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	ph_peer_send(PPP_PROTO_IPCP, PPP_CONF_REQ, 8, srv_req2, sizeof(srv_req2));
	ph_peer_ack(PPP_PROTO_IPCP);
	assert_int_equal(h.up4, 0);
	assert_int_equal(h.ppp->cause.code, PPP_CAUSE_NCP_ADDRESS);
	assert_int_equal(h.ppp->cause.direction, PPP_DIR_PEER);
	ph_free();
}

static bool iid_zero(const uint8_t *p)
{
	static const uint8_t zero[8];

	return memcmp(p, zero, 8) == 0;
}

/* RFC 5072 §4.1, case by case. */
static void test_ipv6cp(void **state)
{
	uint8_t ours[8], opt[10] = {1, 10}, suggested[8];
	const uint8_t *o;
	size_t n;

	(void)state;
	ncp_start(PPP_ROLE_SERVER, false, true);
	ph_new();
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_REQ, &n);
	assert_int_equal(n, 10);
	memcpy(ours, o + 2, 8);
	assert_false(iid_zero(ours));
	assert_int_equal(ours[0] & 0x02, 0);
	/* the peer uses our identifier: Nak'd with a different one */
	memcpy(opt + 2, ours, 8);
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_REQ, 1, opt, sizeof(opt));
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_NAK, &n);
	assert_int_equal(n, 10);
	assert_memory_not_equal(o + 2, ours, 8);
	assert_false(iid_zero(o + 2));
	assert_int_equal(o[2] & 0x02, 0);
	/* zero: Nak'd with a suggestion */
	memset(opt + 2, 0, 8);
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_REQ, 2, opt, sizeof(opt));
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_NAK, &n);
	memcpy(suggested, o + 2, 8);
	assert_false(iid_zero(suggested));
	assert_memory_not_equal(suggested, ours, 8);
	/* the peer Naks ours with that same value: a collision, pick anew */
	memcpy(opt + 2, suggested, 8);
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_REQ, &n);
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_NAK, o[-3], opt, sizeof(opt));
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_REQ, &n);
	assert_memory_not_equal(o + 2, suggested, 8);
	assert_memory_not_equal(o + 2, ours, 8);
	assert_false(iid_zero(o + 2));
	/* the peer Naks ours with a fresh value: taken */
	memcpy(opt + 2, "\x00\x11\x22\x33\x44\x55\x66\x77", 8);
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_NAK, o[-3], opt, sizeof(opt));
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_REQ, &n);
	assert_memory_equal(o + 2, "\x00\x11\x22\x33\x44\x55\x66\x77", 8);
	/* a distinct one: Ack'd; both acked, up with both identifiers */
	memcpy(opt + 2, "\x02\x00\x00\x00\x00\x00\x00\x09", 8);
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_REQ, 3, opt, sizeof(opt));
	assert_non_null(ph_sent(PPP_PROTO_IPV6CP, PPP_CONF_ACK, NULL));
	ph_peer_ack(PPP_PROTO_IPV6CP);
	assert_int_equal(h.up6, 1);
	assert_memory_equal(h.net6.local_iid, "\x00\x11\x22\x33\x44\x55\x66\x77", 8);
	assert_memory_equal(h.net6.peer_iid, "\x02\x00\x00\x00\x00\x00\x00\x09", 8);
	ph_free();

	/* both zero: Reject; a Reject of ours: the option is dropped */
	ncp_start(PPP_ROLE_SERVER, false, true);
	ph_new();
	memset(h.ppp->ipv6cp.local, 0, 8);
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	memset(opt + 2, 0, 8);
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_REQ, 1, opt, sizeof(opt));
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_REJ, &n);
	assert_int_equal(n, 10);
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_REQ, &n);
	ph_peer_send(PPP_PROTO_IPV6CP, PPP_CONF_REJ, o[-3], o, n);
	o = reply(PPP_PROTO_IPV6CP, PPP_CONF_REQ, &n);
	assert_int_equal(n, 0);
	ph_free();
}

/* RFC 5072 §3 / RFC 1332 §2: codes past 7 are Code-Rejected by NCPs. */
static void test_ncp_code_reject(void **state)
{
	const uint8_t *o;
	size_t n;

	(void)state;
	ncp_start(PPP_ROLE_SERVER, true, false);
	ph_new();
	ph_lcp_up(magic_opt, sizeof(magic_opt));
	ph_peer_send(PPP_PROTO_IPCP, PPP_ECHO_REQ, 5, "\0\0\0\0", 4);
	o = reply(PPP_PROTO_IPCP, PPP_CODE_REJ, &n);
	assert_int_equal(n, 8);
	assert_int_equal(o[0], PPP_ECHO_REQ);
	assert_int_equal(o[1], 5);
	ph_free();
}

/* Every frame the link sends is well formed: a control packet's Length
 * matches the frame. */
static void check_sent_frames(void)
{
	for (int i = 0; i < h.nout; i++) {
		const uint8_t *f = h.out[i].buf;
		size_t off = (f[0] == 0xff && f[1] == 0x03) ? 2 : 0;
		uint16_t p = (f[off] & 1) ? f[off] : ppp_get16(f + off);

		off += (f[off] & 1) ? 1 : 2;
		if (p < 0x8000)
			continue;
		assert_true(h.out[i].len >= off + 4);
		assert_int_equal(ppp_get16(f + off + 2), h.out[i].len - off);
	}
	h.nout = 0;
}

/* Garbage and near-garbage from the network, in every phase, both roles
 * (run under the sanitizer build too): nothing crashes, what goes out stays
 * well formed. */
static void test_random_frames(void **state)
{
	static const uint16_t protos[] = {
	    PPP_PROTO_LCP,    PPP_PROTO_PAP, PPP_PROTO_CHAP, PPP_PROTO_IPCP,
	    PPP_PROTO_IPV6CP, PPP_PROTO_IP,  PPP_PROTO_IPV6, 0x80fd};
	uint64_t r = 0x5eed;
	uint8_t f[300];

	(void)state;
	for (int round = 0; round < 240; round++) {
		ncp_start(round & 1 ? PPP_ROLE_CLIENT : PPP_ROLE_SERVER, true, true);
		h.cfg.auth[0] = (uint8_t)((round / 2) % 4); /* none, PAP, CHAP, MS-CHAPv2 */
		h.cfg.pfc = h.cfg.acfc = round % 3 == 0;
		ph_new();
		if (round % 5)
			ph_lcp_up(magic_opt, sizeof(magic_opt));
		else
			ppp_start(h.ppp, h.now);
		for (int i = 0; i < 400 && !h.down; i++) {
			uint64_t x = ph_xorshift(&r);
			size_t len = 4 + x % 60, n;

			if (h.nout > PH_MAX_OUT - 16)
				check_sent_frames();
			if (x % 7 == 0 && h.nout) {
				/* one of the link's own packets, turned into a reply */
				const struct ph_frame *o = &h.out[(x >> 8) % (uint64_t)h.nout];

				n = o->len < sizeof(f) ? o->len : sizeof(f);
				memcpy(f, o->buf, n);
				f[n > 4 ? 4 : n - 1] = (uint8_t)(1 + (x >> 16) % 11);
				ppp_input(h.ppp, f, n, h.now);
				continue;
			}
			f[0] = 0xff;
			f[1] = 0x03;
			/* LCP rarely, or the link ends before anything else is seen */
			ppp_put16(f + 2, protos[(x >> 4) % 16 ? 1 + (x >> 8) % 7 : 0]);
			for (size_t k = 4; k < 4 + len; k++)
				f[k] = (uint8_t)ph_xorshift(&r);
			f[4] = (uint8_t)(1 + (x >> 12) % 14); /* mostly known codes */
			if (x & (1u << 20))
				ppp_put16(f + 6, (uint16_t)len); /* a consistent Length */
			n = 4 + len;
			if (x & (1u << 21)) { /* options that parse */
				for (size_t k = 8; k + 2 <= n; k += f[k + 1]) {
					size_t want = 2 + f[k + 1] % 8u;

					f[k + 1] = (uint8_t)(k + want <= n ? want : n - k);
				}
			}
			ppp_input(h.ppp, f, n, h.now);
			if (x % 11 == 0) {
				h.now += 1000;
				ppp_tick(h.ppp, h.now);
			}
		}
		check_sent_frames();
		ph_free();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipcp_server),      cmocka_unit_test(test_ipcp_server_prompts),
	    cmocka_unit_test(test_ipcp_no_converge), cmocka_unit_test(test_ipcp_client),
	    cmocka_unit_test(test_ipv6cp),           cmocka_unit_test(test_ncp_code_reject),
	    cmocka_unit_test(test_random_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
