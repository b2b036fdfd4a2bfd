/* PPP numbers: protocol field values, packet codes, option types and the
 * RFC 3145 disconnect causes, named once for every module of the engine. */
#ifndef PPP_DEFS_H
#define PPP_DEFS_H

#include <stddef.h>
#include <stdint.h>

/* Protocol field values (RFC 1661 §2, RFC 1332, RFC 5072, RFC 1334, RFC 1994). */
enum ppp_proto {
	PPP_PROTO_IP = 0x0021,
	PPP_PROTO_IPV6 = 0x0057,
	PPP_PROTO_IPCP = 0x8021,
	PPP_PROTO_IPV6CP = 0x8057,
	PPP_PROTO_LCP = 0xc021,
	PPP_PROTO_PAP = 0xc023,
	PPP_PROTO_CHAP = 0xc223,
};

/* RFC 1662 §3.1: the HDLC-like Address (all-stations) and Control (UI)
 * octets that may precede the Protocol field of a frame carried in L2TP. */
enum ppp_hdlc {
	PPP_HDLC_ADDRESS = 0xff,
	PPP_HDLC_CONTROL = 0x03,
};

/* Longest frame header we ever build: address, control, two-octet protocol. */
#define PPP_HEADROOM 4

/* Control packet codes (RFC 1661 §5). NCPs use 1..7 only (RFC 1332 §2,
 * RFC 5072 §3). 12 and 13 are RFC 1570's Identification and Time-Remaining. */
enum ppp_code {
	PPP_CONF_REQ = 1,
	PPP_CONF_ACK = 2,
	PPP_CONF_NAK = 3,
	PPP_CONF_REJ = 4,
	PPP_TERM_REQ = 5,
	PPP_TERM_ACK = 6,
	PPP_CODE_REJ = 7,
	PPP_PROTO_REJ = 8,
	PPP_ECHO_REQ = 9,
	PPP_ECHO_REP = 10,
	PPP_DISCARD_REQ = 11,
	PPP_IDENTIFICATION = 12,
	PPP_TIME_REMAINING = 13,
};

/* Code, Identifier, Length (RFC 1661 §5). */
#define PPP_CTRL_HDR_LEN 4
/* Type, Length of a Configuration Option (RFC 1661 §6). */
#define PPP_OPT_HDR_LEN 2

/* LCP Configuration Options (RFC 1661 §6, RFC 1662 §7.1 for ACCM). */
enum ppp_lcp_opt {
	PPP_LCP_OPT_MRU = 1,
	PPP_LCP_OPT_ACCM = 2,
	PPP_LCP_OPT_AUTH = 3,
	PPP_LCP_OPT_QUALITY = 4,
	PPP_LCP_OPT_MAGIC = 5,
	PPP_LCP_OPT_PFC = 7,
	PPP_LCP_OPT_ACFC = 8,
};

/* CHAP Algorithm octet of the Authentication-Protocol option (RFC 1994 §3,
 * RFC 2759 §2). */
enum ppp_chap_alg {
	PPP_CHAP_MD5 = 0x05,
	PPP_CHAP_MSCHAPV1 = 0x80,
	PPP_CHAP_MSCHAPV2 = 0x81,
};

/* PAP codes (RFC 1334 §2.2). */
enum ppp_pap_code {
	PPP_PAP_REQ = 1,
	PPP_PAP_ACK = 2,
	PPP_PAP_NAK = 3,
};

/* CHAP codes (RFC 1994 §4). */
enum ppp_chap_code {
	PPP_CHAP_CHALLENGE = 1,
	PPP_CHAP_RESPONSE = 2,
	PPP_CHAP_SUCCESS = 3,
	PPP_CHAP_FAILURE = 4,
};

/* IPCP options (RFC 1332 §3, RFC 1877 §1). */
enum ppp_ipcp_opt {
	PPP_IPCP_OPT_ADDRESSES = 1,
	PPP_IPCP_OPT_COMPRESSION = 2,
	PPP_IPCP_OPT_ADDRESS = 3,
	PPP_IPCP_OPT_DNS1 = 129,
	PPP_IPCP_OPT_NBNS1 = 130,
	PPP_IPCP_OPT_DNS2 = 131,
	PPP_IPCP_OPT_NBNS2 = 132,
};

/* IPV6CP options (RFC 5072 §4). */
enum ppp_ipv6cp_opt {
	PPP_IPV6CP_OPT_IFACE_ID = 1,
};

/* RFC 3145 §3: PPP Disconnect Cause Codes, for the L2TP CDN. */
enum ppp_cause_code {
	PPP_CAUSE_NONE = 0,
	PPP_CAUSE_ADMIN = 1,
	PPP_CAUSE_NO_PROXY_LCP = 2,
	PPP_CAUSE_TERMINATE = 3,
	PPP_CAUSE_ENCRYPTION = 4,
	PPP_CAUSE_LCP_TIMEOUT = 5,
	PPP_CAUSE_LCP_SILENT = 6,
	PPP_CAUSE_LOOPBACK = 7,
	PPP_CAUSE_ECHO_TIMEOUT = 8,
	PPP_CAUSE_MP_ENDPOINT = 9,
	PPP_CAUSE_MP_MRRU = 10,
	PPP_CAUSE_MP_SSN = 11,
	PPP_CAUSE_CALLBACK = 12,
	PPP_CAUSE_AUTH_TIMEOUT = 13,
	PPP_CAUSE_MP_NAME = 14,
	PPP_CAUSE_AUTH_PROTO = 15,
	PPP_CAUSE_AUTH_FAILED = 16,
	PPP_CAUSE_NCP_TIMEOUT = 17,
	PPP_CAUSE_NO_NCP = 18,
	PPP_CAUSE_NCP_CONVERGE = 19,
	PPP_CAUSE_NCP_ADDRESS = 20,
};

/* RFC 3145 §2: the Direction octet. */
enum ppp_cause_dir {
	PPP_DIR_GLOBAL = 0,
	PPP_DIR_PEER = 1,
	PPP_DIR_LOCAL = 2,
};

static inline uint16_t ppp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t ppp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ppp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ppp_put32(uint8_t *p, uint32_t v)
{
	ppp_put16(p, (uint16_t)(v >> 16));
	ppp_put16(p + 2, (uint16_t)v);
}

#endif
