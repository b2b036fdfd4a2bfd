/* A PPP link under test against a peer played by hand: the link's frames
 * are recorded, the test sends the peer's control packets, and callbacks
 * count what the link reports. Shared by the LCP and NCP tests. */
#ifndef PPP_HAND_PEER_H
#define PPP_HAND_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "ppp/ppp.h"

#define PH_MAX_OUT   256
#define PH_FRAME_CAP 2100
#define PH_T0        1000

struct ph_frame {
	uint8_t buf[PH_FRAME_CAP];
	size_t len;
};

struct ph {
	struct ppp *ppp;
	struct ppp_config cfg;
	struct ph_frame out[PH_MAX_OUT];
	int nout;
	uint64_t rng;
	uint64_t now;
	int up4, up6, down, ncp_down, verifies, data;
	struct ppp_cause cause;
	struct ppp_net net4, net6;   /* the last up() of each NCP */
	const char *secret;          /* the peer's password, for verify */
	/* The test's answer to an authentication request, if it wants one. */
	void (*verify)(const struct ppp_auth_request *req);
};

extern struct ph h;
/* The callbacks that fill h, for a test making a link of its own. */
extern const struct ppp_ops ph_ops;

/* xorshift64: the deterministic generator behind h.rng. */
uint64_t ph_xorshift(uint64_t *state);
struct in_addr ph_ip(const char *dotted);
/* Fresh state and a config of role with no authentication. */
void ph_init(enum ppp_role role);
/* The link, 10.0.0.1 <-> 10.0.0.2, credentials alice/wonderland. */
void ph_new(void);
void ph_free(void);
/* The peer's frame: Address, Control, Protocol, then a control packet. */
void ph_peer_send(uint16_t proto, uint8_t code, uint8_t id, const void *data, size_t len);
/* The link's last control packet of proto and code (and its length), or NULL. */
const uint8_t *ph_sent(uint16_t proto, uint8_t code, size_t *len);
int ph_count(uint16_t proto, uint8_t code);
/* Ack the link's last request of proto, options unchanged. */
void ph_peer_ack(uint16_t proto);
/* LCP Opened with the peer's options. */
void ph_lcp_up(const uint8_t *opts, size_t len);

#endif
