/* L2TP header codec (RFC 2661 §3.1). */
#include "wire.h"

#include <string.h>

#include "byteorder.h"

/* Octets of each header field, in wire order (RFC 2661 §3.1, Figure 3.1). */
enum {
	WIRE_FLAGS_LEN = 2,
	WIRE_LENGTH_LEN = 2,
	WIRE_IDS_LEN = 4,      /* Tunnel ID and Session ID */
	WIRE_SEQUENCE_LEN = 4, /* Ns and Nr */
	WIRE_OFFSET_SIZE_LEN = 2,
};

/* The version numbers we recognise beside our own, to say why we drop. */
enum {
	WIRE_VERSION_L2F = 1,   /* RFC 2341, reserved in §3.1 to detect it */
	WIRE_VERSION_L2TPV3 = 3 /* RFC 3931 */
};

static const char *const wire_error_names[L2TP_E_COUNT] = {
    [L2TP_OK] = "ok",
    [L2TP_E_SHORT] = "datagram shorter than its header",
    [L2TP_E_VERSION] = "unknown version",
    [L2TP_E_L2F] = "L2F packet (version 1)",
    [L2TP_E_V3] = "L2TPv3 packet (version 3)",
    [L2TP_E_LENGTH] = "Length field disagrees with the datagram",
    [L2TP_E_CONTROL_FLAGS] = "control message with bad L, S, O or P bits",
    [L2TP_E_OFFSET] = "offset padding runs past the message",
    [L2TP_E_AVP_TRUNCATED] = "AVP runs past the message",
    [L2TP_E_AVP_LENGTH] = "AVP Length below 6",
    [L2TP_E_AVP_VALUE] = "AVP value length breaks its rule",
    [L2TP_E_NO_MESSAGE_TYPE] = "first AVP is not a plain Message Type",
    [L2TP_E_HIDDEN_FORBIDDEN] = "hidden AVP that must not be hidden",
    [L2TP_E_HIDDEN_NO_VECTOR] = "hidden AVP without a preceding Random Vector",
    [L2TP_E_HIDDEN_NO_SECRET] = "hidden AVP but no shared secret",
    [L2TP_E_HIDDEN_LENGTH] = "hidden AVP original length exceeds the AVP",
    [L2TP_E_MISSING_AVP] = "required AVP missing",
    [L2TP_E_UNKNOWN_MESSAGE] = "unknown mandatory message type",
    [L2TP_E_NOSPACE] = "output buffer too small",
    [L2TP_E_INVALID] = "invalid argument",
};

const char *l2tp_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= L2TP_E_COUNT)
		return "unknown error";
	return wire_error_names[err];
}

int l2tp_header_parse(const uint8_t *buf, size_t len, struct l2tp_header *h)
{
	size_t fixed, pos;
	uint16_t flags;
	int err;

	memset(h, 0, sizeof(*h));
	err = -L2TP_E_SHORT;
	if (len < WIRE_FLAGS_LEN)
		goto fail;
	flags = l2tp_get16(buf);

	/* Ver first: a packet of another protocol says nothing about its flags. */
	h->version = flags & L2TP_VERSION_MASK;
	if (h->version != L2TP_VERSION) {
		if (h->version == WIRE_VERSION_L2F)
			err = -L2TP_E_L2F;
		else if (h->version == WIRE_VERSION_L2TPV3)
			err = -L2TP_E_V3;
		else
			err = -L2TP_E_VERSION;
		goto fail;
	}

	/* Reserved x bits are ignored on receipt (§3.1). */
	h->is_control = flags & L2TP_FLAG_T;
	h->has_length = flags & L2TP_FLAG_L;
	h->has_sequence = flags & L2TP_FLAG_S;
	h->has_offset = flags & L2TP_FLAG_O;
	h->priority = flags & L2TP_FLAG_P;

	/* §3.1: control messages MUST carry L and S, and MUST NOT carry O or P. */
	err = -L2TP_E_CONTROL_FLAGS;
	if (h->is_control && (!h->has_length || !h->has_sequence || h->has_offset || h->priority))
		goto fail;

	fixed = WIRE_FLAGS_LEN + WIRE_IDS_LEN;
	if (h->has_length)
		fixed += WIRE_LENGTH_LEN;
	if (h->has_sequence)
		fixed += WIRE_SEQUENCE_LEN;
	if (h->has_offset)
		fixed += WIRE_OFFSET_SIZE_LEN;
	err = -L2TP_E_SHORT;
	if (len < fixed)
		goto fail;

	pos = WIRE_FLAGS_LEN;
	err = -L2TP_E_LENGTH;
	if (h->has_length) {
		h->length = l2tp_get16(buf + pos);
		pos += WIRE_LENGTH_LEN;
		/* Trailing octets beyond Length (e.g. link padding) are not ours. */
		if (h->length < fixed || h->length > len)
			goto fail;
	} else {
		if (len > UINT16_MAX)
			goto fail;
		h->length = (uint16_t)len;
	}

	h->tunnel_id = l2tp_get16(buf + pos);
	h->session_id = l2tp_get16(buf + pos + 2);
	pos += WIRE_IDS_LEN;

	if (h->has_sequence) {
		h->ns = l2tp_get16(buf + pos);
		/* §3.1: Nr is reserved in data messages and MUST be ignored. */
		if (h->is_control)
			h->nr = l2tp_get16(buf + pos + 2);
		pos += WIRE_SEQUENCE_LEN;
	}

	if (h->has_offset) {
		h->offset_size = l2tp_get16(buf + pos);
		pos += WIRE_OFFSET_SIZE_LEN;
		err = -L2TP_E_OFFSET;
		if (h->offset_size > h->length - pos)
			goto fail;
		pos += h->offset_size;
	}
	h->header_len = (uint16_t)pos;
	return 0;

fail:
	return err;
}

void l2tp_header_put_control(uint8_t *buf, uint16_t tunnel_id, uint16_t session_id, uint16_t ns,
                             uint16_t nr)
{
	uint8_t *ids = buf + WIRE_FLAGS_LEN + WIRE_LENGTH_LEN;

	/* §3.1: T, L and S set, O and P and the reserved bits clear. */
	l2tp_put16(buf, L2TP_FLAG_T | L2TP_FLAG_L | L2TP_FLAG_S | L2TP_VERSION);
	l2tp_header_set_length(buf, L2TP_CONTROL_HEADER_LEN);
	l2tp_put16(ids, tunnel_id);
	l2tp_put16(ids + 2, session_id);
	l2tp_header_set_sequence(buf, ns, nr);
}

void l2tp_header_set_length(uint8_t *buf, uint16_t length)
{
	l2tp_put16(buf + WIRE_FLAGS_LEN, length);
}

void l2tp_header_set_sequence(uint8_t *buf, uint16_t ns, uint16_t nr)
{
	uint8_t *seq = buf + WIRE_FLAGS_LEN + WIRE_LENGTH_LEN + WIRE_IDS_LEN;

	l2tp_put16(seq, ns);
	l2tp_put16(seq + 2, nr);
}

int l2tp_header_put_data(uint8_t *buf, size_t cap, uint16_t tunnel_id, uint16_t session_id,
                         const struct l2tp_data_options *o)
{
	uint16_t flags = L2TP_VERSION;
	size_t hlen = WIRE_FLAGS_LEN + WIRE_IDS_LEN;
	size_t pos = WIRE_FLAGS_LEN;

	if (o->length) {
		flags |= L2TP_FLAG_L;
		hlen += WIRE_LENGTH_LEN;
	}
	if (o->sequence) {
		flags |= L2TP_FLAG_S;
		hlen += WIRE_SEQUENCE_LEN;
	}
	if (o->offset_size) {
		flags |= L2TP_FLAG_O;
		hlen += WIRE_OFFSET_SIZE_LEN + o->offset_size;
	}
	if (o->priority)
		flags |= L2TP_FLAG_P;
	if (hlen > cap)
		return -L2TP_E_NOSPACE;
	/* The Length field cannot say more than 16 bits. */
	if (o->length && hlen + o->payload_len > UINT16_MAX)
		return -L2TP_E_INVALID;

	l2tp_put16(buf, flags);
	if (o->length) {
		l2tp_put16(buf + pos, (uint16_t)(hlen + o->payload_len));
		pos += WIRE_LENGTH_LEN;
	}
	l2tp_put16(buf + pos, tunnel_id);
	l2tp_put16(buf + pos + 2, session_id);
	pos += WIRE_IDS_LEN;
	if (o->sequence) {
		l2tp_put16(buf + pos, o->ns);
		l2tp_put16(buf + pos + 2, 0);
		pos += WIRE_SEQUENCE_LEN;
	}
	if (o->offset_size) {
		l2tp_put16(buf + pos, o->offset_size);
		pos += WIRE_OFFSET_SIZE_LEN;
		memset(buf + pos, 0, o->offset_size);
	}
	return (int)hlen;
}
