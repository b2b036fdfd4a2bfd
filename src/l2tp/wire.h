/* L2TP header codec (RFC 2661 §3.1): parse and build control and data
 * headers. Pure functions: no I/O, no allocation. */
#ifndef L2TP_WIRE_H
#define L2TP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define L2TP_VERSION 2
#define L2TP_CONTROL_HEADER_LEN 12 /* flags, length, tid, sid, ns, nr */
#define L2TP_MAX_DATA_HEADER_LEN 16 /* without offset padding */

/* Flag bits of the first 16-bit word. */
#define L2TP_FLAG_T 0x8000
#define L2TP_FLAG_L 0x4000
#define L2TP_FLAG_S 0x0800
#define L2TP_FLAG_O 0x0200
#define L2TP_FLAG_P 0x0100
#define L2TP_VERSION_MASK 0x000f

/* Why a datagram or AVP was rejected. Functions return the negated value;
 * l2tp_strerror() names it for logs and counters. */
enum l2tp_error {
	L2TP_OK = 0,
	L2TP_E_SHORT,             /* datagram shorter than its header */
	L2TP_E_VERSION,           /* Ver neither 2 nor a known other */
	L2TP_E_L2F,               /* Ver 1: an L2F packet */
	L2TP_E_V3,                /* Ver 3: L2TPv3, not handled here */
	L2TP_E_LENGTH,            /* Length field beyond the datagram or below the header */
	L2TP_E_CONTROL_FLAGS,     /* control message without L or S, or with O or P */
	L2TP_E_OFFSET,            /* offset size runs past the datagram */
	L2TP_E_AVP_TRUNCATED,     /* AVP header or Length runs past the message */
	L2TP_E_AVP_LENGTH,        /* AVP Length below 6 */
	L2TP_E_AVP_VALUE,         /* a known AVP whose value length breaks its rule */
	L2TP_E_NO_MESSAGE_TYPE,   /* first AVP is not a plain Message Type */
	L2TP_E_HIDDEN_FORBIDDEN,  /* H bit on an AVP that must not be hidden */
	L2TP_E_HIDDEN_NO_VECTOR,  /* hidden AVP with no Random Vector before it */
	L2TP_E_HIDDEN_NO_SECRET,  /* hidden AVP but no shared secret configured */
	L2TP_E_HIDDEN_LENGTH,     /* recovered original length exceeds the AVP */
	L2TP_E_MISSING_AVP,       /* a required AVP of the message is absent */
	L2TP_E_UNKNOWN_MESSAGE,   /* unknown message type with the M bit set */
	L2TP_E_NOSPACE,           /* builder: output buffer too small */
	L2TP_E_INVALID,           /* builder: argument out of range */
	L2TP_E_COUNT
};

const char *l2tp_strerror(int err); /* accepts err or -err */

struct l2tp_header {
	bool is_control;
	bool has_length;
	bool has_sequence;
	bool has_offset;
	bool priority;
	uint8_t version;
	uint16_t length;      /* the Length field, or the datagram length if L=0 */
	uint16_t tunnel_id;
	uint16_t session_id;
	uint16_t ns;
	uint16_t nr;
	uint16_t offset_size;
	uint16_t header_len;  /* octets before the payload / first AVP, padding included */
};

/* Parse the header of a datagram of len octets. On success returns 0 and
 * fills h; h->length is the message length (a datagram longer than the
 * Length field is truncated to it). Returns -L2TP_E_* otherwise. */
int l2tp_header_parse(const uint8_t *buf, size_t len, struct l2tp_header *h);

/* Write a 12-octet control header (Length 12, Ns and Nr as given). The
 * message length is patched later with l2tp_header_set_length(). */
void l2tp_header_put_control(uint8_t *buf, uint16_t tunnel_id, uint16_t session_id,
			     uint16_t ns, uint16_t nr);
void l2tp_header_set_length(uint8_t *buf, uint16_t length);
/* Patch Ns and Nr of a built control message (the transport does this at
 * every (re)transmission, Nr being the latest acknowledgement). */
void l2tp_header_set_sequence(uint8_t *buf, uint16_t ns, uint16_t nr);

struct l2tp_data_options {
	bool length;          /* set L and the Length field */
	bool sequence;        /* set S with ns (Nr is sent as 0, ignored on receipt) */
	bool priority;        /* P bit */
	uint16_t ns;
	uint16_t offset_size; /* >0: set O, followed by offset_size pad octets (zeroed) */
	uint16_t payload_len; /* needed when length is set */
};

/* Write a data header into buf (cap octets); returns its length (payload
 * starts there) or -L2TP_E_NOSPACE. */
int l2tp_header_put_data(uint8_t *buf, size_t cap, uint16_t tunnel_id, uint16_t session_id,
			 const struct l2tp_data_options *o);

#endif
