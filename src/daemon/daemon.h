/* The daemon's context: everything mutable lives here (no globals), the
 * libev loop, the lookup tables, counters, and the lifecycle (start,
 * reload, drain, graceful stop). */
#ifndef L2TPD_DAEMON_H
#define L2TPD_DAEMON_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/fastpath.h"
#include "l2tp/msg.h"
#include "l2tp/wire.h"
#include "idtable.h"
#include "list.h"
#include "log.h"
#include "udp.h"

struct config;
struct ctl;
struct tunnel;
struct session;
struct sessppp_ctx;

/* Counters shown by `l2tpctl stats`. Transport counters of freed tunnels
 * are folded into rt_* so the totals never go backwards. */
struct l2tpd_stats {
	uint64_t rx_msg[L2TP_MSG_TYPE_LIMIT];   /* by message type; [0] = ZLB */
	uint64_t tx_msg[L2TP_MSG_TYPE_LIMIT];
	uint64_t rx_unknown_msg;                /* unknown types without M: ignored */
	uint64_t malformed[L2TP_E_COUNT];       /* dropped datagrams / messages by reason */
	uint64_t unknown_tunnel;                /* control or data for no tunnel of ours */
	uint64_t unknown_session;               /* data for no session of ours (+ the fast path's) */
	uint64_t wrong_peer;                    /* right tunnel id, wrong source address (+ data) */
	uint64_t rt_retransmitted;              /* of freed tunnels; live ones added on read */
	uint64_t rt_duplicates;
	uint64_t rt_out_of_order;
	uint64_t rt_outside_window;
	uint64_t rt_zlb_sent;
	uint64_t rt_zlb_received;
	uint64_t rt_queue_full;
	uint64_t tunnels_up;                    /* reached established */
	uint64_t tunnels_failed;                /* freed without ever being established */
	uint64_t tunnels_down_sent[8];          /* StopCCN we sent, by result code (0 = other) */
	uint64_t tunnels_down_received[8];      /* StopCCN we received, by result code */
	uint64_t tunnels_peer_dead;
	uint64_t sessions_up;
	uint64_t sessions_down_sent[12];        /* CDN we sent, by result code (0 = other) */
	uint64_t sessions_down_received[12];
	uint64_t sessions_failed;               /* freed without ever being established */
	uint64_t auth_failures;
	uint64_t half_open_refused;
	uint64_t tunnels_refused;               /* limits, drain, no [lns] match */
	uint64_t sessions_refused;              /* limits, drain */
	uint64_t tie_breaks_won;
	uint64_t tie_breaks_lost;
	uint64_t wen_received, wen_sent;
	uint64_t sli_received, sli_sent;
};

struct l2tpd {
	struct ev_loop *loop;
	struct log log;
	struct config *cfg;              /* owned; swapped on reload */
	char *config_path;

	struct udp_sock *socks;
	size_t n_socks;
	ev_io *sock_watchers;
	struct udp_batch *batch;         /* receive buffers, reused */
	/* The data path: every received batch goes through it, it reads
	 * and writes the LNS TUN queue (tun_io, fd -1 without one). NULL
	 * only in unit tests' bare contexts. */
	struct fastpath *fp;
	struct tun_io tun_io;

	struct idtable tunnels;          /* local tunnel id -> tunnel */
	/* (tunnel id << 16 | session id) -> session: session ids are per
	 * tunnel (RFC 2661 §3.1), 65,535 in each, not 65,535 in all. */
	struct idtable sessions;
	struct list_node tunnel_list;    /* every tunnel, in creation order */
	struct list_node half_open;      /* tunnels in wait-ctl-reply / wait-ctl-conn */
	struct list_node reap;           /* tunnels to free at the next loop iteration */
	struct list_node destinations;
	unsigned n_tunnels;
	unsigned n_half_open;
	unsigned n_sessions;

	bool draining;
	bool stopping;
	int exit_code;
	struct l2tpd_stats stats;

	struct ctl *ctl;
	struct sessppp_ctx *sp;          /* PPP glue: TUN, pools, users, clients */
	ev_prepare reaper;
	ev_timer stop_timer;
	ev_signal sig_term, sig_int, sig_hup;
};

/* Time for the transport and timers: the loop's clock in milliseconds. */
uint64_t l2tpd_now_ms(const struct l2tpd *d);

/* Takes ownership of cfg. Opens sockets, the control socket, signals.
 * 0 or -errno (logged). */
int l2tpd_init(struct l2tpd *d, struct config *cfg, const char *config_path, bool use_syslog);
int l2tpd_run(struct l2tpd *d);      /* returns the exit code */
void l2tpd_fini(struct l2tpd *d);

/* Re-read the configuration file; on error keep the old one and put the
 * message in err. New settings apply to new tunnels. */
int l2tpd_reload(struct l2tpd *d, char *err, size_t errlen);
/* StopCCN (6, shutting down) on every tunnel, then exit once all are
 * acknowledged or after the grace period. */
void l2tpd_stop(struct l2tpd *d);

/* Free t at the next loop iteration (never from inside a transport callback). */
void l2tpd_schedule_reap(struct l2tpd *d, struct tunnel *t);

/* The TUN queue the data path reads and writes: fd (not owned), or -1
 * for none (before the TUN that owns fd closes). 0 or -errno. */
int l2tpd_data_tun(struct l2tpd *d, int fd);

/* Entry for every datagram received on s. */
void l2tpd_input(struct l2tpd *d, struct udp_sock *s, struct udp_rx *rx);

/* The socket for sending to peer (same family), or NULL. */
struct udp_sock *l2tpd_sock_for(struct l2tpd *d, const union udp_addr *peer);

/* A general-purpose, unpredictable 64-bit random value (getrandom). */
void l2tpd_random(void *buf, size_t len);

#endif
