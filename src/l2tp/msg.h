/* L2TP control messages (RFC 2661 §3.2, §6): the table of message types with
 * the AVPs each requires and allows, parsing a whole control message into
 * per-type AVP slots (unhiding in place), one table-driven validator, and the
 * result and error code names. */
#ifndef L2TP_MSG_H
#define L2TP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avp.h"
#include "wire.h"

enum l2tp_msg_type {
	L2TP_MSG_ZLB = 0, /* not a type on the wire: a header with no AVPs */
	L2TP_MSG_SCCRQ = 1,
	L2TP_MSG_SCCRP = 2,
	L2TP_MSG_SCCCN = 3,
	L2TP_MSG_STOPCCN = 4,
	L2TP_MSG_HELLO = 6,
	L2TP_MSG_OCRQ = 7,
	L2TP_MSG_OCRP = 8,
	L2TP_MSG_OCCN = 9,
	L2TP_MSG_ICRQ = 10,
	L2TP_MSG_ICRP = 11,
	L2TP_MSG_ICCN = 12,
	L2TP_MSG_CDN = 14,
	L2TP_MSG_WEN = 15,
	L2TP_MSG_SLI = 16,
	L2TP_MSG_TYPE_LIMIT = 17
};

#define L2TP_AVP_BIT(t) (UINT64_C(1) << (t))

struct l2tp_msg_rule {
	uint16_t type;
	const char *name;        /* "SCCRQ" */
	bool session_scope;      /* about one session (ICRQ..CDN, WEN, SLI), else the tunnel */
	uint64_t required;       /* L2TP_AVP_BIT() of AVPs that MUST be present */
	uint64_t allowed;        /* required | MAY be present */
};

/* The rule of a known message type, or NULL. */
const struct l2tp_msg_rule *l2tp_msg_rule(uint16_t type);
/* "SCCRQ", "ZLB", or "unknown" */
const char *l2tp_msg_name(uint16_t type);

struct l2tp_avp_value {
	uint8_t *value;          /* cleartext (unhidden in place) */
	uint16_t len;
	bool present;
	bool was_hidden;
};

/* A parsed control message. AVP values point into the datagram buffer. */
struct l2tp_msg {
	struct l2tp_header hdr;
	uint16_t type;                  /* L2TP_MSG_ZLB for a header alone */
	bool type_mandatory;            /* M bit of the Message Type AVP */
	uint64_t present;               /* L2TP_AVP_BIT() of IETF AVPs found */
	struct l2tp_avp_value avp[L2TP_AVP_TYPE_LIMIT];
	unsigned unknown_ignored;       /* unrecognized AVPs without M, and known
					 * ones this type does not carry (§6), skipped */
	unsigned duplicates_ignored;    /* repeated IETF AVPs: the first one counts */
	bool unknown_mandatory;         /* an unrecognized AVP had M set (§4.1) */
	uint16_t unknown_vendor;        /* ... its vendor id and type, for the */
	uint16_t unknown_type;          /* Result Code's error message */
};

/* Parse the control message in buf (len octets, the datagram; its header is
 * parsed again here). Hidden AVPs are decrypted in place with secret (may be
 * NULL or empty: a hidden AVP is then an error). Does not check the message's
 * required AVPs: that is l2tp_msg_validate(). Returns 0 or -L2TP_E_*.
 * An unknown message type without M parses with its AVPs ignored; with M set
 * it fails with -L2TP_E_UNKNOWN_MESSAGE (the tunnel must be cleared).
 * Message Type 0 (reserved; our ZLB) fails too: -L2TP_E_UNKNOWN_MESSAGE with
 * M, -L2TP_E_NO_MESSAGE_TYPE without. A data message is -L2TP_E_INVALID. */
int l2tp_msg_parse(uint8_t *buf, size_t len, const struct l2tp_secret *secret,
		   struct l2tp_msg *m);

/* Check the message's required AVPs against its rule. Returns 0, or
 * -L2TP_E_MISSING_AVP with *missing set to the first absent type. */
int l2tp_msg_validate(const struct l2tp_msg *m, uint16_t *missing);

/* Value accessors for fixed-size AVPs (present and length checked by parse). */
uint16_t l2tp_msg_u16(const struct l2tp_msg *m, uint16_t type);
uint32_t l2tp_msg_u32(const struct l2tp_msg *m, uint16_t type);

/* Result Code decoded: error_code is -1 when absent; message may be empty. */
struct l2tp_result {
	uint16_t result;
	int error_code;
	const char *message;     /* not NUL-terminated */
	uint16_t message_len;
};
/* 0, or -L2TP_E_MISSING_AVP when the message has no Result Code. */
int l2tp_msg_result(const struct l2tp_msg *m, struct l2tp_result *r);

/* Result codes (§4.4.2). */
enum l2tp_stopccn_result {
	L2TP_STOPCCN_CLEAR = 1,
	L2TP_STOPCCN_GENERAL_ERROR = 2,
	L2TP_STOPCCN_ALREADY_EXISTS = 3,
	L2TP_STOPCCN_NOT_AUTHORIZED = 4,
	L2TP_STOPCCN_BAD_VERSION = 5,
	L2TP_STOPCCN_SHUTTING_DOWN = 6,
	L2TP_STOPCCN_FSM_ERROR = 7
};
enum l2tp_cdn_result {
	L2TP_CDN_LOST_CARRIER = 1,
	L2TP_CDN_GENERAL_ERROR = 2,
	L2TP_CDN_ADMIN = 3,
	L2TP_CDN_NO_RESOURCES_TEMPORARY = 4,
	L2TP_CDN_NO_RESOURCES_PERMANENT = 5,
	L2TP_CDN_INVALID_DESTINATION = 6,
	L2TP_CDN_NO_CARRIER = 7,
	L2TP_CDN_BUSY = 8,
	L2TP_CDN_NO_DIAL_TONE = 9,
	L2TP_CDN_TIMEOUT = 10,
	L2TP_CDN_NO_FRAMING = 11
};
enum l2tp_general_error {
	L2TP_ERR_NONE = 0,
	L2TP_ERR_NO_CONTROL_CONNECTION = 1,
	L2TP_ERR_BAD_LENGTH = 2,
	L2TP_ERR_BAD_VALUE = 3,
	L2TP_ERR_NO_RESOURCES = 4,
	L2TP_ERR_BAD_SESSION_ID = 5,
	L2TP_ERR_VENDOR = 6,
	L2TP_ERR_TRY_ANOTHER = 7,
	L2TP_ERR_UNKNOWN_MANDATORY_AVP = 8
};

/* Names for logs; message_type selects the StopCCN or CDN table. */
const char *l2tp_result_name(uint16_t message_type, uint16_t result);
const char *l2tp_general_error_name(uint16_t error_code);

#endif
