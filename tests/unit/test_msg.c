/* Unit tests of the control message table, parser and validator (RFC 2661
 * §3.2, §4.1, §4.3, §6). */
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

#define ARRAY_LEN(a)     (sizeof(a) / sizeof((a)[0]))
#define BIT(t)           L2TP_AVP_BIT(t)
#define MSG_HDR_AND_TYPE (L2TP_CONTROL_HEADER_LEN + 8)

static const uint8_t secret_octets[] = "s3cret-shared";
static const struct l2tp_secret secret = {secret_octets, sizeof(secret_octets) - 1};
static const uint8_t vec_a[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                  0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static const uint8_t vec_b[16] = "another vector!";

static uint8_t buf[4096];

/* A predictable random source, so a built message is the same every run. */
static uint8_t fake_next;
static void fake_random(void *out, size_t len)
{
	uint8_t *p = out;

	for (size_t i = 0; i < len; i++)
		p[i] = fake_next++;
}

/* ---- the RFC's lists, transcribed again from §6.1 to §6.14 ---- */

#define END 0xffff
struct rfc_msg {
	uint16_t type;
	const char *name;
	bool session;
	uint16_t must[10];
	uint16_t may[14];
};

static const struct rfc_msg rfc_msgs[] = {
    {L2TP_MSG_SCCRQ,
     "SCCRQ",
     false,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_PROTOCOL_VERSION, L2TP_AVP_HOST_NAME,
      L2TP_AVP_FRAMING_CAPABILITIES, L2TP_AVP_ASSIGNED_TUNNEL_ID, END},
     {L2TP_AVP_BEARER_CAPABILITIES, L2TP_AVP_RECEIVE_WINDOW_SIZE, L2TP_AVP_CHALLENGE,
      L2TP_AVP_TIE_BREAKER, L2TP_AVP_FIRMWARE_REVISION, L2TP_AVP_VENDOR_NAME, END}},
    {L2TP_MSG_SCCRP,
     "SCCRP",
     false,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_PROTOCOL_VERSION, L2TP_AVP_FRAMING_CAPABILITIES,
      L2TP_AVP_HOST_NAME, L2TP_AVP_ASSIGNED_TUNNEL_ID, END},
     {L2TP_AVP_BEARER_CAPABILITIES, L2TP_AVP_FIRMWARE_REVISION, L2TP_AVP_VENDOR_NAME,
      L2TP_AVP_RECEIVE_WINDOW_SIZE, L2TP_AVP_CHALLENGE, L2TP_AVP_CHALLENGE_RESPONSE, END}},
    {L2TP_MSG_SCCCN,
     "SCCCN",
     false,
     {L2TP_AVP_MESSAGE_TYPE, END},
     {L2TP_AVP_CHALLENGE_RESPONSE, END}},
    {L2TP_MSG_STOPCCN,
     "StopCCN",
     false,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_ASSIGNED_TUNNEL_ID, L2TP_AVP_RESULT_CODE, END},
     {END}},
    {L2TP_MSG_HELLO, "HELLO", false, {L2TP_AVP_MESSAGE_TYPE, END}, {END}},
    {L2TP_MSG_ICRQ,
     "ICRQ",
     true,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_ASSIGNED_SESSION_ID, L2TP_AVP_CALL_SERIAL_NUMBER, END},
     {L2TP_AVP_BEARER_TYPE, L2TP_AVP_PHYSICAL_CHANNEL_ID, L2TP_AVP_CALLING_NUMBER,
      L2TP_AVP_CALLED_NUMBER, L2TP_AVP_SUB_ADDRESS, END}},
    {L2TP_MSG_ICRP,
     "ICRP",
     true,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_ASSIGNED_SESSION_ID, END},
     {END}},
    {L2TP_MSG_ICCN,
     "ICCN",
     true,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_TX_CONNECT_SPEED, L2TP_AVP_FRAMING_TYPE, END},
     {L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ, L2TP_AVP_LAST_SENT_LCP_CONFREQ,
      L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ, L2TP_AVP_PROXY_AUTHEN_TYPE, L2TP_AVP_PROXY_AUTHEN_NAME,
      L2TP_AVP_PROXY_AUTHEN_CHALLENGE, L2TP_AVP_PROXY_AUTHEN_ID, L2TP_AVP_PROXY_AUTHEN_RESPONSE,
      L2TP_AVP_PRIVATE_GROUP_ID, L2TP_AVP_RX_CONNECT_SPEED, L2TP_AVP_SEQUENCING_REQUIRED, END}},
    {L2TP_MSG_OCRQ,
     "OCRQ",
     true,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_ASSIGNED_SESSION_ID, L2TP_AVP_CALL_SERIAL_NUMBER,
      L2TP_AVP_MINIMUM_BPS, L2TP_AVP_MAXIMUM_BPS, L2TP_AVP_BEARER_TYPE, L2TP_AVP_FRAMING_TYPE,
      L2TP_AVP_CALLED_NUMBER, END},
     {L2TP_AVP_SUB_ADDRESS, END}},
    {L2TP_MSG_OCRP,
     "OCRP",
     true,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_ASSIGNED_SESSION_ID, END},
     {L2TP_AVP_PHYSICAL_CHANNEL_ID, END}},
    {L2TP_MSG_OCCN,
     "OCCN",
     true,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_TX_CONNECT_SPEED, L2TP_AVP_FRAMING_TYPE, END},
     {L2TP_AVP_RX_CONNECT_SPEED, L2TP_AVP_SEQUENCING_REQUIRED, END}},
    {L2TP_MSG_CDN,
     "CDN",
     true,
     {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_RESULT_CODE, L2TP_AVP_ASSIGNED_SESSION_ID, END},
     {L2TP_AVP_Q931_CAUSE_CODE, L2TP_AVP_PPP_DISCONNECT_CAUSE /* RFC 3145 */, END}},
    {L2TP_MSG_WEN, "WEN", true, {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_CALL_ERRORS, END}, {END}},
    {L2TP_MSG_SLI, "SLI", true, {L2TP_AVP_MESSAGE_TYPE, L2TP_AVP_ACCM, END}, {END}},
};

static uint64_t list_mask(const uint16_t *l)
{
	uint64_t m = 0;

	for (; *l != END; l++)
		m |= BIT(*l);
	return m;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void test_table_matches_rfc(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_LEN(rfc_msgs), 14);
	for (size_t i = 0; i < ARRAY_LEN(rfc_msgs); i++) {
		const struct rfc_msg *e = &rfc_msgs[i];
		const struct l2tp_msg_rule *r = l2tp_msg_rule(e->type);
		uint64_t must = list_mask(e->must);

		assert_non_null(r);
		assert_int_equal(r->type, e->type);
		assert_string_equal(r->name, e->name);
		assert_string_equal(l2tp_msg_name(e->type), e->name);
		assert_int_equal(r->session_scope, e->session);
		assert_int_equal(r->required, must);
		/* Random Vector may come with any message (§4.3) */
		assert_int_equal(r->allowed,
		                 must | list_mask(e->may) | BIT(L2TP_AVP_RANDOM_VECTOR));
	}
}

static void test_table_shape(void **state)
{
	unsigned known = 0;
	uint64_t carried = 0;

	(void)state;
	for (unsigned t = 0; t < 0x10000; t++) {
		const struct l2tp_msg_rule *r = l2tp_msg_rule((uint16_t)t);

		if (!r) {
			assert_string_equal(l2tp_msg_name((uint16_t)t), t ? "unknown" : "ZLB");
			continue;
		}
		known++;
		assert_true((r->required & ~r->allowed) == 0);
		assert_true(r->required & BIT(L2TP_AVP_MESSAGE_TYPE));
		assert_true(r->allowed & BIT(L2TP_AVP_RANDOM_VECTOR));
		/* every AVP named is one we know */
		for (unsigned a = 0; a < 64; a++)
			if (r->allowed & BIT(a))
				assert_non_null(l2tp_avp_rule((uint16_t)a));
		carried |= r->allowed;
		/* RFC 3145: the PPP Disconnect Cause Code in CDN only */
		assert_int_equal(!!(r->allowed & BIT(L2TP_AVP_PPP_DISCONNECT_CAUSE)),
		                 t == L2TP_MSG_CDN);
	}
	assert_int_equal(known, 14);
	assert_null(l2tp_msg_rule(L2TP_MSG_ZLB));
	assert_null(l2tp_msg_rule(5));
	assert_null(l2tp_msg_rule(13));
	assert_null(l2tp_msg_rule(L2TP_MSG_TYPE_LIMIT));
	/* every AVP of the table belongs to some message */
	for (uint16_t a = 0; a < L2TP_AVP_TYPE_LIMIT; a++)
		if (l2tp_avp_rule(a))
			assert_true(carried & BIT(a));
}

/* ---- building ---- */

/* A valid value for AVP type t: its fixed length, or a few octets more than
 * its minimum, filled with a pattern of the type. */
static size_t sample_value(const struct l2tp_avp_rule *r, uint8_t *v)
{
	size_t len = r->min_len == r->max_len ? r->min_len : r->min_len + 5u + r->type % 7u;

	for (size_t i = 0; i < len; i++)
		v[i] = (uint8_t)(r->type * 16 + i);
	return len;
}

struct build_opts {
	bool hide;
	uint16_t pad_max;
	uint64_t skip; /* AVPs to leave out */
	bool only_required;
};

static int build_message(const struct l2tp_msg_rule *mr, const struct build_opts *o)
{
	struct l2tp_builder b;
	uint8_t v[64];
	uint64_t want = (o->only_required ? mr->required : mr->allowed) & ~o->skip;

	l2tp_builder_init(&b, buf, sizeof(buf), 0x1111, mr->session_scope ? 0x2222 : 0, mr->type);
	b.hide = o->hide;
	b.secret = secret;
	b.pad_max = o->pad_max;
	b.random = fake_random;
	for (uint16_t t = 1; t < L2TP_AVP_TYPE_LIMIT; t++) {
		const struct l2tp_avp_rule *r = l2tp_avp_rule(t);

		/* the builder places the Random Vector itself */
		if (!(want & BIT(t)) || t == L2TP_AVP_RANDOM_VECTOR)
			continue;
		l2tp_builder_put(&b, t, v, sample_value(r, v));
	}
	return l2tp_builder_finish(&b);
}

static void check_roundtrip(const struct l2tp_msg_rule *mr, const struct build_opts *o)
{
	uint64_t want = o->only_required ? mr->required : mr->allowed;
	struct l2tp_msg m;
	uint16_t missing = END;
	uint8_t v[64];
	bool any_hidden = false;
	int n;

	n = build_message(mr, o);
	assert_true(n > MSG_HDR_AND_TYPE - 1);
	assert_int_equal(l2tp_msg_parse(buf, (size_t)n, &secret, &m), 0);
	assert_int_equal(l2tp_msg_validate(&m, &missing), 0);
	assert_int_equal(missing, END);
	assert_int_equal(m.type, mr->type);
	assert_true(m.type_mandatory);
	assert_int_equal(m.hdr.tunnel_id, 0x1111);
	assert_int_equal(m.hdr.session_id, mr->session_scope ? 0x2222 : 0);
	assert_int_equal(m.hdr.length, n);
	assert_int_equal(m.unknown_ignored, 0);
	assert_int_equal(m.duplicates_ignored, 0);
	assert_false(m.unknown_mandatory);
	for (uint16_t t = 1; t < L2TP_AVP_TYPE_LIMIT; t++) {
		const struct l2tp_avp_rule *r = l2tp_avp_rule(t);
		bool hidden = o->hide && r && r->hide == L2TP_HIDE_MAY;
		size_t len;

		if (!(want & BIT(t)) || t == L2TP_AVP_RANDOM_VECTOR)
			continue;
		len = sample_value(r, v);
		assert_true(m.present & BIT(t));
		assert_true(m.avp[t].present);
		assert_int_equal(m.avp[t].was_hidden, hidden);
		assert_int_equal(m.avp[t].len, len);
		assert_memory_equal(m.avp[t].value, v, len);
		any_hidden |= hidden;
	}
	/* a vector exactly when something was hidden */
	assert_int_equal(!!(m.present & BIT(L2TP_AVP_RANDOM_VECTOR)), any_hidden);
	if (any_hidden)
		assert_int_equal(m.avp[L2TP_AVP_RANDOM_VECTOR].len, 16);
	assert_int_equal(m.present & ~BIT(L2TP_AVP_RANDOM_VECTOR),
	                 want & ~BIT(L2TP_AVP_RANDOM_VECTOR));
}

static void test_roundtrip_all_messages(void **state)
{
	static const struct build_opts variants[] = {
	    {.hide = false},
	    {.hide = false, .only_required = true},
	    {.hide = true},
	    {.hide = true, .only_required = true},
	    {.hide = true, .pad_max = 9},
	    {.hide = true, .pad_max = 300},
	};
	unsigned messages = 0;

	(void)state;
	for (uint16_t t = 0; t < L2TP_MSG_TYPE_LIMIT; t++) {
		const struct l2tp_msg_rule *mr = l2tp_msg_rule(t);

		if (!mr)
			continue;
		for (size_t i = 0; i < ARRAY_LEN(variants); i++)
			check_roundtrip(mr, &variants[i]);
		messages++;
	}
	assert_int_equal(messages, 14);
}

/* Hiding is not a no-op: the hidden octets differ from the cleartext. */
static void test_hidden_roundtrip_changes_octets(void **state)
{
	const struct l2tp_msg_rule *mr = l2tp_msg_rule(L2TP_MSG_ICRQ);
	struct build_opts o = {.hide = true};
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	int n, hidden = 0;

	(void)state;
	n = build_message(mr, &o);
	l2tp_avp_iter_init(&it, buf + 12, (size_t)n - 12);
	while (l2tp_avp_next(&it, &a) > 0) {
		uint8_t v[64];

		if (!a.hidden)
			continue;
		hidden++;
		sample_value(l2tp_avp_rule(a.type), v);
		assert_memory_not_equal(a.value + 2, v, 2);
	}
	/* ASID, serial, bearer type, channel, calling, called, sub-address */
	assert_int_equal(hidden, 7);
}

static void test_validate_names_first_missing(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rfc_msgs); i++) {
		const struct l2tp_msg_rule *mr = l2tp_msg_rule(rfc_msgs[i].type);

		for (const uint16_t *req = rfc_msgs[i].must; *req != END; req++) {
			struct build_opts o = {.skip = BIT(*req)};
			struct l2tp_msg m;
			uint16_t missing = END;
			int n;

			if (*req == L2TP_AVP_MESSAGE_TYPE)
				continue;
			n = build_message(mr, &o);
			assert_int_equal(l2tp_msg_parse(buf, (size_t)n, NULL, &m), 0);
			assert_int_equal(l2tp_msg_validate(&m, &missing), -L2TP_E_MISSING_AVP);
			assert_int_equal(missing, *req);
		}
	}
	/* two missing: the lower type is named */
	{
		struct build_opts o = {.skip = BIT(L2TP_AVP_HOST_NAME) |
		                               BIT(L2TP_AVP_FRAMING_CAPABILITIES)};
		struct l2tp_msg m;
		uint16_t missing = END;
		int n = build_message(l2tp_msg_rule(L2TP_MSG_SCCRQ), &o);

		assert_int_equal(l2tp_msg_parse(buf, (size_t)n, NULL, &m), 0);
		assert_int_equal(l2tp_msg_validate(&m, &missing), -L2TP_E_MISSING_AVP);
		assert_int_equal(missing, L2TP_AVP_FRAMING_CAPABILITIES);
	}
}

/* ---- hand-built messages ---- */

static void start(struct l2tp_builder *b, uint16_t type)
{
	l2tp_builder_init(b, buf, sizeof(buf), 1, 2, type);
}

/* A hidden AVP written by hand with the vector given (the H bit regardless
 * of the AVP's rule), padding octets of pad after the value. */
static void put_hidden(struct l2tp_builder *b, uint16_t vendor, uint16_t type, bool m,
                       const uint8_t *vector, const void *value, size_t len, size_t pad)
{
	uint8_t *p = b->buf + b->len, padding[64];
	size_t total = L2TP_AVP_HEADER_LEN + 2 + len + pad;

	assert_true(pad <= sizeof(padding));
	memset(padding, 0x5c, pad);
	assert_true(b->len + total <= b->cap);
	p[0] = (uint8_t)((m ? 0x80 : 0) | 0x40 | total >> 8);
	p[1] = (uint8_t)total;
	p[2] = (uint8_t)(vendor >> 8);
	p[3] = (uint8_t)vendor;
	p[4] = (uint8_t)(type >> 8);
	p[5] = (uint8_t)type;
	assert_int_equal(
	    l2tp_hide(type, &secret, vector, 16, value, len, padding, pad, p + 6, total - 6),
	    total - 6);
	b->len += total;
}

/* Append raw octets (an AVP with odd flags, or ciphertext from elsewhere). */
static void put_bytes(struct l2tp_builder *b, const void *p, size_t len)
{
	assert_true(b->len + len <= b->cap);
	memcpy(b->buf + b->len, p, len);
	b->len += len;
}

static int finish(struct l2tp_builder *b)
{
	int n = l2tp_builder_finish(b);

	assert_true(n >= L2TP_CONTROL_HEADER_LEN);
	return n;
}

/* Parse from an exact-size heap copy, so ASan sees any read past the end. */
static int parse_exact(size_t len, const struct l2tp_secret *s, struct l2tp_msg *m)
{
	uint8_t *copy = malloc(len);
	int rc;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	rc = l2tp_msg_parse(copy, len, s, m);
	/* values point into the copy: move them back into buf for the caller */
	for (unsigned t = 0; t < L2TP_AVP_TYPE_LIMIT; t++)
		if (m->avp[t].value)
			m->avp[t].value = buf + (m->avp[t].value - copy);
	memcpy(buf, copy, len);
	free(copy);
	return rc;
}

static void test_zlb(void **state)
{
	struct l2tp_msg m;
	uint16_t missing = END;

	(void)state;
	l2tp_header_put_control(buf, 7, 0, 3, 4);
	assert_int_equal(parse_exact(L2TP_CONTROL_HEADER_LEN, NULL, &m), 0);
	assert_int_equal(m.type, L2TP_MSG_ZLB);
	assert_int_equal(m.present, 0);
	assert_int_equal(m.hdr.ns, 3);
	assert_int_equal(m.hdr.nr, 4);
	assert_int_equal(l2tp_msg_validate(&m, &missing), 0);
	assert_string_equal(l2tp_msg_name(m.type), "ZLB");
	/* trailing octets beyond Length do not make it a message */
	memset(buf + 12, 0xff, 8);
	assert_int_equal(parse_exact(20, NULL, &m), 0);
	assert_int_equal(m.type, L2TP_MSG_ZLB);
}

static void test_not_control(void **state)
{
	struct l2tp_data_options o = {.length = true, .payload_len = 8};
	struct l2tp_msg m;
	int h;

	(void)state;
	h = l2tp_header_put_data(buf, sizeof(buf), 1, 2, &o);
	memset(buf + h, 0, 8);
	assert_int_equal(parse_exact((size_t)h + 8, NULL, &m), -L2TP_E_INVALID);
	/* header errors come through */
	l2tp_header_put_control(buf, 1, 2, 0, 0);
	buf[1] = 0x01;
	assert_int_equal(parse_exact(12, NULL, &m), -L2TP_E_L2F);
	l2tp_header_put_control(buf, 1, 2, 0, 0);
	assert_int_equal(parse_exact(11, NULL, &m), -L2TP_E_SHORT);
}

static void test_message_type_first(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	/* another AVP before it */
	start(&b, L2TP_MSG_HELLO);
	b.len = L2TP_CONTROL_HEADER_LEN;
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 1);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_MESSAGE_TYPE, true, "\x00\x06", 2);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_NO_MESSAGE_TYPE);

	/* hidden */
	start(&b, L2TP_MSG_HELLO);
	b.len = L2TP_CONTROL_HEADER_LEN;
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	put_hidden(&b, 0, L2TP_AVP_MESSAGE_TYPE, true, vec_a, "\x00\x06", 2, 0);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_NO_MESSAGE_TYPE);
	b.len = L2TP_CONTROL_HEADER_LEN;
	put_hidden(&b, 0, L2TP_AVP_MESSAGE_TYPE, true, vec_a, "\x00\x06", 2, 0);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_NO_MESSAGE_TYPE);
	/* the H bit alone, on an otherwise plain 2-octet Message Type */
	start(&b, L2TP_MSG_HELLO);
	buf[L2TP_CONTROL_HEADER_LEN] |= 0x40;
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_NO_MESSAGE_TYPE);

	/* a vendor's type 0 */
	start(&b, L2TP_MSG_HELLO);
	b.len = L2TP_CONTROL_HEADER_LEN;
	l2tp_builder_put_raw(&b, 311, L2TP_AVP_MESSAGE_TYPE, true, "\x00\x06", 2);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_NO_MESSAGE_TYPE);

	/* a reserved flag bit: not a Message Type we recognise */
	start(&b, L2TP_MSG_HELLO);
	buf[L2TP_CONTROL_HEADER_LEN] |= 0x04;
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_NO_MESSAGE_TYPE);

	/* the reserved type 0, which we use for ZLB */
	start(&b, L2TP_MSG_ZLB);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_UNKNOWN_MESSAGE);
	buf[L2TP_CONTROL_HEADER_LEN] &= 0x7f; /* M off */
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_NO_MESSAGE_TYPE);

	/* a truncated first AVP */
	start(&b, L2TP_MSG_HELLO);
	n = finish(&b);
	l2tp_header_set_length(buf, (uint16_t)(n - 1));
	assert_int_equal(parse_exact((size_t)n - 1, NULL, &m), -L2TP_E_AVP_TRUNCATED);
	/* and a Message Type later in the message is a duplicate, ignored */
	start(&b, L2TP_MSG_HELLO);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_MESSAGE_TYPE, true, "\x00\x01", 2);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(m.type, L2TP_MSG_HELLO);
	assert_int_equal(m.duplicates_ignored, 1);
}

static void test_unknown_message_type(void **state)
{
	static const uint16_t unknown[] = {5, 13, 17, 100, 0xffff};
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(unknown); i++) {
		start(&b, unknown[i]);
		/* what follows would be an error in a known message */
		put_hidden(&b, 0, L2TP_AVP_CALLED_NUMBER, true, vec_a, "123", 3, 0);
		l2tp_builder_put_raw(&b, 0, L2TP_AVP_HOST_NAME, true, NULL, 0);
		l2tp_builder_put_raw(&b, 0, 20, true, "x", 1);
		n = finish(&b);
		/* M set: the tunnel must be cleared (§4.4.1) */
		assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_UNKNOWN_MESSAGE);
		assert_int_equal(m.type, unknown[i]);
		assert_true(m.type_mandatory);
		/* M clear: parsed, its AVPs ignored */
		buf[L2TP_CONTROL_HEADER_LEN] &= 0x7f;
		assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
		assert_int_equal(m.type, unknown[i]);
		assert_false(m.type_mandatory);
		assert_int_equal(m.present, BIT(L2TP_AVP_MESSAGE_TYPE));
		assert_false(m.unknown_mandatory);
		assert_string_equal(l2tp_msg_name(m.type), "unknown");
		uint16_t missing = END;
		assert_int_equal(l2tp_msg_validate(&m, &missing), 0);
	}
}

static void test_unknown_avps(void **state)
{
	/* Call Serial Number with a reserved flag bit (0x0400) */
	static const uint8_t reserved_csn[] = {0x04, 0x0a, 0x00, 0x00, 0x00, 0x0f, 1, 2, 3, 4};
	static const uint8_t reserved_csn_m[] = {0x84, 0x0a, 0x00, 0x00, 0x00, 0x0f, 1, 2, 3, 4};
	struct l2tp_builder b;
	struct l2tp_msg m;
	uint16_t missing;
	int n;

	(void)state;
	/* non-mandatory unknowns: skipped and counted, parsing goes on */
	start(&b, L2TP_MSG_ICRQ);
	l2tp_builder_put_raw(&b, 0, 40, false, "abc", 3);
	l2tp_builder_put_raw(&b, 0, 20, false, NULL, 0);
	l2tp_builder_put_raw(&b, 9, L2TP_AVP_ASSIGNED_SESSION_ID, false, "\x00\x07", 2);
	put_bytes(&b, reserved_csn, sizeof(reserved_csn));
	put_hidden(&b, 0, 0x1234, false, vec_a, "zz", 2, 0); /* hidden, no vector: unread */
	l2tp_builder_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, 77);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(m.unknown_ignored, 5);
	assert_false(m.unknown_mandatory);
	/* the vendor AVP of type 14 is not the IETF Assigned Session ID */
	assert_false(m.present & BIT(L2TP_AVP_ASSIGNED_SESSION_ID));
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID), 0);
	/* the reserved-bit Call Serial Number was not taken; the real one was */
	assert_int_equal(l2tp_msg_u32(&m, L2TP_AVP_CALL_SERIAL_NUMBER), 77);
	assert_int_equal(m.duplicates_ignored, 0);
	assert_int_equal(l2tp_msg_validate(&m, &missing), -L2TP_E_MISSING_AVP);
	assert_int_equal(missing, L2TP_AVP_ASSIGNED_SESSION_ID);

	/* mandatory unknowns: the first is reported, parsing goes on (§4.1) */
	start(&b, L2TP_MSG_ICRQ);
	l2tp_builder_put_raw(&b, 9, L2TP_AVP_ASSIGNED_SESSION_ID, true, "\x00\x07", 2);
	l2tp_builder_put_raw(&b, 0, 40, true, "abc", 3);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 8);
	l2tp_builder_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, 78);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_true(m.unknown_mandatory);
	assert_int_equal(m.unknown_vendor, 9);
	assert_int_equal(m.unknown_type, L2TP_AVP_ASSIGNED_SESSION_ID);
	assert_int_equal(m.unknown_ignored, 0);
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID), 8);
	assert_int_equal(l2tp_msg_validate(&m, &missing), 0);

	/* a reserved bit with M: unrecognised and mandatory */
	start(&b, L2TP_MSG_ICRQ);
	put_bytes(&b, reserved_csn_m, sizeof(reserved_csn_m));
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_true(m.unknown_mandatory);
	assert_int_equal(m.unknown_vendor, 0);
	assert_int_equal(m.unknown_type, L2TP_AVP_CALL_SERIAL_NUMBER);
	assert_false(m.present & BIT(L2TP_AVP_CALL_SERIAL_NUMBER));

	/* an IETF type we do not know, with M */
	start(&b, L2TP_MSG_HELLO);
	l2tp_builder_put_raw(&b, 0, 0x7fff, true, NULL, 0);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_true(m.unknown_mandatory);
	assert_int_equal(m.unknown_type, 0x7fff);
}

/* Known AVPs the message does not carry (§6) are skipped, not stored. */
static void test_not_allowed_avp(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	start(&b, L2TP_MSG_HELLO);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, "h");
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_PROTOCOL_VERSION, true, "\x01", 1); /* bad too */
	put_hidden(&b, 0, L2TP_AVP_RESULT_CODE, true, vec_a, "\x00\x01", 2, 0);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(m.present, BIT(L2TP_AVP_MESSAGE_TYPE));
	assert_int_equal(m.unknown_ignored, 3);
	assert_false(m.unknown_mandatory);
}

static void test_duplicates(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	start(&b, L2TP_MSG_ICRP);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 10);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 11);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_ASSIGNED_SESSION_ID, true, "\x00", 1);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_b, 16);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID), 10);
	assert_int_equal(m.duplicates_ignored, 2);
	/* the slot keeps the first vector */
	assert_memory_equal(m.avp[L2TP_AVP_RANDOM_VECTOR].value, vec_a, 16);
}

static void test_result_code(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	struct l2tp_result r;
	int n;

	(void)state;
	/* AVP Length 8: a Result Code without Error Code is valid (§4.4.2) */
	start(&b, L2TP_MSG_STOPCCN);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 5);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RESULT_CODE, true, "\x00\x06", 2);
	n = finish(&b);
	assert_int_equal(get16(buf + 28) & L2TP_AVP_LENGTH_MASK, 8);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(l2tp_msg_result(&m, &r), 0);
	assert_int_equal(r.result, L2TP_STOPCCN_SHUTTING_DOWN);
	assert_int_equal(r.error_code, -1);
	assert_int_equal(r.message_len, 0);
	assert_non_null(r.message);

	/* Length 9: half an Error Code */
	start(&b, L2TP_MSG_STOPCCN);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RESULT_CODE, true, "\x00\x06\x00", 3);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_AVP_VALUE);

	/* Error Code and message */
	start(&b, L2TP_MSG_CDN);
	l2tp_builder_put_result(&b, L2TP_CDN_GENERAL_ERROR, L2TP_ERR_UNKNOWN_MANDATORY_AVP,
	                        "AVP 40");
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(l2tp_msg_result(&m, &r), 0);
	assert_int_equal(r.result, L2TP_CDN_GENERAL_ERROR);
	assert_int_equal(r.error_code, L2TP_ERR_UNKNOWN_MANDATORY_AVP);
	assert_int_equal(r.message_len, 6);
	assert_memory_equal(r.message, "AVP 40", 6);

	/* Error Code, no message */
	start(&b, L2TP_MSG_CDN);
	l2tp_builder_put_result(&b, L2TP_CDN_ADMIN, L2TP_ERR_NONE, NULL);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(l2tp_msg_result(&m, &r), 0);
	assert_int_equal(r.error_code, 0);
	assert_int_equal(r.message_len, 0);

	/* none */
	start(&b, L2TP_MSG_CDN);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(l2tp_msg_result(&m, &r), -L2TP_E_MISSING_AVP);
}

/* Ciphertext computed with Python (see test_hidden.c for the function):
 *   hide(30, b's3cret-shared', bytes(range(0xa0, 0xb0)), b'alice@example.net')
 *   hide(33, ..., bytes(range(40)), bytes([0xee] * 5))  (5 octets of padding)
 * placed in an ICCN as the peer would send it. */
static void test_hidden_kat_in_message(void **state)
{
	static const uint8_t name_avp[] = {
	    0x00 | 0x40, 6 + 19, 0x00, 0x00, 0x00, L2TP_AVP_PROXY_AUTHEN_NAME,
	    0x97,        0x99,   0x45, 0x55, 0xe7, 0xdd,
	    0xc8,        0x22,   0x03, 0x2a, 0x13, 0x7b,
	    0xcc,        0x8f,   0x64, 0xfa, 0xbc, 0x11,
	    0xe1};
	static const uint8_t resp_avp[] = {
	    0x40, 6 + 47, 0x00, 0x00, 0x00, L2TP_AVP_PROXY_AUTHEN_RESPONSE,
	    0xa9, 0xa6,   0xcf, 0x36, 0x14, 0xe1,
	    0x01, 0x1c,   0xfb, 0x5d, 0x68, 0x21,
	    0x30, 0x35,   0xb3, 0x83, 0xc7, 0x87,
	    0x25, 0x88,   0x33, 0xfc, 0xbd, 0x88,
	    0xe8, 0x4a,   0xe9, 0xc7, 0xfe, 0xae,
	    0x9e, 0x3e,   0xfa, 0x15, 0x0d, 0x07,
	    0x22, 0xb3,   0x41, 0x46, 0x10, 0xa3,
	    0x41, 0xb8,   0xad, 0x83, 0xd1};
	struct l2tp_builder b;
	struct l2tp_msg m;
	uint8_t expect[40];
	int n;

	(void)state;
	for (int i = 0; i < 40; i++)
		expect[i] = (uint8_t)i;
	start(&b, L2TP_MSG_ICCN);
	l2tp_builder_put_u32(&b, L2TP_AVP_TX_CONNECT_SPEED, 1000000);
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_TYPE, L2TP_FRAMING_SYNC);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	put_bytes(&b, name_avp, sizeof(name_avp));
	put_bytes(&b, resp_avp, sizeof(resp_avp));
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), 0);
	assert_true(m.avp[L2TP_AVP_PROXY_AUTHEN_NAME].was_hidden);
	assert_int_equal(m.avp[L2TP_AVP_PROXY_AUTHEN_NAME].len, 17);
	assert_memory_equal(m.avp[L2TP_AVP_PROXY_AUTHEN_NAME].value, "alice@example.net", 17);
	/* padded: the value comes without its 5 padding octets */
	assert_true(m.avp[L2TP_AVP_PROXY_AUTHEN_RESPONSE].was_hidden);
	assert_int_equal(m.avp[L2TP_AVP_PROXY_AUTHEN_RESPONSE].len, 40);
	assert_memory_equal(m.avp[L2TP_AVP_PROXY_AUTHEN_RESPONSE].value, expect, 40);
	assert_int_equal(l2tp_msg_u32(&m, L2TP_AVP_TX_CONNECT_SPEED), 1000000);
}

static void test_hidden_padding(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	for (size_t pad = 0; pad <= 40; pad++) {
		start(&b, L2TP_MSG_ICRP);
		l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
		put_hidden(&b, 0, L2TP_AVP_ASSIGNED_SESSION_ID, true, vec_a, "\x12\x34", 2, pad);
		n = finish(&b);
		assert_int_equal(parse_exact((size_t)n, &secret, &m), 0);
		assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID), 0x1234);
		assert_int_equal(m.avp[L2TP_AVP_ASSIGNED_SESSION_ID].len, 2);
	}
}

/* §4.3: a hidden AVP uses the Random Vector most closely preceding it. */
static void test_vector_choice(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	start(&b, L2TP_MSG_ICRQ);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	put_hidden(&b, 0, L2TP_AVP_ASSIGNED_SESSION_ID, true, vec_a, "\x00\x2a", 2, 3);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_b, 16);
	put_hidden(&b, 0, L2TP_AVP_CALL_SERIAL_NUMBER, true, vec_b, "\x00\x00\x01\x00", 4, 0);
	put_hidden(&b, 0, L2TP_AVP_CALLING_NUMBER, true, vec_b, "5551234", 7, 20);
	/* a vector of another length */
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 5);
	{
		/* hidden with the 5-octet vector */
		uint8_t *p = b.buf + b.len;
		size_t total = 6 + 2 + 3;

		p[0] = 0xc0;
		p[1] = (uint8_t)total;
		p[2] = p[3] = p[4] = 0;
		p[5] = L2TP_AVP_CALLED_NUMBER;
		assert_int_equal(l2tp_hide(L2TP_AVP_CALLED_NUMBER, &secret, vec_a, 5,
		                           (const uint8_t *)"911", 3, NULL, 0, p + 6, total - 6),
		                 5);
		b.len += total;
	}
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), 0);
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID), 42);
	assert_int_equal(l2tp_msg_u32(&m, L2TP_AVP_CALL_SERIAL_NUMBER), 256);
	assert_int_equal(m.avp[L2TP_AVP_CALLING_NUMBER].len, 7);
	assert_memory_equal(m.avp[L2TP_AVP_CALLING_NUMBER].value, "5551234", 7);
	assert_int_equal(m.avp[L2TP_AVP_CALLED_NUMBER].len, 3);
	assert_memory_equal(m.avp[L2TP_AVP_CALLED_NUMBER].value, "911", 3);
	assert_int_equal(m.duplicates_ignored, 0);
	uint16_t missing = END;
	assert_int_equal(l2tp_msg_validate(&m, &missing), 0);

	/* The wrong vector (the earlier one) does not decode the value. */
	start(&b, L2TP_MSG_ICRQ);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_b, 16);
	put_hidden(&b, 0, L2TP_AVP_CALL_SERIAL_NUMBER, true, vec_a, "\x00\x00\x01\x00", 4, 30);
	n = finish(&b);
	int rc = parse_exact((size_t)n, &secret, &m);
	if (rc == 0)
		assert_int_not_equal(l2tp_msg_u32(&m, L2TP_AVP_CALL_SERIAL_NUMBER), 256);
	else
		assert_true(rc == -L2TP_E_HIDDEN_LENGTH || rc == -L2TP_E_AVP_VALUE);
}

static void test_hidden_errors(void **state)
{
	static const struct l2tp_secret empty = {secret_octets, 0};
	static const struct l2tp_secret nulls = {NULL, 5};
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	/* no Random Vector at all */
	start(&b, L2TP_MSG_ICRP);
	put_hidden(&b, 0, L2TP_AVP_ASSIGNED_SESSION_ID, true, vec_a, "\x00\x01", 2, 0);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_HIDDEN_NO_VECTOR);
	/* the vector after the hidden AVP does not count */
	start(&b, L2TP_MSG_ICRP);
	put_hidden(&b, 0, L2TP_AVP_ASSIGNED_SESSION_ID, true, vec_a, "\x00\x01", 2, 0);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_HIDDEN_NO_VECTOR);

	/* no secret: NULL, empty, or without octets */
	start(&b, L2TP_MSG_ICRP);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	put_hidden(&b, 0, L2TP_AVP_ASSIGNED_SESSION_ID, true, vec_a, "\x00\x01", 2, 0);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_HIDDEN_NO_SECRET);
	assert_int_equal(parse_exact((size_t)n, &empty, &m), -L2TP_E_HIDDEN_NO_SECRET);
	assert_int_equal(parse_exact((size_t)n, &nulls, &m), -L2TP_E_HIDDEN_NO_SECRET);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), 0);

	/* AVPs that MUST NOT be hidden */
	static const struct {
		uint16_t msg, avp;
	} never[] = {
	    {L2TP_MSG_SCCRQ, L2TP_AVP_HOST_NAME},
	    {L2TP_MSG_SCCRQ, L2TP_AVP_PROTOCOL_VERSION},
	    {L2TP_MSG_SCCRQ, L2TP_AVP_TIE_BREAKER},
	    {L2TP_MSG_SCCRQ, L2TP_AVP_RECEIVE_WINDOW_SIZE},
	    {L2TP_MSG_CDN, L2TP_AVP_RESULT_CODE},
	    {L2TP_MSG_CDN, L2TP_AVP_Q931_CAUSE_CODE},
	    {L2TP_MSG_ICCN, L2TP_AVP_SEQUENCING_REQUIRED},
	    {L2TP_MSG_HELLO, L2TP_AVP_RANDOM_VECTOR},
	};
	for (size_t i = 0; i < ARRAY_LEN(never); i++) {
		const struct l2tp_avp_rule *r = l2tp_avp_rule(never[i].avp);
		uint8_t v[16] = {0};

		assert_int_equal(r->hide, L2TP_HIDE_NEVER);
		start(&b, never[i].msg);
		l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
		put_hidden(&b, 0, never[i].avp, true, vec_a, v, r->min_len + 2u, 0);
		n = finish(&b);
		assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_HIDDEN_FORBIDDEN);
	}

	/* hidden, but shorter than the original length field */
	start(&b, L2TP_MSG_ICRP);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	put_bytes(&b, "\xc0\x07\x00\x00\x00\x0e\x55", 7);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_AVP_VALUE);

	/* unhidden to a length its rule forbids */
	start(&b, L2TP_MSG_ICRP);
	l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
	put_hidden(&b, 0, L2TP_AVP_ASSIGNED_SESSION_ID, true, vec_a, "\x00\x01\x02", 3, 0);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_AVP_VALUE);
}

/* A forged Length of Original Value larger than the AVP: refused, and the
 * parse reads nothing past the datagram (checked by the ASan build). */
static void test_hidden_forged_length(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	uint8_t big[200];
	int n;

	(void)state;
	memset(big, 'q', sizeof(big));
	for (size_t keep = 0; keep < 40; keep++) {
		uint8_t *avp;

		start(&b, L2TP_MSG_ICCN);
		l2tp_builder_put_raw(&b, 0, L2TP_AVP_RANDOM_VECTOR, true, vec_a, 16);
		avp = b.buf + b.len;
		put_hidden(&b, 0, L2TP_AVP_PROXY_AUTHEN_NAME, false, vec_a, big, sizeof(big), 0);
		/* cut the AVP to 6 + 2 + keep octets: it still says 200 inside */
		b.len = (size_t)(avp - b.buf) + 8 + keep;
		avp[0] = (uint8_t)(0x40 | (8 + keep) >> 8);
		avp[1] = (uint8_t)(8 + keep);
		n = finish(&b);
		assert_int_equal(parse_exact((size_t)n, &secret, &m), -L2TP_E_HIDDEN_LENGTH);
	}
}

static void test_malformed_avps(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	/* AVP Length below 6 */
	start(&b, L2TP_MSG_HELLO);
	put_bytes(&b, "\x00\x05\x00\x00\x00\x28", 6);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_AVP_LENGTH);
	/* AVP Length past the message */
	start(&b, L2TP_MSG_HELLO);
	put_bytes(&b, "\x00\x09\x00\x00\x00\x28\x01\x02", 8);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_AVP_TRUNCATED);
	/* a stray octet after the last AVP */
	start(&b, L2TP_MSG_HELLO);
	put_bytes(&b, "\x00", 1);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_AVP_TRUNCATED);
	/* the AVP runs past Length, though not past the datagram */
	start(&b, L2TP_MSG_ICRP);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 3);
	n = finish(&b);
	l2tp_header_set_length(buf, (uint16_t)(n - 1));
	assert_int_equal(parse_exact((size_t)n, NULL, &m), -L2TP_E_AVP_TRUNCATED);
}

/* Every prefix of a valid hidden message, with its Length made to agree:
 * nothing is read out of bounds (the ASan build checks), and only a prefix
 * ending on an AVP boundary parses. */
static void test_every_truncation(void **state)
{
	const struct l2tp_msg_rule *mr = l2tp_msg_rule(L2TP_MSG_ICCN);
	struct build_opts o = {.hide = true, .pad_max = 20};
	static uint8_t orig[sizeof(buf)];
	static bool boundary[sizeof(buf) + 1];
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	struct l2tp_msg m;
	int n;

	(void)state;
	n = build_message(mr, &o);
	memcpy(orig, buf, (size_t)n);
	boundary[L2TP_CONTROL_HEADER_LEN] = true; /* a ZLB */
	l2tp_avp_iter_init(&it, orig + L2TP_CONTROL_HEADER_LEN,
	                   (size_t)n - L2TP_CONTROL_HEADER_LEN);
	while (l2tp_avp_next(&it, &a) > 0)
		boundary[it.pos - orig] = true;
	assert_true(boundary[n]);

	for (int len = 0; len <= n; len++) {
		int rc;

		memcpy(buf, orig, (size_t)n);
		if (len >= 4)
			l2tp_header_set_length(buf, (uint16_t)len);
		rc = parse_exact((size_t)len, &secret, &m);
		if (boundary[len])
			assert_int_equal(rc, 0);
		else
			assert_true(rc < 0);
		/* without fixing Length: the header catches it */
		memcpy(buf, orig, (size_t)n);
		if (len < n && len >= L2TP_CONTROL_HEADER_LEN)
			assert_int_equal(parse_exact((size_t)len, &secret, &m), -L2TP_E_LENGTH);
	}
}

static void test_accessors(void **state)
{
	struct l2tp_builder b;
	struct l2tp_msg m;
	int n;

	(void)state;
	start(&b, L2TP_MSG_SCCRQ);
	l2tp_builder_put(&b, L2TP_AVP_PROTOCOL_VERSION, "\x01\x00", 2);
	l2tp_builder_put_string(&b, L2TP_AVP_HOST_NAME, "lac");
	l2tp_builder_put_u32(&b, L2TP_AVP_FRAMING_CAPABILITIES, 0xdeadbeef);
	l2tp_builder_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 0xfffe);
	n = finish(&b);
	assert_int_equal(parse_exact((size_t)n, NULL, &m), 0);
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_MESSAGE_TYPE), L2TP_MSG_SCCRQ);
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID), 0xfffe);
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_PROTOCOL_VERSION), 0x0100);
	assert_int_equal(l2tp_msg_u32(&m, L2TP_AVP_FRAMING_CAPABILITIES), 0xdeadbeef);
	/* absent, too short, or beyond the table: 0 */
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_RECEIVE_WINDOW_SIZE), 0);
	assert_int_equal(l2tp_msg_u32(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID), 0);
	assert_int_equal(l2tp_msg_u16(&m, L2TP_AVP_TYPE_LIMIT), 0);
	assert_int_equal(l2tp_msg_u16(&m, 0xffff), 0);
}

static void test_names(void **state)
{
	(void)state;
	for (uint16_t r = 1; r <= L2TP_STOPCCN_FSM_ERROR; r++) {
		assert_string_not_equal(l2tp_result_name(L2TP_MSG_STOPCCN, r), "unknown");
		for (uint16_t q = 1; q < r; q++)
			assert_string_not_equal(l2tp_result_name(L2TP_MSG_STOPCCN, r),
			                        l2tp_result_name(L2TP_MSG_STOPCCN, q));
	}
	for (uint16_t r = 1; r <= L2TP_CDN_NO_FRAMING; r++) {
		assert_string_not_equal(l2tp_result_name(L2TP_MSG_CDN, r), "unknown");
		for (uint16_t q = 1; q < r; q++)
			assert_string_not_equal(l2tp_result_name(L2TP_MSG_CDN, r),
			                        l2tp_result_name(L2TP_MSG_CDN, q));
	}
	/* the two tables differ: 1 is not the same reason in both */
	assert_string_not_equal(l2tp_result_name(L2TP_MSG_STOPCCN, 1),
	                        l2tp_result_name(L2TP_MSG_CDN, 1));
	assert_string_equal(l2tp_result_name(L2TP_MSG_STOPCCN, L2TP_STOPCCN_FSM_ERROR + 1),
	                    "unknown");
	assert_string_equal(l2tp_result_name(L2TP_MSG_CDN, L2TP_CDN_NO_FRAMING + 1), "unknown");
	assert_string_equal(l2tp_result_name(L2TP_MSG_HELLO, 1), "unknown");
	assert_string_equal(l2tp_result_name(L2TP_MSG_CDN, 0xffff), "unknown");
	for (uint16_t e = 0; e <= L2TP_ERR_UNKNOWN_MANDATORY_AVP; e++) {
		assert_string_not_equal(l2tp_general_error_name(e), "unknown");
		for (uint16_t q = 0; q < e; q++)
			assert_string_not_equal(l2tp_general_error_name(e),
			                        l2tp_general_error_name(q));
	}
	assert_string_equal(l2tp_general_error_name(L2TP_ERR_UNKNOWN_MANDATORY_AVP + 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_matches_rfc),
	    cmocka_unit_test(test_table_shape),
	    cmocka_unit_test(test_roundtrip_all_messages),
	    cmocka_unit_test(test_hidden_roundtrip_changes_octets),
	    cmocka_unit_test(test_validate_names_first_missing),
	    cmocka_unit_test(test_zlb),
	    cmocka_unit_test(test_not_control),
	    cmocka_unit_test(test_message_type_first),
	    cmocka_unit_test(test_unknown_message_type),
	    cmocka_unit_test(test_unknown_avps),
	    cmocka_unit_test(test_not_allowed_avp),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_result_code),
	    cmocka_unit_test(test_hidden_kat_in_message),
	    cmocka_unit_test(test_hidden_padding),
	    cmocka_unit_test(test_vector_choice),
	    cmocka_unit_test(test_hidden_errors),
	    cmocka_unit_test(test_hidden_forged_length),
	    cmocka_unit_test(test_malformed_avps),
	    cmocka_unit_test(test_every_truncation),
	    cmocka_unit_test(test_accessors),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
