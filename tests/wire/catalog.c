/* One of each RFC 2661 control message with every required and most allowed
 * AVPs (see catalog.h). Each AVP is added through a wrapper that notes what
 * we asked for before calling the builder, so the expectations come from our
 * intent and the codec's rule table (M bit, hideable), never from reading
 * the built bytes back. */
#include "catalog.h"

#include <stdio.h>
#include <string.h>

#include "l2tp/hidden.h"
#include "l2tp/msg.h"
#include "l2tp/wire.h"

static const uint8_t secret_bytes[] = CATALOG_SECRET;
const struct l2tp_secret catalog_secret = {secret_bytes, sizeof(secret_bytes) - 1};

/* Two ends of one tunnel, each with its own tunnel and session ids. */
#define LAC_TUNNEL        0x1234
#define LNS_TUNNEL        0x5678
#define LAC_OUT_SESSION   0x0101 /* LAC's id for the outgoing call (OCRQ) */
#define LNS_OUT_SESSION   0x0202
#define LAC_IN_SESSION    0x0103 /* LAC's id for the incoming call (ICRQ) */
#define LNS_IN_SESSION    0x0204
#define RANDOM_VECTOR_LEN 16 /* the builder's struct holds 16 octets */

/* Fixed xorshift64 stream for the Random Vector and padding: a reproducible
 * pcap and corpus. Not random at all, which is the point here. */
static uint64_t prng_state;

static void catalog_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		prng_state ^= prng_state << 13;
		prng_state ^= prng_state >> 7;
		prng_state ^= prng_state << 17;
		p[i] = (uint8_t)(prng_state >> 32);
	}
}

struct cat {
	struct l2tp_builder b;
	struct catalog_msg *m;
	bool vector_noted;
	bool failed;
};

static void note(struct cat *c, uint16_t type, bool hidden, size_t len_min, size_t len_max)
{
	const struct l2tp_avp_rule *r = l2tp_avp_rule(type);
	struct catalog_avp *a;

	if (!r || c->m->n_avps == CATALOG_MAX_AVPS) {
		fprintf(stderr, "catalog: %s: no rule for AVP %u or too many AVPs\n", c->m->name,
		        type);
		c->failed = true;
		return;
	}
	a = &c->m->avp[c->m->n_avps++];
	a->type = type;
	a->mandatory = r->mandatory;
	a->hidden = hidden;
	a->len_min = (uint16_t)len_min;
	a->len_max = (uint16_t)len_max;
}

/* Record what the builder is about to append for an IETF AVP of vlen value
 * octets: per avp.h it hides an AVP when hiding is on and the rule allows
 * it, with a Random Vector AVP before the first hidden one. A hidden AVP
 * carries 2 octets of original length and up to pad_max octets of padding. */
static void expect(struct cat *c, uint16_t type, size_t vlen)
{
	const struct l2tp_avp_rule *r = l2tp_avp_rule(type);
	bool hide = c->b.hide && r && r->hide == L2TP_HIDE_MAY;
	size_t len = L2TP_AVP_HEADER_LEN + vlen;

	if (!hide) {
		note(c, type, false, len, len);
		return;
	}
	if (!c->vector_noted) {
		note(c, L2TP_AVP_RANDOM_VECTOR, false, L2TP_AVP_HEADER_LEN + RANDOM_VECTOR_LEN,
		     L2TP_AVP_HEADER_LEN + RANDOM_VECTOR_LEN);
		c->vector_noted = true;
	}
	note(c, type, true, len + 2, len + 2 + c->b.pad_max);
}

static void put(struct cat *c, uint16_t type, const void *value, size_t len)
{
	expect(c, type, len);
	l2tp_builder_put(&c->b, type, value, len);
}

static void put_u16(struct cat *c, uint16_t type, uint16_t v)
{
	expect(c, type, 2);
	l2tp_builder_put_u16(&c->b, type, v);
}

static void put_u32(struct cat *c, uint16_t type, uint32_t v)
{
	expect(c, type, 4);
	l2tp_builder_put_u32(&c->b, type, v);
}

static void put_string(struct cat *c, uint16_t type, const char *s)
{
	expect(c, type, strlen(s));
	l2tp_builder_put_string(&c->b, type, s);
}

static void put_result(struct cat *c, uint16_t result, int error_code, const char *msg)
{
	expect(c, L2TP_AVP_RESULT_CODE, error_code < 0 ? 2 : 4 + (msg ? strlen(msg) : 0));
	l2tp_builder_put_result(&c->b, result, error_code, msg);
}

static void begin(struct cat *c, struct catalog_msg *m, bool hide, const char *name, uint16_t type,
                  bool from_lac, uint16_t tunnel_id, uint16_t session_id)
{
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->kind = CATALOG_CONTROL;
	m->msg_type = type;
	m->hidden_set = hide;
	m->from_lac = from_lac;
	m->tunnel_id = tunnel_id;
	m->session_id = session_id;
	c->m = m;
	c->vector_noted = false;
	c->failed = false;
	l2tp_builder_init(&c->b, m->buf, sizeof(m->buf), tunnel_id, session_id, type);
	c->b.hide = hide;
	c->b.secret = catalog_secret;
	c->b.random = catalog_random;
	c->b.pad_max = hide ? CATALOG_PAD_MAX : 0;
	/* The Message Type AVP l2tp_builder_init() wrote: never hidden. */
	note(c, L2TP_AVP_MESSAGE_TYPE, false, 8, 8);
}

static int finish(struct cat *c, catalog_emit_fn emit, void *ctx)
{
	int rc = l2tp_builder_finish(&c->b);

	if (rc < 0) {
		fprintf(stderr, "catalog: building %s%s failed: %s\n", c->m->name,
		        c->m->hidden_set ? " (hidden)" : "", l2tp_strerror(rc));
		return rc;
	}
	if (c->failed)
		return -L2TP_E_INVALID;
	c->m->len = (size_t)rc;
	return emit(c->m, ctx);
}

/* LCP option lists: the AVPs carry the body of a CONFREQ (§4.4.5), which
 * tshark dissects as options, so these must be well formed. */
static const uint8_t lcp_initial_received[] = {
    0x01, 0x04, 0x05, 0xdc,             /* MRU 1500 */
    0x02, 0x06, 0x00, 0x00, 0x00, 0x00, /* ACCM */
    0x05, 0x06, 0x12, 0x34, 0x56, 0x78, /* Magic-Number */
};
static const uint8_t lcp_last_sent[] = {
    0x01, 0x04, 0x05, 0xb4,             /* MRU 1460 */
    0x03, 0x05, 0xc2, 0x23, 0x05,       /* Authentication-Protocol CHAP MD5 */
    0x05, 0x06, 0x9a, 0xbc, 0xde, 0xf0, /* Magic-Number */
};
static const uint8_t lcp_last_received[] = {
    0x01, 0x04, 0x05, 0xdc,             /* MRU 1500 */
    0x05, 0x06, 0x87, 0x65, 0x43, 0x21, /* Magic-Number */
    0x07, 0x02,                         /* Protocol-Field-Compression */
    0x08, 0x02,                         /* Address-and-Control-Field-Compression */
};

static const uint8_t lac_challenge[16] = {0x3a, 0x91, 0x07, 0xc4, 0x5e, 0x22, 0xd8, 0x6f,
                                          0x10, 0xab, 0x44, 0x9c, 0xe1, 0x05, 0x7d, 0x38};
static const uint8_t lns_challenge[16] = {0x84, 0x1f, 0x6c, 0x0d, 0xb2, 0x57, 0xe9, 0x30,
                                          0x4a, 0xc6, 0x9e, 0x13, 0x75, 0xf8, 0x2b, 0x61};
static const uint8_t tie_breaker[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
static const uint8_t chap_challenge[16] = {0xc3, 0x5a, 0x11, 0x8e, 0x02, 0x7b, 0xf4, 0x69,
                                           0x2d, 0x90, 0xe7, 0x36, 0x58, 0xa1, 0x0c, 0xbf};
static const uint8_t chap_response[16] = {0x6e, 0x0b, 0x98, 0x27, 0xd1, 0x4c, 0x83, 0xfa,
                                          0x15, 0x62, 0xb9, 0x0e, 0x7a, 0xc5, 0x33, 0xd4};

/* Call Errors (§4.4.6): reserved, then six 32-bit counters. */
static const uint8_t call_errors[26] = {
    0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6,
};
/* ACCM (§4.4.6): reserved, Send ACCM, Receive ACCM. */
static const uint8_t accm[10] = {0, 0, 0xff, 0xff, 0xff, 0xff, 0x00, 0x0a, 0x00, 0x00};
/* Q.931 Cause Code (§4.4.2): cause 16 normal clearing, message 0x45
 * DISCONNECT, then an advisory message. */
static const uint8_t q931_cause[] = "\x00\x10\x45normal call clearing";
/* PPP Disconnect Cause Code (RFC 3145): code 2 (peer terminate request),
 * protocol LCP, direction 1 (peer initiated), then a message. */
static const uint8_t ppp_disconnect[] = "\x00\x02\xc0\x21\x01peer sent Terminate-Request";

/* A PPP LCP Echo-Request in HDLC-like framing, the data message's payload. */
static const uint8_t ppp_echo[] = {0xff, 0x03, 0xc0, 0x21, 0x09, 0x01,
                                   0x00, 0x08, 0x12, 0x34, 0x56, 0x78};

static int build_control(bool hide, catalog_emit_fn emit, void *ctx)
{
	struct catalog_msg m;
	struct cat c;
	uint8_t response[16];
	int rc;

	begin(&c, &m, hide, "SCCRQ", L2TP_MSG_SCCRQ, true, 0, 0);
	put_u16(&c, L2TP_AVP_PROTOCOL_VERSION, 0x0100);
	put_string(&c, L2TP_AVP_HOST_NAME, "lac.example.net");
	put_u32(&c, L2TP_AVP_FRAMING_CAPABILITIES, L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
	put_u16(&c, L2TP_AVP_ASSIGNED_TUNNEL_ID, LAC_TUNNEL);
	put_u32(&c, L2TP_AVP_BEARER_CAPABILITIES, L2TP_BEARER_DIGITAL | L2TP_BEARER_ANALOG);
	put_u16(&c, L2TP_AVP_RECEIVE_WINDOW_SIZE, 8);
	put(&c, L2TP_AVP_CHALLENGE, lac_challenge, sizeof(lac_challenge));
	put(&c, L2TP_AVP_TIE_BREAKER, tie_breaker, sizeof(tie_breaker));
	put_u16(&c, L2TP_AVP_FIRMWARE_REVISION, 0x0102);
	put_string(&c, L2TP_AVP_VENDOR_NAME, "l2tpd");
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	l2tp_challenge_response(L2TP_MSG_SCCRP, &catalog_secret, lac_challenge,
	                        sizeof(lac_challenge), response);
	begin(&c, &m, hide, "SCCRP", L2TP_MSG_SCCRP, false, LAC_TUNNEL, 0);
	put_u16(&c, L2TP_AVP_PROTOCOL_VERSION, 0x0100);
	put_u32(&c, L2TP_AVP_FRAMING_CAPABILITIES, L2TP_FRAMING_SYNC);
	put_string(&c, L2TP_AVP_HOST_NAME, "lns.example.net");
	put_u16(&c, L2TP_AVP_ASSIGNED_TUNNEL_ID, LNS_TUNNEL);
	put_u32(&c, L2TP_AVP_BEARER_CAPABILITIES, L2TP_BEARER_DIGITAL);
	put_u16(&c, L2TP_AVP_FIRMWARE_REVISION, 0x0001);
	put_string(&c, L2TP_AVP_VENDOR_NAME, "l2tpd LNS");
	put_u16(&c, L2TP_AVP_RECEIVE_WINDOW_SIZE, 16);
	put(&c, L2TP_AVP_CHALLENGE, lns_challenge, sizeof(lns_challenge));
	put(&c, L2TP_AVP_CHALLENGE_RESPONSE, response, sizeof(response));
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	l2tp_challenge_response(L2TP_MSG_SCCCN, &catalog_secret, lns_challenge,
	                        sizeof(lns_challenge), response);
	begin(&c, &m, hide, "SCCCN", L2TP_MSG_SCCCN, true, LNS_TUNNEL, 0);
	put(&c, L2TP_AVP_CHALLENGE_RESPONSE, response, sizeof(response));
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "StopCCN", L2TP_MSG_STOPCCN, false, LAC_TUNNEL, 0);
	put_u16(&c, L2TP_AVP_ASSIGNED_TUNNEL_ID, LNS_TUNNEL);
	put_result(&c, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_VENDOR, "maintenance window");
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "HELLO", L2TP_MSG_HELLO, true, LNS_TUNNEL, 0);
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "OCRQ", L2TP_MSG_OCRQ, false, LAC_TUNNEL, 0);
	put_u16(&c, L2TP_AVP_ASSIGNED_SESSION_ID, LNS_OUT_SESSION);
	put_u32(&c, L2TP_AVP_CALL_SERIAL_NUMBER, 0x00010001);
	put_u32(&c, L2TP_AVP_MINIMUM_BPS, 9600);
	put_u32(&c, L2TP_AVP_MAXIMUM_BPS, 64000);
	put_u32(&c, L2TP_AVP_BEARER_TYPE, L2TP_BEARER_DIGITAL);
	put_u32(&c, L2TP_AVP_FRAMING_TYPE, L2TP_FRAMING_SYNC);
	put_string(&c, L2TP_AVP_CALLED_NUMBER, "5551234");
	put_string(&c, L2TP_AVP_SUB_ADDRESS, "42");
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "OCRP", L2TP_MSG_OCRP, true, LNS_TUNNEL, LNS_OUT_SESSION);
	put_u16(&c, L2TP_AVP_ASSIGNED_SESSION_ID, LAC_OUT_SESSION);
	put_u32(&c, L2TP_AVP_PHYSICAL_CHANNEL_ID, 7);
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "OCCN", L2TP_MSG_OCCN, true, LNS_TUNNEL, LNS_OUT_SESSION);
	put_u32(&c, L2TP_AVP_TX_CONNECT_SPEED, 64000);
	put_u32(&c, L2TP_AVP_FRAMING_TYPE, L2TP_FRAMING_SYNC);
	put_u32(&c, L2TP_AVP_RX_CONNECT_SPEED, 56000);
	put(&c, L2TP_AVP_SEQUENCING_REQUIRED, "", 0); /* no value */
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "ICRQ", L2TP_MSG_ICRQ, true, LNS_TUNNEL, 0);
	put_u16(&c, L2TP_AVP_ASSIGNED_SESSION_ID, LAC_IN_SESSION);
	put_u32(&c, L2TP_AVP_CALL_SERIAL_NUMBER, 0x00010002);
	put_u32(&c, L2TP_AVP_BEARER_TYPE, L2TP_BEARER_ANALOG);
	put_u32(&c, L2TP_AVP_PHYSICAL_CHANNEL_ID, 3);
	put_string(&c, L2TP_AVP_CALLING_NUMBER, "5559876");
	put_string(&c, L2TP_AVP_CALLED_NUMBER, "5551234");
	put_string(&c, L2TP_AVP_SUB_ADDRESS, "7");
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "ICRP", L2TP_MSG_ICRP, false, LAC_TUNNEL, LAC_IN_SESSION);
	put_u16(&c, L2TP_AVP_ASSIGNED_SESSION_ID, LNS_IN_SESSION);
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "ICCN", L2TP_MSG_ICCN, true, LNS_TUNNEL, LNS_IN_SESSION);
	put_u32(&c, L2TP_AVP_TX_CONNECT_SPEED, 115200);
	put_u32(&c, L2TP_AVP_FRAMING_TYPE, L2TP_FRAMING_ASYNC);
	put(&c, L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ, lcp_initial_received,
	    sizeof(lcp_initial_received));
	put(&c, L2TP_AVP_LAST_SENT_LCP_CONFREQ, lcp_last_sent, sizeof(lcp_last_sent));
	put(&c, L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ, lcp_last_received, sizeof(lcp_last_received));
	put_u16(&c, L2TP_AVP_PROXY_AUTHEN_TYPE, L2TP_PROXY_AUTH_CHAP);
	put_string(&c, L2TP_AVP_PROXY_AUTHEN_NAME, "alice");
	put(&c, L2TP_AVP_PROXY_AUTHEN_CHALLENGE, chap_challenge, sizeof(chap_challenge));
	put_u16(&c, L2TP_AVP_PROXY_AUTHEN_ID, 0x0001); /* reserved octet, CHAP id 1 */
	put(&c, L2TP_AVP_PROXY_AUTHEN_RESPONSE, chap_response, sizeof(chap_response));
	put_string(&c, L2TP_AVP_PRIVATE_GROUP_ID, "isp-pool-1");
	put_u32(&c, L2TP_AVP_RX_CONNECT_SPEED, 115200);
	put(&c, L2TP_AVP_SEQUENCING_REQUIRED, "", 0); /* no value */
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "CDN", L2TP_MSG_CDN, true, LNS_TUNNEL, LNS_IN_SESSION);
	put_result(&c, L2TP_CDN_ADMIN, L2TP_ERR_NONE, "administrative disconnect");
	put_u16(&c, L2TP_AVP_ASSIGNED_SESSION_ID, LAC_IN_SESSION);
	put(&c, L2TP_AVP_Q931_CAUSE_CODE, q931_cause, sizeof(q931_cause) - 1);
	put(&c, L2TP_AVP_PPP_DISCONNECT_CAUSE, ppp_disconnect, sizeof(ppp_disconnect) - 1);
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "WEN", L2TP_MSG_WEN, true, LNS_TUNNEL, LNS_IN_SESSION);
	put(&c, L2TP_AVP_CALL_ERRORS, call_errors, sizeof(call_errors));
	if ((rc = finish(&c, emit, ctx)))
		return rc;

	begin(&c, &m, hide, "SLI", L2TP_MSG_SLI, false, LAC_TUNNEL, LAC_IN_SESSION);
	put(&c, L2TP_AVP_ACCM, accm, sizeof(accm));
	return finish(&c, emit, ctx);
}

static int build_zlb_and_data(catalog_emit_fn emit, void *ctx)
{
	struct catalog_msg m;
	struct l2tp_data_options o = {
	    .length = true,
	    .sequence = true,
	    .ns = 7,
	    .offset_size = 4, /* exercise the O bit and its padding */
	    .payload_len = sizeof(ppp_echo),
	};
	int rc;

	memset(&m, 0, sizeof(m));
	m.name = "ZLB";
	m.kind = CATALOG_ZLB;
	m.from_lac = false;
	m.tunnel_id = LAC_TUNNEL;
	m.session_id = 0;
	l2tp_header_put_control(m.buf, LAC_TUNNEL, 0, 4, 3);
	l2tp_header_set_length(m.buf, L2TP_CONTROL_HEADER_LEN);
	m.len = L2TP_CONTROL_HEADER_LEN;
	if ((rc = emit(&m, ctx)))
		return rc;

	memset(&m, 0, sizeof(m));
	m.name = "DATA";
	m.kind = CATALOG_DATA;
	m.from_lac = true;
	m.tunnel_id = LNS_TUNNEL;
	m.session_id = LNS_IN_SESSION;
	rc = l2tp_header_put_data(m.buf, sizeof(m.buf), LNS_TUNNEL, LNS_IN_SESSION, &o);
	if (rc < 0) {
		fprintf(stderr, "catalog: data header: %s\n", l2tp_strerror(rc));
		return rc;
	}
	memcpy(m.buf + rc, ppp_echo, sizeof(ppp_echo));
	m.payload = m.buf + rc;
	m.payload_len = sizeof(ppp_echo);
	m.len = (size_t)rc + sizeof(ppp_echo);
	return emit(&m, ctx);
}

int catalog_build(bool hide, catalog_emit_fn emit, void *ctx)
{
	int rc;

	prng_state = 0x6c32747064ULL; /* "l2tpd": any fixed non-zero seed */
	rc = build_control(hide, emit, ctx);
	if (rc || hide)
		return rc;
	return build_zlb_and_data(emit, ctx);
}
