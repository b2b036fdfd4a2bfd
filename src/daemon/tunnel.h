/* L2TP tunnels (control connections): the state machine of RFC 2661 §7.2
 * as initiator and responder, tunnel authentication (§5.1.1), the tie
 * breaker (§4.4.3), HELLO keepalives (§5.5) and teardown with the linger
 * of §5.7. Each tunnel owns one reliable transport and its timers. */
#ifndef L2TPD_TUNNEL_H
#define L2TPD_TUNNEL_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/fastpath.h"
#include "l2tp/avp.h"
#include "l2tp/msg.h"
#include "l2tp/reliable.h"
#include "list.h"
#include "udp.h"

struct l2tpd;
struct destination;
struct config_tunnel;

enum tunnel_state {
	TUNNEL_IDLE,
	TUNNEL_WAIT_CTL_REPLY,  /* we sent SCCRQ */
	TUNNEL_WAIT_CTL_CONN,   /* we sent SCCRP */
	TUNNEL_ESTABLISHED,
	TUNNEL_CLOSING,         /* StopCCN sent or received: lingering (§5.7) */
};

enum tunnel_role { TUNNEL_ROLE_LAC, TUNNEL_ROLE_LNS };

#define TUNNEL_SECRET_MAX 128
#define TUNNEL_HOSTNAME_MAX 64

/* Per-tunnel settings, copied at creation so a reload never changes a
 * running tunnel. */
struct tunnel_params {
	uint8_t secret[TUNNEL_SECRET_MAX];
	size_t secret_len;                  /* 0 = no authentication, no hiding */
	bool hide_avps;
	uint16_t hide_max_len;              /* hide only values up to this long; 0 = all */
	unsigned hello_interval;            /* s, 0 = none */
	struct l2tp_rt_config rt;
	unsigned max_sessions;              /* sessions on this tunnel */
	bool data_sequencing;               /* §5.4: as LAC, require it; as LNS, send it */
};

struct tunnel {
	struct l2tpd *d;
	uint16_t id;
	uint16_t peer_id;
	enum tunnel_state state;
	enum tunnel_role role;
	bool initiator;
	bool was_established;
	bool reaping;                       /* on the reap list: no more events */
	bool dead;                          /* peer declared dead */

	struct udp_sock *sock;
	union udp_addr peer;
	struct udp_local local;
	char peer_str[UDP_ADDRSTR_LEN];
	char peer_hostname[TUNNEL_HOSTNAME_MAX];
	char peer_vendor[TUNNEL_HOSTNAME_MAX];

	struct tunnel_params p;
	struct destination *dest;
	char lns_section[64];               /* the [lns] that accepted it */

	struct l2tp_rt *rt;
	ev_timer rt_timer;
	ev_timer hello_timer;
	ev_timer linger_timer;
	ev_tstamp last_rx;                  /* control message, or data seen by the HELLO timer */
	uint64_t hello_rx_seen;             /* fp.rx_packets when the HELLO timer last looked */
	ev_tstamp created;

	uint8_t challenge[16];              /* the one we sent */
	bool challenge_sent;
	uint8_t tie_breaker[8];
	bool tie_breaker_sent;
	uint16_t peer_framing, peer_bearer, peer_window, peer_protocol;

	struct list_node node;              /* d->tunnel_list */
	struct list_node half_open_node;    /* d->half_open */
	struct list_node reap_node;         /* d->reap */
	struct list_node dest_node;         /* dest->tunnels */
	struct list_node sessions;          /* struct session.tunnel_node */
	unsigned n_sessions;
	unsigned n_sessions_setup;          /* not yet established */

	uint16_t stop_result;               /* why it closed, for logs and show */

	/* The data path's view (socket, peer, our source address, data
	 * liveness), filled when the tunnel is established. */
	struct fp_tunnel fp;
};

/* Open a tunnel to peer as initiator (SCCRQ sent now). dest may be NULL
 * (tests). Returns NULL with *err set. */
struct tunnel *tunnel_open(struct l2tpd *d, struct destination *dest, const union udp_addr *peer,
			   const struct tunnel_params *p, bool tie_breaker, int *err);
/* A control datagram with tunnel id 0: an SCCRQ for a new tunnel (the
 * responder path, with limits, duplicates and the tie breaker). */
void tunnel_accept(struct l2tpd *d, struct udp_sock *s, struct udp_rx *rx,
		   const struct l2tp_header *h);
/* A control datagram for tunnel t (already found by id). */
void tunnel_input(struct tunnel *t, struct udp_rx *rx, const struct l2tp_header *h);

/* Send StopCCN (result, error < 0 = none, message may be NULL), free every
 * session, linger. No-op if already closing. */
void tunnel_close(struct tunnel *t, uint16_t result, int error, const char *message);
/* Free now: the reaper's and shutdown's job; never inside rt callbacks. */
void tunnel_destroy(struct tunnel *t);

/* Start a control message to the peer (header with its tunnel id and
 * peer_sid) with our hiding policy; finish with tunnel_send_msg(). */
void tunnel_builder(struct tunnel *t, struct l2tp_builder *b, uint8_t *buf, size_t cap,
		    uint16_t peer_sid, uint16_t type);
int tunnel_send_msg(struct tunnel *t, struct l2tp_builder *b, uint16_t type);
/* A data datagram, as is (the session built the header). */
int tunnel_send_raw(struct tunnel *t, const void *buf, size_t len);

/* Module-internal (tunnel.c, tunnel_accept.c). */
struct tunnel *tunnel_alloc(struct l2tpd *d, struct udp_sock *s, const union udp_addr *peer,
			    const struct tunnel_params *p, int *err);
void tunnel_set_half_open(struct tunnel *t, bool on);

void tunnel_params_from_config(struct tunnel_params *p, const struct config_tunnel *ct,
			       const char *secret, bool hide_avps, unsigned max_sessions);
const char *tunnel_state_name(enum tunnel_state s);
const char *tunnel_role_name(enum tunnel_role r);
/* Seconds a full retransmission cycle lasts (§5.7 linger). */
double tunnel_linger_seconds(const struct tunnel_params *p);

#endif
