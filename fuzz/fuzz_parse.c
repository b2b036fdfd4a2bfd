/* Fuzz the receive path: everything a datagram from the network reaches
 * before any state machine sees it. The header parser, the AVP iterator,
 * the control message parser (with the seeds' secret, so hidden AVPs are
 * really decrypted, and again without one), the validator, the accessors,
 * Result Code decoding and the data payload bounds.
 *
 * Beyond "no crash", it checks properties the callers rely on, abort()ing
 * (a crash to libFuzzer) when one fails:
 *   - a parsed header's length and header_len lie within the datagram;
 *   - every AVP value the parser returns lies within the message, and a
 *     known AVP's length obeys its rule;
 *   - a parsed message rebuilt with l2tp_builder (clear, and hidden with
 *     padding) parses back to the same AVP values. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "l2tp/avp.h"
#include "l2tp/hidden.h"
#include "l2tp/msg.h"
#include "l2tp/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static const struct l2tp_secret secret = {(const uint8_t *)CATALOG_SECRET,
                                          sizeof(CATALOG_SECRET) - 1};

/* Reads of every octet go through here so ASan sees them; the sink stops
 * the compiler from dropping the loop. */
static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;

	for (size_t i = 0; i < n; i++)
		x ^= p[i];
	sink = x;
}

/* Deterministic "random" for the builder: a crash must reproduce from its
 * input alone. Reset at the start of every input. */
static uint32_t prng;

static void fuzz_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		prng = prng * 1103515245u + 12345u;
		p[i] = (uint8_t)(prng >> 16);
	}
}

static void walk_avps(uint8_t *p, size_t len)
{
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	int rc;

	l2tp_avp_iter_init(&it, p, len);
	while ((rc = l2tp_avp_next(&it, &a)) == 1) {
		const struct l2tp_avp_rule *r = a.vendor ? NULL : l2tp_avp_rule(a.type);

		CHECK(a.value >= p && a.value + a.len <= p + len);
		touch(a.value, a.len);
		(void)l2tp_avp_name(a.vendor, a.type);
		if (r)
			(void)l2tp_avp_check_length(r, a.len);
	}
	CHECK(rc <= 0);
	(void)l2tp_strerror(rc);
}

/* Builds a message of m's type from m's AVP values and checks it parses
 * back to the same values. Random Vector is left to the builder, which adds
 * its own before the first hidden AVP. */
static void check_rebuild(const struct l2tp_msg *m, bool hide)
{
	/* A whole L2TP message fits; ASan's redzone catches a write past it. */
	static uint8_t out[65535];
	struct l2tp_builder b;
	struct l2tp_msg again;
	int n;

	l2tp_builder_init(&b, out, sizeof(out), m->hdr.tunnel_id, m->hdr.session_id, m->type);
	b.hide = hide;
	b.secret = secret;
	b.random = fuzz_random;
	b.pad_max = hide ? 5 : 0;
	for (uint16_t t = 1; t < L2TP_AVP_TYPE_LIMIT; t++) {
		if (m->avp[t].present && t != L2TP_AVP_RANDOM_VECTOR && l2tp_avp_rule(t))
			l2tp_builder_put(&b, t, m->avp[t].value, m->avp[t].len);
	}
	n = l2tp_builder_finish(&b);
	/* Hiding grows the message (vector, length field, padding): only then
	 * may a message near 64 KiB no longer fit, or a clear value of over
	 * 1015 octets be refused (the builder never sends it clear instead). */
	CHECK(n > 0 || (hide && (n == -L2TP_E_NOSPACE || n == -L2TP_E_INVALID)));
	if (n < 0)
		return;
	CHECK(l2tp_msg_parse(out, (size_t)n, &secret, &again) == 0);
	CHECK(again.type == m->type);
	for (uint16_t t = 1; t < L2TP_AVP_TYPE_LIMIT; t++) {
		const struct l2tp_avp_rule *r = l2tp_avp_rule(t);
		const struct l2tp_avp_value *v = &m->avp[t], *w = &again.avp[t];

		if (t == L2TP_AVP_RANDOM_VECTOR || !r)
			continue;
		CHECK(w->present == v->present);
		if (!v->present)
			continue;
		CHECK(w->len == v->len);
		CHECK(v->len == 0 || memcmp(w->value, v->value, v->len) == 0);
		CHECK(w->was_hidden == (hide && r->hide == L2TP_HIDE_MAY));
	}
}

static void check_control(uint8_t *buf, size_t len, const struct l2tp_secret *s)
{
	struct l2tp_msg m;
	struct l2tp_result res;
	uint16_t missing = 0;
	int rc;

	rc = l2tp_msg_parse(buf, len, s, &m);
	(void)l2tp_strerror(rc);
	if (rc != 0)
		return;
	CHECK(m.hdr.is_control && m.hdr.length <= len);
	(void)l2tp_msg_name(m.type);
	(void)l2tp_msg_rule(m.type);
	if (m.unknown_mandatory)
		(void)l2tp_avp_name(m.unknown_vendor, m.unknown_type);

	rc = l2tp_msg_validate(&m, &missing);
	if (rc != 0) {
		CHECK(rc == -L2TP_E_MISSING_AVP);
		CHECK(missing < L2TP_AVP_TYPE_LIMIT && !(m.present & L2TP_AVP_BIT(missing)));
		(void)l2tp_avp_name(0, missing);
	}

	for (uint16_t t = 0; t < L2TP_AVP_TYPE_LIMIT; t++) {
		const struct l2tp_avp_value *v = &m.avp[t];
		const struct l2tp_avp_rule *r = l2tp_avp_rule(t);

		if (!v->present)
			continue;
		CHECK(m.present & L2TP_AVP_BIT(t));
		CHECK(v->value >= buf + m.hdr.header_len &&
		      v->value + v->len <= buf + m.hdr.length);
		touch(v->value, v->len);
		if (!r)
			continue;
		CHECK(l2tp_avp_check_length(r, v->len) == 0);
		if (r->min_len == 2 && r->max_len == 2)
			(void)l2tp_msg_u16(&m, t);
		else if (r->min_len == 4 && r->max_len == 4)
			(void)l2tp_msg_u32(&m, t);
	}

	rc = l2tp_msg_result(&m, &res);
	if (rc == 0) {
		CHECK(res.error_code >= -1 && res.error_code <= UINT16_MAX);
		touch((const uint8_t *)res.message, res.message_len);
		(void)l2tp_result_name(m.type, res.result);
		if (res.error_code >= 0)
			(void)l2tp_general_error_name((uint16_t)res.error_code);
	} else {
		CHECK(rc == -L2TP_E_MISSING_AVP);
	}

	if (m.type != L2TP_MSG_ZLB && l2tp_msg_rule(m.type)) {
		check_rebuild(&m, false);
		check_rebuild(&m, true);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size octets on the heap: ASan flags any read past the end.
	 * The parser decrypts hidden AVPs in place, hence a copy per pass. */
	uint8_t *buf = malloc(size ? size : 1);
	struct l2tp_header h;
	int rc;

	if (!buf)
		return 0;
	prng = 1;
	memcpy(buf, data, size);

	/* The iterator over arbitrary octets, not only after a valid header. */
	walk_avps(buf, size);

	rc = l2tp_header_parse(buf, size, &h);
	(void)l2tp_strerror(rc);
	if (rc == 0) {
		CHECK(h.length <= size && h.header_len <= h.length);
		if (!h.is_control) {
			/* What the data plane would hand to PPP. */
			touch(buf + h.header_len, h.length - h.header_len);
		} else {
			walk_avps(buf + h.header_len, h.length - h.header_len);
			check_control(buf, size, &secret);
			memcpy(buf, data, size);
			check_control(buf, size, NULL);
		}
	}
	free(buf);
	return 0;
}
