/* L2TP AVPs (RFC 2661 §4): the table of every IETF AVP with its length and
 * M/H rules, an iterator over a message's AVPs, and a message builder. */
#ifndef L2TP_AVP_H
#define L2TP_AVP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define L2TP_AVP_HEADER_LEN 6
#define L2TP_AVP_MAX_LEN 1023 /* the 10-bit Length field */
#define L2TP_AVP_FLAG_M 0x8000
#define L2TP_AVP_FLAG_H 0x4000
#define L2TP_AVP_RESERVED_MASK 0x3c00
#define L2TP_AVP_LENGTH_MASK 0x03ff

enum l2tp_avp_type {
	L2TP_AVP_MESSAGE_TYPE = 0,
	L2TP_AVP_RESULT_CODE = 1,
	L2TP_AVP_PROTOCOL_VERSION = 2,
	L2TP_AVP_FRAMING_CAPABILITIES = 3,
	L2TP_AVP_BEARER_CAPABILITIES = 4,
	L2TP_AVP_TIE_BREAKER = 5,
	L2TP_AVP_FIRMWARE_REVISION = 6,
	L2TP_AVP_HOST_NAME = 7,
	L2TP_AVP_VENDOR_NAME = 8,
	L2TP_AVP_ASSIGNED_TUNNEL_ID = 9,
	L2TP_AVP_RECEIVE_WINDOW_SIZE = 10,
	L2TP_AVP_CHALLENGE = 11,
	L2TP_AVP_Q931_CAUSE_CODE = 12,
	L2TP_AVP_CHALLENGE_RESPONSE = 13,
	L2TP_AVP_ASSIGNED_SESSION_ID = 14,
	L2TP_AVP_CALL_SERIAL_NUMBER = 15,
	L2TP_AVP_MINIMUM_BPS = 16,
	L2TP_AVP_MAXIMUM_BPS = 17,
	L2TP_AVP_BEARER_TYPE = 18,
	L2TP_AVP_FRAMING_TYPE = 19,
	/* 20 is reserved */
	L2TP_AVP_CALLED_NUMBER = 21,
	L2TP_AVP_CALLING_NUMBER = 22,
	L2TP_AVP_SUB_ADDRESS = 23,
	L2TP_AVP_TX_CONNECT_SPEED = 24,
	L2TP_AVP_PHYSICAL_CHANNEL_ID = 25,
	L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ = 26,
	L2TP_AVP_LAST_SENT_LCP_CONFREQ = 27,
	L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ = 28,
	L2TP_AVP_PROXY_AUTHEN_TYPE = 29,
	L2TP_AVP_PROXY_AUTHEN_NAME = 30,
	L2TP_AVP_PROXY_AUTHEN_CHALLENGE = 31,
	L2TP_AVP_PROXY_AUTHEN_ID = 32,
	L2TP_AVP_PROXY_AUTHEN_RESPONSE = 33,
	L2TP_AVP_CALL_ERRORS = 34,
	L2TP_AVP_ACCM = 35,
	L2TP_AVP_RANDOM_VECTOR = 36,
	L2TP_AVP_PRIVATE_GROUP_ID = 37,
	L2TP_AVP_RX_CONNECT_SPEED = 38,
	L2TP_AVP_SEQUENCING_REQUIRED = 39,
	L2TP_AVP_PPP_DISCONNECT_CAUSE = 46, /* RFC 3145 */
	L2TP_AVP_TYPE_LIMIT = 47            /* one past the highest type we know */
};

/* Proxy Authen Type values (RFC 2661 §4.4.5). */
enum l2tp_proxy_authen_type {
	L2TP_PROXY_AUTH_RESERVED = 0,
	L2TP_PROXY_AUTH_TEXT = 1,
	L2TP_PROXY_AUTH_CHAP = 2,
	L2TP_PROXY_AUTH_PAP = 3,
	L2TP_PROXY_AUTH_NONE = 4,
	L2TP_PROXY_AUTH_MSCHAPV1 = 5
};

/* Framing and bearer bits (capabilities and types). */
#define L2TP_FRAMING_SYNC 0x1
#define L2TP_FRAMING_ASYNC 0x2
#define L2TP_BEARER_DIGITAL 0x1
#define L2TP_BEARER_ANALOG 0x2

enum l2tp_hide_rule { L2TP_HIDE_NEVER, L2TP_HIDE_MAY };

/* One row per IETF AVP: the rules of RFC 2661 §4.4 (and RFC 3145 for 46).
 * Value lengths are those of the cleartext value (AVP Length - 6). */
struct l2tp_avp_rule {
	uint16_t type;
	const char *name;
	bool mandatory;          /* the M bit we send */
	enum l2tp_hide_rule hide;
	uint16_t min_len;        /* value octets, inclusive */
	uint16_t max_len;        /* value octets, inclusive */
};

/* The rule for an IETF (vendor 0) AVP type, or NULL if unknown. */
const struct l2tp_avp_rule *l2tp_avp_rule(uint16_t type);
/* Name for logs: "Host Name", or "unknown" */
const char *l2tp_avp_name(uint16_t vendor, uint16_t type);
/* Check a cleartext value length against the rule (special shapes such as
 * Result Code's 2 or >=4 included). 0 or -L2TP_E_AVP_VALUE. */
int l2tp_avp_check_length(const struct l2tp_avp_rule *r, size_t value_len);

/* One AVP as found on the wire; value is still hidden when hidden is set. */
struct l2tp_avp {
	uint16_t vendor;
	uint16_t type;
	bool mandatory;
	bool hidden;
	bool reserved_bits;      /* a reserved flag bit was set: treat as unrecognized */
	uint8_t *value;
	uint16_t len;            /* value octets */
};

struct l2tp_avp_iter {
	uint8_t *pos;
	uint8_t *end;
};

void l2tp_avp_iter_init(struct l2tp_avp_iter *it, uint8_t *avps, size_t len);
/* 1 and *a filled, 0 at the end, or -L2TP_E_AVP_* on a malformed AVP. */
int l2tp_avp_next(struct l2tp_avp_iter *it, struct l2tp_avp *a);

typedef void (*l2tp_random_fn)(void *buf, size_t len);
/* Default random source (getrandom). */
void l2tp_random_bytes(void *buf, size_t len);

struct l2tp_secret {
	const uint8_t *data;
	size_t len;
};

/* Builds one control message into a caller buffer. Errors stick: after the
 * first failure every call is a no-op and l2tp_builder_finish() returns it.
 *
 * Hiding: with hide set (and a secret), every AVP whose rule allows hiding is
 * hidden; a 16-octet Random Vector AVP is placed before the first hidden AVP.
 * hide may be toggled between AVPs (e.g. to keep long AVPs clear toward peers
 * whose unhiding is broken). pad_max: up to this many random padding octets
 * after a hidden value (0 = none). l2tp_builder_init() clears the whole
 * struct: set hide, secret, random and pad_max after it. A value too long to
 * hide (over 1015 octets) fails with -L2TP_E_INVALID rather than go clear. */
struct l2tp_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
	bool hide;
	struct l2tp_secret secret;
	l2tp_random_fn random;   /* NULL = l2tp_random_bytes */
	uint8_t vector[16];
	bool vector_sent;
	uint16_t pad_max;
};

/* Start a control message: header (Ns=Nr=0, patched by the transport) and
 * the Message Type AVP. */
void l2tp_builder_init(struct l2tp_builder *b, uint8_t *buf, size_t cap, uint16_t tunnel_id,
		       uint16_t session_id, uint16_t message_type);
/* IETF AVP with the M bit of its rule; hidden per the hiding policy above. */
void l2tp_builder_put(struct l2tp_builder *b, uint16_t type, const void *value, size_t len);
void l2tp_builder_put_u16(struct l2tp_builder *b, uint16_t type, uint16_t v);
void l2tp_builder_put_u32(struct l2tp_builder *b, uint16_t type, uint32_t v);
void l2tp_builder_put_string(struct l2tp_builder *b, uint16_t type, const char *s);
/* Result Code: error_code < 0 omits Error Code and message; message may be NULL. */
void l2tp_builder_put_result(struct l2tp_builder *b, uint16_t result, int error_code,
			     const char *message);
/* Any AVP, flags as given (M, H not applied: for vendor AVPs and tests). */
void l2tp_builder_put_raw(struct l2tp_builder *b, uint16_t vendor, uint16_t type, bool mandatory,
			  const void *value, size_t len);
/* Patch the Length field; returns the message length or -L2TP_E_*. */
int l2tp_builder_finish(struct l2tp_builder *b);

#endif
