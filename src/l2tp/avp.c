/* L2TP AVPs (RFC 2661 §4, RFC 3145): the rule table, the iterator and the
 * message builder. */
#include "avp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "byteorder.h"
#include "hidden.h"
#include "wire.h"

/* The longest Attribute Value the 10-bit Length field can carry (§4.1). */
#define AVP_VALUE_MAX (L2TP_AVP_MAX_LEN - L2TP_AVP_HEADER_LEN)
/* The 2-octet original length in front of a hidden value (§4.3). */
#define AVP_HIDDEN_ORIG_LEN 2
/* Result Code: the Result Code alone, or followed by the Error Code (§4.4.2). */
#define AVP_RESULT_LEN       2
#define AVP_RESULT_ERROR_LEN 4

#define AVP_RULE(t, n, m, h, lo, hi)                                                               \
	[t] = {.type = (t),                                                                        \
	       .name = (n),                                                                        \
	       .mandatory = (m),                                                                   \
	       .hide = (h),                                                                        \
	       .min_len = (lo),                                                                    \
	       .max_len = (hi)}

/* Value lengths are those of the cleartext Attribute Value: the RFC's
 * "Length (before hiding) is N" minus the 6-octet AVP header. The M column
 * is the M bit the RFC says to send; hiding follows each AVP's "H-bit MUST
 * be 0" or "may be hidden" text. */
static const struct l2tp_avp_rule avp_rules[L2TP_AVP_TYPE_LIMIT] = {
    /* §4.4.1 */
    AVP_RULE(L2TP_AVP_MESSAGE_TYPE, "Message Type", true, L2TP_HIDE_NEVER, 2, 2),
    AVP_RULE(L2TP_AVP_RANDOM_VECTOR, "Random Vector", true, L2TP_HIDE_NEVER, 0, AVP_VALUE_MAX),
    /* §4.4.2: 2, or >= 4 (see l2tp_avp_check_length) */
    AVP_RULE(L2TP_AVP_RESULT_CODE, "Result Code", true, L2TP_HIDE_NEVER, AVP_RESULT_LEN,
             AVP_VALUE_MAX),
    /* §4.4.3 */
    AVP_RULE(L2TP_AVP_PROTOCOL_VERSION, "Protocol Version", true, L2TP_HIDE_NEVER, 2, 2),
    AVP_RULE(L2TP_AVP_FRAMING_CAPABILITIES, "Framing Capabilities", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_BEARER_CAPABILITIES, "Bearer Capabilities", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_TIE_BREAKER, "Tie Breaker", false, L2TP_HIDE_NEVER, 8, 8),
    AVP_RULE(L2TP_AVP_FIRMWARE_REVISION, "Firmware Revision", false, L2TP_HIDE_MAY, 2, 2),
    AVP_RULE(L2TP_AVP_HOST_NAME, "Host Name", true, L2TP_HIDE_NEVER, 1, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_VENDOR_NAME, "Vendor Name", false, L2TP_HIDE_MAY, 0, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_ASSIGNED_TUNNEL_ID, "Assigned Tunnel ID", true, L2TP_HIDE_MAY, 2, 2),
    AVP_RULE(L2TP_AVP_RECEIVE_WINDOW_SIZE, "Receive Window Size", true, L2TP_HIDE_NEVER, 2, 2),
    AVP_RULE(L2TP_AVP_CHALLENGE, "Challenge", true, L2TP_HIDE_MAY, 1, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_CHALLENGE_RESPONSE, "Challenge Response", true, L2TP_HIDE_MAY, 16, 16),
    /* §4.4.4 */
    AVP_RULE(L2TP_AVP_Q931_CAUSE_CODE, "Q.931 Cause Code", true, L2TP_HIDE_NEVER, 3, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_ASSIGNED_SESSION_ID, "Assigned Session ID", true, L2TP_HIDE_MAY, 2, 2),
    AVP_RULE(L2TP_AVP_CALL_SERIAL_NUMBER, "Call Serial Number", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_MINIMUM_BPS, "Minimum BPS", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_MAXIMUM_BPS, "Maximum BPS", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_BEARER_TYPE, "Bearer Type", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_FRAMING_TYPE, "Framing Type", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_CALLED_NUMBER, "Called Number", true, L2TP_HIDE_MAY, 0, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_CALLING_NUMBER, "Calling Number", true, L2TP_HIDE_MAY, 0, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_SUB_ADDRESS, "Sub-Address", true, L2TP_HIDE_MAY, 0, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_TX_CONNECT_SPEED, "Tx Connect Speed", true, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_RX_CONNECT_SPEED, "Rx Connect Speed", false, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_PHYSICAL_CHANNEL_ID, "Physical Channel ID", false, L2TP_HIDE_MAY, 4, 4),
    AVP_RULE(L2TP_AVP_PRIVATE_GROUP_ID, "Private Group ID", false, L2TP_HIDE_MAY, 0, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_SEQUENCING_REQUIRED, "Sequencing Required", true, L2TP_HIDE_NEVER, 0, 0),
    /* §4.4.5: an LCP Configure-Request may carry no options at all */
    AVP_RULE(L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ, "Initial Received LCP CONFREQ", false,
             L2TP_HIDE_MAY, 0, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_LAST_SENT_LCP_CONFREQ, "Last Sent LCP CONFREQ", false, L2TP_HIDE_MAY, 0,
             AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ, "Last Received LCP CONFREQ", false, L2TP_HIDE_MAY,
             0, AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_PROXY_AUTHEN_TYPE, "Proxy Authen Type", false, L2TP_HIDE_MAY, 2, 2),
    AVP_RULE(L2TP_AVP_PROXY_AUTHEN_NAME, "Proxy Authen Name", false, L2TP_HIDE_MAY, 0,
             AVP_VALUE_MAX),
    AVP_RULE(L2TP_AVP_PROXY_AUTHEN_CHALLENGE, "Proxy Authen Challenge", false, L2TP_HIDE_MAY, 1,
             AVP_VALUE_MAX),
    /* The RFC gives no Length; the value is a 2-octet integer. */
    AVP_RULE(L2TP_AVP_PROXY_AUTHEN_ID, "Proxy Authen ID", false, L2TP_HIDE_MAY, 2, 2),
    /* A PAP password may be empty. */
    AVP_RULE(L2TP_AVP_PROXY_AUTHEN_RESPONSE, "Proxy Authen Response", false, L2TP_HIDE_MAY, 0,
             AVP_VALUE_MAX),
    /* §4.4.6 */
    AVP_RULE(L2TP_AVP_CALL_ERRORS, "Call Errors", true, L2TP_HIDE_MAY, 26, 26),
    AVP_RULE(L2TP_AVP_ACCM, "ACCM", true, L2TP_HIDE_MAY, 10, 10),
    /* RFC 3145 §2: M MUST be 0, may be hidden. One sentence says the
     * Value is at least 11 octets, but the figure (code 2, protocol 2,
     * direction 1) and the Length definition ("the entire attribute ...
     * at least 11") agree on 6 + 5: peers send 5-octet values. */
    AVP_RULE(L2TP_AVP_PPP_DISCONNECT_CAUSE, "PPP Disconnect Cause Code", false, L2TP_HIDE_MAY, 5,
             AVP_VALUE_MAX),
};

const struct l2tp_avp_rule *l2tp_avp_rule(uint16_t type)
{
	if (type >= L2TP_AVP_TYPE_LIMIT || !avp_rules[type].name)
		return NULL;
	return &avp_rules[type];
}

const char *l2tp_avp_name(uint16_t vendor, uint16_t type)
{
	const struct l2tp_avp_rule *r = vendor ? NULL : l2tp_avp_rule(type);

	return r ? r->name : "unknown";
}

int l2tp_avp_check_length(const struct l2tp_avp_rule *r, size_t value_len)
{
	if (value_len < r->min_len || value_len > r->max_len)
		return -L2TP_E_AVP_VALUE;
	/* §4.4.2: the Error Code is a whole 2-octet field or absent. */
	if (r->type == L2TP_AVP_RESULT_CODE && value_len > AVP_RESULT_LEN &&
	    value_len < AVP_RESULT_ERROR_LEN)
		return -L2TP_E_AVP_VALUE;
	return 0;
}

void l2tp_avp_iter_init(struct l2tp_avp_iter *it, uint8_t *avps, size_t len)
{
	it->pos = avps;
	it->end = avps + len;
}

int l2tp_avp_next(struct l2tp_avp_iter *it, struct l2tp_avp *a)
{
	size_t left = (size_t)(it->end - it->pos);
	uint16_t flags, len;

	if (!left)
		return 0;
	if (left < L2TP_AVP_HEADER_LEN)
		return -L2TP_E_AVP_TRUNCATED;
	flags = l2tp_get16(it->pos);
	len = flags & L2TP_AVP_LENGTH_MASK;
	if (len < L2TP_AVP_HEADER_LEN)
		return -L2TP_E_AVP_LENGTH;
	if (len > left)
		return -L2TP_E_AVP_TRUNCATED;

	a->mandatory = flags & L2TP_AVP_FLAG_M;
	a->hidden = flags & L2TP_AVP_FLAG_H;
	a->reserved_bits = flags & L2TP_AVP_RESERVED_MASK;
	a->vendor = l2tp_get16(it->pos + 2);
	a->type = l2tp_get16(it->pos + 4);
	a->value = it->pos + L2TP_AVP_HEADER_LEN;
	a->len = (uint16_t)(len - L2TP_AVP_HEADER_LEN);
	it->pos += len;
	return 1;
}

void l2tp_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Predictable vectors would silently void hiding: better
			 * to stop than to carry on without randomness. */
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
}

/* The first error sticks; later calls see it and do nothing. */
static void builder_fail(struct l2tp_builder *b, int err)
{
	if (!b->err)
		b->err = err;
}

/* Room for n more octets, within the 16-bit message Length. */
static uint8_t *builder_reserve(struct l2tp_builder *b, size_t n)
{
	uint8_t *p;

	if (b->err)
		return NULL;
	if (n > b->cap - b->len || b->len + n > UINT16_MAX) {
		builder_fail(b, -L2TP_E_NOSPACE);
		return NULL;
	}
	p = b->buf + b->len;
	b->len += n;
	return p;
}

static uint8_t *builder_put_avp_header(struct l2tp_builder *b, uint16_t flags, uint16_t vendor,
                                       uint16_t type, size_t value_len)
{
	uint8_t *p;

	if (value_len > AVP_VALUE_MAX) {
		builder_fail(b, -L2TP_E_INVALID);
		return NULL;
	}
	p = builder_reserve(b, L2TP_AVP_HEADER_LEN + value_len);
	if (!p)
		return NULL;
	l2tp_put16(p, (uint16_t)(flags | (L2TP_AVP_HEADER_LEN + value_len)));
	l2tp_put16(p + 2, vendor);
	l2tp_put16(p + 4, type);
	return p + L2TP_AVP_HEADER_LEN;
}

void l2tp_builder_put_raw(struct l2tp_builder *b, uint16_t vendor, uint16_t type, bool mandatory,
                          const void *value, size_t len)
{
	uint8_t *p;

	p = builder_put_avp_header(b, mandatory ? L2TP_AVP_FLAG_M : 0, vendor, type, len);
	if (p && len)
		memcpy(p, value, len);
}

void l2tp_builder_init(struct l2tp_builder *b, uint8_t *buf, size_t cap, uint16_t tunnel_id,
                       uint16_t session_id, uint16_t message_type)
{
	uint8_t v[sizeof(message_type)];

	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	if (!builder_reserve(b, L2TP_CONTROL_HEADER_LEN))
		return;
	/* Ns and Nr are the transport's to patch at each transmission. */
	l2tp_header_put_control(buf, tunnel_id, session_id, 0, 0);
	/* §4.4.1: Message Type first, never hidden, M set for every type we send. */
	l2tp_put16(v, message_type);
	l2tp_builder_put_raw(b, 0, L2TP_AVP_MESSAGE_TYPE, true, v, sizeof(v));
}

static void builder_random(const struct l2tp_builder *b, void *buf, size_t len)
{
	if (b->random)
		b->random(buf, len);
	else
		l2tp_random_bytes(buf, len);
}

/* §4.3: the H bit only with a shared secret, and only where the AVP allows. */
static bool builder_hides(const struct l2tp_builder *b, const struct l2tp_avp_rule *r)
{
	return b->hide && b->secret.data && b->secret.len && r->hide == L2TP_HIDE_MAY;
}

/* How many padding octets to add after a hidden value of vlen octets: random
 * up to pad_max, so the AVP's length tells little about the value's, within
 * what the AVP Length field can hold. */
static size_t builder_pad_len(const struct l2tp_builder *b, size_t vlen)
{
	size_t room = AVP_VALUE_MAX - AVP_HIDDEN_ORIG_LEN - vlen;
	uint16_t r;
	size_t pad;

	if (!b->pad_max)
		return 0;
	builder_random(b, &r, sizeof(r));
	pad = r % ((size_t)b->pad_max + 1);
	return pad < room ? pad : room;
}

static void builder_put_hidden(struct l2tp_builder *b, const struct l2tp_avp_rule *r,
                               const void *value, size_t len)
{
	uint8_t padding[AVP_VALUE_MAX];
	uint16_t flags = L2TP_AVP_FLAG_H;
	size_t pad, total;
	uint8_t *p;

	if (len > AVP_VALUE_MAX - AVP_HIDDEN_ORIG_LEN) {
		builder_fail(b, -L2TP_E_INVALID);
		return;
	}
	/* §4.3: a Random Vector AVP precedes the first hidden AVP; one vector
	 * serves every hidden AVP of the message. We send 16 octets, the
	 * length §4.4.1 recommends. */
	if (!b->vector_sent) {
		builder_random(b, b->vector, sizeof(b->vector));
		l2tp_builder_put_raw(b, 0, L2TP_AVP_RANDOM_VECTOR, true, b->vector,
		                     sizeof(b->vector));
		b->vector_sent = true;
	}
	pad = builder_pad_len(b, len);
	builder_random(b, padding, pad);
	total = AVP_HIDDEN_ORIG_LEN + len + pad;
	if (r->mandatory)
		flags |= L2TP_AVP_FLAG_M;
	p = builder_put_avp_header(b, flags, 0, r->type, total);
	if (p)
		l2tp_hide(r->type, &b->secret, b->vector, sizeof(b->vector), value, len, padding,
		          pad, p, total);
}

void l2tp_builder_put(struct l2tp_builder *b, uint16_t type, const void *value, size_t len)
{
	const struct l2tp_avp_rule *r = l2tp_avp_rule(type);

	if (b->err)
		return;
	/* We never send an AVP we would reject ourselves. */
	if (!r || l2tp_avp_check_length(r, len)) {
		builder_fail(b, -L2TP_E_INVALID);
		return;
	}
	if (builder_hides(b, r))
		builder_put_hidden(b, r, value, len);
	else
		l2tp_builder_put_raw(b, 0, type, r->mandatory, value, len);
}

void l2tp_builder_put_u16(struct l2tp_builder *b, uint16_t type, uint16_t v)
{
	uint8_t buf[sizeof(v)];

	l2tp_put16(buf, v);
	l2tp_builder_put(b, type, buf, sizeof(buf));
}

void l2tp_builder_put_u32(struct l2tp_builder *b, uint16_t type, uint32_t v)
{
	uint8_t buf[sizeof(v)];

	l2tp_put32(buf, v);
	l2tp_builder_put(b, type, buf, sizeof(buf));
}

void l2tp_builder_put_string(struct l2tp_builder *b, uint16_t type, const char *s)
{
	if (!s) {
		builder_fail(b, -L2TP_E_INVALID);
		return;
	}
	l2tp_builder_put(b, type, s, strlen(s));
}

void l2tp_builder_put_result(struct l2tp_builder *b, uint16_t result, int error_code,
                             const char *message)
{
	uint8_t v[AVP_VALUE_MAX];
	size_t mlen = message ? strlen(message) : 0;

	l2tp_put16(v, result);
	if (error_code < 0) {
		l2tp_builder_put(b, L2TP_AVP_RESULT_CODE, v, AVP_RESULT_LEN);
		return;
	}
	if (error_code > UINT16_MAX || mlen > sizeof(v) - AVP_RESULT_ERROR_LEN) {
		builder_fail(b, -L2TP_E_INVALID);
		return;
	}
	l2tp_put16(v + AVP_RESULT_LEN, (uint16_t)error_code);
	if (mlen)
		memcpy(v + AVP_RESULT_ERROR_LEN, message, mlen);
	l2tp_builder_put(b, L2TP_AVP_RESULT_CODE, v, AVP_RESULT_ERROR_LEN + mlen);
}

int l2tp_builder_finish(struct l2tp_builder *b)
{
	if (b->err)
		return b->err;
	l2tp_header_set_length(b->buf, (uint16_t)b->len);
	return (int)b->len;
}
