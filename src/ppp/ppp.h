/* A PPP link in userspace: LCP, PAP, CHAP-MD5, MS-CHAPv2, IPCP and IPV6CP
 * over one L2TP session (frames without flags or FCS, RFC 2661 §1).
 *
 * A pure library: no I/O and no clock of its own. The owner passes the time
 * (milliseconds, any monotonic origin) to every call, receives frames to put
 * on the wire through ops->send, and calls ppp_tick() at ppp_next_deadline().
 * Callbacks may call back into the link (ppp_close(), ppp_auth_result(), ...)
 * but must not free it; the owner frees it later, outside any callback.
 *
 * One struct ppp per session; the configuration and the ops are shared by
 * every session of a role and must outlive them. */
#ifndef PPP_PPP_H
#define PPP_PPP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "fsm.h"

enum ppp_role {
	PPP_ROLE_SERVER, /* LNS: authenticates the peer, assigns its addresses */
	PPP_ROLE_CLIENT, /* VPN client, load generator: authenticates itself, learns them */
};

enum ppp_auth_method {
	PPP_AUTH_NONE,
	PPP_AUTH_PAP,
	PPP_AUTH_CHAP_MD5,
	PPP_AUTH_MSCHAPV2,
};

#define PPP_AUTH_PREFS_MAX 3

/* RFC 1661 §3.2. */
enum ppp_phase {
	PPP_PHASE_DEAD,
	PPP_PHASE_ESTABLISH,
	PPP_PHASE_AUTHENTICATE,
	PPP_PHASE_NETWORK,
	PPP_PHASE_TERMINATE,
};

struct ppp_config {
	enum ppp_role role;
	/* Server: the methods we require, most preferred first; the first is
	 * offered, a Nak moves along the list. Client: the methods we agree
	 * to, the first one being our suggestion in a Nak. PPP_AUTH_NONE ends
	 * the list early. */
	uint8_t auth[PPP_AUTH_PREFS_MAX];
	bool auth_optional;   /* server: a peer that rejects authentication gets in */
	const char *hostname; /* Name in our CHAP Challenges; NULL: empty */
	uint16_t mru;         /* ours; 0: not negotiated (1500) */
	bool pfc, acfc;       /* ask the peer for them (we always accept both) */
	bool magic;           /* negotiate a Magic-Number: loop detection */
	struct ppp_fsm_conf fsm;
	uint32_t echo_interval_ms; /* LCP Echo-Request keepalive; 0: off */
	uint8_t echo_failures;     /* unanswered echoes before the link is down */
	bool echo_adaptive;        /* any frame from the peer counts as an answer */
	bool ipv4, ipv6;           /* run IPCP, IPV6CP */
	struct in_addr dns[2];     /* server: handed out (RFC 1877); 0: option rejected */
	struct in_addr nbns[2];    /* server: handed out; 0: option rejected */
	bool request_dns;          /* client: ask for DNS servers */
};

/* RFC defaults; auth = CHAP, MS-CHAPv2, PAP; IPCP on, IPV6CP off. */
void ppp_config_init(struct ppp_config *cfg, enum ppp_role role);

/* What the authenticator hands to ops->verify. Pointers are valid during
 * the call only. */
struct ppp_auth_request {
	enum ppp_auth_method method;
	const char *user; /* NUL-terminated, no NUL inside */
	size_t user_len;
	bool proxied; /* from the LAC's proxy authentication AVPs (RFC 2661 §4.4.5) */
	/* PAP */
	const uint8_t *password;
	size_t password_len;
	/* CHAP-MD5 and MS-CHAPv2 */
	uint8_t id;
	const uint8_t *challenge; /* MS-CHAPv2: 16 octets */
	size_t challenge_len;
	const uint8_t *response; /* CHAP-MD5: the Value; MS-CHAPv2: the 49-octet Value */
	size_t response_len;
	/* MS-CHAPv2, inside response (RFC 2759 §4) */
	const uint8_t *peer_challenge; /* 16 octets */
	const uint8_t *nt_response;    /* 24 octets */
};

#define PPP_MSCHAPV2_AUTHRESP_LEN 20

/* Why the link went down: RFC 3145 for the CDN's PPP Disconnect Cause Code
 * AVP, and a text for the logs. */
struct ppp_cause {
	uint16_t code;      /* enum ppp_cause_code */
	uint16_t proto;     /* the control protocol at fault, or 0 */
	uint8_t direction;  /* enum ppp_cause_dir */
	const char *reason; /* static text */
};

/* An NCP reached Opened. */
struct ppp_net {
	uint16_t proto; /* PPP_PROTO_IPCP or PPP_PROTO_IPV6CP */
	struct in_addr local, peer;
	struct in_addr dns[2]; /* server: given; client: learnt (0: none) */
	uint8_t local_iid[8], peer_iid[8];
	uint16_t peer_mru; /* largest packet toward the peer */
};

struct ppp_ops {
	/* A frame for the L2TP session: Address/Control (unless compressed),
	 * Protocol, Information. */
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* An IPv4 (0x0021) or IPv6 (0x0057) packet, its NCP being Opened. */
	void (*data)(void *ctx, uint16_t proto, uint8_t *pkt, size_t len);
	void (*up)(void *ctx, const struct ppp_net *net);
	/* An NCP left Opened (renegotiation, rejection, link going down). May be NULL. */
	void (*ncp_down)(void *ctx, uint16_t proto);
	/* The link is finished, once: send the CDN and free the link. */
	void (*down)(void *ctx, const struct ppp_cause *cause);
	/* Server: check credentials; answer now or later with ppp_auth_result(). */
	void (*verify)(void *ctx, const struct ppp_auth_request *req);
	/* Authentication finished (server: the verdict sent; client: the
	 * peer's, msg its text). May be NULL. */
	void (*auth_done)(void *ctx, enum ppp_auth_method method, bool ok, const char *msg);
	/* Random octets (magic numbers, challenges, identifiers); NULL: getrandom(). */
	void (*random)(void *ctx, void *buf, size_t len);
};

struct ppp_stats {
	uint32_t rx_malformed;      /* frames or packets discarded as invalid */
	uint32_t rx_discarded;      /* valid but not expected now (phase, state) */
	uint32_t rx_proto_rejected; /* unknown protocols, Protocol-Reject sent */
	uint32_t rx_data_dropped;   /* IP with its NCP not Opened */
};

/* Proxy LCP and authentication from the LAC (RFC 2661 §4.4.5): the option
 * bodies of the Last Sent and Last Received LCP CONFREQ AVPs, and the
 * Proxy Authen AVPs (auth_type 0 if absent). */
enum ppp_proxy_authen {
	PPP_PROXY_AUTHEN_NONE_GIVEN = 0,
	PPP_PROXY_AUTHEN_TEXT = 1,
	PPP_PROXY_AUTHEN_CHAP = 2,
	PPP_PROXY_AUTHEN_PAP = 3,
	PPP_PROXY_AUTHEN_NONE = 4,
	PPP_PROXY_AUTHEN_MSCHAPV1 = 5,
};

struct ppp_proxy {
	const uint8_t *lcp_sent; /* the LAC's request, acked by the peer: our side */
	size_t lcp_sent_len;
	const uint8_t *lcp_recv; /* the peer's request, acked by the LAC */
	size_t lcp_recv_len;
	uint16_t auth_type; /* enum ppp_proxy_authen */
	const uint8_t *auth_name;
	size_t auth_name_len;
	const uint8_t *auth_challenge;
	size_t auth_challenge_len;
	uint8_t auth_id;
	const uint8_t *auth_response;
	size_t auth_response_len;
};

struct ppp;

struct ppp *ppp_new(const struct ppp_config *cfg, const struct ppp_ops *ops, void *ctx);
void ppp_free(struct ppp *ppp);
/* Octets this link holds now (the struct and any authentication state). */
size_t ppp_memory(const struct ppp *ppp);

/* Client: our name and password (kept by pointer; must outlive the link). */
void ppp_set_credentials(struct ppp *ppp, const char *user, const char *password);
/* Server: our address and the one the peer must use; set them before the
 * peer is authenticated (e.g. before ppp_auth_result()). Client: the
 * address to ask for (0: let the server choose). */
void ppp_set_ipv4(struct ppp *ppp, struct in_addr local, struct in_addr peer);
/* Server: DNS servers for this peer, overriding the configuration. */
void ppp_set_dns(struct ppp *ppp, struct in_addr dns1, struct in_addr dns2);

/* The session is up: negotiate LCP. */
int ppp_start(struct ppp *ppp, uint64_t now);
/* Server: take LCP as the LAC negotiated it (LCP Opened at once) and hand
 * proxied credentials to ops->verify. -EINVAL or -EPROTO if the options are
 * malformed or unacceptable, -ENOTSUP for an unsupported proxy
 * authentication: nothing changed, the owner calls ppp_start() instead.
 * Client (the subscriber behind a LAC that did LCP and authentication
 * itself, as a load generator plays it): the same proxy data seen from the
 * other end, lcp_recv being our request and lcp_sent the peer's; the
 * authentication was the LAC's, so the link goes straight to the Network
 * phase (credentials must be set: an Authentication-Protocol in lcp_sent
 * is judged as in a negotiation). Should the server renegotiate LCP, the
 * link follows like any other. */
int ppp_start_proxy(struct ppp *ppp, const struct ppp_proxy *px, uint64_t now);
/* Terminate the link (LCP Terminate-Request); ops->down follows. */
void ppp_close(struct ppp *ppp, uint64_t now);
/* The session is gone (CDN received): the link is down now, without a word
 * to the peer. */
void ppp_lower_down(struct ppp *ppp, uint64_t now);

/* One frame from the session (writable: the data callback gets a pointer
 * into it). */
void ppp_input(struct ppp *ppp, uint8_t *frame, size_t len, uint64_t now);

/* The verdict on the request last given to ops->verify. For MS-CHAPv2
 * success, authresp is the 20-octet Authenticator Response (RFC 2759 §8.7).
 * -ESTALE if no verification is pending. */
int ppp_auth_result(struct ppp *ppp, bool ok, const char *message, const uint8_t *authresp,
                    uint64_t now);

void ppp_tick(struct ppp *ppp, uint64_t now);
uint64_t ppp_next_deadline(const struct ppp *ppp);

/* The header to put before an outgoing IPv4 or IPv6 packet: Address and
 * Control unless the peer accepted ACFC, the Protocol in one octet if it
 * accepted PFC. Returns its length (0-4). */
size_t ppp_data_header(const struct ppp *ppp, uint16_t proto, uint8_t hdr[PPP_HEADROOM]);

enum ppp_phase ppp_phase(const struct ppp *ppp);
/* State of the LCP, IPCP or IPV6CP automaton. */
enum ppp_fsm_state ppp_state(const struct ppp *ppp, uint16_t proto);
/* The addresses as negotiated so far (what ops->up reports). */
void ppp_net_info(const struct ppp *ppp, uint16_t proto, struct ppp_net *net);
const struct ppp_cause *ppp_cause(const struct ppp *ppp);
const struct ppp_stats *ppp_stats(const struct ppp *ppp);
/* The method negotiated (server: the peer authenticates with; client: we do). */
enum ppp_auth_method ppp_auth_method(const struct ppp *ppp);
/* Client: our PAP request or CHAP/MS-CHAPv2 Response is out and the
 * authenticator has not answered yet. */
bool ppp_auth_awaiting_verdict(const struct ppp *ppp);

const char *ppp_phase_name(enum ppp_phase phase);
const char *ppp_auth_method_name(enum ppp_auth_method m);

#endif
