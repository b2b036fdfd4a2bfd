/* The LAC mode's state, shared by its modules: lb_lac.c (the loop, the
 * phases of a run), lb_io.c (the socket's batches, session lists),
 * lb_ctl.c (tunnels and calls: the control messages), lb_sub.c (the
 * subscribers' PPP), lb_traffic.c (IP/UDP through the sessions),
 * lb_report.c (figures, JSON) and lb_opts.c (the command line).
 *
 * Sessions live in one array, indexed by the session's number i (0..N-1,
 * the %u of --user). Session i belongs to tunnel i % M and has our session
 * id i / M + 1 there, so a data message is found from the two ids in its
 * header by arithmetic: no table, whatever ids the LNS chose (which it may
 * reuse across tunnels). Tunnel ids are 1..M, indexes into the tunnels. */
#ifndef L2TPD_BENCH_LB_LAC_H
#define L2TPD_BENCH_LB_LAC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bench/lb_opts.h"
#include "bench/lb_util.h"
#include "l2tp/reliable.h"
#include "ppp/ppp.h"

#define LB_NIL 0 /* list link: no session (links hold index + 1) */

enum lb_sess_state {
	LB_S_IDLE,      /* not started */
	LB_S_WAIT_ICRP, /* ICRQ sent */
	LB_S_PPP,       /* ICCN sent, PPP negotiating (or IPCP up, ICCN unacked) */
	LB_S_UP,        /* established */
	LB_S_CLOSING,   /* our CDN sent at teardown, not yet acked */
	LB_S_CLOSED,    /* torn down by us */
	LB_S_FAILED,    /* never established */
	LB_S_DROPPED,   /* established, then ended by the LNS or the tunnel */
};

enum {
	LB_SF_PROXY = 1 << 0,   /* proxy LCP and authentication sent */
	LB_SF_SEQ = 1 << 1,     /* the LNS numbers its data: we number ours (§5.4) */
	LB_SF_IPCP = 1 << 2,    /* IPCP Opened: we have an address */
	LB_SF_ACTIVE = 1 << 3,  /* on the active list (PPP timers, setup deadline) */
	LB_SF_ACKWAIT = 1 << 4, /* on its tunnel's list: ICCN or CDN not yet acked */
	LB_SF_AUTHFAIL = 1 << 5,
	LB_SF_PPP_WAIT = 1 << 6, /* ICCN sent, our PPP not started yet */
};

/* 32 octets; the PPP link (ppp_memory()) comes on top while it lives. */
struct lb_sess {
	struct ppp *ppp;
	uint32_t prev, next; /* one list at a time: active, or a tunnel's ackwait */
	uint32_t t_start_us; /* ICRQ sent, µs since the run began (mod 2^32) */
	uint32_t ip;         /* IPCP address, network order */
	uint16_t peer_sid;
	uint16_t ctl_ns; /* Ns of our ICCN (setup) or CDN (teardown) */
	uint16_t data_ns;
	uint8_t state; /* enum lb_sess_state */
	uint8_t flags; /* LB_SF_* */
};

struct lb_list {
	uint32_t head, tail; /* index + 1 */
	uint32_t count;
};

enum lb_tunnel_state {
	LB_T_IDLE,
	LB_T_WAIT_REPLY, /* SCCRQ sent */
	LB_T_UP,
	LB_T_CLOSING, /* StopCCN sent */
	LB_T_DEAD,    /* refused, StopCCN received, or the peer went silent */
};

struct lac;

struct lb_tunnel {
	struct lac *lac;
	struct l2tp_rt *rt;
	union udp_addr peer; /* the LNS; its port may change with the SCCRP (§8.1) */
	uint64_t deadline;   /* of the transport, cached */
	struct lb_list ackwait;
	uint16_t id, peer_id;
	uint16_t seen_una; /* the transport's oldest unacked Ns at the last look */
	uint8_t state;     /* enum lb_tunnel_state */
	bool challenge_sent;
	uint8_t challenge[16];
};

/* Setup failures by cause (JSON setup.failures). */
enum lb_fail {
	LB_FAIL_TUNNEL,
	LB_FAIL_CDN,
	LB_FAIL_AUTH,
	LB_FAIL_LCP,
	LB_FAIL_IPCP,
	LB_FAIL_TIMEOUT,
	LB_FAIL_N
};

#define LB_CDN_RESULTS 16

/* A sample of the LNS (or of ourselves) at one point of the run. */
struct lb_point {
	struct lb_proc_sample lns;
	struct lb_proc_sample self;
};

struct lb_counts {
	uint32_t tunnels_up;
	uint32_t started, established, failed, up_now, up_max;
	uint32_t fail[LB_FAIL_N];
	uint32_t cdn_result[LB_CDN_RESULTS]; /* index 0: out of range */
	uint32_t proxied, proxied_up;
	uint64_t proxy_lcp_configure, proxy_auth_packets;
	uint64_t echo_answered, hello_received;
	uint32_t dropped; /* established, then ended by the LNS */
	uint32_t torn_down;
	uint64_t rx_datagrams, rx_bad, tx_datagrams, tx_dropped;
	uint64_t ctl_retransmitted;
};

struct lb_traffic_counts {
	uint64_t generated; /* built: what the pacing counts */
	uint64_t sent, sent_bytes, received, received_bytes, other_rx;
	uint64_t sink_rx, sink_tx, sink_rx_bytes; /* the sink's last answer */
	uint64_t base_rx, base_tx, base_rx_bytes; /* its answer before the traffic */
	bool sink_stats;                          /* an answer came since the last query began */
	bool awaiting;                            /* a query is under way: answers count */
};

/* Outgoing datagrams, sent in batches with sendmmsg. */
#define LB_BATCH     64
#define LB_DGRAM_MAX 2048

struct lb_txq {
	struct mmsghdr msg[LB_BATCH];
	struct iovec iov[LB_BATCH];
	uint8_t buf[LB_BATCH][LB_DGRAM_MAX];
	uint16_t traffic[LB_BATCH]; /* an upstream packet's IP length, counted when it leaves */
	const struct lb_tunnel *pending; /* of the slot handed out by lb_tx_slot() */
	unsigned n;
};

struct lb_rxq {
	struct mmsghdr msg[LB_BATCH];
	struct iovec iov[LB_BATCH];
	union udp_addr from[LB_BATCH];
	uint8_t buf[LB_BATCH][LB_DGRAM_MAX];
};

struct lac {
	struct lb_opts o;
	int fd;
	uint64_t t0_ns;  /* start of the run */
	uint64_t now_ms; /* the clock of the transport and PPP, refreshed per loop turn */
	uint64_t rt_min; /* no tunnel's transport has a deadline before this */

	struct lb_tunnel *tunnels;
	uint32_t n_tunnels;
	struct lb_sess *sess;
	uint32_t n_sess;
	char *users; /* --user with %u: n_sess names of user_len octets */
	size_t user_len;

	uint32_t setup_in_flight;   /* ICRQ sent, neither established nor failed */
	uint32_t closing_in_flight; /* teardown CDN sent, not yet acked */
	uint32_t ppp_depth;         /* inside the PPP engine: links are not freed */
	bool proxy_warned;

	struct lb_list active; /* negotiating, or PPP timers pending */
	uint64_t active_tick_ms;
	uint32_t *up; /* indexes of established sessions, in order */
	uint32_t n_up;
	uint32_t *tte_us; /* time to establish of each, µs */

	struct ppp_config ppp_cfg[3]; /* per method: pap, chap, mschapv2 */
	struct ppp_ops ppp_ops;
	uint64_t rng;
	uint64_t seed; /* of the per-session proxy data */

	struct lb_counts c;
	struct lb_traffic_counts tr;
	uint32_t up_at_end; /* established when teardown began */
	size_t ppp_bytes;   /* ppp_memory() of an established link */
	uint64_t first_icrq_ns, last_up_ns;
	uint64_t first_cdn_ns, last_cdn_ack_ns;
	uint64_t traffic_start_ns, traffic_end_ns;
	struct lb_point p_idle, p_established, p_hold_end;

	uint32_t traffic_cursor;
	uint16_t ip_id;

	struct lb_txq tx;
	struct lb_rxq rx;
};

/* lb_lac.c */
uint64_t lb_elapsed_us(const struct lac *l);
uint64_t lb_random64(struct lac *l);

/* lb_io.c */
void lb_rx_init(struct lac *l);
/* Read and dispatch what has arrived (a bounded number of batches). */
void lb_rx_all(struct lac *l);
/* Queue a datagram for the peer of t (copied); sent at the next flush or
 * when the batch is full. */
void lb_tx(struct lac *l, const struct lb_tunnel *t, const void *buf, size_t len);
/* A slot to build a datagram in place (LB_DGRAM_MAX octets), committed
 * with lb_tx_commit(). */
uint8_t *lb_tx_slot(struct lac *l, const struct lb_tunnel *t);
void lb_tx_commit(struct lac *l, size_t len, uint16_t traffic_len);
void lb_tx_flush(struct lac *l);

/* Lists of sessions through their prev/next links. */
void lb_list_add(struct lac *l, struct lb_list *list, uint32_t i);
void lb_list_del(struct lac *l, struct lb_list *list, uint32_t i);

static inline struct lb_tunnel *lb_sess_tunnel(struct lac *l, uint32_t i)
{
	return &l->tunnels[i % l->n_tunnels];
}

static inline uint16_t lb_sess_id(const struct lac *l, uint32_t i)
{
	return (uint16_t)(i / l->n_tunnels + 1);
}

/* lb_ctl.c */
int lb_ctl_init(struct lac *l);
void lb_ctl_fini(struct lac *l);
void lb_tunnel_open(struct lb_tunnel *t);
void lb_tunnel_close(struct lb_tunnel *t);
/* t is gone (refused, StopCCN, silent, or given up on): its sessions end. */
void lb_tunnel_dead(struct lb_tunnel *t, const char *why);
void lb_tunnel_input(struct lb_tunnel *t, uint8_t *buf, size_t len, const struct l2tp_header *h,
                     const union udp_addr *from);
void lb_tunnel_tick(struct lb_tunnel *t);
/* Start session i: its ICRQ. false if its tunnel cannot carry it (failed). */
bool lb_call_start(struct lac *l, uint32_t i);
/* Our CDN for session i (result code), e.g. at teardown or on a PPP
 * failure; its Ns is kept in ctl_ns. false if none could be sent. */
bool lb_call_cdn(struct lac *l, uint32_t i, uint16_t result, const char *why);
/* Is the control message with this Ns acknowledged on t? */
bool lb_tunnel_acked(const struct lb_tunnel *t, uint16_t ns);

/* lb_sub.c */
int lb_sub_init(struct lac *l);
/* The ICCN of session i was sent (proxied: with lb_sub_proxy()'s data).
 * Its PPP starts when the LNS's first frame for it arrives or the ICCN is
 * acknowledged, whichever comes first: a frame of ours that reached the
 * LNS before the ICCN would be dropped there, and cost a restart timer. */
void lb_sub_connected(struct lac *l, uint32_t i, bool proxied);
struct lb_proxy_buf {
	uint8_t lcp_sent[16], lcp_recv[16], challenge[16], response[16];
};
/* The proxy data of session i, the same every time it is asked for (a
 * function of the run's seed and i), in pb (kept by px). */
void lb_sub_proxy(struct lac *l, uint32_t i, struct ppp_proxy *px, struct lb_proxy_buf *pb);
bool lb_sub_proxied(const struct lac *l, uint32_t i);
enum ppp_auth_method lb_sub_method(const struct lac *l, uint32_t i);
/* Session i's user name (--user with %u expanded). */
const char *lb_sub_user(struct lac *l, uint32_t i);
/* Start a data message of session i in the send batch: the L2TP header is
 * written (*hlen octets); returns where the PPP frame goes. */
uint8_t *lb_sub_data_slot(struct lac *l, uint32_t i, size_t *hlen);
/* Teardown: our CDN (result 3) for established session i; false if it
 * could not be sent. */
bool lb_sub_hangup(struct lac *l, uint32_t i);
/* A PPP frame from the LNS for session i. */
void lb_sub_input(struct lac *l, uint32_t i, uint8_t *frame, size_t len);
/* The session's control state changed: see whether it is established now. */
void lb_sub_check_up(struct lac *l, uint32_t i);
/* The LNS ended the call (CDN with result and the RFC 3145 PPP disconnect
 * cause, 0 if none), or the tunnel went away. */
void lb_sub_ended(struct lac *l, uint32_t i, int result, unsigned ppp_cause, bool tunnel);
/* Tick PPP timers and setup deadlines of the active sessions. */
void lb_sub_tick(struct lac *l);
/* Session i never got established (its link is freed). */
void lb_sub_fail(struct lac *l, uint32_t i, enum lb_fail why);
/* Our teardown CDN of session i was acknowledged. */
void lb_sub_closed(struct lac *l, uint32_t i);

/* lb_traffic.c */
void lb_traffic_rx(struct lac *l, uint32_t i, const uint8_t *pkt, size_t len);
/* Send what the token bucket allows since start_ns; returns the ms until
 * the next packet is due. */
uint64_t lb_traffic_pump(struct lac *l, uint64_t start_ns);
/* The sink's counters: send the query again (false: no session to carry it). */
bool lb_traffic_query(struct lac *l);

/* lb_report.c */
int lb_report(struct lac *l);

#endif
