/* PAP (RFC 1334), CHAP-MD5 (RFC 1994) and MS-CHAPv2 (RFC 2759) exchanges,
 * as authenticator (server) and as peer (client). Challenges and the
 * MS-CHAPv2 authenticator response live in a small allocation made for the
 * exchange and freed after it. */
#ifndef PPP_AUTH_H
#define PPP_AUTH_H

#include <stdint.h>

#include "ppp.h"

struct ppp_auth_tmp;

struct ppp_auth {
	struct ppp_auth_tmp *tmp;
	uint64_t deadline;
	uint8_t state;  /* enum in auth.c */
	uint8_t method; /* enum ppp_auth_method */
	uint8_t id;     /* of our Challenge / Authenticate-Request, or of the peer's */
	uint8_t tries;  /* transmissions left */
	uint8_t proxied;
};

/* LCP is Opened and a method was negotiated: begin. */
void ppp_auth_start(struct ppp *ppp, uint64_t now);
/* Link leaving the Authenticate or Network phase: forget everything. */
void ppp_auth_stop(struct ppp *ppp);
/* The peer is in the Network phase: the state kept to repeat a lost
 * Success is no longer needed. */
void ppp_auth_release(struct ppp *ppp);
void ppp_auth_input(struct ppp *ppp, uint16_t proto, const uint8_t *pkt, size_t len, uint64_t now);
void ppp_auth_tick(struct ppp *ppp, uint64_t now);
uint64_t ppp_auth_deadline(const struct ppp *ppp);
/* Proxy authentication (RFC 2661 §4.4.5): 0 and ops->verify called, or
 * -ENOTSUP / -EINVAL without side effects. */
int ppp_auth_proxy_check(const struct ppp *ppp, const struct ppp_proxy *px);
void ppp_auth_proxy(struct ppp *ppp, const struct ppp_proxy *px, uint64_t now);
size_t ppp_auth_memory(const struct ppp *ppp);

#endif
