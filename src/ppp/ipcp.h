/* IPCP (RFC 1332) with the DNS and NBNS options of RFC 1877. The server
 * assigns both addresses and hands out name servers; the client asks for
 * 0.0.0.0 and takes what the server's Nak offers. VJ compression is always
 * rejected. */
#ifndef PPP_IPCP_H
#define PPP_IPCP_H

#include <netinet/in.h>
#include <stdint.h>

#include "fsm.h"

struct ppp;

struct ppp_ipcp {
	struct ppp_fsm fsm;
	struct in_addr local, peer;
	struct in_addr dns[2];
	uint8_t flags; /* IPCP_* in ipcp.c */
};

void ppp_ipcp_init(struct ppp *ppp);
/* Entering the Network phase: what to request this time. */
void ppp_ipcp_prepare(struct ppp *ppp);
int ppp_ipcp_input(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now);

#endif
