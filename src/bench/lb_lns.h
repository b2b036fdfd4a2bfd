/* l2tp-bench --lns: a minimal LNS, the bench's own ceiling. Shared by
 * lb_lns.c (options, the loop, the socket, the report), lb_lns_ctl.c
 * (tunnels and calls: the control messages) and lb_lns_ppp.c (each
 * subscriber's PPP, and the data path that reflects its IP traffic).
 *
 * Tunnels and sessions are found by id in two hash tables (the daemon's
 * idtable: tunnels by our tunnel id, sessions by our tunnel id << 16 |
 * our session id), so a data message costs one O(1) lookup whatever the
 * number of sessions. Nothing is allocated per data packet: datagrams are
 * received into a batch of buffers with headroom, reflected in place and
 * sent from there with the next sendmmsg. */
#ifndef L2TPD_BENCH_LB_LNS_H
#define L2TPD_BENCH_LB_LNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/idtable.h"
#include "daemon/udp.h"
#include "l2tp/reliable.h"
#include "ppp/ppp.h"

#define LNS_BATCH     64   /* datagrams per recvmmsg */
#define LNS_TXQ       256  /* datagrams per sendmmsg at most */
#define LNS_CTL_SLOTS 128  /* buffers for what we build (control, PPP frames) */
#define LNS_DGRAM     2048 /* largest datagram we take or build */
/* Room before a received datagram: a reflected packet gets our L2TP and
 * PPP headers (at most 10 + 4 octets) put in front of it where the
 * peer's were, even when the peer's were shorter. */
#define LNS_HEADROOM 32

struct lns_opts {
	union udp_addr bind;
	const char *secret;
	const char *hostname;
	const char *password; /* for the MS-CHAPv2 Authenticator Response */
	uint32_t pool_base;   /* host order, the network address */
	uint8_t pool_len;
	uint8_t auth;   /* enum ppp_auth_method: offered first */
	double seconds; /* 0: until a signal */
	const char *json;
	bool quiet;
};

enum {
	LS_CONNECTED = 1 << 0, /* ICCN received: PPP runs */
	LS_IP_UP = 1 << 1,     /* IPCP Opened: IP is reflected by the fast path */
	LS_SEQ = 1 << 2,       /* our data carries Ns (the peer's does, or it asked) */
	LS_TIMER = 1 << 3,     /* on the timer list */
	LS_DEAD = 1 << 4,      /* out of the table, freed at the next reap */
	LS_EVER_UP = 1 << 5,   /* counted as established once */
	LS_PROXY = 1 << 6,     /* PPP started from the LAC's proxy LCP */
};

struct lns_tunnel;

struct lns_sess {
	struct lns_tunnel *t;
	struct ppp *ppp;
	struct lns_sess *tprev, *tnext; /* its tunnel's sessions */
	struct lns_sess *aprev, *anext; /* the timer list: PPP has a deadline */
	struct lns_sess *dead_next;
	uint32_t peer_ip; /* network order; 0 until the pool gave one */
	uint16_t id, peer_id;
	uint16_t ns; /* of our next data message, when LS_SEQ */
	uint8_t flags;
	uint8_t ppp_hlen; /* the PPP header for IP toward the peer (ACFC, PFC) */
	uint8_t ppp_hdr[PPP_HEADROOM];
};

enum lns_tunnel_state {
	LT_WAIT_SCCRQ, /* created for an SCCRQ the transport has yet to deliver */
	LT_WAIT_CONN,  /* SCCRP sent */
	LT_UP,
	LT_CLOSING, /* StopCCN sent or received, or the peer is dead: lingers */
};

struct lns;

struct lns_tunnel {
	struct lns *l;
	struct l2tp_rt *rt;
	union udp_addr peer;
	struct lns_tunnel *prev, *next;
	struct lns_sess *sessions;
	uint64_t linger_until; /* LT_CLOSING: reaped then */
	uint32_t n_sessions;
	uint16_t id, peer_id;
	uint8_t state;
	bool challenge_sent;
	uint8_t challenge[16];
};

struct lns_counts {
	uint64_t tunnels_up, tunnels_closed_by_peer, tunnels_dead;
	uint64_t sessions_requested, sessions_connected, sessions_established;
	uint64_t sessions_proxied, sessions_cdn_received, sessions_ppp_down;
	uint64_t sessions_refused;
	uint64_t data_rx, data_tx, data_rx_bytes; /* reflected packets (the stats query not) */
	uint64_t ppp_rx, ppp_tx;                  /* PPP frames through the engine */
	uint64_t stats_queries, icmp_echo;
	uint64_t rx_datagrams, rx_bad, rx_unknown, tx_datagrams, tx_dropped;
	uint64_t ctl_rx, ctl_retransmitted;
};

struct lns_pool {
	uint32_t base, size, cursor, used; /* host order; indexes into the prefix */
	uint64_t *bits;
};

struct lns {
	struct lns_opts o;
	int fd;
	uint64_t now; /* ms, monotonic; refreshed per loop turn */
	uint64_t t0_ns;

	struct idtable tunnels, sessions;
	struct lns_tunnel *tunnel_list;
	uint32_t n_tunnels, n_sessions, n_up;
	uint32_t n_timers;       /* sessions on the timer list */
	struct lns_sess *timers; /* sessions whose PPP has a deadline */
	struct lns_sess *dead;
	uint64_t next_ppp_tick, next_rt_tick;

	struct ppp_config ppp_cfg;
	struct ppp_ops ppp_ops;
	struct lns_pool pool;
	uint64_t rng[2];

	struct lns_counts c;

	/* Receive batch: buffers with headroom, reflected in place. */
	struct mmsghdr rmsg[LNS_BATCH];
	struct iovec riov[LNS_BATCH];
	union udp_addr rfrom[LNS_BATCH];
	uint8_t rbuf[LNS_BATCH][LNS_HEADROOM + LNS_DGRAM];
	/* Send batch: pointers into rbuf (reflections) or cbuf (built). */
	struct mmsghdr tmsg[LNS_TXQ];
	struct iovec tiov[LNS_TXQ];
	unsigned tn;
	uint8_t cbuf[LNS_CTL_SLOTS][LNS_DGRAM];
	unsigned cn;
};

/* lb_lns.c */
/* A buffer of LNS_DGRAM octets to build a datagram in; queue it with
 * lns_tx_queue() before asking for another or queueing anything else. */
uint8_t *lns_tx_buf(struct lns *l);
void lns_tx_queue(struct lns *l, const union udp_addr *to, const uint8_t *buf, size_t len);
void lns_tx_flush(struct lns *l);
uint64_t lns_random64(struct lns *l);

/* lb_lns_ctl.c */
/* A control message (or ZLB) from `from`. */
void lns_ctl_input(struct lns *l, uint8_t *buf, size_t len, const struct l2tp_header *h,
                   const union udp_addr *from);
/* Run the transports' timers due now (retransmissions, delayed acks). */
void lns_ctl_tick(struct lns *l);
/* Free what died: sessions, then tunnels whose linger is over. */
void lns_ctl_reap(struct lns *l);
/* End a session: its CDN (result, 0: none), PPP freed at the next reap.
 * Safe from inside PPP and transport callbacks. */
void lns_sess_kill(struct lns_sess *s, uint16_t result, const char *why);
/* At exit: StopCCN (shutting down) on every tunnel. */
void lns_ctl_shutdown(struct lns *l);
void lns_ctl_fini(struct lns *l);

/* lb_lns_ppp.c */
int lns_ppp_init(struct lns *l);
void lns_ppp_fini(struct lns *l);
/* The ICCN arrived: start PPP, from the proxy LCP if px is not NULL. */
void lns_sess_connected(struct lns_sess *s, const struct ppp_proxy *px);
/* A data message for session key (tunnel id, session id). */
void lns_data_input(struct lns *l, uint8_t *buf, size_t len, const struct l2tp_header *h,
                    const union udp_addr *from);
/* PPP timers of the sessions that have them. */
void lns_ppp_tick(struct lns *l);
/* Off the list of sessions whose PPP still has timers to run. */
void lns_timer_del(struct lns_sess *s);
/* Release the session's PPP link and address (at reap). */
void lns_sess_release(struct lns_sess *s);

static inline uint32_t lns_sess_key(uint16_t tid, uint16_t sid)
{
	return (uint32_t)tid << 16 | sid;
}

#endif
