/* L2TP control messages (RFC 2661 §3.2, §6): the message table, the parser,
 * the validator and the result code names. */
#include "msg.h"

#include <string.h>

#include "byteorder.h"
#include "hidden.h"

#define B(t) L2TP_AVP_BIT(L2TP_AVP_##t)

/* §4.3 and §4.4.1: any message may carry Random Vectors for hidden AVPs. */
#define MSG_ALWAYS (B(MESSAGE_TYPE) | B(RANDOM_VECTOR))

#define MSG_RULE(t, n, s, req, may)                                                                \
	[L2TP_MSG_##t] = {.type = L2TP_MSG_##t,                                                    \
	                  .name = (n),                                                             \
	                  .session_scope = (s),                                                    \
	                  .required = B(MESSAGE_TYPE) | (req),                                     \
	                  .allowed = MSG_ALWAYS | (req) | (may)}

/* The "MUST be present" and "MAY be present" lists of §6.1 to §6.14. */
static const struct l2tp_msg_rule msg_rules[L2TP_MSG_TYPE_LIMIT] = {
    MSG_RULE(SCCRQ, "SCCRQ", false,
             B(PROTOCOL_VERSION) | B(HOST_NAME) | B(FRAMING_CAPABILITIES) | B(ASSIGNED_TUNNEL_ID),
             B(BEARER_CAPABILITIES) | B(RECEIVE_WINDOW_SIZE) | B(CHALLENGE) | B(TIE_BREAKER) |
                 B(FIRMWARE_REVISION) | B(VENDOR_NAME)),
    MSG_RULE(SCCRP, "SCCRP", false,
             B(PROTOCOL_VERSION) | B(FRAMING_CAPABILITIES) | B(HOST_NAME) | B(ASSIGNED_TUNNEL_ID),
             B(BEARER_CAPABILITIES) | B(FIRMWARE_REVISION) | B(VENDOR_NAME) |
                 B(RECEIVE_WINDOW_SIZE) | B(CHALLENGE) | B(CHALLENGE_RESPONSE)),
    MSG_RULE(SCCCN, "SCCCN", false, 0, B(CHALLENGE_RESPONSE)),
    MSG_RULE(STOPCCN, "StopCCN", false, B(ASSIGNED_TUNNEL_ID) | B(RESULT_CODE), 0),
    MSG_RULE(HELLO, "HELLO", false, 0, 0),
    MSG_RULE(OCRQ, "OCRQ", true,
             B(ASSIGNED_SESSION_ID) | B(CALL_SERIAL_NUMBER) | B(MINIMUM_BPS) | B(MAXIMUM_BPS) |
                 B(BEARER_TYPE) | B(FRAMING_TYPE) | B(CALLED_NUMBER),
             B(SUB_ADDRESS)),
    MSG_RULE(OCRP, "OCRP", true, B(ASSIGNED_SESSION_ID), B(PHYSICAL_CHANNEL_ID)),
    MSG_RULE(OCCN, "OCCN", true, B(TX_CONNECT_SPEED) | B(FRAMING_TYPE),
             B(RX_CONNECT_SPEED) | B(SEQUENCING_REQUIRED)),
    MSG_RULE(ICRQ, "ICRQ", true, B(ASSIGNED_SESSION_ID) | B(CALL_SERIAL_NUMBER),
             B(BEARER_TYPE) | B(PHYSICAL_CHANNEL_ID) | B(CALLING_NUMBER) | B(CALLED_NUMBER) |
                 B(SUB_ADDRESS)),
    MSG_RULE(ICRP, "ICRP", true, B(ASSIGNED_SESSION_ID), 0),
    MSG_RULE(ICCN, "ICCN", true, B(TX_CONNECT_SPEED) | B(FRAMING_TYPE),
             B(INITIAL_RECEIVED_LCP_CONFREQ) | B(LAST_SENT_LCP_CONFREQ) |
                 B(LAST_RECEIVED_LCP_CONFREQ) | B(PROXY_AUTHEN_TYPE) | B(PROXY_AUTHEN_NAME) |
                 B(PROXY_AUTHEN_CHALLENGE) | B(PROXY_AUTHEN_ID) | B(PROXY_AUTHEN_RESPONSE) |
                 B(PRIVATE_GROUP_ID) | B(RX_CONNECT_SPEED) | B(SEQUENCING_REQUIRED)),
    /* RFC 3145 §2: PPP Disconnect Cause Code is valid in CDN only. */
    MSG_RULE(CDN, "CDN", true, B(RESULT_CODE) | B(ASSIGNED_SESSION_ID),
             B(Q931_CAUSE_CODE) | B(PPP_DISCONNECT_CAUSE)),
    MSG_RULE(WEN, "WEN", true, B(CALL_ERRORS), 0),
    MSG_RULE(SLI, "SLI", true, B(ACCM), 0),
};

const struct l2tp_msg_rule *l2tp_msg_rule(uint16_t type)
{
	if (type >= L2TP_MSG_TYPE_LIMIT || !msg_rules[type].name)
		return NULL;
	return &msg_rules[type];
}

const char *l2tp_msg_name(uint16_t type)
{
	const struct l2tp_msg_rule *r = l2tp_msg_rule(type);

	if (type == L2TP_MSG_ZLB)
		return "ZLB";
	return r ? r->name : "unknown";
}

static bool msg_has(const struct l2tp_msg *m, uint16_t type)
{
	return type < L2TP_AVP_TYPE_LIMIT && (m->present & L2TP_AVP_BIT(type));
}

/* An AVP we do not recognise (§4.1): a reserved flag bit, a vendor's, or an
 * IETF type we have no rule for. Without M it is skipped; with M the caller
 * must clear the session or tunnel, so we note the first one and go on. */
static void msg_note_unknown(struct l2tp_msg *m, const struct l2tp_avp *a)
{
	if (!a->mandatory) {
		m->unknown_ignored++;
		return;
	}
	if (!m->unknown_mandatory) {
		m->unknown_mandatory = true;
		m->unknown_vendor = a->vendor;
		m->unknown_type = a->type;
	}
}

/* §4.4.1: the first AVP must be a plain, 2-octet IETF Message Type. */
static int msg_parse_type(struct l2tp_msg *m, struct l2tp_avp_iter *it)
{
	struct l2tp_avp a;
	int rc;

	rc = l2tp_avp_next(it, &a);
	if (rc < 0)
		return rc;
	if (rc == 0 || a.vendor || a.type != L2TP_AVP_MESSAGE_TYPE || a.hidden || a.reserved_bits ||
	    l2tp_avp_check_length(l2tp_avp_rule(a.type), a.len))
		return -L2TP_E_NO_MESSAGE_TYPE;
	m->type = l2tp_get16(a.value);
	m->type_mandatory = a.mandatory;
	m->present |= L2TP_AVP_BIT(L2TP_AVP_MESSAGE_TYPE);
	m->avp[L2TP_AVP_MESSAGE_TYPE] =
	    (struct l2tp_avp_value){.value = a.value, .len = a.len, .present = true};
	/* Type 0 is reserved (§3.2) and stands for a ZLB here: a message
	 * claiming it cannot be taken for an ignorable unknown type. */
	if (m->type == L2TP_MSG_ZLB && !a.mandatory)
		return -L2TP_E_NO_MESSAGE_TYPE;
	return 0;
}

int l2tp_msg_parse(uint8_t *buf, size_t len, const struct l2tp_secret *secret, struct l2tp_msg *m)
{
	const struct l2tp_msg_rule *mr;
	const struct l2tp_avp_rule *r;
	const uint8_t *vector = NULL;
	size_t vector_len = 0;
	struct l2tp_avp_iter it;
	struct l2tp_avp a;
	uint8_t *value;
	size_t vlen;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = l2tp_header_parse(buf, len, &m->hdr);
	if (rc < 0)
		goto out;
	rc = -L2TP_E_INVALID;
	if (!m->hdr.is_control)
		goto out;
	/* A ZLB: a control header and nothing else (§5.8). */
	m->type = L2TP_MSG_ZLB;
	if (m->hdr.length == m->hdr.header_len)
		return 0;

	l2tp_avp_iter_init(&it, buf + m->hdr.header_len, m->hdr.length - m->hdr.header_len);
	rc = msg_parse_type(m, &it);
	if (rc < 0)
		goto out;
	mr = l2tp_msg_rule(m->type);
	if (!mr) {
		/* §4.4.1: an unknown type with M clears the tunnel; without M
		 * the message may be ignored, so its AVPs are not even read. */
		rc = m->type_mandatory ? -L2TP_E_UNKNOWN_MESSAGE : 0;
		goto out;
	}

	while ((rc = l2tp_avp_next(&it, &a)) > 0) {
		r = a.vendor || a.reserved_bits ? NULL : l2tp_avp_rule(a.type);
		if (!r) {
			msg_note_unknown(m, &a);
			continue;
		}
		/* A known AVP this message does not carry (§6) tells us nothing
		 * we would act on: skip it, as §4.1 does unknown ones without M. */
		if (!(mr->allowed & L2TP_AVP_BIT(a.type))) {
			m->unknown_ignored++;
			continue;
		}
		/* The first copy counts. Random Vectors may repeat: each one
		 * applies to the hidden AVPs after it (§4.3). */
		if (msg_has(m, a.type) && a.type != L2TP_AVP_RANDOM_VECTOR) {
			m->duplicates_ignored++;
			continue;
		}
		value = a.value;
		vlen = a.len;
		if (a.hidden) {
			rc = -L2TP_E_HIDDEN_FORBIDDEN;
			if (r->hide == L2TP_HIDE_NEVER)
				goto out;
			rc = -L2TP_E_HIDDEN_NO_SECRET;
			if (!secret || !secret->data || !secret->len)
				goto out;
			rc = -L2TP_E_HIDDEN_NO_VECTOR;
			if (!vector)
				goto out;
			rc = l2tp_unhide(a.type, secret, vector, vector_len, a.value, a.len, &value,
			                 &vlen);
			if (rc < 0)
				goto out;
		}
		rc = l2tp_avp_check_length(r, vlen);
		if (rc < 0)
			goto out;
		if (a.type == L2TP_AVP_RANDOM_VECTOR) {
			vector = value;
			vector_len = vlen;
		}
		if (!msg_has(m, a.type)) {
			m->present |= L2TP_AVP_BIT(a.type);
			m->avp[a.type] = (struct l2tp_avp_value){.value = value,
			                                         .len = (uint16_t)vlen,
			                                         .present = true,
			                                         .was_hidden = a.hidden};
		}
	}

out:
	return rc;
}

int l2tp_msg_validate(const struct l2tp_msg *m, uint16_t *missing)
{
	const struct l2tp_msg_rule *r = l2tp_msg_rule(m->type);
	uint64_t absent;
	uint16_t t;

	/* A ZLB or an ignored unknown type requires nothing. */
	if (!r)
		return 0;
	absent = r->required & ~m->present;
	for (t = 0; t < L2TP_AVP_TYPE_LIMIT; t++) {
		if (absent & L2TP_AVP_BIT(t)) {
			*missing = t;
			return -L2TP_E_MISSING_AVP;
		}
	}
	return 0;
}

uint16_t l2tp_msg_u16(const struct l2tp_msg *m, uint16_t type)
{
	const struct l2tp_avp_value *v;

	if (!msg_has(m, type))
		return 0;
	v = &m->avp[type];
	if (v->len < sizeof(uint16_t))
		return 0;
	return l2tp_get16(v->value);
}

uint32_t l2tp_msg_u32(const struct l2tp_msg *m, uint16_t type)
{
	const struct l2tp_avp_value *v;

	if (!msg_has(m, type))
		return 0;
	v = &m->avp[type];
	if (v->len < sizeof(uint32_t))
		return 0;
	return l2tp_get32(v->value);
}

/* §4.4.2: Result Code, then an optional Error Code and Error Message. */
enum {
	MSG_RESULT_CODE_LEN = 2,
	MSG_RESULT_ERROR_END = 4,
};

int l2tp_msg_result(const struct l2tp_msg *m, struct l2tp_result *r)
{
	const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_RESULT_CODE];

	memset(r, 0, sizeof(*r));
	r->error_code = -1;
	r->message = "";
	if (!msg_has(m, L2TP_AVP_RESULT_CODE) || v->len < MSG_RESULT_CODE_LEN)
		return -L2TP_E_MISSING_AVP;
	r->result = l2tp_get16(v->value);
	if (v->len >= MSG_RESULT_ERROR_END) {
		r->error_code = l2tp_get16(v->value + MSG_RESULT_CODE_LEN);
		r->message = (const char *)v->value + MSG_RESULT_ERROR_END;
		r->message_len = (uint16_t)(v->len - MSG_RESULT_ERROR_END);
	}
	return 0;
}

/* §4.4.2 result code values, one table per message that carries them. */
static const char *const msg_stopccn_results[] = {
    [0] = "reserved",
    [L2TP_STOPCCN_CLEAR] = "general request to clear control connection",
    [L2TP_STOPCCN_GENERAL_ERROR] = "general error",
    [L2TP_STOPCCN_ALREADY_EXISTS] = "control channel already exists",
    [L2TP_STOPCCN_NOT_AUTHORIZED] = "requester is not authorized",
    [L2TP_STOPCCN_BAD_VERSION] = "protocol version not supported",
    [L2TP_STOPCCN_SHUTTING_DOWN] = "requester is being shut down",
    [L2TP_STOPCCN_FSM_ERROR] = "finite state machine error",
};

static const char *const msg_cdn_results[] = {
    [0] = "reserved",
    [L2TP_CDN_LOST_CARRIER] = "loss of carrier",
    [L2TP_CDN_GENERAL_ERROR] = "general error",
    [L2TP_CDN_ADMIN] = "administrative reasons",
    [L2TP_CDN_NO_RESOURCES_TEMPORARY] = "no appropriate facilities (temporary)",
    [L2TP_CDN_NO_RESOURCES_PERMANENT] = "no appropriate facilities (permanent)",
    [L2TP_CDN_INVALID_DESTINATION] = "invalid destination",
    [L2TP_CDN_NO_CARRIER] = "no carrier detected",
    [L2TP_CDN_BUSY] = "busy signal",
    [L2TP_CDN_NO_DIAL_TONE] = "no dial tone",
    [L2TP_CDN_TIMEOUT] = "not established in time",
    [L2TP_CDN_NO_FRAMING] = "no appropriate framing detected",
};

static const char *const msg_general_errors[] = {
    [L2TP_ERR_NONE] = "no general error",
    [L2TP_ERR_NO_CONTROL_CONNECTION] = "no control connection exists yet",
    [L2TP_ERR_BAD_LENGTH] = "length is wrong",
    [L2TP_ERR_BAD_VALUE] = "field value out of range or reserved field non-zero",
    [L2TP_ERR_NO_RESOURCES] = "insufficient resources",
    [L2TP_ERR_BAD_SESSION_ID] = "invalid session ID",
    [L2TP_ERR_VENDOR] = "vendor-specific error",
    [L2TP_ERR_TRY_ANOTHER] = "try another LNS",
    [L2TP_ERR_UNKNOWN_MANDATORY_AVP] = "unknown mandatory AVP",
};

#define MSG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *l2tp_result_name(uint16_t message_type, uint16_t result)
{
	if (message_type == L2TP_MSG_STOPCCN && result < MSG_ARRAY_LEN(msg_stopccn_results))
		return msg_stopccn_results[result];
	if (message_type == L2TP_MSG_CDN && result < MSG_ARRAY_LEN(msg_cdn_results))
		return msg_cdn_results[result];
	return "unknown";
}

const char *l2tp_general_error_name(uint16_t error_code)
{
	if (error_code < MSG_ARRAY_LEN(msg_general_errors))
		return msg_general_errors[error_code];
	return "unknown";
}
