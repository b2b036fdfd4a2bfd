/* LCP (RFC 1661 §5, §6): the link's options, Magic-Number loop detection,
 * Echo keepalive, Protocol-Reject, and proxy LCP from the LAC. */
#ifndef PPP_LCP_H
#define PPP_LCP_H

#include <stdint.h>

#include "fsm.h"

struct ppp;

/* RFC 1661 §6.1 default; and the smallest MRU we agree to. */
#define PPP_DEFAULT_MRU 1500
#define PPP_MIN_MRU     128

struct ppp_lcp {
	struct ppp_fsm fsm;
	uint64_t echo_deadline; /* next keepalive tick; PPP_NO_DEADLINE when off */
	uint64_t last_rx;       /* last frame from the peer (adaptive echo) */
	uint32_t magic;         /* ours (0: none) */
	uint32_t peer_magic;    /* the peer's (0: none) */
	uint32_t nak_magic;     /* the value we last suggested in a Nak */
	uint16_t mru;           /* ours, as requested */
	uint16_t peer_mru;      /* the peer's: the largest packet we may send */
	uint8_t auth;           /* server: method in our request (enum ppp_auth_method) */
	uint8_t peer_auth;      /* client: method the peer asks us to use */
	uint8_t auth_tried;     /* server: methods the peer refused (bit per method) */
	uint8_t req;            /* options we still request (LCP_REQ_*) */
	uint8_t peer;           /* what the peer's request carried (LCP_PEER_*) */
	uint8_t echo_pending;   /* unanswered Echo-Requests */
	uint8_t loops;          /* signs of a looped-back link */
	uint8_t flags;          /* LCP_F_* */
};

void ppp_lcp_init(struct ppp *ppp);
/* An LCP packet; returns -EINVAL if discarded as malformed. */
int ppp_lcp_input(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now);
void ppp_lcp_tick(struct ppp *ppp, uint64_t now);
uint64_t ppp_lcp_deadline(const struct ppp *ppp);
/* RFC 1661 §5.7: tell the peer we do not speak proto (LCP Opened only). */
void ppp_lcp_send_proto_rej(struct ppp *ppp, uint16_t proto, const uint8_t *info, size_t len);
/* Proxy LCP: the LAC's Last Sent and Last Received CONFREQ option bodies
 * (a server takes the first as its own request, a client the second).
 * On success LCP is Opened (no This-Layer-Up: the caller chooses the next
 * phase); on error nothing changed. */
int ppp_lcp_proxy(struct ppp *ppp, const uint8_t *sent, size_t sent_len, const uint8_t *recv,
                  size_t recv_len, uint64_t now);
bool ppp_lcp_peer_pfc(const struct ppp *ppp);
bool ppp_lcp_peer_acfc(const struct ppp *ppp);

#endif
