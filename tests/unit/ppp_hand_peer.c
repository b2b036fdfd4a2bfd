#include "ppp_hand_peer.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "ppp/internal.h"

struct ph h;

uint64_t ph_xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Deterministic "random" numbers: magic numbers and challenges repeat. */
static void ph_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;

	(void)ctx;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)ph_xorshift(&h.rng);
}

static void ph_send(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	assert_true(h.nout < PH_MAX_OUT);
	assert_true(len <= PH_FRAME_CAP);
	memcpy(h.out[h.nout].buf, frame, len);
	h.out[h.nout++].len = len;
}

static void ph_data(void *ctx, uint16_t proto, uint8_t *pkt, size_t len)
{
	(void)ctx, (void)proto, (void)pkt, (void)len;
	h.data++;
}

static void ph_up(void *ctx, const struct ppp_net *net)
{
	(void)ctx;
	if (net->proto == PPP_PROTO_IPCP) {
		h.up4++;
		h.net4 = *net;
	} else {
		h.up6++;
		h.net6 = *net;
	}
}

static void ph_ncp_down(void *ctx, uint16_t proto)
{
	(void)ctx, (void)proto;
	h.ncp_down++;
}

static void ph_down(void *ctx, const struct ppp_cause *cause)
{
	(void)ctx;
	h.down++;
	h.cause = *cause;
}

static void ph_verify(void *ctx, const struct ppp_auth_request *req)
{
	(void)ctx;
	h.verifies++;
	assert_non_null(h.verify); /* a test that authenticates says how */
	h.verify(req);
}

const struct ppp_ops ph_ops = {
    .send = ph_send,
    .data = ph_data,
    .up = ph_up,
    .ncp_down = ph_ncp_down,
    .down = ph_down,
    .verify = ph_verify,
    .random = ph_random,
};

struct in_addr ph_ip(const char *dotted)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, dotted, &a), 1);
	return a;
}

void ph_init(enum ppp_role role)
{
	memset(&h, 0, sizeof(h));
	h.rng = 0xdeadbeefcafef00dull;
	h.now = PH_T0;
	h.secret = "wonderland";
	ppp_config_init(&h.cfg, role);
	memset(h.cfg.auth, 0, sizeof(h.cfg.auth));
}

void ph_new(void)
{
	h.ppp = ppp_new(&h.cfg, &ph_ops, NULL);
	assert_non_null(h.ppp);
	ppp_set_ipv4(h.ppp, ph_ip("10.0.0.1"), ph_ip("10.0.0.2"));
	ppp_set_credentials(h.ppp, "alice", "wonderland");
}

void ph_free(void)
{
	ppp_free(h.ppp);
	h.ppp = NULL;
}

void ph_peer_send(uint16_t proto, uint8_t code, uint8_t id, const void *data, size_t len)
{
	uint8_t f[PH_FRAME_CAP];

	assert_true(8 + len <= sizeof(f));
	f[0] = 0xff;
	f[1] = 0x03;
	ppp_put16(f + 2, proto);
	f[4] = code;
	f[5] = id;
	ppp_put16(f + 6, (uint16_t)(4 + len));
	if (len)
		memcpy(f + 8, data, len);
	ppp_input(h.ppp, f, 8 + len, h.now);
}

/* Frame i's protocol (PFC and ACFC undone) and the offset of its packet. */
static size_t ph_frame_packet(int i, uint16_t *proto)
{
	const uint8_t *f = h.out[i].buf;
	size_t off = (f[0] == 0xff && f[1] == 0x03) ? 2 : 0;

	*proto = (f[off] & 1) ? f[off] : ppp_get16(f + off);
	return off + ((f[off] & 1) ? 1 : 2);
}

const uint8_t *ph_sent(uint16_t proto, uint8_t code, size_t *len)
{
	for (int i = h.nout - 1; i >= 0; i--) {
		uint16_t p;
		size_t off = ph_frame_packet(i, &p);

		if (p == proto && h.out[i].buf[off] == code) {
			if (len)
				*len = h.out[i].len - off;
			return h.out[i].buf + off;
		}
	}
	return NULL;
}

int ph_count(uint16_t proto, uint8_t code)
{
	int n = 0;

	for (int i = 0; i < h.nout; i++) {
		uint16_t p;
		size_t off = ph_frame_packet(i, &p);

		n += p == proto && h.out[i].buf[off] == code;
	}
	return n;
}

void ph_peer_ack(uint16_t proto)
{
	size_t len;
	const uint8_t *req = ph_sent(proto, PPP_CONF_REQ, &len);

	assert_non_null(req);
	ph_peer_send(proto, PPP_CONF_ACK, req[1], req + 4, len - 4);
}

void ph_lcp_up(const uint8_t *opts, size_t len)
{
	if (ppp_state(h.ppp, PPP_PROTO_LCP) == PPP_FSM_INITIAL)
		assert_int_equal(ppp_start(h.ppp, h.now), 0);
	ph_peer_send(PPP_PROTO_LCP, PPP_CONF_REQ, 0x10, opts, len);
	assert_non_null(ph_sent(PPP_PROTO_LCP, PPP_CONF_ACK, NULL));
	ph_peer_ack(PPP_PROTO_LCP);
	assert_int_equal(ppp_state(h.ppp, PPP_PROTO_LCP), PPP_FSM_OPENED);
}
