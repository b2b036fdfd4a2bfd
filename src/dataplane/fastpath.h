/* The per-packet data path of established sessions (RFC 2661 §5.3, §5.4):
 * L2TP data messages to the TUN and IP packets from the TUN to L2TP, in
 * batches, with no allocation and O(1) lookups per packet.
 *
 * Who owns what. The daemon keeps reading its UDP sockets (control and
 * data share port 1701, so one reader must sort them; its recvmmsg batch
 * goes whole to fastpath_udp_input(), which writes the IP packets straight
 * from the receive buffers to the TUN, no copy, and hands control messages
 * back). The fast path reads the TUN itself. Sessions stay the daemon's:
 * it embeds a struct fp_session in each session (and a struct fp_tunnel in
 * each tunnel), finds them for us by (tunnel id, session id) through
 * ops->lookup (its existing idtable, no second table), and tells us the
 * subscriber's addresses, which we index for the TUN side (iptable).
 *
 * One struct fastpath per data-plane thread, each with its own TUN queue;
 * sessions and counters are not locked, so one thread serves a session. */
#ifndef L2TPD_DATAPLANE_FASTPATH_H
#define L2TPD_DATAPLANE_FASTPATH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "daemon/udp.h"
#include "dataplane/iptable.h"
#include "dataplane/tun.h"
#include "l2tp/wire.h"

#define FASTPATH_BATCH 64      /* packets per TUN read or sendmmsg */
#define FASTPATH_HEADROOM 16   /* before a packet read from the TUN: L2TP (<= 10) + PPP (<= 4) */
#define FASTPATH_BUF 2048      /* per packet read from the TUN, headroom included */
#define FASTPATH_SEQ_WINDOW 0x8000 /* Ns ahead of the expected one by less: accepted */
#define FASTPATH_SEQ_RESYNC 8  /* consecutive frames behind the window: the peer restarted */

/* PPP protocol numbers the data path carries (FP_: the PPP engine has its
 * own enum of the same names). */
#define FP_PROTO_IPV4 0x0021
#define FP_PROTO_IPV6 0x0057

/* A tunnel as the data path needs it. */
struct fp_tunnel {
	int fd;                /* the UDP socket toward the peer */
	uint16_t id, peer_id;  /* our tunnel id, the peer's */
	socklen_t peer_len;
	union udp_addr peer;
	size_t cmsg_len;       /* 0: let routing pick our source address */
	union {                /* IP_PKTINFO / IPV6_PKTINFO: answer from where the peer sends */
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cmsg;
	uint64_t rx_packets;   /* data messages received: liveness for the HELLO timer */
};

/* Per-session counters (the JSON rx/tx fields): bytes are PPP frames,
 * header included, as carried in L2TP. */
struct fp_counters {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t rx_seq_discards; /* late, duplicate, or without Ns when required */
	uint64_t rx_seq_lost;     /* gaps in Ns */
	uint64_t rx_spoofed;      /* IP source not the subscriber's address */
	uint64_t rx_errors;       /* malformed PPP or IP header */
};

struct fp_session {
	struct fp_tunnel *t;
	uint16_t id, peer_id;  /* our session id, the peer's */
	bool seq_required;     /* §5.4 Sequencing Required: frames without Ns are dropped */
	bool seq_send;         /* we put Ns in what we send */
	bool lac;              /* we are the LAC: follow the LNS's S bit unless required */
	bool acfc, pfc;        /* the peer accepted ACFC / PFC: how we frame toward it */
	bool has_ipv6;
	bool slow_ip;          /* IP frames go to ops->slow too: no address indexed here
				* (before IPCP, a call we do not terminate, or a client
				* with a TUN of its own, where the daemon writes them) */
	uint16_t ns;           /* next Ns we send */
	uint16_t nr;           /* next Ns we expect */
	uint16_t oos_last;     /* last Ns seen behind the window, and how many in a row */
	uint8_t oos_run;
	struct in_addr ipv4;   /* assigned address; 0 = none yet (IPv4 dropped) */
	struct in6_addr ipv6;  /* the subscriber's /64 (first 8 octets) */
	struct fp_counters c;
	void *owner;           /* the daemon's session */
};

struct fastpath_ops {
	/* The session with this (our tunnel id, our session id), if its data
	 * path is set up. */
	struct fp_session *(*lookup)(void *ctx, uint16_t tunnel_id, uint16_t session_id);
	/* A control message, or a datagram that is not a valid L2TP header
	 * (the daemon parses it again and counts why): l2tpd_input() fits. */
	void (*control)(void *ctx, struct udp_sock *sock, struct udp_rx *rx);
	/* A PPP frame that is not subscriber IP (LCP, authentication, IPCP,
	 * IPv6 link-local): for the PPP engine. The whole frame as received,
	 * writable, valid during the call. */
	void (*slow)(void *ctx, struct fp_session *s, uint8_t *frame, size_t len);
};

struct fastpath_stats {
	/* UDP -> TUN */
	uint64_t rx_data;            /* data messages */
	uint64_t rx_control;         /* handed to ops->control */
	uint64_t rx_unknown_session;
	uint64_t rx_wrong_peer;      /* right ids, source not the tunnel's peer */
	uint64_t rx_seq_discards;
	uint64_t rx_errors;          /* malformed PPP or IP */
	uint64_t rx_spoofed;
	uint64_t rx_slow;            /* handed to ops->slow */
	uint64_t tun_tx_packets;     /* written to the TUN */
	uint64_t tun_tx_errors;
	/* TUN -> UDP */
	uint64_t tun_rx_packets;
	uint64_t tun_rx_errors;      /* not IPv4/IPv6, truncated, or too big */
	uint64_t tun_rx_no_session;  /* destination is nobody's */
	uint64_t tx_packets;         /* sent to peers */
	uint64_t tx_errors;
};

struct fastpath {
	const struct fastpath_ops *ops;
	void *ctx;
	struct tun_io *tun;
	struct iptable ips;
	struct fastpath_stats st;

	/* Batch state, reused: nothing is allocated per packet. */
	unsigned n_out;
	struct iovec out[FASTPATH_BATCH];            /* to the TUN, into the UDP buffers */
	uint8_t *bufs;                               /* FASTPATH_BATCH x FASTPATH_BUF */
	struct iovec rd[FASTPATH_BATCH];
	size_t rd_len[FASTPATH_BATCH];
	struct mmsghdr msgs[FASTPATH_BATCH];
	struct iovec iov[FASTPATH_BATCH];
	struct fp_session *tx_sess[FASTPATH_BATCH];
	uint16_t tx_frame_len[FASTPATH_BATCH];
};

/* tun: the queue this instance reads and writes (not owned). expected:
 * sessions to size the address table for. 0 or -ENOMEM. */
int fastpath_init(struct fastpath *fp, struct tun_io *tun, const struct fastpath_ops *ops,
		  void *ctx, size_t expected);
void fastpath_fini(struct fastpath *fp);

/* Fill t: fd is the UDP socket toward peer; local (may be NULL or unset)
 * the address the peer talks to, which becomes our source. */
void fastpath_tunnel_init(struct fp_tunnel *t, int fd, uint16_t id, uint16_t peer_id,
			  const union udp_addr *peer, const struct udp_local *local);
/* Fill s for an established session of t (no address yet). */
void fastpath_session_init(struct fp_session *s, struct fp_tunnel *t, uint16_t id,
			   uint16_t peer_id, void *owner);

/* The subscriber's address (IPCP up) or none (0.0.0.0: IPCP down): 0,
 * -EEXIST (another session has it), -ENOMEM. */
int fastpath_session_set_ipv4(struct fastpath *fp, struct fp_session *s, struct in_addr a);
/* The subscriber's /64 (NULL: none). */
int fastpath_session_set_ipv6(struct fastpath *fp, struct fp_session *s,
			      const struct in6_addr *prefix);
/* Before the session is freed: its addresses leave the table. */
void fastpath_session_detach(struct fastpath *fp, struct fp_session *s);

/* A batch from the daemon's UDP reader on sock: data messages are handled
 * here, the rest go to ops->control. The TUN writes are done before
 * return, so the caller may reuse the buffers. */
void fastpath_udp_input(struct fastpath *fp, struct udp_sock *sock, struct udp_rx *rx, unsigned n);
/* One batch from the TUN to the peers: the number of packets read (0: the
 * TUN was empty) or -errno. Call again while it returns FASTPATH_BATCH. */
int fastpath_tun_input(struct fastpath *fp);
/* A PPP frame from the PPP engine (its own header: LCP always carries
 * address, control and a two-octet protocol) to the peer, with this
 * session's sequencing: 0 or -errno. */
int fastpath_send_frame(struct fastpath *fp, struct fp_session *s, const uint8_t *frame,
			size_t len);

#endif
