/* The link's state and what the modules of the engine call of each other.
 * Not for the owner: ppp.h is the contract. */
#ifndef PPP_INTERNAL_H
#define PPP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "ipcp.h"
#include "ipv6cp.h"
#include "lcp.h"
#include "ppp.h"

#define ppp_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

enum {
	PPP_F_STARTED = 1 << 0,
	PPP_F_DOWN = 1 << 1,    /* ops->down was called: the link is finished */
	PPP_F_CAUSE = 1 << 2,   /* cause recorded (the first one wins) */
	PPP_F_AUTH_OK = 1 << 3, /* authentication done (or none needed) */
};

struct ppp {
	const struct ppp_config *cfg;
	const struct ppp_ops *ops;
	void *ctx;
	const char *user, *password; /* client credentials */
	struct ppp_lcp lcp;
	struct ppp_auth auth;
	struct ppp_ipcp ipcp;
	struct ppp_ipv6cp ipv6cp;
	struct ppp_cause cause;
	struct ppp_stats stats;
	uint8_t phase; /* enum ppp_phase */
	uint8_t flags; /* PPP_F_* */
};

/* Put a control packet (PPP_HEADROOM writable octets before pkt) on the wire. */
void ppp_output(struct ppp *ppp, uint16_t proto, uint8_t *pkt, size_t len);
void ppp_random(struct ppp *ppp, void *buf, size_t len);

/* Record why the link goes down; the first cause recorded wins. */
void ppp_set_cause(struct ppp *ppp, uint16_t code, uint16_t proto, uint8_t dir, const char *reason);
/* Fail the link: record the cause and terminate (LCP Close). */
void ppp_link_fail(struct ppp *ppp, uint16_t code, uint16_t proto, uint8_t dir, const char *reason,
                   uint64_t now);
/* The peer is gone: down at once, nothing sent. */
void ppp_link_drop(struct ppp *ppp, uint16_t code, uint16_t proto, uint8_t dir, const char *reason,
                   uint64_t now);

/* LCP's This-Layer-Up/-Down/-Finished at the link level. */
void ppp_link_lcp_up(struct ppp *ppp, uint64_t now);
void ppp_link_lcp_down(struct ppp *ppp, uint64_t now);
void ppp_link_lcp_finished(struct ppp *ppp, uint64_t now);
/* Authentication succeeded (or was not needed): the Network phase. */
void ppp_link_network(struct ppp *ppp, uint64_t now);
/* An NCP's This-Layer-Up/-Down/-Finished. */
void ppp_link_ncp_up(struct ppp *ppp, uint16_t proto);
void ppp_link_ncp_down(struct ppp *ppp, uint16_t proto);
void ppp_link_ncp_finished(struct ppp *ppp, uint16_t proto, enum ppp_fsm_event ev,
                           enum ppp_fsm_state from, uint64_t now);
/* The peer Protocol-Rejected proto (RFC 1661 §5.7). */
void ppp_link_proto_rejected(struct ppp *ppp, uint16_t proto, uint64_t now);

bool ppp_auth_pref_has(const struct ppp_config *cfg, uint8_t method);

#endif
