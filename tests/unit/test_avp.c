/* Unit tests of the AVP table, iterator and builder (RFC 2661 §4, RFC 3145). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "l2tp/avp.h"
#include "l2tp/hidden.h"
#include "l2tp/msg.h"
#include "l2tp/wire.h"

#define VALUE_MAX        (L2TP_AVP_MAX_LEN - L2TP_AVP_HEADER_LEN) /* 1017 */
#define HIDDEN_VALUE_MAX (VALUE_MAX - 2)                          /* minus the original length */
#define ARRAY_LEN(a)     (sizeof(a) / sizeof((a)[0]))

static const uint8_t secret_octets[] = "tunnel-secret";
static const struct l2tp_secret secret = {secret_octets, sizeof(secret_octets) - 1};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A predictable random source: a counter, so the tests see what was drawn. */
static uint8_t fake_next;
static void fake_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = fake_next++;
}

/* The RFC's own numbers, written down again from the text of §4.4 (and RFC
 * 3145 §2), as the RFC states them: the whole AVP Length before hiding, 0 in
 * max for "6 plus the length of ..." with no upper bound but the field. */
struct rfc_avp {
	uint16_t type;
	bool m;
	bool may_hide;
	uint16_t min_total, max_total;
};

static const struct rfc_avp rfc_avps[] = {
    {L2TP_AVP_MESSAGE_TYPE, true, false, 8, 8},
    {L2TP_AVP_RESULT_CODE, true, false, 8, 0},
    {L2TP_AVP_PROTOCOL_VERSION, true, false, 8, 8},
    {L2TP_AVP_FRAMING_CAPABILITIES, true, true, 10, 10},
    {L2TP_AVP_BEARER_CAPABILITIES, true, true, 10, 10},
    {L2TP_AVP_TIE_BREAKER, false, false, 14, 14},
    {L2TP_AVP_FIRMWARE_REVISION, false, true, 8, 8},
    {L2TP_AVP_HOST_NAME, true, false, 7, 0},
    {L2TP_AVP_VENDOR_NAME, false, true, 6, 0},
    {L2TP_AVP_ASSIGNED_TUNNEL_ID, true, true, 8, 8},
    {L2TP_AVP_RECEIVE_WINDOW_SIZE, true, false, 8, 8},
    {L2TP_AVP_CHALLENGE, true, true, 7, 0},
    {L2TP_AVP_Q931_CAUSE_CODE, true, false, 9, 0},
    {L2TP_AVP_CHALLENGE_RESPONSE, true, true, 22, 22},
    {L2TP_AVP_ASSIGNED_SESSION_ID, true, true, 8, 8},
    {L2TP_AVP_CALL_SERIAL_NUMBER, true, true, 10, 10},
    {L2TP_AVP_MINIMUM_BPS, true, true, 10, 10},
    {L2TP_AVP_MAXIMUM_BPS, true, true, 10, 10},
    {L2TP_AVP_BEARER_TYPE, true, true, 10, 10},
    {L2TP_AVP_FRAMING_TYPE, true, true, 10, 10},
    {L2TP_AVP_CALLED_NUMBER, true, true, 6, 0},
    {L2TP_AVP_CALLING_NUMBER, true, true, 6, 0},
    {L2TP_AVP_SUB_ADDRESS, true, true, 6, 0},
    {L2TP_AVP_TX_CONNECT_SPEED, true, true, 10, 10},
    {L2TP_AVP_PHYSICAL_CHANNEL_ID, false, true, 10, 10},
    {L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ, false, true, 6, 0},
    {L2TP_AVP_LAST_SENT_LCP_CONFREQ, false, true, 6, 0},
    {L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ, false, true, 6, 0},
    {L2TP_AVP_PROXY_AUTHEN_TYPE, false, true, 8, 8},
    {L2TP_AVP_PROXY_AUTHEN_NAME, false, true, 6, 0},
    {L2TP_AVP_PROXY_AUTHEN_CHALLENGE, false, true, 7, 0},
    {L2TP_AVP_PROXY_AUTHEN_ID, false, true, 8, 8},
    {L2TP_AVP_PROXY_AUTHEN_RESPONSE, false, true, 6, 0},
    {L2TP_AVP_CALL_ERRORS, true, true, 32, 32},
    {L2TP_AVP_ACCM, true, true, 16, 16},
    {L2TP_AVP_RANDOM_VECTOR, true, false, 6, 0},
    {L2TP_AVP_PRIVATE_GROUP_ID, false, true, 6, 0},
    {L2TP_AVP_RX_CONNECT_SPEED, false, true, 10, 10},
    {L2TP_AVP_SEQUENCING_REQUIRED, true, false, 6, 6},
    /* RFC 3145 §2: the entire AVP is at least 11 octets (value 5). */
    {L2TP_AVP_PPP_DISCONNECT_CAUSE, false, true, 11, 0},
};

static bool known_type(unsigned t)
{
	return (t <= 39 && t != 20) || t == 46;
}

static void test_rule_coverage(void **state)
{
	(void)state;
	for (unsigned t = 0; t < 0x10000; t++) {
		const struct l2tp_avp_rule *r = l2tp_avp_rule((uint16_t)t);

		if (!known_type(t)) {
			assert_null(r);
			assert_string_equal(l2tp_avp_name(0, (uint16_t)t), "unknown");
			continue;
		}
		assert_non_null(r);
		assert_int_equal(r->type, t);
		assert_non_null(r->name);
		assert_string_equal(l2tp_avp_name(0, (uint16_t)t), r->name);
		/* a vendor's AVP of the same number is not ours */
		assert_string_equal(l2tp_avp_name(9, (uint16_t)t), "unknown");
		assert_true(r->min_len <= r->max_len);
		assert_true(r->max_len <= VALUE_MAX);
		for (unsigned u = 0; u < t; u++)
			if (l2tp_avp_rule((uint16_t)u))
				assert_string_not_equal(l2tp_avp_rule((uint16_t)u)->name, r->name);
	}
}

static void test_rules_match_rfc(void **state)
{
	unsigned seen = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rfc_avps); i++) {
		const struct rfc_avp *e = &rfc_avps[i];
		const struct l2tp_avp_rule *r = l2tp_avp_rule(e->type);

		assert_non_null(r);
		assert_int_equal(r->mandatory, e->m);
		assert_int_equal(r->hide == L2TP_HIDE_MAY, e->may_hide);
		assert_int_equal(r->min_len + L2TP_AVP_HEADER_LEN, e->min_total);
		assert_int_equal(r->max_len + L2TP_AVP_HEADER_LEN,
		                 e->max_total ? e->max_total : L2TP_AVP_MAX_LEN);
		seen++;
	}
	/* 0..39 without 20, and 46 */
	assert_int_equal(seen, 40);
}

static void test_check_length_result_code(void **state)
{
	const struct l2tp_avp_rule *r = l2tp_avp_rule(L2TP_AVP_RESULT_CODE);

	(void)state;
	assert_int_equal(l2tp_avp_check_length(r, 0), -L2TP_E_AVP_VALUE);
	assert_int_equal(l2tp_avp_check_length(r, 1), -L2TP_E_AVP_VALUE);
	assert_int_equal(l2tp_avp_check_length(r, 2), 0); /* AVP Length 8 */
	assert_int_equal(l2tp_avp_check_length(r, 3), -L2TP_E_AVP_VALUE);
	assert_int_equal(l2tp_avp_check_length(r, 4), 0); /* 10: Error Code */
	assert_int_equal(l2tp_avp_check_length(r, 5), 0); /* 10 + message */
	assert_int_equal(l2tp_avp_check_length(r, VALUE_MAX), 0);
	assert_int_equal(l2tp_avp_check_length(r, VALUE_MAX + 1), -L2TP_E_AVP_VALUE);

	r = l2tp_avp_rule(L2TP_AVP_Q931_CAUSE_CODE);
	assert_int_equal(l2tp_avp_check_length(r, 2), -L2TP_E_AVP_VALUE);
	assert_int_equal(l2tp_avp_check_length(r, 3), 0);
	assert_int_equal(l2tp_avp_check_length(r, 4), 0);

	r = l2tp_avp_rule(L2TP_AVP_SEQUENCING_REQUIRED);
	assert_int_equal(l2tp_avp_check_length(r, 0), 0);
	assert_int_equal(l2tp_avp_check_length(r, 1), -L2TP_E_AVP_VALUE);
}

/* ---- iterator ---- */

static void test_iter_walk(void **state)
{
	uint8_t buf[] = {
	    0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* M, len 8, MT = 1 */
	    0x40, 0x06, 0x00, 0x00, 0x00, 0x27,             /* H, len 6, type 39 */
	    0x3c, 0x07, 0x12, 0x34, 0xab, 0xcd, 0x99,       /* rsvd, vendor 0x1234 */
	};
	struct l2tp_avp_iter it;
	struct l2tp_avp a;

	(void)state;
	l2tp_avp_iter_init(&it, buf, sizeof(buf));
	assert_int_equal(l2tp_avp_next(&it, &a), 1);
	assert_true(a.mandatory);
	assert_false(a.hidden);
	assert_false(a.reserved_bits);
	assert_int_equal(a.vendor, 0);
	assert_int_equal(a.type, 0);
	assert_int_equal(a.len, 2);
	assert_ptr_equal(a.value, buf + 6);

	assert_int_equal(l2tp_avp_next(&it, &a), 1);
	assert_false(a.mandatory);
	assert_true(a.hidden);
	assert_int_equal(a.type, L2TP_AVP_SEQUENCING_REQUIRED);
	assert_int_equal(a.len, 0);

	assert_int_equal(l2tp_avp_next(&it, &a), 1);
	assert_false(a.mandatory);
	assert_false(a.hidden);
	assert_true(a.reserved_bits);
	assert_int_equal(a.vendor, 0x1234);
	assert_int_equal(a.type, 0xabcd);
	assert_int_equal(a.len, 1);
	assert_int_equal(a.value[0], 0x99);

	assert_int_equal(l2tp_avp_next(&it, &a), 0);
	assert_int_equal(l2tp_avp_next(&it, &a), 0);
}

static void test_iter_malformed(void **state)
{
	uint8_t buf[16] = {0};
	struct l2tp_avp_iter it;
	struct l2tp_avp a;

	(void)state;
	l2tp_avp_iter_init(&it, buf, 0);
	assert_int_equal(l2tp_avp_next(&it, &a), 0);

	/* fewer than 6 octets left */
	for (size_t len = 1; len < L2TP_AVP_HEADER_LEN; len++) {
		uint8_t *p = malloc(len);

		assert_non_null(p);
		memset(p, 0, len);
		p[0] = 0x80;
		l2tp_avp_iter_init(&it, p, len);
		assert_int_equal(l2tp_avp_next(&it, &a), -L2TP_E_AVP_TRUNCATED);
		free(p);
	}
	/* Length below 6, every value */
	for (uint8_t l = 0; l < L2TP_AVP_HEADER_LEN; l++) {
		buf[0] = 0x80;
		buf[1] = l;
		l2tp_avp_iter_init(&it, buf, sizeof(buf));
		assert_int_equal(l2tp_avp_next(&it, &a), -L2TP_E_AVP_LENGTH);
	}
	/* Length past the end, by one */
	buf[1] = 17;
	l2tp_avp_iter_init(&it, buf, sizeof(buf));
	assert_int_equal(l2tp_avp_next(&it, &a), -L2TP_E_AVP_TRUNCATED);
	buf[1] = 16;
	l2tp_avp_iter_init(&it, buf, sizeof(buf));
	assert_int_equal(l2tp_avp_next(&it, &a), 1);
	assert_int_equal(a.len, 10);
	/* The Length field is 10 bits: flag bits do not count into it */
	buf[0] = 0xff;
	buf[1] = 16;
	l2tp_avp_iter_init(&it, buf, sizeof(buf));
	assert_int_equal(l2tp_avp_next(&it, &a), -L2TP_E_AVP_TRUNCATED); /* 0x3 << 8 | 16 */
	buf[0] = 0xfc;
	l2tp_avp_iter_init(&it, buf, sizeof(buf));
	assert_int_equal(l2tp_avp_next(&it, &a), 1);
	assert_true(a.mandatory && a.hidden && a.reserved_bits);
}

/* ---- builder ---- */

static void test_builder_init_bytes(void **state)
{
	uint8_t buf[64];
	struct l2tp_builder b;
	static const uint8_t expect[] = {
	    0xc8, 0x02, 0x00, 0x14, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, /* hdr */
	    0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,                         /* HELLO */
	};

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	l2tp_builder_init(&b, buf, sizeof(buf), 0x0102, 0x0304, L2TP_MSG_HELLO);
	assert_int_equal(l2tp_builder_finish(&b), sizeof(expect));
	assert_memory_equal(buf, expect, sizeof(expect));
}

static void test_builder_put_bytes(void **state)
{
	uint8_t buf[128];
	struct l2tp_builder b;
	static const uint8_t expect[] = {
	    0x80, 0x08, 0x00, 0x00, 0x00, 0x09, 0xbe, 0xef,             /* Assigned Tunnel ID */
	    0x80, 0x0a, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x03, /* Framing Caps */
	    0x80, 0x09, 0x00, 0x00, 0x00, 0x07, 'l',  'n',  's',        /* Host Name */
	    0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x06, 0x90,             /* Firmware: M=0 */
	    0x00, 0x07, 0x00, 0x2b, 0x00, 0x2e, 0x5a,                   /* raw vendor 43 */
	};

	(void)state;
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 0xbeef);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_CAPABILITIES,
	                     L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, "lns");
	l2tp_builder_put_u16(&b, L2TP_AVP_FIRMWARE_REVISION, 0x0690);
	l2tp_builder_put_raw(&b, 43, 46, false, "\x5a", 1);
	assert_int_equal(l2tp_builder_finish(&b), 20 + sizeof(expect));
	assert_memory_equal(buf + 20, expect, sizeof(expect));
	assert_int_equal(get16(buf + 2), 20 + sizeof(expect));
}

static void test_builder_put_result(void **state)
{
	uint8_t buf[128];
	struct l2tp_builder b;
	static const uint8_t r1[] = {0x80, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01};
	static const uint8_t r2[] = {0x80, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x06};
	static const uint8_t r3[] = {0x80, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x00,
	                             0x02, 0x00, 0x08, 'a',  'b',  'c'};

	(void)state;
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_STOPCCN);
	l2tp_builder_put_result(&b, L2TP_STOPCCN_CLEAR, -1, "ignored without an error code");
	l2tp_builder_put_result(&b, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_VENDOR, NULL);
	l2tp_builder_put_result(&b, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_UNKNOWN_MANDATORY_AVP,
	                        "abc");
	assert_int_equal(l2tp_builder_finish(&b), 20 + sizeof(r1) + sizeof(r2) + sizeof(r3));
	assert_memory_equal(buf + 20, r1, sizeof(r1));
	assert_memory_equal(buf + 20 + sizeof(r1), r2, sizeof(r2));
	assert_memory_equal(buf + 20 + sizeof(r1) + sizeof(r2), r3, sizeof(r3));

	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_STOPCCN);
	l2tp_builder_put_result(&b, 1, 0x10000, NULL);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
}

static void test_builder_errors_stick(void **state)
{
	uint8_t buf[64];
	struct l2tp_builder b;
	size_t len;

	(void)state;
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	/* wrong length for Protocol Version: the first error */
	l2tp_builder_put(&b, L2TP_AVP_PROTOCOL_VERSION, "\x01", 1);
	len = b.len;
	/* later calls, even ones that would fail otherwise, change nothing */
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 5);
	l2tp_builder_put_raw(&b, 0, 99, true, buf, 60);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, "x");
	assert_int_equal(b.len, len);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);

	/* NOSPACE first, then INVALID: NOSPACE stays */
	l2tp_builder_init(&b, buf, 24, 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, "too long for the buffer");
	l2tp_builder_put(&b, 20, "x", 1);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_NOSPACE);
}

static void test_builder_invalid(void **state)
{
	uint8_t buf[2048], big[VALUE_MAX + 1];
	struct l2tp_builder b;

	(void)state;
	memset(big, 'a', sizeof(big));
	/* unknown IETF type: no rule, so no M bit to give it */
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put(&b, 20, "x", 1);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	/* a value its rule forbids */
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put(&b, L2TP_AVP_HOST_NAME, "", 0);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_CDN);
	l2tp_builder_put(&b, L2TP_AVP_RESULT_CODE, "abc", 3);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, NULL);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	/* beyond the 10-bit Length */
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put_raw(&b, 0, 99, false, big, VALUE_MAX + 1);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put(&b, L2TP_AVP_VENDOR_NAME, big, VALUE_MAX + 1);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	l2tp_builder_put_raw(&b, 0, 99, false, big, VALUE_MAX);
	assert_int_equal(l2tp_builder_finish(&b), 20 + L2TP_AVP_MAX_LEN);
	assert_int_equal(get16(buf + 20) & L2TP_AVP_LENGTH_MASK, L2TP_AVP_MAX_LEN);
	/* hidden, the value plus its original length must still fit */
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	b.hide = true;
	b.secret = secret;
	b.pad_max = 2000;
	l2tp_builder_put(&b, L2TP_AVP_VENDOR_NAME, big, HIDDEN_VALUE_MAX + 1);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_INVALID);
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	b.hide = true;
	b.secret = secret;
	b.pad_max = 500; /* no room left: padding is cut to fit */
	l2tp_builder_put(&b, L2TP_AVP_VENDOR_NAME, big, HIDDEN_VALUE_MAX);
	assert_int_equal(l2tp_builder_finish(&b), 20 + 22 + L2TP_AVP_MAX_LEN);
}

static void test_builder_nospace(void **state)
{
	uint8_t buf[64];
	struct l2tp_builder b;

	(void)state;
	/* header and Message Type: 20 octets */
	for (size_t cap = 0; cap < 20; cap++) {
		l2tp_builder_init(&b, buf, cap, 1, 0, L2TP_MSG_HELLO);
		assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_NOSPACE);
	}
	l2tp_builder_init(&b, buf, 20, 1, 0, L2TP_MSG_HELLO);
	assert_int_equal(l2tp_builder_finish(&b), 20);
	/* an AVP one octet too long for the room */
	l2tp_builder_init(&b, buf, 27, 1, 0, L2TP_MSG_ICRP);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 1);
	assert_int_equal(l2tp_builder_finish(&b), -L2TP_E_NOSPACE);
	l2tp_builder_init(&b, buf, 28, 1, 0, L2TP_MSG_ICRP);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 1);
	assert_int_equal(l2tp_builder_finish(&b), 28);
}

/* A message cannot outgrow the 16-bit Length field, whatever the buffer. */
static void test_builder_message_limit(void **state)
{
	size_t cap = 70000;
	uint8_t *buf = malloc(cap), big[VALUE_MAX];
	struct l2tp_builder b;
	int n = 0;

	(void)state;
	assert_non_null(buf);
	memset(big, 'z', sizeof(big));
	l2tp_builder_init(&b, buf, cap, 1, 0, L2TP_MSG_SCCRQ);
	while (!b.err) {
		l2tp_builder_put_raw(&b, 0, 99, false, big, sizeof(big));
		n++;
	}
	assert_int_equal(b.err, -L2TP_E_NOSPACE);
	assert_true(b.len <= UINT16_MAX);
	assert_int_equal(n - 1, (UINT16_MAX - 20) / L2TP_AVP_MAX_LEN);
	free(buf);
}

/* Parse a hidden AVP's value back by hand, with the builder's vector. */
static void unhide_at(uint8_t *avp, const uint8_t *vector, uint8_t **v, size_t *vlen)
{
	uint16_t len = get16(avp) & L2TP_AVP_LENGTH_MASK;

	assert_int_equal(
	    l2tp_unhide(get16(avp + 4), &secret, vector, 16, avp + 6, len - 6u, v, vlen), 0);
}

static void test_builder_hiding(void **state)
{
	uint8_t buf[256], *p, *v;
	struct l2tp_builder b;
	size_t vlen;

	(void)state;
	fake_next = 0x40;
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_SCCRQ);
	b.hide = true;
	b.secret = secret;
	b.random = fake_random;
	/* Host Name must never be hidden (§4.4.3): sent plain, no vector yet */
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, "lac1");
	p = buf + 20;
	assert_int_equal(get16(p), L2TP_AVP_FLAG_M | 10);
	assert_int_equal(get16(p + 4), L2TP_AVP_HOST_NAME);
	assert_memory_equal(p + 6, "lac1", 4);
	assert_false(b.vector_sent);

	/* Assigned Tunnel ID may be hidden: Random Vector first, then H|M */
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 0x4242);
	assert_true(b.vector_sent);
	p = buf + 30;
	assert_int_equal(get16(p), L2TP_AVP_FLAG_M | 22);
	assert_int_equal(get16(p + 2), 0);
	assert_int_equal(get16(p + 4), L2TP_AVP_RANDOM_VECTOR);
	for (int i = 0; i < 16; i++)
		assert_int_equal(p[6 + i], 0x40 + i);
	assert_memory_equal(b.vector, p + 6, 16);
	p += 22;
	assert_int_equal(get16(p), L2TP_AVP_FLAG_M | L2TP_AVP_FLAG_H | 10);
	assert_int_equal(get16(p + 4), L2TP_AVP_ASSIGNED_TUNNEL_ID);
	assert_memory_not_equal(p + 8, "\x42\x42", 2);
	unhide_at(p, b.vector, &v, &vlen);
	assert_int_equal(vlen, 2);
	assert_int_equal(get16(v), 0x4242);

	/* M=0 rule stays M=0 when hidden; no second vector */
	l2tp_builder_put_string(&b, L2TP_AVP_VENDOR_NAME, "l2tpd");
	p += 10;
	assert_int_equal(get16(p), L2TP_AVP_FLAG_H | (6 + 2 + 5));
	unhide_at(p, b.vector, &v, &vlen);
	assert_int_equal(vlen, 5);
	assert_memory_equal(v, "l2tpd", 5);

	/* hide toggled off: plain again, M kept */
	b.hide = false;
	l2tp_builder_put_u32(&b, L2TP_AVP_BEARER_CAPABILITIES, L2TP_BEARER_ANALOG);
	p += 13;
	assert_int_equal(get16(p), L2TP_AVP_FLAG_M | 10);
	assert_int_equal(get16(p + 8), L2TP_BEARER_ANALOG);
	assert_int_equal(l2tp_builder_finish(&b), (p + 10) - buf);

	/* Every message holds one Random Vector at most. */
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	int vectors = 0;

	l2tp_avp_iter_init(&it, buf + 12, b.len - 12);
	while (l2tp_avp_next(&it, &a) > 0)
		vectors += a.type == L2TP_AVP_RANDOM_VECTOR;
	assert_int_equal(vectors, 1);
}

static void test_builder_hiding_needs_secret(void **state)
{
	uint8_t buf[128];
	struct l2tp_builder b;
	static const uint8_t plain[] = {0x80, 0x08, 0x00, 0x00, 0x00, 0x09, 0x00, 0x07};

	(void)state;
	/* no secret at all */
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_STOPCCN);
	b.hide = true;
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 7);
	assert_int_equal(l2tp_builder_finish(&b), 28);
	assert_memory_equal(buf + 20, plain, sizeof(plain));
	/* an empty one */
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_STOPCCN);
	b.hide = true;
	b.secret = (struct l2tp_secret){secret_octets, 0};
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 7);
	assert_int_equal(l2tp_builder_finish(&b), 28);
	assert_memory_equal(buf + 20, plain, sizeof(plain));
	/* init clears the hiding policy of a previous message */
	b.hide = true;
	b.secret = secret;
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_STOPCCN);
	assert_false(b.hide);
	assert_false(b.vector_sent);
}

static void test_builder_padding(void **state)
{
	uint8_t buf[256], *v;
	struct l2tp_builder b;
	size_t vlen;
	bool seen_pad = false, seen_nopad = false;

	(void)state;
	for (int round = 0; round < 256; round++) {
		l2tp_builder_init(&b, buf, sizeof(buf), 1, 2, L2TP_MSG_ICRQ);
		b.hide = true;
		b.secret = secret;
		b.pad_max = 7;
		l2tp_builder_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, 0x01020304);
		assert_int_equal(b.err, 0);
		uint8_t *p = buf + 20 + 22;
		uint16_t len = get16(p) & L2TP_AVP_LENGTH_MASK;

		assert_true(len >= 6 + 2 + 4 && len <= 6 + 2 + 4 + 7);
		seen_pad |= len > 12;
		seen_nopad |= len == 12;
		unhide_at(p, b.vector, &v, &vlen);
		assert_int_equal(vlen, 4);
		assert_memory_equal(v, "\x01\x02\x03\x04", 4);
	}
	/* getrandom drew both padded and unpadded lengths in 256 tries (a
	 * false failure has odds of (7/8)^256, about 1e-15) */
	assert_true(seen_pad);
	assert_true(seen_nopad);
}

/* ---- every AVP's length rule, through the parser ---- */

/* A message type whose §6 list carries the AVP, so the parser reads it. */
static uint16_t message_for(uint16_t avp_type)
{
	for (uint16_t t = 0; t < L2TP_MSG_TYPE_LIMIT; t++) {
		const struct l2tp_msg_rule *r = l2tp_msg_rule(t);

		if (r && (r->allowed & L2TP_AVP_BIT(avp_type)))
			return t;
	}
	fail_msg("AVP %u is in no message", avp_type);
	return 0;
}

/* Append a hidden AVP by hand (the H bit regardless of the rule). */
static void put_hidden(struct l2tp_builder *b, uint16_t type, bool m, const uint8_t *vector,
                       const uint8_t *value, size_t len)
{
	uint8_t *p = b->buf + b->len;
	size_t total = L2TP_AVP_HEADER_LEN + 2 + len;
	int n;

	assert_true(b->len + total <= b->cap);
	assert_true(total <= L2TP_AVP_MAX_LEN);
	p[0] = (uint8_t)((m ? 0x80 : 0) | 0x40 | total >> 8);
	p[1] = (uint8_t)total;
	p[2] = p[3] = 0;
	p[4] = (uint8_t)(type >> 8);
	p[5] = (uint8_t)type;
	n = l2tp_hide(type, &secret, vector, 16, value, len, NULL, 0, p + 6, total - 6);
	assert_int_equal(n, total - 6);
	b->len += total;
}

/* Build one message of the AVP's type with a value of len octets, plain or
 * hidden, parse it, and check the verdict. */
static void check_one_length(const struct l2tp_avp_rule *r, size_t len, bool hidden)
{
	static uint8_t buf[2048], value[VALUE_MAX];
	static const uint8_t vector[16] = "0123456789abcdef";
	struct l2tp_builder b;
	struct l2tp_msg m;
	bool valid = l2tp_avp_check_length(r, len) == 0;
	int rc, n;

	/* the independent expectation: min..max, and the Result Code hole */
	assert_int_equal(valid, len >= r->min_len && len <= r->max_len &&
	                            !(r->type == L2TP_AVP_RESULT_CODE && len == 3));
	for (size_t i = 0; i < len; i++)
		value[i] = (uint8_t)(i + 1);
	l2tp_builder_init(&b, buf, sizeof(buf), 1, 2, message_for(r->type));
	if (hidden) {
		l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vector, 16);
		put_hidden(&b, r->type, r->mandatory, vector, value, len);
	} else {
		l2tp_builder_put_raw(&b, 0, r->type, r->mandatory, value, len);
	}
	n = l2tp_builder_finish(&b);
	assert_true(n > 0);

	rc = l2tp_msg_parse(buf, (size_t)n, &secret, &m);
	if (!valid) {
		if (rc != -L2TP_E_AVP_VALUE)
			fail_msg("%s len %zu hidden %d: got %d", r->name, len, hidden, rc);
		return;
	}
	if (rc != 0)
		fail_msg("%s len %zu hidden %d: got %d", r->name, len, hidden, rc);
	assert_true(m.present & L2TP_AVP_BIT(r->type));
	assert_int_equal(m.avp[r->type].len, len);
	assert_int_equal(m.avp[r->type].was_hidden, hidden);
	assert_memory_equal(m.avp[r->type].value, value, len);
}

static void test_length_rules_through_parser(void **state)
{
	unsigned checked = 0;

	(void)state;
	for (uint16_t t = 0; t < L2TP_AVP_TYPE_LIMIT; t++) {
		const struct l2tp_avp_rule *r = l2tp_avp_rule(t);
		size_t lens[6];
		unsigned n = 0;

		/* Message Type is only ever the first AVP: see test_msg.c. */
		if (!r || t == L2TP_AVP_MESSAGE_TYPE)
			continue;
		if (r->min_len > 0)
			lens[n++] = r->min_len - 1u;
		lens[n++] = r->min_len;
		lens[n++] = r->max_len;
		/* one above max, when the Length field can say it */
		if (r->max_len < VALUE_MAX)
			lens[n++] = r->max_len + 1u;
		if (t == L2TP_AVP_RESULT_CODE) {
			lens[n++] = 3;
			lens[n++] = 4;
		}
		for (unsigned i = 0; i < n; i++) {
			check_one_length(r, lens[i], false);
			/* Hidden, the value can be 2 octets shorter at most. */
			if (r->hide == L2TP_HIDE_MAY && lens[i] <= HIDDEN_VALUE_MAX)
				check_one_length(r, lens[i], true);
			checked++;
		}
	}
	assert_true(checked >= 39 * 3);
}

static void test_message_type_length(void **state)
{
	uint8_t buf[64];
	struct l2tp_msg m;
	struct l2tp_builder b;
	int n;

	(void)state;
	for (size_t len = 0; len < 5; len++) {
		static const uint8_t v[4] = {0, L2TP_MSG_HELLO, 0, 0};

		l2tp_builder_init(&b, buf, sizeof(buf), 1, 0, L2TP_MSG_HELLO);
		b.len = L2TP_CONTROL_HEADER_LEN; /* drop the Message Type the builder wrote */
		l2tp_builder_put_raw(&b, 0, L2TP_AVP_MESSAGE_TYPE, true, v, len);
		n = l2tp_builder_finish(&b);
		assert_int_equal(l2tp_msg_parse(buf, (size_t)n, NULL, &m),
		                 len == 2 ? 0 : -L2TP_E_NO_MESSAGE_TYPE);
	}
}

static void test_random_bytes(void **state)
{
	uint8_t a[32] = {0}, z[32] = {0};

	(void)state;
	l2tp_random_bytes(a, sizeof(a));
	/* 2^-256 odds of a false failure */
	assert_memory_not_equal(a, z, sizeof(a));
	l2tp_random_bytes(a, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_coverage),
	    cmocka_unit_test(test_rules_match_rfc),
	    cmocka_unit_test(test_check_length_result_code),
	    cmocka_unit_test(test_iter_walk),
	    cmocka_unit_test(test_iter_malformed),
	    cmocka_unit_test(test_builder_init_bytes),
	    cmocka_unit_test(test_builder_put_bytes),
	    cmocka_unit_test(test_builder_put_result),
	    cmocka_unit_test(test_builder_errors_stick),
	    cmocka_unit_test(test_builder_invalid),
	    cmocka_unit_test(test_builder_nospace),
	    cmocka_unit_test(test_builder_message_limit),
	    cmocka_unit_test(test_builder_hiding),
	    cmocka_unit_test(test_builder_hiding_needs_secret),
	    cmocka_unit_test(test_builder_padding),
	    cmocka_unit_test(test_length_rules_through_parser),
	    cmocka_unit_test(test_message_type_length),
	    cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
