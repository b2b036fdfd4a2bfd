/* IPV6CP (RFC 5072): Interface-Identifier negotiation. */
#ifndef PPP_IPV6CP_H
#define PPP_IPV6CP_H

#include <stdint.h>

#include "fsm.h"

struct ppp;

#define PPP_IID_LEN 8

struct ppp_ipv6cp {
	struct ppp_fsm fsm;
	uint8_t local[PPP_IID_LEN], peer[PPP_IID_LEN];
	uint8_t nak_sent[PPP_IID_LEN]; /* our last suggestion to the peer */
	uint8_t flags;                 /* IPV6CP_* in ipv6cp.c */
};

void ppp_ipv6cp_init(struct ppp *ppp);
void ppp_ipv6cp_prepare(struct ppp *ppp);
int ppp_ipv6cp_input(struct ppp *ppp, const uint8_t *pkt, size_t len, uint64_t now);

#endif
